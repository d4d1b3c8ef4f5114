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
    assert len(t) == sum(len(s["trials"]) for s in truth["subjects"].values()) == len(ds)
    assert set(t["subject"]) == {"sub-01", "sub-02"}
    assert t[["has_video", "has_eeg", "has_peri"]].all().all()
    assert (t["n_events"] >= 1).all()
    assert f"{len(t)} trials" in repr(ds)


def test_trial_tree_follows_the_contract(ds):
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    tree = ds.trial(s, int(m))
    assert set(tree.children) == {"video", "eeg", "peri", "events"}
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
    assert tree.attrs["subject"] == s and tree.attrs["marker"] == int(m)
    assert set(json.loads(tree.attrs["alignment"])) == {"biopac", "camera"}


def test_trial_is_lazy(ds):
    import dask.array as da

    s, m = ds.trials.iloc[0][["subject", "marker"]]
    tree = ds.trial(s, int(m))
    assert isinstance(tree["video"].to_dataset()["frames"].data, da.Array)
    assert isinstance(tree["eeg"].to_dataset()["eeg"].data, da.Array)


def test_window(ds):
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    win = ds.window(s, int(m), 1.0, 2.0)
    for k in ("eeg", "peri", "video"):
        t = win[k].to_dataset()["time"].values
        assert t.min() >= 1.0 and t.max() < 2.0
    assert win["eeg"].to_dataset().sizes["time"] == 1000
    assert win["video"].to_dataset().sizes["time"] in (149, 150, 151)


def test_to_mne(ds):
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    raw = ds.to_mne(s, int(m))
    tree = ds.trial(s, int(m))
    assert raw.info["sfreq"] == 1000.0
    assert len(raw.annotations) == tree["events"].to_dataset().sizes["event"]
    assert "ecg" in raw.get_channel_types() and "gsr" in raw.get_channel_types()
    assert raw.get_montage() is not None


@pytest.mark.parametrize("subject, marker, exc, match", [
    ("sub-99", 101, KeyError, r"Invalid value for 'subject, marker'.*sub-99"),
    ("sub-01", 999, KeyError, r"Invalid value for 'subject, marker'"),
    ("sub-01", "x", TypeError, r"Invalid value for 'marker': expected an integer"),
])
def test_bad_trial(ds, subject, marker, exc, match):
    with pytest.raises(exc, match=match):
        ds.trial(subject, marker)


def test_window_needs_t1_after_t0(ds):
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    with pytest.raises(ValueError, match="Invalid value for 't1'"):
        ds.window(s, int(m), 2.0, 1.0)


def test_no_real_name_in_outputs(ds, truth):
    names = list(truth["subjects"])
    text = ds.annotations.to_csv() + ds.trials.to_csv() + repr(ds)
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    tree = ds.trial(s, int(m))
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
