"""The network as a diagram: units as nodes, weights as edges, the current step lit up.

Edges are coloured and sized by value on the shared diverging scale: W(k) during the
forward pass, ∇W(k) during the backward pass (grey until the step that computes it).
Nodes show one example's values: h(k) forward (a(k) until the activation is applied),
∇a(k) backward. Edges are drawn in a few colour bins, one path shape each, so even the
largest network is a handful of SVG paths.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from engine import Step

from .style import COLORBAR_BELOW, COLORBAR_MARGIN, DIVERGING, base_layout, figure, symmetric_limit

BINS = 9
MAX_EDGE_HOVER = 200  # edges with a hover value; past this, too dense to point at
FORWARD_COLOR = "#1D4ED8"
BACKWARD_COLOR = "#B91C1C"
PENDING = "#D1D5DB"
EDGE_COLORS = sample_colorscale(DIVERGING, list(np.linspace(0, 1, BINS)))
COLORBAR_TITLE = 24  # pixels above a colour bar for its title


def _edges(k: np.ndarray, y_from: np.ndarray, y_to: np.ndarray, line: dict) -> dict:
    """Line segments from (k-1, y_from) to (k, y_to) as one path shape. One SVG path: a
    scatter trace with gaps draws, and styles, one path per segment (832 in the largest
    network, ~100 ms of the browser's time per step)."""
    points = zip(k.tolist(), y_from.tolist(), y_to.tolist(), strict=True)
    path = " ".join(f"M{a - 1},{b:g}L{a},{c:g}" for a, b, c in points)
    return dict(type="path", path=path, line=line, layer="below")


def _half_colorbar(title: str, right: bool) -> dict:
    """A colour bar below the plot on its left or right half, titled below the bar (a
    title above a horizontal bar anchored at the bottom overlaps it in Plotly.js)."""
    return COLORBAR_BELOW | dict(
        title=dict(text=title, side="bottom", font=dict(size=14)),
        x=0.75 if right else 0.25,
        xanchor="center",
        len=0.42,
        nticks=5,
    )


def _positions(sizes: Sequence[int]) -> list[np.ndarray]:
    """y of each unit, centred, unit 1 on top."""
    return [(n - 1) / 2 - np.arange(n) for n in sizes]


def _highlight(step: Step) -> tuple[float, float]:
    """x range of the highlighted band: a layer's column or the gap between two."""
    k = step.layer
    if step.kind in ("activation", "grad_a", "output", "loss", "grad_output"):
        return k - 0.28, k + 0.28
    return k - 1 - 0.28, k + 0.28


def _node_values(step: Step, known: dict[str, np.ndarray], sizes, column: int):
    """Per layer, the values shown on its nodes (or None while not yet computed)."""
    last = len(sizes) - 1
    out = []
    for k in range(last + 1):
        if step.phase == "forward":
            names = ["h(0)"] if k == 0 else ["f(x)", f"h({k})", f"a({k})"]
            if k < last:
                names = [n for n in names if n != "f(x)"]
        else:
            names = [f"∇a({k})", f"∇h({k})"]
        value = next((known[n] for n in names if n in known), None)
        out.append(None if value is None else np.asarray(value)[column])
    return out


def network_figure(
    sizes: Sequence[int],
    weights: dict[int, np.ndarray],
    step: Step,
    known: dict[str, np.ndarray],
    output_label: str = "f(x)",
    column: int = 0,
) -> go.Figure:
    """:func:`network_spec` as a validated figure (for ``st.plotly_chart``)."""
    return figure(**network_spec(sizes, weights, step, known, output_label, column))


def network_spec(
    sizes: Sequence[int],
    weights: dict[int, np.ndarray],
    step: Step,
    known: dict[str, np.ndarray],
    output_label: str = "f(x)",
    column: int = 0,
) -> dict:
    """Diagram of ``sizes`` = [D, n_1, …, C] at ``step`` as a spec ``{"data", "layout"}``
    (plain dicts with numpy arrays).

    ``weights[k]`` is W(k) (n_k, n_{k-1}); ``known`` holds every array the trace has
    written up to and including this step (plus h(0)); nodes show batch row ``column``.
    Edges and nodes each have a colour bar (edges left, nodes right, below the plot).
    """
    last = len(sizes) - 1
    ys = _positions(sizes)
    backward = step.phase == "backward"
    edge_vals = {}
    for k in range(1, last + 1):
        if backward:
            edge_vals[k] = known.get(f"∇W({k})")
        else:
            edge_vals[k] = weights[k]
    shown = [v for v in edge_vals.values() if v is not None]
    m = symmetric_limit(*shown) if shown else 1.0
    traces: list[dict] = []

    lo, hi = _highlight(step)
    band = BACKWARD_COLOR if backward else FORWARD_COLOR
    top = max(len(y) for y in ys) / 2 + 0.3
    shapes = [
        dict(
            type="rect",
            x0=lo,
            x1=hi,
            y0=-top,
            y1=top,
            line_width=0,
            fillcolor=band,
            opacity=0.09,
            layer="below",
        )
    ]

    # Edges, all layers at once: layer k, unit i of layer k, unit j of layer k-1, value.
    k_, i_, j_, v_ = [], [], [], []
    for k in range(1, last + 1):
        i, j = np.divmod(np.arange(sizes[k] * sizes[k - 1]), sizes[k - 1])
        k_.append(np.full(i.size, k))
        i_.append(i)
        j_.append(j)
        W = edge_vals[k]
        v_.append(np.full(i.size, np.nan) if W is None else np.asarray(W, float).ravel())
    k_, i_, j_, v_ = (np.concatenate(a) for a in (k_, i_, j_, v_))
    y_to = np.concatenate([ys[k][i_[k_ == k]] for k in range(1, last + 1)])
    y_from = np.concatenate([ys[k - 1][j_[k_ == k]] for k in range(1, last + 1)])
    pending = np.isnan(v_)
    if pending.any():
        shapes.append(
            _edges(k_[pending], y_from[pending], y_to[pending], dict(color=PENDING, width=1))
        )
    # Binned by value into BINS paths, so even the largest network is a few shapes.
    bins = np.clip(np.rint((v_ / m + 1) / 2 * (BINS - 1)), 0, BINS - 1)
    for b in range(BINS):
        sel = ~pending & (bins == b)
        if sel.any():
            width = 1.0 + 5.0 * float(np.mean(np.abs(v_[sel]))) / m
            line = dict(color=EDGE_COLORS[b], width=width)
            shapes.append(_edges(k_[sel], y_from[sel], y_to[sel], line))
    symbol = "∇W" if backward else "W"
    if not pending.all():
        # Invisible markers at the edges' midpoints: the hover values and the colour bar.
        # Past MAX_EDGE_HOVER edges, too dense to point at, one marker keeps the bar.
        shown = np.flatnonzero(~pending)[: None if (~pending).sum() <= MAX_EDGE_HOVER else 1]
        traces.append(
            dict(
                type="scatter",
                x=k_[shown] - 0.5,
                y=(y_to[shown] + y_from[shown]) / 2,
                mode="markers",
                text=[
                    f"{symbol}({k_[e]})<sub>{i_[e] + 1},{j_[e] + 1}</sub> = {v_[e]:.4g}"
                    for e in shown
                ],
                hovertemplate="%{text}<extra></extra>",
                hoverinfo=None if shown.size > 1 else "skip",
                showlegend=False,
                marker=dict(
                    size=10,
                    opacity=0.0,
                    color=v_[shown],
                    colorscale=DIVERGING,
                    cmin=-m,
                    cmax=m,
                    showscale=True,
                    colorbar=_half_colorbar(f"edges: {symbol}(k)", right=False),
                ),
            )
        )

    # Nodes: the computed ones on the diverging scale with their own colour bar (right
    # half, below the plot), the others white.
    values = _node_values(step, known, sizes, column)
    node_vals = [v for v in values if v is not None]
    nm = symmetric_limit(*node_vals) if node_vals else 1.0
    done: dict[str, list] = dict(x=[], y=[], v=[], text=[])
    todo: dict[str, list] = dict(x=[], y=[], text=[])
    for k, (y, vals) in enumerate(zip(ys, values, strict=True)):
        for j, yj in enumerate(y.tolist()):
            if vals is None:
                todo["x"].append(k)
                todo["y"].append(yj)
                todo["text"].append(f"layer {k}, unit {j + 1}: not computed yet")
            else:
                v = float(vals[j])
                done["x"].append(k)
                done["y"].append(yj)
                done["v"].append(v)
                done["text"].append(f"layer {k}, unit {j + 1}: {v:.4g}")
    outline = dict(color="#374151", width=2)
    node = dict(type="scatter", mode="markers", hovertemplate="%{text}<extra></extra>")
    if todo["x"]:
        traces.append(
            node
            | dict(x=todo["x"], y=todo["y"], text=todo["text"], showlegend=False)
            | dict(marker=dict(size=30, color="#FFFFFF", line=outline))
        )
    node_title = "nodes: ∇a(k)" if backward else "nodes: h(k)"
    traces.append(
        node
        | dict(x=done["x"], y=done["y"], text=done["text"], showlegend=False)
        | dict(
            marker=dict(
                size=30,
                color=done["v"],
                colorscale=DIVERGING,
                cmin=-nm,
                cmax=nm,
                line=outline,
                showscale=True,
                colorbar=_half_colorbar(node_title, right=True),
            )
        )
    )

    labels = ["x = h(0)"] + [f"h({k})" for k in range(1, last)] + [output_label]
    annotations = [
        dict(
            x=k, y=-top, text=f"<b>{label}</b>", showarrow=False, yanchor="top", font=dict(size=17)
        )
        for k, label in enumerate(labels)
    ]
    arrow = "forward pass  →" if not backward else "←  backward pass"
    annotations.append(
        dict(
            x=last / 2,
            y=top,
            text=f"<b>{arrow}</b>",
            showarrow=False,
            yanchor="bottom",
            font=dict(size=18, color=band),
        )
    )
    layout = base_layout(height=int(np.clip(130 + 34 * max(sizes), 300, 680)))
    layout["xaxis"] = dict(visible=False, range=[-0.5, last + 0.5])
    layout["yaxis"] = dict(visible=False, range=[-top - 0.7, top + 0.5])
    layout |= dict(
        hovermode="closest",
        shapes=shapes,
        annotations=annotations,
        margin=dict(l=10, r=10, t=20, b=10 + COLORBAR_MARGIN + COLORBAR_TITLE),
    )
    return dict(data=traces, layout=layout)
