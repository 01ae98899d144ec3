"""The multiclass SVM (hinge) loss and the softmax loss of one score vector s, side by side
(note 004), from the same loss functions the networks train with (engine/losses.py).

SVM: L = Σ_{j≠y} max(0, s_j − s_y + 1), ∂L/∂s_j = 1(margin_j > 0) for j ≠ y and
∂L/∂s_y = −(number of positive margins). Softmax: L = −log p_y, ∂L/∂s = p − e(y).
Classes count from 0 here; a page counts from 1 and passes y − 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import hinge, softmax_ce

MAX_SCORES = 10


@dataclass(frozen=True)
class ScoreLosses:
    """Both losses of scores ``s`` (C,) with correct class ``y`` (0-based). ``margins``
    (C,): max(0, s_j − s_y + 1) for j ≠ y and 0 at y (where it is not part of the sum);
    ``svm_grad`` and ``softmax_grad`` (C,) are ∂L/∂s; ``p`` (C,) = softmax(s)."""

    s: np.ndarray
    y: int
    margins: np.ndarray
    svm_loss: float
    svm_grad: np.ndarray
    p: np.ndarray
    softmax_loss: float
    softmax_grad: np.ndarray


def score_losses(s, y: int) -> ScoreLosses:
    """Hinge and softmax loss and gradient of one score vector (2 … MAX_SCORES finite
    numbers). Note 004: s = (3.2, 5.1, −1.7), y = 0 → hinge 2.9, softmax ≈ 2.04."""
    s = np.asarray(s, dtype=np.float64)
    if s.ndim != 1 or not 2 <= s.size <= MAX_SCORES or not np.isfinite(s).all():
        raise ValueError(f"the scores must be 2 to {MAX_SCORES} finite numbers")
    if isinstance(y, bool) or not isinstance(y, int | np.integer) or not 0 <= y < s.size:
        raise ValueError(f"the correct class must be one of 1 … {s.size}")
    a, labels = s[None, :], np.array([int(y)])
    svm_loss, svm_grad, svm_extras = hinge(a, labels)
    ce_loss, ce_grad, ce_extras = softmax_ce(a, labels)
    return ScoreLosses(
        s,
        int(y),
        svm_extras["margins"][0],
        svm_loss,
        svm_grad[0],
        ce_extras["f(x)"][0],
        ce_loss,
        ce_grad[0],
    )
