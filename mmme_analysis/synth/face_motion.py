"""Per-frame motion of the synthetic face: time courses, distractors, warping, sensor noise.

:func:`expression_profile` is the time course of an expression; blinks and head shifts
are the unannotated distractors; :class:`FrameStream` turns the planted fields and these
time courses into frames, one at a time (the template warped by the frame's displacement
with :func:`cv2.remap`, then noise), so memory does not grow with the clip's length.
Displacement fields live on their region boxes (:mod:`.face_fields`): a frame in which
only expressions move is remapped inside the union of the active boxes only, and a frame
with a head offset everywhere.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

from .events import poisson_times
from .face_config import FaceConfig

__all__ = ["expression_profile", "FrameStream"]


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
        blinks.append({"onset": t0, "apex": ap, "offset": off,
                       "amplitude": config.blink_amplitude * config.motion_scale})
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
    """(accumulated head offset (n_frames, 2) px, shift records): one smooth shift at a time.

    Drawn in unscaled pixels (bound 1 px), applied and recorded times ``motion_scale``.
    """
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
        px = config.motion_scale * step
        head += 0.5 * (1.0 - np.cos(np.pi * ramp))[:, None] * px[None, :]
        pos = pos + step
        shifts.append({"onset": t0, "offset": t1, "dy": float(px[0]), "dx": float(px[1])})
    return head, shifts


def _union(boxes):
    return (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), max(b[3] for b in boxes))


class _Displacement:
    """Per-frame displacement of the face: expressions + blink (box fields) + head offset."""

    def __init__(self, intensity, fields, blink_int, blink_field, head):
        self.intensity, self.fields = intensity, fields  # fields: [(box, (2, h, w) float32)]
        self.blink_int, self.blink_field, self.head = blink_int, blink_field, head

    def __call__(self, i: int):
        """``(box, (2, h, w) float32 (dy, dx) on box, (dy, dx) head)`` of frame ``i``.

        ``box`` is the union of the active fields' boxes (None when none is active; the
        displacement outside it is the head offset); None for the whole when nothing moves.
        """
        active = [(np.float32(self.intensity[k, i]), *self.fields[k])
                  for k in np.flatnonzero(self.intensity[:, i] > 0)]
        if self.blink_int[i] > 0:
            active.append((np.float32(self.blink_int[i]), *self.blink_field))
        head = (float(self.head[i, 0]), float(self.head[i, 1]))
        if not active and head == (0.0, 0.0):
            return None
        if not active:
            return None, None, head
        box = _union([b for _, b, _ in active])
        d = np.zeros((2, box[1] - box[0], box[3] - box[2]), np.float32)
        for w, (y0, y1, x0, x1), field in active:  # same order of float32 sums as a full-frame field
            d[:, y0 - box[0]:y1 - box[0], x0 - box[2]:x1 - box[2]] += w * field
        if head != (0.0, 0.0):
            d[0] += np.float32(head[0])
            d[1] += np.float32(head[1])
        return box, d, head


class FrameStream:
    """The frames of one rendered clip, produced one at a time (single pass, in order).

    Iterating yields ``(height, width, 3)`` uint8 RGB frames; ``shape``, ``dtype`` and
    ``len()`` describe the whole clip. The sensor noise is drawn from the ``rng`` of the
    renderer as frames are produced: consume the stream before drawing anything else from
    that ``rng`` to keep results reproducible.
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, template, displacement: _Displacement, n_frames: int, rng, noise_sd: float):
        self._template, self._disp, self._rng = template, displacement, rng
        self._table = _noise_table(float(noise_sd)) if noise_sd > 0 else None
        self.shape = (int(n_frames), *template.shape)
        self._next = 0
        self._grid = None

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        return self

    def __next__(self) -> np.ndarray:
        if self._next >= self.shape[0]:
            raise StopIteration
        frame = self._warp(self._disp(self._next))
        self._next += 1
        if self._table is not None:
            noise = self._table[self._rng.integers(0, self._table.size, size=frame.shape, dtype=np.uint16)]
            noise += frame
            np.clip(noise, 0, 255, out=noise)
            frame = noise.astype(np.uint8)
        return frame

    def _warp(self, disp) -> np.ndarray:
        tpl = self._template
        if disp is None:
            return tpl.copy()
        if self._grid is None:
            H, W = tpl.shape[:2]
            self._grid = np.mgrid[0:H, 0:W].astype(np.float32)
        gy, gx = self._grid
        box, d, head = disp
        if head == (0.0, 0.0):  # only the expressions' boxes move: remap them, copy the rest
            y0, y1, x0, x1 = box
            frame = tpl.copy()
            frame[y0:y1, x0:x1] = cv2.remap(tpl, gx[y0:y1, x0:x1] - d[1], gy[y0:y1, x0:x1] - d[0],
                                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
            return frame
        map_x, map_y = gx - np.float32(head[1]), gy - np.float32(head[0])
        if box is not None:
            y0, y1, x0, x1 = box
            map_x[y0:y1, x0:x1] = gx[y0:y1, x0:x1] - d[1]
            map_y[y0:y1, x0:x1] = gy[y0:y1, x0:x1] - d[0]
        return cv2.remap(tpl, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
