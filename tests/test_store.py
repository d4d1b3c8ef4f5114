"""Zarr store conversion: atomic per trial, resumable, parallel."""

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis.convert import convert
from mmme_analysis.io.store import trial_path

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def test_store_chunks_one_frame_and_one_second(synth_store):
    import zarr

    ds = mm.open_dataset(synth_store)
    trial = ds.trials["trial"].iloc[0]
    group = trial_path(synth_store, trial)
    assert not (group / "video").exists()  # MMME full frames stay in the raw video
    n = ds.trial(trial)["video"].sizes["time"]
    frames = zarr.open_array(str(group / "face" / "frames"), mode="r")
    assert frames.shape == (n, 128, 128, 3)  # the tracked face region at the full frame rate
    assert frames.shards[0] == 150 and 150 % frames.chunks[0] == 0
    assert frames.chunks[0] * np.prod(frames.shape[1:]) <= 256 * 1024  # one frame is a small read
    eeg = zarr.open_array(str(group / "eeg" / "eeg"), mode="r")
    assert eeg.chunks[1] == 1000
    proxy = zarr.open_array(str(group / "proxy" / "frames"), mode="r")
    assert max(proxy.shape[1:3]) <= 128 and proxy.shape[0] == n


def test_store_matches_raw(synth_raw, synth_store):
    raw, st = mm.open_dataset(synth_raw), mm.open_dataset(synth_store)
    trial = raw.trials["trial"].iloc[1]
    pd.testing.assert_frame_equal(raw.trials, st.trials)
    a, b = raw.window(trial, 0.5, 1.5), st.window(trial, 0.5, 1.5)
    np.testing.assert_array_equal(a["video"].to_dataset()["frames"].values, b["video"].to_dataset()["frames"].values)
    np.testing.assert_allclose(a["eeg"].to_dataset()["eeg"].values, b["eeg"].to_dataset()["eeg"].values,
                               rtol=1e-6, atol=1e-12)  # float32 on disk
    # one frame read straight from its chunk equals the raw video's frame at that position
    np.testing.assert_array_equal(st.frame(trial, 10), raw.trial(trial)["video"].to_dataset()["frames"][10].values)
    np.testing.assert_array_equal(st.frame(trial, 10), raw.frame(trial, 10))
    tree = st.trial(trial)
    assert {"video", "face", "proxy"} <= set(tree.children)
    for node in ("face", "proxy"):
        frames = tree[node].to_dataset()["frames"]
        assert frames.sizes["time"] == tree["video"].sizes["time"]
        np.testing.assert_array_equal(tree[node]["time"].values, tree["video"]["time"].values)
        np.testing.assert_array_equal(st.frame(trial, 10, node=node), frames[10].values)
    with pytest.raises(ValueError, match=r"Invalid value for 'node': trial .* has no 'face' frames"):
        raw.frame(trial, 10, node="face")
    with pytest.raises(ValueError, match=r"Invalid value for 'node': expected one of 'video', 'face', 'proxy'"):
        st.frame(trial, 10, node="full")
    assert len(raw.annotations) == len(st.annotations)
    assert list(raw.annotations.columns) == list(st.annotations.columns)


def test_convert_skips_complete_trials_and_ignores_temp(synth_raw, synth_store):
    trial = mm.open_dataset(synth_store).trials["trial"].iloc[0]
    meta = trial_path(synth_store, trial) / "zarr.json"
    before = meta.stat().st_mtime_ns
    n = len(mm.open_dataset(synth_store).trials)
    leftover = trial_path(synth_store, trial).with_name(".sub-01_999.tmp-deadbeef")
    leftover.mkdir()
    try:
        convert(synth_raw, synth_store, progress=False)
        assert meta.stat().st_mtime_ns == before  # not rewritten
        t = mm.open_dataset(synth_store).trials
        assert len(t) == n and "sub-01_999" not in set(t["trial"])
    finally:
        leftover.rmdir()


def test_frame_index_errors(synth_store):
    ds = mm.open_dataset(synth_store)
    trial = ds.trials["trial"].iloc[0]
    with pytest.raises(IndexError, match="Invalid value for 'index'"):
        ds.frame(trial, 10**6)
    with pytest.raises(IndexError, match="Invalid value for 'index'"):
        ds.frame(trial, 10**6, node="proxy")


def test_old_store_layout_is_refused(synth_store, tmp_path):
    import json
    import shutil

    from mmme_analysis.errors import DataFormatError

    old = tmp_path / "old.zarr"
    shutil.copytree(synth_store, old)
    meta = json.loads((old / "zarr.json").read_text())
    meta["attributes"]["version"] = 1
    (old / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match=r"old.zarr: store layout version 1; expected 3"):
        mm.open_dataset(old)


@pytest.mark.slow
def test_convert_with_two_workers(tmp_path):
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=1, n_trials=2, duration=2.0, rest=1.0), progress=False)
    store = convert(raw, tmp_path / "s.zarr", workers=2, progress=False)
    ds = mm.open_dataset(store)
    assert len(ds.trials) == 2
    assert not [p for p in (store / "trials").rglob(".*tmp*")]


def test_store_window_is_read_eagerly_and_equals_the_lazy_cut(synth_store):
    import dask.array as da
    import xarray as xr

    from mmme_analysis.dataset import slice_time

    ds = mm.open_dataset(synth_store)
    trial = ds.trials["trial"].iloc[0]
    for t0, t1 in [(0.0, 1.0), (0.37, 1.91), (2.5, 3.2), (-1.0, 0.2), (2.9, 50.0)]:
        win, ref = ds.window(trial, t0, t1), slice_time(ds.trial(trial), t0, t1).compute()
        assert set(win.children) == set(ref.children)
        for name in ref.children:
            a, b = win[name].to_dataset(), ref[name].to_dataset()
            lazy = any(isinstance(v.data, da.Array) for v in a.variables.values())
            assert lazy == (name == "video")  # stored chunks eagerly; full frames stay lazy in the raw video
            xr.testing.assert_identical(a.compute(), b)
        assert win.attrs == ref.attrs


def test_face_crops_follow_the_face_and_the_video_is_referenced(synth_raw, synth_store, truth, tmp_path):
    """Face crops come from the tracked box; full frames are read from the raw video, and
    a store whose raw folder moved opens without them and names what is missing."""
    import shutil

    st = mm.open_dataset(synth_store)
    trial = st.trials["trial"].iloc[0]
    tree = st.trial(trial)
    face, video = tree["face"].to_dataset(), tree["video"].to_dataset()
    box = face["box"].values
    h, w = video.sizes["y"], video.sizes["x"]
    assert (box[:, 0] >= 0).all() and (box[:, 1] <= h).all() and (box[:, 2] >= 0).all() and (box[:, 3] <= w).all()
    assert (box[:, 1] - box[:, 0] > h / 4).all()  # a face, not a speck
    # the crop of frame 10 is the source frame cropped with its box
    from mmme_analysis.video import face_crops

    np.testing.assert_array_equal(face["frames"][10].values,
                                  face_crops(video["frames"][10:11].values, box[10:11], size=128)[0])
    assert tree.attrs["video_source"].startswith("sub-0") and not [n for n in truth["subjects"]
                                                                  if n in tree.attrs["video_source"]]
    # moved raw folder: no video node, face and signals still there; raw= points to the new place
    moved = tmp_path / "moved"
    shutil.copytree(synth_raw, moved)
    copy = tmp_path / "s.zarr"
    shutil.copytree(synth_store, copy)
    import json

    meta = json.loads((copy / "zarr.json").read_text())
    meta["attributes"]["source"] = str(tmp_path / "gone")
    (copy / "zarr.json").write_text(json.dumps(meta))
    ds = mm.open_dataset(copy)
    assert "video" not in ds.trial(trial).children and "face" in ds.trial(trial).children
    with pytest.raises(ValueError, match=r"has no 'video' frames \(its raw video sub-0.* is not reachable"):
        ds.frame(trial, 3)
    ds = mm.open_dataset(copy, raw=moved)
    np.testing.assert_array_equal(ds.frame(trial, 3), st.frame(trial, 3))


def test_stale_temp_folders_of_killed_runs_are_removed(tmp_path):
    import os
    import subprocess
    import sys

    from mmme_analysis._atomic import _HOST, remove_stale
    from mmme_analysis.io.store import ensure_groups

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has exited
    trials = tmp_path / "s.zarr" / "trials"
    trials.mkdir(parents=True)
    stale = [trials / f".sub-01_101.tmp-{_HOST}-{pid}-0123abcd", trials / ".sub-01_102.old-89abcdef"]
    live = [trials / f".sub-01_103.tmp-{_HOST}-{os.getpid()}-0123abcd",  # this process: a writer still running
            trials / f".sub-01_104.tmp-otherhost-{pid}-0123abcd",  # another machine of a cluster
            trials / "sub-01_105"]
    for p in stale + live:
        (p / "eeg").mkdir(parents=True)
    ensure_groups(tmp_path / "s.zarr", "trials")
    assert not any(p.exists() for p in stale) and all(p.exists() for p in live)
    assert remove_stale(trials) == []
