"""Build & Step page driven through AppTest: what a user sees for each configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import ACTIVATIONS, DATASETS, INITS, LOSSES, MLP, make_dataset, minibatch
from viz.equation import with_shapes

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "build_and_step.py")
POSITION = re.compile(r"Step <b>(\d+)</b> of (\d+)")


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, at.exception
    return at


def position(at: AppTest) -> tuple[int, int]:
    for md in at.markdown:
        m = POSITION.search(md.value)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise AssertionError("no step position shown")


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
        idx = [int(params.get("example", 0))]
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
    assert position(at) == (1, 18)
    assert at.latex[0].value.strip("$\n") == with_shapes(expected_steps({})[0])
    assert len(at.get("plotly_chart")) >= 6  # diagram, 4 tensors, gradient norms
    assert at.sidebar.selectbox(key="data").value == "moons"


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
    {"data": "spiral", "classes": 4, "layers": 2, "example": 17, "init": "zeros"},
]


@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: "-".join(map(str, p.values())))
def test_stepping_first_to_last_never_raises(params):
    steps = expected_steps(params)
    at = run(params)
    assert position(at) == (1, len(steps))
    for i in range(2, len(steps) + 1):
        at.button(key="next").click().run()
        assert not at.exception, at.exception
        assert position(at) == (i, len(steps))
        assert at.latex[0].value.strip("$\n") == with_shapes(steps[i - 1])
    assert at.button(key="next").disabled


def test_sgd_update_lowers_the_batch_loss():
    steps = expected_steps({})
    at = run({"step": len(steps)})
    assert position(at) == (len(steps), len(steps))
    at.select_slider(key="lr").set_value(0.1)
    at.button(key="apply").click().run()
    assert not at.exception
    before, after = (float(m.value) for m in at.metric[:2])
    assert before == pytest.approx(float(steps[6].writes["L"]), abs=1e-5)
    assert after < before
    at.button(key="apply").click().run()
    again = float(at.metric[1].value)
    assert again < after
    assert position(at)[0] == len(steps)  # still at the end, ready for another update


def test_a_link_reopens_its_step_and_configuration():
    params = {"layers": 3, "g2": "ReLU", "loss": LOSSES["hinge"], "step": 12}
    at = run(params)
    steps = expected_steps(params)
    assert position(at) == (12, len(steps))
    assert at.latex[0].value.strip("$\n") == with_shapes(steps[11])
    assert at.sidebar.selectbox(key="g2").value == "relu"  # the engine name behind "ReLU"


def test_garbage_in_the_url_falls_back_to_defaults_with_a_note():
    at = run({"layers": "99", "data": "<script>", "step": "-3", "l2": "lots", "w1": "2.5"})
    assert position(at) == (1, 18)
    note = at.warning[0].value
    for key in ("layers", "data", "step", "l2", "w1"):
        assert f"`{key}=" in note
    at.button(key="_link_note_build_and_step_dismiss").click().run()
    assert not at.warning


def test_changing_the_network_keeps_a_meaningful_step():
    at = run({"step": 13})  # ∇W(2) of the default network
    at.sidebar.slider(key="layers").set_value(3).run()
    assert not at.exception
    steps = expected_steps({"layers": 3})
    i, n = position(at)
    assert n == len(steps) and steps[i - 1].title == "∇W(2)"
    at.sidebar.slider(key="layers").set_value(0).run()  # ∇W(2) no longer exists
    assert position(at)[0] == 1


def test_tables_offer_csv_downloads():
    at = run({"step": 3})
    assert not at.dataframe  # only on request
    at.toggle(key="bs_tables").set_value(True).run()
    assert len(at.get("download_button")) == 4  # W(2), b(2), h(1), a(2)
    assert len(at.dataframe) == 4
