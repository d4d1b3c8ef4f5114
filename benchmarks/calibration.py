"""Calibration of the ME vs non-ME tests: null false-positive rates, FWER after FDR, power.

    python benchmarks/calibration.py --quick          # a few seeds, < 2 min
    python benchmarks/calibration.py --seeds 40       # the full harness (>= 40 null seeds per design)
    python benchmarks/calibration.py --seeds 40 --jobs 8 --out calibration.csv

For each design, seeds simulate a cohort with :func:`mmme_analysis.synth.simulate_peri`
(ECG, PPG, EDA, RSP, SKT at 250 Hz; each subject its own resting heart rate), process it
with :func:`mmme_analysis.physio.physio_process` and take
:func:`mmme_analysis.physio.event_features` at the ME apexes and at 2 matched non-ME
moments per ME. Null seeds plant nothing: every feature is tested by every method of
:func:`mmme_analysis.stats.compare_moments` (FDR over the features). Power seeds plant a
heart-rate acceleration of 2, 4 or 8 bpm after each apex; only the signed HR slope
(``ECG_Rate_Slope_apex``) is tested there (ECG processed alone). Designs:

* ``1-2 per trial`` / ``3-4 per trial``: 10 subjects x 6 trials of 30 s, MEs placed as the
  raw-layout generator places them (random gaps >= 1 s, anywhere from 0.5 s after the
  start to 0.5 s before the end);
* ``near edges``: 1-2 MEs per trial, one in the first 2.5 s, the other in the last 5 s;
  the default ``cut="exclude"`` drops the features whose windows run past the trial, so
  power falls with the MEs left; ``near edges, cut kept`` is the same cohort with
  ``cut="keep"`` (window means over the part inside the trial), the trade-off a user makes;
* ``notebook 02``: the cohort notebook 02 simulates (8 subjects x 3 trials of 40 s,
  3 MEs per trial on a 6 s grid).

Printed: per design and method, the mean (and max) over features of the per-feature
rejection rate at alpha = 0.05 under the null, the family-wise rate after FDR (share of
null seeds with any feature rejected at q < 0.05), and the power (p < 0.05) for the HR
slope per planted response. Seeds run in parallel with joblib (``--jobs``).
"""
from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

FEATURE = "ECG_Rate_Slope_apex"
METHODS = ("trial_permutation", "stratum_permutation", "mixedlm", "bootstrap", "rows")
RESPONSES = (2.0, 4.0, 8.0)
SFREQ = 250.0


@dataclass(frozen=True)
class Design:
    """A simulated cohort: size, trial length and where MEs go."""

    n_subjects: int = 10
    n_trials: int = 6
    duration: float = 30.0
    mes: tuple = (1, 2)
    placement: str = "generator"  # "generator", "edges" or "grid" (notebook 02)
    n_non_me: int = 2
    min_distance: float = 3.0
    cut: str = "exclude"  # physio.event_features(cut=...): MEs whose feature windows run past the trial


DESIGNS = {
    "1-2 per trial": Design(mes=(1, 2)),
    "3-4 per trial": Design(mes=(3, 4)),
    "near edges": Design(mes=(1, 2), placement="edges"),
    "near edges, cut kept": Design(mes=(1, 2), placement="edges", cut="keep"),
    "notebook 02": Design(n_subjects=8, n_trials=3, duration=40.0, mes=(3, 3), placement="grid"),
}


def place_mes(rng: np.random.Generator, design: Design) -> pd.DataFrame:
    """Onset, apex and offset (s) of one trial's MEs."""
    dur = design.duration
    n = int(rng.integers(design.mes[0], design.mes[1] + 1))
    if design.placement == "grid":  # as notebook 02
        ap = np.sort(rng.choice(np.arange(5.0, dur - 5.0, 6.0), n, replace=False) + rng.uniform(0, 1, n))
        return pd.DataFrame({"onset": ap - 0.12, "apex": ap, "offset": ap + 0.18, "kind": "micro"})
    lengths = rng.uniform(0.15, 0.5, n)
    if design.placement == "edges":  # first in [0.5, 2.5] s, second in the last 5 s
        onsets = np.array([rng.uniform(0.5, 2.5 - 0.25), rng.uniform(dur - 5.0, dur - 0.5 - 0.5)])[:n]
    else:  # as synth.expressions.place_events: random gaps, >= 1 s apart, 0.5 s margins
        free = dur - 1.0 - lengths.sum() - 1.0 * (n - 1)
        cuts = np.sort(rng.uniform(0, free, n))
        onsets = 0.5 + cuts + np.r_[0.0, np.cumsum(lengths[:-1] + 1.0)]
    apex = onsets + np.minimum(0.25, lengths * rng.uniform(0.3, 0.6, n))
    return pd.DataFrame({"onset": onsets, "apex": apex, "offset": onsets + lengths, "kind": "micro"})


def simulate_cohort(design: Design, seed: int, *, response_bpm: float | None = None,
                    modalities=("ECG", "PPG", "EDA", "RSP", "SKT")) -> pd.DataFrame:
    """Event features of one simulated cohort; ``response_bpm=None`` plants nothing (null)."""
    from mmme_analysis.physio import event_features, physio_process
    from mmme_analysis.synth import HeartConfig, PeriConfig, simulate_peri

    rng = np.random.default_rng(seed)
    frames = []
    warnings.simplefilter("ignore")  # excluded (cut) MEs, unplaced controls: counted in n_me
    for s in range(design.n_subjects):
        heart = HeartConfig(hr_mean=rng.uniform(60, 85), response_bpm=response_bpm or 0.0)
        cfg = PeriConfig(heart=heart)
        for tr in range(design.n_trials):
            ev = place_mes(rng, design)
            sig, _ = simulate_peri(design.duration, SFREQ, rng=rng, me_apexes=ev["apex"].to_numpy(),
                                   null=response_bpm is None, config=cfg)
            phys = physio_process(sig[list(modalities)], modalities=modalities)
            frames.append(event_features(phys, ev, rng=rng, subject=f"sub-{s + 1:02d}", trial=101 + tr,
                                         anchors=("apex",), n_non_me=design.n_non_me, min_distance=design.min_distance,
                                         cut=design.cut))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_one(name: str, design: Design, seed: int, response_bpm: float | None, methods=METHODS,
            n_permutations: int = 1000, n_resamples: int = 1000) -> pd.DataFrame:
    """p, q and reject of every method and feature for one seed of one design."""
    from mmme_analysis.stats import compare_moments

    warnings.simplefilter("ignore")
    null = response_bpm is None
    feats = simulate_cohort(design, seed) if null else simulate_cohort(design, seed, response_bpm=response_bpm,
                                                                       modalities=("ECG",))
    features = None if null else [FEATURE]
    if feats.empty or "moment" not in feats:  # every ME excluded (e.g. windows cut at the trial edges)
        return pd.DataFrame({"feature": [FEATURE], "method": [methods[0]], "p": [np.nan], "reject": [False], "n_me": [0]}
                            ).assign(design=name, seed=seed, response_bpm=0.0 if null else response_bpm)
    out = []
    for m in methods:
        res = compare_moments(feats, features, rng=np.random.default_rng(seed), method=m,
                              n_permutations=n_permutations, n_resamples=n_resamples, effect_size=False)
        out.append(res[["feature", "method", "estimate", "p", "q", "reject", "n_subjects", "n_trials", "n_me",
                        "n_eff"]])
    return pd.concat(out, ignore_index=True).assign(design=name, seed=seed,
                                                   response_bpm=0.0 if null else response_bpm)


def run(seeds: int, power_seeds: int, *, designs=None, methods=METHODS, jobs: int = 2, n_permutations: int = 1000,
        n_resamples: int = 1000, responses=RESPONSES) -> pd.DataFrame:
    """All seeds of all designs (joblib over seeds): one row per design, seed, method, feature."""
    from joblib import Parallel, delayed

    designs = DESIGNS if designs is None else designs
    tasks = [(n, d, 10_000 + s, None) for n, d in designs.items() for s in range(seeds)]
    tasks += [(n, d, 20_000 + s, r) for n, d in designs.items() for r in responses for s in range(power_seeds)]
    parts = Parallel(n_jobs=jobs)(delayed(run_one)(*t, methods=methods, n_permutations=n_permutations,
                                                   n_resamples=n_resamples) for t in tasks)
    return pd.concat(parts, ignore_index=True)


def summarize(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Design x method table: null rejection (mean and max over features), FWER after FDR, power."""
    null = results[results["response_bpm"] == 0]
    per_feature = (null.assign(hit=null["p"] < alpha).groupby(["design", "method", "feature"])["hit"].mean())
    table = per_feature.groupby(["design", "method"]).agg(mean_rejection="mean", max_rejection="max")
    table["worst_feature"] = per_feature.groupby(["design", "method"]).idxmax().map(lambda k: k[2])
    fwer = null.groupby(["design", "method", "seed"])["reject"].any().groupby(["design", "method"])
    table["fwer_fdr"] = fwer.mean()
    table["null_seeds"] = fwer.size()
    hr = results[(results["feature"] == FEATURE) & (results["response_bpm"] > 0)]
    if len(hr):
        power = (hr.assign(hit=hr["p"] < alpha).groupby(["design", "method", "response_bpm"])["hit"].mean()
                 .unstack("response_bpm"))
        power.columns = [f"power_{c:g}bpm" for c in power.columns]
        table = table.join(power)
    counts = results.groupby("design")[["n_subjects", "n_trials", "n_me"]].median()
    return table.join(counts, on="design").reset_index()


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 2 null and 1 power seed per design, the default method and 'rows'")
    ap.add_argument("--seeds", type=int, default=40, help="null seeds per design (default 40)")
    ap.add_argument("--power-seeds", type=int, default=None, help="seeds per planted response (default seeds / 2)")
    ap.add_argument("--jobs", type=int, default=2, help="joblib workers")
    ap.add_argument("--methods", nargs="+", default=None, choices=METHODS, help="default: all (quick: 2)")
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    ap.add_argument("--out", default=None, help="write the per-seed results here (CSV)")
    args = ap.parse_args(argv)
    seeds = 2 if args.quick else args.seeds
    power_seeds = (1 if args.quick else max(1, seeds // 2)) if args.power_seeds is None else args.power_seeds
    methods = tuple(args.methods or (("trial_permutation", "rows") if args.quick else METHODS))
    n_perm = 500 if args.quick else 1000
    t0 = time.perf_counter()
    results = run(seeds, power_seeds, designs={k: DESIGNS[k] for k in args.designs}, methods=methods, jobs=args.jobs,
                  n_permutations=n_perm, n_resamples=n_perm)
    if args.out:
        results.to_csv(args.out, index=False)
    table = summarize(results)
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.precision", 3):
        print(table.to_string(index=False))
    print(f"\n{seeds} null and {power_seeds} power seeds per design and response, {time.perf_counter() - t0:.0f} s, "
          f"{args.jobs} jobs; target: mean rejection in [0.03, 0.065], fwer_fdr <= 0.08, power_2bpm >= 0.9")
    return table


if __name__ == "__main__":
    main()
