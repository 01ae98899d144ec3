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
