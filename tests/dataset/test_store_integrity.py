"""Damaged stores: a missing or corrupt chunk is an error naming store, trial and array, never fill values."""
import shutil

import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.store import missing_chunks
from tests.faults.faultlib import edit_json, rewrite

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


def _edit_attrs(path, **attrs):
    edit_json(path, lambda meta: meta["attributes"].update(attrs))


@pytest.mark.parametrize("damage, match", [
    (lambda s, t: rewrite(s / "trials" / t / "zarr.json", b"\xff\xfe garbage"),
     r"s\.zarr: trial {t}, zarr\.json cannot be read \((?:UnicodeDecodeError|JSONDecodeError)\).* \(left out\)"),
    (lambda s, t: rewrite(s / "trials" / t / "zarr.json", b""), r"trial {t}, zarr\.json cannot be read \(JSONDecodeError"),
    (lambda s, t: (s / "trials" / t / "zarr.json").unlink(), r"trial {t}, zarr\.json is missing \(FileNotFoundError"),
], ids=["garbage", "empty", "deleted"])
def test_unreadable_trial_metadata_leaves_only_that_trial_out(store, damage, match):
    trials = list(mm.open_dataset(store).trials["trial"])
    damage(store, trials[0])
    ds = mm.open_dataset(store)
    with pytest.warns(mm.MMMEWarning, match=match.format(t=trials[0])):
        assert list(ds.trials["trial"]) == trials[1:]
    assert list(ds.problems[["trial", "modality", "file"]].iloc[0]) == [trials[0], "trial", f"trials/{trials[0]}/zarr.json"]
    ds.trial(trials[1]).load()


@pytest.mark.parametrize("edit, match", [
    (dict(n_events=7), r"n_events says 7 but the stored events give \d+"),
    (dict(has_eeg=False), r"has_eeg says False but the stored eeg give True"),
    (dict(has_video=False), r"has_video says False but the stored video give True"),
])
def test_trial_summaries_are_derived_from_the_data(store, edit, match):
    ds = mm.open_dataset(store)
    want = ds.trials.iloc[0].copy()
    _edit_attrs(store / "trials" / want["trial"] / "zarr.json", **edit)
    with pytest.warns(mm.MMMEWarning, match=rf"trial {want['trial']}: {match}.*the stored data are used"):
        got = mm.open_dataset(store).trials.iloc[0]
    assert got.equals(want)


def test_missing_events_group_counts_no_events(store):
    trial = _trial(store)
    shutil.rmtree(store / "trials" / trial / "events")
    with pytest.warns(mm.MMMEWarning, match=rf"trial {trial}: n_events says \d+ but the stored events give 0 \(events "
                                            r"group missing\)"):
        row = mm.open_dataset(store).trials.set_index("trial").loc[trial]
    assert row["n_events"] == 0 and "events" not in mm.open_dataset(store).trial(trial).children


@pytest.mark.parametrize("damage, match", [
    (lambda s, t: (s / "trials" / t / "peri" / "zarr.json").unlink(), r"trial {t}, peri/zarr\.json is missing"),
    (lambda s, t: (s / "trials" / t / "peri" / "ECG" / "zarr.json").unlink(),
     r"trial {t}, array peri/ECG: its zarr\.json is missing"),
    (lambda s, t: rewrite(next(p for p in sorted((s / "trials" / t / "face" / "frames" / "c").rglob("*")) if p.is_file()),
                           b"\x00" * 50),
     r"trial {t}, array face/frames, samples \[\d+:\d+, .*a chunk cannot be decoded"),
], ids=["group-json", "array-json", "face-shard"])
def test_damaged_trial_reads_name_store_trial_and_array(store, damage, match):
    trial = _trial(store)
    damage(store, trial)
    with pytest.raises(DataFormatError, match=match.format(t=trial)):
        mm.open_dataset(store).trial(trial).load()


@pytest.mark.parametrize("damage, match", [
    (lambda s: rewrite(s / "zarr.json", b"\xff garbage"), r"s\.zarr: its root zarr\.json cannot be read"),
    (lambda s: rewrite(s / "zarr.json", b""), r"s\.zarr: its root zarr\.json cannot be read \(JSONDecodeError"),
    (lambda s: (s / "zarr.json").unlink(), r"s\.zarr: no zarr\.json at the root of this store folder"),
], ids=["garbage", "empty", "deleted"])
def test_damaged_store_root_is_an_error_at_open(store, damage, match):
    damage(store)
    with pytest.raises(DataFormatError, match=match):
        mm.open_dataset(store)


def test_missing_annotations_group_warns(store):
    shutil.rmtree(store / "annotations")
    with pytest.warns(mm.MMMEWarning, match=r"s\.zarr: the annotations group is missing"):
        assert mm.open_dataset(store).annotations.empty
