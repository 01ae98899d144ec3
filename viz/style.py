"""One visual language for every figure: colour scales, class colours, projector-size fonts.

Build every figure with ``figure(data, base_layout(...) | {...})``: one constructor call
(each later ``update_*`` call re-validates the whole figure, 5–20 ms), no template and a
fixed ``datarevision`` (see ``figure``), margins wide enough for the labels (so Plotly's
automargin never has to draw a chart twice).
"""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.graph_objects as go

# pandas is imported here, before any figure is built: plotly looks up sys.modules["pandas"]
# when it validates arrays, and on a fresh server one session's thread could find pandas
# half imported by another's ("partially initialized module 'pandas'"). A real import
# waits for the other thread to finish.

# Signed values (weights, pre-activations, gradients): zero-centred, red > 0 > blue.
# RdBu is readable with the common colour-vision deficiencies; white marks zero.
DIVERGING = "RdBu_r"
# Probabilities in [0, 1].
SEQUENTIAL = "Viridis"
# Okabe–Ito: distinguishable with every common colour-vision deficiency.
CLASS_COLORS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=16, color="#1F2937")
TITLE_FONT = dict(size=20)
GRID = "#E5E7EB"


# Colour bars go below the plot, across it: the width goes to the data (four heatmaps
# share a row on a 1280-pixel projector), and the bar's labels never crowd. A figure with
# one reserves COLORBAR_MARGIN pixels at the bottom.
COLORBAR_BELOW = dict(
    orientation="h", yref="container", y=0, yanchor="bottom", thickness=12, tickfont=dict(size=13)
)
COLORBAR_MARGIN = 50


def symmetric_limit(*arrays: np.ndarray) -> float:
    """m for a colour range [-m, m] covering every value; 1 when all are zero."""
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    return m if m > 0 else 1.0


def class_color(c: int) -> str:
    return CLASS_COLORS[int(c) % len(CLASS_COLORS)]


def panel_title(text: str, xaxis: str, yaxis: str, font: dict | None = None, shift: int = 6):
    """A subplot's title: an annotation centred above the domain of axes ``xaxis``/``yaxis``
    (e.g. "x2", "y2"), so frames and several panels each keep their own."""
    return dict(
        text=text,
        showarrow=False,
        x=0.5,
        y=1.0,
        xanchor="center",
        yanchor="bottom",
        xref=f"{xaxis} domain",
        yref=f"{yaxis} domain",
        font=font or dict(size=TITLE_FONT["size"] - 2),
        yshift=shift,
    )


def base_layout(title: str | None = None, height: int | None = None) -> dict:
    """The shared layout as a plain dict: fonts, white background, margins, title."""
    axis = dict(gridcolor=GRID, zerolinecolor=GRID, automargin=True, ticks="")
    return dict(
        font=FONT,
        title=dict(text=title, font=TITLE_FONT, x=0, xanchor="left") if title else None,
        margin=dict(l=10, r=10, t=60 if title else 20, b=10),
        height=height,
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel=dict(font_size=16),
        xaxis=axis,
        yaxis=dict(axis),
    )


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """The one way to build a figure: one constructor call, no template.

    Streamlit mounts every new chart and then hands it to Plotly.react a second time (it
    re-applies its theme in an effect). Plotly.react compares a layout template and, without
    a ``datarevision``, every data array by identity, so either one turns that second call
    into a full redraw: half of a step click's drawing time. Our layouts set every style
    they need, so the template goes; and a chart's data never changes in place, because
    Streamlit mounts a changed figure as a new chart, so one constant revision is true.
    """
    fig = go.Figure(
        dict(data=data, layout=layout | {"datarevision": 1}, frames=frames or []),
    )
    fig.layout.template = None
    return fig
