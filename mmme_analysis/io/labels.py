"""Label vocabularies: emotions, stimulus categories and FACS action units.

Emotion labels
--------------
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
  which is the stimulus category of its marker (see :data:`STIMULUS_CATEGORIES`); ``tense``
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

Action units
------------
:data:`AU_TABLE` lists the FACS action units (Ekman, Friesen & Hager 2002) with their name
and facial region. :func:`parse_aus` reads AU cells such as ``"AU4, AU10, AU13, AU17"``
(MMME), ``"4+10"``, ``"R12"``, ``"L12+AU4"`` (CASME II), ``"R14A"`` or ``"B1"`` keeping the
tokens as coded (upper-cased): an optional side prefix ``L``/``R``/``B``/``U``/``T``, an
optional ``AU``, the number and an optional intensity letter ``A``-``E``.
"""
from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from .._validate import check_option
from ..errors import DataFormatError

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

# --------------------------------------------------------------------------- emotions
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


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""


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


# ----------------------------------------------------------------- stimulus markers
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


# ---------------------------------------------------------------------- action units
_AU_ROWS = (
    (1, "Inner Brow Raiser", "brows"),
    (2, "Outer Brow Raiser", "brows"),
    (4, "Brow Lowerer", "brows"),
    (5, "Upper Lid Raiser", "eyes"),
    (6, "Cheek Raiser", "eyes"),
    (7, "Lid Tightener", "eyes"),
    (8, "Lips Toward Each Other", "mouth"),
    (9, "Nose Wrinkler", "nose"),
    (10, "Upper Lip Raiser", "mouth"),
    (11, "Nasolabial Deepener", "mouth"),
    (12, "Lip Corner Puller", "mouth"),
    (13, "Sharp Lip Puller (Cheek Puffer)", "mouth"),
    (14, "Dimpler", "mouth"),
    (15, "Lip Corner Depressor", "mouth"),
    (16, "Lower Lip Depressor", "mouth"),
    (17, "Chin Raiser", "mouth"),
    (18, "Lip Pucker", "mouth"),
    (19, "Tongue Show", "mouth"),
    (20, "Lip Stretcher", "mouth"),
    (21, "Neck Tightener", "other"),
    (22, "Lip Funneler", "mouth"),
    (23, "Lip Tightener", "mouth"),
    (24, "Lip Pressor", "mouth"),
    (25, "Lips Part", "mouth"),
    (26, "Jaw Drop", "mouth"),
    (27, "Mouth Stretch", "mouth"),
    (28, "Lip Suck", "mouth"),
    (29, "Jaw Thrust", "mouth"),
    (30, "Jaw Sideways", "mouth"),
    (31, "Jaw Clencher", "mouth"),
    (32, "Lip Bite", "mouth"),
    (33, "Cheek Blow", "mouth"),
    (34, "Cheek Puff", "mouth"),
    (35, "Cheek Suck", "mouth"),
    (36, "Tongue Bulge", "mouth"),
    (37, "Lip Wipe", "mouth"),
    (38, "Nostril Dilator", "nose"),
    (39, "Nostril Compressor", "nose"),
    (41, "Lid Droop", "eyes"),
    (42, "Slit", "eyes"),
    (43, "Eyes Closed", "eyes"),
    (44, "Squint", "eyes"),
    (45, "Blink", "eyes"),
    (46, "Wink", "eyes"),
    (51, "Head Turn Left", "head"),
    (52, "Head Turn Right", "head"),
    (53, "Head Up", "head"),
    (54, "Head Down", "head"),
    (55, "Head Tilt Left", "head"),
    (56, "Head Tilt Right", "head"),
    (57, "Head Forward", "head"),
    (58, "Head Back", "head"),
    (61, "Eyes Turn Left", "eyes"),
    (62, "Eyes Turn Right", "eyes"),
    (63, "Eyes Up", "eyes"),
    (64, "Eyes Down", "eyes"),
)
#: FACS action units: index ``au`` (int), columns ``name`` and ``region``.
AU_TABLE: pd.DataFrame = pd.DataFrame(
    [(name, region) for _, name, region in _AU_ROWS],
    index=pd.Index([n for n, _, _ in _AU_ROWS], name="au"),
    columns=["name", "region"],
)
#: The region names used in :data:`AU_TABLE`.
AU_REGIONS: tuple[str, ...] = ("brows", "eyes", "nose", "mouth", "head", "other")
_AU_SET = frozenset(AU_TABLE.index)

_AU_TOKEN = re.compile(
    r"^(?P<side>[LRBUT])?\s*(?:AU)?\s*(?P<num>\d{1,2})(?P<intensity>[A-E])?$"
)
_AU_SEP = re.compile(r"[,+;/&]")


def _blank(text) -> bool:
    if text is None or text is pd.NA:
        return True
    if isinstance(text, float) and text != text:
        return True
    return isinstance(text, str) and not text.strip()


def parse_aus(text, *, where: str | None = None) -> tuple[str, ...]:
    """Split an action-unit cell into tokens, as coded (side prefixes kept).

    Parameters
    ----------
    text : str | int | float | None
        The cell: ``"AU4, AU10"``, ``"4+10"``, ``"R12"``, ``"L12+AU4"``, ``12`` ...
        Tokens are separated by ``,``, ``+``, ``;``, ``/`` or ``&``. Empty cells give ``()``.
    where : str | None
        Location for error messages (file, row and column).

    Returns
    -------
    tuple of str
        Upper-cased tokens without blanks, e.g. ``("AU4", "AU10")`` or ``("R12", "4")``.

    Raises
    ------
    DataFormatError
        If a token is not ``[side][AU]number[intensity]`` or its number is not a FACS
        action unit listed in :data:`AU_TABLE`.
    """
    if _blank(text):
        return ()
    if isinstance(text, bool):
        raise DataFormatError(f"{_where(where)}invalid action-unit cell {text!r}")
    if isinstance(text, float) and text.is_integer():
        text = str(int(text))
    text = str(text)
    out = []
    for raw_token in _AU_SEP.split(text):
        token = re.sub(r"\s+", "", raw_token).upper()
        if not token:
            raise DataFormatError(
                f"{_where(where)}empty action unit in {text!r}: expected tokens such as "
                "'AU4', '4', 'L12', 'R14A' separated by ',' or '+'"
            )
        m = _AU_TOKEN.match(token)
        if m is None:
            raise DataFormatError(
                f"{_where(where)}cannot parse action unit {raw_token.strip()!r} in {text!r}: "
                "expected an optional side (L/R/B/U/T), optional 'AU', a number and an "
                "optional intensity A-E, e.g. 'AU4', 'L12', '4', 'R14A'"
            )
        if int(m["num"]) not in _AU_SET:
            raise DataFormatError(
                f"{_where(where)}unknown action unit {raw_token.strip()!r} in {text!r}: "
                "expected a FACS action unit number (1-46, 51-58, 61-64)"
            )
        out.append(token)
    return tuple(out)


def au_numbers(aus) -> tuple[int, ...]:
    """Return the AU numbers of parsed tokens (``("L12", "AU4")`` -> ``(12, 4)``).

    A string is parsed with :func:`parse_aus` first.
    """
    if isinstance(aus, str):
        aus = parse_aus(aus)
    out = []
    for token in aus:
        m = _AU_TOKEN.match(re.sub(r"\s+", "", str(token)).upper())
        if m is None:
            raise ValueError(
                f"Invalid value for 'aus': expected action-unit tokens such as 'AU4' or "
                f"'L12', got {token!r}"
            )
        out.append(int(m["num"]))
    return tuple(out)
