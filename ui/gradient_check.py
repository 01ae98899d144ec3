"""Pieces of the "Gradient check" page: the network to check (Build & Step's settings, a
preset or an uploaded file), its check and step-size sweep, and the panels that show a
check, the sweep and a planted bug.

A class mostly checks one network: each check and sweep is computed once per server for
its network and each figure built once per server for its job (and tensor)
(``ui.chart.shared_spec``); a session only draws the shared specs. A check is light work
(at most ~0.12 s for the largest network a file may hold), so it runs in the page's own
run rather than waiting in ``ui.work``'s queue behind the class's trainings.

The settings rows mean what Build & Step's sidebar means (same names, bounds and
defaults), except that the example counts from 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from engine import (
    ACTIVATION_LABELS,
    LOSSES,
    MLP,
    MULTICLASS,
    make_dataset,
    minibatch,
)
from engine.gradcheck import KINKED, MAX_EXHAUSTIVE, RIGHT, WRONG, NetworkCheck, check_network
from engine.network_file import MAX_BYTES, FileError, ToyData, from_json, load_preset, network
from engine.planted import BUGS, planted_grads
from engine.step_size import StepSizeSweep, network_step_size
from ui.chart import draw, shared_spec
from ui.network_params import N_POINTS, NOISE
from viz.gradcheck import error_heatmap, max_error_figure, step_size_figure


# --- the network under test -------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """A network and batch as Build & Step builds them; ``examples`` count from 0."""

    data: str
    classes: int
    examples: tuple[int, ...]
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    init: str
    seed: int
    l2: float


def settings_of(cfg: Mapping[str, Any]) -> Settings:
    """The page's config (settings rows) → Settings."""
    classes = cfg["classes"] if cfg["data"] in MULTICLASS else 2
    layers = range(1, cfg["layers"] + 1)
    if cfg["minibatch"]:
        examples = tuple(int(i) for i in minibatch(N_POINTS, cfg["size"], cfg["seed"]))
    else:
        examples = (cfg["example"] - 1,)
    return Settings(
        cfg["data"], classes, examples, (2, *(cfg[f"w{i}"] for i in layers), classes),
        tuple(cfg[f"g{i}"] for i in layers), cfg["loss"], cfg["init"], cfg["seed"], cfg["l2"],
    )  # fmt: skip


@dataclass(frozen=True)
class Preset:
    """A preset shipped with the app, by file stem (engine.network_file.presets)."""

    name: str


Network = Settings | Preset | bytes  # bytes: an uploaded network file's text


@dataclass(frozen=True)
class Subject:
    """What a check runs on: the network, the batch X (N, D), y (N,) (classes from 0), λ,
    and the examples' numbers counted from 1."""

    net: MLP
    X: np.ndarray
    y: np.ndarray
    l2: float
    examples: tuple[int, ...]


def subject(network_: Network) -> Subject:
    if isinstance(network_, Settings):
        s = network_
        net = MLP(list(s.sizes), list(s.activations), s.loss, s.init, s.seed)
        X_all, y_all = make_dataset(s.data, N_POINTS, NOISE, s.seed, s.classes)
        examples, l2 = s.examples, s.l2
    else:
        state = load_preset(network_.name) if isinstance(network_, Preset) else from_json(network_)
        net, examples, l2 = network(state), state.examples, state.l2
        if isinstance(state.data, ToyData):
            d = state.data
            X_all, y_all = make_dataset(d.dataset, d.n, d.noise, d.seed, d.classes)
        else:
            X_all, y_all = state.data
    rows = list(examples)
    return Subject(net, X_all[rows], y_all[rows], l2, tuple(i + 1 for i in examples))


@dataclass(frozen=True)
class Job:
    network: Network
    bug: str | None = None  # a planted bug's name, or None for the engine's own gradients


def _check(job: Job) -> NetworkCheck:
    s = subject(job.network)
    grads = None if job.bug is None else planted_grads(job.bug, s.net, s.X, s.y, s.l2)[1]
    return check_network(s.net, s.X, s.y, s.l2, grads=grads)


def _sweep(network_: Network) -> StepSizeSweep:
    s = subject(network_)
    return network_step_size(s.net, s.X, s.y, s.l2)


CHECK = st.cache_data(_check, max_entries=32, ttl=3600, show_spinner=False)
SWEEP = st.cache_data(_sweep, max_entries=32, ttl=3600, show_spinner=False)


# The figures, by job (and tensor) or network: built once per server from the shared
# results (cache hits: the page computed them first).
def max_errors(job: Job):
    return max_error_figure(CHECK(job))


def heatmap(job: Job, name: str):
    # At its column's width, not its layout's (wider than half the page on a projector).
    return error_heatmap(CHECK(job), name)


def step_sizes(network_: Network):
    return step_size_figure(SWEEP(network_))


MAX_ERRORS, STEP_SIZES = shared_spec(max_errors), shared_spec(step_sizes)
HEATMAP = shared_spec(heatmap, max_entries=128)  # a job's W(k), b(k): up to 2 per layer


def uploaded_network(key: str, where) -> tuple[bytes | None, str | None]:
    """The uploader, and (the text of the last good file this session, the reason the file
    now in the uploader cannot be used, if so). A bad file never replaces the good one."""
    upload = where.file_uploader(
        f"Network file (JSON, at most {MAX_BYTES // 1_000_000} MB)",
        type=["json"],
        key=key,
        max_upload_size=1,
        help="A network saved from Build & Step, or written by hand in its format.",
    )
    state = st.session_state.setdefault(f"_{key}", {"seen": None, "good": None, "bad": None})
    if upload is not None and upload.file_id != state["seen"]:
        state["seen"], state["bad"] = upload.file_id, None
        try:
            if upload.size > MAX_BYTES:
                raise FileError(f"the file is {upload.size:,} bytes; the limit is {MAX_BYTES:,}")
            text = upload.getvalue()
            from_json(text)  # the whole file checked before it replaces anything
            state["good"] = text
        except FileError as error:
            name = "".join(c for c in upload.name[:60] if c.isprintable() and c not in "`*_")
            state["bad"] = f"**{name}** cannot be used: {error}."
    return state["good"], state["bad"] if upload is not None else None


# --- panels -------------------------------------------------------------------------------
def describe(s: Subject) -> str:
    """'Sizes 2 → 4 → 3 → 2 · g: tanh, tanh · softmax cross-entropy · example 1 · λ = 0'."""
    net = s.net
    shape = " → ".join(map(str, net.sizes))
    acts = ", ".join(ACTIVATION_LABELS[g] for g in net.activations) or "none (linear)"
    which = ", ".join(map(str, s.examples[:8])) + (", …" if len(s.examples) > 8 else "")
    batch = f"example {which}" if len(s.examples) == 1 else f"N = {len(s.examples)}: {which}"
    return f"Sizes {shape} · g: {acts} · {LOSSES[net.loss]} · {batch} · λ = {s.l2:g}"


def has_kinks(net: MLP) -> bool:
    return net.loss == "hinge" or any(g in KINKED for g in net.activations)


def check_panel(job: Job, check: NetworkCheck, key: str, names: list[str]) -> None:
    """The sentence of ``check`` (= CHECK(job)), the largest error per tensor, and a heatmap
    for each tensor in ``names``: W(k) beside b(k), one layer a row."""
    verdict = {"right": st.success, "suspicious": st.warning}.get(check.verdict, st.error)
    verdict(check.message, icon=":material/fact_check:")
    draw(MAX_ERRORS(job), f"{key}.max")
    layers = dict.fromkeys(name[2:-1] for name in names)  # "W(2)" → "2", in order
    for k in layers:
        row = [n for n in (f"W({k})", f"b({k})") if n in names]
        for column, name in zip(st.columns(2), row, strict=False):
            with column:
                draw(HEATMAP(job, name), f"{key}.{name}")


def bound_note(check: NetworkCheck) -> None:
    """How many parameters were checked, against the bound."""
    if check.sampled:
        st.caption(
            f"More than {MAX_EXHAUSTIVE:,} parameters: a random sample of {check.n_checked:,} "
            f"of the {check.n_params:,} was checked (seed {check.seed}); grey cells were not."
        )
    else:
        st.caption(
            f"All {check.n_params:,} parameters checked one by one: up to {MAX_EXHAUSTIVE:,} "
            "are; a larger network gets a random sample, and this line says so."
        )


def reading_note(net: MLP) -> None:
    st.markdown(
        f"**Reading the relative error** |a − n| / max(|a|, |n|, tiny): about 1e-7 or less is "
        f"**right** (here ≤ {RIGHT:.0e}); about 1e-4 is **suspicious**; more than "
        f"{WRONG:.0e} is **wrong**.".replace("e-0", "e-")
    )
    kinks = "This network has them" if has_kinks(net) else "This network has none (smooth g)"
    st.markdown(
        "**Kinks.** ReLU's g′ jumps at a = 0 (leaky ReLU's too, the hinge's at a margin of 0). "
        "If θ ± h pushes a pre-activation across 0, the centred difference averages two "
        "slopes and can disagree with the analytic gradient although nothing is wrong: such "
        f"entries are marked × and left out of the reading. {kinks}."
    )


def step_panel(network_: Network, sweep: StepSizeSweep) -> None:
    """The sweep (= SWEEP(network_)) and what it shows."""
    draw(STEP_SIZES(network_), "gradient_check.fig.step")
    best = ", ".join(f"{d}: h = {sweep.best_h[d]:.0e}" for d in sweep.best_h)
    st.markdown(
        "Large h: the **truncation** error of the centred difference falls as **h²** "
        "(its Taylor series: h² f‴/6). Small h: **round-off** grows as **ε/h**, every loss "
        "value carrying a rounding error of about ε|L| that the division by 2h magnifies. "
        f"The best h sits between them ({best}); float32 (ε ≈ 1e-7) wants a larger h and "
        "never gets as close as float64 (ε ≈ 2e-16)."
    )


def bug_panel(job: Job, check: NetworkCheck, hidden: str | None) -> None:
    """The right and the wrong line of ``job``'s bug, and its check (= CHECK(job))."""
    planted = BUGS[job.bug]
    right, wrong = st.columns(2, gap="large")
    with right:
        st.markdown("**Right**")
        st.latex(planted.right_tex)
        st.code(planted.right_code, language="python")
    with wrong:
        st.markdown(f"**Wrong: {planted.label}**")
        st.latex(planted.wrong_tex)
        st.code(planted.wrong_code, language="python")
    if hidden:
        st.info(
            f"This bug cannot show on this network: {hidden}. The check passes, because a "
            "check can only test what the network exercises.",
            icon=":material/visibility_off:",
        )
    check_panel(job, check, "gradient_check.fig.bug", check.failing)
