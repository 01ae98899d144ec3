"""Hostile links against the real server in Chromium, seeded: every page, random URL values
(inf, nan, 1e999, negative, huge, empty, unicode, repeated keys, <script>), page switches
in between. No link may show a traceback, break the page, or run script it carries."""

from __future__ import annotations

import random
from urllib.parse import quote

from playwright.sync_api import Page

from app import available_pages
from tests.e2e.helpers import EXCEPTION, SIDEBAR_NAV_LINK, BrowserErrors, open_app, wait_for_rerun
from tests.test_ui_params import TABLES

SEED = 20261123
LINKS_PER_PAGE = 3
HOSTILE = [
    "inf", "-inf", "nan", "1e999", "-1", "-1e309", "9" * 400, "", "2.0", "١٢", "😀",
    "<script>window.__pwned=1</script>", "x" * 5000, "0x1F", "%00", "' OR 1=1",
]  # fmt: skip


def hostile_link(rng: random.Random, path: str) -> str:
    names = [p.name for p in TABLES[path].rows] + ["zz", "<b>"]
    pairs = []
    for name in rng.sample(names, k=min(len(names), rng.randint(2, 6))):
        for _ in range(rng.choice([1, 1, 2])):  # sometimes the same key twice
            pairs.append(f"{quote(name)}={quote(rng.choice(HOSTILE))}")
    return "?" + "&".join(pairs)


def test_hostile_links_on_every_page_never_break_it(page: Page, app_url: str) -> None:
    rng = random.Random(SEED)
    errors = BrowserErrors(page)
    for spec in available_pages():
        slug = spec.path.removeprefix("app_pages/").removesuffix(".py")
        for _ in range(LINKS_PER_PAGE):
            link = hostile_link(rng, spec.path)
            open_app(page, f"{app_url}/{slug}{link}", timeout=60_000)
            assert page.locator(EXCEPTION).count() == 0, link
            assert page.evaluate("() => window.__pwned === undefined"), link
            # A page switch in between: the other page's widgets take none of these values.
            others = [s for s in available_pages() if s is not spec]
            target = rng.choice(others)
            page.locator(SIDEBAR_NAV_LINK).filter(has_text=target.title).first.click()
            wait_for_rerun(page, timeout=60_000)
            assert page.locator(EXCEPTION).count() == 0, (link, target.title)
    assert not errors.seen, errors.seen
