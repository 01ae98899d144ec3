"""Numerical gradients by centred differences, and the relative error used to compare."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np


def _takes_an_argument(f: Callable) -> bool:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: assume f(x)
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )


def numerical_gradient(f: Callable, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂f/∂x by (f(x + h e_i) − f(x − h e_i)) / 2h for every entry i of ``x``.

    ``f`` is called as ``f(x)``, or as ``f()`` when it takes no argument (a closure over
    ``x``, e.g. over a network's parameter array). ``x`` is modified in place one entry
    at a time and restored exactly afterwards. Returns an array of x's shape.
    """
    if _takes_an_argument(f):
        g = f
        f = lambda: g(x)  # noqa: E731
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a: np.ndarray, n: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), 0 when both are zero: scale-free agreement of two arrays."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - n) / denom)
