"""Decision boundary: a linear classifier and an MLP trained side by side on 2-D data.

Thin page: the sidebar form defines a BoundaryConfig, ``engine.boundary`` trains and
returns arrays, ``viz.boundary`` draws them. Results live in this session's state (the
latest of each kind), figures too, so moving through results never retrains.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from engine import ACTIVATION_LABELS, DATASETS, LOSSES
from engine.boundary import (
    CHOICES,
    LIMITS,
    REG_LAMBDAS,
    BoundaryConfig,
    compare,
    hidden_space,
    linear_collapse,
    regularization_sweep,
    two_class_line,
)
from ui.chart import show
from ui.link import flag, note_ignored_values, number_in, one_of, shown_as
from viz.boundary import (
    boundary_animation,
    collapse_figure,
    hidden_space_figure,
    sweep_figure,
    training_curves,
)

PAGE = "boundary"
DEFAULT = BoundaryConfig()
RESULT, SWEEP, COLLAPSE, FIGURES = (
    f"_{PAGE}_{name}" for name in ("result", "sweep", "collapse", "figures")
)
POINT_VIEWS = {"train and test": "both", "train only": "train", "test only": "test"}


def limit(name: str, integer: bool = False):
    low, high = LIMITS[name]
    return (int(low), int(high)) if integer else (float(low), float(high))


# URL parameter (= widget key) → what it accepts. Checked before the widgets exist so a
# bad value in a shared link gets a visible note instead of silently becoming the default.
ACCEPTS = {
    "data": one_of(DATASETS.values()),
    "classes": number_in(*limit("classes"), integer=True),
    "n": number_in(*limit("n"), integer=True),
    "noise": number_in(*limit("noise")),
    "test": number_in(
        100 * LIMITS["test_fraction"][0], 100 * LIMITS["test_fraction"][1], integer=True
    ),
    "seed": number_in(*limit("seed"), integer=True),
    "layers": number_in(*limit("hidden_layers"), integer=True),
    "width": number_in(*limit("width"), integer=True),
    "act": one_of(ACTIVATION_LABELS.values()),
    "loss": one_of(LOSSES.values()),
    "lr": number_in(*limit("lr")),
    "epochs": number_in(*limit("epochs"), integer=True),
    "batch": number_in(*limit("batch_size"), integer=True),
    "l2": number_in(*limit("l2")),
    "mom": number_in(*limit("momentum")),
    "shade": flag(),
    "pts": one_of(POINT_VIEWS),
}
URL = {"bind": "query-params"}


def new_seed() -> None:
    """'New data': the next seed (a callback, so it may set the widget's value)."""
    st.session_state["seed"] = (int(st.session_state.get("seed", DEFAULT.seed)) + 1) % (
        LIMITS["seed"][1] + 1
    )


def config_form() -> tuple[BoundaryConfig, bool]:
    """The sidebar form; returns the config it shows and whether Train/New data was pressed."""
    with st.sidebar.form("boundary_config"):
        st.markdown("**Data**")
        dataset = st.selectbox(
            "Dataset",
            CHOICES["dataset"],
            format_func=shown_as(DATASETS),
            key="data",
            **URL,
            index=CHOICES["dataset"].index(DEFAULT.dataset),
        )
        classes = st.slider(
            "Classes (spiral arms, blobs, wedges)",
            *limit("classes", True),
            value=DEFAULT.classes,
            key="classes",
            **URL,
            help="Used by spiral, gaussians and linear; the others have 2.",
        )
        n = st.slider("Points", *limit("n", True), value=DEFAULT.n, step=10, key="n", **URL)
        noise = st.slider(
            "Noise (σ of the jitter)",
            *limit("noise"),
            value=DEFAULT.noise,
            step=0.01,
            key="noise",
            **URL,
        )
        test = st.slider(
            "Test split (%)",
            10,
            90,
            value=round(100 * DEFAULT.test_fraction),
            step=5,
            key="test",
            **URL,
        )
        seed = st.number_input(
            "Seed", *limit("seed", True), value=DEFAULT.seed, step=1, key="seed", **URL
        )

        st.markdown("**MLP**")
        layers = st.slider(
            "Hidden layers",
            *limit("hidden_layers", True),
            value=DEFAULT.hidden_layers,
            key="layers",
            **URL,
        )
        width = st.slider(
            "Units per hidden layer", *limit("width", True), value=DEFAULT.width, key="width", **URL
        )
        activation = st.selectbox(
            "Activation g",
            CHOICES["activation"],
            format_func=shown_as(ACTIVATION_LABELS),
            key="act",
            **URL,
            index=CHOICES["activation"].index(DEFAULT.activation),
        )

        st.markdown("**Training (both models)**")
        loss = st.selectbox(
            "Loss",
            CHOICES["loss"],
            format_func=shown_as(LOSSES),
            key="loss",
            **URL,
            index=CHOICES["loss"].index(DEFAULT.loss),
        )
        lr = st.number_input(
            "Learning rate α",
            *limit("lr"),
            value=DEFAULT.lr,
            step=0.01,
            format="%.4f",
            key="lr",
            **URL,
        )
        epochs = st.slider(
            "Epochs", *limit("epochs", True), value=DEFAULT.epochs, key="epochs", **URL
        )
        batch = st.slider(
            "Batch size", *limit("batch_size", True), value=DEFAULT.batch_size, key="batch", **URL
        )
        l2 = st.number_input(
            "L2 strength λ",
            *limit("l2"),
            value=DEFAULT.l2,
            step=0.001,
            format="%.4f",
            key="l2",
            **URL,
        )
        momentum = st.slider(
            "Momentum μ", *limit("momentum"), value=DEFAULT.momentum, step=0.01, key="mom", **URL
        )

        train = st.form_submit_button(
            "Train", type="primary", key="train", width="stretch", icon=":material/play_arrow:"
        )
        fresh = st.form_submit_button(
            "New data (next seed) and train",
            key="new_data",
            on_click=new_seed,
            width="stretch",
            icon=":material/casino:",
        )
    config = BoundaryConfig(
        dataset=dataset,
        n=n,
        noise=noise,
        test_fraction=test / 100,
        classes=classes,
        seed=seed,
        hidden_layers=layers,
        width=width,
        activation=activation,
        loss=loss,
        lr=lr,
        epochs=epochs,
        batch_size=batch,
        l2=l2,
        momentum=momentum,
    )
    return config, bool(train or fresh)


def progress_bar(slot):
    bar = slot.progress(0.0, text="Starting…")
    return lambda fraction, text: bar.progress(min(max(fraction, 0.0), 1.0), text=text)


def figure(key: tuple, build, keep: int = 2):
    """A figure of the current results, kept for reruns that change nothing it shows.

    ``key`` = (name, *view options). Per name the ``keep`` latest views are kept (about
    1 MB for the animation), so toggling a view back and forth costs no rebuild and a
    session holds a handful of figures whatever the user toggles."""
    views = st.session_state.setdefault(FIGURES, {}).setdefault(key[0], {})
    view = key[1:]
    if view not in views:
        views[view] = build()
        while len(views) > keep:
            del views[next(iter(views))]  # the oldest
    return views[view]


def model_card(run) -> None:
    with st.container(border=True):
        sizes = " → ".join(map(str, run.sizes))
        kind = "no hidden layer" if run.is_linear else f"g = {ACTIVATION_LABELS[run.activation]}"
        st.markdown(f"**{run.name[0].upper() + run.name[1:]}** · sizes {sizes} · {kind}")
        top, bottom = st.columns(2), st.columns(2)
        top[0].metric("train accuracy", percent(run.final_train_acc))
        top[1].metric("test accuracy", percent(run.final_test_acc))
        bottom[0].metric("train loss", number(run.final_train_loss))
        bottom[1].metric("test loss", number(run.final_test_loss))


def percent(value: float) -> str:
    """0.858 → '85.8%', 1.0 → '100%' (short enough for a metric on a projector)."""
    return f"{value:.1%}".replace(".0%", "%")


def number(value: float) -> str:
    """A loss with 3 decimals; '< 0.001' rather than a misleading '0.000'."""
    return f"{value:.3f}" if value >= 0.001 or value == 0 else "< 0.001"


def training_messages(run) -> None:
    name = run.name[0].upper() + run.name[1:]
    if run.diverged:
        st.error(
            f"**{name}: training {run.stopped_reason}.** Everything shown for it is the last "
            f"finite state (after epoch {run.epochs_done}).",
            icon=":material/error:",
        )
    elif run.overshoot:
        st.warning(
            f"**{name}:** the training loss ended higher than it started "
            f"({run.initial_objective:.3g} → {run.final_objective:.3g}"
            + (", with the L2 term" if run.l2 else "")
            + "): the steps overshoot the minimum; lower the learning rate.",
            icon=":material/warning:",
        )


def collapse_equation(collapse) -> str:
    def matrix(M):
        rows = [" & ".join(f"{v:.3g}" for v in row) for row in M]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"

    n = len(collapse.factors)
    product = " ".join(f"W^{{({k})}}" for k in range(n, 0, -1))
    shapes = r" \cdot ".join(f"({r}\\times{c})" for r, c in collapse.factors)
    return (
        rf"W = {product} = {matrix(collapse.W)}, \quad b = {matrix(collapse.b[:, None])}"
        rf"\qquad \text{{shapes }} {shapes} \to ({collapse.W.shape[0]}\times"
        rf"{collapse.W.shape[1]})"
    )


# --- the page --------------------------------------------------------------------------
st.title("Decision boundary")
st.markdown(
    "A **linear classifier** learns one template per class (score s_c = W_c·x + b_c), so two "
    "classes meet where their scores tie: a **straight line**. An **MLP** first passes x "
    "through hidden layers h(k) = g(a(k)): the **non-linearity g is what bends the "
    "boundary**. Both train on the same data with the same settings (sidebar, then **Train**)."
)
note_ignored_values(ACCEPTS, page=PAGE)
config, submitted = config_form()
progress_slot = st.empty()

if submitted or RESULT not in st.session_state:
    if reason := config.too_expensive():
        st.error(reason, icon=":material/block:")
    else:
        result = compare(config, progress=progress_bar(progress_slot))
        progress_slot.empty()
        st.session_state[RESULT] = result
        st.session_state[FIGURES] = {}

result = st.session_state.get(RESULT)
if result is None:
    st.stop()
if result.config != config:
    st.info(
        "The sidebar settings differ from the ones trained below: press **Train**.",
        icon=":material/info:",
    )

# 1. Both boundaries, with playback ---------------------------------------------------
for run in (result.linear, result.mlp):
    training_messages(run)
# The figure comes first on the page, its view controls below it; the controls are
# created first so that a link's values apply on the very first run.
figure_slot = st.container()
view_left, view_right, _ = st.columns([1, 1, 1], vertical_alignment="center")
with view_left:
    shaded = st.toggle(
        "Shade by confidence",
        value=True,
        key="shade",
        **URL,
        help="Pale near the boundary, strong where the model is sure.",
    )
with view_right:
    points_label = st.segmented_control(
        "Points shown",
        list(POINT_VIEWS),
        key="pts",
        **URL,
        default="train and test",
        required=True,
        label_visibility="collapsed",
    )
points = POINT_VIEWS.get(points_label or "train and test", "both")
with figure_slot:
    animation = figure(
        ("animation", shaded, points),
        lambda: boundary_animation(result, shaded=shaded, points=points),
    )
    show(animation, "boundaries")
    st.caption(
        "Colour = the class the model predicts, pale near the boundary; the dark line is the "
        "boundary. Filled dots: training points; hollow rings: test points. **▶ Play training** "
        f"replays both models from epoch 0; the slider moves through all {len(animation.frames)} "
        "snapshots."
    )
left, right = st.columns(2)
with left:
    model_card(result.linear)
with right:
    model_card(result.mlp)

# 2. Curves ----------------------------------------------------------------------------
st.header("Loss and accuracy over the epochs")
st.markdown(
    "Solid lines: training set; dashed: test set. The linear classifier levels off where no "
    "straight line can do better; a test curve pulling away from its training curve is "
    "overfitting."
)
show(figure(("curves",), lambda: training_curves(result.linear, result.mlp)), "curves")

# 3. Hidden space ------------------------------------------------------------------------
st.header("What the MLP's hidden layer has done to the data")
hidden = hidden_space(result.mlp, result.data)
st.markdown(
    f"The MLP's output layer is itself a linear classifier, applied to h({hidden.layer}) "
    "instead of x. Training moves the points in the hidden space until **straight lines "
    f"separate the classes**: there its output layer gets **{hidden.output_train_acc:.1%}** "
    "of the training points right."
)
show(figure(("hidden",), lambda: hidden_space_figure(result.data, hidden)), "hidden")

# 4. Regularization ------------------------------------------------------------------------
st.header("Regularization: λ, not network size, is the knob")
st.markdown(
    "The notes: *do not use the size of the network as a regularizer; use stronger "
    "regularization instead.* The same MLP on the same data, only the L2 strength λ changes: "
    "a larger λ keeps the weights small and the boundary smooth, and too large a λ flattens "
    "it altogether. Overfitting shows with few noisy points and a big network, e.g. spiral, "
    "200 points, noise 0.15, 32 units, 1000 epochs: compare the test accuracies."
)
sweep_slot = st.empty()
key_config = replace(result.config, l2=0.0)
if st.button(
    f"Train the MLP with λ = {', '.join(f'{x:g}' for x in REG_LAMBDAS)}",
    key="sweep_go",
    icon=":material/tune:",
):
    st.session_state[SWEEP] = regularization_sweep(key_config, progress=progress_bar(sweep_slot))
    sweep_slot.empty()
    st.session_state.setdefault(FIGURES, {}).pop("sweep", None)
sweep = st.session_state.get(SWEEP)
if sweep is not None and sweep.config == key_config:
    for run in sweep.runs:
        training_messages(run)
    show(
        figure(
            ("sweep", shaded, points),
            lambda: sweep_figure(sweep, result.mlp, shaded=shaded, points=points),
        ),
        "sweep",
    )

# 5. Linear collapse -------------------------------------------------------------------------
st.header("Linear collapse: an MLP without a non-linearity")
st.markdown(
    "With g(a) = a every layer is a linear map, and linear maps compose into one: "
    "W(3)·W(2)·W(1) is just another matrix W. However many layers, the network is a "
    "linear classifier again and its boundary is straight."
)
collapse_slot = st.empty()
if st.button(
    "Train the MLP with identity activations", key="collapse_go", icon=":material/linear_scale:"
):
    st.session_state[COLLAPSE] = linear_collapse(
        result.config, progress=progress_bar(collapse_slot)
    )
    collapse_slot.empty()
    st.session_state.setdefault(FIGURES, {}).pop("collapse", None)
collapse = st.session_state.get(COLLAPSE)
if collapse is not None and collapse.config == result.config:
    training_messages(collapse.run)
    line = two_class_line(collapse.W, collapse.b, collapse.grid)
    show(
        figure(
            ("collapse", shaded, points),
            lambda: collapse_figure(collapse, result.linear, line, shaded=shaded, points=points),
        ),
        "collapse",
    )
    st.latex(collapse_equation(collapse))
    st.markdown(
        f"The network's scores and W x + b differ by at most **{collapse.max_difference:.1e}** "
        "over all points: only rounding."
        + (
            " The dashed red line is where W x + b ties between the two classes: exactly the "
            "network's boundary."
            if line is not None
            else ""
        )
    )
