"""The face region of a long video, tracked: detections every second, smoothed, per frame."""
from __future__ import annotations

import warnings

import cv2
import numpy as np

from .._validate import check_int, check_positive
from .._warnings import MMMEWarning
from .face import Face, face_crop, face_detect

__all__ = ["face_track", "face_crops"]


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
    n_frames = check_int("n_frames", n_frames, min_value=1)
    fps = check_positive("fps", fps)
    step = max(1, int(round(check_positive("every", every) * fps)))
    smooth = check_int("smooth", smooth, min_value=1)
    detect_width = check_int("detect_width", detect_width, min_value=32)
    at = np.unique(np.r_[np.arange(0, n_frames, step), n_frames - 1])
    boxes, missed = [], 0
    for i in at:
        frame = np.asarray(sample(int(i)))
        scale = min(1.0, detect_width / frame.shape[1])
        small = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MMMEWarning)  # summarised once below
            face = face_detect(small, method=method)
        missed += face.method == "frame" and method != "frame"
        boxes.append(np.array(face.box, float) / scale)
    if missed:
        warnings.warn(f"face_track: no face found in {missed} of {len(at)} detections; the whole frame stands for "
                      f"the face there", MMMEWarning, stacklevel=2)
    boxes = np.asarray(boxes)
    if smooth > 1 and len(boxes) > 2:
        half = smooth // 2
        boxes = np.array([np.median(boxes[max(0, k - half):k + half + 1], axis=0) for k in range(len(boxes))])
    idx = np.arange(n_frames)
    out = np.stack([np.interp(idx, at, boxes[:, j]) for j in range(4)], axis=1)
    return np.round(out).astype(np.int32)


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
