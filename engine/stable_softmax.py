"""Softmax of one logit vector x (C,), naive and stable, with its Jacobian and the
cross-entropy (notes 002 and 004).

Naive: exp(x_i) / Σ_j exp(x_j), which overflows once some x_i > 709.78 (exp gives inf,
then inf/inf = nan) and turns into 0/0 once every x_i < −745. Stable (note 002):
softmax(x)_i = exp(x_i − c − log Σ_j exp(x_j − c)), c = max_j x_j; log Σ_j exp(x_j) =
c + log Σ_j exp(x_j − c) is the log-sum-exp. Classes count from 0 here; a page counts
from 1 and passes y − 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gradcheck import error_floor, numerical_jacobian, relative_error, relative_errors
from .losses import log_softmax

JACOBIAN_STEP = 1e-5
MAX_LOGITS = 10


def _logits(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or not 1 <= x.size <= MAX_LOGITS:
        raise ValueError(f"the logits must be a list of 1 to {MAX_LOGITS} numbers")
    if not np.isfinite(x).all():
        raise ValueError("the logits must be finite numbers")
    return x


def _class(y: int, n: int) -> int:
    if isinstance(y, bool) or not isinstance(y, int | np.integer) or not 0 <= y < n:
        raise ValueError(f"the class must be one of 1 … {n}")  # as a person counts them
    return int(y)


@dataclass(frozen=True)
class NaiveSoftmax:
    """exp(x) / Σ exp(x) as computed, inf and nan included. ``issue``: None when every
    entry is finite, else "overflow" (some exp(x_i) = inf), "sum overflow" (each exp(x_i)
    finite, their sum inf) or "underflow" (every exp(x_i) = 0); ``message`` says it."""

    exp: np.ndarray  # exp(x_i), (C,)
    total: float  # Σ_j exp(x_j)
    p: np.ndarray  # (C,)
    issue: str | None
    message: str | None

    @property
    def ok(self) -> bool:
        return self.issue is None


def naive_softmax(x) -> NaiveSoftmax:
    """The textbook formula, run as is, without a RuntimeWarning (the failure is reported
    in ``issue`` and ``message`` instead)."""
    x = _logits(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(x)
        total = e.sum()
        p = e / total
    issue = message = None
    if np.isinf(e).any():
        n = int(np.isinf(e).sum())
        issue = "overflow"
        message = (
            f"exp(x_i) overflowed to inf for {n} of {x.size} logits (x_i > 709.78), "
            "so exp(x_i) / Σ exp(x_j) = inf / inf = nan"
        )
    elif np.isinf(total):
        issue = "sum overflow"
        message = "Σ exp(x_j) overflowed to inf, so every exp(x_i) / inf = 0"
    elif total == 0:
        issue = "underflow"
        message = (
            "every exp(x_i) underflowed to 0 (x_i < −745), so exp(x_i) / Σ exp(x_j) = 0 / 0 = nan"
        )
    return NaiveSoftmax(e, float(total), p, issue, message)


def log_sum_exp(x) -> float:
    """log Σ_j exp(x_j) = c + log Σ_j exp(x_j − c), c = max_j x_j: finite for finite x."""
    x = _logits(x)
    c = x.max()
    with np.errstate(under="ignore"):
        return float(c + np.log(np.exp(x - c).sum()))


def stable_softmax(x) -> np.ndarray:
    """softmax(x)_i = exp(x_i − c − log Σ_j exp(x_j − c)), c = max_j x_j: (C,), no overflow,
    no nan and no warning for any finite x (±1e4 included)."""
    with np.errstate(under="ignore"):
        return np.exp(log_softmax(_logits(x)))


def softmax_jacobian(x) -> np.ndarray:
    """∂p_i/∂x_j = p_i (δ_ij − p_j), (C, C), with p = softmax(x): diag(p) − p pᵀ."""
    p = stable_softmax(x)
    return np.diag(p) - np.outer(p, p)


@dataclass(frozen=True)
class JacobianCheck:
    """The Jacobian p_i(δ_ij − p_j) against centred differences of the stable softmax with
    step ``h``: ``analytic`` and ``numeric`` (C, C); ``error`` (C, C) entrywise
    |a − n| / max(|a|, |n|, tiny) (tiny from gradcheck.error_floor); ``relative_error``
    ‖a − n‖ / (‖a‖ + ‖n‖)."""

    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    relative_error: float
    h: float


def check_softmax_jacobian(x, h: float = JACOBIAN_STEP) -> JacobianCheck:
    """The softmax Jacobian of ``x`` and its finite-difference check (see JacobianCheck)."""
    x = _logits(x)
    if not 1e-12 <= h <= 1e-1:
        raise ValueError("h must lie in [1e-12, 0.1]")
    analytic = softmax_jacobian(x)
    numeric = numerical_jacobian(stable_softmax, x.copy(), h)
    error = relative_errors(analytic, numeric, error_floor(1.0, h))  # p ≤ 1
    return JacobianCheck(analytic, numeric, error, relative_error(analytic, numeric), h)


@dataclass(frozen=True)
class CrossEntropy:
    """l(f(x), y) = −log p_y for one example, and its gradient ∂l/∂x = p − e(y) (C,)."""

    p: np.ndarray
    onehot: np.ndarray  # e(y)
    y: int  # 0-based
    loss: float
    grad: np.ndarray


def cross_entropy(x, y: int) -> CrossEntropy:
    """−log softmax(x)_y = log Σ_j exp(x_j) − x_y (finite for any finite x) and p − e(y).
    ``y`` counts from 0."""
    x = _logits(x)
    y = _class(y, x.size)
    p = stable_softmax(x)
    onehot = np.zeros_like(p)
    onehot[y] = 1.0
    return CrossEntropy(p, onehot, y, log_sum_exp(x) - float(x[y]), p - onehot)
