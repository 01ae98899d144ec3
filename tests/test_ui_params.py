"""Every page's parameter table against hostile links: the cleaned config is always within
bounds, every valid value round-trips through the URL unchanged, and each page renders
any link without an exception."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app import PAGES
from ui.params import Choice, Flag, Number, Numbers, Param, Params, Text, Whole, number_text

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    "inf", "-inf", "nan", "NaN", "1e999", "1e309", "-1e309", "9" * 400, "-1", "-0", "2.0",
    "30e0", "0x10", "1_000", "", " ", "∞", "١٢", "é", "😀", "\x00", "<script>alert(1)</script>",
    "true", "x" * 10_000, "1,2,3", "[1]", "None", "%20", "' OR 1=1 --",
]  # fmt: skip


def tables() -> dict[str, Params]:
    """PARAMS of every page in the app's registry (a page runs only as __main__)."""
    found = {}
    for spec in PAGES:
        module = importlib.import_module(spec.path.removesuffix(".py").replace("/", "."))
        found[spec.path] = module.PARAMS
    return found


TABLES = tables()
ROWS = [(path, p) for path, table in TABLES.items() for p in table.rows]


def row_id(item) -> str:
    return f"{Path(item[0]).stem}:{item[1].name}"


def valid(kind) -> st.SearchStrategy:
    """Values a parameter of this kind may take."""
    if isinstance(kind, Choice):
        return st.sampled_from(list(kind.options))
    if isinstance(kind, Whole):
        return st.integers(kind.low, kind.high)
    if isinstance(kind, Number):
        return st.floats(kind.low, kind.high, allow_nan=False)
    if isinstance(kind, Flag):
        return st.booleans()
    if isinstance(kind, Numbers):
        number = st.floats(-kind.bound, kind.bound, allow_nan=False)
        return st.lists(number, min_size=kind.min_len, max_size=kind.max_len).map(tuple)
    if isinstance(kind, Text):
        letters = st.characters(blacklist_categories=("C",))
        return st.text(letters, max_size=kind.max_len).map(str.strip)
    raise AssertionError(f"no strategy for {kind!r}")


def within(p: Param, value) -> bool:
    """The value is one the parameter's widget can show."""
    kind = p.kind
    if isinstance(kind, Choice):
        return value in kind.options
    if isinstance(kind, Whole):
        return type(value) is int and kind.low <= value <= kind.high
    if isinstance(kind, Number):
        return isinstance(value, float) and math.isfinite(value) and kind.low <= value <= kind.high
    if isinstance(kind, Flag):
        return type(value) is bool
    if isinstance(kind, Numbers):
        return kind.min_len <= len(value) <= kind.max_len and all(
            math.isfinite(v) and abs(v) <= kind.bound for v in value
        )
    return isinstance(value, str) and len(value) <= kind.max_len


raw_values = (
    st.sampled_from(HOSTILE)
    | st.text(max_size=60)
    | st.from_regex(r"-?\d{1,5}(\.\d{1,4})?(e-?\d{1,3})?", fullmatch=True)
)


@pytest.mark.parametrize("path", list(TABLES), ids=lambda p: Path(p).stem)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_any_link_cleans_to_values_within_bounds(path, data):
    table = TABLES[path]
    names = st.sampled_from([p.name for p in table.rows]) | st.sampled_from(["", "zz", "<b>"])
    query = data.draw(st.dictionaries(names, raw_values | st.lists(raw_values, max_size=3)))
    values, problems = table.clean(query)
    for name, value in values.items():
        assert within(table.by_name[name], value), (name, value)
    for name in query:
        assert (name in values) != (name in problems), name  # used, or said why not
    for sentence in problems.values():
        assert "\n" not in sentence and len(sentence) < 400


@pytest.mark.parametrize("item", ROWS, ids=row_id)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_valid_value_round_trips_through_the_url(item, data):
    _, p = item
    value = data.draw(valid(p.kind))
    text = p.kind.to_url(value)
    assert p.kind.clean(text) == value
    assert p.kind.to_url(p.kind.clean(text)) == text


@pytest.mark.parametrize("item", ROWS, ids=row_id)
def test_defaults_are_within_bounds(item):
    _, p = item
    assert within(p, p.default)


def test_hostile_numbers_never_reach_a_widget():
    whole, number = Whole(0, 10_000), Number(0.0001, 10.0)
    for raw in HOSTILE:
        for kind in (whole, number):
            try:
                value = kind.clean(raw)
            except ValueError:
                continue
            assert math.isfinite(value) and kind.low <= value <= kind.high
    assert whole.clean("2.0") == 2 and whole.clean("30e0") == 30 and whole.clean(" 7 ") == 7
    assert number.clean("1e-3") == 0.001 and number_text(0.001) == "0.001"
    assert Numbers(4).clean("1, −2;3 -1") == (1.0, -2.0, 3.0, -1.0)


def test_a_list_says_which_item_is_wrong_counted_from_1():
    with pytest.raises(ValueError, match="item 2 of the list is not a number: 'abc'"):
        Numbers(4).clean("1, abc, 3")
    with pytest.raises(ValueError, match="expected 1 to 4 numbers in the list, found 5"):
        Numbers(4).clean("1 2 3 4 5")
    with pytest.raises(ValueError, match="beyond"):
        Numbers(4).clean("1e7")


def test_choices_accept_old_links_with_labels_and_write_the_short_name():
    losses = Choice({"softmax_ce": "softmax cross-entropy", "hinge": "multiclass hinge (SVM)"})
    assert losses.clean("multiclass hinge (SVM)") == "hinge" == losses.clean("HINGE")
    assert losses.to_url("hinge") == "hinge"
    l2 = Choice({0.0: "0", 0.001: "0.001"})
    assert l2.clean("0.001") == 0.001 == l2.clean("1e-3") and l2.to_url(0.0) == "0"


HOSTILE_LINKS = [
    {"step": "2.0", "seed": "1e309", "layers": "-inf", "example": "9" * 400},
    {"seed": "-inf", "classes": "nan", "w1": "1e999", "data": "<script>alert(1)</script>"},
    {"n": "x" * 10_000, "lr": "", "test": "٣٠", "act": "😀", "l2": "inf"},
    {"layers": ["1", "9", "2"], "w1": ["3", "abc"], "unknown": "1"},
]


@pytest.mark.parametrize("path", list(TABLES), ids=lambda p: Path(p).stem)
@pytest.mark.parametrize("link", range(len(HOSTILE_LINKS)))
def test_each_page_renders_a_hostile_link_with_a_note_and_no_exception(path, link):
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    for name, raw in HOSTILE_LINKS[link].items():
        at.query_params[name] = raw
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = TABLES[path]
    if any(name in table.by_name for name in HOSTILE_LINKS[link]):
        assert any("could not be used" in w.value for w in at.warning)
    for p in table.rows:  # what the widgets hold is a value the table allows
        held = at.session_state[table.key(p.name)]
        value = p.kind.clean(held) if isinstance(p.kind, Numbers | Text) else held
        assert within(p, value), (p.name, held)
