"""The network and data settings of Build & Step, as parameter rows: one set of URL names,
bounds and defaults, which the Gradient check page reads too (a Build & Step link's
settings open the same network there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine import ACTIVATION_LABELS, DATASETS, INITS, LOSSES, MULTICLASS
from engine.network_file import LIMITS
from ui.params import Choice, Flag, Param, Whole, number_text, section

N_POINTS, NOISE = 200, 0.1  # a toy dataset's points and jitter
OWN = "own"  # the data source "your own numbers" (Build & Step only)
MAX_LAYERS, MAX_WIDTH, MAX_BATCH, MAX_CLASSES, MAX_SEED = 4, 16, 32, 5, 10_000
DEFAULT_WIDTHS = (4, 3, 4, 4)
L2_CHOICES = {v: number_text(v) for v in (0.0, 0.0001, 0.001, 0.01, 0.1, 1.0)}


def always(values: Mapping[str, Any]) -> bool:
    return True


def settings_rows(
    applies: Callable[[Mapping[str, Any]], bool] = always, own: bool = False
) -> list[Param]:
    """The configuration as parameter rows, each shown only when ``applies`` (and its own
    condition) holds. ``own``: the data may also be "your own numbers" (up to
    LIMITS['rows'] examples and LIMITS['classes'] classes, typed on the page)."""

    def when(extra: Callable[[Mapping[str, Any]], bool] | None = None):
        return lambda v: applies(v) and (extra is None or extra(v))

    def has(i: int):
        return when(lambda v: v["layers"] >= i)

    layer_rows = []
    for i in range(1, MAX_LAYERS + 1):
        layer_rows += [
            Param(f"w{i}", f"Units h({i})", Whole(1, MAX_WIDTH), DEFAULT_WIDTHS[i - 1],
                  shown_if=has(i)),
            Param(f"g{i}", f"Activation g({i})", Choice(ACTIVATION_LABELS), "tanh",
                  shown_if=has(i)),
        ]  # fmt: skip
    sources = {**DATASETS, OWN: "your own numbers"} if own else DATASETS
    most = LIMITS["rows"][1] if own else N_POINTS
    own_rows = [
        Param("C", "Classes C (at least the largest class in the table)",
              Whole(*LIMITS["classes"]), 2, shown_if=when(lambda v: v["data"] == OWN)),
    ] if own else []  # fmt: skip
    return [
        *section(
            "Data",
            Param("data", "Dataset", Choice(sources), "moons", shown_if=when()),
            Param("classes", "Classes", Whole(2, MAX_CLASSES), 3,
                  shown_if=when(lambda v: v["data"] in MULTICLASS)),
            *own_rows,
            Param("minibatch", "Trace a random mini-batch", Flag(), False, shown_if=when(),
                  help="Off: one example. On: a random mini-batch of 1–32."),
            Param("example", f"Example (1–{most})" if not own else "Example (from 1)",
                  Whole(1, most), 1, shown_if=when(lambda v: not v["minibatch"])),
            Param("size", "Mini-batch size N", Whole(1, MAX_BATCH, widget="slider"), 8,
                  shown_if=when(lambda v: v["minibatch"])),
        ),
        *section(
            "Network",
            Param("layers", "Hidden layers", Whole(0, MAX_LAYERS, widget="slider"), 2,
                  shown_if=when()),
            *layer_rows,
            Param("loss", "Loss", Choice(LOSSES), "softmax_ce", shown_if=when()),
            Param("init", "Initialisation", Choice(INITS), "xavier", shown_if=when()),
            Param("seed", "Seed (data, weights, mini-batch)", Whole(0, MAX_SEED), 0,
                  shown_if=when()),
            Param("l2", "L2 strength λ", Choice(L2_CHOICES, widget="select_slider"), 0.0,
                  shown_if=when()),
        ),
    ]  # fmt: skip
