"""Benchmark of the ME-recognition pipeline (standalone script; prints its results).

1. Flow throughput: pairs/s of ``compute_flow_features`` (flow + strain + 28x28 inputs,
   one dask worker) against a bare OpenCV loop (grey conversion + a new solver + ``calc``
   per pair) on the same frames, per method, and their ratio. Both sides run with OpenCV
   on one thread (``cv2.setNumThreads(1)``), the pipeline on one dask worker thread; the
   two are timed alternately in this process and the best of the repeats is kept.
2. Parallel speed-up: ``compute_flow_features`` with 2 dask workers over 1.
3. LOSO wall time of STSTNet on an MMME-sized synthetic set (634 samples, 75 subjects,
   3 classes): flow features, then ``loso_validate``.

Usage: ``python benchmarks/bench_flow.py [--quick]`` (``--quick``: fewer pairs, repeats,
subjects and epochs; a few seconds after the imports).
Timings depend on the machine and its load, which is printed with them.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import numpy as np


def _bare_loop(samples, method):
    out = []
    for s in samples:
        g1 = cv2.cvtColor(s["onset"], cv2.COLOR_RGB2GRAY)
        g2 = cv2.cvtColor(s["apex"], cv2.COLOR_RGB2GRAY)
        if method == "tvl1":
            algo = cv2.optflow.DualTVL1OpticalFlow_create()
        else:
            algo = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        out.append(algo.calc(g1, g2, None))
    return out


def _timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _throughput(sub, method, repeat):
    """Best-of-``repeat`` seconds of the bare loop and of the pipeline, timed alternately."""
    from mmme_analysis.flow import compute_flow_features

    def pipeline():
        compute_flow_features(sub, method=method, n_workers=1, cv_threads=1, progress=False)

    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        t_bare = t_pipe = np.inf
        for _ in range(repeat):
            t_bare = min(t_bare, _timed(lambda: _bare_loop(sub, method)))
            t_pipe = min(t_pipe, _timed(pipeline))
    finally:
        cv2.setNumThreads(old)
    return t_bare, t_pipe


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer pairs and epochs")
    quick = ap.parse_args(argv).quick

    import torch

    from mmme_analysis.flow import compute_flow_features
    from mmme_analysis.synth import synthetic_samples
    from mmme_analysis.training import TrainConfig, loso_validate

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; OpenCV {cv2.__version__}, torch {torch.__version__}")
    pairs = synthetic_samples(n_subjects=4, n_per_subject=10 if quick else 25, seed=0)
    print(f"frames: {len(pairs)} onset/apex pairs of {pairs[0]['onset'].shape} px (synthetic face)")

    print("\n1. flow throughput, OpenCV 1 thread on both sides, pipeline 1 dask worker "
          "(pairs/s, best of the repeats)")
    print(f"{'method':<8}{'pairs':>6}{'bare OpenCV':>13}{'pipeline':>11}{'ratio':>8}")
    for method in ("dis", "tvl1"):
        sub = pairs if method == "dis" else pairs[: (3 if quick else 40)]
        repeat = 7 if method == "dis" else (1 if quick else 2)
        _throughput(sub[:1], method, 1)  # warm-up: dask's thread pool, the cached solver
        t_bare, t_pipe = _throughput(sub, method, repeat)
        r_bare, r_pipe = len(sub) / t_bare, len(sub) / t_pipe
        print(f"{method:<8}{len(sub):>6}{r_bare:>13.1f}{r_pipe:>11.1f}{r_pipe / r_bare:>8.2f}")

    print("\n2. dask speed-up, TV-L1, local threaded scheduler, OpenCV 1 thread per task")
    sub = pairs[: (4 if quick else 60)]
    times = {}
    for n in (1, 2):
        times[n] = _timed(lambda n=n: compute_flow_features(sub, method="tvl1", n_workers=n,
                                                           progress=False), repeat=1 if quick else 2)
        print(f"  {n} worker(s): {len(sub) / times[n]:.1f} pairs/s")
    print(f"  speed-up 2 workers / 1 worker: {times[1] / times[2]:.2f}x")

    print("\n3. LOSO wall time, STSTNet, " + ("small synthetic set (--quick)" if quick
                                             else "MMME-sized synthetic set"))
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    n_subjects, n_keep = (8, 48) if quick else (75, 634)
    samples = synthetic_samples(n_subjects=n_subjects, n_per_subject=9, seed=1)
    keep = np.sort(rng.choice(len(samples), n_keep, replace=False))
    samples = [samples[i] for i in keep]
    t_render = time.perf_counter() - t0
    t0 = time.perf_counter()
    feats = compute_flow_features(samples, method="dis", n_workers=2, progress=False)
    t_flow = time.perf_counter() - t0
    epochs = 1 if quick else 20
    cfg = TrainConfig(epochs=epochs, lr=3e-3, batch_size=16, seed=0, num_threads=1)
    t0 = time.perf_counter()
    res = loso_validate(feats["flow_inputs"], feats["label"].values, feats["subject"].values,
                        "ststnet", config=cfg)
    t_loso = time.perf_counter() - t0
    n_sub = feats["subject"].to_series().nunique()
    print(f"  {len(samples)} samples, {n_sub} subjects; rendering {t_render:.1f} s, "
          f"DIS flow features (2 workers) {t_flow:.1f} s")
    print(f"  LOSO ({n_sub} folds, {epochs} epochs, batch 16, CPU 1 thread, device {res.device}): "
          f"{t_loso:.1f} s ({t_loso / n_sub:.2f} s per fold); "
          f"pooled UF1 {res.metrics['uf1']:.3f}, UAR {res.metrics['uar']:.3f}")


if __name__ == "__main__":
    main()
