"""Panels of the digits page: the data, each model's card, what the models learned and got
wrong, the drawing grid, and the step payload of one digit (built once per server).

Training and figures are shared by every session (a class mostly runs one configuration):
both models are trained once per server for each configuration (``TRAIN``) and each
figure is built once per configuration and view (``ui.chart.shared_spec``); a session keeps
only its results and draws the shared specs. The page owns its parameter table; these
panels get what they need as arguments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import ACTIVATION_LABELS
from engine.digits import (
    DIGITS,
    INK_MAX,
    N_TEST,
    PIXELS,
    SCALING_TEXT,
    SIDE,
    SPLIT_TEXT,
    DigitsComparison,
    DigitsConfig,
    DigitsRun,
    DrawingError,
    check_drawing,
    image_probabilities,
    image_trace,
    load_digits_data,
    pick_test_image,
    train_digits,
)
from ui.chart import draw, shared_spec
from ui.params import Params
from ui.player import Packed, pack
from ui.work import shared
from viz.digits import (
    confusion_figure,
    digit_figure,
    features_figure,
    mistakes_figure,
    probabilities_figure,
    samples_figure,
    templates_figure,
    training_curves,
)
from viz.digits_steps import digit_step_view

TRAIN = shared(train_digits)  # once per server for each configuration: a class shares it
PAYLOADS_KEPT = 16  # step payloads per server: 0.7 MB (default MLP) to 1.6 MB (3 × 128) each
MISTAKES_SHOWN, MISTAKES_PER_ROW = 12, 4  # 4 titles fit across half a projector
CONFUSION_SIZE = 380  # pixels: two side by side beside the sidebar at 1280 × 720
MODELS = ("linear", "mlp")  # the DigitsComparison's runs, as the figures' keys name them


def percent(value: float) -> str:
    """0.9711 → '97.1%' (what a metric shows)."""
    return f"{value:.1%}"


def model_title(run: DigitsRun) -> str:
    return "Linear classifier" if run.is_linear else "MLP"


def first_of_each_digit() -> list[int]:
    """The number (counted from 1) of the first test image of each digit 0 … 9."""
    y = load_digits_data().y_test
    return [int(np.flatnonzero(y == d)[0]) + 1 for d in range(DIGITS)]


# --- the figures, by trained configuration (``model``: "linear" or "mlp") and view ------------
# Built once per server from the results the page hands over (``_result``: not part of
# the key; the configuration determines it).
def samples():
    numbers = first_of_each_digit()
    images = [pick_test_image(n)[0].reshape(SIDE, SIDE) for n in numbers]
    title = "The first test image of each digit, 0 to 9, titled by its number"
    return samples_figure(images, [str(n) for n in numbers], title)


def confusion(config: DigitsConfig, model: str, *, _result: DigitsComparison):
    run = getattr(_result, model)
    title = f"{model_title(run)}: confusion matrix"
    return confusion_figure(run.confusion, title, width=CONFUSION_SIZE, height=CONFUSION_SIZE + 60)


def curves(config: DigitsConfig, *, _result: DigitsComparison):
    return training_curves(_result.linear, _result.mlp)


def templates(config: DigitsConfig, *, _result: DigitsComparison):
    return templates_figure(_result.linear.W1_images)


def features(config: DigitsConfig, *, _result: DigitsComparison):
    return features_figure(_result.mlp.W1_images)


def mistakes(config: DigitsConfig, model: str, *, _result: DigitsComparison):
    run = getattr(_result, model)
    shown = min(len(run.mistakes), MISTAKES_SHOWN)
    title = f"{model_title(run)}: {shown} of the {len(run.mistakes)} test images it gets wrong"
    return mistakes_figure(run.mistakes, title, max_images=MISTAKES_SHOWN, cols=MISTAKES_PER_ROW)


def picked(number: int):
    x, digit = pick_test_image(number)
    return digit_figure(x, f"test image {number} · digit {digit}", size=240)


def probabilities(
    config: DigitsConfig, pixels: bytes, digit: int, digit_word: str, *, _result: DigitsComparison
):
    """f(x) of both models for the image x (64,) float64 as ``pixels``, whose digit is
    ``digit`` (``digit_word``: "true" for a test image, "meant" for a drawing)."""
    x = np.frombuffer(pixels, dtype=np.float64)
    linear, mlp = (image_probabilities(run, x) for run in (_result.linear, _result.mlp))
    return probabilities_figure(linear, mlp, digit, digit_word=digit_word)


def drawn(ink: tuple[float, ...], meant: int):
    """A drawing of 64 ink levels 0 … 16, row by row."""
    x = np.asarray(ink, dtype=np.float64) / INK_MAX
    return digit_figure(x, f"your drawing · {meant} meant", size=220)


SAMPLES = shared_spec(samples, max_entries=1)
CONFUSION, CURVES = shared_spec(confusion), shared_spec(curves)
TEMPLATES, FEATURES, MISTAKES = shared_spec(templates), shared_spec(features), shared_spec(mistakes)
PICKED = shared_spec(picked, max_entries=128)  # ~4 kB each, whatever the training
PROBABILITIES, DRAWN = shared_spec(probabilities, 128), shared_spec(drawn, 64)


# --- the data -------------------------------------------------------------------------------
def data_panel() -> None:
    st.markdown(f"**The data.** {SPLIT_TEXT} {SCALING_TEXT}")
    draw(SAMPLES(), "digits_samples")


# --- results --------------------------------------------------------------------------------
def model_card(run: DigitsRun) -> None:
    """Sizes, activation, test and train accuracy, and how many test images it gets wrong."""
    with st.container(border=True):
        sizes = " → ".join(map(str, run.sizes))
        kind = "no hidden layer" if run.is_linear else f"g = {ACTIVATION_LABELS[run.activation]}"
        st.markdown(f"**{model_title(run)}** · {sizes} · {kind}")
        test, train = st.columns(2)
        test.metric("test accuracy", percent(run.test_accuracy))
        train.metric("train accuracy", percent(run.train_accuracy))
        st.caption(f"{len(run.mistakes)} of the {N_TEST} test images wrong")
        if run.diverged:
            st.error(
                f"Training {run.stopped_reason}. Shown: the last finite weights "
                f"(after epoch {run.epochs_done}).",
                icon=":material/error:",
            )


def results_panel(result: DigitsComparison) -> None:
    st.header("How well each model reads digits")
    for column, run in zip(st.columns(2), (result.linear, result.mlp), strict=True):
        with column:
            model_card(run)
    for column, model in zip(st.columns(2), MODELS, strict=True):
        with column:
            draw(
                CONFUSION(result.config, model, _result=result),
                f"digits_confusion_{model}",
                width="content",
            )
    st.caption(
        "A confusion matrix counts the 450 test images by their true digit (row) and the "
        "digit the model predicts (column): the diagonal is right, every other number a mistake."
    )
    with st.expander("Loss and accuracy per epoch (solid: training set, dashed: test set)"):
        draw(CURVES(result.config, _result=result), "digits_curves")


def learned_panel(result: DigitsComparison) -> None:
    st.header("What each model learned, as images")
    st.markdown(
        "The linear classifier scores digit c as s_c = b_c + Σ_j W(1)_cj x_j: row c of W(1) "
        "is **one template per digit**, a weight for every pixel. Red pixels are ink that votes "
        "for the digit, blue ink that votes against it."
    )
    draw(TEMPLATES(result.config, _result=result), "digits_templates")
    n = result.mlp.sizes[1]
    st.markdown(
        f"The MLP's first layer has **{n} such images**, one per hidden unit: unit i of a(1) "
        "sums the ink under feature i. They are not digits but strokes and parts of strokes; the "
        "next layer combines them, so no single template has to fit every way of writing a digit."
    )
    draw(FEATURES(result.config, _result=result), "digits_features")
    if n > 32:
        st.caption(f"The first 32 of the {n} features.")


def mistakes_panel(result: DigitsComparison) -> None:
    st.header("The test images each model gets wrong")
    st.markdown(
        "The most confidently wrong first; hover over an image for its three most probable "
        "digits. Type its number under *One digit through the network* to step it through."
    )
    runs = (result.linear, result.mlp)
    tabs = st.tabs([f"{model_title(r)}: {len(r.mistakes)} wrong" for r in runs])
    for tab, model in zip(tabs, MODELS, strict=True):
        with tab:
            draw(MISTAKES(result.config, model, _result=result), f"digits_mistakes_{model}")


# --- a drawn digit ----------------------------------------------------------------------------
GRID = "_digits_grid"  # {"version", "base", "applied"}: the editor's starting grid
BLANK = (0.0,) * PIXELS  # a drawing's ink levels before anything is drawn
CELL_WIDTH, CELL_HEIGHT = 46, 34  # pixels: the 8 × 8 grid fits half the main area at 1280


def grid_frame(ink) -> pd.DataFrame:
    """64 ink levels, row by row → the 8 × 8 table the editor shows, rows and columns
    labelled from 1."""
    labels = [str(i) for i in range(1, SIDE + 1)]
    return pd.DataFrame(np.reshape(np.asarray(ink, dtype=np.float64), (SIDE, SIDE)), labels, labels)


def drawing_grid(ink: tuple[float, ...]) -> tuple[np.ndarray | None, tuple[float, ...] | None]:
    """The drawing grid (st.data_editor in a form), starting from ``ink`` (64 levels 0 … 16).

    Returns (x (64,) in [0, 1] to use, or None; the ink levels to keep when they changed,
    else None). A bad cell shows its message and nothing of the edit is used: x is then
    the last valid drawing (``ink``), if it is one."""
    state = st.session_state.setdefault(GRID, {"version": 0, "applied": None})
    if ink != state["applied"]:  # a link, Copy or Clear set it: the grid starts over
        state.update(version=state["version"] + 1, base=ink, applied=ink)
    config = st.column_config.NumberColumn(format="%g", width=CELL_WIDTH)
    with st.form("digits_drawing", border=False):
        edited = st.data_editor(
            grid_frame(state["base"]),
            key=f"digits_grid_{state['version']}",
            column_config={"_index": st.column_config.TextColumn(width=28)}
            | {str(c): config for c in range(1, SIDE + 1)},
            width="content",
            row_height=CELL_HEIGHT,
        )
        st.form_submit_button("Use this drawing", type="primary", icon=":material/draw:")
    st.caption(
        f"Double-click a cell, type an ink level from 0 (blank) to {INK_MAX} (full ink), then "
        "press **Use this drawing**. Rows and columns count from 1, as in the messages."
    )
    try:
        last = check_drawing(grid_frame(ink))
    except DrawingError:
        last = None
    try:
        x = check_drawing(edited)
    except DrawingError as error:
        then = (
            "The networks below still read the last valid drawing."
            if last is not None
            else "Fix it to see what the networks make of it."
        )
        st.error(f"**The drawing:** {error}. {then}", icon=":material/edit_off:")
        return last, None
    applied = tuple(float(v) for v in x * INK_MAX)  # exact: x = ink / 16
    if applied == ink:
        return x, None
    state["applied"] = applied
    return x, applied


def copy_image(params: Params, number: int) -> None:
    """'Copy test image n': its ink levels into the drawing, its digit as the one meant."""
    x, digit = pick_test_image(number)
    params.set("ink", tuple(float(v) for v in x * INK_MAX))
    params.set("meant", digit)


def drawing_panel(params: Params) -> tuple[np.ndarray | None, int]:
    """The grid, the digit meant, Copy and Clear, and the drawing as an image: (x (64,) in
    [0, 1] or None while no valid drawing exists, the digit meant). ``params``: the page's
    table, with the parameters "ink" (64 ink levels), "meant" and "image"."""
    grid, side = st.columns([3, 2], gap="medium")
    with grid:
        x, changed = drawing_grid(params.value("ink"))
        if changed is not None:
            params.set("ink", changed)
    with side:
        meant = params.widget("meant")
        n = params.value("image")
        st.button(
            f"Copy test image {n} into the grid", on_click=copy_image, args=(params, n),
            key="digits_copy", icon=":material/content_copy:", width="stretch",
        )  # fmt: skip
        st.button(
            "Clear the grid", on_click=params.set, args=("ink", BLANK), key="digits_clear",
            icon=":material/ink_eraser:", width="stretch",
        )  # fmt: skip
        if x is not None:  # its ink levels again, exactly: x = ink / 16
            ink = tuple(float(v) for v in x * INK_MAX)
            draw(DRAWN(ink, meant), "digits_drawn")
    return x, meant


# --- one digit, stepped --------------------------------------------------------------------
@st.cache_data(max_entries=PAYLOADS_KEPT, show_spinner=False)
def step_payload(
    config: DigitsConfig, pixels: bytes, digit: int, number: int | None, _mlp: DigitsRun
) -> Packed:
    """The player payload of one image through the MLP trained with ``config`` (``_mlp``,
    which the config determines), built once per server: ``pixels`` = x (64,) float64,
    ``digit`` its label (the digit meant, for a drawing), ``number`` its test image number
    or None for a drawing."""
    x = np.frombuffer(pixels, dtype=np.float64)
    steps = image_trace(_mlp, x, digit)
    return pack(digit_step_view(_mlp.network(), steps, x, digit, number))
