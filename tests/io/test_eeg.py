"""Tests of the EEG session writer/readers (mmme_analysis.io.eeg)."""
import datetime as dt
import re
import warnings

import mne
import numpy as np
import pandas as pd
import pytest

from mmme_analysis import MMMEWarning
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.eeg import TRIGGER_NAME, find_eeg_events, read_eeg, write_eeg_blocks, write_eeg_session
from mmme_analysis.synth.eeg import simulate_eeg

SFREQ = 1000.0
ONSETS = {2000: 101, 5000: 148, 5004: 117, 9000: 100}  # 5004: a code change without a 0 gap
MEAS_DATE = dt.datetime(2023, 7, 21, 16, 45, 38, 257410, tzinfo=dt.timezone.utc)


def _trigger(n, hold=5):
    trig = np.zeros(n, dtype=np.int64)
    for s, code in ONSETS.items():
        trig[s : s + hold] = code
    return trig


@pytest.fixture(scope="module")
def session():
    data, names, types = simulate_eeg(12.0, SFREQ, rng=np.random.default_rng(0))
    return data, names, types, _trigger(data.shape[1])


@pytest.mark.parametrize("suffix", [".vhdr", ".fif"])
def test_round_trip(tmp_path, session, suffix):
    data, names, types, trig = session
    path = tmp_path / "sub-01" / "EEG" / f"Acquisition 01{suffix}"
    out = write_eeg_session(path, data, SFREQ, names, types, trig, meas_date=MEAS_DATE)
    assert out == path and path.is_file()
    # atomic writes leave no temporaries behind
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []
    with pytest.warns(MMMEWarning, match=re.escape(path.name) + ".*CB1, CB2"):
        raw = read_eeg(path, preload=True)
    assert raw.ch_names == names + [TRIGGER_NAME]
    assert raw.info["sfreq"] == SFREQ
    assert raw.get_channel_types() == types + ["stim"]
    assert raw.info["meas_date"] == MEAS_DATE
    got = raw.get_data()
    # float32 storage: relative resolution ~1e-7 of each channel's range
    scale = np.abs(data).max(axis=1, keepdims=True)
    assert np.all(np.abs(got[:-1] - data) <= 1e-6 * scale)
    np.testing.assert_array_equal(got[-1], trig)
    ev = find_eeg_events(raw)
    assert list(ev.columns) == ["marker", "sample", "time"]
    assert dict(zip(ev["sample"], ev["marker"])) == ONSETS
    np.testing.assert_allclose(ev["time"], ev["sample"] / SFREQ)


@pytest.mark.parametrize("fmt, ext", [("edf", ".edf"), ("eeglab", ".set")])
def test_reads_edf_and_eeglab_exports(tmp_path, session, fmt, ext):
    pytest.importorskip({"edf": "edfio", "eeglab": "eeglabio"}[fmt])
    data, names, types, trig = session
    src = tmp_path / "src.fif"
    write_eeg_session(src, data, SFREQ, names, types, trig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        raw = read_eeg(src, preload=True)
        out = tmp_path / f"Acquisition 01{ext}"
        mne.export.export_raw(out, raw, fmt=fmt, verbose="error")
        back = read_eeg(out, preload=True)
    assert back.ch_names == names + [TRIGGER_NAME]
    assert back.get_channel_types() == types + ["stim"]
    ev = find_eeg_events(back)
    assert ev["sample"].tolist() == list(ONSETS)
    if fmt == "edf":
        # a 16-bit EDF stim channel round-trips through MNE's export/reader to within
        # one code (117 -> 116.99... is read back as 116); onsets stay exact
        assert np.all(np.abs(ev["marker"].to_numpy() - np.array(list(ONSETS.values()))) <= 1)
    else:
        assert ev["marker"].tolist() == list(ONSETS.values())
    # EDF stores 16-bit integers per channel range; EEGLAB float32
    if fmt == "edf":
        tol = np.ptp(data, axis=1, keepdims=True) / 2**15
    else:
        tol = 1e-6 * np.abs(data).max(axis=1, keepdims=True)
    assert np.all(np.abs(back.get_data()[:-1] - data) <= tol)


def test_montage_positions(tmp_path, session):
    data, names, types, trig = session
    path = tmp_path / "a.vhdr"
    write_eeg_session(path, data, SFREQ, names, types, trig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        raw = read_eeg(path)
    pos = raw.get_montage().get_positions()["ch_pos"]
    assert np.isfinite(pos["OZ"]).all() and pos["OZ"][1] < 0 < pos["FPZ"][1]  # back / front
    locs = {ch["ch_name"]: ch["loc"][:3] for ch in raw.info["chs"]}
    assert np.isnan(locs["CB1"]).all()
    assert sum(np.isfinite(locs[c]).all() for c in names[:64]) == 62


def test_overwrite_replaces_all_three_files(tmp_path, session):
    data, names, types, trig = session
    path = tmp_path / "x.vhdr"
    write_eeg_session(path, data, SFREQ, names, types, trig)
    write_eeg_session(path, data[:, :3000], SFREQ, names, types, trig[:3000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        raw = read_eeg(path)
    assert raw.n_times == 3000
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eeg", ".vhdr", ".vmrk"]


def test_events_from_annotations_when_no_trigger_channel(tmp_path):
    pybv = pytest.importorskip("pybv")
    data = np.random.default_rng(1).standard_normal((3, 8000)) * 1e-5
    events = [
        {"onset": 1000, "description": 101, "type": "Stimulus"},
        {"onset": 4000, "description": 148, "type": "Stimulus"},
        {"onset": 6000, "description": "rest", "type": "Comment"},
    ]
    pybv.write_brainvision(
        data=data, sfreq=SFREQ, ch_names=["FZ", "CZ", "VEO"], fname_base="markers",
        folder_out=tmp_path, events=events,
    )
    raw = read_eeg(tmp_path / "markers.vhdr")
    assert raw.get_channel_types() == ["eeg", "eeg", "eog"]
    ev = find_eeg_events(raw)
    assert ev["marker"].tolist() == [101, 148]
    assert ev["sample"].tolist() == [1000, 4000]


def test_annotation_descriptions_parsed():
    raw = mne.io.RawArray(np.zeros((1, 10000)), mne.create_info(["FZ"], SFREQ, "eeg"), verbose=False)
    raw.set_annotations(
        mne.Annotations([1.0, 2.0, 3.0, 4.0], [0, 0, 0, 0], ["102", "New Segment/", "Stimulus/S 103", "Stimulus/S104"])
    )
    ev = find_eeg_events(raw)
    assert ev["marker"].tolist() == [102, 103, 104]
    assert ev["time"].tolist() == [1.0, 3.0, 4.0]


def test_stim_channel_without_codes_falls_back_to_annotations():
    info = mne.create_info(["FZ", "Trigger"], SFREQ, ["eeg", "stim"])
    raw = mne.io.RawArray(np.zeros((2, 5000)), info, verbose=False)
    raw.set_annotations(mne.Annotations([2.5], [0], ["Stimulus/S120"]))
    ev = find_eeg_events(raw)
    assert ev.to_dict("list") == {"marker": [120], "sample": [2500], "time": [2.5]}


def test_reads_real_recording_from_spkit(tmp_path):
    spkit = pytest.importorskip("spkit")
    try:
        x, fs, ch_names = spkit.data.load_data.eeg_sample_14ch()
    except Exception as err:  # pragma: no cover - depends on the installed spkit
        pytest.skip(f"spkit EEG sample unavailable: {err}")
    # Emotiv EPOC recording shipped in spkit: 14 channels, 16 s at 128 Hz, in uV
    x = np.asarray(x, dtype=float).T * 1e-6  # (n_ch, n) in V
    fs = float(fs)
    assert x.shape == (14, 2048) and fs == 128.0
    trig = np.zeros(x.shape[1], dtype=np.int64)
    trig[256:260] = 101
    path = tmp_path / "spkit.vhdr"
    write_eeg_session(path, x, fs, list(ch_names), ["eeg"] * len(ch_names), trig)
    raw = read_eeg(path, preload=True)
    assert raw.ch_names[:-1] == [str(c) for c in ch_names]
    assert raw.get_montage() is not None  # Emotiv sites are all 10-05 positions
    np.testing.assert_allclose(raw.get_data()[:-1], x, rtol=1e-6, atol=1e-12)
    psd = raw.compute_psd(fmax=40, picks="eeg", verbose=False)
    assert np.all(np.isfinite(psd.get_data()))
    assert find_eeg_events(raw)["sample"].tolist() == [256]


# --- bad input ------------------------------------------------------------------------
def _no_trigger(tmp_path):
    import pybv

    pybv.write_brainvision(
        data=np.zeros((2, 1000)), sfreq=SFREQ, ch_names=["FZ", "CZ"], fname_base="notrig",
        folder_out=tmp_path,
    )
    return tmp_path / "notrig.vhdr", "read+events"


def _garbage_vhdr(tmp_path):
    p = tmp_path / "garbage.vhdr"
    p.write_bytes(b"this is not a BrainVision header\n\x00\x01\x02")
    return p, "read"


def _truncated_fif(tmp_path):
    data = np.zeros((2, 5000))
    p = tmp_path / "full.fif"
    write_eeg_session(p, data, SFREQ, ["FZ", "CZ"], ["eeg", "eeg"], np.zeros(5000, dtype=int))
    q = tmp_path / "truncated_raw.fif"
    q.write_bytes(p.read_bytes()[:2000])
    return q, "read"


def _unknown_extension(tmp_path):
    p = tmp_path / "session.xyz"
    p.write_bytes(b"\x00" * 64)
    return p, "read"


def _bv_session(tmp_path, name="s"):
    rng = np.random.default_rng(0)
    data = rng.normal(0, 2e-5, (3, 8000))
    trig = np.zeros(8000, dtype=int)
    trig[[500, 4000, 7000]] = [101, 100, 102]
    path = tmp_path / f"{name}.vhdr"
    write_eeg_session(path, data, SFREQ, ["FZ", "CZ", "PZ"], ["eeg"] * 3, trig)
    return path


def _empty_eeg(tmp_path):
    path = _bv_session(tmp_path, "empty")
    path.with_suffix(".eeg").write_bytes(b"")
    return path, "read"


def _truncated_eeg(tmp_path):
    path = _bv_session(tmp_path, "cut")
    data = path.with_suffix(".eeg")
    data.write_bytes(data.read_bytes()[: int(data.stat().st_size * 0.6) + 3])
    return path, "read"


def _truncated_whole_samples(tmp_path):
    path = _bv_session(tmp_path, "short")
    with open(path.with_suffix(".vmrk"), "a") as f:
        f.write("Mk1=Stimulus,S101,501,1,0\nMk2=Stimulus,S102,7001,1,0\n")
    data = path.with_suffix(".eeg")
    data.write_bytes(data.read_bytes()[: 4800 * 16])  # cut at a whole sample: only the markers tell
    return path, "read"


def _random_eeg(tmp_path):
    path = _bv_session(tmp_path, "noise")
    data = path.with_suffix(".eeg")
    data.write_bytes(np.random.default_rng(1).bytes(data.stat().st_size))
    return path, "read"


@pytest.mark.parametrize(
    "make, match",
    [
        (_empty_eeg, r"empty\.vhdr: no samples: expected an EEG recording"),
        (_truncated_whole_samples, r"short\.vhdr: the data end at 4\.800 s but short\.vmrk has markers up to 7\.000 s; "
                                   r"expected the complete data file"),
        (_random_eeg, r"noise\.vhdr: implausible samples near .* expected physiological signals in volts"),
        (_no_trigger, r"notrig\.vhdr.*no trigger events.*expected a stim channel"),
        (_garbage_vhdr, r"garbage\.vhdr.*cannot be read as an EEG recording"),
        (_truncated_fif, r"truncated_raw\.fif.*cannot be read"),
        (_unknown_extension, r"session\.xyz.*expected a complete file MNE reads"),
    ],
    ids=["empty-eeg", "truncated-at-whole-sample", "random-bytes-eeg", "no-trigger-no-annotations",
         "garbage-vhdr", "truncated-fif", "unknown-extension"],
)
def test_bad_input(tmp_path, make, match):
    path, stage = make(tmp_path)
    before = path.read_bytes()
    with pytest.raises(DataFormatError, match=match):
        raw = read_eeg(path)
        if stage == "read+events":
            find_eeg_events(raw)
    assert path.read_bytes() == before


def test_partial_last_sample_warns_and_reads_the_complete_ones(tmp_path):
    path, _ = _truncated_eeg(tmp_path)
    with pytest.warns(MMMEWarning, match=r"cut\.vhdr: its data file cut\.eeg has 76803 bytes, not a whole number of "
                                         r"samples of 4 channels x 4 bytes \(3 bytes left over\); expected the complete "
                                         r"data file \(truncated\?\): the 4800 complete samples are read"):
        raw = read_eeg(path)
    assert raw.n_times == 4800 and np.isfinite(raw.get_data()).all()


def test_nan_samples_are_not_an_error(tmp_path):
    path = _bv_session(tmp_path, "gap")
    data = path.with_suffix(".eeg")
    arr = np.fromfile(data, "<f4").reshape(-1, 4)
    arr[1000:1500, :3] = np.nan
    data.unlink()
    arr.tofile(data)
    raw = read_eeg(path)
    assert np.isnan(raw.get_data(picks=[0])[0, 1000:1500]).all()


def test_trigger_values_that_are_not_codes_are_an_error(tmp_path):
    path = _bv_session(tmp_path, "int16")
    text = path.read_text().replace("BinaryFormat=IEEE_FLOAT_32", "BinaryFormat=INT_16")
    path.unlink()
    path.write_text(text)
    with pytest.raises(DataFormatError, match=r"int16\.vhdr: the Trigger channel holds .* are not integer codes "
                                              r"0\.\.255\); expected 8-bit DB25 trigger codes"):
        find_eeg_events(read_eeg(path))


def test_unreadable_marker_file_is_read_without_it(tmp_path):
    path = _bv_session(tmp_path, "mk")
    events = find_eeg_events(read_eeg(path))
    vmrk = path.with_suffix(".vmrk")
    vmrk.unlink()
    vmrk.write_bytes(np.random.default_rng(2).bytes(400))
    with pytest.warns(MMMEWarning, match=r"mk\.vhdr: its marker file mk\.vmrk cannot be read .*read without it: the "
                                         r"trigger codes come from the 'Trigger' channel"):
        raw = read_eeg(path)
    pd.testing.assert_frame_equal(find_eeg_events(raw), events)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(path="x.edf"), "path suffix"),
        (dict(sfreq=None), "'sfreq'"),
        (dict(trigger=np.zeros(10, dtype=int)), "'trigger'"),
        (dict(trigger=np.full(100, 300)), "0..255"),
        (dict(trigger=np.zeros(100)), "int array"),
        (dict(ch_types=["eeg", "bogus"]), "'ch_types'"),
        (dict(ch_names=["FZ", "Trigger"]), "'ch_names'"),
    ],
)
def test_write_bad_arguments(tmp_path, kwargs, match):
    args = dict(
        path=tmp_path / "a.vhdr", data=np.zeros((2, 100)), sfreq=SFREQ, ch_names=["FZ", "CZ"],
        ch_types=["eeg", "eeg"], trigger=np.zeros(100, dtype=int),
    )
    if "path" in kwargs:
        kwargs = {**kwargs, "path": tmp_path / kwargs["path"]}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        write_eeg_session(**args)
    assert list(tmp_path.iterdir()) == []


# --- block writing (long sessions in bounded memory) -------------------------------------------
EDGES = (0, 1000, 1001, 4567, 10000, 12000)  # uneven blocks, one of a single sample


def _blocks(data, trig, edges=EDGES):
    return [(data[:, a:b], trig[a:b]) for a, b in zip(edges[:-1], edges[1:])]


def test_block_writing_equals_whole_and_pybv(tmp_path, session):
    """(c) blocks -> the files of one whole-array write (and of pybv itself), read back equal."""
    import pybv

    data, names, types, trig = session
    whole = write_eeg_session(tmp_path / "whole" / "a.vhdr", data, SFREQ, names, types, trig, meas_date=MEAS_DATE)
    blocks = write_eeg_blocks(tmp_path / "blocks" / "a.vhdr", iter(_blocks(data, trig)), SFREQ, names, types,
                              meas_date=MEAS_DATE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pybv.write_brainvision(data=np.vstack([data, trig[None].astype(float)]), sfreq=SFREQ,
                               ch_names=names + [TRIGGER_NAME], fname_base="a", folder_out=tmp_path / "pybv",
                               unit=["µV"] * len(names) + ["ARU"], resolution=np.array([0.1] * len(names) + [1.0]),
                               fmt="binary_float32", meas_date=MEAS_DATE)
    for ext in (".eeg", ".vhdr", ".vmrk"):
        ref = (tmp_path / "pybv" / f"a{ext}").read_bytes()
        assert whole.with_suffix(ext).read_bytes() == ref == blocks.with_suffix(ext).read_bytes(), ext
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        a, b = read_eeg(whole, preload=True), read_eeg(blocks, preload=True)
    np.testing.assert_array_equal(a.get_data(), b.get_data())
    assert b.info["meas_date"] == MEAS_DATE and b.ch_names == names + [TRIGGER_NAME]
    assert dict(zip(find_eeg_events(b)["sample"], find_eeg_events(b)["marker"])) == ONSETS
    assert sorted(p.name for p in (tmp_path / "blocks").iterdir()) == ["a.eeg", "a.vhdr", "a.vmrk"]


@pytest.mark.parametrize(
    "blocks, match",
    [
        ([], "at least one sample"),
        ([(np.zeros((3, 10)), np.zeros(10, dtype=int))], "'data'"),
        ([(np.zeros((2, 10)), np.zeros(9, dtype=int))], "'trigger'"),
        ([(np.zeros((2, 10)), np.zeros(10, dtype=int)), (np.full((2, 5), np.nan), np.zeros(5, dtype=int))], "finite"),
    ],
)
def test_block_writing_bad_blocks_leave_nothing(tmp_path, blocks, match):
    with pytest.raises(ValueError, match=match):
        write_eeg_blocks(tmp_path / "a.vhdr", iter(blocks), SFREQ, ["FZ", "CZ"], ["eeg", "eeg"])
    assert list(tmp_path.iterdir()) == []
