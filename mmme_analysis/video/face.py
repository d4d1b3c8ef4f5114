"""Face detection, landmarks, facial regions and face crops, with offline models only.

Detectors (``method=``), tried in this order by ``"auto"``:

``"dlib"``
    dlib's built-in HOG + linear-SVM frontal face detector
    (``dlib.get_frontal_face_detector``; no model file). When the package
    ``face_recognition_models`` is installed, its bundled 68-point shape predictor
    (iBUG 300-W layout, ``shape_predictor_68_face_landmarks.dat``) adds landmarks.
    Needs the optional ``dlib-bin`` (or ``dlib``) package.
``"cascade"``
    The LBP frontal-face cascade shipped inside scikit-image
    (``skimage.data.lbp_frontal_face_cascade_filename()``), run by
    :class:`skimage.feature.Cascade`. Always available; no landmarks.
``"frame"``
    No detection: the whole frame is the face. ``"auto"`` falls back to it, with an
    :class:`~mmme_analysis.MMMEWarning`, when no detector finds a face (the right thing
    for frames that are already face crops, as in CASME II / SAMM cropped releases).

Nothing is downloaded at run time (OpenCV 5 no longer ships Haar cascades, and its DNN
face detectors need model files that no PyPI package bundles).

Regions (``"brows"``, ``"eyes"``, ``"nose"``, ``"mouth"``) come from the landmarks when
there are any (68-point groups 17-26, 36-47, 27-35, 48-67, padded) and otherwise from a
template of average face proportions inside the face box (:data:`REGION_TEMPLATE`).
"""
from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from .._validate import check_int, check_option
from .._warnings import MMMEWarning
from .image import to_uint8

__all__ = ["FACE_METHODS", "REGIONS", "REGION_TEMPLATE", "Face", "face_detect", "face_regions",
           "face_crop", "available_face_methods"]

#: Canonical ``method=`` spellings of :func:`face_detect`.
FACE_METHODS: tuple[str, ...] = ("auto", "dlib", "cascade", "frame")
#: Region names.
REGIONS: tuple[str, ...] = ("brows", "eyes", "nose", "mouth")
#: Region boxes as fractions of the face box ``(y0, y1, x0, x1)`` (face box = brows to
#: chin, cheek to cheek, as dlib and the LBP cascade return it).
REGION_TEMPLATE: dict[str, tuple[float, float, float, float]] = {
    "brows": (0.02, 0.28, 0.08, 0.92),
    "eyes": (0.18, 0.42, 0.08, 0.92),
    "nose": (0.30, 0.68, 0.30, 0.70),
    "mouth": (0.62, 0.98, 0.20, 0.80),
}
_LANDMARK_GROUPS = {"brows": range(17, 27), "eyes": range(36, 48), "nose": range(27, 36),
                    "mouth": range(48, 68)}


@dataclass(frozen=True)
class Face:
    """A detected face.

    Attributes
    ----------
    box : tuple of int
        ``(y0, y1, x0, x1)`` half-open pixel box, clipped to the frame.
    landmarks : numpy.ndarray or None
        ``(68, 2)`` float ``(x, y)`` pixel positions (iBUG 300-W order) or None.
    method : str
        Detector that produced it (``"dlib"``, ``"cascade"`` or ``"frame"``).
    frame_shape : tuple of int
        ``(y, x)`` size of the frame it was found in.
    """

    box: tuple
    landmarks: np.ndarray | None
    method: str
    frame_shape: tuple


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _landmark_model() -> str | None:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "models",
                        "shape_predictor_68_face_landmarks.dat")
    return path if os.path.isfile(path) else None


def available_face_methods() -> tuple[str, ...]:
    """Detectors usable here (``"dlib"`` only when dlib is installed)."""
    return tuple(m for m in FACE_METHODS if m != "dlib" or _has("dlib"))


@functools.lru_cache(maxsize=1)
def _dlib_models():
    import dlib

    path = _landmark_model()
    return dlib.get_frontal_face_detector(), (dlib.shape_predictor(path) if path else None)


@functools.lru_cache(maxsize=1)
def _cascade():
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    return Cascade(lbp_frontal_face_cascade_filename())


def _as_rgb_uint8(frame) -> np.ndarray:
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ValueError(
            f"Invalid value for 'frame': expected a (y, x) or (y, x, 3) image, got shape {a.shape}"
        )
    if a.dtype != np.uint8:
        a = to_uint8(a)
    return np.ascontiguousarray(a)


def _clip_box(y0, y1, x0, x1, shape) -> tuple:
    h, w = shape[:2]
    return (int(max(0, y0)), int(min(h, y1)), int(max(0, x0)), int(min(w, x1)))


def _detect_dlib(img: np.ndarray, upsample: int) -> Face | None:
    detector, predictor = _dlib_models()
    rects = detector(img, upsample)
    if len(rects) == 0:
        return None
    r = max(rects, key=lambda r: r.width() * r.height())
    box = _clip_box(r.top(), r.bottom(), r.left(), r.right(), img.shape)
    landmarks = None
    if predictor is not None:
        shape = predictor(img, r)
        landmarks = np.array([(p.x, p.y) for p in shape.parts()], dtype=float)
    return Face(box=box, landmarks=landmarks, method="dlib", frame_shape=img.shape[:2])


def _detect_cascade(img: np.ndarray) -> Face | None:
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    side = min(h, w)
    found = _cascade().detect_multi_scale(
        img=gray, scale_factor=1.2, step_ratio=1,
        min_size=(max(24, side // 8),) * 2, max_size=(side, side),
    )
    if not found:
        return None
    d = max(found, key=lambda d: d["width"] * d["height"])
    box = _clip_box(d["r"], d["r"] + d["height"], d["c"], d["c"] + d["width"], img.shape)
    return Face(box=box, landmarks=None, method="cascade", frame_shape=img.shape[:2])


def face_detect(frame, *, method: str = "auto", upsample: int = 1) -> Face:
    """Find the largest face in a frame.

    Parameters
    ----------
    frame : array-like, shape (y, x, 3) or (y, x)
        uint8 RGB (or grey) frame.
    method : {"auto", "dlib", "cascade", "frame"}
        Detector (see module docstring). ``"auto"`` tries dlib (when installed), then the
        cascade, then falls back to the whole frame with an ``MMMEWarning``. An explicit
        detector that finds no face raises ``ValueError``.
    upsample : int
        Image up-sampling steps of the dlib detector (finds smaller faces, slower).

    Returns
    -------
    Face
    """
    check_option("method", method, FACE_METHODS)
    upsample = check_int("upsample", upsample, min_value=0)
    img = _as_rgb_uint8(frame)
    if method == "frame":
        return Face(box=(0, img.shape[0], 0, img.shape[1]), landmarks=None, method="frame",
                    frame_shape=img.shape[:2])
    if method == "dlib":
        if not _has("dlib"):
            raise ImportError("method='dlib' needs the optional package dlib (pip install dlib-bin)")
        face = _detect_dlib(img, upsample)
    elif method == "cascade":
        face = _detect_cascade(img)
    else:
        face = _detect_dlib(img, upsample) if _has("dlib") else None
        if face is None:
            face = _detect_cascade(img)
        if face is None:
            warnings.warn(
                f"face_detect: no face found in the {img.shape[1]}x{img.shape[0]} frame by "
                f"{', '.join(m for m in available_face_methods() if m not in ('auto', 'frame'))}; "
                "using the whole frame as the face with template regions",
                MMMEWarning, stacklevel=2,
            )
            return face_detect(img, method="frame")
    if face is None:
        raise ValueError(f"face_detect: method={method!r} found no face in the frame of shape {img.shape}")
    return face


def face_regions(face: Face, *, pad: float = 0.15) -> dict[str, tuple]:
    """Boxes of the facial regions (brows, eyes, nose, mouth) in frame pixels.

    Parameters
    ----------
    face : Face
        From :func:`face_detect`.
    pad : float
        Padding added around landmark groups, as a fraction of the group's size.

    Returns
    -------
    dict
        ``{region: (y0, y1, x0, x1)}`` half-open integer pixel boxes, clipped to the frame.
    """
    if not isinstance(face, Face):
        raise TypeError(f"Invalid value for 'face': expected a Face, got {type(face).__name__}")
    out = {}
    if face.landmarks is not None and len(face.landmarks) == 68:
        for name, idx in _LANDMARK_GROUPS.items():
            pts = face.landmarks[list(idx)]
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            py, px = pad * max(y1 - y0, 4), pad * max(x1 - x0, 4)
            out[name] = _clip_box(np.floor(y0 - py), np.ceil(y1 + py) + 1,
                                  np.floor(x0 - px), np.ceil(x1 + px) + 1, face.frame_shape)
        return out
    y0, y1, x0, x1 = face.box
    h, w = y1 - y0, x1 - x0
    for name, (a, b, c, d) in REGION_TEMPLATE.items():
        out[name] = _clip_box(y0 + round(a * h), y0 + round(b * h), x0 + round(c * w),
                              x0 + round(d * w), face.frame_shape)
    return out


def face_crop(frame, face: Face, *, size: int = 128, margin: float = 0.1,
              align: bool = True) -> np.ndarray:
    """Crop (and align) the face of a frame to ``size x size`` pixels.

    The same ``face`` is used for the onset and apex frames of a sample so that the crop
    adds no motion of its own. With landmarks and ``align=True`` the crop is rotated so
    that the eyes are level (similarity transform about the face centre).

    Parameters
    ----------
    frame : array-like, shape (y, x, 3) or (y, x)
        The frame to crop.
    face : Face
        From :func:`face_detect` on (usually) the onset frame.
    size : int
        Output side in pixels.
    margin : float
        Extra border around the face box, as a fraction of its size.
    align : bool
        Level the eyes when landmarks are available.

    Returns
    -------
    numpy.ndarray, shape (size, size[, 3]), same dtype as ``frame``.
    """
    size = check_int("size", size, min_value=8)
    a = np.asarray(frame)
    if a.shape[:2] != tuple(face.frame_shape):
        raise ValueError(
            f"Invalid value for 'frame': expected the shape {tuple(face.frame_shape)} the face "
            f"was detected in, got {a.shape[:2]}"
        )
    y0, y1, x0, x1 = face.box
    cy, cx = (y0 + y1) / 2.0, (x0 + x1) / 2.0
    side = max(y1 - y0, x1 - x0) * (1.0 + 2.0 * margin)
    angle = 0.0
    if align and face.landmarks is not None and len(face.landmarks) == 68:
        left = face.landmarks[36:42].mean(axis=0)
        right = face.landmarks[42:48].mean(axis=0)
        angle = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
    scale = size / side
    M = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    M[0, 2] += size / 2.0 - cx
    M[1, 2] += size / 2.0 - cy
    return cv2.warpAffine(np.ascontiguousarray(a), M, (size, size), flags=cv2.INTER_AREA
                          if scale < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
