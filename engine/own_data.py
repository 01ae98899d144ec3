"""Examples a person types, pastes or uploads: rows of D inputs and a class number.

People count classes from 1 (note 003: an example of class 3 has e(y) = (0, 0, 1, 0)), the
engine from 0: ``check_data`` takes classes from 1 and returns labels from 0. Rows and
columns in messages are counted from 1 too.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence

import numpy as np

from .network_file import LIMITS

MAX_CSV_BYTES = 200_000


class DataError(ValueError):
    """One clear sentence about the first problem in a table of examples."""


def _cell(text: str, row: int, col: int) -> float:
    try:
        value = float(text.strip().replace("−", "-"))
    except ValueError:
        raise DataError(f"row {row}, column {col}: '{text.strip()[:20]}' is not a number") from None
    if not math.isfinite(value) or abs(value) > LIMITS["value"]:
        raise DataError(
            f"row {row}, column {col}: {text.strip()[:20]} is not a finite number within "
            f"±{LIMITS['value']:g}"
        )
    return value


def check_data(
    X: Sequence[Sequence[float]], classes: Sequence[float], n_classes: int | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows of inputs and their class numbers (from 1) → X (N, D) float64, y (N,) labels
    0 … C-1, and C: ``n_classes`` when given (at least the largest label), else the
    largest label (at least 2)."""
    low, high = LIMITS["rows"]
    if not low <= len(X) <= high:
        raise DataError(f"the table has {len(X)} examples; it takes {low} to {high:,}")
    if len(classes) != len(X):
        raise DataError(f"{len(X)} examples but {len(classes)} class numbers")
    widths = {len(row) for row in X}
    d_low, d_high = LIMITS["features"]
    if len(widths) != 1 or not d_low <= next(iter(widths)) <= d_high:
        raise DataError(f"every example needs the same number of inputs, {d_low} to {d_high}")
    rows = [[_cell(str(v), r, c) for c, v in enumerate(row, 1)] for r, row in enumerate(X, 1)]
    c_low, c_high = LIMITS["classes"]
    labels = []
    for r, raw in enumerate(classes, start=1):
        value = _cell(str(raw), r, len(rows[0]) + 1)
        if not value.is_integer() or not 1 <= value <= c_high:
            raise DataError(
                f"row {r}: the class must be a whole number from 1 to {c_high}, got {raw}"
            )
        labels.append(int(value))
    C = max(max(labels), c_low) if n_classes is None else int(n_classes)
    if not max(labels) <= C <= c_high:
        raise DataError(f"{C} classes cannot hold class {max(labels)}; the limit is {c_high}")
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.int64) - 1, C


def parse_csv(text: str | bytes) -> tuple[np.ndarray, np.ndarray, int, list[str] | None]:
    """CSV text, the class number in the last column, a header row optional → (X, y, C,
    the header's input names or None). Commas, semicolons or tabs between cells."""
    if len(text) > MAX_CSV_BYTES:
        raise DataError(f"the file is {len(text):,} bytes; the limit is {MAX_CSV_BYTES:,}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("the file is not UTF-8 text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError("the file is empty")
    try:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    table = list(csv.reader(lines, dialect))
    header = None
    if any(not _is_number(cell) for cell in table[0]):
        header, table = [c.strip() for c in table[0][:-1]], table[1:]
    if not table:
        raise DataError("the file has a header but no examples")
    if len(table) > LIMITS["rows"][1]:
        raise DataError(f"the file has {len(table):,} examples; the limit is {LIMITS['rows'][1]:,}")
    width = len(table[0])
    for r, row in enumerate(table, start=1):
        if len(row) != width:
            raise DataError(f"row {r} has {len(row)} cells; row 1 has {width}")
    if width < 2:
        raise DataError("each row needs at least one input and, last, a class number")
    X, y, C = check_data([row[:-1] for row in table], [row[-1] for row in table])
    return X, y, C, header


def _is_number(text: str) -> bool:
    try:
        float(text.strip().replace("−", "-"))
    except ValueError:
        return False
    return True


__all__ = ["MAX_CSV_BYTES", "DataError", "check_data", "parse_csv"]
