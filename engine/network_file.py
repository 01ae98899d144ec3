"""A network with its data, as a JSON file: save, and load with every field checked.

The format (``"format": "backprop-explorer/network"``, ``"version": 1``) counts classes,
examples and steps from 1, as the notes and the app do; inside the engine they count
from 0, and this module is where the two meet (``to_json`` / ``from_json``).

    {"format": "backprop-explorer/network", "version": 1,
     "sizes": [2, 2, 3],                      # input first: D, n_1 … n_L, C
     "activations": ["sigmoid"],              # one per hidden layer
     "loss": "softmax_ce",                    # or "hinge"
     "params": {"W1": [[0.1, -0.2], [0.3, 0.4]], "b1": [0, 0],
                "W2": [[1, -1], [0.5, 0.5], [-1, 1]], "b2": [0, 0, 0]},
     "data": {"X": [[1.0, 2.0]], "y": [3]},  # y: class numbers from 1
     "l2": 0, "lr": 0.1, "example": 1, "step": 1}

``data`` may instead name a toy dataset: ``{"dataset": "moons", "n": 200, "noise": 0.1,
"seed": 0, "classes": 2}``. Optional: ``"examples"`` (a mini-batch, numbers from 1, instead
of ``"example"``), ``"init"``, ``"seed"`` (how the weights were first drawn), ``"updates"``
(SGD updates applied since).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .datasets import DATASETS, MULTICLASS
from .losses import LOSSES
from .mlp import INITS, MLP

FORMAT = "backprop-explorer/network"
VERSION = 1
MAX_BYTES = 1_000_000
# What a file (and the page) may hold: small enough to draw every tensor, and for one
# session never to tie up a shared server.
LIMITS = {
    "features": (1, 8),  # D
    "hidden_layers": (0, 4),
    "width": (1, 16),
    "classes": (2, 10),
    "rows": (1, 1000),  # examples of own data
    "value": 1e6,  # |every number| ≤ this
    "l2": (0.0, 1.0),
    "lr": (0.0, 10.0),
    "seed": (0, 10_000),
    "updates": (0, 1000),
    "batch": (1, 32),
    "step": (1, 99),
    "toy_points": (10, 1000),
    "noise": (0.0, 1.0),
}


class FileError(ValueError):
    """One clear sentence about the first thing wrong in a file, naming its field."""


@dataclass(frozen=True)
class ToyData:
    """A toy dataset by name and settings (engine.make_dataset's arguments)."""

    dataset: str = "moons"
    n: int = 200
    noise: float = 0.1
    seed: int = 0
    classes: int = 2


@dataclass(frozen=True)
class NetworkState:
    """Everything that defines what Build & Step shows, counted as the engine counts.

    sizes [D, n_1 … n_L, C]; activations (L,); params W{k} (n_k, n_{k-1}), b{k} (n_k,)
    float64; data: ToyData, or (X (N, D) float64, y (N,) int labels 0 … C-1);
    examples: indices of the traced rows (0-based); step from 1 (a person's count).
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    params: dict[str, np.ndarray]
    data: ToyData | tuple[np.ndarray, np.ndarray]
    examples: tuple[int, ...] = (0,)
    l2: float = 0.0
    lr: float = 0.1
    step: int = 1
    init: str = "xavier"
    seed: int = 0
    updates: int = 0


# --- reading -----------------------------------------------------------------------
def _whole(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        raise FileError(f"{where} must be a whole number, got {_show(value)}")
    if not float(value).is_integer():
        raise FileError(f"{where} must be a whole number, got {_show(value)}")
    if not low <= value <= high:
        raise FileError(f"{where} must lie in {low} … {high}, got {_show(value)}")
    return int(value)


def _real(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FileError(f"{where} must be a number, got {_show(value)}")
    if not _finite(value):
        raise FileError(f"{where} must be a finite number, got {_show(value)}")
    if not low <= value <= high:
        raise FileError(f"{where} must lie in {low:g} … {high:g}, got {_show(value)}")
    return float(value)


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _show(value) -> str:
    """A value as the file spells it (NaN, Infinity), at most 40 characters."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _matrix(value, where: str, rows: int, cols: int, what: str) -> np.ndarray:
    """A list of ``rows`` lists of ``cols`` finite numbers within ±LIMITS['value']."""
    if not isinstance(value, list) or len(value) != rows:
        got = f"{len(value)} rows" if isinstance(value, list) else _show(value)
        raise FileError(f"{where} must be {rows} rows of {cols} numbers ({what}), got {got}")
    for i, row in enumerate(value, start=1):
        if not isinstance(row, list) or len(row) != cols:
            got = f"{len(row)} numbers" if isinstance(row, list) else _show(row)
            raise FileError(f"{where} row {i} must hold {cols} numbers ({what}), got {got}")
    return _numbers(value, where)


def _vector(value, where: str, n: int, what: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != n:
        got = f"{len(value)} numbers" if isinstance(value, list) else _show(value)
        raise FileError(f"{where} must be a list of {n} numbers ({what}), got {got}")
    return _numbers(value, where)


def _numbers(value: list, where: str) -> np.ndarray:
    bound = LIMITS["value"]
    flat = value if not value or not isinstance(value[0], list) else sum(value, [])
    for item in flat:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise FileError(f"{where} holds {_show(item)}, which is not a number")
        if not _finite(item) or abs(item) > bound:
            raise FileError(
                f"{where} holds {_show(item)}: every number must be finite and ±{bound:g} at most"
            )
    return np.array(value, dtype=np.float64)


def _choice(value, where: str, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise FileError(
            f"{where} must be one of {', '.join(map(json.dumps, options))}, got {_show(value)}"
        )
    return value


def from_json(text: str | bytes) -> NetworkState:
    """Parse and check a file; FileError (one sentence naming the field) on the first
    problem. Nothing is returned half-checked."""
    if len(text) > MAX_BYTES:
        raise FileError(f"the file is {len(text):,} bytes; the limit is {MAX_BYTES:,} (1 MB)")
    try:
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileError(f"the file is not valid JSON ({error})") from None
    except RecursionError:
        raise FileError("the file is not valid JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise FileError("the file must hold one JSON object { … }")
    if doc.get("format") != FORMAT:
        raise FileError(f'"format" must be "{FORMAT}", got {_show(doc.get("format"))}')
    if doc.get("version") != VERSION:
        raise FileError(f'"version" must be {VERSION}, got {_show(doc.get("version"))}')
    for key in ("sizes", "activations", "loss", "params", "data"):
        if key not in doc:
            raise FileError(f'the file has no "{key}"')

    sizes = doc["sizes"]
    if not isinstance(sizes, list) or not 2 <= len(sizes) <= LIMITS["hidden_layers"][1] + 2:
        raise FileError(
            '"sizes" must be a list [D, n_1, …, C] of 2 to '
            f"{LIMITS['hidden_layers'][1] + 2} whole numbers, got {_show(sizes)}"
        )
    sizes = [
        _whole(s, f'"sizes" item {i}', *LIMITS[name])
        for i, (s, name) in enumerate(
            zip(sizes, ["features"] + ["width"] * (len(sizes) - 2) + ["classes"], strict=True),
            start=1,
        )
    ]
    hidden = len(sizes) - 2
    acts = doc["activations"]
    if not isinstance(acts, list) or len(acts) != hidden:
        raise FileError(
            f'"activations" must list {hidden} names, one per hidden layer, got {_show(acts)}'
        )
    acts = [_choice(a, f'"activations" item {i}', list(ACTIVATIONS)) for i, a in enumerate(acts, 1)]
    loss = _choice(doc["loss"], '"loss"', list(LOSSES))

    params_in = doc["params"]
    if not isinstance(params_in, dict):
        raise FileError('"params" must be an object {"W1": …, "b1": …}')
    params = {}
    for k in range(1, len(sizes)):
        for key in (f"W{k}", f"b{k}"):
            if key not in params_in:
                raise FileError(f'"params" has no "{key}"')
        n, m = sizes[k], sizes[k - 1]
        params[f"W{k}"] = _matrix(
            params_in[f"W{k}"], f'"params.W{k}"', n, m, f"W({k}) is n_{k} × n_{k - 1} = {n} × {m}"
        )
        params[f"b{k}"] = _vector(
            params_in[f"b{k}"], f'"params.b{k}"', n, f"b({k}) has n_{k} = {n}"
        )
    unknown = sorted(set(params_in) - set(params))
    if unknown:
        raise FileError(
            f'"params" has {", ".join(map(json.dumps, unknown))}, which this network does not'
        )

    data, n_rows = _data(doc["data"], sizes)
    if "examples" in doc:
        raw = doc["examples"]
        if not isinstance(raw, list) or not LIMITS["batch"][0] <= len(raw) <= LIMITS["batch"][1]:
            raise FileError(
                f'"examples" must list 1 to {LIMITS["batch"][1]} example numbers, got {_show(raw)}'
            )
        examples = tuple(
            _whole(e, f'"examples" item {i}', 1, n_rows) - 1 for i, e in enumerate(raw, 1)
        )
        if len(set(examples)) != len(examples):
            raise FileError('"examples" lists an example twice')
    else:
        examples = (_whole(doc.get("example", 1), '"example"', 1, n_rows) - 1,)
    return NetworkState(
        sizes=tuple(sizes),
        activations=tuple(acts),
        loss=loss,
        params=params,
        data=data,
        examples=examples,
        l2=_real(doc.get("l2", 0.0), '"l2"', *LIMITS["l2"]),
        lr=_real(doc.get("lr", 0.1), '"lr"', *LIMITS["lr"]),
        step=_whole(doc.get("step", 1), '"step"', *LIMITS["step"]),
        init=_choice(doc.get("init", "xavier"), '"init"', list(INITS)),
        seed=_whole(doc.get("seed", 0), '"seed"', *LIMITS["seed"]),
        updates=_whole(doc.get("updates", 0), '"updates"', *LIMITS["updates"]),
    )


def _data(value, sizes: list[int]) -> tuple[ToyData | tuple[np.ndarray, np.ndarray], int]:
    """The "data" field → (data, number of rows)."""
    D, C = sizes[0], sizes[-1]
    if not isinstance(value, dict):
        raise FileError('"data" must be an object: {"X": …, "y": …} or {"dataset": …}')
    if "dataset" in value:
        name = _choice(value["dataset"], '"data.dataset"', list(DATASETS))
        classes = _whole(
            value.get("classes", 2), '"data.classes"', 2, 5 if name in MULTICLASS else 2
        )
        toy = ToyData(
            name,
            _whole(value.get("n", 200), '"data.n"', *LIMITS["toy_points"]),
            _real(value.get("noise", 0.1), '"data.noise"', *LIMITS["noise"]),
            _whole(value.get("seed", 0), '"data.seed"', *LIMITS["seed"]),
            classes,
        )
        if D != 2 or C != classes:
            raise FileError(
                f'"sizes" must start with 2 and end with {classes} for the {name} dataset, '
                f"got {sizes}"
            )
        return toy, toy.n
    for key in ("X", "y"):
        if key not in value:
            raise FileError(f'"data" has no "{key}"')
    X_in, y_in = value["X"], value["y"]
    low, high = LIMITS["rows"]
    if not isinstance(X_in, list) or not low <= len(X_in) <= high:
        got = len(X_in) if isinstance(X_in, list) else _show(X_in)
        raise FileError(f'"data.X" must list {low} to {high:,} examples, got {got}')
    X = _matrix(X_in, '"data.X"', len(X_in), D, f"one row of D = {D} inputs per example")
    y = _vector(y_in, '"data.y"', len(X_in), "one class number per example of data.X")
    for i, label in enumerate(y_in, start=1):
        _whole(label, f'"data.y" item {i}', 1, C)
    return (X, y.astype(np.int64) - 1), len(X_in)


# --- writing -----------------------------------------------------------------------
def to_json(state: NetworkState) -> str:
    """The file's text. Floats are written exactly (repr), so a load gives back the same
    bits; classes and examples counted from 1."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(state.sizes),
        "activations": list(state.activations),
        "loss": state.loss,
        "params": {key: state.params[key].tolist() for key in _param_keys(state.sizes)},
    }
    if isinstance(state.data, ToyData):
        doc["data"] = {
            "dataset": state.data.dataset,
            "n": state.data.n,
            "noise": state.data.noise,
            "seed": state.data.seed,
            "classes": state.data.classes,
        }
    else:
        X, y = state.data
        doc["data"] = {"X": X.tolist(), "y": [int(c) + 1 for c in y]}
    if len(state.examples) == 1:
        doc["example"] = state.examples[0] + 1
    else:
        doc["examples"] = [e + 1 for e in state.examples]
    doc |= {
        "l2": state.l2,
        "lr": state.lr,
        "step": state.step,
        "init": state.init,
        "seed": state.seed,
        "updates": state.updates,
    }
    return json.dumps(doc, indent=1)


def network(state: NetworkState) -> MLP:
    """The MLP the state describes, with its parameter values (copies)."""
    net = MLP(list(state.sizes), list(state.activations), state.loss, state.init, state.seed)
    net.params = {key: np.array(state.params[key], dtype=np.float64) for key in net.params}
    return net


PRESET_DIR = Path(__file__).parent / "network_presets"


def presets() -> dict[str, str]:
    """The presets shipped with the app, file stem → title (their "title" field)."""
    return {
        path.stem: json.loads(path.read_text())["title"]
        for path in sorted(PRESET_DIR.glob("*.json"))
    }


def load_preset(name: str) -> NetworkState:
    """A shipped preset, read like any file (so the presets test the format too)."""
    if name not in presets():
        raise FileError(f"no preset called {name!r}")
    return from_json((PRESET_DIR / f"{name}.json").read_text())


def _param_keys(sizes) -> list[str]:
    return [f"{p}{k}" for k in range(1, len(sizes)) for p in ("W", "b")]


__all__ = [
    "FORMAT",
    "LIMITS",
    "MAX_BYTES",
    "VERSION",
    "FileError",
    "NetworkState",
    "ToyData",
    "from_json",
    "load_preset",
    "network",
    "presets",
    "to_json",
]
