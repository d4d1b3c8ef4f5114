"""CMCL-Net samples: clip and ECG window aligned on the trial axis (planted marker), labels, pairs, bad input."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmme_analysis._warnings import MMMEWarning
from mmme_analysis.spotting.cmcl_pairs import CMCLSamples, cmcl_pairs, cmcl_samples, cmcl_triplets
from mmme_analysis.spotting.cmcl_signals import CMCLSampleConfig, TrialSignals

MARK = 2.0  # s on the trial axis: one bright frame in the video, a bump in the ECG
DARK, BRIGHT = 60, 220


def _tree(trial="t1", fps=150.0, t0=0.0, duration=4.0, sfreq=1000.0, ecg=True, video=True):
    nodes = {"/": xr.Dataset(attrs={"trial": trial})}
    if video:
        time = t0 + np.arange(int(duration * fps)) / fps
        frames = np.full((len(time), 24, 24, 3), DARK, np.uint8)
        frames[int(np.argmin(np.abs(time - MARK)))] = BRIGHT
        nodes["video"] = xr.Dataset({"frames": (("time", "y", "x", "rgb"), frames)}, coords={"time": time},
                                    attrs={"fps": fps})
    if ecg:
        pt = np.arange(int(duration * sfreq)) / sfreq  # the peripheral signals start at 0 s
        nodes["peri"] = xr.Dataset({"ECG": ("time", np.exp(-0.5 * ((pt - MARK) / 0.03) ** 2))}, coords={"time": pt},
                                   attrs={"sfreq": sfreq})
    return xr.DataTree.from_dict(nodes)


CFG = dict(clip="gray", duration=0.4, n_frames=5, width=16, size=8, face_method="frame", ecg_channels=("ecg",),
           ecg_before=1.0, ecg_after=2.0, ecg_sfreq=50.0)


@pytest.mark.parametrize("fps, t0", [(150.0, 0.0), (100.0, -0.35), (150.0, 0.273), (60.0, 0.5)])
@pytest.mark.parametrize("j", [0, 2, 4])
def test_clip_and_ecg_window_aligned_on_the_trial_axis(fps, t0, j):
    """Centre chosen so that clip frame j falls on the marker: that frame (and only it) is bright, and the ECG
    window peaks at the marker's time, whatever the frame rate and the video's start on the trial axis."""
    cfg = CMCLSampleConfig(**CFG)
    sig = TrialSignals.from_tree(_tree(fps=fps, t0=t0), cfg)
    centre = MARK - cfg.frame_offsets()[j]
    clip = sig.clip(centre)[0].mean(axis=(1, 2)) * 255  # mean grey level of each clip frame
    assert np.flatnonzero(clip > (DARK + BRIGHT) / 2).tolist() == [j]
    ecg_t = sig.ecg_times(centre)
    peak = ecg_t[int(np.argmax(sig.ecg(centre)[0]))]
    assert abs(peak - MARK) <= 1.0 / cfg.ecg_sfreq
    assert ecg_t[0] == pytest.approx(centre - 1.0) and len(ecg_t) == 150


class _DS:
    """The part of Dataset that cmcl_samples uses."""

    def __init__(self, trees, subjects, annotations):
        self._trees, self.annotations = trees, annotations
        self.trials = pd.DataFrame({"trial": list(trees), "subject": subjects, "has_video": True})

    def trial(self, trial):
        return self._trees[trial]


def _ann():
    return pd.DataFrame({"trial": ["t1", "t1"], "kind": ["micro", "macro"], "onset": [MARK - 0.1, 3.0],
                         "apex": [MARK, 3.3], "offset": [MARK + 0.15, 3.7]})


def test_samples_labels_and_alignment_at_the_planted_me():
    cfg = CMCLSampleConfig(**CFG, positives=2, jitter=0.0, negatives=5, min_gap=0.3)
    ds = _DS({"t1": _tree(fps=100.0, t0=-0.2), "t2": _tree("t2")}, ["s1", "s2"], _ann())
    s = cmcl_samples(ds, config=cfg, seed=1)
    m = s.meta
    assert len(s) == len(m) == len(s.video) == len(s.ecg)
    assert s.video.shape[1:] == cfg.video_shape and s.ecg.shape[1:] == cfg.ecg_shape
    me = m["label"] == 1
    assert me.sum() == 2 and (m.loc[me, "source"] == "me").all() and np.allclose(m.loc[me, "time"], MARK)
    assert (m.loc[me, "trial"] == "t1").all() and (m.loc[me, "subject"] == "s1").all()
    assert (m.loc[me, "event"] == 0).all() and (m.loc[~me, "event"] == -1).all()
    assert (m["trial"] == "t2").sum() == 5  # a trial without ME still gives `negatives` non-ME samples
    assert ((m["source"] == "macro") & (m["time"] == 3.3)).sum() == 1
    neg = (m["trial"] == "t1") & (m["source"] == "random")
    assert neg.sum() == 5 and ((m.loc[neg, "time"] < MARK - 0.1 - 0.3) | (m.loc[neg, "time"] > MARK + 0.15 + 0.3)).all()
    grey = s.video[:, 0].mean(axis=(2, 3)) * 255
    assert (grey[me.to_numpy(), 2] > 200).all()  # the centre frame of an ME clip is the apex
    assert (grey[neg.to_numpy()] < 100).all()  # no negative clip reaches the ME
    peak = np.argmax(s.ecg[me.to_numpy(), 0], axis=1)
    assert np.all(np.abs(peak - cfg.ecg_before * cfg.ecg_sfreq) <= 1)


def _blob_tree(shift_px):
    """A smooth blob on a 48 px frame, moved right by ``shift_px(t)`` pixels."""
    fps, n = 150.0, 300
    time = np.arange(n) / fps
    yy, xx = np.mgrid[:48, :48]
    frames = np.empty((n, 48, 48, 3), np.uint8)
    for i, t in enumerate(time):
        frames[i] = (40 + 180 * np.exp(-((xx - 20 - shift_px(t)) ** 2 + (yy - 24) ** 2) / (2 * 4.0 ** 2)))[..., None]
    video = xr.Dataset({"frames": (("time", "y", "x", "rgb"), frames)}, coords={"time": time}, attrs={"fps": fps})
    return xr.DataTree.from_dict({"/": xr.Dataset(attrs={"trial": "b"}), "video": video})


def test_flow_clip_is_the_displacement_from_the_first_frame():
    cfg = CMCLSampleConfig(**{**CFG, "clip": "flow", "width": 48, "size": 8, "margin": 0.0, "n_frames": 4})
    still = TrialSignals.from_tree(_blob_tree(lambda t: 0.0), cfg).clip(1.0)
    assert still.shape == (2, 4, 8, 8) and np.abs(still).max() < 0.05
    moving = TrialSignals.from_tree(_blob_tree(lambda t: 2.0 * np.clip((t - 0.85) / 0.3, 0, 1)), cfg)
    clip = moving.clip(1.0)  # frames at 0.8, 0.9, ..., 1.2 s: the blob moves 2 px right from 0.85 to 1.15 s
    u = clip[0, :, 2:6, 2:5].mean(axis=(1, 2))  # around the blob (x = 20 px of 48 -> cells 2-4 of 8)
    assert np.all(np.diff(u) > 0.2) and 1.2 < u[-1] < 2.6  # grows as it moves, ends near the full 2 px
    assert np.abs(clip[1, :, 2:6, 2:5]).mean() < 0.3 * abs(u[-1])  # no vertical motion


def test_triplets_and_pairs_have_the_right_labels():
    labels = np.array([1, 1, 1, 1, 0, 0, 0])
    events = np.array([0, 0, 1, 1, -1, -1, -1])
    tri = cmcl_triplets(labels, events, n=40, seed=3)
    assert tri.shape == (40, 3)
    assert (labels[tri[:, 0]] == 1).all() and (labels[tri[:, 1]] == 1).all() and (labels[tri[:, 2]] == 0).all()
    assert (events[tri[:, 0]] != events[tri[:, 1]]).all()  # the positive is another ME
    pairs = cmcl_pairs(labels, events, n=10, seed=3)
    pos, neg = pairs[pairs["pair"] == "positive"], pairs[pairs["pair"] == "negative"]
    assert len(pos) == len(neg) == 10
    assert (labels[pos["first"]] == 1).all() and (labels[pos["second"]] == 1).all()
    assert (labels[neg["first"]] == 1).all() and (labels[neg["second"]] == 0).all()
    one_event = cmcl_triplets([1, 1, 0], [7, 7, -1], n=5)  # one ME event: the other ME sample is the positive
    assert (one_event[:, 0] != one_event[:, 1]).all()


def test_trial_without_ecg_gives_zeros_and_a_warning():
    with pytest.warns(MMMEWarning, match="trial 't1' has no ECG"):
        sig = TrialSignals.from_tree(_tree(ecg=False), CMCLSampleConfig(**CFG))
    assert np.all(sig.ecg(2.0) == 0)


def test_released_signals_refuse_new_clips():
    sig = TrialSignals.from_tree(_tree(), CMCLSampleConfig(**CFG))
    sig.release()
    with pytest.raises(RuntimeError, match="frames of trial 't1' were released"):
        sig.clip(1.0)
    assert sig.ecg(1.0).shape == (1, 150)  # the ECG stays


def test_concat_and_subset():
    cfg = CMCLSampleConfig(**CFG, negatives=2)
    ds = _DS({"t1": _tree()}, ["s1"], _ann())
    s = cmcl_samples(ds, config=cfg)
    both = CMCLSamples.concat([s, s])
    assert len(both) == 2 * len(s) and both.subset(both.label == 1).label.tolist() == [1] * (2 * cfg.positives)
    assert len(CMCLSamples.concat([], cfg)) == 0


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(clip="rgb"), ValueError, "Invalid value for 'clip'"),
    (dict(n_frames=1), ValueError, "Invalid value for 'n_frames'"),
    (dict(duration=0), ValueError, "Invalid value for 'duration'"),
    (dict(size=32, width=16), ValueError, "Invalid value for 'size': expected at most width=16"),
    (dict(ecg_channels=("ppg",)), ValueError, "Invalid value for 'ecg_channels'"),
    (dict(ecg_channels=["ecg"]), TypeError, "Invalid value for 'ecg_channels'"),
    (dict(ecg_before=0, ecg_after=0), ValueError, "Invalid value for 'ecg_after': expected an ECG window"),
    (dict(jitter=-0.1), ValueError, "Invalid value for 'jitter'"),
    (dict(face_method="eyes"), ValueError, "Invalid value for 'face_method'"),
    (dict(positives=0), ValueError, "Invalid value for 'positives'"),
])
def test_bad_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        CMCLSampleConfig(**{**CFG, **kwargs})


@pytest.mark.parametrize("call, exc, match", [
    (lambda ds: cmcl_samples(ds, _ann().drop(columns="apex")), ValueError, "missing \\['apex'\\]"),
    (lambda ds: cmcl_samples(ds, [1, 2]), TypeError, "Invalid value for 'annotations'"),
    (lambda ds: cmcl_samples(ds, trials=["t9"]), ValueError, "expected trials of the dataset, got 't9'"),
    (lambda ds: cmcl_samples(ds, seed=-1), ValueError, "Invalid value for 'seed'"),
    (lambda ds: cmcl_samples(ds, config={"clip": "gray"}), TypeError, "Invalid value for 'config'"),
    (lambda ds: cmcl_triplets([1, 0, 0]), ValueError, "at least 2 ME \\(1\\) and 1 non-ME \\(0\\) samples, got 1 and 2"),
    (lambda ds: cmcl_triplets([1, 1, 0], [0, 1]), ValueError, "Invalid value for 'events': expected 3 values"),
    (lambda ds: TrialSignals.from_tree(_tree(video=False)), ValueError, "expected a 'face' or 'video' node"),
])
def test_bad_input(call, exc, match):
    ds = _DS({"t1": _tree()}, ["s1"], _ann())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match):
            call(ds)
