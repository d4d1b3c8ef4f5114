"""Random event times of the synthetic signals: one Poisson process helper, one check.

Every unannotated event of the generator (eye blinks and head shifts in the video, blinks
and saccades in the EOG, spontaneous skin-conductance responses, EMG bursts) is drawn by
:func:`poisson_times`, so all of them follow the same homogeneous Poisson model.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["poisson_times", "check_times", "edge_times", "EDGE_ZONES"]

#: Default edge zones (s) of :func:`edge_times`: the first 2.5 s and the last 5 s of a trial
#: (where the old feature extraction put no control moment).
EDGE_ZONES = (2.5, 5.0)


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


def edge_times(rng: np.random.Generator, duration: float, n: int, *, where: str = "both", zones=EDGE_ZONES,
               margin: float = 0.3) -> np.ndarray:
    """Sorted times in the edge zones of a trial: the first ``zones[0]`` s or the last ``zones[1]`` s.

    Used to plant MEs at trial edges (``SynthConfig(me_at_edges=...)``, the calibration
    harness): uniform within ``[margin, zones[0]]`` (start) or ``[duration - zones[1],
    duration - margin]`` (end), each time's zone drawn with probability proportional to
    its length when ``where="both"``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    duration : float
        Trial length (s).
    n : int
        Number of times.
    where : str
        ``"start"``, ``"end"`` or ``"both"``.
    zones : tuple of float
        Lengths (s) of the start and end zones.
    margin : float
        Distance (s) kept from the very edges (an expression needs a few frames).

    Examples
    --------
    >>> t = edge_times(np.random.default_rng(0), 40.0, 4)
    >>> bool(np.all((t <= 2.5) | (t >= 35.0)))
    True
    """
    if where not in ("start", "end", "both"):
        raise ValueError(f"Invalid value for 'where': expected 'start', 'end' or 'both', got {where!r}")
    z0, z1 = (float(z) for z in zones)
    if not (z0 > margin and z1 > margin and z0 + z1 <= duration):
        raise ValueError(f"Invalid value for 'zones': expected two lengths > margin ({margin}) adding up to at most "
                         f"the duration ({duration}), got {zones!r}")
    p_start = {"start": 1.0, "end": 0.0, "both": z0 / (z0 + z1)}[where]
    at_start = rng.random(n) < p_start
    t = np.where(at_start, rng.uniform(margin, z0, n), rng.uniform(duration - z1, duration - margin, n))
    return np.sort(t)
