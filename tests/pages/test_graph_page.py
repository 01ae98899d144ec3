"""The computational-graph page driven through AppTest: presets, typed expressions and
links show note 004's numbers; hostile input gets its message, never an exception, and the
last graph that worked stays on show."""

from __future__ import annotations

import math
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.charts import player_data

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "graph.py")
XYZ = "(x + y) * z"


def run(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def again(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def final_drawing(at: AppTest) -> dict[str, list[str]]:
    """The last step's graph: the labels in the nodes, the values and gradients beside."""
    figure = player_data(at)["steps"][-1]["areas"]["main"][0]
    if figure["kind"] == "row":
        figure = figure["blocks"][0]
    traces = {t["name"]: t["text"] for t in figure["figure"]["data"] if "text" in t}
    return {k: [t.replace("<br>", "").strip() for t in v] for k, v in traces.items()}


def gradients(at: AppTest) -> dict[str, str]:
    """The gradient check table: input → ∂f/∂input from the backward pass."""
    table = at.dataframe[0].value
    return dict(zip(table["input"], table.iloc[:, 1], strict=True))


def unescaped(text: str) -> str:
    return text.replace("\\", "")


def errors(at: AppTest) -> list[str]:
    return [unescaped(e.value) for e in at.error]


def expression_box(at: AppTest):
    return at.sidebar.text_input(key="graph.expr")


def values_box(at: AppTest):
    return at.sidebar.text_input(key="graph.values")


def preset_menu(at: AppTest):
    return at.sidebar.selectbox(key="graph.preset")


def test_the_default_preset_is_note_004s_first_circuit_with_its_numbers():
    at = run()
    assert preset_menu(at).value == "xyz" and expression_box(at).value == XYZ
    # q = x + y = 3, f = q·z = −12; ∂f/∂z = q = 3, ∂f/∂x = ∂f/∂y = ∂f/∂q = z = −4.
    assert gradients(at) == {"x": "−4", "y": "−4", "z": "3"}
    assert any("f = **−12**" in m.value for m in at.markdown)
    drawn = final_drawing(at)
    assert drawn["nodes"] == ["x", "y", "z", "+", "×"]
    assert drawn["names"] == ["", "", "", "q", "f"]
    assert drawn["values"] == ["−2", "5", "−4", "3", "−12"]
    assert drawn["gradients"] == ["−4", "−4", "3", "−4", "1"]
    data = player_data(at)
    assert data["step"] == 1 and len(data["steps"]) == 10
    assert set(at.dataframe[0].value["reading"]) == {"right"}


def test_a_typed_expression_shows_the_same_numbers():
    at = run()
    preset_menu(at).set_value("mul_gate")
    again(at)
    assert expression_box(at).value == "x * y"
    expression_box(at).set_value("(x+y)*z")
    values_box(at).set_value("x=-2, y=5, z=-4")
    again(at)
    assert preset_menu(at).value == "xyz"  # typed, it is still note 004's circuit
    assert gradients(at) == {"x": "−4", "y": "−4", "z": "3"}
    assert final_drawing(at)["values"][-1] == "−12"
    assert not at.error


def test_a_typed_formula_of_ones_own():
    at = run()
    expression_box(at).set_value("x*y + exp(x)")
    values_box(at).set_value("x=0, y=3")
    again(at)
    assert preset_menu(at).value == "own"
    # f = x·y + eˣ at (0, 3): ∂f/∂x = y + eˣ = 4, ∂f/∂y = x = 0; f = 1.
    assert gradients(at) == {"x": "4", "y": "0"}
    assert any("f = **1**" in m.value for m in at.markdown)


def test_new_variables_get_a_value_and_old_ones_keep_theirs():
    at = run()
    expression_box(at).set_value("x * w")
    again(at)
    assert values_box(at).value == "x=-2, w=1"
    assert any("w" in i.value for i in at.info)
    assert gradients(at) == {"x": "1", "w": "−2"}


def test_a_preset_fills_the_expression_and_values_and_its_code():
    at = run()
    preset_menu(at).set_value("neuron_code")
    again(at)
    assert expression_box(at).value == "sigmoid(w0*x0 + w1*x1 + w2)"
    assert values_box(at).value == "w0=2, x0=-1, w1=-3, x1=-2, w2=-3"
    # Note 004: s = 1, L = σ(1) ≈ 0.73; ∂L/∂s = σ(1)(1 − σ(1)) ≈ 0.1966, times the other
    # factor: ∂L/∂w0 = −0.1966, ∂L/∂x0 = 0.3932, ∂L/∂w1 = −0.3932, ∂L/∂x1 = −0.5898.
    sigma = 1 / (1 + math.exp(-1))
    ds = sigma * (1 - sigma)
    expected = {"w0": -1 * ds, "x0": 2 * ds, "w1": -2 * ds, "x1": -3 * ds, "w2": ds}
    assert gradients(at) == {k: f"{v:.6g}".replace("-", "−") for k, v in expected.items()}
    drawn = final_drawing(at)
    assert drawn["names"][5:] == ["s0", "s1", "s2", "s3", "L"]
    main = player_data(at)["steps"][-1]["areas"]["main"][0]
    assert main["kind"] == "row" and "grad_x0 = grad_s0 * w0" in main["blocks"][1]["html"]
    assert at.query_params["preset"] == "neuron_code"


def test_a_link_reproduces_expression_values_and_step():
    at = run(expr="(x+y)*z", values="x=-2,y=5,z=-4", step="8")
    assert expression_box(at).value == "(x+y)*z" and values_box(at).value == "x=-2,y=5,z=-4"
    data = player_data(at)
    assert data["step"] == 8
    assert "∂f/∂q = −4" in data["steps"][7]["header"]
    assert gradients(at) == {"x": "−4", "y": "−4", "z": "3"}
    assert not at.warning  # nothing in the link was refused


def test_a_link_naming_a_preset_opens_it():
    at = run(preset="copy_gate")
    assert expression_box(at).value == "x * x"
    assert gradients(at) == {"x": "6"}  # f = x·x at 3: 3 + 3 (copy adds)


HOSTILE = {
    "__import__('os')": "Unknown function __import__",
    "9**9**9": "9**9 is too large",
    "log(0)": "log(0): log of 0",
    "x.__class__": "Attribute access (.__class__) is not allowed",
    "(x + y": "Could not read the expression at column",
    "lambda: 1": "Using lambda is not allowed",
}


def test_hostile_expressions_get_their_message_and_the_last_graph_stays():
    at = run()
    for typed, message in HOSTILE.items():
        expression_box(at).set_value(typed)
        again(at)
        assert any(message in e for e in errors(at)), (typed, errors(at))
        assert final_drawing(at)["nodes"] == ["x", "y", "z", "+", "×"], typed
        assert gradients(at) == {"x": "−4", "y": "−4", "z": "3"}
        assert any("Still showing the last graph" in unescaped(c.value) for c in at.caption)


def test_a_syntax_error_points_at_its_column():
    at = run()
    expression_box(at).set_value("x + * y")
    again(at)
    assert any("column 5" in e for e in errors(at))
    (caret,) = [c.value for c in at.code]
    assert caret == "x + * y\n    ^"


def test_log_of_zero_at_the_given_values_names_the_node():
    at = run(expr="log(x) + y", values="x=0, y=1")
    assert any("log(x) at x = 0: log of 0" in e for e in errors(at))
    assert not at.exception
    at = run(expr="x / (y - 1)", values="x=1, y=1")
    assert any("division by zero" in e for e in errors(at))


def test_ten_thousand_characters_typed_or_linked_are_refused_with_a_message():
    at = run()
    expression_box(at).set_value("x" * 10_000)
    again(at)
    assert at.error  # the box keeps at most 300: then a name too long for the engine
    assert final_drawing(at)["nodes"] == ["x", "y", "z", "+", "×"]
    at = run(expr="x+" * 5_000 + "x")
    assert any("could not be used" in w.value for w in at.warning)
    assert expression_box(at).value == XYZ  # the link's value was not used
    assert gradients(at) == {"x": "−4", "y": "−4", "z": "3"}


def test_values_that_do_not_fit_get_the_engines_message():
    at = run(values="x=1, y=2")  # z is missing
    assert any("Missing a value for z" in e for e in errors(at))
    at = run(values="x=1e400, y=2, z=3")
    assert any("not a number" in e or "out of range" in e for e in errors(at))


def test_new_values_keep_the_step_and_a_new_expression_starts_again():
    at = run(step="8")  # ∂f/∂q of (x + y)·z
    assert player_data(at)["step"] == 8
    values_box(at).set_value("x=1, y=2, z=3")
    again(at)
    data = player_data(at)
    assert data["step"] == 8 and "∂f/∂q = 3" in data["steps"][7]["header"]  # ∂f/∂q = z
    expression_box(at).set_value("x * y * z")
    again(at)
    assert player_data(at)["step"] == 1
