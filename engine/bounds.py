"""Checking a frozen config dataclass against its bounds: one way for every experiment."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np


def check_fields(
    config,
    limits: Mapping[str, tuple[float, float]],
    choices: Mapping[str, Iterable[str]],
    integers: Iterable[str],
) -> None:
    """Raise ValueError with a sentence naming the field when a value lies outside its
    ``limits`` (low, high) or ``choices``; store whole numbers as int, others as float."""
    for name, options in choices.items():
        value = getattr(config, name)
        if value not in tuple(options):
            raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    integers = set(integers)
    for name, (low, high) in limits.items():
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value!r}")
        if name in integers:
            if not float(value).is_integer():
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            object.__setattr__(config, name, int(value))
        else:
            object.__setattr__(config, name, float(value))
