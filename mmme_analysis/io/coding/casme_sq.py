"""CAS(ME)^2 coding sheets (``CAS(ME)^2code_final.xlsx``), 30 frames/s.

**No header**: columns subject number, ``<video>_<expression no.>`` (``anger1_1``), onset,
apex, offset frame, AUs, emotion, type (``macro-expression`` / ``micro-expression``)
[, self-reported emotion, ignored]; offset ``0`` means not coded. Trials are
``<subject>_<video>`` (the expression number dropped).
"""
from __future__ import annotations

import re

from .cells import as_number
from .framecoded import frame_row, subject_clip_ids
from .spec import Flavour

__all__ = ["CASME_SQ"]

_POSITIONS = ("subject", "filename", "onset", "apex", "offset", "aus", "emotion", "kind")
_VIDEO = re.compile(r"^[A-Za-z][A-Za-z0-9]*_\d+$")


def _sniff(cells) -> bool:
    """Whether a first row looks like a CAS(ME)^2 data row."""
    if len(cells) < len(_POSITIONS):
        return False
    return (as_number(cells[0]) is not None and isinstance(cells[1], str)
            and bool(_VIDEO.match(cells[1]))
            and all(as_number(c) is not None for c in cells[2:4]))


def _video(name: str) -> str:
    """``anger1_1`` -> ``anger1`` (the video of the expression)."""
    return name.rsplit("_", 1)[0] if "_" in name else name


def _read_row(row, fps):
    return frame_row(row, fps, uncoded_offset=(0,), clip_name=_video)


CASME_SQ = Flavour(
    name="casme_sq",
    fps=30.0,
    read_row=_read_row,
    ids=subject_clip_ids,
    positions=_POSITIONS,
    layout=("no header; columns subject number, video_expression (e.g. 'anger1_1'), "
            "onset, apex, offset frame, AUs, emotion, type"),
    sniff=_sniff,
)
