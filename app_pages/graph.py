"""Computational graph: type a formula, then walk its forward pass and its backward pass
one node at a time, upstream × local = downstream with the numbers (note 004).

Thin page: the parameter table (PARAMS) draws the sidebar and cleans a link
(``?expr=(x%2By)*z&values=x=-2,y=5,z=-4&step=8``); ``engine.expression`` reads the formula,
``engine.graph`` traces it, ``viz.graph_steps`` builds every step once (ui/graph.py caches
it per server) and the step player (ui/player.py) steps through them in the browser.
"""

from __future__ import annotations

import streamlit as st

from engine.circuits import CIRCUITS
from engine.expression import MAX_CHARS, MAX_NODES, MAX_VARIABLES
from ui.graph import DEFAULT, PRESETS, checks_panel, drawable, follow_preset
from ui.params import Choice, Param, Params, Text, Whole, section
from ui.player import player

PAGE = "graph"
OPENED = f"{PAGE}._opened"
MAX_STEPS = 2 * MAX_NODES  # a forward step per node, at most one backward step per node
EXPRESSION_HELP = (
    "Numbers, variable names, + − * / and powers by a number (x^2 or x**2), and the "
    "functions exp, log, sigmoid (σ), tanh, relu, abs, max, min. At most "
    f"{MAX_CHARS} characters, {MAX_NODES} nodes and {MAX_VARIABLES} variables."
)
VALUES_HELP = "One name=value for each variable, separated by commas: x=-2, y=5, z=-4."
# Less empty space above the title (Streamlit's default is 6rem), as on Build & Step, so
# that on a 1280 × 720 projector the graph, the equation and the rule fit one screen;
# narrower side margins on a wide screen (5rem by default): room for note 004's code
# beside the graph; a title that fits a phone.
MAIN = "[data-testid='stMainBlockContainer']"
PAGE_CSS = (
    f"<style>{MAIN} {{ padding-top: 3.5rem; }}"
    f"@media (min-width: 900px) {{ {MAIN} {{ padding-left: 2rem; padding-right: 2rem; }} }}"
    f"@media (max-width: 640px) {{ {MAIN} h1 {{ font-size: 2rem; }} }}</style>"
)

# fmt: off
PARAMS = Params(PAGE, [
    *section("Circuit",
        Param("preset", "Preset from note 004", Choice(PRESETS), DEFAULT),
        Param("expr", "Expression f", Text(MAX_CHARS), CIRCUITS[DEFAULT].expression,
              help=EXPRESSION_HELP),
        Param("values", "Values", Text(MAX_CHARS), CIRCUITS[DEFAULT].values_text,
              help=VALUES_HELP),
    ),
    Param("step", "Step", Whole(1, MAX_STEPS), 1),  # the player's, counted from 1
])
# fmt: on


def link_step(step: int) -> int | None:
    """The link's step on the page's first run in this session (a link, a reload), else
    None: new steps then open where the player follows them (the same node and pass
    for new values, step 1 for a new expression)."""
    if st.session_state.get(OPENED):
        return None
    st.session_state[OPENED] = True
    return step


def main() -> None:
    st.html(PAGE_CSS)
    st.title("Computational graph")
    note = follow_preset(PARAMS, PARAMS.read_link())
    cfg = PARAMS.sidebar()
    if note:
        st.info(note, icon=":material/info:")
    built = drawable(cfg.expr, cfg["values"], cfg.preset)  # cfg.values: Mapping's
    if built.circuit:
        st.sidebar.caption(built.circuit.description)
    st.caption(
        "Forward node by node, then backward: upstream × local = downstream. "
        "Step with ← →, Space or a presentation clicker."
    )
    player(built.payload, key="graph_player", step=link_step(cfg.step))
    checks_panel(built.trace)


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
