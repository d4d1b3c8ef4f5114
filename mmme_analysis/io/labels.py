"""Label vocabularies, now in :mod:`mmme_analysis.vocab`.

Kept until importers move to mmme_analysis.vocab: this module only re-exports its names.
"""
# kept until importers move to mmme_analysis.vocab
from ..vocab import (  # noqa: F401
    AU_REGIONS,
    AU_TABLE,
    EMOTION3,
    EMOTION3_CLASSES,
    EMOTION_CLASSES,
    EMOTIONS_7,
    EMOTIONS_PAPER,
    FLAVOUR_EMOTIONS,
    MARKER_CATEGORIES,
    REST_MARKER,
    STIMULUS_CATEGORIES,
    EmotionLabel,
    au_numbers,
    emotion_to_3class,
    map_emotion,
    marker_category,
    parse_aus,
)

__all__ = [
    "EMOTIONS_7",
    "EMOTIONS_PAPER",
    "EMOTION_CLASSES",
    "EMOTION3",
    "EMOTION3_CLASSES",
    "FLAVOUR_EMOTIONS",
    "EmotionLabel",
    "map_emotion",
    "emotion_to_3class",
    "STIMULUS_CATEGORIES",
    "MARKER_CATEGORIES",
    "REST_MARKER",
    "marker_category",
    "AU_TABLE",
    "AU_REGIONS",
    "parse_aus",
    "au_numbers",
]
