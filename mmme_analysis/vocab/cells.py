"""Cell helpers shared by the vocabulary parsers (and the coding-sheet readers)."""
from __future__ import annotations

import pandas as pd

__all__ = ["is_blank"]


def is_blank(value) -> bool:
    """Return True for an empty spreadsheet cell.

    Parameters
    ----------
    value : object
        A cell value as read from a sheet.

    Returns
    -------
    bool
        True for ``None``, ``pandas.NA``, NaN and strings holding only blanks.
    """
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _where(where: str | None) -> str:
    """Location prefix of an error message (``"file, row 3, column 'AU': "``)."""
    return f"{where}: " if where else ""
