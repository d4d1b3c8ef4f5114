"""Normalisation and the standard model inputs built from an onset->apex flow field.

Every recognition model of :mod:`mmme_analysis.models` reads a channels-first float32 array
``(channel, y, x)`` built here from the flow ``(u, v)`` (pixels) and its optical strain:

============  =====================  =====================================================
model         input                  source
============  =====================  =====================================================
STSTNet       3 x 28 x 28 (u,v,e)    Liong et al. 2019: horizontal, vertical flow and strain
OFF-ApexNet   3 x 28 x 28 (u,v,e)    Gan et al. 2019 use u and v (two streams); the model
                                     reads channels 0 and 1 and ignores the strain
RCN-A         3 x 60 x 60 (u,v,e)    Xia et al. 2020 feed flow images at a reduced size
                                     (data shrinking); 60 x 60 here
FR            3 x 28 x 28 (u,v,e)    Zhou et al. 2022; the re-implementation here reads the
                                     three maps as one image
============  =====================  =====================================================

(``e`` is the optical strain magnitude, :func:`~mmme_analysis.flow.flow_strain`.)
:data:`MODEL_INPUTS` holds the size per model name.

Processing order in :func:`flow_inputs`: optional removal of global (head) motion by
subtracting the median flow, strain on the full-resolution flow, area resize to
``size x size`` (u and v rescaled to pixels of the resized image), then normalisation
(:func:`flow_normalize`). The strain and the removal of the median run in float32 on the
float32 flow, and the three maps are resized in one call; :func:`compute_flow_features`
normalises a whole chunk of samples at once (the same per-sample arithmetic).
"""
from __future__ import annotations

import cv2
import numpy as np

from .._validate import check_int, check_option
from .strain import _check_flow, _strain_uv

__all__ = ["MODEL_INPUTS", "CHANNELS", "NORMALIZE_METHODS", "flow_inputs", "flow_normalize"]

#: Channel names of every model input, in order.
CHANNELS: tuple[str, ...] = ("u", "v", "strain")
#: Input side length (pixels) per model name.
MODEL_INPUTS: dict[str, int] = {"ststnet": 28, "off_apexnet": 28, "rcn_a": 60, "fr": 28}
#: Canonical ``method=`` spellings of :func:`flow_normalize`.
NORMALIZE_METHODS: tuple[str, ...] = ("maxabs", "minmax", "zscore", "none")


def flow_normalize(x, *, method: str = "maxabs") -> np.ndarray:
    """Normalise a model input ``(3, y, x)`` of u, v, strain, per sample.

    Parameters
    ----------
    x : array-like, shape (3, y, x)
        Channels u, v (pixels) and strain (dimensionless).
    method : {"maxabs", "minmax", "zscore", "none"}
        ``"maxabs"`` (default) divides u and v by the largest flow magnitude of the sample
        and the strain by its maximum, which keeps signs and the u/v ratio (values in
        [-1, 1]; the strain in [0, 1]); ``"minmax"`` maps each channel to [0, 1] (the
        image-style scaling of the original STSTNet code); ``"zscore"`` centres each
        channel and divides by its standard deviation; ``"none"`` returns a copy.

    Returns
    -------
    numpy.ndarray, float32, same shape. Constant channels become zeros (no division by 0).
    """
    check_option("method", method, NORMALIZE_METHODS)
    a = np.array(x, dtype=np.float64)
    if a.ndim != 3 or a.shape[0] != 3:
        raise ValueError(
            f"Invalid value for 'x': expected an array of shape (3, y, x), got shape {a.shape}"
        )
    return _normalize(a, method)


def _normalize(a: np.ndarray, method: str) -> np.ndarray:
    """:func:`flow_normalize` of a float64 ``a`` (..., 3, y, x), each sample on its own.

    Works in place on ``a``; the leading axes are samples (vectorised over a batch).
    """
    eps = 1e-12
    sp = (-2, -1)
    if method == "maxabs":
        mag = np.sqrt(a[..., 0, :, :] ** 2 + a[..., 1, :, :] ** 2).max(axis=sp)[..., None, None, None]
        a[..., :2, :, :] = np.where(mag > eps, a[..., :2, :, :] / np.where(mag > eps, mag, 1.0), 0.0)
        smax = np.abs(a[..., 2, :, :]).max(axis=sp)[..., None, None]
        a[..., 2, :, :] = np.where(smax > eps, a[..., 2, :, :] / np.where(smax > eps, smax, 1.0), 0.0)
    elif method == "minmax":
        lo = a.min(axis=sp, keepdims=True)
        rng = a.max(axis=sp, keepdims=True) - lo
        a = np.where(rng > eps, (a - lo) / np.where(rng > eps, rng, 1.0), 0.0)
    elif method == "zscore":
        mu = a.mean(axis=sp, keepdims=True)
        sd = a.std(axis=sp, keepdims=True)
        a = np.where(sd > eps, (a - mu) / np.where(sd > eps, sd, 1.0), 0.0)
    return a.astype(np.float32)


def flow_inputs(flow, *, size: int = 28, normalize: str = "maxabs",
                subtract_global: bool = True) -> np.ndarray:
    """Build the ``(3, size, size)`` model input (u, v, strain) from one flow field.

    Parameters
    ----------
    flow : array-like, shape (y, x, 2)
        Onset->apex flow ``(u, v)`` in pixels (:func:`~mmme_analysis.flow.flow_compute`).
    size : int
        Output side in pixels: 28 for STSTNet, OFF-ApexNet and FR, 60 for RCN-A
        (:data:`MODEL_INPUTS`).
    normalize : {"maxabs", "minmax", "zscore", "none"}
        See :func:`flow_normalize`.
    subtract_global : bool
        Subtract the median u and v (global head translation) before anything else.

    Returns
    -------
    numpy.ndarray, shape (3, size, size), float32
    """
    size = check_int("size", size, min_value=4)
    check_option("normalize", normalize, NORMALIZE_METHODS)
    x = _resized_maps(flow, size, subtract_global)
    return _normalize(x.astype(np.float64), normalize)


def _resized_maps(flow, size: int, subtract_global: bool) -> np.ndarray:
    """:func:`flow_inputs` before normalisation: float32 (3, size, size) u, v, strain."""
    f = _check_flow(flow, np.float32)
    h, w = f.shape[:2]
    uv = np.moveaxis(f, -1, 0).copy()  # contiguous (u, v) planes, never the caller's array
    if subtract_global:
        uv -= np.median(uv.reshape(2, -1), axis=1)[:, None, None]
    strain = _strain_uv(uv)
    interp = cv2.INTER_AREA if (h >= size and w >= size) else cv2.INTER_LINEAR
    x = cv2.resize(cv2.merge([uv[0], uv[1], strain]), (size, size), interpolation=interp)
    x = x.transpose(2, 0, 1).copy()
    x[0] *= size / w  # u, v in pixels of the resized image
    x[1] *= size / h
    return x
