"""Apex frame estimation from the onset, and onset/apex frame selection in a trial video."""
from __future__ import annotations

import cv2
import numpy as np

from .._validate import check_int, check_option
from ..video.frames import as_clip, frame_index
from .optical import FLOW_METHODS, flow_compute, to_gray

__all__ = ["APEX_METHODS", "estimate_apex", "select_frames"]

#: Canonical ``method=`` spellings of :func:`estimate_apex`.
APEX_METHODS: tuple[str, ...] = ("difference", "flow")


def estimate_apex(frames, *, onset: int = 0, offset: int | None = None,
                  method: str = "difference", flow_method: str = "dis") -> int:
    """Estimate the apex frame of an expression from its onset.

    Parameters
    ----------
    frames : array-like, shape (time, y, x[, rgb])
        The clip (usually a face crop).
    onset : int
        Index of the onset frame.
    offset : int, optional
        Last index searched (default: the last frame).
    method : {"difference", "flow"}
        ``"difference"``: the frame whose mean absolute grey-level difference from the
        onset frame (after a 5x5 Gaussian blur, against sensor noise) is largest.
        ``"flow"``: the frame with the largest mean optical-flow magnitude from the onset
        (``flow_method``; slower, less sensitive to lighting).
    flow_method : {"tvl1", "dis", "farneback"}
        Flow used by ``method="flow"``.

    Returns
    -------
    int
        Index of the apex in ``frames`` (``onset < apex <= offset``).
    """
    check_option("method", method, APEX_METHODS)
    check_option("flow_method", flow_method, FLOW_METHODS)
    a = as_clip(frames)
    onset = check_int("onset", onset, min_value=0)
    last = a.shape[0] - 1 if offset is None else check_int("offset", offset, min_value=0)
    if not onset < last <= a.shape[0] - 1:
        raise ValueError(
            f"Invalid value for 'offset': expected onset < offset <= {a.shape[0] - 1}, got "
            f"onset={onset}, offset={last}"
        )
    ref = to_gray(a[onset])
    scores = []
    for i in range(onset + 1, last + 1):
        g = to_gray(a[i])
        if method == "difference":
            d = cv2.GaussianBlur(cv2.absdiff(g, ref), (5, 5), 0)
            scores.append(float(d.mean()))
        else:
            f = flow_compute(ref, g, method=flow_method)
            scores.append(float(np.hypot(f[..., 0], f[..., 1]).mean()))
    return onset + 1 + int(np.argmax(scores))


def select_frames(video, onset: float, apex: float | None = None, *, offset: float | None = None,
                  method: str = "difference") -> dict:
    """Onset and apex frames of one expression from a trial video.

    Parameters
    ----------
    video : xarray.DataArray
        Frames ``(time, y, x, rgb)`` with ``time`` in seconds.
    onset, apex, offset : float
        Times in seconds on the trial axis. When ``apex`` is None (or equals ``onset``) it
        is estimated between onset and ``offset`` (default: onset + 0.5 s, the ME
        duration limit) with :func:`estimate_apex`.
    method : {"difference", "flow"}
        Apex estimation method.

    Returns
    -------
    dict
        ``onset``, ``apex`` (frames as NumPy arrays), ``onset_index``, ``apex_index``
        (positions along ``time``), ``apex_estimated`` (bool).
    """
    i_on = frame_index(video, onset)
    estimated = apex is None or (np.isfinite(apex) and abs(apex - onset) < 1e-12)
    if not estimated:
        i_ap = frame_index(video, apex)
        if i_ap <= i_on:
            raise ValueError(
                f"Invalid value for 'apex': expected a time after onset ({onset!r} s), got {apex!r}"
            )
    else:
        stop = onset + 0.5 if offset is None or offset <= onset else offset
        times = np.asarray(video["time"].values, dtype=float)
        i_off = int(np.argmin(np.abs(times - min(stop, times[-1]))))
        if i_off <= i_on:
            raise ValueError(
                f"Invalid value for 'onset': expected frames after the onset ({onset!r} s) "
                "to estimate the apex, got none"
            )
        clip = np.asarray(video.isel(time=slice(i_on, i_off + 1)).values)
        i_ap = i_on + estimate_apex(clip, method=method)
    return dict(onset=np.asarray(video.isel(time=i_on).values),
                apex=np.asarray(video.isel(time=i_ap).values),
                onset_index=i_on, apex_index=i_ap, apex_estimated=bool(estimated))
