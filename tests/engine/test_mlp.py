"""Whole-network gradients, the trace, stability and determinism."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ACTIVATIONS, INITS, MLP, numerical_gradient, relative_error


def _check_grads(net, X, y, l2, tol=1e-6):
    _, grads = net.loss_and_grads(X, y, l2=l2)
    assert grads.keys() == net.params.keys()
    for key, p in net.params.items():
        assert grads[key].shape == p.shape
        numeric = numerical_gradient(lambda: net.loss_and_grads(X, y, l2=l2)[0], p)
        err = relative_error(grads[key], numeric)
        # A gradient that is exactly zero (terms cancelling) has no scale to be relative
        # to: there, agreement means the difference is round-off.
        assert err < tol or np.abs(grads[key] - numeric).max() < 1e-10, (
            f"{key}: relative error {err:.2e}"
        )


def _random_biases(net, seed):
    # Zero biases put pre-activations exactly on relu's kink (a dead unit feeds 0 into
    # the next layer), where a centred difference straddles the kink.
    rng = np.random.default_rng(seed)
    for key in net.params:
        if key.startswith("b"):
            net.params[key][:] = rng.normal(0, 0.5, net.params[key].shape)


def _batch(d, c, n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, n)


@pytest.mark.parametrize(
    "activation, loss, hidden, n, l2",
    [
        (act, loss, hidden, n, l2)
        for act, loss, hidden, (n, l2) in itertools.product(
            ACTIVATIONS, ["softmax_ce", "hinge"], [0, 1, 2, 3], [(1, 0.0), (7, 0.01)]
        )
    ],
)
def test_network_gradients_match_finite_differences(activation, loss, hidden, n, l2):
    sizes = [3] + [4] * hidden + [3]
    net = MLP(sizes, activation=activation, loss=loss, init="xavier", seed=hidden)
    _random_biases(net, 0)
    X, y = _batch(3, 3, n, seed=n + hidden)
    _check_grads(net, X, y, l2)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    act=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(["softmax_ce", "hinge"]),
    n=st.integers(1, 6),
    l2=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 10_000),
)
def test_random_architectures_gradients(sizes, act, loss, n, l2, seed):
    sizes[-1] = max(sizes[-1], 2)
    net = MLP(sizes, activation=act, loss=loss, init="xavier", seed=seed)
    _random_biases(net, seed)
    X, y = _batch(sizes[0], sizes[-1], n, seed)
    _check_grads(net, X, y, l2, tol=1e-5)


def test_per_layer_activation_list():
    net = MLP([2, 3, 3, 2], activation=["relu", "sigmoid"], seed=1)
    assert net.activations == ["relu", "sigmoid"]
    X, y = _batch(2, 2, 4, 1)
    _check_grads(net, X, y, 0.0)


def test_shapes_and_outputs():
    net = MLP([2, 5, 3], seed=0)
    assert net.params["W1"].shape == (5, 2) and net.params["b1"].shape == (5,)
    assert net.params["W2"].shape == (3, 5) and net.params["b2"].shape == (3,)
    X, _ = _batch(2, 3, 9, 0)
    p = net.forward(X)
    assert p.shape == (9, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert net.predict(X).shape == (9,)
    np.testing.assert_array_equal(net.predict(X), p.argmax(axis=1))
    assert net.hidden(X).shape == (9, 5)
    hinge_net = MLP([2, 5, 3], loss="hinge", seed=0)
    np.testing.assert_allclose(hinge_net.forward(X), hinge_net.scores(X))


def test_l2_adds_the_penalty_and_2_lambda_W_but_leaves_biases():
    net = MLP([2, 3, 2], seed=0)
    X, y = _batch(2, 2, 4, 0)
    l0, g0 = net.loss_and_grads(X, y)
    l1, g1 = net.loss_and_grads(X, y, l2=0.5)
    penalty = 0.5 * sum((net.params[k] ** 2).sum() for k in ("W1", "W2"))
    assert l1 == pytest.approx(l0 + penalty, rel=1e-14)
    np.testing.assert_allclose(g1["W1"], g0["W1"] + 2 * 0.5 * net.params["W1"], rtol=1e-14)
    np.testing.assert_array_equal(g1["b1"], g0["b1"])


@pytest.mark.parametrize("init", list(INITS))
def test_init_is_deterministic_and_biases_start_at_zero(init):
    a, b = MLP([2, 8, 3], init=init, seed=5), MLP([2, 8, 3], init=init, seed=5)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
        assert a.params[key].dtype == np.float64
    assert not a.params["b1"].any()
    if init != "zeros":
        c = MLP([2, 8, 3], init=init, seed=6)
        assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_init_scales():
    big = [400, 300, 10]
    w = MLP(big, init="xavier", seed=0).params["W1"]
    assert np.abs(w).max() <= np.sqrt(6 / 700) and w.std() == pytest.approx(
        np.sqrt(2 / 700), rel=0.02
    )
    assert MLP(big, init="he", seed=0).params["W1"].std() == pytest.approx(
        np.sqrt(2 / 400), rel=0.02
    )
    assert MLP(big, init="normal", seed=0).params["W1"].std() == pytest.approx(0.01, rel=0.02)
    assert not MLP(big, init="zeros").params["W1"].any()


def test_zero_init_leaves_hidden_units_identical():
    # The symmetry problem: with all-zero weights every hidden unit gets the same gradient.
    net = MLP([2, 4, 2], activation="tanh", init="zeros")
    X, y = _batch(2, 2, 8, 0)
    _, g = net.loss_and_grads(X, y)
    assert not g["W1"].any() and not g["W2"].any()


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(sizes=[2]), "sizes"),
        (dict(sizes=[2, 0, 2]), "sizes"),
        (dict(sizes=[2, 3, 2], activation=["tanh", "relu"]), "activations"),
        (dict(sizes=[2, 3, 2], activation="swish"), "swish"),
        (dict(sizes=[2, 2], loss="mse"), "loss"),
        (dict(sizes=[2, 2], init="orthogonal"), "init"),
    ],
)
def test_bad_configurations_raise_clear_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        MLP(**bad)


def test_bad_batches_raise_clear_errors():
    net = MLP([2, 2])
    with pytest.raises(ValueError, match="shape"):
        net.loss_and_grads(np.zeros((3, 5)), [0, 1, 0])
    with pytest.raises(ValueError, match="labels"):
        net.loss_and_grads(np.zeros((2, 2)), [0, 2])
    with pytest.raises(ValueError, match="NaN"):
        net.forward(np.array([[np.nan, 0.0]]))


@pytest.mark.parametrize("loss", ["softmax_ce", "hinge"])
@pytest.mark.parametrize("act", ["sigmoid", "elu", "tanh"])
def test_extreme_inputs_give_finite_losses_and_gradients_without_warnings(loss, act):
    net = MLP([2, 3, 3], activation=act, loss=loss, seed=0)
    net.params["W2"][:] = 1e4 * np.sign(net.params["W2"])  # logits of order ±1e4
    X = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]])
    y = np.array([0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grads = net.loss_and_grads(X, y)
        probs = net.forward(X)
    assert np.isfinite(value) and all(np.isfinite(g).all() for g in grads.values())
    assert np.isfinite(probs).all()
