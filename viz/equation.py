"""A step's equation three ways: symbols, the same with the numbers written in, and shapes."""

from __future__ import annotations

import numpy as np

from engine import Step, fill, is_parameter, symbol
from engine.notation import PLACEHOLDER

MAX_WRITTEN = 4  # write numbers in when every tensor is at most 4 × 4


def _as_written(name: str, arr: np.ndarray) -> np.ndarray:
    """The tensor as the per-example equation writes it: vectors as columns."""
    arr = np.asarray(arr)
    if arr.ndim == 0 or (arr.ndim == 1 and not is_parameter(name)):
        return arr.reshape(())  # a scalar: L, y, f(x)_y of one example
    if arr.ndim == 1:
        return arr[:, None]  # b(k) is a column
    if is_parameter(name):
        return arr  # W(k)
    return arr[0][:, None]  # one example's row, as a column


def number_text(v: float) -> str:
    """3 significant digits, short exponents: 0.0187, -1.2e-5, 6 (an integer as such)."""
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}".replace("e-0", "e-").replace("e+0", "e")


def _bmatrix(m: np.ndarray) -> str:
    if m.ndim == 0:
        return number_text(float(m))
    rows = [" & ".join(number_text(float(v)) for v in row) for row in m]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def batch_size(step: Step) -> int:
    """N: the rows of any batch array the step carries."""
    for name, arr in step.arrays.items():
        if not is_parameter(name) and np.ndim(arr) >= 1:
            return int(np.shape(arr)[0])
    return 1


def with_shapes(step: Step) -> str:
    """The equation in symbols with each tensor's shape (per example) written under it."""

    def shaped(name: str) -> str:
        w = _as_written(name, step.arrays[name])
        sym = symbol(name)
        if w.ndim == 0:
            return sym
        return rf"\underset{{\scriptscriptstyle {w.shape[0]}\times {w.shape[1]}}}{{{sym}}}"

    return fill(step.template, shaped)


def with_numbers(step: Step, one_line: bool = False) -> str | None:
    """The equation with every tensor written out, or None when N > 1 or a tensor is
    larger than 4 × 4 (then the heatmaps carry the numbers). Two lines (the result, then
    "= " the computation) unless ``one_line``."""
    if batch_size(step) != 1:
        return None
    written = {name: _as_written(name, arr) for name, arr in step.arrays.items()}
    if any(max(w.shape, default=1) > MAX_WRITTEN for w in written.values()):
        return None
    # The equation itself, without a trailing note such as g'(a) = 1 - g(a)^2, as two
    # lines (the result, then "= " the computation), so that b + W h fits a 4 × 4 W.
    lhs, rhs = step.template.split(r", \qquad")[0].split(" = ", 1)
    numbers = lambda name: "{" + _bmatrix(written[name]) + "}"  # noqa: E731
    if one_line:
        return f"{fill(lhs, numbers)} = {fill(rhs, numbers)}"
    return rf"\begin{{aligned}}&{fill(lhs, numbers)} \\ &= {fill(rhs, numbers)}\end{{aligned}}"


def shapes_in_code(step: Step) -> str:
    """'h1 (1, 2), W1 (4, 2), b1 (4,) → a1 (1, 4)': the numpy shapes of the step."""

    def short(name: str) -> str:
        s = name.replace("∇", "d").replace("(", "").replace(")", "")
        return {"f(x)": "f", "e(y)": "onehot", "f(x)_y": "f[y]"}.get(name, s)

    reads = ", ".join(f"{short(n)} {tuple(np.shape(a))}" for n, a in step.reads.items())
    writes = ", ".join(f"{short(n)} {tuple(np.shape(a))}" for n, a in step.writes.items())
    return f"{reads} → {writes}"


def in_equation_order(step: Step) -> list[str]:
    """The step's array names in the order its equation writes them (the result first),
    then any it reads that the equation does not name (e.g. y)."""
    named = list(dict.fromkeys(PLACEHOLDER.findall(step.template)))
    return [n for n in named if n in step.arrays] + [n for n in step.arrays if n not in named]
