"""Tests of the BIOPAC writer/readers (mmme_analysis.io.biopac)."""
import re
import types

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from mmme_analysis import MMMEWarning
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io import biopac
from mmme_analysis.io.biopac import (
    BIOPAC_COLUMNS,
    BIOPAC_UNITS,
    find_biopac_events,
    read_biopac,
    write_biopac_blocks,
    write_biopac_mat,
)
from mmme_analysis.synth import PERI_UNITS, simulate_peri

SFREQ = 1000.0
N = 20000
ONSETS = {1500: 101, 7000: 148, 7010: 255, 12000: 100, 19990: 1}


def _trigger(hold=10):
    trig = np.zeros(N, dtype=np.int64)
    for s, code in ONSETS.items():
        trig[s : s + hold] = code
    return trig


@pytest.fixture(scope="module")
def peri():
    signals, truth = simulate_peri(N / SFREQ, SFREQ, rng=np.random.default_rng(3), me_apexes=[5.0, 12.0])
    return {k: signals[k].values for k in signals.data_vars}  # the writer takes arrays by name


@pytest.fixture
def mat_file(tmp_path, peri):
    path = tmp_path / "PERI" / "sub-01.mat"
    write_biopac_mat(path, peri, SFREQ, _trigger())
    return path


def test_columns_constant():
    assert len(BIOPAC_COLUMNS) == 17
    assert BIOPAC_COLUMNS[:8] == ("PPG", "RSP", "EMG A", "SKT A", "EDA", "ECG", "EMG B", "SKT B")
    assert BIOPAC_COLUMNS[8:16] == tuple(f"Digital (STP Input {k})" for k in range(8))
    assert BIOPAC_COLUMNS[16] == "ECG rate (.5 - 35 Hz)"
    assert set(BIOPAC_UNITS) == set(BIOPAC_COLUMNS)


def test_export_layout_is_acqknowledge_like(mat_file, peri):
    m = loadmat(mat_file)
    assert {"data", "labels", "units", "isi", "isi_units", "start_sample"} <= set(m)
    assert m["data"].shape == (N, 17)
    assert [s.strip() for s in m["labels"]] == list(BIOPAC_COLUMNS)
    assert m["isi"].item() == 1.0 and m["isi_units"][0] == "ms"
    units = dict(zip(BIOPAC_COLUMNS, (u.strip() for u in m["units"])))
    assert units["ECG"] == "mV" and units["EDA"] == "microsiemens" and units["SKT A"] == "Deg C"
    # export units: ECG in mV, EDA in microsiemens
    np.testing.assert_allclose(m["data"][:, 5], peri["ECG"] * 1e3)
    np.testing.assert_allclose(m["data"][:, 4], peri["EDA"] * 1e6)
    # digital lines: bit k of the code on line k, 0 / 5 V
    trig = _trigger()
    for k in range(8):
        np.testing.assert_array_equal(m["data"][:, 8 + k], 5.0 * ((trig >> k) & 1))


def test_round_trip(mat_file, peri):
    ds = read_biopac(mat_file)
    assert ds.attrs["sfreq"] == SFREQ and ds.attrs["source"] == str(mat_file)
    np.testing.assert_allclose(ds["time"].values, np.arange(N) / SFREQ)
    for key, x in peri.items():
        assert ds[key].attrs["units"] == PERI_UNITS[key]
        np.testing.assert_allclose(ds[key].values, x, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(ds["trigger"].values, _trigger())
    ev = find_biopac_events(ds)
    assert list(ev.columns) == ["marker", "sample", "time"]
    assert dict(zip(ev["sample"], ev["marker"])) == ONSETS
    np.testing.assert_allclose(ev["time"], ev["sample"] / SFREQ)


def test_optional_channels_and_computed_ecg_rate(tmp_path, peri):
    signals = {k: peri[k] for k in ("ECG", "PPG", "RSP", "EMG", "EDA", "SKT")}
    path = tmp_path / "min.mat"
    write_biopac_mat(path, signals, SFREQ, _trigger())
    ds = read_biopac(path)
    assert np.all(ds["EMG_B"].values == 0) and np.all(ds["SKT_B"].values == 0)
    # NeuroKit2-derived rate agrees with the planted beat-to-beat rate
    assert np.nanmedian(np.abs(ds["ECG_rate"].values - peri["ECG_rate"])) < 3.0


def test_noisy_digital_levels_are_thresholded(tmp_path, mat_file):
    m = loadmat(mat_file)
    rng = np.random.default_rng(0)
    m["data"][:, 8:16] = m["data"][:, 8:16] * 0.97 + rng.normal(0, 0.05, (N, 8))
    noisy = tmp_path / "noisy.mat"
    savemat(noisy, {k: v for k, v in m.items() if not k.startswith("__")})
    ds = read_biopac(noisy)
    np.testing.assert_array_equal(ds["trigger"].values, _trigger())


def test_no_trigger_gives_empty_events(tmp_path, peri):
    path = tmp_path / "quiet.mat"
    write_biopac_mat(path, peri, SFREQ, np.zeros(N, dtype=int))
    ev = find_biopac_events(read_biopac(path))
    assert ev.empty and list(ev.columns) == ["marker", "sample", "time"]


def test_extra_column_warns(tmp_path, mat_file):
    m = loadmat(mat_file)
    m["data"] = np.column_stack([m["data"], np.zeros(N)])
    m["labels"] = np.array([s.strip() for s in m["labels"]] + ["Custom"])
    m["units"] = np.array([s.strip() for s in m["units"]] + ["Volts"])
    path = tmp_path / "extra.mat"
    savemat(path, {k: v for k, v in m.items() if not k.startswith("__")})
    with pytest.warns(MMMEWarning, match="extra.mat.*Custom"):
        ds = read_biopac(path)
    assert "Custom" not in ds


def test_acq_via_bioread(tmp_path, monkeypatch, peri):
    """Native .acq files go through bioread (faked here: bioread cannot write files)."""
    trig = _trigger()
    chans = []
    for label in BIOPAC_COLUMNS:
        if label.startswith("Digital"):
            k = int(label[-2])
            data = 5.0 * ((trig >> k) & 1)
        else:
            key = biopac._VARS[label]
            factor = {"mV": 1e-3, "microsiemens": 1e-6}.get(BIOPAC_UNITS[label], 1.0)
            data = peri[key] / factor
        chans.append(types.SimpleNamespace(name=label, units=BIOPAC_UNITS[label], data=data, samples_per_second=SFREQ))
    fake = types.SimpleNamespace(read_file=lambda p: types.SimpleNamespace(channels=chans))
    monkeypatch.setitem(__import__("sys").modules, "bioread", fake)
    path = tmp_path / "sub-01.acq"
    path.write_bytes(b"ACQ")
    ds = read_biopac(path)
    np.testing.assert_allclose(ds["ECG"].values, peri["ECG"], rtol=1e-12)
    np.testing.assert_array_equal(ds["trigger"].values, trig)


# --- bad input table ------------------------------------------------------------------
def _rewrite(src, dst, **changes):
    m = {k: v for k, v in loadmat(src).items() if not k.startswith("__")}
    for k, v in changes.items():
        if v is None:
            m.pop(k)
        else:
            m[k] = v(m) if callable(v) else v
    savemat(dst, m)
    return dst


def _without_columns(src, dst, drop):
    """Copy of ``src`` without the columns whose label satisfies ``drop(label)``."""
    m = loadmat(src)
    keep = [i for i, s in enumerate(m["labels"]) if not drop(s.strip())]
    return _rewrite(src, dst, data=m["data"][:, keep], labels=m["labels"][keep], units=m["units"][keep])


def _case_missing_column(src, d):
    return _without_columns(src, d / "missing_eda.mat", lambda label: label == "EDA")


def _case_wrong_count(src, d):
    return _rewrite(src, d / "wrong_count.mat", data=lambda m: m["data"][:, :16])


def _case_truncated(src, d):
    p = d / "truncated.mat"
    p.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return p


def _case_garbage(src, d):
    p = d / "garbage.mat"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    return p


def _case_no_digital(src, d):
    return _without_columns(src, d / "no_digital.mat", lambda label: label.startswith("Digital"))


def _case_nan_isi(src, d):
    return _rewrite(src, d / "nan_isi.mat", isi=np.array([[np.nan]]))


def _case_no_data(src, d):
    return _rewrite(src, d / "no_data.mat", data=None)


def _case_bad_unit(src, d):
    def units(m):
        u = np.array([s.strip() for s in m["units"]], dtype=object)
        u[list(s.strip() for s in m["labels"]).index("ECG")] = "furlongs"
        return np.array(list(u))

    return _rewrite(src, d / "bad_unit.mat", units=units)


def _case_garbage_acq(src, d):
    pytest.importorskip("bioread")
    p = d / "garbage.acq"
    p.write_bytes(b"not an acq file" * 10)
    return p


@pytest.mark.parametrize(
    "make, match",
    [
        (_case_wrong_count, r"wrong_count\.mat.*16 columns but there are 17 labels"),
        (_case_truncated, r"truncated\.mat.*cannot be read as an AcqKnowledge \.mat export"),
        (_case_garbage, r"garbage\.mat.*cannot be read as an AcqKnowledge \.mat export"),
        (_case_no_digital, r"no_digital\.mat.*'Digital \(STP Input 0\)'.*missing"),
        (_case_nan_isi, r"nan_isi\.mat.*'isi': expected one finite positive sample interval"),
        (_case_no_data, r"no_data\.mat.*variable 'data' missing"),
        (_case_bad_unit, r"bad_unit\.mat.*column 'ECG' has unit 'furlongs'"),
        (_case_garbage_acq, r"garbage\.acq.*cannot be read as an AcqKnowledge \.acq file"),
    ],
    ids=lambda x: getattr(x, "__name__", "")[6:] or None,
)
def test_bad_input(tmp_path, mat_file, make, match):
    bad = tmp_path / "bad"
    bad.mkdir()
    path = make(mat_file, bad)
    before = path.read_bytes()
    with pytest.raises(DataFormatError, match=match):
        read_biopac(path)
    assert path.read_bytes() == before


def test_missing_signal_column_leaves_only_that_signal_out(tmp_path, mat_file):
    path = _case_missing_column(mat_file, tmp_path)
    with pytest.warns(MMMEWarning, match=r"missing_eda\.mat: column\(s\) 'EDA' missing: expected the 17 columns "
                                         r"of the MMME export; the signal\(s\) EDA are left out, the others are read"):
        ds = read_biopac(path)
    assert "EDA" not in ds and {"ECG", "PPG", "RSP", "EMG", "SKT", "trigger"} <= set(ds.data_vars)
    full = read_biopac(mat_file)
    np.testing.assert_array_equal(ds["ECG"].values, full["ECG"].values)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(sfreq=None), TypeError, "'sfreq'"),
        (dict(sfreq=float("nan")), ValueError, "'sfreq'"),
        (dict(trigger=np.zeros(5, dtype=int)), ValueError, "'trigger'"),
        (dict(trigger=np.full(N, 256)), ValueError, "0..255"),
        (dict(drop="EDA"), ValueError, "missing EDA"),
    ],
)
def test_write_bad_arguments(tmp_path, peri, kwargs, exc, match):
    signals = dict(peri)
    if "drop" in kwargs:
        signals.pop(kwargs.pop("drop"))
    args = dict(path=tmp_path / "x.mat", signals=signals, sfreq=SFREQ, trigger=_trigger())
    args.update(kwargs)
    with pytest.raises(exc, match=re.escape(match) if "(" in match else match):
        write_biopac_mat(**args)
    assert list(tmp_path.iterdir()) == []


def test_find_events_needs_trigger():
    import xarray as xr

    with pytest.raises(DataFormatError, match="x.mat.*no 'trigger' variable"):
        find_biopac_events(xr.Dataset(attrs={"source": "x.mat"}))


# --- block writing (long recordings in bounded memory) -----------------------------------------
EDGES = (0, 1, 5000, 7005, 15000, N)  # uneven blocks, one of a single sample


def _blocks(signals, trig, edges=EDGES):
    return ((({k: v[a:b] for k, v in signals.items()}), trig[a:b]) for a, b in zip(edges[:-1], edges[1:]))


def test_block_writing_equals_whole_and_savemat(tmp_path, peri, mat_file):
    """(c) blocks -> the variables savemat writes for the whole array; read back equal."""
    path = write_biopac_blocks(tmp_path / "blocks.mat", _blocks(peri, _trigger()), SFREQ, N)
    got = loadmat(path)
    # the whole-array export, built here column by column and written by savemat
    key_factor = {"PPG": ("PPG", 1.0), "RSP": ("RSP", 1.0), "EMG A": ("EMG", 1e-3), "SKT A": ("SKT", 1.0),
                  "EDA": ("EDA", 1e-6), "ECG": ("ECG", 1e-3), "EMG B": ("EMG_B", 1e-3), "SKT B": ("SKT_B", 1.0),
                  "ECG rate (.5 - 35 Hz)": ("ECG_rate", 1.0)}
    trig = _trigger()
    cols = [peri[key_factor[c][0]] / key_factor[c][1] if c in key_factor
            else ((trig >> int(c[-2])) & 1) * 5.0 for c in BIOPAC_COLUMNS]
    width = max(map(len, BIOPAC_COLUMNS))
    savemat(tmp_path / "ref.mat", {
        "data": np.column_stack(cols), "labels": np.array([c.ljust(width) for c in BIOPAC_COLUMNS]),
        "units": np.array([BIOPAC_UNITS[c].ljust(12) for c in BIOPAC_COLUMNS]), "isi": np.array([[1.0]]),
        "isi_units": "ms", "start_sample": np.array([[0.0]])}, do_compression=False, oned_as="column")
    ref = loadmat(tmp_path / "ref.mat")
    (tmp_path / "ref.mat").unlink()
    names = sorted(k for k in ref if not k.startswith("__"))
    assert names == sorted(k for k in got if not k.startswith("__")) == sorted(
        ["data", "labels", "units", "isi", "isi_units", "start_sample"])
    for k in names:
        assert got[k].dtype == ref[k].dtype and np.array_equal(got[k], ref[k]), k
    assert got["data"].shape == (N, 17) and got["data"].dtype == np.float64
    a, b = read_biopac(mat_file), read_biopac(path)  # write_biopac_mat: one block
    assert a.identical(b.assign_attrs(source=a.attrs["source"]))
    assert dict(zip(find_biopac_events(b)["sample"], find_biopac_events(b)["marker"])) == ONSETS
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    "n, drop, match",
    [(N + 1, None, "expected 20001 samples"), (N - 1, None, "expected 19999 samples"),
     (N, "ECG_rate", "missing ECG_rate"), (2**29, None, "4 GiB")],
)
def test_block_writing_bad_blocks_leave_nothing(tmp_path, peri, n, drop, match):
    signals = {k: v for k, v in peri.items() if k != drop}
    with pytest.raises(ValueError, match=match):
        write_biopac_blocks(tmp_path / "x.mat", _blocks(signals, _trigger()), SFREQ, n)
    assert list(tmp_path.iterdir()) == []
