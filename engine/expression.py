"""A safe reader for the formulas a student types, and for their variables' values.

:func:`parse_expression` turns text such as ``(x + y) * z`` or
``1/(1 + exp(-(w0*x0 + w1*x1 + w2)))`` into a :class:`~engine.graph.Graph`. It reads the
text with Python's ``ast`` module only (never eval, exec or compile to code) and accepts a
whitelist: numbers, variable names, + − × ÷, powers by a constant, unary minus, and the
functions in :data:`FUNCTIONS`. ``×``, ``·``, ``−``, ``÷``, ``^`` and ``σ`` are read as
``*``, ``*``, ``-``, ``/``, ``**`` and ``sigmoid``. Sub-expressions without variables are
folded into one constant, with bounds checked before each power is computed (``9**9**9``
is refused at ``9**9``).

How the notes' gates come out: ``c + e`` and ``e ± c`` become the gate c + x, ``c * e``
the gate a·x, ``1 / e`` the gate 1/x, ``e ** c`` the gate x^c, ``-e`` the gate −x;
a variable used twice is one node with two uses (so "copy adds" shows); repeated
sub-expressions are not merged.

:func:`parse_values` reads ``x=-2, y=5, z=-4`` (as in a link ``?values=x=-2,y=5,z=-4``)
and :func:`format_values` writes it back. Every rejection raises
:class:`~engine.graph.ExpressionError` with one message in plain words (and, for the
expression, the 1-based ``column`` where it applies).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence

from .graph import LIMIT, OPS, ExpressionError, Graph, GraphBuilder, _Undefined, check_values, plain

__all__ = [
    "FUNCTIONS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_VARIABLES",
    "ExpressionError",
    "format_values",
    "parse_expression",
    "parse_values",
]

MAX_CHARS = 300  # of the expression, and of the values text
MAX_NODES = 60  # nodes of the graph, inputs and constants included
MAX_VARIABLES = 12
MAX_DEPTH = 20  # levels of parentheses (function calls included)
MAX_NAME = 16  # characters of a variable name

# Function names a student may call → (operation, number of arguments).
FUNCTIONS: dict[str, tuple[str, int]] = {
    "exp": ("exp", 1),
    "log": ("log", 1),
    "sigmoid": ("sigmoid", 1),
    "sigma": ("sigmoid", 1),
    "tanh": ("tanh", 1),
    "relu": ("relu", 1),
    "abs": ("abs", 1),
    "max": ("max", 2),
    "min": ("min", 2),
}
_ALLOWED = "exp, log, sigmoid (or σ), tanh, relu, abs, max and min"
_SPELLINGS = {"−": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/", "^": "**", "σ": "sigmoid"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_OTHER_OPERATORS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
# What each kind of Python syntax is called in a message, for syntax outside the whitelist.
_FORBIDDEN = {
    ast.Attribute: "Attribute access",
    ast.Lambda: "Using lambda",
    ast.Subscript: "Indexing with [ ]",
    ast.Compare: "Comparing with <, > or ==",
    ast.BoolOp: "Using and / or",
    ast.IfExp: "Using if … else",
    ast.NamedExpr: "Assignment (:=)",
    ast.Tuple: "A list of values in parentheses",
    ast.List: "A list [ ]",
    ast.Set: "A set { }",
    ast.Dict: "A dictionary { }",
    ast.ListComp: "A comprehension",
    ast.SetComp: "A comprehension",
    ast.DictComp: "A comprehension",
    ast.GeneratorExp: "A comprehension",
    ast.JoinedStr: "Text in quotes",
    ast.Starred: "Unpacking with *",
    ast.Await: "Using await",
    ast.Yield: "Using yield",
    ast.YieldFrom: "Using yield",
    ast.Slice: "A slice",
}


class _Const:
    """A sub-expression without variables, folded to its value; src is its typed text."""

    def __init__(self, value: float, src: str):
        self.value, self.src = value, src


def parse_expression(text: str) -> Graph:
    """The graph of ``text`` (nothing is evaluated but constant sub-expressions).

    Raises ExpressionError: empty or longer than MAX_CHARS, a character outside the
    formula alphabet, parentheses deeper than MAX_DEPTH, a syntax error (with its column),
    anything outside the whitelist (attribute access, lambda, imports, calls of other
    functions, keyword arguments, indexing, comparisons, text, …), a power whose exponent
    has variables, a constant out of ±LIMIT or undefined (``log(0)``, ``1/0``), more than
    MAX_VARIABLES variables or MAX_NODES nodes, or no variable at all.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("Type an expression, for example (x + y) * z.")
    if len(text) > MAX_CHARS:
        raise ExpressionError(
            f"The expression is {len(text):,} characters long; at most {MAX_CHARS} are allowed."
        )
    source, where = _normalise(text)
    for i, ch in enumerate(source):
        if not (32 <= ord(ch) < 127):
            shown = repr(ch) if ord(ch) < 32 else f"‘{ch}’"
            raise ExpressionError(
                f"Unexpected character {shown} at column {where[i] + 1}: use numbers, "
                f"names, + − * / ^, parentheses and the functions {_ALLOWED}.",
                where[i] + 1,
            )
    depth = 0
    for i, ch in enumerate(source):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"The expression is nested too deeply at column {where[i] + 1}: at most "
                f"{MAX_DEPTH} levels of parentheses are allowed.",
                where[i] + 1,
            )
    tree = _parse(source, where, text)
    reader = _Reader(text, source, where)
    top = reader.emit(tree.body)
    if isinstance(top, _Const):
        raise ExpressionError(
            f"The expression has no variables (it is the number {plain(top.value)}): "
            "use a name such as x for something to differentiate by."
        )
    graph = reader.builder.build(top)
    if len(graph.inputs) > MAX_VARIABLES:
        raise ExpressionError(
            f"The expression uses {len(graph.inputs)} variables; at most {MAX_VARIABLES} "
            "are allowed."
        )
    if len(graph.nodes) > MAX_NODES:
        raise ExpressionError(
            f"The expression makes a graph of {len(graph.nodes)} nodes; at most "
            f"{MAX_NODES} are allowed."
        )
    return graph


def _normalise(text: str) -> tuple[str, list[int]]:
    """The text with ×, ·, −, ÷, ^, σ spelled the Python way, and for each of its
    characters the 0-based index of the typed character it comes from."""
    out, where = [], []
    for i, ch in enumerate(text):
        spelled = _SPELLINGS.get(ch, ch)
        out.append(spelled)
        where.extend([i] * len(spelled))
    return "".join(out), where


def _parse(source: str, where: list[int], text: str) -> ast.Expression:
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as e:
        try:  # a statement (import os, x = 1) is valid Python but not an expression
            statements = ast.parse(source, mode="exec").body
        except SyntaxError:
            statements = []
        for s in statements:
            if isinstance(s, ast.Import | ast.ImportFrom):
                raise ExpressionError("Imports are not allowed: type a formula.", 1) from None
            if isinstance(s, ast.Assign | ast.AugAssign | ast.AnnAssign):
                raise ExpressionError(
                    "Assignments (=) are not allowed: type only the formula, and give "
                    "the values separately (x=-2, y=5).",
                    1,
                ) from None
        if len(statements) > 1:
            raise ExpressionError("Only one formula is allowed, not several.", 1) from None
        why = (e.msg or "invalid syntax").rstrip(".")
        if not e.offset or e.offset > len(source):  # the parser ran out of text
            column = len(text) + 1
            if why.startswith("invalid syntax"):
                why = "the formula ends too soon"
        else:
            column = where[e.offset - 1] + 1
        if "decimal literal" in why:
            why = "a number runs into a name; write 2*x for 2 times x"
        elif why.startswith("invalid syntax"):
            why = "this is not a formula"
        raise ExpressionError(
            f"Could not read the expression at column {column}: {why}.", column
        ) from None


class _Reader:
    """Walks the syntax tree, refusing anything outside the whitelist, folding constants
    and adding the gates to a GraphBuilder."""

    def __init__(self, text: str, source: str, where: list[int]):
        self.text, self.source, self.where = text, source, where
        self.builder = GraphBuilder()

    def column(self, node: ast.AST) -> int:
        return self.where[node.col_offset] + 1

    def src(self, node: ast.AST) -> str:
        start = self.where[node.col_offset]
        end = self.where[node.end_col_offset - 1] + 1
        return self.text[start:end]

    def fail(self, message: str, node: ast.AST):
        raise ExpressionError(f"{message} (column {self.column(node)}).", self.column(node))

    def emit(self, node: ast.AST) -> _Const | int:
        """A folded constant, or the (provisional) id of the node computing ``node``."""
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.emit(node.operand)
            if not isinstance(node.op, ast.USub):
                word = "not" if isinstance(node.op, ast.Not) else "~"
                self.fail(f"The operator {word} is not allowed: use + − * / and ^", node)
            return self.gate("neg", node, [self.emit(node.operand)])
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        for kind, what in _FORBIDDEN.items():
            if isinstance(node, kind):
                extra = f" (.{node.attr})" if isinstance(node, ast.Attribute) else ""
                self.fail(f"{what}{extra} is not allowed in a formula", node)
        self.fail("This is not allowed in a formula", node)

    def number(self, node: ast.Constant) -> _Const:
        v = node.value
        if isinstance(v, str):
            self.fail("Text in quotes is not allowed: only numbers and names", node)
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(f"{self.src(node)} is not a number a formula can use", node)
        if isinstance(v, int) and abs(v) > LIMIT:  # an int of any size: compare, no float()
            self.fail(f"The number {self.src(node)} is beyond ±{LIMIT:,.0f}", node)
        v = float(v)
        if not (math.isfinite(v) and abs(v) <= LIMIT):
            self.fail(f"The number {self.src(node)} is beyond ±{LIMIT:,.0f}", node)
        return _Const(v, self.src(node))

    def name(self, node: ast.Name) -> int:
        name = node.id
        if name in FUNCTIONS:
            self.fail(f"{name} is a function: write {name}(…) with its argument", node)
        if not _NAME.fullmatch(name):
            self.fail(
                f"{name} is not a variable name: names start with a letter and use "
                "letters, digits and _",
                node,
            )
        if len(name) > MAX_NAME:
            self.fail(f"The name {name} is long: at most {MAX_NAME} characters", node)
        return self.builder.input(name)

    def binary(self, node: ast.BinOp) -> _Const | int:
        kind = type(node.op)
        if kind not in _OPERATORS:
            symbol = _OTHER_OPERATORS.get(kind, "?")
            self.fail(f"The operator {symbol} is not allowed: use + − * / and ^", node)
        op = _OPERATORS[kind]
        left = self.emit(node.left)
        if op == "pow":
            right = self.emit(node.right)
            if not isinstance(right, _Const):
                hint = " (for 2^x write exp(x*log(2)))" if isinstance(left, _Const) else ""
                self.fail(
                    f"In {self.src(node)} the exponent must be a number, without variables{hint}",
                    node,
                )
            if isinstance(left, _Const):
                return self.fold("pow", node, [left], right.value)
            return self.builder.op("pow", left, c=right.value)
        right = self.emit(node.right)
        consts = [isinstance(a, _Const) for a in (left, right)]
        if all(consts):
            return self.fold(op, node, [left, right])
        b = self.builder
        if op == "add" and any(consts):
            c, e = (left, right) if consts[0] else (right, left)
            return b.op("addc", e, c=c.value)
        if op == "sub" and consts[1]:
            return b.op("addc", left, c=-right.value)
        if op == "mul" and any(consts):
            c, e = (left, right) if consts[0] else (right, left)
            return b.op("mulc", e, c=c.value)
        if op == "div" and consts[1] and right.value == 0:
            self.fail(f"{self.src(node)} divides by zero", node)
        if op == "div" and consts[0] and left.value == 1:
            return b.op("inv", right)
        return b.op(
            op, *(b.constant(a.value) if isinstance(a, _Const) else a for a in (left, right))
        )

    def call(self, node: ast.Call) -> _Const | int:
        f = node.func
        if isinstance(f, ast.Attribute):
            self.fail(f"Attribute access (.{f.attr}) is not allowed in a formula", f)
        if not isinstance(f, ast.Name):
            self.fail(f"Only these functions can be called: {_ALLOWED}", node)
        if f.id not in FUNCTIONS:
            self.fail(f"Unknown function {f.id}: the functions are {_ALLOWED}", f)
        op, arity = FUNCTIONS[f.id]
        if node.keywords:
            self.fail(f"Keyword arguments (name=…) are not allowed: write {f.id}(…)", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            self.fail("Unpacking with * is not allowed in a formula", node)
        if len(node.args) != arity:
            count = "one argument" if arity == 1 else f"{arity} arguments"
            self.fail(f"{f.id} takes {count}, not {len(node.args)}", node)
        return self.gate(op, node, [self.emit(a) for a in node.args])

    def gate(self, op: str, node: ast.AST, args: list) -> _Const | int:
        """The gate ``op`` on ``args``, folded when every argument is a constant."""
        if all(isinstance(a, _Const) for a in args):
            return self.fold(op, node, args)
        b = self.builder
        return b.op(op, *(b.constant(a.value) if isinstance(a, _Const) else a for a in args))

    def fold(self, op: str, node: ast.AST, args: list[_Const], c: float | None = None):
        """The constant value of ``op`` on constants, refused when undefined or beyond
        ±LIMIT; powers are bounded before they are computed."""
        values = tuple(a.value for a in args)
        if op == "pow" and values[0] != 0 and c * math.log10(abs(values[0])) > math.log10(LIMIT):
            self.fail(
                f"{self.src(node)} is too large: numbers must stay within ±{LIMIT:,.0f}", node
            )
        try:
            v = OPS[op].forward(values, c)
        except _Undefined as e:
            self.fail(f"{self.src(node)}: {e.args[0]}", node)
        except ArithmeticError:  # an overflow: beyond the limit like inf
            v = math.inf
        if not (math.isfinite(v) and abs(v) <= LIMIT):
            self.fail(
                f"{self.src(node)} = {plain(v)} is beyond ±{LIMIT:,.0f}: numbers must stay "
                "within it",
                node,
            )
        return _Const(v, self.src(node))


# ---------------------------------------------------------------------------------------
# Values

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_values(text: str, variables: Sequence[str]) -> dict[str, float]:
    """``"x=-2, y=5, z=-4"`` → ``{"x": -2.0, "y": 5.0, "z": -4.0}``, in ``variables`` order.

    Pairs are separated by commas or semicolons; ``−`` reads as ``-``. Raises
    ExpressionError for text longer than MAX_CHARS, a pair that is not name=number, a
    value that is not a plain decimal number, a variable given twice, a missing or unknown
    variable, or a value beyond ±LIMIT.
    """
    if not isinstance(text, str):
        raise ExpressionError("The values must be text such as x=-2, y=5.")
    if len(text) > MAX_CHARS:
        raise ExpressionError(
            f"The values are {len(text):,} characters long; at most {MAX_CHARS} are allowed."
        )
    values: dict[str, float] = {}
    for item in re.split(r"[,;]", text.replace("−", "-")):
        if not item.strip():
            continue
        name, eq, number = (part.strip() for part in item.partition("="))
        if not eq or not name:
            raise ExpressionError(f"Expected name=value, got ‘{item.strip()}’ (e.g. x=-2).")
        if not _NAME.fullmatch(name):
            raise ExpressionError(f"‘{name}’ is not a variable name (in ‘{item.strip()}’).")
        if not _NUMBER.fullmatch(number):
            raise ExpressionError(
                f"‘{number}’ is not a number (in ‘{item.strip()}’): write e.g. {name}=-2.5."
            )
        if name in values:
            raise ExpressionError(f"{name} is given twice.")
        values[name] = float(number)
    check_values(values, tuple(variables))
    return {k: values[k] for k in variables}


def format_values(values: Mapping[str, float]) -> str:
    """``{"x": -2.0, "y": 5.0}`` → ``"x=-2, y=5"``: what :func:`parse_values` reads
    (integers without a decimal point, other numbers with 17 significant digits at most)."""
    return ", ".join(f"{k}={_number(v)}" for k, v in values.items())


def _number(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)
