"""Build & Step in a real browser: walk every step, share a link to a step, bad links."""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    SIDEBAR_NAV_LINK,
    assert_no_exception,
    open_app,
    shot,
    wait_for_rerun,
)

POSITION = re.compile(r"Step (\d+) of (\d+)")


def position(page: Page) -> tuple[int, int]:
    text = page.get_by_text(POSITION).first.inner_text()
    i, n = POSITION.search(text).groups()
    return int(i), int(n)


def heatmaps(page: Page) -> dict[str, np.ndarray]:
    """The tensor heatmaps on screen: name → the numbers written in its cells (row-major)."""
    charts = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].map(c => [
            c.querySelector('.gtitle')?.textContent ?? '',
            [...c.querySelectorAll('.heatmaplayer text')].map(t => t.textContent)])"""
    )
    return {
        title.split("·")[0].strip(): np.array([float(t) for t in texts])
        for title, texts in charts
        if texts
    }


def test_click_next_through_every_step_of_the_default_network(page: Page, app_url: str):
    open_app(page, f"{app_url}/build_and_step")
    # A deep link is served through app.py's st.navigation (wide layout, its own menu),
    # even as the first request a fresh server sees: with a folder named pages/ next to
    # app.py, Streamlit would run the page file alone in its legacy multipage mode.
    expect(page.locator(SIDEBAR_NAV_LINK).first).to_have_text(re.compile("Home"))
    assert position(page) == (1, 18)
    expect(page.get_by_text("forward pass").first).to_be_visible()
    nxt = page.get_by_role("button", name="Next", exact=True)
    seen = heatmaps(page)
    assert list(seen) == ["a(1)", "b(1)", "W(1)", "h(0)"]  # as a(1) = b(1) + W(1) h(0)
    for expected in range(2, 19):
        nxt.click()
        wait_for_rerun(page)
        assert_no_exception(page)
        assert position(page)[0] == expected
        # Each step draws its own tensors: one not seen before (the one it writes), and
        # every tensor shown again with the numbers it had (one trace, no stale chart).
        shown = heatmaps(page)
        assert set(shown) - set(seen), (expected, list(shown))
        for name in set(shown) & set(seen):
            np.testing.assert_array_equal(shown[name], seen[name], err_msg=name)
        seen |= shown
        if expected == 3:
            # The numbers in the cells are the step's: a(2) = b(2) + W(2) h(1), 3 digits.
            W, b, h, a = (shown[k] for k in ("W(2)", "b(2)", "h(1)", "a(2)"))
            np.testing.assert_allclose(a, W.reshape(3, 4) @ h + b, atol=0.01)
            shot(page, "build_and_step-forward-a2")
        if expected == 13:
            expect(page.get_by_text("∇W(2)").first).to_be_visible()
            shot(page, "build_and_step-backward-gradW2")
    expect(nxt).to_be_disabled()
    assert "step=18" in page.url
    # At the end of the backward pass an SGD update lowers the loss on the batch.
    page.get_by_role("button", name=re.compile("Apply")).click()
    wait_for_rerun(page)
    assert_no_exception(page)
    expect(page.get_by_text("Loss after")).to_be_visible()
    shot(page, "build_and_step-sgd-update")


def test_step_buttons_stay_in_view_beside_the_heatmaps(page: Page, app_url: str):
    """On a 1280 × 720 projector the heatmaps are below the fold: Next must stay at hand."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, f"{app_url}/build_and_step?step=3")
    page.get_by_text("This step writes").scroll_into_view_if_needed()
    nxt = page.get_by_role("button", name="Next", exact=True)
    box = nxt.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 720, box
    expect(page.get_by_text("This step writes")).to_be_in_viewport()
    nxt.click()
    wait_for_rerun(page)
    assert position(page)[0] == 4
    shot(page, "build_and_step-projector-scrolled")


def test_a_shared_link_reopens_the_same_step(page: Page, app_url: str):
    open_app(
        page, f"{app_url}/build_and_step?layers=3&g2=ReLU&loss=multiclass+hinge+%28SVM%29&step=12"
    )
    assert position(page)[0] == 12
    expect(page.get_by_text("backward").first).to_be_visible()
    assert_no_exception(page)


def test_a_garbled_link_falls_back_to_defaults_with_a_note(page: Page, app_url: str):
    open_app(page, f"{app_url}/build_and_step?layers=99&data=nonsense&step=abc")
    expect(page.get_by_text("could not be used")).to_be_visible()
    assert position(page) == (1, 18)
    shot(page, "build_and_step-bad-link")
