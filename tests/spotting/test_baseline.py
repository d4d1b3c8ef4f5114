"""Baseline spotter: hand cases, bad inputs, and F1 on synthetic trials (leave-one-subject-out)."""
import warnings

import numpy as np
import pandas as pd
import pytest

from mmme_analysis.spotting.baseline import BaselineSpotter, SpotConfig, spot_peaks
from mmme_analysis.spotting.features import feature_difference, gray_frames
from mmme_analysis.spotting.metrics import spot_metrics
from mmme_analysis.spotting.truth import spot_truth


@pytest.fixture(scope="module")
def synth_ds(tmp_path_factory):
    import mmme_analysis as mm
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    # generator defaults except the number of participants/trials; seed 5 (the settings were chosen on seed 0)
    root = synthesize(tmp_path_factory.mktemp("spot") / "raw", SynthConfig(n_subjects=2, n_trials=2, seed=5),
                      progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mm.open_dataset(root)


@pytest.fixture(scope="module")
def loso(synth_ds):
    ann = synth_ds.annotations
    preds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in synth_ds.subjects:
            spotter = BaselineSpotter().fit(ann[ann["subject"] != s])
            trials = synth_ds.trials.loc[synth_ds.trials["subject"] == s, "trial"]
            preds.append(spotter.predict(synth_ds, trials, n_workers=2, progress=False))
    return pd.concat(preds, ignore_index=True), spot_truth(ann, synth_ds.trials["trial"])


def test_micro_f1_on_synthetic_trials(loso):
    pred, truth = loso
    table, _ = spot_metrics(pred, truth)
    assert table.loc["micro", "f1"] >= 0.5
    assert (table["tp"] + table["fn"] == table["n_truth"]).all()


def test_prediction_table(loso, synth_ds):
    pred, _ = loso
    assert list(pred.columns) == ["video", "onset", "offset", "kind", "score", "apex"]
    assert ((pred["onset"] <= pred["apex"]) & (pred["apex"] <= pred["offset"])).all()
    assert set(pred["video"]) <= set(synth_ds.trials["trial"])


def test_k_comes_from_training_lengths():
    ann = pd.DataFrame({"kind": ["micro", "micro", "micro"], "onset": [1.0, 5.0, 9.0], "offset": [1.2, 5.4, 9.9],
                        "offset_coded": [True, True, False]})
    spotter = BaselineSpotter().fit(ann)
    assert spotter.half_length_["micro"] == pytest.approx(0.15)  # (0.2 + 0.4) / 2 / 2; the uncoded one left out
    # seconds -> frames per fps
    assert spotter.frame_distance("micro", 100.0) == 15 and spotter.frame_distance("micro", 200.0) == 30


def test_peaks_and_intervals_by_hand():
    s = np.zeros(300)
    s[100], s[110], s[295] = 1.0, 0.8, 0.9
    out = spot_peaks(s, 150.0, 10, p=0.5, distance=0.2)  # 0.2 s = 30 frames: 110 is too close to 100
    assert out[["onset", "apex", "offset"]].values.tolist() == [[90, 100, 110], [285, 295, 299]]
    assert spot_peaks(np.zeros(10), 150.0, 3).empty


def test_feature_difference_peaks_at_apex_and_ignores_ramps():
    m = np.zeros((60, 2))
    m[30, 0] = m[35, 0] = 1.0  # a rise-and-return 2k = 10 frames long in region 0
    m[:, 1] = 0.5  # steady motion (a slow ramp) in region 1
    c = feature_difference(m, 5)
    assert int(np.argmax(c[:, 0])) == 30
    assert np.allclose(c[:, 1], 0.0)


def test_truth_lists_videos_without_expressions():
    ann = pd.DataFrame({"trial": ["a"], "kind": ["micro"], "onset_frame": [10], "apex_frame": [15],
                        "offset_frame": [15], "offset_coded": [False]})
    t = spot_truth(ann, ["a", "b"])
    assert t["offset"].tolist()[0] == 20 and t["onset"].isna().tolist() == [False, True]


def test_predict_before_fit():
    with pytest.raises(RuntimeError, match="call fit"):
        BaselineSpotter().frame_distance("micro", 150.0)


def test_gray_frames_sizes():
    frames = np.zeros((2, 90, 120, 3), np.uint8)
    assert gray_frames(frames, 60).shape == (2, 45, 60) and gray_frames(frames, None).shape == (2, 90, 120)
    assert gray_frames(frames, 240).dtype == np.uint8


_FIT = pd.DataFrame({"kind": ["micro"], "onset": [0.0], "offset": [0.3]})


@pytest.mark.parametrize("call, exc, match", [
    (lambda: BaselineSpotter().fit(_FIT).frame_distance("macro", 150.0), ValueError, "Invalid value for 'kind'"),
    (lambda: BaselineSpotter().fit(_FIT).frame_distance("micro", 0.0), ValueError, "Invalid value for 'fps'"),
    (lambda: gray_frames(np.zeros((1, 8, 8), np.uint8), 0), ValueError, "Invalid value for 'width'"),
])
def test_public_helpers_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(kinds=("nano",)), ValueError, "Invalid value for 'kinds'"),
    (dict(kinds="micro"), TypeError, "Invalid value for 'kinds'"),
    (dict(method="lk"), ValueError, "Invalid value for 'method'"),
    (dict(p=1.0), ValueError, "Invalid value for 'p'"),
    (dict(p=-0.1), ValueError, "Invalid value for 'p'"),
    (dict(top=0), ValueError, "Invalid value for 'top'"),
    (dict(distance=0), ValueError, "Invalid value for 'distance'"),
    (dict(rois="ring"), ValueError, "Invalid value for 'rois'"),
    (dict(width=4), ValueError, "Invalid value for 'width'"),
    (dict(blink=0), ValueError, "Invalid value for 'blink'"),
])
def test_bad_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SpotConfig(**kwargs)


@pytest.mark.parametrize("ann, exc, match", [
    ([1, 2], TypeError, "Invalid value for 'annotations'"),
    (pd.DataFrame({"kind": ["micro"], "onset": [1.0]}), ValueError, "expected a 'offset' column"),
    (pd.DataFrame({"kind": ["macro"], "onset": [1.0], "offset": [2.0]}), ValueError, "micro expressions"),
])
def test_bad_fit(ann, exc, match):
    with pytest.raises(exc, match=match):
        BaselineSpotter().fit(ann)
