"""Rendering of the synthetic face video: planted expressions, distractors and sensor noise.

The still face (:func:`~.face_fields.face_template`) is warped with :func:`cv2.remap` by
the sum of the AU displacement fields (:mod:`.face_fields`) of the expressions active in
each frame, each scaled by its time course (:func:`expression_profile`). With noise and
distractors switched off the frame at a planted apex differs from the onset frame *only*
inside the planted AUs' support. Distractors that are not annotated (eye blinks,
sub-pixel head shifts) and sensor noise are switched on and off through
:class:`~.face_config.FaceConfig`.

:func:`render_stream` produces the frames one at a time (:class:`~.face_motion.FrameStream`,
memory independent of the clip's length, for camera-size video); :func:`render_frames`
stacks the same frames into one array.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validate import check_int, check_option, check_positive, check_rng, check_sfreq
from .face_config import FaceConfig
from .face_fields import _au_box_field, _blink_box_field, _embed, _template
from .face_geometry import AU_MOTIONS, REGIONS
from .face_motion import FrameStream, _Displacement, _draw_blinks, _draw_head_shifts, _union, expression_profile

__all__ = ["expression_profile", "render_stream", "render_frames", "render_sample"]


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


def _event_field(aus, amplitude: float, height: int, width: int):
    """(box, summed AU field of one expression on box), scaled to ``amplitude`` px at its largest."""
    parts = [_au_box_field(au, height, width) for au in aus]
    box = _union([b for b, _ in parts])
    field = np.zeros((2, box[1] - box[0], box[3] - box[2]), np.float32)
    for (y0, y1, x0, x1), f in parts:
        field[:, y0 - box[0]:y1 - box[0], x0 - box[2]:x1 - box[2]] += f
    field *= amplitude / max(float(np.hypot(field[0], field[1]).max()), 1e-12)
    return box, field


def _event_truth(ev: dict, box, field: np.ndarray, fps: float, height: int, width: int) -> dict:
    """Ground truth of one planted expression: times, frames, AUs, regions, moving pixels."""
    full = _embed(box, field, height, width)
    mask = (full[0] != 0) | (full[1] != 0)
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


def _plant_expressions(evs, times, fps, height, width, scale: float = 1.0):
    """(intensity (n_events, n_frames), box fields, truth per event) of the parsed events."""
    intensity = np.zeros((len(evs), times.size))
    fields, truth = [], []
    for k, ev in enumerate(evs):
        intensity[k] = expression_profile(times, ev["onset"], ev["apex"], ev["offset"])
        fields.append(_event_field(ev["aus"], ev["amplitude"] * scale, height, width))
        truth.append(_event_truth(ev, *fields[-1], fps, height, width))
    return intensity, fields, truth


def render_stream(n_frames: int, fps: float, events: Sequence, *, rng, config: FaceConfig | None = None):
    """Render a face video frame by frame (memory independent of its length).

    Parameters
    ----------
    n_frames, fps, events, rng, config
        As in :func:`render_frames`.

    Returns
    -------
    frames : FrameStream
        Single-pass iterator over the ``n_frames`` frames, each ``(height, width, 3)``
        uint8 RGB, equal to ``render_frames(...)[0][i]`` for the same ``rng`` state; it
        draws the sensor noise from ``rng`` as it goes (consume it before using ``rng``
        for anything else). ``frames.shape`` is ``(n_frames, height, width, 3)``.
    truth : dict
        As in :func:`render_frames`, complete before any frame is produced.
    """
    config = FaceConfig() if config is None else config
    n_frames = check_int("n_frames", n_frames, min_value=1)
    fps = check_sfreq(fps, "fps")
    rng = check_rng(rng)
    evs = _parse_events(events)
    H, W = config.height, config.width
    template, regions = _template(H, W)
    times = np.arange(n_frames) / fps
    intensity, fields, truth_events = _plant_expressions(evs, times, fps, H, W, config.motion_scale)
    blink_int, blinks = _draw_blinks(rng, config, times, n_frames / fps)
    head, shifts = _draw_head_shifts(rng, config, times, n_frames / fps)
    blink_box, blink_unit = _blink_box_field(H, W)
    blink_field = (blink_box, blink_unit * np.float32(config.blink_amplitude * config.motion_scale))
    stream = FrameStream(template, _Displacement(intensity, fields, blink_int, blink_field, head), n_frames,
                         rng, float(config.noise_sd))
    truth = {
        "events": truth_events,
        "distractors": {"blinks": blinks, "head_shifts": shifts},
        "intensity": intensity,
        "head_offset": head,
        "regions": dict(regions),
        "fps": fps,
        "n_frames": n_frames,
    }
    return stream, truth


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
        the apex, times ``config.motion_scale``; default 2.0; micro-expressions ~1-3 px,
        macro larger). Events may overlap in time; their displacements add.
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
        outside the clip), ``aus``, ``amplitude`` (px, as given), ``regions`` (region names),
        ``box`` (bounding box ``(y0, y1, x0, x1)`` of the moving pixels) and ``mask``
        (``(height, width)`` bool: pixels whose displacement is non-zero at the apex);
        ``"distractors"``: ``{"blinks": [{onset, apex, offset, amplitude}],
        "head_shifts": [{onset, offset, dy, dx}]}`` (s, output px; not annotated; head
        shifts never overlap and the accumulated offset stays within ``motion_scale`` px);
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
    stream, truth = render_stream(n_frames, fps, events, rng=rng, config=config)
    frames = np.empty(stream.shape, np.uint8)
    for i, frame in enumerate(stream):
        frames[i] = frame
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
