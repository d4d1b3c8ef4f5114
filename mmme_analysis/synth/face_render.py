"""Rendering of the synthetic face video: planted expressions, distractors and sensor noise.

The still face (:func:`~.face_fields.face_template`) is warped with :func:`cv2.remap` by
the sum of the AU displacement fields (:mod:`.face_fields`) of the expressions active in
each frame, each scaled by its time course (:func:`expression_profile`). With noise and
distractors switched off the frame at a planted apex differs from the onset frame *only*
inside the planted AUs' support. Distractors that are not annotated (eye blinks,
sub-pixel head shifts) and sensor noise are switched on and off through
:class:`~.face_config.FaceConfig`.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from .._validate import check_int, check_option, check_positive, check_rng, check_sfreq
from .events import poisson_times
from .face_config import FaceConfig
from .face_fields import _au_field, _blink_field, _template
from .face_geometry import AU_MOTIONS, REGIONS

__all__ = ["expression_profile", "render_frames", "render_sample"]


def expression_profile(t, onset: float, apex: float, offset: float):
    """Intensity of an expression over time: raised-cosine rise and fall.

    Parameters
    ----------
    t : float or array-like
        Time(s) in seconds.
    onset, apex, offset : float
        Times in seconds with ``onset <= apex <= offset``.

    Returns
    -------
    float or numpy.ndarray
        Intensity in ``[0, 1]``: 0 before ``onset`` and after ``offset``,
        ``0.5 * (1 - cos(pi * (t - onset) / (apex - onset)))`` on the rise, 1 at ``apex``,
        ``0.5 * (1 + cos(pi * (t - apex) / (offset - apex)))`` on the fall. A zero-length
        rise (fall) is a step up (down) at ``apex``.
    """
    onset, apex, offset = float(onset), float(apex), float(offset)
    if not (onset <= apex <= offset) or not np.isfinite([onset, apex, offset]).all():
        raise ValueError(
            "Invalid value for 'onset, apex, offset': expected finite times with "
            f"onset <= apex <= offset, got ({onset!r}, {apex!r}, {offset!r})"
        )
    tt = np.asarray(t, dtype=np.float64)
    out = np.zeros(tt.shape)
    rise = (tt >= onset) & (tt < apex)
    if apex > onset:
        out[rise] = 0.5 * (1.0 - np.cos(np.pi * (tt[rise] - onset) / (apex - onset)))
    fall = (tt > apex) & (tt <= offset)
    if offset > apex:
        out[fall] = 0.5 * (1.0 + np.cos(np.pi * (tt[fall] - apex) / (offset - apex)))
    out[tt == apex] = 1.0
    return float(out) if out.ndim == 0 else out


def _get(ev: Any, key: str, default: Any = None) -> Any:
    if isinstance(ev, Mapping):
        return ev.get(key, default)
    return getattr(ev, key, default)


def _parse_events(events) -> list:
    parsed = []
    for i, ev in enumerate(events):
        times = []
        for key in ("onset", "apex", "offset"):
            val = _get(ev, key)
            if val is None:
                raise ValueError(f"Invalid value for 'events[{i}]': expected a {key!r} time in s, got {ev!r}")
            times.append(check_positive(f"events[{i}].{key}", val, allow_zero=True))
        if not times[0] <= times[1] <= times[2]:
            raise ValueError(
                f"Invalid value for 'events[{i}]': expected onset <= apex <= offset, got {tuple(times)!r}"
            )
        aus = _get(ev, "aus")
        if isinstance(aus, str):
            aus = tuple(a.strip() for a in aus.split(",") if a.strip())
        if not aus:
            raise ValueError(f"Invalid value for 'events[{i}].aus': expected a non-empty tuple of AUs, got {aus!r}")
        for au in aus:
            check_option(f"events[{i}].aus", au, tuple(AU_MOTIONS))
        amp = check_positive(f"events[{i}].amplitude", _get(ev, "amplitude", 2.0))
        parsed.append({"onset": times[0], "apex": times[1], "offset": times[2],
                       "aus": tuple(aus), "amplitude": amp})
    return parsed


@functools.lru_cache(maxsize=4)
def _noise_table(sd: float) -> np.ndarray:
    """Rounded Gaussian noise by inverse CDF of a 16-bit uniform (int16 lookup table).

    Frames are integers, so ``round(frame + noise) == frame + round(noise)``: adding the
    rounded noise is the same as rounding after adding, and a table lookup on random
    uint16 is several times faster than drawing float normals.
    """
    from scipy.special import ndtri

    table = np.rint(sd * ndtri((np.arange(65536) + 0.5) / 65536)).astype(np.int16)
    table.setflags(write=False)
    return table

def _event_field(aus, amplitude: float, height: int, width: int) -> np.ndarray:
    """Summed AU field of one expression, scaled to ``amplitude`` px at its largest."""
    field = np.zeros((2, height, width), np.float32)
    for au in aus:
        field += _au_field(au, height, width)
    field *= amplitude / max(float(np.hypot(field[0], field[1]).max()), 1e-12)
    return field


def _event_truth(ev: dict, field: np.ndarray, fps: float) -> dict:
    """Ground truth of one planted expression: times, frames, AUs, regions, moving pixels."""
    mask = (field[0] != 0) | (field[1] != 0)
    rows, cols = np.nonzero(mask)
    return {
        "onset": ev["onset"], "apex": ev["apex"], "offset": ev["offset"],
        "onset_frame": int(round(ev["onset"] * fps)), "apex_frame": int(round(ev["apex"] * fps)),
        "offset_frame": int(round(ev["offset"] * fps)),
        "aus": ev["aus"], "amplitude": ev["amplitude"],
        "regions": tuple(sorted({AU_MOTIONS[a].region for a in ev["aus"]}, key=REGIONS.index)),
        "box": (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1),
        "mask": mask,
    }


def _plant_expressions(evs, times, fps, height, width):
    """(intensity (n_events, n_frames), fields, truth per event) of the parsed events."""
    intensity = np.zeros((len(evs), times.size))
    fields, truth = [], []
    for k, ev in enumerate(evs):
        intensity[k] = expression_profile(times, ev["onset"], ev["apex"], ev["offset"])
        fields.append(_event_field(ev["aus"], ev["amplitude"], height, width))
        truth.append(_event_truth(ev, fields[-1], fps))
    return intensity, fields, truth


def _draw_blinks(rng, config: FaceConfig, times, duration: float):
    """(lid-closure intensity per frame, blink records) of Poisson blinks."""
    blink_int = np.zeros(times.size)
    blinks = []
    if config.blink_rate <= 0 or config.blink_amplitude <= 0:
        return blink_int, blinks
    for t0 in poisson_times(rng, config.blink_rate, duration):
        t0 = float(t0)
        ap, off = t0 + config.blink_duration / 3.0, t0 + config.blink_duration
        blink_int = np.maximum(blink_int, expression_profile(times, t0, ap, off))
        blinks.append({"onset": t0, "apex": ap, "offset": off, "amplitude": config.blink_amplitude})
    return blink_int, blinks


def _shift_step(rng, pos: np.ndarray, max_shift: float) -> np.ndarray:
    """Random head translation (dy, dx) px, turned back towards the start if it would leave 1 px."""
    mag = float(rng.uniform(min(0.2, max_shift), max_shift))
    ang = float(rng.uniform(0, 2 * np.pi))
    step = mag * np.array([np.sin(ang), np.cos(ang)])
    if np.hypot(*(pos + step)) > 1.0:  # keep the head within 1 px of its start:
        step = -mag * pos / np.hypot(*pos)  # move back towards it instead
    return step


def _draw_head_shifts(rng, config: FaceConfig, times, duration: float):
    """(accumulated head offset (n_frames, 2) px, shift records): one smooth shift at a time."""
    head = np.zeros((times.size, 2))
    shifts = []
    if config.head_shift_rate <= 0 or config.head_shift_max <= 0:
        return head, shifts
    pos, busy_until = np.zeros(2), -np.inf
    for t0 in poisson_times(rng, config.head_shift_rate, duration):
        t0 = float(t0)
        if t0 < busy_until:  # one shift at a time
            continue
        t1 = busy_until = t0 + config.head_shift_duration
        step = _shift_step(rng, pos, config.head_shift_max)
        ramp = np.clip((times - t0) / (t1 - t0), 0.0, 1.0)
        head += 0.5 * (1.0 - np.cos(np.pi * ramp))[:, None] * step[None, :]
        pos = pos + step
        shifts.append({"onset": t0, "offset": t1, "dy": float(step[0]), "dx": float(step[1])})
    return head, shifts


class _Displacement:
    """Per-frame displacement of the face: expressions + blink + head offset."""

    def __init__(self, intensity, fields, blink_int, blink_field, head):
        self.intensity, self.fields = intensity, fields
        self.blink_int, self.blink_field, self.head = blink_int, blink_field, head

    def __call__(self, i: int, shape) -> np.ndarray | None:
        """(2, H, W) float32 ``(dy, dx)`` of frame ``i``, or None where nothing moves."""
        d = np.zeros((2, *shape), np.float32)
        moving = False
        for k in np.flatnonzero(self.intensity[:, i] > 0):
            d += np.float32(self.intensity[k, i]) * self.fields[k]
            moving = True
        if self.blink_int[i] > 0:
            d += np.float32(self.blink_int[i]) * self.blink_field
            moving = True
        if self.head[i, 0] != 0 or self.head[i, 1] != 0:
            d[0] += np.float32(self.head[i, 0])
            d[1] += np.float32(self.head[i, 1])
            moving = True
        return d if moving else None


def _warp_frames(template: np.ndarray, displacement: _Displacement) -> np.ndarray:
    """(n_frames, H, W, 3) uint8: the template warped by each frame's displacement."""
    H, W = template.shape[:2]
    n_frames = displacement.head.shape[0]
    gy, gx = np.mgrid[0:H, 0:W].astype(np.float32)
    frames = np.empty((n_frames, H, W, 3), np.uint8)
    for i in range(n_frames):
        d = displacement(i, (H, W))
        if d is None:
            frames[i] = template
        else:
            frames[i] = cv2.remap(template, gx - d[1], gy - d[0], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT101)
    return frames


def _add_noise(frames: np.ndarray, rng, sd: float, block: int = 100) -> None:
    """Add rounded Gaussian noise of ``sd`` grey levels in place (clipped to uint8)."""
    table = _noise_table(sd)
    for s in range(0, frames.shape[0], block):
        chunk = frames[s : s + block]
        noise = table[rng.integers(0, table.size, size=chunk.shape, dtype=np.uint16)]
        noise += chunk
        np.clip(noise, 0, 255, out=noise)
        chunk[...] = noise


def render_frames(n_frames: int, fps: float, events: Sequence, *, rng, config: FaceConfig | None = None):
    """Render a face video with planted expressions, distractors and noise.

    Parameters
    ----------
    n_frames : int
        Number of frames; frame ``i`` is at ``i / fps`` seconds.
    fps : float
        Frame rate in frames/s (required).
    events : sequence of dict or object
        Expressions to plant, each with ``onset``, ``apex``, ``offset`` (s,
        ``onset <= apex <= offset``), ``aus`` (tuple of AU names from :data:`AU_MOTIONS`, or
        a comma-separated string) and ``amplitude`` (peak displacement in output pixels at
        the apex; default 2.0; micro-expressions ~1-3 px, macro larger). Events may overlap
        in time; their displacements add.
    rng : numpy.random.Generator
        Source of randomness (distractor times, directions, noise).
    config : FaceConfig, optional
        Frame size, noise and distractor settings; default ``FaceConfig()``.

    Returns
    -------
    frames : numpy.ndarray
        ``(n_frames, height, width, 3)`` uint8 RGB.
    truth : dict
        ``"events"``: one dict per event with ``onset``, ``apex``, ``offset`` (s),
        ``onset_frame``, ``apex_frame``, ``offset_frame`` (nearest frame index, may lie
        outside the clip), ``aus``, ``amplitude`` (px), ``regions`` (region names),
        ``box`` (bounding box ``(y0, y1, x0, x1)`` of the moving pixels) and ``mask``
        (``(height, width)`` bool: pixels whose displacement is non-zero at the apex);
        ``"distractors"``: ``{"blinks": [{onset, apex, offset, amplitude}],
        "head_shifts": [{onset, offset, dy, dx}]}`` (s, px; not annotated; head shifts
        never overlap and the accumulated offset stays within 1 px);
        ``"intensity"``: ``(n_events, n_frames)`` profiles; ``"head_offset"``:
        ``(n_frames, 2)`` accumulated head translation ``(dy, dx)`` in px;
        ``"regions"``: the region boxes; ``"fps"``, ``"n_frames"``.

    Notes
    -----
    Each frame is the template warped by the summed displacement field ``d`` with
    ``cv2.remap`` (bilinear, ``frame(p) = template(p - d(p))``), then shifted by the head
    offset and given Gaussian noise (independent per pixel, channel and frame; rounded to
    integers and clipped to uint8; tails beyond ~4.3 sd are cut by the 16-bit inverse-CDF
    draw). Pixels where ``d`` is zero and no head shift is active are copied exactly.
    """
    config = FaceConfig() if config is None else config
    n_frames = check_int("n_frames", n_frames, min_value=1)
    fps = check_sfreq(fps, "fps")
    rng = check_rng(rng)
    evs = _parse_events(events)
    template, regions = _template(config.height, config.width)
    times = np.arange(n_frames) / fps
    intensity, fields, truth_events = _plant_expressions(evs, times, fps, config.height, config.width)
    blink_int, blinks = _draw_blinks(rng, config, times, n_frames / fps)
    head, shifts = _draw_head_shifts(rng, config, times, n_frames / fps)
    blink_field = _blink_field(config.height, config.width) * np.float32(config.blink_amplitude)
    frames = _warp_frames(template, _Displacement(intensity, fields, blink_int, blink_field, head))
    if config.noise_sd > 0:
        _add_noise(frames, rng, float(config.noise_sd))
    truth = {
        "events": truth_events,
        "distractors": {"blinks": blinks, "head_shifts": shifts},
        "intensity": intensity,
        "head_offset": head,
        "regions": dict(regions),
        "fps": fps,
        "n_frames": n_frames,
    }
    return frames, truth


def render_sample(aus, *, rng, config: FaceConfig | None = None, n_frames: int = 20,
                  fps: float = 150.0, amplitude: float = 2.0):
    """One onset-to-apex clip of an expression, for training ME-recognition models.

    Frame 0 is the onset (neutral face, intensity 0) and the last frame the apex
    (intensity 1); the intensity rises as a raised cosine in between. Distractors and noise
    follow ``config`` (use ``config.quiet()`` for clean clips). Classes differ only by
    their AU motions, so a per-class AU set (e.g. happiness ``("AU6", "AU12")``,
    disgust ``("AU9", "AU10")``, surprise ``("AU1", "AU2")``) gives a learnable task;
    vary ``amplitude`` and ``n_frames`` with ``rng`` for variety.

    Parameters
    ----------
    aus : tuple of str or str
        AUs of the expression (names from :data:`AU_MOTIONS`, or ``"AU6,AU12"``).
    rng : numpy.random.Generator
        Source of randomness (distractors, noise).
    config : FaceConfig, optional
        Frame size, noise and distractors; default ``FaceConfig()``.
    n_frames : int
        Clip length in frames (>= 2; 20 frames at 150 fps = 127 ms onset-to-apex).
    fps : float
        Frame rate in frames/s.
    amplitude : float
        Peak displacement at the apex in pixels.

    Returns
    -------
    frames, truth
        As :func:`render_frames` (one event, onset 0 s, apex ``(n_frames - 1) / fps``).
    """
    n_frames = check_int("n_frames", n_frames, min_value=2)
    fps = check_sfreq(fps, "fps")
    apex = (n_frames - 1) / fps
    event = {"onset": 0.0, "apex": apex, "offset": apex + 0.5 * apex, "aus": aus, "amplitude": amplitude}
    return render_frames(n_frames, fps, [event], rng=rng, config=config)
