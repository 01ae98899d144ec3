"""engine.digits: the bundled 8 × 8 digits (loading, scaling, the fixed stratified split), the
config's bounds and CPU budget, drawn-digit checks, training both models to the issue's
accuracy targets, the confusion matrix, the mistakes, W(1) as images and one image's trace."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from engine import numerical_gradient
from engine.digits import (
    DIGITS,
    INK_MAX,
    LIMITS,
    MAX_SECONDS,
    TEST_PER_DIGIT,
    DigitsConfig,
    DrawingError,
    check_drawing,
    confusion_matrix,
    find_mistakes,
    image_probabilities,
    image_trace,
    load_digits_data,
    pick_test_image,
    split_indices,
    train_digits,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    return load_digits_data()


@pytest.fixture(scope="module")
def raw():
    """The data set as scikit-learn gives it: pixels 0 … 16, labels 0 … 9."""
    digits = load_digits()
    return digits.data, digits.target


@pytest.fixture(scope="module")
def result():
    """Both models trained with the default settings (about 0.2 s)."""
    return train_digits(DigitsConfig())


# --- data -------------------------------------------------------------------------------
def test_shapes_dtypes_and_split_sizes(data):
    assert data.X_train.shape == (1347, 64) and data.X_test.shape == (450, 64)
    assert data.y_train.shape == (1347,) and data.y_test.shape == (450,)
    assert data.X_train.dtype == np.float64 and data.X_test.dtype == np.float64
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    assert data.n_train == 1347 and data.n_test == 450


def test_pixels_are_the_ink_levels_divided_by_16(data, raw):
    X_raw, y_raw = raw
    for X, y, source in (
        (data.X_train, data.y_train, data.source_train),
        (data.X_test, data.y_test, data.source_test),
    ):
        np.testing.assert_array_equal(X * 16, X_raw[source])
        np.testing.assert_array_equal(y, y_raw[source])
    X_all = np.concatenate([data.X_train, data.X_test])
    assert X_all.min() == 0.0 and X_all.max() == 1.0  # blank paper and full ink both occur


def test_split_is_stratified_and_a_partition(data, raw):
    np.testing.assert_array_equal(np.bincount(data.y_test, minlength=10), [TEST_PER_DIGIT] * 10)
    np.testing.assert_array_equal(
        np.bincount(data.y_train, minlength=10), np.bincount(raw[1]) - TEST_PER_DIGIT
    )
    sources = np.concatenate([data.source_train, data.source_test])
    np.testing.assert_array_equal(np.sort(sources), np.arange(1797))


def test_split_is_deterministic_under_its_seed():
    y = np.repeat(np.arange(3), 10)
    train, test = split_indices(y, 4, seed=5)
    again = split_indices(y, 4, seed=5)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])
    assert not np.array_equal(test, split_indices(y, 4, seed=6)[1])
    np.testing.assert_array_equal(np.bincount(y[test]), [4, 4, 4])
    with pytest.raises(ValueError, match="held out"):
        split_indices(y, 10, seed=0)


def test_loading_again_gives_the_same_split(data):
    load_digits_data.cache_clear()
    try:
        fresh = load_digits_data()
        assert fresh is not data
        for name in ("X_train", "y_train", "X_test", "y_test", "source_test"):
            np.testing.assert_array_equal(getattr(fresh, name), getattr(data, name))
        assert load_digits_data() is fresh  # once per process
    finally:
        load_digits_data.cache_clear()


def test_shared_arrays_cannot_be_changed_by_a_caller():
    data = load_digits_data()
    for name in ("X_train", "y_train", "X_test", "y_test", "source_train", "source_test"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(data, name)[0] = 1


def test_loading_the_digits_does_not_import_scikit_learn():
    """Its import would cost the server and each worker ~150 MB (the raw fixture checks
    that the data read are scikit-learn's)."""
    code = "import sys, engine.digits as d; d.load_digits_data(); print('sklearn' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_test_images_are_counted_from_1_and_copied(data):
    x, digit = pick_test_image(1)
    np.testing.assert_array_equal(x, data.X_test[0])
    assert digit == data.y_test[0]
    x[:] = 0.5  # the caller's copy, not the shared data
    assert not np.all(data.X_test[0] == 0.5)
    last, last_digit = pick_test_image(np.int64(450))
    np.testing.assert_array_equal(last, data.X_test[449])
    assert last_digit == data.y_test[449]


@pytest.mark.parametrize("number", [0, 451, -3, 2.5, math.nan, True, "7", None])
def test_test_image_numbers_outside_1_to_450_get_a_sentence(number):
    with pytest.raises(ValueError, match="the test image must be a whole number"):
        pick_test_image(number)


# --- drawn digits -------------------------------------------------------------------------
def test_a_drawing_is_read_row_by_row_and_scaled_by_16():
    grid = [[(r * 8 + c) % 17 for c in range(8)] for r in range(8)]
    x = check_drawing(grid)
    assert x.shape == (64,) and x.dtype == np.float64
    for r in range(8):
        for c in range(8):
            assert x[8 * r + c] == grid[r][c] / 16
    np.testing.assert_array_equal(check_drawing(np.array(grid)), x)
    np.testing.assert_array_equal(check_drawing(pd.DataFrame(grid)), x)
    np.testing.assert_array_equal(check_drawing([[str(v) for v in row] for row in grid]), x)
    assert check_drawing([[7.5] * 8] * 8).max() == 7.5 / 16  # fractions are fine


def test_a_test_image_drawn_back_in_ink_levels_is_the_same_input(data):
    x, _ = pick_test_image(17)
    ink = (x * INK_MAX).reshape(8, 8).tolist()
    np.testing.assert_array_equal(check_drawing(ink), x)


@pytest.mark.parametrize(
    "grid, message",
    [
        ([[0] * 8] * 7, "a drawing must have 8 rows; this one has 7"),
        ([[0] * 8] * 2 + [[0] * 9] + [[0] * 8] * 5, "row 3 has 9 cells; every row needs 8"),
        ([0] * 64, "a drawing must have 8 rows; this one has 64"),
        ([0] * 8, "row 1 must be a list of 8 numbers"),
        (np.zeros(64), r"shape \(64,\)"),
        ("a drawing", "8 rows of 8 numbers"),
        (42, "8 rows of 8 numbers"),
        ([[0] * 8] * 4 + [[0, 0, 0, 0, "abc", 0, 0, 0]] + [[0] * 8] * 3, "row 5, column 5: 'abc'"),
        ([[0] * 8] * 7 + [[0] * 7 + [17]], "row 8, column 8: 17 is outside the ink scale"),
        ([[-1] + [0] * 7] + [[0] * 8] * 7, "row 1, column 1: -1 is outside the ink scale"),
        ([[0, math.nan] + [0] * 6] + [[0] * 8] * 7, "row 1, column 2 is empty"),
        ([[0] * 8, [None] + [0] * 7] + [[0] * 8] * 6, "row 2, column 1 is empty"),
        ([[0, 0, math.inf] + [0] * 5] + [[0] * 8] * 7, "row 1, column 3: inf is not a finite"),
        ([[True] + [0] * 7] + [[0] * 8] * 7, "row 1, column 1: True is not a number"),
    ],
)
def test_bad_drawings_get_one_clear_sentence(grid, message):
    with pytest.raises(DrawingError, match=message):
        check_drawing(grid)
    assert issubclass(DrawingError, ValueError)


# --- config and budget ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(hidden_layers=0), "hidden_layers must lie in"),
        (dict(hidden_layers=4), "hidden_layers"),
        (dict(width=0), "width"),
        (dict(width=129), "width"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=201), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=257), "batch_size"),
        (dict(lr=0.0), "lr"),
        (dict(lr=11.0), "lr"),
        (dict(momentum=1.0), "momentum"),
        (dict(l2=-0.1), "l2"),
        (dict(seed=-1), "seed"),
        (dict(seed=10_001), "seed"),
        (dict(lr=math.nan), "lr"),
        (dict(width=31.5), "whole number"),
        (dict(epochs="30"), "must be a number"),
        (dict(activation="softplus"), "activation must be one of"),
    ],
)
def test_config_rejects_every_out_of_range_value_with_a_sentence(changes, match):
    with pytest.raises(ValueError, match=match):
        DigitsConfig(**changes)


def test_config_accepts_its_bounds_and_normalises_types():
    config = DigitsConfig(width=np.int64(16), epochs=20.0, lr=1, hidden_layers=2)
    assert isinstance(config.width, int) and isinstance(config.epochs, int)
    assert isinstance(config.lr, float)
    assert config.mlp_sizes == (64, 16, 16, 10) and config.linear_sizes == (64, 10)
    for name, (low, high) in LIMITS.items():
        replace(config, **{name: low})
        replace(config, **{name: high})


def test_the_cost_estimate_grows_with_the_work():
    base = DigitsConfig()
    seconds = base.estimated_seconds(base.mlp_sizes)
    assert base.estimated_seconds(base.linear_sizes) < seconds
    assert replace(base, epochs=60).estimated_seconds(base.mlp_sizes) == pytest.approx(2 * seconds)
    wider = replace(base, width=128)
    assert wider.estimated_seconds(wider.mlp_sizes) > seconds
    assert replace(base, batch_size=1).estimated_seconds(base.mlp_sizes) > seconds
    assert replace(base, batch_size=256).estimated_seconds(base.mlp_sizes) < seconds


def test_the_defaults_fit_the_budget_and_the_largest_settings_do_not():
    assert DigitsConfig().too_expensive() == ""
    assert DigitsConfig().estimated_seconds(DigitsConfig().mlp_sizes) < MAX_SECONDS / 4
    heavy = DigitsConfig(hidden_layers=3, width=128, epochs=200, batch_size=1)
    reason = heavy.too_expensive()
    assert f"the limit is {MAX_SECONDS:g} s" in reason and "batch size" in reason
    with pytest.raises(ValueError, match="limit is"):
        train_digits(heavy)


# --- training -------------------------------------------------------------------------------
def test_defaults_reach_the_issues_accuracy_targets(result):
    assert result.linear.test_accuracy >= 0.93
    assert result.mlp.test_accuracy >= 0.96
    assert result.linear.sizes == (64, 10) and result.mlp.sizes == (64, 32, 10)


def test_reported_accuracy_matches_the_networks_predictions(result, data):
    for run in (result.linear, result.mlp):
        predicted = run.network().predict(data.X_test)
        np.testing.assert_array_equal(run.predicted, predicted)
        assert run.test_accuracy == pytest.approx(np.mean(predicted == data.y_test))
        assert run.test_acc[-1] == pytest.approx(run.test_accuracy)
        np.testing.assert_allclose(run.probabilities.sum(axis=1), 1.0)


def test_curves_have_one_value_per_epoch_and_the_loss_falls(result):
    epochs = DigitsConfig().epochs
    for run in (result.linear, result.mlp):
        for curve in (run.train_loss, run.train_acc, run.test_loss, run.test_acc):
            assert curve.shape == (epochs,) and np.isfinite(curve).all()
        assert run.train_loss[-1] < run.train_loss[0] / 2
        assert run.epochs_done == epochs and not run.diverged


def test_confusion_matrix_counts_a_hand_made_example():
    counts = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 0, 2, 2]), 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_confusion_rows_sum_to_the_test_images_of_each_digit(result, data):
    per_digit = np.bincount(data.y_test, minlength=DIGITS)
    for run in (result.linear, result.mlp):
        assert run.confusion.shape == (10, 10) and run.confusion.dtype == np.int64
        np.testing.assert_array_equal(run.confusion.sum(axis=1), per_digit)
        assert np.trace(run.confusion) == round(run.test_accuracy * 450)
        np.testing.assert_array_equal(
            run.confusion.sum(axis=0), np.bincount(run.predicted, minlength=DIGITS)
        )


def test_find_mistakes_on_a_hand_made_example():
    probabilities = np.array(
        [
            [0.7, 0.2, 0.1],  # label 0: right
            [0.6, 0.3, 0.1],  # label 1: wrong, 0 with 0.6
            [0.1, 0.1, 0.8],  # label 0: wrong, 2 with 0.8 (the most confident)
        ]
    )
    X = np.arange(3 * 64, dtype=float).reshape(3, 64)
    first, second = find_mistakes(probabilities, np.array([0, 1, 0]), X)
    assert (first.number, first.true_digit, first.predicted) == (3, 0, 2)
    assert first.probability == 0.8 and first.true_probability == 0.1
    assert [d for d, _ in first.top] == [2, 0, 1]
    np.testing.assert_array_equal(first.image, X[2].reshape(8, 8))
    assert (second.number, second.predicted, second.true_probability) == (2, 0, 0.3)


def test_every_mistake_is_a_real_misclassification(result, data):
    for run in (result.linear, result.mlp):
        assert len(run.mistakes) == 450 - np.trace(run.confusion)
        wrong_probabilities = [m.probability for m in run.mistakes]
        assert wrong_probabilities == sorted(wrong_probabilities, reverse=True)
        for m in run.mistakes:
            i = m.number - 1
            assert m.true_digit == data.y_test[i] != m.predicted == run.predicted[i]
            np.testing.assert_array_equal(m.image, data.X_test[i].reshape(8, 8))
            assert len(m.top) == 3 and m.top[0][0] == m.predicted
            ps = [p for _, p in m.top]
            assert ps == sorted(ps, reverse=True) and sum(ps) <= 1 + 1e-12
            assert m.probability == pytest.approx(run.probabilities[i, m.predicted])
            assert m.true_probability == pytest.approx(run.probabilities[i, m.true_digit])


def test_W1_images_are_the_templates_the_scores_use(result, data):
    linear = result.linear
    templates = linear.W1_images
    assert templates.shape == (10, 8, 8)
    assert result.mlp.W1_images.shape == (32, 8, 8)
    image = data.X_test[5].reshape(8, 8)
    # score of digit c = b_c + Σ over the image of template_c × ink: the picture a page shows
    scores = linear.params["b1"] + (templates * image).sum(axis=(1, 2))
    np.testing.assert_allclose(scores, linear.network().scores(data.X_test[5])[0])
    templates[0] = 99.0  # a copy: the run keeps its weights
    assert not np.any(linear.params["W1"] == 99.0)


def test_pixels_blank_in_every_training_image_keep_zero_template_weight(result, data):
    blank = data.X_train.max(axis=0) == 0
    assert blank.any()
    np.testing.assert_array_equal(result.linear.params["W1"][:, blank], 0.0)


def test_training_is_deterministic_under_a_seed():
    config = DigitsConfig(epochs=3)
    first, again = train_digits(config), train_digits(config)
    other = train_digits(replace(config, seed=1))
    for model in ("linear", "mlp"):
        a, b = getattr(first, model), getattr(again, model)
        for key in a.params:
            np.testing.assert_array_equal(a.params[key], b.params[key])
        np.testing.assert_array_equal(a.confusion, b.confusion)
        assert not np.array_equal(a.params["W1"], getattr(other, model).params["W1"])


def test_progress_rises_to_1_and_names_both_models():
    calls = []
    train_digits(DigitsConfig(epochs=12), progress=lambda f, text: calls.append((f, text)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] == 1.0
    assert any("linear classifier: epoch 12 of 12" in t for _, t in calls)
    assert any("MLP: epoch 12 of 12" in t for _, t in calls)
    assert len(calls) <= 2 * 40 + 1


def test_a_far_too_large_step_still_gives_finite_plain_results():
    result = train_digits(DigitsConfig(lr=10.0, momentum=0.99, epochs=5))
    for run in (result.linear, result.mlp):
        assert all(np.isfinite(v).all() for v in run.params.values())
        assert np.isfinite(run.probabilities).all()
        assert run.confusion.sum() == 450 and len(run.mistakes) == 450 - np.trace(run.confusion)


# --- one image through a network -------------------------------------------------------------
def test_image_trace_is_the_forward_and_backward_pass_of_that_image(result):
    x, digit = pick_test_image(3)
    run = result.mlp
    steps = image_trace(run, x, digit)
    np.testing.assert_array_equal(steps[0].reads["h(0)"], x[None, :])
    output = next(s for s in steps if s.kind == "output").writes["f(x)"][0]
    np.testing.assert_allclose(output, image_probabilities(run, x))
    np.testing.assert_allclose(output, run.probabilities[2])
    loss = next(s for s in steps if s.kind == "loss").writes["L"]
    assert float(loss) == pytest.approx(-math.log(output[digit]))
    # ∇W(1) of the trace against centred differences of the loss of this one image
    net = run.network()
    W1 = net.params["W1"]
    numeric = numerical_gradient(lambda: net.loss_and_grads(x, [digit])[0], W1)
    grad_W1 = next(s for s in steps if s.title == "∇W(1)").writes["∇W(1)"]
    np.testing.assert_allclose(grad_W1, numeric, atol=1e-7)
    np.testing.assert_array_equal(
        steps[0].reads["h(0)"], image_trace(run, x.reshape(8, 8), digit)[0].reads["h(0)"]
    )


@pytest.mark.parametrize(
    "image, digit, match",
    [
        (np.zeros(10), 0, "shape"),
        (np.full(64, 2.0), 0, r"\[0, 1\]"),
        (np.full(64, np.nan), 0, r"\[0, 1\]"),
        (np.zeros(64), 10, "from 0 to 9"),
        (np.zeros(64), -1, "from 0 to 9"),
        (np.zeros(64), 2.5, "from 0 to 9"),
        (np.zeros(64), True, "from 0 to 9"),
    ],
)
def test_image_trace_rejects_bad_images_and_digits(result, image, digit, match):
    with pytest.raises(ValueError, match=match):
        image_trace(result.linear, image, digit)
