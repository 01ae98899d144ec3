"""A computational graph as a figure (note 004): nodes left to right by depth, each
node's value above its outgoing wire and its gradient below it (as the notes draw their
circuits), an operation's name above it, the current node and the wires of the current
step lit.

:func:`graph_layout` places the nodes with numpy, in the manner of a layered (Sugiyama)
drawing: a node's column is its depth (an operation one right of its deepest argument,
an input or constant one left of its first use, so short wires); a wire that skips
columns bends through a slot in each column it crosses; the order within each column
comes from barycentre sweeps that reduce crossings. :func:`graph_spec` draws one step as
a Plotly spec (plain dicts), ready for the step player or ``plotly.graph_objects``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from engine.graph import Graph, plain

from .network import BACKWARD_COLOR, FORWARD_COLOR
from .style import FONT

SWEEPS = 8  # down-and-up barycentre passes; the best order seen is kept
TEXT_PX = 96  # right margin: room for the output's value beside it
MIN_HEIGHT_PX = 250
DENSE = 9  # past this many columns, values and gradients go above and below the nodes
BESIDE = "middle right"
LEAD = 0.42  # columns a wire runs level out of its source: the value above it, the gradient below
TAIL = 0.22  # columns a wire runs level into its target
BEND = 0.35  # rows between two wires joining the same pair of nodes (x·x)
VALUE_COLOR = "#111827"
GRAD_COLOR = BACKWARD_COLOR
NAME_COLOR = "#475569"  # an operation's name (q, s0, f), above it
WIRE_COLOR = "#94A3B8"
FILL = {"input": "#FEF3C7", "constant": "#F3F4F6", "op": "#FFFFFF"}
LIT_FILL = {"forward": "#DBEAFE", "backward": "#FEE2E2"}
PHASE_COLOR = {"forward": FORWARD_COLOR, "backward": BACKWARD_COLOR}


@dataclass(frozen=True)
class GraphLayout:
    """Where everything goes, in data units (one column = one depth, one row = one slot).

    x, y: (n,) the centre of each node (y larger is higher, the columns centred on 0).
    paths: one (k, 2) polyline per edge of ``graph.edges``, from source to target: level
    out of the source (LEAD), through its bends, level into the target (TAIL); x grows
    along it. columns: how many columns; rows: the most slots in one column.
    """

    x: np.ndarray
    y: np.ndarray
    paths: tuple[np.ndarray, ...]
    columns: int
    rows: int


def depths(graph: Graph) -> np.ndarray:
    """(n,) column of each node: operations one right of their deepest argument; inputs
    and constants one left of their leftmost use (column 0 at the least)."""
    n = len(graph.nodes)
    depth = np.zeros(n, dtype=int)
    for node in graph.nodes:  # topological order: arguments first
        if node.parents:
            depth[node.id] = 1 + max(depth[p] for p in node.parents)
    uses: list[list[int]] = [[] for _ in range(n)]
    for edge in graph.edges:
        uses[edge.source].append(edge.target)
    for node in graph.nodes:
        if not node.parents and uses[node.id]:
            depth[node.id] = max(min(depth[t] for t in uses[node.id]) - 1, 0)
    return depth


def _crossings(order: list[list[int]], up: dict[int, list[int]]) -> int:
    """Pairs of links between neighbouring columns that cross."""
    total = 0
    for col in range(1, len(order)):
        left = {u: i for i, u in enumerate(order[col - 1])}
        links = np.array(
            [(left[p], i) for i, u in enumerate(order[col]) for p in up[u]], dtype=float
        ).reshape(-1, 2)
        if len(links) > 1:
            da = links[:, None, 0] - links[None, :, 0]
            db = links[:, None, 1] - links[None, :, 1]
            total += int(np.sum(da * db < 0)) // 2
    return total


def _sweep(order: list[list[int]], near: dict[int, list[int]], cols: range) -> None:
    """Reorder each column in ``cols`` by the mean centred position of each slot's
    neighbours (``near``: those in the column before, or those in the column after);
    slots without any keep their place."""
    for col in cols:
        centred = {
            u: i - (len(order[c]) - 1) / 2
            for c in (col - 1, col + 1)
            if 0 <= c < len(order)
            for i, u in enumerate(order[c])
        }
        keys = []
        for i, u in enumerate(order[col]):
            others = [centred[v] for v in near[u] if v in centred]
            keys.append(float(np.mean(others)) if others else i - (len(order[col]) - 1) / 2)
        ranked = sorted(zip(keys, range(len(keys)), order[col], strict=True))
        order[col] = [u for _, _, u in ranked]


def graph_layout(graph: Graph) -> GraphLayout:
    """Columns by :func:`depths`, a slot for each wire in each column it skips, the order
    in each column from barycentre sweeps (the one with fewest crossings), top to bottom."""
    n = len(graph.nodes)
    depth = depths(graph)
    columns = int(depth.max()) + 1
    col = {i: int(depth[i]) for i in range(n)}
    up: dict[int, list[int]] = {i: [] for i in range(n)}  # slot → slots in the column before
    down: dict[int, list[int]] = {i: [] for i in range(n)}
    chains: dict[tuple[int, int], list[int]] = {}  # (source, target) → its slots, in order
    start = {i: float(i) for i in range(n)}  # first order: creation, bends after source
    for edge in graph.edges:
        pair = (edge.source, edge.target)
        if pair in chains:
            continue
        chain = [edge.source]
        for c in range(col[edge.source] + 1, col[edge.target]):
            bend = len(col)
            col[bend], up[bend], down[bend] = c, [], []
            start[bend] = edge.source + 0.5
            chain.append(bend)
        chain.append(edge.target)
        for a, b in pairwise(chain):
            down[a].append(b)
            up[b].append(a)
        chains[pair] = chain
    order = [sorted((u for u in col if col[u] == c), key=start.get) for c in range(columns)]
    best, fewest = [list(c) for c in order], _crossings(order, up)
    for _ in range(SWEEPS):
        _sweep(order, up, range(1, columns))
        _sweep(order, down, range(columns - 2, -1, -1))
        crossings = _crossings(order, up)
        if crossings < fewest:
            best, fewest = [list(c) for c in order], crossings
    place = {}
    for c, units in enumerate(best):
        for i, u in enumerate(units):
            place[u] = (float(c), (len(units) - 1) / 2 - i)
    x = np.array([place[i][0] for i in range(n)])
    y = np.array([place[i][1] for i in range(n)])
    paths = []
    seen: dict[tuple[int, int], int] = {}
    twins = {pair: sum(1 for e in graph.edges if (e.source, e.target) == pair) for pair in chains}
    for edge in graph.edges:
        pair = (edge.source, edge.target)
        middle = [place[u] for u in chains[pair]]
        (x0, y0), (x1, y1) = middle[0], middle[-1]
        k = seen[pair] = seen.get(pair, -1) + 1
        if twins[pair] > 1:  # wires joining the same two nodes bow apart
            bow = (k - (twins[pair] - 1) / 2) * BEND
            middle.insert(-1, ((x0 + x1) / 2, (y0 + y1) / 2 + bow))
        points = [middle[0], (x0 + LEAD, y0), *middle[1:-1], (x1 - TAIL, y1), middle[-1]]
        paths.append(np.array(points, dtype=float))
    rows = max(len(units) for units in best)
    return GraphLayout(x, y, tuple(paths), columns, rows)


# ---------------------------------------------------------------------------------------
# Drawing one step


@dataclass(frozen=True)
class Look:
    """Sizes in pixels: node diameter, its label's font, the font of the numbers and
    names around it, the distance between rows. beside: values and gradients beside each
    node on its wire, names above it (else, for many columns, values above the node,
    gradients below it, names on hover only)."""

    node: int
    label: int
    text: int
    row: int
    beside: bool


def look(layout: GraphLayout) -> Look:
    """Large for a small circuit (a projector), smaller as the graph grows."""
    if layout.columns > DENSE:
        return Look(node=30, label=11, text=12, row=72, beside=False)
    if layout.columns <= 5 and layout.rows <= 3:
        return Look(node=46, label=17, text=15, row=66, beside=True)
    return Look(node=40, label=14, text=13, row=62, beside=True)


def number(v: float) -> str:
    """A number on the drawing: whole numbers exactly, others to 4 significant digits,
    with a real minus sign: −12, 0.7311, −0.1966, 2.5e+07."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e7 else f"{v:.4g}"
    return text.replace("-", "−")


def _wires(paths: Sequence[np.ndarray], color: str, width: float, arrow: float, name: str) -> dict:
    """Polylines as one scatter trace (gaps between them), smoothed, each with an
    arrowhead halfway along its segment before the level end, pointing along it
    (``angleref: previous``)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[float] = []
    for points in paths:
        tip = (points[-3] + points[-2]) / 2
        line = np.vstack([points[:-2], tip, points[-2:]])
        xs += [round(float(v), 4) for v in line[:, 0]] + [None]
        ys += [round(float(v), 4) for v in line[:, 1]] + [None]
        sizes += [0] * (len(line) - 3) + [arrow, 0, 0, 0]
    return dict(
        type="scatter",
        name=name,
        x=xs,
        y=ys,
        mode="lines+markers",
        line=dict(color=color, width=width, shape="spline", smoothing=0.6),
        marker=dict(symbol="arrow", angleref="previous", size=sizes, color=color),
        hoverinfo="skip",
        showlegend=False,
    )


def _around(
    xs: list[float], ys: list[float], text: list[str], color: str, name: str, where: str, lk: Look
) -> dict:
    """Text just beside each node, at ``where`` (invisible markers of a node's size
    place it)."""
    return dict(
        type="scatter",
        name=name,
        x=xs,
        y=ys,
        text=text,
        mode="markers+text",
        textposition=where,
        textfont=dict(size=lk.text, color=color),
        marker=dict(size=lk.node, opacity=0),
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=False,
    )


def graph_spec(
    graph: Graph,
    layout: GraphLayout,
    values: Sequence[float | None],
    grads: Sequence[float | None],
    current: int | None = None,
    phase: str = "forward",
    lit: Sequence[int] = (),
    width: int | None = None,
    titles: Sequence[str] | None = None,
) -> dict:
    """One step of the graph as a spec ``{"data", "layout"}``: scatter traces named
    "wires", "lit wires" (when the step has some), "nodes" (labels inside), "names"
    (above operations, when beside), "values" and "gradients".

    values / grads: (n,) what is known by node id, None where not yet (a NodeStep's
    ``values`` / ``grads``). current: the node of the step, drawn in the phase's colour
    (``phase`` "forward" blue, "backward" red). lit: indices into ``graph.edges`` of the
    wires the step uses, in that colour; backward, their arrowheads point back, the way
    the gradient goes. width: pixels, or None for the area's width. titles: (n,) what
    each node computes, for its hover (e.g. the forward steps' "q = x + y"; by default the
    name, or for an operation its whole sub-expression).
    """
    colour = PHASE_COLOR[phase]
    lk = look(layout)
    lit_set = set(lit)
    rest = [p for i, p in enumerate(layout.paths) if i not in lit_set]
    lit_paths = [layout.paths[i] for i in lit]
    if phase == "backward":
        lit_paths = [p[::-1] for p in lit_paths]
    data = [_wires(rest, WIRE_COLOR, 1.6, 11, "wires")]
    if lit_paths:
        data.append(_wires(lit_paths, colour, 4.0, 16, "lit wires"))

    out = graph.nodes[graph.output].name
    labels, names, fills, rims, rim_widths = [], [], [], [], []
    hover, above, below = [], [], []
    for node in graph.nodes:
        value, grad = values[node.id], grads[node.id]
        on = node.id == current
        labels.append(node.label)
        fills.append(LIT_FILL[phase] if on else FILL[node.kind])
        rims.append(colour if on else "#475569")
        rim_widths.append(4 if on else 1.5)
        named = node.kind == "op"  # inputs show their name inside, constants their value
        names.append(node.name if named else "")
        above.append("" if value is None or node.kind == "constant" else number(value))
        below.append("" if grad is None else number(grad))
        if titles is not None:
            tip = [titles[node.id]]
        else:
            tip = [f"{node.name} = {node.text}" if named else node.name]
        if value is not None:
            tip.append(f"value {plain(value)}")
        if grad is not None:
            tip.append(f"∂{out}/∂{node.name} = {plain(grad)}")
        hover.append("<br>".join(tip))

    xs = [float(v) for v in layout.x]
    ys = [float(v) for v in layout.y]
    data += [
        dict(
            type="scatter",
            name="nodes",
            x=xs,
            y=ys,
            mode="markers+text",
            text=labels,
            textposition="middle center",
            textfont=dict(size=lk.label, color=VALUE_COLOR),
            marker=dict(size=lk.node, color=fills, line=dict(color=rims, width=rim_widths)),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            cliponaxis=False,
        ),
    ]
    if lk.beside:
        data += [
            _around(xs, ys, names, NAME_COLOR, "names", "top center", lk),
            # Two lines beside each node, centred on its wire: the value on the upper one,
            # the gradient on the lower one (each trace leaves the other line blank).
            _around(xs, ys, [f"{a}<br> " for a in above], VALUE_COLOR, "values", BESIDE, lk),
            _around(xs, ys, [f" <br>{b}" for b in below], GRAD_COLOR, "gradients", BESIDE, lk),
        ]
    else:
        data += [
            _around(xs, ys, above, VALUE_COLOR, "values", "top center", lk),
            _around(xs, ys, below, GRAD_COLOR, "gradients", "bottom center", lk),
        ]
    height = max(lk.row * layout.rows + 36, MIN_HEIGHT_PX)
    fig_layout = dict(
        font=FONT | dict(size=14),
        height=height,
        margin=dict(l=8, r=TEXT_PX if lk.beside else 24, t=18, b=18),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode="closest",
        hoverlabel=dict(font_size=15),
        dragmode=False,
        xaxis=dict(visible=False, range=[-0.35, layout.columns - 1 + 0.35], fixedrange=True),
        yaxis=dict(
            visible=False,
            range=[-max(layout.rows, 2) / 2, max(layout.rows, 2) / 2],
            fixedrange=True,
        ),
    )
    if width is not None:
        fig_layout["width"] = width
    return dict(data=data, layout=fig_layout)
