"""Build & Step with your own numbers (AppTest): the notes' presets from a link, own data
from a CSV, network files loaded or refused, weights edited, SGD updates replayed from a
link, and divergence in words. Expected numbers come from plain numpy, not the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine import make_dataset
from engine.network_file import load_preset, to_json
from tests.charts import chart, player_data
from tests.viz.test_step_view import decode, heatmap_blocks, title_name
from ui.build_state import HELD
from ui.own_numbers import edit_weights

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "build_and_step.py")


def key(name: str) -> str:
    return f"build_and_step.{name}"


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for name, value in (params or {}).items():
        at.query_params[name] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest, step_title: str, tensor: str) -> np.ndarray:
    """The numbers of ``tensor``'s heatmap at the step titled ``step_title``."""
    data = player_data(at)
    view = next(v for v in data["steps"] if f"<b>{step_title}</b>" in v["header"])
    block = next(b for b in heatmap_blocks(view) if title_name(b) == tensor)
    return decode(block["figure"]["data"][0]["z"])


def softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()


def test_note_003_from_a_link_opens_at_p_minus_e_of_class_3():
    at = run({"preset": "note003_softmax_class3"})
    data = player_data(at)
    assert data["step"] == 4 and "<b>∇a(1)</b>" in data["steps"][3]["header"]
    doc = json.loads(Path("engine/network_presets/note003_softmax_class3.json").read_text())
    W, b, x = (
        np.array(doc["params"]["W1"]),
        np.array(doc["params"]["b1"]),
        np.array(doc["data"]["X"][0]),
    )
    p = softmax(b + W @ x)
    np.testing.assert_allclose(shown(at, "∇a(1)", "∇a(1)").ravel(), p - [0, 0, 1, 0], rtol=1e-12)
    e = next(b for b in heatmap_blocks(data["steps"][3]) if title_name(b) == "e(y)")
    assert e["figure"]["data"][0]["y"] == ["1", "2", "3", "4"]  # classes from 1
    assert "true class y = 3" in json.dumps(data["steps"][3])
    assert at.query_params["preset"] in ("note003_softmax_class3", ["note003_softmax_class3"])


def test_own_data_from_a_pasted_csv_traces_like_plain_numpy():
    at = run({"data": "own", "layers": 1, "w1": 3, "g1": "tanh", "example": 2})
    at.text_area(key="bs_paste").set_value("x1,x2,x3,class\n1,2,3,1\n0.5,-1,2,3\n")
    at.button(key="bs_fill").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    held = at.session_state[HELD]
    assert held.net.sizes == [3, 3, 3]  # D follows the table, C its largest class
    W1, b1 = held.net.params["W1"], held.net.params["b1"]
    W2, b2 = held.net.params["W2"], held.net.params["b2"]
    x = np.array([0.5, -1.0, 2.0])
    h1 = np.tanh(b1 + W1 @ x)
    p = softmax(b2 + W2 @ h1)
    np.testing.assert_allclose(shown(at, "a(1)", "a(1)").ravel(), b1 + W1 @ x, rtol=1e-13)
    np.testing.assert_allclose(shown(at, "∇a(2)", "∇a(2)").ravel(), p - [0, 0, 1], rtol=1e-12)


def test_a_bad_csv_is_named_and_changes_nothing():
    at = run({"data": "own"})
    before = player_data(at)["id"]
    at.text_area(key="bs_paste").set_value("1,2,1\n3,oops,2\n")
    at.button(key="bs_fill").click().run()
    assert any("row 2, column 2: 'oops' is not a number" in e.value for e in at.error)
    assert player_data(at)["id"] == before


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="bs_upload").set_value((name, content, "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_saved_file_loads_back_into_the_page():
    state = load_preset("note000_two_hidden_layers")
    at = upload(run(), "mine.json", to_json(state).encode())
    held = at.session_state[HELD]
    assert held.origin == "custom" and at.session_state[key("layers")] == 2
    for name, value in state.params.items():
        assert held.net.params[name].tobytes() == value.tobytes()
    assert any("A link carries settings, not" in w.value for w in at.warning)


GOOD = json.loads(to_json(load_preset("sigmoid_then_softmax")))


def broken(**changes) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


@pytest.mark.parametrize(
    "content,words",
    [
        (b"x" * 1_000_001, "limit is 1,000,000"),
        (b"{nope", "not valid JSON"),
        (broken(format="other"), '"format" must be'),
        (broken(sizes=[2, 2, 2]), '"params.W1" must be 2 rows'),
        (broken(params={**GOOD["params"], "b2": [0, 1e309]}), "finite"),
        (broken(l2=5), '"l2" must lie in 0 … 1'),
    ],
    ids=["big", "json", "format", "shape", "inf", "range"],
)
def test_a_malformed_file_is_refused_by_name_and_changes_nothing(content, words):
    at = run({"layers": 1, "seed": 3})
    before = player_data(at)["id"]
    params = {k: v.copy() for k, v in at.session_state[HELD].net.params.items()}
    upload(at, "bad.json", content)
    assert any(words in e.value and "Nothing was changed" in e.value for e in at.error)
    assert player_data(at)["id"] == before and at.session_state[key("seed")] == 3
    for name, value in at.session_state[HELD].net.params.items():
        assert np.array_equal(value, params[name])


def test_a_link_replays_its_sgd_updates_bit_for_bit():
    link = {"data": "circles", "seed": 2, "layers": 1, "updates": 3, "lr": 0.3, "step": 5}
    teacher, student = run(link), run(link)
    a, b = teacher.session_state[HELD], student.session_state[HELD]
    assert len(a.history) == 3 and a.losses == b.losses and a.losses[-1] < a.losses[0]
    for name in a.net.params:
        assert a.net.params[name].tobytes() == b.net.params[name].tobytes()
    teacher.button(key="bs_apply").click().run()
    assert teacher.query_params["updates"] in ("4", ["4"])  # the link follows each update
    change = teacher.session_state[HELD].last["change"]
    for name in ("W1", "W2"):  # ΔW(k) = −α∇W(k) of that update, as drawn
        (heat,) = chart(teacher, f"delta_{name}")["data"]
        np.testing.assert_array_equal(decode(heat["z"]), change[name])


def test_edited_weights_are_traced_and_the_link_says_it_cannot_carry_them():
    at = run({"layers": 0})
    held = at.session_state[HELD]
    new = np.hstack([np.array([[1.0, -2.0], [0.5, 0.25]]), np.array([[0.1], [-0.1]])])
    assert edit_weights(held, 1, new) == ("", True)
    assert edit_weights(held, 1, np.full((2, 3), np.nan))[0].startswith("W(1) was not changed")
    at.run()
    assert at.session_state[HELD].net.params["W1"].tolist() == [[1.0, -2.0], [0.5, 0.25]]
    x = make_dataset("moons", 200, 0.1, 0, 2)[0][0]  # example 1 of the default data
    np.testing.assert_allclose(shown(at, "a(1)", "a(1)").ravel(), [0.1, -0.1] + new[:, :2] @ x)
    assert any("edited or loaded weights" in w.value for w in at.warning)
    assert "updates" not in at.query_params


def test_a_diverging_update_is_said_in_words_with_readable_numbers():
    at = run({"l2": 1.0, "step": 18})
    at.select_slider(key=key("lr")).set_value(3.0)
    for _ in range(2):  # each update multiplies W by 1 − 2αλ = −5: the L2 term explodes
        at.button(key="bs_apply").click().run()
    words = " ".join(e.value for e in at.error)
    assert "smaller learning rate" in words and "grew from" in words or "overflowed" in words
    assert all(len(m.value) <= 12 for m in at.metric)  # 4.96e+95, never 96 digits


def test_a_toy_example_can_be_typed_over_and_keeps_its_network():
    at = run({"data": "circles", "example": 5})
    weights = {k: v.copy() for k, v in at.session_state[HELD].net.params.items()}
    before = player_data(at)["steps"]
    at.button(key="bs_copy_toy").click().run()
    assert not at.exception
    assert at.session_state[key("data")] == "own" and at.session_state[key("example")] == 5
    X, y, C = at.session_state["_bs_own"]
    X_toy, y_toy = make_dataset("circles", 200, 0.1, 0, 2)
    assert np.array_equal(X, X_toy) and np.array_equal(y, y_toy) and C == 2
    for name, value in at.session_state[HELD].net.params.items():
        assert np.array_equal(value, weights[name])  # same network, same weights
    assert [v["header"] for v in player_data(at)["steps"]] == [v["header"] for v in before]
