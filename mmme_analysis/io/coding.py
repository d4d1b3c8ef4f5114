"""Read micro-expression coding files into the canonical annotation table.

:func:`read_coding_file` returns one row per coded expression with the columns of
``docs/data_model.md`` (see :data:`COLUMNS`), pseudonymous subjects and validated times.

Flavours (``flavour="auto"`` detects them from the header / first row):

=========  ==================================================================  =========
flavour    layout                                                              fps
=========  ==================================================================  =========
mmme       MMME / MECG / MEs-EEG ``coding_file.xlsx``: header row ``Subject,     150
           Filename, Marker, OnsetTime, ApexTime, OffsetTime, OnsetFrame,
           ApexFrame, OffsetFrame, Action Units, Estimated Emotion,
           [Macro/Micro,] Date, dif``. Times are seconds from the trial start;
           ``*Frame`` are camera stamps ``hh-mm-ss-ms[-us]``.
casme2     CASME II ``CASME2-coding-*.xlsx``: ``Subject, Filename, OnsetFrame,   200
           ApexFrame, OffsetFrame, Action Units, Estimated Emotion`` (extra
           columns ignored); ``ApexFrame`` may be ``/`` (not coded).
samm       SAMM ``SAMM_Micro_FACS_Codes_v2.xlsx``: a title block, then the       200
           header row (row 13 in the public file; searched in the first 30
           rows) ``Subject, Filename, Inducement Code, Onset Frame, Apex Frame,
           Offset Frame, Duration, Type, Action Units, Notes, Estimated
           Emotion`` (``Objective Classes`` kept when present); ``-1`` in
           Apex/Offset Frame means not coded.
casme_sq   CAS(ME)^2 ``CAS(ME)^2code_final.xlsx``: **no header**; columns        30
           subject number, ``<video>_<expression no.>`` (``anger1_1``), onset,
           apex, offset frame, AUs, emotion, type (``macro-expression`` /
           ``micro-expression``) [, self-reported emotion, ignored]; offset
           ``0`` means not coded.
casme3     CAS(ME)^3 part A ME annotation: ``Subject, Filename, Onset, Apex,     30
           Offset, AU, Objective class, Emotion``; offset ``0`` means not
           coded.
=========  ==================================================================  =========

The layouts of the public CASME II, SAMM, CAS(ME)^2 and CAS(ME)^3 files were taken from
public code that reads them (header names, SAMM header on row 13/14, CAS(ME)^2 without a
header and with offset 0 for "not coded"); they were not checked against the files
themselves, so the readers match columns by name (case, blanks and punctuation ignored) and
ignore unknown extra columns. Old ``.xls`` versions need ``xlrd``; ``.csv`` exports work too.

Conventions
-----------
* ``onset``, ``apex``, ``offset`` are seconds. MMME: seconds from the trial start as coded
  (``*Time`` columns); ``*_frame = round(time * fps)`` is the frame index in the trial
  video. Frame-coded flavours: ``*_frame`` is the frame number as coded (the dataset's own
  image numbering) and times are ``frame / fps``.
* An offset that was not coded (MMME: ``OffsetTime == ApexTime``, 433 of 944 real rows;
  other flavours: their "not coded" value, or an offset equal to the apex) gives
  ``offset == apex``, ``offset_coded = False`` and ``duration = NaN`` (a duration is never
  invented). An apex that was not coded (CASME II ``/``, SAMM ``-1``) gives ``apex = NaN``.
* ``kind_rule`` (the papers' rule): ``micro`` if ``offset - onset <= 0.5 s`` (offset coded) or
  ``apex - onset <= 0.25 s``; times are rounded to the microsecond before the comparison.
  ``kind`` comes from the ``Macro/Micro`` / ``Type`` column where there is one
  (``kind_source = "column"``), else from the rule (``kind_source = "duration_rule"``).
* Subjects are pseudonymised: ``sub-01``, ``sub-02`` ... in sorted order of the real names
  (MMME), or ``"sub-" + zero-padded number`` for numeric ids (CASME II ``1`` -> ``sub-01``,
  SAMM ``006`` -> ``sub-06``, CAS(ME)^3 ``spNO.1`` -> ``sub-01``). ``names={raw: pseudonym}``
  overrides this.
* ``trial`` is unique in a file: MMME: the video file stem with the participant's name
  replaced by the pseudonym (``angry_1_146_sub-01_20240515``); CASME II / CAS(ME)^3:
  ``<subject>_<Filename>``; SAMM: ``Filename``; CAS(ME)^2: ``<subject>_<video>``.
* Extra columns: ``source_row`` (1-based spreadsheet row) for every flavour;
  ``onset_stamp, apex_stamp, offset_stamp`` (MMME: seconds since midnight on the camera
  clock; ``stamp - time`` is the camera time of the trial start); ``objective_class`` where
  the file has one. MMME's ``Date`` (annotation time) and ``dif`` are not kept.

Personal data
-------------
No real name reaches a column, ``repr``, warning or error message (errors name the file,
the spreadsheet row and the column, never a name). Two attributes hold personal data for
the loaders only, held in :class:`PersonalMap` objects (their repr hides the content and JSON
refuses them), and display or export code must never show or write them:
``df.attrs["files"]`` (``trial -> video file name as in the sheet``; MMME file names contain
the participant's name) and ``df.attrs["subjects"]`` (``pseudonym -> subject id as in the
sheet``, i.e. the participant folder name). Pandas does not print ``attrs`` nor write them in
``to_csv``; do not serialise ``attrs`` wholesale.

Files are opened read-only and never written.
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._validate import check_option, check_path, check_positive
from ..errors import DataFormatError
from .labels import _blank, au_numbers, map_emotion, marker_category, parse_aus
from .stamps import parse_stamp

__all__ = [
    "PersonalMap",
    "COLUMNS",
    "FLAVOURS",
    "DEFAULT_FPS",
    "MICRO_MAX_DURATION_S",
    "MICRO_MAX_ONSET_APEX_S",
    "read_coding_file",
    "kind_agreement",
    "kind_by_rule",
]

#: Columns of the annotation table, in order (extra columns follow them).
COLUMNS: tuple[str, ...] = (
    "dataset", "subject", "trial", "marker", "category",
    "onset", "apex", "offset", "onset_frame", "apex_frame", "offset_frame", "fps",
    "aus", "au_codes", "emotion_raw", "emotion", "emotion3",
    "kind", "kind_source", "kind_rule", "duration", "onset_apex", "offset_coded",
)
FLAVOURS: tuple[str, ...] = ("mmme", "casme2", "samm", "casme_sq", "casme3")
#: Frame rate of each flavour's video (frames/s), used when ``fps`` is not given.
DEFAULT_FPS: dict[str, float] = {
    "mmme": 150.0, "casme2": 200.0, "samm": 200.0, "casme_sq": 30.0, "casme3": 30.0,
}
#: The papers' micro-expression rule: onset-to-offset <= 0.5 s or onset-to-apex <= 0.25 s.
MICRO_MAX_DURATION_S = 0.5
MICRO_MAX_ONSET_APEX_S = 0.25

_HEADER_SEARCH_ROWS = 30
_NAME_FLAVOURS = ("mmme",)  # subject ids are personal names


def _norm(text) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).lower()) if text is not None else ""


@dataclass(frozen=True)
class _Spec:
    """Column roles of a flavour with a header row: role -> accepted header spellings."""

    required: tuple[tuple[str, tuple[str, ...]], ...]
    optional: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def spellings(self):
        return dict(self.required + self.optional)


_KIND_NAMES = ("Macro/Micro", "Type", "Expression Type")
_OBJ_NAMES = ("Objective Classes", "Objective Class")
_SPECS: dict[str, _Spec] = {
    "mmme": _Spec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)), ("marker", ("Marker",)),
            ("onset", ("OnsetTime",)), ("apex", ("ApexTime",)), ("offset", ("OffsetTime",)),
            ("onset_stamp", ("OnsetFrame",)), ("apex_stamp", ("ApexFrame",)),
            ("offset_stamp", ("OffsetFrame",)), ("aus", ("Action Units",)),
            ("emotion", ("Estimated Emotion",)),
        ),
        optional=(("kind", ("Macro/Micro",)),),
    ),
    "casme2": _Spec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("OnsetFrame",)), ("apex", ("ApexFrame",)), ("offset", ("OffsetFrame",)),
            ("aus", ("Action Units",)), ("emotion", ("Estimated Emotion",)),
        ),
        optional=(("kind", _KIND_NAMES), ("objective_class", _OBJ_NAMES)),
    ),
    "samm": _Spec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("Onset Frame", "Onset")), ("apex", ("Apex Frame", "Apex")),
            ("offset", ("Offset Frame", "Offset")), ("aus", ("Action Units",)),
            ("emotion", ("Estimated Emotion", "Emotion")),
        ),
        optional=(("kind", _KIND_NAMES), ("objective_class", _OBJ_NAMES)),
    ),
    "casme3": _Spec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("Onset",)), ("apex", ("Apex",)), ("offset", ("Offset",)),
            ("aus", ("AU", "AUs", "Action Units")),
            ("emotion", ("Emotion", "Estimated Emotion")),
        ),
        optional=(("kind", _KIND_NAMES), ("objective_class", _OBJ_NAMES)),
    ),
}
#: CAS(ME)^2 has no header: role of each column position.
_CASME_SQ_COLUMNS = ("subject", "filename", "onset", "apex", "offset", "aus", "emotion", "kind")
_CASME_SQ_VIDEO = re.compile(r"^[A-Za-z][A-Za-z0-9]*_\d+$")
_MMME_FILENAME = re.compile(
    r"^(?P<emo>[A-Za-z]+)_(?P<idx>\d+)_(?P<marker>\d+)_(?P<name>.+)_(?P<date>\d{8})"
    r"(?:\.[A-Za-z0-9]+)?$"
)


def _expected_columns(flavour: str) -> str:
    if flavour == "casme_sq":
        return ("no header; columns subject number, video_expression (e.g. 'anger1_1'), "
                "onset, apex, offset frame, AUs, emotion, type")
    spec = _SPECS[flavour]
    req = ", ".join(names[0] for _, names in spec.required)
    opt = ", ".join(names[0] for _, names in spec.optional)
    return req + (f" [optional: {opt}]" if opt else "")


class PersonalMap(Mapping):
    """Read-only mapping that holds personal data (participants' names, file names).

    Its ``repr``/``str`` never show the content, and :mod:`json` cannot serialise it, so
    ``DataFrame.to_parquet`` (which writes ``attrs`` as JSON metadata) refuses the annotation
    table until its ``attrs`` are cleared, instead of writing names into the file. Lookup,
    iteration, ``dict(m)``, equality with a dict, copying and pickling work as usual.
    """

    __slots__ = ("_data",)

    def __init__(self, data=()):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return f"<PersonalMap: {len(self._data)} entries, personal data not shown>"

    __str__ = __repr__

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self


# ------------------------------------------------------------------------- reading
def _read_rows(path: Path) -> list[tuple[int, tuple]]:
    """Non-empty rows of the first sheet as ``(1-based row number, cell values)``."""
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
        cells = tuple(None if _blank(c) else (c.strip() if isinstance(c, str) else c)
                      for c in cells)
        if any(c is not None for c in cells):
            rows.append((number, cells))
    return rows


def _find_header(rows, *, limit=_HEADER_SEARCH_ROWS):
    """Index in ``rows`` of the first row with ``Subject`` and ``Filename`` cells, or None."""
    for i, (_, cells) in enumerate(rows[:limit]):
        names = {_norm(c) for c in cells if isinstance(c, str)}
        if "subject" in names and "filename" in names:
            return i
    return None


def _header_flavour(names: set[str]) -> str | None:
    if "inducementcode" in names:
        return "samm"
    if names & {"onsettime", "apextime", "offsettime", "marker"}:
        return "mmme"
    if names & {"onsetframe", "apexframe", "offsetframe"}:
        return "casme2"
    if names & {"onset", "apex", "offset", "objectiveclass"}:
        return "casme3"
    return None


def _looks_casme_sq(cells) -> bool:
    if len(cells) < len(_CASME_SQ_COLUMNS):
        return False
    return (_as_number(cells[0]) is not None and isinstance(cells[1], str)
            and bool(_CASME_SQ_VIDEO.match(cells[1]))
            and all(_as_number(c) is not None for c in cells[2:4]))


def _undetectable(path, rows, header=None) -> DataFormatError:
    known = sorted({n for spec in _SPECS.values() for _, names in spec.spellings().items()
                    for n in names})
    number, cells = rows[0 if header is None else header]
    resembling = []
    for t in (c for c in cells if isinstance(c, str)):
        close = difflib.get_close_matches(t, known, n=1, cutoff=0.75)
        if close:
            resembling.append(f"{t!r} (~{close[0]!r})" if close[0] != t else repr(t))
    n_cells = sum(c is not None for c in cells)
    if header is None:
        seen = (f"no row with 'Subject' and 'Filename' in the first {_HEADER_SEARCH_ROWS} "
                f"non-empty rows, and the first row (row {number}) is not a CAS(ME)^2 row; "
                f"it has {n_cells} cell(s)")
    else:
        seen = (f"header row {number} has 'Subject' and 'Filename' but no column that "
                f"identifies a flavour; it has {n_cells} cell(s)")
    expected = "; ".join(f"{f}: {_expected_columns(f)}" for f in FLAVOURS)
    return DataFormatError(
        f"{path}: cannot detect the coding-file flavour. Seen: {seen}, those resembling "
        f"known column names: [{', '.join(resembling)}] ({n_cells - len(resembling)} other "
        f"cell(s) not shown: they may hold personal data). Expected one of: {expected}"
    )


def _detect(path, rows, flavour):
    """Return ``(flavour, header_index or None)``."""
    if flavour == "casme_sq":
        if _find_header(rows, limit=1) is not None:
            raise DataFormatError(
                f"{path}, row {rows[0][0]}: flavour 'casme_sq' expects no header row, but the "
                f"first row holds column names; expected {_expected_columns('casme_sq')}"
            )
        return flavour, None
    header = _find_header(rows)
    if flavour == "auto":
        if header is not None:
            names = {_norm(c) for c in rows[header][1] if isinstance(c, str)}
            found = _header_flavour(names)
            if found is not None:
                return found, header
            raise _undetectable(path, rows, header)
        if _looks_casme_sq(rows[0][1]):
            return "casme_sq", None
        raise _undetectable(path, rows)
    if header is None:
        raise DataFormatError(
            f"{path}: no header row with 'Subject' and 'Filename' in the first "
            f"{_HEADER_SEARCH_ROWS} non-empty rows; expected for flavour {flavour!r}: "
            f"{_expected_columns(flavour)}"
        )
    return flavour, header


def _map_columns(path, flavour, header_row):
    """role -> (position, header text) for the flavour's columns."""
    number, cells = header_row
    positions = {}
    for pos, c in enumerate(cells):
        if isinstance(c, str) and _norm(c) and _norm(c) not in positions:
            positions[_norm(c)] = pos
    spec = _SPECS[flavour]
    out, missing = {}, []
    for role, names in spec.required + spec.optional:
        for name in names:
            if _norm(name) in positions:
                pos = positions[_norm(name)]
                out[role] = (pos, str(cells[pos]))
                break
        else:
            if (role, names) in spec.required:
                missing.append(names[0])
    if missing:
        raise DataFormatError(
            f"{path}, row {number}: header lacks required column(s) "
            f"{', '.join(map(repr, missing))}; expected for flavour {flavour!r}: "
            f"{_expected_columns(flavour)}"
        )
    return out


# ---------------------------------------------------------------------- cell helpers
def _as_number(value):
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


class _Row:
    """One data row: typed access to its cells with located error messages."""

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
        x = _as_number(v)
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
        x = _as_number(v)
        if x is None or not float(x).is_integer():
            raise self.fail(role, f"invalid frame number {v!r}", "an integer frame number")
        x = int(x)
        if x in uncoded:
            return None
        if x < 0:
            raise self.fail(role, f"negative frame number {x}", "an integer frame number >= 0")
        return x

    def kind(self):
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


# ----------------------------------------------------------------------- the rule
def kind_by_rule(onset, apex, offset, offset_coded) -> str:
    """The papers' micro-expression rule for one expression (times in seconds).

    ``"micro"`` if ``offset - onset <= 0.5`` (only when the offset was coded) or
    ``apex - onset <= 0.25`` (only when the apex was coded), else ``"macro"``. Differences
    are rounded to the microsecond first so that float noise does not flip a boundary case.
    """
    if offset_coded and offset == offset and onset == onset:
        if round(offset - onset, 6) <= MICRO_MAX_DURATION_S:
            return "micro"
    if apex == apex and onset == onset and round(apex - onset, 6) <= MICRO_MAX_ONSET_APEX_S:
        return "micro"
    return "macro"


# --------------------------------------------------------------- per-flavour rows
def _mmme_row(row: _Row, fps: float):
    rec = {}
    marker = row.number("marker", what="an integer stimulus marker 101-148")
    if not float(marker).is_integer():
        raise row.fail("marker", f"non-integer marker {marker!r}",
                       "an integer stimulus marker 101-148")
    marker = int(marker)
    try:
        category = marker_category(marker)
    except ValueError:
        raise row.fail("marker", f"marker {marker} is not a stimulus marker",
                       "an integer stimulus marker 101-148 (or 100 for rest)") from None
    rec["marker"], rec["category"] = marker, category
    on, ap, off = row.seconds("onset"), row.seconds("apex"), row.seconds("offset")
    for role in ("onset_stamp", "apex_stamp", "offset_stamp"):
        text = row.raw(role)
        if text is None:
            raise row.fail(role, "empty cell", "a camera stamp 'hh-mm-ss-ms-us' or 'hh-mm-ss-ms'")
        try:
            rec[role] = parse_stamp(text if isinstance(text, str) else str(text))
        except DataFormatError as exc:
            raise row.fail(role, f"cannot parse camera stamp {text!r}",
                           "'hh-mm-ss-ms-us' (5 parts) or 'hh-mm-ss-ms' (4 parts)") from exc
    rec["onset"], rec["apex"] = on, ap
    rec["offset_coded"] = off != ap
    rec["offset"] = off
    for key, t in (("onset_frame", on), ("apex_frame", ap), ("offset_frame", off)):
        rec[key] = int(round(t * fps))
    # the file name: <emotion>_<index>_<marker>_<participant>_<yyyymmdd>.avi
    filename = row.text("filename")
    m = _MMME_FILENAME.match(filename)
    if m is None:
        raise row.fail("filename", "file name does not follow the MMME pattern (not shown: "
                       "it holds personal data)",
                       "'<emotion>_<index>_<marker>_<participant>_<yyyymmdd>.avi'")
    if int(m["marker"]) != marker:
        raise row.fail("filename", f"marker part {int(m['marker'])} of the file name differs "
                       f"from Marker {marker}", "the same marker in both")
    subject_raw = row.text("subject")
    if m["name"].strip().lower() != subject_raw.lower():
        raise row.fail("filename", "participant part of the file name differs from the "
                       "Subject column (values not shown: personal data)",
                       "the Subject value between marker and date")
    rec["_subject_raw"] = subject_raw
    rec["_filename"] = filename
    rec["_trial_parts"] = (f"{m['emo']}_{m['idx']}_{m['marker']}_", f"_{m['date']}")
    return rec


_UNCODED = {  # role -> frame values meaning "not coded", per flavour
    "casme2": {"apex": (), "offset": ()},
    "samm": {"apex": (-1,), "offset": (-1,)},
    "casme_sq": {"apex": (), "offset": (0,)},
    "casme3": {"apex": (), "offset": (0,)},
}


def _frame_row(row: _Row, fps: float, flavour: str):
    uncoded = _UNCODED[flavour]
    on = row.frame("onset")
    if on is None:
        raise row.fail("onset", "onset not coded", "an integer frame number")
    ap = row.frame("apex", uncoded=uncoded["apex"])
    off = row.frame("offset", uncoded=uncoded["offset"])
    if ap is None and off is None:
        raise row.fail("apex", "neither apex nor offset coded",
                       "an apex or an offset frame number")
    rec = {"marker": None, "category": None}
    offset_coded = off is not None and off != ap
    if off is None:
        off = ap
    rec.update(onset_frame=on, apex_frame=ap, offset_frame=off, offset_coded=offset_coded)
    rec["onset"] = on / fps
    rec["apex"] = ap / fps if ap is not None else math.nan
    rec["offset"] = off / fps
    subject_raw = row.text("subject")
    filename = row.text("filename")
    if flavour == "casme_sq":
        video = filename.rsplit("_", 1)[0] if "_" in filename else filename
        rec["_filename"] = video
    else:
        rec["_filename"] = filename
    rec["_subject_raw"] = subject_raw
    if row.has("objective_class"):
        oc = row.raw("objective_class")
        if isinstance(oc, float) and oc.is_integer():
            oc = int(oc)
        rec["objective_class"] = oc
    return rec


def _check_order(row: _Row, rec, flavour):
    on, ap, off = rec["onset"], rec["apex"], rec["offset"]
    unit = "s" if flavour == "mmme" else "frame"

    def show(key, t):
        return f"{t:g} s" if unit == "s" else f"frame {rec[key + '_frame']}"

    if ap == ap and on > ap:
        raise row.fail("onset", f"onset ({show('onset', on)}) is after the apex "
                       f"({show('apex', ap)})", "onset <= apex <= offset")
    if ap == ap and rec["offset_coded"] and ap > off:
        raise row.fail("offset", f"apex ({show('apex', ap)}) is after the offset "
                       f"({show('offset', off)})", "onset <= apex <= offset")
    if on > off:
        raise row.fail("offset", f"onset ({show('onset', on)}) is after the offset "
                       f"({show('offset', off)})", "onset <= apex <= offset")


# --------------------------------------------------------------------- pseudonyms
def _pseudonyms(path, records, flavour, names):
    raw_ids = [r["_subject_raw"] for r in records]
    if names is not None:
        mapping = {str(k).strip(): str(v) for k, v in names.items()}
        used = {mapping[s] for s in set(raw_ids) if s in mapping}
        if len(used) < len({s for s in set(raw_ids) if s in mapping}):
            raise ValueError("Invalid value for 'names': expected a distinct pseudonym for "
                             "each subject of the file, got repeated pseudonyms")
        for r in records:
            if r["_subject_raw"] not in mapping:
                raise DataFormatError(
                    f"{path}, row {r['source_row']}, column 'Subject': subject missing from "
                    f"the 'names' mapping (value not shown: personal data); expected a "
                    f"pseudonym for every subject ({len(set(raw_ids))} distinct in the file)"
                )
        return mapping
    if flavour in _NAME_FLAVOURS:
        unique = sorted(set(raw_ids))
        width = max(2, len(str(len(unique))))
        return {name: f"sub-{i:0{width}d}" for i, name in enumerate(unique, start=1)}
    mapping = {}
    for r in records:
        m = re.search(r"(\d+)\s*$", r["_subject_raw"])
        if m is None:
            raise DataFormatError(
                f"{path}, row {r['source_row']}, column 'Subject': subject id without a "
                f"number; expected a numeric subject id (e.g. '1', '006', 'spNO.1') for "
                f"flavour {flavour!r}"
            )
        mapping[r["_subject_raw"]] = f"sub-{int(m[1]):02d}"
    return mapping


# ------------------------------------------------------------------------- public
def read_coding_file(path, *, flavour: str = "auto", fps: float | None = None,
                     names: Mapping | None = None) -> pd.DataFrame:
    """Read a micro-expression coding file into the canonical annotation table.

    Parameters
    ----------
    path : str or os.PathLike
        The coding file (``.xlsx``; ``.csv`` exports and, with ``xlrd``, ``.xls`` work too).
        It is opened read-only.
    flavour : str
        ``"auto"`` (detect from the columns) or one of ``mmme``, ``casme2``, ``samm``,
        ``casme_sq``, ``casme3`` (see the module docstring for each layout).
    fps : float | None
        Frame rate of the coded videos (frames/s); ``None`` uses the flavour's
        (:data:`DEFAULT_FPS`: MMME 150, CASME II and SAMM 200, CAS(ME)^2/^3 30).
    names : Mapping | None
        Explicit ``{subject id as in the file: pseudonym}``; by default subjects become
        ``sub-01`` ... (sorted real names, or zero-padded numeric ids).

    Returns
    -------
    pandas.DataFrame
        One row per coded expression with :data:`COLUMNS` (times in seconds, frames as
        ``Int64``) plus ``source_row`` and, per flavour, ``onset_stamp``, ``apex_stamp``,
        ``offset_stamp`` (MMME, seconds since midnight on the camera clock) and
        ``objective_class``. ``df.attrs``: ``source`` (path), ``flavour``, ``fps``, and the
        personal-data maps ``files`` (trial -> video file name) and ``subjects``
        (pseudonym -> subject id as in the file) that display code must never show.

    Raises
    ------
    DataFormatError
        If the file cannot be read, its flavour cannot be detected, a required column is
        missing, it has no coded rows, or a cell is invalid (unparseable stamp, negative
        time, onset after apex, apex after offset, unknown emotion label or action unit,
        non-numeric marker ...). The message names the file, the 1-based spreadsheet row
        and the column, never a participant's name.
    """
    path = check_path("path", path, kind="file")
    check_option("flavour", flavour, ("auto",) + FLAVOURS)
    if names is not None and not isinstance(names, Mapping):
        raise TypeError(f"Invalid value for 'names': expected a mapping {{subject id: "
                        f"pseudonym}} or None, got {type(names).__name__}")
    rows = _read_rows(path)
    if not rows:
        raise DataFormatError(f"{path}: empty file; expected a coding sheet with one row "
                              f"per coded expression")
    flavour, header = _detect(path, rows, flavour)
    fps = DEFAULT_FPS[flavour] if fps is None else check_positive("fps", fps)
    if header is None:
        columns = {role: (i, f"{chr(ord('A') + i)} ({role})")
                   for i, role in enumerate(_CASME_SQ_COLUMNS)}
        data_rows = rows
    else:
        columns = _map_columns(path, flavour, rows[header])
        data_rows = rows[header + 1:]
    if not data_rows:
        where = f"below the header (row {rows[header][0]})" if header is not None else ""
        raise DataFormatError(f"{path}: empty file, no coded expressions {where}; expected "
                              f"one row per coded expression".replace("  ", " "))

    records = []
    for number, cells in data_rows:
        row = _Row(path, number, cells, columns)
        rec = _mmme_row(row, fps) if flavour == "mmme" else _frame_row(row, fps, flavour)
        rec["source_row"] = number
        _check_order(row, rec, flavour)
        aus = parse_aus(row.raw("aus"), where=row.where("aus"))
        label = map_emotion(row.raw("emotion"), flavour, where=row.where("emotion"))
        rec.update(aus=aus, au_codes=au_numbers(aus), emotion_raw=label.raw,
                   emotion=label.emotion, emotion3=label.emotion3)
        rec["kind_rule"] = kind_by_rule(rec["onset"], rec["apex"], rec["offset"],
                                        rec["offset_coded"])
        labelled = row.kind()
        rec["kind"] = labelled if labelled is not None else rec["kind_rule"]
        rec["kind_source"] = "column" if labelled is not None else "duration_rule"
        records.append(rec)

    pseudo = _pseudonyms(path, records, flavour, names)
    files, subjects = {}, {}
    for rec in records:
        sub = pseudo[rec["_subject_raw"]]
        rec["subject"] = sub
        subjects[sub] = rec["_subject_raw"]
        if flavour == "mmme":
            head, tail = rec["_trial_parts"]
            rec["trial"] = f"{head}{sub}{tail}"
        elif flavour == "samm":
            rec["trial"] = rec["_filename"]
        else:
            rec["trial"] = f"{sub}_{rec['_filename']}"
        files[rec["trial"]] = rec["_filename"]
    df = _to_frame(records, flavour, fps)
    df.attrs.update(source=str(path), flavour=flavour, fps=fps, files=PersonalMap(files),
                    subjects=PersonalMap(subjects))
    return df


def _to_frame(records, flavour, fps) -> pd.DataFrame:
    n = len(records)

    def col(key, default=None):
        return [r.get(key, default) for r in records]

    data = {"dataset": [flavour] * n, "subject": col("subject"), "trial": col("trial")}
    for key in ("marker", "category"):
        data[key] = pd.array(col(key), dtype="Int64")
    for key in ("onset", "apex", "offset"):
        data[key] = np.asarray(col(key, math.nan), dtype=float)
    for key in ("onset_frame", "apex_frame", "offset_frame"):
        data[key] = pd.array(col(key), dtype="Int64")
    data["fps"] = np.full(n, float(fps))
    obj = np.empty(n, dtype=object)
    obj[:] = col("aus")
    data["aus"] = obj
    obj = np.empty(n, dtype=object)
    obj[:] = col("au_codes")
    data["au_codes"] = obj
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


def kind_agreement(df: pd.DataFrame) -> pd.DataFrame:
    """Cross-tabulate the labelled kind against the duration rule.

    Parameters
    ----------
    df : pandas.DataFrame
        An annotation table from :func:`read_coding_file`; only rows with
        ``kind_source == "column"`` (a labelled kind) are used.

    Returns
    -------
    pandas.DataFrame
        Counts with index ``labelled`` and columns ``rule`` (both ``micro``, ``macro``).
        ``attrs``: ``n`` (rows compared), ``agreement`` (fraction of equal kinds) and
        ``kappa`` (Cohen's kappa, :func:`sklearn.metrics.cohen_kappa_score`).
    """
    from sklearn.metrics import cohen_kappa_score

    needed = {"kind", "kind_rule", "kind_source"}
    if not isinstance(df, pd.DataFrame) or not needed <= set(df.columns):
        raise ValueError("Invalid value for 'df': expected an annotation table with columns "
                         f"kind, kind_rule, kind_source, got {type(df).__name__}")
    lab = df[df["kind_source"] == "column"]
    if lab.empty:
        raise ValueError("Invalid value for 'df': expected rows with a labelled kind "
                         "(kind_source == 'column'), got none")
    levels = ["micro", "macro"]
    table = pd.crosstab(pd.Categorical(lab["kind"], levels), pd.Categorical(lab["kind_rule"], levels),
                        rownames=["labelled"], colnames=["rule"], dropna=False)
    agreement = float((lab["kind"].to_numpy() == lab["kind_rule"].to_numpy()).mean())
    kappa = float(cohen_kappa_score(lab["kind"], lab["kind_rule"], labels=levels))
    table.attrs.update(n=int(len(lab)), agreement=agreement, kappa=kappa)
    return table
