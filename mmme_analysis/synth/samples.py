"""Synthetic recognition samples with known, class-specific AU motions.

Built on :func:`~mmme_analysis.synth.face_render.render_sample` (the astronaut face with planted
AU displacement fields). Each class has its own AU set (:data:`SYNTH_CLASS_AUS`), so a
model that works must separate them, and a shuffled-label control must not. Subjects
differ by face size, brightness, motion amplitude and noise.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_int, check_option
from .face_config import FaceConfig
from .face_render import render_sample

__all__ = ["SYNTH_CLASS_AUS", "synthetic_samples"]

#: AUs planted per class, for the 3-class and 7-class synthetic tasks (prototypical FACS
#: combinations restricted to the AUs the synthetic face can show).
SYNTH_CLASS_AUS: dict[str, dict[str, tuple[str, ...]]] = {
    "3class": {
        "negative": ("AU4", "AU9"),
        "positive": ("AU6", "AU12"),
        "surprise": ("AU1", "AU2"),
    },
    "7class": {
        "happiness": ("AU6", "AU12"),
        "disgust": ("AU9", "AU10"),
        "anger": ("AU4", "AU7"),
        "fear": ("AU1", "AU4", "AU20"),
        "sadness": ("AU1", "AU15"),
        "surprise": ("AU1", "AU2"),
        "tense": ("AU14", "AU17"),
    },
}
_SIZES = ((144, 122), (160, 136), (176, 150))


def synthetic_samples(n_subjects: int = 8, n_per_subject: int = 12, *, task: str = "3class",
                      seed: int = 0, amplitude: tuple[float, float] = (1.0, 2.5),
                      noise_sd: float = 1.5) -> list[dict[str, Any]]:
    """Onset/apex samples of synthetic micro-expressions, balanced over classes.

    Parameters
    ----------
    n_subjects : int
        Number of synthetic subjects (``sub-01`` ...).
    n_per_subject : int
        Samples per subject; classes cycle so each subject has every class when
        ``n_per_subject >= n_classes``.
    task : {"3class", "7class"}
        Class set (:data:`SYNTH_CLASS_AUS`).
    seed : int
        Seed of everything random.
    amplitude : (float, float)
        Range of the apex displacement in pixels.
    noise_sd : float
        Sensor noise in grey levels.

    Returns
    -------
    list of dict
        ``onset``, ``apex`` (uint8 RGB frames), ``subject``, ``label``, ``aus`` (str).
    """
    n_subjects = check_int("n_subjects", n_subjects, min_value=1)
    n_per_subject = check_int("n_per_subject", n_per_subject, min_value=1)
    check_option("task", task, SYNTH_CLASS_AUS)
    classes = list(SYNTH_CLASS_AUS[task])
    rng = np.random.default_rng(seed)
    samples = []
    for s in range(n_subjects):
        h, w = _SIZES[rng.integers(len(_SIZES))]
        config = FaceConfig(height=h, width=w, noise_sd=noise_sd, blink_rate=0.0,
                            head_shift_rate=0.0)
        gain = rng.uniform(0.8, 1.15)
        scale = rng.uniform(0.8, 1.2)
        order = rng.permutation(n_per_subject)
        for j in order:
            label = classes[j % len(classes)]
            aus = SYNTH_CLASS_AUS[task][label]
            n_frames = int(rng.integers(6, 16))
            frames, _ = render_sample(aus, rng=rng, config=config, n_frames=n_frames,
                                      amplitude=scale * rng.uniform(*amplitude))
            onset, apex = (np.clip(frames[i].astype(np.float32) * gain, 0, 255).astype(np.uint8)
                           for i in (0, -1))
            samples.append(dict(onset=onset, apex=apex, subject=f"sub-{s + 1:02d}",
                                label=label, aus=",".join(aus)))
    return samples
