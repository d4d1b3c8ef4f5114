"""Assembling the annotation table: rows of a sheet -> one validated DataFrame."""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..._validate import check_option, check_path, check_positive
from ..._warnings import MMMEWarning
from ...errors import DataFormatError
from ...vocab.aus import au_numbers, parse_aus
from ...vocab.emotions import map_emotion
from .cells import Row
from .flavours import DEFAULT_FPS, FLAVOURS, REGISTRY
from .kinds import kind_by_rule
from .personal import PersonalData, PersonalMap, pseudonyms
from .sheet import detect_flavour, headerless_columns, map_columns, read_rows

__all__ = ["COLUMNS", "read_coding_file"]

#: Columns of the annotation table, in order (extra columns follow them).
COLUMNS: tuple[str, ...] = (
    "dataset", "subject", "trial", "clip", "marker", "category",
    "onset", "apex", "offset", "onset_frame", "apex_frame", "offset_frame", "fps",
    "aus", "au_codes", "emotion_raw", "emotion", "emotion3",
    "kind", "kind_source", "kind_rule", "duration", "onset_apex", "offset_coded",
)


def read_coding_file(path, *, flavour: str = "auto", fps: float | None = None,
                     names: Mapping | None = None, personal: bool = False):
    """Read a micro-expression coding file into the canonical annotation table.

    Parameters
    ----------
    path : str or os.PathLike
        The coding file (``.xlsx``; ``.csv`` exports and, with ``xlrd``, ``.xls`` work too).
        It is opened read-only.
    flavour : str
        ``"auto"`` (detect from the columns) or one of ``mmme``, ``casme2``, ``samm``,
        ``casme_sq``, ``casme3`` (see :mod:`mmme_analysis.io.coding` for each layout).
    fps : float | None
        Frame rate of the coded videos (frames/s); ``None`` uses the flavour's
        (:data:`DEFAULT_FPS`: MMME 150, CASME II and SAMM 200, CAS(ME)^2/^3 30).
    names : Mapping | None
        Explicit ``{subject id as in the file: pseudonym}``; by default subjects become
        ``sub-01`` ... (sorted real names, or zero-padded numeric ids).
    personal : bool
        Also return the personal data the loaders need (see Returns). It is never put in
        the table or its ``attrs``, so copying, pickling or saving the table cannot carry it.

    Returns
    -------
    pandas.DataFrame
        One row per coded expression with :data:`COLUMNS` (times in seconds, frames as
        ``Int64``) plus ``source_row`` and, per flavour, ``onset_stamp``, ``apex_stamp``,
        ``offset_stamp`` (MMME, seconds since midnight on the camera clock) and
        ``objective_class``. ``trial`` is the dataset-wide trial id (MMME
        ``<subject>_<marker>``, e.g. ``sub-01_101``; else the clip id) and ``clip`` the
        pseudonymous clip id. ``df.attrs``: ``source`` (path), ``flavour``, ``fps``.
    personal : PersonalData
        Only with ``personal=True`` (then a ``(df, personal)`` pair is returned): the maps
        ``files`` (trial -> video file name as in the sheet) and ``subjects`` (pseudonym ->
        subject id as in the file), as :class:`PersonalMap` objects that refuse JSON and
        pickling and never show their content.

    Raises
    ------
    DataFormatError
        If the file cannot be read, its flavour cannot be detected, a required column is
        missing, it has no coded rows, or a cell is invalid (unparseable stamp, negative
        time, onset after apex, apex after offset, unknown emotion label or action unit,
        non-numeric marker, two video files for one MMME subject and marker ...). The
        message names the file, the 1-based spreadsheet row and the column, never a
        participant's name.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ann = mm.read_coding_file(mm.demo.data_path("raw") / "coding_file.xlsx")
    >>> ann.attrs["flavour"], bool(ann["subject"].str.startswith("sub-").all())
    ('mmme', True)
    >>> bool((ann["trial"] == ann["subject"] + "_" + ann["marker"].astype(str)).all())
    True
    """
    path = check_path("path", path, kind="file")
    check_option("flavour", flavour, ("auto",) + FLAVOURS)
    if names is not None and not isinstance(names, Mapping):
        raise TypeError(f"Invalid value for 'names': expected a mapping {{subject id: "
                        f"pseudonym}} or None, got {type(names).__name__}")
    rows = read_rows(path)
    if not rows:
        raise DataFormatError(f"{path}: empty file; expected a coding sheet with one row "
                              f"per coded expression")
    flavour, header = detect_flavour(path, rows, flavour)
    spec = REGISTRY[flavour]
    fps = DEFAULT_FPS[flavour] if fps is None else check_positive("fps", fps)
    if header is None:
        columns, data_rows = headerless_columns(flavour), rows
    else:
        columns, data_rows = map_columns(path, flavour, rows[header]), rows[header + 1:]
    if not data_rows:
        where = f"below the header (row {rows[header][0]})" if header is not None else ""
        raise DataFormatError(f"{path}: empty file, no coded expressions {where}; expected "
                              f"one row per coded expression".replace("  ", " "))
    records = [_record(Row(path, number, cells, columns), spec, fps)
               for number, cells in data_rows]
    files, subjects = _identify(path, records, spec, names)
    df = _drop_repeats(path, _to_frame(records, flavour, fps))
    df.attrs.update(source=str(path), flavour=flavour, fps=fps)
    if personal:
        return df, PersonalData(files=PersonalMap(files), subjects=PersonalMap(subjects))
    return df


def _record(row: Row, spec, fps: float) -> dict:
    """One validated record (dict) of a data row."""
    rec = spec.read_row(row, fps)
    rec["source_row"] = row.rownum
    _check_order(row, rec, spec.frame_coded)
    aus = parse_aus(row.raw("aus"), where=row.where("aus"))
    label = map_emotion(row.raw("emotion"), spec.name, where=row.where("emotion"))
    rec.update(aus=aus, au_codes=au_numbers(aus), emotion_raw=label.raw,
               emotion=label.emotion, emotion3=label.emotion3)
    rec["kind_rule"] = kind_by_rule(rec["onset"], rec["apex"], rec["offset"],
                                    rec["offset_coded"])
    labelled = row.kind()
    rec["kind"] = labelled if labelled is not None else rec["kind_rule"]
    rec["kind_source"] = "column" if labelled is not None else "duration_rule"
    return rec


def _check_order(row: Row, rec, frame_coded: bool):
    on, ap, off = rec["onset"], rec["apex"], rec["offset"]

    def show(key, t):
        return f"frame {rec[key + '_frame']}" if frame_coded else f"{t:g} s"

    if ap == ap and on > ap:
        raise row.fail("onset", f"onset ({show('onset', on)}) is after the apex "
                       f"({show('apex', ap)})", "onset <= apex <= offset")
    if ap == ap and rec["offset_coded"] and ap > off:
        raise row.fail("offset", f"apex ({show('apex', ap)}) is after the offset "
                       f"({show('offset', off)})", "onset <= apex <= offset")
    if on > off:
        raise row.fail("offset", f"onset ({show('onset', on)}) is after the offset "
                       f"({show('offset', off)})", "onset <= apex <= offset")


def _identify(path, records, spec, names):
    """Set ``subject``, ``trial`` and ``clip`` of each record; return the personal maps."""
    pseudo = pseudonyms(path, records, spec, names)
    files, subjects, first_row = {}, {}, {}
    for rec in records:
        sub = pseudo[rec["subject_raw"]]
        rec["subject"] = sub
        subjects[sub] = rec["subject_raw"]
        rec["trial"], rec["clip"] = spec.ids(rec, sub)
        trial = rec["trial"]
        if trial in files and files[trial] != rec["filename"]:
            raise DataFormatError(
                f"{path}, row {rec['source_row']}, column 'Filename': a second video file for "
                f"trial {trial} (the first is in row {first_row[trial]}; names not shown: "
                f"personal data); expected one video per trial (MMME: per subject and marker)"
            )
        files.setdefault(trial, rec["filename"])
        first_row.setdefault(trial, rec["source_row"])
    return files, subjects


def _drop_repeats(path, df: pd.DataFrame) -> pd.DataFrame:
    """Rows coding the same expression twice (same trial, frames, AUs, label): warn, keep the first."""
    key = df[["trial", "onset", "apex", "offset", "emotion_raw"]].assign(aus=df["aus"].map(tuple))
    repeat = key.duplicated(keep="first").to_numpy()
    if not repeat.any():
        return df
    first = key.drop_duplicates(keep="first").reset_index().set_index(list(key.columns))["index"]
    pairs = [(int(df["source_row"].iloc[first.loc[tuple(key.iloc[i])]]), int(df["source_row"].iloc[i]))
             for i in np.flatnonzero(repeat)]
    warnings.warn(f"{path.name}: {len(pairs)} row(s) repeat an earlier row (same trial, times, AUs and label: "
                  f"{', '.join(f'row {b} = row {a}' for a, b in pairs[:5])}{' ...' if len(pairs) > 5 else ''}); "
                  f"each expression is counted once, the repeats are dropped", MMMEWarning, stacklevel=3)
    return df.loc[~repeat].reset_index(drop=True)


def _to_frame(records, flavour, fps) -> pd.DataFrame:
    n = len(records)

    def col(key, default=None):
        return [r.get(key, default) for r in records]

    data = {"dataset": [flavour] * n, "subject": col("subject"), "trial": col("trial"),
            "clip": col("clip")}
    for key in ("marker", "category"):
        data[key] = pd.array(col(key), dtype="Int64")
    for key in ("onset", "apex", "offset"):
        data[key] = np.asarray(col(key, math.nan), dtype=float)
    for key in ("onset_frame", "apex_frame", "offset_frame"):
        data[key] = pd.array(col(key), dtype="Int64")
    data["fps"] = np.full(n, float(fps))
    for key in ("aus", "au_codes"):
        obj = np.empty(n, dtype=object)
        obj[:] = col(key)
        data[key] = obj
    for key in ("emotion_raw", "emotion", "emotion3", "kind", "kind_source", "kind_rule"):
        data[key] = np.asarray(col(key), dtype=object)
    offset_coded = np.asarray(col("offset_coded"), dtype=bool)
    duration = np.asarray(col("offset"), dtype=float) - np.asarray(col("onset"), dtype=float)
    data["duration"] = np.where(offset_coded, duration, np.nan)
    data["onset_apex"] = np.asarray(col("apex", math.nan), dtype=float) - data["onset"]
    data["offset_coded"] = offset_coded
    data["source_row"] = np.asarray(col("source_row"), dtype=np.int64)
    if flavour == "mmme":
        for key in ("onset_stamp", "apex_stamp", "offset_stamp"):
            data[key] = np.asarray(col(key), dtype=float)
    if any("objective_class" in r for r in records):
        data["objective_class"] = np.asarray(col("objective_class"), dtype=object)
    return pd.DataFrame(data)
