"""Planted bugs: backward passes with one classic mistake each, so a gradient check can
show what failing looks like (and name where).

``backward`` is the backward pass of engine/mlp.py written out over ``forward_pass``, in
three swappable pieces: the output gradient ∇a(L+1), ∇h(k-1) from ∇a(k), and ∇a(k-1)
from ∇h(k-1). Each bug replaces one piece with its wrong version; nothing in MLP changes.
All functions return ``(loss, grads)`` keyed like ``net.params`` ("W1", "b1", …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .forward import ForwardCache, forward_pass, objective
from .losses import LOSS_FUNCTIONS
from .mlp import MLP


# --- the right pieces ----------------------------------------------------------------------
def grad_output(net: MLP, cache: ForwardCache, y: np.ndarray) -> np.ndarray:
    """∇a(L+1) (N, C) of the mean loss: (1/N)(f(x) − e(y)) for softmax cross-entropy."""
    return LOSS_FUNCTIONS[net.loss](cache.scores, y)[1]


def grad_h(W: np.ndarray, da: np.ndarray) -> np.ndarray:
    """∇h(k-1) = W(k)ᵀ ∇a(k); in batch form (N, n_{k-1}) = (N, n_k) @ (n_k, n_{k-1})."""
    return da @ W


def grad_a(g: Activation, a: np.ndarray, h: np.ndarray, dh: np.ndarray) -> np.ndarray:
    """∇a(k-1) = ∇h(k-1) ⊙ g'(a(k-1)), (N, n_{k-1})."""
    return dh * g.grad(a, h)


# --- the wrong ones ----------------------------------------------------------------------
def grad_output_of_sum(net: MLP, cache: ForwardCache, y: np.ndarray) -> np.ndarray:
    """Bug: the 1/N forgotten: f(x) − e(y), the gradient of the summed loss."""
    return grad_output(net, cache, y) * cache.scores.shape[0]


def grad_h_reshaped(W: np.ndarray, da: np.ndarray) -> np.ndarray:
    """Bug: W(k)ᵀ written W(k).reshape(n_{k-1}, n_k): the right shape, scrambled entries
    (a square W comes out untransposed), so any shape fails, never with a shape error."""
    return da @ W.reshape(W.shape[::-1]).T


def grad_a_without_mask(g: Activation, a: np.ndarray, h: np.ndarray, dh: np.ndarray):
    """Bug: the ReLU mask (in general ⊙ g'(a(k-1))) forgotten: ∇a(k-1) = ∇h(k-1)."""
    return dh


def grad_a_with_g(g: Activation, a: np.ndarray, h: np.ndarray, dh: np.ndarray):
    """Bug: g used where g' belongs: ∇a(k-1) = ∇h(k-1) ⊙ g(a(k-1))."""
    return dh * h


def backward(
    net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    *,
    output: Callable = grad_output,
    through_W: Callable = grad_h,
    through_g: Callable = grad_a,
) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of ``net`` on X (N, D), y (N,) (classes from 0); with the default
    pieces exactly those of ``net.loss_and_grads``. ∇W(k) = ∇a(k)ᵀ h(k-1) + 2 l2 W(k),
    ∇b(k) = Σ_n ∇a(k)_n, then ∇h(k-1) = ``through_W(W, ∇a(k))`` and ∇a(k-1) =
    ``through_g(g, a(k-1), h(k-1), ∇h(k-1))``."""
    net.loss_and_grads(X, y, l2)  # the same checks of X and y as the network's own
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y)).astype(np.intp)
    cache = forward_pass(net, X)
    loss = objective(net, cache, y, l2)
    da = output(net, cache, y)
    grads = {}
    for k in range(net.n_layers, 0, -1):
        W = net.params[f"W{k}"]
        grads[f"W{k}"] = da.T @ cache.h[k - 1] + (2.0 * l2) * W
        grads[f"b{k}"] = da.sum(axis=0)
        if k > 1:
            dh = through_W(W, da)
            da = through_g(cache.g[k - 2], cache.a[k - 2], cache.h[k - 1], dh)
    return loss, grads


@dataclass(frozen=True)
class PlantedBug:
    """One mistake: its label, the right and the wrong line (LaTeX and numpy), and the
    piece of ``backward`` it replaces."""

    name: str
    label: str
    right_tex: str
    wrong_tex: str
    right_code: str
    wrong_code: str
    pieces: dict

    def grads(self, net: MLP, X, y, l2: float = 0.0) -> tuple[float, dict[str, np.ndarray]]:
        """(loss, gradients) of the buggy backward pass; the loss itself is right."""
        return backward(net, X, y, l2, **self.pieces)

    def hidden_by(self, net: MLP, n_examples: int) -> str | None:
        """Why this bug cannot show on this network and batch size, or None if it must."""
        hidden = net.n_layers - 1
        if self.name == "mean":
            return "with N = 1 the mean and the sum are the same" if n_examples == 1 else None
        if hidden == 0:
            return "a network without hidden layers never backpropagates into an h(k)"
        if self.name == "mask" and all(name == "identity" for name in net.activations):
            return "every hidden g is the identity, so g'(a) = 1 and the mask changes nothing"
        if self.name == "reshape" and all(
            min(net.params[f"W{k}"].shape) == 1 for k in range(2, net.n_layers + 1)
        ):
            return "each W(k), k ≥ 2, is a single row or column: reshape and transpose agree"
        return None


BUGS: dict[str, PlantedBug] = {
    bug.name: bug
    for bug in (
        PlantedBug(
            "mask",
            "forgot the ReLU mask ⊙ g'(a)",
            r"\nabla a^{(k-1)} = \nabla h^{(k-1)} \odot g'(a^{(k-1)})",
            r"\nabla a^{(k-1)} = \nabla h^{(k-1)}",
            "da = dh * g_grad(a)",
            "da = dh",
            {"through_g": grad_a_without_mask},
        ),
        PlantedBug(
            "mean",
            "forgot the 1/N of the mean",
            r"\nabla a^{(L+1)} = \frac{1}{N}\left(f(x) - e(y)\right)",
            r"\nabla a^{(L+1)} = f(x) - e(y)",
            "da = (f - onehot(y)) / N",
            "da = f - onehot(y)",
            {"output": grad_output_of_sum},
        ),
        PlantedBug(
            "g_for_gprime",
            "used g instead of g'",
            r"\nabla a^{(k-1)} = \nabla h^{(k-1)} \odot g'(a^{(k-1)})",
            r"\nabla a^{(k-1)} = \nabla h^{(k-1)} \odot g(a^{(k-1)})",
            "da = dh * g_grad(a)",
            "da = dh * g(a)",
            {"through_g": grad_a_with_g},
        ),
        PlantedBug(
            "reshape",
            "W(k)ᵀ as a reshape, not a transpose",
            r"\nabla h^{(k-1)} = W^{(k)\top} \nabla a^{(k)}",
            r"\nabla h^{(k-1)} = \mathrm{reshape}(W^{(k)},\ n_{k-1} \times n_k)\, \nabla a^{(k)}",
            "dh = da @ W",
            "dh = da @ W.reshape(W.shape[::-1]).T",
            {"through_W": grad_h_reshaped},
        ),
    )
}


def planted_grads(bug: str, net: MLP, X, y, l2: float = 0.0) -> tuple[float, dict[str, np.ndarray]]:
    """(loss, gradients) with the bug called ``bug`` (one of BUGS) planted."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {', '.join(BUGS)}")
    return BUGS[bug].grads(net, X, y, l2)
