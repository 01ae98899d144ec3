"""Helpers for driving the Streamlit app in a real browser (Playwright, sync API).

The selectors below are the ``data-testid`` attributes Streamlit 1.67 renders; they were
checked against a running app, not guessed. The script state of the current run is on the
root element: ``<div data-testid="stApp" data-test-script-state="...">`` with states
``initial`` (before the first run), ``running``, ``notRunning``, ``rerunRequested``,
``stopRequested`` and ``compilationError``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "e2e"

APP = "[data-testid=stApp]"
SCRIPT_RUNNING = f"{APP}[data-test-script-state=running]"
EXCEPTION = "[data-testid=stException]"
SIDEBAR_NAV = "[data-testid=stSidebarNav]"
SIDEBAR_NAV_LINK = "[data-testid=stSidebarNavLink]"
PAGE_LINK = "[data-testid=stPageLink-NavLink]"
MAIN = "[data-testid=stMain]"

# True once the script has finished (successfully or with an error shown on the page) and
# the websocket is up. "initial" does not count: the first run has not happened yet.
_APP_IDLE_JS = """
() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    const state = app.getAttribute('data-test-script-state');
    const connection = app.getAttribute('data-test-connection-state');
    return (state === 'notRunning' || state === 'compilationError')
        && (connection === null || connection === 'CONNECTED');
}
"""

DEFAULT_TIMEOUT_MS = 20_000


def wait_for_rerun(
    page: Page, timeout: float = DEFAULT_TIMEOUT_MS, start_grace: float = 500
) -> None:
    """Wait until the script run triggered by the last action has finished.

    Call it right after an action that makes Streamlit rerun (a click, a widget change, a
    navigation). The rerun starts asynchronously, so first give it up to ``start_grace``
    ms to show ``running``; a very fast rerun may start and finish between two polls and
    never be seen running, which is why not seeing it is not an error. Then wait up to
    ``timeout`` ms for the app to be idle (``notRunning``) again.
    """
    if start_grace > 0:  # Playwright treats timeout=0 as "no timeout"
        try:
            page.locator(SCRIPT_RUNNING).wait_for(state="attached", timeout=start_grace)
        except PlaywrightTimeoutError:
            pass
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout)


def assert_no_exception(page: Page) -> None:
    """Fail the test if the app shows any exception box (st.exception or an uncaught error)."""
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        details = "\n\n".join(text.strip() for text in boxes.all_inner_texts())
        pytest.fail(f"The app shows {boxes.count()} exception(s) at {page.url}:\n{details}")


def open_app(page: Page, url: str, *, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Load ``url`` and wait until the app has rendered and its first script run is over.

    The navigation menu arrives before the page body in the same run, so once the first
    run is over the sidebar nav is on the page, if there is one: Streamlit shows no nav
    (no sidebar at all) when only one page is registered.
    """
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.locator(APP).wait_for(state="visible", timeout=timeout)
    # The root starts in "initial", so waiting for idle cannot pass before the first run.
    wait_for_rerun(page, timeout=timeout, start_grace=0)
    page.locator(MAIN).wait_for(state="visible", timeout=timeout)
    wait_for_charts(page, timeout=timeout)
    assert_no_exception(page)


def sidebar_nav_links(page: Page) -> list[Locator]:
    """The sidebar navigation links, in menu order (empty when the app has a single page)."""
    return page.locator(SIDEBAR_NAV_LINK).all()


def link_label(link: Locator) -> str:
    """The visible label of a nav or page link, without the icon's ligature text."""
    return link.get_by_test_id("stMarkdownContainer").inner_text().strip()


def slugify(text: str) -> str:
    """``"Build & Step"`` -> ``"build-step"``: a safe file name for a screenshot."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


# Streamlit scrolls inside stMain (and the sidebar) rather than the document, so
# Playwright's full_page=True alone only captures the viewport.
_CONTENT_HEIGHT_JS = """
() => Math.max(
    window.innerHeight,
    ...['stMain', 'stSidebarContent'].map(id => {
        const el = document.querySelector(`[data-testid="${id}"]`);
        return el ? el.scrollHeight : 0;
    }),
)
"""
_MAX_SHOT_HEIGHT = 12_000


_CHARTS_DRAWN_JS = """
() => !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('.bp-chart')]
        .every(chart => chart.querySelector('.main-svg') || chart.dataset.failed)
"""


def wait_for_charts(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the page has drawn: widgets and charts load their code lazily and show
    a skeleton meanwhile, then every Plotly chart has its SVG (or says why it has none)."""
    page.wait_for_function(_CHARTS_DRAWN_JS, timeout=timeout)


def shot(page: Page, name: str) -> Path:
    """Save a screenshot of the whole app to ``artifacts/e2e/<name>.png``; return its path.

    Waits for the Plotly charts to draw first. When the content is taller than the window,
    the viewport is stretched to the content height for the screenshot and restored.
    """
    wait_for_charts(page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    size = page.viewport_size
    height = min(int(page.evaluate(_CONTENT_HEIGHT_JS)), _MAX_SHOT_HEIGHT)
    if size is None or height <= size["height"]:
        page.screenshot(path=str(path), full_page=True)
        return path
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


# The step player (ui/player.py): the step it shows.
CURRENT_STEP = ".bp-player .bp-step:not(.bp-away)"
_STEP_DRAWN_JS = """
() => {
    const sec = document.querySelector('.bp-player .bp-step:not(.bp-away)');
    return !!sec
        && [...sec.querySelectorAll('.bp-plot')].every(p => p.querySelector('.main-svg'))
        && [...sec.querySelectorAll('.bp-latex')].every(l => l.querySelector('.katex'));
}
"""


def wait_for_step(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the player shows a step with every figure and equation drawn."""
    page.wait_for_function(_STEP_DRAWN_JS, timeout=timeout)


def player_position(page: Page) -> tuple[int, int]:
    """(i, n) from the player's "Step i of n" line."""
    text = page.locator(".bp-player .bp-position").inner_text()
    match = re.search(r"Step (\d+) of (\d+)", text)
    assert match, f"no step position in {text!r}"
    return int(match.group(1)), int(match.group(2))


class BrowserErrors:
    """Uncaught page errors and console errors, except the 404s of Streamlit's own probes
    (a deep link such as /build_and_step first asks /build_and_step/_stcore/health)."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if "/_stcore/" in where:
            return
        self.seen.append(f"console: {message.text} ({where})")


class StreamlitTraffic:
    """The app's websocket messages, decoded: what the page asked for (BackMsg) and what
    the server sent (ForwardMsg), from the moment of creation (or the last ``clear``)."""

    def __init__(self, page: Page) -> None:
        self.frames: list[tuple[str, bytes]] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framesent", lambda payload: self._keep("out", payload))
        ws.on("framereceived", lambda payload: self._keep("in", payload))

    def _keep(self, direction: str, payload) -> None:
        if isinstance(payload, bytes):
            self.frames.append((direction, payload))

    def clear(self) -> None:
        self.frames.clear()

    def sent(self) -> list:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        return [BackMsg.FromString(f) for d, f in self.frames if d == "out"]

    def received(self) -> list:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        return [ForwardMsg.FromString(f) for d, f in self.frames if d == "in"]

    def bytes_received(self) -> int:
        return sum(len(f) for d, f in self.frames if d == "in")

    def finished_runs(self) -> list[int]:
        """The ``script_finished`` status of every run since the last clear."""
        messages = self.received()
        return [m.script_finished for m in messages if m.WhichOneof("type") == "script_finished"]

    def wait_for_runs(self, page: Page, count: int = 1, timeout: float = 10_000) -> None:
        """Wait until ``count`` script runs (full or fragment) have finished."""
        waited = 0.0
        while len(self.finished_runs()) < count:
            if waited > timeout:
                raise AssertionError(f"{count} run(s) expected, saw {self.finished_runs()}")
            page.wait_for_timeout(50)
            waited += 50
