"""Build & Step: build a small network, then walk its forward and backward pass one layer
at a time, every tensor as a heatmap beside the equation that produced it.

Thin page: its parameter table (PARAMS) draws the sidebar and cleans a link; ui/build_state
holds the data and this session's network; the trace's every step is built once per
configuration (viz/step_view, cached per server) and stepped in the browser (ui/player).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine import MLP, gradient_norms
from engine.network_file import load_preset, presets
from engine.own_data import DataError
from ui.build_state import (
    Held,
    apply_update,
    held_network,
    page_data,
    state_of,
    traced_rows,
)
from ui.chart import draw, shared_spec
from ui.network_params import OWN, settings_rows
from ui.own_numbers import (
    JUMP,
    apply_state,
    data_panel,
    file_panel,
    toy_data_panel,
    update_panel,
    weights_panel,
)
from ui.params import Choice, Param, Params, Whole, number_text
from ui.player import Packed, pack, player
from viz.norms import gradient_norms_figure
from viz.step_view import step_view

PAGE = "build_and_step"
MAX_STEPS = 2 * 4 + 3 + 1 + 4 * 4 + 2  # the trace of the largest network
LR_CHOICES = {v: number_text(v) for v in (0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)}
PAYLOADS_KEPT = 32  # step payloads cached per server: 0.2 MB (default) to 1.1 MB (largest)
# Less empty space above the title (Streamlit's default is 6rem), so that on a 1280 × 720
# projector the step's header, equation with numbers and heatmaps fit without scrolling.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] { padding-top: 4.25rem; }</style>"

# fmt: off
PARAMS = Params(PAGE, [
    *settings_rows(own=True),
    # Set by the page, not by a sidebar widget: where the player is, the update panel's α,
    # how many SGD updates a link replays, and the preset the weights came from.
    Param("step", "Step", Whole(1, MAX_STEPS), 1),
    Param("lr", "Learning rate α", Choice(LR_CHOICES, widget="select_slider"), 0.1),
    Param("updates", "SGD updates applied", Whole(0, 1000), 0),
    Param("preset", "Preset", Choice({"": "none", **presets()}), ""),
])
# fmt: on


def network_key(net: MLP) -> tuple:
    """What a network's steps depend on: its architecture and its parameters' bytes."""
    params = b"".join(np.asarray(v, dtype=np.float64).tobytes() for v in net.params.values())
    return (tuple(net.sizes), tuple(net.activations), net.loss, params)


@st.cache_data(max_entries=PAYLOADS_KEPT, show_spinner=False, hash_funcs={MLP: network_key})
def step_payload(net: MLP, X: np.ndarray, y: np.ndarray, rows: tuple, l2: float) -> Packed:
    """Every step of the trace of the rows X (N, D), y (N,) as the player shows it, built
    once per configuration and shared by every session on this server (a class mostly
    runs the same preset). ``rows``: their numbers in the data (from 0)."""
    return pack(step_view(net, net.trace(X, y, l2), X, list(rows), y.tolist()))


def norms(net: MLP, X: np.ndarray, y: np.ndarray, l2: float):
    """The gradient norms of the trace's backward pass, per layer."""
    return gradient_norms_figure(gradient_norms(net.trace(X, y, l2)))


NORMS = shared_spec(norms, PAYLOADS_KEPT, hash_funcs={MLP: network_key})


def from_link() -> set[str]:
    """Take a link's values; a link naming a preset loads it (its own settings yield to
    the link's)."""
    given = PARAMS.read_link()
    name = PARAMS.value("preset")
    if "preset" in given and name:
        apply_state(PARAMS, load_preset(name), f"preset:{name}", keep=given - {"preset"})
    return given


def shareable(held: Held, cfg, data, rows) -> str:
    """'' when the link reproduces what is shown, else why not (in a sentence)."""
    why = []
    if cfg.data == OWN:
        why.append("your own numbers")
    if held.origin == "custom":
        why.append("edited or loaded weights")
    elif not held.linkable(cfg.lr, cfg.l2, (data.key, tuple(rows))):
        why.append("SGD updates made on other examples or with other α, λ")
    if not why:
        return ""
    return (
        f"A link carries settings, not {' and '.join(why)}: save this network as JSON to "
        "share exactly what you see."
    )


def main() -> None:
    st.title("Build & Step")
    st.caption(
        "Build a network in the sidebar, then step through both passes: buttons, ← →, "
        "Space or a presentation clicker."
    )
    st.html(PAGE_CSS)
    given = from_link()
    cfg = PARAMS.sidebar()
    try:
        data = page_data(cfg)
    except DataError as error:
        st.error(f"Your own numbers cannot be traced: {error}.", icon=":material/error:")
        data_panel(PARAMS)
        return
    rows, note = traced_rows(cfg, data)
    if note:
        st.info(note, icon=":material/info:")
    held = held_network(cfg, data, rows)
    if not held.origin.startswith("preset:") and cfg.preset:
        PARAMS.set("preset", "")
    X, y = data.X[rows], data.y[rows]
    payload = step_payload(held.net, X, y, tuple(rows), cfg.l2)
    jump = "step" in given or st.session_state.pop(JUMP, False)  # a link, a file, a preset
    step = player(payload, key="bs_player", step=cfg.step if jump else None)
    PARAMS.set("step", step)
    why = shareable(held, cfg, data, rows)
    PARAMS.set("updates", 0 if why else len(held.history))

    st.subheader("Apply one SGD update")
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    lr = PARAMS.widget("lr", left)
    if right.button("Apply θ ← θ − α∇θ L", type="primary", key="bs_apply"):
        apply_update(held, data, rows, lr, cfg.l2)
        st.rerun()
    update_panel(held)

    with st.expander("Your own numbers: data, weights, save and load", expanded=False):
        if cfg.data == OWN:
            data_panel(PARAMS)
        else:
            toy_data_panel(PARAMS, data)
        weights_panel(held)
        file_panel(PARAMS, state_of(cfg, data, held, rows, step), why)

    norms_col, words_col = st.columns([3, 2], gap="large", vertical_alignment="center")
    with norms_col:
        draw(NORMS(held.net, X, y, cfg.l2), "norms")
    words_col.markdown(
        "**Gradient sizes of the whole backward pass.** Each pair of bars is one layer. "
        "Try 4 sigmoid layers: the bars shrink layer by layer towards the input, because "
        "every sigmoid multiplies the gradient by at most 0.25 (vanishing gradients)."
    )


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
