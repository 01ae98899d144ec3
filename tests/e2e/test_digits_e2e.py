"""The digits page in a real browser: open it, both models train (defaults), the accuracies
and the ten templates show, and the chosen test image's trace steps with the player's Next
button, the URL following; a digit drawn on the grid, a bad cell named and then fixed.
Screenshots at 1280 × 720, a projector's size."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from threadpoolctl import threadpool_limits

from engine.digits import DigitsConfig, pick_test_image, train_digits
from tests.e2e.helpers import (
    CURRENT_STEP,
    BrowserErrors,
    assert_no_exception,
    open_app,
    player_position,
    shot,
    wait_for_charts,
    wait_for_rerun,
    wait_for_step,
)
from ui.digits import CELL_HEIGHT, CELL_WIDTH

PROJECTOR = {"width": 1280, "height": 720}
CHART = ".bp-chart"
IMAGE = 17


def test_train_both_see_templates_and_step_a_digit(page: Page, app_url: str) -> None:
    errors = BrowserErrors(page)
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/digits?image={IMAGE}", timeout=90_000)
    expect(page.get_by_role("heading", name="Digits", exact=True)).to_be_visible()
    shot(page, "digits-1280x720-top")

    # Both accuracies, as the engine computes them for the same (default) settings.
    with threadpool_limits(limits=1, user_api="blas"):  # as the server runs (ui/__init__.py)
        expected = train_digits(DigitsConfig())
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    accuracies = [v for label, v in zip(labels, values, strict=True) if label == "test accuracy"]
    assert accuracies == [f"{r.test_accuracy:.1%}" for r in (expected.linear, expected.mlp)]

    # The ten templates: one panel per digit, titled by the digit.
    templates = page.locator(CHART).filter(has_text="one 8 × 8 template per digit")
    templates.scroll_into_view_if_needed()
    titles = [t.strip() for t in templates.locator(".annotation-text").all_text_contents()]
    assert titles == [f"digit {d}" for d in range(10)]
    shot(page, "digits-1280x720-templates")

    # One digit: the link's image, stepped with Next; the URL keeps the image and the step.
    _, digit = pick_test_image(IMAGE)
    player = page.locator(".bp-player")
    player.scroll_into_view_if_needed()
    wait_for_step(page)
    assert player_position(page) == (1, 12)  # [64, 32, 10]: 5 forward, 7 backward
    current = page.locator(CURRENT_STEP)
    expect(current).to_contain_text(f"Test image {IMAGE}, true digit y = {digit}")
    expect(current.locator(".gtitle").filter(has_text="h(0) = x")).to_have_count(1)
    for step in (2, 3, 4, 5):
        player.get_by_role("button", name="Next").click()
        expect(page.locator(".bp-player .bp-position")).to_contain_text(f"Step {step} of 12")
    wait_for_step(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '5'")
    query = parse_qs(urlparse(page.url).query)
    assert query["image"] == [str(IMAGE)] and query["step"] == ["5"]
    player.scroll_into_view_if_needed()
    wait_for_charts(page)
    shot(page, "digits-1280x720-player-step5")
    # The backward pass reads h(0) again: ∇W(1) = ∇a(1) h(0)^T, the last but one step.
    player.get_by_role("button", name="Last").click()
    player.get_by_role("button", name="Prev").click()
    wait_for_step(page)
    expect(current.locator(".gtitle").filter(has_text=re.compile(r"∇W\(1\)"))).to_have_count(1)
    expect(current.locator(".gtitle").filter(has_text="h(0) = x")).to_have_count(1)
    shot(page, "digits-1280x720-player-gradW1")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def type_into_cell(page: Page, grid: Locator, row: int, column: int, text: str) -> None:
    """Open cell (row, column), counted from 1, of the 8 × 8 drawing grid (a canvas) and
    type ``text`` over its value, without Enter: an Enter then a click within ~0.1 s can
    submit the form before the grid has stored the edit, while a click alone commits it.
    The grid's header and index sizes follow from its box: 8 rows of CELL_HEIGHT and 8
    columns of CELL_WIDTH pixels (ui/digits.py)."""
    editor = page.locator("input.gdg-input")  # the cell's editor, over the canvas
    for _ in range(5):  # a grid drawn moments ago may miss a double click (or move)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box is not None
        x = box["x"] + box["width"] - 8 * CELL_WIDTH + CELL_WIDTH * (column - 0.5)
        y = box["y"] + box["height"] - 8 * CELL_HEIGHT + CELL_HEIGHT * (row - 0.5)
        page.mouse.dblclick(x, y)
        try:
            editor.wait_for(timeout=2_000)
            break
        except PlaywrightTimeoutError:
            continue
    editor.fill(text)  # left open: "Use this drawing" commits it, as a user's click does


def use_drawing(page: Page) -> None:
    page.get_by_role("button", name="Use this drawing").click()
    expect(page.locator("input.gdg-input")).to_have_count(0)
    wait_for_rerun(page, timeout=60_000)
    wait_for_step(page)


def test_draw_a_digit_on_the_grid(page: Page, app_url: str) -> None:
    errors = BrowserErrors(page)
    page.set_viewport_size(PROJECTOR)
    ink, digit = pick_test_image(IMAGE)
    copied = (ink * 16).tolist()  # ink levels 0 … 16, as the grid shows them
    link = ",".join(f"{v:g}" for v in copied)
    open_app(page, f"{app_url}/digits?src=draw&ink={link}&meant={digit}", timeout=90_000)
    query = parse_qs(urlparse(page.url).query)
    assert [float(v) for v in query["ink"][0].split(",")] == copied

    wait_for_step(page)
    grid = page.get_by_test_id("stDataFrame")
    type_into_cell(page, grid, 2, 3, "20")  # off the ink scale
    use_drawing(page)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("row 2, column 3: 20 is outside the ink scale", timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["ink"] == query["ink"]  # nothing applied
    shot(page, "digits-1280x720-drawing-bad-cell")

    type_into_cell(page, grid, 2, 3, "8")
    use_drawing(page)
    expect(error).to_have_count(0, timeout=30_000)
    drawn = [float(v) for v in parse_qs(urlparse(page.url).query)["ink"][0].split(",")]
    assert drawn == copied[:10] + [8.0] + copied[11:]  # row 2, column 3 is input 8 + 3
    expect(page.locator(CURRENT_STEP)).to_contain_text(f"Your drawing, meant as digit y = {digit}")
    shot(page, "digits-1280x720-drawing")
    assert_no_exception(page)
    assert errors.seen == []  # no page error, also when a new payload replaces the player
