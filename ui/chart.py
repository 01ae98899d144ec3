"""Plotly charts on a page: a figure of this session (``show``), or a figure spec shared by
every session (``shared_spec`` + ``draw``).

``show`` draws a ``go.Figure`` with ``st.plotly_chart``, which validates and serializes the
figure again on every run that shows it: fine for a small figure. A page a whole class
opens at once (Decision boundary: a 900 kB animation) builds each figure once per
configuration instead: ``shared_spec(build)`` caches ``build(*args)`` as its JSON bytes
for the whole server (``st.cache_data``), and ``draw`` hands those bytes to Plotly.js in
the browser (``chart.js``, a components-v2 component, Plotly.js from the app's static
files as for the step player), so a session costs a copy and a send, not a rebuild.
Measured under a burst of 20 students pressing Train on a shared preset: ~75 ms of server
time per Train with ``show``, most of it figure building and serializing.

About ``show``: Streamlit mounts a new chart and then passes it to Plotly.react a second time. Three
settings make that second call cost almost nothing instead of a full redraw:

- ``theme=None``: Streamlit's theme would put a template back (``viz.style.figure``
  explains why a template forces the redraw); our figures carry their whole style;
- ``CSS``: Plotly notes in its config whether the chart's div had zero height at the first
  draw. The div is empty then, so on the second call the config looked changed, and a
  changed config makes Plotly.react start over with newPlot. A 1-pixel minimum height
  keeps that note the same.

Measured on a step click of the Build & Step page (a log point on Plotly's ``_doPlot``):
two to three full draws per chart became one; about 0.1 s less in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from ui.player import PLOTLY_PROBLEM, assets

_chart = st.components.v2.component(
    "shared_chart",
    html=(
        f"<div class='bp-chart' data-plotly='{assets()['plotly']}'>"
        "<p class='bp-chart-message'>Loading the chart…</p><div class='bp-chart-plot'></div></div>"
    ),
    js=(Path(__file__).resolve().parent / "chart.js").read_text(),
    isolate_styles=False,
)

CSS = "<style>[data-testid='stPlotlyChart'] > div { min-height: 1px; }</style>"


def show(fig: go.Figure, key: str, width: Literal["stretch", "content"] = "stretch") -> None:
    """The figure at the full width of its container, or at its own layout width."""
    st.plotly_chart(fig, width=width, theme=None, key=key)


def kept(store: str, key: tuple, build, keep: int = 2):
    """A figure of the current results, kept in the session for reruns that change nothing
    it shows. ``key`` = (name, *view options); per name the ``keep`` latest views are kept
    (about 1 MB for an animation), so toggling a view back and forth costs no rebuild."""
    views = st.session_state.setdefault(store, {}).setdefault(key[0], {})
    view = key[1:]
    if view not in views:
        views[view] = build()
        while len(views) > keep:
            del views[next(iter(views))]  # the oldest
    return views[view]


def spec(fig: go.Figure) -> bytes:
    """The figure as the JSON Plotly.js reads (``{"data", "layout", "frames"}``), UTF-8."""
    return pio.to_json(fig, validate=False).encode()


def shared_spec(build: Callable[..., go.Figure], max_entries: int = 32, ttl: int = 3600):
    """``build(*args)`` as its spec (bytes), built once per server for each ``args`` (plain,
    hashable data: a configuration and view options, not results): at most
    ``max_entries`` specs, each kept ``ttl`` seconds."""

    def built(*args) -> bytes:
        return spec(build(*args))

    built.__name__ = built.__qualname__ = f"spec_{build.__name__}"
    built.__module__ = build.__module__
    return st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=False)(built)


def draw(figure_spec: bytes, key: str) -> None:
    """A shared spec drawn at the full width of its container, at its layout's height."""
    if PLOTLY_PROBLEM:
        st.error(PLOTLY_PROBLEM, icon=":material/error:")
    _chart(key=key, data=figure_spec)
