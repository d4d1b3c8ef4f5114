"""The dataset API over raw folders and stores."""
import json

import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis import MMMEWarning

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


@pytest.fixture(scope="module", params=["raw", "store"])
def ds(request, synth_raw, synth_store):
    return mm.open_dataset(synth_raw if request.param == "raw" else synth_store)


def test_trials_table(ds, truth):
    t = ds.trials
    assert type(ds) is mm.dataset.Dataset and ds.backend in ("raw", "zarr")
    assert list(t.columns) == list(mm.dataset.TRIAL_COLUMNS)
    assert list(t["trial"]) == [f"{s}_{m}" for s, m in zip(t["subject"], t["marker"])]
    assert t["trial"].is_unique and str(t["marker"].dtype) == "Int64"
    assert len(t) == sum(len(s["trials"]) for s in truth["subjects"].values()) == len(ds)
    assert set(t["subject"]) == {"sub-01", "sub-02"}
    assert t[["has_video", "has_eeg", "has_peri"]].all().all()
    assert (t["n_events"] >= 1).all()
    assert f"{len(t)} trials" in repr(ds)


def test_trial_tree_follows_the_contract(ds):
    trial, s, m = ds.trials.iloc[0][["trial", "subject", "marker"]]
    tree = ds.trial(trial)
    assert set(tree.children) == {"video", "eeg", "peri", "events"} | ({"face", "proxy"} if ds.backend == "zarr"
                                                                        else set())
    video, eeg, peri = (tree[k].to_dataset() for k in ("video", "eeg", "peri"))
    assert video["frames"].dims == ("time", "y", "x", "rgb") and video["frames"].dtype == np.uint8
    assert video.attrs["fps"] == 150.0 and "frame" in video.coords
    # frame index = round(time * fps) on the trial axis (clock drift stays far below a frame)
    np.testing.assert_array_equal(np.round(video["time"].values * 150).astype(int), video["frame"].values)
    assert eeg["eeg"].dims == ("channel", "time") and eeg.attrs["sfreq"] == 1000.0 and eeg.attrs["units"] == "V"
    assert {"eeg", "eog", "ecg", "emg"} <= set(eeg["ch_type"].values.tolist())
    assert 1e-7 < float(eeg["eeg"].sel(channel="CZ").std()) < 1e-3  # volts, not microvolts
    assert peri["ECG"].attrs["units"] == "V" and peri["EDA"].attrs["units"] == "S"
    assert 30 < float(peri["SKT"].mean()) < 38 and peri["SKT"].attrs["units"] == "degC"
    assert tree.attrs["subject"] == s and tree.attrs["marker"] == int(m) and tree.attrs["trial"] == trial
    assert set(json.loads(tree.attrs["alignment"])) == {"biopac", "camera"}
    fits = ds.alignment(trial)
    assert set(fits) == {"biopac", "camera"} and isinstance(fits["biopac"], mm.alignment.ClockFit)
    assert mm.alignment.fits_to_json(fits) == tree.attrs["alignment"]  # one serialiser/parser pair


def test_trial_is_lazy(ds):
    import dask.array as da

    tree = ds.trial(ds.trials["trial"].iloc[0])
    assert isinstance(tree["video"].to_dataset()["frames"].data, da.Array)
    assert isinstance(tree["eeg"].to_dataset()["eeg"].data, da.Array)


def test_window(ds):
    win = ds.window(ds.trials["trial"].iloc[0], 1.0, 2.0)
    for k in ("eeg", "peri", "video"):
        t = win[k].to_dataset()["time"].values
        assert t.min() >= 1.0 and t.max() < 2.0
    assert win["eeg"].to_dataset().sizes["time"] == 1000
    assert win["video"].to_dataset().sizes["time"] in (149, 150, 151)


def test_to_mne(ds):
    trial = ds.trials["trial"].iloc[0]
    raw = ds.to_mne(trial)
    tree = ds.trial(trial)
    assert raw.info["sfreq"] == 1000.0
    assert len(raw.annotations) == tree["events"].to_dataset().sizes["event"]
    assert "ecg" in raw.get_channel_types() and "gsr" in raw.get_channel_types()
    assert raw.get_montage() is not None


@pytest.mark.parametrize("trial, exc, match", [
    ("sub-99_101", KeyError, r"Invalid value for 'trial': expected a trial id of .*sub-01_\d{3}.*got 'sub-99_101'"),
    ("sub-01_999", KeyError, r"Invalid value for 'trial'.*got 'sub-01_999'"),
    (101, TypeError, r"Invalid value for 'trial': expected an instance of str .*got 101 of type int"),
    (None, TypeError, r"Invalid value for 'trial': expected an instance of str"),
])
def test_bad_trial(ds, trial, exc, match):
    with pytest.raises(exc, match=match):
        ds.trial(trial)


def test_frame_by_trial_id(ds):
    trial = ds.trials["trial"].iloc[0]
    frames = ds.trial(trial)["video"].to_dataset()["frames"]
    np.testing.assert_array_equal(ds.frame(trial, 7), frames[7].values)
    with pytest.raises(IndexError, match=r"Invalid value for 'index': expected < \d+ frames, got 1000000"):
        ds.frame(trial, 10**6)
    with pytest.raises(ValueError, match=r"Invalid value for 'index': expected an integer >= 0, got -1"):
        ds.frame(trial, -1)


def _scaled_shape(full, width):
    h, w = full.shape[:2]
    return (h, w, 3) if width >= w else (max(1, round(h * width / w)), width, 3)


def test_frame_at_width(ds):
    from mmme_analysis.io.video import scale_to_width

    trial = ds.trials["trial"].iloc[0]
    full = ds.frame(trial, 7)
    for width in (full.shape[1] // 2, 33, 1, full.shape[1], 10**4):
        small = ds.frame(trial, 7, width=width)
        assert small.shape == _scaled_shape(full, width) and small.dtype == np.uint8
        np.testing.assert_array_equal(small, scale_to_width(full, width))
    with pytest.raises(IndexError, match=r"Invalid value for 'index': expected < \d+ frames, got 1000000"):
        ds.frame(trial, 10**6, width=40)


@pytest.mark.parametrize("node", ["video", "face", "proxy"])
def test_frame_at_width_on_the_demo_store(node):
    from mmme_analysis.io.video import scale_to_width

    demo = mm.open_dataset(mm.demo.data_path())
    full = demo.frame("sub-01_101", 3, node=node)
    for width in (40, full.shape[1] // 2, full.shape[1] + 1):
        small = demo.frame("sub-01_101", 3, node=node, width=width)
        assert small.shape == _scaled_shape(full, width)
        np.testing.assert_array_equal(small, scale_to_width(full, width))


@pytest.mark.parametrize("width,exc,match", [
    (0, ValueError, r"^Invalid value for 'width': expected an integer >= 1, got 0$"),
    (-1, ValueError, r"^Invalid value for 'width': expected an integer >= 1, got -1$"),
    (4.0, TypeError, r"^Invalid value for 'width': expected an integer, got 4\.0$"),
    ("40", TypeError, r"^Invalid value for 'width': expected an integer, got '40'$"),
    (False, TypeError, r"^Invalid value for 'width': expected an integer, got False$"),
])
def test_frame_bad_width(ds, width, exc, match):
    with pytest.raises(exc, match=match):
        ds.frame(ds.trials["trial"].iloc[0], 0, width=width)


def test_window_needs_t1_after_t0(ds):
    with pytest.raises(ValueError, match="Invalid value for 't1'"):
        ds.window(ds.trials["trial"].iloc[0], 2.0, 1.0)


def test_no_real_name_in_outputs(ds, truth):
    names = list(truth["subjects"])
    text = ds.annotations.to_csv() + ds.trials.to_csv() + repr(ds)
    tree = ds.trial(ds.trials["trial"].iloc[0])
    text += repr(tree) + json.dumps(tree.attrs)
    for node in tree.subtree:
        text += json.dumps({k: str(v) for k, v in node.attrs.items()})
    assert not [n for n in names if n in text]


def test_open_dataset_rejects_non_dataset(tmp_path):
    from mmme_analysis.errors import DataFormatError

    with pytest.raises(DataFormatError, match=r"no participant folder found"):
        mm.open_dataset(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"Invalid value for 'path'"):
        mm.open_dataset(tmp_path / "nope")


def test_marker_on_one_device_only_is_named(synth_raw, tmp_path):
    """Remove one trial's video: the camera lacks that marker -> warning naming it, rest still aligned."""
    import shutil

    copy = tmp_path / "raw"
    shutil.copytree(synth_raw, copy)
    sub = sorted(p for p in copy.iterdir() if p.is_dir())[0]
    victim = sorted((sub / "video").glob("*.avi"))[0]
    marker = int(victim.name.split("_")[2])
    victim.unlink()
    import pandas as pd
    sheet = pd.read_excel(copy / "coding_file.xlsx")
    sheet[~sheet["Filename"].eq(victim.name)].to_excel(copy / "coding_file.xlsx", index=False)
    ds = mm.open_dataset(copy)
    with pytest.warns(MMMEWarning, match=rf"camera .*markers \[{marker}\] are on the EEG but not on this device"):
        t = ds.trials
    subject = "sub-01"
    assert not t.loc[(t["subject"] == subject) & (t["marker"] == marker), "has_video"].item()
