"""``check_store``: an intact store gives an empty table; each damage gives the row that names it."""
import shutil
import warnings

import numpy as np
import pytest

from mmme_analysis.check import check_store
from mmme_analysis.dataset import PROBLEM_COLUMNS
from mmme_analysis.synth.generator import SynthConfig, synthesize
from tests.faults.faultlib import edit_json, rewrite


#: one participant, two 2 s trials (the markers span 3 s: the BIOPAC clock fit stays within its drift bound)
@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    from mmme_analysis.convert import convert

    base = tmp_path_factory.mktemp("check")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = synthesize(base / "raw", SynthConfig(n_subjects=1, n_trials=2, duration=2.0, rest=1.0, seed=3,
                                                   size=(64, 64), mes_per_trial=(1, 1), maes_per_trial=(0, 0)),
                         progress=False)
        return convert(raw, base / "s.zarr", progress=False, face_size=32, proxy_side=32, face_method="frame")


@pytest.fixture
def store(pristine, tmp_path):
    dst = tmp_path / "s.zarr"
    shutil.copytree(pristine, dst)
    return dst


def _trial(store):
    return next(p.name for p in sorted((store / "trials").iterdir()) if not p.name.startswith("."))


def _first_chunk(folder):
    return next(p for p in sorted((folder / "c").rglob("*")) if p.is_file())


def _edit_attrs(path, **attrs):
    edit_json(path, lambda meta: meta["attributes"].update(attrs))


#: (id, damage(store, trial), modality, file (relative; <T> the trial), error regex)
CASES = [
    ("eeg-chunk-deleted", lambda s, t: _first_chunk(s / "trials" / t / "eeg" / "eeg").unlink(),
     "eeg", "trials/<T>/eeg/eeg/c/0/0", r"chunk file is missing: expected every chunk"),
    ("eeg-chunk-random", lambda s, t: rewrite(_first_chunk(s / "trials" / t / "eeg" / "eeg"),
                                               np.random.default_rng(0).bytes(500)),
     "eeg", "trials/<T>/eeg/eeg/c/0/0", r"chunk cannot be decoded"),
    ("face-shard-truncated", lambda s, t: rewrite(_first_chunk(s / "trials" / t / "face" / "frames"),
                                                   _first_chunk(s / "trials" / t / "face" / "frames").read_bytes()[:99]),
     "face", "trials/<T>/face/frames/c/0/0/0/0", r"chunk cannot be decoded"),
    ("trial-json-garbage", lambda s, t: rewrite(s / "trials" / t / "zarr.json", b"\xff\xfe garbage"),
     "trial", "trials/<T>/zarr.json", r"zarr\.json cannot be parsed \((?:UnicodeDecodeError|JSONDecodeError)"),
    ("group-json-deleted", lambda s, t: (s / "trials" / t / "peri" / "zarr.json").unlink(),
     "peri", "trials/<T>/peri/zarr.json", r"zarr\.json is missing"),
    ("array-json-empty", lambda s, t: rewrite(s / "trials" / t / "peri" / "ECG" / "zarr.json", b""),
     "peri", "trials/<T>/peri/ECG/zarr.json", r"zarr\.json cannot be parsed \(JSONDecodeError"),
    ("events-deleted", lambda s, t: shutil.rmtree(s / "trials" / t / "events"),
     "events", "trials/<T>/events", r"events group is missing, but n_events says 1"),
    ("n-events-edited", lambda s, t: _edit_attrs(s / "trials" / t / "zarr.json", n_events=5),
     "trial", "trials/<T>/zarr.json", r"n_events says 5 but the stored data give 1"),
    ("has-eeg-edited", lambda s, t: _edit_attrs(s / "trials" / t / "zarr.json", has_eeg=False),
     "trial", "trials/<T>/zarr.json", r"has_eeg says False but the stored data give True"),
    ("root-json-garbage", lambda s, t: rewrite(s / "zarr.json", b"{not json"),
     "store", "zarr.json", r"its root zarr\.json cannot be read \(JSONDecodeError"),
    ("root-version-old", lambda s, t: _edit_attrs(s / "zarr.json", version=2),
     "store", "zarr.json", r"store layout version 2; expected 3"),
    ("annotations-deleted", lambda s, t: shutil.rmtree(s / "annotations"),
     "annotations", "annotations", r"annotations group is missing"),
    ("annotations-chunk-random", lambda s, t: rewrite(_first_chunk(s / "annotations" / "onset"),
                                                       np.random.default_rng(1).bytes(64)),
     "annotations", "annotations/onset/c/0", r"chunk cannot be decoded"),
]


def test_intact_store_gives_an_empty_table(pristine):
    table = check_store(pristine, progress=False)
    assert table.empty and list(table.columns) == list(PROBLEM_COLUMNS)


@pytest.mark.parametrize("case, damage, modality, file, match", CASES, ids=[c[0] for c in CASES])
def test_damage_gives_the_row_naming_it(store, case, damage, modality, file, match):
    trial = _trial(store)
    damage(store, trial)
    table = check_store(store)
    file = file.replace("<T>", trial)
    hit = table[(table["modality"] == modality) & (table["file"] == file)]
    assert len(hit) >= 1, table.to_string()
    assert hit["error"].str.contains(match, regex=True).any(), hit["error"].tolist()
    assert not table.map(lambda v: str(store) in v or "/tmp/" in v).any().any()  # store-relative, never absolute


def test_check_store_reads_nothing_it_should_not_write(store):
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*")}
    check_store(store)
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*")} == before


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(store="/no/such/store.zarr"), FileNotFoundError, "store"),
    (dict(store=".", progress="yes"), TypeError, "progress"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_store(**kwargs)
