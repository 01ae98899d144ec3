"""The "Activations & losses" page in a real browser on a 1280 × 720 projector: each of the
notes' links opens its part with the notes' numbers, and nothing raises."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.helpers import SCREENSHOT_DIR, BrowserErrors, assert_no_exception, open_app, shot

PROJECTOR = {"width": 1280, "height": 720}
CHART = ".bp-chart"  # ui.chart.draw: a shared spec drawn by Plotly.js


def open_page(page: Page, app_url: str, query: str) -> BrowserErrors:
    errors = BrowserErrors(page)
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/functions{query}", timeout=60_000)
    page.locator(f"{CHART} .main-svg").first.wait_for()
    return errors


def equations(page: Page) -> list[str]:
    """The TeX of every equation on the page (KaTeX keeps it in its MathML annotation)."""
    return page.locator("[data-testid=stMain] .katex annotation").all_text_contents()


def first_screen(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def test_note_004_link_shows_relu_backward_4_0_5_0(page: Page, app_url: str) -> None:
    errors = open_page(page, app_url, "?g=relu&x=1,-2,3,-1&upstream=4,-1,5,9")
    expect(page.get_by_role("heading", name="Backprop through y = g(x)")).to_be_visible()
    (tex,) = [t for t in equations(page) if r"\odot" in t and "&=" in t]
    assert tex.endswith(r"&= \left(4,\ 0,\ 5,\ 0\right)\end{aligned}"), tex
    # The columns figure: row i holds x, y, g′(x), ∂L/∂y, ∂L/∂x, each written in its cell.
    cells = page.locator(CHART).first.locator(".heatmaplayer text").all_text_contents()
    assert cells[4::5] == ["4", "0", "5", "0"], cells
    assert "part=elementwise" in page.url
    first_screen(page, "functions-elementwise-1280x720")
    shot(page, "functions-elementwise")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_huge_logits_show_the_naive_nan_beside_the_exact_stable_softmax(page, app_url):
    errors = open_page(page, app_url, "?logits=10000,-10000,0&y=2")
    expect(page.get_by_text("overflowed to inf")).to_be_visible()
    tex = equations(page)
    (naive,) = [t for t in tex if r"e^{x_i} &=" in t]
    assert r"\left(\mathrm{nan},\ 0,\ 0\right)" in naive and r"&= \infty" in naive
    (stable,) = [t for t in tex if r"\begin{aligned}c &=" in t]
    assert stable.endswith(r"\left(1,\ 0,\ 0\right)\end{aligned}")
    assert any("= 10000 - (-10000) = 20000" in t for t in tex)
    first_screen(page, "functions-softmax-1280x720")
    shot(page, "functions-softmax")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_svm_link_shows_hinge_2_9_and_softmax_2_04(page: Page, app_url: str) -> None:
    errors = open_page(page, app_url, "?scores=3.2,5.1,-1.7&y=1")
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    assert values == ["2.9", "2.04"], values
    # The margins and ∂L/∂s at their own width (700 px): one under the other at 1280 px.
    first, second = (page.locator(CHART).nth(i).locator(".main-svg").first for i in (0, 1))
    first.wait_for()
    second.wait_for()
    top, bottom = first.bounding_box(), second.bounding_box()
    assert top["width"] == bottom["width"] == 700 and top["height"] >= 350, (top, bottom)
    assert bottom["y"] >= top["y"] + top["height"] - 1, (top, bottom)
    first_screen(page, "functions-svm-1280x720")
    shot(page, "functions-svm")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_the_gallery_draws_six_activations_and_the_depth_view(page: Page, app_url: str):
    errors = open_page(page, app_url, "")
    expect(page.locator(CHART)).to_have_count(7)
    titles = page.locator(f"{CHART} .gtitle").all_text_contents()
    assert any("g(a)(1 − g(a))" in t for t in titles) and any("1 − g(a)²" in t for t in titles)
    first_screen(page, "functions-gallery-1280x720")
    shot(page, "functions-gallery")
    assert_no_exception(page)
    assert not errors.seen, errors.seen


def test_a_tab_click_opens_its_part_and_writes_the_url(page: Page, app_url: str) -> None:
    errors = open_page(page, app_url, "")
    page.get_by_role("tab", name="SVM vs softmax").click()
    expect(page.get_by_test_id("stMetricValue")).to_have_count(2)
    assert "part=svm" in page.url
    page.get_by_role("tab", name="Activations").click()
    expect(page.get_by_role("heading", name="Depth view")).to_be_visible()
    assert "part=" not in page.url  # the default part leaves the URL
    assert_no_exception(page)
    assert not errors.seen, errors.seen
