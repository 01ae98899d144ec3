"""Output losses, averaged over a batch, each with its gradient beside it.

Shapes: scores ``a`` (N, C) float64 (the output pre-activation a(L+1)), labels ``y`` (N,)
integers in [0, C). Each loss returns ``(loss, grad_a, extras)``: the mean loss, its
gradient with respect to ``a`` (N, C) (the 1/N of the mean already applied), and the
named intermediate arrays the trace shows.
"""

from __future__ import annotations

import numpy as np

# Short display labels; a bound widget writes the label into the shareable URL.
LOSSES = {"softmax_ce": "softmax cross-entropy", "hinge": "multiclass hinge (SVM)"}


def log_softmax(a: np.ndarray) -> np.ndarray:
    """log softmax(a) along the last axis, stable: a_i - c - log Σ_j exp(a_j - c), c = max_j a_j."""
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(a: np.ndarray) -> np.ndarray:
    """softmax(a) along the last axis through the log-sum-exp shift: no overflow, no NaN."""
    shifted = a - a.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_ce(a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, dict]:
    """Cross-entropy of softmax(a): mean_n -log f(x_n)_{y_n}; gradient (1/N)(f(x) - e(y)).

    extras: ``f(x)`` (N, C), the softmax probabilities.
    """
    n = a.shape[0]
    rows = np.arange(n)
    shifted = a - a.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    sums = p.sum(axis=1, keepdims=True)
    p /= sums
    # -log f(x)_y = log Σ_j exp(a_j - c) - (a_y - c): finite for any finite logits.
    loss = float((np.log(sums).sum() - shifted[rows, y].sum()) / n)
    grad = p.copy()
    grad[rows, y] -= 1.0
    grad /= n
    return loss, grad, {"f(x)": p}


def hinge(a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, dict]:
    """Multiclass SVM: mean_n Σ_{j≠y} max(0, s_j - s_y + 1) with s = a.

    Gradient: 1 for every j≠y with a positive margin, minus their count at y, over N.
    extras: ``margins`` (N, C), max(0, s_j - s_y + 1) with 0 at the true class.
    """
    n = a.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, a - a[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    loss = float(margins.sum() / n)
    grad = (margins > 0).astype(np.float64)
    grad[rows, y] = -grad.sum(axis=1)
    grad /= n
    return loss, grad, {"margins": margins}


LOSS_FUNCTIONS = {"softmax_ce": softmax_ce, "hinge": hinge}
