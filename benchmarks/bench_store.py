"""Store benchmarks: opening, one-second windows, single frames (issue 9, "reads near the limit").

Prints, in one run, on a synthetic store built in a temporary (or ``--cache``) folder:

1. seconds to open the store and list its trials, per 100 trials;
2. a one-second all-modality window of the stored groups (face crops, browsing proxy, EEG,
   peripheral signals, events) through ``Dataset.window`` against the same chunks read with
   zarr directly, and those direct reads against NumPy loading the same number of bytes from an
   uncompressed ``.npy`` file. API and direct reads are timed alternately on the same random
   windows, so both see the same machine load; both ratios are printed;
3. one face-crop frame at a random time (``Dataset.frame(..., node="face")``: one chunk read),
   p50 / p95 (target p95 <= 5 ms);
4. one full-resolution frame at a random time from the raw video the store references
   (``Dataset.frame(..., node="video")``: one seek + decode), p50 / p95.

Usage::

    python benchmarks/bench_store.py                      # 1 x 4 trials x 4 s at 2048 x 1088
    python benchmarks/bench_store.py --size 136x160 --subjects 2 --trials 10   # small, fast
    python benchmarks/bench_store.py --cache /tmp/bench-store   # keep raw + store for reruns

Figures depend on the machine and its load; run on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _timeit(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.array(out)


def _pct(t):
    return f"p50 {np.percentile(t, 50) * 1e3:.2f} ms, p95 {np.percentile(t, 95) * 1e3:.2f} ms"


def build(folder: Path, args):
    """Synthesise the raw folder and convert it (reused from ``folder`` when already there)."""
    from mmme_analysis.convert import convert
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw, store = folder / "raw", folder / "bench.zarr"
    width, height = (int(v) for v in args.size.lower().split("x"))
    t_synth = t_convert = 0.0
    if not (raw / ".done").exists():
        t0 = time.perf_counter()
        synthesize(raw, SynthConfig(n_subjects=args.subjects, n_trials=args.trials, duration=args.duration,
                                    rest=1.0, seed=args.seed, size=(width, height)),
                   progress=False, overwrite=True)
        (raw / ".done").touch()
        t_synth = time.perf_counter() - t0
    if not (store / ".done").exists():
        t0 = time.perf_counter()
        convert(raw, store, progress=False, overwrite=True)
        (store / ".done").touch()
        t_convert = time.perf_counter() - t0
    return raw, store, t_synth, t_convert


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subjects", type=int, default=1)
    p.add_argument("--trials", type=int, default=4)
    p.add_argument("--duration", type=float, default=4.0)
    p.add_argument("--size", default="2048x1088", help="video frame size WxH (MMME: 2048x1088)")
    p.add_argument("--repeats", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", type=Path, help="folder to build in and reuse (default: a temporary one)")
    args = p.parse_args(argv)

    warnings.simplefilter("ignore")
    import zarr

    import mmme_analysis as mm

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.cache or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        raw, store, t_synth, t_convert = build(folder, args)
        n_trials = args.subjects * args.trials
        from mmme_analysis.io.store import use_fast_codecs

        use_fast_codecs()  # what opening a store does: printed below
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; zarr codec pipeline "
              f"{zarr.config.get('codec_pipeline.path')}")
        print(f"dataset: {args.subjects} subjects x {args.trials} trials x {args.duration:g} s at {args.size} "
              f"(synth {t_synth:.1f} s, convert {t_convert:.1f} s; 0 = reused)")

        # 1. open + list
        t_open = _timeit(lambda: len(mm.open_dataset(store).trials), args.repeats)
        print(f"open store + list trials: {np.median(t_open) * 1e3:.1f} ms for {n_trials} trials "
              f"= {np.median(t_open) / n_trials * 100:.3f} s per 100 trials")

        # 2. one-second window of the stored groups, API vs direct zarr vs NumPy
        ds = mm.open_dataset(store)
        pick = list(ds.trials["trial"])
        stored = ("face", "proxy", "eeg", "peri")
        times, arrays = {}, {}
        for trial in pick:  # coordinates and opened arrays held by both sides
            tree = ds.trial(trial)
            for g in stored:
                if g in tree.children:
                    node = tree[g].to_dataset(inherit=False)
                    times[trial, g] = node["time"].values
                    arrays[trial, g] = [(zarr.open_array(str(store / "trials" / trial / g / v), mode="r"),
                                         node[v].dims) for v in node.data_vars if "time" in node[v].dims]
            ds.window(trial, 0.0, 0.1)  # warm: trial metadata opened, as in a browsing session

        def api(trial, t):
            w = ds.window(trial, t, t + 1.0)
            return sum(int(v.nbytes) for g in stored if g in w.children
                       for v in w[g].to_dataset(inherit=False).compute().data_vars.values())

        def direct(trial, t):
            n = 0
            for g in stored:
                if (trial, g) not in times:
                    continue
                i0, i1 = np.searchsorted(times[trial, g], [t, t + 1.0])
                for arr, dims in arrays[trial, g]:
                    n += arr[tuple(slice(i0, i1) if d == "time" else slice(None) for d in dims)].nbytes
            return n

        windows = [(pick[rng.integers(len(pick))], float(rng.uniform(0, args.duration - 1.0)))
                   for _ in range(args.repeats)]
        nbytes = api(*windows[0])
        assert nbytes == direct(*windows[0]), "API and direct reads differ in size"
        blob = folder / "baseline.npy"
        np.save(blob, rng.integers(0, 255, nbytes, dtype=np.uint8))
        t_api, t_direct, t_np = [], [], []
        for k, (trial, t) in enumerate(windows * 2):  # alternate which goes first
            for which in ((api, t_api), (direct, t_direct))[:: 1 if k % 2 else -1]:
                t0 = time.perf_counter()
                which[0](trial, t)
                which[1].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            np.load(blob)
            t_np.append(time.perf_counter() - t0)
        t_api, t_direct, t_np = (np.array(x) for x in (t_api, t_direct, t_np))
        cold = mm.open_dataset(store)
        t_cold = []
        for trial in pick:
            t0 = time.perf_counter()
            cold.window(trial, 0.5, 1.5)
            t_cold.append(time.perf_counter() - t0)
        print(f"one-second window of the stored groups ({nbytes / 1e6:.2f} MB: {', '.join(stored)}): "
              f"API {np.median(t_api) * 1e3:.2f} ms (first access of a trial {np.median(t_cold) * 1e3:.1f} ms), "
              f"direct zarr same chunks {np.median(t_direct) * 1e3:.2f} ms, NumPy same bytes "
              f"{np.median(t_np) * 1e3:.2f} ms")
        print(f"  ratio API / direct zarr = {np.median(t_api) / np.median(t_direct):.2f} (target <= 1.3; "
              f"median of paired ratios {np.median(t_api / t_direct):.2f}); "
              f"direct zarr / NumPy = {np.median(t_direct) / np.median(t_np):.1f}")

        # 3. / 4. one frame at a random time: face crop (store), full frame (raw video)
        fps = 150.0
        for node, label, target in (("face", "face-crop frame", " (target p95 <= 5 ms)"),
                                    ("video", "full-resolution raw frame", "")):
            def frame(node=node):
                trial = pick[rng.integers(len(pick))]
                return ds.frame(trial, int(rng.integers(int(args.duration * fps))), node=node)

            shape = frame().shape
            t_frame = _timeit(frame, max(args.repeats, 50))
            print(f"one {label} {shape[1]}x{shape[0]} at a random time: {_pct(t_frame)}{target}")


if __name__ == "__main__":
    main()
