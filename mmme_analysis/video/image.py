"""Pixel conversions shared by face detection and optical flow."""
from __future__ import annotations

import numpy as np

__all__ = ["to_uint8"]


def to_uint8(image) -> np.ndarray:
    """Return an image as uint8 grey levels.

    Parameters
    ----------
    image : array-like
        Any shape. Values in [0, 1] (largest value <= 1) are taken as fractions of full
        scale and multiplied by 255; larger values as grey levels in [0, 255].

    Returns
    -------
    numpy.ndarray, uint8, same shape
        Rounded to the nearest level and clipped to [0, 255].

    Examples
    --------
    >>> import numpy as np
    >>> to_uint8(np.array([0.0, 0.5, 1.0])).tolist()
    [0, 128, 255]
    >>> to_uint8(np.array([-3.0, 12.4, 300.0])).tolist()
    [0, 12, 255]
    """
    a = np.asarray(image, dtype=np.float64)
    if np.nanmax(a) <= 1.0:
        a = a * 255.0
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)
