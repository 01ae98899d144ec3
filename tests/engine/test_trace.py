"""The trace: step order and count, shapes, equations, and the same numbers as training."""

import re

import numpy as np
import pytest

from engine import MLP, Step, fill, is_parameter, make_dataset, symbol


def _kinds(steps):
    return [(s.phase, s.kind, s.layer, s.title) for s in steps]


def test_default_network_step_sequence():
    net = MLP([2, 4, 3, 2], activation="tanh", seed=0)
    X, y = make_dataset("moons", 20, seed=0)
    steps = net.trace(X[:1], y[:1])
    assert _kinds(steps) == [
        ("forward", "linear", 1, "a(1)"),
        ("forward", "activation", 1, "h(1)"),
        ("forward", "linear", 2, "a(2)"),
        ("forward", "activation", 2, "h(2)"),
        ("forward", "linear", 3, "a(3)"),
        ("forward", "output", 3, "f(x)"),
        ("forward", "loss", 3, "L"),
        ("backward", "grad_output", 3, "∇a(3)"),
        ("backward", "grad_W", 3, "∇W(3)"),
        ("backward", "grad_b", 3, "∇b(3)"),
        ("backward", "grad_h", 3, "∇h(2)"),
        ("backward", "grad_a", 2, "∇a(2)"),
        ("backward", "grad_W", 2, "∇W(2)"),
        ("backward", "grad_b", 2, "∇b(2)"),
        ("backward", "grad_h", 2, "∇h(1)"),
        ("backward", "grad_a", 1, "∇a(1)"),
        ("backward", "grad_W", 1, "∇W(1)"),
        ("backward", "grad_b", 1, "∇b(1)"),
    ]


@pytest.mark.parametrize("hidden", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("loss", ["softmax_ce", "hinge"])
def test_step_count(hidden, loss):
    net = MLP([2] + [3] * hidden + [2], loss=loss)
    steps = net.trace(np.zeros((1, 2)), [1])
    forward = 2 * hidden + 1 + (2 if loss == "softmax_ce" else 1)
    backward = 1 + 2 * (hidden + 1) + 2 * hidden
    assert len(steps) == forward + backward
    assert [s.phase for s in steps] == ["forward"] * forward + ["backward"] * backward


@pytest.mark.parametrize("loss", ["softmax_ce", "hinge"])
@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_trace_gradients_are_loss_and_grads(loss, n, l2):
    net = MLP([2, 5, 4, 3], activation=["relu", "sigmoid"], loss=loss, seed=3)
    X, y = make_dataset("spiral", 30, seed=1, classes=3)
    loss_value, grads = net.loss_and_grads(X[:n], y[:n], l2=l2)
    steps = net.trace(X[:n], y[:n], l2=l2)
    written = {k: v for s in steps for k, v in s.writes.items()}
    assert float(written["L"]) == loss_value
    for k in range(1, 4):
        np.testing.assert_array_equal(written[f"∇W({k})"], grads[f"W{k}"])
        np.testing.assert_array_equal(written[f"∇b({k})"], grads[f"b{k}"])


def test_trace_shapes_follow_the_notation():
    sizes = [2, 5, 4, 3]
    net = MLP(sizes, seed=0)
    X, y = make_dataset("spiral", 12, seed=0, classes=3)
    n = 6
    for step in net.trace(X[:n], y[:n]):
        for name, arr in step.arrays.items():
            m = re.match(r"^∇?([Wbah])\((\d+)\)$", name)
            if not m:
                continue
            letter, k = m.group(1), int(m.group(2))
            expected = {
                "W": (sizes[k], sizes[k - 1]),
                "b": (sizes[k],),
                "a": (n, sizes[k]),
                "h": (n, sizes[k]),
            }[letter]
            assert arr.shape == expected, (step.title, name, arr.shape)
            assert arr.dtype == np.float64


def test_forward_values_are_the_layer_equations():
    net = MLP([2, 3, 2], activation="tanh", seed=0)
    X = np.array([[0.5, -1.0]])
    steps = net.trace(X, [1])
    a1 = steps[0].writes["a(1)"]
    np.testing.assert_allclose(a1, X @ net.params["W1"].T + net.params["b1"])
    np.testing.assert_allclose(steps[1].writes["h(1)"], np.tanh(a1))
    np.testing.assert_allclose(steps[3].writes["f(x)"], net.forward(X))


def test_trace_arrays_do_not_change_when_the_network_trains():
    net = MLP([2, 3, 2], seed=0)
    steps = net.trace(np.ones((1, 2)), [0])
    W1 = steps[0].reads["W(1)"].copy()
    net.params["W1"] -= 1.0
    np.testing.assert_array_equal(steps[0].reads["W(1)"], W1)


def test_equations_use_the_notes_notation():
    net = MLP([2, 4, 3, 2], seed=0)
    steps = {s.title: s for s in net.trace(np.ones((1, 2)), [0])}
    assert steps["a(2)"].equation == (
        r"{\mathbf{a}^{(2)}} = {\mathbf{b}^{(2)}} + {W^{(2)}}\,{\mathbf{h}^{(1)}}"
    )
    assert steps["∇W(2)"].equation == (
        r"{\nabla W^{(2)}} = {\nabla \mathbf{a}^{(2)}}\,{\mathbf{h}^{(1)}}^{\top}"
    )
    assert (
        steps["∇a(3)"].equation == r"{\nabla \mathbf{a}^{(3)}} = {f(\mathbf{x})} - {\mathbf{e}(y)}"
    )
    assert r"1 - g(a)^2" in steps["∇a(1)"].equation
    assert steps["∇h(1)"].equation == (
        r"{\nabla \mathbf{h}^{(1)}} = {W^{(2)}}^{\top}\,{\nabla \mathbf{a}^{(2)}}"
    )
    # Every placeholder names an array the step carries.
    for s in steps.values():
        for name in re.findall(r"⟨([^⟩]+)⟩", s.template):
            assert name in s.arrays, (s.title, name)
        assert "⟨" not in s.equation


def test_symbols_and_parameters():
    assert symbol("∇W(3)") == r"{\nabla W^{(3)}}"
    assert symbol("h(0)") == r"{\mathbf{h}^{(0)}}"
    assert symbol("g'(a(2))") == r"{g'(\mathbf{a}^{(2)})}"
    assert fill("⟨a(1)⟩ + 1", lambda name: "[x]") == "[x] + 1"
    assert is_parameter("∇b(2)") and is_parameter("W(1)") and not is_parameter("h(1)")
    assert is_parameter("ΔW(3)") and symbol("ΔW(3)") == r"{\Delta W^{(3)}}"


def test_step_is_plain_data():
    step = MLP([2, 2]).trace(np.ones((1, 2)), [0])[0]
    assert isinstance(step, Step) and step.code == "a1 = h0 @ W1.T + b1"
