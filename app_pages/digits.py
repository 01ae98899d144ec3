"""Digits: a linear classifier and an MLP read real handwritten digits (notes 002 and 004):
one template per digit against hidden features, the images each gets wrong, and one digit,
picked or drawn, stepped through the MLP's forward and backward pass.

Thin page: its parameter table (PARAMS) draws the sidebar form and cleans a link;
``engine.digits`` trains and returns arrays, ``viz.digits`` draws them, ``ui.digits``
holds the panels. Training and figures are shared by the server's sessions
(``ui.digits``); a session keeps only its results.
"""

from __future__ import annotations

import streamlit as st

from engine import ACTIVATION_LABELS
from engine.digits import (
    CHOICES,
    DIGITS,
    INK_MAX,
    LIMITS,
    N_TEST,
    PIXELS,
    DigitsConfig,
    pick_test_image,
)
from ui.chart import draw
from ui.digits import (
    BLANK,
    PICKED,
    PROBABILITIES,
    TRAIN,
    data_panel,
    drawing_panel,
    learned_panel,
    mistakes_panel,
    results_panel,
    step_payload,
)
from ui.params import Choice, Number, Numbers, Param, Params, Whole, section
from ui.player import player
from ui.work import compute

PAGE = "digits"
RESULT = f"_{PAGE}_result"
# Steps of an MLP trace with L hidden layers: forward 2L + 3 (a, h per layer, the output
# a, f(x), L), backward 4L + 3 (∇a of the output, then ∇W, ∇b, ∇h, ∇a per layer, ∇W, ∇b).
MAX_STEPS = 6 * int(LIMITS["hidden_layers"][1]) + 6


def whole(name: str, **options) -> Whole:
    """A whole-number parameter bounded by the engine's LIMITS."""
    low, high = LIMITS[name]
    return Whole(int(low), int(high), **options)


def number(name: str, **options) -> Number:
    return Number(*LIMITS[name], **options)


def drawing(values) -> bool:
    return values["src"] == "draw"


D = DigitsConfig()
# fmt: off
PARAMS = Params(PAGE, [
    *section("MLP (the linear classifier has no hidden layer)",
        Param("layers", "Hidden layers", whole("hidden_layers", widget="slider"), D.hidden_layers),
        Param("width", "Units per hidden layer", whole("width", widget="slider"), D.width),
        Param("act", "Activation g",
              Choice({a: ACTIVATION_LABELS[a] for a in CHOICES["activation"]}), D.activation),
    ),
    *section("Training (both models, mini-batch SGD)",
        Param("epochs", "Epochs", whole("epochs", widget="slider"), D.epochs),
        Param("batch", "Batch size", whole("batch_size", widget="slider"), D.batch_size),
        Param("lr", "Learning rate α", number("lr", step=0.01, format="%.4f"), D.lr),
        Param("mom", "Momentum μ", number("momentum", widget="slider", step=0.01), D.momentum),
        Param("l2", "L2 strength λ", number("l2", step=0.001, format="%.4f"), D.l2),
        Param("seed", "Seed (weights, mini-batches)", whole("seed"), D.seed),
    ),
    # In the main area: which image goes through the network, and the player's step.
    Param("src", "Input", Choice({"test": "a test image", "draw": "my drawing"},
                                 widget="segmented"), "test"),
    Param("image", f"Test image (1–{N_TEST})", Whole(1, N_TEST), 1,
          shown_if=lambda v: v["src"] == "test"),
    Param("ink", "Drawing (64 ink levels, row by row)",
          Numbers(PIXELS, min_len=PIXELS, bound=INK_MAX), BLANK, shown_if=drawing),
    Param("meant", "The digit you meant (y, for the backward pass)",
          Choice({d: str(d) for d in range(DIGITS)}), 0, shown_if=drawing),
    Param("step", "Step", Whole(1, MAX_STEPS), 1),
])
# fmt: on


def config_form() -> tuple[DigitsConfig, bool]:
    """The sidebar form; the config it shows and whether Train was pressed."""
    form = st.sidebar.form("digits_config")
    cfg = PARAMS.sidebar(where=form)
    train = form.form_submit_button(
        "Train", type="primary", key="digits_train", width="stretch", icon=":material/play_arrow:"
    )
    config = DigitsConfig(
        hidden_layers=cfg.layers, width=cfg.width, activation=cfg.act, epochs=cfg.epochs,
        batch_size=cfg.batch, lr=cfg.lr, momentum=cfg.mom, l2=cfg.l2, seed=cfg.seed,
    )  # fmt: skip
    return config, bool(train)


def pick_input() -> tuple:
    """The image to trace: (x (64,) in [0, 1] or None, its digit, its test image number or
    None for a drawing, where its probabilities go)."""
    if PARAMS.widget("src") == "draw":
        x, meant = drawing_panel(PARAMS)
        return x, meant, None, st.container()
    left, right = st.columns([1, 3], vertical_alignment="center")
    n = PARAMS.widget("image", left)
    x, digit = pick_test_image(n)
    with left:
        draw(PICKED(n), "digits_pick")
    return x, digit, n, right


def one_digit(result) -> None:
    st.header("One digit through the network")
    st.markdown(
        "Pick a test image by its number, or draw one: type ink levels from 0 (blank) to "
        f"{INK_MAX} (full ink) into the 8 × 8 grid. Then step the MLP's forward and backward pass "
        "for it: every a(k), h(k), f(x) and gradient, with the input shown as the image it is."
    )
    x, digit, n, side = pick_input()
    if x is None:
        return
    word = "true" if n is not None else "meant"
    with side:
        draw(
            PROBABILITIES(result.config, x.tobytes(), digit, word, _result=result),
            "digits_probabilities",
        )
    payload = step_payload(result.config, x.tobytes(), digit, n, _mlp=result.mlp)
    PARAMS.set("step", player(payload, key="digits_player", step=PARAMS.value("step")))


def main() -> None:
    st.title("Digits")
    st.markdown(
        "A **linear classifier** and an **MLP** learn to read handwritten digits, trained on "
        "the same images with the same SGD settings (sidebar, then **Train**). The linear "
        "classifier learns **one template per digit**; the MLP's hidden layer learns features "
        "that the next layer combines."
    )
    config, submitted = config_form()
    progress_slot = st.empty()
    if submitted or RESULT not in st.session_state:
        if reason := config.too_expensive():
            st.error(f"**Not trained.** {reason}", icon=":material/block:")
        else:
            st.session_state[RESULT] = compute(TRAIN, config, progress_slot, "Training")
    data_panel()
    result = st.session_state.get(RESULT)
    if result is None:
        return
    if result.config != config:
        st.info(
            "The sidebar settings differ from the ones trained below: press **Train**.",
            icon=":material/info:",
        )
    results_panel(result)
    learned_panel(result)
    mistakes_panel(result)
    one_digit(result)


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
