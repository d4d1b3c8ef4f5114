"""Rows of the frame-coded flavours (CASME II, SAMM, CAS(ME)^2, CAS(ME)^3).

Their onset, apex and offset are frame numbers; times are ``frame / fps``.
"""
from __future__ import annotations

import math

from .cells import Row

__all__ = ["KIND_NAMES", "OBJECTIVE_NAMES", "frame_row", "subject_clip_ids"]

#: Header spellings of the labelled expression type and of the objective class.
KIND_NAMES = ("Macro/Micro", "Type", "Expression Type")
OBJECTIVE_NAMES = ("Objective Classes", "Objective Class")


def frame_row(row: Row, fps: float, *, uncoded_apex=(), uncoded_offset=(), clip_name=None):
    """Read the frame-coded fields of one row.

    Parameters
    ----------
    row : Row
        The row.
    fps : float
        Frame rate (frames/s).
    uncoded_apex, uncoded_offset : tuple of int
        Frame values that mean "not coded" in this flavour (SAMM ``-1``, CAS(ME)^2/^3
        offset ``0``).
    clip_name : callable | None
        ``clip_name(filename cell) -> str``, the clip name to record; default the cell.

    Returns
    -------
    dict
        ``marker``/``category`` (None), frames, times (s), ``offset_coded``,
        ``subject_raw``, ``filename`` and ``objective_class`` where the sheet has one.
    """
    on = row.frame("onset")
    if on is None:
        raise row.fail("onset", "onset not coded", "an integer frame number")
    ap = row.frame("apex", uncoded=uncoded_apex)
    off = row.frame("offset", uncoded=uncoded_offset)
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
    rec["subject_raw"] = row.text("subject")
    filename = row.text("filename")
    rec["filename"] = filename if clip_name is None else clip_name(filename)
    if row.has("objective_class"):
        oc = row.raw("objective_class")
        if isinstance(oc, float) and oc.is_integer():
            oc = int(oc)
        rec["objective_class"] = oc
    return rec


def subject_clip_ids(rec, subject):
    """``(trial, clip)`` = ``<subject>_<clip name>`` twice (CASME II, CAS(ME)^2, CAS(ME)^3)."""
    trial = f"{subject}_{rec['filename']}"
    return trial, trial
