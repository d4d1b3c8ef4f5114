"""Prediction files shown by the Explorer: format, reader and per-trial rows.

Prediction files
----------------
Predictions are tidy CSV files, one row per value, with a header. Every kind is keyed by
the ``trial`` column: the trial id, as in ``ds.trials["trial"]`` (``sub-01_101`` for
MMME, ``sub-01_EP02_01f`` for CASME II). The kind of file is told by its other columns
(extra columns are ignored):

========== ==================================== ===============================================
kind       required columns                     meaning
========== ==================================== ===============================================
spotting   ``trial, time, score``               spotting score (any real number, usually a
                                                probability) at ``time`` s on the trial axis
intervals  ``trial, onset, offset, label``      predicted expression intervals, s on the trial
                                                axis, ``onset <= offset``; ``label`` is free
                                                text (e.g. ``micro``, ``disgust``)
classes    ``trial, event, class,``             class probabilities of annotated event
           ``probability``                      ``event`` (0-based index into the trial's
                                                ``/events``), ``0 <= probability <= 1``
========== ==================================== ===============================================

Interval files may carry three optional columns (spotters and the heart-rate-slope filter
of :mod:`mmme_analysis.spotting` write them; older files without them stay valid):

========= ======================================================================================
column    meaning
========= ======================================================================================
``apex``  apex of the interval (s), ``onset <= apex <= offset``; an empty cell or no column: the
          interval's midpoint
``kept``  whether the candidate passed a filter (the HR-slope filter's ``kept``): ``true`` /
          ``false``, ``1`` / ``0``, ``yes`` / ``no`` (any case); no column: every row kept
``hrs``   heart-rate slope at the apex (bpm/s), a number or an empty cell / ``nan`` (unknown)
========= ======================================================================================

The table read always has these columns (``apex`` and ``hrs`` NaN, ``kept`` True when
absent). Intervals are the times of their first and last frames (inclusive), as the
Explorer converts them back to frames (:mod:`~mmme_analysis.dashboard.spot_outcomes`).

Files of the former format, keyed by ``subject, marker``, are refused with a message naming
the file and the missing ``trial`` column; for MMME data the id is
``f"{subject}_{marker}"`` (``df["trial"] = df["subject"] + "_" + df["marker"].astype(str)``).
Bad files raise :class:`~mmme_analysis.errors.DataFormatError` naming the file, the row
(1-based data row, header excluded) and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import check_path
from ..errors import DataFormatError

__all__ = ["OPTIONAL_COLUMNS", "PREDICTION_FORMATS", "Predictions", "read_predictions"]

#: Required columns of each prediction-file kind (see the module docstring).
PREDICTION_FORMATS = {
    "spotting": ("trial", "time", "score"),
    "intervals": ("trial", "onset", "offset", "label"),
    "classes": ("trial", "event", "class", "probability"),
}

#: Optional columns of each kind (see the module docstring).
OPTIONAL_COLUMNS = {"intervals": ("apex", "kept", "hrs")}

_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}

#: Typed columns of each kind: column -> "int" or "float" (the others are text).
_NUMERIC = {
    "spotting": {"time": "float", "score": "float"},
    "intervals": {"onset": "float", "offset": "float"},
    "classes": {"event": "int", "probability": "float"},
}


@dataclass(frozen=True)
class Predictions:
    """A parsed prediction file.

    Attributes
    ----------
    kind : str
        ``spotting``, ``intervals`` or ``classes``.
    table : DataFrame
        The rows, with the required columns typed (trial str, times float, event int);
        interval files also have ``apex`` and ``hrs`` (float, NaN unknown) and ``kept``
        (bool), given or filled in.
    path : str
        Source file.
    """

    kind: str
    table: pd.DataFrame
    path: str = ""

    def for_trial(self, trial: str) -> pd.DataFrame:
        """Rows of one trial (its id, as in ``ds.trials["trial"]``)."""
        t = self.table
        return t[t["trial"] == str(trial)].reset_index(drop=True)


def _bad(path, row, what):
    where = f"{path}" + (f", row {row}" if row is not None else "")
    return DataFormatError(f"{where}: {what}")


def _first(mask) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _kind(path, columns) -> str:
    if "trial" not in columns:
        old = " (the former subject, marker key: add trial = subject + '_' + marker)" if {
            "subject", "marker"} <= set(columns) else ""
        raise _bad(path, None, f"expected a 'trial' column (the trial id, as in ds.trials['trial']), got the "
                               f"columns {list(columns)}{old}")
    kinds = [k for k, cols in PREDICTION_FORMATS.items() if set(cols) <= set(columns)]
    if len(kinds) != 1:
        expected = "; ".join(f"{k}: {', '.join(c)}" for k, c in PREDICTION_FORMATS.items())
        raise _bad(path, None, f"expected the columns of exactly one kind ({expected}), got {list(columns)}")
    return kinds[0]


def read_predictions(path) -> Predictions:
    r"""Read a tidy prediction CSV (format in the module docstring).

    Parameters
    ----------
    path : path-like
        CSV file with a header row.

    Returns
    -------
    Predictions

    Raises
    ------
    FileNotFoundError
        No such file.
    DataFormatError
        No ``trial`` column, columns that match no kind, or a value missing, not a
        number, or out of range; the message names the file, the 1-based data row and
        what was expected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from mmme_analysis.dashboard import read_predictions
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "spotting.csv"
    >>> _ = path.write_text("trial,time,score\nsub-01_101,0.5,0.9\nsub-01_101,0.0,0.1\n")
    >>> pred = read_predictions(path)
    >>> pred.kind, pred.for_trial("sub-01_101")["time"].tolist()
    ('spotting', [0.0, 0.5])
    >>> _ = path.write_text("trial,onset,offset,label,kept\nsub-01_101,1.0,1.4,micro,false\n")
    >>> read_predictions(path).table[["apex", "kept", "hrs"]].values.tolist()
    [[nan, False, nan]]
    """
    path = check_path("path", path, kind="file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise _bad(path, None, f"expected a CSV file with a header row, could not parse it ({err})") from None
    table.columns = [str(c).strip() for c in table.columns]
    kind = _kind(path, table.columns)
    numeric = _NUMERIC[kind]
    out = pd.DataFrame(index=table.index)
    for col in PREDICTION_FORMATS[kind]:
        raw = table[col].str.strip()
        empty = raw == ""
        if empty.any():
            raise _bad(path, _first(empty) + 1, f"expected a value in column {col!r}, got an empty cell")
        if col in numeric:
            values = pd.to_numeric(raw, errors="coerce")
            bad = values.isna() | ~np.isfinite(values.astype(float))
            if numeric[col] == "int":
                bad |= (values % 1 != 0)
            if bad.any():
                i = _first(bad)
                what = "an integer" if numeric[col] == "int" else "a finite number"
                raise _bad(path, i + 1, f"expected {what} in column {col!r}, got {raw.iloc[i]!r}")
            out[col] = values.astype(int if numeric[col] == "int" else float)
        else:
            out[col] = raw
    if kind == "intervals":
        _optional_intervals(path, table, out)
    _check_ranges(path, kind, out)
    if kind == "spotting":
        out = out.sort_values(["trial", "time"], kind="stable").reset_index(drop=True)
    return Predictions(kind=kind, table=out, path=str(path))


def _optional_intervals(path, table: pd.DataFrame, out: pd.DataFrame) -> None:
    """The optional ``apex``, ``hrs`` (float, NaN when empty) and ``kept`` (bool) columns of an interval file."""
    for col in ("apex", "hrs"):
        if col not in table:
            out[col] = np.nan
            continue
        raw = table[col].str.strip()
        empty = (raw == "") | (raw.str.lower() == "nan")
        values = pd.to_numeric(raw.where(~empty, "nan"), errors="coerce").astype(float)
        bad = ~empty & ~np.isfinite(values)
        if bad.any():
            i = _first(bad)
            raise _bad(path, i + 1, f"expected a finite number or an empty cell in column {col!r}, got {raw.iloc[i]!r}")
        out[col] = values
    if "kept" not in table:
        out["kept"] = True
        return
    raw = table["kept"].str.strip().str.lower()
    bad = ~raw.isin(_TRUE | _FALSE)
    if bad.any():
        i = _first(bad)
        raise _bad(path, i + 1, f"expected true or false (1/0, yes/no) in column 'kept', got {table['kept'].iloc[i]!r}")
    out["kept"] = raw.isin(_TRUE).to_numpy(bool)


def _check_ranges(path, kind: str, out: pd.DataFrame) -> None:
    if kind == "intervals":
        bad = out["offset"] < out["onset"]
        if bad.any():
            i = _first(bad)
            raise _bad(path, i + 1, f"expected onset <= offset, got onset {out['onset'].iloc[i]} "
                                    f"and offset {out['offset'].iloc[i]}")
        apex = out["apex"]
        bad = apex.notna() & ((apex < out["onset"]) | (apex > out["offset"]))
        if bad.any():
            i = _first(bad)
            raise _bad(path, i + 1, f"expected an apex within onset..offset ({out['onset'].iloc[i]}.."
                                    f"{out['offset'].iloc[i]}), got {apex.iloc[i]}")
    if kind == "classes":
        p = out["probability"]
        bad = (p < 0) | (p > 1)
        if bad.any():
            i = _first(bad)
            raise _bad(path, i + 1, f"expected a probability in [0, 1], got {p.iloc[i]}")
        bad = out["event"] < 0
        if bad.any():
            i = _first(bad)
            raise _bad(path, i + 1, f"expected an event index >= 0, got {out['event'].iloc[i]}")
