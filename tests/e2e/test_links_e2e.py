"""Links and settings in a real browser: each page keeps its own settings across a page
switch and the Back button, and a network file loaded through Build & Step shows its
numbers at ∇a(L+1)."""

from __future__ import annotations

import json
import re

import numpy as np
from playwright.sync_api import Page, expect

from engine.network_file import load_preset, to_json
from tests.e2e.helpers import (
    CURRENT_STEP,
    SIDEBAR_NAV_LINK,
    assert_no_exception,
    open_app,
    player_position,
    shot,
    wait_for_rerun,
    wait_for_step,
)


def nav(page: Page, title: str) -> None:
    page.locator(SIDEBAR_NAV_LINK).filter(has_text=title).click()
    wait_for_rerun(page)


def sidebar_value(page: Page, label: str) -> str:
    return page.get_by_test_id("stSidebar").get_by_label(label, exact=True).input_value()


def test_a_page_switch_and_back_keep_each_pages_settings(page: Page, app_url: str) -> None:
    open_app(page, app_url + "/build_and_step?data=circles&layers=1&seed=2")
    wait_for_step(page)
    assert sidebar_value(page, "Seed (data, weights, mini-batch)") == "2"
    nav(page, "Decision boundary")
    page.get_by_test_id("stSidebar").get_by_label("Seed", exact=True).fill("7")
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("^Train")).click()
    wait_for_rerun(page, timeout=60_000)
    assert "seed=7" in page.url
    assert_no_exception(page)  # Build & Step's layers=1 never reaches this page's widget

    page.go_back()
    wait_for_rerun(page)
    wait_for_step(page)
    assert re.search(r"/build_and_step\?", page.url), page.url
    for part in ("data=circles", "layers=1", "seed=2"):
        assert part in page.url, page.url
    assert sidebar_value(page, "Seed (data, weights, mini-batch)") == "2"

    nav(page, "Decision boundary")  # the menu drops the query; the session keeps it
    assert sidebar_value(page, "Seed") == "7" and "seed=7" in page.url
    nav(page, "Build & Step")
    wait_for_step(page)
    assert sidebar_value(page, "Seed (data, weights, mini-batch)") == "2"
    assert_no_exception(page)


def test_a_network_file_loaded_through_the_page_shows_its_numbers(
    page: Page, app_url: str, tmp_path
) -> None:
    state = load_preset("note003_softmax_class3")
    path = tmp_path / "note003.json"
    path.write_text(to_json(state))
    open_app(page, app_url + "/build_and_step")
    wait_for_step(page)
    page.get_by_text("Your own numbers: data, weights, save and load").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(path))
    wait_for_rerun(page)
    wait_for_step(page)
    assert_no_exception(page)
    # The file's step is ∇a(1) = f(x) − e(y): its numbers in the heatmap's cells.
    expect(page.locator(CURRENT_STEP).get_by_text("∇a(1)").first).to_be_visible()
    assert player_position(page)[0] == 4
    W, b = state.params["W1"], state.params["b1"]
    a = b + W @ state.data[0][0]
    p = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    expected = p - np.array([0, 0, 1, 0])
    texts = page.evaluate(
        f"""() => [...document.querySelectorAll('{CURRENT_STEP} .bp-row .bp-plot')]
            .filter(c => (c.querySelector('.gtitle')?.textContent ?? '').startsWith('∇a(1)'))
            .map(c => [...c.querySelectorAll('.heatmaplayer text')].map(t => t.textContent))"""
    )
    cells = np.array([float(t.replace("−", "-")) for t in texts[0]])
    np.testing.assert_allclose(cells, expected, rtol=6e-3)
    expect(page.get_by_text("A link carries settings, not")).to_be_visible()
    shot(page, "build_and_step-loaded-note003")
    assert json.loads(to_json(state))["data"]["y"] == [3]
