"""Figures of the decision-boundary page: decision regions over the plane with the data on
top, their animation through training, loss and accuracy curves, the hidden space.

Regions are one filled contour per panel. Each grid cell gets a code label · LEVELS + level
(uint8): the class decides the hue, the model's confidence the strength (pale at the
boundary, strong where the model is sure), and a dark line is drawn wherever the class
changes. 30 frames of 100 × 100 cells stay small: Plotly sends uint8 arrays as base64,
about 13 kB per frame and panel.

Each figure is assembled as one plain spec (traces, layout, frames) and validated once by
``go.Figure``: adding traces and layout pieces one by one costs several times more, and
the page rebuilds these figures after every training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from engine import ACTIVATION_LABELS
from engine.boundary import Comparison, Data, Grid, HiddenSpace, ModelRun, Regions
from viz.style import FONT, base_layout, class_color, figure, panel_title

LEVELS = 8  # confidence levels per class in the region colours
FLAT_LEVEL = 4  # the level every cell gets when shading is off
PALEST, STRONGEST = 0.92, 0.55  # share of white mixed into a class colour, by level
INK = "#1F2937"  # outlines and boundary lines
MODEL_COLORS = {"linear": "#000000", "mlp": "#D55E00"}  # Okabe–Ito, unused by classes 0–4
POINTS = ("both", "train", "test")
FRAME_MS = 120  # per animation frame: 30 snapshots replay in under 4 s
PANEL_GAP = 0.05  # horizontal gap between panels, as a fraction of the plotting width
LEGEND_ROOM = 0.86  # panels use this much of the width; the legend sits to their right


class RegionPanel(NamedTuple):
    """One panel of a small-multiples figure: decisions (ny, nx) over the grid, a title and
    optionally a line to draw on top ((2, 2) end points, e.g. a linear map's boundary)."""

    title: str
    label: np.ndarray
    confidence: np.ndarray
    line: np.ndarray | None = None
    line_name: str = ""


# --- colours ------------------------------------------------------------------------
def _mix_with_white(hex_color: str, white: float) -> str:
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    r, g, b = np.rint(rgb + (255.0 - rgb) * white).astype(int)
    return f"rgb({r},{g},{b})"


def region_colorscale(n_classes: int) -> list[list]:
    """Discrete colour scale for codes 0 … n_classes·LEVELS − 1 (with zmin −0.5 and zmax
    n_classes·LEVELS − 0.5): code c·LEVELS + q is class c's colour, paler for small q."""
    total = n_classes * LEVELS
    scale: list[list] = []
    for code in range(total):
        c, q = divmod(code, LEVELS)
        white = PALEST + (STRONGEST - PALEST) * q / (LEVELS - 1)
        color = _mix_with_white(class_color(c), white)
        scale += [[code / total, color], [(code + 1) / total, color]]
    return scale


def class_colorscale(n_classes: int) -> list[list]:
    """Discrete scale mapping class c (with cmin −0.5, cmax n_classes − 0.5) to its colour."""
    scale: list[list] = []
    for c in range(n_classes):
        scale += [[c / n_classes, class_color(c)], [(c + 1) / n_classes, class_color(c)]]
    return scale


def region_codes(label: np.ndarray, confidence: np.ndarray, shaded: bool = True) -> np.ndarray:
    """uint8 codes label·LEVELS + level; level from confidence in [0, 1] (or FLAT_LEVEL)."""
    if shaded:
        level = np.clip(np.rint(confidence * (LEVELS - 1)), 0, LEVELS - 1)
    else:
        level = np.full(label.shape, FLAT_LEVEL)
    return (label.astype(np.int64) * LEVELS + level.astype(np.int64)).astype(np.uint8)


# --- traces (plain dicts, validated once with the whole figure) ---------------------------
def _axes_of(i: int) -> dict:
    """xaxis/yaxis references of panel i (0-based) for a trace."""
    return dict(xaxis=_axis_name("x", i), yaxis=_axis_name("y", i))


def _axis_name(kind: str, i: int) -> str:
    return kind if i == 0 else f"{kind}{i + 1}"


def _region_trace(grid: Grid, z: np.ndarray, n_classes: int, panel: int) -> dict:
    """The regions as a filled contour: cells coloured by code, plus a dark line wherever
    the predicted class changes (the levels between two classes' bands of codes)."""
    return dict(
        type="contour",
        x=grid.x1,
        y=grid.x2,
        z=z,
        zmin=-0.5,
        zmax=n_classes * LEVELS - 0.5,
        colorscale=region_colorscale(n_classes),
        showscale=False,
        autocontour=False,
        contours=dict(
            coloring="heatmap",
            showlines=True,
            start=LEVELS - 0.5,
            end=(n_classes - 1) * LEVELS - 0.5,
            size=LEVELS,
        ),
        line=dict(color=INK, width=2.5, smoothing=1.3),
        hoverinfo="skip",
        name="decision regions",
        showlegend=False,
        **_axes_of(panel),
    )


def _marker(split: str, color, n_classes: int | None = None) -> dict:
    """Training points: filled, thin dark outline. Test points: a hollow ring (white
    inside, thick class-coloured outline). ``color``: a colour, or class labels."""
    numeric = n_classes is not None
    scale = (
        dict(colorscale=class_colorscale(n_classes), cmin=-0.5, cmax=n_classes - 0.5)
        if numeric
        else {}
    )
    if split == "train":
        return dict(symbol="circle", size=9, color=color, line=dict(color=INK, width=1), **scale)
    return dict(symbol="circle", size=11, color="white", line=dict(color=color, width=3, **scale))


def _point_traces(data: Data, points: str, panel: int, X_train=None, X_test=None) -> list[dict]:
    """The train and test points of panel ``panel``, coloured by class (coordinates
    default to the data's)."""
    X_train = data.X_train if X_train is None else X_train
    X_test = data.X_test if X_test is None else X_test
    traces = []
    for split, X, y in (("train", X_train, data.y_train), ("test", X_test, data.y_test)):
        if points not in ("both", split):
            continue
        traces.append(
            dict(
                type="scatter",
                x=X[:, 0],
                y=X[:, 1],
                mode="markers",
                marker=_marker(split, y, data.n_classes),
                customdata=y + 1,  # classes counted from 1, as the notes do
                name=f"{split} points",
                showlegend=False,
                hovertemplate=f"class %{{customdata}} ({split})<br>(%{{x:.2f}}, %{{y:.2f}})"
                "<extra></extra>",
                **_axes_of(panel),
            )
        )
    return traces


def _legend_traces(n_classes: int, points: str) -> list[dict]:
    """Legend-only entries: one square per class colour, then what train and test look like."""
    empty = dict(type="scatter", x=[None], y=[None], mode="markers", hoverinfo="skip")
    traces = [
        dict(
            empty,
            name=f"class {c + 1}",
            marker=dict(symbol="square", size=14, color=class_color(c)),
        )
        for c in range(n_classes)
    ]
    grey = "#6B7280"
    if points in ("both", "train"):
        traces.append(dict(empty, name="training point", marker=_marker("train", grey)))
    if points in ("both", "test"):
        traces.append(dict(empty, name="test point", marker=_marker("test", grey)))
    return traces


# --- layout -----------------------------------------------------------------------------
def _domains(count: int, width: float = LEGEND_ROOM, gap: float = PANEL_GAP) -> list[list]:
    panel = (width - (count - 1) * gap) / count
    return [[i * (panel + gap), i * (panel + gap) + panel] for i in range(count)]


def _titles(texts: Sequence[str]) -> list[dict]:
    """Panel titles as annotations over each subplot's domain (frames replace them)."""
    return [panel_title(t, _axis_name("x", i), _axis_name("y", i)) for i, t in enumerate(texts)]


def _plane_axes(
    count: int,
    grid: Grid | None,
    titles=("x₁", "x₂"),
    shared: bool = True,
    width: float = LEGEND_ROOM,
) -> dict:
    """Layout entries for ``count`` plane panels side by side: equal aspect, the grid's
    range; with ``shared`` (every panel shows the same plane) only the first panel
    carries the x₂ ticks and title."""
    layout = {}
    for i, domain in enumerate(_domains(count, width)):
        first = i == 0 or not shared
        x_axis = dict(
            domain=domain,
            anchor=_axis_name("y", i),
            title=dict(text=titles[0], standoff=8),
            showgrid=False,
            zeroline=False,
            constrain="domain",
            automargin=True,
            ticks="outside",
        )
        y_axis = dict(
            anchor=_axis_name("x", i),
            title=dict(text=titles[1] if first else "", standoff=8),
            showticklabels=first,
            showgrid=False,
            zeroline=False,
            constrain="domain",
            automargin=True,
            ticks="outside",
            scaleanchor=_axis_name("x", i),
            scaleratio=1,
        )
        if grid is not None:
            x_axis["range"] = [float(grid.x1[0]), float(grid.x1[-1])]
            y_axis["range"] = [float(grid.x2[0]), float(grid.x2[-1])]
        layout[_axis_name("xaxis", i)] = x_axis
        layout[_axis_name("yaxis", i)] = y_axis
    return layout


def plane_height(grid: Grid, panels: int, extra: int, width_px: int = 1150, most: int = 460) -> int:
    """A figure height that fits ``panels`` equal-aspect planes side by side in about
    ``width_px`` pixels (each at most ``most`` high, so a figure and its controls fit a
    projector screen), plus ``extra`` pixels for titles and controls."""
    panel_px = width_px * LEGEND_ROOM / panels
    aspect = (grid.x2[-1] - grid.x2[0]) / (grid.x1[-1] - grid.x1[0])
    return int(extra + np.clip(panel_px * aspect, 260, most))


def _percent(value: float) -> str:
    return f"{value:.0%}" if np.isfinite(value) else "–"


def _accuracies(train: float, test: float) -> str:
    return f"train {_percent(train)} · test {_percent(test)}"


# --- figures --------------------------------------------------------------------------
def _regions_spec(
    panels: Sequence[RegionPanel],
    grid: Grid,
    data: Data,
    shaded: bool,
    points: str,
    legend: bool = True,
) -> tuple[list[dict], dict]:
    if points not in POINTS:
        raise ValueError(f"points must be one of {POINTS}")
    traces: list[dict] = []
    for i, panel in enumerate(panels):
        z = region_codes(panel.label, panel.confidence, shaded)
        traces.append(_region_trace(grid, z, data.n_classes, i))
        traces += _point_traces(data, points, i)
        if panel.line is not None:
            traces.append(
                dict(
                    type="scatter",
                    x=panel.line[:, 0],
                    y=panel.line[:, 1],
                    mode="lines",
                    line=dict(color=MODEL_COLORS["mlp"], width=4, dash="dash"),
                    name=panel.line_name,
                    showlegend=bool(panel.line_name),
                    hoverinfo="skip",
                    **_axes_of(i),
                )
            )
    width = LEGEND_ROOM if legend else 1.0
    if legend:
        traces += _legend_traces(data.n_classes, points)
    layout = _plane_axes(len(panels), grid, width=width)
    layout["showlegend"] = legend
    layout["annotations"] = _titles([p.title for p in panels])
    layout["legend"] = dict(x=LEGEND_ROOM + 0.02, xanchor="left", y=1, yanchor="top")
    return traces, layout


def _finish(layout: dict, title: str | None, height: int, margin: dict) -> dict:
    """``layout`` with the shared style (fonts, title, background, grid) and ``margin``,
    merged before the one ``go.Figure`` call: updating a built figure re-validates it."""
    base = base_layout(title, height)
    grid = base.pop("xaxis")
    base.pop("yaxis")
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            axis.update(grid)
    return {**layout, **base, "margin": margin}


def regions_figure(
    panels: Sequence[RegionPanel],
    grid: Grid,
    data: Data,
    *,
    shaded: bool = True,
    points: str = "both",
    title: str | None = None,
    height: int | None = None,
    legend: bool = True,
) -> go.Figure:
    """Decision regions side by side (one panel each) with the data on top, equal aspect;
    without ``legend`` the panels use the whole width."""
    traces, layout = _regions_spec(panels, grid, data, shaded, points, legend)
    height = height or plane_height(grid, len(panels), extra=150)
    layout = _finish(layout, title, height, dict(t=110 if title else 80, l=60, r=10, b=60))
    return figure(traces, layout)


def _at_epoch(regions: Regions, epoch: int) -> int:
    """Index of the last snapshot taken at or before ``epoch``."""
    return int(np.searchsorted(regions.epochs, epoch, side="right") - 1)


def _model_label(run: ModelRun) -> str:
    if run.is_linear:
        return "Linear classifier"
    hidden = "×".join(str(s) for s in run.sizes[1:-1])
    return f"MLP {hidden}, {ACTIVATION_LABELS[run.activation]}"


def _run_title(run: ModelRun, index: int) -> str:
    r = run.regions
    return f"<b>{_model_label(run)}</b><br>epoch {r.epochs[index]} · " + _accuracies(
        r.train_acc[index], r.test_acc[index]
    )


def snapshot_epochs(comparison: Comparison) -> np.ndarray:
    """The epochs with a snapshot of either model: one animation frame each."""
    return np.union1d(comparison.linear.regions.epochs, comparison.mlp.regions.epochs)


def boundary_animation(
    comparison: Comparison, *, shaded: bool = True, points: str = "both"
) -> go.Figure:
    """Both models' regions side by side, with one animation frame per snapshot epoch.

    The figure opens on the final state; ▶ replays training from epoch 0 and the slider
    scrubs through the snapshots (both panels and their titles move together).
    """
    runs = (comparison.linear, comparison.mlp)
    epochs = snapshot_epochs(comparison)

    def state(epoch: int) -> tuple[list[np.ndarray], list[str]]:
        idx = [_at_epoch(run.regions, epoch) for run in runs]
        zs = [
            region_codes(run.regions.label[i], run.regions.confidence[i], shaded)
            for run, i in zip(runs, idx, strict=True)
        ]
        return zs, [_run_title(run, i) for run, i in zip(runs, idx, strict=True)]

    final_z, final_titles = state(int(epochs[-1]))
    panels = [RegionPanel(t, np.zeros((1, 1)), np.zeros((1, 1))) for t in final_titles]
    traces, layout = _regions_spec(panels, comparison.grid, comparison.data, shaded, points)
    regions = [i for i, t in enumerate(traces) if t["type"] == "contour"]
    for index, z in zip(regions, final_z, strict=True):
        traces[index]["z"] = z

    frames = []
    for k, epoch in enumerate(epochs):
        zs, titles = state(int(epoch))
        frames.append(
            dict(
                name=str(k),
                traces=regions,
                data=[dict(type="contour", z=z) for z in zs],
                layout=dict(annotations=_titles(titles)),
            )
        )

    def animate(duration: int) -> dict:
        return dict(
            mode="immediate",
            frame=dict(duration=duration, redraw=True),
            transition=dict(duration=0),
            fromcurrent=False,
        )

    pause = dict(
        mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0)
    )
    layout["updatemenus"] = [
        dict(
            type="buttons",
            direction="left",
            showactive=False,
            x=0.0,
            xanchor="left",
            y=0,
            yanchor="top",
            pad=dict(t=85, r=10),
            font=dict(size=FONT["size"]),
            buttons=[
                dict(label="▶ Play training", method="animate", args=[None, animate(FRAME_MS)]),
                dict(label="❚❚ Pause", method="animate", args=[[None], pause]),
            ],
        )
    ]
    layout["sliders"] = [
        dict(
            active=len(epochs) - 1,
            x=0.3,
            len=LEGEND_ROOM - 0.3,
            xanchor="left",
            y=0,
            yanchor="top",
            pad=dict(t=60, b=0),
            currentvalue=dict(prefix="epoch ", font=dict(size=FONT["size"] + 2)),
            font=dict(size=FONT["size"] - 4),
            steps=[
                dict(label=str(int(e)), method="animate", args=[[str(k)], animate(0)])
                for k, e in enumerate(epochs)
            ],
        )
    ]
    height = plane_height(comparison.grid, 2, extra=220)
    layout = _finish(layout, None, height, dict(t=70, l=60, r=10, b=150))
    return figure(traces, layout, frames)


def training_curves(linear: ModelRun, mlp: ModelRun, *, height: int = 380) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch: colour = model, dash = test set."""
    traces = []
    for key, run in (("linear", linear), ("mlp", mlp)):
        name = "linear" if key == "linear" else "MLP"
        epochs = np.arange(1, run.epochs_done + 1)
        for split, loss, acc, dash in (
            ("train", run.train_loss, run.train_acc, "solid"),
            ("test", run.test_loss, run.test_acc, "dash"),
        ):
            label = f"{name} · {split}"
            common = dict(
                type="scatter",
                x=epochs,
                mode="lines",
                line=dict(color=MODEL_COLORS[key], width=3, dash=dash),
                name=label,
                legendgroup=label,
            )
            traces.append(dict(common, y=_finite(loss), hovertemplate="epoch %{x}: %{y:.4f}"))
            traces.append(
                dict(
                    common,
                    y=_finite(acc),
                    xaxis="x2",
                    yaxis="y2",
                    showlegend=False,
                    hovertemplate="epoch %{x}: %{y:.1%}",
                )
            )
    axis = dict(automargin=True, title=dict(text="epoch"))
    layout = dict(
        xaxis=dict(axis, domain=[0, 0.4], anchor="y"),
        xaxis2=dict(axis, domain=[0.52, 0.92], anchor="y2"),
        yaxis=dict(automargin=True, title=dict(text="mean loss"), rangemode="tozero", anchor="x"),
        yaxis2=dict(
            automargin=True,
            title=dict(text="accuracy"),
            tickformat=".0%",
            range=[0, 1.02],
            anchor="x2",
        ),
        annotations=_titles(["Loss (data loss, no L2 term)", "Accuracy"]),
        legend=dict(x=0.94, xanchor="left", y=1, yanchor="top", font=dict(size=FONT["size"])),
    )
    layout = _finish(layout, None, height, dict(t=50, l=70, r=10, b=60))
    return figure(traces, layout)


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values, np.nan)


def hidden_space_figure(data: Data, hidden: HiddenSpace, *, height: int = 480) -> go.Figure:
    """The points in the input plane (left) and as the MLP's last hidden layer sees them."""
    right = {
        "direct": f"Hidden space h({hidden.layer}) (2 units)",
        "pca": f"Hidden space h({hidden.layer}): first 2 of {hidden.units} dimensions (PCA)",
        "one unit": f"Hidden space h({hidden.layer}) (1 unit)",
    }[hidden.method]
    traces = _point_traces(data, "both", 0)
    traces += _point_traces(data, "both", 1, hidden.train, hidden.test)
    traces += _legend_traces(data.n_classes, "both")
    layout = _plane_axes(2, None, shared=False)
    layout["yaxis"]["title"]["text"] = "x₂"
    layout["xaxis2"]["title"]["text"] = hidden.axis_titles[0]
    layout["yaxis2"]["title"]["text"] = hidden.axis_titles[1]
    for axis in ("xaxis2", "yaxis2"):
        layout[axis].update(showgrid=True, ticks="")
    if hidden.method == "one unit":  # a jitter axis: no aspect to keep
        del layout["yaxis2"]["scaleanchor"], layout["yaxis2"]["scaleratio"]
    layout["annotations"] = _titles(["Input space x", right])
    layout["legend"] = dict(x=LEGEND_ROOM + 0.02, xanchor="left", y=1, yanchor="top")
    layout = _finish(layout, None, height, dict(t=70, l=70, r=10, b=70))
    return figure(traces, layout)


def sweep_figure(
    sweep, baseline: ModelRun | None = None, *, shaded: bool = True, points: str = "both"
) -> go.Figure:
    """The L2 sweep as small multiples: one panel per λ (final boundaries), after the
    ``baseline`` MLP (the same network with its own λ, usually 0) when given."""
    runs = ([baseline] if baseline is not None else []) + list(sweep.runs)
    panels = [
        RegionPanel(
            f"<b>λ = {run.l2:g}</b>{' (above)' if run is baseline else ''}<br>"
            + _accuracies(run.final_train_acc, run.final_test_acc),
            run.regions.label[-1],
            run.regions.confidence[-1],
        )
        for run in runs
    ]
    # Many panels: no legend (the colours and markers are those of the figure above).
    return regions_figure(
        panels, sweep.grid, sweep.data, shaded=shaded, points=points, legend=False
    )


def collapse_figure(
    collapse,
    linear: ModelRun | None,
    line: np.ndarray | None,
    *,
    shaded: bool = True,
    points: str = "both",
) -> go.Figure:
    """The identity-activation MLP's regions (with the collapsed map's boundary line, if
    given) next to the linear classifier's trained on the same data."""
    run = collapse.run
    panels = [
        RegionPanel(
            f"<b>MLP {'×'.join(map(str, run.sizes[1:-1]))}, identity g</b><br>"
            + _accuracies(run.final_train_acc, run.final_test_acc),
            run.regions.label[-1],
            run.regions.confidence[-1],
            line,
            "boundary of W x + b",
        )
    ]
    if linear is not None:
        panels.append(
            RegionPanel(
                f"<b>{_model_label(linear)}</b><br>"
                + _accuracies(linear.final_train_acc, linear.final_test_acc),
                linear.regions.label[-1],
                linear.regions.confidence[-1],
            )
        )
    return regions_figure(panels, collapse.grid, collapse.data, shaded=shaded, points=points)


def collapse_equation(W: np.ndarray, b: np.ndarray, factors: Sequence[tuple[int, int]]) -> str:
    """LaTeX of an identity-activation MLP collapsed to one linear map:
    W = W(L+1) … W(1) with the numbers, b, and the shapes of the factors."""

    def matrix(M: np.ndarray) -> str:
        rows = [" & ".join(f"{v:.3g}" for v in row) for row in M]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    n = len(factors)
    product = " ".join(f"W^{{({k})}}" for k in range(n, 0, -1))
    shapes = r" \cdot ".join(f"({r}\\times{c})" for r, c in factors)
    return (
        rf"W = {product} = {matrix(W)}, \quad b = {matrix(b[:, None])}"
        rf"\qquad \text{{shapes }} {shapes} \to ({W.shape[0]}\times{W.shape[1]})"
    )
