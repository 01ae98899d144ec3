"""Panels of the "Activations & losses" page, one per part: the activation gallery and the
depth view, backprop through an elementwise g, softmax (naive beside stable), and the
multiclass SVM beside softmax. Each takes the page's config (ui.params.Config) and shows
what the engine returns, through the figures of viz.functions. Classes count from 1 here
and are passed to the engine as y − 1.

A whole class opens this page at once, so every figure is shared by every session
(``ui.chart.shared_spec``): built once per server from the page's inputs (an activation's
name, the depth view's k and σ, the typed tuples), each builder calling the engine on them
again (cheap); a session only draws the cached spec. The panels still call the engine for
the numbers they write, and that call refuses bad input before any builder runs.
"""

from __future__ import annotations

import streamlit as st

from engine.activations import ACTIVATION_LABELS
from engine.elementwise import (
    GALLERY,
    activation_curve,
    depth_products,
    elementwise_backward,
)
from engine.gradcheck import reading
from engine.score_losses import score_losses
from engine.stable_softmax import (
    check_softmax_jacobian,
    cross_entropy,
    log_sum_exp,
    naive_softmax,
    stable_softmax,
)
from ui.chart import draw, shared_spec
from viz.functions import (
    NAIVE_TEX,
    STABLE_TEX,
    activation_figure,
    cross_entropy_tex,
    depth_figure,
    elementwise_figure,
    elementwise_jacobian_figure,
    elementwise_tex,
    jacobian_figure,
    naive_softmax_tex,
    score_gradients_figure,
    score_softmax_tex,
    softmax_figure,
    softmax_jacobian_figure,
    stable_softmax_tex,
    svm_figure,
    svm_tex,
)

DEPTH = st.cache_data(max_entries=16, show_spinner=False)(depth_products)
COLUMNS = 3  # activations per row of the gallery: 3 × 2 on a 1280-pixel projector


# --- the figures, shared by every session ---------------------------------------------
# Each is keyed by plain inputs (names, numbers, tuples of floats), never by an engine
# result; the panel has called the engine on the same inputs first, so they are valid.
def activation(name: str):
    return activation_figure(activation_curve(name), height=380)


def depth_view(depth: int, scale: float):
    return depth_figure(DEPTH(depth=depth, scale=scale))


def elementwise(g: str, x: tuple, upstream: tuple):
    return elementwise_figure(elementwise_backward(g, x, upstream))


def diagonal(g: str, x: tuple):
    """diag(g′(x)) needs no ∂L/∂y: one spec serves every upstream gradient."""
    return elementwise_jacobian_figure(elementwise_backward(g, x, (0.0,) * len(x)))


def softmax_bars(logits: tuple):
    return softmax_figure(naive_softmax(logits), stable_softmax(logits))


def analytic_jacobian(logits: tuple):
    return softmax_jacobian_figure(check_softmax_jacobian(logits).analytic)


def numeric_jacobian(logits: tuple):
    check = check_softmax_jacobian(logits)
    title = f"<b>Centred differences</b>, h = {check.h:g}"
    return jacobian_figure(check.numeric, title, "p", "x")


def margins(scores: tuple, y: int):
    return svm_figure(score_losses(scores, y - 1))


def score_gradients(scores: tuple, y: int):
    return score_gradients_figure(score_losses(scores, y - 1))


ACTIVATION = shared_spec(activation, max_entries=len(GALLERY))
DEPTH_FIGURE = shared_spec(depth_view, max_entries=64)
ELEMENTWISE, DIAGONAL = shared_spec(elementwise, 64), shared_spec(diagonal, 64)
SOFTMAX_BARS = shared_spec(softmax_bars, max_entries=64)
ANALYTIC, NUMERIC = shared_spec(analytic_jacobian, 64), shared_spec(numeric_jacobian, 64)
MARGINS, SCORE_GRADIENTS = shared_spec(margins, 64), shared_spec(score_gradients, 64)


def _refused(error: ValueError) -> None:
    """The engine's reason for refusing typed values, as the page's message."""
    text = str(error)
    st.error(f"{text[0].upper()}{text[1:]}. Nothing is computed until they fit together.")


# --- 1. the gallery and the depth view ---------------------------------------------------
def gallery_panel(depth: int, scale: float) -> None:
    st.subheader("Activation functions g and their derivatives g′")
    st.markdown(
        "Backprop multiplies the gradient by **g′(a)** at every unit. Shaded: where "
        "|g′(a)| < 0.05, so less than 5 % of the gradient passes (**saturation**); darker "
        "where g′ is exactly 0 and nothing passes at all."
    )
    for start in range(0, len(GALLERY), COLUMNS):
        for column, name in zip(
            st.columns(COLUMNS), GALLERY[start : start + COLUMNS], strict=False
        ):
            with column:
                draw(ACTIVATION(name), f"functions.fig.act.{name}")
    st.subheader("Depth view: what survives k layers")
    st.latex(
        r"\frac{\partial L}{\partial a^{(1)}} \;\propto\; \prod_{l=1}^{k} g'\big(a^{(l)}\big)"
        r"\qquad \text{(the weights aside)}"
    )
    view = DEPTH(depth=depth, scale=scale)
    draw(DEPTH_FIGURE(depth, scale), "functions.fig.depth")
    st.markdown(
        f"After **{depth}** sigmoid layers only **{view.product['sigmoid'][-1]:.1e}** of the "
        "gradient is left on average: sigmoid's g′ is at most 0.25, so a stack can pass at most "
        f"$0.25^{{{depth}}}$ = **{view.bound['sigmoid'][-1]:.1e}**. That is why deep sigmoid "
        "stacks learn slowly near the input, and why ReLU (g′ = 1 wherever a > 0) helps."
    )


# --- 2. backprop through an elementwise g ------------------------------------------------
def elementwise_panel(g: str, x, upstream) -> None:
    st.subheader(f"Backprop through y = g(x), elementwise: g = {ACTIVATION_LABELS[g]}")
    st.latex(
        r"\left(\frac{\partial L}{\partial x}\right)_i = "
        r"\left(\frac{\partial L}{\partial y}\right)_i\, g'(x_i)"
    )
    try:
        result = elementwise_backward(g, x, upstream)
    except ValueError as error:
        _refused(error)
        return
    st.latex(elementwise_tex(result))
    draw(ELEMENTWISE(g, tuple(x), tuple(upstream)), "functions.fig.elementwise")
    figure, words = st.columns(2, vertical_alignment="center")
    with figure:
        draw(DIAGONAL(g, tuple(x)), "functions.fig.diagonal")
    words.markdown(
        "**The Jacobian ∂y/∂x is diagonal**: y_i depends on x_i alone. So backprop never "
        "builds it; it multiplies ∂L/∂y by g′(x) entry by entry. For a batch of N = 64 "
        "vectors of 4,096 units the Jacobian would take **256 GB** (note 004)."
    )


# --- 3. softmax ----------------------------------------------------------------------
def softmax_panel(logits, y: int) -> None:
    st.subheader("Softmax, naive and stable (note 002)")
    try:
        ce = cross_entropy(logits, y - 1)
    except ValueError as error:
        _refused(error)
        return
    naive, p = naive_softmax(logits), stable_softmax(logits)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Naive**, as written")
        st.latex(NAIVE_TEX)
        st.latex(naive_softmax_tex(naive))
        if naive.ok:
            st.success("Every number is finite: both ways agree.", icon=":material/check:")
        else:
            st.error(f"**{naive.issue}**: {naive.message}.", icon=":material/error:")
    with right:
        st.markdown("**Stable**: shift by the largest logit first")
        st.latex(STABLE_TEX)
        st.latex(stable_softmax_tex(logits, log_sum_exp(logits), p))
        st.success(
            "Every e^(x_j − c) ≤ 1: no overflow and no nan, for any logits.",
            icon=":material/check:",
        )
    draw(SOFTMAX_BARS(tuple(logits)), "functions.fig.softmax")

    st.subheader("Jacobian ∂p_i/∂x_j = p_i(δ_ij − p_j), and its check")
    check = check_softmax_jacobian(logits)
    left, right = st.columns(2)
    with left:
        draw(ANALYTIC(tuple(logits)), "functions.fig.jacobian")
    with right:
        draw(NUMERIC(tuple(logits)), "functions.fig.numeric")
    word = reading(check.relative_error)
    st.markdown(
        f"Relative error ‖a − n‖ / (‖a‖ + ‖n‖) = **{check.relative_error:.1e}**: **{word}**. "
        "Each row sums to 0: adding the same number to every logit changes no p_i."
    )
    st.subheader(f"Cross-entropy for class y = {y}")
    st.latex(cross_entropy_tex(ce, logits, log_sum_exp(logits)))


# --- 4. the multiclass SVM beside softmax -------------------------------------------------
def svm_panel(scores, y: int) -> None:
    st.subheader(f"Multiclass SVM beside softmax, same scores, class y = {y}")
    try:
        result = score_losses(scores, y - 1)
    except ValueError as error:
        _refused(error)
        return
    svm, soft = st.columns(2, gap="large")
    svm.metric("SVM (hinge) loss", f"{result.svm_loss:.4g}")
    soft.metric("Softmax loss", f"{result.softmax_loss:.4g}")
    st.latex(svm_tex(result))
    st.latex(score_softmax_tex(result))
    # Side by side where they fit (1920 px), one under the other on a 1280-pixel projector.
    with st.container(horizontal=True):
        draw(MARGINS(tuple(scores), y), "functions.fig.margins", width="content")
        draw(SCORE_GRADIENTS(tuple(scores), y), "functions.fig.score_grads", width="content")
    st.markdown(
        "The hinge loss is **satisfied** once the correct score leads every other by the "
        "margin 1: those classes add 0 and get no gradient. Softmax is never satisfied: "
        "every class gets p_j, and the correct one p_y − 1, however far ahead it is."
    )
