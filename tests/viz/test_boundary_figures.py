"""Figures of the decision-boundary page: region codes and colours, the animation's frames
and controls, train vs test markers, curves, hidden space, sweep and collapse panels."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from engine.boundary import (
    BoundaryConfig,
    compare,
    hidden_space,
    linear_collapse,
    regularization_sweep,
    two_class_line,
)
from viz.boundary import (
    FLAT_LEVEL,
    LEVELS,
    boundary_animation,
    collapse_figure,
    hidden_space_figure,
    region_codes,
    region_colorscale,
    sweep_figure,
    training_curves,
)
from viz.style import CLASS_COLORS, FONT

CONFIG = BoundaryConfig(n=200, epochs=40, dataset="spiral", classes=3)


@pytest.fixture(scope="module")
def result():
    return compare(CONFIG)


def contours(fig):
    return [t for t in fig.data if t.type == "contour"]


def test_region_codes_put_class_in_the_band_and_confidence_in_the_level():
    label = np.array([[0, 1], [2, 1]], dtype=np.int8)
    confidence = np.array([[0.0, 1.0], [0.5, 0.1]], dtype=np.float32)
    codes = region_codes(label, confidence)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes // LEVELS, label)
    np.testing.assert_array_equal(codes % LEVELS, [[0, LEVELS - 1], [4, 1]])
    flat = region_codes(label, confidence, shaded=False)
    np.testing.assert_array_equal(flat % LEVELS, FLAT_LEVEL)


def test_region_colorscale_is_discrete_and_paler_near_the_boundary():
    scale = region_colorscale(3)
    positions = [p for p, _ in scale]
    assert positions[0] == 0 and positions[-1] == pytest.approx(1)
    assert positions == sorted(positions) and len(scale) == 2 * 3 * LEVELS

    def rgb(i):
        return np.array([int(v) for v in scale[2 * i][1][4:-1].split(",")])

    # Level 0 of a class is lighter (closer to white) than its top level.
    for c in range(3):
        assert rgb(c * LEVELS).sum() > rgb(c * LEVELS + LEVELS - 1).sum()
    # The classes keep their palette hue: the strongest blue is bluest, etc.
    assert np.argmax(rgb(LEVELS - 1)) == 2  # class 0 = #0072B2, blue
    assert CLASS_COLORS[0] == "#0072B2"


def test_animation_has_a_frame_per_snapshot_with_both_panels(result):
    fig = boundary_animation(result)
    epochs = result.mlp.regions.epochs
    assert len(fig.frames) == len(epochs) >= 20
    regions = contours(fig)
    assert len(regions) == 2
    index = [i for i, t in enumerate(fig.data) if t.type == "contour"]
    for frame, epoch in zip(fig.frames, epochs, strict=True):
        assert list(frame.traces) == index
        assert all(np.asarray(t.z).shape == (100, 100) for t in frame.data)
        titles = [a.text for a in frame.layout.annotations]
        assert all(f"epoch {epoch}" in t for t in titles)
    # It opens on the final state, which is also the last frame.
    for shown, last in zip(regions, fig.frames[-1].data, strict=True):
        np.testing.assert_array_equal(shown.z, last.z)
    # The first frame is the untrained network, the last one the trained network.
    first = np.asarray(fig.frames[0].data[1].z) // LEVELS
    np.testing.assert_array_equal(first, result.mlp.regions.label[0])
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("<b>Linear classifier") and titles[1].startswith("<b>MLP 16×16")
    accuracy = f"test {result.mlp.final_test_acc:.0%}"
    assert accuracy in titles[1]


def test_animation_controls_play_and_scrub_all_frames(result):
    fig = boundary_animation(result)
    (menu,) = fig.layout.updatemenus
    play, pause = menu.buttons
    assert "Play" in play.label and play.method == "animate" and play.args[0] is None
    assert play.args[1]["frame"]["redraw"] is True
    assert "Pause" in pause.label
    (slider,) = fig.layout.sliders
    assert len(slider.steps) == len(fig.frames)
    assert slider.active == len(fig.frames) - 1
    assert [list(s.args[0]) for s in slider.steps] == [[f.name] for f in fig.frames]
    assert slider.currentvalue.prefix == "epoch "


def test_planes_have_equal_aspect_and_cover_the_grid(result):
    fig = boundary_animation(result)
    grid = result.grid
    for axis, anchor in (("yaxis", "x"), ("yaxis2", "x2")):
        assert fig.layout[axis].scaleanchor == anchor and fig.layout[axis].scaleratio == 1
        assert list(fig.layout[axis].range) == [grid.x2[0], grid.x2[-1]]
    assert list(fig.layout.xaxis.range) == [grid.x1[0], grid.x1[-1]]
    assert fig.layout.font.size == FONT["size"] >= 16


def test_train_points_are_filled_and_test_points_hollow(result):
    fig = boundary_animation(result)
    train = [t for t in fig.data if t.name == "train points"]
    test = [t for t in fig.data if t.name == "test points"]
    assert [t.xaxis for t in train] == [t.xaxis for t in test] == ["x", "x2"]  # both panels
    for t in train:  # filled in the class colour, thin dark outline
        np.testing.assert_array_equal(t.marker.color, result.data.y_train)
        assert t.marker.line.width == 1
        np.testing.assert_array_equal(t.x, result.data.X_train[:, 0])
    for t in test:  # hollow: white inside, a thick ring in the class colour
        assert t.marker.color == "white" and t.marker.line.width >= 2
        np.testing.assert_array_equal(t.marker.line.color, result.data.y_test)
    # Class c maps to the palette's colour c on both.
    scale = [color for _, color in train[0].marker.colorscale]
    assert scale[::2] == list(CLASS_COLORS[:3])
    assert (train[0].marker.cmin, train[0].marker.cmax) == (-0.5, 2.5)
    assert test[0].marker.line.colorscale == train[0].marker.colorscale
    only_train = boundary_animation(result, points="train")
    assert not [t for t in only_train.data if t.name == "test points"]
    legend = [t.name for t in fig.data if t.showlegend is not False and t.name]
    assert legend == ["class 1", "class 2", "class 3", "training point", "test point"]


def test_the_boundary_is_drawn_as_lines_between_class_bands(result):
    fig = boundary_animation(result, shaded=False)
    for trace in contours(fig):
        assert trace.contours.coloring == "heatmap" and trace.contours.showlines
        assert trace.contours.start == LEVELS - 0.5 and trace.contours.size == LEVELS
        assert trace.contours.end == 2 * LEVELS - 0.5
        assert np.all(np.asarray(trace.z) % LEVELS == FLAT_LEVEL)


def test_the_animation_payload_stays_small(result):
    spec = pio.to_json(boundary_animation(result), validate=False)
    assert len(spec) < 1_500_000
    frame_z = json.loads(spec)["frames"][0]["data"][0]["z"]
    assert frame_z["dtype"] == "u1" and "bdata" in frame_z  # uint8, base64


def test_training_curves_show_both_models_on_train_and_test(result):
    fig = training_curves(result.linear, result.mlp)
    assert len(fig.data) == 8
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["linear · train", "linear · test", "MLP · train", "MLP · test"]
    for t in fig.data:
        assert len(t.x) == CONFIG.epochs and t.x[0] == 1
    dashes = {t.name: t.line.dash for t in fig.data}
    assert dashes["MLP · test"] == "dash" and dashes["MLP · train"] == "solid"
    np.testing.assert_array_equal(fig.data[0].y, result.linear.train_loss)
    np.testing.assert_array_equal(fig.data[1].y, result.linear.train_acc)


def test_training_curves_turn_non_finite_values_into_gaps(result):
    linear = result.linear
    broken = type(linear)(**{**linear.__dict__, "train_loss": np.r_[1.0, np.inf, 2.0]})
    fig = training_curves(broken, result.mlp)
    assert np.isnan(fig.data[0].y[1]) and fig.data[0].y[2] == 2.0


def test_hidden_space_figure_shows_input_and_hidden_coordinates(result):
    hidden = hidden_space(result.mlp, result.data)
    fig = hidden_space_figure(result.data, hidden)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["Input space x", "Hidden space h(2): first 2 of 16 dimensions (PCA)"]
    assert fig.layout.xaxis2.title.text == hidden.axis_titles[0]
    right = [t for t in fig.data if t.xaxis == "x2"]
    assert sum(len(t.x) for t in right) == len(hidden.train) + len(hidden.test)


def test_sweep_and_collapse_figures_have_one_panel_per_model():
    config = BoundaryConfig(n=150, epochs=20)
    sweep = regularization_sweep(config)
    fig = sweep_figure(sweep)
    titles = [a.text for a in fig.layout.annotations]
    assert [t.split("<br>")[0] for t in titles] == [
        "<b>λ = 0.001</b>",
        "<b>λ = 0.01</b>",
        "<b>λ = 0.1</b>",
    ]
    assert len(contours(fig)) == 3
    reference = compare(config)
    fig = sweep_figure(sweep, reference.mlp)  # the MLP above (λ = 0) first
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("<b>λ = 0</b> (above)") and len(contours(fig)) == 4
    collapse = linear_collapse(config)
    linear = reference.linear
    line = two_class_line(collapse.W, collapse.b, collapse.grid)
    fig = collapse_figure(collapse, linear, line)
    assert len(contours(fig)) == 2
    (dashed,) = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert dashed.line.dash == "dash" and dashed.name.startswith("boundary of W x + b")
    np.testing.assert_array_equal(dashed.x, line[:, 0])
