"""Generator: slow drifts set per unit time (not per call), MEs planted at trial edges."""
import numpy as np
import pytest

from mmme_analysis.synth import SynthConfig
from mmme_analysis.synth.expressions import plan_expressions
from mmme_analysis.synth.peri_slow import SKTConfig, simulate_eda, simulate_skt
from mmme_analysis.synth.waveforms import drift_noise, lowpass_noise

SFREQ = 10.0


def _within_sd(x):
    return float(np.std(x))


@pytest.mark.parametrize("name", ["SKT", "EDA"])
def test_trial_drift_equals_a_window_of_a_long_recording(name):
    """Within-trial SD of a 40 s trial vs a 40 s window of a 400 s recording, 60 seeds each."""
    cfg = SKTConfig(noise=0.0, range=(20.0, 50.0))

    def sim(duration, seed):
        rng = np.random.default_rng(seed)
        if name == "SKT":
            return simulate_skt(duration, SFREQ, rng=rng, config=cfg)
        return simulate_eda(duration, SFREQ, rng=rng)[0]

    n = int(40 * SFREQ)
    short = [_within_sd(sim(40.0, s)) for s in range(60)]
    long_ = [_within_sd(sim(400.0, 1000 + s)[n * 4:n * 5]) for s in range(60)]
    ratio = np.mean(short) / np.mean(long_)
    assert 0.8 < ratio < 1.25, (np.mean(short), np.mean(long_))


def test_old_per_call_scaling_fails_the_same_check():
    """The check above is not vacuous: unit SD per call gives a short trial ~3x the drift."""
    n = int(40 * SFREQ)
    short = [np.std(lowpass_noise(n, SFREQ, np.random.default_rng(s), fmax=0.005)) for s in range(60)]
    long_ = [np.std(lowpass_noise(10 * n, SFREQ, np.random.default_rng(s), fmax=0.005)[n * 4:n * 5])
             for s in range(60)]
    assert np.mean(short) / np.mean(long_) > 2.0


def test_drift_variance_per_second():
    """Changes over dt << tau have variance 2 * dt / tau (before smoothing: smooth=0)."""
    tau, dt = 100.0, 5.0
    x = np.concatenate([drift_noise(20000, SFREQ, np.random.default_rng(s), tau, 0.0) for s in range(5)])
    k = int(dt * SFREQ)
    np.testing.assert_allclose(np.var(x[k:] - x[:-k]), 2 * (1 - np.exp(-dt / tau)), rtol=0.1)
    np.testing.assert_allclose(np.var(x), 1.0, rtol=0.15)


def test_mes_planted_at_trial_edges():
    cfg = SynthConfig(duration=30.0, mes_per_trial=(1, 2), maes_per_trial=(0, 0), me_at_edges=1.0)
    apexes = []
    for seed in range(20):
        evs = plan_expressions(np.random.default_rng(seed), cfg, int(30.0 * cfg.fps), "happy")
        apexes += [e["apex"] for e in evs if e["kind"] == "micro"]
        on = [e["onset"] for e in evs]
        assert on == sorted(on)
    apexes = np.asarray(apexes)
    at_edge = (apexes <= 2.5 + 0.25) | (apexes >= 30.0 - 5.0)
    assert at_edge.mean() > 0.8 and (apexes <= 2.75).any() and (apexes >= 25.0).any()


def test_bad_edge_probability():
    with pytest.raises(ValueError, match="Invalid value for 'me_at_edges'"):
        SynthConfig(me_at_edges=1.5)
