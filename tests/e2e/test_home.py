"""The home page and the navigation, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app import HOME_TITLE, available_pages
from tests.e2e.helpers import (
    PAGE_LINK,
    SIDEBAR_NAV,
    assert_no_exception,
    link_label,
    open_app,
    shot,
    sidebar_nav_links,
    slugify,
    wait_for_rerun,
)

pytestmark = pytest.mark.e2e


def expected_nav_titles() -> list[str]:
    """What the sidebar should list: Home plus every registered page whose file exists.

    Streamlit hides the navigation entirely when there is only one page.
    """
    titles = [spec.title for spec in available_pages()]
    return [HOME_TITLE, *titles] if titles else []


def test_home_page_loads_and_links_every_page(page: Page, app_url: str) -> None:
    open_app(page, app_url)

    expect(page.get_by_role("heading", name="Backprop Explorer", level=1)).to_be_visible()
    expect(page.get_by_text("one layer at a time", exact=True)).to_be_visible()

    nav_titles = [link_label(link) for link in sidebar_nav_links(page)]
    assert nav_titles == expected_nav_titles()
    if not nav_titles:
        expect(page.locator(SIDEBAR_NAV)).to_have_count(0)

    body_labels = [link_label(link) for link in page.locator(PAGE_LINK).all()]
    assert body_labels == [f"Open {spec.title}" for spec in available_pages()]

    shot(page, "home")


def test_every_listed_page_opens_without_exception(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    titles = [link_label(link) for link in sidebar_nav_links(page)]
    assert titles == expected_nav_titles()

    for title in titles:
        link = page.get_by_test_id("stSidebarNavLink").filter(has_text=title)
        link.click()
        wait_for_rerun(page)
        # The menu marks the page being shown: proof the click really navigated.
        expect(link).to_have_attribute("aria-current", "page")
        assert_no_exception(page)
        shot(page, slugify(title))
