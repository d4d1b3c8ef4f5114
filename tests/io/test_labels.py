import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.labels import (
    AU_REGIONS,
    AU_TABLE,
    EMOTION3,
    EMOTION_CLASSES,
    EMOTIONS_7,
    EMOTIONS_PAPER,
    FLAVOUR_EMOTIONS,
    STIMULUS_CATEGORIES,
    au_numbers,
    emotion_to_3class,
    map_emotion,
    marker_category,
    parse_aus,
)

# ----------------------------------------------------------------------------- emotions


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


# ------------------------------------------------------------------------------ markers
README_BLOCKS = {  # shared/data/README.md, "Stimulus categories"
    101: [1, 2, 3, 4, 5, 6, 7, 8],
    109: [1, 2, 3, 2, 4, 5, 6, 7, 8],
    118: [1, 2, 3, 4, 5, 3, 6, 7, 8],
    127: [1, 2, 3, 4, 5, 6, 7, 4, 8],
    136: [1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 1],
}


def test_marker_category_table():
    expected = {s + i: c for s, cats in README_BLOCKS.items() for i, c in enumerate(cats)}
    assert sorted(expected) == list(range(101, 149))
    for marker, cat in expected.items():
        assert marker_category(marker) == cat
        assert marker_category(np.int64(marker)) == cat
    assert marker_category(100) == 0
    assert marker_category(112.0) == 2
    assert STIMULUS_CATEGORIES == {1: "sad", 2: "disgust", 3: "happy", 4: "fear",
                                   5: "nervous", 6: "calm", 7: "anger", 8: "surprise"}
    # spot checks written out by hand from the README
    assert [marker_category(m) for m in (112, 123, 134, 148)] == [2, 3, 4, 1]


@pytest.mark.parametrize("marker", [99, 149, 0, -101, 101.5, "101", None, True])
def test_marker_category_bad(marker):
    with pytest.raises(ValueError, match=r"Invalid value for 'marker': expected a stimulus "
                                         r"marker 101-148 or the rest marker 100, got"):
        marker_category(marker)


# --------------------------------------------------------------------------- action units
TABLE1_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 25, 26, 41, 42)
SHEET_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 23, 24, 25, 26, 27)


def test_au_table():
    for au in set(TABLE1_AUS) | set(SHEET_AUS) | {38, 39, 43}:
        assert au in AU_TABLE.index
    assert AU_TABLE.loc[4, "name"] == "Brow Lowerer"
    assert AU_TABLE.loc[12, "region"] == "mouth"
    assert AU_TABLE.loc[1, "region"] == "brows"
    assert AU_TABLE.loc[9, "region"] == "nose"
    assert AU_TABLE.loc[7, "region"] == "eyes"
    assert AU_TABLE.loc[54, "region"] == "head"
    assert set(AU_TABLE["region"]) <= set(AU_REGIONS)
    assert AU_TABLE.index.is_unique and 3 not in AU_TABLE.index


@pytest.mark.parametrize(
    "text, aus, numbers",
    [
        ("AU4, AU10, AU13, AU17", ("AU4", "AU10", "AU13", "AU17"), (4, 10, 13, 17)),
        ("AU4", ("AU4",), (4,)),
        ("L12", ("L12",), (12,)),
        ("R14+AU4", ("R14", "AU4"), (14, 4)),
        ("4+10", ("4", "10"), (4, 10)),
        ("B1", ("B1",), (1,)),
        ("r12 + l12", ("R12", "L12"), (12, 12)),
        ("R14A+12B", ("R14A", "12B"), (14, 12)),
        ("AU 6; AU12", ("AU6", "AU12"), (6, 12)),
        (12, ("12",), (12,)),
        (12.0, ("12",), (12,)),
        ("", (), ()),
        (None, (), ()),
        (np.nan, (), ()),
    ],
)
def test_parse_aus(text, aus, numbers):
    assert parse_aus(text, where="x") == aus
    assert au_numbers(aus) == numbers


@pytest.mark.parametrize(
    "text, match",
    [
        ("AU4,, AU7", r"empty action unit"),
        ("smile", r"cannot parse action unit 'smile'"),
        ("AU99", r"unknown action unit 'AU99'"),
        ("AU3", r"unknown action unit 'AU3'"),
        ("X12", r"cannot parse action unit 'X12'"),
        ("AU4?", r"cannot parse action unit 'AU4\?'"),
        ("12F", r"cannot parse"),
        (True, r"invalid action-unit cell"),
    ],
)
def test_parse_aus_bad(text, match):
    with pytest.raises(DataFormatError, match=r"^sheet\.xlsx, row 3, column 'Action Units': " + match):
        parse_aus(text, where="sheet.xlsx, row 3, column 'Action Units'")


def test_au_numbers_from_string_and_bad_token():
    assert au_numbers("AU1, AU2") == (1, 2)
    with pytest.raises(ValueError, match=r"Invalid value for 'aus'"):
        au_numbers(("AU1", "smile"))
