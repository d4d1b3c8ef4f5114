"""Tests of the per-signal peripheral simulators and of the Poisson event helper."""
import numpy as np
import pytest

from mmme_analysis.synth import (
    ECGConfig,
    EDAConfig,
    EMGConfig,
    HeartConfig,
    PeriConfig,
    PPGConfig,
    RSPConfig,
    SKTConfig,
    ecg_rate,
    poisson_times,
    simulate_ecg,
    simulate_eda,
    simulate_emg,
    simulate_ppg,
    simulate_rr,
    simulate_rsp,
    simulate_skt,
)

SFREQ = 500.0
RPEAKS = np.arange(0.5, 29.5, 0.8)  # 75 bpm, regular


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_poisson_times_rate_order_and_no_draw_when_off():
    rng = _rng(1)
    counts, pooled = [], []
    for _ in range(400):
        t = poisson_times(rng, 2.0, 10.0)
        assert np.all(np.diff(t) >= 0) and (t.size == 0 or (t.min() >= 0 and t.max() < 10.0))
        counts.append(t.size)
        pooled.extend(t)
    # Poisson counts (mean = variance = 20; sd of the mean 0.22) and uniform times
    assert np.mean(counts) == pytest.approx(20.0, abs=1.0)
    assert np.var(counts) == pytest.approx(20.0, rel=0.25)
    deciles = np.histogram(pooled, bins=10, range=(0.0, 10.0))[0] / len(pooled)
    np.testing.assert_allclose(deciles, 0.1, atol=0.015)  # ~8000 times: sd per decile 0.0034
    state = rng.bit_generator.state
    assert poisson_times(rng, 0.0, 10.0).size == 0 and poisson_times(rng, 1.0, 0.0).size == 0
    assert rng.bit_generator.state == state  # nothing drawn: switched-off events keep other draws


def test_ecg_has_r_waves_at_the_given_beats():
    ecg = simulate_ecg(RPEAKS, 30.0, SFREQ, rng=_rng())
    assert ecg.shape == (15000,)
    for r in RPEAKS[1:-1]:
        i = int(round(r * SFREQ))
        assert abs(np.argmax(ecg[i - 100 : i + 100]) - 100) <= 1
    assert 0.8e-3 < ecg.max() < 1.2e-3
    again = simulate_ecg(RPEAKS, 30.0, SFREQ, rng=_rng())
    np.testing.assert_array_equal(ecg, again)
    big = simulate_ecg(RPEAKS, 30.0, SFREQ, rng=_rng(), config=ECGConfig(r_amplitude=2e-3))
    assert big.max() == pytest.approx(2 * ecg.max(), rel=0.05)


def test_ppg_pulse_after_each_beat_and_breathing_modulation():
    phase = 2 * np.pi * 0.25 * np.arange(15000) / SFREQ
    ppg = simulate_ppg(RPEAKS, 30.0, SFREQ, rng=_rng(), resp_phase=phase, config=PPGConfig(ptt=0.2))
    lags = [np.argmax(ppg[int(r * SFREQ) : int(r * SFREQ) + 300]) / SFREQ for r in RPEAKS[:-1]]
    assert np.median(lags) == pytest.approx(0.2, abs=0.02)
    flat = simulate_ppg(RPEAKS, 30.0, SFREQ, rng=_rng(), config=PPGConfig(ptt=0.2))
    assert np.abs(ppg - flat).max() > 0.05  # the breathing phase changes the baseline


def test_rsp_follows_the_breathing_phase():
    phase = 2 * np.pi * 0.3 * np.arange(30000) / SFREQ
    rsp = simulate_rsp(phase, SFREQ, rng=_rng(), config=RSPConfig(amplitude=0.5))
    freqs = np.fft.rfftfreq(rsp.size, 1 / SFREQ)
    assert freqs[np.argmax(np.abs(np.fft.rfft(rsp - rsp.mean())))] == pytest.approx(0.3, abs=0.01)
    assert 0.2 < rsp.std() < 1.0


def test_eda_planted_scr_and_spontaneous_rate():
    cfg = EDAConfig(scr_spontaneous_per_min=0.0, drift=0.0, noise=0.0)
    base, spont = simulate_eda(40.0, SFREQ, rng=_rng(), config=cfg)
    eda, _ = simulate_eda(40.0, SFREQ, rng=_rng(), scr_onsets=[10.0], scr_amplitudes=[0.4e-6], config=cfg)
    assert spont.size == 0
    diff = eda - base
    assert np.all(diff[: int(10 * SFREQ)] == 0)
    assert diff.max() == pytest.approx(0.4e-6, rel=1e-3)  # the kernel peaks at the amplitude
    assert 10.0 < np.argmax(diff) / SFREQ < 13.0
    n = [simulate_eda(600.0, 50.0, rng=_rng(s), config=EDAConfig(scr_spontaneous_per_min=2.0))[1].size
         for s in range(10)]
    assert np.mean(n) == pytest.approx(20.0, abs=4.0)


def test_skt_stays_in_its_range():
    cfg = SKTConfig(mean=33.0, drift=2.0, range=(32.0, 34.0))
    skt = simulate_skt(300.0, 10.0, rng=_rng(), config=cfg)
    assert skt.shape == (3000,)
    assert 31.9 < skt.min() and skt.max() < 34.1
    # the drift is stationary around the mean (one 300 s record's own mean wanders with it)
    means = [simulate_skt(300.0, 10.0, rng=_rng(s), config=cfg).mean() for s in range(30)]
    assert np.mean(means) == pytest.approx(33.0, abs=0.25)


def test_emg_bursts_are_sorted_and_raise_the_amplitude():
    emg, bursts = simulate_emg(120.0, 1000.0, rng=_rng(3), config=EMGConfig(bursts_per_min=10.0))
    assert emg.shape == (120000,) and bursts.shape[1] == 2 and bursts.shape[0] >= 5
    assert np.all(np.diff(bursts[:, 0]) >= 0) and np.all(bursts[:, 1] > bursts[:, 0])
    inside = np.zeros(emg.size, bool)
    for a, b in bursts:
        inside[int(a * 1000) : int(b * 1000)] = True
    assert emg[inside].std() > 3 * emg[~inside].std()
    quiet, none = simulate_emg(10.0, 1000.0, rng=_rng(), config=EMGConfig(bursts_per_min=0.0))
    assert none.shape == (0, 2) and quiet.std() == pytest.approx(3e-6, rel=0.2)


def test_ecg_rate_holds_each_interval():
    rate = ecg_rate(RPEAKS, 30.0, SFREQ)
    assert rate.shape == (15000,) and np.allclose(rate, 75.0)
    assert (ecg_rate([1.0], 30.0, SFREQ) == 0).all()


def test_simulate_rr_uses_the_heart_model():
    rp = simulate_rr(120.0, rng=_rng(2), hr_mean=60.0, hr_sd=0.0, rsa_bpm=0.0, lf_bpm=0.0)
    np.testing.assert_allclose(np.diff(rp), 1.0, atol=1e-6)  # no variability: exactly 60 bpm


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: HeartConfig(hr_mean=0.0), ValueError, "'hr_mean'"),
        (lambda: HeartConfig(response_width=0.0), ValueError, "'response_width'"),
        (lambda: ECGConfig(noise=-1.0), ValueError, "'noise'"),
        (lambda: PPGConfig(amplitude=0.0), ValueError, "'amplitude'"),
        (lambda: RSPConfig(resp_freq=0.0), ValueError, "'resp_freq'"),
        (lambda: EDAConfig(scr_decay=0.5), ValueError, "'scr_decay'"),
        (lambda: EDAConfig(scr_latency=(3.0, 1.0)), ValueError, "'scr_latency'"),
        (lambda: SKTConfig(range=(35.0, 33.0)), ValueError, "'range'"),
        (lambda: EMGConfig(bursts_per_min=-1.0), ValueError, "'bursts_per_min'"),
        (lambda: PeriConfig(heart=ECGConfig()), TypeError, "'heart'"),
        (lambda: PeriConfig(eda={}), TypeError, "'eda'"),
    ],
)
def test_config_validation(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: simulate_ecg(RPEAKS, 30.0, SFREQ, rng=_rng(), resp_phase=np.zeros(10)), ValueError, "'resp_phase'"),
        (lambda: simulate_ecg([np.nan], 30.0, SFREQ, rng=_rng()), ValueError, "'rpeaks'"),
        (lambda: simulate_ppg(RPEAKS, 30.0, None, rng=_rng()), TypeError, "'sfreq'"),
        (lambda: simulate_ppg(RPEAKS, 30.0, SFREQ, rng=_rng(), config=ECGConfig()), TypeError, "'config'"),
        (lambda: simulate_rsp(np.zeros(10), SFREQ, rng=0), TypeError, "'rng'"),
        (lambda: simulate_eda(10.0, SFREQ, rng=_rng(), scr_onsets=[1.0], scr_amplitudes=[]), ValueError,
         "'scr_amplitudes'"),
        (lambda: simulate_skt(0.0, SFREQ, rng=_rng()), ValueError, "'duration'"),
        (lambda: simulate_emg(10.0, -1.0, rng=_rng()), ValueError, "'sfreq'"),
    ],
)
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
