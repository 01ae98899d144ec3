"""Figures of the "Activations & losses" page: the activation gallery, the depth view,
backprop through an elementwise g, softmax (naive beside stable), Jacobians, and the SVM
against the softmax loss. Everything counted from 1 on the axes (units, classes).

Each builder takes what an engine function returned (engine/elementwise.py,
engine/stable_softmax.py, engine/score_losses.py) and computes nothing of its own.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.activations import ACTIVATION_LABELS
from engine.elementwise import GALLERY, ActivationCurve, DepthView, ElementwiseBackward
from engine.score_losses import ScoreLosses
from engine.stable_softmax import CrossEntropy, NaiveSoftmax

from .style import (
    CLASS_COLORS,
    COLORBAR_BELOW,
    COLORBAR_MARGIN,
    DIVERGING,
    base_layout,
    figure,
    symmetric_limit,
)

G_COLOR, GRAD_COLOR = "#0072B2", "#D55E00"  # g and g′ (Okabe–Ito blue, vermillion)
NAIVE_COLOR, STABLE_COLOR = "#E69F00", "#0072B2"
SHADE = "rgba(107, 114, 128, 0.16)"  # saturation regions
ZERO_SHADE = "rgba(107, 114, 128, 0.30)"  # g′ exactly 0
# The formulas as plain text for legends (Plotly draws no LaTeX without MathJax).
FORMULAS = {
    "identity": ("g(a) = a", "g′(a) = 1"),
    "sigmoid": ("g(a) = σ(a) = 1 / (1 + e⁻ᵃ)", "g′(a) = g(a)(1 − g(a))"),
    "tanh": ("g(a) = tanh(a)", "g′(a) = 1 − g(a)²"),
    "relu": ("g(a) = max(0, a)", "g′(a) = 1 if a > 0, else 0"),
    "leaky_relu": ("g(a) = max(0.1a, a)", "g′(a) = 1 if a > 0, else 0.1"),
    "elu": ("g(a) = a if a > 0, else eᵃ − 1", "g′(a) = 1 if a > 0, else eᵃ"),
}
# A legend under the plot, at the bottom of the figure (the axis title sits above it).
LEGEND_BELOW = dict(
    orientation="h", x=0, xanchor="left", yref="container", y=0, yanchor="bottom", font_size=14
)


def _units(n: int) -> list[str]:
    return [str(i) for i in range(1, n + 1)]


def _number(v: float) -> str:
    """A value as written on a bar or in a cell: inf and nan spelled out."""
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "−inf"
    return f"{v:.4g}"


# --- the gallery ----------------------------------------------------------------------
def activation_figure(curve: ActivationCurve, height: int = 400) -> go.Figure:
    """g(a) and g′(a) over the curve's grid, each saturation region shaded (darker where
    g′ is exactly 0); the formulas under the title, in the notes' form."""
    g_text, grad_text = FORMULAS.get(curve.name, ("g(a)", "g′(a)"))
    traces = [
        dict(
            type="scatter",
            x=curve.a,
            y=curve.g,
            mode="lines",
            name="g(a)",
            line=dict(color=G_COLOR, width=3),
            hovertemplate="a = %{x:.3g}<br>g(a) = %{y:.4g}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=curve.a,
            y=curve.grad,
            mode="lines",
            name="g′(a)",
            line=dict(color=GRAD_COLOR, width=3, dash="dash"),
            hovertemplate="a = %{x:.3g}<br>g′(a) = %{y:.4g}<extra></extra>",
        ),
    ]
    shapes = []
    for i, region in enumerate(curve.saturated):
        shapes.append(
            dict(
                type="rect",
                xref="x",
                yref="paper",
                x0=region.start,
                x1=region.end,
                y0=0,
                y1=1,
                fillcolor=ZERO_SHADE if region.zero else SHADE,
                line=dict(width=0),
                layer="below",
                name="g′ = 0" if region.zero else f"|g′| < {curve.threshold:g}",
                showlegend=i == 0,
                legendgroup="saturated",
            )
        )
    title = f"<b>{curve.label}</b><br><span style='font-size:15px'>{g_text}<br>{grad_text}</span>"
    layout = base_layout(title, height)
    layout |= dict(shapes=shapes, legend=LEGEND_BELOW, margin=dict(l=60, r=15, t=105, b=90))
    layout["xaxis"] |= dict(
        title=dict(text="pre-activation a"), range=[float(curve.a[0]), float(curve.a[-1])]
    )
    layout["yaxis"] |= dict(title=dict(text="g(a), g′(a)"), zeroline=True, zerolinecolor="#9CA3AF")
    return figure(traces, layout)


def depth_figure(view: DepthView, height: int = 420) -> go.Figure:
    """The product of g′ through k layers per activation on a log axis, with sigmoid's
    ceiling 0.25ᵏ dashed. A product of exactly 0 (ReLU at a < 0) cannot sit on a log axis:
    its line is left out and its legend entry says so."""
    traces = []
    for name, product in view.product.items():
        color = CLASS_COLORS[GALLERY.index(name) % len(CLASS_COLORS)] if name in GALLERY else None
        label = ACTIVATION_LABELS.get(name, name)
        y = np.where(product > 0, product, np.nan)
        if not np.isfinite(y).any():
            label += " (0: nothing passes)"
        traces.append(
            dict(
                type="scatter",
                x=view.k,
                y=y,
                mode="lines+markers",
                name=label,
                line=dict(color=color, width=3),
                marker=dict(size=7),
                hovertemplate=f"{label}<br>k = %{{x}}<br>Π g′ = %{{y:.3g}}<extra></extra>",
            )
        )
    if "sigmoid" in view.bound:
        traces.append(
            dict(
                type="scatter",
                x=view.k,
                y=view.bound["sigmoid"],
                mode="lines",
                name="sigmoid's most: 0.25ᵏ",
                line=dict(color="#374151", width=2, dash="dot"),
                hovertemplate="k = %{x}<br>0.25ᵏ = %{y:.3g}<extra></extra>",
            )
        )
    where = (
        f"at a = {view.a:g} in every layer"
        if view.a is not None
        else f"mean over a ~ N(0, {view.scale:g}²), {view.n_samples:,} draws"
    )
    layout = base_layout(f"<b>What survives k layers</b>: Π g′(a(l)), {where}", height)
    layout |= dict(
        legend=dict(x=1.02, xanchor="left", y=1, yanchor="top"),
        margin=dict(l=80, r=10, t=60, b=60),
    )
    layout["xaxis"] |= dict(title=dict(text="layers k"), dtick=1, range=[0.5, view.k[-1] + 0.5])
    layout["yaxis"] |= dict(
        title=dict(text="Π g′(a(l)), l = 1 … k"), type="log", exponentformat="power"
    )
    return figure(traces, layout)


# --- backprop through an elementwise g ---------------------------------------------------
def _vector_heatmap(
    columns: dict[str, np.ndarray], title: str, row_title: str, height: int | None = None
) -> go.Figure:
    """Vectors side by side as columns (as the notes write them), one row per entry i,
    on one zero-centred scale, the numbers in the cells."""
    names = list(columns)
    z = np.column_stack([np.asarray(columns[n], dtype=np.float64) for n in names])
    n = z.shape[0]
    m = symmetric_limit(z[np.isfinite(z)])
    heat = dict(
        type="heatmap",
        z=z,
        x=names,
        y=_units(n),
        colorscale=DIVERGING,
        zmin=-m,
        zmax=m,
        zmid=0.0,
        xgap=2,
        ygap=2,
        text=[[_number(v) for v in row] for row in z],
        texttemplate="%{text}",
        textfont=dict(size=15),
        colorbar=COLORBAR_BELOW | dict(nticks=5),
        hovertemplate=f"{row_title} %{{y}}<br>%{{x}} = %{{z:.6g}}<extra></extra>",
    )
    # The title and the column names on top, a row per entry, the colour bar below.
    layout = base_layout(title, height or 95 + 36 * n + 20 + COLORBAR_MARGIN)
    layout["margin"] = dict(l=60, r=15, t=95, b=20 + COLORBAR_MARGIN)
    layout["xaxis"] |= dict(type="category", side="top", showgrid=False)
    layout["yaxis"] |= dict(
        type="category", title=dict(text=row_title), autorange="reversed", showgrid=False
    )
    layout["width"] = max(100 + 110 * len(names), 420)
    return figure([heat], layout)


def elementwise_figure(result: ElementwiseBackward) -> go.Figure:
    """x, y = g(x), g′(x), ∂L/∂y and ∂L/∂x = ∂L/∂y ⊙ g′(x) as columns, entry i = 1 … n
    down the rows: note 004's picture of backprop through max(0, x)."""
    columns = {
        "x": result.x,
        "y = g(x)": result.y,
        "g′(x)": result.local,
        "∂L/∂y": result.upstream,
        "∂L/∂x": result.downstream,
    }
    title = f"<b>Backprop through {ACTIVATION_LABELS[result.name]}</b>: ∂L/∂x = ∂L/∂y ⊙ g′(x)"
    return _vector_heatmap(columns, title, "entry i")


def jacobian_figure(J: np.ndarray, title: str, output: str = "y", input: str = "x") -> go.Figure:
    """A Jacobian J[i, j] = ∂output_i/∂input_j (n, m) as a heatmap: rows i, columns j, both
    from 1; zero-centred scale [-m, m], the numbers in the cells up to 10 × 10."""
    J = np.asarray(J, dtype=np.float64)
    rows, cols = J.shape
    m = symmetric_limit(J)
    small = J.size <= 100
    heat = dict(
        type="heatmap",
        z=J,
        x=_units(cols),
        y=_units(rows),
        colorscale=DIVERGING,
        zmin=-m,
        zmax=m,
        zmid=0.0,
        xgap=1,
        ygap=1,
        texttemplate="%{z:.3~g}" if small else None,
        textfont=dict(size=14),
        colorbar=COLORBAR_BELOW | dict(nticks=5),
        hovertemplate=(f"∂{output}_%{{y}} / ∂{input}_%{{x}} = %{{z:.6g}}<extra></extra>"),
    )
    layout = base_layout(title, int(np.clip(150 + 40 * rows, 320, 660)))
    layout["margin"] = dict(l=70, r=15, t=80, b=60 + COLORBAR_MARGIN)
    layout["width"] = max(110 + 52 * cols, 420)
    layout["xaxis"] |= dict(
        type="category", title=dict(text=f"input j ({input}_j)"), showgrid=False
    )
    layout["yaxis"] |= dict(
        type="category",
        title=dict(text=f"output i ({output}_i)"),
        autorange="reversed",
        showgrid=False,
    )
    return figure([heat], layout)


def elementwise_jacobian_figure(result: ElementwiseBackward) -> go.Figure:
    """∂y/∂x = diag(g′(x)): every entry off the diagonal is 0, which is why backprop never
    builds it and multiplies elementwise instead."""
    n = result.x.size
    return jacobian_figure(
        result.jacobian(),
        f"<b>∂y/∂x = diag(g′(x))</b>  ·  {n} × {n}"
        "<br><span style='font-size:15px'>0 off the diagonal: never built in practice</span>",
    )


# --- softmax --------------------------------------------------------------------------
def softmax_figure(naive: NaiveSoftmax, stable: np.ndarray) -> go.Figure:
    """Per class i = 1 … C: the naive exp(x_i)/Σ exp(x_j) beside the stable softmax. A
    naive inf or nan has no bar: the word stands at 0 instead."""
    stable = np.asarray(stable, dtype=np.float64)
    classes = _units(stable.size)
    traces = []
    for label, p, color in (
        ("naive: exp(x_i) / Σ exp(x_j)", naive.p, NAIVE_COLOR),
        ("stable: exp(x_i − c − log Σ exp(x_j − c)), c = max x", stable, STABLE_COLOR),
    ):
        finite = np.isfinite(p)
        traces.append(
            dict(
                type="bar",
                x=classes,
                y=np.where(finite, p, 0.0),
                name=label,
                marker_color=color,
                text=[_number(v) for v in p],
                textposition="outside",
                textfont=dict(size=15),
                cliponaxis=False,
                hovertemplate=f"{label}<br>class %{{x}}: %{{text}}<extra></extra>",
            )
        )
    title = "<b>Softmax</b>: naive beside stable"
    if not naive.ok:
        title += f"  ·  naive: {naive.issue}"
    layout = base_layout(title, 400)
    layout |= dict(
        barmode="group",
        legend=LEGEND_BELOW,
        margin=dict(l=70, r=10, t=60, b=120),
    )
    layout["xaxis"] |= dict(type="category", title=dict(text="class i"))
    layout["yaxis"] |= dict(title=dict(text="p_i = softmax(x)_i"), range=[0, 1.18])
    return figure(traces, layout)


def softmax_jacobian_figure(J: np.ndarray, error: float | None = None) -> go.Figure:
    """∂p_i/∂x_j = p_i(δ_ij − p_j); ``error``, if given, the finite-difference check's
    relative error, goes in the title."""
    n = J.shape[0]
    title = f"<b>∂p/∂x = p_i(δ_ij − p_j)</b>  ·  {n} × {n}"
    if error is not None:
        title += f"<br><span style='font-size:15px'>vs centred differences: {error:.1e}</span>"
    return jacobian_figure(J, title, output="p", input="x")


# --- the SVM beside softmax -------------------------------------------------------------
def svm_figure(result: ScoreLosses) -> go.Figure:
    """The margins max(0, s_j − s_y + 1) per class j = 1 … C; the correct class y has no
    margin (it is not in the sum) and is marked. The loss is their sum."""
    classes = _units(result.s.size)
    colors = [
        "#9CA3AF" if j == result.y else ("#D55E00" if v > 0 else "#0072B2")
        for j, v in enumerate(result.margins)
    ]
    text = ["y" if j == result.y else _number(v) for j, v in enumerate(result.margins)]
    bar = dict(
        type="bar",
        x=classes,
        y=result.margins,
        marker_color=colors,
        text=text,
        textposition="outside",
        textfont=dict(size=15),
        cliponaxis=False,
        customdata=result.s,
        hovertemplate="class %{x}: s = %{customdata:.4g}<br>margin %{y:.4g}<extra></extra>",
        showlegend=False,
    )
    top = float(max(result.margins.max(), 1.0))
    layout = base_layout(
        f"<b>Multiclass SVM</b>: L = Σ_(j≠y) max(0, s_j − s_y + 1) = {result.svm_loss:.4g}", 380
    )
    layout["margin"] = dict(l=70, r=10, t=60, b=60)
    layout["xaxis"] |= dict(
        type="category", title=dict(text=f"class j (correct: y = {result.y + 1})")
    )
    layout["yaxis"] |= dict(title=dict(text="max(0, s_j − s_y + 1)"), range=[0, 1.2 * top])
    return figure([bar], layout)


def score_gradients_figure(result: ScoreLosses) -> go.Figure:
    """∂L/∂s per class for the hinge and the softmax loss of the same scores."""
    classes = _units(result.s.size)
    traces = [
        dict(
            type="bar",
            x=classes,
            y=grad,
            name=f"{label}: L = {loss:.4g}",
            marker_color=color,
            text=[_number(v) for v in grad],
            textposition="outside",
            textfont=dict(size=14),
            cliponaxis=False,
            hovertemplate=f"{label}<br>class %{{x}}: ∂L/∂s = %{{y:.4g}}<extra></extra>",
        )
        for label, grad, loss, color in (
            ("SVM (hinge)", result.svm_grad, result.svm_loss, "#E69F00"),
            ("softmax", result.softmax_grad, result.softmax_loss, "#0072B2"),
        )
    ]
    m = symmetric_limit(result.svm_grad, result.softmax_grad)
    layout = base_layout("<b>∂L/∂s</b>: hinge vs softmax", 400)
    layout |= dict(
        barmode="group",
        legend=LEGEND_BELOW,
        margin=dict(l=70, r=10, t=60, b=120),
    )
    layout["xaxis"] |= dict(
        type="category", title=dict(text=f"class j (correct: y = {result.y + 1})")
    )
    layout["yaxis"] |= dict(
        title=dict(text="∂L/∂s_j"),
        range=[-1.25 * m, 1.25 * m],
        zeroline=True,
        zerolinecolor="#6B7280",
    )
    return figure(traces, layout)


# --- equations with the numbers written in (st.latex) ----------------------------------
def tex_number(v: float) -> str:
    """A number as an equation writes it: 4, −0.3416, 1.2·10⁻⁵, ∞, nan."""
    v = float(v)
    if np.isnan(v):
        return r"\mathrm{nan}"
    if np.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    text = f"{v:.4g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"


def _signed(v: float) -> str:
    """A number that follows a minus sign: (−1.7) in brackets, 3.2 as it is."""
    return tex_number(v) if v >= 0 else f"({tex_number(v)})"


def tex_vector(values) -> str:
    """A vector as a row of its numbers: (4, 0, 5, 0)."""
    return r"\left(" + r",\ ".join(tex_number(v) for v in values) + r"\right)"


def elementwise_tex(result: ElementwiseBackward, inline: int = 6) -> str:
    """∂L/∂x = ∂L/∂y ⊙ g′(x) with note 004's numbers: the product written out for up to
    ``inline`` entries, one vector a line beyond (16 entries fill a line)."""
    if result.x.size > inline:
        return (
            r"\begin{aligned}"
            rf"y = g(x) &= {tex_vector(result.y)} \\"
            rf"g'(x) &= {tex_vector(result.local)} \\"
            rf"\frac{{\partial L}}{{\partial y}} &= {tex_vector(result.upstream)} \\"
            r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot g'(x)"
            rf" &= {tex_vector(result.downstream)}"
            r"\end{aligned}"
        )
    return (
        r"\begin{aligned}"
        rf"y &= g(x) = {tex_vector(result.y)} \\"
        r"\frac{\partial L}{\partial x} &= \frac{\partial L}{\partial y} \odot g'(x)"
        rf" = {tex_vector(result.upstream)} \odot {tex_vector(result.local)} \\"
        rf"&= {tex_vector(result.downstream)}"
        r"\end{aligned}"
    )


NAIVE_TEX = r"p_i = \frac{e^{x_i}}{\sum_j e^{x_j}}"
STABLE_TEX = (
    r"\begin{aligned}p_i &= e^{x_i - c - \log \sum_j e^{x_j - c}} \\ c &= \max_j x_j \\"
    r"\log \textstyle\sum_j e^{x_j} &= c + \log \textstyle\sum_j e^{x_j - c}\end{aligned}"
)


def naive_softmax_tex(naive: NaiveSoftmax) -> str:
    """NAIVE_TEX's numbers as computed, inf and nan included: e^{x_i}, their sum, p."""
    return (
        r"\begin{aligned}"
        rf"e^{{x_i}} &= {tex_vector(naive.exp)} \\"
        rf"\textstyle\sum_j e^{{x_j}} &= {tex_number(naive.total)} \\"
        rf"p &= {tex_vector(naive.p)}"
        r"\end{aligned}"
    )


def stable_softmax_tex(x, log_sum_exp: float, p: np.ndarray) -> str:
    """STABLE_TEX's numbers: c = max x, the log-sum-exp and p."""
    return (
        r"\begin{aligned}"
        rf"c &= {tex_number(np.max(x))} \\"
        rf"\log \textstyle\sum_j e^{{x_j}} &= {tex_number(log_sum_exp)} \\"
        rf"p &= {tex_vector(p)}"
        r"\end{aligned}"
    )


def cross_entropy_tex(ce: CrossEntropy, x, log_sum_exp: float) -> str:
    """l = −log p_y = log Σ_j e^{x_j} − x_y (the stable form: finite even where p_y
    underflows to 0) and ∂l/∂x = p − e(y), with numbers; y counted from 1."""
    y = ce.y + 1
    shown = _signed(np.asarray(x, dtype=np.float64)[ce.y])
    return (
        r"\begin{aligned}"
        rf"l(f(x), y) &= -\log p_{{{y}}} = \log \textstyle\sum_j e^{{x_j}} - x_{{{y}}}"
        rf" = {tex_number(log_sum_exp)} - {shown} = {tex_number(ce.loss)} \\"
        rf"\frac{{\partial l}}{{\partial x}} &= p - e({y}) = {tex_vector(ce.p)} - "
        rf"{tex_vector(ce.onehot)} \\ &= {tex_vector(ce.grad)}"
        r"\end{aligned}"
    )


def svm_tex(result: ScoreLosses, per_line: int = 2) -> str:
    """L = Σ_{j≠y} max(0, s_j − s_y + 1) with the scores written in (``per_line`` terms a
    line), then each margin and their sum; classes counted from 1."""
    y, sy = result.y + 1, _signed(result.s[result.y])
    terms, values = [], []
    for j, (s, margin) in enumerate(zip(result.s, result.margins, strict=True)):
        if j == result.y:
            continue
        terms.append(rf"\max(0,\ {_signed(s)} - {sy} + 1)")
        values.append(tex_number(margin))
    lines = [" + ".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
    return (
        r"\begin{aligned}"
        rf"L &= \textstyle\sum_{{j \ne {y}}} \max(0,\ s_j - s_{{{y}}} + 1) \\"
        + r" \\ &\quad + ".join(["&= " + lines[0], *lines[1:]])
        + rf" \\ &= {' + '.join(values)} = {tex_number(result.svm_loss)}"
        r"\end{aligned}"
    )


def score_softmax_tex(result: ScoreLosses) -> str:
    """The softmax loss of the same scores: −log p_y = −log(e^{s_y} / Σ_j e^{s_j})."""
    y = result.y + 1
    return (
        rf"L = -\log p_{{{y}}} = -\log \frac{{e^{{s_{{{y}}}}}}}{{\sum_j e^{{s_j}}}}"
        rf" = -\log {tex_number(result.p[result.y])} = {tex_number(result.softmax_loss)}"
    )
