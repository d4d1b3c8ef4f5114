"""The papers' micro-expression rule (micro vs macro from the coded times)."""
from __future__ import annotations

__all__ = ["MICRO_MAX_DURATION_S", "MICRO_MAX_ONSET_APEX_S", "kind_by_rule"]

#: The papers' micro-expression rule: onset-to-offset <= 0.5 s or onset-to-apex <= 0.25 s.
MICRO_MAX_DURATION_S = 0.5
MICRO_MAX_ONSET_APEX_S = 0.25


def kind_by_rule(onset, apex, offset, offset_coded) -> str:
    """The papers' micro-expression rule for one expression (times in seconds).

    Parameters
    ----------
    onset, apex, offset : float
        Times in seconds (``apex`` NaN when not coded).
    offset_coded : bool
        Whether the offset was coded (a duration exists).

    Returns
    -------
    str
        ``"micro"`` if ``offset - onset <= 0.5`` (only when the offset was coded) or
        ``apex - onset <= 0.25`` (only when the apex was coded), else ``"macro"``.
        Differences are rounded to the microsecond first so that float noise does not flip
        a boundary case.
    """
    if offset_coded and offset == offset and onset == onset:
        if round(offset - onset, 6) <= MICRO_MAX_DURATION_S:
            return "micro"
    if apex == apex and onset == onset and round(apex - onset, 6) <= MICRO_MAX_ONSET_APEX_S:
        return "micro"
    return "macro"
