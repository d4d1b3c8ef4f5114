"""Damaged stores: a missing or corrupt chunk is an error naming store, trial and array, never fill values."""
import shutil

import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.store import missing_chunks

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


@pytest.fixture
def store(synth_store, tmp_path):
    dst = tmp_path / "s.zarr"
    shutil.copytree(synth_store, dst)
    return dst


def _trial(store):
    return sorted(p.name for p in (store / "trials").iterdir() if not p.name.startswith("."))[0]


def test_every_chunk_is_written(synth_store):
    trial = _trial(synth_store)
    for group in ("face", "proxy", "eeg", "peri"):
        for array in (synth_store / "trials" / trial / group).iterdir():
            if (array / "zarr.json").is_file():
                assert missing_chunks(array) == [], array


@pytest.mark.parametrize("group, array", [("eeg", "eeg"), ("peri", "ECG"), ("face", "frames"), ("proxy", "frames")])
def test_deleted_chunk_is_an_error(store, group, array):
    trial = _trial(store)
    folder = store / "trials" / trial / group / array
    chunk = sorted(p for p in (folder / "c").rglob("*") if p.is_file())[1]
    chunk.unlink()
    key = chunk.relative_to(folder).as_posix()
    ds = mm.open_dataset(store)
    match = rf"s\.zarr: trial {trial}, array {group}/{array}: chunk file\(s\) {key} missing \(1\); expected every chunk"
    for read in (lambda: ds.trial(trial), lambda: ds.window(trial, 0.0, 1.0), lambda: ds.frame(trial, 0, node="face")):
        with pytest.raises(DataFormatError, match=match):
            read()


def test_corrupt_chunk_is_an_error_naming_the_array(store):
    trial = _trial(store)
    chunk = next(p for p in sorted((store / "trials" / trial / "eeg" / "eeg" / "c").rglob("*")) if p.is_file())
    chunk.write_bytes(np.random.default_rng(0).bytes(chunk.stat().st_size))
    ds = mm.open_dataset(store)
    with pytest.raises(DataFormatError, match=rf"trial {trial}, array eeg/eeg, samples 0:1000: cannot be decoded"):
        ds.window(trial, 0.0, 1.0)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe garbage", b"{not json"])
def test_garbage_group_metadata_is_an_error(store, content):
    trial = _trial(store)
    (store / "trials" / trial / "eeg" / "zarr.json").write_bytes(content)
    with pytest.raises(DataFormatError, match=rf"trial {trial}, eeg/zarr\.json cannot be read .*convert this trial again"):
        mm.open_dataset(store).trial(trial)
