"""Synthetic multimodal fusion samples (video flow clip, EEG band features, peripheral signals).

:func:`fusion_samples` returns the same ``xarray.Dataset`` layout as the samples built from a
store, so that the fusion validator (:func:`mmme_analysis.training.modality_ablation`) runs
unchanged on both. **The layout** (one row per micro-expression, dim ``sample``):

=================  ===========================================  ====================================
variable           dims                                         content
=================  ===========================================  ====================================
``video``          ``(sample, video_channel, video_time, y, x)``  onset->frame flow clip, float32:
                                                                channels ``u, v`` (px, +x right,
                                                                +y down) and ``strain`` (1); frame
                                                                ``k`` holds the flow from the onset
                                                                frame to frame ``k``, the last frame
                                                                is the apex, so
                                                                ``video.isel(video_time=-1)`` is the
                                                                onset->apex flow map of
                                                                :class:`~mmme_analysis.models.MEsEEG`
``eeg``            ``(sample, eeg_channel, band, eeg_time)``     EEG band feature per channel, band
                                                                and 1-s step, float32 (attr
                                                                ``feature``: ``"log_band_power"``,
                                                                log10 of V^2, or
                                                                ``"differential_entropy"``, nat)
``peri``           ``(sample, peri_channel, peri_time)``         peripheral sequences resampled to
                                                                attr ``sfreq`` (Hz), float32, one
                                                                row per ``peri_channel`` in the
                                                                order ``ppg, rsp, skt, eda, ecg``
                                                                (:data:`mmme_analysis.models.PERI_CHANNELS`)
=================  ===========================================  ====================================

Coordinates: ``sample`` (0 .. n-1), and on ``sample`` the strings ``label``, ``subject``
(pseudonym, one LOSO fold each) and ``trial``; ``video_channel = ["u", "v", "strain"]``,
``video_time`` (s from the ME onset), ``eeg_channel`` (channel names), ``band`` (names) with
``band_low`` / ``band_high`` (Hz) on it, ``eeg_time`` (centre of each 1-s step, s from the ME
onset), ``peri_channel`` (lower-case names), ``peri_time`` (s from the ME onset). Every
variable has a ``units`` attr (one string; ``peri`` lists one unit per channel, comma
separated); the Dataset attrs hold ``window`` (start, stop in s around the onset),
``eeg_step`` (1.0 s), ``source`` (``"synthetic"`` here) and, for synthetic data, the
planted structure (``informative``, ``planted``, ``classes``).
A modality may be missing (e.g. no ``peri`` variable): the validator then refuses only the
modality sets that need it.

The planted structure (classes ``A = "negative"``, ``B = "positive"``, ``C = "surprise"``):

* **video** separates A from B: class B shows mouth-corner motion (up and outward),
  classes A and C the same brow motion (up and inward); C looks like A in video;
* **EEG** separates B from C: class C shows an alpha decrease over the posterior half of the
  channels and a theta increase over the anterior half in the steps after the onset; A looks
  like B in EEG;
* **peripheral** signals separate C from A: class A shows a skin-conductance (EDA) rise and
  a skin-temperature (SKT) drop after the onset; B looks like C.

So each modality alone tells one class from the other two (UF1 ~ 2/3 at best), any two
modalities tell all three apart. A modality left out of ``informative`` draws its pattern
from the same prior (marked with probability 1/3) independently of the label: its
distribution is unchanged but it carries no class information. Subjects differ by
nuisance offsets large enough for LOSO to matter: per-subject motion gain and global (head)
drift in the video, per-channel-and-band offsets of the EEG features, per-channel baseline
and gain of the peripheral signals. Values are synthetic (arbitrary reference levels).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from .._validate import check_int, check_positive

__all__ = ["FUSION_CLASSES", "FUSION_MODALITIES", "FUSION_PERI_CHANNELS", "fusion_samples"]

#: Class names of the synthetic fusion task (A, B, C of the module docstring).
FUSION_CLASSES: tuple[str, str, str] = ("negative", "positive", "surprise")
#: Modality variables of the layout.
FUSION_MODALITIES: tuple[str, ...] = ("video", "eeg", "peri")
#: Peripheral channels, in the order of ``peri_channel``.
FUSION_PERI_CHANNELS: tuple[str, ...] = ("ppg", "rsp", "skt", "eda", "ecg")
_BANDS = {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0)}
# class index marked by each modality (the odd one out of the pair it separates)
_MARKS = {"video": 1, "eeg": 2, "peri": 0}
_PLANTED = ("video separates negative from positive (positive: mouth-corner motion; negative and surprise: brow motion); "
            "eeg separates positive from surprise (surprise: posterior alpha decrease, anterior theta increase after onset); "
            "peri separates surprise from negative (negative: EDA rise, SKT drop after onset)")


def _blob(yy, xx, cy, cx, sd):
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sd ** 2))


def _patterns(size: int) -> np.ndarray:
    """(2, 2, size, size): pattern 0 brow motion, pattern 1 mouth-corner motion (u, v), peak 1 px."""
    g = (np.arange(size) + 0.5) / size
    yy, xx = np.meshgrid(g, g, indexing="ij")
    out = np.zeros((2, 2, size, size))
    for side in (-1.0, 1.0):
        cx = 0.5 + 0.2 * side
        brow = _blob(yy, xx, 0.22, cx, 0.08)
        out[0, 0] += -0.5 * side * brow  # inward
        out[0, 1] += -1.0 * brow         # up
        mouth = _blob(yy, xx, 0.78, cx, 0.08)
        out[1, 0] += 0.7 * side * mouth   # outward
        out[1, 1] += -0.7 * mouth         # up
    return out


def _strain(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    uy, ux = np.gradient(u, axis=(-2, -1))
    vy, vx = np.gradient(v, axis=(-2, -1))
    return np.sqrt(ux ** 2 + vy ** 2 + 0.5 * (uy + vx) ** 2)


def _codes(labels: np.ndarray, informative: Sequence[str], rng) -> dict[str, np.ndarray]:
    out = {}
    for m, mark in _MARKS.items():
        if m in informative:
            out[m] = labels == mark
        else:
            out[m] = rng.random(len(labels)) < 1 / 3
    return out


def fusion_samples(n_subjects: int, n_per_class: int, *, informative: Sequence[str] = FUSION_MODALITIES,
                   seed: int = 0, n_eeg_channels: int = 8, size: int = 28, n_frames: int = 8,
                   window: tuple[float, float] = (-2.0, 2.0), peri_sfreq: float = 16.0,
                   effect: float = 1.5, nuisance: float = 1.0) -> xr.Dataset:
    """Synthetic fusion samples with complementary (or video-only) class information.

    Parameters
    ----------
    n_subjects : int
        Number of subjects (``sub-01`` ...), >= 1.
    n_per_class : int
        Samples per class and subject (every subject has every class).
    informative : sequence of {"video", "eeg", "peri"}
        Modalities that carry class information (module docstring); default all three
        (complementary); ``("video",)`` for video-only; ``()`` for none.
    seed : int
        Seed of everything random.
    n_eeg_channels : int
        EEG channels (named ``E01`` ...; the first half anterior, the second posterior).
    size : int
        Side of the flow maps (px).
    n_frames : int
        Frames of the onset->apex clip (>= 1; the last is the apex).
    window : (float, float)
        EEG / peripheral window around the ME onset (s); its length must be a whole number of
        1-s steps.
    peri_sfreq : float
        Rate of the peripheral sequences (Hz).
    effect : float
        Scale of the planted class patterns (1: the sizes written in the code: brow / mouth
        flow peaks of 1 / 0.7 px, EEG shifts of 0.8 log10 units, EDA rise 1, SKT drop 0.8).
        Default 1.5: with ``benchmarks/bench_fusion.py`` (fast mode, 6 subjects x 4 per
        class, 3 seeds) the MEs-EEG fusion gain over the best single modality was 0.099 UF1
        at 1.0 (and fusion on video-only data 0.069 below video) against 0.189 (and 0.010
        below) at 1.5.
    nuisance : float
        Scale of the subject offsets and of the noise (0: none).

    Returns
    -------
    xarray.Dataset
        The layout of the module docstring.

    Examples
    --------
    >>> from mmme_analysis.synth import fusion_samples
    >>> ds = fusion_samples(3, 2, seed=1)
    >>> dict(ds.sizes)["sample"], ds["video"].dims
    (18, ('sample', 'video_channel', 'video_time', 'y', 'x'))
    >>> ds["eeg"].shape, ds["peri"].shape  # 8 channels, 5 bands, 4 steps; 5 channels, 4 s at 16 Hz
    ((18, 8, 5, 4), (18, 5, 64))
    >>> sorted(set(ds["label"].values)), ds.attrs["informative"]
    (['negative', 'positive', 'surprise'], 'video,eeg,peri')
    """
    n_subjects = check_int("n_subjects", n_subjects, min_value=1)
    n_per_class = check_int("n_per_class", n_per_class, min_value=1)
    seed = check_int("seed", seed, min_value=0)
    n_eeg_channels = check_int("n_eeg_channels", n_eeg_channels, min_value=2)
    size = check_int("size", size, min_value=4)
    n_frames = check_int("n_frames", n_frames, min_value=1)
    peri_sfreq = check_positive("peri_sfreq", peri_sfreq)
    effect = check_positive("effect", effect, allow_zero=True)
    nuisance = check_positive("nuisance", nuisance, allow_zero=True)
    if isinstance(informative, str):
        informative = (informative,)
    informative = tuple(informative)
    bad = [m for m in informative if m not in FUSION_MODALITIES]
    if bad or len(set(informative)) != len(informative):
        raise ValueError(f"Invalid value for 'informative': expected distinct names among {FUSION_MODALITIES!r}, got {informative!r}")
    t0, t1 = (float(w) for w in window)
    n_steps = round(t1 - t0)
    if not t1 > t0 or abs((t1 - t0) - n_steps) > 1e-9:
        raise ValueError(f"Invalid value for 'window': expected (start, stop) s spanning a whole number of 1-s steps, got {window!r}")
    rng = np.random.default_rng(seed)
    n = n_subjects * n_per_class * len(FUSION_CLASSES)
    subj_idx = np.repeat(np.arange(n_subjects), n_per_class * len(FUSION_CLASSES))
    labels = np.tile(np.repeat(np.arange(len(FUSION_CLASSES)), n_per_class), n_subjects)
    codes = _codes(labels, informative, rng)

    # video: ramped pattern onset -> apex, subject gain and head drift, noise
    pat = _patterns(size)
    ramp = np.linspace(1.0 / n_frames, 1.0, n_frames)
    gain = 1.0 + nuisance * rng.uniform(-0.3, 0.3, n_subjects)
    drift = nuisance * rng.normal(0.0, 0.3, (n_subjects, 2))
    amp = effect * gain[subj_idx] * rng.uniform(0.7, 1.3, n)
    uv = pat[codes["video"].astype(int)] * amp[:, None, None, None]  # (n, 2, s, s)
    uv = uv + drift[subj_idx][:, :, None, None]
    uv = uv[:, :, None] * ramp[None, None, :, None, None]  # (n, 2, T, s, s)
    uv = uv + nuisance * rng.normal(0.0, 0.15, uv.shape)
    video = np.concatenate([uv, _strain(uv[:, 0], uv[:, 1])[:, None]], axis=1).astype(np.float32)
    video_time = np.linspace(0.04, 0.04 * n_frames, n_frames)  # onset -> apex at ~ 40 ms per frame

    # EEG: log10 band power (V^2) per channel, band and 1-s step
    band_names = list(_BANDS)
    eeg_time = t0 + 0.5 + np.arange(n_steps)
    base = -11.5 - 0.4 * np.arange(len(band_names))  # 1/f-like levels
    eeg = np.broadcast_to(base[None, None, :, None], (n, n_eeg_channels, len(band_names), n_steps)).copy()
    eeg += nuisance * rng.normal(0.0, 0.4, (n_subjects, n_eeg_channels, len(band_names), 1))[subj_idx]
    eeg += nuisance * rng.normal(0.0, 0.3, eeg.shape)
    half = n_eeg_channels // 2
    after = (eeg_time > 0).astype(float)
    mark = (effect * codes["eeg"])[:, None, None] * after  # (n, 1, step)
    eeg[:, half:, band_names.index("alpha"), :] -= 0.8 * mark
    eeg[:, :half, band_names.index("theta"), :] += 0.8 * mark
    eeg = eeg.astype(np.float32)

    # peripheral sequences
    n_t = round((t1 - t0) * peri_sfreq)
    peri_time = t0 + np.arange(n_t) / peri_sfreq
    tt = peri_time[None, :]
    hr = rng.uniform(1.0, 1.4, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 3))
    rise = 1.0 / (1.0 + np.exp(-(tt - 1.0) / 0.3))  # sigmoid, half way 1 s after onset
    pm = (effect * codes["peri"])[:, None]
    peri = np.stack([
        np.sin(2 * np.pi * hr * tt + phase[:, :1]),                      # ppg
        np.sin(2 * np.pi * 0.25 * tt + phase[:, 1:2]),                   # rsp
        -0.8 * pm * rise,                                                # skt
        1.0 * pm * rise,                                                 # eda
        np.sin(2 * np.pi * hr * tt + phase[:, 2:3]) ** 15,              # ecg (R-peak like)
    ], axis=1)
    offset = nuisance * rng.normal(0.0, 0.5, (n_subjects, len(FUSION_PERI_CHANNELS), 1))
    pgain = 1.0 + nuisance * rng.uniform(-0.3, 0.3, (n_subjects, len(FUSION_PERI_CHANNELS), 1))
    peri = peri * pgain[subj_idx] + offset[subj_idx] + nuisance * rng.normal(0.0, 0.2, peri.shape)
    peri = peri.astype(np.float32)

    subjects = np.array([f"sub-{s + 1:02d}" for s in subj_idx], dtype=object)
    trials = np.array([f"{s}_s{i:03d}" for i, s in enumerate(subjects)], dtype=object)
    classes = np.array(FUSION_CLASSES, dtype=object)
    return xr.Dataset(
        {
            "video": (("sample", "video_channel", "video_time", "y", "x"), video,
                      {"units": "px (u, v), 1 (strain)", "long_name": "onset-to-frame optical flow and strain"}),
            "eeg": (("sample", "eeg_channel", "band", "eeg_time"), eeg,
                    {"units": "log10(V^2)", "feature": "log_band_power", "long_name": "EEG band power per 1-s step"}),
            "peri": (("sample", "peri_channel", "peri_time"), peri,
                     {"units": "a.u., a.u., a.u., a.u., a.u.", "sfreq": float(peri_sfreq),
                      "long_name": "peripheral signals (synthetic, arbitrary units)"}),
        },
        coords={
            "sample": np.arange(n), "label": ("sample", classes[labels]), "subject": ("sample", subjects),
            "trial": ("sample", trials), "video_channel": ["u", "v", "strain"], "video_time": video_time,
            "eeg_channel": [f"E{i + 1:02d}" for i in range(n_eeg_channels)], "band": band_names,
            "band_low": ("band", [_BANDS[b][0] for b in band_names]),
            "band_high": ("band", [_BANDS[b][1] for b in band_names]),
            "eeg_time": eeg_time, "peri_channel": list(FUSION_PERI_CHANNELS), "peri_time": peri_time,
        },
        attrs={"source": "synthetic", "window": [t0, t1], "eeg_step": 1.0, "seed": seed,
               "informative": ",".join(m for m in FUSION_MODALITIES if m in informative),
               "classes": ",".join(FUSION_CLASSES), "planted": _PLANTED, "effect": effect, "nuisance": nuisance},
    )
