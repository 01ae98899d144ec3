"""The computational-graph page's pieces: the preset menu kept in step with the typed
expression, the steps built once per server for each expression and values, the engine's
messages (the last graph that worked stays on show), and the gradient checks."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from engine.circuits import CIRCUITS, Circuit
from engine.expression import format_values, parse_expression, parse_values
from engine.gradcheck import reading
from engine.graph import TINY, ExpressionError, Trace, plain
from ui.params import Params
from ui.player import Packed, pack
from viz.graph_steps import graph_steps

OWN = "own"
PRESETS = {name: c.title for name, c in CIRCUITS.items()} | {OWN: "Your own expression"}
DEFAULT = "xyz"
APPLIED = "graph._applied"  # (preset, expression) as the last run left them
GOOD = "graph._good"  # (expression, values, preset) of the last graph that could be drawn
KEPT = 64  # built step payloads kept per server


@dataclass(frozen=True)
class Built:
    """What an expression and its values give: the player's payload and the trace, or the
    engine's message (and the column it points at, for a syntax error)."""

    payload: Packed | None = None
    trace: Trace | None = None
    circuit: Circuit | None = None
    error: str | None = None
    column: int | None = None


def same_formula(a: str, b: str) -> bool:
    """The same text but for spaces."""
    return "".join(a.split()) == "".join(b.split())


def circuit_of(preset: str, expression: str) -> Circuit | None:
    """The preset whose names and code apply: the chosen one, while its expression is
    the one typed."""
    circuit = CIRCUITS.get(preset)
    return circuit if circuit and same_formula(circuit.expression, expression) else None


@st.cache_data(max_entries=KEPT, show_spinner=False)
def build(expression: str, values: str, preset: str) -> Built:
    """Parse, trace and lay out every step, once per server for each input (a class
    mostly opens the same presets). Never raises for what a user typed."""
    circuit = circuit_of(preset, expression)
    try:
        graph = parse_expression(expression)
        if circuit is not None:
            graph = graph.with_names(circuit.names)
        trace = graph.trace(parse_values(values, graph.inputs))
    except ExpressionError as e:
        return Built(error=e.message, column=e.column)
    return Built(pack(graph_steps(trace, circuit)), trace, circuit)


def follow_preset(params: Params, link: set[str]) -> str | None:
    """Before the widgets are drawn: a preset just chosen (in the menu or by a link that
    does not give the expression itself) fills in its expression and values; an
    expression typed (or linked) over a preset's turns the menu to the preset it is, else
    to "Your own expression"; a typed expression's new variables get a value. Returns a
    note for the user, or None."""
    ss = st.session_state
    kp, ke, kv = (params.key(n) for n in ("preset", "expr", "values"))
    last = ss.get(APPLIED)
    preset = ss[kp]
    if (last is None or preset != last[0]) and preset in CIRCUITS and not {"expr", "values"} & link:
        ss[ke], ss[kv] = CIRCUITS[preset].expression, CIRCUITS[preset].values_text
    elif preset in CIRCUITS and not same_formula(CIRCUITS[preset].expression, str(ss[ke])):
        ss[kp] = next(
            (n for n, c in CIRCUITS.items() if same_formula(c.expression, str(ss[ke]))), OWN
        )
    note = None
    if last is not None and ss[ke] != last[1] and not {"expr", "values"} & link:
        note = _fill_values(str(ss[ke]), kv)
    ss[APPLIED] = (ss[kp], ss[ke])
    return note


def _fill_values(expression: str, key: str) -> str | None:
    """A new expression's variables, valued as before where they were, 1 where new."""
    ss = st.session_state
    try:
        inputs = parse_expression(expression).inputs
    except ExpressionError:
        return None  # its message comes with the graph
    try:
        parse_values(str(ss[key]), inputs)
        return None  # the values fit already
    except ExpressionError:
        pass
    before = ss.get(GOOD)
    if before is None:
        return None
    try:
        old = parse_values(before[1], parse_expression(before[0]).inputs)
    except ExpressionError:
        return None
    ss[key] = format_values({v: old.get(v, 1.0) for v in inputs})
    new = [v for v in inputs if v not in old]
    if not new:
        return None
    return f"New variables start at 1: {', '.join(new)}. Change them under **Values**."


def escape(text: str) -> str:
    """Text shown as it is inside Markdown (a message may quote what a user typed)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~$-])", r"\\\1", text)


def drawable(expression: str, values: str, preset: str) -> Built:
    """The steps of these inputs, or (after the engine's message) of the last inputs
    that worked in this session, else the first preset's."""
    built = build(expression, values, preset)
    if built.error is None:
        st.session_state[GOOD] = (expression, values, preset)
        return built
    with st.container(border=True):
        st.error(escape(built.error), icon=":material/error:")
        if built.column is not None:
            caret = expression + "\n" + " " * (built.column - 1) + "^"
            st.code(caret, language=None)
        circuit = CIRCUITS[DEFAULT]
        good = st.session_state.get(GOOD, (circuit.expression, circuit.values_text, DEFAULT))
        shown = f"{escape(good[0])} at {escape(good[1])}"
        st.caption(f"Still showing the last graph that worked: {shown}.")
    return build(*good)


def _numeric(v: float, form: str = "{:.10g}") -> str:
    if not math.isfinite(v):
        return "not defined (v ± h leaves the domain)"
    return form.format(v).replace("-", "−")


def checks_panel(trace: Trace) -> None:
    """Each input's gradient against a centred difference, with its relative error."""
    out = trace.graph.nodes[trace.graph.output].name
    nodes = trace.graph.nodes
    given = ", ".join(f"{nodes[i].name} = {plain(trace.values[i])}" for i in trace.graph.input_ids)
    st.subheader("Gradient check")
    st.markdown(
        f"{escape(out)} = **{escape(plain(trace.output))}** at {escape(given)}. Each input's "
        f"gradient from the backward pass against the centred difference "
        f"({escape(out)}(v + h) − {escape(out)}(v − h)) / 2h with h = 1e-5; relative error "
        f"|a − n| / max(|a|, |n|, {TINY:g}): about 1e-7 or less is right."
    )
    rows = pd.DataFrame(
        {
            "input": [c.name for c in trace.checks],
            f"∂{out}/∂input (backprop)": [plain(c.analytic) for c in trace.checks],
            "centred difference": [_numeric(c.numeric) for c in trace.checks],
            "relative error": [_numeric(c.relative_error, "{:.1e}") for c in trace.checks],
            "reading": [
                reading(c.relative_error) if math.isfinite(c.numeric) else "—" for c in trace.checks
            ],
        }
    )
    st.dataframe(rows, hide_index=True, width="content")
