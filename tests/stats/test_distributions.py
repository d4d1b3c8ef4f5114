"""Emotion distributions and per-subject counts."""
import pandas as pd
import pytest

from mmme_analysis.io.coding import read_coding_file
from mmme_analysis.stats import emotion_counts, subject_counts, subject_emotion_counts

from ._sheets import count_emotions, read_sheet


def test_real_sheet_emotions_match_independent_count(shared_data):
    path = shared_data / "mes_eeg_coding_file_combined.xlsx"
    expected = count_emotions(read_sheet(path))
    ann = read_coding_file(path)
    t7 = emotion_counts(ann)
    for (emo, kind), n in expected.items():
        assert t7.loc[emo, "n_me" if kind == "micro" else "n_mae"] == n, (emo, kind)
    assert t7["n_total"].sum() == sum(expected.values()) == 944
    t3 = emotion_counts(ann, classes="emotion3")
    neg = {"disgust", "anger", "fear", "sadness", "tense"}
    assert t3.loc["negative", "n_me"] == sum(n for (e, k), n in expected.items() if e in neg and k == "micro")
    assert t3.loc["positive", "n_me"] == expected[("happiness", "micro")]
    assert t3.loc["surprise", "n_mae"] == expected[("surprise", "macro")]


def _ann():
    return pd.DataFrame({
        "subject": ["sub-01", "sub-01", "sub-02", "sub-02", "sub-02"],
        "trial": ["a", "b", "c", "c", "d"],
        "kind": ["micro", "macro", "micro", "micro", "macro"],
        "emotion": ["fear", "happiness", "fear", "other", None],
        "emotion3": ["negative", "positive", "negative", "other", "other"],
    })


def test_fixture_counts():
    t = emotion_counts(_ann(), published=False)
    assert list(t.index[:7]) == ["happiness", "disgust", "anger", "fear", "sadness", "surprise", "tense"]
    assert t.loc["fear", "n_me"] == 2 and t.loc["fear", "pct_me"] == pytest.approx(200 / 3)
    assert t.loc["other", "n_me"] == 1 and t.loc["(none)", "n_mae"] == 1
    assert t["n_total"].sum() == 5
    t3 = emotion_counts(_ann(), classes="emotion3")
    assert t3.loc["negative", "n_me"] == 2 and t3.loc["other", "n_total"] == 2
    pub = emotion_counts(_ann())
    assert pub.loc["contempt", "n_me"] == 0 and pub.loc["contempt", "n_me_published"] == 45
    s = subject_counts(_ann())
    assert s.loc["sub-02"].tolist() == [2, 1, 3, 2]


def test_subject_emotion_counts():
    t = subject_emotion_counts(_ann())
    assert t.loc["sub-02", "fear"] == 1 and t.loc["sub-02", "other"] == 1 and t.loc["sub-01", "fear"] == 1
    assert t.values.sum() == 3  # MEs only
    t3 = subject_emotion_counts(_ann(), classes="emotion3", kind=None)
    assert t3.loc["sub-01", "positive"] == 1 and t3.values.sum() == 5
    with pytest.raises(ValueError, match="Invalid value for 'kind'"):
        subject_emotion_counts(_ann(), kind="nano")


def test_bad_classes():
    with pytest.raises(ValueError, match="Invalid value for 'classes'"):
        emotion_counts(_ann(), classes="emotion7")
