"""How fast the decision-boundary page trains and redraws.

    python -m bench.boundary             # engine, figures, page-script time (AppTest)
    python -m bench.boundary --browser   # also Train click → figures drawn in Chromium

The issue's targets: training both models 300 epochs on 500 points (batch 32) with 30
boundary snapshots on a 100 × 100 grid in under 1 s of page-script time; a rerun that
does not retrain (a view toggle) under 200 ms; Train click → figures drawn under 3 s in
the browser. Timings are wall-clock: best (least disturbed) and median of several runs,
because other processes on a shared 2-core machine disturb single runs a lot. The engine
part is also run in a child process with OPENBLAS_NUM_THREADS=1 (see bench/README.md).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import plotly.io as pio
from streamlit.testing.v1 import AppTest

from engine.boundary import (
    BoundaryConfig,
    compare,
    decide,
    hidden_space,
    linear_collapse,
    make_data,
    make_grid,
    regularization_sweep,
    train_model,
    two_class_line,
)
from viz.boundary import (
    boundary_animation,
    collapse_figure,
    hidden_space_figure,
    sweep_figure,
    training_curves,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILE = str(ROOT / "app_pages" / "decision_boundary.py")
BENCH = BoundaryConfig(dataset="circles", n=500)  # the setting: 300 epochs, batch 32


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """(best, median) wall-clock seconds of ``fn()`` over ``repeat`` runs after a warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def ms(pair: tuple[float, float]) -> str:
    return f"best {pair[0] * 1e3:7.1f} ms   median {pair[1] * 1e3:7.1f} ms"


def engine_part() -> None:
    data = make_data(BENCH)
    grid = make_grid(data.X_all)
    net = compare(BENCH).mlp.network()
    print(f"  compare (both models + 30 snapshots each): {ms(timed(lambda: compare(BENCH)))}")
    for name, hidden in (("linear [2, 2]", ()), ("MLP [2, 16, 16, 2]", BENCH.hidden)):
        pair = timed(lambda h=hidden: train_model(BENCH, data, grid, hidden=h))
        print(f"    train {name:20} with snapshots: {ms(pair)}")
    pair = timed(lambda: decide(net, grid.points), repeat=20)
    print(f"    one 100 × 100 grid decision of the MLP: {ms(pair)}")


def figures_part() -> None:
    result = compare(BENCH)
    hidden = hidden_space(result.mlp, result.data)
    sweep = regularization_sweep(BENCH)
    collapse = linear_collapse(BENCH)
    line = two_class_line(collapse.W, collapse.b, collapse.grid)
    figures = {
        "boundary animation": lambda: boundary_animation(result),
        "loss/accuracy curves": lambda: training_curves(result.linear, result.mlp),
        "hidden space": lambda: hidden_space_figure(result.data, hidden),
        "λ sweep": lambda: sweep_figure(sweep),
        "linear collapse": lambda: collapse_figure(collapse, result.linear, line),
    }
    for name, build in figures.items():
        fig = build()
        size = len(pio.to_json(fig, validate=False))
        print(f"  {name:22} build {ms(timed(build))}   JSON {size / 1e3:6.0f} kB")
    print(f"  λ sweep, 3 MLPs: {ms(timed(lambda: regularization_sweep(BENCH), repeat=3))}")
    print(f"  linear collapse run: {ms(timed(lambda: linear_collapse(BENCH), repeat=3))}")


def page_part(repeat: int = 5) -> None:
    at = AppTest.from_file(PAGE_FILE, default_timeout=120)
    at.query_params.update(data="circles", n="500")
    at.run()
    assert not at.exception, at.exception

    def rerun(action) -> float:
        action()
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        assert not at.exception, at.exception
        return elapsed

    trains = [rerun(lambda: at.button(key="train").click()) for _ in range(repeat)]
    shaded = [True]

    def flip():
        shaded[0] = not shaded[0]
        at.toggle(key="shade").set_value(shaded[0])

    views = ["train only", "test only", "train and test"]  # 3 views, 2 kept: each rebuilds
    new_views = [rerun(lambda v=v: at.segmented_control(key="pts").set_value(v)) for v in views * 2]
    toggles = [rerun(flip) for _ in range(2 * repeat)]  # two views, both kept
    plain = [rerun(lambda: None) for _ in range(repeat)]  # every figure from the session

    def line(name, values):
        print(
            f"  {name:44} best {min(values) * 1e3:7.1f} ms   median "
            f"{statistics.median(values) * 1e3:7.1f} ms   worst {max(values) * 1e3:7.1f} ms"
        )

    line("Train rerun (retrain 500 pts, 30 snapshots)", trains)
    line("new view (rebuilds the animated figure)", new_views)
    line("view toggled back and forth (figure kept)", toggles)
    line("rerun without changes (figures kept)", plain)


def browser_part(clicks: int = 3) -> None:
    """Train click → every chart drawn again, in headless Chromium against a real server."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.e2e.helpers import open_app, wait_for_charts, wait_for_rerun
    from tests.e2e.server import launch_chromium, streamlit_server

    log = ROOT / "artifacts" / "bench-server.log"
    with streamlit_server(log) as url:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            open_app(page, f"{url}/decision_boundary?data=circles&n=500", timeout=60_000)
            page.locator(".bp-chart .main-svg").first.wait_for()
            times = []
            for _ in range(clicks):
                start = time.perf_counter()
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_role("button", name=re.compile("^Train")).click()
                wait_for_rerun(page, timeout=60_000)
                wait_for_charts(page)
                times.append(time.perf_counter() - start)
            browser.close()
        print(
            f"  Train click → figures drawn (circles, 500 pts): best {min(times):.2f} s   "
            f"median {statistics.median(times):.2f} s   worst {max(times):.2f} s"
        )


def main() -> None:
    if "--engine-only" in sys.argv:  # the single-threaded-BLAS child
        engine_part()
        return
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f}; BLAS threads: {threads}")
    print("engine:")
    engine_part()
    if "OPENBLAS_NUM_THREADS" not in os.environ:
        print("engine with OPENBLAS_NUM_THREADS=1:")
        sys.stdout.flush()
        subprocess.run(
            [sys.executable, "-m", "bench.boundary", "--engine-only"],
            cwd=ROOT,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            check=True,
        )
    print("figures:")
    figures_part()
    print("page script (AppTest, circles, 500 points):")
    page_part()
    if "--browser" in sys.argv:
        print("browser:")
        browser_part()


if __name__ == "__main__":
    main()
