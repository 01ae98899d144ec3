"""Every step of a computational graph's forward and backward pass as the step player
shows it (note 004), built once per expression and values.

``graph_steps(trace, circuit)`` → ``{"steps": [...]}`` in the player's format
(``ui/player.py`` documents it). Per step: the graph drawn at that step (values known so
far above the wires, gradients below, the node and its wires lit), the equation with the
numbers (upstream × local = downstream on the way back), the local derivative rule, the
gate pattern in the header when one applies; beside them, the step in words; for a
circuit with code (note 004's s0 … s3, L = sigmoid(s3)), that code beside the graph with
the current step's line marked. Plain, JSON-ready data.
"""

from __future__ import annotations

import html

from engine.circuits import Circuit, CodeLine
from engine.graph import Graph, NodeStep, Trace, plain

from .graph import graph_layout, graph_spec, look

CODE_GRAPH_WIDTH = 560  # pixels of the graph when the code sits beside it
PATTERN_WORDS = {
    "add distributes": "an add gate passes its upstream gradient to each input unchanged "
    "(its local gradients are 1).",
    "mul swaps": "a mul gate gives each input the upstream gradient times the other input's value.",
    "copy adds": "a value used more than once gets the sum of the gradients that come back "
    "along its uses.",
    "max routes": "a max gate sends the whole upstream gradient to its larger input and 0 "
    "to the other.",
    "min routes": "a min gate sends the whole upstream gradient to its smaller input and 0 "
    "to the other.",
}
MARK = "background:#FEF3C7;font-weight:700;box-shadow:inset 4px 0 #D97706"


def lit_edges(graph: Graph, step: NodeStep) -> list[int]:
    """Indices into ``graph.edges`` of the wires a step uses: forward, the node's
    arguments coming in; backward, the uses its gradient comes back along."""
    edges = graph.edges
    if step.phase == "forward":
        return [i for i, e in enumerate(edges) if e.target == step.node]
    uses = {(step.node, t.consumer, t.position) for t in step.terms}
    return [i for i, e in enumerate(edges) if (e.source, e.target, e.position) in uses]


def _equation(step: NodeStep) -> dict:
    """The step's equation with its numbers; backward, the local rule after it (below
    it when one line is too wide)."""
    if step.phase == "forward" or not step.terms:
        return {"kind": "latex", "tex": step.equation}
    rule = rf"\text{{local gradient: }}\ {step.rule}"
    return {
        "kind": "latex",
        "tex": rf"{step.equation} \qquad {rule}",
        "narrow": rf"\begin{{aligned}} &{step.equation} \\[0.3em] &{rule} \end{{aligned}}",
    }


def _header(graph: Graph, step: NodeStep) -> str:
    node = graph.nodes[step.node]
    title = step.title
    if step.phase == "forward" and node.kind == "op":
        title += f" = {plain(step.value)}"
    text = f"<span class='bp-tag bp-{step.phase}'>{step.phase}</span> · <b>{html.escape(title)}</b>"
    if step.pattern:
        text += f" · <i>{html.escape(step.pattern)}</i>"
    return text


def _in_words(graph: Graph, step: NodeStep) -> str:
    """The step in a sentence or two (HTML)."""
    node = graph.nodes[step.node]
    name = f"<b>{html.escape(node.name)}</b>"
    out = html.escape(graph.nodes[graph.output].name)
    if step.phase == "forward":
        if node.kind == "input":
            return f"<b>Forward pass.</b> {name} is an input, given: {plain(step.value)}."
        if node.kind == "constant":
            return f"<b>Forward pass.</b> The constant {name}."
        args = " and ".join(dict.fromkeys(html.escape(graph.nodes[p].name) for p in node.parents))
        return (
            f"<b>Forward pass.</b> The gate <b>{html.escape(node.label)}</b> computes {name} "
            f"= {plain(step.value)} from the values of {args}, already known: values flow "
            "left to right."
        )
    if not step.terms:
        return (
            f"<b>Backward pass.</b> It starts at the output {name}: ∂{out}/∂{out} = 1. "
            "Gradients flow right to left."
        )
    words = [
        f"upstream ∂{out}/∂{html.escape(graph.nodes[t.consumer].name)} = {plain(t.upstream)} "
        f"× local {plain(t.local)}"
        for t in step.terms
    ]
    if len(step.terms) == 1:
        return (
            f"<b>Backward pass.</b> The gradient reaches {name} from the node that uses it: "
            f"{words[0]} = {plain(step.value)}."
        )
    return (
        f"<b>Backward pass.</b> {name} is used {len(step.terms)} times, so its gradient is "
        f"the sum over its uses: {' + '.join(f'({w})' for w in words)} = {plain(step.value)}."
    )


def _pattern(step: NodeStep) -> str:
    if not step.pattern:
        return ""
    words = PATTERN_WORDS.get(step.pattern, "")
    return f"<div class='bp-callout'><b>{html.escape(step.pattern.capitalize())}</b>: {words}</div>"


def _code(code: tuple[CodeLine, ...], line: int | None) -> dict:
    """Note 004's code with the line of this step marked."""
    lines = "".join(
        f"<span style='display:block;{MARK if k == line else ''}'>{html.escape(c.text) or ' '}"
        "</span>"
        for k, c in enumerate(code)
    )
    return {
        "kind": "html",
        "html": "<p class='bp-caption'>Note 004's code, this step's line marked</p>"
        f"<pre class='bp-code' style='font-size:0.8rem;line-height:1.2;margin:0'>{lines}</pre>",
    }


LEGEND = {
    True: "Beside each node: its <b>value</b> above the wire, its <b style='color:#B91C1C'>"
    "gradient</b> below it; the lit wires carry this step's numbers.",
    False: "Above each node: its <b>value</b>; below it: its <b style='color:#B91C1C'>"
    "gradient</b>; the lit wires carry this step's numbers. Point at a node for its name.",
}


def graph_steps(trace: Trace, circuit: Circuit | None = None) -> dict:
    """The player payload for ``trace``; ``circuit``: the preset it comes from, if any
    (its code, when it has some, is shown beside the graph)."""
    graph = trace.graph
    layout = graph_layout(graph)
    legend = LEGEND[look(layout).beside]
    code = circuit.code if circuit is not None else ()
    lines = circuit.code_lines(trace) if code else (None,) * len(trace.steps)
    # What each operation computes, in its own terms ("q = x + y"): the forward steps'
    # titles, which come first, in node order.
    titles = [
        step.title if node.kind == "op" else node.name
        for step, node in zip(trace.steps, graph.nodes, strict=False)
    ]
    views = []
    for k, step in enumerate(trace.steps):
        node = graph.nodes[step.node]
        figure = graph_spec(
            graph,
            layout,
            step.values,
            step.grads,
            current=step.node,
            phase=step.phase,
            lit=lit_edges(graph, step),
            width=CODE_GRAPH_WIDTH if code else None,
            titles=titles,
        )
        picture: dict = {"kind": "plotly", "figure": figure}
        if code:
            picture = {"kind": "row", "blocks": [picture, _code(code, lines[k])]}
        main = [picture, _equation(step)]
        side = [
            {"kind": "html", "html": f"<p>{_in_words(graph, step)}</p>"},
            {"kind": "html", "html": _pattern(step)} if step.pattern else None,
            {"kind": "html", "html": f"<p class='bp-caption'>{legend}</p>"},
        ]
        views.append(
            {
                "key": f"{step.phase}/{node.id}:{node.name}",
                "header": _header(graph, step),
                "areas": {"main": main, "side": [b for b in side if b is not None]},
            }
        )
    return {"steps": views}
