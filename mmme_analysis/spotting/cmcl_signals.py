"""CMCL-Net inputs of one trial: face clips and the ECG windows aligned with them.

A sample is centred on a time ``c`` (s) of the trial axis (the axis shared by the video and
the peripheral signals, seconds from the stimulus marker):

- **clip**: frames at ``c + duration * (i / n - 1/2)`` (``i = 0 .. n``, ``n = n_frames``),
  each mapped to the nearest frame by the video's own time coordinate (so any fps and any
  start time work); ``clip="flow"``: the displacement (u, v) of clip frames ``1 .. n`` from
  the first one, summed from the Farneback flows between consecutive clip frames (each with
  the median of the face removed: head translation), so that windows on a grid of the
  clip's frame step share their flows; ``clip="gray"``: the first ``n`` frames themselves
  (grey, 0-1). Frames are the face region, cropped once per trial from a detection on its
  first frame (the tracked ``face`` node is used as it is), kept in memory at ``width`` x
  ``width`` grey pixels (``width**2`` bytes a frame: 83 MB per minute of 150 fps video at
  the default 96 px) and area-averaged to ``size`` x ``size`` in the tensor;
- **ECG window**: ``[c - ecg_before, c + ecg_after)`` sampled at ``ecg_sfreq`` on the same
  trial axis; channels ``"rate"`` (heart rate of :func:`mmme_analysis.physio.ecg_process`
  minus the trial's median, in units of 10 bpm) and ``"ecg"`` (the cleaned ECG, minus its
  median, over 1.4826 x its median absolute deviation, at least a tenth of its standard
  deviation: a per-trial scale from the trial's own signal, no labels), resampled with an
  anti-aliasing filter. Trials without ECG (or with too few beats for a rate) get zeros and
  an MMMEWarning.

:class:`CMCLSampleConfig` sets these and the sampling of :mod:`.cmcl_pairs`;
:class:`TrialSignals` holds one trial's frames and ECG channels and cuts the windows.

Choices where the paper is silent: the clip length (0.6 s: the longest ME, 0.5 s, with its
apex off-centre), displacements summed from consecutive flows, the ECG window (1 s before
to 2 s after the centre: the heart-rate response follows the apex by about a second) and
the two ECG channels.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import cv2
import numpy as np

from .._validate import check_int, check_option, check_positive, check_type
from .._warnings import MMMEWarning
from ..flow.optical import flow_compute, to_gray
from ..video.face import FACE_METHODS, face_crop, face_detect
from .features import trial_frames

__all__ = ["CLIP_METHODS", "ECG_CHANNELS", "CMCLSampleConfig", "TrialSignals"]
#: ``clip=`` spellings of :class:`CMCLSampleConfig`.
CLIP_METHODS: tuple[str, ...] = ("flow", "gray")
#: ECG window channels.
ECG_CHANNELS: tuple[str, ...] = ("rate", "ecg")


@dataclass(frozen=True)
class CMCLSampleConfig:
    """How clips and ECG windows are cut (times in seconds; see the module docstring).

    Attributes
    ----------
    clip : {"flow", "gray"}
    duration : float
        Time from the first to the last frame of a clip (s).
    n_frames : int
        Time steps of the clip tensor (flow: ``n_frames + 1`` frames sampled).
    width : int
        Side (px) of the grey face kept in memory (flow is computed at this size).
    size : int
        Side (px) of the clip frames in the tensor.
    face_method : str
        Detector of :func:`~mmme_analysis.video.face_detect` on the first frame
        (``"frame"``: the whole frame); the ``face`` node of a store is used as it is.
    margin : float
        Border added around the detected face box (fraction of its size).
    ecg_before, ecg_after : float
        ECG window before and after the centre (s).
    ecg_sfreq : float
        Sampling rate of the ECG window (Hz).
    ecg_channels : tuple of str
        Subset of :data:`ECG_CHANNELS`.
    positives : int
        Clips per ME (centres jittered).
    jitter : float
        Largest shift (s) of a positive's centre from the apex.
    negatives : int
        Random non-ME moments per ME (and per trial without ME).
    min_gap : float
        Least distance (s) of a random negative's centre from any ME interval.
    macro_negatives : bool
        Add a negative at each macro-expression apex (further than ``min_gap`` from MEs).
    flow_params : dict
        Keywords of :func:`~mmme_analysis.flow.flow_compute` (method Farneback).
    """

    clip: str = "flow"
    duration: float = 0.6
    n_frames: int = 8
    width: int = 96
    size: int = 16
    face_method: str = "auto"
    margin: float = 0.05
    ecg_before: float = 1.0
    ecg_after: float = 2.0
    ecg_sfreq: float = 50.0
    ecg_channels: tuple = ECG_CHANNELS
    positives: int = 3
    jitter: float = 0.03
    negatives: int = 6
    min_gap: float = 0.3
    macro_negatives: bool = True
    flow_params: dict = field(default_factory=lambda: {"winsize": 9, "iterations": 3})

    def __post_init__(self):
        check_option("clip", self.clip, CLIP_METHODS)
        check_option("face_method", self.face_method, FACE_METHODS)
        for name in ("duration", "ecg_sfreq"):
            check_positive(name, getattr(self, name))
        for name in ("margin", "ecg_before", "ecg_after", "jitter", "min_gap"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_int("n_frames", self.n_frames, min_value=2)
        check_int("width", self.width, min_value=16)
        check_int("size", self.size, min_value=4)
        if self.size > self.width:
            raise ValueError(f"Invalid value for 'size': expected at most width={self.width}, got {self.size!r}")
        check_int("positives", self.positives, min_value=1)
        check_int("negatives", self.negatives, min_value=0)
        check_type("ecg_channels", self.ecg_channels, tuple)
        if not self.ecg_channels or any(c not in ECG_CHANNELS for c in self.ecg_channels) \
                or len(set(self.ecg_channels)) != len(self.ecg_channels):
            raise ValueError(f"Invalid value for 'ecg_channels': expected a non-empty subset of {ECG_CHANNELS!r}, "
                             f"got {self.ecg_channels!r}")
        if self.ecg_length < 1:
            raise ValueError(f"Invalid value for 'ecg_after': expected an ECG window of at least one sample, got "
                             f"{self.ecg_before} s + {self.ecg_after} s at {self.ecg_sfreq} Hz")
        check_type("flow_params", self.flow_params, dict)

    @property
    def ecg_length(self) -> int:
        """Samples of an ECG window."""
        return int(round((self.ecg_before + self.ecg_after) * self.ecg_sfreq))

    @property
    def video_shape(self) -> tuple[int, int, int, int]:
        """``(channels, n_frames, size, size)`` of a clip."""
        return (2 if self.clip == "flow" else 1, self.n_frames, self.size, self.size)

    @property
    def ecg_shape(self) -> tuple[int, int]:
        """``(channels, ecg_length)`` of an ECG window."""
        return (len(self.ecg_channels), self.ecg_length)

    def frame_offsets(self) -> np.ndarray:
        """Times (s) of the sampled clip frames relative to the centre."""
        n = self.n_frames + (self.clip == "flow")
        return self.duration * (np.arange(n) / (n - 1) - 0.5)


class TrialSignals:
    """The grey face frames and ECG channels of one trial, on the trial axis.

    Build with :meth:`from_tree`; :meth:`clip` and :meth:`ecg` cut one sample at a centre
    time, :meth:`inputs` many. Flows are cached per frame pair, so windows on a grid of the
    clip's frame step compute each flow once.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> sig = TrialSignals.from_tree(ds.trial("sub-01_101"), CMCLSampleConfig(face_method="frame"))
    >>> sig.clip(2.0).shape, sig.ecg(2.0).shape
    ((2, 8, 16, 16), (2, 150))
    """

    def __init__(self, trial: str, gray: np.ndarray, frame_time: np.ndarray, fps: float, ecg: np.ndarray,
                 ecg_time: np.ndarray, config: CMCLSampleConfig):
        self.trial, self.gray, self.frame_time, self.fps = trial, gray, np.asarray(frame_time, float), float(fps)
        self.ecg_values, self.ecg_time, self.config = ecg, np.asarray(ecg_time, float), config
        self._flows: dict = {}

    @classmethod
    def from_tree(cls, tree, config: CMCLSampleConfig | None = None, *, chunk: int = 150) -> TrialSignals:
        """Load a trial tree (``ds.trial(...)``): face frames in chunks of ``chunk`` frames, ECG."""
        cfg = CMCLSampleConfig() if config is None else check_type("config", config, CMCLSampleConfig)
        trial = str(tree.attrs.get("trial", "?"))
        frames, fps, node = trial_frames(tree)
        n = int(frames.sizes["time"])
        if n < 2:
            raise ValueError(f"Invalid value for 'tree': expected a video of at least 2 frames in trial {trial!r}, got {n}")
        first = np.asarray(frames[0].values)
        face = face_detect(first, method="frame" if node == "face" else cfg.face_method)
        gray = np.empty((n, cfg.width, cfg.width), np.uint8)
        for i0 in range(0, n, chunk):
            for j, f in enumerate(np.asarray(frames[i0:i0 + chunk].values)):
                gray[i0 + j] = to_gray(face_crop(f, face, size=cfg.width, margin=cfg.margin, align=False))
        ecg, ecg_time = _ecg_channels(tree, cfg, trial)
        return cls(trial, gray, frames["time"].values, fps, ecg, ecg_time, cfg)

    @property
    def span(self) -> tuple[float, float]:
        """First and last frame time (s)."""
        return float(self.frame_time[0]), float(self.frame_time[-1])

    def frame_index(self, times) -> np.ndarray:
        """Nearest frame of each time (s), clipped to the video."""
        t = np.asarray(times, float)
        pos = np.interp(t, self.frame_time, np.arange(len(self.frame_time)))
        return np.clip(np.round(pos), 0, len(self.frame_time) - 1).astype(int)

    def clip_times(self, centre: float) -> np.ndarray:
        """Times (s) of the frames a clip centred at ``centre`` uses (before rounding to frames)."""
        return float(centre) + self.config.frame_offsets()

    def ecg_times(self, centre: float) -> np.ndarray:
        """Times (s) of the samples of the ECG window centred at ``centre``."""
        cfg = self.config
        return float(centre) - cfg.ecg_before + np.arange(cfg.ecg_length) / cfg.ecg_sfreq

    def _flow(self, i: int, j: int) -> np.ndarray:
        key = (int(i), int(j))
        if key not in self._flows:
            self._loaded()
            size = self.config.size
            if i == j:
                self._flows[key] = np.zeros((2, size, size), np.float32)
            else:
                flow = flow_compute(self.gray[i], self.gray[j], method="farneback", **self.config.flow_params)
                flow = flow - np.median(flow.reshape(-1, 2), axis=0)
                small = cv2.resize(flow, (size, size), interpolation=cv2.INTER_AREA)
                self._flows[key] = np.ascontiguousarray(small.transpose(2, 0, 1), np.float32)
        return self._flows[key]

    def _loaded(self) -> None:
        if self.gray is None:
            raise RuntimeError(f"TrialSignals: the frames of trial {self.trial!r} were released; load it again")

    def clip(self, centre: float) -> np.ndarray:
        """The clip tensor ``video_shape`` centred at ``centre`` (s)."""
        cfg = self.config
        self._loaded()
        idx = self.frame_index(self.clip_times(centre))
        if cfg.clip == "flow":
            return np.cumsum(np.stack([self._flow(a, b) for a, b in zip(idx[:-1], idx[1:])], axis=1), axis=1)
        small = [cv2.resize(self.gray[i], (cfg.size, cfg.size), interpolation=cv2.INTER_AREA) for i in idx]
        return (np.stack(small)[None] / 255.0).astype(np.float32)

    def ecg(self, centre: float) -> np.ndarray:
        """The ECG window ``ecg_shape`` centred at ``centre`` (s); edge values outside the signal."""
        t = self.ecg_times(centre)
        return np.stack([np.interp(t, self.ecg_time, ch) for ch in self.ecg_values]).astype(np.float32)

    def inputs(self, centres) -> tuple[np.ndarray, np.ndarray]:
        """``(video, ecg)`` arrays of the samples at ``centres``."""
        c = np.asarray(centres, float).reshape(-1)
        cfg = self.config
        video = np.stack([self.clip(x) for x in c]) if c.size else np.zeros((0, *cfg.video_shape), np.float32)
        ecg = np.stack([self.ecg(x) for x in c]) if c.size else np.zeros((0, *cfg.ecg_shape), np.float32)
        return video, ecg

    def release(self) -> None:
        """Free the frames and cached flows (times, fps and ECG stay: enough for scoring windows cut before)."""
        self.gray = None
        self._flows.clear()


def _resample(x: np.ndarray, sfreq: float, target: float) -> np.ndarray:
    from scipy.signal import resample_poly

    ratio = Fraction(target / sfreq).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator) if ratio != 1 else x


def _ecg_channels(tree, cfg: CMCLSampleConfig, trial: str) -> tuple[np.ndarray, np.ndarray]:
    """``(channels, samples)`` at ``cfg.ecg_sfreq`` and their times on the trial axis."""
    has = "peri" in tree.children and "ECG" in tree["peri"].to_dataset(inherit=False)
    if not has:
        warnings.warn(f"cmcl samples: trial {trial!r} has no ECG (peri/ECG); its ECG windows are zeros", MMMEWarning,
                      stacklevel=3)
        return np.zeros((len(cfg.ecg_channels), 2)), np.array([-1e9, 1e9])
    peri = tree["peri"]
    sfreq = peri.attrs.get("sfreq", peri["ECG"].attrs.get("sfreq"))
    if sfreq is None:
        raise ValueError(f"Invalid value for 'tree': expected an 'sfreq' attr on peri of trial {trial!r}, got none")
    sfreq = check_positive("sfreq", sfreq)
    raw = np.asarray(peri["ECG"].values, float)
    time = np.asarray(peri["time"].values, float)
    clean, rate = raw, None
    if "rate" in cfg.ecg_channels:
        from ..physio import ecg_process

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = ecg_process(raw, sfreq)
        clean, rate = np.asarray(out["ECG_Clean"].values, float), np.asarray(out["ECG_Rate"].values, float)
        if not np.isfinite(rate).any():
            warnings.warn(f"cmcl samples: no heart rate in trial {trial!r} (too few R-peaks); its rate channel is "
                          "zeros", MMMEWarning, stacklevel=3)
            rate = np.zeros_like(raw)
        else:
            rate = np.nan_to_num((rate - np.nanmedian(rate)) / 10.0)
    scale = max(1.4826 * np.median(np.abs(clean - np.median(clean))), 0.1 * np.std(clean))
    chans = {"ecg": (clean - np.median(clean)) / (scale if scale > 0 else 1.0), "rate": rate}
    out = np.stack([_resample(chans[c], sfreq, cfg.ecg_sfreq) for c in cfg.ecg_channels])
    return out, time[0] + np.arange(out.shape[1]) / cfg.ecg_sfreq
