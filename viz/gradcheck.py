"""Figures of the "Gradient check" page: relative errors per W(k) and b(k) on a log colour
scale banded by the usual reading, the largest error per tensor, and the step-size sweep.

Each builder takes what engine/gradcheck.py or engine/step_size.py returned.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.gradcheck import RIGHT, WRONG, NetworkCheck, reading
from engine.step_size import StepSizeSweep

from .heatmap import orient
from .style import COLORBAR_BELOW, COLORBAR_MARGIN, base_layout, figure

LOG_MIN, LOG_MAX = -12.0, 0.0  # colour range of log10(relative error); beyond is clipped
READING_COLORS = {"right": "#0072B2", "suspicious": "#E69F00", "wrong": "#D55E00"}
DTYPE_COLORS = {"float64": "#0072B2", "float32": "#D55E00"}
UNCHECKED = "#D1D5DB"


def _position(log_error: float) -> float:
    return (log_error - LOG_MIN) / (LOG_MAX - LOG_MIN)


def error_colorscale() -> list[list]:
    """Three bands with hard edges at the thresholds, each darker as the error grows:
    blues (right), yellow to orange (suspicious), vermillion to dark red (wrong)."""
    right, wrong = _position(np.log10(RIGHT)), _position(np.log10(WRONG))
    return [
        [0.0, "#EFF6FB"],
        [right, "#56B4E9"],
        [right, "#F0E442"],
        [wrong, "#E69F00"],
        [wrong, "#D55E00"],
        [1.0, "#7F1D1D"],
    ]


def _ticks() -> dict:
    vals = [-12, -9, np.log10(RIGHT), np.log10(WRONG), 0]
    text = ["1e-12", "1e-9", f"{RIGHT:.0e}", f"{WRONG:.0e}", "1"]
    return dict(tickvals=vals, ticktext=[t.replace("e-0", "e-") for t in text])


def error_heatmap(check: NetworkCheck, name: str) -> go.Figure:
    """The relative errors of one tensor ("W(2)", "b(1)", …) laid out as the notes write
    it (W(k) as stored, rows i of a(k) and columns j of h(k-1); b(k) as a column), on a
    log scale from 1e-12 to 1 banded at the thresholds. Entries outside the sample are
    blank; entries at a kink carry a ×."""
    error = check.error[name]
    o = orient(name, error)
    z = np.log10(np.clip(o.z, 10.0**LOG_MIN, 10.0))  # nan (not checked) stays nan
    analytic = orient(name, check.analytic[name]).z
    numeric = orient(name, check.numeric[name]).z
    kink = orient(name, check.kink[name].astype(float)).z > 0
    shown = np.where(np.isnan(o.z), "not in the sample", np.char.mod("%.2e", np.nan_to_num(o.z)))
    heat = dict(
        type="heatmap",
        z=z,
        x=o.cols,
        y=o.rows,
        zmin=LOG_MIN,
        zmax=LOG_MAX,
        colorscale=error_colorscale(),
        xgap=1,
        ygap=1,
        customdata=np.dstack([analytic, numeric, kink.astype(float)]),
        text=shown,
        colorbar=COLORBAR_BELOW | _ticks(),
        hovertemplate=(
            f"{o.row_title} %{{y}}<br>{o.col_title} %{{x}}<br>"
            "analytic %{customdata[0]:.6g}<br>numeric %{customdata[1]:.6g}<br>"
            "<b>relative error %{text}</b><extra></extra>"
        ),
    )
    traces = [heat]
    if kink.any():
        r, c = np.nonzero(kink)
        traces.append(
            dict(
                type="scatter",
                x=[o.cols[j] for j in c],
                y=[o.rows[i] for i in r],
                mode="text",
                text=["×"] * len(r),
                textfont=dict(size=18, color="#111827"),
                name="× at a kink",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    rows, cols = o.z.shape
    worst = check.max_error(name)
    said = "no entry counted" if np.isnan(worst) else f"max {worst:.0e}: {reading(worst)}"
    bands = f"right ≤ {RIGHT:.0e} < suspicious ≤ {WRONG:.0e} < wrong".replace("e-0", "e-")
    title = f"<b>{name}</b> relative error  ·  {rows} × {cols}<br><span style='font-size:15px'>"
    title += said + (f", × at a kink ({int(kink.sum())})" if kink.any() else "")
    unchecked = bool(np.isnan(o.z).any())
    title += ", grey: not in the sample" if unchecked else ""
    title += f"<br>{bands}</span>"
    top, bottom = 125, (80 if cols > 8 else 55) + COLORBAR_MARGIN
    layout = base_layout(title, top + int(np.clip(28 * rows, 80, 450)) + bottom)
    layout["title"] |= dict(font=dict(size=17))
    layout["margin"] = dict(l=60, r=15, t=top, b=bottom)
    layout["width"] = max(80 + cols * int(np.clip(640 // cols, 16, 40)), 440)
    if unchecked:  # a blank (nan) cell shows the plot's background: grey, unlike any error
        layout["plot_bgcolor"] = UNCHECKED
    layout["xaxis"] |= dict(type="category", title=dict(text=o.col_title), showgrid=False)
    layout["yaxis"] |= dict(
        type="category", title=dict(text=o.row_title), autorange="reversed", showgrid=False
    )
    return figure(traces, layout)


def _bands(x0: float, x1: float, bottom: float, top: float) -> list[dict]:
    """Background bands of the three readings between log10 ``bottom`` and ``top``."""
    edges = [bottom, np.log10(RIGHT), np.log10(WRONG), top]
    return [
        dict(
            type="rect",
            xref="paper",
            yref="y",
            x0=x0,
            x1=x1,
            y0=10.0 ** edges[i],
            y1=10.0 ** edges[i + 1],
            fillcolor=color,
            opacity=0.10,
            line=dict(width=0),
            layer="below",
        )
        for i, color in enumerate(READING_COLORS.values())
    ]


def _threshold_lines(x0: float = 0, x1: float = 1) -> tuple[list[dict], list[dict]]:
    shapes, notes = [], []
    for value, text in ((RIGHT, f"right ≤ {RIGHT:.0e}"), (WRONG, f"wrong > {WRONG:.0e}")):
        text = text.replace("e-0", "e-")
        shapes.append(
            dict(
                type="line",
                xref="paper",
                yref="y",
                x0=x0,
                x1=x1,
                y0=value,
                y1=value,
                line=dict(color="#374151", width=2, dash="dash"),
            )
        )
        notes.append(
            dict(
                xref="paper",
                yref="y",
                x=x1,
                y=np.log10(value),
                text=text,
                showarrow=False,
                xanchor="right",
                yanchor="bottom",
                font=dict(size=14, color="#374151"),
            )
        )
    return shapes, notes


def max_error_figure(check: NetworkCheck) -> go.Figure:
    """The largest relative error of each tensor (kinks left out) on a log axis, coloured
    by its reading, with the thresholds dashed: where a check fails, at a glance."""
    values = [check.max_error(n) for n in check.names]
    words = list(check.readings.values())
    bar = dict(
        type="bar",
        x=check.names,
        y=[v if np.isfinite(v) and v > 0 else None for v in values],
        marker_color=[READING_COLORS.get(w, "#9CA3AF") for w in words],
        text=[w if np.isfinite(v) else "unchecked" for v, w in zip(values, words, strict=True)],
        textposition="outside",
        textfont=dict(size=14),
        cliponaxis=False,
        hovertemplate="%{x}: largest relative error %{y:.2e}<extra></extra>",
        showlegend=False,
    )
    low = min([np.log10(v) for v in values if np.isfinite(v) and v > 0] + [-10.0])
    bottom, top = np.floor(low) - 1, 1.0
    shapes, notes = _threshold_lines()
    layout = base_layout(f"<b>Largest relative error per tensor</b>: {check.verdict}", 380)
    layout |= dict(shapes=_bands(0, 1, bottom, top) + shapes, annotations=notes)
    layout["margin"] = dict(l=80, r=10, t=60, b=60)
    layout["xaxis"] |= dict(type="category", title=dict(text="parameter tensor"))
    layout["yaxis"] |= dict(
        type="log",
        range=[bottom, top],
        title=dict(text="max |a − n| / max(|a|, |n|)"),
        exponentformat="power",
    )
    return figure([bar], layout)


def step_size_figure(sweep: StepSizeSweep) -> go.Figure:
    """Relative error of the centred difference against h, log-log, float64 and float32,
    each best h marked; dotted guides: truncation ∝ h² and round-off ∝ ε/h per dtype."""
    h = sweep.h
    traces = []
    for name, error in sweep.error.items():
        color = DTYPE_COLORS.get(name)
        traces.append(
            dict(
                type="scatter",
                x=h,
                y=np.where(error > 0, error, np.nan),
                mode="lines+markers",
                name=name,
                line=dict(color=color, width=3),
                marker=dict(size=6),
                hovertemplate=(
                    f"{name}<br>h = %{{x:.1e}}<br>relative error %{{y:.2e}}<extra></extra>"
                ),
            )
        )
        traces.append(
            dict(
                type="scatter",
                x=[sweep.best_h[name]],
                y=[max(sweep.best_error[name], 1e-17)],
                mode="markers+text",
                marker=dict(size=15, color=color, symbol="star", line=dict(color="white", width=1)),
                text=[f"best h = {sweep.best_h[name]:.0e}"],
                textposition="bottom center",
                textfont=dict(size=14, color=color),
                showlegend=False,
                hovertemplate=f"{name}: best h %{{x:.1e}}, error %{{y:.2e}}<extra></extra>",
            )
        )
    finite = np.concatenate([e[e > 0] for e in sweep.error.values()])
    low = float(np.log10(finite.min())) if finite.size else -16.0
    bottom, top = np.floor(low) - 1.0, 0.7

    def keep(y: np.ndarray) -> np.ndarray:  # a guide only where the data's axis reaches
        return np.where((y >= 10**bottom) & (y <= 10**top), y, np.nan)

    guides = [("truncation ∝ h²", sweep.truncation, "#374151")] + [
        (f"round-off ∝ ε/h ({name})", sweep.roundoff[name], DTYPE_COLORS.get(name))
        for name in sweep.roundoff
    ]
    for label, y, color in guides:
        traces.append(
            dict(
                type="scatter",
                x=h,
                y=keep(y),
                mode="lines",
                name=label,
                line=dict(color=color, width=1.5, dash="dot"),
                hoverinfo="skip",
            )
        )
    layout = base_layout(f"<b>Step size h</b> of the centred difference for {sweep.target}", 460)
    layout |= dict(
        legend=dict(x=1.02, xanchor="left", y=1, yanchor="top"),
        margin=dict(l=80, r=10, t=60, b=60),
    )
    layout["xaxis"] |= dict(type="log", title=dict(text="step h"), exponentformat="power")
    layout["yaxis"] |= dict(
        type="log",
        range=[bottom, top],
        title=dict(text="relative error |n − d| / max(|n|, |d|)"),
        exponentformat="power",
    )
    return figure(traces, layout)
