"""Figures of the digits page: 8 × 8 images of digits and of weights, the confusion matrix,
the misclassified test images and the training curves.

Digits are labelled by the digit itself, 0 … 9 ("digit 3", "true digit", "predicted
digit"): the label is the digit (see engine.digits). Pixels, units and test images are
counted from 1. An image is shown as printed (row 1 at the top), square, without ticks:
ink on a grey scale from white (0) to black (1); weights on the diverging scale, one
symmetric range [-m, m] and one colour bar for every panel of a figure, so panels compare.

Small multiples are laid out by hand (axis domains, titles as annotations) and built in one
``figure`` call: ``make_subplots`` would build a figure and then update it piece by piece.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine.digits import DIGITS, SIDE, DigitsRun, Mistake
from viz.boundary import MODEL_COLORS
from viz.style import (
    COLORBAR_BELOW,
    COLORBAR_MARGIN,
    DIVERGING,
    FONT,
    SEQUENTIAL,
    base_layout,
    figure,
    panel_title,
    symmetric_limit,
)

INK = "Greys"  # 0 = white paper, 1 = black ink, as the digits were written
PANEL_GAP = 0.02  # between panels, as a fraction of the figure's width or height
PANEL_TITLE = dict(size=FONT["size"])
PIXELS_1 = list(range(1, SIDE + 1))  # rows and columns of an image, counted from 1
DIGIT_TICKS = [str(d) for d in range(DIGITS)]
FRAME = "#9CA3AF"


def _pixel_numbers() -> np.ndarray:
    """(8, 8): input j = 8(r − 1) + c of pixel (row r, column c), counted from 1."""
    return np.arange(1, SIDE * SIDE + 1).reshape(SIDE, SIDE)


def _axis_name(kind: str, i: int) -> str:
    return kind if i == 0 else f"{kind}{i + 1}"


def _as_image(image: np.ndarray) -> np.ndarray:
    z = np.asarray(image, dtype=np.float64)
    if z.shape == (SIDE * SIDE,):
        z = z.reshape(SIDE, SIDE)
    if z.shape != (SIDE, SIDE):
        raise ValueError(f"an image must have shape (64,) or (8, 8), got {z.shape}")
    return z


def _image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    cols: int,
    trace_style: dict,
    title_share: float,
) -> tuple[list[dict], dict]:
    """One heatmap per image on a grid of ``cols`` columns, each square, row 1 on top,
    without ticks, titled above. ``trace_style``: colour settings and hover for every
    trace. ``title_share``: the part of each grid row kept above its image for the title."""
    n = len(images)
    rows = max(1, math.ceil(n / cols))
    width = (1 - PANEL_GAP * (cols - 1)) / cols
    height = (1 - PANEL_GAP * (rows - 1)) / rows
    traces, layout, annotations = [], {}, []
    custom = _pixel_numbers()
    for i, (image, text) in enumerate(zip(images, titles, strict=True)):
        r, c = divmod(i, cols)
        x0 = c * (width + PANEL_GAP)
        top = 1 - r * (height + PANEL_GAP)
        xa, ya = _axis_name("x", i), _axis_name("y", i)
        traces.append(
            dict(
                type="heatmap",
                z=_as_image(image),
                x=PIXELS_1,
                y=PIXELS_1,
                customdata=custom,
                xaxis=xa,
                yaxis=ya,
                name=text,
                **trace_style,
            )
        )
        hidden = dict(
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            ticks="",
            showline=True,  # a thin frame: blank paper and zero weights are white too
            linecolor=FRAME,
            linewidth=1,
            mirror=True,
        )
        layout[_axis_name("xaxis", i)] = dict(
            hidden, domain=_clip(x0, x0 + width), anchor=ya, constrain="domain", range=[0.5, 8.5]
        )
        layout[_axis_name("yaxis", i)] = dict(
            hidden,
            domain=_clip(top - height, top - title_share * height),
            anchor=xa,
            scaleanchor=xa,
            scaleratio=1,
            constrain="domain",
            range=[8.5, 0.5],  # row 1 at the top, as the image is written
        )
        annotations.append(panel_title(text, xa, ya, PANEL_TITLE, shift=2))
    layout["annotations"] = annotations
    return traces, layout


def _clip(low: float, high: float) -> list[float]:
    """A domain [low, high] inside [0, 1] (round-off can push an end a hair outside)."""
    return [min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)]


def _finish(layout: dict, title: str | None, height: int, margin: dict) -> dict:
    """The shared style (fonts, title, background) merged with the grid's axes."""
    base = base_layout(title, height)
    del base["xaxis"], base["yaxis"]
    return {**base, **layout, "margin": margin}


def weight_images_figure(
    images: np.ndarray,
    titles: Sequence[str],
    *,
    title: str,
    cols: int,
    height: int,
) -> go.Figure:
    """Images of weights (n, 8, 8) on the diverging scale, one symmetric range [-m, m]
    (m = the largest |weight| of all of them) and one colour bar below."""
    images = np.asarray(images, dtype=np.float64)
    m = symmetric_limit(images)
    style = dict(
        coloraxis="coloraxis",
        hovertemplate=(
            "<b>%{fullData.name}</b><br>pixel row %{y}, column %{x} (input %{customdata})"
            "<br>weight = %{z:.4g}<extra></extra>"
        ),
    )
    traces, layout = _image_grid(list(images), titles, cols, style, title_share=0.15)
    layout["coloraxis"] = dict(
        colorscale=DIVERGING,
        cmin=-m,
        cmax=m,
        cmid=0.0,
        colorbar=COLORBAR_BELOW | dict(nticks=5),
    )
    margin = dict(l=10, r=10, t=90, b=COLORBAR_MARGIN + 10)
    return figure(traces, _finish(layout, title, height, margin))


def templates_figure(templates: np.ndarray, *, height: int = 500) -> go.Figure:
    """The linear classifier's templates (10, 8, 8), the rows of W(1), one panel per digit
    titled "digit 0" … "digit 9" in two rows of five. The score of digit c is
    b_c + Σ_j W_cj x_j: red pixels are ink that raises it, blue ink that lowers it."""
    templates = np.asarray(templates)
    if templates.shape != (DIGITS, SIDE, SIDE):
        raise ValueError(f"templates must have shape (10, 8, 8), got {templates.shape}")
    return weight_images_figure(
        templates,
        [f"digit {d}" for d in range(DIGITS)],
        title="Linear classifier: W(1) (10 × 64), one 8 × 8 template per digit",
        cols=5,
        height=height,
    )


def features_figure(
    features: np.ndarray, *, max_units: int = 32, cols: int = 8, height: int | None = None
) -> go.Figure:
    """The MLP's first-layer features (n_1, 8, 8), the rows of W(1): unit i of a(1) sums
    the ink under feature i. The first ``max_units`` units, titled "unit 1" …, ``cols``
    per row."""
    features = np.asarray(features)
    if features.ndim != 3 or features.shape[1:] != (SIDE, SIDE) or len(features) < 1:
        raise ValueError(f"features must have shape (n, 8, 8), got {features.shape}")
    shown = features[: max(1, int(max_units))]
    n = len(shown)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    if height is None:
        height = 200 + 130 * rows
    shape = f"W(1) ({len(features)} × 64)"
    what = (
        "one 8 × 8 feature per unit of a(1)"
        if n == len(features)
        else f"the features of units 1–{n} of a(1)"
    )
    return weight_images_figure(
        shown,
        [f"unit {i}" for i in range(1, n + 1)],
        title=f"MLP: {shape}, {what}",
        cols=cols,
        height=height,
    )


INK_HOVER = "pixel row %{y}, column %{x}<br>input j = %{customdata}: x_j = %{z:.3g}<extra></extra>"


def digit_spec(image: np.ndarray, title: str = "", *, size: int = 300) -> dict:
    """One digit (64,) or (8, 8) with pixels in [0, 1], as written, as a spec ``{"data",
    "layout"}`` of plain dicts: grey scale from white (0) to black (1), square, no ticks;
    hover names the pixel, its input j and x_j. ``size``: its width in pixels (the height
    adds 40 for a title)."""
    style = dict(colorscale=INK, zmin=0.0, zmax=1.0, showscale=False, hovertemplate=INK_HOVER)
    traces, layout = _image_grid([_as_image(image)], [""], 1, style, title_share=0.0)
    layout["annotations"] = []
    margin = dict(l=10, r=10, t=50 if title else 10, b=10)
    layout = _finish(layout, title or None, size + (40 if title else 0), margin)
    layout["width"] = size
    layout["title"] = dict(text=title, font=PANEL_TITLE, x=0.5, xanchor="center") if title else None
    return dict(data=traces, layout=layout)


def digit_figure(image: np.ndarray, title: str = "", *, size: int = 300) -> go.Figure:
    """:func:`digit_spec` as a figure (for ``st.plotly_chart``)."""
    return figure(**digit_spec(image, title, size=size))


def samples_figure(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    title: str,
    *,
    cols: int = 10,
    height: int = 180,
) -> go.Figure:
    """A row (or grid) of digits (n, 8, 8) in [0, 1] on the ink scale, ``cols`` per row,
    each titled (e.g. "digit 3 · image 12")."""
    style = dict(colorscale=INK, zmin=0.0, zmax=1.0, showscale=False, hovertemplate=INK_HOVER)
    cols = max(1, min(cols, len(images)))
    traces, layout = _image_grid(list(images), list(titles), cols, style, title_share=0.2)
    for trace in traces:
        trace["hovertemplate"] = "<b>%{fullData.name}</b><br>" + INK_HOVER
    return figure(traces, _finish(layout, title, height, dict(l=10, r=10, t=60, b=10)))


def probabilities_figure(
    linear: np.ndarray,
    mlp: np.ndarray,
    digit: int | None,
    *,
    digit_word: str = "true",
    height: int = 340,
) -> go.Figure:
    """f(x) (10,) of the linear classifier and of the MLP for one image, as grouped bars
    per digit 0 … 9 (colour = model, as everywhere on the page), each bar labelled with its
    probability when it is at least 0.01. ``digit``: the image's digit (``digit_word``
    says whose: "true", "meant"), marked under its bars; None marks none."""
    bars = []
    for key, name, p in (("linear", "linear", linear), ("mlp", "MLP", mlp)):
        p = np.asarray(p, dtype=np.float64)
        if p.shape != (DIGITS,):
            raise ValueError(f"probabilities must have shape (10,), got {p.shape}")
        bars.append(
            dict(
                type="bar",
                x=DIGIT_TICKS,
                y=p,
                name=name,
                marker=dict(color=MODEL_COLORS[key]),
                text=[f"{v:.2f}" if v >= 0.01 else "" for v in p],
                textposition="outside",
                textfont=dict(size=13),
                cliponaxis=False,
                hovertemplate=f"{name}: f(x) of digit %{{x}} = %{{y:.4f}}<extra></extra>",
            )
        )
    ticks = [
        f"<b>{d}</b><br>{digit_word}" if digit is not None and d == digit else str(d)
        for d in range(DIGITS)
    ]
    layout = base_layout("f(x): each model's probability of every digit", height)
    layout["xaxis"] |= dict(
        type="category", tickvals=DIGIT_TICKS, ticktext=ticks, title=dict(text="digit")
    )
    layout["yaxis"] |= dict(range=[0, 1.12], tickvals=[0, 0.25, 0.5, 0.75, 1], title="f(x)")
    layout |= dict(
        barmode="group",
        bargap=0.25,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
        margin=dict(l=60, r=10, t=70, b=70),
    )
    return figure(bars, layout)


def confusion_figure(
    confusion: np.ndarray, title: str, *, width: int = 540, height: int = 600
) -> go.Figure:
    """The confusion matrix (10, 10): row = true digit (0 at the top), column = predicted
    digit, the count written in every cell but the empty ones (left blank, so the few
    mistakes stand out), sequential scale from 0 to the largest count. Its own width
    (cells about square), so it can sit beside another one."""
    z = np.asarray(confusion)
    if z.shape != (DIGITS, DIGITS):
        raise ValueError(f"a confusion matrix must have shape (10, 10), got {z.shape}")
    heat = dict(
        type="heatmap",
        z=z,
        x=DIGIT_TICKS,
        y=DIGIT_TICKS,
        colorscale=SEQUENTIAL,
        zmin=0,
        zmax=max(int(z.max()), 1),
        xgap=1,
        ygap=1,
        text=np.where(z > 0, z.astype(str), ""),
        texttemplate="%{text}",
        textfont=dict(size=15),
        colorbar=COLORBAR_BELOW | dict(nticks=5),
        hovertemplate="true digit %{y}, predicted %{x}: <b>%{z}</b> test images<extra></extra>",
    )
    common = dict(type="category", showgrid=False, ticks="", showline=False)
    layout = _finish(
        dict(
            xaxis=dict(common, title=dict(text="predicted digit")),
            yaxis=dict(common, title=dict(text="true digit"), autorange="reversed"),
        ),
        title,
        height,
        dict(l=70, r=15, t=60, b=60 + COLORBAR_MARGIN),
    )
    layout["width"] = width
    return figure([heat], layout)


def mistake_title(m: Mistake) -> str:
    """Two lines: "true 3 → predicted 8", then "p = 0.61 · image 417" (the predicted digit's
    probability, the test image's number): they fit a fifth of a projector's width."""
    return (
        f"true {m.true_digit} → predicted {m.predicted}<br>"
        f"<span style='font-size:14px'>p = {m.probability:.2f} · image {m.number}</span>"
    )


def mistakes_figure(
    mistakes: Sequence[Mistake],
    title: str,
    *,
    max_images: int = 15,
    cols: int = 5,
    height: int | None = None,
) -> go.Figure:
    """The first ``max_images`` misclassified test images (as engine.digits orders them:
    the most confidently wrong first), ``cols`` per row, each titled with its true and
    predicted digit, the probability and its number; hover adds the top 3 digits."""
    shown = list(mistakes)[: max(1, int(max_images))]
    if not shown:
        layout = base_layout(title, 160)
        layout["xaxis"] |= dict(visible=False)
        layout["yaxis"] |= dict(visible=False)
        layout["annotations"] = [
            dict(text="Every test image is classified correctly.", showarrow=False, font=FONT)
        ]
        return figure([], layout)
    cols = min(cols, len(shown))
    rows = math.ceil(len(shown) / cols)
    traces, layout = _image_grid(
        [m.image for m in shown],
        [mistake_title(m) for m in shown],
        cols,
        dict(colorscale=INK, zmin=0.0, zmax=1.0, showscale=False),
        title_share=0.22,
    )
    for trace, m in zip(traces, shown, strict=True):
        top = "<br>".join(f"digit {d}: {p:.3f}" for d, p in m.top)
        trace["hovertemplate"] = (
            f"test image {m.number}, true digit {m.true_digit}<br>{top}<br>"
            "pixel row %{y}, column %{x}: x = %{z:.3g}<extra></extra>"
        )
    if height is None:
        height = 80 + 230 * rows
    return figure(traces, _finish(layout, title, height, dict(l=10, r=10, t=70, b=10)))


def training_curves(linear: DigitsRun, mlp: DigitsRun, *, height: int = 380) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch: colour = model, dash = test set. The
    accuracy axis starts just below the lowest value shown, so the last percent, where the
    two models differ, stays visible."""
    traces = []
    low = 1.0
    for key, run in (("linear", linear), ("mlp", mlp)):
        name = "linear" if key == "linear" else "MLP"
        epochs = np.arange(1, run.epochs_done + 1)
        for split, loss, acc, dash in (
            ("train", run.train_loss, run.train_acc, "solid"),
            ("test", run.test_loss, run.test_acc, "dash"),
        ):
            label = f"{name} · {split}"
            acc = np.asarray(acc, dtype=np.float64)
            if acc.size and np.isfinite(acc).any():
                low = min(low, float(np.nanmin(acc)))
            common = dict(
                type="scatter",
                x=epochs,
                mode="lines+markers" if len(epochs) == 1 else "lines",
                line=dict(color=MODEL_COLORS[key], width=3, dash=dash),
                name=label,
                legendgroup=label,
            )
            traces.append(
                dict(
                    common,
                    y=np.asarray(loss, dtype=np.float64),
                    hovertemplate="epoch %{x}: %{y:.4f}<extra>" + label + "</extra>",
                )
            )
            traces.append(
                dict(
                    common,
                    y=acc,
                    xaxis="x2",
                    yaxis="y2",
                    showlegend=False,
                    hovertemplate="epoch %{x}: %{y:.1%}<extra>" + label + "</extra>",
                )
            )
    bottom = max(0.0, math.floor((low - 0.01) * 20) / 20)  # a multiple of 5 %
    axis = dict(automargin=True, title=dict(text="epoch"), gridcolor="#E5E7EB")
    layout = dict(
        xaxis=dict(axis, domain=[0, 0.4], anchor="y"),
        xaxis2=dict(axis, domain=[0.52, 0.88], anchor="y2"),
        yaxis=dict(
            automargin=True,
            title=dict(text="mean loss"),
            rangemode="tozero",
            anchor="x",
            gridcolor="#E5E7EB",
        ),
        yaxis2=dict(
            automargin=True,
            title=dict(text="accuracy"),
            tickformat=".0%",
            range=[bottom, 1.005],
            anchor="x2",
            gridcolor="#E5E7EB",
        ),
        annotations=[
            panel_title(text, xa, ya)
            for text, xa, ya in (
                ("Loss (data loss, no L2 term)", "x", "y"),
                ("Accuracy", "x2", "y2"),
            )
        ],
        legend=dict(x=0.9, xanchor="left", y=1, yanchor="top", font=dict(size=FONT["size"])),
    )
    return figure(traces, _finish(layout, None, height, dict(t=50, l=70, r=10, b=60)))
