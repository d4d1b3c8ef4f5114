import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmme_analysis.errors import DataFormatError
from mmme_analysis.training import MERTask, me_task, task_samples


@pytest.fixture
def annotations():
    return pd.DataFrame({
        "dataset": "mmme",
        "subject": ["sub-01", "sub-01", "sub-01", "sub-02", "sub-02", "sub-02"],
        "marker": [101, 101, 103, 101, 105, 105],
        "trial": ["sub-01_101", "sub-01_101", "sub-01_103", "sub-02_101", "sub-02_105", "sub-02_105"],
        "onset": [0.10, 0.50, 0.20, 0.10, 0.30, 0.05],
        "apex": [0.20, 0.60, 0.30, 0.10, 0.40, 0.15],
        "offset": [0.30, 0.70, 0.40, 0.10, 0.50, 0.30],
        "onset_frame": pd.array([15, 75, 30, 15, 45, 8], dtype="Int64"),
        "apex_frame": pd.array([30, 90, 45, pd.NA, 60, 22], dtype="Int64"),
        "emotion": ["sadness", "happiness", "surprise", "tense", "disgust", None],
        "emotion3": ["negative", "positive", "surprise", "negative", "negative", "other"],
        "kind": ["micro", "micro", "micro", "micro", "macro", "micro"],
    })


def test_3class_and_7class(annotations):
    t3 = me_task(annotations, "3class")
    assert t3.labels == ("negative", "positive", "surprise")
    assert len(t3.table) == 4 and set(t3.table["kind"]) == {"micro"}  # macro and "other" dropped
    assert t3.counts.to_dict() == {"negative": 2, "positive": 1, "surprise": 1}
    t7 = me_task(annotations, "7class", kind="all")
    # canonical order (vocab.EMOTIONS_7), only the classes present, None dropped
    assert t7.labels == ("happiness", "disgust", "sadness", "surprise", "tense")
    assert list(t7.table["label"]) == ["sadness", "happiness", "surprise", "tense", "disgust"]


class _FakeDataset:
    """dataset.trial(trial)["video"]["frames"] as in docs/data_model.md (one trial id)."""

    def __init__(self, n=120, fps=150.0):
        rng = np.random.default_rng(0)
        base = rng.integers(0, 255, (24, 20, 3), dtype=np.uint8)
        frames = np.repeat(base[None], n, axis=0)
        frames[20:40, 5:10] = 255 - frames[20:40, 5:10]  # a change peaking from frame 20 to 39
        self.video = xr.DataArray(frames, dims=("time", "y", "x", "rgb"),
                                  coords={"time": np.arange(n) / fps, "frame": ("time", np.arange(n))})
        self.opened = []

    def trial(self, trial):
        self.opened.append(trial)
        return {"video": xr.Dataset({"frames": self.video})}


def test_task_samples_frames_and_apex_estimate(annotations):
    ds = _FakeDataset()
    task = me_task(annotations, "3class")
    samples = task_samples(ds, task)
    assert len(samples) == 4 and sorted(ds.opened) == ["sub-01_101", "sub-01_103", "sub-02_101"]
    s0 = samples[0]
    np.testing.assert_array_equal(s0["onset"], ds.video.values[15])
    np.testing.assert_array_equal(s0["apex"], ds.video.values[30])
    assert (s0["subject"], s0["label"], s0["apex_estimated"]) == ("sub-01", "negative", False)
    assert (s0["trial"], s0["marker"]) == ("sub-01_101", 101)
    s3 = samples[3]  # sub-02 row: apex not coded (apex == onset, no apex_frame) -> estimated
    assert s3["apex_estimated"]
    assert not np.array_equal(s3["apex"], s3["onset"])
    with pytest.raises(DataFormatError, match="apex missing"):
        task_samples(ds, task, estimate_missing_apex=False)


@pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")
def test_task_samples_on_a_synthetic_store(synth_store):
    import mmme_analysis as mm

    ds = mm.open_dataset(synth_store)
    task = me_task(ds.annotations, "3class", kind="all")
    assert set(task.labels) <= {"negative", "positive", "surprise"} and len(task.table)
    small = MERTask(task.name, task.labels, task.table.head(3))
    samples = task_samples(ds, small)
    assert len(samples) == 3
    for s, (_, row) in zip(samples, small.table.iterrows()):
        assert s["onset"].shape == s["apex"].shape and s["onset"].ndim == 3
        assert s["subject"] == row["subject"] and s["label"] == row["label"]
        assert np.abs(s["apex"].astype(int) - s["onset"]).mean() > 0  # motion between them


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(task="5class"), ValueError, "'task'"),
    (dict(kind="meso"), ValueError, "'kind'"),
])
def test_bad_args(annotations, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        me_task(annotations, **kwargs)


def test_bad_tables(annotations):
    with pytest.raises(DataFormatError, match="missing column"):
        me_task(annotations.drop(columns="emotion3"), "3class")
    with pytest.raises(TypeError, match="'annotations'"):
        me_task(annotations.to_dict(), "3class")
    task = me_task(annotations, "3class")
    bad = MERTask(task.name, task.labels, task.table.drop(columns="trial"))
    with pytest.raises(DataFormatError, match="'trial'"):
        task_samples(_FakeDataset(), bad)
    # datasets without stimulus markers (video-only): no marker column is needed
    no_marker = MERTask(task.name, task.labels, task.table.drop(columns="marker"))
    assert [s["marker"] for s in task_samples(_FakeDataset(), no_marker)] == [None] * 4
