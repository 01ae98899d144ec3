"""Decision-boundary page driven through AppTest: default render, training on every dataset,
the numbers shown against the engine's own evaluation, divergence, links, bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import ACTIVATION_LABELS, DATASETS, LOSSES, MLP, fit, make_dataset, train_test_split
from engine.boundary import CHOICES, MULTICLASS, BoundaryConfig
from tests.charts import charts
from viz.boundary import snapshot_epochs

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "decision_boundary.py")
RESULT = "_boundary_result"


def start(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = str(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def key(name: str) -> str:
    """The session key of the page's parameter ``name`` (its URL name)."""
    return f"boundary.{name}"


def train(at: AppTest, **widgets) -> AppTest:
    """Set sidebar widgets by URL name, press Train, check nothing broke."""
    for name, value in widgets.items():
        widget = next(w for w in at.sidebar if getattr(w, "key", None) == key(name))
        widget.set_value(value)
    at.button(key="train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, list[str]]:
    """{label: [linear value, MLP value]} from the two model cards."""
    shown: dict[str, list[str]] = {}
    for m in at.metric:
        shown.setdefault(m.label, []).append(m.value)
    return shown


def percent(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def test_default_render_trains_both_models_and_shows_every_section():
    at = start()
    result = at.session_state[RESULT]
    assert result.config == BoundaryConfig()
    assert [t.value for t in at.title] == ["Decision boundary"]
    headers = [h.value for h in at.header]
    assert headers == [
        "Loss and accuracy over the epochs",
        "What the MLP's hidden layer has done to the data",
        "Regularization: λ, not network size, is the knob",
        "Linear collapse: an MLP without a non-linearity",
    ]
    assert set(metrics(at)) == {"train accuracy", "test accuracy", "train loss", "test loss"}
    animation, curves, hidden = charts(at)  # boundaries (animated), curves, hidden space
    assert len(animation["frames"]) == len(snapshot_epochs(result)) > 10
    titles = [a["text"] for a in animation["layout"]["annotations"]]
    assert any(t.startswith("<b>Linear classifier</b>") for t in titles), titles
    assert {t["name"] for t in curves["data"]} >= {"linear · train", "MLP · test"}
    assert hidden["data"]
    assert not at.error and not at.warning
    assert any("straight line" in md.value for md in at.markdown)


@pytest.mark.parametrize("dataset", CHOICES["dataset"])
def test_training_on_every_dataset(dataset):
    at = start()
    classes = 3 if dataset in MULTICLASS else 2
    train(at, data=dataset, classes=classes, epochs=60)
    result = at.session_state[RESULT]
    assert result.config.dataset == dataset and result.data.n_classes == classes
    assert result.mlp.sizes == (2, 16, 16, classes)
    assert len(metrics(at)["test accuracy"]) == 2
    assert len(charts(at)) == 3


def test_shown_numbers_are_the_engines_own_evaluation():
    at = start()
    train(at, data="circles", n=300, noise=0.15, test=40, seed=7, width=8, lr=0.05, epochs=80)
    shown = metrics(at)
    # An independent run with the engine's primitives and the same settings.
    X, y = make_dataset("circles", n=300, noise=0.15, seed=7)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.4, 7)
    for i, sizes in enumerate(([2, 2], [2, 8, 8, 2])):
        net = MLP(sizes, activation="tanh", loss="softmax_ce", seed=7)
        fit(net, X_train, y_train, epochs=80, lr=0.05, batch_size=32, momentum=0.9, seed=7)
        train_loss, train_acc = net.evaluate(X_train, y_train)
        test_loss, test_acc = net.evaluate(X_test, y_test)
        assert shown["train accuracy"][i] == percent(train_acc)
        assert shown["test accuracy"][i] == percent(test_acc)
        assert shown["train loss"][i] == f"{train_loss:.3f}"
        assert shown["test loss"][i] == f"{test_loss:.3f}"
    # … and the stored result is exactly that evaluation, not a rounded copy.
    run = at.session_state[RESULT].mlp
    assert (run.final_test_loss, run.final_test_acc) == (test_loss, test_acc)


def test_a_diverging_run_shows_the_engines_message_not_a_traceback():
    at = start()
    train(at, lr=10.0, act="leaky_relu", epochs=50)
    errors = [e.value for e in at.error]
    mlp = at.session_state[RESULT].mlp
    assert mlp.diverged
    assert any(mlp.stopped_reason in e and "MLP" in e for e in errors), errors
    assert len(charts(at)) == 3  # still drawn, from the last finite state
    # The model card names the activation as the menu does.
    assert any("g = leaky ReLU" in m.value for m in at.markdown)


def test_a_too_large_learning_rate_that_only_overshoots_gets_a_warning():
    at = start()
    train(at, lr=10.0, epochs=50)
    assert any("lower the learning rate" in w.value for w in at.warning)
    assert not at.error


def test_a_shared_link_reproduces_the_configuration():
    at = start(
        {
            "data": DATASETS["xor"],  # links carry the labels the menus show
            "n": 250,
            "layers": 1,
            "width": 4,
            "act": ACTIVATION_LABELS["relu"],
            "epochs": 30,
            "loss": LOSSES["hinge"],
            "l2": 0.001,
            "seed": 3,
            "test": 20,
        }
    )
    config = at.session_state[RESULT].config
    assert config == BoundaryConfig(
        dataset="xor",
        n=250,
        hidden_layers=1,
        width=4,
        activation="relu",
        epochs=30,
        loss="hinge",
        l2=0.001,
        seed=3,
        test_fraction=0.2,
    )
    assert not at.warning


def test_a_garbled_link_gets_a_note_and_the_defaults():
    at = start({"n": "99999", "data": "swiss", "lr": "abc", "layers": "2"})
    note = " ".join(w.value for w in at.warning)
    assert "could not be used" in note
    for bad in ("n=99999", "data=swiss", "lr=abc"):
        assert bad in note
    assert "layers=" not in note
    assert at.session_state[RESULT].config == BoundaryConfig()


def test_settings_over_the_step_budget_are_refused_with_a_reason():
    at = start()
    before = at.session_state[RESULT]
    train(at, n=2000, batch=1, epochs=1000)
    assert any("limit" in e.value for e in at.error)
    assert at.session_state[RESULT] is before  # the previous results stay


def test_view_toggles_and_new_data_reuse_or_refresh_results_as_they_should():
    at = start()
    before = at.session_state[RESULT]
    at.toggle(key=key("shade")).set_value(False).run()
    at.segmented_control(key=key("pts")).set_value("test").run()
    assert not at.exception
    assert at.session_state[RESULT] is before  # moving through views never retrains
    at.button(key="new_data").click().run()
    assert not at.exception
    assert at.session_state[RESULT].config.seed == 1
    assert at.number_input(key=key("seed")).value == 1


def test_regularization_sweep_and_linear_collapse_run_on_one_click():
    at = start({"epochs": 40, "n": 200})
    at.button(key="sweep_go").click().run()
    assert not at.exception
    sweep = at.session_state["_boundary_sweep"]
    assert sweep.lambdas == (0.001, 0.01, 0.1)
    at.button(key="collapse_go").click().run()
    assert not at.exception
    assert len(charts(at)) == 5
    collapse = at.session_state["_boundary_collapse"]
    assert collapse.run.activation == "identity"
    latex = " ".join(lx.value for lx in at.latex)
    assert r"W = W^{(3)} W^{(2)} W^{(1)}" in latex
    assert any("only rounding" in md.value for md in at.markdown)
    # A new training hides results that belong to the old settings.
    train(at, data="circles")
    assert len(charts(at)) == 3


def test_a_second_session_with_the_same_configuration_trains_and_builds_nothing(monkeypatch):
    import ui.boundary

    built = []
    real = ui.boundary.boundary_animation
    monkeypatch.setattr(
        ui.boundary, "boundary_animation", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    first = start({"seed": 4242, "epochs": 40})
    assert built == [1]
    second = start({"seed": 4242, "epochs": 40})  # a classmate on the same link
    assert built == [1]
    assert charts(second) == charts(first)
    assert second.session_state[RESULT] is not first.session_state[RESULT]  # own copies


def test_figures_draw_the_sessions_results_even_once_the_server_dropped_them():
    """A shared result evicted from the server's cache (a class's many own seeds) is never
    trained again, out of sight, to build a figure: the page hands its own results over."""
    from ui.boundary import COLLAPSE, COMPARE, SWEEP
    from ui.work import NotCached

    at = start({"seed": 4343, "epochs": 40, "n": 200})
    at.button(key="sweep_go").click().run()
    at.button(key="collapse_go").click().run()
    result = at.session_state[RESULT]
    for cached in (COMPARE, SWEEP, COLLAPSE):
        cached.clear()
    at.toggle(key=key("shade")).set_value(False).run()  # new views: every figure is built
    assert not at.exception
    animation, *_ = charts(at)
    assert len(animation["frames"]) == len(snapshot_epochs(result))
    assert len(charts(at)) == 5
    with pytest.raises(NotCached):
        COMPARE(result.config, _only_if_cached=True)  # nothing trained it again
