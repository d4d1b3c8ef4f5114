"""Video I/O benchmarks at the MMME resolution (issue: MMME scale).

Writes a synthetic 2048 x 1088, 150 fps video of ``--seconds`` with smooth moving content,
once lossless (HuffYUV ``.avi``) and once lossy (H.264 ``.mp4``, CRF 18, GOP 30,
B-frames), in a temporary folder, then prints for each:

1. index build time (:func:`video_index`: the container's table and a full demux);
2. sequential decode, frames/s: a bare OpenCV ``VideoCapture.read`` loop (BGR, no
   conversion, no checks) against :func:`iter_frames` (RGB, every frame verified), ratio
   ``iter_frames / OpenCV``; both run in this process, one after the other;
3. peak RSS of a process that streams the whole video through :func:`iter_frames`, against
   one that only imports the package (``resource.getrusage`` of the child processes);
4. random-frame reads through :func:`read_frame` (frame-exact), p50 / p95 ms, against
   OpenCV's ``CAP_PROP_POS_FRAMES`` seek + read in the same process (not frame-checked;
   fewer reads: 10 in quick mode, 30 otherwise);
5. the lossy video's error against the source frames (5 random frames).

Usage: python benchmarks/bench_video.py [--quick] [--seconds 10] [--reads 60] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

H, W, FPS = 1088, 2048, 150.0


class SyntheticFrames:
    """Smooth moving RGB frames computed on demand (array-like: the writers take slices)."""

    def __init__(self, n: int):
        self.shape, self.dtype, self.ndim = (n, H, W, 3), np.dtype(np.uint8), 4
        y = np.arange(H + 2 * n, dtype=np.float32)[:, None]
        x = np.arange(W + 3 * n, dtype=np.float32)[None, :]
        self._r = (128 + 90 * np.sin(x / 97.0)).astype(np.uint8)  # drifts 3 px/frame left
        self._g = (128 + 90 * np.cos(y / 71.0)).astype(np.uint8)  # drifts 2 px/frame up
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        self._b = (128 + 60 * np.sin((xx + yy) / 150.0) * np.cos(xx / 400.0)).astype(np.uint8)
        # sensor-like noise, +-3 grey levels, from a pool of 7 frames (so no two neighbours share it)
        self._noise = np.random.default_rng(0).integers(0, 7, size=(7, H, W, 3), dtype=np.uint8)

    def frame(self, i: int) -> np.ndarray:
        out = np.empty((H, W, 3), np.uint8)
        out[..., 0] = self._r[:, 3 * i : 3 * i + W]
        out[..., 1] = self._g[2 * i : 2 * i + H, :]
        out[..., 2] = np.roll(self._b, i, axis=1)
        out += self._noise[i % 7]  # content stays in [35, 221]: no wrap-around
        out -= 3
        return out

    def __getitem__(self, key):
        if isinstance(key, slice):
            return np.stack([self.frame(i) for i in range(*key.indices(self.shape[0]))])
        return self.frame(int(key))


def _opencv_sequential(path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n, t0 = 0, time.perf_counter()
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return n / (time.perf_counter() - t0)


def _ours_sequential(path) -> float:
    from mmme_analysis.io.video import iter_frames

    n, t0 = 0, time.perf_counter()
    for _ in iter_frames(path):
        n += 1
    return n / (time.perf_counter() - t0)


_CHILD = """
import resource, sys
from mmme_analysis.io.video import iter_frames
if sys.argv[1] == "stream":
    for _ in iter_frames(sys.argv[2]):
        pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
# a lean process that starts the measured children: Linux carries ru_maxrss over fork and exec,
# so a child of this (large) process would report this process's peak instead of its own
_LAUNCHER = """
import json, subprocess, sys
for line in sys.stdin:
    out = subprocess.run([sys.executable, "-c", json.loads(line)[0], *json.loads(line)[1:]],
                         capture_output=True, text=True)
    print(json.dumps([out.returncode, out.stdout, out.stderr[-2000:]]), flush=True)
"""


def _child_rss(launcher, mode: str, path) -> float:
    """Peak RSS (MiB, ``getrusage``) of a fresh process that imports the package and, for 'stream', reads the video."""
    launcher.stdin.write(json.dumps([_CHILD, mode, str(path)]) + "\n")
    launcher.stdin.flush()
    rc, out, err = json.loads(launcher.stdout.readline())
    if rc:
        raise RuntimeError(f"RSS child failed: {err}")
    return float(out.strip().splitlines()[-1])


def _random_reads(path, frames, reads, cv_reads) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    from mmme_analysis.io.video import read_frame

    ours, cv = [], []
    for i, k in enumerate(frames[:reads]):
        t0 = time.perf_counter()
        read_frame(path, int(k))
        ours.append(time.perf_counter() - t0)
        if i >= cv_reads:
            continue  # OpenCV's seek decodes far ahead: fewer baseline reads
        t0 = time.perf_counter()
        cap = cv2.VideoCapture(str(path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(k))
        cap.read()
        cap.release()
        cv.append(time.perf_counter() - t0)
    return np.array(ours) * 1e3, np.array(cv) * 1e3


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 s of video, 20 random reads (10 for OpenCV)")
    p.add_argument("--seconds", type=float, default=None, help="video length in s (default 10, quick 2)")
    p.add_argument("--reads", type=int, default=None, help="random frames read per codec (default 60, quick 20)")
    p.add_argument("--keep", type=Path, default=None, help="write the videos here and keep them")
    p.add_argument("--json", action="store_true", help="also print the numbers as one JSON line")
    args = p.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (2.0 if args.quick else 10.0)
    reads = args.reads if args.reads is not None else (20 if args.quick else 60)

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["MMME_CACHE_DIR"] = str(folder / "cache")  # the index cache stays in the bench folder
    # started now, while this process is small (see _LAUNCHER); its children inherit the cache folder
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)

    from mmme_analysis.io.video import read_frame, seek, video_index, write_video

    n = int(round(seconds * FPS))
    print(f"video: {W} x {H}, {FPS:g} fps, {n} frames ({seconds:g} s), in {folder}")
    src = SyntheticFrames(n)
    results = {"frames": n}
    order = np.random.default_rng(0).permutation(n)
    try:
        for codec, name in (("huffyuv", "lossless.avi"), ("h264", "lossy.mp4")):
            t0 = time.perf_counter()
            path = write_video(folder / name, src, FPS, codec=codec)
            t_write = time.perf_counter() - t0
            size = path.stat().st_size / 2**20
            seek.clear_memory_cache()
            t0 = time.perf_counter()
            idx = video_index(path)
            t_index = time.perf_counter() - t0
            seek.clear_memory_cache()
            t0 = time.perf_counter()
            video_index(path, demux=True, disk_cache=False)
            t_demux = time.perf_counter() - t0
            seek.clear_memory_cache()
            t0 = time.perf_counter()
            video_index(path)  # from the disk cache where the first build needed a demux
            t_again = time.perf_counter() - t0
            errs = [read_frame(path, int(k)).astype(np.float64) - src.frame(int(k)) for k in order[:5]]
            mae = float(np.mean([np.abs(e).mean() for e in errs]))
            mse = float(np.mean([(e**2).mean() for e in errs]))
            psnr = 10 * np.log10(255.0**2 / mse) if mse else float("inf")
            cv_fps = _opencv_sequential(path)
            our_fps = _ours_sequential(path)
            rss_base, rss_stream = _child_rss(launcher, "import", path), _child_rss(launcher, "stream", path)
            ours, cv = _random_reads(path, order, reads, min(reads, 10 if args.quick else 30))
            r = {
                "write_s": t_write, "size_mib": size, "index_s": t_index, "index_source": idx.source,
                "demux_s": t_demux, "index_again_s": t_again, "mae": mae, "psnr_db": psnr,
                "opencv_fps": cv_fps, "iter_frames_fps": our_fps, "ratio": our_fps / cv_fps,
                "rss_import_mib": rss_base, "rss_stream_mib": rss_stream,
                "read_p50_ms": float(np.percentile(ours, 50)), "read_p95_ms": float(np.percentile(ours, 95)),
                "opencv_p50_ms": float(np.percentile(cv, 50)), "opencv_p95_ms": float(np.percentile(cv, 95)),
            }
            results[codec] = r
            print(f"\n[{codec}] {name}: {size:.0f} MiB, written in {t_write:.1f} s, intra_only={idx.intra_only}")
            print(f"  index build: {r['index_s'] * 1e3:.1f} ms ({idx.source}); full demux {t_demux * 1e3:.1f} ms; "
                  f"again after clearing memory {t_again * 1e3:.1f} ms")
            print(f"  vs the source frames (5 random): mean abs error {mae:.2f} grey levels, PSNR {psnr:.1f} dB")
            print(f"  sequential: OpenCV read loop {cv_fps:.1f} frames/s, iter_frames {our_fps:.1f} frames/s "
                  f"(ratio {r['ratio']:.2f})")
            print(f"  peak RSS streaming the whole video: {rss_stream:.0f} MiB (import only: {rss_base:.0f} MiB, "
                  f"+{rss_stream - rss_base:.0f} MiB)")
            print(f"  random read_frame ({reads} frames): p50 {r['read_p50_ms']:.1f} ms, "
                  f"p95 {r['read_p95_ms']:.1f} ms  (OpenCV POS_FRAMES seek, {len(cv)} frames: "
                  f"p50 {r['opencv_p50_ms']:.1f} ms, p95 {r['opencv_p95_ms']:.1f} ms)")
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        launcher.stdin.close()
        launcher.wait()
    print(f"\nmax RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
