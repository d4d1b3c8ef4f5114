"""Synthetic surface EMG: band-limited background with random muscle bursts (volts)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_positive, check_rng, check_sfreq
from .events import poisson_times
from .waveforms import check_config

__all__ = ["EMGConfig", "simulate_emg"]


@dataclass(frozen=True)
class EMGConfig:
    """Knobs of :func:`simulate_emg`.

    Parameters
    ----------
    noise : float
        Background activity (V sd). Default 3 uV.
    burst_amplitude : float
        Extra activity at the peak of a burst (V sd, Hann envelope). Default 40 uV.
    bursts_per_min : float
        Rate of bursts (per min, Poisson; lengths 0.2-1 s). Default 3.
    """

    noise: float = 3e-6
    burst_amplitude: float = 40e-6
    bursts_per_min: float = 3.0

    def __post_init__(self):
        for name in ("noise", "burst_amplitude", "bursts_per_min"):
            check_positive(name, getattr(self, name), allow_zero=True)


def _carrier(n: int, sfreq: float, rng: np.random.Generator) -> np.ndarray:
    """Unit white noise band-passed to 20-450 Hz (when the sampling rate allows)."""
    from scipy.signal import butter, sosfiltfilt

    white = rng.standard_normal(n)
    hi = min(450.0, 0.45 * sfreq)
    if hi > 25.0:
        sos = butter(4, [20.0, hi], btype="bandpass", fs=sfreq, output="sos")
        white = sosfiltfilt(sos, white)
        white /= white.std() if white.std() > 0 else 1.0
    return white


def simulate_emg(duration: float, sfreq: float, *, rng: np.random.Generator,
                 config: EMGConfig | None = None):
    """Simulate one EMG channel.

    Parameters
    ----------
    duration : float
        Length (s); ``n_samples = round(duration * sfreq)``.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of randomness.
    config : EMGConfig, optional
        Knobs; default ``EMGConfig()``.

    Returns
    -------
    emg : numpy.ndarray, shape (n_samples,)
        EMG in volts.
    bursts : numpy.ndarray, shape (n_bursts, 2)
        Start and stop (s) of each burst, sorted by start.
    """
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    duration = check_positive("duration", duration)
    cfg = check_config(config, EMGConfig)
    n = int(round(duration * sfreq))
    carrier = _carrier(n, sfreq, rng)
    starts = poisson_times(rng, cfg.bursts_per_min / 60.0, duration)
    lengths = rng.uniform(0.2, 1.0, starts.size)
    env = np.full(n, cfg.noise)
    for s, ln in zip(starts, lengths):
        i0, i1 = int(s * sfreq), min(int((s + ln) * sfreq), n)
        env[i0:i1] += cfg.burst_amplitude * np.hanning(max(i1 - i0, 1))[: i1 - i0]
    return env * carrier, np.column_stack([starts, starts + lengths]).reshape(-1, 2)
