"""``mmme convert`` benchmarks at the MMME resolution (issue: MMME scale).

Synthetic raw folders (``mmme synth --size WxH --codec C``) are generated once into a cache
folder (``--cache``, default ``/tmp/conv-bench``) and reused by later runs. Prints:

1. throughput on one trial of ``--duration`` s: frames/s of :func:`convert` (the whole
   call: opening the raw folder, face detection, face crops, proxy, signals, the Zarr
   writes) against a bare PyAV decode loop of the same video (every frame decoded, frame
   threads on, no conversion to RGB), both in this process one after the other, and their
   ratio ``convert / decode``; the video's seek index is built before either runs;
2. peak RSS of converting that trial and one of ``--long`` s, each in a fresh process
   (``getrusage`` of the child itself, started from a lean launcher so that this
   process's memory does not leak into it), next to a process that only imports what
   convert imports; the ratio ``long / short`` (target <= 1.2);
3. ``workers=2`` against ``workers=1`` (dask.distributed LocalCluster, processes) on a
   folder of ``--trials`` trials of ``--trial-duration`` s: wall time of each, the CPU time
   of the cluster's processes (each worker converts a trial on one thread: its decoder and
   the zarr codec pipeline too, so one worker keeps one core busy) and the
   speed-up (target >= 1.6 on 2 cores, at the default sizes: ``--quick``'s trials are so
   short that start-up dominates).

``--quick`` (256 x 136, HuffYUV, trials of 2 and 6 s, 2 trials x 2 s) checks that it all
runs; the figures of the issue come from a run without it. The machine's other load shows in
every wall-clock figure: run it on an idle machine.

Usage: python benchmarks/bench_convert.py [--quick] [--size 2048x1088] [--codec h264]
       [--duration 10] [--long 60] [--trials 4] [--trial-duration 10] [--cache DIR] [--skip ...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

FPS = 150.0

# a lean process that starts the measured children: Linux carries ru_maxrss over fork and exec,
# so a child of this (large) process would report this process's peak instead of its own
_LAUNCHER = """
import json, subprocess, sys
for line in sys.stdin:
    out = subprocess.run([sys.executable, "-c", *json.loads(line)], capture_output=True, text=True)
    print(json.dumps([out.returncode, out.stdout, out.stderr[-3000:]]), flush=True)
"""
_CHILD = """
import resource, sys, time, warnings
warnings.simplefilter("ignore")
import mmme_analysis.convert, mmme_analysis.dataset, mmme_analysis.video, mmme_analysis.io.video, cv2, av, zarr
if sys.argv[1] == "convert":
    t0 = time.perf_counter()
    mmme_analysis.convert._source(sys.argv[2]).trials  # the raw folder opened: its sessions read
    print("rss_open", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    mmme_analysis.convert.convert(sys.argv[2], sys.argv[3], progress=False)
    print("seconds", time.perf_counter() - t0)
print("rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _raw(cache: Path, size, codec: str, duration: float, trials: int = 1) -> Path:
    """A synthetic raw folder from the cache, generated (``mmme synth``) when missing."""
    w, h = size
    out = cache / f"synth-s1-t{trials}-d{duration:g}-{w}x{h}-{codec}"
    if not (out / "ground_truth.json").is_file():
        print(f"  generating {out.name} ({trials} x {duration:g} s, {w} x {h}, {codec}) ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mmme_analysis.cli", "synth", str(out), "--subjects", "1", "--trials",
                        str(trials), "--duration", f"{duration:g}", "--size", f"{w}x{h}", "--codec", codec,
                        "--overwrite"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def _store(cache: Path, raw: Path, what: str) -> Path:
    """A fresh (removed) store path for one measurement on ``raw``."""
    store = cache / "stores" / f"{raw.name}-{what}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    return store


def _video(raw: Path) -> Path:
    return next(p for p in sorted(raw.glob("*/video/*")) if p.suffix in (".avi", ".mp4", ".mkv"))


def _decode_fps(path: Path) -> tuple[float, int]:
    """A bare PyAV decode loop: every frame decoded (frame threads), nothing converted."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        n, t0 = 0, time.perf_counter()
        for _ in container.decode(stream):
            n += 1
        return n / (time.perf_counter() - t0), n


def _convert_fps(raw: Path, store: Path, n: int, **kw) -> float:
    from mmme_analysis import convert as conv

    conv._source.cache_clear()  # the raw folder is opened inside the timed call
    t0 = time.perf_counter()
    conv.convert(raw, store, progress=False, **kw)
    return n / (time.perf_counter() - t0)


def _child(launcher, *args) -> dict:
    launcher.stdin.write(json.dumps([_CHILD, *map(str, args)]) + "\n")
    launcher.stdin.flush()
    rc, out, err = json.loads(launcher.stdout.readline())
    if rc:
        raise RuntimeError(f"child {args} failed: {err}")
    return {k: float(v) for k, v in (line.split() for line in out.strip().splitlines() if line.count(" ") == 1)}


def _size(text: str):
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small frames and short trials: a check in under a minute")
    p.add_argument("--size", type=_size, default=None, help="frame size WxH (default 2048x1088, quick 256x136)")
    p.add_argument("--codec", default=None, choices=("huffyuv", "ffv1", "mjpeg", "h264"),
                   help="video codec of the synthetic raw data (default h264, quick huffyuv)")
    p.add_argument("--duration", type=float, default=None, help="s of the throughput trial (default 10, quick 2)")
    p.add_argument("--long", type=float, default=None, help="s of the long trial of the RSS check (default 60, quick 6)")
    p.add_argument("--trials", type=int, default=None, help="trials of the workers check (default 4, quick 2)")
    p.add_argument("--trial-duration", type=float, default=None, help="s per trial of the workers check (default 10, "
                                                                       "quick 2)")
    p.add_argument("--cache", type=Path, default=Path(os.environ.get("MMME_BENCH_CACHE", "/tmp/conv-bench")),
                   help="folder of the generated raw data (reused) and the stores")
    p.add_argument("--skip", nargs="*", default=[], choices=("throughput", "memory", "workers"))
    p.add_argument("--json", action="store_true", help="also print the numbers as one JSON line")
    args = p.parse_args(argv)
    q = args.quick
    size = args.size or ((256, 136) if q else (2048, 1088))
    codec = args.codec or ("huffyuv" if q else "h264")
    duration = args.duration or (2.0 if q else 10.0)
    long = args.long or (6.0 if q else 60.0)
    trials = args.trials or (2 if q else 4)
    trial_duration = args.trial_duration or (2.0 if q else 10.0)
    cache = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MMME_CACHE_DIR", str(cache / "index"))  # video seek indexes stay in the cache folder
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)  # started while this process is small (see _LAUNCHER)
    warnings.simplefilter("ignore")
    os.environ["PYTHONWARNINGS"] = "ignore"  # and in the cluster's worker processes
    from mmme_analysis.convert import _cpus
    from mmme_analysis.io.video import video_index

    print(f"convert benchmark: {size[0]} x {size[1]}, {FPS:g} fps, codec {codec}, {_cpus()} CPUs, cache {cache}")
    results = {"size": list(size), "codec": codec, "cpus": _cpus()}
    raw = _raw(cache, size, codec, duration)
    video = _video(raw)
    n = video_index(video).n_frames
    if "throughput" not in args.skip:
        dec, _ = _decode_fps(video)
        conv = _convert_fps(raw, _store(cache, raw, "throughput"), n)
        results["throughput"] = {"frames": n, "decode_fps": dec, "convert_fps": conv, "ratio": conv / dec}
        print(f"\n[throughput] one trial, {n} frames ({duration:g} s)")
        print(f"  bare PyAV decode loop: {dec:7.1f} frames/s")
        print(f"  convert:               {conv:7.1f} frames/s   ratio convert / decode = {conv / dec:.2f}")
    if "memory" not in args.skip:
        raw_long = _raw(cache, size, codec, long)
        video_index(_video(raw_long))
        base = _child(launcher, "import")
        short = _child(launcher, "convert", raw, _store(cache, raw, "rss"))
        lng = _child(launcher, "convert", raw_long, _store(cache, raw_long, "rss"))
        results["memory"] = {"rss_import_mib": base["rss"], "rss_short_mib": short["rss"], "rss_long_mib": lng["rss"],
                             "rss_short_open_mib": short["rss_open"], "rss_long_open_mib": lng["rss_open"],
                             "ratio": lng["rss"] / short["rss"], "short_s": short["seconds"], "long_s": lng["seconds"]}
        print("\n[memory] peak RSS of a fresh process (getrusage); 'opened': once the raw folder and its session are read")
        print(f"  imports only:               {base['rss']:7.0f} MiB")
        for name, r in ((f"{duration:4g} s", short), (f"{long:4g} s", lng)):
            print(f"  convert {name} trial:       {r['rss']:7.0f} MiB  (opened {r['rss_open']:.0f} MiB, convert "
                  f"+{r['rss'] - r['rss_open']:.0f} MiB; {r['seconds']:.1f} s)")
        print(f"  ratio long / short = {lng['rss'] / short['rss']:.3f}  (target <= 1.2)")
    if "workers" not in args.skip:
        raw_many = _raw(cache, size, codec, trial_duration, trials)
        for v in sorted(raw_many.glob("*/video/*")):
            video_index(v)
        import resource

        from mmme_analysis.convert import convert

        times, cpu = {}, {}
        for w in (1, 2):
            store = _store(cache, raw_many, f"workers{w}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            convert(raw_many, store, workers=w, progress=False)
            times[w] = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the cluster's processes, reaped at its close
            cpu[w] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        results["workers"] = {"trials": trials, "seconds_1": times[1], "seconds_2": times[2],
                              "cpu_s_1": cpu[1], "cpu_s_2": cpu[2], "speedup": times[1] / times[2]}
        print(f"\n[workers] {trials} trials x {trial_duration:g} s, dask.distributed LocalCluster (processes)")
        for w in (1, 2):
            print(f"  workers={w}: {times[w]:6.1f} s wall, {cpu[w]:6.1f} s CPU of the workers "
                  f"({cpu[w] / times[w]:.2f} cores busy)")
        print(f"  speed-up = {times[1] / times[2]:.2f}  (target >= 1.6)")
    launcher.stdin.close()
    launcher.wait()
    if args.json:
        print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
