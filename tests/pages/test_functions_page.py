"""The "Activations & losses" page through AppTest: the notes' numbers from their links
(note 004's ReLU backward [4, 0, 5, 0], the SVM's 2.9 beside softmax's ≈ 2.04, the naive
softmax's inf/nan beside the exact stable one at ±1e4), each link opening its part,
typed lists that are refused whole with a clear message, and figures shared by every
session (a classmate on the same link builds none)."""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.charts import chart, charts

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "functions.py")
NUMBER = r"-?\d+(?:\.\d+)?(?: \\cdot 10\^\{-?\d+\})?|\\mathrm\{nan\}|-?\\infty"


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_input(at: AppTest, name: str):
    return at.text_input(key=f"functions.{name}")


def vectors(tex: str) -> list[list[str]]:
    """Every \\left( … \\right) vector written in an equation, as its entries' text."""
    found = re.findall(r"\\left\((.*?)\\right\)", tex)
    return [[item.strip() for item in v.split(r",\ ")] for v in found]


def latex_with(at: AppTest, marker: str) -> str:
    (tex,) = [t.value for t in at.latex if marker in t.value]
    return tex


def array(data) -> np.ndarray:
    """A figure's array as Plotly.js reads it: a list, or typed ({"dtype", "bdata", "shape"})."""
    if not isinstance(data, dict):
        return np.asarray(data, dtype=np.float64)
    flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype="<" + data["dtype"])
    shape = [int(n) for n in str(data.get("shape", flat.size)).split(",")]
    return flat.reshape(shape).astype(np.float64)


def values(entries: list[str]) -> list[float]:
    def one(text: str) -> float:
        return {r"\mathrm{nan}": math.nan, r"\infty": math.inf, r"-\infty": -math.inf}.get(
            text, None
        ) or float(text.replace(r" \cdot 10^{", "e").rstrip("}"))

    return [one(e) for e in entries]


# --- 2. backprop through an elementwise g --------------------------------------------------
def test_note_004_link_backprops_relu_to_4_0_5_0():
    at = run({"g": "relu", "x": "1,-2,3,-1", "upstream": "4,-1,5,9"})
    assert at.session_state["functions.part"] == "elementwise"  # the link opened its part
    tex = latex_with(at, r"\odot")
    y, upstream, local, downstream = vectors(tex)
    x, dy = [1, -2, 3, -1], [4, -1, 5, 9]
    # By hand, as the note does: y = max(0, x); ∂L/∂x_i = ∂L/∂y_i where x_i > 0, else 0.
    assert values(y) == [max(0, v) for v in x]
    assert values(upstream) == dy
    assert values(local) == [1 if v > 0 else 0 for v in x]
    assert values(downstream) == [4, 0, 5, 0]
    assert any("diagonal" in md.value and "256 GB" in md.value for md in at.markdown)
    assert len(charts(at)) == 2  # the columns and the diagonal Jacobian
    (columns,) = chart(at, "functions.fig.elementwise")["data"]
    assert columns["x"][-1] == "∂L/∂x"
    assert array(columns["z"])[:, -1].tolist() == [4, 0, 5, 0]
    assert [row[-1] for row in columns["text"]] == ["4", "0", "5", "0"]  # written in the cells
    (diagonal,) = chart(at, "functions.fig.diagonal")["data"]
    assert (array(diagonal["z"]) == np.diag([1, 0, 1, 0])).all()


def test_another_g_uses_its_own_derivative():
    at = run({"part": "elementwise", "g": "sigmoid", "x": "0", "upstream": "1"})
    *_, local, downstream = vectors(latex_with(at, r"\odot"))
    assert values(local) == [0.25] and values(downstream) == [0.25]  # σ(0)(1 − σ(0))


def test_sixteen_entries_one_vector_a_line():
    x = list(range(-8, 8))
    at = run({"g": "leaky_relu", "x": ",".join(map(str, x)), "upstream": ",".join(["2"] * 16)})
    y, local, upstream, downstream = vectors(latex_with(at, r"\odot"))
    assert values(local) == [1 if v > 0 else 0.1 for v in x]  # leaky ReLU, slope 0.1
    assert values(downstream) == pytest.approx([2 if v > 0 else 0.2 for v in x])


@pytest.mark.parametrize(
    ("box", "typed", "message"),
    [
        ("x", "1, abc, 3, 4", "item 2 of the list is not a number: 'abc'"),
        ("x", "1, 2, 2e6, 4", "beyond ±1,000,000"),
        ("upstream", ", ".join(["1"] * 17), "found 17"),
    ],
)
def test_a_bad_list_is_refused_whole_and_the_last_good_one_kept(box, typed, message):
    at = run({"part": "elementwise"})
    text_input(at, box).input(typed).run()
    assert not at.exception
    assert any(message in e.value and "last valid value" in e.value for e in at.error)
    *_, downstream = vectors(latex_with(at, r"\odot"))
    assert values(downstream) == [4, 0, 5, 0]  # the defaults (note 004), untouched


def test_lists_of_different_lengths_say_so_and_show_nothing():
    at = run({"part": "elementwise"})
    text_input(at, "x").input("1, 2, 3").run()
    assert any("x has 3, ∂L/∂y has 4" in e.value for e in at.error)
    assert not [t for t in at.latex if r"\odot" in t.value] and not charts(at)


# --- 3. softmax -------------------------------------------------------------------------
def test_logits_of_1e4_overflow_the_naive_softmax_and_not_the_stable_one():
    at = run({"logits": "10000,-10000,0", "y": "2"})
    assert at.session_state["functions.part"] == "softmax"
    naive = latex_with(at, r"e^{x_i} &=")
    exps, p_naive = vectors(naive)
    assert exps[0] == r"\infty" and naive.count(r"&= \infty") == 1  # Σ e^{x_j} = inf
    assert p_naive[0] == r"\mathrm{nan}"
    assert any("overflow" in e.value for e in at.error)
    # Stable: c = 10000, so e^{x − c} = (1, 0, e^{−10000}) and p = (1, 0, 0), exactly.
    stable = latex_with(at, r"\begin{aligned}c &=")
    assert "= 10000" in stable
    assert values(vectors(stable)[-1]) == [1.0, 0.0, 0.0]
    # −log p_2 = log Σ e^{x_j} − x_2 = 10000 + 10000, finite although p_2 underflows.
    ce = latex_with(at, r"l(f(x), y)")
    assert "= 20000" in ce
    p, onehot, grad = (values(v) for v in vectors(ce))
    assert onehot == [0, 1, 0] and grad == [1, -1, 0]


def test_the_try_button_sets_huge_logits():
    at = run({"part": "softmax"})
    assert not at.error
    at.button(key="functions.huge").click().run()
    assert text_input(at, "logits").value == "10000, -10000, 0"
    assert any("overflow" in e.value for e in at.error)
    assert at.query_params["logits"] == "10000,-10000,0"


def test_ordinary_logits_agree_and_the_jacobian_checks_out():
    at = run({"logits": "2,1,0.1", "y": "3"})
    p_naive = values(vectors(latex_with(at, r"e^{x_i} &="))[-1])
    p_stable = values(vectors(latex_with(at, r"\begin{aligned}c &="))[-1])
    total = sum(math.exp(v) for v in (2, 1, 0.1))
    expected = [math.exp(v) / total for v in (2, 1, 0.1)]
    assert p_naive == pytest.approx(expected, rel=1e-3) == p_stable
    ce = latex_with(at, r"l(f(x), y)")
    assert r"-\log p_{3}" in ce and r"e(3)" in ce  # class 3, counted from 1
    loss = float(re.search(r"= (\S+) \\\\", ce).group(1))
    assert loss == pytest.approx(-math.log(expected[2]), rel=1e-3)
    assert any(re.search(r"= \*\*\d\.\de-\d+\*\*: \*\*right\*\*", md.value) for md in at.markdown)
    assert len(charts(at)) == 3  # bars, analytic and numerical Jacobian
    naive_bars, stable_bars = chart(at, "functions.fig.softmax")["data"]
    assert array(naive_bars["y"]) == pytest.approx(expected)
    assert array(stable_bars["y"]) == pytest.approx(expected)
    by_hand = np.diag(expected) - np.outer(expected, expected)  # p_i(δ_ij − p_j)
    (analytic,) = chart(at, "functions.fig.jacobian")["data"]
    (numeric,) = chart(at, "functions.fig.numeric")["data"]
    assert array(analytic["z"]) == pytest.approx(by_hand)
    assert array(numeric["z"]) == pytest.approx(by_hand, abs=1e-8)


# --- 4. the SVM beside softmax --------------------------------------------------------------
def test_svm_link_gives_hinge_2_9_and_softmax_2_04():
    at = run({"scores": "3.2,5.1,-1.7", "y": "1"})
    assert at.session_state["functions.part"] == "svm"
    shown = {m.label: m.value for m in at.metric}
    s = [3.2, 5.1, -1.7]
    hinge = sum(max(0.0, s[j] - s[0] + 1) for j in (1, 2))  # 2.9 + 0
    softmax = -math.log(math.exp(s[0]) / sum(math.exp(v) for v in s))
    assert float(shown["SVM (hinge) loss"]) == pytest.approx(hinge) == pytest.approx(2.9)
    assert float(shown["Softmax loss"]) == pytest.approx(softmax, abs=5e-3)
    assert shown["Softmax loss"] == "2.04"
    assert r"\max(0,\ 5.1 - 3.2 + 1)" in latex_with(at, r"\max(0,")
    (bars,) = chart(at, "functions.fig.margins")["data"]
    assert array(bars["y"]) == pytest.approx([0, 2.9, 0]) and bars["text"][0] == "y"
    svm_grad, softmax_grad = chart(at, "functions.fig.score_grads")["data"]
    assert array(svm_grad["y"]).tolist() == [-1, 1, 0]
    assert array(softmax_grad["y"]).sum() == pytest.approx(0, abs=1e-12)


def test_a_class_beyond_the_scores_is_refused_with_its_range():
    at = run({"scores": "1,2", "y": "5"})
    assert any("must be one of 1 … 2" in e.value for e in at.error)
    assert not at.metric


# --- 1. the gallery ----------------------------------------------------------------------
def test_gallery_shows_every_activation_and_the_depth_view():
    at = run()
    assert at.session_state["functions.part"] == "gallery"
    figures = charts(at)
    assert len(figures) == 6 + 1
    titles = [f["layout"]["title"]["text"] for f in figures[:6]]
    labels = ["identity", "sigmoid", "tanh", "ReLU", "leaky ReLU", "ELU"]
    assert [t.split("</b>")[0].removeprefix("<b>") for t in titles] == labels
    assert "g′(a) = g(a)(1 − g(a))" in titles[1]
    assert any(f"{0.25**10:.1e}" in md.value for md in at.markdown)  # sigmoid's ceiling
    (ceiling,) = [t for t in figures[6]["data"] if "0.25" in t["name"]]
    assert array(ceiling["y"])[-1] == pytest.approx(0.25**10)
    at.slider(key="functions.depth").set_value(20).run()
    assert any(f"{0.25**20:.1e}" in md.value for md in at.markdown)
    (ceiling,) = [t for t in chart(at, "functions.fig.depth")["data"] if "0.25" in t["name"]]
    assert array(ceiling["y"])[-1] == pytest.approx(0.25**20)  # the figure follows k
    assert at.query_params["depth"] == "20"


def test_the_tabs_follow_the_part_and_the_url_keeps_only_its_values():
    at = run({"part": "svm", "scores": "1,2,3"})
    assert at.session_state["functions.tabs"] == "SVM vs softmax"
    assert at.query_params["scores"] == "1,2,3"
    # What a tab click does (its callback sets the part; AppTest cannot click a tab).
    at.session_state["functions.part"] = "softmax"
    at.run()
    assert not at.exception
    assert at.session_state["functions.tabs"] == "Softmax"
    assert at.query_params["part"] == "softmax" and "scores" not in at.query_params
    assert at.session_state["functions.scores"] == "1,2,3"  # kept for the way back


def test_a_second_session_with_the_same_inputs_builds_no_figure(monkeypatch):
    import ui.functions

    built = []
    for name in ("elementwise_figure", "elementwise_jacobian_figure"):
        real = getattr(ui.functions, name)
        monkeypatch.setattr(
            ui.functions,
            name,
            lambda *a, real=real, name=name, **k: built.append(name) or real(*a, **k),
        )
    ui.functions.ELEMENTWISE.clear()
    ui.functions.DIAGONAL.clear()
    link = {"g": "tanh", "x": "0.5,-2", "upstream": "1,3"}
    first = run(link)
    assert sorted(built) == ["elementwise_figure", "elementwise_jacobian_figure"]
    second = run(link)  # a classmate on the same link
    assert len(built) == 2
    assert charts(second) == charts(first)
    # Another ∂L/∂y changes the columns; diag(g′(x)) does not depend on it and is reused.
    run(link | {"upstream": "1,4"})
    assert built[2:] == ["elementwise_figure"]
