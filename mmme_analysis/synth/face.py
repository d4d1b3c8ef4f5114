"""Synthetic face video: planted action-unit (AU) motions on a real photograph.

The face is the astronaut portrait shipped with scikit-image
(:func:`skimage.data.astronaut`, public domain, 512 x 512 RGB), cropped to the face and
resized to ``FaceConfig.height x FaceConfig.width``. Facial movements are rendered as
smooth, localised displacement fields (one per AU) that warp the photograph with
:func:`cv2.remap`. Every AU field has compact support inside the box of its facial
region (``"brows"``, ``"eyes"``, ``"nose"``, ``"mouth"``): outside its support the
displacement is exactly zero, so with noise and distractors switched off the frame at a
planted apex differs from the onset frame *only* inside the planted AU's support.

Distractors that are not annotated (eye blinks, sub-pixel head shifts) and sensor noise
can be switched on and off through :class:`FaceConfig`.

Geometry (all in pixels of the 512 x 512 photograph, ``(y, x)`` with ``y`` down):

* face crop ``FACE_CROP = (58, 199, 163, 283)`` (``y0, y1, x0, x1``, half-open), found by
  hand: hair fringe to below the chin, cheek to cheek. 141 x 120 px, so the default
  output 160 x 136 is an isotropic 1.134x enlargement.
* region boxes (``REGION_BOXES_PHOTO``): brows ``y 78-96``, eyes (with the upper cheeks)
  ``y 96-117``, nose (lower dorsum, wings and the skin above the upper lip) ``y 117-140``,
  mouth (lips, corners and chin) ``y 131-180``; the nose and mouth boxes overlap at the
  upper lip (``y 131-140``).
* landmarks (eye centres ``(100.5, 203.5)`` and ``(101, 245.5)``, brow ends, lip corners
  ``(138.6, 203.5)`` and ``(138, 244.2)``, chin ``(164, 224.5)``) are given in each AU's
  components in :data:`AU_MOTIONS`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from .._validate import check_int, check_option, check_positive, check_sfreq

__all__ = [
    "FACE_CROP",
    "REGIONS",
    "AU_MOTIONS",
    "AUComponent",
    "AUMotion",
    "FaceConfig",
    "face_template",
    "au_displacement",
    "expression_profile",
    "render_frames",
    "render_sample",
]

#: Face crop in the 512 x 512 astronaut photograph, ``(y0, y1, x0, x1)`` half-open pixels.
FACE_CROP = (58, 199, 163, 283)

#: Region names, in the order used everywhere.
REGIONS = ("brows", "eyes", "nose", "mouth")

#: Region boxes in photograph pixels ``(y0, y1, x0, x1)`` (half-open), placed by eye.
REGION_BOXES_PHOTO = {
    "brows": (78.0, 96.0, 184.0, 270.0),
    "eyes": (96.0, 117.0, 184.0, 268.0),
    "nose": (117.0, 140.0, 205.0, 244.0),
    "mouth": (131.0, 180.0, 188.0, 262.0),
}

_MIDLINE_X = 224.5  # facial midline in photograph pixels
_EYES_PHOTO = ((100.5, 203.5), (101.0, 245.5))  # (y, x) of the eye centres


@dataclass(frozen=True)
class AUComponent:
    """One windowed motion of an AU (photograph pixels).

    Parameters
    ----------
    center : tuple of float
        ``(y, x)`` centre of the window in photograph pixels.
    radii : tuple of float
        ``(ry, rx)`` semi-axes of the elliptical biweight window in photograph pixels;
        the window is ``(1 - r**2)**2`` for ``r < 1`` and exactly 0 beyond.
    direction : tuple of float
        ``(dy, dx)`` unit-ish direction of a ``"translate"`` motion (ignored otherwise).
    kind : str
        ``"translate"`` (uniform direction), ``"converge"`` (towards the horizontal line
        through the centre: lids closing) or ``"pinch"`` (towards the centre point).
    """

    center: tuple
    radii: tuple
    direction: tuple = (0.0, 0.0)
    kind: str = "translate"


@dataclass(frozen=True)
class AUMotion:
    """A facial action unit: its region, a description, and its windowed components."""

    region: str
    description: str
    components: tuple


def _pair(center_l, center_r, radii, dir_l, dir_r=None, kind="translate"):
    """Left/right components; ``dir_r`` defaults to ``dir_l`` mirrored in x."""
    if dir_r is None:
        dir_r = (dir_l[0], -dir_l[1])
    return (AUComponent(center_l, radii, dir_l, kind), AUComponent(center_r, radii, dir_r, kind))


_S = 0.7071067811865476  # 1/sqrt(2)

#: The AUs the synthetic face can show. "Left"/"right" are image left/right.
AU_MOTIONS: dict[str, AUMotion] = {
    "AU1": AUMotion("brows", "inner brow raiser: inner brow ends move up",
                    _pair((89.5, 210.0), (89.5, 239.0), (6.0, 8.0), (-1.0, 0.0))),
    "AU2": AUMotion("brows", "outer brow raiser: outer brow ends move up",
                    _pair((89.0, 194.0), (89.0, 256.0), (6.0, 8.0), (-1.0, 0.0))),
    "AU4": AUMotion("brows", "brow lowerer: brows move down and towards the midline",
                    _pair((90.0, 205.0), (90.0, 243.0), (5.5, 12.0), (_S, _S))),
    "AU6": AUMotion("eyes", "cheek raiser: upper cheeks and lower lids move up",
                    _pair((110.0, 201.0), (110.0, 248.0), (7.0, 13.0), (-1.0, 0.0))),
    "AU7": AUMotion("eyes", "lid tightener: lids converge towards the eye centre line",
                    _pair((101.0, 203.5), (101.0, 245.5), (4.8, 11.0), (0.0, 0.0), (0.0, 0.0),
                          kind="converge")),
    "AU9": AUMotion("nose", "nose wrinkler: nose dorsum and wings move up",
                    (AUComponent((124.0, 224.5), (6.0, 13.0), (-1.0, 0.0)),)),
    "AU10": AUMotion("nose", "upper lip raiser: skin above the upper lip and the lip move up",
                     (AUComponent((134.0, 224.5), (5.5, 15.0), (-1.0, 0.0)),)),
    "AU12": AUMotion("mouth", "lip corner puller: lip corners move up and outwards",
                     _pair((138.6, 203.5), (138.0, 244.2), (5.0, 7.0), (-_S, -_S))),
    "AU14": AUMotion("mouth", "dimpler: skin is pulled into the lip corners",
                     _pair((138.6, 203.5), (138.0, 244.2), (4.0, 5.5), (0.0, 0.0), (0.0, 0.0),
                           kind="pinch")),
    "AU15": AUMotion("mouth", "lip corner depressor: lip corners move down",
                     _pair((140.0, 203.5), (139.5, 244.2), (5.0, 7.0), (0.96, -0.28))),
    "AU17": AUMotion("mouth", "chin raiser: chin boss and lower lip move up",
                     (AUComponent((164.0, 224.5), (10.0, 16.0), (-1.0, 0.0)),)),
    "AU20": AUMotion("mouth", "lip stretcher: lip corners move sideways (and slightly down)",
                     _pair((139.0, 202.0), (138.5, 246.0), (6.0, 9.5), (0.15, -0.99))),
}

# Eyelid closing of a blink (distractor): upper lids move down (photograph pixels).
_BLINK = _pair((100.0, 203.5), (100.5, 245.5), (3.8, 11.0), (1.0, 0.0))


@dataclass(frozen=True)
class FaceConfig:
    """Rendering parameters of the synthetic face video.

    Parameters
    ----------
    height, width : int
        Frame size in pixels, even, >= 32 (a face crop; default 160 x 136, small for CI).
    noise_sd : float
        Standard deviation of the additive Gaussian sensor noise in grey levels (0: off).
    blink_rate : float
        Mean rate of eye blinks in Hz (Poisson; 0: off). Blinks are not annotated.
    blink_duration : float
        Duration of a blink in seconds (closing takes the first third).
    blink_amplitude : float
        Downward travel of the upper lids at full closure, in output pixels.
    head_shift_rate : float
        Mean rate of small global head translations in Hz (Poisson; 0: off).
    head_shift_max : float
        Largest head translation in output pixels (each shift draws a magnitude in
        ``[0.2, head_shift_max]`` and a random direction, turned back towards the start
        when it would leave it by more than 1 px: the head stays within 1 px).
    head_shift_duration : float
        Duration of one (smooth) head translation in seconds.
    """

    height: int = 160
    width: int = 136
    noise_sd: float = 1.5
    blink_rate: float = 0.25
    blink_duration: float = 0.3
    blink_amplitude: float = 5.0
    head_shift_rate: float = 0.1
    head_shift_max: float = 0.8
    head_shift_duration: float = 1.0

    def __post_init__(self):
        check_int("height", self.height, min_value=32)
        check_int("width", self.width, min_value=32)
        if self.height % 2 or self.width % 2:
            raise ValueError(
                f"Invalid value for 'height, width': expected even numbers (the lossless HuffYUV "
                f"video writer needs them), got ({self.height!r}, {self.width!r})"
            )
        for name in ("noise_sd", "blink_rate", "blink_amplitude", "head_shift_rate", "head_shift_max"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("blink_duration", self.blink_duration)
        check_positive("head_shift_duration", self.head_shift_duration)
        if self.head_shift_max >= 1.0:
            raise ValueError(
                f"Invalid value for 'head_shift_max': expected a number of pixels < 1, "
                f"got {self.head_shift_max!r}"
            )

    def quiet(self) -> "FaceConfig":
        """The same configuration without noise, blinks or head shifts."""
        return replace(self, noise_sd=0.0, blink_rate=0.0, head_shift_rate=0.0)


# --------------------------------------------------------------------------------------------
# geometry


def _photo_coords(height: int, width: int):
    """Photograph coordinates (y, x) of the output pixel centres (float64 grids)."""
    y0, y1, x0, x1 = FACE_CROP
    sy, sx = height / (y1 - y0), width / (x1 - x0)
    yo = np.arange(height, dtype=np.float64)
    xo = np.arange(width, dtype=np.float64)
    yp = y0 + (yo + 0.5) / sy - 0.5
    xp = x0 + (xo + 0.5) / sx - 0.5
    return np.meshgrid(yp, xp, indexing="ij"), (sy, sx)


def _region_mask(name: str, height: int, width: int) -> np.ndarray:
    (yp, xp), _ = _photo_coords(height, width)
    y0, y1, x0, x1 = REGION_BOXES_PHOTO[name]
    return (yp >= y0) & (yp < y1) & (xp >= x0) & (xp < x1)


@functools.lru_cache(maxsize=8)
def _template(height: int, width: int):
    from skimage.data import astronaut

    y0, y1, x0, x1 = FACE_CROP
    crop = np.ascontiguousarray(astronaut()[y0:y1, x0:x1])
    interp = cv2.INTER_AREA if height < (y1 - y0) else cv2.INTER_CUBIC
    img = cv2.resize(crop, (width, height), interpolation=interp)
    img.setflags(write=False)
    regions = {}
    for name in REGIONS:
        rows, cols = np.nonzero(_region_mask(name, height, width))
        regions[name] = (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
    return img, regions


def face_template(config: FaceConfig | None = None):
    """The still face and its region boxes.

    Parameters
    ----------
    config : FaceConfig, optional
        Frame size (``height``, ``width``); default ``FaceConfig()``.

    Returns
    -------
    image : numpy.ndarray
        ``(height, width, 3)`` uint8 RGB face crop of :func:`skimage.data.astronaut`.
    regions : dict
        ``{"brows" | "eyes" | "nose" | "mouth": (y0, y1, x0, x1)}`` half-open pixel boxes
        in the output frame.
    """
    config = FaceConfig() if config is None else config
    img, regions = _template(config.height, config.width)
    return img.copy(), dict(regions)


def _components_field(components, region: str | None, height: int, width: int) -> np.ndarray:
    """Sum of windowed motions, (2, H, W) float64 ``(dy, dx)`` in output pixels (unnormalised)."""
    (yp, xp), (sy, sx) = _photo_coords(height, width)
    field = np.zeros((2, height, width))
    for comp in components:
        (cy, cx), (ry, rx) = comp.center, comp.radii
        uy, ux = (yp - cy) / ry, (xp - cx) / rx
        r2 = uy**2 + ux**2
        w = np.where(r2 < 1.0, (1.0 - r2) ** 2, 0.0)
        if comp.kind == "translate":
            vy, vx = comp.direction[0] * w, comp.direction[1] * w
        elif comp.kind == "converge":
            vy, vx = -uy * w, np.zeros_like(w)
        elif comp.kind == "pinch":
            vy, vx = -uy * w, -ux * w
        else:  # pragma: no cover - AU_MOTIONS is a constant
            raise ValueError(f"unknown component kind {comp.kind!r}")
        field[0] += vy * sy / max(sy, sx)
        field[1] += vx * sx / max(sy, sx)
    if region is not None:  # truncate: exactly zero outside the region box
        field *= _region_mask(region, height, width)
    return field


def _unit_field(components, region: str, height: int, width: int) -> np.ndarray:
    """Read-only float32 field of ``components`` scaled to a largest magnitude of 1."""
    field = _components_field(components, region, height, width)
    field = (field / np.hypot(field[0], field[1]).max()).astype(np.float32)
    field.setflags(write=False)
    return field


@functools.lru_cache(maxsize=64)
def _au_field(au: str, height: int, width: int) -> np.ndarray:
    motion = AU_MOTIONS[au]
    return _unit_field(motion.components, motion.region, height, width)


@functools.lru_cache(maxsize=8)
def _blink_field(height: int, width: int) -> np.ndarray:
    return _unit_field(_BLINK, "eyes", height, width)


def au_displacement(au: str, config: FaceConfig | None = None) -> np.ndarray:
    """Unit displacement field of one AU.

    Parameters
    ----------
    au : str
        One of :data:`AU_MOTIONS` (``"AU1"`` ... ``"AU20"``).
    config : FaceConfig, optional
        Frame size; default ``FaceConfig()``.

    Returns
    -------
    numpy.ndarray
        ``(2, height, width)`` float32 ``(dy, dx)`` in output pixels, largest magnitude 1,
        exactly zero outside the AU's support (which lies inside its region box).
    """
    config = FaceConfig() if config is None else config
    check_option("au", au, tuple(AU_MOTIONS))
    return _au_field(au, config.height, config.width).copy()


# --------------------------------------------------------------------------------------------
# time course


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


# --------------------------------------------------------------------------------------------
# rendering


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


def _poisson_times(rng, rate: float, duration: float) -> list:
    times, t = [], 0.0
    if rate <= 0:
        return times
    while True:
        t += float(rng.exponential(1.0 / rate))
        if t >= duration:
            return times
        times.append(t)


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
    if rng is None or not hasattr(rng, "standard_normal"):
        raise TypeError(f"Invalid value for 'rng': expected a numpy.random.Generator, got {rng!r}")
    evs = _parse_events(events)
    H, W = config.height, config.width
    template, regions = _template(H, W)
    times = np.arange(n_frames) / fps
    duration = n_frames / fps

    # --- expressions --------------------------------------------------------------------------
    intensity = np.zeros((len(evs), n_frames))
    fields = []
    truth_events = []
    for k, ev in enumerate(evs):
        intensity[k] = expression_profile(times, ev["onset"], ev["apex"], ev["offset"])
        field = np.zeros((2, H, W), np.float32)
        for au in ev["aus"]:
            field += _au_field(au, H, W)
        field *= ev["amplitude"] / max(float(np.hypot(field[0], field[1]).max()), 1e-12)
        fields.append(field)
        mask = (field[0] != 0) | (field[1] != 0)
        rows, cols = np.nonzero(mask)
        truth_events.append({
            "onset": ev["onset"], "apex": ev["apex"], "offset": ev["offset"],
            "onset_frame": int(round(ev["onset"] * fps)), "apex_frame": int(round(ev["apex"] * fps)),
            "offset_frame": int(round(ev["offset"] * fps)),
            "aus": ev["aus"], "amplitude": ev["amplitude"],
            "regions": tuple(sorted({AU_MOTIONS[a].region for a in ev["aus"]}, key=REGIONS.index)),
            "box": (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1),
            "mask": mask,
        })

    # --- distractors -------------------------------------------------------------------------
    blinks = []
    blink_int = np.zeros(n_frames)
    if config.blink_rate > 0 and config.blink_amplitude > 0:
        for t0 in _poisson_times(rng, config.blink_rate, duration):
            ap, off = t0 + config.blink_duration / 3.0, t0 + config.blink_duration
            blink_int = np.maximum(blink_int, expression_profile(times, t0, ap, off))
            blinks.append({"onset": t0, "apex": ap, "offset": off, "amplitude": config.blink_amplitude})
    head = np.zeros((n_frames, 2))
    shifts = []
    if config.head_shift_rate > 0 and config.head_shift_max > 0:
        pos = np.zeros(2)
        busy_until = -np.inf
        for t0 in _poisson_times(rng, config.head_shift_rate, duration):
            if t0 < busy_until:  # one shift at a time
                continue
            busy_until = t0 + config.head_shift_duration
            mag = float(rng.uniform(min(0.2, config.head_shift_max), config.head_shift_max))
            ang = float(rng.uniform(0, 2 * np.pi))
            step = mag * np.array([np.sin(ang), np.cos(ang)])
            if np.hypot(*(pos + step)) > 1.0:  # keep the head within 1 px of its start:
                step = -mag * pos / np.hypot(*pos)  # move back towards it instead
            t1 = t0 + config.head_shift_duration
            ramp = np.clip((times - t0) / (t1 - t0), 0.0, 1.0)
            ramp = 0.5 * (1.0 - np.cos(np.pi * ramp))
            head += ramp[:, None] * step[None, :]
            pos = pos + step
            shifts.append({"onset": t0, "offset": t1, "dy": float(step[0]), "dx": float(step[1])})

    # --- frames ------------------------------------------------------------------------------
    gy, gx = np.mgrid[0:H, 0:W].astype(np.float32)
    blink_field = _blink_field(H, W) * np.float32(config.blink_amplitude)
    frames = np.empty((n_frames, H, W, 3), np.uint8)
    for i in range(n_frames):
        d = np.zeros((2, H, W), np.float32)
        moving = False
        for k in np.flatnonzero(intensity[:, i] > 0):
            d += np.float32(intensity[k, i]) * fields[k]
            moving = True
        if blink_int[i] > 0:
            d += np.float32(blink_int[i]) * blink_field
            moving = True
        if head[i, 0] != 0 or head[i, 1] != 0:
            d[0] += np.float32(head[i, 0])
            d[1] += np.float32(head[i, 1])
            moving = True
        if moving:
            frames[i] = cv2.remap(template, gx - d[1], gy - d[0], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT101)
        else:
            frames[i] = template
    if config.noise_sd > 0:
        table = _noise_table(float(config.noise_sd))
        for s in range(0, n_frames, 100):
            block = frames[s : s + 100]
            noise = table[rng.integers(0, table.size, size=block.shape, dtype=np.uint16)]
            noise += block
            np.clip(noise, 0, 255, out=noise)
            block[...] = noise

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
