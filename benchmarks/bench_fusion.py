"""Fusion benchmark (issue 13): does fusing modalities beat each modality alone, and at what cost?

For each model (``mes_eeg``: video + EEG; ``me_ps``: video + EEG + peripheral) it prints:

1. **complementary data** (:func:`mmme_analysis.synth.fusion_samples` with the default
   ``informative``: video separates A/B, EEG B/C, peripheral C/A), LOSO in fast mode
   (:data:`mmme_analysis.training.FAST_FUSION` unless ``--epochs`` is given) through
   :func:`mmme_analysis.training.modality_ablation`: UF1 of every modality set, the gain
   ``UF1(all modalities) - max UF1(single modality)`` per seed and its mean over seeds
   (target >= 0.1), and the shuffled-label control (target: chance 1/3 +- 0.1);
2. **video-only data** (``informative=("video",)``): ``UF1(all) - UF1(video)`` per seed and
   mean (target: within +- 0.05);
3. **cost**: training wall time per LOSO fold in fast mode at the benchmark's size and at
   realistic input sizes (64 EEG channels, 28 x 28 flow maps for ``mes_eeg``, 8-frame
   32 x 32 clips for ``me_ps``) on two subsets of ``~634 / 75`` samples per subject,
   projected linearly in the number of training samples to MMME size (634 MEs, 75
   subjects: 617 training samples per fold with one validation subject) and to a whole
   MMME LOSO (75 folds); then one real fold of a 75-subject set at those input sizes
   (``fusion_loso(..., test_subjects="sub-01")``, 675 MEs) as a check of the projection;
   peak resident memory of the process (``resource.getrusage``) after each part.

Numbers come from this run only (nothing hard-coded). Wall times include the machine's
other load: run it on an idle machine for the figures of a note. ``--quick`` (one seed,
few epochs) only checks that it all runs.

Usage: python benchmarks/bench_fusion.py [--models mes_eeg me_ps] [--seeds 0 1 2]
       [--subjects 6] [--per-class 4] [--effect E] [--epochs N] [--threads 1] [--skip cost]
       [--no-full-fold] [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time

import numpy as np

MMME_MES, MMME_SUBJECTS = 634, 75
CHANCE = 1 / 3


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _gen_kwargs(model: str, args) -> dict:
    kw = {"size": args.size, "n_frames": 2 if model == "mes_eeg" else args.frames}
    if args.effect is not None:
        kw["effect"] = args.effect
    return kw


def claim(model: str, args, config) -> dict:
    """Complementary, video-only and shuffled-label results of ``model`` over the seeds."""
    from mmme_analysis.synth import fusion_samples
    from mmme_analysis.training import modality_ablation

    allm = {"mes_eeg": ("video", "eeg"), "me_ps": ("video", "eeg", "peri")}[model]
    full = "+".join(allm)
    out = {"seeds": [], "gain": [], "video_only_delta": [], "shuffled_uf1": [], "tables": [], "seconds": []}
    for seed in args.seeds:
        cfg = dataclasses.replace(config, seed=seed)
        t0 = time.perf_counter()
        ds = fusion_samples(args.subjects, args.per_class, seed=seed, **_gen_kwargs(model, args))
        t = modality_ablation(ds, model, config=cfg)
        real = t[~t.shuffled]
        u = dict(zip(real["modalities"], real["uf1"]))
        gain = u[full] - max(u[m] for m in allm)
        ds_v = fusion_samples(args.subjects, args.per_class, informative=("video",), seed=seed, **_gen_kwargs(model, args))
        tv = modality_ablation(ds_v, model, modalities=[("video",), allm], config=cfg)
        uv = dict(zip(tv.loc[~tv.shuffled, "modalities"], tv.loc[~tv.shuffled, "uf1"]))
        out["seeds"].append(seed)
        out["gain"].append(float(gain))
        out["video_only_delta"].append(float(uv[full] - uv["video"]))
        out["shuffled_uf1"].append(float(t.loc[t.shuffled, "uf1"].iloc[0]))
        out["seconds"].append(time.perf_counter() - t0)
        tab = t[["modalities", "shuffled", "uf1", "uar", "accuracy"]].copy()
        tab["video_only_uf1"] = [uv.get(m, np.nan) if not s else np.nan for m, s in zip(tab["modalities"], tab["shuffled"])]
        out["tables"].append(tab.round(3).to_dict("records"))
        print(f"  seed {seed}: " + ", ".join(f"{k}={v:.3f}" for k, v in u.items())
              + f" | gain={gain:+.3f} | video-only: all-video={uv[full] - uv['video']:+.3f} (video {uv['video']:.3f})"
              + f" | shuffled={out['shuffled_uf1'][-1]:.3f} | {out['seconds'][-1]:.0f} s", flush=True)
    for k in ("gain", "video_only_delta", "shuffled_uf1"):
        out[f"{k}_mean"] = float(np.mean(out[k]))
    out["pass"] = {"gain>=0.1": out["gain_mean"] >= 0.1,
                   "|video_only_delta|<=0.05": abs(out["video_only_delta_mean"]) <= 0.05,
                   "|shuffled-1/3|<=0.1": abs(out["shuffled_uf1_mean"] - CHANCE) <= 0.1}
    print(f"  mean over {len(args.seeds)} seeds: gain {out['gain_mean']:+.3f} (target >= 0.1), "
          f"video-only all-video {out['video_only_delta_mean']:+.3f} (target +-0.05), "
          f"shuffled UF1 {out['shuffled_uf1_mean']:.3f} (target {CHANCE:.3f} +- 0.1) -> {out['pass']}", flush=True)
    return out


def cost(model: str, args, config) -> dict:
    """Per-fold wall time at benchmark and realistic sizes, projected to MMME size."""
    from mmme_analysis.synth import fusion_samples
    from mmme_analysis.training import fusion_loso

    per_subject = MMME_MES / MMME_SUBJECTS  # 8.45 MEs per subject
    per_class = max(1, round(per_subject / 3))  # 3 classes -> 9 per subject
    real = {"n_eeg_channels": 64, "size": 28, "n_frames": 2} if model == "mes_eeg" else \
        {"n_eeg_channels": 64, "size": 32, "n_frames": 8}
    out = {"fast_size": {}, "realistic": {}}
    # at the benchmark's own (fast) size, from the claim's setting
    ds = fusion_samples(args.subjects, args.per_class, seed=0, **_gen_kwargs(model, args))
    _, folds, _ = fusion_loso(ds, model, config=config)
    out["fast_size"] = {"n_subjects": args.subjects, "n_fit_mean": float(folds["n_fit"].mean()),
                        "seconds_per_fold": float(folds["seconds"].median())}
    print(f"  fast size ({args.subjects} subjects x {3 * args.per_class}): "
          f"{out['fast_size']['seconds_per_fold']:.2f} s per fold (median), n_fit {out['fast_size']['n_fit_mean']:.0f}", flush=True)
    pts = []
    for n_sub in args.cost_subjects:
        ds = fusion_samples(n_sub, per_class, seed=0, **real)
        _, folds, _ = fusion_loso(ds, model, config=config)
        pts.append((float(folds["n_fit"].mean()), float(folds["seconds"].median())))
        print(f"  realistic size, {n_sub} subjects x {3 * per_class} MEs: {pts[-1][1]:.2f} s per fold (median), "
              f"n_fit {pts[-1][0]:.0f}", flush=True)
    (n0, s0), (n1, s1) = pts[0], pts[-1]
    slope = (s1 - s0) / (n1 - n0) if n1 != n0 else s1 / n1
    icpt = s1 - slope * n1
    n_fit_mmme = MMME_MES * (MMME_SUBJECTS - 1 - config.val_subjects) / MMME_SUBJECTS
    fold = icpt + slope * n_fit_mmme
    out["realistic"] = {"points": pts, "seconds_per_fit_sample": slope, "intercept_s": icpt,
                        "n_fit_mmme": n_fit_mmme, "projected_seconds_per_fold": fold,
                        "projected_loso_minutes": fold * MMME_SUBJECTS / 60}
    print(f"  projected to MMME ({MMME_MES} MEs, {MMME_SUBJECTS} subjects, n_fit {n_fit_mmme:.0f}): "
          f"{fold:.1f} s per fold, {fold * MMME_SUBJECTS / 60:.1f} min per LOSO run (one modality set)", flush=True)
    if args.full_fold:
        # check of the projection: one real fold of a 75-subject set (3 per class: 675 MEs)
        ds = fusion_samples(MMME_SUBJECTS, per_class, seed=0, **real)
        rss0 = _peak_mib()
        _, folds, _ = fusion_loso(ds, model, config=config, test_subjects="sub-01")
        row = folds.iloc[0]
        out["full_fold"] = {"n_samples": int(ds.sizes["sample"]), "n_fit": int(row["n_fit"]), "seconds": float(row["seconds"]),
                            "projection_at_this_n_fit": icpt + slope * float(row["n_fit"]),
                            "peak_rss_mib_before": rss0, "peak_rss_mib_after": _peak_mib()}
        print(f"  measured: one fold of {ds.sizes['sample']} MEs / {MMME_SUBJECTS} subjects (n_fit {int(row['n_fit'])}): "
              f"{row['seconds']:.1f} s (projection at that n_fit: {out['full_fold']['projection_at_this_n_fit']:.1f} s); "
              f"peak RSS {out['full_fold']['peak_rss_mib_after']:.0f} MiB", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=["mes_eeg", "me_ps"], choices=["mes_eeg", "me_ps"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--subjects", type=int, default=6)
    p.add_argument("--per-class", type=int, default=4)
    p.add_argument("--effect", type=float, default=None, help="generator effect (default: fusion_samples' default)")
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--frames", type=int, default=4, help="clip frames for me_ps (mes_eeg reads the apex map)")
    p.add_argument("--epochs", type=int, default=None, help="default: FAST_FUSION's")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cost-subjects", nargs=2, type=int, default=[4, 8])
    p.add_argument("--skip", nargs="*", default=[], choices=["claim", "cost"])
    p.add_argument("--no-full-fold", dest="full_fold", action="store_false",
                   help="skip timing one real fold of a 75-subject set (the projection's check)")
    p.add_argument("--json", default=None)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.subjects, args.per_class, args.epochs, args.cost_subjects = [0], 3, 1, 2, [3, 4]
        args.full_fold = False

    import torch

    from mmme_analysis.training import FAST_FUSION

    torch.set_num_threads(args.threads)
    config = dataclasses.replace(FAST_FUSION, device="cpu", num_threads=args.threads,
                                 **({} if args.epochs is None else {"epochs": args.epochs}))
    print(f"config: {config}; data: {args.subjects} subjects x {args.per_class} per class, "
          f"effect={args.effect or 'default'}, size={args.size}; torch {torch.__version__}, {args.threads} thread(s)", flush=True)
    report = {"config": dataclasses.asdict(config), "args": vars(args), "models": {}}
    for model in args.models:
        print(f"== {model}", flush=True)
        r = {}
        if "claim" not in args.skip:
            r["claim"] = claim(model, args, config)
        if "cost" not in args.skip:
            r["cost"] = cost(model, args, config)
        r["peak_rss_mib"] = _peak_mib()
        print(f"  peak RSS so far: {r['peak_rss_mib']:.0f} MiB", flush=True)
        report["models"][model] = r
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
