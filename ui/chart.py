"""Plotly charts on a page: each figure built once per server for its arguments and drawn
by Plotly.js in the browser.

``shared_spec(build)`` caches ``build(*args)`` (a ``go.Figure``) as its JSON bytes for the
whole server (``st.cache_data``), keyed by plain arguments (a configuration and view
options); ``draw`` hands those bytes to Plotly.js (``chart.js``, a components-v2
component, Plotly.js from the app's static files as for the step player). A session's
rerun costs a hash and a send, not a rebuild: a class opens the same figures at once.

Why not ``st.plotly_chart``: it validates and serializes the figure again on every run
of every session, and hashes it for the element's id. Under a class of 60 students over
every page that was a fifth of the server's time (py-spy); the boundary animation alone
is 900 kB per session. A chart drawn here is also drawn once per change: Plotly.react on
the same div, no template (``viz.style.figure`` says why that matters).
"""

from __future__ import annotations

import json
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
    css=".bp-chart-plot { max-width: 100%; }",
    js=(Path(__file__).resolve().parent / "chart.js").read_text(),
    isolate_styles=False,
)

WIDTHS = {w: json.dumps({"width": w}).encode() + b"\n" for w in ("stretch", "content")}


def spec(fig: go.Figure) -> bytes:
    """The figure as the JSON Plotly.js reads (``{"data", "layout", "frames"}``), UTF-8."""
    return pio.to_json(fig, validate=False).encode()


def shared_spec(
    build: Callable[..., go.Figure],
    max_entries: int = 32,
    ttl: int = 3600,
    hash_funcs: dict | None = None,
):
    """``build(*args, **kwargs)`` as its spec (bytes), built once per server for each
    ``args`` (plain, hashable data: a configuration and view options, not results;
    ``hash_funcs`` as for ``st.cache_data`` for anything else): at most ``max_entries``
    specs, each kept ``ttl`` seconds. Keyword arguments named with a leading underscore
    are not part of the key (``st.cache_data``'s rule): the results the figure draws, which
    the page already has."""

    def built(*args, **kwargs) -> bytes:
        return spec(build(*args, **kwargs))

    built.__name__ = built.__qualname__ = f"spec_{build.__name__}"
    built.__module__ = build.__module__
    cache = st.cache_data(
        max_entries=max_entries, ttl=ttl, show_spinner=False, hash_funcs=hash_funcs
    )
    return cache(built)


def draw(figure_spec: bytes, key: str, width: Literal["stretch", "content"] = "stretch") -> None:
    """A shared spec drawn at its layout's height and at the full width of its container
    (``"stretch"``, its layout's width ignored), or at its layout's width (``"content"``;
    Plotly's 700 px without one), narrowed to fit its container as ``st.plotly_chart``
    does. The component's bytes: a JSON line naming the width, then the spec."""
    if PLOTLY_PROBLEM:
        st.error(PLOTLY_PROBLEM, icon=":material/error:")
    _chart(key=key, data=WIDTHS[width] + figure_spec, width=width)
