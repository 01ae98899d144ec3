"""Heatmaps of the tensors of a trace, oriented as the notes write them.

Vectors are columns (notes 000/001: a(k) = b(k) + W(k) h(k-1)), so a batch array stored
(N, n) in code is shown n × N: one column per example, one row per unit. W(k) is shown
as stored, (n_k, n_{k-1}): row i holds the weights into unit i of a(k). Signed values use
a zero-centred diverging scale with range [-m, m]; probabilities a sequential [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from engine import is_parameter

from .equation import number_text
from .style import (
    COLORBAR_BELOW,
    COLORBAR_MARGIN,
    DIVERGING,
    SEQUENTIAL,
    base_layout,
    figure,
    symmetric_limit,
)

PROBABILITIES = {"f(x)", "e(y)", "f(x)_y"}
MAX_CELL_TEXT = 64  # write the numbers in the cells up to 8 × 8
CELL_WIDTH = 62  # pixels for a column of written numbers such as -0.0187 or 0.00113
MIN_WIDTH = 140  # pixels: the title and a readable colour bar
TITLE_CHAR = 8  # pixels per character of an axis title at 15 px (a generous average)
TOP = 40  # pixels for the title
ROW_HEIGHT = 26  # pixels per row, room for a written number
MAX_PLOT_HEIGHT = 300  # a 16-row tensor: 19 pixels a row


@dataclass(frozen=True)
class Oriented:
    """A tensor laid out for display: z (rows, cols) with axis titles and tick labels."""

    z: np.ndarray
    row_title: str
    col_title: str
    rows: list[str]
    cols: list[str]


def _layer_of(name: str) -> tuple[str, int] | None:
    m = re.search(r"([Wbah])\((\d+)\)\)?$", name)
    return (m.group(1), int(m.group(2))) if m else None


def _units(n: int) -> list[str]:
    return [str(i) for i in range(1, n + 1)]


def orient(name: str, arr: np.ndarray, examples: Sequence[int] | None = None) -> Oriented:
    """Lay out the named array as the notes write it (see the module docstring).

    ``examples`` labels the batch columns by their dataset rows (0-based, shown from 1:
    "#1" is the first example); default 1 … N. Units and classes are shown from 1 too, and
    so are the labels y (class numbers, as the notes count them).
    """
    arr = np.asarray(arr, dtype=np.float64)
    if is_parameter(name):
        _, k = _layer_of(name)
        if arr.ndim == 2:
            prev = "input x = h(0)" if k == 1 else f"h({k - 1})"
            return Oriented(
                arr,
                f"unit i of a({k})",
                f"unit j of {prev}",
                _units(arr.shape[0]),
                _units(arr.shape[1]),
            )
        return Oriented(arr[:, None], f"unit of a({k})", "", _units(arr.shape[0]), [""])
    n = arr.shape[0] if arr.ndim else 1
    cols = [f"#{e + 1}" for e in examples] if examples is not None else _units(n)
    if arr.ndim <= 1:
        values = np.atleast_1d(arr)[None, :] + (1 if name == "y" else 0)
        return Oriented(values, name, "example", [""], cols)
    if name in ("f(x)", "e(y)", "margins"):
        return Oriented(arr.T, "class c", "example", _units(arr.shape[1]), cols)
    layer = _layer_of(name)
    unit_of = f"{layer[0]}({layer[1]})" if layer else name
    if unit_of == "h(0)":
        unit_of = "x = h(0)"  # short: a rotated title as long as 2 rows are tall
    return Oriented(arr.T, f"unit of {unit_of}", "example", _units(arr.shape[1]), cols)


def heatmap_spec(
    name: str,
    arr: np.ndarray,
    examples: Sequence[int] | None = None,
    limit: float | None = None,
) -> dict:
    """One tensor as a heatmap spec ``{"data": [...], "layout": {...}}`` (plain dicts with
    numpy arrays), titled with its name and shape. Colour range [-m, m] with m = ``limit``
    (e.g. shared by the tensors of a step) or, by default, the tensor's own max |value|;
    probabilities always [0, 1]."""
    o = orient(name, arr, examples)
    prob = name in PROBABILITIES
    m = 1.0 if prob else (limit if limit is not None else symmetric_limit(o.z))
    small = o.z.size <= MAX_CELL_TEXT
    heat = dict(
        type="heatmap",
        z=o.z,
        x=o.cols,
        y=o.rows,
        colorscale=SEQUENTIAL if prob else DIVERGING,
        zmin=0.0 if prob else -m,
        zmax=m,
        zmid=None if prob else 0.0,
        xgap=1,
        ygap=1,
        # As wide as the plot, but at least 110 pixels, to stay readable.
        colorbar=COLORBAR_BELOW
        | (dict(lenmode="pixels", len=110) if o.z.shape[1] <= 2 else {})
        | dict(nticks=4),
        # Numbers in the cells, 3 significant digits, short exponents (6.85e-6, not
        # Plotly's 0.00000685, which overflows a cell).
        text=[[number_text(float(v)) for v in row] for row in o.z] if small else None,
        texttemplate="%{text}" if small else None,
        textfont=dict(size=14),
        hovertemplate=(
            f"{o.row_title} %{{y}}<br>{o.col_title} %{{x}}<br><b>{name} = %{{z:.6g}}</b>"
            "<extra></extra>"
        ),
    )
    rows, cols = o.z.shape
    # Compact, for a 720-pixel-high projector: the title, then ROW_HEIGHT per row (up to
    # MAX_PLOT_HEIGHT), then tick labels, the axis title and the colour bar below.
    bottom = (76 if cols > 8 else 44) + COLORBAR_MARGIN
    # At least as tall as its (rotated) row title, which would otherwise run into the title.
    tall_enough = TITLE_CHAR * len(o.row_title) - 30
    plot = int(np.clip(max(ROW_HEIGHT * rows, tall_enough), 2 * ROW_HEIGHT, MAX_PLOT_HEIGHT))
    layout = base_layout(f"<b>{name}</b>  ·  {rows} × {cols}", TOP + plot + bottom)
    layout["title"] |= dict(font=dict(size=18))
    layout["margin"] = dict(l=52, r=12, t=TOP, b=bottom)
    # A width of its own, from its columns (and room for its axis title): a step's heatmaps
    # then sit side by side on a wide screen and wrap onto more rows on a narrow one,
    # cells the same size throughout.
    cell = CELL_WIDTH if small else int(np.clip(640 // cols, 12, 40))
    layout["width"] = max(64 + cols * cell, MIN_WIDTH, 64 + TITLE_CHAR * len(o.col_title))
    axis_title = dict(font=dict(size=15), standoff=6)
    layout["xaxis"] |= dict(
        type="category", title=dict(text=o.col_title) | axis_title, showgrid=False
    )
    layout["yaxis"] |= dict(
        type="category",
        title=dict(text=o.row_title) | axis_title,
        autorange="reversed",
        showgrid=False,
    )
    return dict(data=[heat], layout=layout)


def tensor_heatmap(
    name: str,
    arr: np.ndarray,
    examples: Sequence[int] | None = None,
    limit: float | None = None,
) -> go.Figure:
    """:func:`heatmap_spec` as a validated figure (for ``st.plotly_chart``)."""
    return figure(**heatmap_spec(name, arr, examples, limit))
