"""The vocabulary every layer shares: emotions, action units, stimulus markers, SI units.

Modules: :mod:`~mmme_analysis.vocab.emotions` (emotion classes and their mappings),
:mod:`~mmme_analysis.vocab.aus` (FACS action units), :mod:`~mmme_analysis.vocab.markers`
(stimulus markers and categories), :mod:`~mmme_analysis.vocab.units` (SI units of the
peripheral signals) and :mod:`~mmme_analysis.vocab.cells` (the blank-cell test).
"""
from .aus import AU_REGIONS, AU_TABLE, au_numbers, parse_aus
from .cells import is_blank
from .emotions import (
    EMOTION3,
    EMOTION3_CLASSES,
    EMOTION_CLASSES,
    EMOTIONS_7,
    EMOTIONS_PAPER,
    FLAVOUR_EMOTIONS,
    EmotionLabel,
    emotion_to_3class,
    map_emotion,
)
from .markers import MARKER_CATEGORIES, REST_MARKER, STIMULUS_CATEGORIES, marker_category
from .units import SI_UNITS

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
    "SI_UNITS",
    "is_blank",
]
