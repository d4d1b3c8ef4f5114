"""MMME / MECG / MEs-EEG coding sheets (``coding_file.xlsx``), 150 frames/s.

Header row ``Subject, Filename, Marker, OnsetTime, ApexTime, OffsetTime, OnsetFrame,
ApexFrame, OffsetFrame, Action Units, Estimated Emotion, [Macro/Micro,] Date, dif``.
Times are seconds from the trial start; ``*Frame`` are camera stamps
``hh-mm-ss-ms[-us]``. The video file names are
``<emotion>_<index>_<marker>_<participant>_<yyyymmdd>.avi`` and hold the participant's
name. Trials are ``<subject>_<marker>`` (``sub-01_101``); the clip is the video file stem
with the name replaced by the pseudonym (``angry_1_146_sub-01_20240515``).
"""
from __future__ import annotations

import re

from ...errors import DataFormatError
from ...vocab.markers import marker_category
from ..stamps import parse_stamp
from .cells import Row
from .spec import ColumnSpec, Flavour

__all__ = ["MMME"]

_FILENAME = re.compile(
    r"^(?P<emo>[A-Za-z]+)_(?P<idx>\d+)_(?P<marker>\d+)_(?P<name>.+)_(?P<date>\d{8})"
    r"(?:\.[A-Za-z0-9]+)?$"
)
_MARKER = "an integer stimulus marker 101-148"


def _read_row(row: Row, fps: float):
    rec = {}
    marker = row.number("marker", what=_MARKER)
    if not float(marker).is_integer():
        raise row.fail("marker", f"non-integer marker {marker!r}", _MARKER)
    marker = int(marker)
    try:
        category = marker_category(marker)
    except ValueError:
        raise row.fail("marker", f"marker {marker} is not a stimulus marker",
                       f"{_MARKER} (or 100 for rest)") from None
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
    filename = row.text("filename")
    m = _FILENAME.match(filename)
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
    rec["subject_raw"] = subject_raw
    rec["filename"] = filename
    rec["clip_parts"] = (f"{m['emo']}_{m['idx']}_{m['marker']}_", f"_{m['date']}")
    return rec


def _ids(rec, subject):
    head, tail = rec["clip_parts"]
    return f"{subject}_{rec['marker']}", f"{head}{subject}{tail}"


MMME = Flavour(
    name="mmme",
    fps=150.0,
    read_row=_read_row,
    ids=_ids,
    columns=ColumnSpec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)), ("marker", ("Marker",)),
            ("onset", ("OnsetTime",)), ("apex", ("ApexTime",)), ("offset", ("OffsetTime",)),
            ("onset_stamp", ("OnsetFrame",)), ("apex_stamp", ("ApexFrame",)),
            ("offset_stamp", ("OffsetFrame",)), ("aus", ("Action Units",)),
            ("emotion", ("Estimated Emotion",)),
        ),
        optional=(("kind", ("Macro/Micro",)),),
    ),
    identifies=frozenset({"onsettime", "apextime", "offsettime", "marker"}),
    frame_coded=False,
    personal_ids=True,
)
