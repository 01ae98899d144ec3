"""The computational-graph page in a real browser: a link opens (x + y)·z at its step, the
keys and the Last button walk to the end of the backward pass, the gradients of note 004
stand beside the nodes of the drawing, a reload keeps the step, and the projector layouts
(1280 × 720, 1920 × 1080) show the graph, the equation and the rule in the first screen."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    CURRENT_STEP,
    SCREENSHOT_DIR,
    BrowserErrors,
    StreamlitTraffic,
    assert_no_exception,
    open_app,
    player_position,
    shot,
    wait_for_step,
)

LINK = "/graph?expr=(x%2By)*z&values=x=-2,y=5,z=-4&step=1"
# Note 004: q = x + y = 3, f = q·z = −12; ∂f/∂z = q = 3, ∂f/∂q = z = −4, ∂f/∂x = ∂f/∂y = −4.
VALUES = {"x": "−2", "y": "5", "z": "−4", "q": "3", "f": "−12"}
GRADIENTS = {"x": "−4", "y": "−4", "z": "3", "q": "−4", "f": "1"}


def open_player(page: Page, url: str) -> None:
    open_app(page, url, timeout=60_000)
    wait_for_step(page)


def url_step(page: Page) -> int | None:
    values = parse_qs(urlparse(page.url).query).get("step")
    return int(values[0]) if values else None


def payload(page: Page) -> str:
    """The id of the steps the player shows."""
    return page.evaluate("() => document.querySelector('.bp-player').dataset.payload")


def drawing(page: Page) -> dict[str, list[str]]:
    """The current step's graph as drawn (SVG text): the node labels, and beside each
    node the text of the values trace and of the gradients trace, in node order."""
    return page.evaluate(
        f"""() => {{
            const plot = document.querySelector('{CURRENT_STEP} .bp-plot');
            const traces = [...plot.querySelectorAll('.scatterlayer .trace')];
            const texts = t => [...t.querySelectorAll('.textpoint')].map(p => p.textContent.trim());
            const named = name => traces[plot.data.findIndex(d => d.name === name)];
            return {{labels: texts(named('nodes')), names: texts(named('names')),
                     values: texts(named('values')),
                     gradients: texts(named('gradients'))}};
        }}"""
    )


def test_a_link_opens_steps_to_the_end_and_shows_the_gradients(page: Page, app_url: str):
    errors = BrowserErrors(page)
    open_player(page, app_url + LINK)
    assert player_position(page) == (1, 10)  # 5 nodes forward, 5 backward
    shown = drawing(page)
    assert shown["labels"] == ["x", "y", "z", "+", "×"]
    assert shown["values"] == ["−2", "", "", "", ""]  # only x is known at step 1
    assert shown["names"] == ["", "", "", "q", "f"]  # operations are named above
    assert shown["gradients"] == [""] * 5
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    wait_for_step(page)
    assert player_position(page)[0] == 5 and url_step(page) == 5
    assert drawing(page)["values"] == list(VALUES.values())  # the forward pass is done
    assert drawing(page)["gradients"] == [""] * 5
    page.keyboard.press("ArrowRight")
    wait_for_step(page)
    assert drawing(page)["gradients"] == ["", "", "", "", "1"]  # ∂f/∂f = 1 starts it
    page.get_by_role("button", name="Last", exact=True).click()
    wait_for_step(page)
    assert player_position(page)[0] == 10 and url_step(page) == 10
    shown = drawing(page)
    assert shown["gradients"] == list(GRADIENTS.values())
    assert shown["values"] == list(VALUES.values())
    expect(page.locator(".bp-position")).to_contain_text("∂f/∂y = −4")
    expect(page.locator(".bp-position")).to_contain_text("add distributes")
    assert page.locator(f"{CURRENT_STEP} .katex-error").count() == 0
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_a_reload_keeps_the_step(page: Page, app_url: str):
    traffic = StreamlitTraffic(page)
    open_player(page, app_url + LINK)
    traffic.clear()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert player_position(page)[0] == 8 and url_step(page) == 8
    traffic.wait_for_runs(page, 1)  # the step reaches the session (one fragment run)
    page.reload()
    open_player(page, page.url)
    assert player_position(page) == (8, 10)
    expect(page.locator(".bp-position")).to_contain_text("∂f/∂q = −4")
    assert drawing(page)["gradients"] == ["", "", "3", "−4", "1"]
    assert_no_exception(page)


def test_a_typed_expression_keeps_the_last_graph_while_it_is_wrong(page: Page, app_url: str):
    errors = BrowserErrors(page)
    open_player(page, app_url + LINK)
    shown = payload(page)
    box = page.get_by_role("textbox", name="Expression f")
    box.fill("(x + y) * z + __import__('os')")
    box.press("Enter")
    expect(page.get_by_text("Unknown function __import__")).to_be_visible()
    wait_for_step(page)
    assert_no_exception(page)
    assert payload(page) == shown  # the last graph stays, at its step
    assert drawing(page)["labels"] == ["x", "y", "z", "+", "×"]
    before = payload(page)
    box.fill("max(x, y) * z")
    box.press("Enter")
    expect(page.get_by_text("Unknown function")).to_have_count(0)
    page.wait_for_function(
        f"() => document.querySelector('.bp-player').dataset.payload !== '{before}'"
    )
    wait_for_step(page)
    assert drawing(page)["labels"] == ["x", "y", "z", "max", "×"]
    # No page error, including a replaced player resizing its detached plots.
    assert not errors.seen, errors.seen


def first_screen(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def bottom(page: Page, selector: str) -> float:
    return page.evaluate(
        f"() => Math.max(...[...document.querySelectorAll(`{selector}`)]"
        ".map(e => e.getBoundingClientRect().bottom))"
    )


def test_projector_layouts_show_the_graph_the_equation_and_the_rule(page: Page, app_url: str):
    """1280 × 720 and 1920 × 1080: at a backward step the graph, the equation with its
    numbers and the local rule are all in the first screen. Screenshots to look at."""
    cases = [
        ("xyz", "/graph?step=9"),
        ("neuron_code", "/graph?preset=neuron_code&step=17"),
        ("neuron_gates", "/graph?preset=neuron_gates&step=20"),
    ]
    for width, height in [(1280, 720), (1920, 1080)]:
        page.set_viewport_size({"width": width, "height": height})
        for name, query in cases:
            open_player(page, app_url + query)
            for part in (".bp-plot", ".bp-latex"):
                assert bottom(page, f"{CURRENT_STEP} {part}") <= height, (width, name, part)
            equation = page.locator(f"{CURRENT_STEP} .bp-latex").inner_text().replace("\xa0", " ")
            assert "local gradient" in equation and "upstream" in equation
            first_screen(page, f"graph-{name}-{width}x{height}")
    shot(page, "graph-neuron_gates-full")
