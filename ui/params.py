"""A page's parameters, declared once: one table draws the widgets, cleans a link's values,
keeps the URL in step with the widgets and hands the page one validated config.

A page lists its parameters as ``Param`` rows (URL name, label, kind, default, help, the
sidebar section it sits in, when it is shown) in a ``Params`` table, then::

    PARAMS = Params("build_and_step", [Param("layers", "Hidden layers", Whole(0, 4), 2), …])
    cfg = PARAMS.sidebar()      # cleans the URL, draws the widgets, returns the config
    cfg.layers                  # an int in 0 … 4, whatever the link said

Why not Streamlit's ``bind="query-params"``: it makes the widget key the URL name, so keys
are shared by every page of a session (one page's ``layers`` reached another page's widget,
with other bounds, and raised), and its own parsing of a link's numbers raises on values
such as ``1e309`` before a page can check them. Here the URL is read as text and cleaned
by the table before any widget exists, keys are the page's own (``page.name``) and the URL
names stay short. Widgets keep their values across page switches (``persist_state``), and
a page reopened without a query (the menu drops it) keeps what the session had.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import streamlit as st

from engine.typed import TypedListError, parse_numbers

MAX_RAW = 2_000  # characters of a URL value looked at; longer ones are rejected unread
KEEP = "session"  # a widget keeps its value while hidden and across page switches


class BadValue(ValueError):
    """A value a parameter cannot take; the message says what it accepts."""


def _number(raw: str) -> Decimal:
    """Text → exact Decimal without overflow (``1e309`` stays finite here), or BadValue."""
    text = raw.strip().replace("−", "-")  # the minus sign a user may paste from the notes
    if len(text) > 40:
        raise BadValue("is too long for a number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue("is not a number") from None
    if not value.is_finite():
        raise BadValue("is not a finite number")
    return value


def number_text(value: float) -> str:
    """Shortest text that reads back as exactly ``value``: 2.0 → '2', 0.1 → '0.1'."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# --- kinds: what a value may be, how it is written in a URL and drawn as a widget ----------
@dataclass(frozen=True)
class Choice:
    """One of ``options`` (value → label). A URL holds the value's text; a label (what the
    menu shows) or a different case is accepted too, so older links keep working."""

    options: Mapping[Any, str]
    widget: str = "selectbox"  # or "select_slider", "segmented", "radio"

    def words(self) -> str:
        return "one of " + ", ".join(self.options.values())

    def clean(self, raw: str) -> Any:
        wanted = raw.strip().casefold()
        for value, label in self.options.items():
            if wanted in (str(value).casefold(), label.casefold()):
                return value
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.options):
            number = float(_number(raw))
            for value in self.options:
                if number == value:
                    return value
        raise BadValue(f"is not {self.words()}")

    def to_url(self, value: Any) -> str:
        return number_text(value) if isinstance(value, float) else str(value)

    def draw(self, where, p: Param, key: str) -> None:
        options = list(self.options)
        common = dict(
            key=key, help=p.help, persist_state=KEEP, format_func=self.options.__getitem__
        )
        if self.widget == "select_slider":
            where.select_slider(p.label, options, **common)
        elif self.widget == "segmented":
            where.segmented_control(p.label, options, required=True, **common)
        elif self.widget == "radio":
            where.radio(p.label, options, horizontal=True, **common)
        else:
            where.selectbox(p.label, options, **common)


@dataclass(frozen=True)
class Whole:
    """A whole number in [low, high]. '2.0' and '30e0' are read as 2 and 30."""

    low: int
    high: int
    widget: str = "number_input"  # or "slider"
    step: int = 1

    def words(self) -> str:
        return f"a whole number from {self.low} to {self.high}"

    def clean(self, raw: str) -> int:
        value = _number(raw)
        if value != value.to_integral_value() or not self.low <= value <= self.high:
            raise BadValue(f"is not {self.words()}")
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))

    def draw(self, where, p: Param, key: str) -> None:
        draw = where.slider if self.widget == "slider" else where.number_input
        draw(p.label, self.low, self.high, step=self.step, key=key, help=p.help, persist_state=KEEP)


@dataclass(frozen=True)
class Number:
    """A finite number in [low, high]."""

    low: float
    high: float
    widget: str = "number_input"  # or "slider"
    step: float | None = None
    format: str | None = None

    def words(self) -> str:
        return f"a number from {self.low:g} to {self.high:g}"

    def clean(self, raw: str) -> float:
        value = _number(raw)
        if not Decimal(repr(float(self.low))) <= value <= Decimal(repr(float(self.high))):
            raise BadValue(f"is not {self.words()}")
        return float(value)

    def to_url(self, value: float) -> str:
        return number_text(value)

    def draw(self, where, p: Param, key: str) -> None:
        low, high = float(self.low), float(self.high)
        if self.widget == "slider":
            where.slider(
                p.label, low, high, step=self.step, key=key, help=p.help, persist_state=KEEP
            )
        else:
            where.number_input(
                p.label,
                low,
                high,
                step=self.step,
                format=self.format,
                key=key,
                help=p.help,
                persist_state=KEEP,
            )


@dataclass(frozen=True)
class Flag:
    """On or off; a URL says true/false (1/0, yes/no, on/off are read too)."""

    def words(self) -> str:
        return "true or false"

    def clean(self, raw: str) -> bool:
        text = raw.strip().casefold()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise BadValue(f"is not {self.words()}")

    def to_url(self, value: bool) -> str:
        return "true" if value else "false"

    def draw(self, where, p: Param, key: str) -> None:
        where.toggle(p.label, key=key, help=p.help, persist_state=KEEP)


@dataclass(frozen=True)
class Numbers:
    """A list of ``min_len`` … ``max_len`` finite numbers within ±``bound``, typed or in a
    URL as '1, -2, 3' (commas, spaces or semicolons between them). A text box: the
    session holds the text, the config the parsed tuple."""

    max_len: int
    min_len: int = 1
    bound: float = 1e6

    def words(self) -> str:
        return (
            f"a list of {self.min_len} to {self.max_len} numbers between "
            f"{-self.bound:g} and {self.bound:g}, separated by commas"
        )

    def clean(self, raw: str) -> tuple[float, ...]:
        try:
            return parse_numbers(raw, max_len=self.max_len, min_len=self.min_len, bound=self.bound)
        except TypedListError as error:
            reason = str(error).rstrip(".")
            raise BadValue(f"cannot be used ({reason[0].lower()}{reason[1:]})") from None

    def to_url(self, value: Sequence[float]) -> str:
        return ",".join(number_text(v) for v in value)

    def draw(self, where, p: Param, key: str) -> None:
        where.text_input(
            p.label, key=key, help=p.help, persist_state=KEEP, max_chars=self.max_len * 24
        )


@dataclass(frozen=True)
class Text:
    """Free text of at most ``max_len`` characters (control characters removed)."""

    max_len: int

    def words(self) -> str:
        return f"text of at most {self.max_len} characters"

    def clean(self, raw: str) -> str:
        text = "".join(c for c in raw if unicodedata.category(c)[0] != "C").strip()
        if len(text) > self.max_len:
            raise BadValue(f"is longer than {self.max_len} characters")
        return text

    def to_url(self, value: str) -> str:
        return value

    def draw(self, where, p: Param, key: str) -> None:
        where.text_input(p.label, key=key, help=p.help, persist_state=KEEP, max_chars=self.max_len)


Kind = Choice | Whole | Number | Flag | Numbers | Text
TYPED = (Numbers, Text)  # kinds whose widget holds text that the config parses


@dataclass(frozen=True)
class Param:
    """One row of a page's table.

    name: the URL name (short, readable). section: the sidebar heading it is drawn under;
    None when the page draws it itself (``Params.widget``) or it has no widget at all
    (e.g. the current step). shown_if(values so far) → whether it applies now; a hidden
    parameter keeps its value but leaves the URL.
    """

    name: str
    label: str
    kind: Kind
    default: Any
    help: str | None = None
    section: str | None = None
    shown_if: Callable[[Mapping[str, Any]], bool] | None = None

    def __post_init__(self) -> None:
        raw = self.kind.to_url(self.default)
        if self.kind.clean(raw) != self.default:  # the table itself must be consistent
            raise ValueError(f"default of {self.name!r} does not round-trip: {raw!r}")


def section(heading: str, *rows: Param) -> list[Param]:
    """``rows`` drawn under the sidebar heading ``heading``."""
    return [replace(p, section=heading) for p in rows]


class Config(Mapping[str, Any]):
    """A page's cleaned values, read-only, by attribute or by name: ``cfg.layers``."""

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Config is read-only")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Config({self._values!r})"


def _quoted(raw: str) -> str:
    """A link's raw value, short and harmless inside the page's note."""
    text = raw if len(raw) <= 40 else raw[:40] + "…"
    text = "".join(c if c.isprintable() else "?" for c in text).replace("`", "'")
    return f"`{text}`"


@dataclass
class Params:
    """A page's table of parameters. ``page`` namespaces its session keys."""

    page: str
    rows: Sequence[Param]
    by_name: dict[str, Param] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {p.name: p for p in self.rows}
        if len(self.by_name) != len(self.rows):
            raise ValueError(f"{self.page}: two parameters share a URL name")

    # --- keys -----------------------------------------------------------------------
    def key(self, name: str) -> str:
        """The session key of a parameter's widget: the page's own."""
        return f"{self.page}.{name}"

    @property
    def _state(self) -> str:
        return f"_params.{self.page}"

    # --- the URL --------------------------------------------------------------------
    def clean(
        self, query: Mapping[str, str | Sequence[str]]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """A link's raw values → (the usable ones, a sentence per dropped one), by name.

        Pure: no Streamlit. Repeated keys use the last value, as a browser form would.
        Names the table does not know are reported and dropped.
        """
        values, problems = {}, {}
        for name, raw in query.items():
            if isinstance(raw, list | tuple):
                raw = raw[-1] if raw else ""
            raw = "" if raw is None else str(raw)
            p = self.by_name.get(name)
            if p is None:
                problems[name] = f"{_quoted(name)} is not a setting of this page"
                continue
            try:
                if len(raw) > MAX_RAW:
                    raise BadValue(f"is longer than {MAX_RAW:,} characters")
                values[name] = p.kind.clean(raw)
            except BadValue as bad:
                default = p.kind.to_url(p.default) or "empty"
                said = f"**{p.label}** {_quoted(f'{name}={raw}')} {bad}"
                problems[name] = f"{said}, so {default} is used"
        return values, problems

    def to_query(self, values: Mapping[str, Any], shown: Iterable[str]) -> dict[str, str]:
        """The URL of ``values``: the shown parameters that differ from their default."""
        query = {}
        for name in shown:
            p = self.by_name[name]
            if values[name] != p.default:
                query[name] = p.kind.to_url(values[name])
        return query

    def read_link(self) -> set[str]:
        """Before any widget: take the link's values into the widgets; the names the URL
        set in this run (a page may then derive other values from them, e.g. a preset).

        On the page's first run in this session every parameter takes the link's value or
        its default. Later, only what the URL changed since this page last wrote it (the
        step the player wrote in the browser, a history entry): a widget the user just
        moved is never overruled by the URL it has not reached yet. A URL without any of
        the page's values (a menu click drops them) keeps the session's.
        """
        state = st.session_state.setdefault(self._state, {"written": None, "note": []})
        url = {k: st.query_params.get_all(k) for k in st.query_params}
        url = {k: v[-1] if v else "" for k, v in url.items()}
        first = state["written"] is None
        if state.pop("session_wins", False):
            changed = set()  # the session was just set on purpose (a file, a preset):
            state["written"] = url  # the URL it replaces is the old one, not news
        elif first:
            changed = set(self.by_name) | set(url)
        elif url:
            written = state["written"]
            changed = {k for k in set(url) | set(written) if url.get(k) != written.get(k)}
        else:
            changed = set()
        if changed:
            values, problems = self.clean({k: url[k] for k in changed if k in url})
            for name in changed & set(self.by_name):
                p = self.by_name[name]
                value = values.get(name, p.default)
                st.session_state[self.key(name)] = self._widget_value(p, value)
            # Names of no parameter are worth a word only in a link someone opened.
            state["note"] = [s for n, s in problems.items() if first or n in self.by_name]
            state["written"] = url
        for p in self.rows:  # hidden before and forgotten: the default
            if self.key(p.name) not in st.session_state:
                st.session_state[self.key(p.name)] = self._widget_value(p, p.default)
        return {name for name in changed if name in url and name in self.by_name}

    def session_wins(self) -> None:
        """The page has just set its values on purpose (a callback loading a file or a
        preset): on the next run they win over the URL, which still shows the old ones."""
        state = st.session_state.setdefault(self._state, {"written": None, "note": []})
        state["session_wins"] = True
        if state["written"] is None:
            state["written"] = {}

    @staticmethod
    def _widget_value(p: Param, value: Any) -> Any:
        return p.kind.to_url(value) if isinstance(p.kind, TYPED) else value

    def _note(self) -> None:
        state = st.session_state[self._state]
        if not state["note"]:
            return
        with st.container(border=True):
            st.warning(
                "This link had values that could not be used:\n\n"
                + "\n".join(f"- {line}." for line in state["note"]),
                icon=":material/link_off:",
            )
            if st.button("Dismiss", key=f"{self._state}.dismiss"):
                state["note"] = []
                st.rerun()

    # --- widgets and the config --------------------------------------------------------
    def sidebar(self, where=None, sections: Sequence[str] | None = None) -> Config:
        """Clean the link, draw the parameters that have a section under their headings
        (in ``where``, the sidebar by default, e.g. a form), and return the config."""
        self.read_link()
        self._note()
        where = st.sidebar if where is None else where
        heading = None
        for p in self.rows:
            if p.section is None or (sections is not None and p.section not in sections):
                continue
            if not self._applies(p):
                continue
            if p.section != heading:
                heading = p.section
                where.markdown(f"**{heading}**")
            p.kind.draw(where, p, self.key(p.name))
        return self.config()

    def widget(self, name: str, where=None) -> Any:
        """Draw one parameter the page places itself; its value."""
        p = self.by_name[name]
        self.read_link()
        p.kind.draw(st if where is None else where, p, self.key(name))
        self._write_url()
        return self.value(name)

    def set(self, name: str, value: Any) -> None:
        """Set a parameter that has no widget (e.g. the current step), URL included."""
        p = self.by_name[name]
        st.session_state[self.key(name)] = self._widget_value(p, value)
        self._write_url()

    def value(self, name: str) -> Any:
        """One parameter's current, cleaned value. A typed list that does not parse keeps
        the last value that did, and shows why under its box."""
        p = self.by_name[name]
        raw = st.session_state.get(self.key(name), self._widget_value(p, p.default))
        if not isinstance(p.kind, TYPED):
            return raw
        good = st.session_state[self._state].setdefault("good", {})
        try:
            good[name] = p.kind.clean(str(raw))
        except BadValue as bad:
            st.error(f"**{p.label}** {bad}; still using the last valid value.", icon="⚠️")
        return good.get(name, p.default)

    def _applies(self, p: Param) -> bool:
        if p.shown_if is None:
            return True
        values = {q.name: st.session_state.get(self.key(q.name), q.default) for q in self.rows}
        return bool(p.shown_if(values))

    def config(self) -> Config:
        """Every parameter's cleaned value (hidden ones keep theirs), and the URL updated."""
        values = Config({p.name: self.value(p.name) for p in self.rows})
        self._write_url(values)
        return values

    def _write_url(self, values: Mapping[str, Any] | None = None) -> None:
        if values is None:
            values = {p.name: self.value(p.name) for p in self.rows}
        shown = [p.name for p in self.rows if self._applies(p)]
        query = self.to_query(values, shown)
        now = {k: (st.query_params.get_all(k) or [""])[-1] for k in st.query_params}
        if now != query:
            st.query_params.from_dict(query)
        st.session_state[self._state]["written"] = query


__all__ = [
    "BadValue",
    "Choice",
    "Config",
    "Flag",
    "Number",
    "Numbers",
    "Param",
    "Params",
    "Text",
    "Whole",
    "number_text",
    "section",
]
