"""Checking a whole network's gradients: right ones pass, planted bugs fail and are
located, kinks are flagged, large networks are sampled, and the step size behaves as
truncation (h²) against round-off (ε/h) says it must."""

import math

import numpy as np
import pytest

from engine import MLP, make_dataset
from engine.forward import forward_pass, objective
from engine.gradcheck import (
    MAX_EXHAUSTIVE,
    RIGHT,
    WRONG,
    check_network,
    error_floor,
    numerical_jacobian,
    reading,
    relative_errors,
)
from engine.planted import BUGS, backward, planted_grads
from engine.step_size import STEPS, network_step_size, sweep_step_size


def batch(n=6, d=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, d)), rng.integers(0, classes, n)


CONFIGS = [
    ([3, 5, 4, 3], "tanh", "softmax_ce", 0.0),
    ([3, 4, 3], "sigmoid", "softmax_ce", 0.01),
    ([3, 6, 6, 3], "elu", "softmax_ce", 0.1),
    ([3, 5, 3], "identity", "softmax_ce", 0.0),
    ([3, 3], "tanh", "softmax_ce", 0.001),  # linear: no hidden layer
]


@pytest.mark.parametrize("sizes, act, loss, l2", CONFIGS + [([3, 5, 3], "relu", "hinge", 0.01)])
def test_forward_pass_and_backward_are_the_networks_own(sizes, act, loss, l2):
    net = MLP(sizes, activation=act, loss=loss, seed=2)
    X, y = batch()
    cache = forward_pass(net, X)
    np.testing.assert_array_equal(cache.scores, net.scores(X))
    expected_loss, expected = net.loss_and_grads(X, y, l2)
    assert objective(net, cache, y, l2) == expected_loss
    got_loss, got = backward(net, X, y, l2)
    assert got_loss == expected_loss
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])


@pytest.mark.parametrize("sizes, act, loss, l2", CONFIGS)
def test_right_gradients_pass_on_smooth_networks(sizes, act, loss, l2):
    net = MLP(sizes, activation=act, loss=loss, seed=1)
    X, y = batch(n=8)
    before = {k: v.copy() for k, v in net.params.items()}
    check = check_network(net, X, y, l2)
    assert check.max_error(include_kinks=True) < 1e-6
    assert check.verdict == "right" and check.failing == []
    assert check.n_kinks == 0 and not check.sampled
    assert check.n_checked == check.n_params == sum(v.size for v in net.params.values())
    assert check.names == [f"{p}({k})" for k in range(1, len(sizes)) for p in "Wb"]
    for key, value in before.items():  # the network is left as it was
        np.testing.assert_array_equal(net.params[key], value)


def test_the_check_compares_against_independent_differences():
    # The numeric gradient must be that of the loss: compare one entry by hand.
    net = MLP([3, 4, 3], activation="tanh", seed=5)
    X, y = batch()
    check = check_network(net, X, y)
    h = 1e-5
    W = net.params["W1"]
    old = W[2, 1]
    W[2, 1] = old + h
    plus = net.loss_and_grads(X, y)[0]
    W[2, 1] = old - h
    minus = net.loss_and_grads(X, y)[0]
    W[2, 1] = old
    assert check.numeric["W(1)"][2, 1] == pytest.approx((plus - minus) / (2 * h), rel=1e-12)


@pytest.mark.parametrize("bug", list(BUGS))
@pytest.mark.parametrize("sizes", [[3, 5, 4, 3], [3, 4, 4, 3]])  # non-square and square W
def test_every_planted_bug_fails_its_check_and_names_where(bug, sizes):
    net = MLP(sizes, activation="relu", seed=3)
    rng = np.random.default_rng(3)
    for k in range(1, len(sizes)):  # biases of 0 put a dead example's a(k) right on the kink
        net.params[f"b{k}"] += rng.normal(0, 0.1, sizes[k])
    X, y = batch(n=6)
    assert BUGS[bug].hidden_by(net, 6) is None
    _, grads = planted_grads(bug, net, X, y)
    check = check_network(net, X, y, grads=grads)
    assert check.verdict == "wrong"
    last = len(sizes) - 1
    below = [f"{p}({k})" for k in range(1, last) for p in "Wb"]
    # The 1/N scales every gradient; the others break the step from ∇a(k) to ∇a(k−1),
    # so every layer below the output is wrong and the output layer is right.
    assert check.failing == (below + [f"W({last})", f"b({last})"] if bug == "mean" else below)
    assert check.worst.error > WRONG
    assert "Wrong in " + ", ".join(check.failing) in check.message


def test_a_bug_the_network_cannot_show_says_so_and_passes():
    X, y = batch(n=6)
    linear = MLP([3, 3], seed=0)
    assert "hidden" in BUGS["mask"].hidden_by(linear, 6)
    assert check_network(linear, X, y, grads=planted_grads("mask", linear, X, y)[1]).verdict == (
        "right"
    )
    net = MLP([3, 4, 3], activation="tanh", seed=0)
    assert "N = 1" in BUGS["mean"].hidden_by(net, 1)
    one = planted_grads("mean", net, X[:1], y[:1])[1]
    assert check_network(net, X[:1], y[:1], grads=one).verdict == "right"
    ident = MLP([3, 4, 3], activation="identity", seed=0)
    assert "identity" in BUGS["mask"].hidden_by(ident, 6)
    with pytest.raises(ValueError, match="unknown bug"):
        planted_grads("typo", net, X, y)


def test_relu_kink_is_flagged_and_left_out_of_the_reading():
    net = MLP([2, 3, 2], activation="relu", seed=4)
    X, y = np.array([[1.0, 2.0]]), np.array([1])
    W1 = net.params["W1"]
    net.params["b1"][:] = 0.5 - W1 @ X[0]  # every a(1) = 0.5 …
    net.params["b1"][0] = -W1[0] @ X[0]  # … but unit 1's, which sits exactly on the kink
    check = check_network(net, X, y)
    # Moving W(1)[1, j] or b(1)[1] by ±h moves a(1)_1 across 0; nothing else does.
    assert check.kink["W(1)"][0].all() and check.kink["b(1)"][0]
    assert check.n_kinks == 3
    assert check.max_error(include_kinks=True) > WRONG  # the centred difference sees half a slope
    assert check.verdict == "right" and "straddle a kink" in check.message


def test_hinge_margin_kink_is_flagged():
    net = MLP([2, 3], loss="hinge", seed=0)
    X, y = np.array([[0.5, -1.0]]), np.array([0])
    s = net.scores(X)[0]
    net.params["b1"][2] += s[0] - 1.0 - s[2]  # margin s_3 − s_1 + 1 = 0 exactly
    net.params["b1"][1] += s[0] - 5.0 - s[1]  # margin of class 2 far below 0
    check = check_network(net, X, y)
    assert check.kink["W(1)"][2].all() and check.kink["b(1)"][2]
    assert not check.kink["W(1)"][1].any()


def test_more_than_the_cap_is_sampled_with_a_seed():
    net = MLP([60, 80, 3], activation="tanh", seed=0)  # 5,123 parameters
    X, y = batch(n=2, d=60)
    calls = []
    check = check_network(net, X, y, seed=7, progress=lambda f, t: calls.append((f, t)))
    assert check.n_params == 5_123 > MAX_EXHAUSTIVE
    assert check.sampled and check.n_checked == MAX_EXHAUSTIVE
    assert sum(int(m.sum()) for m in check.checked.values()) == MAX_EXHAUSTIVE
    for name in check.names:  # unchecked entries have no numeric gradient and no error
        unchecked = ~check.checked[name]
        assert np.isnan(check.error[name][unchecked]).all()
        assert np.isfinite(check.error[name][~unchecked]).all()
    assert "random sample of 5,000 of the 5,123 parameters (seed 7)" in check.message
    assert check.verdict == "right"
    # Progress: about a hundred calls, fractions rising to 1.
    fractions = [f for f, _ in calls]
    assert 50 <= len(calls) <= 102 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(t, str) and t for _, t in calls)
    # The same seed, the same sample; another seed, another one.
    small = MLP([3, 5, 3], seed=0)
    Xs, ys = batch()
    a = check_network(small, Xs, ys, max_params=10, seed=1)
    b = check_network(small, Xs, ys, max_params=10, seed=1)
    c = check_network(small, Xs, ys, max_params=10, seed=2)
    assert a.n_checked == 10 and a.n_params == 38
    assert all(np.array_equal(a.checked[n], b.checked[n]) for n in a.names)
    assert not all(np.array_equal(a.checked[n], c.checked[n]) for n in a.names)


def test_check_network_bounds():
    net = MLP([3, 4, 3], seed=0)
    X, y = batch()
    with pytest.raises(ValueError, match="max_params"):
        check_network(net, X, y, max_params=MAX_EXHAUSTIVE + 1)
    with pytest.raises(ValueError, match="h must"):
        check_network(net, X, y, h=0.0)
    with pytest.raises(ValueError, match="W\\(1\\)"):
        check_network(net, X, y, grads={"W1": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="labels"):
        check_network(net, X, np.full(6, 7))


def test_a_nan_gradient_reads_wrong():
    net = MLP([3, 4, 3], seed=0)
    X, y = batch()
    grads = {k: v.copy() for k, v in net.loss_and_grads(X, y)[1].items()}
    grads["b2"][1] = np.nan
    check = check_network(net, X, y, grads=grads)
    assert check.failing == ["b(2)"] and check.worst.label == "b(2)[2]"
    assert check.worst.error == np.inf


def test_readings_and_relative_errors():
    assert [reading(e) for e in (1e-9, 1e-7, RIGHT)] == ["right"] * 3
    assert [reading(e) for e in (2e-6, 1e-4, WRONG)] == ["suspicious"] * 3
    assert [reading(e) for e in (2e-3, 0.5, float("nan"))] == ["wrong"] * 3
    # |a − n| / max(|a|, |n|, tiny), entry by entry.
    got = relative_errors([1.0, -2.0, 0.0, 1e-12], [1.1, 2.0, 0.0, 0.0], tiny=1e-8)
    np.testing.assert_allclose(got, [0.1 / 1.1, 2.0, 0.0, 1e-4])
    # The floor: a rounding error of 10 ε (loss 1, h = 1e-5) reads exactly RIGHT.
    tiny = error_floor(1.0, 1e-5)
    assert 10 * np.finfo(float).eps / 1e-5 / tiny == pytest.approx(RIGHT)
    # The Jacobian of x → A x is A.
    A = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_jacobian(lambda v: A @ v, np.ones(3)), A, atol=1e-9)


# --- the step size ------------------------------------------------------------------------
def test_step_size_on_sin_follows_taylor():
    sweep = sweep_step_size(lambda x, dtype: np.sin(x), 1.0, math.cos(1.0))
    np.testing.assert_array_equal(sweep.h, STEPS)
    assert sweep.h[0] == 1e-1 and sweep.h[-1] == pytest.approx(1e-12)
    # (sin(x+h) − sin(x−h)) / 2h = cos(x) sin(h)/h ≈ cos(x)(1 − h²/6): relative error h²/6.
    i = int(np.argmin(np.abs(sweep.h - 1e-2)))
    assert sweep.error["float64"][i] == pytest.approx(1e-4 / 6, rel=1e-3)
    assert sweep.error["float64"][0] == pytest.approx(1 - math.sin(0.1) / 0.1, rel=1e-6)
    # In float32, 1 + 1e-12 rounds to 1: no difference at all, an error of 100 %.
    assert sweep.error["float32"][-1] == 1.0
    assert sweep.best_h["float32"] > sweep.best_h["float64"]
    assert sweep.best_error["float64"] < 1e-9 < 1e-5 < sweep.best_error["float32"] * 1e3
    # The guides: C h² and ε |f| / (h |f'|).
    np.testing.assert_allclose(sweep.truncation / sweep.h**2, sweep.truncation[0] / 1e-2)
    np.testing.assert_allclose(
        sweep.roundoff["float32"] * sweep.h, np.finfo(np.float32).eps * math.sin(1) / math.cos(1)
    )


def test_step_size_of_a_network_parameter():
    X, y = make_dataset("moons", 20, seed=0)
    net = MLP([2, 4, 3, 2], activation="tanh", seed=0)
    sweep = network_step_size(net, X[:8], y[:8], 0.01)
    _, grads = net.loss_and_grads(X[:8], y[:8], 0.01)
    largest = max(float(np.abs(g).max()) for g in grads.values())
    assert abs(sweep.exact) == largest
    assert sweep.target.startswith("∂L/∂") and "[" in sweep.target
    assert sweep.best_h["float32"] > sweep.best_h["float64"]
    assert sweep.best_error["float64"] < 1e-8
    chosen = network_step_size(net, X[:8], y[:8], key="b2", index=(1,))
    assert chosen.target == "∂L/∂b(2)[2]" and chosen.exact == grads["b2"][1]
    with pytest.raises(ValueError, match="index"):
        network_step_size(net, X[:8], y[:8], key="W1", index=(9, 0))
