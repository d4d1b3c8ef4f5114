"""Gain of CMCL-Net's heart-rate-slope filter over seeds, on planted and on null physiology.

    .venv/bin/python benchmarks/spot_filter_seeds.py            # 5 seeds, generator defaults
    .venv/bin/python benchmarks/spot_filter_seeds.py --quick    # 5 seeds, 2 trials a subject, fewer epochs
    .venv/bin/python benchmarks/spot_filter_seeds.py --seeds 8 --eta 2.0 --duration 15

For every seed ``s`` two synthetic datasets are generated with
:func:`mmme_analysis.synth.synthesize` (``SynthConfig(seed=s)``: the generator's defaults,
with the heart-rate acceleration planted at every ME apex, and ``SynthConfig(seed=s,
null=True)``: no physiological coupling, the faces and every other draw the same). On each,
:func:`mmme_analysis.spotting.spot_ablation` runs the ``video + ECG`` and ``video + ECG +
filter`` rows (leave-one-subject-out, :meth:`CMCLSpotConfig.fast`, network seed ``s``) and
the script prints the filter's gain (filtered minus unfiltered) in precision, recall and F1
per seed, then the mean, the standard deviation over seeds and ``t = mean / (sd / sqrt(n))``
of each gain, for planted and for null, and of the paired difference planted - null.

A second block, ``fixed_precision``, scores the filter alone on candidates that do not
depend on the spotter: every true ME interval plus five random intervals per trial (decoys), and prints how many
of each the filter keeps, pooled over seeds.

Expected: a precision gain on planted data (the filter keeps candidates with a heart-rate
response, the planted MEs have one); on null data the gain is within seed noise (|t|
small): there the filter drops candidates at random.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

SETTINGS = ("video + ECG", "video + ECG + filter")


def run_seed(seed: int, null: bool, root: Path, *, quick: bool, eta: float, duration: float | None = None,
             trials: int | None = None) -> dict:
    """Precision / recall / F1 of both rows on one synthetic dataset."""
    import mmme_analysis as mm
    from mmme_analysis.spotting import CMCLSpotConfig, spot_ablation
    from mmme_analysis.synth import SynthConfig, synthesize

    n_trials = trials if trials is not None else (2 if quick else None)
    synth = SynthConfig(seed=seed, null=null, **({} if n_trials is None else {"n_trials": n_trials}),
                        **({} if duration is None else {"duration": duration}))
    cfg = CMCLSpotConfig.fast(num_threads=1, **({"epochs": 8, "pretrain_epochs": 1} if quick else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = mm.open_dataset(synthesize(root / f"seed{seed}-{'null' if null else 'planted'}", synth, progress=False))
        res = spot_ablation(ds, config=cfg, seeds=(seed,), eta=eta, settings=SETTINGS, shuffled=False)
        fixed = fixed_candidates(ds, res.truth, seed=seed, eta=eta)
    t = res.table.set_index("setting")
    assert (t["tp"] + t["fn"] == t["n_truth"]).all()
    row = {"seed": seed, "physiology": "null" if null else "planted", "n_truth": int(t["n_truth"].iloc[0])}
    for m in ("precision", "recall", "f1"):
        row[f"{m}_unfiltered"] = float(t.loc["video + ECG", m])
        row[f"{m}_filtered"] = float(t.loc["video + ECG + filter", m])
        row[f"{m}_gain"] = row[f"{m}_filtered"] - row[f"{m}_unfiltered"]
    row["kept"] = int(t.loc["video + ECG + filter", "tp"] + t.loc["video + ECG + filter", "fp"])
    row["candidates"] = int(t.loc["video + ECG", "tp"] + t.loc["video + ECG", "fp"])
    row.update(fixed)
    return row


def fixed_candidates(ds, truth, *, seed: int, eta: float, decoys: int = 5) -> dict:
    """The filter alone, on candidates that do not depend on a spotter: every true ME interval
    plus ``decoys`` random intervals per trial (false positives unless they hit an ME)."""
    import numpy as np
    import pandas as pd

    from mmme_analysis.spotting import hrs_filter, spot_metrics

    me = truth[(truth["kind"] == "micro") & truth["onset"].notna()]
    me = me[["video", "onset", "offset", "apex", "kind"]].astype({"onset": int, "offset": int, "apex": int})
    rng = np.random.default_rng(seed)
    half = int(round((me["offset"] - me["onset"]).mean() / 2)) if len(me) else 20
    rows = []
    for trial in truth["video"].unique():
        n = int(ds.trial(trial)["video"].sizes["time"])
        for a in rng.integers(half, max(half + 1, n - half), size=decoys):
            rows.append(dict(video=trial, onset=int(a - half), offset=int(a + half), apex=int(a), kind="micro"))
    cand = pd.concat([me, pd.DataFrame(rows)], ignore_index=True)
    out = hrs_filter(cand, ds, eta=eta)
    before = spot_metrics(cand, truth)[0].loc["micro"]
    after = spot_metrics(out[out["kept"]], truth)[0].loc["micro"]
    return {"fixed_precision_unfiltered": float(before["precision"]), "fixed_precision_filtered":
            float(after["precision"]), "fixed_precision_gain": float(after["precision"] - before["precision"]),
            "fixed_kept_me": int(after["tp"]), "fixed_kept_decoy": int(after["fp"]), "fixed_me": int(before["tp"]),
            "fixed_decoy": int(before["fp"])}


def summarise(df):
    """Mean, SD and t of the gains per physiology, and of the paired planted - null difference."""
    import numpy as np
    import pandas as pd

    gains = ["precision_gain", "recall_gain", "f1_gain", "fixed_precision_gain"]
    rows = []
    wide = df.pivot(index="seed", columns="physiology", values=gains)
    groups = {p: df[df["physiology"] == p][gains] for p in ("planted", "null")}
    groups["planted - null"] = pd.DataFrame({g: wide[(g, "planted")] - wide[(g, "null")] for g in gains})
    for name, g in groups.items():
        n = len(g)
        for col in gains:
            mean, sd = float(g[col].mean()), float(g[col].std(ddof=1)) if n > 1 else float("nan")
            t = mean / (sd / np.sqrt(n)) if n > 1 and sd > 0 else float("nan")
            rows.append(dict(physiology=name, gain=col.removesuffix("_gain"), n_seeds=n, mean=mean, sd=sd, t=t))
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 trials a subject, 8 + 1 epochs")
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds (>= 5 for the report)")
    ap.add_argument("--eta", type=float, default=2.0)
    ap.add_argument("--trials", type=int, default=None,
                    help="trials per subject (default: the generator's, 4; 3 subjects)")
    ap.add_argument("--duration", type=float, default=None,
                    help="stimulus length (s) of the synthetic trials (default: the generator's, 6 s)")
    args = ap.parse_args()
    import pandas as pd
    import torch

    torch.set_num_threads(1)
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for null in (False, True):
                r = run_seed(seed, null, Path(tmp), quick=args.quick, eta=args.eta, duration=args.duration,
                             trials=args.trials)
                rows.append(r)
                print(f"seed {seed} {r['physiology']:>7}: {r['n_truth']:3d} MEs, candidates {r['candidates']:3d} -> "
                      f"kept {r['kept']:3d} | P {r['precision_unfiltered']:.3f} -> {r['precision_filtered']:.3f} "
                      f"({r['precision_gain']:+.3f}) | R {r['recall_unfiltered']:.3f} -> {r['recall_filtered']:.3f} "
                      f"| F1 {r['f1_unfiltered']:.3f} -> {r['f1_filtered']:.3f} ({r['f1_gain']:+.3f}) "
                      f"|| fixed candidates: kept {r['fixed_kept_me']}/{r['fixed_me']} MEs, "
                      f"{r['fixed_kept_decoy']}/{r['fixed_decoy']} decoys, P {r['fixed_precision_unfiltered']:.3f} "
                      f"-> {r['fixed_precision_filtered']:.3f} ({r['fixed_precision_gain']:+.3f})", flush=True)
    df = pd.DataFrame(rows)
    length = "generator default" if args.duration is None else f"{args.duration:g} s"
    length += f", {args.trials or 'default'} trials a subject"
    print(f"\nfilter gain (filtered - unfiltered) over {args.seeds} seeds, eta = {args.eta}, trials {length}, "
          f"{'quick' if args.quick else 'full'} mode, {time.perf_counter() - t0:.0f} s:")
    with pd.option_context("display.float_format", "{:+.4f}".format, "display.width", 120):
        print(summarise(df).to_string(index=False))
    print("\nfixed candidates, pooled over seeds (share kept by the filter):")
    for name, g in df.groupby("physiology", sort=False):
        me, dec = g["fixed_kept_me"].sum() / g["fixed_me"].sum(), g["fixed_kept_decoy"].sum() / g["fixed_decoy"].sum()
        print(f"  {name:>7}: true MEs {g['fixed_kept_me'].sum()}/{g['fixed_me'].sum()} = {me:.3f}, decoys "
              f"{g['fixed_kept_decoy'].sum()}/{g['fixed_decoy'].sum()} = {dec:.3f}, ratio {me / dec if dec else float('nan'):.2f}")


if __name__ == "__main__":
    main()
