"""Per-frame regional motion signal of a whole video for ME spotting (MDMD / SoftNet family).

For every frame ``i`` the optical flow from frame ``i - k`` to frame ``i`` is computed on
the grey face crop (:func:`~mmme_analysis.flow.flow_compute`), its median over the face
(the head's translation) is subtracted, and its mean magnitude (pixels) is taken in each
region of interest (:func:`face_rois`): ``m[i, r]``. Frames ``i < k`` have no head frame
and get 0. The spotting signal of :mod:`.baseline` is built from ``m`` by
:func:`feature_difference`.

A video is cut into chunks of consecutive frames; each chunk needs its own frames and the
``k`` frames before it, so chunks are independent tasks (dask, :mod:`.baseline`).
"""
from __future__ import annotations

import cv2
import numpy as np

from .._validate import check_int, check_option
from ..flow.optical import FLOW_METHODS, flow_compute, to_gray
from ..video.face import face_detect, face_regions

__all__ = ["ROI_METHODS", "face_rois", "roi_regions", "gray_frames", "region_motion", "feature_difference",
           "trial_frames"]

#: ``rois=`` spellings of :func:`face_rois`.
ROI_METHODS: tuple[str, ...] = ("regions", "grid")


def trial_frames(tree):
    """The frames of a trial tree to spot on, with their frame rate and node name.

    Prefers the tracked face crops (node ``face``, full frame rate), then the full frames
    (node ``video``); the browsing proxy is never used (it may be sub-sampled).

    Returns
    -------
    frames : xarray.DataArray, dims (time, y, x, rgb) (lazy, dask-backed in stores)
    fps : float
    node : str
    """
    for node in ("face", "video"):
        if node in tree.children and "frames" in tree[node].to_dataset(inherit=False):
            frames = tree[node]["frames"]
            fps = tree[node].attrs.get("fps")
            if fps is None:
                raise ValueError(f"Invalid value for 'tree': expected an 'fps' attr on node {node!r}, got none")
            return frames, float(fps), node
    raise ValueError(
        f"Invalid value for 'tree': expected a 'face' or 'video' node with frames, got nodes "
        f"{sorted(tree.children)!r}"
    )


def face_rois(frame, *, rois: str = "regions", grid: int = 4, cells: tuple = (2, 4),
              face_method: str = "auto") -> dict[str, tuple]:
    """Regions of interest of a face frame, as ``{"<region>/<cell>": (y0, y1, x0, x1)}`` pixel boxes.

    Parameters
    ----------
    frame : array-like, shape (y, x, 3)
        A frame of the video (the first one is used for the whole trial).
    rois : {"regions", "grid"}
        ``"regions"``: the facial regions of :func:`~mmme_analysis.video.face_regions`
        (landmark groups when dlib's landmarks are there, else the template inside the
        detected face box): brows, eyes, nose, mouth, each cut into ``cells`` (rows,
        columns) equal cells, so that a small local motion is not averaged away over a
        whole region. ``"grid"``: a ``grid x grid`` grid of equal cells over the face box
        (region ``"grid"``).
    grid : int
        Cells per side of the ``"grid"`` layout.
    cells : tuple of int
        ``(rows, columns)`` of the cells of each region (``"regions"`` only).
    face_method : str
        Detector of :func:`~mmme_analysis.video.face_detect`; ``"frame"`` takes the whole
        frame as the face (frames that are face crops already).

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.zeros((160, 136, 3), np.uint8)
    >>> boxes = face_rois(frame, face_method="frame", cells=(1, 2))
    >>> sorted(boxes)[:3]
    ['brows/0', 'brows/1', 'eyes/0']
    >>> len(face_rois(frame, rois="grid", grid=3, face_method="frame"))
    9
    """
    check_option("rois", rois, ROI_METHODS)
    grid = check_int("grid", grid, min_value=1)
    if not (isinstance(cells, tuple) and len(cells) == 2):
        raise TypeError(f"Invalid value for 'cells': expected a tuple (rows, columns), got {cells!r}")
    rows, cols = (check_int("cells", c, min_value=1) for c in cells)
    face = face_detect(np.asarray(frame), method=face_method)
    if rois == "grid":
        return _cells({"grid": face.box}, grid, grid)
    return _cells(face_regions(face), rows, cols)


def roi_regions(boxes) -> np.ndarray:
    """Region name of each box of :func:`face_rois` (the part before ``/``)."""
    return np.array([name.split("/")[0] for name in boxes])


def _cells(regions: dict, rows: int, cols: int) -> dict[str, tuple]:
    out = {}
    for name, (y0, y1, x0, x1) in regions.items():
        ys = np.linspace(y0, y1, rows + 1).round().astype(int)
        xs = np.linspace(x0, x1, cols + 1).round().astype(int)
        j = 0
        for r in range(rows):
            for c in range(cols):
                if ys[r + 1] - ys[r] >= 2 and xs[c + 1] - xs[c] >= 2:
                    out[f"{name}/{j}"] = (int(ys[r]), int(ys[r + 1]), int(xs[c]), int(xs[c + 1]))
                    j += 1
    return out


def gray_frames(frames, width: int | None = 128) -> np.ndarray:
    """Grey uint8 frames, resized to ``width`` pixels wide (aspect kept): the input of the flow.

    The frames :func:`region_motion` (and so the baseline spotter) computes its optical
    flow on: grey (:func:`~mmme_analysis.flow.to_gray`), area-averaged when shrunk,
    linearly interpolated when enlarged, at least 8 pixels high.

    Parameters
    ----------
    frames : array-like, shape (n, y, x[, 3])
        Consecutive frames (colour or grey).
    width : int or None
        Width (px) of the result; None keeps the frames' size.

    Returns
    -------
    numpy.ndarray, shape (n, y', x'), uint8

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((3, 96, 64, 3), np.uint8)
    >>> gray_frames(frames, 32).shape
    (3, 48, 32)
    """
    if width is not None:
        width = check_int("width", width, min_value=1)
    grey = [to_gray(f) for f in np.asarray(frames)]
    if width is None or not grey or grey[0].shape[1] == width:
        return np.stack(grey) if grey else np.empty((0, 0, 0), np.uint8)
    h, w = grey[0].shape
    size = (int(width), max(8, int(round(h * width / w))))
    interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
    return np.stack([cv2.resize(g, size, interpolation=interp) for g in grey])


def _scaled_boxes(boxes: dict, scale: float) -> np.ndarray:
    out = np.array([b for b in boxes.values()], float) * scale
    return np.round(out).astype(int)


def region_motion(frames, k: int, boxes: dict, *, method: str = "dis", width: int | None = 128,
                  start: int = 0, **flow_params) -> np.ndarray:
    """Mean flow magnitude per region between frame ``i - k`` and frame ``i``.

    Parameters
    ----------
    frames : array-like, shape (n, y, x[, 3])
        Consecutive frames; the first ``start`` of them only serve as head frames.
    k : int
        Frame distance of the flow (>= 1).
    boxes : dict
        ``{name: (y0, y1, x0, x1)}`` in pixels of ``frames`` (:func:`face_rois`).
    method : {"dis", "farneback", "tvl1"}
        Flow method (:func:`~mmme_analysis.flow.flow_compute`); DIS by default (about a
        millisecond per 128-pixel face; TV-L1 is a thousand times slower).
    width : int or None
        Frames are resized to this width first (boxes scaled with them); None keeps them.
    start : int
        Index in ``frames`` of the first frame whose motion is returned.
    **flow_params
        Passed to :func:`~mmme_analysis.flow.flow_compute` (e.g. ``preset`` for DIS).

    Returns
    -------
    numpy.ndarray, shape (n - start, n_regions), float32
        Pixels (of the resized frames); 0 for frames without a head frame (``i < k``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> frames = np.repeat(rng.integers(0, 255, (1, 64, 64), dtype=np.uint8), 6, axis=0)
    >>> region_motion(frames, 2, {"all": (0, 64, 0, 64)}, width=None).shape
    (6, 1)
    """
    check_option("method", method, FLOW_METHODS)
    k = check_int("k", k, min_value=1)
    if not boxes:
        raise ValueError("Invalid value for 'boxes': expected at least one region, got {}")
    src = np.asarray(frames)
    grey = gray_frames(src, width)
    n = len(grey)
    out = np.zeros((max(n - start, 0), len(boxes)), np.float32)
    if n == 0:
        return out
    scale = grey.shape[2] / src.shape[2]
    b = _scaled_boxes(boxes, scale)
    b[:, [0, 1]] = np.clip(b[:, [0, 1]], 0, grey.shape[1])
    b[:, [2, 3]] = np.clip(b[:, [2, 3]], 0, grey.shape[2])
    b[:, [1, 3]] = np.maximum(b[:, [1, 3]], b[:, [0, 2]] + 1)
    y0, y1, x0, x1 = b.min(0)[0], b.max(0)[1], b.min(0)[2], b.max(0)[3]
    if method == "dis" and "preset" not in flow_params:
        flow_params = {**flow_params, "preset": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST}
    for i in range(max(start, k), n):
        flow = flow_compute(grey[i - k], grey[i], method=method, **flow_params)
        face = flow[y0:y1, x0:x1]
        flow = flow - np.median(face.reshape(-1, 2), axis=0)  # the head's translation
        mag = np.sqrt(flow[..., 0] ** 2 + flow[..., 1] ** 2)
        out[i - start] = [mag[r0:r1, c0:c1].mean() for r0, r1, c0, c1 in b]
    return out


def feature_difference(motion, k: int) -> np.ndarray:
    """Spotting signal of one video from :func:`region_motion`, one value per frame.

    With ``m[i]`` the motion of frame ``i`` against frame ``i - k``, the current frame is
    compared with a head frame ``i - k`` and a tail frame ``i + k`` (MDMD; Wang et al.
    2017): ``s[i] = m[i] + m[i + k]``, large when frame ``i`` differs from both, as at the
    apex of an expression about ``2k`` frames long. The feature difference (Moilanen et
    al. 2014; Li et al. 2018) then removes slow changes, which differ from their
    neighbours as much as from the current frame: ``c[i] = s[i] - (s[i - k] + s[i + k]) / 2``,
    negative values set to 0, for each region apart. Frames whose head or tail frame is
    outside the video get 0.

    Parameters
    ----------
    motion : array-like, shape (n, n_regions)
    k : int

    Returns
    -------
    numpy.ndarray, shape (n, n_regions), float64

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((40, 1)); m[20] = 1.0; m[25] = 1.0   # rise by frame 20, back by 25
    >>> int(np.argmax(feature_difference(m, 5)[:, 0]))
    20
    """
    k = check_int("k", k, min_value=1)
    m = np.asarray(motion, float)
    if m.ndim == 1:
        m = m[:, None]
    if m.ndim != 2:
        raise ValueError(f"Invalid value for 'motion': expected an array (n, n_regions), got shape {m.shape}")
    n = len(m)
    s = np.zeros_like(m)
    if n > k:
        s[:n - k] = m[:n - k] + m[k:]
    s[:k] = 0.0  # no head frame
    c = np.zeros_like(m)
    lo, hi = 2 * k, n - 2 * k  # s[i - k] and s[i + k] both defined
    if hi > lo:
        c[lo:hi] = s[lo:hi] - 0.5 * (s[lo - k:hi - k] + s[lo + k:hi + k])
    return np.clip(c, 0.0, None)
