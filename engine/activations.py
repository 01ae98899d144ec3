"""Hidden-layer activations g and their derivatives g'.

Every function works elementwise on float64 arrays of any shape. ``grad`` takes both the
pre-activation ``a`` and the activation ``h = g(a)`` because several derivatives are
cheapest (and most accurate) in terms of the output: sigmoid g(1-g), tanh 1-g².
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.1  # max(0.1a, a), as in the notes
ELU_ALPHA = 1.0


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so it never overflows for any a.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _elu(a: np.ndarray) -> np.ndarray:
    # expm1 of min(a, 0): no overflow for large positive a, full precision near 0.
    return np.where(a > 0, a, ELU_ALPHA * np.expm1(np.minimum(a, 0.0)))


@dataclass(frozen=True)
class Activation:
    """One activation: g, its derivative g'(a) (given a and h = g(a)), and LaTeX.

    ``tex`` is g applied to a placeholder ``⟨a⟩``; ``grad_tex`` is g'(a) in the notes'
    form, written with ``a`` and ``g`` so it reads like the notes.
    """

    name: str
    label: str
    forward: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    tex: str
    grad_tex: str


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "identity",
            "identity",
            lambda a: a,
            lambda a, h: np.ones_like(a),
            r"⟨a⟩",
            r"g'(a) = 1",
        ),
        Activation(
            "sigmoid",
            "sigmoid",
            _sigmoid,
            lambda a, h: h * (1.0 - h),
            r"\sigma(⟨a⟩)",
            r"g'(a) = g(a)\,(1 - g(a))",
        ),
        Activation(
            "tanh",
            "tanh",
            np.tanh,
            lambda a, h: 1.0 - h * h,
            r"\tanh(⟨a⟩)",
            r"g'(a) = 1 - g(a)^2",
        ),
        Activation(
            "relu",
            "ReLU",
            lambda a: np.maximum(a, 0.0),
            lambda a, h: (a > 0).astype(np.float64),
            r"\max(0,\ ⟨a⟩)",
            r"g'(a) = 1_{a > 0}",
        ),
        Activation(
            "leaky_relu",
            "leaky ReLU",
            lambda a: np.maximum(LEAKY_SLOPE * a, a),
            lambda a, h: np.where(a > 0, 1.0, LEAKY_SLOPE),
            r"\max(0.1\,⟨a⟩,\ ⟨a⟩)",
            r"g'(a) = 1 \text{ if } a > 0 \text{ else } 0.1",
        ),
        Activation(
            "elu",
            "ELU",
            _elu,
            lambda a, h: np.where(a > 0, 1.0, h + ELU_ALPHA),
            r"\mathrm{ELU}(⟨a⟩)",
            r"g'(a) = 1 \text{ if } a > 0 \text{ else } e^{a}",
        ),
    )
}


# name → the short label a page shows (and a bound widget writes into a shareable link).
ACTIVATION_LABELS = {name: a.label for name, a in ACTIVATIONS.items()}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; ValueError naming the valid ones otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
