"""Building blocks of the synthetic signals: coloured noise, wandering phases, wave trains.

Shared by the peripheral simulators (``peri_*``) and the EEG simulator. All functions
are pure functions of their arguments and of the ``rng`` passed in.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["drift_noise", "DRIFT_SFREQ", "lowpass_noise", "narrowband_phase", "spectral_noise", "place_waves", "check_config"]


def check_config(config, cls):
    """``cls()`` for ``None``, else ``config`` if it is a ``cls`` (TypeError otherwise)."""
    if config is None:
        return cls()
    if not isinstance(config, cls):
        raise TypeError(
            f"Invalid value for 'config': expected an instance of {cls.__name__} or None, got {config!r}"
        )
    return config


#: Rate (Hz) of the grid on which :func:`drift_noise` is drawn (then interpolated).
DRIFT_SFREQ = 10.0


def drift_noise(n: int, sfreq: float, rng: np.random.Generator, tau: float, smooth: float) -> np.ndarray:
    """Stationary slow drift of unit variance whose amplitude is set per unit time, not per call.

    An Ornstein-Uhlenbeck process (a random walk pulled back to 0 with time constant
    ``tau`` s), started from its stationary distribution and smoothed by a Gaussian of SD
    ``smooth`` s (no sub-second roughness), drawn on a :data:`DRIFT_SFREQ` grid and
    linearly interpolated to ``sfreq``. Before smoothing, the change over ``dt`` s has
    variance ``2 * (1 - exp(-dt / tau))``, i.e. ``2 / tau`` per second for ``dt << tau``
    (times the drift's squared SD once scaled); the stationary variance is exactly 1.
    A 40 s trial therefore carries the same drift as any 40 s window of a long recording
    (:func:`lowpass_noise`, scaled to unit SD per call, gave short trials as much drift
    as whole sessions).

    Parameters
    ----------
    n : int
        Samples.
    sfreq : float
        Sampling frequency (Hz) of the output.
    rng : numpy.random.Generator
        Source of randomness.
    tau : float
        Correlation time (s) of the random walk's pull-back.
    smooth : float
        SD (s) of the Gaussian smoothing (0: none).

    Examples
    --------
    >>> x = drift_noise(10_000, 10.0, np.random.default_rng(0), tau=30.0, smooth=2.0)
    >>> bool(0.6 < x.std() < 1.4)
    True
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import lfilter

    dt = 1.0 / DRIFT_SFREQ
    pad = int(np.ceil(4.0 * smooth / dt)) if smooth > 0 else 0
    m = int(np.ceil(n / sfreq / dt)) + 2 + 2 * pad
    a = float(np.exp(-dt / tau))
    b = float(np.sqrt(1.0 - a * a))
    e = rng.standard_normal(m)
    e[0] /= b  # x[0] ~ N(0, 1): the stationary distribution
    x = lfilter([b], [1.0, -a], e)
    if smooth > 0:
        x = gaussian_filter1d(x, smooth / dt, mode="nearest", truncate=4.0)[pad:m - pad]
        k = np.exp(-0.5 * (np.arange(-pad, pad + 1) * dt / smooth) ** 2)
        k /= k.sum()
        lags = np.arange(-2 * pad, 2 * pad + 1)
        var = np.sum(np.correlate(k, k, mode="full") * a ** np.abs(lags))  # variance after smoothing
        x = x / np.sqrt(var)
    t = np.arange(n) / sfreq
    return np.interp(t, np.arange(x.size) * dt, x)


def lowpass_noise(n: int, sfreq: float, rng: np.random.Generator, fmax: float) -> np.ndarray:
    """Unit-variance Gaussian noise band-limited to ``< fmax`` Hz (FFT synthesis).

    Synthesised on a longer (padded) grid and cropped, so that short signals do not
    look periodic (FFT synthesis is circular).
    """
    n_syn = n + min(n, int(np.ceil(2.0 * sfreq / fmax)))
    n_freq = n_syn // 2 + 1
    freqs = np.fft.rfftfreq(n_syn, 1.0 / sfreq)
    spec = rng.standard_normal(n_freq) + 1j * rng.standard_normal(n_freq)
    spec *= np.exp(-0.5 * (freqs / fmax) ** 2)
    spec[0] = 0.0
    x = np.fft.irfft(spec, n=n_syn)[:n]
    x -= x.mean()
    sd = x.std()
    return x / sd if sd > 0 else x


def narrowband_phase(n: int, sfreq: float, rng: np.random.Generator, freq: float, jitter: float) -> np.ndarray:
    """Phase (rad) of an oscillation whose frequency wanders by ~``jitter`` (relative)."""
    inst_freq = freq * (1.0 + jitter * lowpass_noise(n, sfreq, rng, fmax=0.05))
    inst_freq = np.clip(inst_freq, 0.2 * freq, None)
    return rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.cumsum(inst_freq) / sfreq


def spectral_noise(n_ch: int, n: int, sfreq: float, rng: np.random.Generator,
                   shape: Callable[[np.ndarray], np.ndarray], *, block: int = 8,
                   out: np.ndarray | None = None) -> np.ndarray:
    """(n_ch, n) Gaussian noise whose amplitude spectrum is ``shape(freqs)``, unit RMS.

    Drawn in float32 blocks of ``block`` channels (memory), written into ``out`` when given.
    """
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq)
    amp = shape(freqs).astype(np.float32)
    amp[0] = 0.0
    norm = 2.0 * np.sqrt(np.sum(amp.astype(np.float64) ** 2)) / n  # RMS of irfft output
    if out is None:
        out = np.empty((n_ch, n), dtype=np.float64)
    for i0 in range(0, n_ch, block):
        i1 = min(i0 + block, n_ch)
        spec = np.empty((i1 - i0, freqs.size), dtype=np.complex64)
        spec.real = rng.standard_normal((i1 - i0, freqs.size), dtype=np.float32)
        spec.imag = rng.standard_normal((i1 - i0, freqs.size), dtype=np.float32)
        spec *= amp
        out[i0:i1] = np.fft.irfft(spec, n=n, axis=1) / (norm if norm > 0 else 1.0)
    return out


def place_waves(n: int, sfreq: float, centers, amps, widths) -> np.ndarray:
    """Sum of Gaussians (centre s, amplitude, width s) sampled on ``arange(n) / sfreq``."""
    out = np.zeros(n)
    centers = np.asarray(centers, float)
    amps = np.broadcast_to(np.asarray(amps, float), centers.shape)
    widths = np.broadcast_to(np.asarray(widths, float), centers.shape)
    for c, a, w in zip(centers, amps, widths):
        half = int(np.ceil(5 * w * sfreq))
        i0 = max(int(np.floor(c * sfreq)) - half, 0)
        i1 = min(int(np.ceil(c * sfreq)) + half + 1, n)
        if i1 <= i0:
            continue
        tt = np.arange(i0, i1) / sfreq
        out[i0:i1] += a * np.exp(-0.5 * ((tt - c) / w) ** 2)
    return out
