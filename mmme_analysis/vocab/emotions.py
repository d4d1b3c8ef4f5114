"""Emotion classes of the coding files and their mappings.

Every coding file uses its own emotion vocabulary. :func:`map_emotion` turns a raw label
into three values, stored in the annotation table as ``emotion_raw`` (the cell as coded),
``emotion`` (canonical class) and ``emotion3`` (the MEGC 3-class composite).

The MMME sheets (``Estimated Emotion``) use ``happy, disgust, angry, fear, sad, surprise,
tense``; the MMME papers list ``happiness, disgust, anger, fear, sadness, surprise,
contempt``. **Decision:** the canonical 7 classes of MMME are the ones the data holds,
:data:`EMOTIONS_7` = ``happiness, disgust, anger, fear, sadness, surprise, tense``;
``tense`` stays its own class and is *not* renamed ``contempt``. Reasons, checked on both
public sheets (944 rows each):

* the ``Estimated Emotion`` of every row equals the emotion word of its video file name,
  which is the stimulus category of its marker (see :data:`~mmme_analysis.vocab.STIMULUS_CATEGORIES`); ``tense``
  is exactly the rows of category 5 ``nervous`` (50 rows). Nervous/tense is an elicitation
  category, not the FACS prototype of contempt (AU14 unilateral), so renaming it would
  invent a class the coders never used;
* nothing in the sheets says which rows the papers counted as ``contempt``.

The published list is kept as :data:`EMOTIONS_PAPER` for labelled comparisons only; a future
sheet that writes ``contempt`` maps to ``contempt``.

Vocabulary per flavour (raw labels are matched case-insensitively after stripping):

========= ===================================================================
flavour   raw label -> canonical ``emotion``
========= ===================================================================
mmme      happy->happiness, disgust, angry->anger, fear, sad->sadness,
          surprise, tense, contempt (papers' spelling; happiness/anger/sadness
          accepted as well)
casme2    happiness, disgust, repression, surprise, fear, sadness, others->other
samm      Anger, Contempt, Disgust, Fear, Happiness, Sadness, Surprise, Other
casme_sq  negative, positive, surprise, others->other; CAS(ME)^2 codes only the
          composite, so ``emotion`` is ``None`` for negative/positive
          (``emotion3`` is the label itself)
casme3    happy->happiness, disgust, fear, anger, sad->sadness, surprise,
          others->other
========= ===================================================================

A label outside its flavour's vocabulary raises
:class:`~mmme_analysis.errors.DataFormatError` naming where it was found; ``other`` is only
produced where the flavour itself has an "other(s)" class.

``emotion3`` (:data:`EMOTION3`): negative = anger, contempt, disgust, fear, sadness, tense,
repression; positive = happiness; surprise = surprise; everything else ``other``.
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from .._validate import check_option
from ..errors import DataFormatError
from .cells import _where

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
]

#: Canonical 7 classes of MMME, as found in the coding sheets (see module docstring).
EMOTIONS_7: tuple[str, ...] = (
    "happiness", "disgust", "anger", "fear", "sadness", "surprise", "tense",
)
#: The 7 classes as listed by the MMME papers (labelled reference only).
EMOTIONS_PAPER: tuple[str, ...] = (
    "happiness", "disgust", "anger", "fear", "sadness", "surprise", "contempt",
)
#: Every canonical ``emotion`` value a reader can produce (besides ``None``).
EMOTION_CLASSES: tuple[str, ...] = EMOTIONS_7 + ("contempt", "repression", "other")
#: The 3 composite classes (plus ``"other"`` for anything else).
EMOTION3_CLASSES: tuple[str, ...] = ("negative", "positive", "surprise")
#: Canonical emotion -> 3-class composite (MEGC convention).
EMOTION3: dict[str, str] = {
    "anger": "negative",
    "contempt": "negative",
    "disgust": "negative",
    "fear": "negative",
    "sadness": "negative",
    "tense": "negative",
    "repression": "negative",
    "happiness": "positive",
    "surprise": "surprise",
    "other": "other",
}

_COMPOSITE = "__composite__"  # raw label is itself a 3-class composite (CAS(ME)^2)

#: Raw label (lower case) -> canonical emotion, per flavour.
FLAVOUR_EMOTIONS: dict[str, dict[str, str]] = {
    "mmme": {
        "happy": "happiness", "happiness": "happiness",
        "disgust": "disgust",
        "angry": "anger", "anger": "anger",
        "fear": "fear",
        "sad": "sadness", "sadness": "sadness",
        "surprise": "surprise",
        "tense": "tense",
        "contempt": "contempt",
    },
    "casme2": {
        "happiness": "happiness", "disgust": "disgust", "repression": "repression",
        "surprise": "surprise", "fear": "fear", "sadness": "sadness", "others": "other",
    },
    "samm": {
        "anger": "anger", "contempt": "contempt", "disgust": "disgust", "fear": "fear",
        "happiness": "happiness", "sadness": "sadness", "surprise": "surprise",
        "other": "other",
    },
    "casme_sq": {
        "negative": _COMPOSITE, "positive": _COMPOSITE, "surprise": "surprise",
        "others": "other",
    },
    "casme3": {
        "happy": "happiness", "disgust": "disgust", "fear": "fear", "anger": "anger",
        "sad": "sadness", "surprise": "surprise", "others": "other",
    },
}


class EmotionLabel(NamedTuple):
    """One coded emotion: the raw cell, the canonical class and the 3-class composite."""

    raw: str
    emotion: str | None
    emotion3: str


def map_emotion(raw, flavour: str, *, where: str | None = None) -> EmotionLabel:
    """Map a raw emotion label of a coding file to its canonical classes.

    Parameters
    ----------
    raw : str
        The label as coded (case and surrounding blanks are ignored).
    flavour : str
        One of ``FLAVOUR_EMOTIONS`` (``mmme``, ``casme2``, ``samm``, ``casme_sq``,
        ``casme3``).
    where : str | None
        Location used in error messages (file, row and column).

    Returns
    -------
    EmotionLabel
        ``(raw, emotion, emotion3)``; ``emotion`` is ``None`` where the flavour codes only
        a composite class (CAS(ME)^2 ``negative``/``positive``).

    Raises
    ------
    DataFormatError
        If the label is empty or outside the flavour's vocabulary.
    """
    check_option("flavour", flavour, FLAVOUR_EMOTIONS)
    vocab = FLAVOUR_EMOTIONS[flavour]
    text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw).strip()
    key = text.lower()
    if key not in vocab:
        allowed = ", ".join(sorted(vocab))
        raise DataFormatError(
            f"{_where(where)}unknown emotion label {text!r} for flavour {flavour!r}: "
            f"expected one of {allowed} (case-insensitive)"
        )
    canonical = vocab[key]
    if canonical == _COMPOSITE:
        return EmotionLabel(text, None, key)
    return EmotionLabel(text, canonical, EMOTION3[canonical])


def emotion_to_3class(label) -> str:
    """Return the 3-class composite (``negative``/``positive``/``surprise``/``other``).

    ``label`` is a canonical emotion (:data:`EMOTION_CLASSES`) or already a composite
    class; ``None``/NaN give ``"other"``. Anything else raises ValueError.
    """
    if label is None or (isinstance(label, float) and label != label) or label is pd.NA:
        return "other"
    key = str(label).strip().lower()
    if key in EMOTION3:
        return EMOTION3[key]
    if key in EMOTION3_CLASSES:
        return key
    allowed = ", ".join(repr(k) for k in tuple(EMOTION3) + EMOTION3_CLASSES)
    raise ValueError(f"Invalid value for 'label': expected one of {allowed}, got {label!r}")
