"""Stimulus trigger markers of the MMME sessions and their stimulus categories."""
from __future__ import annotations

__all__ = ["STIMULUS_CATEGORIES", "MARKER_CATEGORIES", "REST_MARKER", "marker_category"]

#: Stimulus category number -> name (MMME documentation).
STIMULUS_CATEGORIES: dict[int, str] = {
    1: "sad", 2: "disgust", 3: "happy", 4: "fear", 5: "nervous", 6: "calm", 7: "anger",
    8: "surprise",
}
#: Marker that starts a rest period (category 0).
REST_MARKER = 100
_MARKER_BLOCKS = (
    (101, (1, 2, 3, 4, 5, 6, 7, 8)),
    (109, (1, 2, 3, 2, 4, 5, 6, 7, 8)),
    (118, (1, 2, 3, 4, 5, 3, 6, 7, 8)),
    (127, (1, 2, 3, 4, 5, 6, 7, 4, 8)),
    (136, (1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 1)),
)
#: Stimulus marker (101-148) -> category (1-8), from shared/data/README.md.
MARKER_CATEGORIES: dict[int, int] = {
    start + i: cat for start, cats in _MARKER_BLOCKS for i, cat in enumerate(cats)
}


def marker_category(marker) -> int:
    """Return the stimulus category (1-8) of a trigger marker; 0 for the rest marker 100.

    Raises
    ------
    ValueError
        For anything that is not the integer 100 or 101-148.
    """
    expected = "a stimulus marker 101-148 or the rest marker 100"
    value = None
    if not isinstance(marker, bool):
        if hasattr(marker, "__index__"):
            value = int(marker)
        elif isinstance(marker, float) and marker.is_integer():
            value = int(marker)
    if value == REST_MARKER:
        return 0
    if value not in MARKER_CATEGORIES:
        raise ValueError(f"Invalid value for 'marker': expected {expected}, got {marker!r}")
    return MARKER_CATEGORIES[value]
