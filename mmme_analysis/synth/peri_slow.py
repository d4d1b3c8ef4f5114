"""Synthetic slow peripheral signals: respiration belt (RSP), skin conductance (EDA), skin
temperature (SKT).

Units: volts (RSP), siemens (EDA), degrees Celsius (SKT).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_positive, check_rng, check_sfreq
from .events import check_times, poisson_times
from .waveforms import check_config, drift_noise

#: Smoothing (s, Gaussian SD) and, for RSP, correlation time (s) of the slow drifts (see
#: :func:`~.waveforms.drift_noise`).
DRIFT_SMOOTH = {"EDA": 3.0, "SKT": 5.0, "RSP": 2.0}
RSP_DRIFT_TAU = 20.0

__all__ = ["DRIFT_SMOOTH", "RSPConfig", "EDAConfig", "SKTConfig", "simulate_rsp", "simulate_eda", "simulate_skt",
           "scr_kernel"]


@dataclass(frozen=True)
class RSPConfig:
    """Breathing knobs (the phase also drives RSA, ECG wander and PPG modulation).

    Parameters
    ----------
    resp_freq : float
        Mean breathing frequency (Hz). Default 0.25.
    amplitude : float
        Belt signal amplitude (V). Default 0.3.
    noise : float
        White noise (V sd). Default 5 mV.
    """

    resp_freq: float = 0.25
    amplitude: float = 0.3
    noise: float = 5e-3

    def __post_init__(self):
        check_positive("resp_freq", self.resp_freq)
        check_positive("amplitude", self.amplitude)
        check_positive("noise", self.noise, allow_zero=True)


@dataclass(frozen=True)
class EDAConfig:
    """Knobs of :func:`simulate_eda` (siemens, seconds).

    Parameters
    ----------
    tonic : float
        Tonic skin-conductance level (S). Default 5 uS.
    drift : float
        Stationary SD (S) of the slow drift of the tonic level. Default 0.5 uS.
    drift_tau : float
        Correlation time (s) of the drift (a random walk pulled back over ``drift_tau``:
        its change has variance ``2 * drift**2 / drift_tau`` per second at short lags, the
        same in a short trial as in a long recording). Default 60 s.
    scr_amplitude : float
        Peak amplitude of an ME-locked skin-conductance response (S). Default 0.3 uS.
    scr_latency : tuple of float
        Range (s) of the onset latency of an ME-locked SCR after the apex. Default (1, 3).
    scr_rise, scr_decay : float
        Rise and decay time constants (s) of the bi-exponential SCR. Defaults 0.75, 3.
    scr_spontaneous_per_min : float
        Rate of non-specific SCRs (per min; amplitudes 0.2-0.6 ``scr_amplitude``). Default 1.
    noise : float
        White noise (S sd). Default 5 nS.
    """

    tonic: float = 5e-6
    drift: float = 0.5e-6
    drift_tau: float = 60.0
    scr_amplitude: float = 0.3e-6
    scr_latency: tuple = (1.0, 3.0)
    scr_rise: float = 0.75
    scr_decay: float = 3.0
    scr_spontaneous_per_min: float = 1.0
    noise: float = 5e-9

    def __post_init__(self):
        check_positive("tonic", self.tonic)
        for name in ("drift", "scr_amplitude", "scr_spontaneous_per_min", "noise"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("drift_tau", self.drift_tau)
        check_positive("scr_rise", self.scr_rise)
        check_positive("scr_decay", self.scr_decay)
        if self.scr_decay <= self.scr_rise:
            raise ValueError(f"Invalid value for 'scr_decay': expected > scr_rise ({self.scr_rise!r}), "
                             f"got {self.scr_decay!r}")
        lo, hi = self.scr_latency
        if not 0 <= lo <= hi:
            raise ValueError(f"Invalid value for 'scr_latency': expected (low, high) with 0 <= low <= high, "
                             f"got {self.scr_latency!r}")


@dataclass(frozen=True)
class SKTConfig:
    """Knobs of :func:`simulate_skt` (degrees Celsius).

    Parameters
    ----------
    mean : float
        Mean skin temperature. Default 34.
    drift : float
        Stationary SD of the slow drift. Default 0.3.
    drift_tau : float
        Correlation time (s) of the drift (variance ``2 * drift**2 / drift_tau`` per
        second at short lags, see :class:`EDAConfig`). Default 120 s.
    range : tuple of float
        The drift is clipped to ``(low, high)``. Default (33, 35).
    noise : float
        White noise (sd). Default 0.005.
    """

    mean: float = 34.0
    drift: float = 0.3
    drift_tau: float = 120.0
    range: tuple = (33.0, 35.0)
    noise: float = 0.005

    def __post_init__(self):
        check_positive("drift", self.drift, allow_zero=True)
        check_positive("noise", self.noise, allow_zero=True)
        check_positive("drift_tau", self.drift_tau)
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"Invalid value for 'range': expected (low, high) with low < high, got {self.range!r}")


def _n_samples(duration, sfreq, rng):
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    return int(round(check_positive("duration", duration) * sfreq)), sfreq, rng


def simulate_rsp(resp_phase, sfreq: float, *, rng: np.random.Generator,
                 config: RSPConfig | None = None) -> np.ndarray:
    """Respiration-belt signal following a breathing phase.

    Parameters
    ----------
    resp_phase : array of float, shape (n_samples,)
        Breathing phase (rad) at each sample (e.g. ``heart_model(...).resp_phase``
        interpolated onto the samples), so that breathing and RSA share one rhythm.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of randomness (slow baseline, noise).
    config : RSPConfig, optional
        Knobs; default ``RSPConfig()``.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        RSP in volts, slightly non-sinusoidal (faster inhalation).
    """
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    cfg = check_config(config, RSPConfig)
    phase = np.asarray(resp_phase, dtype=float).ravel()
    rsp = cfg.amplitude * (np.sin(phase) + 0.25 * np.sin(2 * phase - 0.5))
    rsp += 0.2 * cfg.amplitude * drift_noise(phase.size, sfreq, rng, RSP_DRIFT_TAU, DRIFT_SMOOTH["RSP"])
    rsp += cfg.noise * rng.standard_normal(phase.size)
    return rsp


def scr_kernel(t: np.ndarray, rise: float, decay: float) -> np.ndarray:
    """Bi-exponential SCR shape (peak normalised to 1), zero before onset (``t <= 0``)."""
    tc = np.clip(t, 0, None)
    out = np.where(t > 0, np.exp(-tc / decay) - np.exp(-tc / rise), 0.0)
    tpk = np.log(decay / rise) * rise * decay / (decay - rise)
    return out / (np.exp(-tpk / decay) - np.exp(-tpk / rise))


def simulate_eda(duration: float, sfreq: float, *, rng: np.random.Generator, scr_onsets=(),
                 scr_amplitudes=(), config: EDAConfig | None = None):
    """Skin conductance: drifting tonic level, planted and spontaneous SCRs, noise.

    Parameters
    ----------
    duration : float
        Length (s); ``n_samples = round(duration * sfreq)``.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of randomness.
    scr_onsets, scr_amplitudes : array of float
        Onsets (s) and peak amplitudes (S) of the planted SCRs (same length).
    config : EDAConfig, optional
        Knobs; default ``EDAConfig()``.

    Returns
    -------
    eda : numpy.ndarray, shape (n_samples,)
        Skin conductance in siemens.
    spontaneous : numpy.ndarray
        Onsets (s) of the non-specific SCRs that were added.
    """
    n, sfreq, rng = _n_samples(duration, sfreq, rng)
    cfg = check_config(config, EDAConfig)
    onsets, amps = check_times("scr_onsets", scr_onsets), np.asarray(scr_amplitudes, float).ravel()
    if amps.shape != onsets.shape:
        raise ValueError(f"Invalid value for 'scr_amplitudes': expected {onsets.size} amplitudes "
                         f"(one per onset), got {amps.size}")
    tonic = cfg.tonic + cfg.drift * drift_noise(n, sfreq, rng, cfg.drift_tau, DRIFT_SMOOTH["EDA"])
    spont = poisson_times(rng, cfg.scr_spontaneous_per_min / 60.0, duration)
    spont_amp = cfg.scr_amplitude * rng.uniform(0.2, 0.6, spont.size)
    phasic = np.zeros(n)
    t = np.arange(n) / sfreq
    span = int(min(n, np.ceil(10 * cfg.scr_decay * sfreq)))
    for onset, amp in zip(np.concatenate([onsets, spont]), np.concatenate([amps, spont_amp])):
        i0 = int(np.ceil(onset * sfreq))
        if i0 >= n:
            continue
        i1 = min(i0 + span, n)
        # exact sub-sample onset: evaluate the kernel at the true lags
        phasic[i0:i1] += amp * scr_kernel(t[i0:i1] - onset, cfg.scr_rise, cfg.scr_decay)
    eda = np.clip(tonic, 0.5e-6, None) + phasic + cfg.noise * rng.standard_normal(n)
    return eda, spont


def simulate_skt(duration: float, sfreq: float, *, rng: np.random.Generator,
                 config: SKTConfig | None = None) -> np.ndarray:
    """Skin temperature: a slow drift around ``mean`` clipped to ``range``, plus noise.

    Returns
    -------
    numpy.ndarray, shape (round(duration * sfreq),)
        Temperature in degrees Celsius.
    """
    n, sfreq, rng = _n_samples(duration, sfreq, rng)
    cfg = check_config(config, SKTConfig)
    skt = cfg.mean + cfg.drift * drift_noise(n, sfreq, rng, cfg.drift_tau, DRIFT_SMOOTH["SKT"])
    lo, hi = cfg.range
    return np.clip(skt, lo, hi) + cfg.noise * rng.standard_normal(n)
