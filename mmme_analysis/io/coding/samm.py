"""SAMM coding sheets (``SAMM_Micro_FACS_Codes_v2.xlsx``), 200 frames/s.

A title block, then the header row (row 13 in the public file; searched in the first 30
rows) ``Subject, Filename, Inducement Code, Onset Frame, Apex Frame, Offset Frame,
Duration, Type, Action Units, Notes, Estimated Emotion`` (``Objective Classes`` kept when
present); ``-1`` in Apex/Offset Frame means not coded. Trials are the ``Filename``
(``006_1_2``), which already names the subject.
"""
from __future__ import annotations

from .framecoded import KIND_NAMES, OBJECTIVE_NAMES, frame_row
from .spec import ColumnSpec, Flavour

__all__ = ["SAMM"]


def _read_row(row, fps):
    return frame_row(row, fps, uncoded_apex=(-1,), uncoded_offset=(-1,))


def _ids(rec, subject):
    return rec["filename"], rec["filename"]


SAMM = Flavour(
    name="samm",
    fps=200.0,
    read_row=_read_row,
    ids=_ids,
    columns=ColumnSpec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("Onset Frame", "Onset")), ("apex", ("Apex Frame", "Apex")),
            ("offset", ("Offset Frame", "Offset")), ("aus", ("Action Units",)),
            ("emotion", ("Estimated Emotion", "Emotion")),
        ),
        optional=(("kind", KIND_NAMES), ("objective_class", OBJECTIVE_NAMES)),
    ),
    identifies=frozenset({"inducementcode"}),
)
