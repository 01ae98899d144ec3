"""The "Gradient check" page through AppTest: a correct network passes, a planted bug fails
and names the tensors it breaks, the network comes from Build & Step's link names, a preset
or a file, and a malformed file leaves the page as it was, with its message."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.gradcheck import WRONG
from engine.network_file import PRESET_DIR
from tests.charts import chart, charts

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "gradient_check.py")


def run(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def checks(at: AppTest) -> list[str]:
    """The checks' sentences in page order: the engine's gradients first, the bug's last."""
    kinds = ("success", "warning", "error")
    return [e.value for e in at.main if e.type in kinds and e.value.startswith("Checked")]


def wrong_in(sentence: str) -> list[str]:
    found = re.search(r"Wrong in ([^.]*)\.", sentence)
    return found.group(1).split(", ") if found else []


def about(at: AppTest) -> str:
    (line,) = [md.value for md in at.markdown if md.value.startswith("**Network:**")]
    return line.removeprefix("**Network:** ")


def tensors(hidden_layers: int) -> list[str]:
    return [f"{p}({k})" for k in range(1, hidden_layers + 2) for p in "Wb"]


def values(array) -> np.ndarray:
    """A figure's array as Plotly.js reads it: a list, or typed ({"dtype", "bdata", "shape"})."""
    if not isinstance(array, dict):
        return np.asarray(array, dtype=float)
    flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return flat.reshape([int(n) for n in str(array.get("shape", flat.size)).split(",")])


def title(figure: dict) -> str:
    return figure["layout"]["title"]["text"]


def test_the_default_network_passes_and_every_tensor_gets_a_heatmap():
    at = run()
    right, bugged = checks(at)
    assert "Checked all 35 parameters" in right  # 2·4+4 + 4·3+3 + 3·2+2, by hand
    assert right.endswith("reads right.") and not wrong_in(right)
    assert any("All 35 parameters checked one by one" in c.value for c in at.caption)
    # A bar chart and a heatmap per W(k), b(k); the step-size sweep; the planted bug's bar
    # chart and a heatmap per tensor it breaks (the ReLU mask: all but the output layer's).
    figures = charts(at)
    assert len(figures) == (1 + len(tensors(2))) + 1 + (1 + len(tensors(1)))
    heads = [re.match(r"<b>([^<]*)</b>", title(f)).group(1) for f in figures]
    largest = "Largest relative error per tensor"
    assert heads == [largest, *tensors(2), "Step size h", largest, *tensors(1)]
    assert about(at).startswith("Sizes 2 → 4 → 3 → 2")
    # The bar chart names every tensor, each bar under the "wrong" threshold.
    (bars,) = chart(at, "gradient_check.fig.check.max")["data"]
    assert bars["x"] == tensors(2)
    assert np.nanmax(values(bars["y"]).astype(float)) < WRONG
    # The bug's heatmap of a tensor it breaks: errors above "wrong" (log10 on the colours).
    heat = chart(at, "gradient_check.fig.bug.W(1)")
    assert "<b>W(1)</b> relative error  ·  4 × 2" in title(heat)
    z = values(heat["data"][0]["z"])
    assert z.shape == (4, 2) and (z > np.log10(WRONG)).any()
    right = chart(at, "gradient_check.fig.check.W(1)")
    assert (values(right["data"][0]["z"]) < np.log10(WRONG)).all()


def test_a_planted_bug_fails_and_names_the_tensors_it_breaks():
    at = run({"bug": "mask"})
    _, bugged = checks(at)
    assert "reads wrong" in bugged
    # The mask sits between ∇h(k-1) and ∇a(k-1), so the output layer's W(3), b(3) come
    # before it and stay right; every layer below passes through it.
    assert wrong_in(bugged) == ["W(1)", "b(1)", "W(2)", "b(2)"]
    code = [c.value for c in at.code]
    assert "da = dh * g_grad(a)" in code and "da = dh" in code  # the right and wrong line
    assert any(r"\odot g'(a^{(k-1)})" in t.value for t in at.latex)
    (bars,) = chart(at, "gradient_check.fig.bug.max")["data"]
    assert bars["x"] == tensors(2) and bars["text"] == ["wrong"] * 4 + ["right"] * 2


def test_forgetting_the_mean_breaks_every_tensor_of_a_mini_batch_only():
    single = run({"bug": "mean"})
    assert any("N = 1 the mean and the sum are the same" in i.value for i in single.info)
    assert not wrong_in(checks(single)[1])
    batch = run({"bug": "mean", "minibatch": "true", "size": "4"})
    assert "N = 4" in about(batch)
    assert wrong_in(checks(batch)[1]) == tensors(2)  # every gradient 4 times too large


def test_the_step_size_sweep_wants_a_larger_h_in_float32():
    at = run()
    (note,) = [md.value for md in at.markdown if "best h" in md.value]
    best = {d: float(h) for d, h in re.findall(r"(float\d\d): h = (\S+?)[,)]", note)}
    # The best h balances h² against ε/h, so it grows like ε^(1/3): float32's ε is 2^29
    # times float64's.
    assert best["float32"] > 10 * best["float64"]


def test_build_and_step_link_names_choose_the_network_and_the_example_from_1():
    at = run({"layers": 1, "w1": 5, "g1": "relu", "data": "spiral", "classes": 4, "example": 200})
    assert about(at).startswith("Sizes 2 → 5 → 4") and "example 200" in about(at)
    assert "ReLU" in about(at)
    assert any("This network has them" in md.value for md in at.markdown)  # ReLU's kinks
    assert "Checked all 39 parameters" in checks(at)[0]  # 2·5+5 + 5·4+4
    at = run({"example": 0, "l2": "0.5"})
    (note,) = [w.value for w in at.warning if "could not be used" in w.value]
    assert "example=0" in note and "l2=0.5" in note
    assert "example 1" in about(at)


def test_a_preset_link_checks_the_preset():
    at = run({"preset": "note000_two_hidden_layers"})
    assert at.session_state["gradient_check.source"] == "preset"
    assert about(at).startswith("Sizes 2 → 2 → 2 → 2")
    assert checks(at)[0].endswith("reads right.")


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="gradient_check.file").set_value((name, content, "application/json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_malformed_file_leaves_the_page_as_it_was_with_its_message():
    at = run({"source": "file"})
    assert any("Upload a network file" in i.value for i in at.info)
    good = (PRESET_DIR / "sigmoid_then_softmax.json").read_bytes()
    upload(at, "mine.json", good)
    before = (about(at), checks(at))
    assert before[0].startswith("Sizes 2 → 1 → 2") and before[1][0].endswith("reads right.")

    broken = json.loads(good)
    broken["params"]["W2"] = [[1.0]]  # one row, where W(2) is 2 × 1
    upload(at, "broken.json", json.dumps(broken).encode())
    (message,) = [e.value for e in at.error if "cannot be used" in e.value]
    assert "broken.json" in message and '"params.W2" must be 2 rows' in message
    assert "Still checking the previous file" in message
    assert about(at) == before[0] and checks(at)[:1] == before[1][:1]

    upload(at, "garbage.json", b"{not json")
    assert any("is not valid JSON" in e.value for e in at.error)
    assert about(at) == before[0]


@pytest.mark.parametrize("bug", ["g_for_gprime", "reshape"])
def test_every_bug_shows_on_the_default_network(bug):
    at = run({"bug": bug})
    failing = wrong_in(checks(at)[1])
    assert failing  # names at least one tensor
    assert not wrong_in(checks(at)[0])
    for name in failing:  # each drawn, with its errors above "wrong" (log10 on the colours)
        z = values(chart(at, f"gradient_check.fig.bug.{name}")["data"][0]["z"])
        assert np.nanmax(z) > np.log10(WRONG)


def test_a_second_session_with_the_same_network_builds_no_figure(monkeypatch):
    import ui.gradient_check as panels

    built = []

    def counted(name, real):
        return lambda *a, **k: built.append(name) or real(*a, **k)

    for name in ("max_error_figure", "error_heatmap", "step_size_figure"):
        monkeypatch.setattr(panels, name, counted(name, getattr(panels, name)))
    link = {"seed": 4242, "bug": "reshape"}  # a network no other test checks
    first = run(link)
    assert len(built) == len(charts(first)) > 1 + len(tensors(2)) + 1
    before = len(built)
    second = run(link)  # a classmate on the same link
    assert len(built) == before
    assert charts(second) == charts(first)
