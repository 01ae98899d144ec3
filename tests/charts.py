"""What a page draws in the browser, read from an AppTest run: its figures
(``ui.chart.draw``) and its step player's data (``ui.player.player``)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from ui.player import unpack


def charts(at: AppTest) -> list[dict]:
    """Every figure of the run, in page order, as Plotly.js receives it (JSON bytes)."""
    drawn = [e.proto for e in at.get("bidi_component")]
    return [figure(p.bytes) for p in drawn if p.component_name.endswith("shared_chart")]


def chart(at: AppTest, key: str) -> dict:
    """The one figure drawn with ``key``."""
    drawn = [e.proto for e in at.get("bidi_component") if e.proto.id.endswith(f"-{key}")]
    (found,) = [p for p in drawn if p.component_name.endswith("shared_chart")]
    return figure(found.bytes)


def figure(data: bytes) -> dict:
    """The figure of a chart's bytes (a line naming its width, then the figure's JSON)."""
    return json.loads(data.partition(b"\n")[2])


def player_data(at: AppTest, key: str | None = None) -> dict | None:
    """What the step player (``ui.player.player``) was given, as its script reads it: the
    header (id, name, step, …) and every step; None when no player is shown."""
    found = [e.proto for e in at.get("bidi_component") if e.proto.component_name == "step_player"]
    found = [p for p in found if key is None or p.id.endswith(f"-{key}")]
    return unpack(found[0].bytes) if found else None
