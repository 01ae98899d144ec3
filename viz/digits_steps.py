"""One digit through the MLP, step by step: Build & Step's player payload (viz.step_view)
for the trace of one image, adapted to digits.

- The input: ``step_view`` draws h(0) as a heatmap column of 64 rows, each about 5 pixels
  high: right for a 2-D point, unreadable for a digit. Every step that reads h(0) (a(1) =
  b(1) + W(1) h(0) forward, ∇W(1) = ∇a(1) h(0)^T backward) shows the 8 × 8 image in its
  place, on the ink scale of the page's other digits; hover names input j of each pixel,
  and the "Values as tables" toggle still lists the 64 values of the column.
- Names: Build & Step counts classes from 1; here the output units are the digits 0 … 9
  (engine.digits), so the rows of f(x), e(y) and the output layer's a, b, W and their
  gradients are labelled by digit, the label y is the digit, and the example is the test
  image by its number ("test image 17") or "your drawing".
- The network diagram: kept up to DIAGRAM_MAX_WEIGHTS weights (the default MLP has 2,368).
  Past that its edges are a solid block and cost megabytes (16.5 MB for 3 layers of 128
  units, against 1.5 MB for all the heatmaps), so a sentence stands in its place.
- Cells: numbers are written in the cells of heatmaps of at most TEXT_ROWS rows; step_view
  writes up to 64, sized for Build & Step's 16 units a layer, and a hidden layer of 32
  squeezes them into 9-pixel rows, where they overlap. Hover and the tables give them all.
"""

from __future__ import annotations

import html
import re

import numpy as np

from engine import MLP, Step

from .digits import DIGIT_TICKS, digit_spec
from .step_view import jsonable, step_view

INPUT = "h(0)"
IMAGE_SIZE = 300  # pixels: as tall as the heatmap columns beside it (300-pixel plots)
STEP_TITLE_FONT = dict(size=18)  # as the step's heatmaps (viz.heatmap)
TEXT_ROWS = 16  # numbers written in a heatmap's cells up to this many rows (19 pixels a row)
EXAMPLE_AXIS = "example"  # step_view's title of a batch axis
DIAGRAM_MAX_WEIGHTS = 5_000  # 64 → 64 → 10 (4,736) keeps its diagram: about 1 MB a trace
CAPTION = re.compile(r"(<p class='bp-caption'>).*?(<br>)", re.S)


def input_image_block(x: np.ndarray) -> dict:
    """A player block: x (64,) as the 8 × 8 image, titled as the tensor h(0) it is."""
    spec = digit_spec(x, f"<b>{INPUT} = x</b>  ·  64 × 1, as 8 × 8", size=IMAGE_SIZE)
    spec["layout"]["title"] |= dict(font=STEP_TITLE_FONT, x=0, xanchor="left")
    return {"kind": "plotly", "figure": jsonable(spec)}


def column_table(block: dict) -> dict:
    """A heatmap block's values as a table block (shown with the "tables" toggle)."""
    trace, layout = block["figure"]["data"][0], block["figure"]["layout"]
    x_title = layout["xaxis"]["title"]["text"]
    y_title = layout["yaxis"]["title"]["text"]
    return {
        "kind": "table",
        "title": block["table"]["title"],
        "columns": [f"{x_title} {c}".strip() for c in trace["x"]],
        "index": [f"{y_title} {r}".strip() for r in trace["y"]],
        "values": trace["z"],
        "csv": block["table"]["csv"],
        "when": block["table"]["when"],
    }


class _Digits:
    """What changes in every block of a payload for one digit: the example's label, the
    digit y, and the names of the output layer's tensors, whose rows are the digits."""

    def __init__(self, n_layers: int, example: str, digit: int, image: dict):
        k = n_layers
        self.example, self.digit, self.image = example, digit, image
        self.by_digit = {"f(x)": "digit", "e(y)": "digit"} | {
            name: f"digit (unit of a({k}))"
            for name in (f"a({k})", f"b({k})", f"W({k})", f"∇a({k})", f"∇b({k})", f"∇W({k})")
        }

    def blocks(self, blocks: list[dict]) -> list[dict]:
        out: list[dict] = []
        for block in blocks:
            if block["kind"] == "row":
                out.append(block | {"blocks": self.blocks(block["blocks"])})
            elif block["kind"] == "plotly" and block.get("table", {}).get("title") == INPUT:
                out += [self.image, column_table(block)]
            elif block["kind"] == "plotly" and "table" in block:
                out.append(self.heatmap(block))
            elif block["kind"] == "table" and block["title"] == "y":
                out.append(block | {"columns": [self.example], "values": [[self.digit]]})
            else:
                out.append(block)
        return out

    def heatmap(self, block: dict) -> dict:
        """A tensor's heatmap with the example and digits named, and no numbers in the
        cells of a tall one."""
        name = block["table"]["title"]
        figure = block["figure"]
        trace, layout = dict(figure["data"][0]), dict(figure["layout"])
        x_title = layout["xaxis"]["title"]["text"]
        y_title = layout["yaxis"]["title"]["text"]
        if x_title == EXAMPLE_AXIS:
            trace["x"] = [self.example]
        row = f"{y_title} %{{y}}"
        if name in self.by_digit:
            row = "digit %{y}"
            trace["y"] = DIGIT_TICKS
            layout["yaxis"] = layout["yaxis"] | {
                "title": layout["yaxis"]["title"] | {"text": self.by_digit[name]}
            }
        trace["hovertemplate"] = (
            f"{row}<br>{x_title} %{{x}}<br><b>{html.escape(name)} = %{{z:.6g}}</b><extra></extra>"
        )
        if len(trace["y"]) > TEXT_ROWS:
            trace.pop("texttemplate", None)
        return block | {"figure": figure | {"data": [trace, *figure["data"][1:]], "layout": layout}}


def digit_step_view(
    net: MLP, steps: list[Step], x: np.ndarray, digit: int, number: int | None
) -> dict:
    """The player payload for ``steps`` = the trace of image ``x`` (64,) in [0, 1] with
    label ``digit`` through ``net``: every step as Build & Step shows it, named for digits
    and with h(0) as an image (see the module docstring).

    ``number``: the test image's number (counted from 1), or None for a drawing, whose
    ``digit`` is the digit meant."""
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    payload = step_view(net, steps, x, [0], [digit])
    if number is None:
        example, said = "your drawing", f"Your drawing, meant as digit y = {digit}"
    else:
        example, said = f"test image {number}", f"Test image {number}, true digit y = {digit}"
    names = _Digits(net.n_layers, example, digit, input_image_block(x[0]))
    caption = rf"\g<1>{html.escape(said)}\g<2>"
    weights = sum(a * b for a, b in zip(net.sizes[:-1], net.sizes[1:], strict=True))
    for view in payload["steps"]:
        view["areas"]["main"] = names.blocks(view["areas"]["main"])
        for block in view["areas"]["side"]:
            if block["kind"] == "html":
                block["html"] = CAPTION.sub(caption, block["html"], count=1)
        if weights > DIAGRAM_MAX_WEIGHTS:
            view["areas"]["side"] = [_no_diagram(weights)] + [
                b for b in view["areas"]["side"] if b["kind"] != "plotly"
            ]
    return payload


def _no_diagram(weights: int) -> dict:
    return {
        "kind": "html",
        "html": f"<p class='bp-caption'>No network diagram: this MLP has {weights:,} weights, "
        f"and past {DIAGRAM_MAX_WEIGHTS:,} its edges would be a solid block. The heatmaps "
        "show every one.</p>",
    }
