"""Displacement fields of the synthetic face: the still template, region boxes and AU fields.

Facial movements are smooth, localised displacement fields (one per AU, see
:data:`~.face_geometry.AU_MOTIONS`) in output pixels. Every AU field has compact support
inside the box of its facial region (``"brows"``, ``"eyes"``, ``"nose"``, ``"mouth"``):
outside its support the displacement is exactly zero.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from .._validate import check_option
from .face_config import FaceConfig
from .face_geometry import AU_MOTIONS, BLINK_COMPONENTS, FACE_CROP, REGION_BOXES_PHOTO, REGIONS

__all__ = ["face_template", "au_displacement"]


def _photo_coords(height: int, width: int):
    """Photograph coordinates (y, x) of the output pixel centres (float64 grids)."""
    y0, y1, x0, x1 = FACE_CROP
    sy, sx = height / (y1 - y0), width / (x1 - x0)
    yo = np.arange(height, dtype=np.float64)
    xo = np.arange(width, dtype=np.float64)
    yp = y0 + (yo + 0.5) / sy - 0.5
    xp = x0 + (xo + 0.5) / sx - 0.5
    return np.meshgrid(yp, xp, indexing="ij"), (sy, sx)


def _region_mask(name: str, height: int, width: int) -> np.ndarray:
    (yp, xp), _ = _photo_coords(height, width)
    y0, y1, x0, x1 = REGION_BOXES_PHOTO[name]
    return (yp >= y0) & (yp < y1) & (xp >= x0) & (xp < x1)


@functools.lru_cache(maxsize=8)
def _template(height: int, width: int):
    from skimage.data import astronaut

    y0, y1, x0, x1 = FACE_CROP
    crop = np.ascontiguousarray(astronaut()[y0:y1, x0:x1])
    interp = cv2.INTER_AREA if height < (y1 - y0) else cv2.INTER_CUBIC
    img = cv2.resize(crop, (width, height), interpolation=interp)
    img.setflags(write=False)
    regions = {}
    for name in REGIONS:
        rows, cols = np.nonzero(_region_mask(name, height, width))
        regions[name] = (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
    return img, regions


def face_template(config: FaceConfig | None = None):
    """The still face and its region boxes.

    Parameters
    ----------
    config : FaceConfig, optional
        Frame size (``height``, ``width``); default ``FaceConfig()``.

    Returns
    -------
    image : numpy.ndarray
        ``(height, width, 3)`` uint8 RGB face crop of :func:`skimage.data.astronaut`.
    regions : dict
        ``{"brows" | "eyes" | "nose" | "mouth": (y0, y1, x0, x1)}`` half-open pixel boxes
        in the output frame.
    """
    config = FaceConfig() if config is None else config
    img, regions = _template(config.height, config.width)
    return img.copy(), dict(regions)


def _components_field(components, region: str | None, height: int, width: int) -> np.ndarray:
    """Sum of windowed motions, (2, H, W) float64 ``(dy, dx)`` in output pixels (unnormalised)."""
    (yp, xp), (sy, sx) = _photo_coords(height, width)
    field = np.zeros((2, height, width))
    for comp in components:
        (cy, cx), (ry, rx) = comp.center, comp.radii
        uy, ux = (yp - cy) / ry, (xp - cx) / rx
        r2 = uy**2 + ux**2
        w = np.where(r2 < 1.0, (1.0 - r2) ** 2, 0.0)
        if comp.kind == "translate":
            vy, vx = comp.direction[0] * w, comp.direction[1] * w
        elif comp.kind == "converge":
            vy, vx = -uy * w, np.zeros_like(w)
        elif comp.kind == "pinch":
            vy, vx = -uy * w, -ux * w
        else:  # pragma: no cover - AU_MOTIONS is a constant
            raise ValueError(f"unknown component kind {comp.kind!r}")
        field[0] += vy * sy / max(sy, sx)
        field[1] += vx * sx / max(sy, sx)
    if region is not None:  # truncate: exactly zero outside the region box
        field *= _region_mask(region, height, width)
    return field


def _unit_field(components, region: str, height: int, width: int) -> np.ndarray:
    """Read-only float32 field of ``components`` scaled to a largest magnitude of 1."""
    field = _components_field(components, region, height, width)
    field = (field / np.hypot(field[0], field[1]).max()).astype(np.float32)
    field.setflags(write=False)
    return field


@functools.lru_cache(maxsize=64)
def _au_field(au: str, height: int, width: int) -> np.ndarray:
    motion = AU_MOTIONS[au]
    return _unit_field(motion.components, motion.region, height, width)


@functools.lru_cache(maxsize=8)
def _blink_field(height: int, width: int) -> np.ndarray:
    return _unit_field(BLINK_COMPONENTS, "eyes", height, width)


def au_displacement(au: str, config: FaceConfig | None = None) -> np.ndarray:
    """Unit displacement field of one AU.

    Parameters
    ----------
    au : str
        One of :data:`AU_MOTIONS` (``"AU1"`` ... ``"AU20"``).
    config : FaceConfig, optional
        Frame size; default ``FaceConfig()``.

    Returns
    -------
    numpy.ndarray
        ``(2, height, width)`` float32 ``(dy, dx)`` in output pixels, largest magnitude 1,
        exactly zero outside the AU's support (which lies inside its region box).
    """
    config = FaceConfig() if config is None else config
    check_option("au", au, tuple(AU_MOTIONS))
    return _au_field(au, config.height, config.width).copy()

