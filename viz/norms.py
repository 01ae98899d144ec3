"""Per-layer gradient sizes as grouped bars: vanishing gradients visible at a glance."""

from __future__ import annotations

import plotly.graph_objects as go

from .style import base_layout, figure

COLORS = {"‖∇W(k)‖": "#0072B2", "‖∇a(k)‖": "#E69F00"}


def gradient_norms_figure(norms: dict[str, list[float]]) -> go.Figure:
    """Bars of ‖∇W(k)‖ and ‖∇a(k)‖ per layer k; a log axis when they span > 100×."""
    layers = [f"layer {k}" for k in norms["layer"]]
    bars = [
        dict(
            type="bar",
            name=key,
            x=layers,
            y=norms[key],
            marker_color=color,
            hovertemplate=f"%{{x}}<br>{key} = %{{y:.4g}}<extra></extra>",
        )
        for key, color in COLORS.items()
    ]
    values = [v for key in COLORS for v in norms[key] if v > 0]
    log = bool(values) and max(values) / min(values) > 100
    layout = base_layout("<b>Gradient size per layer</b>" + (" (log scale)" if log else ""), 320)
    layout["yaxis"] |= dict(type="log" if log else "linear", title=dict(text="Frobenius norm"))
    layout |= dict(
        barmode="group",
        margin=dict(l=100, r=10, t=100, b=50),  # legend above, axis title left
        legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    return figure(bars, layout)
