"""Activations & losses: the functions a network is made of, each with its derivative and
the numbers of the notes (001, 002, 004), in four parts.

1. the activation gallery (g, g′, saturation) and the depth view;
2. backprop through an elementwise g (note 004: ReLU, x = [1, −2, 3, −1], ∂L/∂y =
   [4, −1, 5, 9] → ∂L/∂x = [4, 0, 5, 0]);
3. softmax, naive beside stable, its Jacobian and the cross-entropy;
4. the multiclass SVM beside softmax on the same scores (note 004: 2.9 and ≈ 2.04).

Thin page: the parameter table (PARAMS) draws the sidebar and cleans a link; the panels
(ui/functions.py) call the engine and draw with viz/functions.py.

Links: ``part`` opens a part; without it, a link opens the part its values are about
(``?g=relu&x=1,-2,3,-1&upstream=4,-1,5,9`` the second, ``?logits=…&y=3`` the third,
``?scores=3.2,5.1,-1.7&y=1`` the fourth). One ``y``, the correct class counted from 1,
serves softmax and the SVM: both parts ask for the same thing, the SVM part shows the
softmax loss of that class too, and the notes' two links keep working as written.
"""

from __future__ import annotations

import streamlit as st

from engine.activations import ACTIVATION_LABELS
from engine.elementwise import MAX_DEPTH, MAX_ELEMENTWISE
from engine.score_losses import MAX_SCORES
from engine.stable_softmax import MAX_LOGITS
from ui.functions import elementwise_panel, gallery_panel, softmax_panel, svm_panel
from ui.params import Choice, Number, Numbers, Param, Params, Whole

PAGE = "functions"
PARTS = {
    "gallery": "Activations",
    "elementwise": "Backprop through g",
    "softmax": "Softmax",
    "svm": "SVM vs softmax",
}
# A link without ``part`` opens the part of the first value it carries that belongs to one.
PART_OF = {
    "depth": "gallery",
    "scale": "gallery",
    "g": "elementwise",
    "x": "elementwise",
    "upstream": "elementwise",
    "logits": "softmax",
    "scores": "svm",
}
HUGE = "10000, -10000, 0"  # the naive softmax overflows, the stable one is exact


def part_is(*parts: str):
    return lambda values: values["part"] in parts


# fmt: off
PARAMS = Params(PAGE, [
    Param("part", "Part", Choice(PARTS), "gallery"),  # drawn as the page's tabs
    Param("depth", "Layers k in the depth view", Whole(1, MAX_DEPTH, widget="slider"), 10,
          section="Depth view", shown_if=part_is("gallery")),
    Param("scale", "σ of the pre-activations a ~ N(0, σ²)",
          Number(0.1, 10.0, widget="slider", step=0.1), 1.0,
          section="Depth view", shown_if=part_is("gallery")),
    Param("g", "Activation g", Choice(ACTIVATION_LABELS), "relu",
          section="y = g(x)", shown_if=part_is("elementwise")),
    Param("x", f"x (up to {MAX_ELEMENTWISE} numbers)", Numbers(MAX_ELEMENTWISE),
          (1.0, -2.0, 3.0, -1.0), section="y = g(x)", shown_if=part_is("elementwise")),
    Param("upstream", "Upstream gradient ∂L/∂y (one per entry of x)",
          Numbers(MAX_ELEMENTWISE), (4.0, -1.0, 5.0, 9.0),
          section="y = g(x)", shown_if=part_is("elementwise")),
    Param("logits", f"Logits x (up to {MAX_LOGITS} numbers)", Numbers(MAX_LOGITS),
          (2.0, 1.0, 0.1), section="Softmax", shown_if=part_is("softmax")),
    Param("scores", f"Scores s (2 to {MAX_SCORES} numbers)", Numbers(MAX_SCORES, min_len=2),
          (3.2, 5.1, -1.7), section="Scores", shown_if=part_is("svm")),
    Param("y", "Correct class y (from 1)", Whole(1, max(MAX_LOGITS, MAX_SCORES)), 1,
          help="Used by Softmax and by SVM vs softmax.",
          section="Class", shown_if=part_is("softmax", "svm")),
])
# fmt: on
OPENED, TABS = f"{PAGE}._opened", f"{PAGE}.tabs"
PART_OF_TAB = {label: part for part, label in PARTS.items()}
# Less empty space above the title (Streamlit's default is 6rem), as on Build & Step, so
# that on a 1280 × 720 projector a part's figures start in the first screen.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] { padding-top: 4.25rem; }</style>"


def part_from_link() -> None:
    """On the page's first run in this session, a link without ``part`` opens the part its
    values are about (written into the URL before the table reads it)."""
    if st.session_state.get(OPENED):
        return
    st.session_state[OPENED] = True
    if "part" in st.query_params:
        return
    for name in st.query_params:
        if name in PART_OF:
            st.query_params["part"] = PART_OF[name]
            return


def follow_tab() -> None:
    """A tab click (a callback, before the run): the part it names; the run writes the URL."""
    st.session_state[PARAMS.key("part")] = PART_OF_TAB[st.session_state[TABS]]


def try_huge_logits() -> None:
    """'Try ±1e4': logits where the naive softmax overflows (a callback, before the box)."""
    st.session_state[PARAMS.key("logits")] = HUGE


def main() -> None:
    st.html(PAGE_CSS)
    st.title("Activations & losses")
    part_from_link()
    cfg = PARAMS.sidebar()
    # The tabs show the part of the config (a link, the browser's back button) and a click
    # on one sets it; only the open tab's part is computed.
    st.session_state[TABS] = PARTS[cfg.part]
    tabs = st.tabs(list(PARTS.values()), key=TABS, on_change=follow_tab)
    tabs = dict(zip(PARTS, tabs, strict=True))
    with tabs[cfg.part]:
        if cfg.part == "gallery":
            gallery_panel(cfg.depth, cfg.scale)
        elif cfg.part == "elementwise":
            elementwise_panel(cfg.g, cfg.x, cfg.upstream)
        elif cfg.part == "softmax":
            st.sidebar.button(
                "Try logits ±1e4",
                key=f"{PAGE}.huge",
                on_click=try_huge_logits,
                help=f"Sets the logits to {HUGE}: the naive softmax overflows.",
                icon=":material/local_fire_department:",
            )
            softmax_panel(cfg.logits, cfg.y)
        else:
            svm_panel(cfg.scores, cfg.y)


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
