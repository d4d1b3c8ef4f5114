"""A damaged raw folder: each fault gives a warning (or error) naming the file and what was expected,
the rest of the dataset loads as before, and no message names a participant."""
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis import MMMEWarning
from mmme_analysis.synth.generator import SynthConfig, synthesize
from tests.faults.corpus_raw import _shift_stamp
from tests.faults.faultlib import DIGITAL, avi_set_fps, edit_mat, load_sheet, save_sheet, trigger_runs

#: two participants, two 2 s trials each (EEG clock: trial 1 at 3-5 s, trial 2 at 6-8 s, end at 10 s)
CONFIG = dict(n_subjects=2, n_trials=2, duration=2.0, rest=1.0, mes_per_trial=(1, 1), maes_per_trial=(0, 0), seed=0,
              size=(64, 64))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return synthesize(tmp_path_factory.mktemp("faults") / "raw", SynthConfig(**CONFIG), progress=False)


@pytest.fixture
def raw(pristine, tmp_path):
    dst = tmp_path / "raw"
    shutil.copytree(pristine, dst)
    return dst


class Copy:
    """What a fault edits in a copy: participant A (sub-01) and its files."""

    def __init__(self, raw):
        self.raw = raw
        self.names = sorted(p.name for p in raw.iterdir() if p.is_dir())
        self.a = raw / self.names[0]
        self.eeg = self.a / "EEG" / "Acquisition 01.eeg"
        self.mat = self.a / "PERI" / f"{self.names[0]}.mat"
        self.videos = sorted((self.a / "video").glob("*.avi"))

    def samples(self):
        return np.fromfile(self.eeg, dtype="<f4").reshape(-1, 69).copy()

    def write(self, arr):
        self.eeg.unlink()
        np.ascontiguousarray(arr, dtype="<f4").tofile(self.eeg)


def _truncate(c):
    c.write(c.samples()[:6500])


def _nan_eeg(c):
    arr = c.samples()
    arr[3500:4000, :-1] = np.nan
    c.write(arr)


def _glitch(c):
    arr = c.samples()
    arr[4000, -1] = 255
    c.write(arr)


def _duplicate_marker(c):
    arr = c.samples()
    code = int(arr[3000, -1])
    a, b = trigger_runs(arr[:, -1], code)[0]
    arr[9000:9000 + b - a, -1] = code
    c.write(arr)


def _drop_eda(c):
    def fn(m):
        j = m["labels"].index("EDA")
        m["data"] = np.delete(m["data"], j, axis=1)
        del m["labels"][j], m["units"][j]
    edit_mat(_Ctx(c), "A", fn)


def _nan_ecg(c):
    def fn(m):  # 0.3-0.8 s into trial 1, found on the BIOPAC's own trigger lines
        bits = np.column_stack([m["data"][:, m["labels"].index(d)] > 2.5 for d in DIGITAL])
        start = int(np.flatnonzero(bits.astype(int) @ (1 << np.arange(8)) > 100)[0]) + 300
        m["data"][start:start + 500, m["labels"].index("ECG")] = np.nan
    edit_mat(_Ctx(c), "A", fn)


def _onset_outside(c):
    df = load_sheet(_Ctx(c))
    i = df.index[df["Subject"].astype(str) == c.names[0]][0]
    shift = 48.9 - float(df.loc[i, "OnsetTime"])  # the camera stamps move with the times (the clock fit holds)
    for col in ("OnsetTime", "ApexTime", "OffsetTime"):
        df.loc[i, col] = float(df.loc[i, col]) + shift
    for col in ("OnsetFrame", "ApexFrame", "OffsetFrame"):
        df.loc[i, col] = _shift_stamp(df.loc[i, col], shift)
    save_sheet(_Ctx(c), df)


def _no_rows_for_b(c):
    df = load_sheet(_Ctx(c))
    save_sheet(_Ctx(c), df[df["Subject"].astype(str) != c.names[1]])


class _Ctx:
    """The piece of tests.faults' context that its sheet and .mat helpers use."""

    def __init__(self, c):
        self.sheet, self._c = c.raw / "coding_file.xlsx", c

    def mat(self, who):
        return self._c.mat


#: (id, damage, warning regex, trials that may differ from the pristine ones)
CASES = [
    ("eeg-truncated", _truncate,
     r"sub-01/EEG/Acquisition 01\.vhdr: the EEG recording ends at 6\.500 s \(6500 samples\) .*expected at least \d+ "
     r"samples: the EEG data file is probably truncated; trial sub-01_\d+ is cut short", "sub-01"),
    ("eeg-partial-sample", lambda c: c.eeg.write_bytes(c.eeg.read_bytes()[:-2]),
     r"Acquisition 01\.eeg has \d+ bytes, not a whole number of samples .*the 9999 complete samples are read", ""),
    ("eeg-nan", _nan_eeg, r"trial sub-01_\d+ \(sub-01/EEG/Acquisition 01\.vhdr\): 34000 NaN EEG samples in 68 channel",
     "sub-01_first"),
    ("trigger-glitch", _glitch, r"trigger code\(s\) 255 at 4\.000 s are not a stimulus marker .*ignored", ""),
    ("duplicate-marker", _duplicate_marker, r"marker \d+ occurs more than once \(2 times\) on the EEG", "sub-01"),
    ("vhdr-missing", lambda c: (c.eeg.with_suffix(".vhdr")).unlink(),
     r"sub-01: no EEG recording in EEG/ \(it holds sub-01/EEG/Acquisition 01\.eeg", "sub-01"),
    ("vmrk-garbage", lambda c: c.eeg.with_suffix(".vmrk").write_bytes(b"\xff\xfe\x00garbage" * 50),
     r"Acquisition 01\.vhdr: its marker file Acquisition 01\.vmrk cannot be read .*read without it", ""),
    ("two-recordings", lambda c: shutil.copyfile(c.eeg.with_suffix(".vhdr"), c.a / "EEG" / "Acquisition 02.vhdr"),
     r"sub-01: more than one EEG recording in EEG/ \(2: sub-01/EEG/Acquisition 01\.vhdr, sub-01/EEG/Acquisition "
     r"02\.vhdr\); expected one per session: sub-01/EEG/Acquisition 01\.vhdr is used", ""),
    ("mat-column-missing", _drop_eda, r"sub-01\.mat: column\(s\) 'EDA' missing: .*the signal\(s\) EDA are left out",
     "sub-01"),
    ("mat-nan", _nan_ecg, r"trial sub-01_\d+: ECG has 500 NaN / non-finite samples in sub-01/PERI/sub-01\.mat",
     "sub-01_first"),
    ("mat-two-files", lambda c: shutil.copyfile(c.mat, c.a / "PERI" / "aaa.mat"),
     r"more than one BIOPAC export in PERI/ \(2: sub-01/PERI/sub-01\.mat, sub-01/PERI/aaa\.mat\)", ""),
    ("video-fps-30", lambda c: avi_set_fps(c.videos[0], 30),
     r"trial sub-01_\d+: the video sub-01/video/\S+\.avi says 30 fps, but its 300 frames would then last 10\.000 s "
     r"for a 2\.000 s trial; expected about 150 fps", "sub-01_first"),
    ("video-fps-0", lambda c: avi_set_fps(c.videos[0], 0),
     r"trial sub-01_\d+: video left out: Video file sub-01/video/\S+\.avi declares a frame rate of 0 frames per "
     r"second", "sub-01_first"),
    ("video-missing", lambda c: c.videos[0].unlink(),
     r"sub-01: coding_file\.xlsx codes expressions on trial\(s\) sub-01_\d+ but video/ has no video", "sub-01_first"),
    ("video-symlink", lambda c: _symlink(c.videos[0], c.raw.parent / "elsewhere"), None, ""),
    ("onset-outside-trial", _onset_outside,
     r"coding_file\.xlsx row\(s\) \d+: trial sub-01_\d+'s expression is coded at 48\.\d+-49\.\d+ s, outside the "
     r"2\.000 s trial; expected times within the trial: left out", "sub-01_first"),
    ("sheet-missing-subject", _no_rows_for_b, r"coding_file\.xlsx: no coded rows for sub-02", "sub-02"),
    ("sheet-missing", lambda c: (c.raw / "coding_file.xlsx").unlink(), r"no coding sheet coding_file\.xlsx at the root",
     "*"),
    ("empty-participant", lambda c: [(c.raw / "aaa" / d).mkdir(parents=True) for d in ("EEG", "PERI", "video")],
     r"1 participant folder\(s\) hold empty EEG/, PERI/, video/ or frames/ folders \(no recording\): left out", ""),
    ("participant-symlink", lambda c: _symlink(c.a, c.raw.parent / "elsewhere"), None, ""),
]


def _symlink(path, outside):
    outside.mkdir(exist_ok=True)
    target = outside / path.name
    shutil.move(str(path), str(target))
    path.symlink_to(target, target_is_directory=target.is_dir())


def _summary(ds, trial):
    tree = ds.trial(trial).load()
    out = {"attrs": {k: v for k, v in tree.attrs.items()}}
    for name, node in tree.children.items():
        for var, arr in node.to_dataset(inherit=False).data_vars.items():
            out[f"{name}/{var}"] = np.asarray(arr.values)
    return out


@pytest.fixture(scope="module")
def expected(pristine):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ds = mm.open_dataset(pristine)
        out = ds.trials.copy(), {t: _summary(ds, t) for t in ds.trials["trial"]}
    seen = {str(w.message) for w in rec if issubclass(w.category, MMMEWarning)}
    assert all("no standard 10-05 position" in m for m in seen), seen  # the only warning of the pristine folder
    return out + (seen,)


@pytest.mark.parametrize("case, damage, match, changed", CASES, ids=[c[0] for c in CASES])
def test_fault_warns_and_the_rest_is_pristine(raw, expected, case, damage, match, changed):
    damage(Copy(raw))
    names = sorted(p.name for p in raw.iterdir() if p.is_dir())
    table, trees, seen = expected
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ds = mm.open_dataset(raw)
        trials = ds.trials
        loaded = {t: _summary(ds, t) for t in trials["trial"]}
    messages = [str(w.message) for w in rec if issubclass(w.category, MMMEWarning) and str(w.message) not in seen]
    if match is None:
        assert messages == []
    else:
        assert any(pd.Series(messages).str.contains(match, regex=True)), messages
    for text in messages:  # never a participant's real name (folder name)
        assert not any(n in text for n in names if n not in ("aaa", "elsewhere")), text
    first = table["trial"].iloc[0]
    for trial in table["trial"]:
        if changed == "*" or trial.startswith(changed or "\0") or (changed == "sub-01_first" and trial == first):
            continue
        assert trial in loaded, f"{trial} (not damaged) is missing"
        got, want = loaded[trial], trees[trial]
        assert sorted(got) == sorted(want), trial
        for key in want:
            if key != "attrs":
                np.testing.assert_array_equal(got[key], want[key], err_msg=f"{trial} {key}")
    assert list(trials["trial"]) == list(table["trial"]) or changed in ("sub-01", "*")


def test_truncated_eeg_loads_the_complete_samples(raw):
    c = Copy(raw)
    _truncate(c)
    with pytest.warns(MMMEWarning, match="probably truncated"):
        ds = mm.open_dataset(raw)
        second = ds.trials["trial"].iloc[1]
        eeg = ds.trial(second)["eeg"]["eeg"]
    assert eeg.shape == (68, 500) and np.isfinite(eeg.values).all()  # 6.0-6.5 s: what the file holds


def test_nan_eeg_keeps_nan_and_loads_the_other_trial(raw):
    _nan_eeg(Copy(raw))
    ds = mm.open_dataset(raw)
    first, second = ds.trials["trial"].iloc[:2]
    with pytest.warns(MMMEWarning, match=r"NaN EEG samples .* at 0\.500-1\.000 s of the trial; .*kept as NaN"):
        x = ds.trial(first)["eeg"]["eeg"].values
    assert np.isnan(x[:, 500:1000]).all() and np.isfinite(x[:, :500]).all()
    assert np.isfinite(ds.trial(second)["eeg"]["eeg"].values).all()


def test_missing_column_leaves_only_that_signal_out(raw):
    _drop_eda(Copy(raw))
    with pytest.warns(MMMEWarning, match="EDA"):
        ds = mm.open_dataset(raw)
        peri = ds.trial(ds.trials["trial"].iloc[0])["peri"]
    assert "EDA" not in peri and {"ECG", "PPG", "RSP"} <= set(peri.data_vars)


def test_onset_outside_its_trial_is_not_counted(raw, expected):
    _onset_outside(Copy(raw))
    with pytest.warns(MMMEWarning, match="outside the 2.000 s trial"):
        ds = mm.open_dataset(raw)
        trials = ds.trials
    first = trials["trial"].iloc[0]
    assert trials["n_events"].iloc[0] == expected[0]["n_events"].iloc[0] - 1
    assert ds.trial(first)["events"].sizes["event"] == trials["n_events"].iloc[0]


def test_empty_participant_shifts_no_pseudonym(raw, expected):
    (raw / "aaa" / "EEG").mkdir(parents=True)
    with pytest.warns(MMMEWarning, match="no recording"):
        assert list(mm.open_dataset(raw).trials["trial"]) == list(expected[0]["trial"])


@pytest.mark.parametrize("damage, why", [
    (lambda c: avi_set_fps(c.videos[0], 30), r"says 30 fps.*expected about 150 fps"),
    (lambda c: c.videos[0].write_bytes(c.videos[0].read_bytes()[:4000]), r"DataFormatError: .*\.avi"),
])
def test_a_video_left_out_of_a_trial_is_listed_in_problems(raw, damage, why):
    c = Copy(raw)
    damage(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        ds = mm.open_dataset(raw)
        trial = ds.trials["trial"].iloc[0]
        assert ds.problems.empty or trial not in set(ds.problems["trial"])
        tree = ds.trial(trial)
        ds.trial(trial)  # a second load lists it once
    assert "video" not in tree.children and {"eeg", "peri"} <= set(tree.children)
    rows = ds.problems[ds.problems["trial"] == trial]
    assert rows[["subject", "modality"]].values.tolist() == [["sub-01", "video"]]
    assert rows["file"].iloc[0].startswith("sub-01/video/") and pd.Series(rows["error"]).str.contains(why).all()
    assert not any(n in rows.to_string() for n in c.names)
