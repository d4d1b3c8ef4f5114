"""Synthetic MMME-style dataset written in the real raw layout, with planted effects.

``synthesize(out_dir, SynthConfig(...))`` writes, per participant (one session each):

- ``EEG/Acquisition 01.vhdr``: 64 EEG + HEO/VEO/EKG/EMG + ``Trigger`` channel at 1000 Hz
  (BrainVision, which MNE reads; the real files are Curry ``.cdt``);
- ``PERI/<participant>.mat``: BIOPAC AcqKnowledge-style export with the 17 real columns,
  trigger codes on the eight digital lines;
- ``video/<emotion>_<index>_<marker>_<participant>_<yyyymmdd>.avi``: one lossless 150 fps
  video per trial (a real face photograph with planted AU motions; ``size`` up to the
  camera's 2048 x 1088, ``codec`` lossy on request, ``.mp4`` for H.264), optionally XIMEA
  ``.tif`` frames under ``frames/<marker>/``;

plus ``coding_file.xlsx`` with the real columns and ``ground_truth.json`` with everything that
was planted: expression frames, AUs and regions, device clock offsets/drifts, the heart-rate
response and EEG band changes. Participant names are fictitious.

Timeline of a session (EEG clock, s): a lead-in, then for each trial its stimulus marker
(101-148), ``duration`` s of stimulus, marker 100 (rest) and ``rest`` s.

Memory does not grow with the data's size: videos are rendered and written frame by frame
(:func:`~.face_render.render_stream`, :mod:`.video_out`), and sessions longer than
``block`` s are simulated and written block by block (:mod:`.session`).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .._validate import check_int, check_option, check_path, check_positive
from ..io.stamps import format_stamp
from ..vocab import marker_category
from .eeg import EEGConfig
from .expressions import plan_expressions
from .face_config import FaceConfig
from .face_fields import _crop
from .face_render import render_stream
from .peri import PeriConfig
from .session import _Clocks, write_physiology
from .video_out import write_trial_media

__all__ = ["SynthConfig", "synthesize", "CATEGORY_LABELS"]

#: raw emotion label (as in the real sheets and trial file names) of each stimulus category
CATEGORY_LABELS = {1: "sad", 2: "disgust", 3: "happy", 4: "fear", 5: "tense", 7: "angry", 8: "surprise"}

_SYLLABLES = ("an", "bo", "ce", "du", "fa", "ge", "hu", "ji", "ke", "lu", "mo", "ni", "pa", "qi", "ru",
              "si", "tu", "wa", "xi", "yo", "ze")


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic dataset (defaults fit CI: a few seconds to generate).

    Attributes
    ----------
    n_subjects, n_trials : int
        Participants (sessions) and stimulus trials per participant (max 42: calm trials,
        category 6, are not used because they carry no expressions).
    duration, rest, lead_in : float
        Stimulus length, rest after it, and recording before the first marker (s).
    seed : int
        Seed of every random draw.
    null : bool
        Plant no physiological coupling (no heart-rate / EDA response to MEs, no EEG
        category effect): for false-positive control. Facial motions are still planted.
    fps, eeg_sfreq, peri_sfreq : float
        Video frame rate and sampling rates (Hz).
    write_video : bool
        Write the per-trial videos (off: physiology-only datasets, much faster; the coding
        file still holds the camera stamps).
    write_frames : bool
        Also write XIMEA-style ``.tif`` frames per trial.
    mes_per_trial, maes_per_trial : tuple of int
        Inclusive range of micro-/macro-expressions planted per trial.
    me_duration, mae_duration : tuple of float
        Range of onset-to-offset durations (s) of MEs (150-500 ms) and MaEs (0.5-4 s).
    me_amplitude, mae_amplitude : tuple of float
        Range of apex displacement (px) of MEs and MaEs at the default frame size (they
        grow with the face at other sizes, see ``size``).
    uncoded_offset_fraction : float
        Fraction of expressions whose offset is not coded (OffsetTime == ApexTime).
    me_at_edges : float
        Probability (0-1) that an ME is moved into an edge zone of its trial, the first
        2.5 s or the last 5 s (:func:`~.events.edge_times`), where it fits 1 s away from
        the others: for calibrating the ME-vs-non-ME tests near trial edges. Default 0.
    peri : PeriConfig
        Peripheral signals: size (``peri.heart.response_bpm``), delay and width (s) of the
        planted heart-rate acceleration at ME apexes, EDA responses, noise levels.
    eeg : EEGConfig
        EEG background, artefacts and the stimulus-category band-power changes.
    biopac_lead, drift_ppm_sd, jitter_s : float
        BIOPAC start before the EEG (max, s), clock drift spread (ppm) and trigger jitter (s).
    face : FaceConfig
        Video frame size, noise and distractors.
    size : tuple of int, optional
        Frame ``(width, height)`` in pixels, even, >= 64 (e.g. the camera's
        ``(2048, 1088)``); overrides ``face``'s size. The face is rendered at this size
        (more of the photograph shows when the aspect differs from the face crop's) and
        every motion (expression amplitudes, blinks, head shifts) is scaled with the face
        (:attr:`face_config`). Default: ``face``'s 136 x 160.
    codec : str
        Video codec of :func:`~mmme_analysis.io.video.write_video`: ``"huffyuv"``
        (lossless, default), ``"ffv1"`` (lossless), ``"mjpeg"`` or ``"h264"`` (lossy;
        ``.mp4`` files).
    block : float
        Length (s), >= 10, of the blocks in which sessions longer than it are simulated
        and written, so that memory does not grow with the session (about 0.6 GB peak
        at 300 s blocks, for a 43 min session as for a 22 min one); shorter sessions are
        simulated whole, as before. Default 300.
    """

    n_subjects: int = 3
    n_trials: int = 4
    duration: float = 6.0
    rest: float = 2.0
    lead_in: float = 3.0
    seed: int = 0
    null: bool = False
    fps: float = 150.0
    eeg_sfreq: float = 1000.0
    peri_sfreq: float = 1000.0
    write_video: bool = True
    write_frames: bool = False
    mes_per_trial: tuple = (1, 2)
    maes_per_trial: tuple = (0, 1)
    me_duration: tuple = (0.15, 0.5)
    mae_duration: tuple = (0.6, 2.0)
    me_amplitude: tuple = (1.5, 2.5)
    mae_amplitude: tuple = (3.0, 5.0)
    uncoded_offset_fraction: float = 0.3
    me_at_edges: float = 0.0
    biopac_lead: float = 3.0
    drift_ppm_sd: float = 30.0
    jitter_s: float = 0.0002
    face: FaceConfig = field(default_factory=FaceConfig)
    peri: PeriConfig = field(default_factory=PeriConfig)
    eeg: EEGConfig = field(default_factory=EEGConfig)
    size: tuple | None = None
    codec: str = "huffyuv"
    block: float = 300.0

    def __post_init__(self):
        check_int("n_subjects", self.n_subjects, min_value=1)
        check_int("n_trials", self.n_trials, min_value=1)
        if self.n_trials > 42:
            raise ValueError(f"Invalid value for 'n_trials': expected at most 42, got {self.n_trials!r}")
        for name in ("duration", "fps", "eeg_sfreq", "peri_sfreq"):
            check_positive(name, getattr(self, name))
        for name in ("rest", "lead_in", "biopac_lead", "drift_ppm_sd", "jitter_s"):
            check_positive(name, getattr(self, name), allow_zero=True)
        if not 0.0 <= self.me_at_edges <= 1.0:
            raise ValueError(f"Invalid value for 'me_at_edges': expected a probability in [0, 1], "
                             f"got {self.me_at_edges!r}")
        if self.duration < 2.0:
            raise ValueError(f"Invalid value for 'duration': expected >= 2.0 s, got {self.duration!r}")
        if self.size is not None:
            ok = (isinstance(self.size, (tuple, list)) and len(self.size) == 2
                  and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 64 and v % 2 == 0
                          for v in self.size))
            if not ok:
                raise ValueError(f"Invalid value for 'size': expected (width, height) even integers >= 64, "
                                 f"got {self.size!r}")
            object.__setattr__(self, "size", (int(self.size[0]), int(self.size[1])))
        from ..io.video.encode import CODECS

        check_option("codec", self.codec, tuple(CODECS))
        check_positive("block", self.block)
        if self.block < 10.0:
            raise ValueError(f"Invalid value for 'block': expected >= 10 s, got {self.block!r}")

    @property
    def face_config(self) -> FaceConfig:
        """``face`` at the frame size ``size``, its motions scaled with the face's size."""
        if self.size is None:
            return self.face
        (w, h), ref = self.size, FaceConfig()
        y0, y1, _, _ = _crop(h, w)
        r0, r1, _, _ = _crop(ref.height, ref.width)
        scale = (h / (y1 - y0)) / (ref.height / (r1 - r0))  # output px per photograph px, vs the default
        return replace(self.face, height=h, width=w, motion_scale=self.face.motion_scale * scale)

    @property
    def video_suffix(self) -> str:
        """File ending of the trial videos (``.avi``; ``.mp4`` for H.264)."""
        from ..io.video.encode import CODECS

        return CODECS[self.codec][0][0]


def _fictitious_name(rng, used):
    while True:
        name = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(3, 5))))
        if name not in used:
            used.add(name)
            return name


def _coding_row(ev, name, video_name, marker, cam_start, date, fps):
    """One row of the coding sheet, as the real one is filled in."""
    off_frame = ev["offset_frame"] if ev["offset_coded"] else ev["apex_frame"]
    return {
        "Subject": name,
        "Filename": video_name,
        "Marker": marker,
        "OnsetTime": round(ev["onset_frame"] / fps, 6),
        "ApexTime": round(ev["apex_frame"] / fps, 6),
        "OffsetTime": round(off_frame / fps, 6),
        "OnsetFrame": format_stamp(cam_start + ev["onset_frame"] / fps, parts=5),
        "ApexFrame": format_stamp(cam_start + ev["apex_frame"] / fps, parts=5),
        "OffsetFrame": format_stamp(cam_start + off_frame / fps, parts=5),
        "Action Units": ", ".join(ev["aus"]),
        "Estimated Emotion": ev["emotion_raw"],
        "Macro/Micro": "Micro" if ev["kind"] == "micro" else "Macro",
        "Date": f"{date:%Y}年{date:%m}月{date:%d}日-10时00分",
        "dif": ev["apex_frame"] - ev["onset_frame"],
    }


def _video_name(marker, name, date, suffix=".avi"):
    cat = marker_category(marker)
    index = sorted(m for m in range(101, 149) if marker_category(m) == cat).index(marker) + 1
    return f"{CATEGORY_LABELS[cat]}_{index}_{marker}_{name}_{date:%Y%m%d}{suffix}"


def _write_trial(sub_dir, cfg, name, date, marker, stim_on, clocks, rng):
    """Plan, render and write one trial's video; return (coding rows, trial truth)."""
    n_frames = int(round(cfg.duration * cfg.fps))
    video_name = _video_name(marker, name, date, cfg.video_suffix)
    cam_start = float(clocks.to_cam(stim_on) + rng.normal(0, cfg.jitter_s))
    events = plan_expressions(rng, cfg, n_frames, CATEGORY_LABELS[marker_category(marker)])
    for ev in events:  # true EEG time of the apex (camera frame time mapped back to the EEG clock)
        ev["apex_eeg"] = float((cam_start + ev["apex"] - clocks.cam_offset) / clocks.cam_rate)
    face_events = [{k: ev[k] for k in ("onset", "apex", "offset", "aus", "amplitude")} for ev in events]
    frames, face_truth = render_stream(n_frames if cfg.write_video or cfg.write_frames else 2, cfg.fps,
                                       face_events, rng=rng, config=cfg.face_config)
    tif = None
    if cfg.write_frames:
        tif = {"folder": sub_dir / "frames" / str(marker), "stamps": cam_start + np.arange(n_frames) / cfg.fps,
               "date": date, "marker": marker}
    video = sub_dir / "video" / video_name if cfg.write_video else None
    write_trial_media(frames, video=video, fps=cfg.fps, codec=cfg.codec, tif=tif)  # one pass, frame by frame
    for ev, planted in zip(events, face_truth["events"]):  # keep the box, not the full pixel mask
        ev["regions"] = {"regions": list(planted["regions"]), "box": [int(v) for v in planted["box"]]}
    rows = [_coding_row(ev, name, video_name, marker, cam_start, date, cfg.fps) for ev in events]
    truth = {
        "marker": marker,
        "category": marker_category(marker),
        "video": video_name,
        "stim_onset_eeg_s": float(stim_on),
        "camera_start": cam_start,
        "distractors": _jsonable(face_truth.get("distractors")),
        "events": [_jsonable(ev) for ev in events],
    }
    return rows, truth


def _write_subject(raw, cfg, s, name, date, rng):
    """Write one participant's session (EEG, PERI, videos); return (coding rows, truth)."""
    sub_dir = raw / name
    for d in ("EEG", "PERI", "video"):
        (sub_dir / d).mkdir(parents=True, exist_ok=True)
    usable = [m for m in range(101, 149) if marker_category(m) != 6]
    markers = sorted(int(m) for m in rng.choice(usable, size=cfg.n_trials, replace=False))
    stim_on = np.array([cfg.lead_in + i * (cfg.duration + cfg.rest) for i in range(cfg.n_trials)])
    session_len = cfg.lead_in + cfg.n_trials * (cfg.duration + cfg.rest) + 1.0
    clocks = _Clocks.draw(rng, cfg, s)

    rows, trials_truth = [], []
    for marker, t_on in zip(markers, stim_on):
        trial_rows, trial_truth = _write_trial(sub_dir, cfg, name, date, marker, t_on, clocks, rng)
        rows += trial_rows
        trials_truth.append(trial_truth)
    me_apex_eeg = [ev["apex_eeg"] for tr in trials_truth for ev in tr["events"] if ev["kind"] == "micro"]

    mk_times = np.concatenate([stim_on, stim_on + cfg.duration])
    mk_codes = np.concatenate([markers, np.full(len(markers), 100)])
    order = np.argsort(mk_times)
    marks = (mk_times[order], mk_codes[order])
    segments = [(float(t), float(t + cfg.duration), marker_category(m)) for t, m in zip(stim_on, markers)]
    eeg_marks, peri_truth, eeg_truth = write_physiology(sub_dir, name, cfg, clocks, session_len, me_apex_eeg,
                                                        marks, segments, rng)
    truth = {
        "name": name,
        "clocks": clocks.truth(),
        "markers_eeg": [{"marker": int(c), "time": float(t)} for c, t in zip(marks[1], eeg_marks)],
        "trials": trials_truth,
        "me_apexes_eeg_s": [float(x) for x in me_apex_eeg],
        "peri": _jsonable({k: v for k, v in peri_truth.items() if np.ndim(v) == 0}),
        "eeg": _jsonable(eeg_truth),
    }
    return rows, truth


def _jsonable(obj):
    """Convert numpy containers/scalars (and dataclasses) to JSON-friendly Python objects."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if hasattr(obj, "__dataclass_fields__"):
        return _jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def synthesize(out_dir, config: SynthConfig | None = None, *, overwrite: bool = False, progress: bool = True) -> Path:
    """Write a synthetic dataset in the MMME raw layout.

    Parameters
    ----------
    out_dir : path-like
        Folder to create. The dataset is written into a temporary sibling and renamed into
        place when complete, so an interrupted run leaves nothing half-written.
    config : SynthConfig, optional
        What to generate (defaults: a small CI-sized dataset).
    overwrite : bool
        Replace an existing ``out_dir``.
    progress : bool
        Show a tqdm progress bar over participants.

    Returns
    -------
    Path
        ``out_dir``.
    """
    cfg = config if config is not None else SynthConfig()
    out = check_path("out_dir", out_dir, must_exist=False)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(
            f"Invalid value for 'out_dir': expected a new or empty folder (or overwrite=True), got {str(out)!r}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        master = np.random.default_rng(cfg.seed)
        used = set()
        names = [_fictitious_name(master, used) for _ in range(cfg.n_subjects)]
        rows, truth = [], {"config": _jsonable(cfg), "null": cfg.null, "subjects": {}}
        it = tqdm(list(enumerate(names)), desc="synth", unit="subject", disable=not progress)
        for s, name in it:
            rng = np.random.default_rng([cfg.seed, s + 1])
            date = pd.Timestamp(2023, 7, 10) + pd.Timedelta(days=s)
            sub_rows, sub_truth = _write_subject(tmp, cfg, s, name, date, rng)
            rows += sub_rows
            truth["subjects"][name] = sub_truth
        # pseudonyms as the coding-file reader assigns them (sorted real names)
        for k, name in enumerate(sorted(names)):
            truth["subjects"][name]["subject"] = f"sub-{k + 1:02d}"
        sheet = pd.DataFrame(rows)
        sheet.to_excel(tmp / "coding_file.xlsx", sheet_name="Sheet1", index=False)
        (tmp / "ground_truth.json").write_text(json.dumps(truth, indent=1))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


