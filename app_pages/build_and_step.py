"""Build & Step: build a small network, then walk its forward and backward pass one layer
at a time, every tensor as a heatmap beside the equation that produced it."""

from __future__ import annotations

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
from viz.equation import (
    batch_size,
    in_equation_order,
    shapes_in_code,
    with_numbers,
    with_shapes,
)
from viz.explain import explain
from viz.heatmap import orient, tensor_heatmap
from viz.network import network_figure
from viz.norms import gradient_norms_figure

N_POINTS = 200
MAX_LAYERS, MAX_WIDTH, MAX_BATCH, MAX_CLASSES, MAX_SEED = 4, 16, 32, 5, 10_000
DEFAULT_WIDTHS = [4, 3, 4, 4]
L2_CHOICES = [0.0, 0.0001, 0.001, 0.01, 0.1, 1.0]
LR_CHOICES = [0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
MAX_STEPS = 2 * MAX_LAYERS + 3 + 1 + 4 * MAX_LAYERS + 2
NOT_HEATMAPS = {"y", "L"}  # shown as numbers, not as heatmaps


# The step buttons and the position line stick below the app's header when the page
# scrolls, so "Next" stays at hand beside the heatmaps on a 720-pixel-high projector.
STEP_BAR = "step_bar"
STEP_BAR_CSS = f"""<style>[data-testid="stLayoutWrapper"]:has(> .st-key-{STEP_BAR}) {{
    position: sticky; top: 3.75rem; z-index: 100; background: #FFFFFF; padding-bottom: 0.5rem;
}}</style>"""

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


def keep_step_meaningful(steps, signature) -> None:
    """Choose the step to show before the step slider is drawn.

    On the session's first run, the link's ``step`` (when valid). When what is traced
    changes, the same tensor if the new trace has it, else step 1. Always in range.
    (The step is synced with the URL by hand, not with ``bind``: a bound slider whose
    range changes is re-created and re-read from the URL, undoing this choice.)
    """
    where = st.session_state.get("bs_where")
    if where is None:
        raw = st.query_params.get("step", "1")
        step = int(raw) if LINK["step"].check(raw) else 1
    elif where[0] != signature:
        titles = [(s.kind, s.title) for s in steps]
        step = titles.index(where[1]) + 1 if where[1] in titles else 1
    else:
        step = st.session_state.get("step", 1)
    st.session_state["step"] = min(max(int(step), 1), len(steps))


def move(to: int) -> None:
    st.session_state["step"] = to


def step_controls(n_steps: int) -> int:
    cols = st.columns([1.4, 1.4, 1.4, 1.4, 5], vertical_alignment="bottom")
    # The slider first, then the buttons beside it (they need the current step).
    i = cols[4].slider("Step", 1, n_steps, key="step")
    st.query_params["step"] = str(i)
    buttons = [
        ("First", "first_page", 1, i == 1),
        ("Prev", "chevron_left", max(i - 1, 1), i == 1),
        ("Next", "chevron_right", min(i + 1, n_steps), i == n_steps),
        ("Last", "last_page", n_steps, i == n_steps),
    ]
    for col, (label, icon, to, disabled) in zip(cols, buttons, strict=False):
        col.button(
            label,
            icon=f":material/{icon}:",
            on_click=move,
            args=(to,),
            type="primary" if label == "Next" else "secondary",
            disabled=disabled,
            width="stretch",
            key=label.lower(),
        )
    return i


def show_tensors(step, examples) -> None:
    # In the equation's order, so the result comes first, as on the equation's left.
    names = [n for n in in_equation_order(step) if n not in NOT_HEATMAPS]
    reads = ", ".join(f"**{n}**" for n in names if n not in step.writes)
    writes = ", ".join(f"**{n}**" for n in names if n in step.writes)
    st.markdown(f"This step writes {writes} from {reads}:")
    with st.container(horizontal=True, gap="small"):  # wraps onto rows when narrow
        for i, name in enumerate(names):
            fig = tensor_heatmap(name, step.arrays[name], examples)
            show(fig, key=f"tensor_{i}", width="content")


def show_tables(step, examples) -> None:
    names = [n for n in in_equation_order(step) if n != "L"]
    for tab, name in zip(st.tabs(names), names, strict=True):
        with tab:
            o = orient(name, step.arrays[name], examples)
            df = pd.DataFrame(
                o.z,
                index=[f"{o.row_title} {r}".strip() for r in o.rows],
                columns=[f"{o.col_title} {c}".strip() for c in o.cols],
            )
            st.dataframe(df, width="stretch")
            safe = name.replace("∇", "grad_").replace("'", "prime")
            st.download_button(
                f"Download {name} as CSV",
                df.to_csv().encode(),
                file_name=f"{safe}.csv",
                mime="text/csv",
                key=f"csv_{name}",
            )


def update_panel(net, X, y, l2) -> None:
    held = st.session_state["bs_net"]
    st.subheader("Apply one SGD update")
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
        "Build a network in the sidebar, then walk the forward pass and the backward "
        "pass one step at a time. Every number comes from the engine's trace: the same "
        "code that trains the network."
    )
    note_ignored_values(LINK, page="build_and_step")
    st.html(STEP_BAR_CSS)
    cfg = sidebar()
    X_all, y_all = make_dataset(cfg["data"], N_POINTS, 0.1, cfg["seed"], cfg["classes"])
    idx = (
        [cfg["example"]]
        if cfg["example"] is not None
        else minibatch(N_POINTS, cfg["size"], cfg["seed"]).tolist()
    )
    X, y = X_all[idx], y_all[idx]
    net = current_network(cfg)
    steps = net.trace(X, y, cfg["l2"])
    held = st.session_state["bs_net"]
    signature = (repr(cfg), len(held["losses"]))
    keep_step_meaningful(steps, signature)
    stepper(net, steps, X, y, idx, signature, cfg["l2"])

    norms_col, words_col = st.columns([3, 2], gap="large", vertical_alignment="center")
    with norms_col:
        show(gradient_norms_figure(gradient_norms(steps)), key="norms")
    words_col.markdown(
        "**Gradient sizes of the whole backward pass.** Each pair of bars is one layer. "
        "Try 4 sigmoid layers: the bars shrink layer by layer towards the input, because "
        "every sigmoid multiplies the gradient by at most 0.25 (vanishing gradients)."
    )


@st.fragment
def stepper(net, steps, X, y, idx, signature, l2) -> None:
    """Everything that changes from step to step. A fragment, so a step click reruns and
    redraws only this part of the page, not the sidebar or the gradient-norm chart."""
    with st.container(key=STEP_BAR):  # stays in view while the page scrolls (STEP_BAR_CSS)
        i = step_controls(len(steps))
        step = steps[i - 1]
        color = "#B91C1C" if step.phase == "backward" else "#1D4ED8"
        st.markdown(
            f"<div style='font-size:1.5rem'>Step <b>{i}</b> of {len(steps)} · "
            f"<span style='color:{color}'><b>{step.phase}</b></span> · layer {step.layer} · "
            f"<b>{step.title}</b></div>",
            unsafe_allow_html=True,
        )
    st.session_state["bs_where"] = (signature, (step.kind, step.title))

    known = {"h(0)": X}
    for s in steps[:i]:
        known.update(s.writes)
    n = batch_size(step)
    left, right = st.columns(2, gap="large")
    with left:
        weights = {k: net.params[f"W{k}"] for k in range(1, net.n_layers + 1)}
        out = "f(x)" if net.loss == "softmax_ce" else f"s = a({net.n_layers})"
        show(network_figure(net.sizes, weights, step, known, out), key="network")
        st.caption(
            f"Example #{idx[0]}, true class y = {y[0]}"
            if n == 1
            else f"Mini-batch of {n} examples; the nodes show example #{idx[0]}."
        )
    with right:
        st.latex(with_shapes(step))
        st.info(explain(step, net.activations, net.loss, n), icon=":material/lightbulb:")
        if "L" in step.writes:
            st.metric("Loss L on this batch", f"{float(step.writes['L']):.5f}")
        st.code(
            f"{step.code}\n# shapes: {shapes_in_code(step)}", language="python", wrap_lines=True
        )

    numbers = with_numbers(step)
    if numbers:  # the full width: b + W h with a 4 × 4 W is too wide for a column
        st.latex(numbers)
    show_tensors(step, idx)
    # Tables only on request: four data grids cost the browser more than the figures.
    if st.toggle("Show this step's values as tables (CSV download)", key="bs_tables"):
        show_tables(step, idx)
    if i == len(steps):
        update_panel(net, X, y, l2)
    else:
        st.caption("At the last step of the backward pass you can apply an SGD update.")


main()
