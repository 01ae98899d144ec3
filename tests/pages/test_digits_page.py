"""Digits page driven through AppTest: the default render trains both models and shows the
engine's numbers, the templates, a link's image and step, drawn digits (good, bad, from a
link), a configuration over the CPU budget refused with its reason, and a second session
that trains and builds nothing.

Expected values come from the engine called directly (same config, one BLAS thread as the
app) and from scikit-learn's own copy of the data, not from the page's code."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from streamlit.testing.v1 import AppTest
from threadpoolctl import threadpool_limits

from engine import MLP
from engine.digits import DigitsConfig, image_probabilities, load_digits_data, train_digits
from tests.charts import chart, charts, player_data

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "digits.py")
GRID = "digits_grid_1"  # the drawing grid's key in a fresh session


@pytest.fixture(scope="module")
def expected():
    """Both models as the engine trains them for the default settings."""
    with threadpool_limits(limits=1, user_api="blas"):  # as the app runs (ui/__init__.py)
        return train_digits(DigitsConfig())


def original(number: int) -> tuple[np.ndarray, int]:
    """Test image ``number`` (from 1) straight from scikit-learn: ink levels (8, 8), digit."""
    digits = load_digits()
    i = load_digits_data().source_test[number - 1]
    return digits.images[i], int(digits.target[i])


def start(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    return rerun(at)


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def decoded(array) -> np.ndarray:
    """A plain list or a Plotly typed array (the player's payload) as numpy."""
    if not isinstance(array, dict):
        return np.asarray(array, dtype=np.float64)
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype="<" + array["dtype"])
    shape = [int(s) for s in array.get("shape", str(values.size)).split(",")]
    return values.reshape(shape)


def caption(step: dict) -> str:
    return next(b["html"] for b in step["areas"]["side"] if "bp-caption" in b.get("html", ""))


def input_image(step: dict) -> np.ndarray:
    """The z of the step's h(0) image block (the heatmap with the ink scale)."""
    (row,) = [b for b in step["areas"]["main"] if b["kind"] == "row"]
    (image,) = [
        b["figure"]["data"][0]
        for b in row["blocks"]
        if b["kind"] == "plotly" and "h(0) = x" in b["figure"]["layout"]["title"]["text"]
    ]
    return decoded(image["z"])


def metrics(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def test_default_render_trains_both_and_shows_the_engines_accuracies(expected):
    at = start()
    assert [t.value for t in at.title] == ["Digits"]
    assert not at.error and not at.warning
    shown = metrics(at, "test accuracy")
    assert shown == [f"{expected.linear.test_accuracy:.1%}", f"{expected.mlp.test_accuracy:.1%}"]
    assert metrics(at, "train accuracy") == [
        f"{expected.linear.train_accuracy:.1%}",
        f"{expected.mlp.train_accuracy:.1%}",
    ]
    assert expected.linear.test_accuracy >= 0.93 and expected.mlp.test_accuracy >= 0.96
    # Every section, and the default link is empty.
    assert [h.value for h in at.header] == [
        "How well each model reads digits",
        "What each model learned, as images",
        "The test images each model gets wrong",
        "One digit through the network",
    ]
    assert dict(at.query_params) == {}
    # Each confusion matrix has a row per digit that sums to its 45 test images.
    for key in ("digits_confusion_linear", "digits_confusion_mlp"):
        z = decoded(chart(at, key)["data"][0]["z"])
        assert z.shape == (10, 10) and (z.sum(axis=1) == 45).all()


def test_a_link_reproduces_the_model_settings_and_the_seed():
    link = {"layers": 2, "width": 16, "act": "relu", "epochs": 12, "lr": 0.05, "seed": 3}
    config = DigitsConfig(hidden_layers=2, width=16, activation="relu", epochs=12, lr=0.05, seed=3)
    with threadpool_limits(limits=1, user_api="blas"):
        expected = train_digits(config)
    at = start(link)
    assert at.session_state["_digits_result"].config == config
    assert metrics(at, "test accuracy") == [
        f"{expected.linear.test_accuracy:.1%}",
        f"{expected.mlp.test_accuracy:.1%}",
    ]
    assert dict(at.query_params) == {k: str(v) for k, v in link.items()}
    assert len(player_data(at)["steps"]) == 18  # two hidden layers: 7 forward, 11 backward


def test_the_templates_are_the_linear_classifiers_ten_rows_of_W1(expected):
    at = start()
    fig = chart(at, "digits_templates")
    panels = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(panels) == 10
    assert [a["text"] for a in fig["layout"]["annotations"]] == [f"digit {d}" for d in range(10)]
    W1 = expected.linear.params["W1"]
    for d, panel in enumerate(panels):  # row d of W(1) (10, 64), pixel j at (j // 8, j % 8)
        np.testing.assert_allclose(decoded(panel["z"]).ravel(), W1[d], rtol=1e-12)
    features = chart(at, "digits_features")
    assert sum(t["type"] == "heatmap" for t in features["data"]) == expected.mlp.sizes[1] == 32


def test_a_links_image_and_step_are_shown(expected):
    ink, digit = original(17)
    at = start({"image": 17, "step": 5, "width": 32, "seed": 0})
    assert at.number_input(key="digits.image").value == 17
    np.testing.assert_array_equal(decoded(chart(at, "digits_pick")["data"][0]["z"]), ink / 16)
    bars = chart(at, "digits_probabilities")["data"]
    np.testing.assert_allclose(
        decoded(bars[1]["y"]), image_probabilities(expected.mlp, ink / 16), rtol=1e-9
    )
    data = player_data(at)
    assert data["step"] == 5 and len(data["steps"]) == 12
    assert f"Test image 17, true digit y = {digit}" in caption(data["steps"][0])
    np.testing.assert_array_equal(input_image(data["steps"][0]), ink / 16)
    assert dict(at.query_params) == {"image": "17", "step": "5"}  # defaults leave the URL

    at.number_input(key="digits.image").set_value(18)
    rerun(at)
    ink, digit = original(18)
    data = player_data(at)
    assert f"Test image 18, true digit y = {digit}" in caption(data["steps"][0])
    np.testing.assert_array_equal(input_image(data["steps"][0]), ink / 16)


def test_the_step_bound_is_the_longest_trace():
    from app_pages.digits import MAX_STEPS, PARAMS

    x, y = np.zeros((1, 64)), np.array([3])
    deepest = MLP([64, 2, 2, 2, 10], "tanh").trace(x, y)
    assert MAX_STEPS == len(deepest) == PARAMS.by_name["step"].kind.high
    assert PARAMS.by_name["layers"].kind.high == 3


def edit(at: AppTest, cells: dict[tuple[int, int], object]) -> AppTest:
    """Type into the drawing grid: {(row, column) counted from 1: value}, then submit."""
    rows: dict[int, dict[str, object]] = {}
    for (r, c), value in cells.items():
        rows.setdefault(r - 1, {})[str(c)] = value
    at.session_state[GRID] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return rerun(at)


def test_a_drawing_is_used_and_reproduced_by_its_link():
    at = start({"src": "draw", "meant": 7})
    edit(at, {(1, 2): 16, (1, 3): 16, (2, 3): 7.5, (8, 1): 4})
    assert not at.error
    ink = np.zeros((8, 8))
    ink[0, 1] = ink[0, 2] = 16
    ink[1, 2], ink[7, 0] = 7.5, 4
    query = dict(at.query_params)
    assert query["src"] == "draw" and query["meant"] == "7"
    assert [float(v) for v in query["ink"].split(",")] == ink.ravel().tolist()
    data = player_data(at)
    assert "Your drawing, meant as digit y = 7" in caption(data["steps"][0])
    np.testing.assert_array_equal(input_image(data["steps"][0]), ink / 16)

    again = start(query)  # the link opens the same drawing
    np.testing.assert_array_equal(input_image(player_data(again)["steps"][0]), ink / 16)
    assert again.data_editor[0].value.to_numpy().tolist() == ink.tolist()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (20, "row 2, column 3: 20 is outside the ink scale, 0 (blank) to 16 (full ink)"),
        (None, "row 2, column 3 is empty; write 0 for blank paper"),
    ],
)
def test_a_bad_cell_shows_its_message_and_nothing_of_the_edit_is_used(value, message):
    at = start({"src": "draw"})
    edit(at, {(1, 1): 16, (2, 3): value})  # one good cell, one bad
    (error,) = at.error
    assert message in error.value and "still read the last valid drawing" in error.value
    assert "ink" not in at.query_params  # the good cell was not applied either
    assert not input_image(player_data(at)["steps"][0]).any()  # still the blank page


def test_a_links_bad_drawing_is_named_and_nothing_is_traced():
    ink = ["0"] * 64
    ink[10] = "-3"  # row 2, column 3
    at = start({"src": "draw", "ink": ",".join(ink)})
    (error,) = at.error
    assert "row 2, column 3: -3 is outside the ink scale" in error.value
    assert "Fix it" in error.value
    assert player_data(at) is None


def test_copying_a_test_image_into_the_grid():
    ink, digit = original(17)
    at = start({"image": 17})
    at.button_group(key="digits.src").set_value("draw")
    rerun(at)
    at.button(key="digits_copy").click()
    rerun(at)
    query = dict(at.query_params)
    assert [float(v) for v in query["ink"].split(",")] == ink.ravel().tolist()
    assert query["meant"] == str(digit)
    assert at.data_editor[0].value.to_numpy().tolist() == ink.tolist()
    np.testing.assert_array_equal(input_image(player_data(at)["steps"][0]), ink / 16)
    at.button(key="digits_clear").click()
    rerun(at)
    assert "ink" not in at.query_params
    assert not at.data_editor[0].value.to_numpy().any()


EXPENSIVE = {"layers": 3, "width": 128, "epochs": 200, "batch": 1}


def test_a_link_over_the_cpu_budget_is_refused_with_the_reason():
    reason = DigitsConfig(hidden_layers=3, width=128, epochs=200, batch_size=1).too_expensive()
    assert reason  # the engine's own estimate is over budget
    at = start(EXPENSIVE)
    (error,) = at.error
    assert "Not trained" in error.value and reason in error.value
    assert not at.metric and player_data(at) is None


def test_train_over_the_budget_keeps_the_last_results(expected):
    at = start()
    for name, value in EXPENSIVE.items():
        next(w for w in at.sidebar if getattr(w, "key", None) == f"digits.{name}").set_value(value)
    at.button(key="digits_train").click()
    rerun(at)
    assert any("Not trained" in e.value for e in at.error)
    assert any("press **Train**" in i.value for i in at.info)
    assert metrics(at, "test accuracy")[1] == f"{expected.mlp.test_accuracy:.1%}"


def test_a_second_session_with_the_same_configuration_trains_and_builds_nothing(monkeypatch):
    import ui.digits

    built = []
    real = ui.digits.confusion_figure
    monkeypatch.setattr(
        ui.digits, "confusion_figure", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    link = {"seed": 4242, "epochs": 5, "image": 30}
    first = start(link)
    assert built == [1, 1]  # one confusion matrix per model
    second = start(link)  # a classmate on the same link
    assert built == [1, 1]
    assert len(charts(second)) == 10  # samples, 2 confusions, curves, templates, features,
    assert charts(second) == charts(first)  # 2 mistakes, the picked image, probabilities
    assert second.session_state["_digits_result"] is not first.session_state["_digits_result"]
    assert not [k for k in second.session_state if "figure" in k]  # only results are kept


def test_figures_draw_the_sessions_results_even_once_the_server_dropped_them():
    """A shared result evicted from the server's cache is never trained again, out of
    sight, to rebuild a figure: the page hands its own results over."""
    import streamlit as st

    from ui.digits import TRAIN
    from ui.work import NotCached

    at = start({"seed": 4343, "epochs": 5, "image": 30})
    before = charts(at)
    st.cache_data.clear()  # every shared result and figure gone, as after evictions
    rerun(at)
    assert charts(at) == before  # every figure rebuilt, the same
    with pytest.raises(NotCached):
        TRAIN(at.session_state["_digits_result"].config, _only_if_cached=True)  # not retrained
