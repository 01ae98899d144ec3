"""The expression reader: hostile input refused with one clear message and nothing run,
the notes' gates built from typed formulas, gradients of random typed formulas against
centred differences, and the values reader."""

import ast
import builtins
import math
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine.expression
from engine.expression import (
    MAX_CHARS,
    MAX_NODES,
    MAX_VARIABLES,
    ExpressionError,
    format_values,
    parse_expression,
    parse_values,
)

_real_compile = builtins.compile


def _compile_to_a_tree_only(source, filename, mode, flags=0, *args, **kwargs):
    assert flags & ast.PyCF_ONLY_AST, "compiled to code"
    return _real_compile(source, filename, mode, flags, *args, **kwargs)


def _forbidden(*args, **kwargs):
    raise AssertionError("eval or exec was called")


def parse_safely(text):
    """parse_expression with eval and exec forbidden and compile limited to syntax trees."""
    with (
        mock.patch.object(builtins, "eval", _forbidden),
        mock.patch.object(builtins, "exec", _forbidden),
        mock.patch.object(builtins, "compile", _compile_to_a_tree_only),
    ):
        return parse_expression(text)


def test_the_reader_never_calls_eval_exec_or_compile_itself():
    tree = ast.parse(Path(engine.expression.__file__).read_text())
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


# ---------------------------------------------------------------------------------------
# Hostile and malformed input: one ExpressionError, a clear message, nothing run

HOSTILE = [
    ("__import__('os')", r"Unknown function __import__: the functions are exp, log, sigmoid"),
    ("__import__('os').system('touch /tmp/pwned')", r"Attribute access \(\.system\)"),
    ("().__class__", r"Attribute access \(\.__class__\) is not allowed"),
    ("x.real", r"Attribute access \(\.real\)"),
    ("lambda: 1", r"Using lambda is not allowed"),
    ("import os", r"Imports are not allowed"),
    ("from os import system", r"Imports are not allowed"),
    ("x = 1", r"Assignments \(=\) are not allowed"),
    ("(x := 1)", r"Assignment \(:=\) is not allowed"),
    ("open('f')", r"Unknown function open"),
    ("foo(x)", r"Unknown function foo: the functions are exp, log, sigmoid \(or σ\), tanh"),
    ("exp(x)(y)", r"Only these functions can be called"),
    ("max(a=1, b=2)", r"Keyword arguments \(name=…\) are not allowed"),
    ("exp(*x)", r"Unpacking with \* is not allowed"),
    ("x[0]", r"Indexing with \[ \] is not allowed"),
    ("x < y", r"Comparing with <, > or == is not allowed"),
    ("x == y", r"Comparing with <, > or == is not allowed"),
    ("x and y", r"Using and / or is not allowed"),
    ("x if y else z", r"Using if … else is not allowed"),
    ("[x for x in y]", r"A comprehension is not allowed"),
    ("(x, y)", r"A list of values in parentheses is not allowed"),
    ("'abc'", r"Text in quotes is not allowed"),
    ("f'{x}'", r"Text in quotes is not allowed"),
    ("True + x", r"True is not a number"),
    ("1j * x", r"1j is not a number"),
    ("x % 2", r"The operator % is not allowed"),
    ("x // 2", r"The operator // is not allowed"),
    ("not x", r"The operator not is not allowed"),
    ("9**9**9", r"9\*\*9 is too large: numbers must stay within ±1,000,000"),
    ("x * 10**7", r"10\*\*7 is too large"),
    ("1e999 * x", r"The number 1e999 is beyond ±1,000,000"),
    ("x + 99999999999999999999999", r"is beyond ±1,000,000"),
    ("x**y", r"In x\*\*y the exponent must be a number, without variables"),
    ("2**x", r"exponent must be a number.*exp\(x\*log\(2\)\)"),
    ("x**(1 + y)", r"the exponent must be a number"),
    ("log(0)", r"log\(0\): log of 0 \(log needs a positive number\)"),
    ("x + log(-2)", r"log\(-2\): log of −2"),
    ("x / 0", r"x / 0 divides by zero"),
    ("x + 1/0", r"1/0: division by zero"),
    ("x + 0**-1", r"0\*\*-1: 0 to the power −1 is a division by zero"),
    ("x + (-8)**0.5", r"not a real number"),
    ("x + exp(100)", r"exp\(100\) = .* is beyond ±1,000,000"),
    ("exp", r"exp is a function: write exp\(…\)"),
    ("__class__", r"__class__ is not a variable name"),
    ("abcdefghijklmnopq", r"The name abcdefghijklmnopq is long: at most 16 characters"),
    ("3 + 4", r"The expression has no variables \(it is the number 7\)"),
    ("", r"Type an expression, for example \(x \+ y\) \* z"),
    ("   ", r"Type an expression"),
    ("x ∂ y", r"Unexpected character ‘∂’ at column 3"),
    ("x + λ", r"Unexpected character ‘λ’ at column 5"),
    ("\x00x", r"Unexpected character '\\x00' at column 1"),
    ("x\n+ y", r"Unexpected character '\\n' at column 2"),
    ("𝑥 + 1", r"Unexpected character ‘𝑥’ at column 1"),
    ("ｘ + 1", r"Unexpected character ‘ｘ’ at column 1"),
    ("x; y", r"Only one formula is allowed"),
    ("x +", r"Could not read the expression at column 4: the formula ends too soon"),
    ("(x + y", r"Could not read the expression at column 1: '\(' was never closed"),
    ("x + y)", r"Could not read the expression at column 6: unmatched '\)'"),
    ("x y", r"Could not read the expression at column 3: this is not a formula"),
    ("2x", r"column 1: a number runs into a name; write 2\*x"),
    ("max(x)", r"max takes 2 arguments, not 1"),
    ("exp(x, y)", r"exp takes one argument, not 2"),
    ("a" * 10_000, r"The expression is 10,000 characters long; at most 300 are allowed"),
    ("(" * 200 + "x" + ")" * 200, r"401 characters long; at most 300"),
    ("(" * 25 + "x" + ")" * 25, r"nested too deeply at column 21: at most 20 levels"),
    ("exp(" * 21 + "x" + ")" * 21, r"nested too deeply"),
]


@pytest.mark.parametrize("text, message", HOSTILE)
def test_hostile_input_is_refused_with_its_message(text, message, tmp_path):
    with pytest.raises(ExpressionError, match=message):
        parse_safely(text)


def test_a_refused_expression_runs_nothing(tmp_path):
    target = tmp_path / "pwned"
    for text in (
        f"__import__('os').system('touch {target}')",
        f"exp(__import__('os').system('touch {target}'))",
        f"[__import__('os').system('touch {target}') for _ in (1,)]",
    ):
        with pytest.raises(ExpressionError):
            parse_safely(text)
    assert not target.exists()


@pytest.mark.parametrize(
    "text, column",
    [("x +", 4), ("x y", 3), ("x + ∂", 5), ("x·y + (", 7), ("σ(x) ^ ^ 2", 8), ("foo(x)", 1)],
)
def test_columns_count_the_typed_characters_from_1(text, column):
    with pytest.raises(ExpressionError) as e:
        parse_safely(text)
    assert e.value.column == column


def test_syntax_tree_refusals_give_their_column():
    with pytest.raises(ExpressionError) as e:
        parse_safely("x + y.real")
    assert e.value.column == 5 and str(e.value).endswith("(column 5).")


def test_variable_and_node_limits():
    names = [f"v{k}" for k in range(MAX_VARIABLES + 1)]
    parse_safely(" + ".join(names[:-1]))
    with pytest.raises(ExpressionError, match="uses 13 variables; at most 12"):
        parse_safely(" + ".join(names))
    # x + x + … : one input and one + per extra term.
    parse_safely(" + ".join(["x"] * MAX_NODES))
    with pytest.raises(ExpressionError, match=f"graph of {MAX_NODES + 1} nodes; at most 60"):
        parse_safely(" + ".join(["x"] * (MAX_NODES + 1)))


def test_length_limit_is_inclusive():
    text = "x" + " " * (MAX_CHARS - 1)
    assert parse_safely(text).inputs == ("x",)
    with pytest.raises(ExpressionError, match="301 characters"):
        parse_safely(text + " ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_graph_or_one_clear_error(text):
    try:
        parse_safely(text)
    except ExpressionError as e:
        assert str(e) and "Traceback" not in str(e)


FORMULA_CHARACTERS = "xyz0123456789.+-*/^() ,e_σ×−·" + "explogsigmoidtanhrelumaxminabs"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=FORMULA_CHARACTERS, max_size=40))
def test_formula_like_text_is_a_graph_or_one_clear_error(text):
    try:
        graph = parse_safely(text)
    except ExpressionError as e:
        assert str(e)
        return
    assert 1 <= len(graph.inputs) <= MAX_VARIABLES and len(graph.nodes) <= MAX_NODES


# ---------------------------------------------------------------------------------------
# Errors at the given values name the node


@pytest.mark.parametrize(
    "text, values, message",
    [
        ("log(x - y)", "x=1, y=2",
         "log(x − y) at x = 1, y = 2: log of −1 (log needs a positive number)"),
        ("1/(x - x)", "x=3", "1/(x − x) at x = 3: division by zero"),
        # the inputs in order of first appearance in the whole expression
        ("y + x/(y - 2)", "x=1, y=2", "x/(y − 2) at y = 2, x = 1: division by zero"),
        ("exp(x)*y", "x=20, y=1",
         "exp(x) at x = 20: the value 4.85165e+08 is beyond the limit of ±1,000,000"),
        ("x**0.5", "x=-1", "x^0.5 at x = −1: −1 to the power 0.5 is not a real number"),
    ],
)  # fmt: skip
def test_undefined_at_the_values_names_the_node(text, values, message):
    graph = parse_safely(text)
    with pytest.raises(ExpressionError) as e:
        graph.trace(parse_values(values, graph.inputs))
    assert str(e.value) == message


# ---------------------------------------------------------------------------------------
# What typed formulas become


def test_the_gate_by_gate_neuron_uses_the_notes_gates():
    graph = parse_safely("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))")
    assert graph.inputs == ("w0", "x0", "w1", "x1", "w2")  # def f(w0, x0, w1, x1, w2)
    assert [n.label for n in graph.nodes[5:]] == ["×", "×", "+", "+", "−", "exp", "+1", "1/x"]


def test_a_variable_used_twice_is_one_node_with_two_uses():
    graph = parse_safely("x * x")
    assert graph.inputs == ("x",) and len(graph.nodes) == 2
    assert [(e.source, e.target) for e in graph.edges] == [(0, 1), (0, 1)]


def test_repeated_sub_expressions_are_not_merged():
    graph = parse_safely("exp(x) + exp(x)")
    assert [n.label for n in graph.nodes] == ["x", "exp", "exp", "+"]


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("σ(x)·y − 2^2", lambda x, y: _sigmoid(x) * y - 4),
        ("x × y ÷ 2", lambda x, y: x * y / 2),
        ("sigma(x) + sigmoid(y)", lambda x, y: _sigmoid(x) + _sigmoid(y)),
        ("-x**2", lambda x, y: -(x**2)),
        ("2*x*3 - 1/x + x/4 - 3/y", lambda x, y: 6 * x - 1 / x + x / 4 - 3 / y),
        ("max(0, x) + min(y, 1) + relu(-y) + abs(x - y) + tanh(x)",
         lambda x, y: max(0, x) + min(y, 1) + max(0, -y) + abs(x - y) + math.tanh(x)),
        ("exp(1) * log(y) - x ** -1", lambda x, y: math.e * math.log(y) - 1 / x),
        ("+x - -y", lambda x, y: x + y),
    ],
)  # fmt: skip
def test_typed_spellings_evaluate_like_python(typed, expected):
    x, y = 0.7, 1.9
    graph = parse_safely(typed)
    values = {k: {"x": x, "y": y}[k] for k in graph.inputs}
    assert graph.trace(values).output == pytest.approx(expected(x, y), rel=1e-12)


def test_constant_sub_expressions_are_folded():
    graph = parse_safely("x * (2 + 3) + 2**3")
    assert [(n.kind, n.label) for n in graph.nodes] == [("input", "x"), ("op", "×5"), ("op", "+8")]


# ---------------------------------------------------------------------------------------
# Random typed formulas: value, gradients against centred differences, round trip

UNARY = ("neg", "exp", "log", "sigmoid", "tanh", "relu", "abs")
BINARY = ("+", "-", "*", "/", "max", "min")


class Unsafe(Exception):
    pass


def _leaf():
    names = ["a", "b", "c"] * 2
    return st.sampled_from(names + ["0.5", "2", "3", "1"])


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(BINARY), children, children),
        st.tuples(st.sampled_from(UNARY), children),
        st.tuples(st.just("**"), children, st.sampled_from(["2", "3", "-1", "0.5", "(1 + 1)"])),
    )


TREES = st.recursive(_leaf(), _extend, max_leaves=8)
SPELLINGS = {"*": ["*", "×", "·"], "-": ["-", "−"], "**": ["**", "^"], "sigmoid": ["sigmoid", "σ"]}


def to_text(tree, choose):
    """The tree as a student might type it, fully parenthesised, spellings picked by
    ``choose(options)``."""
    if isinstance(tree, str):
        return tree
    op, *args = tree
    if op == "**":
        return f"({to_text(args[0], choose)}){choose(SPELLINGS['**'])}{args[1]}"
    texts = [to_text(a, choose) for a in args]
    if op == "neg":
        return f"{choose(SPELLINGS['-'])}({texts[0]})"
    if op in ("+", "-", "*", "/"):
        return f"({texts[0]}) {choose(SPELLINGS.get(op, [op]))} ({texts[1]})"
    name = choose(SPELLINGS.get(op, [op]))
    return f"{name}({', '.join(texts)})"


def evaluate(tree, env):
    """The tree's value by Python's math, refusing points near kinks and singularities."""
    if isinstance(tree, str):
        return env[tree] if tree in env else float(tree)
    op, *args = tree
    a = evaluate(args[0], env)
    b = evaluate(args[1], env) if op in BINARY else None
    c = eval_exponent(args[1]) if op == "**" else None
    if (op in ("relu", "abs") and abs(a) < 1e-2) or (op in ("max", "min") and abs(a - b) < 1e-2):
        raise Unsafe
    if (op == "/" and abs(b) < 0.1) or (op == "log" and a < 0.1) or (op == "exp" and a > 6):
        raise Unsafe
    if op == "**" and (abs(a) < 0.1 or (a < 0 and not float(c).is_integer())):
        raise Unsafe
    value = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "max": lambda: max(a, b),
        "min": lambda: min(a, b),
        "neg": lambda: -a,
        "exp": lambda: math.exp(a),
        "log": lambda: math.log(a),
        "sigmoid": lambda: 1 / (1 + math.exp(-a)),
        "tanh": lambda: math.tanh(a),
        "relu": lambda: max(0.0, a),
        "abs": lambda: abs(a),
        "**": lambda: a**c,
    }[op]()
    if abs(value) > 1e3:
        raise Unsafe
    return value


def eval_exponent(text):
    return 2.0 if text == "(1 + 1)" else float(text)


def _names(tree):
    if isinstance(tree, str):
        return {tree} if tree.isalpha() else set()
    return set().union(*(_names(t) for t in tree[1:]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    tree=TREES,
    env=st.fixed_dictionaries({v: st.floats(-3, 3) for v in "abc"}),
    data=st.data(),
)
def test_typed_formulas_have_the_gradients_of_centred_differences(tree, env, data):
    names = _names(tree)
    assume(names)
    h = 1e-6
    try:
        value = evaluate(tree, env)
        numeric = {}
        for n in names:
            plus, minus = dict(env, **{n: env[n] + h}), dict(env, **{n: env[n] - h})
            numeric[n] = (evaluate(tree, plus) - evaluate(tree, minus)) / (2 * h)
    except Unsafe:
        assume(False)
    text = to_text(tree, lambda options: data.draw(st.sampled_from(options)))
    try:
        graph = parse_safely(text)
    except ExpressionError as e:  # only the size limits may refuse a well-formed formula
        assert "at most" in str(e)
        assume(False)
    assert set(graph.inputs) == names
    try:
        trace = graph.trace({n: env[n] for n in graph.inputs})
    except ExpressionError:  # a gradient beyond ±1e6 is refused
        assume(False)
    assert trace.output == pytest.approx(value, rel=1e-12, abs=1e-12)
    for n in names:
        a = trace.grad(n)
        assert abs(a - numeric[n]) <= 1e-5 * max(1.0, abs(a), abs(numeric[n])), (text, n)
    # The graph's own text reads back to the same gates; constants print with 6
    # significant digits, so the value agrees to about that.
    again = parse_safely(graph.text)
    assert [(m.kind, m.op, m.parents) for m in again.nodes] == [
        (m.kind, m.op, m.parents) for m in graph.nodes
    ]
    assert again.trace({n: env[n] for n in again.inputs}).output == pytest.approx(
        value, rel=1e-5, abs=1e-5
    )


# ---------------------------------------------------------------------------------------
# Values


def test_parse_values_reads_the_link_form():
    assert parse_values("x=-2,y=5,z=-4", ("x", "y", "z")) == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert parse_values(" z = −4 ; x=-2, y = 5.0, ", ("x", "y", "z")) == {
        "x": -2.0,
        "y": 5.0,
        "z": -4.0,
    }
    assert list(parse_values("b=1, a=2e-3", ("a", "b"))) == ["a", "b"]
    assert parse_values("a=.5, b=+1e3", ("a", "b")) == {"a": 0.5, "b": 1000.0}


@pytest.mark.parametrize(
    "text, message",
    [
        ("x=1", r"Missing a value for y: give every variable a value"),
        ("", r"Missing a value for x and y"),
        ("x=1, y=2, z=3", r"Unknown variable z: the expression uses x and y"),
        ("x=abc, y=1", r"‘abc’ is not a number \(in ‘x=abc’\)"),
        ("x=nan, y=1", r"‘nan’ is not a number"),
        ("x=inf, y=1", r"‘inf’ is not a number"),
        ("x=1_000, y=1", r"‘1_000’ is not a number"),
        ("x=0x10, y=1", r"‘0x10’ is not a number"),
        ("x=, y=1", r"‘’ is not a number"),
        ("x=1e7, y=1", r"x = 10000000 is out of range: values must lie between −1,000,000"),
        ("x=1e999, y=1", r"out of range"),
        ("x=1, x=2, y=1", r"x is given twice"),
        ("x 1, y=2", r"Expected name=value, got ‘x 1’"),
        ("=1, y=2", r"Expected name=value"),
        ("__class__=1, y=2", r"‘__class__’ is not a variable name"),
        ("x=1, y=2" + " " * 300, r"at most 300 are allowed"),
    ],
)
def test_parse_values_refusals(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_values(text, ("x", "y"))


@given(
    st.dictionaries(
        st.sampled_from(["x", "y", "z", "w0", "x1"]),
        st.floats(-1e6, 1e6, allow_nan=False),
        min_size=1,
    )
)
def test_format_values_reads_back_exactly(values):
    assert parse_values(format_values(values), tuple(values)) == values
