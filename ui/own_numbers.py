"""Build & Step's panels for your own numbers: the data table, the weights as tables, the
network file (save, load, presets) and the SGD update.

Numbers a person reads count from 1: examples, classes, units (rows "unit i of a(k)",
columns "unit j of h(k−1)"). Every edit is checked before it is applied; a bad one is
named and nothing changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.network_file import (
    LIMITS,
    FileError,
    NetworkState,
    ToyData,
    from_json,
    load_preset,
    network,
    presets,
    to_json,
)
from engine.own_data import DataError, check_data, parse_csv
from engine.train import loss_change
from ui.build_state import HELD, Held, own_data, set_own_data
from ui.chart import draw, shared_spec
from ui.network_params import N_POINTS, NOISE, OWN
from ui.params import Params
from viz.heatmap import tensor_heatmap

FILE_PROBLEM = "_bs_file_problem"  # session: the last refused file's message
TABLE_VERSION = "_bs_table_version"
JUMP = "_bs_jump"  # session: a file or preset was just applied
CHANGE = shared_spec(tensor_heatmap, max_entries=16)  # ΔW(k) of an update: (title, array)


# --- applying a whole state (a file or a preset) ------------------------------------------
def apply_state(params: Params, state: NetworkState, origin: str, keep: set[str] = frozenset()):
    """Set every widget and the network to ``state``; parameters in ``keep`` (given by a
    link) stay. Call before the widgets are drawn (a callback, or before the sidebar)."""
    sizes, hidden = state.sizes, len(state.sizes) - 2
    values = dict(
        layers=hidden, loss=state.loss, init=state.init, seed=state.seed, l2=state.l2,
        lr=state.lr, step=state.step, updates=0, preset=origin.removeprefix("preset:")
        if origin.startswith("preset:") else "",
    )  # fmt: skip
    for i in range(1, hidden + 1):
        values[f"w{i}"], values[f"g{i}"] = sizes[i], state.activations[i - 1]
    toy = state.data
    if isinstance(toy, ToyData) and (toy.n, toy.noise) == (N_POINTS, NOISE):
        values |= dict(data=toy.dataset, classes=max(toy.classes, 2), seed=toy.seed)
    else:
        if isinstance(toy, ToyData):  # other sizes than the page's: its points, as own numbers
            from engine import make_dataset

            X, y = make_dataset(toy.dataset, toy.n, toy.noise, toy.seed, toy.classes)
        else:
            X, y = toy
        set_own_data(X, y, sizes[-1])
        values |= dict(data=OWN, C=sizes[-1])
        st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1
    if len(state.examples) == 1:
        values |= dict(minibatch=False, example=state.examples[0] + 1)
    else:
        values |= dict(minibatch=True, size=len(state.examples))
    # Only values the table accepts (a file's lr need not be one of the menu's).
    for name, value in values.items():
        if name in keep:
            continue
        p = params.by_name[name]
        try:
            p.kind.clean(p.kind.to_url(value))
        except ValueError:
            continue
        st.session_state[params.key(name)] = value
    st.session_state[JUMP] = True  # the player opens at the state's step
    if not keep:  # not from a link: the URL still shows the old settings
        params.session_wins()
    if origin == "custom":  # a file's weights; a preset's come from held_network
        net = network(state)
        arch = (tuple(sizes), tuple(state.activations), state.loss, state.init, state.seed)
        base = {k: v.copy() for k, v in net.params.items()}
        st.session_state[HELD] = Held(arch, net, origin, base)
    else:
        st.session_state.pop(HELD, None)


def load_file(params: Params, uploader_key: str) -> None:
    """on_change of the file uploader: check the whole file, then apply it, or say why not."""
    upload = st.session_state.get(uploader_key)
    if upload is None:
        return
    try:
        state = from_json(upload.getvalue())
    except FileError as error:
        st.session_state[FILE_PROBLEM] = f"**{upload.name}** was not loaded: {error}."
        return
    st.session_state[FILE_PROBLEM] = ""
    apply_state(params, state, "custom")


def load_named_preset(params: Params, name: str) -> None:
    apply_state(params, load_preset(name), f"preset:{name}")
    st.session_state[FILE_PROBLEM] = ""


# --- panels --------------------------------------------------------------------------------
def file_panel(params: Params, state: NetworkState, shareable: str) -> None:
    """Presets, save, load; ``shareable`` is '' or why a link cannot carry this state."""
    st.markdown("**Presets from the notes** (one click; each is a network file)")
    cols = st.columns(len(presets()))
    for col, (name, title) in zip(cols, presets().items(), strict=True):
        col.button(
            title, key=f"bs_preset_{name}", on_click=load_named_preset, args=(params, name),
            width="stretch",
        )  # fmt: skip
    save, load = st.columns(2)
    with save:
        if shareable:
            st.warning(shareable, icon=":material/link_off:")
        st.download_button(
            "Save this network as JSON",
            to_json(state).encode(),
            file_name="backprop-explorer-network.json",
            mime="application/json",
            icon=":material/download:",
            key="bs_save",
        )
    with load:
        key = "bs_upload"
        st.file_uploader(
            "Load a network file (JSON, at most 1 MB)", type=["json"], key=key,
            on_change=load_file, args=(params, key),
        )  # fmt: skip
        if problem := st.session_state.get(FILE_PROBLEM):
            st.error(problem + " Nothing was changed.", icon=":material/error:")


def data_panel(params: Params) -> None:
    """The own-numbers table: one row per example, inputs x1 … xD, then its class (from 1)."""
    X, y, C = own_data()
    version = st.session_state.get(TABLE_VERSION, 0)
    frame = pd.DataFrame(
        X,
        columns=[f"x{j}" for j in range(1, X.shape[1] + 1)],
        index=pd.RangeIndex(1, len(X) + 1, name="example"),  # examples count from 1
    )
    frame["class"] = y + 1
    st.markdown(
        f"**Your own numbers**: one row per example, inputs x1 … x{X.shape[1]}, then its class "
        f"(counted from 1). Up to {LIMITS['rows'][1]:,} rows and {LIMITS['features'][1]} inputs."
    )
    width = st.number_input(
        "Inputs per example D", *LIMITS["features"], value=X.shape[1], key=f"bs_D_{version}"
    )
    if width != X.shape[1]:
        wider = np.zeros((len(X), width))
        wider[:, : min(width, X.shape[1])] = X[:, :width]
        set_own_data(wider, y, C)
        st.session_state[TABLE_VERSION] = version + 1
        st.rerun()
    edited = st.data_editor(
        frame, num_rows="dynamic", key=f"bs_table_{version}", hide_index=False,
        column_config={"class": st.column_config.NumberColumn(min_value=1, step=1)},
    )  # fmt: skip
    rows = edited.to_numpy(dtype=object).tolist()
    try:
        if any(v is None or (isinstance(v, float) and np.isnan(v)) for r in rows for v in r):
            raise DataError("a cell is empty: every example needs all its inputs and a class")
        X2, y2, C2 = check_data([r[:-1] for r in rows], [r[-1] for r in rows])
    except DataError as error:
        st.error(f"The table was not applied: {error}.", icon=":material/error:")
    else:
        if X2.shape != X.shape or not (np.array_equal(X2, X) and np.array_equal(y2, y)):
            set_own_data(X2, y2, max(C2, C))
            st.rerun()
    csv_panel(params)


def copy_toy_data(params: Params, X: np.ndarray, y: np.ndarray, C: int) -> None:
    """on_click: the toy dataset's examples become your own numbers, ready to type over;
    the network and its weights stay (same inputs, same classes)."""
    set_own_data(X, y, C)
    st.session_state[params.key("data")] = OWN
    st.session_state[params.key("C")] = C
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1
    params.session_wins()


def toy_data_panel(params: Params, data) -> None:
    """With a toy dataset: a way to type the traced example's inputs (and any other)."""
    st.button(
        "Type over these examples: copy the dataset into your own numbers",
        key="bs_copy_toy", icon=":material/edit:", on_click=copy_toy_data,
        args=(params, data.X, data.y, data.C),
        help="Then every input x and class is a cell of a table you can edit.",
    )  # fmt: skip


def read_csv(params: Params) -> None:
    upload = st.session_state.get("bs_csv")
    text = st.session_state.get("bs_paste", "")
    source = upload.getvalue() if upload is not None else text
    try:
        X, y, C, _ = parse_csv(source)
    except DataError as error:
        st.session_state[FILE_PROBLEM] = f"The CSV was not used: {error}."
        return
    set_own_data(X, y, C)
    st.session_state[params.key("C")] = max(C, 2)
    st.session_state[TABLE_VERSION] = st.session_state.get(TABLE_VERSION, 0) + 1
    st.session_state[FILE_PROBLEM] = ""


def csv_panel(params: Params) -> None:
    with st.expander("Fill the table from a CSV (inputs, then the class; header optional)"):
        st.file_uploader("CSV file", type=["csv", "txt"], key="bs_csv")
        st.text_area("…or paste it here", key="bs_paste", height=100, max_chars=200_000)
        st.button("Fill the table", key="bs_fill", on_click=read_csv, args=(params,))


def edit_weights(held: Held, k: int, values: np.ndarray) -> tuple[str, bool]:
    """Apply a table of W(k) with b(k) as its last column, (n_k, n_{k-1} + 1), if every
    number is finite and within bounds; → (why not, or '', whether anything changed).
    Edited weights are this session's own: a link can no longer carry them."""
    W, b = held.net.params[f"W{k}"], held.net.params[f"b{k}"]
    if values.shape != (W.shape[0], W.shape[1] + 1):
        return f"W({k}) keeps its shape {W.shape[0]} × {W.shape[1]}.", False
    if not np.isfinite(values).all() or np.abs(values).max() > LIMITS["value"]:
        bound = LIMITS["value"]
        return (
            f"W({k}) was not changed: every weight must be a finite number within ±{bound:g}.",
            False,
        )
    if np.array_equal(values[:, :-1], W) and np.array_equal(values[:, -1], b):
        return "", False
    held.net.params[f"W{k}"], held.net.params[f"b{k}"] = values[:, :-1].copy(), values[:, -1].copy()
    held.origin, held.history, held.version = "custom", [], held.version + 1
    return "", True


def weights_panel(held: Held) -> None:
    """Every W(k) and b(k) as an editable table; an edit re-traces everything."""
    st.markdown(
        "Edit any number and press Enter: the whole trace follows. W(k) is n_k × n_{k−1}: "
        "row i holds the weights into unit i of a(k), column j those from unit j of h(k−1)."
    )
    for k in range(1, held.net.n_layers + 1):
        W, b = held.net.params[f"W{k}"], held.net.params[f"b{k}"]
        prev = "x" if k == 1 else f"h({k - 1})"
        frame = pd.DataFrame(
            W,
            index=[f"unit {i} of a({k})" for i in range(1, W.shape[0] + 1)],
            columns=[f"{prev} {j}" for j in range(1, W.shape[1] + 1)],
        )
        frame[f"b({k})"] = b
        st.markdown(f"**W({k})** and **b({k})** · {W.shape[0]} × {W.shape[1]}")
        edited = st.data_editor(frame, key=f"bs_W{k}_{held.version}")
        problem, changed = edit_weights(held, k, edited.to_numpy(dtype=float))
        if problem:
            st.error(problem, icon=":material/error:")
        elif changed:
            st.rerun()
    if st.button("Reset the weights to where they started", key="bs_reset_weights"):
        held.reset()
        st.rerun()


def update_panel(held: Held) -> None:
    """The SGD update: a button, the loss before and after, in words when it diverges."""
    last = held.last
    if last is None:
        st.caption(
            "Each update moves every weight against its gradient and re-traces the same "
            "batch, so you can watch the loss fall one step at a time."
        )
        return
    a, b = st.columns(2)
    a.metric("Loss before", f"{last['before']:.5g}")
    b.metric(
        "Loss after",
        f"{last['after']:.5g}",
        delta=f"{last['after'] - last['before']:+.3g}",
        delta_color="inverse",
    )
    if words := loss_change(last["before"], last["after"], last["lr"]):
        bad = not np.isfinite(last["after"]) or last["after"] > 10 * max(last["before"], 1e-12)
        (st.error if bad else st.warning)(words, icon=":material/warning:")
    if len(held.losses) > 2:
        losses = pd.Series(held.losses, name="batch loss").rename_axis("update")
        st.line_chart(losses[np.isfinite(losses)], height=180)
    names = list(last["change"])
    tabs = st.tabs([f"ΔW({k[1:]}) = −α∇W({k[1:]})" for k in names])
    for tab, key in zip(tabs, names, strict=True):
        with tab:
            draw(CHANGE(f"ΔW({key[1:]})", last["change"][key]), f"delta_{key}", "content")


__all__ = [
    "apply_state",
    "toy_data_panel",
    "data_panel",
    "file_panel",
    "load_file",
    "update_panel",
    "weights_panel",
]
