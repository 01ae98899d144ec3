"""Plotly charts on a page: one call, and each chart drawn once.

Streamlit mounts a new chart and then passes it to Plotly.react a second time. Three
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

from typing import Literal

import plotly.graph_objects as go
import streamlit as st

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
