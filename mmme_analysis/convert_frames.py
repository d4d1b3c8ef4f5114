"""The frame work of :mod:`mmme_analysis.convert`: face crops and the browsing proxy, one decode.

:class:`TrialFrames` turns a trial video into lazy ``face``, ``proxy`` and ``box`` dask
arrays whose graph decodes every frame once:

* detections (:func:`~mmme_analysis.video.track.track_plan`: one frame per second) each
  decode their frame alone (``sample``), not the dask chunk holding it;
* the video is decoded in segments of about one second (:func:`segments`; they start at
  keyframes, so no segment decodes frames of the one before), and each frame is cropped to
  its face box (:func:`~mmme_analysis.video.track.track_boxes`, equal to
  :func:`~mmme_analysis.video.face_track`'s) and shrunk to the proxy as it leaves the
  decoder. A segment waits only for the detections its boxes need.

From video files (:func:`_stream`), frames are not converted to RGB whole: a 4:2:0 frame
(H.264, MJPEG) has only the pixels the face crop reads converted (FFmpeg's converter works
pixel by pixel, so the crop is the same bytes as a crop of the whole RGB frame; each
segment checks this on its first frame against
:func:`~mmme_analysis.io.video.decode.decode_range` and falls back to whole frames, or to
:func:`~mmme_analysis.io.video.iter_frames`, if not), and its proxy is shrunk from the
decoded 4:2:0 frame (FFmpeg ``swscale``, area filter); other frames are converted whole and
shrunk from RGB (same filter). FFmpeg's scalers run on one thread each, and OpenCV on one
(:func:`one_cv2_thread`): the trial's threads already use the cores; the workers of a local
cluster each keep to their share of the CPUs (:func:`pin_to_share`).
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import uuid
from pathlib import Path

import numpy as np

__all__ = ["TrialFrames", "segments", "malloc_for_frames", "one_cv2_thread", "pin_to_share"]

#: pixel formats whose face region is converted alone (4:2:0, even sizes)
_REGION_FORMATS = ("yuv420p", "yuvj420p")


def segments(n: int, fps: float, index=None) -> list[tuple[int, int]]:
    """Frame ranges of about one second; with a seek ``index`` they start at keyframes."""
    starts = list(range(0, n, max(1, int(round(fps)))))
    if index is not None and not index.intra_only:
        starts = sorted({index.keyframe_before(s) for s in starts})
    return list(zip(starts, starts[1:] + [n]))


def _footprint(box, shape, margin: float = 0.1) -> tuple[int, int, int, int]:
    """The pixels :func:`~mmme_analysis.video.face_crops` reads for ``box`` (with 4 px to spare), as a
    4:2:0 region: it starts on an even row and a column of 16 (the converter's vector width), and
    its sides are multiples of 64 px (or reach the frame's edge): few distinct sizes, so the
    buffers of successive frames are reused rather than fragmenting the heap."""
    by0, by1, bx0, bx1 = (int(v) for v in box)
    cy, cx = (by0 + by1) / 2.0, (bx0 + bx1) / 2.0
    half = max(by1 - by0, bx1 - bx0) * (1.0 + 2.0 * margin) / 2.0 + 4
    h, w = shape
    y0, x0 = max(0, int(np.floor(cy - half)) // 2 * 2), max(0, int(np.floor(cx - half)) // 16 * 16)
    y1 = min(h, y0 + -(-(int(np.ceil(cy + half)) - y0) // 64) * 64)
    x1 = min(w, x0 + -(-(int(np.ceil(cx + half)) - x0) // 64) * 64)
    return y0, max(y1, min(h, y0 + 2)), x0, max(x1, min(w, x0 + 2))


def _planes(frame) -> list:
    """Numpy views of the planes of a planar ``av.VideoFrame`` (no copy; writable where the frame is)."""
    return [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, :p.width] for p in frame.planes]


def _region(frame, y0: int, y1: int, x0: int, x1: int, spare: dict):
    """Pixels ``y0:y1, x0:x1`` (even bounds) of a 4:2:0 ``av.VideoFrame`` as a frame with the same colour tags.

    The frame is ``spare``'s of that size when there is one (one copy of the pixels, no allocation).
    """
    import av

    key = (x1 - x0, y1 - y0, frame.format.name)
    if key not in spare:
        spare.clear()
        sub = av.VideoFrame(*key)
        spare[key] = (sub, _planes(sub))
    sub, dst = spare[key]
    src = _planes(frame)
    dst[0][...] = src[0][y0:y1, x0:x1]
    for d, p in zip(dst[1:3], src[1:3]):
        d[...] = p[y0 // 2:y1 // 2, x0 // 2:x1 // 2]
    sub.colorspace, sub.color_range = frame.colorspace, frame.color_range
    return sub


def _into(dst: np.ndarray, frame) -> None:
    """Copy an rgb24 ``av.VideoFrame`` into ``dst`` (its shape), straight from the frame's buffer."""
    plane, (h, w) = frame.planes[0], dst.shape[:2]
    dst[...] = np.frombuffer(plane, np.uint8, count=h * plane.line_size).reshape(h, plane.line_size)[:, :3 * w].reshape(h, w, 3)


def _rgb_proxy(rgb: np.ndarray, scaler, proxy_shape) -> np.ndarray:
    """The proxy of an RGB frame: the same area filter as :func:`_stream`'s."""
    import av
    from av.video.reformatter import Interpolation

    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return scaler.reformat(frame, width=proxy_shape[1], height=proxy_shape[0], interpolation=Interpolation.AREA,
                           threads=1).to_ndarray()


def _crop(rgb, box, size: int) -> np.ndarray:
    from .video.track import face_crops

    return face_crops(rgb[None], np.asarray(box)[None], size=size)[0]


def _stream(path: Path, start: int, stop: int, boxes, shape, size: int, proxy_shape):
    """Yield ``(face, proxy)`` for frames ``start:stop`` of a video file (one verified decoder pass)."""
    from av.video.reformatter import Interpolation, VideoReformatter

    from .errors import DataFormatError
    from .io.video import iter_frames, video_index
    from .io.video.decode import decode_range, verified_frames

    index = video_index(path)
    whole, part, small = VideoReformatter(), VideoReformatter(), VideoReformatter()
    buf, mode, spare = np.empty(tuple(shape) + (3,), np.uint8), None, {}
    decoded = verified_frames(path, start, stop, index=index)
    for k, (n, frame) in enumerate(decoded):
        if (frame.height, frame.width) != tuple(shape):
            raise DataFormatError(f"Frame {n} of video file {path} has shape {(frame.height, frame.width, 3)}: "
                                  f"expected {tuple(shape) + (3,)}")
        if mode is None:  # what this file's frames allow, checked against the reader's own RGB
            ref, rgb = decode_range(path, start, start + 1, index=index)[0], None
            if frame.format.name in _REGION_FORMATS and not (shape[0] % 2 or shape[1] % 2):
                y0, y1, x0, x1 = _footprint(boxes[0], shape)
                got = part.reformat(_region(frame, y0, y1, x0, x1, spare), format="rgb24", threads=1).to_ndarray()
                mode = "region" if np.array_equal(got, ref[y0:y1, x0:x1]) else None
            if mode is None:
                rgb = whole.reformat(frame, format="rgb24", threads=1).to_ndarray()
                mode = "whole" if np.array_equal(rgb, ref) else "reader"
            if mode == "reader":
                break
        if mode == "region":
            y0, y1, x0, x1 = _footprint(boxes[k], shape)
            _into(buf[y0:y1, x0:x1], part.reformat(_region(frame, y0, y1, x0, x1, spare), format="rgb24", threads=1))
            rgb = buf  # only the face's footprint is current: all that the crop reads
            proxy = small.reformat(frame, width=proxy_shape[1], height=proxy_shape[0], format="rgb24",
                                   interpolation=Interpolation.AREA, threads=1).to_ndarray()
        else:  # whole frames; the proxy from RGB (swscale would scale packed RGB through subsampled chroma)
            rgb = whole.reformat(frame, format="rgb24", threads=1).to_ndarray() if k else rgb
            proxy = _rgb_proxy(rgb, small, proxy_shape)
        yield _crop(rgb, boxes[k], size), proxy
    decoded.close()
    if mode == "reader":  # the converter disagrees with the reader here: its frames, as they are
        for k, (_, rgb) in enumerate(iter_frames(path, start, stop)):
            yield _crop(rgb, boxes[k], size), _rgb_proxy(rgb, small, proxy_shape)


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (``mallopt``, ``malloc_trim``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc has both, musl neither
    except (OSError, AttributeError):
        return None
    return libc


def _trim() -> None:
    """Hand the heap's free pages back to the OS (glibc; elsewhere nothing)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@contextlib.contextmanager
def malloc_for_frames(threads: int):
    """The C allocator set for decoding trials while one converts (glibc; elsewhere nothing).

    * Arenas: every segment opens a decoder whose frame threads allocate from glibc's
      per-thread arenas (up to 8 per CPU) and the frames they free stay there, so the RSS of
      a 60 s 2048 x 1088 trial rose 1.28x above a 10 s trial's; capped at ``max(2,
      threads)`` arenas (``M_ARENA_MAX``) it stays within 1.08x. glibc fixes that cap the
      first time it needs many arenas, so it holds for the rest of the process.
    * Where ``MALLOC_TRIM_THRESHOLD_`` is set (dask.distributed starts its workers with 64 KiB,
      to give freed memory back to the OS), glibc's adaptive mmap threshold is off and every
      MB-sized frame buffer is a fresh mapping, page-faulted and zeroed: a 10 s trial took
      27 s of CPU in a worker against 19 s in a plain process. Inside, buffers up to 32 MiB
      come from the heap; the two thresholds are put back after.
    """
    libc = _glibc()
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    if libc is not None:
        libc.mallopt(-8, max(2, int(threads)))  # M_ARENA_MAX
        try:
            trim = int(trim) if trim is not None else None
        except ValueError:
            trim = None
        if trim is not None:
            libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
            libc.mallopt(-1, 256 * 2**20)  # M_TRIM_THRESHOLD
    try:
        yield
    finally:
        if libc is not None and trim is not None:
            libc.mallopt(-3, 128 * 2**10)  # glibc's default, fixed while the trim variable is set
            libc.mallopt(-1, trim)
        _trim()


@contextlib.contextmanager
def one_cv2_thread():
    """OpenCV single-threaded inside (the trial's threads, or the cluster's workers, use the cores)."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def pin_to_share(workers: int) -> None:
    """Bind this worker process (all its threads) to its own ``1 / workers`` of the CPUs.

    For the local cluster of ``convert(workers=N)``, N <= CPUs: the decoder's frame threads
    (FFmpeg sizes its pool by the CPUs a process may use) and OpenCV's then stay on the
    worker's share instead of competing with the other workers for every core.
    """
    from dask.distributed import get_worker

    cpus = sorted(os.sched_getaffinity(0))
    per, index = len(cpus) // workers, get_worker().name
    if per < 1 or not isinstance(index, int) or not 0 <= index < workers:
        return
    share = set(cpus[index * per:(index + 1) * per])
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # a thread that just ended
            os.sched_setaffinity(int(tid), share)


class TrialFrames:
    """One trial's face and proxy work: detections, then segments cropped and shrunk as decoded.

    Parameters
    ----------
    n : int
        Frames of the trial video.
    fps : float
        Its frame rate.
    shape : tuple of int
        ``(height, width)`` of a frame.
    path : pathlib.Path or None
        The video file, streamed segment by segment; None: the frames come as dask chunks
        (frame files, image sequences).
    sample : callable
        ``sample(index)``: one frame, decoded alone (for the detections).
    face_size, proxy_side : int
        Side of the face crops; largest side of the proxy (px).
    face_method : str
        Face detector.
    """

    def __init__(self, n: int, fps: float, shape, *, path: Path | None, sample, face_size: int, proxy_side: int,
                 face_method: str):
        from .video.track import track_plan

        self.n, self.fps, self.path, self.sample, self.method = n, fps, path, sample, face_method
        self.size, self.shape = face_size, tuple(shape)
        h, w = shape
        f = max(1.0, max(h, w) / proxy_side)
        self.proxy_shape = (max(1, int(h / f)), max(1, int(w / f)))
        self.at = track_plan(n, fps)
        self.missed: list[int] = []  # detection frames without a face (threads append)
        self.token = uuid.uuid4().hex

    def __dask_tokenize__(self):
        return self.token

    def detect(self, i: int) -> np.ndarray:
        """The face box found on frame ``i``."""
        from .video.track import detect_box

        with self._named():
            box, missed = detect_box(self.sample(int(i)), method=self.method)
        if missed:
            self.missed.append(int(i))
        return box

    @contextlib.contextmanager
    def _named(self):
        """Errors raised inside carry ``mmme_modality`` ("video") and ``mmme_file`` (the video file, or "")."""
        try:
            yield
        except Exception as err:
            err.mmme_modality, err.mmme_file = "video", str(self.path or "")
            raise

    def segment(self, start: int, stop: int, block, *detections) -> tuple:
        """Face crops, proxy frames and boxes of frames ``start:stop`` (``block``: those frames, or None)."""
        with self._named():
            return self._segment(start, stop, block, *detections)

    def _segment(self, start: int, stop: int, block, *detections) -> tuple:
        from .errors import DataFormatError
        from .video.track import track_boxes, track_needs

        boxes = track_boxes(dict(zip(track_needs(self.at, start, stop), detections)), self.at, start, stop)
        face = np.empty((stop - start, self.size, self.size, 3), np.uint8)
        proxy = np.empty((stop - start,) + self.proxy_shape + (3,), np.uint8)
        if block is None:
            frames = _stream(self.path, start, stop, boxes, self.shape, self.size, self.proxy_shape)
        else:
            from av.video.reformatter import VideoReformatter

            scaler = VideoReformatter()
            frames = ((_crop(rgb, box, self.size), _rgb_proxy(rgb, scaler, self.proxy_shape))
                      for rgb, box in zip(np.asarray(block), boxes))
        got = 0
        for got, (crop, small) in enumerate(frames, 1):
            face[got - 1], proxy[got - 1] = crop, small
        if got != stop - start:  # not reached: the decoders check every frame
            raise DataFormatError(f"Cannot convert frames {start}-{stop - 1}: expected {stop - start} frames, got {got}")
        _trim()
        return face, proxy, boxes

    def arrays(self, frames) -> tuple:
        """Lazy ``(face, proxy, box)`` dask arrays; ``frames``: the source's dask array (None: stream the file)."""
        import dask
        import dask.array as da

        from .video.track import track_needs

        if frames is None:
            from .io.video import video_index

            ranges, blocks = segments(self.n, self.fps, video_index(self.path)), None
        else:
            frames = frames.rechunk({1: -1, 2: -1, 3: -1})
            edges = np.cumsum((0,) + frames.chunks[0])
            ranges, blocks = list(zip(edges[:-1].tolist(), edges[1:].tolist())), frames.to_delayed().ravel()
        dets = [dask.delayed(self.detect, pure=True)(int(i), dask_key_name=f"face-detect-{self.token}-{j}")
                for j, i in enumerate(self.at)]
        parts = {"face": [], "proxy": [], "box": []}
        for k, (a, b) in enumerate(ranges):
            seg = dask.delayed(self.segment, pure=True, nout=3)(
                a, b, None if blocks is None else blocks[k], *(dets[j] for j in track_needs(self.at, a, b)),
                dask_key_name=f"face-segment-{self.token}-{k}")
            parts["face"].append(da.from_delayed(seg[0], (b - a, self.size, self.size, 3), np.uint8))
            parts["proxy"].append(da.from_delayed(seg[1], (b - a,) + self.proxy_shape + (3,), np.uint8))
            parts["box"].append(da.from_delayed(seg[2], (b - a, 4), np.int32))
        return tuple(da.concatenate(parts[k]) for k in ("face", "proxy", "box"))
