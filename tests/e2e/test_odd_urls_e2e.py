"""A page at an odd URL (an extra segment, a file path) opens that page, never a blank one."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import assert_no_exception, open_app


def test_odd_urls_open_the_page_they_name(page: Page, app_url: str) -> None:
    for odd, title, path in [
        ("/decision_boundary/extra?seed=7", "Decision boundary", "/decision_boundary?seed=7"),
        ("/app_pages/build_and_step.py", "Build & Step", "/build_and_step"),
        ("/a/b/c", "Backprop Explorer", "/"),
    ]:
        open_app(page, app_url + odd, timeout=60_000)
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
        assert re.sub(r"&?step=\d+", "", page.url).rstrip("?").endswith(path.rstrip("?")), (
            odd,
            page.url,
        )
        assert_no_exception(page)
