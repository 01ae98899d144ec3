"""The presets: note 004's numbers, worked out by hand from the notes, the gate patterns,
and the notes' code lined up with the trace."""

import math

import pytest

from engine.circuits import CIRCUITS
from engine.expression import parse_expression, parse_values
from engine.graph import PATTERNS


def _sigma(v):
    return 1 / (1 + math.exp(-v))


@pytest.mark.parametrize("name", list(CIRCUITS))
def test_every_preset_is_well_formed(name):
    c = CIRCUITS[name]
    assert c.name == name and c.title and "\n" not in c.description and c.description
    graph = c.graph()
    assert graph.text  # parses
    assert set(graph.inputs) == set(c.values)
    assert parse_values(c.values_text, graph.inputs) == c.values
    trace = c.trace()
    assert all(check.relative_error < 1e-7 for check in trace.checks)


def test_xyz_numbers_from_the_notes():
    # q = x + y, f = q z at x = −2, y = 5, z = −4: q = 3, f = −12,
    # ∂f/∂z = q = 3, ∂f/∂q = z = −4, ∂f/∂x = ∂f/∂q · ∂q/∂x = −4 · 1, same for y.
    c = CIRCUITS["xyz"]
    assert c.values_text == "x=-2, y=5, z=-4"
    trace = c.trace()
    names = {n.name: n.id for n in trace.graph.nodes}
    assert set(names) == {"x", "y", "z", "q", "f"}
    assert trace.values[names["q"]] == 3.0 and trace.output == -12.0
    assert trace.grads[names["q"]] == -4.0
    assert [trace.grad(v) for v in "xyz"] == [-4.0, -4.0, 3.0]


# The sigmoid neuron at w = [2, −3, −3], x = [−1, −2]:
# s = w0 x0 + w1 x1 + w2 = −2 + 6 − 3 = 1, f = σ(1) ≈ 0.73,
# ∂f/∂s = (1 − σ(1)) σ(1) ≈ 0.20, so ∂f/∂w0 = x0 · 0.20, ∂f/∂x0 = w0 · 0.20, …
S = 1.0
DS = (1 - _sigma(S)) * _sigma(S)
NEURON_GRADS = {"w0": -1 * DS, "x0": 2 * DS, "w1": -2 * DS, "x1": -3 * DS, "w2": DS}
# As printed in the notes, to two decimals.
NOTES_ROUNDED = {"w0": -0.20, "w1": -0.39, "w2": 0.20, "x0": 0.39, "x1": -0.59}


@pytest.mark.parametrize("name", ["neuron_gates", "neuron_sigmoid", "neuron_code"])
def test_sigmoid_neuron_numbers_from_the_notes(name):
    c = CIRCUITS[name]
    assert c.values == {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    trace = c.trace()
    assert round(trace.output, 2) == 0.73
    assert trace.output == pytest.approx(_sigma(S), rel=1e-15)
    for v, expected in NEURON_GRADS.items():
        assert trace.grad(v) == pytest.approx(expected, rel=1e-12)
        assert round(trace.grad(v), 2) == NOTES_ROUNDED[v]


def test_both_sigmoid_forms_give_the_same_gradients():
    gates, one = CIRCUITS["neuron_gates"].trace(), CIRCUITS["neuron_sigmoid"].trace()
    assert gates.graph.inputs == one.graph.inputs
    assert len(gates.graph.nodes) > len(one.graph.nodes)  # a graph is not unique
    for v in gates.graph.inputs:
        assert gates.grad(v) == pytest.approx(one.grad(v), rel=1e-12)


def test_gate_by_gate_values_and_gradients_of_the_notes_figure():
    # Forward: 1 → ×(−1) → −1 → exp → 0.37 → +1 → 1.37 → 1/x → 0.73.
    # Backward: 1 → −1/1.37² = −0.53 → ×1 = −0.53 → ×e^{−1} = −0.20 → ×(−1) = 0.20,
    # then the add gates pass 0.20 to both inputs ("both inputs!").
    trace = CIRCUITS["neuron_gates"].trace()
    by_label = {n.label: n.id for n in trace.graph.nodes if n.kind == "op"}
    rounded = {lab: round(trace.values[i], 2) for lab, i in by_label.items()}
    assert rounded["−"] == -1.0 and rounded["exp"] == 0.37
    assert rounded["+1"] == 1.37 and rounded["1/x"] == 0.73
    grads = {lab: round(trace.grads[i], 2) for lab, i in by_label.items()}
    assert grads["1/x"] == 1.0 and grads["+1"] == -0.53 and grads["exp"] == -0.53
    assert grads["−"] == -0.2 and grads["+"] == 0.2
    adds = [n.id for n in trace.graph.nodes if n.label == "+"]
    for add in adds:
        for p in trace.graph.nodes[add].parents:
            assert trace.grads[p] == pytest.approx(DS, rel=1e-12)


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("add_gate", "add distributes"),
        ("mul_gate", "mul swaps"),
        ("copy_gate", "copy adds"),
        ("max_gate", "max routes"),
    ],
)
def test_each_pattern_circuit_shows_its_pattern(name, pattern):
    trace = CIRCUITS[name].trace()
    shown = {s.pattern for s in trace.steps if s.phase == "backward"}
    assert pattern in shown and shown <= set(PATTERNS) | {None}


def test_pattern_circuit_numbers():
    add = CIRCUITS["add_gate"].trace()  # f = 3 (x + y): both get the upstream 3
    assert add.grad("x") == add.grad("y") == 3.0
    mul = CIRCUITS["mul_gate"].trace()  # f = x y: each gets the other input
    assert (mul.grad("x"), mul.grad("y")) == (CIRCUITS["mul_gate"].values["y"], 3.0)
    copy = CIRCUITS["copy_gate"].trace()  # f = x x at 3: 3 + 3 = 6 = 2x
    step = copy.steps[-1]
    assert copy.grad("x") == 6.0 and [t.product for t in step.terms] == [3.0, 3.0]
    mx = CIRCUITS["max_gate"].trace()  # f = 2 max(z, w), z = 2 > w = −1
    assert (mx.grad("z"), mx.grad("w")) == (2.0, 0.0)


def test_code_preset_names_match_the_code():
    graph = CIRCUITS["neuron_code"].graph()
    nodes = {n.name: n for n in graph.nodes}
    parents = {name: tuple(graph.nodes[p].name for p in n.parents) for name, n in nodes.items()}
    assert parents["s0"] == ("w0", "x0") and nodes["s0"].op == "mul"
    assert parents["s1"] == ("w1", "x1") and nodes["s1"].op == "mul"
    assert parents["s2"] == ("s0", "s1") and nodes["s2"].op == "add"
    assert parents["s3"] == ("s2", "w2") and nodes["s3"].op == "add"
    assert parents["L"] == ("s3",) and nodes["L"].op == "sigmoid"
    assert graph.nodes[graph.output].name == "L"


def test_code_lines_follow_the_steps():
    c = CIRCUITS["neuron_code"]
    trace = c.trace()
    lines = c.code_lines(trace)
    assert len(lines) == len(trace.steps) and None not in lines
    # Every line of the notes' code is shown at some step.
    assert set(lines) == set(range(len(c.code)))
    backward_lines = [k for k, s in zip(lines, trace.steps, strict=True) if s.phase == "backward"]
    assert backward_lines == sorted(backward_lines)  # the highlight moves down the code
    for step, k in zip(trace.steps, lines, strict=True):
        line = c.code[k]
        name = trace.graph.nodes[step.node].name
        assert line.phase == step.phase
        if step.phase == "backward":
            assert line.text.startswith(f"grad_{name} = ")
        elif trace.graph.nodes[step.node].kind == "op":
            assert line.text.strip().startswith(f"{name} = ")
        else:
            assert line.text.startswith("def f(") and name in line.text
    backward = [
        c.code[k].text.split(" = ")[0]
        for k, s in zip(lines, trace.steps, strict=True)
        if s.phase == "backward"
    ]
    # The notes' order, line by line.
    assert backward == [
        "grad_L",
        "grad_s3",
        "grad_w2",
        "grad_s2",
        "grad_s0",
        "grad_s1",
        "grad_w1",
        "grad_x1",
        "grad_w0",
        "grad_x0",
    ]


def test_code_backward_lines_compute_the_trace_gradients():
    """Run the notes' backward code (as Python written here) and compare."""
    trace = CIRCUITS["neuron_code"].trace()
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    L = _sigma(w0 * x0 + w1 * x1 + w2)
    grad_L = 1.0
    grad_s3 = grad_L * (1 - L) * L
    grad_w2 = grad_s3
    grad_s2 = grad_s3
    grad_s0 = grad_s2
    grad_s1 = grad_s2
    grad_w1 = grad_s1 * x1
    grad_x1 = grad_s1 * w1
    grad_w0 = grad_s0 * x0
    grad_x0 = grad_s0 * w0
    expected = dict(
        L=grad_L, s3=grad_s3, w2=grad_w2, s2=grad_s2, s0=grad_s0, s1=grad_s1,
        w1=grad_w1, x1=grad_x1, w0=grad_w0, x0=grad_x0,
    )  # fmt: skip
    got = {n.name: trace.grads[n.id] for n in trace.graph.nodes}
    assert got == pytest.approx(expected, rel=1e-12)


def test_presets_without_code_highlight_nothing():
    c = CIRCUITS["xyz"]
    assert set(c.code_lines(c.trace())) == {None}


def test_typed_preset_expressions_give_the_preset_graphs():
    for c in CIRCUITS.values():
        typed = parse_expression(c.expression)
        assert [n.label for n in typed.nodes] == [n.label for n in c.graph().nodes]
