"""The "Gradient check" page in a real browser on a 1280 × 720 projector: the default
network passes, a link with a planted bug fails and names where, and a malformed file
leaves the page as it was with its message."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from engine.network_file import PRESET_DIR
from tests.e2e.helpers import (
    SCREENSHOT_DIR,
    BrowserErrors,
    assert_no_exception,
    open_app,
    shot,
    wait_for_charts,
    wait_for_rerun,
)

PROJECTOR = {"width": 1280, "height": 720}
CHART = ".bp-chart"


def open_page(page: Page, app_url: str, query: str = "") -> BrowserErrors:
    errors = BrowserErrors(page)
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/gradient_check{query}", timeout=60_000)
    page.locator(f"{CHART} .main-svg").first.wait_for()
    wait_for_charts(page)
    return errors


def first_screen(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def checks(page: Page, kind: str) -> list[str]:
    """The check sentences in the alerts of ``kind`` ("Success", "Error"), without the
    icon's ligature text before them."""
    texts = page.get_by_test_id(f"stAlertContent{kind}").all_inner_texts()
    return [t[t.index("Checked") :].strip() for t in texts if "Checked" in t]


def test_the_default_network_passes(page: Page, app_url: str) -> None:
    errors = open_page(page, app_url)
    (right,) = checks(page, "Success")
    assert "all 35 parameters" in right and right.endswith("reads right.")
    expect(page.get_by_text("The step size h")).to_be_visible()
    # Every figure from the shared specs: 1 + 6 for the check, the sweep, 1 + 4 for the bug.
    expect(page.locator(CHART)).to_have_count(13)  # each drawn: open_page waited
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(0)
    first_screen(page, "gradient_check-1280x720")
    shot(page, "gradient_check-full")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_a_link_with_a_planted_bug_fails_and_names_where(page: Page, app_url: str) -> None:
    errors = open_page(page, app_url, "?g1=relu&g2=relu&bug=g_for_gprime")
    (wrong,) = checks(page, "Error")
    assert "reads wrong" in wrong and "Wrong in W(1), b(1), W(2), b(2)." in wrong
    bug = page.get_by_role("heading", name="Planted bugs")
    bug.scroll_into_view_if_needed()
    first_screen(page, "gradient_check-bug-1280x720")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_a_malformed_file_leaves_the_page_as_it_was(page: Page, app_url: str, tmp_path) -> None:
    errors = BrowserErrors(page)
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/gradient_check?source=file", timeout=60_000)
    expect(page.get_by_text("Upload a network file")).to_be_visible()
    good = tmp_path / "mine.json"
    good.write_bytes((PRESET_DIR / "note000_two_hidden_layers.json").read_bytes())
    dropzone = page.get_by_test_id("stFileUploaderDropzoneInput")
    dropzone.set_input_files(str(good))
    expect(page.get_by_text("Sizes 2 → 2 → 2 → 2")).to_be_visible()
    wait_for_rerun(page)
    wait_for_charts(page)
    before = checks(page, "Success")

    bad = tmp_path / "bad.json"
    doc = json.loads(good.read_text())
    doc["version"] = 2
    bad.write_text(json.dumps(doc))
    dropzone.set_input_files(str(bad))
    expect(page.get_by_text("bad.json cannot be used")).to_be_visible()
    expect(page.get_by_text('"version" must be 1, got 2')).to_be_visible()
    expect(page.get_by_text("Sizes 2 → 2 → 2 → 2")).to_be_visible()
    wait_for_rerun(page)  # the message shows before the run has drawn the rest again
    wait_for_charts(page)
    expect(page.get_by_text(before[0])).to_be_visible()
    assert checks(page, "Success") == before
    first_screen(page, "gradient_check-bad-file-1280x720")
    assert_no_exception(page)
    assert not errors.seen, errors.seen
