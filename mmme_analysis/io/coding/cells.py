"""Typed access to the cells of one coding-sheet row, with located error messages."""
from __future__ import annotations

import math
import re

import numpy as np

from ...errors import DataFormatError

__all__ = ["Row", "as_number", "norm"]


def norm(text) -> str:
    """Header text reduced to lower-case letters and digits (``"Onset Frame"`` -> ``"onsetframe"``)."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower()) if text is not None else ""


def as_number(value):
    """Float value of a numeric cell (int, float or numeric text), None if not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


class Row:
    """One data row of a coding sheet.

    Parameters
    ----------
    path : pathlib.Path
        The sheet (named in error messages).
    number : int
        1-based spreadsheet row number.
    cells : tuple
        The cell values (blank cells are ``None``).
    columns : dict
        ``role -> (position, column label)`` of the flavour's columns.
    """

    def __init__(self, path, number, cells, columns):
        self.path, self.rownum, self.cells, self.columns = path, number, cells, columns

    def has(self, role):
        return role in self.columns

    def raw(self, role):
        pos = self.columns[role][0]
        return self.cells[pos] if pos < len(self.cells) else None

    def where(self, role=None):
        loc = f"{self.path}, row {self.rownum}"
        return f"{loc}, column {self.columns[role][1]!r}" if role else loc

    def fail(self, role, problem, expected):
        return DataFormatError(f"{self.where(role)}: {problem}; expected {expected}")

    def text(self, role):
        v = self.raw(role)
        if v is None:
            raise self.fail(role, "empty cell", "a value")
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def number(self, role, *, what="a number"):
        v = self.raw(role)
        if v is None:
            raise self.fail(role, "empty cell", what)
        x = as_number(v)
        if x is None:
            raise self.fail(role, f"non-numeric value {v!r}", what)
        return x

    def seconds(self, role):
        x = self.number(role, what="a time in seconds >= 0")
        if x < 0:
            raise self.fail(role, f"negative time {x!r}", "a time in seconds >= 0")
        return x

    def frame(self, role, *, uncoded=()):
        """Frame number (int) or None when the cell says 'not coded'."""
        v = self.raw(role)
        if v is None or (isinstance(v, str) and v.strip() in ("/", "-", "")):
            return None
        x = as_number(v)
        if x is None or not float(x).is_integer():
            raise self.fail(role, f"invalid frame number {v!r}", "an integer frame number")
        x = int(x)
        if x in uncoded:
            return None
        if x < 0:
            raise self.fail(role, f"negative frame number {x}", "an integer frame number >= 0")
        return x

    def kind(self):
        """The labelled kind (``"micro"``/``"macro"``), None without a kind column or value."""
        v = self.raw("kind") if self.has("kind") else None
        if v is None:
            return None
        key = str(v).strip().lower()
        if key.startswith("micro"):
            return "micro"
        if key.startswith("macro"):
            return "macro"
        raise self.fail("kind", f"unknown expression type {v!r}",
                        "'Micro'/'Macro' (or 'micro-expression', 'Micro - 1/2', ...)")
