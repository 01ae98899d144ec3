"""The step player: every step of a stepper built once in Python, stepped in the browser.

A page computes its trace and builds the content of every step once per configuration;
:func:`player` sends it to the browser once, in a components-v2 component (inline
HTML/CSS/JS, no iframe, files ``player.js``/``player.css`` next to this one). From then
on the buttons (First, Prev, Next, Last), the slider and the keys (→ ← PageDown PageUp,
Home End, Space; anywhere on the page but in a text field) switch steps in the browser,
with no Streamlit rerun: the steps near the current one are drawn ahead, in idle time,
so a switch only shows what is already drawn. The URL's ``step=`` (counted from 1)
follows with ``history.replaceState``, keeping the other query parameters, and the step
is reported back to Python, debounced, by a second tiny component in a fragment of its
own: the report reruns only that fragment and never re-sends the payload.

Payload (JSON-ready; numbers may be Plotly typed arrays ``{"dtype", "bdata", "shape"}``)::

    {
      "steps": [                        # at least one
        {
          "key": "grad_W/∇W(2)",        # stable name: a new payload reopens the same key
          "header": "<b>∇W(2)</b> …",   # one line of trusted HTML after "Step i of n · "
          "areas": {                    # "main" (wide, left) and "side" (right; below
            "main": [block, …],         #  the main area on narrower screens, its first
            "side": [block, …],         #  block beside the others when there is room)
          },
        },
      ],
      "toggles": [                      # optional checkboxes in the player's bar
        {"name": "tables", "label": "Values as tables", "help": "…", "default": False},
      ],
    }

Blocks, by ``kind``:

- ``plotly``: ``{"figure": {"data": [...], "layout": {...}}}``, drawn with Plotly.js at
  the layout's width and height (without a width: the area's width). Optional
  ``"restyle": {toggle: {"on": update, "off": update}}`` (``Plotly.restyle`` updates;
  the figure as given shows the toggle's default) and, for a heatmap,
  ``"table": {"title": "W(2)", "csv": "W(2).csv", "when": toggle}``: its z as a table
  (rows y, columns x, labelled with the axis titles) with a CSV download.
- ``latex``: ``{"tex": "…"}`` typeset by KaTeX in display mode; ``"narrow"``: a second
  form used when the first is wider than the area; still too wide, it is scaled down.
- ``html``: ``{"html": "…"}`` trusted HTML (built by the app, never from user text).
- ``code``: ``{"code": "…"}`` preformatted.
- ``table``: ``{"title", "columns", "index", "values" (rows × columns), "csv"}``.
- ``row``: ``{"blocks": [...]}`` side by side, wrapping onto more lines when narrow.

Any block may carry ``"when": toggle``: shown only while that toggle is on.

Plotly.js (the copy in the ``plotly`` package) and KaTeX (``static/vendor/katex``) load
from the app's static files (``server.enableStaticServing``), never from a CDN, and once
per page; the component's own code is ~20 kB. If they cannot load, the player says so in
words. The component is not in a shadow root (Plotly's and KaTeX's page-wide styles must
apply); its CSS is scoped under ``.bp-player``. With several players on a page, the keys
go to the one mounted last.

A page shows a player as: build the payload and :func:`pack` it once per configuration
(``st.cache_data``), then ``player(packed, key="…", step=link_step)``. The browser steps;
Python learns the step from the session (the return value, or :func:`follow` on the next
payload). A packed payload is its JSON as bytes: a session's rerun hands the cached bytes
to the component as they are (a hash and a send) instead of copying, hashing and
serializing a 0.2-1.1 MB dict again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import plotly
import streamlit as st

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static"  # served at app/static/ (next to app.py)
VENDOR = STATIC / "vendor"
PLOTLY_SOURCE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY_FILE = f"plotly-{plotly.__version__}.min.js"  # git-ignored, copied at import
HTML = (
    "<div class='bp-player'><p class='bp-message'>Loading the step player… If this stays, "
    "its script could not run in this browser: allow JavaScript for this site and reload "
    "the page.</p></div>"
)
REPORT_CSS = ".stElementContainer:has(.bp-report) { display: none; }"


def vendor_plotly(source: Path = PLOTLY_SOURCE, vendor: Path = VENDOR) -> str | None:
    """Copy the ``plotly`` package's plotly.min.js into ``vendor`` when it is missing or
    stale (other versions' copies are removed). Returns None, or what went wrong."""
    target = vendor / PLOTLY_FILE
    try:
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            return None
        vendor.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        shutil.copyfile(source, partial)
        partial.replace(target)  # atomic: a second server process never reads half a file
        for old in vendor.glob("plotly-*.min.js"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError as error:
        return (
            f"The step player could not copy Plotly.js to {target} ({error}). Copy "
            f"{source} there by hand, or run the app once from a writable folder."
        )
    return None


PLOTLY_PROBLEM = vendor_plotly()

_player = st.components.v2.component(
    "step_player",
    html=HTML,
    css=(HERE / "player.css").read_text(),
    js=(HERE / "player.js").read_text(),
    isolate_styles=False,
)
_report = st.components.v2.component(
    "step_player_report",
    html="<span class='bp-report'></span>",
    css=REPORT_CSS,
    js=(HERE / "player_report.js").read_text(),
    isolate_styles=False,
)


def payload_id(payload: dict) -> str:
    """A short content hash: the same payload gets the same id on every server."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Packed:
    """A payload ready to send: its id, its steps' keys, and ``{"steps", "toggles"}`` as
    JSON bytes."""

    id: str
    keys: tuple[str, ...]
    body: bytes


def pack(payload: dict) -> Packed:
    """The payload (format above; at least one step) as :class:`Packed`."""
    steps = payload["steps"]
    if not steps:
        raise ValueError("a step player needs at least one step")
    keys = tuple(s.get("key", str(i)) for i, s in enumerate(steps, start=1))
    body = {"steps": steps, "toggles": payload.get("toggles", [])}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Packed(payload_id(body), keys, text.encode())


def unpack(data: bytes) -> dict:
    """What the browser reads from the component's bytes: the header (id, name, step,
    url_param, assets) and the body in one dict (for tests and benchmarks)."""
    header, _, body = data.partition(b"\n")
    return json.loads(header) | json.loads(body)


def follow(old_keys: list[str], old_step: int, new_keys: list[str]) -> int:
    """Where a new payload opens after ``old_step`` of the old one: the same key if the
    new payload has it, else step 1 (steps counted from 1)."""
    if 1 <= old_step <= len(old_keys) and old_keys[old_step - 1] in new_keys:
        return new_keys.index(old_keys[old_step - 1]) + 1
    return 1


def assets() -> dict[str, str]:
    """URLs of the vendored scripts (Plotly.js, KaTeX) under the app's static files."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    static = f"/{base}/app/static/vendor/" if base else "/app/static/vendor/"
    return {
        "plotly": static + PLOTLY_FILE,
        "katex_js": static + "katex/katex.min.js",
        "katex_css": static + "katex/katex.min.css",
    }


def player(packed: Packed, *, key: str, step: int | None = None, url_param: str = "step") -> int:
    """Show the step player for a packed payload (:func:`pack`); return the current step,
    counted from 1, as last reported by the browser.

    ``step`` is where to open when this payload is new to the session (e.g. a link's
    step), clamped to 1 … n; without it, a new payload opens at the key the session was
    at (else step 1). While the payload stays the same, the browser holds the step and
    the component's data is unchanged, so a rerun re-sends nothing but a reference.
    ``key`` names the player (letters, digits, ``_``); ``url_param`` the URL's parameter.
    """
    keys = list(packed.keys)
    name = f"_player_{key}"
    state = st.session_state.get(name)
    if state is None or state["id"] != packed.id:
        if step is None and state is not None:
            step = follow(state["keys"], state["step"], keys)
        start = min(max(int(step or 1), 1), len(keys))
        state = st.session_state[name] = dict(id=packed.id, keys=keys, mounted=start, step=start)
    if PLOTLY_PROBLEM:
        st.error(PLOTLY_PROBLEM, icon=":material/error:")
    header = dict(
        id=packed.id, name=key, step=state["mounted"], url_param=url_param, assets=assets()
    )
    _player(key=key, data=json.dumps(header).encode() + b"\n" + packed.body)
    _reporter(key)
    return state["step"]


def _ignore() -> None:
    """A state key of a component needs a callback; the fragment reads the value."""


@st.fragment
def _reporter(key: str) -> None:
    """The browser's step, reported into the session; a fragment, so a report reruns
    only this."""
    state = st.session_state[f"_player_{key}"]
    result = _report(
        key=f"{key}_report",
        data=dict(player=key, id=state["id"], step=state["step"]),
        on_step_change=_ignore,
    )
    reported = result.get("step")
    if (
        isinstance(reported, dict)
        and reported.get("id") == state["id"]
        and isinstance(reported.get("step"), int)
        and 1 <= reported["step"] <= len(state["keys"])
    ):
        state["step"] = reported["step"]
