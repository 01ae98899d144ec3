"""Preset circuits with note 004's numbers, as plain data.

>>> c = CIRCUITS["xyz"]
>>> t = c.trace()
>>> t.output, [t.grad(v) for v in ("x", "y", "z")]
(-12.0, [-4.0, -4.0, 3.0])

Each :class:`Circuit` has a URL-friendly ``name``, a ``title``, the ``expression`` as a
student would type it, its ``values``, and a one-line ``description`` of what it teaches.
``names`` renames operation nodes by id (the notes' q, s0 … s3, L); ``code`` holds the
notes' forward and backward code for the one preset that has it, each line tagged with
the nodes whose step it computes, so :meth:`Circuit.code_lines` tells a page which line
to highlight at each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expression import format_values, parse_expression
from .graph import Graph, Trace


@dataclass(frozen=True)
class CodeLine:
    """One line of code. phase: the pass it belongs to ("forward" / "backward"); nodes:
    names of the nodes whose step in that pass it computes (empty for none)."""

    text: str
    phase: str
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Circuit:
    """A preset: see the module docstring. ``values`` maps each variable to its value."""

    name: str
    title: str
    expression: str
    values: dict[str, float]
    description: str
    names: dict[int, str] = field(default_factory=dict)
    code: tuple[CodeLine, ...] = ()

    @property
    def values_text(self) -> str:
        """The values as a link writes them: ``x=-2, y=5, z=-4``."""
        return format_values(self.values)

    def graph(self) -> Graph:
        return parse_expression(self.expression).with_names(self.names)

    def trace(self) -> Trace:
        return self.graph().trace(self.values)

    def code_lines(self, trace: Trace) -> tuple[int | None, ...]:
        """For each step of ``trace`` (0-based), the 0-based index in ``code`` of the line
        that computes it, or None (no code, or no line for that step)."""
        out = []
        for step in trace.steps:
            name = trace.graph.nodes[step.node].name
            out.append(
                next(
                    (
                        k
                        for k, line in enumerate(self.code)
                        if line.phase == step.phase and name in line.nodes
                    ),
                    None,
                )
            )
        return tuple(out)


_NEURON = dict(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)  # w = [2, −3, −3], x = [−1, −2]

# Note 004's code for the sigmoid neuron, line for line.
_NEURON_CODE = (
    CodeLine("def f(w0, x0, w1, x1, w2):", "forward", ("w0", "x0", "w1", "x1", "w2")),
    CodeLine("    s0 = w0 * x0", "forward", ("s0",)),
    CodeLine("    s1 = w1 * x1", "forward", ("s1",)),
    CodeLine("    s2 = s0 + s1", "forward", ("s2",)),
    CodeLine("    s3 = s2 + w2", "forward", ("s3",)),
    CodeLine("    L = sigmoid(s3)", "forward", ("L",)),
    CodeLine("grad_L = 1.0", "backward", ("L",)),
    CodeLine("grad_s3 = grad_L * (1 - L) * L", "backward", ("s3",)),
    CodeLine("grad_w2 = grad_s3", "backward", ("w2",)),
    CodeLine("grad_s2 = grad_s3", "backward", ("s2",)),
    CodeLine("grad_s0 = grad_s2", "backward", ("s0",)),
    CodeLine("grad_s1 = grad_s2", "backward", ("s1",)),
    CodeLine("grad_w1 = grad_s1 * x1", "backward", ("w1",)),
    CodeLine("grad_x1 = grad_s1 * w1", "backward", ("x1",)),
    CodeLine("grad_w0 = grad_s0 * x0", "backward", ("w0",)),
    CodeLine("grad_x0 = grad_s0 * w0", "backward", ("x0",)),
)

CIRCUITS: dict[str, Circuit] = {
    c.name: c
    for c in (
        Circuit(
            "xyz",
            "f = (x + y)·z",
            "(x + y) * z",
            dict(x=-2.0, y=5.0, z=-4.0),
            "The first circuit of note 004: q = x + y, f = q·z; the chain rule multiplies "
            "upstream by local gradient.",
            names={3: "q"},
        ),
        Circuit(
            "neuron_gates",
            "Sigmoid neuron, gate by gate",
            "1/(1 + exp(-(w0*x0 + w1*x1 + w2)))",
            dict(_NEURON),
            "f(w, x) = 1/(1 + e^−(w0·x0 + w1·x1 + w2)) built from the gates a·x, exp, "
            "c + x and 1/x, each with an easy local gradient.",
        ),
        Circuit(
            "neuron_sigmoid",
            "Sigmoid neuron, σ as one gate",
            "sigmoid(w0*x0 + w1*x1 + w2)",
            dict(_NEURON),
            "The same neuron with σ as one gate, local gradient (1 − σ)σ: a graph is not "
            "unique, and the gradients are the same.",
        ),
        Circuit(
            "add_gate",
            "Add gate: gradient distributor",
            "3 * (x + y)",
            dict(x=1.0, y=2.0),
            "An add gate passes its upstream gradient to every input unchanged.",
        ),
        Circuit(
            "mul_gate",
            "Mul gate: swap multiplier",
            "x * y",
            dict(x=3.0, y=-4.0),
            "A mul gate gives each input the upstream gradient times the other input.",
        ),
        Circuit(
            "copy_gate",
            "Copy gate: gradient adder",
            "x * x",
            dict(x=3.0),
            "A value used twice gets the sum of the gradients from its uses.",
        ),
        Circuit(
            "max_gate",
            "Max gate: gradient router",
            "2 * max(z, w)",
            dict(z=2.0, w=-1.0),
            "A max gate sends the whole upstream gradient to its larger input, zero to the other.",
        ),
        Circuit(
            "neuron_code",
            "Note 004's code: s0 … s3, L = sigmoid(s3)",
            "sigmoid(w0*x0 + w1*x1 + w2)",
            dict(_NEURON),
            "The forward and backward code of note 004, line by line beside its graph.",
            names={5: "s0", 6: "s1", 7: "s2", 8: "s3", 9: "L"},
            code=_NEURON_CODE,
        ),
    )
}
