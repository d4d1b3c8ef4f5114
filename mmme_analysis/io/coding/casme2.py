"""CASME II coding sheets (``CASME2-coding-*.xlsx``), 200 frames/s.

Columns ``Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action Units,
Estimated Emotion`` (extra columns ignored); ``ApexFrame`` may be ``/`` (not coded).
Trials are ``<subject>_<Filename>``.
"""
from __future__ import annotations

from .framecoded import KIND_NAMES, OBJECTIVE_NAMES, frame_row, subject_clip_ids
from .spec import ColumnSpec, Flavour

__all__ = ["CASME2"]


def _read_row(row, fps):
    return frame_row(row, fps)


CASME2 = Flavour(
    name="casme2",
    fps=200.0,
    read_row=_read_row,
    ids=subject_clip_ids,
    columns=ColumnSpec(
        required=(
            ("subject", ("Subject",)), ("filename", ("Filename",)),
            ("onset", ("OnsetFrame",)), ("apex", ("ApexFrame",)), ("offset", ("OffsetFrame",)),
            ("aus", ("Action Units",)), ("emotion", ("Estimated Emotion",)),
        ),
        optional=(("kind", KIND_NAMES), ("objective_class", OBJECTIVE_NAMES)),
    ),
    identifies=frozenset({"onsetframe", "apexframe", "offsetframe"}),
)
