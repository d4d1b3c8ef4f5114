"""Reading a coding sheet: its non-empty rows, the header row, the flavour, the columns."""
from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from ...errors import DataFormatError
from ...vocab.cells import is_blank
from .cells import norm
from .flavours import DETECT_ORDER, FLAVOURS, REGISTRY

__all__ = ["HEADER_SEARCH_ROWS", "read_rows", "find_header", "detect_flavour", "map_columns", "headerless_columns"]

#: The header row is searched in this many non-empty rows.
HEADER_SEARCH_ROWS = 30


def read_rows(path: Path) -> list[tuple[int, tuple]]:
    """Non-empty rows of the first sheet as ``(1-based row number, cell values)``.

    Blank cells are ``None`` and text cells are stripped. ``.csv``/``.tsv``/``.txt`` are
    read with pandas, ``.xls`` with pandas (needs ``xlrd``), anything else with openpyxl
    (read-only).
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            grid = pd.read_csv(path, header=None, dtype=object, sep=sep,
                               skip_blank_lines=False, keep_default_na=False)
            raw = [(i + 1, tuple(r)) for i, r in enumerate(grid.itertuples(index=False))]
        elif suffix == ".xls":
            grid = pd.read_excel(path, header=None, dtype=object, sheet_name=0)
            raw = [(i + 1, tuple(r)) for i, r in enumerate(grid.itertuples(index=False))]
        else:
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                raw = [(i + 1, tuple(r)) for i, r in
                       enumerate(ws.iter_rows(min_row=1, values_only=True))]
            finally:
                wb.close()
    except ImportError:
        raise
    except Exception as exc:  # openpyxl / zipfile / parser errors
        raise DataFormatError(
            f"{path}: cannot be read as a spreadsheet ({type(exc).__name__}): expected an "
            ".xlsx workbook (or .csv) with the coded expressions on its first sheet"
        ) from None
    rows = []
    for number, cells in raw:
        cells = tuple(None if is_blank(c) else (c.strip() if isinstance(c, str) else c)
                      for c in cells)
        if any(c is not None for c in cells):
            rows.append((number, cells))
    return rows


def find_header(rows, *, limit=HEADER_SEARCH_ROWS):
    """Index in ``rows`` of the first row with ``Subject`` and ``Filename`` cells, or None."""
    for i, (_, cells) in enumerate(rows[:limit]):
        names = {norm(c) for c in cells if isinstance(c, str)}
        if "subject" in names and "filename" in names:
            return i
    return None


def _header_flavour(names: set[str]) -> str | None:
    for name in DETECT_ORDER:
        if names & REGISTRY[name].identifies:
            return name
    return None


def _undetectable(path, rows, header=None) -> DataFormatError:
    known = sorted({n for f in REGISTRY.values() if f.columns is not None
                    for names in f.columns.spellings().values() for n in names})
    number, cells = rows[0 if header is None else header]
    resembling = []
    for t in (c for c in cells if isinstance(c, str)):
        close = difflib.get_close_matches(t, known, n=1, cutoff=0.75)
        if close:
            resembling.append(f"{t!r} (~{close[0]!r})" if close[0] != t else repr(t))
    n_cells = sum(c is not None for c in cells)
    if header is None:
        seen = (f"no row with 'Subject' and 'Filename' in the first {HEADER_SEARCH_ROWS} "
                f"non-empty rows, and the first row (row {number}) is not a CAS(ME)^2 row; "
                f"it has {n_cells} cell(s)")
    else:
        seen = (f"header row {number} has 'Subject' and 'Filename' but no column that "
                f"identifies a flavour; it has {n_cells} cell(s)")
    expected = "; ".join(f"{f}: {REGISTRY[f].expected()}" for f in FLAVOURS)
    return DataFormatError(
        f"{path}: cannot detect the coding-file flavour. Seen: {seen}, those resembling "
        f"known column names: [{', '.join(resembling)}] ({n_cells - len(resembling)} other "
        f"cell(s) not shown: they may hold personal data). Expected one of: {expected}"
    )


def detect_flavour(path, rows, flavour: str):
    """Return ``(flavour name, index of the header row in rows, or None)``.

    Parameters
    ----------
    path : pathlib.Path
        The sheet (named in error messages).
    rows : list
        From :func:`read_rows` (not empty).
    flavour : str
        ``"auto"`` or a flavour name (then only checked).
    """
    if flavour != "auto" and REGISTRY[flavour].columns is None:
        if find_header(rows, limit=1) is not None:
            raise DataFormatError(
                f"{path}, row {rows[0][0]}: flavour {flavour!r} expects no header row, but the "
                f"first row holds column names; expected {REGISTRY[flavour].expected()}"
            )
        return flavour, None
    header = find_header(rows)
    if flavour == "auto":
        if header is not None:
            names = {norm(c) for c in rows[header][1] if isinstance(c, str)}
            found = _header_flavour(names)
            if found is not None:
                return found, header
            raise _undetectable(path, rows, header)
        for f in REGISTRY.values():
            if f.sniff is not None and f.sniff(rows[0][1]):
                return f.name, None
        raise _undetectable(path, rows)
    if header is None:
        raise DataFormatError(
            f"{path}: no header row with 'Subject' and 'Filename' in the first "
            f"{HEADER_SEARCH_ROWS} non-empty rows; expected for flavour {flavour!r}: "
            f"{REGISTRY[flavour].expected()}"
        )
    return flavour, header


def map_columns(path, flavour: str, header_row):
    """``role -> (position, header text)`` of a flavour's columns in a header row.

    Raises
    ------
    DataFormatError
        If a required column is missing.
    """
    number, cells = header_row
    positions = {}
    for pos, c in enumerate(cells):
        if isinstance(c, str) and norm(c) and norm(c) not in positions:
            positions[norm(c)] = pos
    spec = REGISTRY[flavour].columns
    out, missing = {}, []
    for role, names in spec.required + spec.optional:
        for name in names:
            if norm(name) in positions:
                pos = positions[norm(name)]
                out[role] = (pos, str(cells[pos]))
                break
        else:
            if (role, names) in spec.required:
                missing.append(names[0])
    if missing:
        raise DataFormatError(
            f"{path}, row {number}: header lacks required column(s) "
            f"{', '.join(map(repr, missing))}; expected for flavour {flavour!r}: "
            f"{REGISTRY[flavour].expected()}"
        )
    return out


def headerless_columns(flavour: str):
    """``role -> (position, label)`` of a flavour without a header (labels ``"C (onset)"``)."""
    return {role: (i, f"{chr(ord('A') + i)} ({role})")
            for i, role in enumerate(REGISTRY[flavour].positions)}
