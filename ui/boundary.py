"""Panels of the decision-boundary page: a model's card, its training messages, and the
regularization sweep and linear collapse, each trained on request.

Training and figures are shared by every session (a class mostly runs one preset): each
result is computed once per server for its configuration (``ui.work.shared``) and each
figure built once per configuration and view (``ui.chart.shared_spec``); a session keeps
only its results and draws the shared specs.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from engine import ACTIVATION_LABELS
from engine.boundary import (
    REG_LAMBDAS,
    BoundaryConfig,
    Comparison,
    ModelRun,
    compare,
    hidden_space,
    linear_collapse,
    regularization_sweep,
    two_class_line,
)
from ui.chart import draw, shared_spec
from ui.work import compute, shared
from viz.boundary import (
    boundary_animation,
    collapse_equation,
    collapse_figure,
    hidden_space_figure,
    sweep_figure,
    training_curves,
)

COMPARE = shared(compare, max_entries=16)  # a class's presets stay; own seeds pass through
SWEEP, COLLAPSE = shared(regularization_sweep), shared(linear_collapse)


def sweep_config(config: BoundaryConfig) -> BoundaryConfig:
    """The sweep trains the page's MLP without its own λ."""
    return replace(config, l2=0.0)


# The figures, by trained configuration (and view): built once per server from the results
# the page hands over (``_``: not part of the key; the configuration determines them).
def animation(config: BoundaryConfig, shaded: bool, points: str, *, _result: Comparison):
    return boundary_animation(_result, shaded=shaded, points=points)


def curves(config: BoundaryConfig, *, _result: Comparison):
    return training_curves(_result.linear, _result.mlp)


def hidden(config: BoundaryConfig, *, _result: Comparison):
    return hidden_space_figure(_result.data, hidden_space(_result.mlp, _result.data))


def sweep(config: BoundaryConfig, shaded: bool, points: str, *, _result: Comparison, _runs):
    return sweep_figure(_runs, _result.mlp, shaded=shaded, points=points)


def collapse(
    config: BoundaryConfig, shaded: bool, points: str, *, _result: Comparison, _linear_mlp
):
    line = two_class_line(_linear_mlp.W, _linear_mlp.b, _linear_mlp.grid)
    return collapse_figure(_linear_mlp, _result.linear, line, shaded=shaded, points=points)


ANIMATION = shared_spec(animation, max_entries=16)  # ~0.9 MB each
CURVES, HIDDEN = shared_spec(curves), shared_spec(hidden)
SWEEP_FIGURE, COLLAPSE_FIGURE = shared_spec(sweep, 16), shared_spec(collapse, 16)


def percent(value: float) -> str:
    """0.858 → '85.8%', 1.0 → '100%' (short enough for a metric on a projector)."""
    return f"{value:.1%}".replace(".0%", "%")


def loss_text(value: float) -> str:
    """A loss with 3 decimals; '< 0.001' rather than a misleading '0.000'."""
    return f"{value:.3f}" if value >= 0.001 or value == 0 else "< 0.001"


def _name(run: ModelRun) -> str:
    return run.name[0].upper() + run.name[1:]


def model_card(run: ModelRun) -> None:
    """Sizes, activation, and train/test accuracy and loss of one trained model."""
    with st.container(border=True):
        sizes = " → ".join(map(str, run.sizes))
        kind = "no hidden layer" if run.is_linear else f"g = {ACTIVATION_LABELS[run.activation]}"
        st.markdown(f"**{_name(run)}** · sizes {sizes} · {kind}")
        top, bottom = st.columns(2), st.columns(2)
        top[0].metric("train accuracy", percent(run.final_train_acc))
        top[1].metric("test accuracy", percent(run.final_test_acc))
        bottom[0].metric("train loss", loss_text(run.final_train_loss))
        bottom[1].metric("test loss", loss_text(run.final_test_loss))


def training_messages(run: ModelRun) -> None:
    """Divergence as an error, an overshooting loss as a warning; nothing otherwise."""
    if run.diverged:
        st.error(
            f"**{_name(run)}: training {run.stopped_reason}.** Everything shown for it is the "
            f"last finite state (after epoch {run.epochs_done}).",
            icon=":material/error:",
        )
    elif run.overshoot:
        st.warning(
            f"**{_name(run)}:** the training loss ended higher than it started "
            f"({run.initial_objective:.3g} → {run.final_objective:.3g}"
            + (", with the L2 term" if run.l2 else "")
            + "): the steps overshoot the minimum; lower the learning rate.",
            icon=":material/warning:",
        )


def sweep_panel(result: Comparison, shaded: bool, points: str, key: str) -> None:
    """The same MLP trained with each λ of REG_LAMBDAS, on request; ``key``: the session's
    key for the sweep."""
    st.header("Regularization: λ, not network size, is the knob")
    st.markdown(
        "The notes: *do not use the size of the network as a regularizer; use stronger "
        "regularization instead.* The same MLP on the same data, only the L2 strength λ "
        "changes: a larger λ keeps the weights small and the boundary smooth, and too large a "
        "λ flattens it altogether. Overfitting shows with few noisy points and a big network, "
        "e.g. spiral, 200 points, noise 0.15, 32 units, 1000 epochs: compare the test "
        "accuracies."
    )
    slot = st.empty()
    config = sweep_config(result.config)
    lambdas = ", ".join(f"{x:g}" for x in REG_LAMBDAS)
    if st.button(f"Train the MLP with λ = {lambdas}", key="sweep_go", icon=":material/tune:"):
        st.session_state[key] = compute(SWEEP, config, slot, "Training the MLP for each λ")
    runs = st.session_state.get(key)
    if runs is None or runs.config != config:
        return
    for run in runs.runs:
        training_messages(run)
    draw(SWEEP_FIGURE(result.config, shaded, points, _result=result, _runs=runs), "sweep")


def collapse_panel(result: Comparison, shaded: bool, points: str, key: str) -> None:
    """The MLP with identity activations, on request, and the one linear map it is."""
    st.header("Linear collapse: an MLP without a non-linearity")
    st.markdown(
        "With g(a) = a every layer is a linear map, and linear maps compose into one: "
        "W(3)·W(2)·W(1) is just another matrix W. However many layers, the network is a "
        "linear classifier again and its boundary is straight."
    )
    slot = st.empty()
    label = "Train the MLP with identity activations"
    if st.button(label, key="collapse_go", icon=":material/linear_scale:"):
        st.session_state[key] = compute(COLLAPSE, result.config, slot)
    linear_mlp = st.session_state.get(key)
    if linear_mlp is None or linear_mlp.config != result.config:
        return
    training_messages(linear_mlp.run)
    draw(
        COLLAPSE_FIGURE(result.config, shaded, points, _result=result, _linear_mlp=linear_mlp),
        "collapse",
    )
    line = two_class_line(linear_mlp.W, linear_mlp.b, linear_mlp.grid)
    st.latex(collapse_equation(linear_mlp.W, linear_mlp.b, linear_mlp.factors))
    st.markdown(
        f"The network's scores and W x + b differ by at most "
        f"**{linear_mlp.max_difference:.1e}** "
        "over all points: only rounding."
        + (
            " The dashed red line is where W x + b ties between the two classes: exactly the "
            "network's boundary."
            if line is not None
            else ""
        )
    )
