"""Decision boundary: a linear classifier and an MLP trained side by side on 2-D data.

Thin page: its parameter table (PARAMS) draws the sidebar form and cleans a link;
``engine.boundary`` trains and returns arrays, ``viz.boundary`` draws them. Results and
figures are shared by the server's sessions (``ui.boundary``); a session keeps its
results, so moving through them never retrains.
"""

from __future__ import annotations

import streamlit as st

from engine import ACTIVATION_LABELS, DATASETS, LOSSES
from engine.boundary import LIMITS, BoundaryConfig, hidden_space
from ui.boundary import (
    ANIMATION,
    COMPARE,
    CURVES,
    HIDDEN,
    collapse_panel,
    model_card,
    sweep_panel,
    training_messages,
)
from ui.chart import draw
from ui.params import Choice, Flag, Number, Param, Params, Whole, section
from ui.work import compute
from viz.boundary import snapshot_epochs

PAGE = "boundary"
DEFAULT = BoundaryConfig()
RESULT, SWEEP, COLLAPSE = (f"_{PAGE}_{n}" for n in ("result", "sweep", "collapse"))


def whole(name: str, scale: int = 1, **options) -> Whole:
    """A whole-number parameter bounded by the engine's LIMITS (× scale: 0.1 → 10 %)."""
    low, high = LIMITS[name]
    return Whole(round(low * scale), round(high * scale), **options)


def number(name: str, **options) -> Number:
    return Number(*LIMITS[name], **options)


SHADE_HELP = "Pale near the boundary, strong where the model is sure."
CLASSES_HELP = "Used by spiral, gaussians and linear; the others have 2."
POINTS = {"both": "train and test", "train": "train only", "test": "test only"}
D = DEFAULT
# fmt: off
PARAMS = Params(PAGE, [
    *section("Data",
        Param("data", "Dataset", Choice(DATASETS), D.dataset),
        Param("classes", "Classes (spiral arms, blobs, wedges)", whole("classes", widget="slider"),
              D.classes, help=CLASSES_HELP),
        Param("n", "Points", whole("n", widget="slider", step=10), D.n),
        Param("noise", "Noise (σ of the jitter)", number("noise", widget="slider", step=0.01),
              D.noise),
        Param("test", "Test split (%)", whole("test_fraction", 100, widget="slider", step=5),
              round(100 * D.test_fraction)),
        Param("seed", "Seed", whole("seed"), D.seed),
    ),
    *section("MLP",
        Param("layers", "Hidden layers", whole("hidden_layers", widget="slider"), D.hidden_layers),
        Param("width", "Units per hidden layer", whole("width", widget="slider"), D.width),
        Param("act", "Activation g", Choice(ACTIVATION_LABELS), D.activation),
    ),
    *section("Training (both models)",
        Param("loss", "Loss", Choice(LOSSES), D.loss),
        Param("lr", "Learning rate α", number("lr", step=0.01, format="%.4f"), D.lr),
        Param("epochs", "Epochs", whole("epochs", widget="slider"), D.epochs),
        Param("batch", "Batch size", whole("batch_size", widget="slider"), D.batch_size),
        Param("l2", "L2 strength λ", number("l2", step=0.001, format="%.4f"), D.l2),
        Param("mom", "Momentum μ", number("momentum", widget="slider", step=0.01), D.momentum),
    ),
    # Beside the figure: how it is drawn, not what is trained.
    Param("shade", "Shade by confidence", Flag(), True, help=SHADE_HELP),
    Param("pts", "Points shown", Choice(POINTS, widget="segmented"), "both"),
])
# fmt: on


def new_seed() -> None:
    """'New data': the next seed (a callback, so it may set the widget's value)."""
    key = PARAMS.key("seed")
    st.session_state[key] = (int(st.session_state[key]) + 1) % (
        PARAMS.by_name["seed"].kind.high + 1
    )


def config_form() -> tuple[BoundaryConfig, bool]:
    """The sidebar form; the config it shows and whether Train or New data was pressed."""
    form = st.sidebar.form("boundary_config")
    cfg = PARAMS.sidebar(where=form)
    train = form.form_submit_button(
        "Train", type="primary", key="train", width="stretch", icon=":material/play_arrow:"
    )
    fresh = form.form_submit_button(
        "New data (next seed) and train",
        key="new_data",
        on_click=new_seed,
        width="stretch",
        icon=":material/casino:",
    )
    config = BoundaryConfig(
        dataset=cfg.data, n=cfg.n, noise=cfg.noise, test_fraction=cfg.test / 100,
        classes=cfg.classes, seed=cfg.seed, hidden_layers=cfg.layers, width=cfg.width,
        activation=cfg.act, loss=cfg.loss, lr=cfg.lr, epochs=cfg.epochs, batch_size=cfg.batch,
        l2=cfg.l2, momentum=cfg.mom,
    )  # fmt: skip
    return config, bool(train or fresh)


def main() -> None:
    st.title("Decision boundary")
    st.markdown(
        "A **linear classifier** learns one template per class (score s_c = W_c·x + b_c), so two "
        "classes meet where their scores tie: a **straight line**. An **MLP** first passes x "
        "through hidden layers h(k) = g(a(k)): the **non-linearity g is what bends the "
        "boundary**. Both train on the same data with the same settings (sidebar, then **Train**)."
    )
    config, submitted = config_form()
    progress_slot = st.empty()

    if submitted or RESULT not in st.session_state:
        if reason := config.too_expensive():
            st.error(reason, icon=":material/block:")
        else:
            st.session_state[RESULT] = compute(COMPARE, config, progress_slot, "Training")

    result = st.session_state.get(RESULT)
    if result is None:
        return
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
    shaded = PARAMS.widget("shade", view_left)
    points = PARAMS.widget("pts", view_right)
    with figure_slot:
        draw(ANIMATION(result.config, shaded, points, _result=result), "boundaries")
        st.caption(
            "Colour = the class the model predicts, pale near the boundary; the dark line is "
            "the boundary. Filled dots: training points; hollow rings: test points. **▶ Play "
            "training** replays both models from epoch 0; the slider moves through all "
            f"{len(snapshot_epochs(result))} snapshots."
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
    draw(CURVES(result.config, _result=result), "curves")

    # 3. Hidden space ------------------------------------------------------------------------
    st.header("What the MLP's hidden layer has done to the data")
    hidden = hidden_space(result.mlp, result.data)
    st.markdown(
        f"The MLP's output layer is itself a linear classifier, applied to h({hidden.layer}) "
        "instead of x. Training moves the points in the hidden space until **straight lines "
        f"separate the classes**: there its output layer gets **{hidden.output_train_acc:.1%}** "
        "of the training points right."
    )
    draw(HIDDEN(result.config, _result=result), "hidden")

    # 4. Regularization and 5. the linear collapse, each trained on request ------------------
    sweep_panel(result, shaded, points, key=SWEEP)
    collapse_panel(result, shaded, points, key=COLLAPSE)


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
