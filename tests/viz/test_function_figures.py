"""Figures of the activations, softmax, SVM and gradient-check pages: traces, titles,
axes counted from 1, colour ranges and the thresholds drawn."""

import numpy as np
import pytest

from engine import MLP
from engine.elementwise import activation_curve, depth_products, elementwise_backward
from engine.gradcheck import RIGHT, WRONG, check_network
from engine.planted import planted_grads
from engine.score_losses import score_losses
from engine.stable_softmax import check_softmax_jacobian, naive_softmax, stable_softmax
from engine.step_size import sweep_step_size
from viz.functions import (
    activation_figure,
    depth_figure,
    elementwise_figure,
    elementwise_jacobian_figure,
    score_gradients_figure,
    softmax_figure,
    softmax_jacobian_figure,
    svm_figure,
)
from viz.gradcheck import (
    LOG_MAX,
    LOG_MIN,
    error_colorscale,
    error_heatmap,
    max_error_figure,
    step_size_figure,
)


def title(fig) -> str:
    return fig.layout.title.text


def test_activation_figure_draws_g_gprime_and_shades_saturation():
    curve = activation_curve("sigmoid", -6, 6, 241)
    fig = activation_figure(curve)
    g, grad = fig.data
    assert (g.name, grad.name) == ("g(a)", "g′(a)")
    np.testing.assert_array_equal(g.y, curve.g)
    np.testing.assert_array_equal(grad.y, curve.grad)
    assert tuple(fig.layout.xaxis.range) == (-6, 6)
    assert fig.layout.xaxis.title.text == "pre-activation a"
    assert "sigmoid" in title(fig) and "g(a)(1 − g(a))" in title(fig)
    shaded = [(s.x0, s.x1) for s in fig.layout.shapes]
    assert shaded == [(r.start, r.end) for r in curve.saturated] and len(shaded) == 2
    relu = activation_figure(activation_curve("relu"))
    (zero,) = relu.layout.shapes
    assert zero.name == "g′ = 0" and zero.x0 == -5
    assert activation_figure(activation_curve("identity")).layout.shapes == ()


def test_depth_figure_is_logarithmic_and_marks_sigmoids_ceiling():
    view = depth_products(depth=8)
    fig = depth_figure(view)
    assert fig.layout.yaxis.type == "log"
    names = [t.name for t in fig.data]
    assert names[:6] == ["identity", "sigmoid", "tanh", "ReLU", "leaky ReLU", "ELU"]
    ceiling = fig.data[-1]
    assert "0.25ᵏ" in ceiling.name
    np.testing.assert_allclose(ceiling.y, 0.25 ** np.arange(1, 9))
    assert list(fig.data[0].x) == list(range(1, 9))
    # At a < 0 ReLU passes nothing: no point on a log axis, and the legend says why.
    dead = depth_figure(depth_products(["relu", "tanh"], 5, a=-1.0))
    assert dead.data[0].name == "ReLU (0: nothing passes)" and np.isnan(dead.data[0].y).all()
    assert "at a = -1" in title(dead)


def test_elementwise_figure_shows_note_004_as_columns():
    r = elementwise_backward("relu", [1, -2, 3, -1], [4, -1, 5, 9])
    fig = elementwise_figure(r)
    (heat,) = fig.data
    assert list(heat.x) == ["x", "y = g(x)", "g′(x)", "∂L/∂y", "∂L/∂x"]
    assert list(heat.y) == ["1", "2", "3", "4"]
    z = np.asarray(heat.z)
    np.testing.assert_array_equal(z[:, 4], [4, 0, 5, 0])
    assert [row[4] for row in heat.text] == ["4", "0", "5", "0"]
    assert heat.zmin == -heat.zmax == -9 and heat.zmid == 0
    assert "ReLU" in title(fig) and "∂L/∂y ⊙ g′(x)" in title(fig)
    jac = elementwise_jacobian_figure(r)
    np.testing.assert_array_equal(np.asarray(jac.data[0].z), np.diag([1.0, 0, 1, 0]))
    assert list(jac.data[0].x) == ["1", "2", "3", "4"]
    assert "diag(g′(x))" in title(jac)


def test_softmax_figure_shows_the_naive_nan_beside_the_stable_bars():
    x = [1e4, -1e4, 0.0]
    fig = softmax_figure(naive_softmax(x), stable_softmax(x))
    naive, stable = fig.data
    assert list(naive.x) == ["1", "2", "3"]
    assert list(naive.text) == ["nan", "0", "0"]
    assert np.isfinite(np.asarray(naive.y)).all()
    np.testing.assert_array_equal(np.asarray(stable.y), [1.0, 0.0, 0.0])
    assert "overflow" in title(fig)
    assert fig.layout.yaxis.range == (0, 1.18)
    calm = softmax_figure(naive_softmax([1.0, 2.0]), stable_softmax([1.0, 2.0]))
    assert "overflow" not in title(calm)


def test_softmax_jacobian_figure_has_a_symmetric_scale_and_the_check():
    check = check_softmax_jacobian([1.0, 2.0, 3.0])
    fig = softmax_jacobian_figure(check.analytic, check.relative_error)
    (heat,) = fig.data
    np.testing.assert_array_equal(np.asarray(heat.z), check.analytic)
    assert heat.zmin == -heat.zmax and heat.zmax == pytest.approx(np.abs(check.analytic).max())
    assert f"{check.relative_error:.1e}" in title(fig)
    assert fig.layout.yaxis.title.text == "output i (p_i)"


def test_svm_figures_count_classes_from_1():
    r = score_losses([3.2, 5.1, -1.7], 0)
    fig = svm_figure(r)
    (bar,) = fig.data
    assert list(bar.x) == ["1", "2", "3"]
    assert list(bar.text) == ["y", "2.9", "0"]
    assert "= 2.9" in title(fig) and "y = 1" in fig.layout.xaxis.title.text
    grads = score_gradients_figure(r)
    svm, soft = grads.data
    np.testing.assert_array_equal(np.asarray(svm.y), r.svm_grad)
    np.testing.assert_array_equal(np.asarray(soft.y), r.softmax_grad)
    assert "L = 2.9" in svm.name and "L = 2.04" in soft.name


@pytest.fixture(scope="module")
def checks():
    rng = np.random.default_rng(0)
    X, y = rng.normal(0, 1, (6, 3)), rng.integers(0, 3, 6)
    net = MLP([3, 5, 4, 3], activation="tanh", seed=1)
    right = check_network(net, X, y)
    wrong = check_network(net, X, y, grads=planted_grads("g_for_gprime", net, X, y)[1])
    sampled = check_network(net, X, y, max_params=20, seed=0)
    return right, wrong, sampled


def test_error_heatmap_is_logarithmic_and_banded_at_the_thresholds(checks):
    right, wrong, sampled = checks
    fig = error_heatmap(right, "W(2)")
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (4, 5)  # W(2) as stored: n_2 × n_1
    np.testing.assert_allclose(
        np.asarray(heat.z), np.log10(np.clip(right.error["W(2)"], 1e-12, None))
    )
    assert (heat.zmin, heat.zmax) == (LOG_MIN, LOG_MAX)
    positions = [p for p, _ in error_colorscale()]
    span = LOG_MAX - LOG_MIN
    assert (np.log10(RIGHT) - LOG_MIN) / span in positions
    assert (np.log10(WRONG) - LOG_MIN) / span in positions
    assert list(heat.colorbar.tickvals) == [-12, -9, -6, -3, 0]
    assert fig.layout.yaxis.title.text == "unit i of a(2)"
    assert list(heat.y) == ["1", "2", "3", "4"]
    assert "right" in title(fig) and "W(2)" in title(fig)
    assert "wrong" in title(error_heatmap(wrong, "W(1)"))
    b = error_heatmap(right, "b(1)")
    assert np.asarray(b.data[0].z).shape == (5, 1)
    # Entries outside the sample are blank.
    z = np.asarray(error_heatmap(sampled, "W(1)").data[0].z)
    assert np.isnan(z).sum() == (~sampled.checked["W(1)"]).sum()


def test_error_heatmap_marks_kinks():
    net = MLP([2, 3, 2], activation="relu", seed=4)
    X, y = np.array([[1.0, 2.0]]), np.array([1])
    net.params["b1"][:] = 0.5 - net.params["W1"] @ X[0]
    net.params["b1"][0] = -net.params["W1"][0] @ X[0]
    check = check_network(net, X, y)
    fig = error_heatmap(check, "W(1)")
    marks = fig.data[1]
    assert list(marks.text) == ["×", "×"] and list(marks.y) == ["1", "1"]
    assert "kink (2)" in title(fig)


def test_max_error_figure_locates_the_failure(checks):
    right, wrong, _ = checks
    fig = max_error_figure(wrong)
    (bar,) = fig.data
    assert list(bar.x) == wrong.names
    assert list(bar.text) == ["wrong", "wrong", "wrong", "wrong", "right", "right"]
    assert fig.layout.yaxis.type == "log"
    lines = [s.y0 for s in fig.layout.shapes if s.type == "line"]
    assert lines == [RIGHT, WRONG]
    assert title(fig).endswith("wrong") and title(max_error_figure(right)).endswith("right")


def test_step_size_figure_is_log_log_with_both_dtypes():
    sweep = sweep_step_size(lambda x, dtype: np.sin(x), 1.0, np.cos(1.0))
    fig = step_size_figure(sweep)
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    lines = {t.name: t for t in fig.data if t.name in ("float64", "float32")}
    assert set(lines) == {"float64", "float32"}
    np.testing.assert_array_equal(np.asarray(lines["float64"].x), sweep.h)
    stars = [t for t in fig.data if t.mode == "markers+text"]
    assert sorted(s.x[0] for s in stars) == sorted(sweep.best_h.values())
    assert any("h²" in (t.name or "") for t in fig.data)
    assert any("ε/h" in (t.name or "") for t in fig.data)
    assert "f'(x)" in title(fig)
