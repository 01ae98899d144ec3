"""Names of the tensors in a trace and their LaTeX symbols, in the notes' notation.

Array names are plain text: ``W(2)``, ``b(2)``, ``h(1)``, ``a(2)``, ``f(x)``, ``e(y)``,
``y``, ``L``, ``∇a(2)``, ``∇W(2)``, ``∇b(2)``, ``∇h(1)``, ``g'(a(1))``, ``f(x)_y``,
``margins``, and ``ΔW(2)`` for an update's change. A step's equation is a LaTeX template
in which ``⟨name⟩`` stands for an array; :func:`fill` replaces each with its symbol (or,
for a viz, with its numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

PLACEHOLDER = re.compile(r"⟨([^⟩]+)⟩")
_LAYERED = re.compile(r"^([∇Δ]?)([Wbha])\((\d+)\)$")
_BOLD = {"W": "W", "b": r"\mathbf{b}", "h": r"\mathbf{h}", "a": r"\mathbf{a}"}
_FIXED = {
    "f(x)": r"f(\mathbf{x})",
    "e(y)": r"\mathbf{e}(y)",
    "f(x)_y": r"f(\mathbf{x})_{y}",
    "y": "y",
    "L": "L",
    "margins": r"\max(0,\ s_j - s_y + 1)",
}


def symbol(name: str) -> str:
    """LaTeX symbol of a named array, in braces so a ^ or _ may follow: ``∇W(2)`` →
    ``{\\nabla W^{(2)}}``."""
    return "{" + _bare_symbol(name) + "}"


def _bare_symbol(name: str) -> str:
    if name in _FIXED:
        return _FIXED[name]
    m = _LAYERED.match(name)
    if m:
        grad, letter, k = m.groups()
        prefix = {"∇": r"\nabla ", "Δ": r"\Delta "}.get(grad, "")
        return prefix + f"{_BOLD[letter]}^{{({k})}}"
    if name.startswith("g'(a(") and name.endswith("))"):
        return rf"g'(\mathbf{{a}}^{{({name[5:-2]})}})"
    return rf"\mathrm{{{name}}}"


def fill(template: str, render: Callable[[str], str] = symbol) -> str:
    """Replace every ``⟨name⟩`` in ``template`` by ``render(name)``."""
    return PLACEHOLDER.sub(lambda m: render(m.group(1)), template)


def is_parameter(name: str) -> bool:
    """True for W(k), b(k), their gradients ∇ and their updates Δ: no batch axis."""
    return bool(re.match(r"^[∇Δ]?[Wb]\(\d+\)$", name))


@dataclass(frozen=True)
class Step:
    """One step of a trace: what a page renders when the user is at this step.

    phase: "forward" or "backward". kind: one of "linear", "activation", "output",
    "loss", "grad_output", "grad_W", "grad_b", "grad_h", "grad_a". layer: k (the
    layer the step belongs to; the loss and output steps belong to L+1).
    title: plain text, e.g. "∇W(2)". template: LaTeX with ⟨name⟩ placeholders.
    code: the numpy line that computes it in batch form (rows are examples).
    reads / writes: named float64 arrays. Batch arrays have shape (N, n); W(k) and
    ∇W(k) (n_k, n_{k-1}); b(k) and ∇b(k) (n_k,); y (N,) ints; L a 0-d array.
    """

    phase: str
    kind: str
    layer: int
    title: str
    template: str
    code: str
    reads: dict[str, np.ndarray] = field(default_factory=dict)
    writes: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def equation(self) -> str:
        """The step's equation in the notes' notation (LaTeX)."""
        return fill(self.template)

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the step reads, then everything it writes."""
        return {**self.reads, **self.writes}
