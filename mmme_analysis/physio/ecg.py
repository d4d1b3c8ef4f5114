"""ECG: polarity, cleaning, R-peaks (refined), instantaneous heart rate and its slope, beat quality, HRV
(NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option
from ._base import MIN_PEAKS, RATE_RANGE, as_signal, check_rate_range, mark_span, peak_rate, rate_span, slope, to_dataset

__all__ = ["ecg_process", "ecg_hrv", "refine_rpeaks", "ECG_METHODS", "HRV_DOMAINS"]

#: Cleaning / R-peak methods accepted by :func:`ecg_process` (NeuroKit2 spellings).
ECG_METHODS = ("neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "engzeemod2012")
#: HRV domains accepted by :func:`ecg_hrv`.
HRV_DOMAINS = ("time", "frequency", "nonlinear")


def ecg_process(
    ecg,
    sfreq=None,
    *,
    method: str = "neurokit",
    correct_artifacts: bool = True,
    refine: bool = True,
    rate_range: tuple = RATE_RANGE,
) -> xr.Dataset:
    """Clean an ECG, find R-peaks and derive heart rate, its slope and a per-beat quality.

    Steps: polarity (NeuroKit2 ``ecg_invert``), ``ecg_clean`` -> ``ecg_peaks`` (with
    NeuroKit2's artifact correction), then, with ``refine``, each R-peak is moved to a
    fiducial that does not jump between the lobes of a biphasic QRS: the maximum of the
    QRS energy (50 ms moving mean of the squared derivative) within 150 ms of the
    detection, snapped to the extremum of the QRS's dominant polarity (that of the median
    beat) within 25 ms. On biphasic leads (III, aVF, V1-V3 of the spkit 12-lead records)
    the detected peak otherwise jumps by +-50 ms from beat to beat, which inflates
    |dHR/dt| and RMSSD several-fold. Heart rate is placed at the RR midpoints and
    interpolated (:func:`~mmme_analysis.physio._base.peak_rate`).

    Lead choice: use the lead with the tallest monophasic R wave (BIOPAC ECG100C lead II
    or a chest lead V4-V6 in the MMME recordings, the ``ECG`` column of ``/peri``); the
    EEG amplifier's ``EKG`` channel is a bipolar lead of unknown placement, kept only for
    clock alignment. Polarity handling and refinement make biphasic leads usable, and the
    per-beat quality (``ECG_R_Peak_Quality``) tells where they are not.

    Parameters
    ----------
    ecg : xarray.DataArray | array-like
        ECG (any unit; V in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required when ``ecg`` is a plain array.
    method : str
        NeuroKit2 method for cleaning and R-peak detection, one of :data:`ECG_METHODS`.
    correct_artifacts : bool
        Let NeuroKit2 correct ectopic / missed beats (Lipponen & Tarvainen 2019).
    refine : bool
        Refine the R-peak positions (see above). Default True.
    rate_range : tuple of float
        Physiological heart-rate range (bpm); beat-to-beat rates outside it give an
        MMMEWarning (default :data:`~mmme_analysis.physio._base.RATE_RANGE`, 30-220 bpm).

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``ECG_Clean`` (input units, sign-corrected), ``ECG_Rate`` (bpm,
        60/RR placed at the RR midpoints, interpolated), ``ECG_Rate_Slope`` (signed
        dHR/dt, bpm/s), ``ECG_Rate_AbsSlope`` (|dHR/dt|, bpm/s, as plotted by CMCL-Net),
        ``ECG_R_Peaks`` (1 at R-peak samples, else 0), ``ECG_Quality`` (NeuroKit2
        ``ecg_quality`` "templatematch", 0-1). The rate variables carry attrs
        ``valid_from`` / ``valid_to`` (s): the first and last RR midpoint, outside which
        the rate is held constant. On ``rpeak``: ``ECG_R_Peak_Times`` (s on the trial
        axis) and ``ECG_R_Peak_Quality`` (quality at each beat, 0-1). Attrs ``sfreq``
        (Hz), ``method``, ``inverted`` (0/1). With fewer than 4 R-peaks
        (``_base.MIN_PEAKS``) the rate variables are NaN and an MMMEWarning is issued.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> peri = ds.trial("sub-01_101")["peri"]
    >>> out = mm.physio.ecg_process(peri["ECG"], peri.attrs["sfreq"])
    >>> sorted(out.data_vars)[:3], out["ECG_Rate"].attrs.get("units", "bpm")
    (['ECG_Clean', 'ECG_Quality', 'ECG_R_Peak_Quality'], 'bpm')
    >>> 40 < float(out["ECG_Rate"].mean()) < 120
    True
    """
    import neurokit2 as nk

    check_option("method", method, ECG_METHODS)
    values, time, sfreq, units = as_signal(ecg, sfreq, name="ecg")
    sr = float(sfreq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed, inverted = nk.ecg_invert(values, sampling_rate=sr)
        clean = np.asarray(nk.ecg_clean(np.asarray(fixed, float), sampling_rate=sr, method=method), dtype=float)
        _, info = nk.ecg_peaks(clean, sampling_rate=sr, method=method, correct_artifacts=correct_artifacts)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    peaks = peaks[(peaks >= 0) & (peaks < values.size)]
    if refine and peaks.size >= MIN_PEAKS:
        peaks = refine_rpeaks(clean, peaks, sr)
    rate = peak_rate(peaks, sr, values.size, where="ecg_process", what="R-peaks", nan_vars="heart rate")
    check_rate_range(peaks, sr, rate_range, where="ecg_process", what="heart rate")
    quality = _quality(clean, peaks, sr)
    rslope = slope(rate, sr)
    marks = np.zeros(values.size, dtype=np.int8)
    marks[peaks] = 1
    ds = to_dataset(
        {
            "ECG_Clean": clean,
            "ECG_Rate": rate,
            "ECG_Rate_Slope": rslope,
            "ECG_Rate_AbsSlope": np.abs(rslope),
            "ECG_R_Peaks": marks,
            "ECG_Quality": quality,
        },
        time,
        sr,
        {
            "ECG_Clean": units or "",
            "ECG_Rate": "bpm",
            "ECG_Rate_Slope": "bpm/s",
            "ECG_Rate_AbsSlope": "bpm/s",
            "ECG_R_Peaks": "",
            "ECG_Quality": "",
        },
        method=method,
        inverted=int(bool(inverted)),
    )
    mark_span(ds, ("ECG_Rate", "ECG_Rate_Slope", "ECG_Rate_AbsSlope"), rate_span(peaks, time))
    ds["ECG_R_Peak_Times"] = xr.Variable(("rpeak",), time[peaks], {"units": "s"})
    ds["ECG_R_Peak_Quality"] = xr.Variable(("rpeak",), quality[peaks], {"units": ""})
    return ds


def refine_rpeaks(clean: np.ndarray, peaks, sfreq: float, *, search: float = 0.15, snap: float = 0.025,
                  energy_window: float = 0.05) -> np.ndarray:
    """R-peaks moved to a QRS fiducial that is stable on biphasic leads (see :func:`ecg_process`).

    Parameters
    ----------
    clean : numpy.ndarray
        Cleaned ECG.
    peaks : array-like of int
        Detected R-peak samples.
    sfreq : float
        Sampling frequency (Hz).
    search, snap, energy_window : float
        Half-width (s) of the search for the QRS-energy maximum, half-width (s) of the
        snap to the dominant-polarity extremum, and the energy's moving-mean window (s).

    Returns
    -------
    numpy.ndarray of int
        Refined, sorted R-peak samples (beats closer than 200 ms merged: the first kept).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros(3000); x[[500, 1500, 2500]] = 1.0; x[[530, 1530, 2530]] = -1.5  # R then deeper S
    >>> refine_rpeaks(x, [500, 1530, 2500], 1000.0).tolist()  # one beat detected on its S wave
    [530, 1530, 2530]
    """
    from scipy.ndimage import uniform_filter1d

    peaks = np.asarray(peaks, dtype=int)
    n = clean.size
    energy = uniform_filter1d(np.gradient(clean) ** 2, max(int(round(energy_window * sfreq)), 1))
    h = int(round(0.06 * sfreq))
    beats = [clean[p - h:p + h + 1] for p in peaks if p - h >= 0 and p + h < n]
    if beats:
        med = np.median(np.stack(beats), axis=0)
        sign = 1.0 if med.max() >= -med.min() else -1.0
    else:
        sign = 1.0
    s, sn = int(round(search * sfreq)), int(round(snap * sfreq))
    out = np.empty(peaks.size, dtype=int)
    for k, p in enumerate(peaks):
        a, b = max(p - s, 0), min(p + s + 1, n)
        c = a + int(np.argmax(energy[a:b]))
        a, b = max(c - sn, 0), min(c + sn + 1, n)
        out[k] = a + int(np.argmax(sign * clean[a:b]))
    out = np.unique(out)
    keep = np.concatenate([[True], np.diff(out) >= int(round(0.2 * sfreq))]) if out.size else np.zeros(0, bool)
    return out[keep]


def _quality(clean: np.ndarray, peaks: np.ndarray, sfreq: float) -> np.ndarray:
    """NeuroKit2 ``ecg_quality`` ("templatematch", Orphanidou et al. 2015: correlation of each beat with the
    average beat, absolute, clipped to 0-1)."""
    import neurokit2 as nk

    if peaks.size < MIN_PEAKS:
        return np.full(clean.size, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = nk.ecg_quality(clean, rpeaks=peaks, sampling_rate=sfreq, method="templatematch")
    return np.clip(np.asarray(q, dtype=float), 0.0, 1.0)


def ecg_hrv(ecg, sfreq=None, *, domains=("time",), method: str = "neurokit") -> pd.DataFrame:
    """Heart-rate variability of one trial (NeuroKit2 ``hrv_*``).

    Parameters
    ----------
    ecg : xarray.Dataset | xarray.DataArray | array-like
        Either the output of :func:`ecg_process` (its R-peaks are used) or an ECG signal,
        which is processed first.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    domains : sequence of str
        Any of :data:`HRV_DOMAINS`. Frequency-domain indices need a few minutes of data
        to be meaningful (LF); on ~60 s trials only the HF band is reliable.
    method : str
        Passed to :func:`ecg_process` when a raw signal is given.

    Returns
    -------
    pandas.DataFrame
        One row; NeuroKit2's ``HRV_*`` columns (times in ms, powers in ms^2).
    """
    import neurokit2 as nk

    domains = tuple(domains) if not isinstance(domains, str) else (domains,)
    if not domains:
        raise ValueError("Invalid value for 'domains': expected at least one of " + ", ".join(HRV_DOMAINS) + ", got ()")
    for d in domains:
        check_option("domains", d, HRV_DOMAINS)
    if not isinstance(ecg, xr.Dataset):
        ecg = ecg_process(ecg, sfreq, method=method)
    elif "ECG_R_Peaks" not in ecg:
        raise ValueError("Invalid value for 'ecg': expected the Dataset of ecg_process (with ECG_R_Peaks), got variables "
                         f"{list(ecg.data_vars)!r}")
    sr = float(ecg.attrs["sfreq"])
    peaks = np.flatnonzero(ecg["ECG_R_Peaks"].values)
    if peaks.size < 3:
        raise ValueError(f"Invalid value for 'ecg': expected at least 3 R-peaks for HRV, got {peaks.size}")
    funcs = {"time": nk.hrv_time, "frequency": nk.hrv_frequency, "nonlinear": nk.hrv_nonlinear}
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in domains:
            parts.append(funcs[d](peaks, sampling_rate=sr))
    return pd.concat(parts, axis=1).reset_index(drop=True)
