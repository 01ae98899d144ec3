"""Datasets, the split, SGD training, divergence, and what the notes promise it learns."""

import warnings

import numpy as np
import pytest

from engine import MLP, fit, make_dataset, sgd_step, train_test_split
from engine.datasets import DATASETS, MULTICLASS


@pytest.mark.parametrize("name", list(DATASETS))
def test_datasets_shapes_labels_balance_and_determinism(name):
    classes = 3 if name in MULTICLASS else 2
    X, y = make_dataset(name, n=301, noise=0.1, seed=4, classes=classes)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    X2, y2 = make_dataset(name, n=301, noise=0.1, seed=4, classes=classes)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_dataset(name, n=301, noise=0.1, seed=5, classes=classes)
    assert not np.array_equal(X, X3)
    assert len(set(y[:20])) > 1  # shuffled, not sorted by class


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="swiss"), "unknown dataset"),
        (dict(name="moons", classes=3), "exactly 2"),
        (dict(name="spiral", classes=9), "classes"),
        (dict(name="xor", n=1), "n must"),
        (dict(name="xor", noise=-1), "noise"),
    ],
)
def test_dataset_bounds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


def test_linear_dataset_is_separable_without_noise():
    X, y = make_dataset("linear", n=300, noise=0.0, seed=0, classes=3)
    net = MLP([2, 3], seed=0)
    fit(net, X, y, epochs=200, lr=0.5, momentum=0.9)
    assert (net.predict(X) == y).mean() == 1.0


def test_split_is_stratified_and_seeded():
    X, y = make_dataset("gaussians", n=200, seed=0, classes=4)
    Xtr, Xte, ytr, yte = train_test_split(X, y, 0.25, seed=1)
    assert len(Xte) == 48 + 4 * 0 or len(Xte) == 50
    assert np.bincount(yte).tolist() == [12, 12, 12, 12] or np.ptp(np.bincount(yte)) <= 1
    assert len(Xtr) + len(Xte) == 200
    again = train_test_split(X, y, 0.25, seed=1)
    np.testing.assert_array_equal(again[1], Xte)
    with pytest.raises(ValueError):
        train_test_split(X, y, 1.0)


def test_sgd_step_moves_against_the_gradient():
    params = {"W1": np.array([1.0, 2.0])}
    sgd_step(params, {"W1": np.array([0.5, -1.0])}, lr=0.1)
    np.testing.assert_allclose(params["W1"], [0.95, 2.1])
    vel = {"W1": np.array([1.0, 0.0])}
    sgd_step(params, {"W1": np.array([0.0, 1.0])}, lr=0.1, velocity=vel, momentum=0.9)
    np.testing.assert_allclose(vel["W1"], [0.9, -0.1])
    np.testing.assert_allclose(params["W1"], [1.85, 2.0])


def _moons_split():
    X, y = make_dataset("moons", n=400, noise=0.1, seed=0)
    return train_test_split(X, y, 0.3, seed=0)


def test_mlp_learns_moons_to_97_percent():
    Xtr, Xte, ytr, yte = _moons_split()
    net = MLP([2, 16, 16, 2], activation="tanh", seed=0)
    hist = fit(net, Xtr, ytr, epochs=200, lr=0.1, momentum=0.9, X_test=Xte, y_test=yte)
    assert hist.test_acc[-1] >= 0.97
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.epochs == 200 and len(hist.test_loss) == 200
    assert not hist.diverged and hist.stopped_reason == "finished 200 epochs"
    assert hist.test_acc[-1] == pytest.approx((net.predict(Xte) == yte).mean())


@pytest.mark.parametrize("name", ["circles", "xor"])
def test_linear_classifier_cannot_learn_circles_or_xor(name):
    X, y = make_dataset(name, n=400, noise=0.1, seed=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, 0.3, seed=0)
    net = MLP([2, 2], seed=0)
    hist = fit(net, Xtr, ytr, epochs=200, lr=0.1, momentum=0.9, X_test=Xte, y_test=yte)
    assert hist.test_acc[-1] <= 0.75


def test_fit_is_deterministic_under_a_seed():
    Xtr, _, ytr, _ = _moons_split()
    a, b = MLP([2, 8, 2], seed=1), MLP([2, 8, 2], seed=1)
    ha = fit(a, Xtr, ytr, epochs=5, lr=0.1, seed=3)
    hb = fit(b, Xtr, ytr, epochs=5, lr=0.1, seed=3)
    assert ha.train_loss == hb.train_loss
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])


def test_absurd_learning_rate_reports_divergence_without_nan_or_warning():
    Xtr, _, ytr, _ = _moons_split()
    net = MLP([2, 16, 2], activation="relu", seed=0)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = fit(net, Xtr * 100, ytr, epochs=50, lr=1e5, callback=lambda e, n, h: seen.append(e))
    assert hist.diverged
    assert hist.stopped_reason.startswith("diverged at epoch ")
    assert "lower the learning rate" in hist.stopped_reason
    assert all(np.isfinite(v).all() for v in net.params.values())
    assert all(np.isfinite(hist.train_loss))
    assert len(seen) == hist.epochs < 50


def test_callback_runs_after_every_epoch():
    Xtr, _, ytr, _ = _moons_split()
    calls = []
    fit(
        MLP([2, 2]),
        Xtr,
        ytr,
        epochs=4,
        lr=0.1,
        callback=lambda e, n, h: calls.append((e, h.epochs)),
    )
    assert calls == [(1, 1), (2, 2), (3, 3), (4, 4)]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(epochs=-1),
        dict(epochs=2.5),
        dict(lr=0),
        dict(lr=float("nan")),
        dict(batch_size=0),
        dict(momentum=1.0),
        dict(l2=-1),
    ],
)
def test_fit_rejects_out_of_range_settings(kwargs):
    Xtr, _, ytr, _ = _moons_split()
    args = dict(epochs=1, lr=0.1) | kwargs
    with pytest.raises(ValueError):
        fit(MLP([2, 2]), Xtr, ytr, **args)


def test_sgd_step_returns_the_change_it_applied():
    params = {"W1": np.array([1.0, 2.0])}
    change = sgd_step(params, {"W1": np.array([0.5, -1.0])}, lr=0.2)
    np.testing.assert_allclose(change["W1"], [-0.1, 0.2])
    np.testing.assert_allclose(params["W1"], [0.9, 2.2])


def test_minibatch_is_distinct_sorted_and_seeded():
    from engine import minibatch

    idx = minibatch(200, 32, seed=3)
    assert len(set(idx.tolist())) == 32 and list(idx) == sorted(idx)
    np.testing.assert_array_equal(idx, minibatch(200, 32, seed=3))
    assert not np.array_equal(idx, minibatch(200, 32, seed=4))
    with pytest.raises(ValueError):
        minibatch(10, 11, seed=0)
