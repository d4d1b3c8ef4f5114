"""A clip as an array of frames, and the frame nearest to a time."""
from __future__ import annotations

import numpy as np

__all__ = ["as_clip", "frame_index"]


def as_clip(frames) -> np.ndarray:
    """Return a clip of at least two frames as a NumPy array, checked.

    Parameters
    ----------
    frames : array-like or xarray.DataArray, shape (time, y, x) or (time, y, x, rgb)
        Grey or RGB frames (the last axis of an RGB clip has 1 or 3 channels).

    Returns
    -------
    numpy.ndarray
        The frames, same shape and dtype.

    Raises
    ------
    ValueError
        When the shape is not that of a clip or the clip has fewer than 2 frames.
    """
    a = np.asarray(getattr(frames, "values", frames))
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[-1] not in (1, 3)):
        raise ValueError(
            "Invalid value for 'frames': expected an array (time, y, x) or (time, y, x, rgb), "
            f"got shape {a.shape}"
        )
    if a.shape[0] < 2:
        raise ValueError(f"Invalid value for 'frames': expected at least 2 frames, got {a.shape[0]}")
    return a


def frame_index(video, t: float) -> int:
    """Index (along ``time``) of the frame nearest to ``t`` seconds.

    Parameters
    ----------
    video : xarray.DataArray
        Frames ``(time, y, x, rgb)`` with a ``time`` coordinate in seconds (the
        ``/video/frames`` variable of a trial).
    t : float
        Time in seconds on the trial axis.

    Returns
    -------
    int
    """
    times = np.asarray(video["time"].values, dtype=float)
    if not np.isfinite(t):
        raise ValueError(f"Invalid value for 't': expected a finite time in s, got {t!r}")
    if t < times[0] - 1e-9 or t > times[-1] + 1e-9:
        raise ValueError(
            f"Invalid value for 't': expected a time within the video ({times[0]:.3f}-"
            f"{times[-1]:.3f} s), got {t!r}"
        )
    return int(np.argmin(np.abs(times - t)))
