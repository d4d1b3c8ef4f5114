"""Baseline spotter throughput on one 150 fps trial against the optical flow alone, and peak memory.

    .venv/bin/python benchmarks/bench_spotting.py            # full: a 60 s trial (9000 frames)
    .venv/bin/python benchmarks/bench_spotting.py --quick    # a 6 s trial (under 2 min)

Prints frames per second of ``BaselineSpotter.predict`` (frame decoding, flow, features,
peaks) and of the flow alone (Farneback, the spotter's settings, same frames, one
thread), their ratio, and the peak resident memory of the process.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    import numpy as np
    import pandas as pd

    import mmme_analysis as mm
    from mmme_analysis.flow import flow_compute
    from mmme_analysis.spotting import BaselineSpotter, SpotConfig, gray_frames
    from mmme_analysis.synth import SynthConfig, synthesize

    duration = 6.0 if args.quick else 60.0
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = synthesize(Path(tmp) / "raw", SynthConfig(n_subjects=1, n_trials=1, duration=duration), progress=False)
        ds = mm.open_dataset(root)
        trial = ds.trials["trial"].iloc[0]
        cfg = SpotConfig()
        ann = pd.DataFrame({"kind": ["micro"], "onset": [0.0], "offset": [0.32]})
        spotter = BaselineSpotter(cfg).fit(ann)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        spotter.predict(ds, [trial], n_workers=args.workers, progress=False)
        t_spot = time.perf_counter() - t0
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        frames = np.asarray(ds.trial(trial)["video"]["frames"].values)
        n = len(frames)
        grey = gray_frames(frames, cfg.width)
        k = spotter.frame_distance("micro", 150.0)
        t0 = time.perf_counter()
        for i in range(k, n):
            flow_compute(grey[i - k], grey[i], method=cfg.method, **cfg.flow_params)
        t_flow = time.perf_counter() - t0
    print(f"trial: {n} frames ({duration:.0f} s at 150 fps), {frames.shape[2]}x{frames.shape[1]} px, "
          f"workers={args.workers}")
    print(f"baseline spotter: {n / t_spot:8.1f} frames/s ({t_spot:.1f} s)")
    print(f"flow alone:       {n / t_flow:8.1f} frames/s ({t_flow:.1f} s)")
    print(f"ratio spotter/flow time: {t_spot / t_flow:.2f}")
    print(f"peak RSS: {rss1 / 1024:.0f} MiB (before predict {rss0 / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
