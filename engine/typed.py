"""Lists of numbers as a person types them or a link carries them: "1, -2, 3,-1".

Numbers are separated by commas, semicolons or spaces; one pair of enclosing brackets
("[1, -2]") and the minus sign of the notes ("−2") are accepted. Numbers are plain
decimals with an optional exponent (2, -0.5, .5, 1e-3); nan, inf, hex and the like are
not numbers here. Either the whole list parses or ``TypedListError`` says, in one
sentence, what is wrong: nothing is ever half-applied.
"""

from __future__ import annotations

import re

BOUND = 1e6  # |every value| ≤ BOUND
MAX_TEXT = 2_000  # characters read at most
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SEPARATORS = re.compile(r"[,;\s]+")


class TypedListError(ValueError):
    """A typed list that cannot be used; the message says why, naming the list, and for a
    bad item its position (counted from 1) and text."""


def _show(item: str) -> str:
    return item if len(item) <= 20 else item[:19] + "…"


def parse_numbers(
    text: str,
    *,
    max_len: int,
    min_len: int = 1,
    bound: float = BOUND,
    name: str = "the list",
) -> tuple[float, ...]:
    """The numbers in ``text`` as floats, ``min_len`` … ``max_len`` of them, each finite
    with |v| ≤ ``bound`` (at most 1e6); else TypedListError.

    >>> parse_numbers("1, -2, 3,-1", max_len=16)
    (1.0, -2.0, 3.0, -1.0)
    """
    if not 0 <= min_len <= max_len:
        raise ValueError("need 0 ≤ min_len ≤ max_len")
    if not 0 < bound <= BOUND:
        raise ValueError(f"bound must lie in (0, {BOUND:g}]")
    if not isinstance(text, str):
        raise TypedListError(f"Expected {name} as text, got {type(text).__name__}.")
    if len(text) > MAX_TEXT:
        raise TypedListError(f"{name.capitalize()} is too long: at most {MAX_TEXT:,} characters.")
    body = text.strip().replace("−", "-")
    if len(body) >= 2 and (body[0], body[-1]) in (("[", "]"), ("(", ")")):
        body = body[1:-1]
    items = [s for s in _SEPARATORS.split(body) if s]
    values = []
    for position, item in enumerate(items, start=1):
        if not _NUMBER.fullmatch(item):
            raise TypedListError(f"Item {position} of {name} is not a number: '{_show(item)}'.")
        value = float(item)  # a huge exponent gives inf, which the bound rejects
        if not abs(value) <= bound:
            limit = f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"
            raise TypedListError(f"Item {position} of {name} is beyond ±{limit}: {_show(item)}.")
        values.append(value)
    if not min_len <= len(values) <= max_len:
        wanted = (f"exactly {max_len}" if min_len == max_len else f"{min_len} to {max_len}") + (
            " number" if max_len == 1 else " numbers"
        )
        found = "none" if not values else str(len(values))
        raise TypedListError(f"Expected {wanted} in {name}, found {found}.")
    return tuple(values)
