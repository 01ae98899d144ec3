"""2-D toy classification data, pure numpy, balanced and deterministic under a seed.

``make_dataset`` returns X (n, 2) float64 and y (n,) int64 in shuffled order. ``noise``
is the standard deviation of Gaussian jitter added to every point.
"""

from __future__ import annotations

import numpy as np

DATASETS = {
    "moons": "moons",
    "circles": "circles",
    "xor": "XOR",
    "spiral": "spiral",
    "gaussians": "Gaussian blobs",
    "linear": "linearly separable",
}
MULTICLASS = ("spiral", "gaussians", "linear")  # the ones where ``classes`` means something
MAX_POINTS = 100_000
SPIRAL_TURN = 5.0  # radians each arm winds from centre to rim
SPIRAL_INNER = 0.25  # radius where each arm starts
MAX_CLASSES = 8


def _counts(n: int, classes: int) -> list[int]:
    return [n // classes + (c < n % classes) for c in range(classes)]


def _moons(counts, rng):
    t0 = rng.uniform(0, np.pi, counts[0])
    t1 = rng.uniform(0, np.pi, counts[1])
    upper = np.c_[np.cos(t0), np.sin(t0)]
    lower = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    return [upper, lower]


def _circles(counts, rng):
    return [
        r * np.c_[np.cos(t), np.sin(t)]
        for r, t in (
            (1.0, rng.uniform(0, 2 * np.pi, counts[0])),
            (0.5, rng.uniform(0, 2 * np.pi, counts[1])),
        )
    ]


def _xor(counts, rng):
    # class 0 in quadrants I and III (x·y > 0), class 1 in II and IV; kept off the axes.
    # Each quadrant holds exactly half a class, so no line does better than 3 of 4.
    out = []
    for c, m in enumerate(counts):
        mag = rng.uniform(0.15, 1.0, (m, 2))
        sx = np.where(np.arange(m) < m // 2, 1.0, -1.0)
        sy = sx if c == 0 else -sx
        out.append(mag * np.c_[sx, sy])
    return out


def _spiral(counts, rng):
    k = len(counts)
    out = []
    for c, m in enumerate(counts):
        t = rng.uniform(0.0, 1.0, m)
        r = SPIRAL_INNER + (1 - SPIRAL_INNER) * t
        theta = 2 * np.pi * c / k + SPIRAL_TURN * t
        out.append(r[:, None] * np.c_[np.cos(theta), np.sin(theta)])
    return out


def _gaussians(counts, rng):
    k = len(counts)
    return [
        1.5 * np.array([np.cos(2 * np.pi * c / k), np.sin(2 * np.pi * c / k)])
        + 0.3 * rng.standard_normal((m, 2))
        for c, m in enumerate(counts)
    ]


def _linear(counts, rng):
    # Class c fills the wedge of angles [2πc/k, 2π(c+1)/k] minus a margin next to each
    # boundary ray: wedges from the origin are convex, so k templates separate them.
    k = len(counts)
    out = []
    for c, m in enumerate(counts):
        width = 2 * np.pi / k
        r = rng.uniform(0.25, 1.5, m)
        gap = 0.12 / r  # a margin of 0.12 in distance, whatever the radius
        theta = 2 * np.pi * c / k + gap + rng.uniform(0, 1, m) * (width - 2 * gap)
        out.append(r[:, None] * np.c_[np.cos(theta), np.sin(theta)])
    return out


_MAKERS = {
    "moons": _moons,
    "circles": _circles,
    "xor": _xor,
    "spiral": _spiral,
    "gaussians": _gaussians,
    "linear": _linear,
}


def make_dataset(
    name: str, n: int = 200, noise: float = 0.1, seed: int = 0, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of the named 2-D dataset: X (n, 2) float64, y (n,) int64.

    moons, circles and xor have 2 classes; spiral (``classes`` arms), gaussians
    (``classes`` blobs) and linear (``classes`` wedges) take 2 … 8. Class sizes differ
    by at most one. Same arguments, same data.
    """
    if name not in _MAKERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    classes = int(classes)
    if name not in MULTICLASS and classes != 2:
        raise ValueError(f"{name} has exactly 2 classes")
    if not 2 <= classes <= MAX_CLASSES:
        raise ValueError(f"classes must lie in 2 … {MAX_CLASSES}")
    if not classes <= int(n) <= MAX_POINTS:
        raise ValueError(f"n must lie in {classes} … {MAX_POINTS}")
    if not 0.0 <= float(noise) <= 5.0:
        raise ValueError("noise must lie in [0, 5]")
    rng = np.random.default_rng(seed)
    counts = _counts(int(n), classes)
    parts = _MAKERS[name](counts, rng)
    X = np.concatenate(parts) + float(noise) * rng.standard_normal((int(n), 2))
    y = np.concatenate([np.full(m, c, dtype=np.int64) for c, m in enumerate(counts)])
    order = rng.permutation(int(n))
    return X[order], y[order]


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified seeded split → X_train, X_test, y_train, y_test.

    Each class sends round(test_fraction · its size) points to the test set, keeping at
    least one point of every class on each side when the class has two or more.
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError("test_fraction must lie strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_fraction * len(idx)))
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        test[idx[:k]] = True
    return X[~test], X[test], y[~test], y[test]


def minibatch(n: int, size: int, seed: int) -> np.ndarray:
    """``size`` distinct indices of 0 … n-1 drawn under ``seed``, in sorted order."""
    if not 1 <= size <= n:
        raise ValueError(f"batch size must lie in 1 … {n}")
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
