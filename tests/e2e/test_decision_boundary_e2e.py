"""The decision-boundary page in a real browser: train on circles, see both boundaries and
the curves, scrub the playback slider, replay training, and share a link."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    assert_no_exception,
    open_app,
    shot,
    wait_for_charts,
    wait_for_rerun,
)

PAGE_PATH = "/decision_boundary"
CHART = ".bp-chart"  # ui.chart.draw: a shared spec drawn by Plotly.js


def open_page(page: Page, app_url: str, query: str = "") -> None:
    """Open the page by its URL, as a shared link does."""
    open_app(page, app_url + PAGE_PATH + query, timeout=60_000)
    # wait_for_charts passes while the charts are still placeholders; wait for a drawn one.
    page.locator(f"{CHART} .main-svg").first.wait_for()
    wait_for_charts(page)


def boundaries_chart(page: Page) -> Locator:
    """The animated two-panel chart: the only one with a Plotly slider."""
    return page.locator(CHART).filter(has=page.locator(".slider-container")).first


def current_epoch(chart: Locator) -> Locator:
    """The slider's current-value text ("epoch 37"): its first label, outside the ticks."""
    return chart.locator(".slider-container text.slider-label").first


def panel_titles(chart: Locator) -> list[str]:
    # SVG text: text_content, not inner_text; a <br> joins the lines without a space.
    return [t.strip() for t in chart.locator(".annotation-text").all_text_contents()]


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar selectbox labelled ``label``."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def train(page: Page) -> float:
    """Press Train; return the seconds from the click until every chart is drawn again."""
    start = time.perf_counter()
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("^Train")).click()
    wait_for_rerun(page, timeout=60_000)
    wait_for_charts(page)
    return time.perf_counter() - start


def test_train_on_circles_then_scrub_and_replay(page: Page, app_url: str) -> None:
    open_page(page, app_url)
    expect(page.get_by_role("heading", name=re.compile("Decision boundary"))).to_be_visible()

    choose(page, "Dataset", "circles")
    seconds = train(page)
    print(f"\nTrain click → figures drawn (circles, defaults): {seconds:.2f} s")
    assert_no_exception(page)
    assert "data=circles" in page.url

    chart = boundaries_chart(page)
    expect(chart).to_be_visible()
    titles = panel_titles(chart)
    assert any(t.startswith("Linear classifier") for t in titles), titles
    assert any(t.startswith("MLP") for t in titles), titles
    assert all("epoch 300" in t for t in titles), titles
    expect(current_epoch(chart)).to_have_text("epoch 300")
    # The linear model fails on circles, the MLP succeeds: the metrics say so.
    metrics = page.get_by_test_id("stMetricValue").all_inner_texts()
    test_accuracies = [float(v.rstrip("%")) for v in metrics[1::4]]
    assert test_accuracies[0] < 75 < 95 <= test_accuracies[1], metrics
    # Curves: one chart with train and test lines of both models.
    expect(page.get_by_text("Loss and accuracy over the epochs")).to_be_visible()
    expect(page.locator(CHART).nth(1).locator(".legendtext").first).to_be_visible()
    chart.scroll_into_view_if_needed()
    shot(page, "decision_boundary-circles-trained")

    # Drag the playback slider to its start: both panels show the untrained models.
    rail = chart.locator(".slider-rail-touch-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    assert box is not None
    grip = chart.locator(".slider-grip-rect").first.bounding_box()
    assert grip is not None
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 2, grip["y"] + grip["height"] / 2, steps=8)
    page.mouse.up()
    expect(current_epoch(chart)).to_have_text("epoch 0")
    expect(chart.locator(".annotation-text").first).to_contain_text("epoch 0")
    shot(page, "decision_boundary-circles-epoch0")

    # ▶ replays training: the epoch label moves on its own and ends at the last epoch.
    # (shot() has just resized the window: let the chart settle before clicking.)
    play = chart.get_by_text("Play training")
    play.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    play.click()
    expect(current_epoch(chart)).not_to_have_text("epoch 0", timeout=15_000)
    expect(current_epoch(chart)).to_have_text("epoch 300", timeout=15_000)
    assert_no_exception(page)


def test_sections_and_one_click_experiments(page: Page, app_url: str) -> None:
    open_page(page, app_url, "?data=circles")
    page.get_by_role("button", name=re.compile("Train the MLP with λ")).click()
    wait_for_rerun(page, timeout=60_000)
    page.get_by_role("button", name="Train the MLP with identity activations").click()
    wait_for_rerun(page, timeout=60_000)
    assert_no_exception(page)
    expect(page.locator(CHART)).to_have_count(5)
    wait_for_charts(page)
    titles = page.locator(f"{CHART} .annotation-text").all_text_contents()
    for expected in ("λ = 0 (above)", "λ = 0.001", "λ = 0.01", "λ = 0.1", "identity g"):
        assert any(expected in t for t in titles), (expected, titles)
    expect(page.get_by_text("only rounding")).to_be_visible()
    shot(page, "decision_boundary-full-page")


def test_a_diverging_link_shows_the_engines_message(page: Page, app_url: str) -> None:
    open_page(page, app_url, "?lr=10&act=leaky+ReLU")
    expect(page.get_by_text(re.compile("diverged at epoch \\d+")).first).to_be_visible()
    assert_no_exception(page)
    shot(page, "decision_boundary-diverged")


def test_a_garbled_link_gets_a_note_and_the_defaults(page: Page, app_url: str) -> None:
    open_page(page, app_url, "?n=99999&data=swiss&lr=abc")
    expect(page.get_by_text("could not be used")).to_be_visible()
    expect(page.get_by_text("n=99999")).to_be_visible()
    assert_no_exception(page)
