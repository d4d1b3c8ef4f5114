"""Tests of the synthetic peripheral physiology (mmme_analysis.synth peri_* modules)."""
import dataclasses

import numpy as np
import pytest
import xarray as xr

from mmme_analysis.synth import (
    PERI_UNITS,
    HeartConfig,
    PeriConfig,
    SKTConfig,
    simulate_peri,
    simulate_rr,
)

SFREQ = 1000.0
APEXES = np.arange(10.0, 110.0, 12.5)  # 8 ME apexes in a 120 s session


@pytest.fixture(scope="module")
def peri():
    return simulate_peri(120.0, SFREQ, rng=np.random.default_rng(7), me_apexes=APEXES)


@pytest.fixture(scope="module")
def peri_null():
    return simulate_peri(120.0, SFREQ, rng=np.random.default_rng(7), me_apexes=APEXES, null=True)


def _hr_slope(rpeaks, times, step=0.25):
    """|dHR/dt| (bpm/s) from R-peak times, on a 4 Hz grid, read at ``times``."""
    hr = 60.0 / np.diff(rpeaks)
    grid = np.arange(rpeaks[1], rpeaks[-1], step)
    h = np.interp(grid, rpeaks[1:], hr)
    d = np.abs(np.gradient(h, step))
    return np.interp(times, grid, d), d


def test_simulate_rr_is_deterministic_sorted_and_in_range():
    a = simulate_rr(60.0, rng=np.random.default_rng(1))
    b = simulate_rr(60.0, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert np.all(np.diff(a) > 0)
    assert a.min() >= 0 and a.max() < 60.0
    hr = 60.0 / np.diff(a)
    assert 65 < hr.mean() < 80
    assert 1.0 < hr.std() < 8.0  # HRV present but physiological
    c = simulate_rr(60.0, rng=np.random.default_rng(1), hr_mean=100.0)
    assert 60.0 / np.diff(c).mean() == pytest.approx(100.0, abs=4.0)


def test_rr_has_respiratory_sinus_arrhythmia():
    rp = simulate_rr(300.0, rng=np.random.default_rng(3), rsa_bpm=4.0, lf_bpm=0.0, hr_sd=0.5)
    grid = np.arange(rp[1], rp[-1], 0.25)
    hr = np.interp(grid, rp[1:], 60.0 / np.diff(rp))
    hr -= hr.mean()
    freqs = np.fft.rfftfreq(grid.size, 0.25)
    power = np.abs(np.fft.rfft(hr)) ** 2
    peak = freqs[np.argmax(power * (freqs > 0.05))]
    assert 0.2 < peak < 0.3


def test_null_differs_only_around_events():
    kw = dict(rng=None, events=[40.0])
    a = simulate_rr(60.0, **{**kw, "rng": np.random.default_rng(5)})
    b = simulate_rr(60.0, **{**kw, "rng": np.random.default_rng(5)}, null=True)
    early_a, early_b = a[a < 35.0], b[b < 35.0]
    np.testing.assert_allclose(early_a, early_b, atol=1e-9)
    # the acceleration adds beats after the apex
    assert (a < 45.0).sum() >= (b < 45.0).sum()


def test_hr_acceleration_at_apexes_vs_null():
    ev = np.arange(15.0, 285.0, 15.0)
    planted = simulate_rr(300.0, rng=np.random.default_rng(11), events=ev)
    null = simulate_rr(300.0, rng=np.random.default_rng(11), events=ev, null=True)
    at_p, all_p = _hr_slope(planted, ev)
    at_n, _ = _hr_slope(null, ev)
    assert at_p.mean() > 1.8 * at_n.mean()
    assert at_p.mean() > 1.5 * np.median(all_p)
    # the rate itself rises by several bpm just after the apex
    def hr_at(rp, t):
        return np.interp(t, rp[1:], 60.0 / np.diff(rp))

    rise = hr_at(planted, ev + 0.5) - hr_at(null, ev + 0.5)
    assert 4.0 < rise.mean() < 10.0


def test_response_size_is_a_knob():
    ev = np.arange(15.0, 285.0, 15.0)
    big = simulate_rr(300.0, rng=np.random.default_rng(11), events=ev, response_bpm=15.0)
    small = simulate_rr(300.0, rng=np.random.default_rng(11), events=ev, response_bpm=2.0)
    assert _hr_slope(big, ev)[0].mean() > _hr_slope(small, ev)[0].mean()


def test_signals_shapes_units_and_ranges(peri):
    signals, truth = peri
    assert isinstance(signals, xr.Dataset)
    assert set(signals.data_vars) == set(PERI_UNITS)
    np.testing.assert_allclose(signals["time"].values, np.arange(120000) / SFREQ)
    assert signals["time"].attrs["units"] == "s" and signals.attrs["sfreq"] == SFREQ
    for key, x in signals.data_vars.items():
        assert x.dims == ("time",) and x.shape == (120000,), key
        assert x.attrs["units"] == PERI_UNITS[key], key
        assert np.all(np.isfinite(x.values)), key
    signals = {k: v.values for k, v in signals.data_vars.items()}
    assert 0.5e-3 < signals["ECG"].max() < 2e-3  # ~1 mV R waves, in volts
    assert 1e-7 < signals["EDA"].min() and signals["EDA"].max() < 1e-4  # siemens
    for k in ("SKT", "SKT_B"):
        assert 32.9 < signals[k].min() and signals[k].max() < 35.1
    assert np.abs(signals["EMG"]).max() < 1e-3
    assert 0.05 < signals["RSP"].std() < 1.0
    assert truth["sfreq"] == SFREQ
    assert isinstance(truth["config"], PeriConfig)


def test_neurokit_finds_the_planted_rpeaks(peri):
    nk = pytest.importorskip("neurokit2")
    signals, truth = peri
    _, info = nk.ecg_peaks(signals["ECG"].values, sampling_rate=int(SFREQ))
    found = np.asarray(info["ECG_R_Peaks"]) / SFREQ
    true = truth["rpeaks"]
    inner = true[(true > 0.3) & (true < signals["ECG"].size / SFREQ - 0.3)]  # NeuroKit2 misses edge beats
    err = np.abs(found[:, None] - true[None, :]).min(axis=1)
    assert err.max() < 0.005
    assert found.size >= inner.size


def test_ppg_pulse_follows_each_beat(peri):
    signals, truth = peri
    ppg = signals["PPG"].values
    lags = []
    for r in truth["rpeaks"][1:-2]:
        i0 = int(r * SFREQ)
        lags.append(np.argmax(ppg[i0 : i0 + 500]) / SFREQ)
    lags = np.array(lags)
    assert np.median(lags) == pytest.approx(truth["config"].ppg.ptt, abs=0.03)
    np.testing.assert_allclose(truth["ppg_peaks"], truth["rpeaks"] + truth["config"].ppg.ptt)


def test_ecg_rate_matches_rr(peri):
    signals, truth = peri
    rp = truth["rpeaks"]
    mid = ((rp[1:-1] + rp[2:]) / 2 * SFREQ).astype(int)
    # held from each beat: the interval that ends at that beat
    np.testing.assert_allclose(signals["ECG_rate"].values[mid], 60.0 / np.diff(rp)[:-1], rtol=1e-9)


def test_scr_follow_mes_and_vanish_when_null(peri, peri_null):
    (sig, truth), (sig0, truth0) = peri, peri_null
    assert truth0["scr_onsets"].size == 0
    onsets = truth["scr_onsets"]
    assert onsets.size == APEXES.size
    lat = onsets - np.sort(APEXES)
    assert np.all((lat >= 1.0) & (lat <= 3.0))
    diff = sig["EDA"].values - sig0["EDA"].values  # same draws: only the ME-locked SCRs differ
    assert np.all(diff >= -1e-15)
    for onset, amp in zip(onsets, truth["scr_amplitudes"]):
        i = int(onset * SFREQ)
        # before the onset only the decaying tail of an earlier SCR (if any) ...
        assert np.all(np.diff(diff[i - 500 : i]) <= 1e-18)
        # ... after it a rise by the planted amplitude
        assert diff[i : i + 6000].max() - diff[i] > 0.85 * amp
    # other signals are identical apart from the HR response
    np.testing.assert_array_equal(sig["SKT"].values, sig0["SKT"].values)


def test_config_is_frozen_and_used():
    cfg = PeriConfig(heart=HeartConfig(hr_mean=90.0), skt=SKTConfig(mean=33.5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.heart = HeartConfig()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.heart.hr_mean = 60.0  # type: ignore[misc]
    s, t = simulate_peri(30.0, 250.0, rng=np.random.default_rng(0), config=cfg)
    assert s["ECG"].shape == (7500,)
    assert 60.0 / np.diff(t["rpeaks"]).mean() == pytest.approx(90.0, abs=5.0)
    assert float(s["SKT"].mean()) == pytest.approx(33.5, abs=0.4)
    assert t["config"] is cfg


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: simulate_peri(10.0, None, rng=np.random.default_rng(0)), TypeError, "'sfreq'"),
        (lambda: simulate_peri(10.0, -5, rng=np.random.default_rng(0)), ValueError, "'sfreq'"),
        (lambda: simulate_peri(10.0, 100.0, rng=0), TypeError, "'rng'"),
        (lambda: simulate_peri(0.0, 100.0, rng=np.random.default_rng(0)), ValueError, "'duration'"),
        (lambda: simulate_peri(10.0, 100.0, rng=np.random.default_rng(0), config={}), TypeError, "'config'"),
        (lambda: simulate_rr(10.0, rng=np.random.default_rng(0), events=[np.nan]), ValueError, "'events'"),
    ],
)
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
