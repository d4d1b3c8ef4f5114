"""Synthetic cardiac signals driven by R-peak times: ECG, PPG and the ECG-rate trace.

Signals are in SI units: volts (ECG, PPG). ``ecg_rate`` is the derived beat-to-beat
heart rate (bpm) that the BIOPAC export carries as its 17th column.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_positive, check_rng, check_sfreq
from .events import check_times
from .waveforms import check_config, place_waves

__all__ = ["ECGConfig", "PPGConfig", "simulate_ecg", "simulate_ppg", "ecg_rate"]

# PQRST as a sum of Gaussians: (offset from R peak in s, amplitude rel. to R, width s).
# The T wave's offset scales with sqrt(RR) (Bazett). Q and S are symmetric around R so
# that the sampled maximum stays at the R-peak time.
_PQRST = (
    (-0.20, 0.12, 0.025),  # P
    (-0.035, -0.12, 0.008),  # Q
    (0.0, 1.0, 0.009),  # R
    (0.035, -0.12, 0.008),  # S
    (0.30, 0.28, 0.045),  # T (offset scaled by sqrt(RR))
)


@dataclass(frozen=True)
class ECGConfig:
    """Knobs of :func:`simulate_ecg` (volts, Hz).

    Parameters
    ----------
    r_amplitude : float
        R-wave amplitude (V). Default 1 mV.
    noise : float
        White noise (V sd). Default 10 uV.
    line_noise : float
        Mains interference amplitude (V). Default 5 uV.
    wander : float
        Respiratory baseline wander amplitude (V). Default 50 uV.
    line_freq : float
        Mains frequency (Hz). Default 50.
    """

    r_amplitude: float = 1.0e-3
    noise: float = 10e-6
    line_noise: float = 5e-6
    wander: float = 50e-6
    line_freq: float = 50.0

    def __post_init__(self):
        check_positive("r_amplitude", self.r_amplitude)
        for name in ("noise", "line_noise", "wander"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("line_freq", self.line_freq)


@dataclass(frozen=True)
class PPGConfig:
    """Knobs of :func:`simulate_ppg`.

    Parameters
    ----------
    ptt : float
        Pulse transit time (s) from the R peak to the systolic peak. Default 0.25.
    amplitude : float
        Systolic wave amplitude (V). Default 0.5.
    noise : float
        White noise (V sd). Default 5 mV.
    """

    ptt: float = 0.25
    amplitude: float = 0.5
    noise: float = 5e-3

    def __post_init__(self):
        check_positive("ptt", self.ptt, allow_zero=True)
        check_positive("amplitude", self.amplitude)
        check_positive("noise", self.noise, allow_zero=True)


def _check_beats(rpeaks, duration, sfreq, rng, resp_phase):
    """Validated (rpeaks, n_samples, sfreq, rng, resp_phase) of the cardiac simulators."""
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    n = int(round(check_positive("duration", duration) * sfreq))
    rpeaks = check_times("rpeaks", rpeaks)
    if resp_phase is None:
        return rpeaks, n, sfreq, rng, np.zeros(n)
    resp_phase = np.asarray(resp_phase, dtype=float)
    if resp_phase.shape != (n,):
        raise ValueError(
            f"Invalid value for 'resp_phase': expected shape ({n},) (duration * sfreq), got {resp_phase.shape}"
        )
    return rpeaks, n, sfreq, rng, resp_phase


def simulate_ecg(rpeaks, duration: float, sfreq: float, *, rng: np.random.Generator,
                 resp_phase=None, config: ECGConfig | None = None) -> np.ndarray:
    """Simulate an ECG lead with PQRST complexes at given R-peak times.

    Parameters
    ----------
    rpeaks : array of float
        R-peak times (s), e.g. from :func:`~mmme_analysis.synth.peri_heart.simulate_rr`.
    duration : float
        Length (s); ``n_samples = round(duration * sfreq)``.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of randomness (mains phase, noise).
    resp_phase : array of float, shape (n_samples,), optional
        Breathing phase (rad) driving the baseline wander; ``None``: no wander.
    config : ECGConfig, optional
        Knobs; default ``ECGConfig()``.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        ECG in volts. The T wave follows each R peak by ``0.3 * sqrt(RR)`` s (Bazett);
        the interval before the first beat is taken equal to the one after it.
    """
    rpeaks, n, sfreq, rng, resp_phase = _check_beats(rpeaks, duration, sfreq, rng, resp_phase)
    cfg = check_config(config, ECGConfig)
    first_rr = rpeaks[1] - rpeaks[0] if rpeaks.size > 1 else 1.0
    rr = np.diff(rpeaks, prepend=rpeaks[0] - first_rr) if rpeaks.size else rpeaks
    ecg = np.zeros(n)
    for off, amp, width in _PQRST:
        centers = rpeaks + off * np.sqrt(np.clip(rr, 0.3, 2.0)) if off > 0.1 else rpeaks + off
        ecg += place_waves(n, sfreq, centers, amp * cfg.r_amplitude, width)
    t = np.arange(n) / sfreq
    ecg += cfg.wander * np.sin(resp_phase)
    ecg += cfg.line_noise * np.sin(2 * np.pi * cfg.line_freq * t + rng.uniform(0, 2 * np.pi))
    ecg += cfg.noise * rng.standard_normal(n)
    return ecg


def simulate_ppg(rpeaks, duration: float, sfreq: float, *, rng: np.random.Generator,
                 resp_phase=None, config: PPGConfig | None = None) -> np.ndarray:
    """Simulate a finger photoplethysmogram: one pulse ``ptt`` s after each R peak.

    Parameters
    ----------
    rpeaks, duration, sfreq, rng, resp_phase
        As in :func:`simulate_ecg`; the breathing phase modulates pulse size and baseline.
    config : PPGConfig, optional
        Knobs; default ``PPGConfig()``.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        PPG in volts: a systolic wave centred at ``rpeaks + ptt`` and a dicrotic wave
        0.25 s later.
    """
    rpeaks, n, sfreq, rng, resp_phase = _check_beats(rpeaks, duration, sfreq, rng, resp_phase)
    cfg = check_config(config, PPGConfig)
    systolic = rpeaks + cfg.ptt
    ppg = place_waves(n, sfreq, systolic, cfg.amplitude, 0.08)
    ppg += place_waves(n, sfreq, systolic + 0.25, 0.35 * cfg.amplitude, 0.09)  # dicrotic
    ppg *= 1.0 + 0.1 * np.sin(resp_phase)
    ppg += 0.1 * cfg.amplitude * np.sin(resp_phase)
    ppg += cfg.noise * rng.standard_normal(n)
    return ppg


def ecg_rate(rpeaks, duration: float, sfreq: float) -> np.ndarray:
    """Instantaneous HR (bpm) held from each beat to the next, as AcqKnowledge draws it.

    Returns an array of ``round(duration * sfreq)`` samples (zeros with fewer than 2 beats);
    before the second beat it holds the first interval's rate.
    """
    sfreq = check_sfreq(sfreq)
    n = int(round(check_positive("duration", duration) * sfreq))
    rpeaks = check_times("rpeaks", rpeaks)
    if rpeaks.size < 2:
        return np.zeros(n)
    bpm = 60.0 / np.diff(rpeaks)
    idx = np.searchsorted(rpeaks[1:], np.arange(n) / sfreq, side="right") - 1
    return np.where(idx >= 0, bpm[np.clip(idx, 0, None)], bpm[0])
