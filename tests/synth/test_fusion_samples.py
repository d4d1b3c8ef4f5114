"""Tests of :func:`mmme_analysis.synth.fusion_samples` (layout and planted class information)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmme_analysis.synth import FUSION_CLASSES, FUSION_PERI_CHANNELS, fusion_samples

# class each modality marks (the odd one out of the pair it separates; module docstring)
MARKED = {"video": "positive", "eeg": "surprise", "peri": "negative"}


def test_layout_dims_labels_subjects():
    ds = fusion_samples(3, 2, seed=1, n_eeg_channels=6, size=16, n_frames=4, window=(-1.0, 2.0), peri_sfreq=8.0)
    assert ds.sizes["sample"] == 3 * 2 * 3
    assert ds["video"].dims == ("sample", "video_channel", "video_time", "y", "x")
    assert ds["video"].shape == (18, 3, 4, 16, 16)
    assert ds["eeg"].dims == ("sample", "eeg_channel", "band", "eeg_time")
    assert ds["eeg"].shape == (18, 6, 5, 3)
    np.testing.assert_allclose(ds["eeg_time"].values, [-0.5, 0.5, 1.5])
    assert ds["peri"].dims == ("sample", "peri_channel", "peri_time")
    assert ds["peri"].shape == (18, 5, 24)
    assert list(ds["peri_channel"].values) == list(FUSION_PERI_CHANNELS)
    assert list(ds["video_channel"].values) == ["u", "v", "strain"]
    for v in ("video", "eeg", "peri"):
        assert ds[v].dtype == np.float32 and "units" in ds[v].attrs
        assert np.isfinite(ds[v].values).all()
    assert ds["label"].dims == ("sample",) and ds["subject"].dims == ("sample",)
    # every subject has every class n_per_class times
    for s in np.unique(ds["subject"].values):
        lab = ds["label"].values[ds["subject"].values == s]
        assert sorted(lab) == sorted(list(FUSION_CLASSES) * 2)
    assert sorted(set(ds["subject"].values)) == ["sub-01", "sub-02", "sub-03"]
    assert len(set(ds["trial"].values)) == 18


def test_seed_reproducible_and_distinct():
    a, b, c = fusion_samples(2, 2, seed=3), fusion_samples(2, 2, seed=3), fusion_samples(2, 2, seed=4)
    np.testing.assert_array_equal(a["eeg"].values, b["eeg"].values)
    assert not np.array_equal(a["eeg"].values, c["eeg"].values)


def _auc_marked(ds, modality):
    """Subject-grouped CV AUC of a linear classifier telling the marked class from the rest."""
    x = ds[modality].values.reshape(ds.sizes["sample"], -1)
    y = (ds["label"].values == MARKED[modality]).astype(int)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    p = cross_val_predict(clf, x, y, groups=ds["subject"].values, cv=GroupKFold(4), method="predict_proba")[:, 1]
    return roc_auc_score(y, p)


@pytest.mark.parametrize("informative", [("video", "eeg", "peri"), ("video",), ("eeg", "peri"), ()])
def test_informative_controls_class_information(informative):
    ds = fusion_samples(8, 6, informative=informative, seed=2, size=12, n_frames=3)
    assert ds.attrs["informative"] == ",".join(informative)
    for m in ("video", "eeg", "peri"):
        auc = _auc_marked(ds, m)
        if m in informative:
            assert auc > 0.9, (m, auc)
        else:
            assert abs(auc - 0.5) < 0.12, (m, auc)


def test_each_modality_tells_only_its_pair():
    """Video does not separate negative from surprise (C looks like A in video)."""
    ds = fusion_samples(8, 6, seed=5, size=12, n_frames=3)
    keep = np.isin(ds["label"].values, ["negative", "surprise"])
    sub = ds.isel(sample=np.flatnonzero(keep))
    x = sub["video"].values.reshape(sub.sizes["sample"], -1)
    y = (sub["label"].values == "negative").astype(int)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    p = cross_val_predict(clf, x, y, groups=sub["subject"].values, cv=GroupKFold(4), method="predict_proba")[:, 1]
    assert abs(roc_auc_score(y, p) - 0.5) < 0.15


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"n_subjects": 0}, ValueError, "n_subjects"),
    ({"n_per_class": 0}, ValueError, "n_per_class"),
    ({"informative": ("audio",)}, ValueError, "informative"),
    ({"informative": ("video", "video")}, ValueError, "informative"),
    ({"window": (-1.0, 1.5)}, ValueError, "window"),
    ({"window": (1.0, 1.0)}, ValueError, "window"),
])
def test_bad_input(kwargs, exc, match):
    args = {"n_subjects": 2, "n_per_class": 1, **kwargs}
    with pytest.raises(exc, match=match):
        fusion_samples(args.pop("n_subjects"), args.pop("n_per_class"), **args)
