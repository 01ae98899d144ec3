"""Every step of a trace as the step player shows it, built once per configuration.

``step_view(net, steps, X, examples, y)`` → ``{"steps": [...], "toggles": [...]}`` in the
player's format (``ui/player.py`` documents it): per step a short header and blocks —
the equation with its shapes and (when small) with its numbers, the heatmaps of the
tensors it reads and writes, those values as tables with a CSV download, the network
diagram, the explanation and the numpy line. Plain, JSON-ready data: numpy arrays become
Plotly typed arrays (``{"dtype": "f8", "bdata": base64, "shape": "r, c"}``), exact and
about 11 characters a number; the player decodes them for the tables.

Colour: the tensors of one kind in a step (forward values W, b, a, h; gradients ∇…)
share one symmetric range [-m, m] by default, so their colours compare; the toggle
``shared_scale`` switches each heatmap to its own range (``restyle`` in the player).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np
from plotly.colors import get_colorscale

from engine import MLP, Step

from .equation import batch_size, in_equation_order, shapes_in_code, with_numbers, with_shapes
from .explain import explain
from .heatmap import PROBABILITIES, heatmap_spec, orient
from .network import network_spec
from .style import symmetric_limit

NOT_HEATMAPS = {"y", "L"}  # shown as numbers, not as heatmaps
NOT_TABLES = {"L"}  # the loss is one number, in the step's text
TOGGLES = [
    {
        "name": "shared_scale",
        "label": "One colour scale per kind",
        "help": "On: the weights, pre-activations and activations of a step share one "
        "range, and so do its gradients, so their colours compare. Off: each tensor "
        "spans its own range.",
        "default": True,
    },
    {
        "name": "tables",
        "label": "Values as tables",
        "help": "Every tensor of the step as a table of numbers, with a CSV download.",
        "default": False,
    },
]
DTYPES = {"f": ("f8", "<f8"), "i": ("i4", "<i4"), "u": ("i4", "<i4"), "b": ("u1", "u1")}


def colour_kind(name: str) -> str | None:
    """The colour scale a tensor shares within a step: "gradient" (∇…), "value" (W, b, a,
    h, x), or None for a scale of its own (probabilities [0, 1], g'(a), hinge margins)."""
    if name in PROBABILITIES or name.startswith("g'") or name in ("margins", "y", "L"):
        return None
    return "gradient" if name.startswith("∇") else "value"


def typed(arr: np.ndarray) -> dict:
    """A numpy array as a Plotly typed array: exact, compact, plain JSON."""
    arr = np.asarray(arr)
    dtype, cast = DTYPES[arr.dtype.kind]
    spec = {"dtype": dtype, "bdata": base64.b64encode(arr.astype(cast).tobytes()).decode()}
    if arr.ndim > 1:
        spec["shape"] = ", ".join(map(str, arr.shape))
    return spec


def jsonable(obj):
    """``obj`` with numpy arrays as typed arrays, numpy numbers as Python numbers and
    named colour scales as lists (Plotly.js knows "RdBu" but not "RdBu_r")."""
    if isinstance(obj, dict):
        return {
            k: get_colorscale(v) if k == "colorscale" and isinstance(v, str) else jsonable(v)
            for k, v in obj.items()
            if v is not None
        }
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return typed(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _heatmaps(step: Step, names: list[str], examples: Sequence[int]) -> list[dict]:
    """A plotly block per tensor, drawn on its kind's shared range, with the restyle that
    gives it its own range when the toggle is off."""
    kinds: dict[str, list[np.ndarray]] = {}
    for name in names:
        kind = colour_kind(name)
        if kind:
            kinds.setdefault(kind, []).append(step.arrays[name])
    shared = {kind: symmetric_limit(*arrays) for kind, arrays in kinds.items()}
    blocks = []
    for name in names:
        kind = colour_kind(name)
        block = {
            "kind": "plotly",
            "figure": heatmap_spec(name, step.arrays[name], examples),
            "table": {"title": name, "csv": _csv_name(name), "when": "tables"},
        }
        if kind:
            own = symmetric_limit(step.arrays[name])
            m = shared[kind]
            block["figure"] = heatmap_spec(name, step.arrays[name], examples, limit=m)
            block["restyle"] = {
                "shared_scale": {
                    "on": {"zmin": [-m], "zmax": [m]},
                    "off": {"zmin": [-own], "zmax": [own]},
                }
            }
            block["scale"] = {"kind": kind, "shared": m, "own": own}
        blocks.append(block)
    return blocks


def _csv_name(name: str) -> str:
    return name.replace("∇", "grad_").replace("'", "prime") + ".csv"


def _table(name: str, arr: np.ndarray, examples: Sequence[int]) -> dict:
    """A table block for a tensor with no heatmap (the labels y)."""
    o = orient(name, arr, examples)
    return {
        "kind": "table",
        "title": name,
        "index": [f"{o.row_title} {r}".strip() for r in o.rows],
        "columns": [f"{o.col_title} {c}".strip() for c in o.cols],
        "values": o.z,
        "csv": _csv_name(name),
        "when": "tables",
    }


def _header(step: Step) -> str:
    return (
        f"<span class='bp-tag bp-{step.phase}'>{step.phase}</span> · layer {step.layer}"
        f" · <b>{html.escape(step.title)}</b>"
    )


def _bold_list(names: list[str]) -> str:
    return ", ".join(f"<b>{html.escape(n)}</b>" for n in names)


def step_view(
    net: MLP,
    steps: Sequence[Step],
    X: np.ndarray,
    examples: Sequence[int],
    y: Sequence[int],
) -> dict:
    """The player payload for ``steps`` = ``net.trace(X, y)``; ``examples`` are the
    dataset indices of X's rows (labels of the batch columns), ``y`` their classes."""
    weights = {k: net.params[f"W{k}"] for k in range(1, net.n_layers + 1)}
    out = "f(x)" if net.loss == "softmax_ce" else f"s = a({net.n_layers})"
    known: dict[str, np.ndarray] = {"h(0)": X}
    views = []
    for step in steps:
        known.update(step.writes)
        n = batch_size(step)
        names = in_equation_order(step)
        shown = [name for name in names if name not in NOT_HEATMAPS]
        reads = [name for name in shown if name not in step.writes]
        writes = [name for name in shown if name in step.writes]
        sentence = f"This step writes {_bold_list(writes)}"
        sentence += f" from {_bold_list(reads)}:" if reads else ":"

        main: list[dict] = [{"kind": "latex", "tex": with_shapes(step)}]
        numbers = with_numbers(step, one_line=True)
        if numbers:
            main.append({"kind": "latex", "tex": numbers, "narrow": with_numbers(step)})
        main.append({"kind": "row", "blocks": _heatmaps(step, shown, examples)})
        main += [
            _table(name, step.arrays[name], examples)
            for name in names
            if name in NOT_HEATMAPS and name not in NOT_TABLES
        ]

        caption = (
            f"Example #{examples[0] + 1}, true class y = {y[0] + 1}"
            if n == 1
            else f"Mini-batch of {n} examples; the nodes show example #{examples[0] + 1}."
        )
        side: list[dict] = [
            {"kind": "plotly", "figure": network_spec(net.sizes, weights, step, known, out)},
            {
                "kind": "html",
                "html": f"<p class='bp-caption'>{html.escape(caption)}<br>{sentence}</p>",
            },
            {
                "kind": "html",
                "html": "<div class='bp-callout'>"
                + html.escape(explain(step, net.activations, net.loss, n))
                + "</div>",
            },
        ]
        if "L" in step.writes:
            loss = float(step.writes["L"])
            side.append(
                {
                    "kind": "html",
                    "html": f"<p class='bp-metric'>Loss L on this batch: <b>{loss:.5f}</b></p>",
                }
            )
        side.append({"kind": "code", "code": f"{step.code}\n# shapes: {shapes_in_code(step)}"})
        views.append(
            {
                "key": f"{step.kind}/{step.title}",
                "header": _header(step),
                "areas": {"main": main, "side": side},
            }
        )
    return jsonable({"steps": views, "toggles": TOGGLES})
