"""Build & Step: build a small network, then walk its forward and backward pass one layer
at a time, every tensor as a heatmap beside the equation that produced it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine import (
    ACTIVATION_LABELS,
    ACTIVATIONS,
    DATASETS,
    INITS,
    LOSSES,
    MLP,
    MULTICLASS,
    gradient_norms,
    make_dataset,
    minibatch,
    sgd_step,
)
from ui.chart import show
from ui.link import flag, note_ignored_values, number_in, one_of, shown_as
from ui.player import payload_id, player
from viz.heatmap import tensor_heatmap
from viz.norms import gradient_norms_figure
from viz.step_view import step_view

N_POINTS = 200
MAX_LAYERS, MAX_WIDTH, MAX_BATCH, MAX_CLASSES, MAX_SEED = 4, 16, 32, 5, 10_000
DEFAULT_WIDTHS = [4, 3, 4, 4]
L2_CHOICES = [0.0, 0.0001, 0.001, 0.01, 0.1, 1.0]
LR_CHOICES = [0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
MAX_STEPS = 2 * MAX_LAYERS + 3 + 1 + 4 * MAX_LAYERS + 2
PAYLOADS_KEPT = 32  # step payloads cached per server: 0.2 MB (default) to 1.1 MB (largest)

# Less empty space above the title (Streamlit's default is 6rem), so that on a 1280 × 720
# projector the step's header, equation with numbers and heatmaps fit without scrolling.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] { padding-top: 4.25rem; }</style>"

LINK = {
    "data": one_of(DATASETS.values()),
    "classes": number_in(2, MAX_CLASSES, integer=True),
    "minibatch": flag(),
    "example": number_in(0, N_POINTS - 1, integer=True),
    "size": number_in(1, MAX_BATCH, integer=True),
    "layers": number_in(0, MAX_LAYERS, integer=True),
    **{f"w{i}": number_in(1, MAX_WIDTH, integer=True) for i in range(1, MAX_LAYERS + 1)},
    **{f"g{i}": one_of(ACTIVATION_LABELS.values()) for i in range(1, MAX_LAYERS + 1)},
    "loss": one_of(LOSSES.values()),
    "init": one_of(INITS.values()),
    "seed": number_in(0, MAX_SEED, integer=True),
    "l2": one_of(str(v) for v in L2_CHOICES),
    "step": number_in(1, MAX_STEPS, integer=True),
}
URL = "query-params"


def sidebar() -> dict:
    """The configuration widgets (bound to the URL) → a plain dict of settings."""
    sb = st.sidebar
    sb.header("Data")
    data = sb.selectbox(
        "Dataset", list(DATASETS), format_func=shown_as(DATASETS), key="data", bind=URL
    )
    classes = 2
    if data in MULTICLASS:
        classes = sb.number_input("Classes", 2, MAX_CLASSES, 3, key="classes", bind=URL)
    use_batch = sb.toggle(
        "Trace a random mini-batch",
        False,
        key="minibatch",
        bind=URL,
        help="Off: trace one example. On: a random mini-batch of 1–32.",
    )
    if use_batch:
        size = sb.slider("Mini-batch size N", 1, MAX_BATCH, 8, key="size", bind=URL)
        example = None
    else:
        example = sb.number_input(
            f"Example (0–{N_POINTS - 1})", 0, N_POINTS - 1, 0, key="example", bind=URL
        )
        size = 1

    sb.header("Network")
    layers = sb.slider("Hidden layers", 0, MAX_LAYERS, 2, key="layers", bind=URL)
    widths, acts = [], []
    for i in range(1, layers + 1):
        left, right = sb.columns([2, 3])
        widths.append(
            left.number_input(
                f"Units h({i})", 1, MAX_WIDTH, DEFAULT_WIDTHS[i - 1], key=f"w{i}", bind=URL
            )
        )
        acts.append(
            right.selectbox(
                f"Activation g({i})",
                list(ACTIVATIONS),
                index=list(ACTIVATIONS).index("tanh"),
                format_func=shown_as(ACTIVATION_LABELS),
                key=f"g{i}",
                bind=URL,
            )
        )
    loss = sb.selectbox("Loss", list(LOSSES), format_func=shown_as(LOSSES), key="loss", bind=URL)
    init = sb.selectbox(
        "Initialisation", list(INITS), format_func=shown_as(INITS), key="init", bind=URL
    )
    seed = sb.number_input("Seed (data, weights, mini-batch)", 0, MAX_SEED, 0, key="seed", bind=URL)
    l2 = sb.select_slider("L2 strength λ", L2_CHOICES, value=0.0, key="l2", bind=URL)
    return dict(
        data=data,
        classes=int(classes),
        size=int(size),
        example=example,
        sizes=[2, *map(int, widths), int(classes)],
        acts=acts,
        loss=loss,
        init=init,
        seed=int(seed),
        l2=float(l2),
    )


def current_network(cfg: dict) -> MLP:
    """This session's network: rebuilt when its architecture changes, kept (with the SGD
    updates applied to it) while only the data or the step changes."""
    arch = (tuple(cfg["sizes"]), tuple(cfg["acts"]), cfg["loss"], cfg["init"], cfg["seed"])
    held = st.session_state.get("bs_net")
    if held is None or held["arch"] != arch:
        net = MLP(cfg["sizes"], cfg["acts"], cfg["loss"], cfg["init"], cfg["seed"])
        held = st.session_state["bs_net"] = dict(arch=arch, net=net, losses=[], last=None)
    return held["net"]


def network_key(net: MLP) -> tuple:
    """What a network's steps depend on: its architecture and its parameters' bytes."""
    params = b"".join(np.asarray(v, dtype=np.float64).tobytes() for v in net.params.values())
    return (tuple(net.sizes), tuple(net.activations), net.loss, params)


@st.cache_data(max_entries=PAYLOADS_KEPT, show_spinner=False, hash_funcs={MLP: network_key})
def step_payload(net: MLP, batch: tuple, l2: float) -> dict:
    """Every step of the trace as the player shows it, built once per configuration and
    shared by every session on this server (a class mostly runs the same preset).
    ``batch`` = (dataset, classes, seed, example indices), ``l2`` = λ."""
    data, classes, seed, idx = batch
    X_all, y_all = make_dataset(data, N_POINTS, 0.1, seed, classes)
    X, y = X_all[list(idx)], y_all[list(idx)]
    payload = step_view(net, net.trace(X, y, l2), X, list(idx), y.tolist())
    payload["id"] = payload_id(payload)
    return payload


def link_step() -> int | None:
    """The link's ``step`` on this page's first run in the session (once), else None."""
    if st.session_state.get("bs_opened"):
        return None
    st.session_state["bs_opened"] = True
    raw = st.query_params.get("step")
    return int(raw) if raw is not None and LINK["step"].check(raw) else None


def stepper(net: MLP, cfg: dict, idx: list[int]) -> int:
    """Every step of the forward and backward pass, stepped in the browser (ui.player):
    the payload is built (or found in the cache) once per configuration and weights."""
    batch = (cfg["data"], cfg["classes"], cfg["seed"], tuple(idx))
    payload = step_payload(net, batch, cfg["l2"])
    return player(payload, key="bs_player", step=link_step())


def update_panel(net, X, y, l2) -> None:
    held = st.session_state["bs_net"]
    st.subheader("Apply one SGD update")
    st.caption(
        "Uses the gradients of the backward pass above (its last step), then re-traces "
        "the same batch with the new weights."
    )
    lr = st.select_slider("Learning rate α", LR_CHOICES, value=0.1, key="lr")
    if st.button("Apply θ ← θ − α∇θ L", type="primary", key="apply"):
        before, grads = net.loss_and_grads(X, y, l2)  # the trace's numbers: one code path
        change = sgd_step(net.params, grads, lr)
        after = net.loss_and_grads(X, y, l2)[0]
        held["losses"] = (held["losses"] or [before]) + [after]
        held["last"] = dict(
            before=before,
            after=after,
            lr=lr,
            change={k: v for k, v in change.items() if k.startswith("W")},
        )
        st.rerun()
    last = held["last"]
    if last is None:
        st.caption(
            "Each update moves every weight against its gradient and re-traces the "
            "same batch, so you can watch the loss fall one step at a time."
        )
        return
    a, b = st.columns(2)
    a.metric("Loss before", f"{last['before']:.5f}")
    b.metric(
        "Loss after",
        f"{last['after']:.5f}",
        delta=f"{last['after'] - last['before']:+.5f}",
        delta_color="inverse",
    )
    if len(held["losses"]) > 2:
        st.line_chart(
            pd.Series(held["losses"], name="batch loss").rename_axis("update"), height=180
        )
    names = list(last["change"])
    for tab, key in zip(
        st.tabs([f"ΔW({k[1:]}) = −α∇W({k[1:]})" for k in names]), names, strict=True
    ):
        with tab:
            change = tensor_heatmap(f"ΔW({key[1:]})", last["change"][key])
            show(change, key=f"delta_{key}", width="content")
    if st.button("Reset the weights", key="reset"):
        del st.session_state["bs_net"]
        st.rerun()


def main() -> None:
    st.title("Build & Step")
    st.caption(
        "Build a network in the sidebar, then step through both passes: buttons, ← →, "
        "Space or a presentation clicker."
    )
    st.html(PAGE_CSS)
    note_ignored_values(LINK, page="build_and_step")
    cfg = sidebar()
    X_all, y_all = make_dataset(cfg["data"], N_POINTS, 0.1, cfg["seed"], cfg["classes"])
    idx = (
        [cfg["example"]]
        if cfg["example"] is not None
        else minibatch(N_POINTS, cfg["size"], cfg["seed"]).tolist()
    )
    X, y = X_all[idx], y_all[idx]
    net = current_network(cfg)
    stepper(net, cfg, idx)
    update_panel(net, X, y, cfg["l2"])

    norms_col, words_col = st.columns([3, 2], gap="large", vertical_alignment="center")
    with norms_col:
        show(gradient_norms_figure(gradient_norms(net.trace(X, y, cfg["l2"]))), key="norms")
    words_col.markdown(
        "**Gradient sizes of the whole backward pass.** Each pair of bars is one layer. "
        "Try 4 sigmoid layers: the bars shrink layer by layer towards the input, because "
        "every sigmoid multiplies the gradient by at most 0.25 (vanishing gradients)."
    )


main()
