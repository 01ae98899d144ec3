"""What Build & Step is looking at: the data, the traced rows and this session's network
(its weights, where they came from, the SGD updates applied), and whether a link can
carry it all.

A link carries settings, not numbers. It reproduces a network whose weights are a fresh
initialisation or a shipped preset, plus ``updates`` SGD updates at ``lr`` on the traced
batch: replayed bit for bit (engine.train.repeat_updates). Own data, edited or loaded
weights, or updates made on other batches cannot travel in a link: the page says so and
offers the JSON file instead (engine.network_file).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from engine import MLP, MULTICLASS, make_dataset, minibatch
from engine.network_file import NetworkState, ToyData, load_preset, network
from engine.own_data import check_data
from engine.train import repeat_updates
from ui.network_params import N_POINTS, NOISE, OWN

OWN_TABLE = "_bs_own"  # session: (X (N, D), y (N,) from 0, C) of the own table
HELD = "_bs_net"  # session: the Held network
# The own table when nothing was typed yet: two inputs, two classes.
OWN_DEFAULT = (
    np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.0], [-0.5, -1.5]]),
    np.array([1, 0, 1, 0]),
    2,
)


@dataclass
class Data:
    """The examples the page traces from: X (N, D), y (N,) labels from 0, C classes."""

    X: np.ndarray
    y: np.ndarray
    C: int
    key: tuple  # what identifies the data: a toy's settings, or a hash of own numbers

    @property
    def D(self) -> int:
        return self.X.shape[1]


def own_data() -> tuple[np.ndarray, np.ndarray, int]:
    return st.session_state.get(OWN_TABLE, OWN_DEFAULT)


def set_own_data(X: np.ndarray, y: np.ndarray, C: int) -> None:
    st.session_state[OWN_TABLE] = (np.asarray(X, np.float64), np.asarray(y, np.int64), int(C))


def page_data(cfg) -> Data:
    """The toy dataset of the sidebar, or this session's own table (classes at least
    ``cfg.C``)."""
    if cfg.data == OWN:
        X, y, C = own_data()
        X, y, C = check_data(X.tolist(), (y + 1).tolist(), max(C, cfg.C, int(y.max()) + 1))
        digest = hashlib.sha1(X.tobytes() + y.tobytes()).hexdigest()[:12]
        return Data(X, y, C, (OWN, digest, C))
    classes = cfg.classes if cfg.data in MULTICLASS else 2
    X, y = make_dataset(cfg.data, N_POINTS, NOISE, cfg.seed, classes)
    return Data(X, y, classes, (cfg.data, classes, cfg.seed))


def traced_rows(cfg, data: Data) -> tuple[list[int], str]:
    """The rows traced (0-based) and, when the link's example does not exist, why."""
    n = len(data.y)
    if cfg.minibatch:
        size = min(cfg.size, n)
        note = "" if size == cfg.size else f"The data has {n} examples: a batch of {n} it is."
        return minibatch(n, size, cfg.seed).tolist(), note
    if cfg.example > n:
        return [n - 1], f"Example {cfg.example} does not exist: the data has {n}; showing {n}."
    return [cfg.example - 1], ""


@dataclass
class Held:
    """This session's network. ``origin``: "init" (initialisation and seed), "preset:NAME"
    (a shipped file), or "custom" (edited or loaded weights). ``base``: the weights at the
    origin (what Reset restores). ``history``: one (α, λ, batch key) per update applied."""

    arch: tuple
    net: MLP
    origin: str
    base: dict[str, np.ndarray]
    history: list[tuple] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    last: dict | None = None
    version: int = 0  # bumped whenever the weights change from outside an editor

    def reset(self) -> None:
        self.net.params = {k: v.copy() for k, v in self.base.items()}
        self.history, self.losses, self.last = [], [], None
        self.version += 1

    def linkable(self, lr: float, l2: float, batch: tuple) -> bool:
        """Whether a link (origin, α, λ, batch, update count) reproduces these weights."""
        return self.origin != "custom" and all(h == (lr, l2, batch) for h in self.history)


def arch_of(cfg, data: Data) -> tuple:
    sizes = (data.D, *[cfg[f"w{i}"] for i in range(1, cfg.layers + 1)], data.C)
    acts = tuple(cfg[f"g{i}"] for i in range(1, cfg.layers + 1))
    return sizes, acts, cfg.loss, cfg.init, cfg.seed


def held_network(cfg, data: Data, rows: list[int]) -> Held:
    """The session's network for this architecture. New when the architecture changes
    (its weights: the preset's, when the link or menu chose one that fits, else the
    initialisation); on the session's first run the link's ``updates`` are replayed."""
    arch = arch_of(cfg, data)
    held: Held | None = st.session_state.get(HELD)
    if held is not None and held.arch == arch:
        return held
    first = held is None
    origin, net = "init", MLP(list(arch[0]), list(arch[1]), arch[2], arch[3], arch[4])
    if cfg.preset:
        state = load_preset(cfg.preset)
        if state.sizes == arch[0] and state.activations == arch[1] and state.loss == arch[2]:
            origin, net = f"preset:{cfg.preset}", network(state)
    held = Held(arch, net, origin, {k: v.copy() for k, v in net.params.items()})
    if first and cfg.updates:
        batch = (data.key, tuple(rows))
        held.losses = repeat_updates(net, data.X[rows], data.y[rows], cfg.lr, cfg.l2, cfg.updates)
        held.history = [(cfg.lr, cfg.l2, batch)] * (len(held.losses) - 1)
    st.session_state[HELD] = held
    return held


def apply_update(held: Held, data: Data, rows: list[int], lr: float, l2: float) -> None:
    """One SGD update θ ← θ − α∇θ L on the traced batch (the trace's own gradients)."""
    X, y = data.X[rows], data.y[rows]
    before, grads = held.net.loss_and_grads(X, y, l2)
    W_before = {k: v.copy() for k, v in held.net.params.items() if k.startswith("W")}
    losses = repeat_updates(held.net, X, y, lr, l2, 1)
    held.losses = (held.losses or [before]) + losses[1:]
    held.history.append((lr, l2, (data.key, tuple(rows))))
    held.last = dict(
        before=before,
        after=losses[-1],
        lr=lr,
        change={k: held.net.params[k] - W_before[k] for k in W_before},
    )
    held.version += 1


def state_of(cfg, data: Data, held: Held, rows: list[int], step: int) -> NetworkState:
    """Everything the page shows, as a network file."""
    sizes, acts, loss, init, seed = held.arch
    toy = cfg.data != OWN
    return NetworkState(
        sizes=sizes,
        activations=acts,
        loss=loss,
        params={k: v.copy() for k, v in held.net.params.items()},
        data=ToyData(cfg.data, N_POINTS, NOISE, cfg.seed, data.C) if toy else (data.X, data.y),
        examples=tuple(rows),
        l2=cfg.l2,
        lr=cfg.lr,
        step=step,
        init=init,
        seed=seed,
        updates=len(held.history),
    )
