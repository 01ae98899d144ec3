"""Each activation derivative and each loss gradient against centred differences."""

import warnings

import numpy as np
import pytest

from engine import (
    ACTIVATIONS,
    get_activation,
    hinge,
    log_softmax,
    numerical_gradient,
    relative_error,
    softmax,
    softmax_ce,
)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_centred_differences(name):
    g = get_activation(name)
    rng = np.random.default_rng(1)
    a = rng.normal(0, 2, (5, 7))
    a[np.abs(a) < 1e-3] += 0.01  # keep off the kink of relu-like functions
    analytic = g.grad(a, g.forward(a))
    # g is elementwise, so d/da_i of Σ g(a) is g'(a_i).
    numeric = numerical_gradient(lambda: float(g.forward(a).sum()), a)
    assert relative_error(analytic, numeric) < 1e-9


@pytest.mark.parametrize(
    "name, a, expected",
    [
        ("relu", [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
        ("leaky_relu", [-2.0, 0.0, 3.0], [-0.2, 0.0, 3.0]),
        ("elu", [-1.0, 0.0, 2.0], [np.exp(-1) - 1, 0.0, 2.0]),
        ("sigmoid", [0.0, -800.0, 800.0], [0.5, 0.0, 1.0]),
        ("tanh", [0.0], [0.0]),
        ("identity", [-1.5, 2.0], [-1.5, 2.0]),
    ],
)
def test_activation_values(name, a, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = get_activation(name).forward(np.array(a))
    np.testing.assert_allclose(out, expected, atol=1e-15)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="tanh"):
        get_activation("swish")


def test_relu_backward_worked_example_from_notes_004():
    # x = [1, -2, 3, -1], upstream dL/dy = [4, -1, 5, 9]  ->  dL/dx = [4, 0, 5, 0]
    relu = get_activation("relu")
    x = np.array([1.0, -2.0, 3.0, -1.0])
    upstream = np.array([4.0, -1.0, 5.0, 9.0])
    np.testing.assert_array_equal(relu.forward(x), [1, 0, 3, 0])
    np.testing.assert_array_equal(upstream * relu.grad(x, relu.forward(x)), [4, 0, 5, 0])


@pytest.mark.parametrize("loss_fn", [softmax_ce, hinge])
@pytest.mark.parametrize("n", [1, 6])
def test_loss_gradient_matches_centred_differences(loss_fn, n):
    rng = np.random.default_rng(n)
    a = rng.normal(0, 1.5, (n, 4))
    y = rng.integers(0, 4, n)
    _, grad, _ = loss_fn(a, y)
    numeric = numerical_gradient(lambda: loss_fn(a, y)[0], a)
    assert relative_error(grad, numeric) < 1e-8


def test_softmax_ce_gradient_is_p_minus_t_on_the_4_class_example_of_notes_003():
    # One example of class 3 (index 2 counting from 0), four classes: dL/df_i = p_i - t_i.
    f = np.array([[1.0, 2.0, 0.5, -1.0]])
    y = np.array([2])
    loss, grad, extras = softmax_ce(f, y)
    p = np.exp(f) / np.exp(f).sum()
    t = np.array([[0.0, 0.0, 1.0, 0.0]])
    np.testing.assert_allclose(extras["f(x)"], p, rtol=1e-15)
    np.testing.assert_allclose(grad, p - t, rtol=1e-14)
    assert loss == pytest.approx(-np.log(p[0, 2]), rel=1e-14)
    assert grad[0, 2] < 0 < grad[0, 0]  # the true class is pushed up, the others down


def test_softmax_ce_batch_gradient_is_the_mean_of_p_minus_t():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, 5)
    _, grad, extras = softmax_ce(f, y)
    t = np.eye(4)[y]
    np.testing.assert_allclose(grad, (extras["f(x)"] - t) / 5, rtol=1e-14)


def test_hinge_on_the_notes_example():
    # Scores s = [3.2, 5.1, -1.7] for true class 0: max(0, 5.1-3.2+1) + max(0, -1.7-3.2+1)
    loss, grad, extras = hinge(np.array([[3.2, 5.1, -1.7]]), np.array([0]))
    assert loss == pytest.approx(2.9)
    np.testing.assert_allclose(extras["margins"], [[0.0, 2.9, 0.0]])
    np.testing.assert_array_equal(grad, [[-1.0, 1.0, 0.0]])


@pytest.mark.parametrize("scale", [1e4, -1e4, 1e300])
def test_softmax_is_stable_for_huge_logits(scale):
    a = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -3.0]]) * scale
    y = np.array([1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(a)
        lp = log_softmax(a)
        loss, grad, _ = softmax_ce(a, y)
    assert np.isfinite(p).all() and np.isfinite(lp).all()
    assert np.isfinite(loss) and np.isfinite(grad).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_softmax_is_shift_invariant():
    a = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(softmax(a), softmax(a + 1000.0), rtol=1e-15)


def test_numerical_gradient_takes_f_of_x_or_a_closure_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    expected = 3 * x**2
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float((v**3).sum()), x), expected, rtol=1e-8
    )
    np.testing.assert_allclose(
        numerical_gradient(lambda: float((x**3).sum()), x), expected, rtol=1e-8
    )
    np.testing.assert_array_equal(x, before)
    assert relative_error(expected, expected) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(2), -np.ones(2)) == 1.0
