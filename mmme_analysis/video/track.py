"""The face region of a long video, tracked: detections every second, smoothed, per frame.

:func:`face_track` is the sequential form. Its steps are also public for pipelines that
decode a video once, in segments (``mmme convert``): :func:`track_plan` (the frames to
detect on), :func:`detect_box` (one detection), :func:`track_needs` (the detections the
boxes of a segment depend on) and :func:`track_boxes` (the boxes of a segment). Boxes
computed segment by segment equal those of :func:`face_track`.
"""
from __future__ import annotations

import warnings

import cv2
import numpy as np

from .._validate import check_int, check_positive
from .._warnings import MMMEWarning
from .face import Face, available_face_methods, face_crop, face_detect

__all__ = ["face_track", "face_crops", "track_plan", "track_needs", "detect_box", "track_boxes"]


def track_plan(n_frames: int, fps: float, every: float = 1.0) -> np.ndarray:
    """Frames :func:`face_track` detects on: one every ``every`` seconds, and the last.

    Parameters
    ----------
    n_frames : int
        Frames in the video.
    fps : float
        Frame rate (frames/s).
    every : float
        Seconds between detections.

    Returns
    -------
    numpy.ndarray
        Increasing 0-based frame indices (int64), starting at 0 and ending at ``n_frames - 1``.

    Examples
    --------
    >>> track_plan(400, 150.0)
    array([  0, 150, 300, 399])
    """
    n_frames = check_int("n_frames", n_frames, min_value=1)
    step = max(1, int(round(check_positive("every", every) * check_positive("fps", fps))))
    return np.unique(np.r_[np.arange(0, n_frames, step), n_frames - 1]).astype(np.int64)


def track_needs(at: np.ndarray, start: int, stop: int, smooth: int = 5) -> range:
    """Positions in ``at`` (:func:`track_plan`) whose detections the boxes of frames ``start:stop`` need.

    Examples
    --------
    >>> list(track_needs(track_plan(1500, 150.0), 300, 450))
    [0, 1, 2, 3, 4, 5]
    """
    half = check_int("smooth", smooth, min_value=1) // 2 if len(at) > 2 else 0
    lo = max(0, int(np.searchsorted(at, start, side="right")) - 1)
    hi = min(len(at) - 1, int(np.searchsorted(at, stop - 1, side="left")))
    return range(max(0, lo - half), min(len(at), hi + half + 1))


def detect_box(frame, *, detect_width: int = 640, method: str = "auto") -> tuple[np.ndarray, bool]:
    """One detection of :func:`face_track`: the face box of a frame, found at ``detect_width`` px.

    Returns
    -------
    tuple of (numpy.ndarray, bool)
        ``y0, y1, x0, x1`` (float, source pixels) and whether no face was found (the whole
        frame stands for it; :func:`face_detect`'s ``MMMEWarning`` is not raised: callers
        summarise the misses). Safe to call from several threads at once.
    """
    frame = np.asarray(frame)
    scale = min(1.0, check_int("detect_width", detect_width, min_value=32) / frame.shape[1])
    small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
    face = _detect_quietly(small, method)
    return np.array(face.box, float) / scale, bool(face.method == "frame" and method != "frame")


def _detect_quietly(img: np.ndarray, method: str) -> Face:
    """:func:`face_detect` without its no-face warning. ``warnings.catch_warnings`` is not used: it
    is not thread-safe (threads leaving it out of order leave its filter on for the whole process)."""
    if method != "auto":
        return face_detect(img, method=method)
    for m in available_face_methods():  # "auto"'s order
        if m not in ("auto", "frame"):
            try:
                return face_detect(img, method=m)
            except ValueError:  # no face by this detector
                pass
    return face_detect(img, method="frame")


def track_boxes(detections, at: np.ndarray, start: int, stop: int, *, smooth: int = 5) -> np.ndarray:
    """Face boxes of frames ``start:stop`` from the detections on the frames ``at``.

    Parameters
    ----------
    detections : mapping or sequence
        ``detections[k]`` is the box (``y0, y1, x0, x1``) found on frame ``at[k]``; at least
        the positions ``k`` of :func:`track_needs` are read.
    at : numpy.ndarray
        :func:`track_plan` of the video.
    start, stop : int
        The frames wanted (``0 <= start < stop <= at[-1] + 1``).
    smooth : int
        Detections in the running median.

    Returns
    -------
    numpy.ndarray, shape (stop - start, 4), int32
        Rows ``start:stop`` of :func:`face_track`'s result.
    """
    smooth = check_int("smooth", smooth, min_value=1)
    need = track_needs(at, start, stop, smooth)
    raw = np.array([np.asarray(detections[k], float) for k in need]).reshape(-1, 4)
    half = smooth // 2 if smooth > 1 and len(at) > 2 else 0
    # the running median of the detections at positions lo..hi (windows clipped to 0..len(at) as a whole)
    lo = max(0, int(np.searchsorted(at, start, side="right")) - 1)
    hi = min(len(at) - 1, int(np.searchsorted(at, stop - 1, side="left")))
    sm = np.array([np.median(raw[max(0, k - half) - need.start:min(len(at), k + half + 1) - need.start], axis=0)
                   for k in range(lo, hi + 1)])
    idx = np.arange(start, stop)
    out = np.stack([np.interp(idx, at[lo:hi + 1], sm[:, j]) for j in range(4)], axis=1)
    return np.round(out).astype(np.int32)


def face_track(sample, n_frames: int, fps: float, *, every: float = 1.0, smooth: int = 5,
               detect_width: int = 640, method: str = "auto") -> np.ndarray:
    """Face box of every frame of a video, from detections about once per ``every`` seconds.

    Detections run on frames downscaled to ``detect_width`` pixels (the box is scaled
    back); the box series is median-filtered over ``smooth`` detections (so a missed or
    jittery detection does not move the crop) and interpolated linearly between detections.
    A crop taken with these boxes therefore adds no frame-to-frame motion of its own.

    Parameters
    ----------
    sample : callable
        ``sample(index) -> (y, x, 3) uint8`` frame at a 0-based index.
    n_frames : int
        Frames in the video.
    fps : float
        Frame rate (frames/s), required: detections are placed by time.
    every : float
        Seconds between detections.
    smooth : int
        Detections in the running median (odd numbers centre it).
    detect_width : int
        Width (px) frames are downscaled to before detection.
    method : str
        Detector of :func:`~mmme_analysis.video.face_detect`.

    Returns
    -------
    numpy.ndarray, shape (n_frames, 4), int32
        ``y0, y1, x0, x1`` of the face in source pixels for every frame.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> face = data.astronaut()[:300, 100:400]
    >>> boxes = face_track(lambda i: face, 300, 150.0, method="cascade")
    >>> boxes.shape, bool((boxes == boxes[0]).all())
    ((300, 4), True)
    """
    at = track_plan(n_frames, fps, every)
    check_int("smooth", smooth, min_value=1)
    check_int("detect_width", detect_width, min_value=32)
    found = [detect_box(sample(int(i)), detect_width=detect_width, method=method) for i in at]
    missed = sum(m for _, m in found)
    if missed:
        warnings.warn(f"face_track: no face found in {missed} of {len(at)} detections; the whole frame stands for "
                      f"the face there", MMMEWarning, stacklevel=2)
    return track_boxes([b for b, _ in found], at, 0, int(n_frames), smooth=smooth)


def face_crops(frames: np.ndarray, boxes: np.ndarray, *, size: int = 128, margin: float = 0.1) -> np.ndarray:
    """Crop ``frames`` (n, y, x, 3) to ``size x size`` faces with one box per frame."""
    frames = np.asarray(frames)
    boxes = np.asarray(boxes)
    if len(boxes) != len(frames):
        raise ValueError(f"Invalid value for 'boxes': expected one box per frame ({len(frames)}), got {len(boxes)}")
    out = np.empty((len(frames), size, size, 3), np.uint8)
    for k, (frame, box) in enumerate(zip(frames, boxes)):
        face = Face(box=tuple(int(v) for v in box), landmarks=None, method="track", frame_shape=frame.shape[:2])
        out[k] = face_crop(frame, face, size=size, margin=margin, align=False)
    return out
