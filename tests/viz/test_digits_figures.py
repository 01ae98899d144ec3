"""Figures of the digits page: templates and features grids (one shared symmetric diverging
range), a digit image, the confusion matrix, the misclassified images, training curves."""

from __future__ import annotations

import numpy as np
import pytest

from engine.digits import DigitsConfig, Mistake, train_digits
from viz.digits import (
    confusion_figure,
    digit_figure,
    features_figure,
    mistake_title,
    mistakes_figure,
    templates_figure,
    training_curves,
)
from viz.style import DIVERGING, FONT, SEQUENTIAL


@pytest.fixture(scope="module")
def result():
    return train_digits(DigitsConfig(epochs=4))


def heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def panel_titles(fig):
    return [a.text for a in fig.layout.annotations]


def scale_name(colorscale) -> str:
    """The named scale a resolved colorscale came from (Plotly expands names into stops)."""
    import plotly.colors as pc

    stops = [c for _, c in colorscale]
    for name in (DIVERGING, SEQUENTIAL, "Greys"):
        base = name.removesuffix("_r")
        named = [c for _, c in pc.get_colorscale(base)]
        if stops in (named, named[::-1]):
            return name
    return "?"


def assert_square_image_panels(fig):
    for i, trace in enumerate(heatmaps(fig)):
        suffix = "" if i == 0 else str(i + 1)
        x_axis, y_axis = fig.layout[f"xaxis{suffix}"], fig.layout[f"yaxis{suffix}"]
        assert trace.xaxis == f"x{suffix}" and trace.yaxis == f"y{suffix}"
        assert y_axis.scaleanchor == f"x{suffix}" and y_axis.scaleratio == 1
        assert tuple(y_axis.range) == (8.5, 0.5)  # row 1 of the image on top
        assert not x_axis.showticklabels and not y_axis.showticklabels
        assert 0 <= y_axis.domain[0] < y_axis.domain[1] <= 1


def test_templates_are_ten_panels_titled_by_digit_on_one_symmetric_range():
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(10, 8, 8))
    templates[3, 2, 5] = -7.0  # the largest magnitude, negative
    fig = templates_figure(templates)
    traces = heatmaps(fig)
    assert len(traces) == 10
    assert panel_titles(fig) == [f"digit {d}" for d in range(10)]
    for d, trace in enumerate(traces):
        np.testing.assert_array_equal(trace.z, templates[d])
        assert trace.coloraxis == "coloraxis"  # one colour bar for all
    axis = fig.layout.coloraxis
    assert (axis.cmin, axis.cmax, axis.cmid) == (-7.0, 7.0, 0.0)
    assert scale_name(axis.colorscale) == DIVERGING
    assert axis.colorbar.orientation == "h"
    assert "W(1) (10 × 64)" in fig.layout.title.text
    assert fig.layout.font.size == FONT["size"]
    assert_square_image_panels(fig)
    with pytest.raises(ValueError, match=r"\(10, 8, 8\)"):
        templates_figure(templates[:9])


def test_templates_of_a_trained_linear_classifier(result):
    fig = templates_figure(result.linear.W1_images)
    top = float(np.abs(result.linear.params["W1"]).max())
    assert fig.layout.coloraxis.cmax == pytest.approx(top)
    # pixel (row 1, column 3) of template 7 is the weight on input 3
    assert heatmaps(fig)[7].z[0][2] == result.linear.params["W1"][7, 2]


def test_features_show_the_first_units_or_all_of_them(result):
    features = result.mlp.W1_images
    all_units = features_figure(features)
    assert len(heatmaps(all_units)) == 32
    assert panel_titles(all_units) == [f"unit {i}" for i in range(1, 33)]
    assert "W(1) (32 × 64)" in all_units.layout.title.text
    first = features_figure(features, max_units=16)
    assert len(heatmaps(first)) == 16 and panel_titles(first)[-1] == "unit 16"
    assert "units 1–16" in first.layout.title.text
    m = float(np.abs(features[:16]).max())
    assert (first.layout.coloraxis.cmin, first.layout.coloraxis.cmax) == (-m, m)
    # 8 per row: unit 9 starts the second row, below unit 1
    assert first.layout.xaxis9.domain == first.layout.xaxis.domain
    assert first.layout.yaxis9.domain[1] < first.layout.yaxis.domain[0]
    assert_square_image_panels(first)


def test_a_digit_is_drawn_in_grey_as_written():
    image = np.zeros(64)
    image[3] = 1.0  # row 1, column 4
    fig = digit_figure(image, "test image 1 · digit 0")
    (trace,) = heatmaps(fig)
    np.testing.assert_array_equal(trace.z, image.reshape(8, 8))
    assert trace.z[0][3] == 1.0
    assert (trace.zmin, trace.zmax, trace.showscale) == (0.0, 1.0, False)
    assert scale_name(trace.colorscale) == "Greys"
    assert trace.customdata[0][3] == 4  # input j of that pixel, counted from 1
    assert fig.layout.title.text == "test image 1 · digit 0"
    assert fig.layout.width == 300
    assert_square_image_panels(fig)
    np.testing.assert_array_equal(heatmaps(digit_figure(image.reshape(8, 8))).pop().z, trace.z)
    with pytest.raises(ValueError, match="shape"):
        digit_figure(np.zeros(63))


def test_confusion_matrix_prints_its_counts_on_a_sequential_scale():
    confusion = np.diag(np.full(10, 44))
    confusion[3, 8] = 1
    confusion[9, 4] = 2
    fig = confusion_figure(confusion, "MLP: confusion matrix")
    (trace,) = heatmaps(fig)
    np.testing.assert_array_equal(trace.z, confusion)
    assert list(trace.x) == list(trace.y) == [str(d) for d in range(10)]
    assert trace.text[3][8] == "1" and trace.text[9][4] == "2" and trace.text[0][0] == "44"
    assert trace.text[0][1] == ""  # empty cells stay blank
    assert trace.texttemplate == "%{text}"
    assert (trace.zmin, trace.zmax) == (0, 44)
    assert scale_name(trace.colorscale) == SEQUENTIAL
    assert fig.layout.xaxis.title.text == "predicted digit"
    assert fig.layout.yaxis.title.text == "true digit"
    assert fig.layout.yaxis.autorange == "reversed"  # digit 0 on top
    with pytest.raises(ValueError, match=r"\(10, 10\)"):
        confusion_figure(np.zeros((9, 9)), "x")


def test_mistake_titles_say_true_predicted_and_probability():
    m = Mistake(
        number=417,
        image=np.zeros((8, 8)),
        true_digit=3,
        predicted=8,
        top=((8, 0.6149), (3, 0.3), (5, 0.05)),
        true_probability=0.3,
    )
    title = mistake_title(m)
    assert title.startswith("true 3 → predicted 8<br>")
    assert "p = 0.61" in title and "image 417" in title


def test_misclassified_images_grid(result):
    mistakes = result.linear.mistakes
    assert len(mistakes) > 3
    fig = mistakes_figure(mistakes, "Linear classifier: test images it gets wrong", max_images=3)
    traces = heatmaps(fig)
    assert len(traces) == 3
    for trace, m in zip(traces, mistakes[:3], strict=True):
        np.testing.assert_array_equal(trace.z, m.image)
        assert f"digit {m.top[1][0]}: {m.top[1][1]:.3f}" in trace.hovertemplate
    assert panel_titles(fig) == [mistake_title(m) for m in mistakes[:3]]
    assert_square_image_panels(fig)
    everything = mistakes_figure(mistakes, "all", max_images=100)
    assert len(heatmaps(everything)) == len(mistakes)


def test_no_mistakes_gives_a_sentence_not_an_empty_grid():
    fig = mistakes_figure([], "MLP: test images it gets wrong")
    assert not fig.data
    assert "Every test image is classified correctly" in fig.layout.annotations[0].text


def test_training_curves_of_both_models(result):
    fig = training_curves(result.linear, result.mlp)
    assert len(fig.data) == 8  # 2 models × (train, test) × (loss, accuracy)
    names = {t.name for t in fig.data}
    assert names == {"linear · train", "linear · test", "MLP · train", "MLP · test"}
    for trace in fig.data:
        assert list(trace.x) == [1, 2, 3, 4]
    loss = [t for t in fig.data if t.yaxis != "y2"]
    np.testing.assert_array_equal(loss[0].y, result.linear.train_loss)
    low, high = fig.layout.yaxis2.range
    lowest = min(min(r.train_acc.min(), r.test_acc.min()) for r in (result.linear, result.mlp))
    assert low <= lowest and high >= 1.0
    assert panel_titles(fig) == ["Loss (data loss, no L2 term)", "Accuracy"]


# --- figures added for the digits page ------------------------------------------------------
def test_a_digit_spec_is_plain_data_and_the_figure_draws_it():
    from viz.digits import digit_spec

    image = np.linspace(0, 1, 64)
    spec = digit_spec(image, "h(0)", size=200)
    assert isinstance(spec["data"][0], dict) and isinstance(spec["layout"], dict)
    np.testing.assert_array_equal(spec["data"][0]["z"], image.reshape(8, 8))
    assert spec["layout"]["width"] == 200 and spec["layout"]["height"] == 240
    fig = digit_figure(image, "h(0)", size=200)
    np.testing.assert_array_equal(heatmaps(fig)[0].z, image.reshape(8, 8))


def test_samples_are_ink_images_titled_in_a_row():
    from viz.digits import samples_figure

    images = [np.full((8, 8), d / 10) for d in range(10)]
    fig = samples_figure(images, [str(n) for n in range(11, 21)], "samples")
    traces = heatmaps(fig)
    assert len(traces) == 10
    for d, trace in enumerate(traces):
        np.testing.assert_array_equal(trace.z, images[d])
        assert (trace.zmin, trace.zmax) == (0.0, 1.0) and scale_name(trace.colorscale) == "Greys"
    assert panel_titles(fig) == [str(n) for n in range(11, 21)]
    assert fig.layout.xaxis10.domain[0] > fig.layout.xaxis9.domain[1]  # one row, left to right
    assert fig.layout.yaxis10.domain == fig.layout.yaxis.domain
    assert_square_image_panels(fig)


def test_probabilities_of_both_models_per_digit_with_the_true_digit_marked():
    from viz.digits import probabilities_figure

    linear = np.full(10, 0.1)
    mlp = np.zeros(10)
    mlp[3], mlp[8] = 0.994, 0.006
    fig = probabilities_figure(linear, mlp, 3)
    bar_linear, bar_mlp = fig.data
    assert (bar_linear.name, bar_mlp.name) == ("linear", "MLP")
    assert list(bar_linear.x) == [str(d) for d in range(10)]
    np.testing.assert_array_equal(bar_mlp.y, mlp)
    assert bar_mlp.text[3] == "0.99" and bar_mlp.text[8] == "" and bar_linear.text[0] == "0.10"
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[3] == "<b>3</b><br>true" and ticks[4] == "4"
    assert (
        "meant" in probabilities_figure(linear, mlp, 7, digit_word="meant").layout.xaxis.ticktext[7]
    )
    assert all(
        "<b>" not in t for t in probabilities_figure(linear, mlp, None).layout.xaxis.ticktext
    )
    with pytest.raises(ValueError, match=r"\(10,\)"):
        probabilities_figure(linear[:9], mlp, 3)
