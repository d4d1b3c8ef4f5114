"""Store benchmarks (issue: data foundation).

Prints, in one run, on a synthetic store built in a temporary folder:

1. seconds to open the store and list its trials, per 100 trials;
2. a one-second all-modality window read (video + EEG + peripheral, computed to NumPy)
   against a plain NumPy read of the same number of bytes from an uncompressed ``.npy``
   file in the same folder (ratio = store / NumPy; the baseline runs in the same process);
3. milliseconds to fetch one frame at a random time (``Dataset.frame`` on a store), p50 and p95.

Usage: python benchmarks/bench_store.py [--subjects 2 --trials 10 --duration 4 --repeats 20]
"""
from __future__ import annotations

import argparse
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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subjects", type=int, default=2)
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--duration", type=float, default=4.0)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    warnings.simplefilter("ignore")
    import mmme_analysis as mm
    from mmme_analysis.convert import convert
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        raw = synthesize(tmp / "raw", SynthConfig(n_subjects=args.subjects, n_trials=args.trials,
                                                  duration=args.duration, rest=1.0, seed=args.seed), progress=False)
        t_synth = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = convert(raw, tmp / "bench.zarr", progress=False)
        t_convert = time.perf_counter() - t0
        n_trials = args.subjects * args.trials
        print(f"dataset: {args.subjects} subjects x {args.trials} trials x {args.duration:g} s "
              f"(synth {t_synth:.1f} s, convert {t_convert:.1f} s)")

        # 1. open + list
        def open_list():
            ds = mm.open_dataset(store)
            return len(ds.trials)

        t_open = _timeit(open_list, args.repeats)
        print(f"open store + list trials: {np.median(t_open) * 1e3:.1f} ms for {n_trials} trials "
              f"= {np.median(t_open) / n_trials * 100:.3f} s per 100 trials")

        # 2. one-second window, all modalities, vs NumPy reading the same bytes
        ds = mm.open_dataset(store)
        trials = ds.trials
        pick = list(trials["trial"])

        windows = [(pick[rng.integers(len(pick))], float(rng.uniform(0, args.duration - 1.0)))
                   for _ in range(args.repeats)]
        it = iter(range(10**9))

        def window():
            trial, t = windows[next(it) % len(windows)]
            w = ds.window(trial, t, t + 1.0).compute()
            return sum(int(v.nbytes) for node in w.subtree for v in node.dataset.data_vars.values())

        # the same chunks read with zarr directly (the time -> index step included, coordinates
        # excluded: they are held in memory by both)
        import zarr

        skip = ("time", "frame", "channel", "ch_type", "pos", "xyz")
        times, arrays = {}, {}
        for trial in pick:  # coordinates and opened arrays held by both sides
            tree = ds.trial(trial)
            for g in ("video", "eeg", "peri"):
                if g in tree.children:
                    node = store / "trials" / trial / g
                    times[trial, g] = tree[g]["time"].values
                    arrays[trial, g] = [zarr.open_array(str(node / p.name), mode="r") for p in sorted(node.iterdir())
                                        if p.is_dir() and p.name not in skip]
        jt = iter(range(10**9))

        def direct():
            trial, t = windows[next(jt) % len(windows)]
            n = 0
            for (tr, group), tt in times.items():
                if tr != trial:
                    continue
                i0, i1 = np.searchsorted(tt, [t, t + 1.0])
                for arr in arrays[trial, group]:
                    key = (slice(None), slice(i0, i1)) if group == "eeg" else (slice(i0, i1),)
                    n += arr[key].nbytes
            return n

        nbytes = window()
        direct()
        blob = tmp / "baseline.npy"
        np.save(blob, rng.integers(0, 255, nbytes, dtype=np.uint8))

        def numpy_read():
            return np.load(blob).nbytes

        t_np = _timeit(numpy_read, args.repeats)
        cold = mm.open_dataset(store)  # every trial opened for the first time in this object
        t_cold = []
        for trial in pick[: args.repeats]:
            t0 = time.perf_counter()
            cold.window(trial, 0.5, 1.5).compute()
            t_cold.append(time.perf_counter() - t0)
        for trial in pick:  # warm: trial metadata already opened (as in a browsing session)
            ds.window(trial, 0.0, 0.1)
        t_win = _timeit(window, args.repeats)
        t_direct = _timeit(direct, args.repeats)
        print(f"one-second all-modality window ({nbytes / 1e6:.2f} MB, zarr pipeline "
              f"{zarr.config.get('codec_pipeline.path')}): API {np.median(t_win) * 1e3:.1f} ms "
              f"(first access of a trial {np.median(t_cold) * 1e3:.1f} ms), direct zarr same chunks "
              f"{np.median(t_direct) * 1e3:.1f} ms, NumPy same bytes {np.median(t_np) * 1e3:.2f} ms")
        print(f"  ratio API / direct zarr = {np.median(t_win) / np.median(t_direct):.2f} (target <= 1.3); "
              f"direct zarr / NumPy = {np.median(t_direct) / np.median(t_np):.1f}")

        # 3. one frame at a random time
        fps = 150.0

        def frame():
            trial = pick[rng.integers(len(pick))]
            return ds.frame(trial, int(round(rng.uniform(0, args.duration - 0.01) * fps)))

        frame()
        t_frame = _timeit(frame, max(args.repeats, 50))
        print(f"one frame at a random time: p50 {np.percentile(t_frame, 50) * 1e3:.2f} ms, "
              f"p95 {np.percentile(t_frame, 95) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
