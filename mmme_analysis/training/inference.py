"""Inference on a user's own clip with a trained recognition model."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import check_int, check_sfreq, check_type
from ..flow.apex import estimate_apex
from ..flow.batch import sample_features
from ..video.frames import as_clip
from .loso import predict

__all__ = ["infer_clip"]


def infer_clip(frames, onset, apex=None, model=None, *, labels: Sequence[str] | None = None,
               fps: float | None = None, flow_method: str = "tvl1", crop_face: bool = True,
               crop_size: int = 128, face_method: str = "auto", normalize: str = "maxabs",
               device: str = "auto") -> dict:
    """Recognise the expression of a user's own clip, given its onset (and apex).

    The model input is built as for training (:func:`~mmme_analysis.flow.sample_features`:
    face crop, onset->apex flow, u/v/strain maps).

    Parameters
    ----------
    frames : array-like, shape (time, y, x[, rgb])
        The clip (uint8).
    onset, apex : int or float
        Frame indices, or times in seconds from the first frame when ``fps`` is given.
        ``apex=None`` estimates it (:func:`~mmme_analysis.flow.estimate_apex`, up to 0.5 s
        after the onset when ``fps`` is given, else to the end of the clip).
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

    Examples
    --------
    An untrained network on a random clip, to show the shapes:

    >>> import numpy as np
    >>> from mmme_analysis.models import STSTNet
    >>> from mmme_analysis.training import infer_clip
    >>> frames = np.random.default_rng(0).integers(0, 256, (10, 64, 64, 3), dtype=np.uint8)
    >>> out = infer_clip(frames, 2, 6, STSTNet(3), labels=["negative", "positive", "surprise"],
    ...                  flow_method="dis", crop_face=False, device="cpu")
    >>> out["inputs"].shape, out["onset_index"], out["apex_index"], out["apex_estimated"]
    ((3, 28, 28), 2, 6, False)
    >>> sorted(out["probabilities"])
    ['negative', 'positive', 'surprise']
    >>> out["label"] in out["probabilities"]
    True
    """
    import torch

    check_type("model", model, torch.nn.Module, "torch.nn.Module (a trained model)")
    a = as_clip(frames)
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
    size = int(getattr(model, "input_size", 28))
    x = sample_features(dict(onset=a[i_on], apex=a[i_ap]), method=flow_method, size=size,
                        normalize=normalize, crop_face=crop_face, crop_size=crop_size,
                        face_method=face_method)
    p = predict(model, x[None], device=device)[0]
    names = [str(c) for c in labels] if labels is not None else [str(i) for i in range(len(p))]
    if len(names) != len(p):
        raise ValueError(f"Invalid value for 'labels': expected {len(p)} class names, got {len(names)}")
    return dict(label=names[int(np.argmax(p))], probabilities=dict(zip(names, map(float, p))),
                onset_index=i_on, apex_index=int(i_ap), apex_estimated=apex is None, inputs=x)
