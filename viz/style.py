"""One visual language for every figure: colour scales, class colours, projector-size fonts.

Build figures in one call, ``go.Figure(data=[...], layout=base_layout(...) | {...})``:
each later ``update_*`` call re-validates the whole figure, and a named template is
deep-copied into it, which costs Plotly 5–20 ms a figure: most of a step click's budget.
"""

from __future__ import annotations

import numpy as np

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
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=16)
TITLE_FONT = dict(size=20)
GRID = "#E5E7EB"


def symmetric_limit(*arrays: np.ndarray) -> float:
    """m for a colour range [-m, m] covering every value; 1 when all are zero."""
    m = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    return m if m > 0 else 1.0


def class_color(c: int) -> str:
    return CLASS_COLORS[int(c) % len(CLASS_COLORS)]


def base_layout(title: str | None = None, height: int | None = None) -> dict:
    """The shared layout as a plain dict: fonts, white background, margins, title."""
    axis = dict(gridcolor=GRID, zerolinecolor=GRID)
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
