"""Gradient check: every analytic gradient of a network against centred differences, the
step size h of those differences, and planted bugs that make the check fail (note 004:
"derive the analytic gradient, check your implementation with the numerical gradient").

Thin page: the parameter table (PARAMS) draws the sidebar and cleans a link; the network
is Build & Step's settings (its link names), a preset or an uploaded file; the checks run
once per server for each network, in the page's own run (st.cache_data: at most ~0.12 s),
and ui/gradient_check.py draws their figures, built once per server too
(ui.chart.shared_spec).
"""

from __future__ import annotations

import streamlit as st

from engine.network_file import presets
from engine.planted import BUGS
from ui.gradient_check import (
    CHECK,
    SWEEP,
    Job,
    Preset,
    bound_note,
    bug_panel,
    check_panel,
    describe,
    reading_note,
    settings_of,
    step_panel,
    subject,
    uploaded_network,
)
from ui.network_params import settings_rows
from ui.params import Choice, Param, Params

PAGE = "gradient_check"
SOURCES = {
    "settings": "Build & Step settings",
    "preset": "a preset",
    "file": "a network file",
}
PRESETS = presets()
# Less empty space above the title (Streamlit's default is 6rem), as on Build & Step.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] { padding-top: 4.25rem; }</style>"


def source_is(name: str):
    return lambda values: values["source"] == name


# fmt: off
PARAMS = Params(PAGE, [
    Param("source", "Check the network of", Choice(SOURCES, widget="radio"), "settings",
          section="Network to check"),
    Param("preset", "Preset", Choice(PRESETS), next(iter(PRESETS)),
          section="Network to check", shown_if=source_is("preset")),
    *settings_rows(source_is("settings")),
    Param("bug", "Planted bug", Choice({n: b.label for n, b in BUGS.items()}, widget="radio"),
          "mask"),
])
# fmt: on
OPENED = f"{PAGE}._opened"


def source_from_link() -> None:
    """A first link naming a preset but no source opens that preset."""
    if st.session_state.get(OPENED):
        return
    st.session_state[OPENED] = True
    if "preset" in st.query_params and "source" not in st.query_params:
        st.query_params["source"] = "preset"


def chosen_network(cfg):
    """The network the sidebar names: Settings, a file's text, or None (no file yet)."""
    if cfg.source == "settings":
        return settings_of(cfg)
    if cfg.source == "preset":
        return Preset(cfg.preset)
    good, bad = uploaded_network(f"{PAGE}.file", st.sidebar)
    if bad:
        still = "Still checking the previous file." if good else "Nothing is checked yet."
        st.error(f"{bad} {still}", icon=":material/error:")
    return good


def main() -> None:
    st.html(PAGE_CSS)
    st.title("Gradient check")
    st.markdown(
        "The analytic gradient (backprop) is fast and exact, but easy to get wrong; the "
        "numerical gradient is slow and approximate, but easy to write. **Check one against "
        "the other**, entry by entry, for every parameter θ:"
    )
    st.latex(
        r"\frac{\partial L}{\partial \theta} \approx \frac{L(\theta + h) - L(\theta - h)}{2h},"
        r"\qquad \text{relative error} = \frac{|a - n|}{\max(|a|,\ |n|,\ \text{tiny})}"
    )
    source_from_link()
    cfg = PARAMS.sidebar()
    network = chosen_network(cfg)
    if network is None:
        st.info("Upload a network file in the sidebar.", icon=":material/upload_file:")
        return
    about = subject(network)
    st.markdown(f"**Network:** {describe(about)}")

    st.header("1. Every parameter")
    job = Job(network)
    check = CHECK(job)
    check_panel(job, check, f"{PAGE}.fig.check", check.names)
    bound_note(check)
    reading_note(about.net)

    st.header("2. The step size h")
    step_panel(network, SWEEP(network))

    st.header("3. Planted bugs: a failing check")
    bug = PARAMS.widget("bug", st)
    hidden = BUGS[bug].hidden_by(about.net, len(about.examples))
    bugged = Job(network, bug)
    bug_panel(bugged, CHECK(bugged), hidden)


# Streamlit runs a page as __main__; tests import it to read PARAMS.
if __name__ == "__main__":
    main()
