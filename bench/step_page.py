"""How fast a step click answered on the Build & Step page when each click was a rerun
(up to commit 70787b6; the page now steps in the browser: ``bench/player.py``).

To compare, run it from a copy of that commit (reading git changes nothing):

    git archive 70787b6 | tar -x -C /tmp/rerun-page && cd /tmp/rerun-page
    python -m bench.step_page            # page-script time per "next" rerun (AppTest)
    python -m bench.step_page --browser  # also click → figures drawn in headless Chromium

Two networks: the default ([2, 4, 3, 2], one example) and the largest the page allows
(4 hidden layers of 16 units, mini-batch of 32). Prints median and worst per click.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.e2e.server import launch_chromium, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILE = ROOT / "app_pages" / "build_and_step.py"
CONFIGS = {
    "default [2, 4, 3, 2], 1 example": {},
    "largest 4 × 16 units, batch 32": {
        "layers": "4",
        "w1": "16",
        "w2": "16",
        "w3": "16",
        "w4": "16",
        "minibatch": "true",
        "size": "32",
    },
}


def script_times(params: dict) -> list[float]:
    """Seconds of each "next" rerun, walking every step once."""
    at = AppTest.from_file(str(PAGE_FILE), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    times = []
    while not at.button(key="next").disabled:
        t = time.perf_counter()
        at.button(key="next").click().run()
        times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    return times


# Installed in the page: the time of the click and of the latest change to the page.
RECORD = """() => {
    window.__last = performance.now();
    new MutationObserver(() => { window.__last = performance.now(); }).observe(
        document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener('click', () => { window.__click = performance.now(); }, true);
}"""
# Settled: the script has finished, every chart is drawn, and nothing changed for 300 ms.
SETTLED = """() => document.querySelector('[data-testid=stApp]')
        .getAttribute('data-test-script-state') === 'notRunning'
    && [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
        .every(c => c.querySelector('.main-svg'))
    && performance.now() - window.__last > 300"""


def browser_times(params: dict, url: str) -> list[float]:
    """Seconds from a click on Next to the last change it made to the page (the new
    position shown and every chart redrawn), timed inside the page. Playwright checks
    for the end every 100 ms, so its polling barely loads the page it measures."""
    from playwright.sync_api import sync_playwright

    query = "&".join(f"{k}={v}" for k, v in params.items())
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/build_and_step?{query}")
        page.get_by_text(re.compile(r"Step 1 of \d+")).wait_for()
        n = int(re.search(r"of (\d+)", page.get_by_text(re.compile(r"Step 1 of")).inner_text())[1])
        page.evaluate(RECORD)
        page.wait_for_function(SETTLED, polling=100)
        times = []
        for i in range(2, n + 1):
            page.get_by_role("button", name="Next", exact=True).click()
            page.get_by_text(re.compile(rf"Step {i} of {n}")).wait_for()
            page.wait_for_function(SETTLED, polling=100)
            times.append(page.evaluate("window.__last - window.__click") / 1000)
        browser.close()
    return times


def report(label: str, kind: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{label:34} {kind:22} median {statistics.median(ms):6.1f} ms   "
        f"worst {max(ms):6.1f} ms   ({len(ms)} clicks)"
    )


if __name__ == "__main__":
    for label, params in CONFIGS.items():
        report(label, "page script (AppTest)", script_times(params))
    if "--browser" in sys.argv:
        with streamlit_server(ROOT / "artifacts" / "bench-server.log") as url:
            for label, params in CONFIGS.items():
                report(label, "click → figures drawn", browser_times(params, url))
