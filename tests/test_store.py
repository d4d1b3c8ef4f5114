"""Zarr store conversion: atomic per trial, resumable, parallel."""
import os

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis.convert import convert
from mmme_analysis.io.store import trial_path

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def test_store_chunks_one_frame_and_one_second(synth_store):
    import zarr

    trial = mm.open_dataset(synth_store).trials["trial"].iloc[0]
    frames = zarr.open_array(str(trial_path(synth_store, trial) / "video" / "frames"), mode="r")
    assert frames.shards[0] == 150 and 150 % frames.chunks[0] == 0
    assert frames.chunks[0] * np.prod(frames.shape[1:]) <= 256 * 1024  # one frame is a small read
    eeg = zarr.open_array(str(trial_path(synth_store, trial) / "eeg" / "eeg"), mode="r")
    assert eeg.chunks[1] == 1000
    proxy = zarr.open_array(str(trial_path(synth_store, trial) / "video_proxy" / "frames"), mode="r")
    assert max(proxy.shape[1:3]) <= 128 and proxy.shape[0] == frames.shape[0]


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
    proxy = st.proxy(trial)
    assert proxy["frames"].shape[0] == st.trial(trial)["video"].to_dataset().sizes["time"]
    np.testing.assert_array_equal(st.frame(trial, 10, proxy=True), proxy["frames"][10].values)
    assert raw.proxy(trial) is None
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
        ds.frame(trial, 10**6, proxy=True)


def test_old_store_layout_is_refused(synth_store, tmp_path):
    import json
    import shutil

    from mmme_analysis.errors import DataFormatError

    old = tmp_path / "old.zarr"
    shutil.copytree(synth_store, old)
    meta = json.loads((old / "zarr.json").read_text())
    meta["attributes"]["version"] = 1
    (old / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match=r"old.zarr: store layout version 1; expected 2"):
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
            assert not any(isinstance(v.data, da.Array) for v in a.variables.values())
            xr.testing.assert_identical(a, b)
        assert win.attrs == ref.attrs
