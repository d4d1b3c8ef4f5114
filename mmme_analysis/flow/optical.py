"""Dense optical flow between two frames (onset -> apex) with OpenCV.

Methods (one canonical spelling each, ``method=``):

``"tvl1"``
    Dual TV-L1 (Zach, Pock & Bischof 2007; Wedel et al. 2009), the flow used by the
    STSTNet / OFF-ApexNet / RCN-A / FR baselines. ``cv2.optflow.DualTVL1OpticalFlow_create``
    from ``opencv-contrib``. Accurate, slowest.
``"dis"``
    Dense Inverse Search (Kroeger et al. 2016), ``cv2.DISOpticalFlow_create``, preset
    ``MEDIUM``. Fast alternative.
``"farneback"``
    Polynomial expansion (Farnebaeck 2003), ``cv2.calcOpticalFlowFarneback``.

The flow is returned in **pixels** of the input frames as an array ``(y, x, 2)`` of float32
holding ``(u, v)``: ``u`` the horizontal displacement (positive to the right), ``v`` the
vertical displacement (positive downwards, image convention), such that
``frame2[y + v, x + u] ~ frame1[y, x]``.

The TV-L1 and DIS solvers are created once per thread, parameter set and frame size, and
reused for the following pairs of that size (this saves the solver's set-up and buffer
allocation per pair). Their output does not depend on earlier calls on frames of the same
size; after a call on frames of another size, OpenCV's DIS can return a different flow for
small frames (a few dozen pixels), hence one solver per size. Each thread keeps at most a
few of them.
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from .._validate import check_option
from ..video.image import to_uint8

__all__ = ["FLOW_METHODS", "flow_compute", "to_gray"]

#: Canonical ``method=`` spellings.
FLOW_METHODS: tuple[str, ...] = ("tvl1", "dis", "farneback")


def to_gray(frame) -> np.ndarray:
    """Return ``frame`` as a 2-D uint8 grey image.

    Parameters
    ----------
    frame : array-like, shape (y, x) or (y, x, 3)
        uint8 grey or RGB frame, or float in [0, 1] / [0, 255].

    Returns
    -------
    numpy.ndarray, shape (y, x), uint8
    """
    a = np.asarray(frame)
    if a.ndim == 3 and a.shape[-1] == 3:
        if a.dtype != np.uint8:
            a = to_uint8(a)
        return cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(
            f"Invalid value for 'frame': expected a (y, x) or (y, x, 3) image, got shape {a.shape}"
        )
    return a if a.dtype == np.uint8 else to_uint8(a)


def _check_pair(frame1, frame2) -> tuple[np.ndarray, np.ndarray]:
    g1, g2 = to_gray(frame1), to_gray(frame2)
    if g1.shape != g2.shape:
        raise ValueError(
            "Invalid value for 'frame2': expected the shape of 'frame1' "
            f"{g1.shape}, got {g2.shape}"
        )
    if min(g1.shape) < 8:
        raise ValueError(f"Invalid value for 'frame1': expected at least 8x8 pixels, got {g1.shape}")
    return np.ascontiguousarray(g1), np.ascontiguousarray(g2)  # DIS needs contiguous frames


_SOLVERS = threading.local()
_MAX_SOLVERS = 4  # per thread


def _new_solver(method: str, params: dict):
    if method == "tvl1":
        return cv2.optflow.DualTVL1OpticalFlow_create(**params)
    params = dict(params)
    algo = cv2.DISOpticalFlow_create(params.pop("preset", cv2.DISOPTICAL_FLOW_PRESET_MEDIUM))
    for key, value in params.items():
        getattr(algo, "set" + key[0].upper() + key[1:])(value)
    return algo


def _solver(method: str, params: dict, shape: tuple = ()):
    """The calling thread's solver for ``method``, ``params`` and frames of ``shape``.

    Created on first use.
    """
    try:
        key = (method, shape, tuple(sorted(params.items())))
        hash(key)
    except TypeError:  # unhashable parameter values: no reuse
        return _new_solver(method, params)
    cache = getattr(_SOLVERS, "cache", None)
    if cache is None:
        cache = _SOLVERS.cache = {}
    algo = cache.get(key)
    if algo is None:
        algo = _new_solver(method, params)
        if len(cache) >= _MAX_SOLVERS:
            cache.pop(next(iter(cache)))
        cache[key] = algo
    return algo


def flow_compute(frame1, frame2, *, method: str = "tvl1", **params) -> np.ndarray:
    """Dense optical flow from ``frame1`` (onset) to ``frame2`` (apex).

    Parameters
    ----------
    frame1, frame2 : array-like, shape (y, x) or (y, x, 3)
        Frames of the same shape (uint8 RGB or grey).
    method : {"tvl1", "dis", "farneback"}
        Flow algorithm (see module docstring). Default ``"tvl1"``.
    **params
        Passed to the OpenCV constructor / function, e.g. ``preset`` for ``"dis"``
        (``cv2.DISOPTICAL_FLOW_PRESET_*``), ``pyr_scale, levels, winsize, iterations,
        poly_n, poly_sigma`` for ``"farneback"``, or any ``DualTVL1OpticalFlow_create``
        keyword for ``"tvl1"``.

    Returns
    -------
    numpy.ndarray, shape (y, x, 2), float32
        ``(u, v)`` displacement in pixels (see module docstring for the sign convention).
    """
    check_option("method", method, FLOW_METHODS)
    g1, g2 = _check_pair(frame1, frame2)
    if method in ("tvl1", "dis"):
        flow = _solver(method, params, g1.shape).calc(g1, g2, None)
    else:  # farneback
        kw = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=5, poly_n=5,
                  poly_sigma=1.2, flags=0)
        kw.update(params)
        flow = cv2.calcOpticalFlowFarneback(g1, g2, None, **kw)
    return np.ascontiguousarray(flow, dtype=np.float32)
