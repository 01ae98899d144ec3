"""One digit's player payload: Build & Step's steps, with h(0) drawn as the 8 × 8 image,
the output rows named by digit, the label y the digit itself, and the example named as the
page names it. Expected values come from the trace itself (the engine), not the payload."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from engine.digits import DigitsConfig, image_trace, pick_test_image, train_digits
from viz.digits_steps import TEXT_ROWS, digit_step_view


@pytest.fixture(scope="module")
def mlp():
    return train_digits(DigitsConfig(epochs=2)).mlp


def decoded(array) -> np.ndarray:
    if not isinstance(array, dict):
        return np.asarray(array, dtype=np.float64)
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype="<" + array["dtype"])
    shape = [int(s) for s in array.get("shape", str(values.size)).split(",")]
    return values.reshape(shape)


def blocks(view: dict) -> list[dict]:
    """The blocks of a step's main area, rows opened up."""
    out = []
    for block in view["areas"]["main"]:
        out += block["blocks"] if block["kind"] == "row" else [block]
    return out


def heatmap(view: dict, name: str) -> dict:
    (found,) = [b for b in blocks(view) if b.get("table", {}).get("title") == name]
    return found["figure"]


def caption(view: dict) -> str:
    return next(b["html"] for b in view["areas"]["side"] if "bp-caption" in b.get("html", ""))


def test_every_step_that_reads_h0_shows_the_image_and_keeps_its_64_values(mlp):
    x, digit = pick_test_image(17)
    steps = image_trace(mlp, x, digit)
    payload = digit_step_view(mlp.network(), steps, x, digit, 17)
    assert len(payload["steps"]) == len(steps) == 12
    json.dumps(payload)  # plain JSON for the player
    for step, view in zip(steps, payload["steps"], strict=True):
        images = [
            b for b in blocks(view) if b["kind"] == "plotly" and "h(0) = x" in str(b["figure"])
        ]
        tables = [b for b in blocks(view) if b["kind"] == "table" and b["title"] == "h(0)"]
        if "h(0)" in step.arrays:  # a(1) forward, ∇W(1) backward
            (image,) = images
            np.testing.assert_array_equal(decoded(image["figure"]["data"][0]["z"]), x.reshape(8, 8))
            (table,) = tables
            np.testing.assert_array_equal(decoded(table["values"]).ravel(), step.arrays["h(0)"][0])
            assert table["when"] == "tables" and len(table["index"]) == 64
            assert not [b for b in blocks(view) if b.get("table", {}).get("title") == "h(0)"]
        else:
            assert not images and not tables
        assert f"Test image 17, true digit y = {digit}" in caption(view)
    assert [s.title for s in steps if "h(0)" in s.arrays] == ["a(1)", "∇W(1)"]


def test_output_rows_are_digits_and_y_is_the_digit(mlp):
    x, digit = pick_test_image(17)
    steps = image_trace(mlp, x, digit)
    payload = digit_step_view(mlp.network(), steps, x, digit, 17)
    by_title = {s.title: (s, v) for s, v in zip(steps, payload["steps"], strict=True)}
    step, view = by_title["∇a(2)"]
    for name in ("f(x)", "e(y)", "∇a(2)"):
        fig = heatmap(view, name)
        assert fig["data"][0]["y"] == [str(d) for d in range(10)]
        assert fig["layout"]["yaxis"]["title"]["text"].startswith("digit")
        assert fig["data"][0]["x"] == ["test image 17"]
        assert "digit %{y}" in fig["data"][0]["hovertemplate"]
    e = decoded(heatmap(view, "e(y)")["data"][0]["z"]).ravel()
    assert e.argmax() == digit and e.sum() == 1.0  # row "digit" of e(y) holds the 1
    _, loss = by_title["L"]
    (y_table,) = [b for b in blocks(loss) if b["kind"] == "table" and b["title"] == "y"]
    assert y_table["values"] == [[digit]] and y_table["columns"] == ["test image 17"]
    # Hidden units keep their numbers from 1.
    assert heatmap(by_title["a(1)"][1], "a(1)")["data"][0]["y"][:2] == ["1", "2"]


def test_numbers_are_written_only_in_the_cells_of_short_heatmaps(mlp):
    x, digit = pick_test_image(3)
    payload = digit_step_view(mlp.network(), image_trace(mlp, x, digit), x, digit, 3)
    view = payload["steps"][0]  # a(1) 32 × 1, b(1) 32 × 1, W(1) 32 × 64
    assert "texttemplate" not in heatmap(view, "a(1)")["data"][0]
    output = payload["steps"][3]  # f(x) 10 × 1
    assert len(heatmap(output, "f(x)")["data"][0]["y"]) <= TEXT_ROWS
    assert "texttemplate" in heatmap(output, "f(x)")["data"][0]


def test_a_drawing_is_named_as_such_with_the_digit_meant(mlp):
    x = np.zeros(64)
    x[[3, 11, 19, 27, 35, 43, 51, 59]] = 1.0  # a vertical stroke: a 1
    steps = image_trace(mlp, x, 1)
    payload = digit_step_view(mlp.network(), steps, x, 1, None)
    first = payload["steps"][0]
    assert "Your drawing, meant as digit y = 1" in caption(first)
    assert heatmap(first, "a(1)")["data"][0]["x"] == ["your drawing"]
    assert "#" not in json.dumps(heatmap(first, "a(1)")["data"][0]["x"])


def test_the_diagram_is_left_out_past_its_bound_and_kept_below_it(mlp):
    from engine import MLP
    from viz.digits_steps import DIAGRAM_MAX_WEIGHTS

    x, digit = pick_test_image(5)
    kept = digit_step_view(mlp.network(), image_trace(mlp, x, digit), x, digit, 5)
    assert 64 * 32 + 32 * 10 <= DIAGRAM_MAX_WEIGHTS
    for view in kept["steps"]:
        assert [b["kind"] for b in view["areas"]["side"]].count("plotly") == 1

    wide = MLP([64, 80, 10], "tanh", seed=0)  # 5,920 weights
    steps = wide.trace(x[None, :], np.array([digit]))
    left_out = digit_step_view(wide, steps, x, digit, 5)
    for view in left_out["steps"]:
        side = view["areas"]["side"]
        assert not [b for b in side if b["kind"] == "plotly"]
        assert "this MLP has 5,920 weights" in side[0]["html"]
        assert any(f"Test image 5, true digit y = {digit}<br>" in b.get("html", "") for b in side)
    assert len(json.dumps(left_out)) < len(json.dumps(kept)) * 2
