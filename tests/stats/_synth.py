"""Synthetic ME/non-ME feature tables from simulated ECG (fixed seeds), for the stats tests."""
import functools

import numpy as np
import pandas as pd
import xarray as xr

from mmme_analysis.physio import ecg_process, event_features
from mmme_analysis.synth import HeartConfig, PeriConfig, simulate_peri


def planted_table(seed: int, *, null: bool, n_subjects: int = 4, n_trials: int = 2, duration: float = 30.0,
                  sfreq: float = 250.0, n_me: int = 3, n_non_me: int = 2,
                  min_distance: float = 3.0) -> pd.DataFrame:
    """Event features of ECG simulated with (or, ``null``, without) planted HR responses (a fresh copy)."""
    return _planted_table(seed, null, n_subjects, n_trials, duration, sfreq, n_me, n_non_me, min_distance).copy()


@functools.lru_cache(maxsize=64)  # several tests use the same seeds: simulate each once per process
def _planted_table(seed, null, n_subjects, n_trials, duration, sfreq, n_me, n_non_me, min_distance):
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_subjects):
        cfg = PeriConfig(heart=HeartConfig(hr_mean=rng.uniform(60, 85)))  # subjects differ in resting heart rate
        for tr in range(n_trials):
            slots = np.arange(4.0, duration - 4.0, 7.0)
            apexes = np.sort(rng.choice(slots, n_me, replace=False) + rng.uniform(0, 1.0, n_me))
            sig, _ = simulate_peri(duration, sfreq, rng=rng, me_apexes=apexes, null=null, config=cfg)
            ecg = xr.DataArray(sig["ECG"].values, dims="time", coords={"time": np.arange(sig["ECG"].size) / sfreq},
                               attrs={"sfreq": sfreq, "units": "V"})
            ev = pd.DataFrame({"onset": apexes - 0.1, "apex": apexes, "offset": apexes + 0.15, "kind": "micro"})
            frames.append(event_features(ecg_process(ecg), ev, rng=rng, subject=f"sub-{s + 1:02d}", trial=101 + tr,
                                         n_non_me=n_non_me, min_distance=min_distance))
    return pd.concat(frames, ignore_index=True)
