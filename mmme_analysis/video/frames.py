"""Onset/apex frame selection, apex estimation, and inference on a user's own clip."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validate import check_int, check_option, check_sfreq

__all__ = ["APEX_METHODS", "frame_index", "select_frames", "estimate_apex", "infer_clip"]

#: Canonical ``method=`` spellings of :func:`estimate_apex`.
APEX_METHODS: tuple[str, ...] = ("difference", "flow")


def _frames_array(frames) -> np.ndarray:
    a = np.asarray(getattr(frames, "values", frames))
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[-1] not in (1, 3)):
        raise ValueError(
            "Invalid value for 'frames': expected an array (time, y, x) or (time, y, x, rgb), "
            f"got shape {a.shape}"
        )
    if a.shape[0] < 2:
        raise ValueError(f"Invalid value for 'frames': expected at least 2 frames, got {a.shape[0]}")
    return a


def frame_index(video, t: float) -> int:
    """Index (along ``time``) of the frame nearest to ``t`` seconds.

    Parameters
    ----------
    video : xarray.DataArray
        Frames ``(time, y, x, rgb)`` with a ``time`` coordinate in seconds (the
        ``/video/frames`` variable of a trial).
    t : float
        Time in seconds on the trial axis.
    """
    times = np.asarray(video["time"].values, dtype=float)
    if not np.isfinite(t):
        raise ValueError(f"Invalid value for 't': expected a finite time in s, got {t!r}")
    if t < times[0] - 1e-9 or t > times[-1] + 1e-9:
        raise ValueError(
            f"Invalid value for 't': expected a time within the video ({times[0]:.3f}-"
            f"{times[-1]:.3f} s), got {t!r}"
        )
    return int(np.argmin(np.abs(times - t)))


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
    import cv2

    from ..flow.optical import flow_compute, to_gray

    check_option("method", method, APEX_METHODS)
    a = _frames_array(frames)
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


def infer_clip(frames, onset, apex=None, model=None, *, labels: Sequence[str] | None = None,
               fps: float | None = None, flow_method: str = "tvl1", crop_face: bool = True,
               crop_size: int = 128, face_method: str = "auto", normalize: str = "maxabs",
               device: str = "auto") -> dict:
    """Recognise the expression of a user's own clip, given its onset (and apex).

    Parameters
    ----------
    frames : array-like, shape (time, y, x[, rgb])
        The clip (uint8).
    onset, apex : int or float
        Frame indices, or times in seconds from the first frame when ``fps`` is given.
        ``apex=None`` estimates it (:func:`estimate_apex`, up to 0.5 s after the onset when
        ``fps`` is given, else to the end of the clip).
    model : torch.nn.Module
        A trained model (e.g. from :func:`~mmme_analysis.training.train_model`); its
        ``input_size`` attribute sets the input size (default 28).
    labels : sequence of str, optional
        Class names in logit order (default ``"0", "1", ...``).
    fps : float, optional
        Frame rate (frames/s); when given, ``onset``/``apex`` are seconds.
    flow_method : {"tvl1", "dis", "farneback"}
        Optical flow used for the model input (use the one the model was trained with).
    crop_face : bool
        Detect the face on the onset frame (``face_method``) and crop both frames.
    crop_size : int
        Side of the face crop in pixels.
    face_method : {"auto", "dlib", "cascade", "frame"}
        See :func:`~mmme_analysis.video.face_detect`.
    normalize : str
        See :func:`~mmme_analysis.flow.flow_normalize`.
    device : {"auto", "cpu", "cuda"}

    Returns
    -------
    dict
        ``label`` (str), ``probabilities`` (dict label -> float), ``onset_index``,
        ``apex_index``, ``apex_estimated`` (bool), ``inputs`` (the model input array).
    """
    import torch

    from ..flow.inputs import flow_inputs
    from ..flow.optical import flow_compute
    from ..training.loso import predict
    from .face import face_crop, face_detect

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"Invalid value for 'model': expected a trained torch.nn.Module, got {model!r}")
    a = _frames_array(frames)
    n = a.shape[0]
    if fps is not None:
        fps = check_sfreq(fps, "fps")
        to_index = lambda t, name: check_int(name, int(round(float(t) * fps)), min_value=0)  # noqa: E731
    else:
        to_index = lambda t, name: check_int(name, t, min_value=0)  # noqa: E731
    i_on = to_index(onset, "onset")
    if i_on >= n - 1:
        raise ValueError(f"Invalid value for 'onset': expected a frame before the last ({n - 1}), got {onset!r}")
    if apex is None:
        last = n - 1 if fps is None else min(n - 1, i_on + max(1, int(round(0.5 * fps))))
        i_ap = estimate_apex(a, onset=i_on, offset=last)
    else:
        i_ap = to_index(apex, "apex")
        if not i_on < i_ap < n:
            raise ValueError(
                f"Invalid value for 'apex': expected a frame after the onset ({i_on}) and "
                f"before {n}, got {apex!r}"
            )
    f_on, f_ap = a[i_on], a[i_ap]
    if crop_face:
        face = face_detect(f_on, method=face_method)
        f_on = face_crop(f_on, face, size=crop_size)
        f_ap = face_crop(f_ap, face, size=crop_size)
    size = int(getattr(model, "input_size", 28))
    x = flow_inputs(flow_compute(f_on, f_ap, method=flow_method), size=size, normalize=normalize)
    p = predict(model, x[None], device=device)[0]
    names = [str(c) for c in labels] if labels is not None else [str(i) for i in range(len(p))]
    if len(names) != len(p):
        raise ValueError(f"Invalid value for 'labels': expected {len(p)} class names, got {len(names)}")
    return dict(label=names[int(np.argmax(p))], probabilities=dict(zip(names, map(float, p))),
                onset_index=i_on, apex_index=int(i_ap), apex_estimated=apex is None, inputs=x)
