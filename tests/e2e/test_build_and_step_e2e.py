"""Build & Step in a real browser: the step player (buttons, keys, URL, reload), every step
drawn without an error, no rerun per step, the SGD update, links, and the layout on a
projector and a phone."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from engine import MLP, make_dataset
from tests.e2e.helpers import (
    CURRENT_STEP,
    SCREENSHOT_DIR,
    SIDEBAR_NAV_LINK,
    BrowserErrors,
    StreamlitTraffic,
    assert_no_exception,
    open_app,
    player_position,
    shot,
    wait_for_rerun,
    wait_for_step,
)

LARGEST = "layers=4&w1=16&w2=16&w3=16&w4=16&g1=sigmoid&g2=sigmoid&minibatch=true&size=32"


def open_player(page: Page, url: str) -> None:
    open_app(page, url)
    wait_for_step(page)


def url_step(page: Page) -> int | None:
    values = parse_qs(urlparse(page.url).query).get("step")
    return int(values[0]) if values else None


def heatmaps(page: Page) -> dict[str, np.ndarray]:
    """The current step's heatmaps: name → the numbers written in its cells (row-major)."""
    charts = page.evaluate(
        f"""() => [...document.querySelectorAll('{CURRENT_STEP} .bp-row .bp-plot')].map(c => [
            c.querySelector('.gtitle')?.textContent ?? '',
            [...c.querySelectorAll('.heatmaplayer text')].map(t => t.textContent)])"""
    )
    return {
        title.split("·")[0].strip(): np.array([float(t.replace("−", "-")) for t in texts])
        for title, texts in charts
        if texts
    }


def default_trace():
    """The engine's trace for the page's defaults: moons, example 0, [2, 4, 3, 2] tanh."""
    X, y = make_dataset("moons", 200, 0.1, 0, 2)
    return MLP([2, 4, 3, 2], "tanh", "softmax_ce", "xavier", 0).trace(X[:1], y[:1])


def assert_cells_show(shown: dict[str, np.ndarray], step) -> None:
    """Each heatmap's cells are the step's numbers, to the 3 significant digits written
    (one example: vectors are single columns, W(k) as stored, so row-major order holds)."""
    assert shown, "no numbers in the cells"
    for name, cells in shown.items():
        exact = np.asarray(step.arrays[name], dtype=float).ravel()
        np.testing.assert_allclose(cells, exact, rtol=6e-3, atol=1e-12, err_msg=name)


def test_buttons_keys_and_slider_step_forward_and_back_and_the_url_follows(page: Page, app_url):
    errors = BrowserErrors(page)
    open_player(page, f"{app_url}/build_and_step?seed=1")
    # A deep link is served through app.py's st.navigation (its own menu).
    expect(page.locator(SIDEBAR_NAV_LINK).first).to_have_text(re.compile("Home"))
    assert player_position(page) == (1, 18)
    moves = [
        ("click", "Next", 2),
        ("key", "ArrowRight", 3),
        ("key", "PageDown", 4),
        ("key", " ", 5),
        ("key", "ArrowLeft", 4),
        ("key", "PageUp", 3),
        ("key", "End", 18),
        ("key", "Home", 1),
        ("click", "Last", 18),
        ("click", "Prev", 17),
        ("click", "First", 1),
    ]
    for how, what, expected in moves:
        if how == "click":
            page.get_by_role("button", name=what, exact=True).click()
        else:
            page.keyboard.press(what)
        assert player_position(page)[0] == expected, (how, what)
        assert url_step(page) == expected, (how, what, page.url)
        assert "seed=1" in page.url  # the other parameters are kept
        wait_for_step(page)
    page.locator(".bp-player .bp-slider").fill("7")
    assert player_position(page)[0] == 7 and url_step(page) == 7
    expect(page.get_by_role("button", name="First", exact=True)).to_be_enabled()
    page.keyboard.press("End")
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_disabled()
    # Keys belong to a text field while one is being typed in.
    field = page.get_by_label(re.compile("Example"))
    field.focus()
    page.keyboard.press("Home")
    assert player_position(page)[0] == 18
    assert not errors.seen, errors.seen


def test_a_reloaded_link_opens_the_same_step_with_the_traces_numbers(page: Page, app_url):
    trace = default_trace()
    traffic = StreamlitTraffic(page)
    open_player(page, f"{app_url}/build_and_step?step=3")
    assert player_position(page) == (3, 18)
    shown = heatmaps(page)
    assert list(shown) == ["a(2)", "b(2)", "W(2)", "h(1)"]  # as a(2) = b(2) + W(2) h(1)
    assert_cells_show(shown, trace[2])
    traffic.clear()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert player_position(page)[0] == 13 and url_step(page) == 13
    # The step reaches the session (debounced, one fragment run); then reload the link.
    traffic.wait_for_runs(page, 1)
    page.reload()
    open_player(page, page.url)
    assert player_position(page) == (13, 18)
    expect(page.locator(CURRENT_STEP).get_by_text("∇W(2)").first).to_be_visible()
    assert_cells_show(heatmaps(page), trace[12])


def walk(page: Page, errors: BrowserErrors) -> int:
    """Every step from the first to the last: each drawn, its equations typeset."""
    page.keyboard.press("Home")
    _, n = player_position(page)
    for i in range(1, n + 1):
        if i > 1:
            page.keyboard.press("ArrowRight")
        assert player_position(page)[0] == i
        wait_for_step(page)
        assert page.locator(f"{CURRENT_STEP} .katex-error").count() == 0
        assert page.locator(f"{CURRENT_STEP} .bp-plot").count() >= 2  # diagram + heatmaps
    assert not errors.seen, errors.seen
    return n


def test_every_step_of_the_default_and_the_largest_network_draws_without_an_error(
    page: Page, app_url
):
    errors = BrowserErrors(page)
    open_player(page, f"{app_url}/build_and_step")
    assert walk(page, errors) == 18
    page.wait_for_function("() => document.querySelector('.bp-player').dataset.drawn === 'all'")
    open_player(page, f"{app_url}/build_and_step?{LARGEST}")
    assert walk(page, errors) == 30
    page.wait_for_function(
        "() => document.querySelector('.bp-player').dataset.drawn === 'all'", timeout=60_000
    )
    page.locator(".bp-player .bp-toggle").filter(has_text="tables").click()
    expect(page.locator(f"{CURRENT_STEP} table").first).to_be_visible()
    shot(page, "build_and_step-largest-last-step-tables")
    assert not errors.seen, errors.seen


def test_a_step_switch_does_not_rerun_the_page(page: Page, app_url):
    traffic = StreamlitTraffic(page)
    open_player(page, f"{app_url}/build_and_step")
    page.wait_for_function("() => document.querySelector('.bp-player').dataset.drawn === 'all'")
    traffic.clear()
    # The new step is on the page when the key's handler returns: no server involved.
    shown = page.evaluate(
        """() => ['ArrowRight', 'ArrowRight', 'ArrowRight'].map(key => {
            document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
            return document.querySelector('.bp-position').textContent;
        })"""
    )
    assert [re.search(r"Step (\d+)", s)[1] for s in shown] == ["2", "3", "4"]
    assert not traffic.sent()
    # Then one debounced report: a run of the reporter's fragment only, and nothing of
    # the payload comes back.
    traffic.wait_for_runs(page, 1)
    page.wait_for_timeout(700)  # time for any further (unwanted) run to show up
    reruns = [m.rerun_script for m in traffic.sent() if m.WhichOneof("type") == "rerun_script"]
    assert len(reruns) == 1 and reruns[0].fragment_id, reruns
    assert traffic.finished_runs() == [ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY]
    players = [
        m
        for m in traffic.received()
        if m.WhichOneof("type") == "delta"
        and m.delta.new_element.bidi_component.component_name == "step_player"
    ]
    assert not players
    assert traffic.bytes_received() < 10_000  # the payload itself is ~250 kB
    assert player_position(page)[0] == 4


def test_the_sgd_update_rebuilds_the_steps_at_the_same_step(page: Page, app_url):
    open_player(page, f"{app_url}/build_and_step?step=18")
    before = heatmaps(page)
    page.get_by_role("button", name=re.compile("Apply")).click()
    wait_for_rerun(page)
    assert_no_exception(page)
    expect(page.get_by_text("Loss after")).to_be_visible()
    wait_for_step(page)
    assert player_position(page) == (18, 18)
    after = heatmaps(page)
    assert list(after) == list(before) == ["∇b(1)", "∇a(1)"]
    assert not np.array_equal(after["∇b(1)"], before["∇b(1)"])  # the new weights' gradients
    shot(page, "build_and_step-sgd-update")


def test_changing_the_network_keeps_the_tensor_the_class_was_looking_at(page: Page, app_url):
    open_player(page, f"{app_url}/build_and_step?step=13")  # ∇W(2)
    wait_for_rerun(page, start_grace=800)
    slider = page.get_by_test_id("stSidebar").get_by_role("slider").first  # hidden layers
    slider.focus()
    page.keyboard.press("ArrowRight")  # 2 → 3 layers: a slider keeps its keys
    wait_for_rerun(page)
    wait_for_step(page)
    X, y = make_dataset("moons", 200, 0.1, 0, 2)
    steps = MLP([2, 4, 3, 4, 2], "tanh").trace(X[:1], y[:1])
    i, n = player_position(page)
    assert n == len(steps) and steps[i - 1].title == "∇W(2)"
    assert "∇W(2)" in page.locator(".bp-position").inner_text()
    assert url_step(page) == i


def test_toggles_switch_colour_scales_and_show_tables_with_csv(page: Page, app_url, tmp_path):
    trace = default_trace()
    open_player(page, f"{app_url}/build_and_step?step=3")  # a(2) = b(2) + W(2) h(1)
    limits = f"""() => Object.fromEntries([...document.querySelectorAll(
        '{CURRENT_STEP} .bp-row .bp-plot')].map(p => [
            p.querySelector('.gtitle').textContent.split('·')[0].trim(), p.data[0].zmax]))"""
    step = trace[2]
    shared = max(float(np.abs(a).max()) for a in step.arrays.values())
    assert page.evaluate(limits) == pytest.approx(dict.fromkeys(step.arrays, shared))
    page.locator(".bp-player .bp-toggle").filter(has_text="colour scale").click()
    own = {name: float(np.abs(a).max()) or 1.0 for name, a in step.arrays.items()}
    assert page.evaluate(limits) == pytest.approx(own)
    page.keyboard.press("ArrowRight")  # drawn ahead with the shared range: restyled on show
    wait_for_step(page)
    nxt = trace[3]
    assert page.evaluate(limits) == pytest.approx(
        {n: float(np.abs(a).max()) for n, a in nxt.arrays.items()}
    )
    page.keyboard.press("ArrowLeft")
    page.locator(".bp-player .bp-toggle").filter(has_text="tables").click()
    tables = page.locator(f"{CURRENT_STEP} table")
    expect(tables).to_have_count(4)
    with page.expect_download() as download:
        page.locator(CURRENT_STEP).get_by_text("Download W(2) as CSV").click()
    path = tmp_path / "W2.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename == "W(2).csv"
    rows = [line.split(",") for line in path.read_text().splitlines()]
    assert rows[0] == ["", *[f"unit j of h(1) {j}" for j in range(1, 5)]]
    assert [r[0] for r in rows[1:]] == [f"unit i of a(2) {i}" for i in range(1, 4)]
    values = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(values, step.arrays["W(2)"])  # every digit


def test_a_shared_link_reopens_its_configuration_and_step(page: Page, app_url):
    open_player(
        page, f"{app_url}/build_and_step?layers=3&g2=ReLU&loss=multiclass+hinge+%28SVM%29&step=12"
    )
    assert player_position(page)[0] == 12
    expect(page.locator(".bp-position").get_by_text("backward")).to_be_visible()
    assert_no_exception(page)


def test_a_garbled_link_falls_back_to_defaults_with_a_note(page: Page, app_url):
    open_player(page, f"{app_url}/build_and_step?layers=99&data=nonsense&step=abc")
    expect(page.get_by_text("could not be used")).to_be_visible()
    assert player_position(page) == (1, 18)
    shot(page, "build_and_step-bad-link")


def test_without_plotly_the_player_says_so(page: Page, app_url):
    page.route(re.compile(r".*/app/static/vendor/plotly-.*"), lambda route: route.abort())
    open_app(page, f"{app_url}/build_and_step")
    expect(page.locator(".bp-player .bp-message")).to_contain_text("could not start")
    expect(page.locator(".bp-player .bp-message")).to_contain_text("enableStaticServing")
    norms = page.locator(".bp-chart .bp-chart-message")  # the chart below the player
    expect(norms).to_contain_text("could not be drawn")
    expect(norms).to_contain_text("enableStaticServing")


def visible_bottom(page: Page, selector: str) -> float:
    return page.evaluate(
        f"() => Math.max(...[...document.querySelectorAll(`{selector}`)]"
        ".map(e => e.getBoundingClientRect().bottom))"
    )


def test_projector_and_phone_layouts(page: Page, app_url):
    """1280 × 720 and 1920 × 1080: the step's header, its equation with numbers and its
    heatmaps in the first screen; 390 × 844: the controls in one row, nothing wider than
    the screen. Screenshots in artifacts/e2e/ to look at."""
    for width, height in [(1280, 720), (1920, 1080)]:
        page.set_viewport_size({"width": width, "height": height})
        open_player(page, f"{app_url}/build_and_step?step=3")
        for part in (".bp-position", f"{CURRENT_STEP} .bp-latex", f"{CURRENT_STEP} .bp-row"):
            assert visible_bottom(page, part) <= height, (width, part)
        page.screenshot(path=str(shot_path(f"build_and_step-{width}x{height}")))
        # Scrolled down to the diagram, the step bar stays at hand.
        page.locator(f"{CURRENT_STEP} .bp-area-side .bp-plot").first.scroll_into_view_if_needed()
        box = page.get_by_role("button", name="Next", exact=True).bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height
        page.keyboard.press("PageDown")
        assert player_position(page)[0] == 4
        wait_for_step(page)
        page.screenshot(path=str(shot_path(f"build_and_step-{width}x{height}-scrolled")))
    page.set_viewport_size({"width": 390, "height": 844})
    open_player(page, f"{app_url}/build_and_step?step=13")
    tops = {
        round(page.get_by_role("button", name=name, exact=True).bounding_box()["y"])
        for name in ("First", "Prev", "Next", "Last")
    }
    assert len(tops) == 1, tops
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    bar = page.locator(".bp-player .bp-bar").bounding_box()
    assert bar["height"] < 844 / 4  # the sticky bar leaves the screen to the step
    page.screenshot(path=str(shot_path("build_and_step-390x844")))
    shot(page, "build_and_step-390x844-full")


def shot_path(name: str):
    """For a screenshot of the viewport only (``shot`` takes the whole page)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{name}.png"
