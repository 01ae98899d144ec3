"""The scalar autodiff graph: each gate's local derivative, gradients on random graphs
against centred differences of an independent evaluator, the trace's steps, gate patterns,
bounds and plain data."""

import dataclasses
import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.graph import (
    LIMIT,
    OPS,
    PATTERNS,
    ExpressionError,
    GraphBuilder,
    latex_symbol,
    plain,
    tex_number,
)

# ---------------------------------------------------------------------------------------
# Each gate on its own


def _sample_args(name):
    """Points away from each gate's kinks and singularities."""
    if name in ("log", "pow"):
        return [(0.7,), (2.3,)]
    if OPS[name].arity == 2:
        return [(1.5, -0.4), (-2.0, 0.8), (0.3, 2.5)]
    return [(-1.3,), (0.6,), (2.2,)]


@pytest.mark.parametrize("name", list(OPS))
def test_each_gate_local_derivative_matches_centred_differences(name):
    op, h = OPS[name], 1e-6
    c = {"pow": 2.5, "addc": -3.0, "mulc": -1.5}.get(name)
    for args in _sample_args(name):
        out = op.forward(args, c)
        local = op.local(args, out, c)
        assert len(local) == op.arity
        for i in range(op.arity):
            plus = list(args)
            minus = list(args)
            plus[i] += h
            minus[i] -= h
            numeric = (op.forward(tuple(plus), c) - op.forward(tuple(minus), c)) / (2 * h)
            assert local[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8), (name, args, i)


@pytest.mark.parametrize(
    "name, args, c, value",
    [
        ("add", (2.0, -5.0), None, -3.0),
        ("sub", (2.0, -5.0), None, 7.0),
        ("neg", (2.0,), None, -2.0),
        ("mul", (3.0, -4.0), None, -12.0),
        ("div", (3.0, -4.0), None, -0.75),
        ("pow", (3.0,), 2.0, 9.0),
        ("exp", (1.0,), None, math.e),
        ("log", (math.e,), None, 1.0),
        ("sigmoid", (0.0,), None, 0.5),
        ("sigmoid", (-800.0,), None, 0.0),
        ("sigmoid", (800.0,), None, 1.0),
        ("tanh", (0.0,), None, 0.0),
        ("relu", (-2.0,), None, 0.0),
        ("max", (2.0, -1.0), None, 2.0),
        ("min", (2.0, -1.0), None, -1.0),
        ("abs", (-2.5,), None, 2.5),
        ("inv", (4.0,), None, 0.25),
        ("addc", (0.3678794411714424,), 1.0, 1.3678794411714423),
        ("mulc", (1.0,), -1.0, -1.0),
    ],
)
def test_gate_values(name, args, c, value):
    assert OPS[name].forward(args, c) == pytest.approx(value, abs=1e-15)


def test_the_notes_local_gradients():
    """Note 004: d e^x = e^x, d(ax) = a, d(1/x) = −1/x², d(c + x) = 1, dσ = (1 − σ)σ."""
    x = 1.7
    assert OPS["exp"].local((x,), math.exp(x), None) == (math.exp(x),)
    assert OPS["mulc"].local((x,), -x, -1.0) == (-1.0,)
    assert OPS["inv"].local((x,), 1 / x, None) == (-1 / x**2,)
    assert OPS["addc"].local((x,), x + 1, 1.0) == (1.0,)
    s = 1 / (1 + math.exp(-x))
    assert OPS["sigmoid"].local((x,), s, None)[0] == pytest.approx((1 - s) * s, rel=1e-15)


# ---------------------------------------------------------------------------------------
# Random graphs against an independent evaluator

VARIABLES = ("a", "b", "c")
UNARY = ("neg", "exp", "log", "sigmoid", "tanh", "relu", "abs", "inv")
BINARY = ("add", "sub", "mul", "div", "max", "min")


class Unsafe(Exception):
    """Too close to a kink or a singularity, or too large, for a finite difference."""


def _leaves():
    variables = [("var", n) for n in VARIABLES]
    return st.sampled_from(variables * 2 + [("const", v) for v in (0.5, 1.0, 2.0, -1.5)])


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(BINARY), children, children),
        st.tuples(st.sampled_from(UNARY), children),
        st.tuples(st.just("pow"), children, st.sampled_from([2.0, 3.0, -1.0, 0.5, 1.5])),
        st.tuples(st.sampled_from(["addc", "mulc"]), children, st.sampled_from([1.0, -2.0])),
    )


TREES = st.recursive(_leaves(), _extend, max_leaves=8)
VALUES = st.fixed_dictionaries({v: st.floats(-3, 3) for v in VARIABLES})


def evaluate(tree, env):
    """The tree's value with Python's math, refusing points where a centred difference
    would straddle a kink or a singularity."""
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return tree[1]
    a = evaluate(tree[1], env)
    if kind in BINARY:
        b = evaluate(tree[2], env)
    if kind in ("pow", "addc", "mulc"):
        c = tree[2]
    if kind in ("relu", "abs") and abs(a) < 1e-2:
        raise Unsafe
    if kind in ("max", "min") and abs(a - b) < 1e-2:
        raise Unsafe
    if (kind == "div" and abs(b) < 0.1) or (kind in ("inv", "log") and abs(a) < 0.1):
        raise Unsafe
    if kind == "pow" and (abs(a) < 0.1 or (a < 0 and not c.is_integer())):
        raise Unsafe
    if (kind == "log" and a <= 0) or (kind == "exp" and a > 6):
        raise Unsafe
    value = {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "max": lambda: max(a, b),
        "min": lambda: min(a, b),
        "neg": lambda: -a,
        "exp": lambda: math.exp(a),
        "log": lambda: math.log(a),
        "sigmoid": lambda: 1 / (1 + math.exp(-a)),
        "tanh": lambda: math.tanh(a),
        "relu": lambda: max(a, 0.0),
        "abs": lambda: abs(a),
        "inv": lambda: 1 / a,
        "pow": lambda: a**c,
        "addc": lambda: a + c,
        "mulc": lambda: c * a,
    }[kind]()
    if abs(value) > 1e3:
        raise Unsafe
    return value


def build(tree, b=None):
    """The tree as a graph, through GraphBuilder (no parser involved)."""
    top = b is None
    b = b or GraphBuilder()
    kind = tree[0]
    if kind == "var":
        node = b.input(tree[1])
    elif kind == "const":
        node = b.constant(tree[1])
    elif kind in ("pow", "addc", "mulc"):
        node = b.op(kind, build(tree[1], b), c=tree[2])
    else:
        node = b.op(kind, *(build(t, b) for t in tree[1:]))
    return b.build(node) if top else node


def _variables(tree):
    if tree[0] == "var":
        return {tree[1]}
    return set().union(*(_variables(t) for t in tree[1:] if isinstance(t, tuple)))


def _centred(tree, env, name, h=1e-6):
    plus, minus = dict(env), dict(env)
    plus[name] += h
    minus[name] -= h
    return (evaluate(tree, plus) - evaluate(tree, minus)) / (2 * h)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tree=TREES, env=VALUES)
def test_gradients_of_random_graphs_match_centred_differences(tree, env):
    names = _variables(tree)
    assume(names)
    try:
        value = evaluate(tree, env)
        numeric = {n: _centred(tree, env, n) for n in names}
    except Unsafe:
        assume(False)
    graph = build(tree)
    values = {n: env[n] for n in graph.inputs}
    try:
        trace = graph.trace(values)
    except ExpressionError:  # a gradient beyond ±LIMIT: refused, as it should be
        assume(False)
    assert trace.output == pytest.approx(value, rel=1e-12, abs=1e-12)
    for n in names:
        a = trace.grad(n)
        assert abs(a - numeric[n]) <= 1e-5 * max(1.0, abs(a), abs(numeric[n])), (n, a, numeric)
    for check in trace.checks:
        assert check.analytic == trace.grad(check.name)
        a, n = check.analytic, check.numeric
        assert check.relative_error == pytest.approx(abs(a - n) / max(abs(a), abs(n), 1e-6))
        assert abs(a - n) <= 1e-4 * max(1.0, abs(a), abs(n))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tree=TREES, env=VALUES)
def test_trace_steps_on_random_graphs(tree, env):
    assume(_variables(tree))
    graph = build(tree)
    try:
        trace = graph.trace({n: env[n] for n in graph.inputs})
    except ExpressionError:
        assume(False)
    n_nodes = len(graph.nodes)
    forward = [s for s in trace.steps if s.phase == "forward"]
    backward = [s for s in trace.steps if s.phase == "backward"]
    assert [s.phase for s in trace.steps] == ["forward"] * len(forward) + ["backward"] * len(
        backward
    )
    # Forward: every node once, in topological order, inputs and constants first.
    assert [s.node for s in forward] == list(range(n_nodes))
    kinds = [graph.nodes[s.node].kind for s in forward]
    assert kinds == sorted(kinds, key=["input", "constant", "op"].index)
    for n in graph.nodes:
        assert all(p < n.id for p in n.parents)
    for k, s in enumerate(forward):
        assert s.value == trace.values[s.node]
        assert s.values == trace.values[: k + 1] + (None,) * (n_nodes - k - 1)
        assert s.grads == (None,) * n_nodes
    # Backward: every node but the constants once, the output first with gradient 1.
    assert sorted(s.node for s in backward) == [n.id for n in graph.nodes if n.kind != "constant"]
    assert backward[0].node == graph.output and backward[0].value == 1.0
    done = set()
    for s in backward:
        users = {n.id for n in graph.nodes if s.node in n.parents}
        assert users <= done  # every use is counted before the node is shown
        done.add(s.node)
        assert s.value == trace.grads[s.node]
        assert s.grads == tuple(trace.grads[i] if i in done else None for i in range(n_nodes))
        assert s.values == trace.values
        uses = sum(n.parents.count(s.node) for n in graph.nodes)
        assert len(s.terms) == uses
        assert s.value == pytest.approx(sum(t.product for t in s.terms) if uses else 1.0)
        for t in s.terms:
            assert t.upstream == trace.grads[t.consumer]
            assert graph.nodes[t.consumer].parents[t.position] == s.node
            assert t.product == t.upstream * t.local
        assert (s.pattern == "copy adds") == (uses > 1)
        assert s.pattern is None or s.pattern in PATTERNS
    for s in trace.steps:
        for tex in (s.rule, s.equation):
            assert tex.count("{") == tex.count("}") and "⟨" not in tex


# ---------------------------------------------------------------------------------------
# Note 004's circuit and the gate patterns, built without the parser


def xyz():
    b = GraphBuilder()
    x, y, z = b.input("x"), b.input("y"), b.input("z")
    return b.build(b.op("mul", b.op("add", x, y), z)).with_names({3: "q"})


def test_xyz_circuit_numbers_from_the_notes():
    # q = x + y = 3, f = q z = −12; ∂f/∂q = z = −4, ∂f/∂z = q = 3, ∂f/∂x = ∂f/∂y = −4 · 1.
    trace = xyz().trace({"x": -2, "y": 5, "z": -4})
    assert trace.values == (-2.0, 5.0, -4.0, 3.0, -12.0)
    assert trace.grads == (-4.0, -4.0, 3.0, -4.0, 1.0)
    assert [trace.graph.nodes[s.node].name for s in trace.steps] == list("xyzqf") + list("fzqxy")


def test_xyz_step_content():
    trace = xyz().trace({"x": -2, "y": 5, "z": -4})
    q_forward = trace.steps[3]
    assert q_forward.title == "q = x + y"
    assert q_forward.rule == "q = x + y"
    assert q_forward.equation == "q = x + y = (-2) + 5 = 3"
    dx = next(s for s in trace.steps if s.phase == "backward" and s.node == 0)
    assert dx.title == "∂f/∂x = −4"
    assert dx.rule == r"\frac{\partial q}{\partial x} = 1"
    assert r"\underbrace{-4}_{\text{upstream}}" in dx.equation
    assert r"\underbrace{1}_{\text{local}}" in dx.equation
    assert dx.equation.endswith("= -4")
    assert dx.pattern == "add distributes"
    dz = next(s for s in trace.steps if s.phase == "backward" and s.node == 2)
    assert dz.rule == r"\frac{\partial f}{\partial z} = q"
    assert dz.pattern == "mul swaps"


def test_copy_adds_x_times_x():
    b = GraphBuilder()
    x = b.input("x")
    graph = b.build(b.op("mul", x, x))
    assert [n.kind for n in graph.nodes] == ["input", "op"]  # one node for x, used twice
    assert [(e.source, e.target, e.position) for e in graph.edges] == [(0, 1, 0), (0, 1, 1)]
    trace = graph.trace({"x": 3})
    assert trace.output == 9.0 and trace.grad("x") == 6.0  # d(x²)/dx = 2x
    step = trace.steps[-1]
    assert step.node == 0 and step.pattern == "copy adds"
    assert [(t.upstream, t.local, t.product) for t in step.terms] == [(1, 3, 3), (1, 3, 3)]
    assert step.equation.count(r"\underbrace{1 \times 3}") == 2
    assert "= 3 + 3 = 6" in step.equation


def test_copy_adds_over_different_gates():
    b = GraphBuilder()
    x, y = b.input("x"), b.input("y")
    graph = b.build(b.op("add", b.op("mul", x, y), b.op("exp", x)))
    trace = graph.trace({"x": 0.5, "y": 2})
    assert trace.grad("x") == pytest.approx(2 + math.exp(0.5), rel=1e-15)
    step = next(s for s in trace.steps if s.phase == "backward" and s.node == 0)
    assert sorted(t.product for t in step.terms) == pytest.approx(sorted([2, math.exp(0.5)]))
    assert {t.pattern for t in step.terms} == {"mul swaps", None}
    assert step.pattern == "copy adds"


@pytest.mark.parametrize("z, w", [(2.0, -1.0), (-1.0, 2.0), (3.0, 3.5)])
def test_max_routes_to_the_larger_input(z, w):
    b = GraphBuilder()
    zi, wi = b.input("z"), b.input("w")
    trace = b.build(b.op("mulc", b.op("max", zi, wi), c=2.0)).trace({"z": z, "w": w})
    larger, smaller = ("z", "w") if z > w else ("w", "z")
    assert trace.grad(larger) == 2.0 and trace.grad(smaller) == 0.0
    for name in ("z", "w"):
        step = next(
            s for s in trace.steps if s.phase == "backward" and s.title.startswith(f"∂f/∂{name}")
        )
        assert step.pattern == "max routes"


def test_min_routes_to_the_smaller_input():
    b = GraphBuilder()
    trace = b.build(b.op("min", b.input("u"), b.input("v"))).trace({"u": 1.0, "v": -4.0})
    assert (trace.grad("u"), trace.grad("v")) == (0.0, 1.0)


def test_constants_have_no_gradient_step():
    b = GraphBuilder()
    x = b.input("x")
    graph = b.build(b.op("max", b.constant(0.0), x))
    trace = graph.trace({"x": 1.5})
    assert [n.kind for n in graph.nodes] == ["input", "constant", "op"]
    assert trace.grads[1] is None
    assert [s.node for s in trace.steps if s.phase == "backward"] == [2, 0]
    assert trace.steps[1].equation == "0"


def test_a_bare_input_is_its_own_output():
    b = GraphBuilder()
    trace = b.build(b.input("x")).trace({"x": 2.0})
    assert [(s.phase, s.value) for s in trace.steps] == [("forward", 2.0), ("backward", 1.0)]


# ---------------------------------------------------------------------------------------
# Bounds: every value and gradient finite within ±LIMIT, errors naming the node


def _graph(op, *names, c=None):
    b = GraphBuilder()
    return b.build(b.op(op, *(b.input(n) for n in names), c=c))


def test_log_of_a_non_positive_number_names_the_node():
    b = GraphBuilder()
    x, y = b.input("x"), b.input("y")
    graph = b.build(b.op("log", b.op("sub", x, y)))
    with pytest.raises(ExpressionError) as e:
        graph.trace({"x": 1, "y": 2})
    assert str(e.value) == "log(x − y) at x = 1, y = 2: log of −1 (log needs a positive number)"


@pytest.mark.parametrize(
    "graph, values, message",
    [
        (_graph("div", "x", "y"), {"x": 1, "y": 0}, "x/y at x = 1, y = 0: division by zero"),
        (_graph("inv", "x"), {"x": 0}, "1/x at x = 0: division by zero"),
        (_graph("exp", "x"), {"x": 20}, r"exp\(x\) at x = 20: the value 4.85165e\+08 is beyond"),
        (_graph("mul", "x", "y"), {"x": 1e6, "y": 2}, r"x·y at x = 1000000, y = 2: the value"),
        (_graph("pow", "x", c=0.5), {"x": -4}, "x\\^0.5 at x = −4: .* not a real number"),
        (_graph("pow", "x", c=0.5), {"x": 0}, "slope of x\\^0.5 is infinite"),
        (_graph("pow", "x", c=-2.0), {"x": 0}, "division by zero"),
        (_graph("pow", "x", c=2.0), {"x": 1e6}, "beyond the limit"),
        (_graph("inv", "x"), {"x": 1e-4}, "The gradient ∂f/∂x at x = 0.0001 is −100000000, beyond"),
        (_graph("div", "x", "y"), {"x": 0, "y": 1e-200}, "slope of x/y is infinite"),
        (_graph("mul", "x", "y"), {"x": 1}, "Missing a value for y"),
        (_graph("mul", "x", "y"), {"x": 1, "y": 2, "z": 3}, "Unknown variable z"),
        (_graph("exp", "x"), {"x": float("nan")}, "out of range"),
        (_graph("exp", "x"), {"x": float("inf")}, "out of range"),
        (_graph("exp", "x"), {"x": -1e6 - 1}, "out of range"),
        (_graph("exp", "x"), {"x": "1"}, "not a number"),
    ],
)
def test_out_of_range_or_undefined_is_refused(graph, values, message):
    with pytest.raises(ExpressionError, match=message):
        graph.trace(values)


def test_values_at_the_limit_are_accepted():
    trace = _graph("mulc", "x", c=-1.0).trace({"x": LIMIT})
    assert trace.output == -LIMIT


def test_gradient_check_is_nan_where_the_difference_leaves_the_domain():
    trace = _graph("log", "x").trace({"x": 1e-6}, h=1e-5)
    (check,) = trace.checks
    assert check.analytic == pytest.approx(1e6)
    assert math.isnan(check.numeric) and math.isnan(check.relative_error)


# ---------------------------------------------------------------------------------------
# Plain data, names and numbers


def test_trace_is_plain_data():
    trace = xyz().trace({"x": -2, "y": 5, "z": -4})
    data = json.loads(json.dumps(dataclasses.asdict(trace)))
    assert [n["label"] for n in data["graph"]["nodes"]] == ["x", "y", "z", "+", "×"]
    assert [n["kind"] for n in data["graph"]["nodes"]] == ["input"] * 3 + ["op"] * 2
    assert len(data["steps"]) == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.steps[0].value = 1.0


def test_labels_of_constant_gates():
    b = GraphBuilder()
    x = b.input("x")
    nodes = [b.op("addc", x, c=1.0), b.op("mulc", x, c=-1.0), b.op("pow", x, c=2.0)]
    nodes.append(b.op("inv", x))
    graph = b.build(b.op("add", b.op("add", nodes[0], nodes[1]), b.op("add", nodes[2], nodes[3])))
    assert [n.label for n in graph.nodes[1:5]] == ["+1", "×(−1)", "^2", "1/x"]
    assert graph.text == "x + 1 + −1·x + (x^2 + 1/x)"


def test_with_names_refuses_clashes():
    with pytest.raises(ValueError):
        xyz().with_names({3: "x"})
    with pytest.raises(ValueError):
        xyz().with_names({0: "q"})  # inputs keep their names


def test_default_names_avoid_the_inputs():
    b = GraphBuilder()
    f, q1 = b.input("f"), b.input("q1")
    graph = b.build(b.op("mul", b.op("add", f, q1), f))
    assert [n.name for n in graph.nodes] == ["f", "q1", "q2", "f1"]


@pytest.mark.parametrize(
    "name, tex",
    [("x", "x"), ("w0", "w_{0}"), ("s_3", "s_{3}"), ("abc", r"\mathrm{abc}"), ("q12", "q_{12}")],
)
def test_latex_symbol(name, tex):
    assert latex_symbol(name) == tex


@pytest.mark.parametrize(
    "v, text, tex",
    [
        (-2.0, "−2", "-2"),
        (0.7310585786300049, "0.731059", "0.7311"),
        (-0.19661193324148185, "−0.196612", "-0.1966"),
        (2.5e7, "25000000", r"2.5 \times 10^{7}"),
        (-0.0, "0", "0"),
    ],
)
def test_number_formats(v, text, tex):
    assert plain(v) == text
    assert tex_number(v) == tex
