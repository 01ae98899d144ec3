"""engine.boundary: the config's bounds, the grid, snapshots, the linear-vs-MLP comparison
(and the notes' claim it demonstrates), the hidden space, the L2 sweep, linear collapse."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from engine import MLP, fit, make_dataset, train_test_split
from engine.boundary import (
    LIMITS,
    MAX_SGD_STEPS,
    SNAPSHOTS,
    BoundaryConfig,
    collapse_linear_map,
    compare,
    decide,
    hidden_space,
    linear_collapse,
    make_data,
    make_grid,
    pca_2d,
    regularization_sweep,
    snapshot_epochs,
    train_model,
    two_class_line,
)

FAST = dict(n=200, epochs=40)


@pytest.fixture(scope="module")
def moons():
    """A short comparison on moons, shared by the tests that only inspect its structure."""
    return compare(BoundaryConfig(**FAST))


# --- config -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(n=49), "n must lie in"),
        (dict(n=2001), "n must lie in"),
        (dict(noise=1.5), "noise"),
        (dict(test_fraction=0.95), "test_fraction"),
        (dict(classes=6), "classes"),
        (dict(hidden_layers=0), "hidden_layers"),
        (dict(width=33), "width"),
        (dict(lr=0.0), "lr"),
        (dict(lr=11.0), "lr"),
        (dict(epochs=1001), "epochs"),
        (dict(batch_size=257), "batch_size"),
        (dict(l2=-0.1), "l2"),
        (dict(momentum=1.0), "momentum"),
        (dict(seed=10_001), "seed"),
        (dict(lr=math.nan), "lr"),
        (dict(n=100.5), "whole number"),
        (dict(epochs="300"), "number"),
        (dict(dataset="swiss roll"), "dataset must be one of"),
        (dict(activation="softplus"), "activation must be one of"),
        (dict(loss="mse"), "loss must be one of"),
    ],
)
def test_config_rejects_every_out_of_range_value_with_a_sentence(changes, match):
    with pytest.raises(ValueError, match=match):
        BoundaryConfig(**changes)


def test_config_normalises_types_and_derives_the_architectures():
    config = BoundaryConfig(n=np.int64(300), epochs=20.0, lr=1, classes=4, dataset="moons")
    assert isinstance(config.n, int) and isinstance(config.epochs, int)
    assert isinstance(config.lr, float)
    assert config.n_classes == 2  # moons ignores classes
    assert replace(config, dataset="spiral").n_classes == 4
    assert config.mlp_sizes == (2, 16, 16, 2) and config.linear_sizes == (2, 2)
    for name, (low, high) in LIMITS.items():  # the bounds themselves are allowed
        replace(config, **{name: low})
        replace(config, **{name: high})


def test_the_step_budget_refuses_configs_that_would_tie_up_a_server():
    cheap = BoundaryConfig(n=500, epochs=300, batch_size=32, test_fraction=0.3)
    assert cheap.sgd_steps == 300 * math.ceil(350 / 32) and cheap.too_expensive() == ""
    costly = replace(cheap, n=2000, epochs=1000, batch_size=1)
    assert costly.sgd_steps > MAX_SGD_STEPS
    assert "limit" in costly.too_expensive()
    with pytest.raises(ValueError, match="limit"):
        compare(costly)


# --- grid and snapshots -----------------------------------------------------------------
def test_grid_covers_the_data_with_a_margin_and_reshapes_row_by_row():
    X = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 1.0]])
    grid = make_grid(X, resolution=100, margin=0.1)
    assert grid.shape == (100, 100) and grid.points.shape == (10_000, 2)
    assert grid.x1[0] < 0 < 2 < grid.x1[-1] and grid.x2[0] < -1 < 3 < grid.x2[-1]
    np.testing.assert_allclose([grid.x1[0], grid.x1[-1]], [-0.2, 2.2])
    np.testing.assert_allclose([grid.x2[0], grid.x2[-1]], [-1.4, 3.4])
    # points[i * nx + j] = (x1[j], x2[i]): values on the points reshape to z[i, j].
    z = grid.points[:, 0].reshape(grid.shape)
    np.testing.assert_array_equal(z[7], grid.x1)
    z = grid.points[:, 1].reshape(grid.shape)
    np.testing.assert_array_equal(z[:, 3], grid.x2)
    flat = make_grid(np.zeros((5, 2)))  # a single point still gets a plane
    assert flat.x1[-1] - flat.x1[0] > 0


@pytest.mark.parametrize(
    "epochs, count", [(300, 30), (1000, 30), (29, 30), (5, 30), (1, 30), (300, 20), (300, 1)]
)
def test_snapshot_epochs_are_distinct_and_span_training(epochs, count):
    chosen = snapshot_epochs(epochs, count)
    if count == 1:
        assert chosen.tolist() == [epochs]
        return
    assert len(chosen) == min(count, epochs + 1)
    assert chosen[0] == 0 and chosen[-1] == epochs
    assert np.all(np.diff(chosen) > 0)


def test_decide_matches_predict_and_confidence_is_zero_on_a_tie():
    X, y = make_dataset("moons", 100, seed=1)
    net = MLP([2, 8, 2], seed=1)
    fit(net, X, y, epochs=5, lr=0.1)
    label, confidence = decide(net, X)
    np.testing.assert_array_equal(label, net.predict(X))
    assert label.dtype == np.int8 and confidence.dtype == np.float16
    assert np.all((0 <= confidence) & (confidence <= 1))
    tie = MLP([2, 2], seed=0)
    tie.params["W1"][:] = 0.0
    assert np.all(decide(tie, X)[1] == 0)
    hinge = MLP([2, 3], loss="hinge", seed=0)
    hinge.params["W1"][:] = [[1.0, 0.0], [0.0, 0.0], [-1.0, 0.0]]
    _, margin = decide(hinge, np.array([[0.5, 0.0], [3.0, 0.0]]))
    np.testing.assert_allclose(margin, [0.5, 1.0])  # top score minus runner-up, capped at 1


def test_decide_stays_finite_when_scores_overflow():
    net = MLP([2, 4, 2], activation="identity", seed=0)
    for k in net.params:
        net.params[k] = net.params[k] * 1e200
    with np.errstate(all="raise"):  # nothing may warn either
        label, confidence = decide(net, np.array([[1e100, 1e100], [1.0, 2.0]]))
    assert np.isfinite(confidence).all() and set(label.tolist()) <= {0, 1}


# --- the comparison ---------------------------------------------------------------------
def test_comparison_records_curves_snapshots_and_the_engines_own_final_numbers(moons):
    data = moons.data
    for run in (moons.linear, moons.mlp):
        assert len(run.train_loss) == len(run.test_acc) == FAST["epochs"]
        r = run.regions
        assert len(r.epochs) >= 20 and r.label.shape == (len(r.epochs), 100, 100)
        assert r.confidence.shape == r.label.shape
        net = run.network()
        train = net.evaluate(data.X_train, data.y_train)
        assert (run.final_train_loss, run.final_train_acc) == train
        assert (run.final_test_loss, run.final_test_acc) == net.evaluate(data.X_test, data.y_test)
        assert run.final_train_acc == run.train_acc[-1] == r.train_acc[-1]
        # The last snapshot is the final network.
        label, _ = decide(net, moons.grid.points)
        np.testing.assert_array_equal(r.label[-1], label.reshape(100, 100))
    assert moons.linear.sizes == (2, 2) and moons.mlp.sizes == (2, 16, 16, 2)
    assert len(moons.mlp.regions.epochs) == min(SNAPSHOTS, FAST["epochs"] + 1)


def test_comparison_is_deterministic_and_matches_a_hand_built_run(moons):
    config = moons.config
    X, y = make_dataset("moons", n=config.n, noise=config.noise, seed=config.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, config.test_fraction, config.seed)
    net = MLP([2, 16, 16, 2], activation="tanh", seed=config.seed)
    fit(
        net,
        X_train,
        y_train,
        epochs=config.epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        momentum=config.momentum,
        seed=config.seed,
    )
    assert net.evaluate(X_test, y_test) == (moons.mlp.final_test_loss, moons.mlp.final_test_acc)
    again = compare(config)
    np.testing.assert_array_equal(again.mlp.regions.label, moons.mlp.regions.label)
    np.testing.assert_array_equal(again.linear.test_loss, moons.linear.test_loss)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dataset", ["moons", "circles", "xor", "spiral"])
def test_the_mlp_bends_its_boundary_where_the_linear_model_cannot(dataset, seed):
    """The notes' argument in numbers, at the page's defaults (noise 0.1, 2 classes)."""
    result = compare(BoundaryConfig(dataset=dataset, seed=seed))
    assert result.mlp.final_test_acc >= 0.95
    if dataset != "moons":  # two moons are nearly separable by a line
        assert result.linear.final_test_acc <= 0.75


def test_a_diverging_run_reports_the_engines_reason_and_keeps_finite_snapshots():
    result = compare(BoundaryConfig(lr=10.0, activation="leaky_relu", **FAST))
    mlp = result.mlp
    assert mlp.diverged and mlp.stopped_reason.startswith("diverged at epoch")
    assert mlp.regions.epochs[-1] == mlp.epochs_done < FAST["epochs"]
    assert np.isfinite(mlp.regions.confidence).all()
    assert all(np.isfinite(v).all() for v in mlp.params.values())
    assert math.isfinite(mlp.final_train_loss)


def test_a_too_large_learning_rate_that_does_not_diverge_is_flagged_as_overshooting():
    result = compare(BoundaryConfig(lr=10.0, **FAST))  # tanh: bounded, so no inf
    assert not result.mlp.diverged and result.mlp.overshoot
    assert not compare(BoundaryConfig(**FAST)).mlp.overshoot
    # A strong L2 term may raise the data loss; the objective SGD minimises still falls.
    strong = regularization_sweep(BoundaryConfig(**FAST)).runs[-1]
    assert not strong.overshoot
    assert strong.final_objective < strong.initial_objective


def test_progress_is_reported_in_order_and_reaches_the_end():
    calls = []
    compare(BoundaryConfig(**FAST), progress=lambda f, text: calls.append((f, text)))
    fractions = [f for f, _ in calls]
    assert 10 <= len(calls) <= 100
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert "linear classifier" in calls[0][1] and "MLP" in calls[-1][1]


# --- hidden space ---------------------------------------------------------------------
def test_hidden_space_uses_pca_for_wide_layers(moons):
    hidden = hidden_space(moons.mlp, moons.data)
    assert hidden.method == "pca" and hidden.units == 16 and hidden.layer == 2
    assert hidden.train.shape == (len(moons.data.X_train), 2)
    assert hidden.test.shape == (len(moons.data.X_test), 2)
    assert 1.0 >= hidden.explained[0] >= hidden.explained[1] >= 0
    assert "PC 1 of h(2)" in hidden.axis_titles[0]


def test_hidden_space_shows_two_units_directly_and_one_unit_with_jitter():
    config = BoundaryConfig(width=2, hidden_layers=1, **FAST)
    result = compare(config, snapshots=2)
    hidden = hidden_space(result.mlp, result.data)
    assert hidden.method == "direct"
    np.testing.assert_array_equal(hidden.train, result.mlp.network().hidden(result.data.X_train))
    one = compare(replace(config, width=1), snapshots=2)
    hidden = hidden_space(one.mlp, one.data)
    assert hidden.method == "one unit" and hidden.train.shape[1] == 2
    np.testing.assert_array_equal(
        hidden.train[:, 0], one.mlp.network().hidden(one.data.X_train)[:, 0]
    )
    with pytest.raises(ValueError, match="no hidden layer"):
        hidden_space(result.linear, result.data)


def test_pca_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(3)
    H = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 4.0
    coords, components, explained = pca_2d(H)
    values, vectors = np.linalg.eigh(np.cov(H.T))
    np.testing.assert_allclose(explained, values[::-1][:2] / values.sum())
    for i in range(2):
        assert abs(abs(components[i] @ vectors[:, -1 - i]) - 1) < 1e-9
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(coords.var(axis=0, ddof=1), values[::-1][:2])
    assert np.all(pca_2d(np.ones((10, 4)))[2] == 0)  # constant layer: no variance, no NaN


# --- regularization and collapse ------------------------------------------------------
def test_stronger_l2_gives_smaller_weights_on_the_same_data():
    sweep = regularization_sweep(BoundaryConfig(**FAST))
    assert sweep.lambdas == (0.001, 0.01, 0.1)
    assert [run.l2 for run in sweep.runs] == [0.001, 0.01, 0.1]
    norms = [
        sum(float(np.sum(v**2)) for k, v in run.params.items() if k.startswith("W"))
        for run in sweep.runs
    ]
    assert norms[0] > norms[1] > norms[2]
    assert all(len(run.regions.epochs) == 1 for run in sweep.runs)  # final boundary only


def test_identity_layers_collapse_into_one_linear_map():
    rng = np.random.default_rng(0)
    net = MLP([2, 5, 4, 3], activation="identity", seed=2)
    for k in net.params:
        net.params[k] = rng.normal(size=net.params[k].shape)
    W, b = collapse_linear_map(net.params)
    assert W.shape == (3, 2) and b.shape == (3,)
    X = rng.normal(size=(50, 2))
    np.testing.assert_allclose(net.scores(X), X @ W.T + b, rtol=1e-12, atol=1e-12)


def test_linear_collapse_trains_identity_layers_and_its_boundary_is_a_line():
    collapse = linear_collapse(BoundaryConfig(dataset="circles", **FAST))
    run = collapse.run
    assert run.activation == "identity" and run.sizes == (2, 16, 16, 2)
    assert collapse.factors == ((2, 16), (16, 16), (16, 2))
    assert collapse.max_difference < 1e-9
    # Its decisions over the whole grid are those of the single map W x + b.
    P = collapse.grid.points
    label = np.argmax(P @ collapse.W.T + collapse.b, axis=1).reshape(collapse.grid.shape)
    assert np.mean(label == run.regions.label[-1]) > 0.999
    assert collapse.data.n_classes == 2
    assert run.final_test_acc <= 0.75  # no better than a linear classifier on circles


def test_two_class_line_lies_on_the_boundary():
    grid = make_grid(np.array([[-1.0, -1.0], [1.0, 1.0]]))
    for W, b in [
        (np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([0.0, 0.3])),
        (np.array([[0.0, 0.0], [3.0, 0.5]]), np.array([0.0, -0.2])),
    ]:
        ends = two_class_line(W, b, grid)
        w, c = W[1] - W[0], b[1] - b[0]
        np.testing.assert_allclose(ends @ w + c, 0, atol=1e-12)
    assert two_class_line(np.zeros((2, 2)), np.zeros(2), grid) is None
    assert two_class_line(np.ones((3, 2)), np.zeros(3), grid) is None


def test_train_model_takes_activation_and_l2_overrides():
    config = BoundaryConfig(**FAST)
    data = make_data(config)
    grid = make_grid(data.X_all, resolution=20)
    run = train_model(config, data, grid, hidden=(3,), activation="relu", l2=0.05, snapshots=5)
    assert run.sizes == (2, 3, 2) and run.activation == "relu" and run.l2 == 0.05
    assert run.regions.label.shape == (5, 20, 20)
