"""CAS(ME)^3 part A micro-expression annotation sheets, 30 frames/s.

Columns ``Subject, Filename, Onset, Apex, Offset, AU, Objective class, Emotion``; offset
``0`` means not coded. Subjects ``spNO.1`` become ``sub-01``; trials are
``<subject>_<Filename>``.
"""
from __future__ import annotations

from .framecoded import KIND_NAMES, OBJECTIVE_NAMES, frame_row, subject_clip_ids
from .spec import ColumnSpec, Flavour

__all__ = ["CASME3"]


def _read_row(row, fps):
    return frame_row(row, fps, uncoded_offset=(0,))


CASME3 = Flavour(
    name="casme3",
    fps=30.0,
    read_row=_read_row,
    ids=subject_clip_ids,
    columns=ColumnSpec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("Onset",)), ("apex", ("Apex",)), ("offset", ("Offset",)),
            ("aus", ("AU", "AUs", "Action Units")),
            ("emotion", ("Emotion", "Estimated Emotion")),
        ),
        optional=(("kind", KIND_NAMES), ("objective_class", OBJECTIVE_NAMES)),
    ),
    identifies=frozenset({"onset", "apex", "offset", "objectiveclass"}),
)
