"""Numerical gradients by centred differences, the relative errors used to compare, their
usual reading, and the check of a whole network's gradients (note 004: "derive the
analytic gradient, check your implementation with the numerical gradient")."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .forward import ForwardCache, forward_pass, objective
from .mlp import MLP


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


# --- reading a relative error --------------------------------------------------------------
# The usual reading (note 004, cs231n): ≈1e-7 or less is right, ≈1e-4 suspicious (fine only
# at a kink), more is wrong. Each band ends one decade above its typical value:
RIGHT = 1e-6  # error ≤ RIGHT: right
WRONG = 1e-3  # error > WRONG: wrong; in between: suspicious
READINGS = ("right", "suspicious", "wrong")
DEFAULT_STEP = 1e-5  # h of the centred differences: truncation h² and round-off ε/h balance
EPS = float(np.finfo(np.float64).eps)


def reading(error: float) -> str:
    """The reading of one relative error: "right" (≤ RIGHT), "suspicious" (≤ WRONG) or
    "wrong" (above, or not a number)."""
    if not np.isfinite(error) or error > WRONG:
        return "wrong"
    return "right" if error <= RIGHT else "suspicious"


def error_floor(scale: float, h: float) -> float:
    """The ``tiny`` of |a − n| / max(|a|, |n|, tiny) for a centred difference of step h of
    a function of size ``scale`` (e.g. the loss).

    Rounding alone leaves such a difference about ε·max(scale, 1)/h off (≈ 2e-11 for a
    loss near 1 and h = 1e-5; we allow 10×). A gradient entry smaller than that over RIGHT
    cannot be confirmed to RIGHT, so the denominator stops there: an entry reads right
    when the two agree within the difference's own rounding.
    """
    return 10.0 * EPS * max(abs(float(scale)), 1.0) / (h * RIGHT)


def relative_errors(a: np.ndarray, n: np.ndarray, tiny: float) -> np.ndarray:
    """|a − n| / max(|a|, |n|, tiny), entry by entry, of arrays of one shape."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)


def numerical_jacobian(f: Callable, x: np.ndarray, h: float = DEFAULT_STEP) -> np.ndarray:
    """J[i, j] = ∂f_i/∂x_j ≈ (f(x + h e_j) − f(x − h e_j))_i / 2h for f: (n,) → (m,).
    Returns (m, n); ``x`` is restored afterwards."""
    columns = []
    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        plus = np.array(f(x), dtype=np.float64)  # a copy: f may return x itself
        x[j] = old - h
        minus = np.array(f(x), dtype=np.float64)
        x[j] = old
        columns.append((plus - minus) / (2.0 * h))
    return np.stack(columns, axis=1)


# --- the whole network --------------------------------------------------------------------
MAX_EXHAUSTIVE = 5_000  # parameters checked one by one; beyond, a seeded random sample
KINKED = ("relu", "leaky_relu")  # g' jumps at a = 0


def tensor_name(key: str) -> str:
    """The notes' name of a parameter key: "W2" → "W(2)", "b1" → "b(1)"."""
    return f"{key[0]}({key[1:]})"


@dataclass(frozen=True)
class WorstEntry:
    """The entry with the largest relative error. ``index`` counts from 0 as numpy does;
    ``label`` from 1, as a person reads it, row i then column j: "W(2)[3, 1]"."""

    name: str
    index: tuple[int, ...]
    label: str
    error: float
    analytic: float
    numeric: float
    at_kink: bool


@dataclass(frozen=True)
class NetworkCheck:
    """Analytic against numerical gradients of every parameter (or of a sample).

    Every dict is keyed by the notes' names in layer order, "W(1)", "b(1)", "W(2)", …, its
    arrays shaped like the parameter: ``analytic`` (the gradient under test), ``numeric``
    (centred differences, nan where not checked), ``error`` (|a − n| / max(|a|, |n|,
    tiny), nan where not checked), ``checked`` (bool: in the sample), ``kink`` (bool: a
    ReLU or leaky-ReLU pre-activation, or for the hinge loss a margin s_j − s_y + 1,
    changed side of 0 between θ − h and θ + h, so the centred difference straddles a kink
    and a mismatch there is expected). Readings leave kink entries out.
    """

    names: list[str]
    analytic: dict[str, np.ndarray]
    numeric: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    checked: dict[str, np.ndarray]
    kink: dict[str, np.ndarray]
    loss: float
    h: float
    tiny: float
    n_params: int
    n_checked: int
    seed: int

    @property
    def sampled(self) -> bool:
        """True when only a random sample of the parameters was checked."""
        return self.n_checked < self.n_params

    @property
    def n_kinks(self) -> int:
        return int(sum(k.sum() for k in self.kink.values()))

    def max_error(self, name: str | None = None, include_kinks: bool = False) -> float:
        """The largest relative error of one tensor (or all) over checked entries, kink
        entries left out unless asked; nan when no entry counts (inf for a gradient that
        is itself nan or inf)."""
        values = [
            self.error[n][self.checked[n] & (include_kinks | ~self.kink[n])]
            for n in ([name] if name else self.names)
        ]
        values = np.concatenate([v.ravel() for v in values])
        return float(values.max()) if values.size else float("nan")

    @property
    def readings(self) -> dict[str, str]:
        """Each tensor's reading ("right", "suspicious", "wrong") from its max error
        without kinks; "kink" when every checked entry of it sits at a kink, "unchecked"
        when none is in the sample."""
        out = {}
        for n in self.names:
            e = self.max_error(n)
            if np.isnan(e):
                out[n] = "kink" if self.checked[n].any() else "unchecked"
            else:
                out[n] = reading(e)
        return out

    @property
    def verdict(self) -> str:
        """The reading of the whole check: its worst tensor's ("unchecked" if no entry
        outside a kink was checked)."""
        found = set(self.readings.values())
        for word in ("wrong", "suspicious", "right"):
            if word in found:
                return word
        return "unchecked"

    @property
    def failing(self) -> list[str]:
        """The tensors that read wrong, e.g. ["W(1)", "b(1)"]: where the bug is."""
        return [n for n, r in self.readings.items() if r == "wrong"]

    @property
    def worst(self) -> WorstEntry:
        """The entry with the largest error outside kinks (at a kink if all are)."""
        best = None
        for include in (False, True):
            for n in self.names:
                mask = self.checked[n] & (include | ~self.kink[n])
                if not mask.any():
                    continue
                e = np.where(mask, self.error[n], -1.0)
                i = np.unravel_index(int(np.argmax(e)), e.shape)
                if best is None or e[i] > best[2]:
                    best = (n, i, float(e[i]))
            if best is not None:
                break
        n, i, e = best
        label = f"{n}[{', '.join(str(j + 1) for j in i)}]"
        return WorstEntry(
            n,
            tuple(int(j) for j in i),
            label,
            e,
            float(self.analytic[n][i]),
            float(self.numeric[n][i]),
            bool(self.kink[n][i]),
        )

    @property
    def message(self) -> str:
        """One or two sentences a page can show as they are."""
        what = (
            f"a random sample of {self.n_checked:,} of the {self.n_params:,} parameters "
            f"(seed {self.seed})"
            if self.sampled
            else f"all {self.n_params:,} parameters"
        )
        worst = self.worst
        text = (
            f"Checked {what} with h = {self.h:g}: the largest relative error is "
            f"{worst.error:.1e} at {worst.label}, which reads {self.verdict}."
        )
        if self.failing:
            text += f" Wrong in {', '.join(self.failing)}."
        if self.n_kinks:
            entries = "entry straddles" if self.n_kinks == 1 else "entries straddle"
            text += (
                f" {self.n_kinks} {entries} a kink within ±h, where a mismatch is expected;"
                " the reading leaves them out."
            )
        return text


def _sides(net: MLP, cache: ForwardCache, y: np.ndarray) -> list[np.ndarray]:
    """Which side of each kink the network is on: a(k) > 0 for every ReLU-like hidden
    layer, and for the hinge loss each margin s_j − s_y + 1 > 0 (j ≠ y)."""
    hidden = cache.a[:-1]  # a(1) … a(L): the output a(L+1) goes through no g
    sides = [a > 0 for a, g in zip(hidden, cache.g, strict=True) if g.name in KINKED]
    if net.loss == "hinge":
        s = cache.scores
        rows = np.arange(s.shape[0])
        m = s - s[rows, y][:, None] + 1.0 > 0
        m[rows, y] = False
        sides.append(m)
    return sides


def check_network(
    net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    *,
    grads: Mapping[str, np.ndarray] | None = None,
    h: float = DEFAULT_STEP,
    max_params: int = MAX_EXHAUSTIVE,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> NetworkCheck:
    """Check the gradients of ``net`` (an engine.MLP) on the batch X (N, D), y (N,) (classes
    from 0) against centred differences of its loss (mean data loss + l2 Σ‖W(k)‖²).

    ``grads``: the gradients under test, keyed like ``net.params`` ("W1", "b1", …);
    default ``net.loss_and_grads(X, y, l2)``, pass a planted bug's to see a failure.
    Up to ``max_params`` (≤ MAX_EXHAUSTIVE) parameters are checked one by one; beyond, a
    random sample of that many (seeded by ``seed``). ``progress(fraction, text)`` is called
    about a hundred times. The network is left exactly as it was.
    """
    if not (np.isfinite(h) and 1e-12 <= h <= 0.1):
        raise ValueError("h must lie in [1e-12, 0.1]")
    if not 1 <= int(max_params) <= MAX_EXHAUSTIVE:
        raise ValueError(f"max_params must be 1 … {MAX_EXHAUSTIVE:,}")
    if not (np.isfinite(l2) and l2 >= 0):
        raise ValueError("l2 must be a finite number ≥ 0")
    loss, right = net.loss_and_grads(X, y, l2)  # also checks X and y
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y)).astype(np.intp)
    keys = list(net.params)
    if grads is None:
        grads = right
    for key in keys:
        if key not in grads or np.shape(grads[key]) != net.params[key].shape:
            raise ValueError(f"grads must hold {tensor_name(key)} of shape {net.params[key].shape}")

    sizes = [net.params[k].size for k in keys]
    total = int(sum(sizes))
    chosen = np.ones(total, dtype=bool)
    if total > max_params:
        chosen[:] = False
        chosen[np.random.default_rng(seed).choice(total, int(max_params), replace=False)] = True
    n_checked = int(chosen.sum())
    tiny = error_floor(loss, h)

    work = {k: v.copy() for k, v in net.params.items()}
    base = _sides(net, forward_pass(net, X, work), y)
    result = {n: {} for n in ("analytic", "numeric", "error", "checked", "kink")}
    done, every, offset = 0, max(1, n_checked // 100), 0
    for key, size in zip(keys, sizes, strict=True):
        P, name = work[key], tensor_name(key)
        mask = chosen[offset : offset + size].reshape(P.shape)
        offset += size
        numeric = np.full(P.shape, np.nan)
        kink = np.zeros(P.shape, dtype=bool)
        for i in zip(*np.nonzero(mask), strict=True):
            old = P[i]
            values = []
            for step in (h, -h):
                P[i] = old + step
                cache = forward_pass(net, X, work)
                values.append(objective(net, cache, y, l2, work))
                sides = _sides(net, cache, y)
                kink[i] |= any((s != b).any() for s, b in zip(sides, base, strict=True))
            P[i] = old
            numeric[i] = (values[0] - values[1]) / (2.0 * h)
            done += 1
            if progress is not None and done % every == 0:
                text = f"Numerical gradient of {name}: {done:,} of {n_checked:,} entries"
                progress(done / n_checked, text)
        analytic = np.asarray(grads[key], dtype=np.float64).copy()
        error = np.where(mask, relative_errors(analytic, np.nan_to_num(numeric), tiny), np.nan)
        error[mask & ~np.isfinite(error)] = np.inf  # a nan or inf gradient is plainly wrong
        for part, value in zip(result, (analytic, numeric, error, mask, kink), strict=True):
            result[part][name] = value
    if progress is not None:
        progress(1.0, f"Checked {n_checked:,} of {total:,} parameters")
    return NetworkCheck(
        [tensor_name(k) for k in keys],
        **result,
        loss=float(loss),
        h=float(h),
        tiny=float(tiny),
        n_params=total,
        n_checked=n_checked,
        seed=int(seed),
    )
