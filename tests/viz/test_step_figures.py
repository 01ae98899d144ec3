"""Figures of the Build & Step page: orientation, shapes, colour ranges, titles, equations."""

import re

import numpy as np
import pytest

from engine import MLP, gradient_norms, make_dataset
from viz.equation import (
    batch_size,
    in_equation_order,
    shapes_in_code,
    with_numbers,
    with_shapes,
)
from viz.explain import explain
from viz.heatmap import orient, tensor_heatmap
from viz.network import network_figure
from viz.norms import gradient_norms_figure


@pytest.fixture(scope="module")
def steps():
    X, y = make_dataset("moons", 50, seed=0)
    return MLP([2, 4, 3, 2], seed=0).trace(X[:1], y[:1])


def test_weights_keep_their_shape_and_batch_vectors_become_columns():
    W = np.arange(12.0).reshape(3, 4)
    o = orient("W(2)", W)
    assert o.z.shape == (3, 4)
    assert o.row_title == "unit i of a(2)" and o.col_title == "unit j of h(1)"
    assert orient("W(1)", W).col_title == "unit j of input x = h(0)"
    a = np.arange(8.0).reshape(2, 4)  # N = 2 examples of a 4-unit layer
    o = orient("∇a(3)", a, examples=[17, 4])  # dataset rows 17 and 4, counted from 0 …
    assert o.z.shape == (4, 2) and o.cols == ["#18", "#5"]  # … are examples 18 and 5
    np.testing.assert_array_equal(o.z, a.T)
    assert orient("b(2)", np.ones(3)).z.shape == (3, 1)
    # Vectors name their unit without an index letter: in a(2) = b(2) + W(2) h(1), a(2)
    # and b(2) run over W's rows (i) and h(1) over its columns (j).
    assert orient("b(2)", np.ones(3)).row_title == "unit of a(2)"
    assert o.row_title == "unit of a(3)"  # ∇a(3) has one entry per unit of a(3)
    update = orient("ΔW(3)", np.ones((2, 3)))  # an SGD update's change keeps W's layout
    assert update.z.shape == (2, 3) and update.col_title == "unit j of h(2)"
    assert orient("f(x)", np.ones((1, 3))).row_title == "class c"


def test_classes_and_labels_count_from_1_as_in_the_notes():
    # Note 003: an example of class 3 of 4 has e(y) = (0, 0, 1, 0).
    e = orient("e(y)", np.array([[0.0, 0.0, 1.0, 0.0]]))
    assert e.rows == ["1", "2", "3", "4"] and e.z[2, 0] == 1.0
    assert orient("y", np.array([2, 0])).z.tolist() == [[3, 1]]  # engine labels 2, 0


@pytest.mark.parametrize("name", ["W(2)", "∇a(1)", "h(1)", "g'(a(1))"])
def test_signed_heatmaps_are_zero_centred_and_symmetric(name):
    rng = np.random.default_rng(0)
    arr = rng.normal(size=(3, 4)) + 0.7  # mostly positive: the range must still be ±max
    fig = tensor_heatmap(name, arr)
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert heat.zmin == -heat.zmax == -np.abs(arr).max()
    assert heat.zmid == 0 and heat.colorscale is not None
    assert heat.colorbar is not None
    assert name in fig.layout.title.text
    z = np.asarray(heat.z)
    assert f"{z.shape[0]} × {z.shape[1]}" in fig.layout.title.text
    assert name in heat.hovertemplate and fig.layout.xaxis.title.text


def test_a_shared_limit_sets_the_range():
    heat = tensor_heatmap("a(2)", np.array([[0.5, -0.2]]), limit=2.0).data[0]
    assert (heat.zmin, heat.zmax) == (-2.0, 2.0)


def test_a_heatmap_is_wide_enough_for_its_axis_title():
    """At 2 columns the plot is narrower than "unit j of input x = h(0)" (cut off before)."""
    narrow = tensor_heatmap("W(1)", np.ones((4, 2)))
    title = narrow.layout.xaxis.title.text
    plot_width = narrow.layout.width - narrow.layout.margin.l - narrow.layout.margin.r
    assert plot_width >= 7 * len(title)  # ~7 pixels a character at 15 px


def test_probabilities_use_a_fixed_0_1_scale():
    heat = tensor_heatmap("f(x)", np.array([[0.2, 0.8]])).data[0]
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)


def test_cell_numbers_only_when_small_and_short_enough_for_a_cell():
    assert tensor_heatmap("W(1)", np.ones((4, 2))).data[0].texttemplate
    assert not tensor_heatmap("a(1)", np.ones((32, 16))).data[0].texttemplate
    heat = tensor_heatmap("∇b(1)", np.array([6.8534e-6, 0.5, -0.01873, 12345.6])).data[0]
    assert [row[0] for row in heat.text] == ["6.85e-6", "0.5", "-0.0187", "1.23e4"]


def test_zero_tensor_has_a_valid_range():
    heat = tensor_heatmap("∇W(1)", np.zeros((2, 2))).data[0]
    assert heat.zmax == 1.0


def test_numbers_are_written_into_small_equations(steps):
    linear = steps[2]  # a(2) = b(2) + W(2) h(1): 3×1, 3×1, 3×4, 4×1
    filled = with_numbers(linear)
    assert filled.count(r"\begin{bmatrix}") == 4 and "⟨" not in filled
    w = linear.reads["W(2)"]
    assert f"{w[0, 0]:.3g}" in filled
    loss = next(s for s in steps if s.kind == "loss")
    assert f"{{{float(loss.writes['L']):.3g}}} \\\\ &= -\\log" in with_numbers(loss)


def test_numbers_on_one_line_for_wide_screens(steps):
    linear = steps[2]
    one = with_numbers(linear, one_line=True)
    assert r"\begin{aligned}" not in one and one.count(r"\begin{bmatrix}") == 4
    # The same matrices as the two-line form, in the same order.
    matrices = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}")
    assert matrices.findall(one) == matrices.findall(with_numbers(linear))


def test_no_numbers_for_batches_or_big_tensors():
    X, y = make_dataset("moons", 50, seed=0)
    batch = MLP([2, 4, 2], seed=0).trace(X[:3], y[:3])
    assert batch_size(batch[0]) == 3 and with_numbers(batch[0]) is None
    wide = MLP([2, 8, 2], seed=0).trace(X[:1], y[:1])
    assert with_numbers(wide[0]) is None  # a(1) has 8 units


def test_tensors_in_the_order_the_equation_writes_them(steps):
    assert in_equation_order(steps[2]) == ["a(2)", "b(2)", "W(2)", "h(1)"]
    loss = next(s for s in steps if s.kind == "loss")  # y is read but not in the equation
    assert in_equation_order(loss) == ["L", "f(x)_y", "f(x)", "y"]
    assert all(sorted(in_equation_order(s)) == sorted(s.arrays) for s in steps)


def test_shapes_in_code(steps):
    assert shapes_in_code(steps[2]) == "W2 (3, 4), b2 (3,), h1 (1, 4) → a2 (1, 3)"


def test_network_diagram_lights_the_current_layer_and_direction(steps):
    net_sizes = [2, 4, 3, 2]
    weights = {k: np.ones((net_sizes[k], net_sizes[k - 1])) for k in (1, 2, 3)}
    known = {"h(0)": np.ones((1, 2))}
    for step in steps:
        known.update(step.writes)
        fig = network_figure(net_sizes, weights, step, known)
        texts = " ".join(a.text for a in fig.layout.annotations)
        assert ("backward" in texts) == (step.phase == "backward")
        band = fig.layout.shapes[0]
        one_column = step.kind in ("activation", "grad_a", "output", "loss", "grad_output")
        first = step.layer if one_column else step.layer - 1
        assert band.x0 < first and band.x1 > step.layer  # the columns the step works on
        assert band.x1 - band.x0 < (1 if one_column else 2)
        nodes = [t for t in fig.data if t.marker.size == 30]
        assert sum(len(t.x) for t in nodes) == sum(net_sizes)
        # Computed nodes are coloured by value, with a colour bar; the others are white.
        done = nodes[-1]
        assert done.marker.showscale and done.marker.cmin == -done.marker.cmax
        assert len(done.marker.color) == len(done.x)
        assert all(t.marker.color == "#FFFFFF" for t in nodes[:-1])
    # The last backward step has every ∇W: no grey (pending) edges left.
    edges = [s for s in fig.layout.shapes if s.type == "path"]
    assert edges and all(s.line.color != "#D1D5DB" for s in edges)
    # Every edge is drawn once: as many "M … L …" segments as weights.
    assert sum(s.path.count("M") for s in edges) == 2 * 4 + 4 * 3 + 3 * 2


def test_edges_show_weights_forward_and_gradients_backward(steps):
    sizes = [2, 4, 3, 2]
    weights = {k: np.full((sizes[k], sizes[k - 1]), 0.5) for k in (1, 2, 3)}
    known = {"h(0)": np.ones((1, 2))}
    for s in steps:
        known.update(s.writes)
    fwd = network_figure(sizes, weights, steps[0], known)
    hover = [t for t in fwd.data if t.mode == "markers" and t.marker.showscale][0]
    assert len(hover.x) == 2 * 4 + 4 * 3 + 3 * 2
    assert all(t.startswith("W(") for t in hover.text)
    back = network_figure(sizes, weights, steps[-1], known)
    hover = [t for t in back.data if t.mode == "markers" and t.marker.showscale][0]
    assert all(t.startswith("∇W(") for t in hover.text)
    assert hover.marker.cmin == -hover.marker.cmax


def test_gradient_norms_figure_uses_log_scale_for_vanishing_gradients():
    X, y = make_dataset("moons", 50, seed=0)
    deep = MLP([2, 8, 8, 8, 8, 2], activation="sigmoid", seed=0).trace(X[:8], y[:8])
    norms = gradient_norms(deep)
    assert norms["layer"] == [1, 2, 3, 4, 5]
    assert norms["‖∇W(k)‖"][0] < norms["‖∇W(k)‖"][-1] / 10  # shrinks towards the input
    fig = gradient_norms_figure(norms)
    assert [t.name for t in fig.data] == ["‖∇W(k)‖", "‖∇a(k)‖"]
    assert list(fig.data[0].y) == norms["‖∇W(k)‖"]


@pytest.mark.parametrize("act", ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu"])
@pytest.mark.parametrize("loss", ["softmax_ce", "hinge"])
def test_every_step_has_an_explanation(act, loss):
    net = MLP([2, 3, 2], activation=act, loss=loss)
    for s in net.trace(np.ones((2, 2)), [0, 1]):
        assert len(explain(s, net.activations, loss, 2)) > 30


def test_equation_carries_the_shapes(steps):
    shaped = with_shapes(steps[2])  # a(2) = b(2) + W(2) h(1)
    assert r"\underset{\scriptscriptstyle 3\times 4}{{W^{(2)}}}" in shaped
    assert r"\underset{\scriptscriptstyle 4\times 1}{{\mathbf{h}^{(1)}}}" in shaped
    assert shaped.count(r"\underset") == 4


def test_figures_carry_no_template_and_a_data_revision(steps):
    """Streamlit's second Plotly.react on a new chart is only free without a template and
    with a datarevision (viz.style.figure); Streamlit sets a default template on import."""
    import plotly.io as pio
    import streamlit  # noqa: F401  (sets pio.templates.default = "streamlit")

    assert pio.templates.default == "streamlit"
    step = steps[8]
    known = {k: v for s in steps[:9] for k, v in s.writes.items()}
    net = MLP([2, 4, 3, 2], seed=0)
    weights = {k: net.params[f"W{k}"] for k in (1, 2, 3)}
    for fig in (
        tensor_heatmap("W(1)", np.ones((4, 2))),
        network_figure(net.sizes, weights, step, known, "f(x)"),
        gradient_norms_figure(gradient_norms(steps)),
    ):
        layout = fig.to_plotly_json()["layout"]
        assert "template" not in layout
        assert layout["datarevision"] == 1
