"""Build & Step page driven through AppTest: what a user sees for each configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import (
    ACTIVATIONS,
    DATASETS,
    INITS,
    LOSSES,
    MLP,
    gradient_norms,
    make_dataset,
    minibatch,
)
from tests.charts import chart, player_data
from viz.equation import with_shapes

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "build_and_step.py")


def key(name: str) -> str:
    """The session key of the page's parameter ``name`` (its URL name)."""
    return f"build_and_step.{name}"


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, at.exception
    return at


def shapes_equations(data: dict) -> list[str]:
    return [view["areas"]["main"][0]["tex"] for view in data["steps"]]


def name_of(labels: dict[str, str], value: str) -> str:
    """Links carry the labels the widgets show; the engine takes the names."""
    return next((name for name, lab in labels.items() if lab == value), value)


ACT_LABELS = {n: a.label for n, a in ACTIVATIONS.items()}


def expected_steps(params: dict) -> list:
    """The engine's own trace for the configuration the page was given."""
    layers = int(params.get("layers", 2))
    widths = [int(params.get(f"w{i}", [4, 3, 4, 4][i - 1])) for i in range(1, layers + 1)]
    acts = [name_of(ACT_LABELS, params.get(f"g{i}", "tanh")) for i in range(1, layers + 1)]
    classes = int(params.get("classes", 2))
    seed = int(params.get("seed", 0))
    X, y = make_dataset(name_of(DATASETS, params.get("data", "moons")), 200, 0.1, seed, classes)
    if params.get("minibatch") == "true":
        idx = minibatch(200, int(params.get("size", 8)), seed)
    else:
        idx = [int(params.get("example", 1)) - 1]  # examples count from 1
    net = MLP(
        [2, *widths, classes],
        acts,
        name_of(LOSSES, params.get("loss", LOSSES["softmax_ce"])),
        name_of(INITS, params.get("init", INITS["xavier"])),
        seed,
    )
    return net.trace(X[idx], y[idx], float(params.get("l2", 0.0)))


def test_default_page():
    at = run()
    data = player_data(at)
    steps = expected_steps({})
    assert data["step"] == 1 and len(data["steps"]) == len(steps) == 18
    assert shapes_equations(data) == [with_shapes(s) for s in steps]
    norms = gradient_norms(steps)  # the one chart outside the player
    bars = {bar["name"]: bar["y"] for bar in chart(at, "norms")["data"]}
    assert bars == {name: norms[name] for name in ("‖∇W(k)‖", "‖∇a(k)‖")}
    assert at.sidebar.selectbox(key=key("data")).value == "moons"
    assert at.button(key="bs_apply")  # the SGD update is always at hand


CONFIGS = [
    {"layers": 0},
    {"layers": 3, "g1": "ReLU", "g2": "sigmoid", "g3": "ELU", "loss": LOSSES["hinge"]},
    {"layers": 1, "g1": "identity", "minibatch": "true", "size": 8, "l2": 0.01},
    {
        "layers": 2,
        "g1": "leaky ReLU",
        "g2": "tanh",
        "loss": LOSSES["hinge"],
        "minibatch": "true",
        "size": 8,
        "init": INITS["he"],
    },
    {
        "layers": 4,
        "w1": 16,
        "w2": 16,
        "w3": 16,
        "w4": 16,
        "g1": "sigmoid",
        "g2": "sigmoid",
        "g3": "sigmoid",
        "g4": "sigmoid",
        "minibatch": "true",
        "size": 32,
    },
    {"data": "spiral", "classes": 4, "layers": 2, "example": 18, "init": "zeros"},
]


@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: "-".join(map(str, p.values())))
def test_every_step_of_every_configuration_reaches_the_player(params):
    steps = expected_steps(params)
    data = player_data(run(params))
    assert data["step"] == 1
    assert shapes_equations(data) == [with_shapes(s) for s in steps]
    for step, view in zip(steps, data["steps"], strict=True):
        assert f"<b>{step.title}</b>" in view["header"]


def test_sgd_update_lowers_the_batch_loss_and_rebuilds_the_steps():
    steps = expected_steps({})
    at = run({"step": len(steps)})
    before_update = player_data(at)
    at.select_slider(key=key("lr")).set_value(0.1)
    at.button(key="bs_apply").click().run()
    assert not at.exception
    before, after = (float(m.value) for m in at.metric[:2])
    assert before == pytest.approx(float(steps[6].writes["L"]), abs=1e-5)
    assert after < before
    # The steps are rebuilt from the new weights, at the same step (the last one).
    data = player_data(at)
    assert data["id"] != before_update["id"] and data["step"] == len(steps)
    assert f"{after:.5f}" in json.dumps(data["steps"][6]["areas"]["side"])
    at.button(key="bs_apply").click().run()
    again = float(at.metric[1].value)
    assert again < after
    assert player_data(at)["step"] == len(steps)  # still at the end, ready for another


def test_a_link_reopens_its_step_and_configuration():
    params = {"layers": 3, "g2": "ReLU", "loss": LOSSES["hinge"], "step": 12}
    at = run(params)
    steps = expected_steps(params)
    data = player_data(at)
    assert data["step"] == 12 and len(data["steps"]) == len(steps)
    assert shapes_equations(data)[11] == with_shapes(steps[11])
    assert at.sidebar.selectbox(key=key("g2")).value == "relu"  # the engine name behind "ReLU"


def test_a_step_past_the_end_opens_the_last_step():
    at = run({"step": 30})  # a valid step number for the largest network, not this one
    assert player_data(at)["step"] == 18


def test_garbage_in_the_url_falls_back_to_defaults_with_a_note():
    at = run({"layers": "99", "data": "<script>", "step": "-3", "l2": "lots", "w1": "2.5"})
    assert player_data(at)["step"] == 1
    note = at.warning[0].value
    for key in ("layers", "data", "step", "l2", "w1"):
        assert f"`{key}=" in note
    at.button(key="_params.build_and_step.dismiss").click().run()
    assert not at.warning


def report(at: AppTest, step: int) -> None:
    """What the browser's report does: the session learns the step the player is at."""
    at.session_state["_player_bs_player"]["step"] = step


def test_changing_the_network_keeps_a_meaningful_step():
    at = run()
    report(at, 13)  # ∇W(2) of the default network, reached in the browser
    at.sidebar.slider(key=key("layers")).set_value(3).run()
    assert not at.exception
    steps = expected_steps({"layers": 3})
    data = player_data(at)
    assert len(data["steps"]) == len(steps) and steps[data["step"] - 1].title == "∇W(2)"
    at.sidebar.slider(key=key("layers")).set_value(0).run()  # ∇W(2) no longer exists
    assert player_data(at)["step"] == 1


def test_a_rerun_with_the_same_configuration_sends_the_same_data():
    """The browser holds the step: after a report, a rerun (here: the learning rate) gives
    the player identical data, so Streamlit sends a reference, not the payload again."""
    at = run()
    first = player_data(at)
    report(at, 7)
    at.select_slider(key=key("lr")).set_value(0.3).run()
    assert player_data(at) == first
