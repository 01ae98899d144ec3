"""Shareable links: which URL query values a page accepts, and a note when one is bad.

Pages bind their configuration widgets to the URL with ``bind="query-params"`` (the
widget key is the parameter name). Streamlit then drops a value it cannot use and the
widget falls back to its default, silently; :func:`note_ignored_values` tells the user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Accepts:
    """What one URL parameter accepts: ``check(raw) -> bool`` and words for the note."""

    check: Callable[[str], bool]
    words: str


def shown_as(labels: dict[str, str]) -> Callable[[str], str]:
    """``format_func`` for a choice widget over ``labels``' names (name → label).

    A bound widget writes the label it shows into the URL, so links read
    ``loss=multiclass+hinge+(SVM)`` and are checked with ``one_of(labels.values())``.
    """
    return labels.__getitem__


def one_of(options: Iterable[str]) -> Accepts:
    opts = [str(o) for o in options]
    return Accepts(lambda raw: raw in opts, "one of " + ", ".join(opts))


def number_in(low: float, high: float, integer: bool = False) -> Accepts:
    def check(raw: str) -> bool:
        try:
            value = float(raw)
        except ValueError:
            return False
        return low <= value <= high and (not integer or value.is_integer())

    kind = "a whole number" if integer else "a number"
    return Accepts(check, f"{kind} from {low:g} to {high:g}")


def flag() -> Accepts:
    return Accepts(lambda raw: raw.lower() in ("true", "false"), "true or false")


def note_ignored_values(accepted: dict[str, Accepts], page: str) -> None:
    """Call before the page's widgets. On the first run of a page in a session, compare the
    URL's values with ``accepted`` and remember the ones that will be ignored; show them
    (until dismissed) as a note that the defaults are used instead."""
    state_key = f"_link_note_{page}"
    if state_key not in st.session_state:
        bad = []
        for key, rule in accepted.items():
            if key in st.query_params:
                raw = st.query_params[key]
                if not rule.check(raw):
                    bad.append(f"`{key}={raw[:40]}` (expected {rule.words})")
        st.session_state[state_key] = bad
    bad = st.session_state[state_key]
    if bad:
        with st.container(border=True):
            st.warning(
                "This link had values that could not be used, so their defaults are "
                "shown instead: " + "; ".join(bad) + ".",
                icon=":material/link_off:",
            )
            if st.button("Dismiss", key=f"{state_key}_dismiss"):
                st.session_state[state_key] = []
                st.rerun()
