"""Synthetic MMME-style dataset written in the real raw layout, with planted effects.

``synthesize(out_dir, SynthConfig(...))`` writes, per participant (one session each):

- ``EEG/Acquisition 01.vhdr``: 64 EEG + HEO/VEO/EKG/EMG + ``Trigger`` channel at 1000 Hz
  (BrainVision, which MNE reads; the real files are Curry ``.cdt``);
- ``PERI/<participant>.mat``: BIOPAC AcqKnowledge-style export with the 17 real columns,
  trigger codes on the eight digital lines;
- ``video/<emotion>_<index>_<marker>_<participant>_<yyyymmdd>.avi``: one lossless 150 fps
  video per trial (a real face photograph with planted AU motions), optionally XIMEA ``.tif``
  frames under ``frames/<marker>/``;

plus ``coding_file.xlsx`` with the real columns and ``ground_truth.json`` with everything that
was planted: expression frames, AUs and regions, device clock offsets/drifts, the heart-rate
response and EEG band changes. Participant names are fictitious.

Timeline of a session (EEG clock, s): a lead-in, then for each trial its stimulus marker
(101-148), ``duration`` s of stimulus, marker 100 (rest) and ``rest`` s.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._validate import check_int, check_path, check_positive
from ..io.labels import marker_category
from ..io.stamps import format_stamp
from .eeg import EEGConfig
from .face import FaceConfig
from .physio import PeriConfig

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
        Range of apex displacement (px) of MEs and MaEs.
    uncoded_offset_fraction : float
        Fraction of expressions whose offset is not coded (OffsetTime == ApexTime).
    peri : PeriConfig
        Peripheral signals: size (``response_bpm``), delay and width (s) of the planted
        heart-rate acceleration at ME apexes, EDA responses, noise levels.
    eeg : EEGConfig
        EEG background, artefacts and the stimulus-category band-power changes.
    biopac_lead, drift_ppm_sd, jitter_s : float
        BIOPAC start before the EEG (max, s), clock drift spread (ppm) and trigger jitter (s).
    face : FaceConfig
        Video frame size, noise and distractors.
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
    biopac_lead: float = 3.0
    drift_ppm_sd: float = 30.0
    jitter_s: float = 0.0002
    face: FaceConfig = field(default_factory=FaceConfig)
    peri: PeriConfig = field(default_factory=PeriConfig)
    eeg: EEGConfig = field(default_factory=EEGConfig)

    def __post_init__(self):
        check_int("n_subjects", self.n_subjects, min_value=1)
        check_int("n_trials", self.n_trials, min_value=1)
        if self.n_trials > 42:
            raise ValueError(f"Invalid value for 'n_trials': expected at most 42, got {self.n_trials!r}")
        for name in ("duration", "fps", "eeg_sfreq", "peri_sfreq"):
            check_positive(name, getattr(self, name))
        for name in ("rest", "lead_in", "biopac_lead", "drift_ppm_sd", "jitter_s"):
            check_positive(name, getattr(self, name), allow_zero=True)
        if self.duration < 2.0:
            raise ValueError(f"Invalid value for 'duration': expected >= 2.0 s, got {self.duration!r}")


def _fictitious_name(rng, used):
    while True:
        name = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(3, 5))))
        if name not in used:
            used.add(name)
            return name


def _au_stats():
    path = Path(__file__).resolve().parents[1] / "data" / "au_combinations.json"
    return json.loads(path.read_text())["counts"]


def _draw_aus(rng, stats, label, kind, supported):
    """Draw an AU combination for (label, kind) from the real sheet's statistics."""
    table = stats.get(label, {}).get(kind) or stats.get(label, {}).get("micro") or {}
    combos, weights = [], []
    for combo, count in table.items():
        aus = tuple(a for a in combo.split(",") if a)
        if aus and all(a in supported for a in aus):
            combos.append(aus)
            weights.append(count)
    if not combos:  # no coded combination of this label is renderable: any renderable AU
        return (sorted(supported)[int(rng.integers(len(supported)))],)
    w = np.asarray(weights, float)
    return combos[int(rng.choice(len(combos), p=w / w.sum()))]


def _place_events(rng, cfg, n_frames):
    """Non-overlapping expression intervals (frames) with >= 1 s between them."""
    fps = cfg.fps
    n_me = int(rng.integers(cfg.mes_per_trial[0], cfg.mes_per_trial[1] + 1))
    n_mae = int(rng.integers(cfg.maes_per_trial[0], cfg.maes_per_trial[1] + 1))
    kinds = ["micro"] * n_me + ["macro"] * n_mae
    rng.shuffle(kinds)
    gap = int(round(1.0 * fps))
    for _attempt in range(200):
        lengths = [
            int(round(rng.uniform(*(cfg.me_duration if k == "micro" else cfg.mae_duration)) * fps)) for k in kinds
        ]
        free = n_frames - 2 * int(0.5 * fps) - sum(lengths) - gap * max(len(kinds) - 1, 0)
        if free >= 0:
            break
        kinds = kinds[:-1]  # too many for this trial length: drop one
    else:  # pragma: no cover - guarded by SynthConfig.duration >= 2
        raise RuntimeError("cannot place expressions")
    cuts = np.sort(rng.integers(0, free + 1, size=len(kinds)))
    events, start = [], int(0.5 * fps)
    prev_cut = 0
    for k, length, cut in zip(kinds, lengths, cuts):
        start += int(cut - prev_cut)
        prev_cut = cut
        onset, offset = start, start + length
        apex = onset + max(1, int(round(length * rng.uniform(0.3, 0.6))))
        if k == "micro":  # onset-to-apex within 250 ms keeps the duration rule consistent
            apex = min(apex, onset + int(0.25 * fps))
        events.append({"kind": k, "onset_frame": onset, "apex_frame": apex, "offset_frame": offset})
        start = offset + gap
    return events


def _trigger_train(n, onsets_samples, codes, sfreq):
    """Per-sample trigger codes: each marker held for a 20 ms DB25 pulse."""
    width = int(round(0.02 * sfreq))
    trig = np.zeros(n, dtype=np.int32)
    for s, c in zip(onsets_samples, codes):
        trig[s : s + width] = c
    return trig


def _write_subject(raw, cfg, s, name, date, stats, rng):
    from ..io.biopac import write_biopac_mat
    from ..io.eeg import write_eeg_session
    from ..io.video import write_frames, write_video
    from .eeg import simulate_eeg
    from .face import AU_MOTIONS, render_frames
    from .physio import simulate_peri

    supported = set(AU_MOTIONS)
    sub_dir = raw / name
    for d in ("EEG", "PERI", "video"):
        (sub_dir / d).mkdir(parents=True, exist_ok=True)

    # --- trials and clocks ----------------------------------------------------------------
    usable = [m for m in range(101, 149) if marker_category(m) != 6]
    markers = sorted(int(m) for m in rng.choice(usable, size=cfg.n_trials, replace=False))
    stim_on = np.array([cfg.lead_in + i * (cfg.duration + cfg.rest) for i in range(cfg.n_trials)])
    session_len = cfg.lead_in + cfg.n_trials * (cfg.duration + cfg.rest) + 1.0
    bio_rate = 1.0 + rng.normal(0, cfg.drift_ppm_sd) * 1e-6
    bio_start = -rng.uniform(0.5, max(cfg.biopac_lead, 0.5))  # EEG time at which BIOPAC starts
    cam_rate = 1.0 + rng.normal(0, cfg.drift_ppm_sd) * 1e-6
    cam_offset = 9 * 3600.0 + s * 5400.0 + rng.uniform(0, 60)  # camera clock (s since midnight) at EEG 0
    clocks = {
        "biopac": {"offset_s": -bio_rate * bio_start, "drift_ppm": (bio_rate - 1) * 1e6},
        "camera": {"offset_s": cam_offset, "drift_ppm": (cam_rate - 1) * 1e6},
    }

    def to_bio(t_eeg):
        return clocks["biopac"]["offset_s"] + bio_rate * np.asarray(t_eeg, float)

    def to_cam(t_eeg):
        return cam_offset + cam_rate * np.asarray(t_eeg, float)

    # --- video and annotations ----------------------------------------------------------------
    n_frames = int(round(cfg.duration * cfg.fps))
    rows, trials_truth, me_apex_eeg = [], [], []
    for i, marker in enumerate(markers):
        cat = marker_category(marker)
        label = CATEGORY_LABELS[cat]
        index = sorted(m for m in range(101, 149) if marker_category(m) == cat).index(marker) + 1
        video_name = f"{label}_{index}_{marker}_{name}_{date:%Y%m%d}.avi"
        cam_start = float(to_cam(stim_on[i]) + rng.normal(0, cfg.jitter_s))
        events = _place_events(rng, cfg, n_frames)
        face_events = []
        for ev in events:
            ev["aus"] = _draw_aus(rng, stats, label, ev["kind"], supported)
            amp = cfg.me_amplitude if ev["kind"] == "micro" else cfg.mae_amplitude
            ev["amplitude"] = float(rng.uniform(*amp))
            ev["offset_coded"] = bool(rng.random() >= cfg.uncoded_offset_fraction)
            ev["emotion_raw"] = label
            for k in ("onset", "apex", "offset"):
                ev[k] = ev[f"{k}_frame"] / cfg.fps
            face_events.append({k: ev[k] for k in ("onset", "apex", "offset", "aus", "amplitude")})
            # true EEG time of the apex (camera frame time mapped back to the EEG clock)
            ev["apex_eeg"] = float((cam_start + ev["apex"] - cam_offset) / cam_rate)
            if ev["kind"] == "micro":
                me_apex_eeg.append(ev["apex_eeg"])
        frames, face_truth = render_frames(n_frames if cfg.write_video or cfg.write_frames else 2, cfg.fps,
                                           face_events, rng=rng, config=cfg.face)
        if cfg.write_video:
            write_video(sub_dir / "video" / video_name, frames, cfg.fps)
        if cfg.write_frames:
            stamps = cam_start + np.arange(n_frames) / cfg.fps
            write_frames(sub_dir / "frames" / str(marker), frames, stamps, date=date, marker=marker)
        for j, ev in enumerate(events):
            planted = face_truth["events"][j]  # the face truth also holds a full pixel mask: keep its box
            ev["regions"] = {"regions": list(planted["regions"]), "box": [int(v) for v in planted["box"]]}
            off_frame = ev["offset_frame"] if ev["offset_coded"] else ev["apex_frame"]
            rows.append({
                "Subject": name,
                "Filename": video_name,
                "Marker": marker,
                "OnsetTime": round(ev["onset_frame"] / cfg.fps, 6),
                "ApexTime": round(ev["apex_frame"] / cfg.fps, 6),
                "OffsetTime": round(off_frame / cfg.fps, 6),
                "OnsetFrame": format_stamp(cam_start + ev["onset_frame"] / cfg.fps, parts=5),
                "ApexFrame": format_stamp(cam_start + ev["apex_frame"] / cfg.fps, parts=5),
                "OffsetFrame": format_stamp(cam_start + off_frame / cfg.fps, parts=5),
                "Action Units": ", ".join(ev["aus"]),
                "Estimated Emotion": label,
                "Macro/Micro": "Micro" if ev["kind"] == "micro" else "Macro",
                "Date": f"{date:%Y}年{date:%m}月{date:%d}日-10时00分",
                "dif": ev["apex_frame"] - ev["onset_frame"],
            })
        trials_truth.append({
            "marker": marker,
            "category": cat,
            "video": video_name,
            "stim_onset_eeg_s": float(stim_on[i]),
            "camera_start": cam_start,
            "distractors": _jsonable(face_truth.get("distractors")),
            "events": [_jsonable(ev) for ev in events],
        })

    # --- peripheral signals (BIOPAC clock) -------------------------------------------------------
    bio_len = float(to_bio(session_len) + 1.0)
    peri, peri_truth = simulate_peri(
        bio_len, cfg.peri_sfreq, rng=rng, me_apexes=to_bio(me_apex_eeg), null=cfg.null,
        config=cfg.peri,
    )
    n_bio = int(round(bio_len * cfg.peri_sfreq))
    mk_times = np.concatenate([stim_on, stim_on + cfg.duration])
    mk_codes = np.concatenate([markers, np.full(len(markers), 100)])
    order = np.argsort(mk_times)
    mk_times, mk_codes = mk_times[order], mk_codes[order]
    bio_on = np.round((to_bio(mk_times) + rng.normal(0, cfg.jitter_s, mk_times.size)) * cfg.peri_sfreq).astype(int)
    write_biopac_mat(sub_dir / "PERI" / f"{name}.mat", peri, cfg.peri_sfreq,
                     _trigger_train(n_bio, bio_on, mk_codes, cfg.peri_sfreq))

    # --- EEG (reference clock) ---------------------------------------------------------------------
    n_eeg = int(round(session_len * cfg.eeg_sfreq))
    t_eeg = np.arange(n_eeg) / cfg.eeg_sfreq
    ecg_on_eeg = np.interp(to_bio(t_eeg) * cfg.peri_sfreq, np.arange(len(peri["ECG"])), peri["ECG"])
    segments = [(float(t), float(t + cfg.duration), marker_category(m)) for t, m in zip(stim_on, markers)]
    data, ch_names, ch_types, eeg_truth = simulate_eeg(
        session_len, cfg.eeg_sfreq, rng=rng, segments=segments, ecg=ecg_on_eeg, null=cfg.null, config=cfg.eeg,
        return_truth=True,
    )
    eeg_on = np.round(mk_times * cfg.eeg_sfreq).astype(int)
    write_eeg_session(sub_dir / "EEG" / "Acquisition 01.vhdr", data, cfg.eeg_sfreq, ch_names, ch_types,
                      _trigger_train(n_eeg, eeg_on, mk_codes, cfg.eeg_sfreq))

    truth = {
        "name": name,
        "clocks": clocks,
        "markers_eeg": [{"marker": int(c), "time": float(t)} for c, t in zip(mk_codes, eeg_on / cfg.eeg_sfreq)],
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
        stats = _au_stats()
        rows, truth = [], {"config": _jsonable(cfg), "null": cfg.null, "subjects": {}}
        it = tqdm(list(enumerate(names)), desc="synth", unit="subject", disable=not progress)
        for s, name in it:
            rng = np.random.default_rng([cfg.seed, s + 1])
            date = pd.Timestamp(2023, 7, 10) + pd.Timedelta(days=s)
            sub_rows, sub_truth = _write_subject(tmp, cfg, s, name, date, stats, rng)
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


