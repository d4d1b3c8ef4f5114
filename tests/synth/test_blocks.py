"""Long sessions simulated block by block (synth.peri_blocks, synth.eeg_blocks, synth.session).

The block simulators must plant the same effects as the whole-session ones, with the same
thresholds as tests/synth/test_physio.py and tests/synth/test_eeg.py, and join their
blocks without seams.
"""
import json

import mne
import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.synth import BANDS, EEGConfig, PeriConfig
from mmme_analysis.synth.eeg_blocks import EEGBlocks
from mmme_analysis.synth.peri_blocks import PeriBlocks

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")

SFREQ = 1000.0
BLOCK = 40_000  # 40 s blocks
APEXES = np.arange(15.0, 285.0, 15.0)  # as test_hr_acceleration_at_apexes_vs_null
EEG_SFREQ = 500.0
SEGMENTS = [(0, 30, 6), (30, 60, 4), (60, 90, 2), (90, 120, 7), (120, 150, 6)]  # as tests/synth/test_eeg.py


def _peri(null=False, seed=11):
    pb = PeriBlocks(300.0, SFREQ, rng=np.random.default_rng(seed), me_apexes=APEXES, null=null,
                    config=PeriConfig(), block=BLOCK)
    blocks = list(pb)
    return pb, {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


@pytest.fixture(scope="module")
def peri():
    return _peri()


@pytest.fixture(scope="module")
def peri_null():
    return _peri(null=True)


def _hr_slope(rpeaks, times, step=0.25):
    hr = 60.0 / np.diff(rpeaks)
    grid = np.arange(rpeaks[1], rpeaks[-1], step)
    d = np.abs(np.gradient(np.interp(grid, rpeaks[1:], hr), step))
    return np.interp(times, grid, d), d


def test_peri_blocks_shapes_ranges_and_no_seams(peri):
    pb, sig = peri
    assert len(pb.edges) == 8 and pb.edges[-1][1] == pb.n == 300_000
    assert set(sig) == set(mm.synth.PERI_UNITS)
    for key, x in sig.items():
        assert x.shape == (300_000,) and np.isfinite(x).all(), key
    assert 0.5e-3 < sig["ECG"].max() < 2e-3
    assert 1e-7 < sig["EDA"].min() and sig["EDA"].max() < 1e-4
    for k in ("SKT", "SKT_B"):
        assert 32.9 < sig[k].min() and sig[k].max() < 35.1
    assert 0.05 < sig["RSP"].std() < 1.0 and np.abs(sig["EMG"]).max() < 1e-3
    edges = [i1 for _, i1 in pb.edges[:-1]]
    for key in ("ECG", "PPG", "RSP", "EDA", "SKT", "EMG", "ECG_rate"):
        jumps = np.abs(np.diff(sig[key]))
        assert jumps[np.array(edges) - 1].max() <= jumps.max(), key  # a block edge is like any other sample
    # the ECG of any range is recomputed identically (the EEG's EKG reads it so)
    np.testing.assert_array_equal(pb.ecg(BLOCK - 300, BLOCK + 300), sig["ECG"][BLOCK - 300:BLOCK + 300])


def test_peri_blocks_hr_acceleration_at_apexes_vs_null(peri, peri_null):
    planted, null = peri[0].truth["rpeaks"], peri_null[0].truth["rpeaks"]
    at_p, all_p = _hr_slope(planted, APEXES)
    at_n, _ = _hr_slope(null, APEXES)
    assert at_p.mean() > 1.8 * at_n.mean()
    assert at_p.mean() > 1.5 * np.median(all_p)

    def hr_at(rp, t):
        return np.interp(t, rp[1:], 60.0 / np.diff(rp))

    rise = hr_at(planted, APEXES + 0.5) - hr_at(null, APEXES + 0.5)
    assert 4.0 < rise.mean() < 10.0
    rp = peri[0].truth["rpeaks"]  # the ECG's R waves are at the planted beats
    ecg = peri[1]["ECG"]
    idx = np.round(rp[(rp > 1) & (rp < 299)] * SFREQ).astype(int)
    assert np.median(ecg[idx]) > 0.8e-3


def test_peri_blocks_scr_follow_mes_and_vanish_when_null(peri, peri_null):
    (pb, sig), (pb0, sig0) = peri, peri_null
    assert pb0.truth["scr_onsets"].size == 0
    onsets = pb.truth["scr_onsets"]
    assert onsets.size == APEXES.size
    assert np.all((onsets - APEXES >= 1.0) & (onsets - APEXES <= 3.0))
    diff = sig["EDA"] - sig0["EDA"]
    assert np.all(diff >= -1e-15)
    for onset, amp in zip(onsets, pb.truth["scr_amplitudes"]):
        i = int(onset * SFREQ)
        assert np.all(np.diff(diff[i - 500:i]) <= 1e-18)
        assert diff[i:i + 6000].max() - diff[i] > 0.85 * amp
    np.testing.assert_array_equal(sig["SKT"], sig0["SKT"])


def _eeg(null=False):
    ecg = np.sin(np.arange(int(150 * EEG_SFREQ)) / EEG_SFREQ * 2 * np.pi * 1.2) * 1e-3
    eb = EEGBlocks(150.0, EEG_SFREQ, rng=np.random.default_rng(4), segments=SEGMENTS, ecg=lambda i0, i1: ecg[i0:i1],
                   null=null, config=EEGConfig(), block=20_000)
    return eb, np.concatenate(list(eb), axis=1), ecg


@pytest.fixture(scope="module")
def eeg():
    return _eeg()


@pytest.fixture(scope="module")
def eeg_null():
    return _eeg(null=True)


def _band_power(sim, chans, band, t0, t1):
    eb, data, _ = sim
    x = data[[eb.ch_names.index(c) for c in chans], int(t0 * EEG_SFREQ):int(t1 * EEG_SFREQ)]
    psd, freqs = mne.time_frequency.psd_array_welch(x, EEG_SFREQ, fmin=1.0, fmax=45.0, n_fft=1000, verbose=False)
    lo, hi = BANDS[band]
    return psd[:, (freqs >= lo) & (freqs < hi)].mean()


def test_eeg_blocks_layout_amplitudes_and_no_seams(eeg):
    eb, data, ecg = eeg
    assert data.shape == (68, 75_000) and len(eb.edges) == 4
    assert eb.ch_names[64:] == ["HEO", "VEO", "EKG", "EMG"] and eb.ch_types[64:] == ["eog", "eog", "ecg", "emg"]
    rms_uv = data[:64].std(axis=1) * 1e6
    assert 10 < np.median(rms_uv) < 30 and rms_uv.max() < 60
    assert _band_power(eeg, ["O1", "OZ", "O2"], "alpha", 0, 30) > 5 * _band_power(eeg, ["FP1", "F7", "FT8"], "alpha", 0, 30)
    ekg = data[eb.ch_names.index("EKG")]
    assert np.abs(ekg - ecg).max() < 20e-6  # the given ECG plus 2 uV noise
    jumps = np.abs(np.diff(data[:64], axis=1))
    at_edges = jumps[:, [i1 - 1 for _, i1 in eb.edges[:-1]]]
    assert np.median(at_edges) < 3 * np.median(jumps)  # no seam at block edges
    veo = data[eb.ch_names.index("VEO")]
    assert np.corrcoef(veo, data[eb.ch_names.index("FP1")])[0, 1] > 0.5
    heo = data[eb.ch_names.index("HEO")]
    assert np.corrcoef(heo, data[eb.ch_names.index("F7")])[0, 1] > 0.2
    assert np.corrcoef(heo, data[eb.ch_names.index("F8")])[0, 1] < -0.2


@pytest.mark.parametrize(
    "band, chans, seg, lo, hi",
    [
        ("alpha", ["O1", "OZ", "O2"], (30, 60), 0.3, 0.7),
        ("theta", ["FZ", "FCZ", "F1", "F2"], (60, 90), 1.3, 2.2),
        ("beta", ["C3", "CZ", "C4"], (90, 120), 1.2, 2.2),
    ],
)
def test_eeg_blocks_category_band_power_change_vs_null(eeg, eeg_null, band, chans, seg, lo, hi):
    ratio = _band_power(eeg, chans, band, *seg) / _band_power(eeg_null, chans, band, *seg)
    assert lo < ratio < hi
    base = (_band_power(eeg_null, chans, band, 0, 30) + _band_power(eeg_null, chans, band, 120, 150)) / 2
    assert 0.7 < _band_power(eeg_null, chans, band, *seg) / base < 1.4


def test_eeg_blocks_truth(eeg, eeg_null):
    import pandas as pd

    table = pd.DataFrame(eeg[0].truth["band_effects"])
    assert table["category"].tolist() == [1, 2, 3, 4, 5, 7, 8]
    assert eeg_null[0].truth["band_effects"] == []
    np.testing.assert_allclose(eeg[1][:, :5000], eeg_null[1][:, :5000])  # calm start: same draws


def test_blocks_are_single_pass(eeg):
    with pytest.raises(RuntimeError, match="single-pass"):
        next(iter(eeg[0]))


@pytest.fixture(scope="module")
def long_raw(tmp_path_factory):
    """A dataset whose sessions (28 s) are longer than a block (10 s): the block path."""
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    cfg = SynthConfig(n_subjects=1, n_trials=3, duration=3.0, rest=5.0, seed=3, block=10.0)
    return synthesize(tmp_path_factory.mktemp("long") / "raw", cfg, progress=False)


def test_generator_block_path_writes_readable_sessions(long_raw):
    from mmme_analysis.io.biopac import find_biopac_events, read_biopac
    from mmme_analysis.io.eeg import find_eeg_events, read_eeg

    truth = json.loads((long_raw / "ground_truth.json").read_text())
    (sub,) = truth["subjects"].values()
    raw = read_eeg(long_raw / sub["name"] / "EEG" / "Acquisition 01.vhdr", preload=True)
    assert raw.n_times == 28_000 and len(raw.ch_names) == 69
    ev = find_eeg_events(raw)
    want = [(m["marker"], round(m["time"] * 1000)) for m in sub["markers_eeg"]]
    assert list(zip(ev["marker"], ev["sample"])) == want
    bio = read_biopac(long_raw / sub["name"] / "PERI" / f"{sub['name']}.mat")
    assert list(find_biopac_events(bio)["marker"]) == [m for m, _ in want]
    # the EEG's EKG is the BIOPAC ECG on the EEG clock
    off, drift = sub["clocks"]["biopac"]["offset_s"], sub["clocks"]["biopac"]["drift_ppm"]
    t = np.arange(raw.n_times) / 1000.0
    ecg = np.interp(off + (1 + drift * 1e-6) * t, bio["time"].values, bio["ECG"].values)
    assert np.corrcoef(ecg, raw.get_data(picks=["EKG"])[0])[0, 1] > 0.99
    assert sub["eeg"]["band_effects"] and sub["peri"]["sfreq"] == 1000.0


def test_generator_block_path_clocks_recovered(long_raw):
    truth = json.loads((long_raw / "ground_truth.json").read_text())
    ds = mm.open_dataset(long_raw)
    (sub,) = truth["subjects"].values()
    fits = ds.alignment(f"{sub['subject']}_{sub['trials'][0]['marker']}")
    for dev in ("biopac", "camera"):
        got, want = fits[dev].summary(), sub["clocks"][dev]
        assert abs(got["offset_s"] - want["offset_s"]) < 1e-3
        assert got["max_abs_residual_s"] < 2e-3
