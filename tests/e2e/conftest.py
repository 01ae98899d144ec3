"""Fixtures for the real-browser tests: a `streamlit run app.py` server on a loopback port
and headless Debian Chromium driven by Playwright.

Playwright never downloads a browser here: Chromium comes from ``$CHROMIUM_PATH`` or
``/usr/bin/chromium`` (``apt-get install -y chromium``). Without it the tests are skipped,
except under CI (env ``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, REPO_ROOT, SCREENSHOT_DIR, slugify
from tests.e2e.server import ServerError, chromium_executable, launch_chromium, streamlit_server

ARTIFACTS_DIR = REPO_ROOT / "artifacts"
SERVER_LOG = ARTIFACTS_DIR / "e2e" / "streamlit-server.log"
VIEWPORT = {"width": 1600, "height": 1000}  # projector-like


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/e2e is a browser test, whether or not its module says so.
    e2e_dir = Path(__file__).parent
    for item in items:
        if e2e_dir in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    # Keep each phase's report on the item so the `page` fixture can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium executable; skips (or fails under CI) when it is missing."""
    path = chromium_executable()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        message = (
            f"Chromium not found at {path}: install it with `apt-get install -y chromium` "
            "or set CHROMIUM_PATH"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def app_url(chromium_path: str) -> Iterator[str]:
    """Base URL of a fresh `streamlit run app.py` server, stopped at the end of the session.

    Depends on `chromium_path` only so that no server is started when the browser tests
    are going to be skipped anyway.
    """
    try:
        with streamlit_server(SERVER_LOG) as url:
            yield url
    except ServerError as error:  # raised while starting; test failures never reach here
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """Headless Debian Chromium, shared by the whole session."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (own cookies, own Streamlit session) and page per test.

    If the test fails, a screenshot of the page as it was is saved to
    ``artifacts/e2e/FAILED-<test name>.png``.
    """
    context = browser.new_context(viewport=VIEWPORT)
    new_page = context.new_page()
    new_page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield new_page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOT_DIR / f"FAILED-{slugify(request.node.name)}.png"
            try:
                new_page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # the page may be what broke; keep the real failure
                print(f"could not save {path}: {error}", file=sys.stderr)
    finally:
        context.close()
