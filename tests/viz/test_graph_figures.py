"""The computational graph's drawing and its steps: the layout (every node placed, left to
right along every wire, no two things on one spot, no crossings where none are needed),
each step showing values and gradients only once the passes have reached them, with note
004's numbers, and the player payload built from them."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.circuits import CIRCUITS
from engine.expression import parse_expression
from viz.graph import BACKWARD_COLOR, FORWARD_COLOR, graph_layout, graph_spec, number
from viz.graph_steps import graph_steps, lit_edges

# Random formulas: every gate, variables reused (so copies and long wires appear).
NAMES = st.sampled_from(["x", "y", "z", "w"])
UNARY = st.sampled_from(["exp", "tanh", "sigmoid", "relu", "abs", "-"])
BINARY = st.sampled_from(["+", "-", "*", "/", "max", "min"])


def _formula(leaf):
    def combine(children):
        one = st.tuples(UNARY, children).map(
            lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"
        )
        two = st.tuples(BINARY, children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})" if t[0] in ("max", "min") else
            f"({t[1]}) {t[0]} ({t[2]})"
        )  # fmt: skip
        return one | two | children.map(lambda e: f"({e})**2")

    return st.recursive(leaf, combine, max_leaves=14)


FORMULAS = _formula(NAMES | st.sampled_from(["2", "0.5"]).map(lambda c: f"{c}*x"))


def layout_of(text: str):
    graph = parse_expression(text)
    return graph, graph_layout(graph)


def check_layout(graph, layout) -> None:
    n = len(graph.nodes)
    assert layout.x.shape == layout.y.shape == (n,)
    assert np.isfinite(layout.x).all() and np.isfinite(layout.y).all()
    spots = set(zip(layout.x.tolist(), layout.y.tolist(), strict=True))
    assert len(spots) == n  # no two nodes on one spot
    assert len(layout.paths) == len(graph.edges)
    for edge, path in zip(graph.edges, layout.paths, strict=True):
        assert layout.x[edge.source] < layout.x[edge.target]  # left to right
        assert tuple(path[0]) == (layout.x[edge.source], layout.y[edge.source])
        assert tuple(path[-1]) == (layout.x[edge.target], layout.y[edge.target])
        assert np.all(np.diff(path[:, 0]) > 0)  # a wire never runs backwards
        # Where a wire crosses a column it has a slot of its own: never through a node.
        for x, y in path[1:-1]:
            if float(x).is_integer():
                assert (x, y) not in spots
    assert layout.columns == int(layout.x.max()) + 1
    assert layout.rows >= max(int(np.sum(layout.x == c)) for c in range(layout.columns))


@pytest.mark.parametrize("name", list(CIRCUITS))
def test_every_preset_is_laid_out_left_to_right(name):
    graph = CIRCUITS[name].graph()
    check_layout(graph, graph_layout(graph))


@settings(max_examples=150, deadline=None)
@given(FORMULAS)
def test_any_formula_is_laid_out_left_to_right(text):
    graph, layout = layout_of(text)
    check_layout(graph, layout)


def crossings(graph, layout) -> int:
    """Pairs of wires that cross between two neighbouring columns, as straight segments
    between the points where they meet the columns (nodes and bends)."""
    segments = []
    for path in layout.paths:
        at = [p for p in path if float(p[0]).is_integer()]
        segments += [(a, b) for a, b in zip(at, at[1:], strict=False)]
    count = 0
    for (a, b), (c, d) in combinations(segments, 2):
        if a[0] == c[0] and b[0] == d[0] and (a[1] - c[1]) * (b[1] - d[1]) < 0:
            count += 1
    return count


@pytest.mark.parametrize("name", ["xyz", "neuron_gates", "neuron_sigmoid", "max_gate"])
def test_trees_are_drawn_without_crossings(name):
    graph = CIRCUITS[name].graph()
    assert crossings(graph, graph_layout(graph)) == 0


@st.composite
def trees(draw, depth: int = 4) -> str:
    """A formula in which every variable is used once: a tree, drawable without a
    crossing."""
    names = iter(f"v{k}" for k in range(12))

    def grow(d: int) -> str:
        if d == 0 or draw(st.integers(0, 3)) == 0:
            return next(names, "v0")
        if draw(st.booleans()):
            return f"{draw(UNARY)}({grow(d - 1)})"
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({grow(d - 1)} {op} {grow(d - 1)})"

    return grow(depth)


@settings(max_examples=100, deadline=None)
@given(trees())
def test_trees_are_drawn_without_crossings_whatever_their_shape(text):
    graph, layout = layout_of(text)
    if len(set(graph.inputs)) == sum(1 for e in graph.edges if e.source in graph.input_ids):
        assert crossings(graph, layout) == 0


def test_a_value_used_twice_gets_two_wires_that_bow_apart():
    graph, layout = layout_of("x*x")
    a, b = layout.paths
    assert not np.array_equal(a, b)
    assert a[0].tolist() == b[0].tolist() and a[-1].tolist() == b[-1].tolist()


# ---------------------------------------------------------------------------------------
# One step at a time


def traces_by_name(spec: dict) -> dict[str, dict]:
    return {t.get("name", f"#{i}"): t for i, t in enumerate(spec["data"])}


def texts(spec: dict, name: str) -> list[str]:
    """The text beside each node in a trace, without the blank line that positions it."""
    return [t.replace("<br>", "").strip() for t in traces_by_name(spec)[name]["text"]]


def xyz_specs():
    circuit = CIRCUITS["xyz"]
    trace = circuit.trace()
    layout = graph_layout(trace.graph)
    return trace, [
        graph_spec(
            trace.graph, layout, s.values, s.grads, s.node, s.phase, lit_edges(trace.graph, s)
        )
        for s in trace.steps
    ]


def test_an_input_step_lights_no_wire():
    trace, specs = xyz_specs()
    assert "lit wires" not in traces_by_name(specs[0])  # x = −2: nothing comes in


def test_values_and_gradients_appear_only_once_the_passes_reach_them():
    trace, specs = xyz_specs()
    n = len(trace.graph.nodes)  # x, y, z, q, f
    for k, spec in enumerate(specs):
        values, grads = texts(spec, "values"), texts(spec, "gradients")
        if k < n:  # forward: nodes 0 … k have values, nothing has a gradient
            assert [v != "" for v in values] == [i <= k for i in range(n)]
            assert grads == [""] * n
        else:  # backward: every value, the gradients of the steps so far
            assert all(values)
            done = {s.node for s in trace.steps[n : k + 1]}
            assert [g != "" for g in grads] == [i in done for i in range(n)]
    # Note 004: q = 3, f = −12; ∂f/∂x = ∂f/∂y = −4, ∂f/∂z = 3, ∂f/∂q = −4.
    assert texts(specs[-1], "values") == ["−2", "5", "−4", "3", "−12"]
    assert texts(specs[-1], "gradients") == ["−4", "−4", "3", "−4", "1"]
    assert texts(specs[-1], "names") == ["", "", "", "q", "f"]


def test_the_current_node_and_its_wires_are_lit_in_the_phases_colour():
    trace, specs = xyz_specs()
    graph = trace.graph
    ids = {node.name: node.id for node in graph.nodes}
    forward_f = specs[ids["f"]]  # f = q·z: its two arguments come in
    rims = traces_by_name(forward_f)["nodes"]["marker"]["line"]["color"]
    assert [c == FORWARD_COLOR for c in rims] == [i == ids["f"] for i in range(5)]
    lit = traces_by_name(forward_f)["lit wires"]
    assert lit["line"]["color"] == FORWARD_COLOR
    assert sum(v is None for v in lit["x"]) == 2  # two wires
    assert lit["x"][lit["x"].index(None) - 1] == 2.0  # ending at f's column

    backward_x = next(
        spec
        for step, spec in zip(trace.steps, specs, strict=True)
        if step.phase == "backward" and step.node == ids["x"]
    )
    lit = traces_by_name(backward_x)["lit wires"]
    assert lit["line"]["color"] == BACKWARD_COLOR
    assert sum(v is None for v in lit["x"]) == 1  # x → q, the one use of x
    xs = [v for v in lit["x"] if v is not None]
    assert xs[0] == 1.0 and xs[-1] == 0.0  # drawn from q back to x: the gradient's way
    rims = traces_by_name(backward_x)["nodes"]["marker"]["line"]["color"]
    assert rims[ids["x"]] == BACKWARD_COLOR and rims.count(BACKWARD_COLOR) == 1


def test_numbers_on_the_drawing():
    assert [number(v) for v in (-12.0, 3.0, 0.7310585786, -0.19661193, 2.5e7)] == [
        "−12", "3", "0.7311", "−0.1966", "2.5e+07",
    ]  # fmt: skip


def test_a_deep_chain_puts_values_above_and_gradients_below_the_nodes():
    text = "x"
    for _ in range(12):
        text = f"tanh({text})"
    graph, layout = layout_of(text)
    trace = graph.trace({"x": 0.5})
    step = trace.steps[-1]
    spec = graph_spec(graph, layout, step.values, step.grads, step.node, step.phase)
    by_name = traces_by_name(spec)
    assert by_name["values"]["textposition"] == "top center"
    assert by_name["gradients"]["textposition"] == "bottom center"
    # Each tanh multiplies the gradient by 1 − tanh² < 1: it shrinks towards the input.
    grads = [float(g.replace("−", "-")) for g in texts(spec, "gradients")]
    assert grads[-1] == 1 and all(a < b for a, b in zip(grads, grads[1:], strict=False))
    assert grads[0] == pytest.approx(trace.grad("x"), rel=1e-3)


# ---------------------------------------------------------------------------------------
# The payload


def test_the_payload_has_a_step_per_node_and_pass_with_its_equation_and_pattern():
    trace = CIRCUITS["xyz"].trace()
    payload = graph_steps(trace, CIRCUITS["xyz"])
    json.dumps(payload)  # plain JSON
    steps = payload["steps"]
    assert len(steps) == 10 and len({s["key"] for s in steps}) == 10
    headers = [s["header"] for s in steps]
    assert "forward" in headers[0] and "backward" in headers[-1]
    assert "f = q·z = −12" in headers[4]
    assert "mul swaps" in headers[6] and "add distributes" in headers[-1]
    last = steps[-1]["areas"]["main"]
    assert last[0]["kind"] == "plotly"
    assert (
        r"\underbrace{-4}_{\text{upstream}} \times \underbrace{1}_{\text{local}}" in last[1]["tex"]
    )
    assert r"\text{local gradient: }" in last[1]["tex"] and "narrow" in last[1]
    words = " ".join(b["html"] for b in steps[-1]["areas"]["side"])
    assert "Add distributes" in words


def test_a_value_used_twice_shows_the_sum_and_copy_adds():
    trace = CIRCUITS["copy_gate"].trace()  # f = x·x at x = 3: ∂f/∂x = 3 + 3 = 6
    steps = graph_steps(trace)["steps"]
    assert "copy adds" in steps[-1]["header"]
    assert "3 + 3 = 6" in steps[-1]["areas"]["main"][1]["tex"]


def test_note_004s_code_sits_beside_the_graph_with_the_steps_line_marked():
    circuit = CIRCUITS["neuron_code"]
    trace = circuit.trace()
    steps = graph_steps(trace, circuit)["steps"]
    marked = []
    for step in steps:
        row = step["areas"]["main"][0]
        assert row["kind"] == "row" and row["blocks"][0]["kind"] == "plotly"
        code = row["blocks"][1]["html"]
        lines = [part.split(">", 1)[1] for part in code.split("</span>")[:-1]]
        marked.append([i for i, part in enumerate(code.split("</span>")[:-1]) if "#FEF3C7" in part])
        assert len(lines) == len(circuit.code)
    # The backward pass in note 004's order: grad_L, grad_s3, grad_w2, grad_s2, grad_s0,
    # grad_s1, grad_w1, grad_x1, grad_w0, grad_x0 — lines 7 … 16 counted from 1.
    assert [m[0] + 1 for m in marked[10:]] == list(range(7, 17))
    assert [m[0] + 1 for m in marked[5:10]] == [2, 3, 4, 5, 6]  # s0 = … to L = sigmoid(s3)
    assert "grad_w1 = grad_s1 * x1" in steps[16]["areas"]["main"][0]["blocks"][1]["html"]


def test_the_largest_graph_stays_a_reasonable_payload():
    text = " + ".join(f"exp(a{i % 11}*b)" for i in range(15))
    graph = parse_expression(text)
    assert len(graph.nodes) >= 55
    trace = graph.trace({v: 0.1 for v in graph.inputs})
    payload = graph_steps(trace)
    assert len(payload["steps"]) == 2 * len(graph.nodes)
    assert len(json.dumps(payload)) < 2.5e6  # sent once; Build & Step's largest is 1.1 MB
