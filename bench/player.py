"""How fast the step player answers on the Build & Step page, and what a configuration
costs once.

    python -m bench.player             # server: payload build time and size
    python -m bench.player --browser   # also headless Chromium: key/click → step drawn,
                                       # configuration change → first step shown

Two networks: the default ([2, 4, 3, 2], one example) and the largest the page allows
(4 hidden layers of 16 units, mini-batch of 32). In the browser every step is walked
forward and back (34 and 58 switches), half by key (→/←), half by click (Next/Prev),
once all steps are drawn ahead, and once more right after the page opens (steps not yet
drawn ahead). A switch is timed in the page, from the input event's time stamp to the
first task after the next frame (the new step painted). Prints median, p95 and worst.
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from engine import MLP, make_dataset, minibatch
from tests.e2e.server import launch_chromium, streamlit_server
from ui.player import pack
from viz.step_view import step_view

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "default [2, 4, 3, 2], 1 example": ("", [2, 4, 3, 2], None),
    "largest 4 × 16 units, batch 32": (
        "layers=4&w1=16&w2=16&w3=16&w4=16&minibatch=true&size=32",
        [2, 16, 16, 16, 16, 2],
        32,
    ),
}


def build_times(
    sizes: list[int], batch: int | None, rounds: int = 7
) -> tuple[list[float], int, int]:
    """Seconds to trace and build every step's payload (cold, no cache), and its size in
    bytes as JSON and gzipped."""
    X_all, y_all = make_dataset("moons", 200, 0.1, 0)
    times = []
    for seed in range(rounds):
        idx = minibatch(200, batch, seed).tolist() if batch else [seed]
        net = MLP(sizes, "tanh", seed=seed)
        start = time.perf_counter()
        X, y = X_all[idx], y_all[idx]
        packed = pack(step_view(net, net.trace(X, y), X, idx, y.tolist()))
        times.append(time.perf_counter() - start)
    text = packed.body
    return times, len(text), len(gzip.compress(text))


# In the page: each input event's time stamp, and the time of the first task after the
# next frame once the player shows the step the event asked for.
RECORD = """() => {
    window.__switches = [];
    const mark = (e) => {
        const t0 = e.timeStamp;
        const before = document.querySelector('.bp-player').dataset.step;
        requestAnimationFrame(() => setTimeout(() => {
            if (document.querySelector('.bp-player').dataset.step !== before)
                window.__switches.push(performance.now() - t0);
        }, 0));
    };
    document.addEventListener('keydown', mark, true);
    document.addEventListener('click', mark, true);
}"""
DRAWN = "() => document.querySelector('.bp-player')?.dataset.drawn === 'all'"
SHOWN = """() => {
    const sec = document.querySelector('.bp-player .bp-step:not(.bp-away)');
    return !!sec && [...sec.querySelectorAll('.bp-plot')].every(p => p.querySelector('.main-svg'));
}"""


def walk(page, n: int) -> None:
    """Forward to the last step and back to the first: keys, then buttons, alternating."""
    moves = ["next"] * (n - 1) + ["prev"] * (n - 1)
    for i, move in enumerate(moves):
        if i % 2:
            page.get_by_role("button", name=move.capitalize(), exact=True).click()
        else:
            page.keyboard.press("ArrowRight" if move == "next" else "ArrowLeft")
        page.wait_for_function(SHOWN, polling="raf")


def browser_figures(url: str, query: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        received: list[int] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))

        # Opening the page: navigation → first step drawn (includes Plotly.js and KaTeX).
        start = time.perf_counter()
        page.goto(f"{url}/build_and_step?{query}")
        page.wait_for_function(SHOWN, timeout=60_000)
        out["open → first step drawn"] = [time.perf_counter() - start]
        n = int(page.locator(".bp-slider").get_attribute("max"))
        page.evaluate(RECORD)
        walk(page, min(n, 8))  # the first steps, while the others are still being drawn
        out["switch, not all drawn yet"] = [t / 1000 for t in page.evaluate("window.__switches")]
        page.wait_for_function(DRAWN, timeout=120_000)
        page.evaluate("window.__switches = []")
        walk(page, n)
        out["switch, all drawn ahead"] = [t / 1000 for t in page.evaluate("window.__switches")]

        # Configuration changes: the example (or the seed) in the sidebar, each a new
        # configuration the server has not built yet.
        field = "Seed" if "minibatch" in query else "Example"
        changes, sent = [], []
        for _ in range(5):
            old = page.locator(".bp-player").get_attribute("data-payload")
            received.clear()
            box = page.get_by_label(field, exact=False).first
            box.focus()
            page.keyboard.press("ArrowUp")  # a number input steps by one …
            start = time.perf_counter()
            page.keyboard.press("Enter")  # … and Enter sends it
            page.wait_for_function(
                f"""() => {{
                    const p = document.querySelector('.bp-player');
                    return p && p.dataset.payload && p.dataset.payload !== {json.dumps(old)}
                        && ({SHOWN})();
                }}""",
                polling="raf",
                timeout=30_000,
            )
            changes.append(time.perf_counter() - start)
            page.wait_for_timeout(600)  # let the run finish before the next change
            sent.append(sum(received))
        print("changes", [round(c, 3) for c in changes])
        out["config change → first step shown"] = changes
        out["bytes received per config change"] = sent
        browser.close()
    return out


def report(label: str, kind: str, values: list[float], unit: str = "ms") -> None:
    if unit == "ms":
        v = [x * 1000 for x in values]
        p95 = float(np.percentile(v, 95)) if len(v) > 1 else v[0]
        print(
            f"{label:34} {kind:36} median {statistics.median(v):7.1f} ms   p95 {p95:7.1f} ms"
            f"   worst {max(v):7.1f} ms   ({len(v)})"
        )
    else:
        print(f"{label:34} {kind:36} median {statistics.median(values) / 1000:7.1f} kB")


if __name__ == "__main__":
    for label, (_, sizes, batch) in CONFIGS.items():
        times, size, zipped = build_times(sizes, batch)
        report(label, "server: trace + build payload", times)
        kind = "payload JSON / gzipped"
        print(f"{label:34} {kind:36} {size / 1000:7.1f} kB / {zipped / 1000:.1f} kB")
    if "--browser" in sys.argv:
        with streamlit_server(ROOT / "artifacts" / "bench-server.log") as url:
            for label, (query, _, _) in CONFIGS.items():
                for kind, values in browser_figures(url, query).items():
                    report(label, kind, values, "kB" if kind.startswith("bytes") else "ms")
