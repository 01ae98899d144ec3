"""Scalar reverse-mode autodiff over a computational graph, one node at a time (note 004).

A :class:`Graph` is a tuple of :class:`Node` s in topological order (inputs first, then
constants, then operations, each after its parents; node ids are 0-based positions) and
the id of its output. Every operation in :data:`OPS` defines its forward value and its
local derivatives side by side, as in micrograd's ``engine.py``.

:meth:`Graph.trace` runs the forward pass and the backward pass and returns a
:class:`Trace`: every node's value and gradient, one :class:`NodeStep` per node and pass
(plain data a page renders one at a time), and a centred-difference check per input.

>>> b = GraphBuilder()
>>> x, y, z = b.input("x"), b.input("y"), b.input("z")
>>> g = b.build(b.op("mul", b.op("add", x, y), z)).with_names({3: "q"})
>>> t = g.trace({"x": -2, "y": 5, "z": -4})
>>> t.output, t.grad("x"), t.grad("y"), t.grad("z")
(-12.0, -4.0, -4.0, 3.0)

User input is bounded: every input, value and gradient must be finite with magnitude at
most :data:`LIMIT`; anything else raises :class:`ExpressionError` with a message that
names the node, e.g. ``log(x − y) at x = 1, y = 2: log of −1 (log needs a positive
number)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from .gradcheck import numerical_gradient

LIMIT = 1e6  # |value| and |gradient| bound for every node
PATTERNS = ("add distributes", "mul swaps", "copy adds", "max routes", "min routes")
# Floor of the relative error's denominator: a zero gradient against a centred difference
# of a few 1e-11 (rounding in f(x ± h)) must not read as a 100 % error.
TINY = 1e-6


class ExpressionError(ValueError):
    """Input a student gave that cannot be used; ``str(e)`` says why in plain words.

    ``column`` is the 1-based column in the typed expression for syntax errors, else None.
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


class _Undefined(Exception):
    """An operation is not defined at these inputs; ``args[0]`` says why, in words."""


# ---------------------------------------------------------------------------------------
# Numbers as people read them


def plain(v: float) -> str:
    """A number for plain text: integers exactly, others with 6 significant digits,
    with a real minus sign: ``-2.0`` → ``−2``, ``0.7310585786`` → ``0.731059``."""
    v = float(v)
    if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
        s = str(int(v))
    else:
        s = f"{v:.6g}"
    return s.replace("-", "−")


def tex_number(v: float) -> str:
    """A number for LaTeX, 4 significant digits: ``0.19661`` → ``0.1966``,
    ``2.5e7`` → ``2.5 \\times 10^{7}``."""
    v = float(v)
    s = f"{v:.4g}"
    if "e" in s:
        mantissa, power = s.split("e")
        s = rf"{mantissa} \times 10^{{{int(power)}}}"
    return "0" if s == "-0" else s


def _factor(v: float) -> str:
    """A number as a factor in LaTeX: in parentheses when negative."""
    s = tex_number(v)
    return f"({s})" if s.startswith("-") else s


def latex_symbol(name: str) -> str:
    """LaTeX for a node name: ``x`` → ``x``, ``w0`` → ``w_{0}``, ``s_3`` → ``s_{3}``,
    ``abc`` → ``\\mathrm{abc}``."""
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name) or re.fullmatch(r"([A-Za-z]+)_(\w+)", name)
    head, sub = (m.group(1), m.group(2)) if m else (name, None)
    head = head if len(head) == 1 else rf"\mathrm{{{head}}}"
    if sub is None:
        return head
    sub = sub.replace("_", r"\_")
    return f"{head}_{{{sub}}}"


# ---------------------------------------------------------------------------------------
# The operations: forward value and local derivatives side by side


def _div(a: float, b: float) -> float:
    if b == 0:
        raise _Undefined("division by zero")
    return a / b


def _log(a: float) -> float:
    if a <= 0:
        raise _Undefined(f"log of {plain(a)} (log needs a positive number)")
    return math.log(a)


def _exp(a: float) -> float:
    return math.exp(a) if a < 709.0 else math.inf  # past 709 a float overflows


def _sigmoid(a: float) -> float:
    e = math.exp(-abs(a))  # exp of a non-positive number only: never overflows
    return 1.0 / (1.0 + e) if a >= 0 else e / (1.0 + e)


def _pow(a: float, c: float) -> float:
    if a == 0 and c < 0:
        raise _Undefined(f"0 to the power {plain(c)} is a division by zero")
    if a < 0 and not float(c).is_integer():
        raise _Undefined(f"{plain(a)} to the power {plain(c)} is not a real number")
    if a != 0 and c * math.log10(abs(a)) > 300:  # would overflow: out of range anyway
        return math.inf
    return math.pow(a, c)


def _pow_local(a: float, c: float) -> float:
    if c == 0:
        return 0.0
    try:
        return c * _pow(a, c - 1)
    except _Undefined:  # e.g. x^0.5 at 0: the slope is infinite
        return math.inf


def _inv(a: float) -> float:
    if a == 0:
        raise _Undefined("division by zero")
    return 1.0 / a


@dataclass(frozen=True)
class Op:
    """One gate. ``forward(args, c)`` is its value and ``local(args, out, c)`` the tuple of
    ∂out/∂args[i]; ``c`` is the gate's constant (pow, c + x, a·x) or None.

    label: what a drawn node shows ({c} stands for the constant). tex: the definition in
    LaTeX with ⟨0⟩, ⟨1⟩ for the arguments (⟨(0)⟩: a number in parentheses when negative,
    ⟨[0]⟩: a number in parentheses always),
    ⟨c⟩ for the constant. rules: ∂out/∂args[i] in LaTeX, may use ⟨out⟩ and ⟨c-1⟩.
    text: the definition in plain text ({0}, {1}, {c}). pattern: the gate pattern of note
    004 its inputs see, or None.
    """

    label: str
    arity: int
    forward: Callable[[tuple[float, ...], float | None], float]
    local: Callable[[tuple[float, ...], float, float | None], tuple[float, ...]]
    tex: str
    rules: tuple[str, ...]
    text: str
    pattern: str | None = None
    has_c: bool = False


OPS: dict[str, Op] = {
    "add": Op(
        "+", 2,
        lambda a, c: a[0] + a[1],
        lambda a, out, c: (1.0, 1.0),
        "⟨(0)⟩ + ⟨(1)⟩", ("1", "1"), "{0} + {1}", "add distributes",
    ),
    "sub": Op(
        "−", 2,
        lambda a, c: a[0] - a[1],
        lambda a, out, c: (1.0, -1.0),
        "⟨(0)⟩ - ⟨(1)⟩", ("1", "-1"), "{0} − {1}",
    ),
    "neg": Op(
        "−", 1,
        lambda a, c: -a[0],
        lambda a, out, c: (-1.0,),
        "-⟨[0]⟩", ("-1",), "−{0}",
    ),
    "mul": Op(
        "×", 2,
        lambda a, c: a[0] * a[1],
        lambda a, out, c: (a[1], a[0]),
        r"⟨(0)⟩ \cdot ⟨(1)⟩", ("⟨1⟩", "⟨0⟩"), "{0}·{1}", "mul swaps",
    ),
    "div": Op(
        "÷", 2,
        lambda a, c: _div(a[0], a[1]),
        lambda a, out, c: (1.0 / a[1], -a[0] / a[1] ** 2),
        r"\frac{⟨0⟩}{⟨1⟩}", (r"\frac{1}{⟨1⟩}", r"-\frac{⟨0⟩}{⟨1⟩^{2}}"), "{0}/{1}",
    ),
    "pow": Op(
        "^{c}", 1,
        lambda a, c: _pow(a[0], c),
        lambda a, out, c: (_pow_local(a[0], c),),
        "⟨(0)⟩^{⟨c⟩}", (r"⟨c⟩\,⟨0⟩^{⟨c-1⟩}",), "{0}^{c}", None, True,
    ),
    "exp": Op(
        "exp", 1,
        lambda a, c: _exp(a[0]),
        lambda a, out, c: (out,),
        "e^{⟨0⟩}", ("e^{⟨0⟩}",), "exp({0})",
    ),
    "log": Op(
        "log", 1,
        lambda a, c: _log(a[0]),
        lambda a, out, c: (1.0 / a[0],),
        r"\log(⟨0⟩)", (r"\frac{1}{⟨0⟩}",), "log({0})",
    ),
    "sigmoid": Op(
        "σ", 1,
        lambda a, c: _sigmoid(a[0]),
        lambda a, out, c: ((1.0 - out) * out,),
        r"\sigma(⟨0⟩)", (r"(1 - ⟨out⟩)\,⟨out⟩",), "σ({0})",
    ),
    "tanh": Op(
        "tanh", 1,
        lambda a, c: math.tanh(a[0]),
        lambda a, out, c: (1.0 - out * out,),
        r"\tanh(⟨0⟩)", (r"1 - ⟨out⟩^{2}",), "tanh({0})",
    ),
    "relu": Op(
        "ReLU", 1,
        lambda a, c: max(0.0, a[0]),
        lambda a, out, c: (1.0 if a[0] > 0 else 0.0,),
        r"\max(0, ⟨0⟩)", (r"\mathbf{1}[⟨0⟩ > 0]",), "relu({0})",
    ),
    "max": Op(
        "max", 2,
        lambda a, c: max(a[0], a[1]),
        lambda a, out, c: (1.0, 0.0) if a[0] >= a[1] else (0.0, 1.0),
        r"\max(⟨0⟩, ⟨1⟩)", (r"\mathbf{1}[⟨0⟩ \ge ⟨1⟩]", r"\mathbf{1}[⟨1⟩ > ⟨0⟩]"),
        "max({0}, {1})", "max routes",
    ),
    "min": Op(
        "min", 2,
        lambda a, c: min(a[0], a[1]),
        lambda a, out, c: (1.0, 0.0) if a[0] <= a[1] else (0.0, 1.0),
        r"\min(⟨0⟩, ⟨1⟩)", (r"\mathbf{1}[⟨0⟩ \le ⟨1⟩]", r"\mathbf{1}[⟨1⟩ < ⟨0⟩]"),
        "min({0}, {1})", "min routes",
    ),
    "abs": Op(
        "abs", 1,
        lambda a, c: abs(a[0]),
        lambda a, out, c: (float(np.sign(a[0])),),
        r"\lvert ⟨0⟩ \rvert", (r"\operatorname{sign}(⟨0⟩)",), "abs({0})",
    ),
    "inv": Op(
        "1/x", 1,
        lambda a, c: _inv(a[0]),
        lambda a, out, c: (-1.0 / a[0] ** 2,),
        r"\frac{1}{⟨0⟩}", (r"-\frac{1}{⟨0⟩^{2}}",), "1/{0}",
    ),
    "addc": Op(
        "+{c}", 1,
        lambda a, c: a[0] + c,
        lambda a, out, c: (1.0,),
        "⟨(0)⟩ + ⟨(c)⟩", ("1",), "{0} + {c}", None, True,
    ),
    "mulc": Op(
        "×{c}", 1,
        lambda a, c: c * a[0],
        lambda a, out, c: (c,),
        r"⟨(c)⟩ \cdot ⟨(0)⟩", ("⟨c⟩",), "{c}·{0}", None, True,
    ),
}  # fmt: skip

# Precedence of a node's plain text, to decide parentheses: sums 1, products 2, a leading
# minus 3, powers 4, names, numbers and function calls 5.
_PRECEDENCE = {"add": 1, "sub": 1, "addc": 1, "mul": 2, "div": 2, "mulc": 2, "inv": 2}
_PRECEDENCE |= {"neg": 3, "pow": 4}


def _fill(template: str, subs: Mapping[str, str]) -> str:
    """Replace ⟨k⟩, ⟨(k)⟩ and ⟨[k]⟩ by the symbol subs[k]: symbols need no parentheses."""
    return re.sub(r"⟨[(\[]?([^⟩()\[\]]+)[)\]]?⟩", lambda m: subs[m.group(1)], template)


def _fill_numbers(template: str, numbers: Mapping[str, float]) -> str:
    """Replace ⟨k⟩ by the number numbers[k], ⟨(k)⟩ by it in parentheses if negative and
    ⟨[k]⟩ by it in parentheses always."""

    def one(m: re.Match) -> str:
        key = m.group(1)
        if key.startswith("("):
            return _factor(numbers[key[1:-1]])
        if key.startswith("["):
            return f"({tex_number(numbers[key[1:-1]])})"
        return tex_number(numbers[key])

    return re.sub(r"⟨([^⟩]+)⟩", one, template)


# ---------------------------------------------------------------------------------------
# The graph as plain data


@dataclass(frozen=True)
class Node:
    """One node. id: 0-based position in topological order. kind: "input", "constant" or
    "op". op: a key of :data:`OPS`, or "input" / "constant". label: what a drawn node
    shows ("x", "3", "+", "×", "σ", "exp", "1/x", "+1", "×(−1)", "^2"). name: plain-text
    name ("x", "w0", "q1", "f"; a constant's is its number). symbol: the name in LaTeX.
    parents: ids of its arguments, in order (an id twice for x·x). const: the constant c of
    pow / addc / mulc, or a constant node's value, else None. text: the sub-expression it
    computes in plain text, e.g. "log(x − y)".
    """

    id: int
    kind: str
    op: str
    label: str
    name: str
    symbol: str
    parents: tuple[int, ...]
    const: float | None
    text: str


@dataclass(frozen=True)
class Edge:
    """An arrow from node ``source`` into argument ``position`` (0-based) of ``target``."""

    source: int
    target: int
    position: int


@dataclass(frozen=True)
class Term:
    """One use of a node in the backward pass: upstream × local = product.

    consumer: id of the node that uses it, as argument ``position``. upstream: ∂out/∂consumer.
    local: ∂consumer/∂node. rule: that local derivative in LaTeX (e.g. ∂f/∂q = z).
    pattern: the consumer's gate pattern, or None.
    """

    consumer: int
    position: int
    upstream: float
    local: float
    product: float
    rule: str
    pattern: str | None


@dataclass(frozen=True)
class NodeStep:
    """One step of a trace. Steps are 0-based positions in ``Trace.steps``: counting from 1
    is the page's business.

    phase: "forward" (the node's value) or "backward" (its gradient ∂out/∂node). node: its
    id. title: plain text, e.g. "q = x + y" or "∂f/∂x". rule: LaTeX, the definition (forward)
    or the local derivative(s) (backward). equation: LaTeX with the numbers. pattern: one of
    :data:`PATTERNS` or None ("copy adds" when the node has several uses). value: the
    node's value (forward) or gradient (backward). terms: backward only, one per use, in
    the order the sum is written. values / grads: what is known after this step, by node
    id (None: not yet known; constants never get a gradient).
    """

    phase: str
    node: int
    title: str
    rule: str
    equation: str
    pattern: str | None
    value: float
    terms: tuple[Term, ...]
    values: tuple[float | None, ...]
    grads: tuple[float | None, ...]


@dataclass(frozen=True)
class GradCheck:
    """An input's analytic gradient against the centred difference
    (f(x + h) − f(x − h)) / 2h; relative_error = |a − n| / max(|a|, |n|, TINY).
    numeric (and the error) is nan when x ± h leaves the function's domain."""

    name: str
    analytic: float
    numeric: float
    relative_error: float


@dataclass(frozen=True)
class Trace:
    """A graph's forward and backward pass at given input values.

    values: every node's value by id. grads: ∂out/∂node by id (None for constants).
    steps: the forward steps in node order (inputs and constants first), then the backward
    steps from the output on. checks: one per input, in ``graph.inputs`` order.
    """

    graph: Graph
    values: tuple[float, ...]
    grads: tuple[float | None, ...]
    steps: tuple[NodeStep, ...]
    checks: tuple[GradCheck, ...]

    @property
    def output(self) -> float:
        return self.values[self.graph.output]

    def grad(self, name: str) -> float:
        """∂out/∂(input ``name``)."""
        return self.grads[self.graph.input_ids[self.graph.inputs.index(name)]]


@dataclass(frozen=True)
class Graph:
    """Nodes in topological order (inputs, constants, then operations) and the output id."""

    nodes: tuple[Node, ...]
    output: int

    @property
    def inputs(self) -> tuple[str, ...]:
        """Input names in order of first appearance."""
        return tuple(n.name for n in self.nodes if n.kind == "input")

    @property
    def input_ids(self) -> tuple[int, ...]:
        return tuple(n.id for n in self.nodes if n.kind == "input")

    @property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(Edge(p, n.id, i) for n in self.nodes for i, p in enumerate(n.parents))

    @property
    def text(self) -> str:
        """The whole expression in plain text (parses back to the same graph)."""
        return self.nodes[self.output].text

    def with_names(self, names: Mapping[int, str]) -> Graph:
        """The same graph with operation nodes renamed, e.g. ``{3: "q"}`` or s0 … s3, L."""
        taken = {n.name for n in self.nodes if n.id not in names and n.kind != "constant"}
        nodes = list(self.nodes)
        for i, name in names.items():
            if self.nodes[i].kind != "op" or not re.fullmatch(r"[A-Za-z]\w*", name):
                raise ValueError(f"cannot name node {i} {name!r}")
            if name in taken:
                raise ValueError(f"the name {name!r} is already used")
            taken.add(name)
            nodes[i] = replace(nodes[i], name=name, symbol=latex_symbol(name))
        return replace(self, nodes=tuple(nodes))

    # -- the passes ----------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, float]) -> tuple[float, ...]:
        """Every node's value (forward pass). Raises ExpressionError for a missing or
        unknown input, a value out of range or an operation undefined at these values."""
        check_values(values, self.inputs)
        out: list[float] = []
        for n in self.nodes:
            if n.kind == "input":
                v = float(values[n.name])
            elif n.kind == "constant":
                v = float(n.const)
            else:
                try:
                    v = OPS[n.op].forward(tuple(out[p] for p in n.parents), n.const)
                except _Undefined as e:
                    raise ExpressionError(f"{self._where(n.id, out)}: {e.args[0]}") from None
                except ArithmeticError:  # an overflow: out of range like inf
                    v = math.inf
            if not (math.isfinite(v) and abs(v) <= LIMIT):
                raise ExpressionError(
                    f"{self._where(n.id, out)}: the value {plain(v)} is beyond the limit "
                    f"of ±{LIMIT:,.0f}"
                )
            out.append(v)
        return tuple(out)

    def gradients(self, values: tuple[float, ...]) -> tuple[float, ...]:
        """∂out/∂node for every node (backward pass), given every node's value."""
        locals_ = self._locals(values)
        grads = [0.0] * len(self.nodes)
        grads[self.output] = 1.0
        for n in reversed(self.nodes):
            for i, p in enumerate(n.parents):
                grads[p] += grads[n.id] * locals_[n.id][i]
        for n in self.nodes:
            g = grads[n.id]
            if n.kind != "constant" and not (math.isfinite(g) and abs(g) <= LIMIT):
                out = self.nodes[self.output].name
                given = ", ".join(
                    f"{self.nodes[i].name} = {plain(values[i])}" for i in self.input_ids
                )
                raise ExpressionError(
                    f"The gradient ∂{out}/∂{n.name} at {given} is {plain(g)}, beyond the "
                    f"limit of ±{LIMIT:,.0f}"
                )
        return tuple(grads)

    def trace(self, values: Mapping[str, float], h: float = 1e-5) -> Trace:
        """Forward and backward pass with one step per node each, and gradient checks."""
        vals = self.evaluate(values)
        grads = self.gradients(vals)
        steps = [self._forward_step(n, vals) for n in self.nodes]
        known: list[float | None] = [None] * len(self.nodes)
        locals_ = self._locals(vals)
        for i in self.backward_order():
            known[i] = grads[i]
            steps.append(self._backward_step(i, vals, grads, locals_, tuple(known)))
        shown = tuple(None if n.kind == "constant" else grads[n.id] for n in self.nodes)
        checks = self._checks(vals, shown, h)
        return Trace(self, vals, shown, tuple(steps), checks)

    def backward_order(self) -> tuple[int, ...]:
        """Ids in the order the backward pass shows them, as in note 004's code: the
        output, then, going through the operations from last to first, the arguments whose
        gradient that operation completes (all their uses done): inputs first, then
        operations, each in argument order. For L = σ(s3), s3 = s2 + w2, s2 = s0 + s1, …:
        L, s3, w2, s2, s0, s1, w1, x1, w0, x0. Constants get no step."""
        pending = [0] * len(self.nodes)
        for n in self.nodes:
            for p in set(n.parents):
                pending[p] += 1
        order = [self.output]
        for n in reversed(self.nodes):
            if n.kind != "op":
                continue
            complete = []
            for p in dict.fromkeys(n.parents):
                pending[p] -= 1
                if pending[p] == 0 and self.nodes[p].kind != "constant":
                    complete.append(p)
            order += sorted(complete, key=lambda p: self.nodes[p].kind != "input")
        return tuple(order)

    # -- helpers -------------------------------------------------------------------------

    def _locals(self, values: tuple[float, ...]) -> list[tuple[float, ...]]:
        out = []
        for n in self.nodes:
            if n.kind != "op":
                out.append(())
                continue
            args = tuple(values[p] for p in n.parents)
            try:
                local = OPS[n.op].local(args, values[n.id], n.const)
            except ArithmeticError:  # -a/b² with b² underflowing to 0, say
                local = (math.inf,)
            if not all(math.isfinite(d) for d in local):
                raise ExpressionError(
                    f"{self._where(n.id, values)}: the slope of {n.text} is infinite "
                    "there, so its gradient is not defined"
                )
            out.append(tuple(float(d) for d in local))
        return out

    def _where(self, node: int, values) -> str:
        """'log(x − y) at x = 1, y = 2': the node's text and the inputs it depends on."""
        seen, stack = set(), [node]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.nodes[i].parents)
        given = ", ".join(
            f"{self.nodes[i].name} = {plain(values[i])}" for i in self.input_ids if i in seen
        )
        return f"{self.nodes[node].text} at {given}" if given else self.nodes[node].text

    def _subs(self, n: Node) -> dict[str, str]:
        subs = {str(i): self.nodes[p].symbol for i, p in enumerate(n.parents)}
        subs["out"] = n.symbol
        if n.const is not None:
            subs["c"], subs["c-1"] = tex_number(n.const), tex_number(n.const - 1)
        return subs

    def _forward_step(self, n: Node, vals: tuple[float, ...]) -> NodeStep:
        v = vals[n.id]
        known = tuple(vals[: n.id + 1]) + (None,) * (len(self.nodes) - n.id - 1)
        grads = (None,) * len(self.nodes)
        if n.kind == "input":
            title = f"input {n.name} = {plain(v)}"
            rule = rf"{n.symbol} \text{{ is an input}}"
            eq = f"{n.symbol} = {tex_number(v)}"
        elif n.kind == "constant":
            title, rule, eq = f"constant {n.name}", r"\text{a constant}", tex_number(v)
        else:
            op = OPS[n.op]
            args = [self.nodes[p] for p in n.parents]
            definition = _fill(op.tex, self._subs(n))
            numbers = {str(i): vals[p] for i, p in enumerate(n.parents)}
            if n.const is not None:
                numbers["c"] = n.const
            with_numbers = _fill_numbers(op.tex, numbers)
            text = op.text.format(*(a.name for a in args), c=_plain_c(n.const))
            title = f"{n.name} = {text}"
            rule = f"{n.symbol} = {definition}"
            eq = f"{rule} = {with_numbers} = {tex_number(v)}"
        return NodeStep("forward", n.id, title, rule, eq, None, v, (), known, grads)

    def _backward_step(self, i, vals, grads, locals_, known) -> NodeStep:
        n, out = self.nodes[i], self.nodes[self.output]
        d_out = lambda s: rf"\frac{{\partial {out.symbol}}}{{\partial {s}}}"  # noqa: E731
        if i == self.output:
            rule = f"{d_out(n.symbol)} = 1"
            return NodeStep(
                "backward", i, f"∂{out.name}/∂{n.name} = 1", rule, rule, None, 1.0, (),
                vals, known,
            )  # fmt: skip
        terms = []
        for c in reversed(self.nodes):
            for pos, p in enumerate(c.parents):
                if p != i:
                    continue
                local = locals_[c.id][pos]
                rule = _fill(OPS[c.op].rules[pos], self._subs(c))
                rule = rf"\frac{{\partial {c.symbol}}}{{\partial {n.symbol}}} = {rule}"
                terms.append(
                    Term(c.id, pos, grads[c.id], local, grads[c.id] * local, rule,
                         OPS[c.op].pattern)
                )  # fmt: skip
        g = grads[i]
        rules = ",\\quad ".join(dict.fromkeys(t.rule for t in terms))
        if len(terms) == 1:
            (t,) = terms
            c = self.nodes[t.consumer]
            chain = rf"{d_out(c.symbol)}\,\frac{{\partial {c.symbol}}}{{\partial {n.symbol}}}"
            eq = (
                rf"{d_out(n.symbol)} = {chain} = \underbrace{{{tex_number(t.upstream)}}}"
                rf"_{{\text{{upstream}}}} \times \underbrace{{{tex_number(t.local)}}}"
                rf"_{{\text{{local}}}} = {tex_number(g)}"
            )
            pattern = t.pattern
        else:
            parts = " + ".join(
                rf"\underbrace{{{_factor(t.upstream)} \times {_factor(t.local)}}}"
                rf"_{{\text{{via }} {self.nodes[t.consumer].symbol}}}"
                for t in terms
            )
            products = " + ".join(_factor(t.product) for t in terms)
            eq = rf"{d_out(n.symbol)} = {parts} = {products} = {tex_number(g)}"
            pattern = "copy adds"
        title = f"∂{out.name}/∂{n.name} = {plain(g)}"
        return NodeStep("backward", i, title, rules, eq, pattern, g, tuple(terms), vals, known)

    def _raw_output(self, x: np.ndarray) -> float:
        """The output at input values ``x`` (in ``inputs`` order), nan where undefined,
        without range checks: the centred difference steps just beside the given point."""
        vals: list[float] = []
        xs = iter(x)
        for n in self.nodes:
            if n.kind == "input":
                vals.append(float(next(xs)))
            elif n.kind == "constant":
                vals.append(float(n.const))
            else:
                try:
                    vals.append(OPS[n.op].forward(tuple(vals[p] for p in n.parents), n.const))
                except (_Undefined, ArithmeticError):
                    return math.nan
        return vals[self.output]

    def _checks(self, vals, grads, h: float) -> tuple[GradCheck, ...]:
        x = np.array([vals[i] for i in self.input_ids], dtype=np.float64)
        numeric = numerical_gradient(self._raw_output, x, h=h)
        checks = []
        for k, i in enumerate(self.input_ids):
            a, num = grads[i], float(numeric[k])
            err = abs(a - num) / max(abs(a), abs(num), TINY) if math.isfinite(num) else math.nan
            checks.append(GradCheck(self.nodes[i].name, a, num, err))
        return tuple(checks)


def _plain_c(c: float | None) -> str:
    """The constant of a gate in plain text, in parentheses when negative."""
    if c is None:
        return ""
    return f"({plain(c)})" if c < 0 else plain(c)


def check_values(values: Mapping[str, float], inputs: tuple[str, ...]) -> None:
    """Raise ExpressionError unless ``values`` gives exactly ``inputs``, each a finite
    number within ±LIMIT."""
    missing = [k for k in inputs if k not in values]
    if missing:
        raise ExpressionError(
            f"Missing a value for {_and(missing)}: give every variable a value, "
            f"e.g. {', '.join(f'{k}=1' for k in inputs)}."
        )
    unknown = [k for k in values if k not in inputs]
    if unknown:
        raise ExpressionError(
            f"Unknown variable {_and(unknown)}: the expression uses {_and(list(inputs))}."
        )
    for k in inputs:
        v = values[k]
        if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
            raise ExpressionError(f"The value of {k} is not a number.")
        if not (math.isfinite(v) and abs(v) <= LIMIT):
            raise ExpressionError(
                f"{k} = {plain(v)} is out of range: values must lie between "
                f"−{LIMIT:,.0f} and {LIMIT:,.0f}."
            )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# ---------------------------------------------------------------------------------------
# Building a graph


class GraphBuilder:
    """Collects nodes, then :meth:`build` numbers them in topological order.

    ``input(name)`` returns the same id for the same name (a variable used twice is one
    node with two uses); ``constant(v)`` and ``op(name, *parents, c=None)`` make a new node
    each. Ids returned here are provisional: use them only as arguments to ``op`` and
    ``build``.
    """

    def __init__(self) -> None:
        self._nodes: list[tuple[str, str, tuple[int, ...], float | None]] = []
        self._inputs: dict[str, int] = {}

    def input(self, name: str) -> int:
        if name not in self._inputs:
            self._inputs[name] = self._add("input", name, (), None)
        return self._inputs[name]

    def constant(self, value: float) -> int:
        return self._add("constant", "constant", (), float(value))

    def op(self, op: str, *parents: int, c: float | None = None) -> int:
        spec = OPS[op]
        if len(parents) != spec.arity or (c is not None) != spec.has_c:
            needs_c = "and a constant c" if spec.has_c else "and no c"
            raise ValueError(f"{op} takes {spec.arity} argument(s) {needs_c}")
        if any(not 0 <= p < len(self._nodes) for p in parents):
            raise ValueError("unknown parent")
        return self._add("op", op, tuple(parents), None if c is None else float(c))

    def _add(self, kind, op, parents, const) -> int:
        self._nodes.append((kind, op, parents, const))
        return len(self._nodes) - 1

    def build(self, output: int) -> Graph:
        """The graph of the nodes ``output`` depends on: inputs, then constants, then
        operations, each group in creation order. Operations are named q1, q2, … and the
        output f (skipping names the inputs use)."""
        reachable, stack = set(), [output]
        while stack:
            i = stack.pop()
            if i not in reachable:
                reachable.add(i)
                stack.extend(self._nodes[i][2])
        order = [
            i
            for kind in ("input", "constant", "op")
            for i, node in enumerate(self._nodes)
            if node[0] == kind and i in reachable
        ]
        new = {old: k for k, old in enumerate(order)}
        taken = {self._nodes[i][1] for i in order if self._nodes[i][0] == "input"}
        names = _fresh_names(taken)
        nodes: list[Node] = []
        for k, old in enumerate(order):
            kind, op, parents, const = self._nodes[old]
            parents = tuple(new[p] for p in parents)
            if kind == "input":
                name, label = op, op
                op = "input"
            elif kind == "constant":
                name = label = plain(const)
            else:
                name = _first_free("f", taken) if old == output else next(names)
                taken.add(name)
                label = OPS[op].label.format(c=_plain_c(const))
            symbol = tex_number(const) if kind == "constant" else latex_symbol(name)
            text = _node_text(kind, op, name, const, [nodes[p] for p in parents])
            nodes.append(Node(k, kind, op, label, name, symbol, parents, const, text))
        return Graph(tuple(nodes), new[output])


def _first_free(name: str, taken: set[str]) -> str:
    k, free = 0, name
    while free in taken:
        k += 1
        free = f"{name}{k}"
    return free


def _fresh_names(taken: set[str]):
    k = 1
    while True:
        if f"q{k}" not in taken:
            yield f"q{k}"
        k += 1


def _precedence(node: Node) -> int:
    if node.kind == "constant":
        return 3 if node.const < 0 else 5
    return _PRECEDENCE.get(node.op, 5)


def _node_text(kind: str, op: str, name: str, const, args: list[Node]) -> str:
    """Plain text of a node's sub-expression, with the parentheses it needs to parse back
    to the same tree."""
    if kind != "op":
        return name
    mine = _PRECEDENCE.get(op, 5)
    texts = []
    for i, a in enumerate(args):
        p = _precedence(a)
        if op == "pow":
            ok = p == 5
        elif op == "neg":
            ok = p >= 4
        elif mine == 5:  # a function call: its argument is in parentheses already
            ok = True
        elif i == 0 and op not in ("mulc", "inv"):  # the left operand
            ok = p >= mine
        else:  # a right operand: a + (b + c), a·(−b)
            ok = p > mine and p != 3
        texts.append(a.text if ok else f"({a.text})")
    if op == "addc" and const < 0:
        return f"{texts[0]} − {plain(-const)}"
    if op == "mulc":
        return f"{plain(const)}·{texts[0]}"
    return OPS[op].text.format(*texts, c=_plain_c(const))
