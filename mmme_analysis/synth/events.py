"""Random event times of the synthetic signals: one Poisson process helper, one check.

Every unannotated event of the generator (eye blinks and head shifts in the video, blinks
and saccades in the EOG, spontaneous skin-conductance responses, EMG bursts) is drawn by
:func:`poisson_times`, so all of them follow the same homogeneous Poisson model.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["poisson_times", "check_times"]


def poisson_times(rng: np.random.Generator, rate: float, duration: float) -> np.ndarray:
    """Sorted event times of a homogeneous Poisson process on ``[0, duration)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness: one Poisson draw (the count) then that many uniform draws.
    rate : float
        Mean rate in events per second (Hz). Rates given per minute are divided by 60 by
        the caller.
    duration : float
        Length of the interval in seconds.

    Returns
    -------
    numpy.ndarray of float
        Event times in seconds, sorted. Empty, with nothing drawn from ``rng``, when
        ``rate <= 0`` or ``duration <= 0``.
    """
    if rate <= 0 or duration <= 0:
        return np.zeros(0)
    count = rng.poisson(rate * duration)
    return np.sort(rng.uniform(0.0, duration, count))


def check_times(name: str, times: Iterable[float]) -> np.ndarray:
    """Return ``times`` as a flat float array of finite times in seconds (ValueError otherwise)."""
    try:
        arr = np.asarray(times, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for {name!r}: expected a sequence of times in s, got {times!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Invalid value for {name!r}: expected finite times in s, got {arr!r}")
    return arr
