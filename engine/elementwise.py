"""Elementwise activations up close: g and g' on a grid, where they saturate, what a stack
of them does to a gradient, and backprop through one of them (notes 001 and 004).

Everything comes from the ``Activation`` objects the networks use (engine/activations.py).
Jacobians follow J[i, j] = ∂y_i/∂x_j (row: output, column: input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS, get_activation

GALLERY = tuple(ACTIVATIONS)  # identity, sigmoid, tanh, relu, leaky_relu, elu
SATURATION = 0.05  # |g'(a)| below this: the gradient passing through is cut to < 5 %
MAX_ELEMENTWISE = 16  # entries of x and ∂L/∂y a page may take
MAX_DEPTH = 50
MAX_SAMPLES = 200_000
GRID_LIMIT = 1e3  # |a| of a gallery grid


def _grad(name: str, a: np.ndarray) -> np.ndarray:
    g = get_activation(name)
    return g.grad(a, g.forward(a))


@dataclass(frozen=True)
class Saturation:
    """An interval [start, end] of a where |g'(a)| < the threshold. ``zero``: g' is exactly
    0 there (ReLU's left side: no gradient at all passes). An end at the grid's edge means
    the region goes on beyond it."""

    start: float
    end: float
    zero: bool


@dataclass(frozen=True)
class ActivationCurve:
    """One activation on a grid: ``a`` (n,), ``g`` = g(a) (n,), ``grad`` = g'(a) (n,),
    its saturation regions, and its formulas (``tex`` with the placeholder ⟨a⟩,
    ``grad_tex`` in the notes' form, as in engine/activations.py)."""

    name: str
    label: str
    a: np.ndarray
    g: np.ndarray
    grad: np.ndarray
    saturated: list[Saturation]
    threshold: float
    tex: str
    grad_tex: str


def _check_grid(lo: float, hi: float, n: int) -> None:
    if not (np.isfinite(lo) and np.isfinite(hi) and -GRID_LIMIT <= lo < hi <= GRID_LIMIT):
        raise ValueError(f"the grid needs -{GRID_LIMIT:g} ≤ lo < hi ≤ {GRID_LIMIT:g}")
    if not 3 <= n <= 100_000:
        raise ValueError("the grid needs 3 to 100,000 points")


def saturation_regions(
    name: str, lo: float = -5.0, hi: float = 5.0, threshold: float = SATURATION, n: int = 2001
) -> list[Saturation]:
    """Intervals of [lo, hi] where |g'(a)| < ``threshold``, in increasing order.

    Found on a grid of ``n`` points, each inner edge then refined by bisection to ~1e-12,
    so e.g. sigmoid's edges land on ±2.8873 (σ(1 − σ) = 0.05) whatever the grid.
    """
    _check_grid(lo, hi, n)
    if not 0 < threshold <= 1:
        raise ValueError("the threshold must lie in (0, 1]")
    a = np.linspace(lo, hi, n)
    inside = np.abs(_grad(name, a)) < threshold

    def edge(left: float, right: float) -> float:
        """The boundary between a[left] and a[right], one inside and one outside."""
        want = bool(np.abs(_grad(name, np.array([left])))[0] < threshold)
        for _ in range(60):
            mid = 0.5 * (left + right)
            if (np.abs(_grad(name, np.array([mid])))[0] < threshold) == want:
                left = mid
            else:
                right = mid
        return left if want else right

    regions = []
    i = 0
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        start = lo if i == 0 else edge(a[i], a[i - 1])
        end = hi if j == n - 1 else edge(a[j], a[j + 1])
        run = np.linspace(start, end, 64)
        regions.append(Saturation(float(start), float(end), bool(np.all(_grad(name, run) == 0))))
        i = j + 1
    return regions


def activation_curve(
    name: str, lo: float = -5.0, hi: float = 5.0, n: int = 401, threshold: float = SATURATION
) -> ActivationCurve:
    """g and g' of the activation ``name`` on ``n`` points of [lo, hi], with saturation."""
    _check_grid(lo, hi, n)
    g = get_activation(name)
    a = np.linspace(lo, hi, n)
    h = g.forward(a)
    return ActivationCurve(
        name=g.name,
        label=g.label,
        a=a,
        g=h,
        grad=g.grad(a, h),
        saturated=saturation_regions(name, lo, hi, threshold),
        threshold=threshold,
        tex=g.tex,
        grad_tex=g.grad_tex,
    )


def activation_gallery(lo: float = -5.0, hi: float = 5.0, n: int = 401) -> list[ActivationCurve]:
    """One curve per activation the networks offer, in GALLERY order."""
    return [activation_curve(name, lo, hi, n) for name in GALLERY]


# --- the depth view: a gradient through k layers -----------------------------------------
@dataclass(frozen=True)
class DepthView:
    """How much of a gradient survives k stacked g's, k = 1 … K.

    Backprop multiplies by g'(a(l)) once per layer, so (the weights aside) the factor
    after k layers is Π_{l=1..k} g'(a(l)). ``product[name]`` (K,): its mean over
    independent a(l) ~ N(0, scale²) (``a is None``), or g'(a)^k at one chosen a.
    ``bound[name]`` (K,): (max_a |g'(a)|)^k, the most any input can keep (sigmoid:
    0.25^k, so a stack of 10 passes at most 0.25^10 ≈ 1e-6).
    """

    k: np.ndarray
    product: dict[str, np.ndarray]
    bound: dict[str, np.ndarray]
    a: float | None
    scale: float
    n_samples: int


def depth_products(
    names: Sequence[str] = GALLERY,
    depth: int = 10,
    *,
    a: float | None = None,
    scale: float = 1.0,
    n_samples: int = 20_000,
    seed: int = 0,
) -> DepthView:
    """The product of g' through k = 1 … ``depth`` layers for each activation in ``names``
    (see DepthView): a Monte-Carlo mean over ``n_samples`` draws of a(1) … a(depth)
    ~ N(0, scale²) (seeded), or, given ``a``, g'(a)^k exactly."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be 1 … {MAX_DEPTH}")
    if not (np.isfinite(scale) and 0 < scale <= 100):
        raise ValueError("scale must lie in (0, 100]")
    if a is not None and not (np.isfinite(a) and abs(a) <= GRID_LIMIT):
        raise ValueError(f"a must be a number in [-{GRID_LIMIT:g}, {GRID_LIMIT:g}]")
    if not 1 <= n_samples <= MAX_SAMPLES:
        raise ValueError(f"n_samples must be 1 … {MAX_SAMPLES:,}")
    k = np.arange(1, depth + 1)
    # Where |g'| peaks: at 0 for sigmoid and tanh, on a whole side for the others.
    grid = np.concatenate([np.linspace(-10, 10, 2001), [0.0]])
    if a is None:
        draws = np.random.default_rng(seed).normal(0.0, scale, (n_samples, depth))
    product, bound = {}, {}
    for name in names:
        if a is not None:
            product[name] = float(_grad(name, np.array([a]))[0]) ** k
        else:
            product[name] = np.cumprod(_grad(name, draws), axis=1).mean(axis=0)
        bound[name] = float(np.abs(_grad(name, grid)).max()) ** k
    return DepthView(k, product, bound, None if a is None else float(a), float(scale), n_samples)


# --- backprop through y = g(x) ----------------------------------------------------------
@dataclass(frozen=True)
class ElementwiseBackward:
    """y = g(x) elementwise, and the backward pass through it (note 004, "Backprop with
    vectors"): ∂L/∂x = ∂L/∂y ⊙ g'(x). Every array has shape (n,)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    local: np.ndarray  # g'(x), the local gradient
    upstream: np.ndarray  # ∂L/∂y
    downstream: np.ndarray  # ∂L/∂x

    def jacobian(self) -> np.ndarray:
        """∂y/∂x, (n, n): diag(g'(x)), every off-diagonal entry 0 because y_i depends on
        x_i alone. For display only: backprop never builds it (for N = 64 examples of
        4096 units it would take 256 GB); the product with it is just ∂L/∂y ⊙ g'(x)."""
        return np.diag(self.local)


def _vector(values, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or not 1 <= v.size <= MAX_ELEMENTWISE:
        raise ValueError(f"{what} must hold 1 to {MAX_ELEMENTWISE} numbers")
    if not np.isfinite(v).all():
        raise ValueError(f"{what} must hold finite numbers")
    return v


def elementwise_backward(name: str, x, upstream) -> ElementwiseBackward:
    """y = g(x), g'(x) and ∂L/∂x = ∂L/∂y ⊙ g'(x) for the activation ``name``.

    x and upstream (= ∂L/∂y): 1 … MAX_ELEMENTWISE finite numbers each, the same count.
    Note 004: relu, x = [1, −2, 3, −1], ∂L/∂y = [4, −1, 5, 9] → ∂L/∂x = [4, 0, 5, 0].
    """
    g = get_activation(name)
    x = _vector(x, "x")
    upstream = _vector(upstream, "∂L/∂y")
    if upstream.size != x.size:
        raise ValueError(
            f"∂L/∂y needs one number per entry of x: x has {x.size}, ∂L/∂y has {upstream.size}"
        )
    y = g.forward(x)
    local = g.grad(x, y)
    # + 0.0 turns the −0.0 of a negative upstream times a zero g' into the 0 of the notes.
    return ElementwiseBackward(g.name, x, y, local, upstream, upstream * local + 0.0)
