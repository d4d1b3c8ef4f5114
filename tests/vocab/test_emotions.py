"""Tests of the emotion vocabulary and its mappings."""
import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.vocab import (
    EMOTION3,
    EMOTION_CLASSES,
    EMOTIONS_7,
    EMOTIONS_PAPER,
    FLAVOUR_EMOTIONS,
    emotion_to_3class,
    map_emotion,
)


def test_emotion_sets():
    assert len(EMOTIONS_7) == 7 and len(set(EMOTIONS_7)) == 7
    assert "tense" in EMOTIONS_7 and "contempt" not in EMOTIONS_7
    assert set(EMOTIONS_PAPER) - set(EMOTIONS_7) == {"contempt"}
    # every canonical class has a composite class
    assert set(EMOTION_CLASSES) <= set(EMOTION3)
    # every flavour maps into the canonical classes (or a composite-only label)
    for flavour, vocab in FLAVOUR_EMOTIONS.items():
        for raw in vocab:
            lab = map_emotion(raw, flavour)
            assert lab.emotion is None or lab.emotion in EMOTION_CLASSES, (flavour, raw)
            assert lab.emotion3 in ("negative", "positive", "surprise", "other")


@pytest.mark.parametrize(
    "flavour, raw, emotion, emotion3",
    [
        ("mmme", "happy", "happiness", "positive"),
        ("mmme", "angry", "anger", "negative"),
        ("mmme", "sad", "sadness", "negative"),
        ("mmme", "tense", "tense", "negative"),
        ("mmme", " Surprise ", "surprise", "surprise"),
        ("mmme", "disgust", "disgust", "negative"),
        ("mmme", "fear", "fear", "negative"),
        ("mmme", "contempt", "contempt", "negative"),
        ("casme2", "repression", "repression", "negative"),
        ("casme2", "others", "other", "other"),
        ("casme2", "happiness", "happiness", "positive"),
        ("samm", "Contempt", "contempt", "negative"),
        ("samm", "Other", "other", "other"),
        ("samm", "Anger", "anger", "negative"),
        ("casme_sq", "negative", None, "negative"),
        ("casme_sq", "positive", None, "positive"),
        ("casme_sq", "surprise", "surprise", "surprise"),
        ("casme_sq", "others", "other", "other"),
        ("casme3", "happy", "happiness", "positive"),
        ("casme3", "others", "other", "other"),
        ("casme3", "sad", "sadness", "negative"),
    ],
)
def test_map_emotion(flavour, raw, emotion, emotion3):
    lab = map_emotion(raw, flavour)
    assert lab.raw == raw.strip()
    assert lab.emotion == emotion
    assert lab.emotion3 == emotion3


@pytest.mark.parametrize(
    "flavour, raw",
    [
        ("mmme", "others"),       # MMME has no "other" class: never silently mapped
        ("mmme", "joy"),
        ("casme2", "tense"),
        ("casme2", "other"),      # CASME II spells it "others"
        ("samm", "others"),
        ("casme_sq", "happiness"),
        ("casme3", "repression"),
        ("mmme", ""),
        ("mmme", None),
    ],
)
def test_map_emotion_outside_vocabulary(flavour, raw):
    with pytest.raises(DataFormatError, match=rf"^f\.xlsx, row 7: unknown emotion label .*{flavour}"):
        map_emotion(raw, flavour, where="f.xlsx, row 7")


def test_map_emotion_bad_flavour():
    with pytest.raises(ValueError, match="Invalid value for 'flavour'"):
        map_emotion("happy", "smic")


@pytest.mark.parametrize(
    "label, expected",
    [
        ("anger", "negative"), ("contempt", "negative"), ("disgust", "negative"),
        ("fear", "negative"), ("sadness", "negative"), ("tense", "negative"),
        ("repression", "negative"), ("happiness", "positive"), ("surprise", "surprise"),
        ("other", "other"), (None, "other"), (np.nan, "other"), ("Positive", "positive"),
    ],
)
def test_emotion_to_3class(label, expected):
    assert emotion_to_3class(label) == expected


def test_emotion_to_3class_bad():
    with pytest.raises(ValueError, match=r"Invalid value for 'label'.*'happy'"):
        emotion_to_3class("happy")  # a raw label, not a canonical class
