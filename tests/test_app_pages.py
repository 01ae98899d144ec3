"""The app's entry point and every page script, run headless with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import PAGES, available_pages

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_FILE = REPO_ROOT / "app.py"
# Files starting with "_" are helper modules, not pages.
PAGE_FILES = sorted(p for p in (REPO_ROOT / "app_pages").glob("*.py") if not p.name.startswith("_"))


def run_app() -> AppTest:
    return AppTest.from_file(str(APP_FILE), default_timeout=30).run()


def test_home_renders_intro_without_exception() -> None:
    at = run_app()

    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Backprop Explorer"]
    assert any("one layer at a time" in md.value for md in at.markdown)


def test_home_links_every_available_page_in_registry_order() -> None:
    at = run_app()

    labels = [link.proto.label for link in at.page_link]
    assert labels == [f"**Open {spec.title}**" for spec in available_pages()]


def test_every_page_file_is_registered() -> None:
    # A page that is not in app.PAGES would never appear in the navigation.
    registered = {(REPO_ROOT / spec.path).resolve() for spec in PAGES}
    unregistered = [p.name for p in PAGE_FILES if p.resolve() not in registered]
    assert not unregistered, f"add these to PAGES in app.py: {unregistered}"


@pytest.mark.parametrize(
    "page_file",
    [pytest.param(p, id=p.name) for p in PAGE_FILES]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no app_pages/*.py exist yet"))],
)
def test_page_runs_without_exception(page_file: Path) -> None:
    # Open the page the way the app does: through app.py's navigation.
    at = run_app()
    at.switch_page(str(page_file.relative_to(REPO_ROOT))).run()

    assert not at.exception, [e.value for e in at.exception]


def test_the_server_trains_the_pages_presets_as_it_starts(monkeypatch) -> None:
    """A class's first page opens find the default trainings ready (app.lifespan)."""
    import asyncio
    import time
    from concurrent.futures import ThreadPoolExecutor

    from app import lifespan
    from ui import memory

    monkeypatch.setattr(memory, "keep", lambda: None)  # not the test process's memory thread
    from engine.boundary import BoundaryConfig
    from engine.digits import DigitsConfig
    from ui.boundary import COMPARE
    from ui.digits import TRAIN
    from ui.work import NotCached

    def ready(cached, config) -> bool:
        try:
            cached(config, _only_if_cached=True)
        except NotCached:
            return False
        return True

    async def start_and_stop() -> None:
        async with lifespan(None):
            pass

    COMPARE.clear(), TRAIN.clear()  # as on a fresh server, whatever ran before
    assert not ready(COMPARE, BoundaryConfig())
    # In a thread of its own: the browser tests' Playwright may hold this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, start_and_stop()).result()
    presets = [(COMPARE, BoundaryConfig()), (TRAIN, DigitsConfig())]
    deadline = time.monotonic() + 120
    while not all(ready(*p) for p in presets) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert COMPARE(BoundaryConfig(), _only_if_cached=True).config == BoundaryConfig()
    assert TRAIN(DigitsConfig(), _only_if_cached=True).config == DigitsConfig()
