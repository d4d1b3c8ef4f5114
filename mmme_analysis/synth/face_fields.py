"""Displacement fields of the synthetic face: the still template, region boxes and AU fields.

Facial movements are smooth, localised displacement fields (one per AU, see
:data:`~.face_geometry.AU_MOTIONS`) in output pixels. Every AU field has compact support
inside the box of its facial region (``"brows"``, ``"eyes"``, ``"nose"``, ``"mouth"``):
outside its support the displacement is exactly zero, so fields are computed and kept on
their region box only (small also at camera resolution).

Any frame size shows the face at that size: the photograph crop (:data:`FACE_CROP`,
widened to the frame's aspect ratio when that differs by more than 5 %) is resized to
the frame, and the fields are evaluated on the output pixel grid, so a larger frame has
a larger face and proportionally larger AU supports.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from .._validate import check_option
from .face_config import FaceConfig
from .face_geometry import AU_MOTIONS, BLINK_COMPONENTS, FACE_CROP, REGION_BOXES_PHOTO, REGIONS

__all__ = ["face_template", "au_displacement"]


#: frames whose aspect ratio is within this fraction of the crop's show the crop as is
_ASPECT_TOL = 0.05
_PHOTO_SIZE = 512  # the astronaut photograph is 512 x 512


@functools.lru_cache(maxsize=16)
def _crop(height: int, width: int) -> tuple:
    """Photograph crop ``(y0, y1, x0, x1)`` shown in a ``height`` x ``width`` frame.

    :data:`FACE_CROP` when the frame's aspect ratio is within 5 % of the crop's (the
    default sizes); otherwise the crop widened (or heightened) around the face to the
    frame's aspect, so that the face keeps its proportions, shifted to stay inside the
    photograph (and at most the whole photograph).
    """
    y0, y1, x0, x1 = FACE_CROP
    ratio = (width / height) / ((x1 - x0) / (y1 - y0))
    if abs(ratio - 1.0) <= _ASPECT_TOL:
        return FACE_CROP

    def grow(lo, hi, size):
        size = min(int(round(size)), _PHOTO_SIZE)
        lo = int(round((lo + hi - size) / 2))
        lo = min(max(lo, 0), _PHOTO_SIZE - size)
        return lo, lo + size

    if ratio > 1:
        return (y0, y1, *grow(x0, x1, (y1 - y0) * width / height))
    return (*grow(y0, y1, (x1 - x0) * height / width), x0, x1)


def _photo_axes(height: int, width: int):
    """Photograph coordinates of the output row and column centres (1-D float64) and (sy, sx)."""
    y0, y1, x0, x1 = _crop(height, width)
    sy, sx = height / (y1 - y0), width / (x1 - x0)
    yp = y0 + (np.arange(height, dtype=np.float64) + 0.5) / sy - 0.5
    xp = x0 + (np.arange(width, dtype=np.float64) + 0.5) / sx - 0.5
    return yp, xp, (sy, sx)


@functools.lru_cache(maxsize=64)
def _region_box(name: str, height: int, width: int) -> tuple:
    """Half-open output pixel box ``(y0, y1, x0, x1)`` of a region (its photograph box)."""
    yp, xp, _ = _photo_axes(height, width)
    y0, y1, x0, x1 = REGION_BOXES_PHOTO[name]
    rows = np.flatnonzero((yp >= y0) & (yp < y1))
    cols = np.flatnonzero((xp >= x0) & (xp < x1))
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


@functools.lru_cache(maxsize=8)
def _template(height: int, width: int):
    from skimage.data import astronaut

    y0, y1, x0, x1 = _crop(height, width)
    crop = np.ascontiguousarray(astronaut()[y0:y1, x0:x1])
    interp = cv2.INTER_AREA if height < (y1 - y0) else cv2.INTER_CUBIC
    img = cv2.resize(crop, (width, height), interpolation=interp)
    img.setflags(write=False)
    regions = {name: _region_box(name, height, width) for name in REGIONS}
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


def _components_field(components, region: str, height: int, width: int) -> np.ndarray:
    """Sum of windowed motions inside the region box, (2, h, w) float64 ``(dy, dx)`` output px.

    Computed on the box only: outside it the field is exactly zero (truncated).
    """
    yp, xp, (sy, sx) = _photo_axes(height, width)
    by0, by1, bx0, bx1 = _region_box(region, height, width)
    yp, xp = np.meshgrid(yp[by0:by1], xp[bx0:bx1], indexing="ij")
    field = np.zeros((2, *yp.shape))
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
    return field


def _unit_field(components, region: str, height: int, width: int):
    """(box, read-only float32 field on the box) of ``components``, largest magnitude 1."""
    field = _components_field(components, region, height, width)
    field = (field / np.hypot(field[0], field[1]).max()).astype(np.float32)
    field.setflags(write=False)
    return _region_box(region, height, width), field


@functools.lru_cache(maxsize=64)
def _au_box_field(au: str, height: int, width: int):
    """(region box, unit field on that box) of one AU: the field is zero outside the box."""
    motion = AU_MOTIONS[au]
    return _unit_field(motion.components, motion.region, height, width)


@functools.lru_cache(maxsize=8)
def _blink_box_field(height: int, width: int):
    return _unit_field(BLINK_COMPONENTS, "eyes", height, width)


def _embed(box, field: np.ndarray, height: int, width: int) -> np.ndarray:
    """A (2, h, w) box field as a full (2, height, width) float32 field (zeros outside)."""
    y0, y1, x0, x1 = box
    full = np.zeros((2, height, width), np.float32)
    full[:, y0:y1, x0:x1] = field
    return full


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
    return _embed(*_au_box_field(au, config.height, config.width), config.height, config.width)

