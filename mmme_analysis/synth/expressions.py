"""Which expressions a synthetic trial shows, and when: AU combinations and event placement.

AU combinations are drawn per emotion label and kind from the counts of the real coding
sheet (``mmme_analysis/data/au_combinations.json``), restricted to the AUs the synthetic
face can render; expressions are placed without overlap, at least 1 s apart.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from .face_geometry import AU_MOTIONS

__all__ = ["au_statistics", "draw_aus", "place_events", "plan_expressions"]


@functools.lru_cache(maxsize=1)
def au_statistics() -> dict:
    """``{label: {"micro" | "macro": {"AU1,AU2": count}}}`` of the real coding sheet."""
    path = Path(__file__).resolve().parents[1] / "data" / "au_combinations.json"
    return json.loads(path.read_text())["counts"]


def draw_aus(rng: np.random.Generator, label: str, kind: str, supported=None) -> tuple:
    """Draw an AU combination for (``label``, ``kind``) from the real sheet's statistics.

    Only combinations whose AUs are all in ``supported`` (default: those the synthetic face
    renders) are drawn, weighted by their counts; with none, one renderable AU at random.
    """
    supported = set(AU_MOTIONS) if supported is None else set(supported)
    stats = au_statistics()
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


def _event_lengths(rng, cfg, n_frames):
    """(kinds, lengths in frames, free frames) that fit the trial, dropping events if needed."""
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
            return kinds, lengths, free
        kinds = kinds[:-1]  # too many for this trial length: drop one
    raise RuntimeError("cannot place expressions")  # pragma: no cover - SynthConfig.duration >= 2


def place_events(rng: np.random.Generator, cfg, n_frames: int) -> list:
    """Non-overlapping expression intervals (frames) with >= 1 s between them.

    Returns one dict per expression with ``kind`` (``"micro"`` / ``"macro"``),
    ``onset_frame``, ``apex_frame`` and ``offset_frame``; ``cfg`` is a ``SynthConfig``.
    """
    fps = cfg.fps
    gap = int(round(1.0 * fps))
    kinds, lengths, free = _event_lengths(rng, cfg, n_frames)
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


def _move_to_edges(rng, events, cfg, n_frames):
    """Move each ME, with probability ``cfg.me_at_edges``, into an edge zone of the trial
    (:data:`~.events.EDGE_ZONES`: first 2.5 s / last 5 s) when it fits there (1 s from the others)."""
    from .events import edge_times

    fps, gap = cfg.fps, int(round(1.0 * cfg.fps))
    duration = n_frames / fps
    for ev in events:
        if ev["kind"] != "micro" or rng.random() >= cfg.me_at_edges:
            continue
        length, to_apex = ev["offset_frame"] - ev["onset_frame"], ev["apex_frame"] - ev["onset_frame"]
        apex = int(round(edge_times(rng, duration, 1, margin=0.3)[0] * fps))
        onset = int(np.clip(apex - to_apex, 1, n_frames - 2 - length))
        offset = onset + length
        others = [o for o in events if o is not ev]
        if all(offset + gap <= o["onset_frame"] or onset >= o["offset_frame"] + gap for o in others):
            ev.update(onset_frame=onset, apex_frame=onset + to_apex, offset_frame=offset)
    events.sort(key=lambda e: e["onset_frame"])
    return events


def plan_expressions(rng: np.random.Generator, cfg, n_frames: int, label: str) -> list:
    """:func:`place_events` completed with AUs, amplitude (px), coded offset and times (s)."""
    events = place_events(rng, cfg, n_frames)
    if getattr(cfg, "me_at_edges", 0.0) > 0:
        events = _move_to_edges(rng, events, cfg, n_frames)
    for ev in events:
        ev["aus"] = draw_aus(rng, label, ev["kind"])
        amp = cfg.me_amplitude if ev["kind"] == "micro" else cfg.mae_amplitude
        ev["amplitude"] = float(rng.uniform(*amp))
        ev["offset_coded"] = bool(rng.random() >= cfg.uncoded_offset_fraction)
        ev["emotion_raw"] = label
        for k in ("onset", "apex", "offset"):
            ev[k] = ev[f"{k}_frame"] / cfg.fps
    return events
