"""CMCL-Net's heart-rate-slope (HRS) candidate filter and its eta sweep.

CMCL-Net drops a spotted candidate whose heart-rate slope at the apex is not above
``eta`` times the trial's mean slope (best ``eta = 2.0`` of 1.3 ... 2.3 on MECG). The
paper does not say how the slope is measured nor its sign; the choices here:

- heart rate from the trial's ECG by :func:`mmme_analysis.physio.ecg_process`
  (NeuroKit2 R-peaks, monotone cubic interpolation between beats), its slope
  ``ECG_Rate_Slope`` (bpm/s, central differences);
- the HRS of a candidate is the mean slope over ``window`` seconds centred on its apex
  (``(HR(apex + w/2) - HR(apex - w/2)) / w``, default ``w = 1`` s: a single sample's
  derivative carries the beat-to-beat interpolation jitter); near a trial's edges the
  window is cut at the signal's ends (at least ``w/2`` left), so that a candidate at the
  edge is judged like the others instead of being kept unmeasured;
- ``method="rise"`` (default) keeps that slope's sign: what follows an ME is a heart-rate
  *acceleration*, while respiratory sinus arrhythmia, the largest slope of a resting heart,
  rises and falls symmetrically, so a signed test keeps half as many moments by chance.
  ``method="abs"`` takes its magnitude, ``|HR(apex + w/2) - HR(apex - w/2)| / w``, the
  quantity the paper plots. Measured on the generator's default trials (6 s, one or two
  MEs, planted acceleration; 5 seeds, 86 MEs against 5 random moments a trial): at
  ``eta = 2`` "rise" keeps 20 % of the MEs and 9 % of the random moments, "abs" 20 % and
  16 %; with ``--null`` physiology both keep MEs and random moments alike (8-9 %);
- the reference is the trial's mean **absolute** slope (``ECG_Rate_AbsSlope`` averaged
  over the trial), as the paper plots ``|HR slope|`` and reports its trial mean (3.73 in
  its example): the signed mean of a trial is near zero (heart rate comes back to its
  level), so "above eta times the mean slope" can only mean magnitudes;
- a candidate is kept when ``hrs > eta * mean``; candidates of trials without usable ECG
  (no ``peri/ECG``, fewer than 4 R-peaks) are kept with NaN ``hrs`` and an MMMEWarning.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validate import check_option, check_positive, check_type
from .._warnings import MMMEWarning
from .metrics import spot_metrics

__all__ = ["ETA_SWEEP", "HRS_METHODS", "hrs_trial", "hrs_filter", "hrs_sweep"]

#: The eta values of the paper's sweep.
ETA_SWEEP = (1.3, 1.5, 1.7, 1.9, 2.0, 2.1, 2.3)
#: ``method=`` spellings of the HR slope at a candidate: signed (acceleration) or magnitude.
HRS_METHODS = ("rise", "abs")


def hrs_trial(peri, times, *, window: float = 1.0, method: str = "rise") -> tuple[np.ndarray, float]:
    """HR slope (bpm/s) at ``times`` and the trial's mean absolute slope.

    Parameters
    ----------
    peri : xarray.Dataset or DataTree node
        The trial's ``peri`` node, with an ``ECG`` variable on ``time`` (s) and an
        ``sfreq`` attr.
    times : array-like of float
        Apex times (s, trial axis).
    window : float
        Width (s) of the centred window the slope is averaged over.
    method : {"rise", "abs"}
        The mean slope over the window, signed (``"rise"``) or its magnitude (``"abs"``).

    Returns
    -------
    hrs : numpy.ndarray
        The mean ``dHR/dt`` over the window at each time (``"abs"``: its magnitude). A window that runs past the
        signal's first or last sample is cut there (the slope over what is left), as long
        as at least half of it is left; NaN otherwise (times outside the signal).
    mean_slope : float
        Mean of ``|dHR/dt|`` over the trial (where the rate is defined).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> hrs, mean = hrs_trial(ds.trial("sub-01_101")["peri"], [2.0, 5.0])
    >>> hrs.shape, bool(mean > 0)
    ((2,), True)
    """
    from ..physio import ecg_process

    window = check_positive("window", window)
    method = check_option("method", method, HRS_METHODS)
    if "ECG" not in peri:
        raise ValueError("Invalid value for 'peri': expected an 'ECG' variable, got none")
    sfreq = peri.attrs.get("sfreq", peri["ECG"].attrs.get("sfreq"))
    out = ecg_process(np.asarray(peri["ECG"].values, float), sfreq)
    time = np.asarray(peri["time"].values, float)
    rate = np.asarray(out["ECG_Rate"].values, float)
    ok = np.isfinite(rate)
    if not ok.any():
        return np.full(len(np.atleast_1d(times)), np.nan), np.nan
    mean_slope = float(np.nanmean(np.abs(out["ECG_Rate_Slope"].values[ok])))
    t = np.asarray(times, float).reshape(-1)
    first, last = time[ok][0], time[ok][-1]
    lo, hi = np.maximum(t - window / 2, first), np.minimum(t + window / 2, last)  # clipped at the trial's edges
    width = hi - lo
    inside = width >= window / 2
    hr_lo = np.interp(lo, time[ok], rate[ok])
    hr_hi = np.interp(hi, time[ok], rate[ok])
    rise = hr_hi - hr_lo
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inside, (rise if method == "rise" else np.abs(rise)) / width, np.nan), mean_slope


def _apex_times(pred: pd.DataFrame, fps: float) -> np.ndarray:
    return pred["apex"].to_numpy(float) / fps


def hrs_filter(predictions: pd.DataFrame, dataset, *, eta: float = 2.0, window: float = 1.0,
               method: str = "rise", fps: float | None = None, hrs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flag the candidates whose HR slope at the apex is above ``eta`` x the trial's mean slope.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Candidates: ``video`` (trial id), ``onset``, ``offset``, ``apex`` (frames of the
        trial video), ``kind``.
    dataset : Dataset
        Where the trials' ECG (``peri`` node) and video frame rate come from; may be None
        when ``hrs`` is given.
    eta : float
        Factor on the trial's mean absolute slope (> 0).
    window : float
        Slope window (s), see :func:`hrs_trial`.
    method : {"rise", "abs"}
        Signed slope or its magnitude, see :func:`hrs_trial` and the module docstring.
    hrs : pandas.DataFrame, optional
        ``hrs`` and ``hrs_mean`` columns aligned with ``predictions`` from an earlier call
        (the sweep reuses them instead of processing the ECG again).
    fps : float, optional
        Frame rate of the frame numbers; default: the ``fps`` of the trial's ``face`` or
        ``video`` node (required for trials without video).

    Returns
    -------
    pandas.DataFrame
        ``predictions`` with ``hrs`` (bpm/s), ``hrs_mean`` (the trial's mean |slope|,
        bpm/s), ``eta`` and ``kept`` (bool). Dropped candidates stay in the table (the
        Explorer shows them greyed); score with ``out[out["kept"]]``.

    Examples
    --------
    >>> import mmme_analysis as mm, pandas as pd
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> pred = pd.DataFrame({"video": ["sub-01_101"] * 2, "onset": [200, 600], "offset": [240, 640],
    ...                      "apex": [220, 620], "kind": ["micro"] * 2})
    >>> out = hrs_filter(pred, ds, eta=2.0)
    >>> list(out.columns[-4:])
    ['hrs', 'hrs_mean', 'eta', 'kept']
    """
    check_type("predictions", predictions, pd.DataFrame, "a pandas DataFrame")
    eta = check_positive("eta", eta)
    method = check_option("method", method, HRS_METHODS)
    for col in ("video", "apex"):
        if col not in predictions:
            raise ValueError(f"Invalid value for 'predictions': expected a {col!r} column, missing")
    out = predictions.reset_index(drop=True).copy()
    if hrs is None:
        out["hrs"], out["hrs_mean"] = np.nan, np.nan
        for trial, idx in out.groupby(out["video"].astype(str)).groups.items():
            tree = dataset.trial(trial)
            if "peri" not in tree.children or "ECG" not in tree["peri"].to_dataset(inherit=False):
                warnings.warn(f"hrs_filter: trial {trial!r} has no ECG; its candidates are kept", MMMEWarning,
                              stacklevel=2)
                continue
            rate = fps
            if rate is None:
                node = next((n for n in ("face", "video") if n in tree.children), None)
                if node is None:
                    raise ValueError(f"Invalid value for 'fps': expected the frame rate of trial {trial!r} "
                                     "(it has no video), got None")
                rate = float(tree[node].attrs["fps"])
            rate = check_positive("fps", rate)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                h, m = hrs_trial(tree["peri"].to_dataset(), _apex_times(out.loc[idx], rate), window=window,
                                 method=method)
            if not np.isfinite(m):
                warnings.warn(f"hrs_filter: no heart rate in trial {trial!r}; its candidates are kept", MMMEWarning,
                              stacklevel=2)
            out.loc[idx, "hrs"], out.loc[idx, "hrs_mean"] = h, m
    else:
        check_type("hrs", hrs, pd.DataFrame, "a pandas DataFrame")
        if len(hrs) != len(out) or not {"hrs", "hrs_mean"} <= set(hrs):
            raise ValueError(f"Invalid value for 'hrs': expected 'hrs' and 'hrs_mean' for each of the {len(out)} "
                             f"predictions, got {len(hrs)} rows with columns {list(hrs.columns)!r}")
        out["hrs"], out["hrs_mean"] = hrs["hrs"].to_numpy(float), hrs["hrs_mean"].to_numpy(float)
    out["eta"] = eta
    known = np.isfinite(out["hrs"]) & np.isfinite(out["hrs_mean"])
    out["kept"] = ~known | (out["hrs"] > eta * out["hrs_mean"])
    return out


def hrs_sweep(predictions: pd.DataFrame, truth: pd.DataFrame, dataset, *, etas=ETA_SWEEP, window: float = 1.0,
              method: str = "rise", fps: float | None = None, iou: float = 0.5) -> pd.DataFrame:
    """:func:`~mmme_analysis.spotting.spot_metrics` of the kept candidates for each ``eta`` (and none).

    The ECG of each trial is processed once. Returns one row per ``eta`` and kind (index
    ``eta``, ``kind``; ``eta`` NaN is the unfiltered row) with the columns of
    :func:`spot_metrics` and ``n_dropped``.

    Examples
    --------
    >>> import mmme_analysis as mm, pandas as pd
    >>> from mmme_analysis.spotting.truth import spot_truth
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> truth = spot_truth(ds.annotations, ds.trials["trial"])
    >>> pred = truth.dropna().assign(onset=lambda d: d["onset"].astype(int), offset=lambda d: d["offset"].astype(int))
    >>> table = hrs_sweep(pred, truth, ds, etas=(1.5, 2.0))
    >>> table.index.get_level_values("eta").unique().tolist()[1:]
    [1.5, 2.0]
    """
    etas = [check_positive("etas", e) for e in etas]
    first = hrs_filter(predictions, dataset, eta=etas[0] if etas else 1.0, window=window, method=method, fps=fps)
    rows = []
    table, _ = spot_metrics(first, truth, iou=iou)
    rows.append(table.assign(eta=np.nan, n_dropped=0))
    for eta in etas:
        f = hrs_filter(first, None, eta=eta, hrs=first[["hrs", "hrs_mean"]])
        table, _ = spot_metrics(f[f["kept"]], truth, iou=iou)
        rows.append(table.assign(eta=eta, n_dropped=int((~f["kept"]).sum())))
    out = pd.concat(rows).reset_index().set_index(["eta", "kind"])
    return out
