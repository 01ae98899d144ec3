"""The step player's payload for Build & Step: every step's figures, equations, colour
ranges and numbers, as plain JSON."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from engine import MLP, make_dataset, minibatch
from viz.equation import in_equation_order, with_numbers, with_shapes
from viz.heatmap import PROBABILITIES, orient
from viz.step_view import colour_kind, step_view

X_ALL, Y_ALL = make_dataset("moons", 200, 0.1, 0)
LARGEST = ([2, 16, 16, 16, 16, 2], minibatch(200, 32, 0).tolist())
DEFAULT = ([2, 4, 3, 2], [0])


def build(sizes, idx, act="tanh", loss="softmax_ce", l2=0.0):
    net = MLP(sizes, act, loss, seed=0)
    X, y = X_ALL[idx], Y_ALL[idx]
    steps = net.trace(X, y, l2)
    return net, steps, step_view(net, steps, X, idx, y.tolist())


def decode(spec) -> np.ndarray:
    """A typed array of the payload back to numpy (as Plotly.js reads it)."""
    dtype = {"f8": "<f8", "i4": "<i4", "u1": "u1"}[spec["dtype"]]
    flat = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
    if "shape" in spec:
        return flat.reshape([int(s) for s in spec["shape"].split(",")])
    return flat


def heatmap_blocks(view: dict) -> list[dict]:
    return [b for block in view["areas"]["main"] if block["kind"] == "row" for b in block["blocks"]]


def title_name(block: dict) -> str:
    return block["figure"]["layout"]["title"]["text"].split("</b>")[0].removeprefix("<b>")


@pytest.fixture(scope="module", params=["default", "largest", "hinge-relu-batch"])
def built(request):
    if request.param == "default":
        return build(*DEFAULT)
    if request.param == "largest":
        return build(*LARGEST, act="sigmoid")
    return build([2, 5, 3], [3, 17, 40], act="relu", loss="hinge", l2=0.01)


def test_every_step_has_its_figures_equations_and_text(built):
    net, steps, payload = built
    assert len(payload["steps"]) == len(steps)
    keys = [v["key"] for v in payload["steps"]]
    assert len(set(keys)) == len(keys)  # a new payload can find "the same step"
    for step, view in zip(steps, payload["steps"], strict=True):
        assert step.title in view["header"] and step.phase in view["header"]
        # One heatmap per tensor, in the equation's order (the result first).
        expected = [n for n in in_equation_order(step) if n not in ("y", "L")]
        assert [title_name(b) for b in heatmap_blocks(view)] == expected
        latex = [b["tex"] for b in view["areas"]["main"] if b["kind"] == "latex"]
        assert latex[0] == with_shapes(step)
        numbers = with_numbers(step)
        if numbers is None:
            assert len(latex) == 1
        else:  # one line when it fits, the two-line form when narrow
            assert len(latex) == 2 and latex[1] == with_numbers(step, one_line=True)
            assert view["areas"]["main"][1]["narrow"] == numbers
        side = view["areas"]["side"]
        network = side[0]["figure"]
        assert sum(len(t["x"]) for t in network["data"] if t["marker"]["size"] == 30) == sum(
            net.sizes
        )
        assert any(b["kind"] == "code" and step.code in b["code"] for b in side)
        if "L" in step.writes:
            assert any(f"{float(step.writes['L']):.5f}" in b.get("html", "") for b in side)


def test_heatmaps_carry_the_traces_exact_numbers(built):
    _, steps, payload = built
    for step, view in zip(steps, payload["steps"], strict=True):
        for block in heatmap_blocks(view):
            name = title_name(block)
            z = decode(block["figure"]["data"][0]["z"])
            np.testing.assert_array_equal(z, orient(name, step.arrays[name]).z)


def test_tensors_of_one_kind_share_one_symmetric_range_by_default(built):
    _, steps, payload = built
    for step, view in zip(steps, payload["steps"], strict=True):
        by_kind: dict[str, list[float]] = {}
        for block in heatmap_blocks(view):
            name = title_name(block)
            heat = block["figure"]["data"][0]
            kind = colour_kind(name)
            if kind is None:  # probabilities [0, 1]; g'(a) and margins on their own range
                if name in PROBABILITIES:
                    assert (heat["zmin"], heat["zmax"]) == (0.0, 1.0)
                assert "restyle" not in block
                continue
            assert heat["zmin"] == -heat["zmax"]
            by_kind.setdefault(kind, []).append(heat["zmax"])
            toggle = block["restyle"]["shared_scale"]
            assert toggle["on"] == {"zmin": [heat["zmin"]], "zmax": [heat["zmax"]]}
            own = float(np.max(np.abs(step.arrays[name]))) or 1.0
            assert toggle["off"] == {"zmin": [-own], "zmax": [own]}
        for kind, limits in by_kind.items():
            members = [n for n in step.arrays if colour_kind(n) == kind and n not in ("y", "L")]
            covering = max(float(np.max(np.abs(step.arrays[n]))) for n in members) or 1.0
            assert limits == [covering] * len(limits), (step.title, kind)


def test_colour_kinds():
    assert colour_kind("W(2)") == colour_kind("h(0)") == colour_kind("a(3)") == "value"
    assert colour_kind("∇W(1)") == colour_kind("∇h(2)") == "gradient"
    for own in ("f(x)", "e(y)", "f(x)_y", "g'(a(1))", "margins"):
        assert colour_kind(own) is None


def test_payload_is_plain_json_and_every_figure_is_valid_plotly(built):
    _, _, payload = built
    text = json.dumps(payload, allow_nan=False)  # no numpy, no NaN, nothing exotic
    assert json.loads(text) == payload
    for view in payload["steps"]:
        figures = [b["figure"] for b in heatmap_blocks(view)] + [view["areas"]["side"][0]["figure"]]
        for fig in figures:
            go.Figure(fig)  # raises on any property Plotly does not know
            for trace in fig["data"]:
                for scale in (trace.get("colorscale"), trace.get("marker", {}).get("colorscale")):
                    assert scale is None or isinstance(scale, list)  # Plotly.js has no RdBu_r


def test_tables_offer_every_tensor_with_a_csv_name():
    _, steps, payload = build(*DEFAULT)
    loss = next(i for i, s in enumerate(steps) if s.kind == "loss")
    view = payload["steps"][loss]
    csv = [b["table"]["csv"] for b in heatmap_blocks(view)]
    assert csv == ["f(x)_y.csv", "f(x).csv"]
    (labels,) = [b for b in view["areas"]["main"] if b["kind"] == "table"]
    assert labels["csv"] == "y.csv" and labels["when"] == "tables"
    # The label as the notes count classes: from 1.
    np.testing.assert_array_equal(decode(labels["values"]).ravel(), [Y_ALL[0] + 1])
    assert {t["name"] for t in payload["toggles"]} == {"shared_scale", "tables"}


def test_network_diagram_has_colour_bars_for_edges_and_nodes():
    _, steps, payload = build(*DEFAULT)
    for step, view in zip(steps, payload["steps"], strict=True):
        fig = view["areas"]["side"][0]["figure"]
        bars = [t["marker"] for t in fig["data"] if t["marker"].get("showscale")]
        titles = [m["colorbar"]["title"]["text"] for m in bars]
        grad = "∇" if step.phase == "backward" else ""
        assert titles[-1] == ("nodes: ∇a(k)" if grad else "nodes: h(k)")
        if len(bars) == 2:
            assert titles[0] == f"edges: {grad}W(k)"
        for m in bars:
            assert m["cmin"] == -m["cmax"] > -np.inf


def test_payload_sizes_stay_sane():
    """One-time payloads: the default ≈ 0.2 MB, the largest network ≈ 1.1 MB of JSON."""
    default = len(json.dumps(build(*DEFAULT)[2]))
    largest = len(json.dumps(build(*LARGEST)[2]))
    assert 50_000 < default < 400_000
    assert largest < 2_000_000
