"""Zarr store conversion: atomic per trial, resumable, parallel."""
import os

import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.store import convert, trial_path

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def test_store_chunks_one_frame_and_one_second(synth_store):
    import zarr

    s, m = mm.open_dataset(synth_store).trials.iloc[0][["subject", "marker"]]
    frames = zarr.open_array(str(trial_path(synth_store, s, m) / "video" / "frames"), mode="r")
    assert frames.shards[0] == 150 and 150 % frames.chunks[0] == 0
    assert frames.chunks[0] * np.prod(frames.shape[1:]) <= 256 * 1024  # one frame is a small read
    eeg = zarr.open_array(str(trial_path(synth_store, s, m) / "eeg" / "eeg"), mode="r")
    assert eeg.chunks[1] == 1000
    proxy = zarr.open_array(str(trial_path(synth_store, s, m) / "video_proxy" / "frames"), mode="r")
    assert max(proxy.shape[1:3]) <= 128 and proxy.shape[0] == frames.shape[0]


def test_store_matches_raw(synth_raw, synth_store):
    raw, st = mm.open_dataset(synth_raw), mm.open_dataset(synth_store)
    s, m = raw.trials.iloc[1][["subject", "marker"]]
    a, b = raw.window(s, int(m), 0.5, 1.5), st.window(s, int(m), 0.5, 1.5)
    np.testing.assert_array_equal(a["video"].to_dataset()["frames"].values, b["video"].to_dataset()["frames"].values)
    np.testing.assert_allclose(a["eeg"].to_dataset()["eeg"].values, b["eeg"].to_dataset()["eeg"].values,
                               rtol=1e-6, atol=1e-12)  # float32 on disk
    np.testing.assert_array_equal(st.frame(s, int(m), 10), b["video"].to_dataset()["frames"].values[0]
                                  if b["video"].to_dataset()["frame"].values[0] == 10 else st.frame(s, int(m), 10))
    assert len(raw.annotations) == len(st.annotations)
    assert list(raw.annotations.columns) == list(st.annotations.columns)


def test_convert_skips_complete_trials_and_ignores_temp(synth_raw, synth_store):
    s, m = mm.open_dataset(synth_store).trials.iloc[0][["subject", "marker"]]
    meta = trial_path(synth_store, s, m) / "zarr.json"
    before = meta.stat().st_mtime_ns
    leftover = trial_path(synth_store, s, m).with_name(".999.tmp-deadbeef")
    leftover.mkdir()
    try:
        convert(synth_raw, synth_store, progress=False)
        assert meta.stat().st_mtime_ns == before  # not rewritten
        assert 999 not in set(mm.open_dataset(synth_store).trials["marker"])
    finally:
        leftover.rmdir()


def test_frame_index_errors(synth_store):
    ds = mm.open_dataset(synth_store)
    s, m = ds.trials.iloc[0][["subject", "marker"]]
    with pytest.raises(IndexError, match="Invalid value for 'index'"):
        ds.frame(s, int(m), 10**6)


@pytest.mark.slow
def test_convert_with_two_workers(tmp_path):
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=1, n_trials=2, duration=2.0, rest=1.0), progress=False)
    store = convert(raw, tmp_path / "s.zarr", workers=2, progress=False)
    ds = mm.open_dataset(store)
    assert len(ds.trials) == 2
    assert not [p for p in (store / "trials").rglob(".*tmp*")]
