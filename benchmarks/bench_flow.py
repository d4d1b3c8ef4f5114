"""Benchmark of the ME-recognition pipeline (standalone script; prints its results).

1. Flow throughput: pairs/s of ``compute_flow_features`` (flow + strain + 28x28 inputs,
   ``n_workers=1``) against a bare OpenCV loop (grey conversion + ``calc`` per pair, one
   solver for the whole loop, as the pipeline reuses its solvers) on the same frames, per
   method, and their ratio; the target for DIS is ``pipeline / bare >= 0.9``. Both sides run
   with OpenCV on one thread (``cv2.setNumThreads(1)``) and the same solver settings (DIS:
   preset ``MEDIUM``), the pipeline with one thread (``n_workers=1``: its chunks run one
   after the other in the calling thread, without dask's scheduler). The two are timed
   alternately in this process, ``--repeat`` rounds; printed are the ratio of the best
   times, the median of the per-round ratios (robust to a load that drifts), the ratio of
   the best CPU times (without the waits for a core) and, for DIS, the ratio chunk by chunk
   (``_per_chunk``: each chunk's fastest round; short runs, the least disturbed by other
   processes on a shared machine), each against the target.
2. Where the DIS pipeline's time goes: the steps of ``compute_flow_features`` timed one by
   one in place, per pair (grey conversion, DIS, copy into the (u, v) planes) or per group
   of flows of one shape (median, its subtraction, strain, merge and resize, scaling), the
   chunk's normalisation, and the rest (the call's checks, xarray, ...): each step the fastest of the
   rounds, in us per pair, against the bare loop's time per pair.
3. Parallel speed-up: ``compute_flow_features`` with 2 dask workers over 1.
4. LOSO wall time of STSTNet on an MMME-sized synthetic set (634 samples, 75 subjects,
   3 classes): flow features, then ``loso_validate``.

Usage: ``python benchmarks/bench_flow.py [--quick] [--repeat N] [--only-flow]``
(``--quick``: fewer pairs, repeats, subjects and epochs; a few seconds after the imports;
``--only-flow``: sections 1 and 2 only). Timings depend on the machine and its load, which
is printed with them (the load average before and after each section).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import numpy as np

TARGET = 0.9  # DIS pipeline / bare OpenCV


def _new_solver(method):
    if method == "tvl1":
        return cv2.optflow.DualTVL1OpticalFlow_create()
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def _bare_loop(samples, method):
    algo = _new_solver(method)  # one solver for the loop (about 10 us to create for DIS)
    out = []
    for s in samples:
        g1 = cv2.cvtColor(s["onset"], cv2.COLOR_RGB2GRAY)
        g2 = cv2.cvtColor(s["apex"], cv2.COLOR_RGB2GRAY)
        out.append(algo.calc(g1, g2, None))
    return out


def _timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _load():
    return f"load average {os.getloadavg()[0]:.1f}"


def _throughput(sub, method, repeat):
    """Wall and CPU seconds of the bare loop and of the pipeline per round, timed alternately.

    Returns ``{"bare": (wall, cpu), "pipeline": (wall, cpu)}``, arrays of ``repeat`` times;
    the order within a round alternates. CPU time (``time.process_time``, all threads of
    this process) leaves out the time the process waits for a core on a shared machine.
    """
    from mmme_analysis.flow import compute_flow_features

    runs = {
        "bare": lambda: _bare_loop(sub, method),
        "pipeline": lambda: compute_flow_features(sub, method=method, n_workers=1, cv_threads=1,
                                                  progress=False),
    }
    out = {k: (np.empty(repeat), np.empty(repeat)) for k in runs}
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for r in range(repeat):
            for k in (("bare", "pipeline") if r % 2 == 0 else ("pipeline", "bare")):
                c0, t0 = time.process_time(), time.perf_counter()
                runs[k]()
                out[k][0][r], out[k][1][r] = time.perf_counter() - t0, time.process_time() - c0
    finally:
        cv2.setNumThreads(old)
    return out


def _per_chunk(pairs, repeat, chunk=16):
    """Seconds per pair of the bare loop and of the pipeline's task, chunk by chunk.

    Each chunk of ``chunk`` pairs (the tasks ``compute_flow_features`` makes of these pairs
    on one worker) runs through the bare loop and through the pipeline's task function
    (``_chunk_features``) alternately, ``repeat`` rounds; each keeps its fastest round, a
    run of about 50 ms, which a busy machine interrupts less often than a whole run. Also
    returns the fixed cost per pair of the ``compute_flow_features`` call around the
    tasks (checks, xarray), timed with the tasks' work stubbed out.
    """
    from unittest import mock

    from mmme_analysis.flow import batch, compute_flow_features

    kw = dict(method="dis", size=28, normalize="maxabs", subtract_global=True,
              crop_face=False, crop_size=128, face_method="auto", cv_threads=1)
    chunks = [pairs[i:i + chunk] for i in range(0, len(pairs), chunk)]
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    t_bare, t_task = np.full(len(chunks), np.inf), np.full(len(chunks), np.inf)
    try:
        for r in range(repeat):
            for j, c in enumerate(chunks):
                for k in ((0, 1) if (r + j) % 2 == 0 else (1, 0)):
                    t0 = time.perf_counter()
                    _bare_loop(c, "dis") if k == 0 else batch._chunk_features(c, **kw)
                    dt = time.perf_counter() - t0
                    if k == 0:
                        t_bare[j] = min(t_bare[j], dt)
                    else:
                        t_task[j] = min(t_task[j], dt)

        def stub(samples, **kw):
            return np.zeros((len(samples), 3, kw["size"], kw["size"]))

        with mock.patch.object(batch, "_chunk_features", stub):
            fixed = _timed(lambda: compute_flow_features(pairs, method="dis", n_workers=1,
                                                         progress=False), repeat=max(5, repeat))
    finally:
        cv2.setNumThreads(old)
    n = len(pairs)
    return t_bare.sum() / n, t_task.sum() / n, fixed / n


_STEPS = ("grey conversion", "DIS calc", "copy into (u, v) planes", "median (bracket + select)",
          "median subtraction", "strain", "merge + resize", "scale u, v", "normalise (chunk)",
          "checks, grouping")


def _chunk_steps(chunk, size):
    """``_chunk_features`` of one chunk (DIS, maxabs) with its steps timed one by one.

    Returns the maps and a list of ``(step, seconds)`` in a fixed order (one entry per pair
    for the per-pair steps, per group of flows for the group steps). The steps and their
    order are those of ``mmme_analysis.flow.batch._chunk_features`` and
    ``mmme_analysis.flow.inputs._Workspace.maps``; the caller checks the result against
    the pipeline's.
    """
    from mmme_analysis.flow.batch import _GROUP
    from mmme_analysis.flow.inputs import _median_rows, _normalize, _workspace
    from mmme_analysis.flow.optical import _solver, to_gray
    from mmme_analysis.flow.strain import _strain_uv

    pc = time.perf_counter
    ev = []
    maps = np.empty((len(chunk), 3, size, size))
    ws, group = None, []

    def flush():
        m, (_, _, h, w), n = len(group), ws.planes.shape, ws.planes[0, 0].size
        t0 = pc()
        uv = ws.planes[:2, :m]
        med = _median_rows(uv.reshape(2 * m, n)).reshape(2, m, 1, 1)
        t1 = pc()
        uv -= med
        t2 = pc()
        _strain_uv(uv, out=ws.planes[2, :m], scratch=ws._grad[:2 * m * n].reshape(2, m, h, w),
                   halve=False)
        t3 = pc()
        r = np.empty((m, size, size, 3), np.float32)
        for j in range(m):
            cv2.merge([ws.planes[0, j], ws.planes[1, j], ws.planes[2, j]], dst=ws._merged)
            cv2.resize(ws._merged, (size, size), dst=r[j], interpolation=cv2.INTER_AREA)
        t4 = pc()
        np.multiply(r.transpose(0, 3, 1, 2), np.float32([size / w, size / h, 0.5])[:, None, None],
                    out=maps[group[0]:group[-1] + 1], dtype=np.float32)
        t5 = pc()
        ev.extend(zip((3, 4, 5, 6, 7), np.diff([t0, t1, t2, t3, t4, t5])))
        group.clear()

    for i, s in enumerate(chunk):
        t0 = pc()
        g1, g2 = to_gray(s["onset"]), to_gray(s["apex"])
        t1 = pc()
        flow = _solver("dis", {}, g1.shape).calc(g1, g2, None)
        t2 = pc()
        if group and ws.planes.shape[2:] != flow.shape[:2]:
            flush()
        t3 = pc()
        if not group:
            ws = _workspace(*flow.shape[:2], capacity=_GROUP)
        t4 = pc()
        ws.put(len(group), flow)
        group.append(i)
        t5 = pc()
        ev.extend([(0, t1 - t0), (1, t2 - t1), (9, t4 - t3), (2, t5 - t4)])
        if len(group) == ws.capacity:
            flush()
    if group:
        flush()
    t0 = pc()
    out = _normalize(maps, "maxabs")
    ev.append((8, time.perf_counter() - t0))
    return out, ev


def _breakdown(pairs, repeat, chunk=16):
    """Per-step seconds per pair, and the bare loop's and the pipeline's.

    Each timed step of each pair (or group of flows) keeps its fastest of the ``repeat``
    rounds (a pause of the process lands in one round, not in all), then the sum over the
    pairs per step. The totals are the best rounds.
    """
    from mmme_analysis.flow import compute_flow_features
    from mmme_analysis.flow.batch import _chunk_features

    size = 28
    kw = dict(method="dis", size=size, normalize="maxabs", subtract_global=True,
              crop_face=False, crop_size=128, face_method="auto", cv_threads=1)
    chunks = [pairs[i:i + chunk] for i in range(0, len(pairs), chunk)]
    old = cv2.getNumThreads()
    cv2.setNumThreads(1)
    best = None
    t_bare = t_pipe = np.inf
    try:
        for r in range(repeat):
            ev = []
            for c in chunks:
                x, e = _chunk_steps(c, size)
                if r == 0:  # the steps timed are those of the pipeline
                    assert np.array_equal(x, _chunk_features(c, **kw))
                ev.extend(e)
            t = np.array([dt for _, dt in ev])
            best = t if best is None else np.minimum(best, t)
            t_bare = min(t_bare, _timed(lambda: _bare_loop(pairs, "dis")) / len(pairs))
            t_pipe = min(t_pipe, _timed(lambda: compute_flow_features(
                pairs, method="dis", n_workers=1, cv_threads=1, progress=False)) / len(pairs))
    finally:
        cv2.setNumThreads(old)
    steps = np.bincount([k for k, _ in ev], weights=best, minlength=len(_STEPS))
    return steps / len(pairs), t_bare, t_pipe


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer pairs and epochs")
    ap.add_argument("--repeat", type=int, default=None,
                    help="alternated rounds of section 1 (DIS) and of section 2 (default 15, quick 5)")
    ap.add_argument("--only-flow", action="store_true", help="sections 1 and 2 only")
    args = ap.parse_args(argv)
    quick = args.quick
    repeat = args.repeat or (5 if quick else 15)

    import torch

    from mmme_analysis.flow import compute_flow_features
    from mmme_analysis.synth import synthetic_samples
    from mmme_analysis.training import TrainConfig, loso_validate

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{_load()}; OpenCV {cv2.__version__}, numpy {np.__version__}, torch {torch.__version__}")
    pairs = synthetic_samples(n_subjects=4, n_per_subject=10 if quick else 25, seed=0)
    shapes = sorted({p["onset"].shape for p in pairs})
    print(f"frames: {len(pairs)} onset/apex pairs of {', '.join(map(str, shapes))} px "
          "(synthetic face)")

    print("\n1. flow throughput, OpenCV 1 thread on both sides, pipeline n_workers=1 "
          f"(pairs/s of the best round; {_load()})")
    print(f"{'method':<8}{'pairs':>6}{'rounds':>7}{'bare OpenCV':>13}{'pipeline':>10}"
          f"{'ratio best':>12}{'median':>8}{'CPU time':>10}")
    for method in ("dis", "tvl1"):
        sub = pairs if method == "dis" else pairs[: (3 if quick else 40)]
        rounds = repeat if method == "dis" else (1 if quick else 2)
        _throughput(sub[:2], method, 2)  # warm-up: dask's thread pool, the cached solvers
        res = _throughput(sub, method, rounds)
        (w_bare, c_bare), (w_pipe, c_pipe) = res["bare"], res["pipeline"]
        ratio = w_bare.min() / w_pipe.min()
        ratio_med, ratio_cpu = float(np.median(w_bare / w_pipe)), c_bare.min() / c_pipe.min()
        print(f"{method:<8}{len(sub):>6}{rounds:>7}{len(sub) / w_bare.min():>13.1f}"
              f"{len(sub) / w_pipe.min():>10.1f}{ratio:>12.3f}{ratio_med:>8.3f}{ratio_cpu:>10.3f}")
        if method == "dis":
            dis = dict(best=ratio, median=ratio_med)
    b, t, fixed = _per_chunk(pairs, repeat)
    dis["per chunk"] = b / (t + fixed)
    print(f"  DIS chunk by chunk (16 pairs, fastest of {repeat} rounds each): bare {b * 1e6:.0f} us, "
          f"pipeline task {t * 1e6:.0f} us + call {fixed * 1e6:.0f} us per pair: ratio "
          f"{dis['per chunk']:.3f} ({_load()})")
    print(f"  DIS target pipeline / bare >= {TARGET}: " + ", ".join(
        f"{k} {v:.3f} {'met' if v >= TARGET else 'NOT met'}" for k, v in dis.items()))

    print(f"\n2. DIS pipeline per step, us per pair (fastest of {repeat} rounds; {_load()})")
    steps, t_bare, t_pipe = _breakdown(pairs, repeat)
    rest = t_pipe - steps.sum()
    print(f"  {'bare OpenCV loop (grey + calc)':<34}{t_bare * 1e6:>9.1f}")
    for name, t in zip(_STEPS, steps):
        print(f"  {name:<34}{t * 1e6:>9.1f}  {t / t_bare:>6.1%} of bare")
    print(f"  {'rest (call, xarray, ...)':<34}{rest * 1e6:>9.1f}  {rest / t_bare:>6.1%} of bare")
    post = t_pipe - steps[:2].sum()
    print(f"  {'compute_flow_features':<34}{t_pipe * 1e6:>9.1f}  ratio {t_bare / t_pipe:.3f}; "
          f"after the flow {post * 1e6:.0f} us, budget for {TARGET}: "
          f"{(t_bare / TARGET - t_bare) * 1e6:.0f} us ({_load()})")
    if args.only_flow:
        return

    print("\n3. dask speed-up, TV-L1, local threaded scheduler, OpenCV 1 thread per task")
    sub = pairs[: (4 if quick else 60)]
    times = {}
    for n in (1, 2):
        times[n] = _timed(lambda n=n: compute_flow_features(sub, method="tvl1", n_workers=n,
                                                           progress=False), repeat=1 if quick else 2)
        print(f"  {n} worker(s): {len(sub) / times[n]:.1f} pairs/s")
    print(f"  speed-up 2 workers / 1 worker: {times[1] / times[2]:.2f}x")

    print("\n4. LOSO wall time, STSTNet, " + ("small synthetic set (--quick)" if quick
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
