"""The network file: save → load is bit-exact, every malformed file is refused with one
sentence naming its field, presets load, and typed data and weights give the trace that
plain numpy gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import softmax
from engine.network_file import (
    MAX_BYTES,
    FileError,
    NetworkState,
    ToyData,
    from_json,
    load_preset,
    network,
    presets,
    to_json,
)
from engine.own_data import DataError, check_data, parse_csv
from engine.train import loss_change, repeat_updates


def small_file(**changes) -> dict:
    doc = {
        "format": "backprop-explorer/network",
        "version": 1,
        "sizes": [2, 3, 2],
        "activations": ["tanh"],
        "loss": "softmax_ce",
        "params": {
            "W1": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]],
            "b1": [0.0, 0.1, -0.1],
            "W2": [[1.0, -1.0, 0.5], [0.25, 0.75, -0.5]],
            "b2": [0.0, 0.0],
        },
        "data": {"X": [[1.0, 2.0], [-1.0, 0.5]], "y": [2, 1]},
        "example": 2,
        "step": 5,
        "lr": 0.3,
        "l2": 0.001,
    }
    doc.update(changes)
    return doc


def load(doc) -> NetworkState:
    return from_json(json.dumps(doc))


def test_a_file_loads_with_classes_and_examples_counted_from_1():
    state = load(small_file())
    X, y = state.data
    assert y.tolist() == [1, 0] and state.examples == (1,)  # engine counts from 0
    assert state.step == 5 and state.lr == 0.3 and state.l2 == 0.001
    assert state.params["W1"].shape == (3, 2) and state.params["b2"].shape == (2,)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_save_then_load_gives_back_the_same_bits(data):
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    sizes[-1] = max(sizes[-1], 2)
    params = {}
    for k in range(1, len(sizes)):
        shape = (sizes[k], sizes[k - 1])
        W = data.draw(st.lists(finite, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]))
        b = data.draw(st.lists(finite, min_size=shape[0], max_size=shape[0]))
        params[f"W{k}"], params[f"b{k}"] = np.reshape(W, shape), np.array(b)
    n = data.draw(st.integers(1, 6))
    X = np.reshape(
        data.draw(st.lists(finite, min_size=n * sizes[0], max_size=n * sizes[0])), (n, sizes[0])
    )
    y = np.array(data.draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=n, max_size=n)))
    state = NetworkState(
        sizes=tuple(sizes),
        activations=("relu",) * (len(sizes) - 2),
        loss=data.draw(st.sampled_from(["softmax_ce", "hinge"])),
        params=params,
        data=(X, y),
        examples=(n - 1,),
        l2=data.draw(st.floats(0, 1)),
        lr=data.draw(st.floats(0, 10)),
        step=data.draw(st.integers(1, 99)),
        updates=data.draw(st.integers(0, 1000)),
    )
    back = from_json(to_json(state))
    for key, value in params.items():
        assert back.params[key].tobytes() == value.astype(np.float64).tobytes(), key
    assert back.data[0].tobytes() == X.astype(np.float64).tobytes()
    assert np.array_equal(back.data[1], y)
    assert (back.sizes, back.loss, back.examples, back.l2, back.lr, back.step, back.updates) == (
        state.sizes, state.loss, state.examples, state.l2, state.lr, state.step, state.updates,
    )  # fmt: skip


def test_a_toy_dataset_is_saved_by_name_and_settings():
    state = load(
        small_file(data={"dataset": "spiral", "n": 300, "noise": 0.2, "seed": 4, "classes": 2})
    )
    assert state.data == ToyData("spiral", 300, 0.2, 4, 2)
    assert json.loads(to_json(state))["data"]["dataset"] == "spiral"


def with_param(key, value):
    doc = small_file()
    doc["params"][key] = value
    return doc


MALFORMED = [
    ("x" * (MAX_BYTES + 1), "limit is 1,000,000"),
    ("{not json", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    (small_file(format="other"), '"format" must be'),
    (small_file(version=2), '"version" must be 1'),
    ({k: v for k, v in small_file().items() if k != "params"}, 'has no "params"'),
    (small_file(sizes=[2, 3]), '"activations" must list 0 names'),
    (small_file(sizes=[2, 99, 2]), '"sizes" item 2 must lie in 1 … 16'),
    (small_file(sizes=[2, 3, 2.5]), '"sizes" item 3 must be a whole number'),
    (small_file(activations=["swish"]), '"activations" item 1 must be one of'),
    (small_file(loss="mse"), '"loss" must be one of'),
    (with_param("W2", [[1.0, -1.0], [0.25, 0.75]]), '"params.W2" row 1 must hold 3 numbers'),
    (with_param("W1", [[0.1, -0.2]]), '"params.W1" must be 3 rows of 2 numbers (W(1) is n_1 × n_0'),
    (with_param("b1", [0.0]), '"params.b1" must be a list of 3 numbers'),
    (with_param("b1", [0.0, "1", 0.0]), '"params.b1" holds "1", which is not a number'),
    (with_param("b1", [0.0, 2e6, 0.0]), "±1e+06 at most"),
    (with_param("W3", [[1.0]]), '"params" has "W3", which this network does not'),
    (
        '{"format": "backprop-explorer/network", "version": 1, "sizes": [2, 2], "activations": [],'
        ' "loss": "hinge", "params": {"W1": [[NaN, 1], [1, 1]], "b1": [0, 0]},'
        ' "data": {"X": [[1, 1]], "y": [1]}}',
        '"params.W1" holds NaN',
    ),
    (with_param("W1", [[1e999, 0], [0, 0], [0, 0]]), '"params.W1" holds Infinity'),
    (small_file(data={"X": [[1.0, 2.0]], "y": [3]}), '"data.y" item 1 must lie in 1 … 2'),
    (small_file(data={"X": [[1.0]], "y": [1]}), '"data.X" row 1 must hold 2 numbers'),
    (small_file(example=3), '"example" must lie in 1 … 2'),
    (small_file(examples=[1, 1]), '"examples" lists an example twice'),
    (small_file(lr=float("inf")), '"lr" must be a finite number'),
    (small_file(l2=-1), '"l2" must lie in 0 … 1'),
    (small_file(step=10**400), '"step" must be a whole number'),
    (small_file(data={"dataset": "moons", "classes": 3}), '"data.classes" must lie in 2 … 2'),
]


@pytest.mark.parametrize("doc,words", MALFORMED, ids=[w[:30] for _, w in MALFORMED])
def test_every_malformed_file_is_refused_naming_its_field(doc, words):
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(FileError) as refused:
        from_json(text)
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)


def test_typed_weights_and_data_trace_exactly_as_plain_numpy():
    state = load(small_file())
    net = network(state)
    X, y = state.data
    steps = net.trace(X[[1]], y[[1]])
    found = {name: arr for s in steps for name, arr in s.writes.items()}
    W1, b1 = np.array(small_file()["params"]["W1"]), np.array(small_file()["params"]["b1"])
    W2, b2 = np.array(small_file()["params"]["W2"]), np.array(small_file()["params"]["b2"])
    x = np.array([-1.0, 0.5])
    a1 = b1 + W1 @ x
    h1 = np.tanh(a1)
    a2 = b2 + W2 @ h1
    p = np.exp(a2) / np.exp(a2).sum()
    e = np.array([1.0, 0.0])  # class 1 of 2
    da2 = p - e
    np.testing.assert_allclose(found["a(1)"][0], a1, rtol=1e-15)
    np.testing.assert_allclose(found["f(x)"][0], p, rtol=1e-14)
    np.testing.assert_allclose(found["∇a(2)"][0], da2, rtol=1e-14)
    np.testing.assert_allclose(found["∇W(2)"], np.outer(da2, h1) + 2 * 0.0 * W2, rtol=1e-14)
    np.testing.assert_allclose(found["∇a(1)"][0], (W2.T @ da2) * (1 - h1**2), rtol=1e-14)


def test_the_note_003_preset_shows_p_minus_e_of_class_3():
    state = load_preset("note003_softmax_class3")
    assert state.sizes == (6, 4) and state.data[1].tolist() == [2]  # class 3, from 0
    net = network(state)
    steps = net.trace(*[a[list(state.examples)] for a in state.data])
    step = steps[state.step - 1]
    assert step.title == "∇a(1)"  # the link opens at ∂L/∂a = p − e(y)
    x = np.array(state.data[0][0])
    p = softmax(state.params["b1"] + state.params["W1"] @ x)
    np.testing.assert_allclose(step.writes["∇a(1)"][0], p - [0, 0, 1, 0], rtol=1e-14)


def test_every_preset_loads_and_traces():
    assert len(presets()) >= 3
    for name in presets():
        state = load_preset(name)
        net = network(state)
        steps = net.trace(*[a[list(state.examples)] for a in state.data])
        assert 1 <= state.step <= len(steps)


def test_own_data_csv_with_or_without_a_header_counts_classes_from_1():
    X, y, C, header = parse_csv("x1,x2,class\n0.5,1,1\n-1,2,3\n")
    assert header == ["x1", "x2"] and C == 3
    assert X.tolist() == [[0.5, 1.0], [-1.0, 2.0]] and y.tolist() == [0, 2]
    X, y, C, header = parse_csv(b"1;2;2\n3;4;1\n")
    assert header is None and C == 2 and y.tolist() == [1, 0]


@pytest.mark.parametrize(
    "text,words",
    [
        ("", "empty"),
        ("a,b,c\n", "header but no examples"),
        ("1,2,1\n3,x,2\n", "row 2, column 2: 'x' is not a number"),
        ("1,2,1\n3,4\n", "row 2 has 2 cells"),
        ("1,2,0\n", "class must be a whole number from 1 to 10"),
        ("1,2,1.5\n", "class must be a whole number"),
        ("1,inf,1\n", "not a finite number"),
        (",".join(["1"] * 10) + "\n", "1 to 8"),
        ("1,1\n" * 1001, "limit is 1,000"),
        (b"\xff\xfe1,2", "not UTF-8"),
    ],
)
def test_bad_own_data_says_where(text, words):
    with pytest.raises(DataError, match=words.replace("(", r"\(")):
        parse_csv(text)


def test_a_set_number_of_classes_must_hold_every_label():
    assert check_data([[1.0]], [2], n_classes=4)[2] == 4
    with pytest.raises(DataError, match="3 classes cannot hold class 4"):
        check_data([[1.0]], [4], n_classes=3)


def test_replayed_updates_give_the_same_bits_and_the_loss_falls():
    state = load(small_file())
    X, y = state.data
    first, second = network(state), network(state)
    losses = repeat_updates(first, X, y, lr=0.3, l2=0.001, count=5)
    assert repeat_updates(second, X, y, lr=0.3, l2=0.001, count=5) == losses
    for key in first.params:
        assert first.params[key].tobytes() == second.params[key].tobytes()
    assert len(losses) == 6 and losses[-1] < losses[0]


def test_a_diverging_update_is_put_in_words_with_readable_numbers():
    # With λ = 1 and α = 3 each update multiplies W by (1 − 2αλ) = −5: the L2 term explodes.
    state = load(small_file())
    X, y = state.data
    losses = repeat_updates(network(state), X, y, lr=3.0, l2=1.0, count=3)
    assert losses[-1] > 1e3 * losses[0]
    words = loss_change(losses[-2], losses[-1], 3.0)
    assert "smaller learning rate" in words
    assert not any(len(token) > 12 for token in words.split())  # never 96 digits
    assert loss_change(0.7, 0.6, 0.1) == ""
    assert "overshot" in loss_change(0.5, 0.6, 1.0)
    assert "e+95" in loss_change(0.69, 4.96e95, 3.0)
