"""Synthetic heart rhythm: heart-rate model, R-peak times and the shared breathing phase.

Heart rate model
----------------
The instantaneous heart rate (bpm) is

``HR(t) = hr_mean + slow(t) + LF(t) + RSA(t) + sum_apex response_bpm * g((t - apex - response_delay) / response_width)``

with ``g(x) = exp(-x**2 / 2)`` (a Gaussian bump of peak ``response_bpm``), ``slow`` a
slow drift of stationary standard deviation ``hr_sd`` (a smoothed random walk with
correlation time ``hr_tau``, :func:`~.waveforms.drift_noise`), ``LF`` a
narrow-band (~0.1 Hz, Mayer wave) oscillation of amplitude ``lf_bpm`` and ``RSA`` the
respiratory sinus arrhythmia, ``rsa_bpm * sin(respiratory phase)`` at ~``resp_freq``.
Beats are placed by integral pulse frequency modulation: the k-th R peak is the time
at which ``phase0 + integral(HR / 60)`` reaches ``k`` (linear interpolation on a
1 kHz grid, so the R-peak times are exact, continuous numbers).

With the defaults (``response_bpm=8``, ``response_delay=0.75`` s, ``response_width=1.0``
s) heart rate rises by 8 bpm, peaking 0.75 s after each ME apex; the HR slope at the
apex is then about ``8 * 0.75 * exp(-0.28) ~= 4.5`` bpm/s against a baseline slope of
``2 * pi * 0.25 * rsa_bpm ~= 3`` bpm/s at most, so ``dHR/dt`` at ME apexes is larger than
at other moments, the effect the CMCL-Net paper reports (p < 0.001; its example trial has
a mean |HR slope| of 3.73). Measured on this model (1-s windows, 40 x 60 s without MEs and
200 isolated MEs): the mean |slope| of a resting heart is 1.9 bpm/s (95th percentile 3.5),
at an isolated apex 4.0 +- 2.1 bpm/s. MEs closer than about 2 s (the generator's 6-s
trials hold up to two, 1 s apart) share one response: there the second apex sits near the
first one's peak, where the slope is small. The bump is kept this smooth so that
NeuroKit2's RR-artifact correction does not take the acceleration for an ectopic beat.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._validate import check_positive, check_rng
from .events import check_times
from .waveforms import drift_noise, narrowband_phase

__all__ = ["HeartConfig", "HeartTrace", "heart_model", "simulate_rr"]

_GRID_SFREQ = 1000.0  # Hz, grid on which HR(t) is integrated into beat times


@dataclass(frozen=True)
class HeartConfig:
    """Heart-rate knobs of :func:`heart_model` (rates in bpm, times in s).

    Parameters
    ----------
    hr_mean : float
        Mean heart rate (bpm). Default 72.
    hr_sd : float
        Stationary standard deviation (bpm) of the slow heart-rate drift. Default 2.
    hr_tau : float
        Correlation time (s) of that drift (a random walk pulled back over ``hr_tau``,
        smoothed over 2 s: variance ``2 * hr_sd**2 / hr_tau`` per second at short lags,
        the same in a short trial as in a long recording). Default 20.
    rsa_bpm : float
        Amplitude (bpm) of respiratory sinus arrhythmia. Default 2.
    lf_bpm : float
        Amplitude (bpm) of the ~0.1 Hz (Mayer wave) oscillation. Default 1.5.
    response_bpm : float
        Peak of the acceleration planted after each ME apex (bpm). Default 8.
    response_delay : float
        Delay of the acceleration's peak after the apex (s). Default 0.75.
    response_width : float
        Standard deviation of the Gaussian acceleration bump (s). Default 1.0.
    """

    hr_mean: float = 72.0
    hr_sd: float = 2.0
    hr_tau: float = 20.0
    rsa_bpm: float = 2.0
    lf_bpm: float = 1.5
    response_bpm: float = 8.0
    response_delay: float = 0.75
    response_width: float = 1.0

    def __post_init__(self):
        check_positive("hr_mean", self.hr_mean)
        for name in ("hr_sd", "rsa_bpm", "lf_bpm", "response_bpm"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("response_width", self.response_width)
        check_positive("hr_tau", self.hr_tau)


class HeartTrace(NamedTuple):
    """Output of :func:`heart_model`: the 1 kHz grid, HR on it, breathing phase, R peaks."""

    time: np.ndarray
    hr: np.ndarray
    resp_phase: np.ndarray
    rpeaks: np.ndarray


def _planted_bumps(hr, t, events, config: HeartConfig, grid_sfreq: float = _GRID_SFREQ):
    """Add the Gaussian acceleration after each event (in place)."""
    half = int(np.ceil(8.0 * config.response_width * grid_sfreq))  # bump is < 1e-13 beyond
    for apex in events:
        c = int(round((apex + config.response_delay) * grid_sfreq))
        i0, i1 = max(c - half, 0), min(c + half + 1, hr.size)
        if i1 <= i0:
            continue
        x = (t[i0:i1] - apex - config.response_delay) / config.response_width
        hr[i0:i1] += config.response_bpm * np.exp(-0.5 * x**2)


def heart_model(duration: float, rng: np.random.Generator, config: HeartConfig, *, resp_freq: float,
                events=(), null: bool = False, grid_sfreq: float = _GRID_SFREQ) -> HeartTrace:
    """Heart rate and R-peak times of one recording (no argument checks: see :func:`simulate_rr`).

    Parameters
    ----------
    duration : float
        Length (s).
    rng : numpy.random.Generator
        Source of randomness.
    config : HeartConfig
        Heart-rate knobs.
    resp_freq : float
        Mean breathing frequency (Hz) of the respiratory phase driving the RSA.
    events : array of float
        ME apex times (s); an acceleration is planted after each unless ``null``.
    null : bool
        Plant nothing (same random draws).
    grid_sfreq : float
        Rate (Hz) of the grid on which HR is integrated; default 1 kHz. Long sessions
        simulated in blocks use a coarser grid (memory); beat times stay continuous.

    Returns
    -------
    HeartTrace
        ``time`` (s, grid on ``[0, duration)``), ``hr`` (bpm) and ``resp_phase``
        (rad) on that grid, ``rpeaks`` (s, within ``[0, duration)``).
    """
    # pad so that the first/last beats are not edge artefacts of the FFT synthesis
    n = int(np.ceil((duration + 4.0) * grid_sfreq))
    t = np.arange(n) / grid_sfreq
    resp_phase = narrowband_phase(n, grid_sfreq, rng, resp_freq, jitter=0.1)
    lf_phase = narrowband_phase(n, grid_sfreq, rng, 0.1, jitter=0.1)
    slow = config.hr_sd * drift_noise(n, grid_sfreq, rng, config.hr_tau, 2.0)
    phase0 = rng.uniform(0.0, 1.0)
    hr = config.hr_mean + slow + config.lf_bpm * np.sin(lf_phase) + config.rsa_bpm * np.sin(resp_phase)
    if not null:
        _planted_bumps(hr, t, events, config, grid_sfreq)
    hr = np.clip(hr, 30.0, 200.0)
    beats_phase = phase0 + np.concatenate([[0.0], np.cumsum(hr[1:] / 60.0) / grid_sfreq])
    ks = np.arange(np.ceil(beats_phase[0]), np.floor(beats_phase[-1]) + 1)
    rpeaks = np.interp(ks, beats_phase, t)
    rpeaks = rpeaks[(rpeaks >= 0.0) & (rpeaks < duration)]
    keep = t < duration
    return HeartTrace(t[keep], hr[keep], resp_phase[keep], rpeaks)


def simulate_rr(
    duration: float,
    *,
    rng: np.random.Generator,
    hr_mean: float = 72.0,
    hr_sd: float = 2.0,
    events: Iterable[float] = (),
    response_bpm: float = 8.0,
    response_delay: float = 0.75,
    response_width: float = 1.0,
    null: bool = False,
    rsa_bpm: float = 2.0,
    lf_bpm: float = 1.5,
    resp_freq: float = 0.25,
) -> np.ndarray:
    """Simulate R-peak times with realistic heart-rate variability.

    Parameters
    ----------
    duration : float
        Length of the recording (s).
    rng : numpy.random.Generator
        Source of randomness.
    hr_mean, hr_sd, response_bpm, response_delay, response_width, rsa_bpm, lf_bpm : float
        As in :class:`HeartConfig`.
    events : sequence of float
        ME apex times (s). A transient heart-rate acceleration is planted after each.
    null : bool
        If True, plant nothing (the random draws are the same, so ``null=True`` and
        ``null=False`` with the same seed differ only by the planted responses).
    resp_freq : float
        Mean respiratory frequency (Hz) driving the RSA. Default 0.25.

    Returns
    -------
    rpeaks : numpy.ndarray of float, shape (n_beats,)
        R-peak times (s), strictly increasing, within ``[0, duration)``.
    """
    rng = check_rng(rng)
    duration = check_positive("duration", duration)
    config = HeartConfig(hr_mean=hr_mean, hr_sd=hr_sd, rsa_bpm=rsa_bpm, lf_bpm=lf_bpm,
                         response_bpm=response_bpm, response_delay=float(response_delay),
                         response_width=response_width)
    resp_freq = check_positive("resp_freq", resp_freq)
    events = check_times("events", events)
    return heart_model(duration, rng, config, resp_freq=resp_freq, events=events, null=bool(null)).rpeaks
