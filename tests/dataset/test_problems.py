"""Fault isolation: a bad participant or modality is listed in ``ds.problems``; the rest stays usable."""
import shutil

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis import MMMEWarning
from mmme_analysis.dataset.raw import pseudonyms
from mmme_analysis.synth.generator import SynthConfig, synthesize


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    out = tmp_path_factory.mktemp("three") / "raw"
    return synthesize(out, SynthConfig(n_subjects=3, n_trials=2, duration=4.0, rest=1.0, seed=5), progress=False)


@pytest.fixture
def raw(pristine, tmp_path):
    dst = tmp_path / "raw"
    shutil.copytree(pristine, dst)
    return dst


def _folder(raw, subject):
    real = {v: k for k, v in pseudonyms(raw).items()}[subject]
    return raw / real, real


def _no_real_name(raw, texts):
    names = [p.name for p in raw.iterdir() if p.is_dir()]
    for text in texts:
        for name in names:
            assert name not in str(text), f"real name in {text!r}"


def test_healthy_dataset_has_no_problems(pristine):
    ds = mm.open_dataset(pristine)
    assert ds.problems.empty and list(ds.problems.columns) == list(mm.dataset.PROBLEM_COLUMNS)
    assert sorted(ds.trials["subject"].unique()) == ["sub-01", "sub-02", "sub-03"]


def test_one_broken_participant_of_three(raw):
    folder, _ = _folder(raw, "sub-02")
    eeg = next((folder / "EEG").glob("*.eeg"))
    eeg.write_bytes(b"")  # the reference clock of sub-02 is gone
    with pytest.warns(MMMEWarning, match=r"sub-02: left out: DataFormatError: sub-02/EEG/Acquisition 01\.vhdr: no "
                                         r"samples: expected an EEG recording") as rec:
        ds = mm.open_dataset(raw)
        trials = ds.trials
    assert sorted(trials["subject"].unique()) == ["sub-01", "sub-03"] and len(trials) == 4
    p = ds.problems
    assert list(p[["subject", "modality"]].itertuples(index=False, name=None)) == [("sub-02", "session")]
    for trial in trials["trial"]:  # the other two load
        tree = ds.trial(trial)
        assert tree["eeg"]["eeg"].shape[1] == 4000 and np.isfinite(tree["peri"]["ECG"].values).all()
    _no_real_name(raw, list(p["error"]) + list(p["file"]) + [str(w.message) for w in rec])


def test_broken_biopac_leaves_out_peri_only(raw):
    folder, _ = _folder(raw, "sub-01")
    mat = next((folder / "PERI").glob("*.mat"))
    mat.write_bytes(mat.read_bytes()[: mat.stat().st_size // 3])
    with pytest.warns(MMMEWarning, match=r"sub-01: peri left out: DataFormatError: sub-01/PERI/.*cut short"):
        ds = mm.open_dataset(raw)
        t = ds.trials.set_index("trial")
    mine = t[t["subject"] == "sub-01"]
    assert len(mine) == 2 and not mine["has_peri"].any() and mine["has_eeg"].all() and mine["has_video"].all()
    assert t.loc[t["subject"] != "sub-01", "has_peri"].all()
    tree = ds.trial(mine.index[0])
    assert "peri" not in tree.children and "eeg" in tree.children
    row = ds.problems.iloc[0]
    assert (row["subject"], row["modality"], row["file"]) == ("sub-01", "peri", f"sub-01/PERI/{mat.name.replace(folder.name, 'sub-01')}")
    _no_real_name(raw, ds.problems.to_numpy().ravel())


def test_two_videos_for_one_marker_use_neither(raw):
    folder, real = _folder(raw, "sub-03")
    video = sorted((folder / "video").glob("*.avi"))[0]
    twin = video.with_name(video.name.replace("_1_", "_9_"))
    shutil.copy(video, twin)
    with pytest.warns(MMMEWarning, match=r"sub-03: video left out: two videos for marker \d{3}: sub-03/video/"):
        ds = mm.open_dataset(raw)
        t = ds.trials
    marker = int(video.stem.split("_")[2])
    row = t[t["trial"] == f"sub-03_{marker}"].iloc[0]
    assert not row["has_video"] and row["has_eeg"]
    assert ds.problems["trial"].tolist() == [f"sub-03_{marker}"]
    _no_real_name(raw, ds.problems.to_numpy().ravel())


def test_sheet_subject_without_folder_warns_and_shifts_no_pseudonym(raw):
    before = pseudonyms(raw)
    sheet = raw / "coding_file.xlsx"
    df = pd.read_excel(sheet)
    extra = df.iloc[:2].copy()
    extra["Filename"] = [f.replace(n, "aaaaaa") for f, n in zip(extra["Filename"], extra["Subject"])]
    extra["Subject"] = "aaaaaa"  # sorts before every folder name
    pd.concat([df, extra]).to_excel(sheet, index=False)
    after = pseudonyms(raw)
    assert {k: after[k] for k in before} == before and after["aaaaaa"] == "sub-04"
    with pytest.warns(MMMEWarning, match=r"coding_file\.xlsx: 2 rows of sub-04 match no participant folder"):
        ds = mm.open_dataset(raw)
        assert sorted(ds.trials["subject"].unique()) == ["sub-01", "sub-02", "sub-03"]
    assert ds.problems["modality"].tolist() == ["annotations"]


def test_wrong_eeg_sampling_interval_fails_the_session_naming_the_eeg(raw):
    folder, _ = _folder(raw, "sub-01")
    vhdr = next((folder / "EEG").glob("*.vhdr"))
    vhdr.write_text(vhdr.read_text().replace("SamplingInterval=1000.0", "SamplingInterval=2000.0"))
    with pytest.warns(MMMEWarning, match=r"sub-01: left out: DataFormatError: sub-01/EEG/Acquisition 01\.vhdr: the "
                                         r"BIOPAC and camera clocks both drift against the EEG beyond 500 ppm .*-500000 ppm"):
        ds = mm.open_dataset(raw)
        assert sorted(ds.trials["subject"].unique()) == ["sub-02", "sub-03"]
    assert ds.problems["modality"].tolist() == ["session"]
    _no_real_name(raw, ds.problems.to_numpy().ravel())


def test_wrong_biopac_interval_leaves_out_peri(raw):
    from scipy.io import loadmat, savemat

    folder, _ = _folder(raw, "sub-03")
    mat = next((folder / "PERI").glob("*.mat"))
    m = {k: v for k, v in loadmat(mat).items() if not k.startswith("__")}
    m["isi"] = m["isi"] * 2
    savemat(mat, m)
    with pytest.warns(MMMEWarning, match=r"sub-03: peri left out: AlignmentError: biopac \(sub-03/PERI/.*\): clock drift "
                                         r"\+(?:99\d{4}|100\d{4}) ppm against the EEG"):
        ds = mm.open_dataset(raw)
        t = ds.trials
    assert not t.loc[t["subject"] == "sub-03", "has_peri"].any() and t.loc[t["subject"] == "sub-03", "has_video"].all()
