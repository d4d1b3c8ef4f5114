"""Trigger-based alignment of the recording devices of one session.

All three devices (EEG amplifier, BIOPAC, camera) receive the same DB25 trigger markers.
For each device we match its marker onsets to the EEG's by code and order of occurrence, then
fit the device clock to the EEG clock by least squares::

    t_device = offset_s + (1 + drift_ppm * 1e-6) * t_eeg

and keep the per-marker residuals. The EEG clock is the reference of a session; every trial
is then put on one axis: seconds from its stimulus-onset marker on the EEG clock.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import check_positive
from ._warnings import MMMEWarning
from .errors import AlignmentError

__all__ = ["MAX_DRIFT_PPM", "ClockFit", "match_markers", "fit_clock", "align_session", "fits_to_json", "fits_from_json"]


#: Largest clock drift (ppm) against the EEG accepted by :func:`align_session`.
MAX_DRIFT_PPM = 500.0


@dataclass(frozen=True)
class ClockFit:
    """Linear map from the reference (EEG) clock to one device's clock.

    Attributes
    ----------
    device : str
        Device name (``"biopac"``, ``"camera"``).
    offset_s : float
        Device time (s) at reference time 0.
    drift_ppm : float
        Clock-rate difference in parts per million (device runs fast when > 0).
    markers : tuple of int
        Marker codes used in the fit, in reference order.
    ref_times, residuals_s : tuple of float
        Reference onset (s) and residual (s, device minus fit) of each marker.
    """

    device: str
    offset_s: float
    drift_ppm: float
    markers: tuple = ()
    ref_times: tuple = ()
    residuals_s: tuple = ()

    @property
    def rate(self) -> float:
        """Device seconds per reference second."""
        return 1.0 + self.drift_ppm * 1e-6

    def to_device(self, t_ref):
        """Map reference times (s) to device times (s)."""
        return self.offset_s + self.rate * np.asarray(t_ref, dtype=float)

    def to_reference(self, t_device):
        """Map device times (s) to reference times (s)."""
        return (np.asarray(t_device, dtype=float) - self.offset_s) / self.rate

    def summary(self) -> dict:
        """JSON-serialisable summary (offset, drift, residuals)."""
        res = np.asarray(self.residuals_s, dtype=float)
        return {
            "device": self.device,
            "offset_s": float(self.offset_s),
            "drift_ppm": float(self.drift_ppm),
            "n_markers": int(res.size),
            "max_abs_residual_s": float(np.abs(res).max()) if res.size else float("nan"),
            "markers": [int(m) for m in self.markers],
            "ref_times": [float(t) for t in self.ref_times],
            "residuals_s": [float(r) for r in res],
        }


def fit_clock(t_ref, t_dev) -> tuple[float, float]:
    """Least-squares fit ``t_dev = offset + rate * t_ref``.

    Parameters
    ----------
    t_ref, t_dev : array-like of float
        Matched onset times (s) on the reference and the device clock.

    Returns
    -------
    offset_s, rate : float
        With one point the rate is 1 (offset only).
    """
    t_ref = np.asarray(t_ref, dtype=float)
    t_dev = np.asarray(t_dev, dtype=float)
    if t_ref.size == 0:
        raise AlignmentError("Cannot fit a clock without any matched marker")
    if t_ref.size == 1:
        return float(t_dev[0] - t_ref[0]), 1.0
    # centre both axes for numerical stability (camera clocks are ~1e4-1e5 s)
    r0, d0 = t_ref.mean(), t_dev.mean()
    rate, inter = np.polyfit(t_ref - r0, t_dev - d0, 1)
    offset = d0 + inter - rate * r0
    return float(offset), float(rate)


def _occurrences(events: pd.DataFrame) -> pd.DataFrame:
    ev = events[["marker", "time"]].sort_values("time", kind="stable").reset_index(drop=True)
    ev["occurrence"] = ev.groupby("marker").cumcount()
    return ev


def match_markers(ref: pd.DataFrame, dev: pd.DataFrame, *, device: str, source: str = "") -> pd.DataFrame:
    """Match device marker onsets to reference onsets by code and order of occurrence.

    Parameters
    ----------
    ref, dev : DataFrame
        Columns ``marker`` (int) and ``time`` (s on each device's own clock).
    device, source : str
        Used in warnings and errors (device name, file).

    Returns
    -------
    DataFrame
        Columns ``marker``, ``occurrence``, ``t_ref``, ``t_dev``, one row per matched onset.

    Warns
    -----
    MMMEWarning
        Naming markers present on one device only, or repeated a different number of times.
    """
    r, d = _occurrences(ref), _occurrences(dev)
    merged = r.merge(d, on=["marker", "occurrence"], how="outer", suffixes=("_ref", "_dev"), indicator=True)
    only_ref = merged.loc[merged["_merge"] == "left_only", "marker"].astype(int).tolist()
    only_dev = merged.loc[merged["_merge"] == "right_only", "marker"].astype(int).tolist()
    where = f" ({source})" if source else ""
    if only_ref:
        warnings.warn(
            f"{device}{where}: markers {sorted(set(only_ref))} are on the EEG but not on this device "
            f"({len(only_ref)} onsets); they are left out of the clock fit",
            MMMEWarning,
            stacklevel=2,
        )
    if only_dev:
        warnings.warn(
            f"{device}{where}: markers {sorted(set(only_dev))} are on this device but not on the EEG "
            f"({len(only_dev)} onsets); they are left out of the clock fit",
            MMMEWarning,
            stacklevel=2,
        )
    both = merged[merged["_merge"] == "both"].rename(columns={"time_ref": "t_ref", "time_dev": "t_dev"})
    both = both.sort_values("t_ref").reset_index(drop=True)
    return both[["marker", "occurrence", "t_ref", "t_dev"]].astype({"marker": int, "occurrence": int})


def align_session(
    ref_events: pd.DataFrame,
    device_events: dict,
    *,
    tolerance: float = 0.02,
    max_drift_ppm: float = MAX_DRIFT_PPM,
    sources: dict | None = None,
    resolution: float = 1 / 150,
) -> dict:
    """Fit every device's clock to the reference (EEG) clock of one session.

    Parameters
    ----------
    ref_events : DataFrame
        Reference (EEG) onsets, columns ``marker`` and ``time`` (s).
    device_events : dict of str to DataFrame
        Onsets on each other device, same columns, device clock (s).
    tolerance : float
        Largest residual (s) accepted after the fit. A marker beyond it is inconsistent
        (matched to the wrong onset, or a device that skipped) and raises.
    max_drift_ppm : float
        Largest clock drift (ppm) accepted, default :data:`MAX_DRIFT_PPM` (500 ppm: crystal
        clocks of EEG, BIOPAC and camera systems drift by tens of ppm). A larger drift means
        a wrong sampling interval or frame rate in a file header, and raises. Three standard
        errors of the fitted drift are added to the bound (onset timing error: the residuals'
        SD, at least ``resolution``): a few ppm over a real 73-minute session, thousands
        over a few seconds, where a header error of 2x or 5x (1e6 ppm and more) is still
        caught.
    resolution : float
        Smallest onset timing error (s) assumed, default one frame at 150 fps (the
        coarsest of the three clocks).
    sources : dict of str to str, optional
        File of each device, named in warnings and errors.

    Returns
    -------
    dict of str to ClockFit

    Raises
    ------
    AlignmentError
        When a device shares no marker with the reference, when its matched onsets are not
        in the same order as the reference's, when a residual exceeds ``tolerance``, or when
        the drift exceeds ``max_drift_ppm``.
    """
    tolerance = check_positive("tolerance", tolerance)
    max_drift_ppm = check_positive("max_drift_ppm", max_drift_ppm)
    resolution = check_positive("resolution", resolution, allow_zero=True)
    sources = sources or {}
    fits = {}
    for device, events in device_events.items():
        src = sources.get(device, "")
        where = f" ({src})" if src else ""
        m = match_markers(ref_events, events, device=device, source=src)
        if m.empty:
            raise AlignmentError(
                f"{device}{where}: no marker in common with the EEG; expected the same DB25 trigger codes "
                f"on both, got EEG {sorted(set(ref_events['marker']))[:10]} and {device} "
                f"{sorted(set(events['marker']))[:10]}"
            )
        order = np.argsort(m["t_dev"].to_numpy(), kind="stable")
        if np.any(order != np.arange(len(m))):
            bad = m.loc[order != np.arange(len(m)), "marker"].astype(int).unique().tolist()
            raise AlignmentError(
                f"{device}{where}: markers {bad} occur in a different order than on the EEG; "
                "expected the same sequence of trigger codes on every device"
            )
        if len(m) == 1:
            warnings.warn(
                f"{device}{where}: only marker {int(m['marker'][0])} matched; clock drift cannot be "
                "estimated and is set to 0 ppm",
                MMMEWarning,
                stacklevel=2,
            )
        offset, rate = fit_clock(m["t_ref"], m["t_dev"])
        resid = m["t_dev"].to_numpy() - (offset + rate * m["t_ref"].to_numpy())
        bad = np.abs(resid) > tolerance
        if bad.any():
            details = ", ".join(
                f"marker {int(mk)} at {tr:.3f} s ({1e3 * rs:+.1f} ms)"
                for mk, tr, rs in zip(m["marker"][bad], m["t_ref"][bad], resid[bad])
            )
            raise AlignmentError(
                f"{device}{where}: inconsistent trigger timing, residuals beyond {1e3 * tolerance:.0f} ms "
                f"after the clock fit: {details}"
            )
        drift = (rate - 1.0) * 1e6
        # the bound plus 3 standard errors of the fitted drift (onset timing error: the residuals'
        # SD, at least ``resolution``): a short session's fit cannot tell 500 ppm apart
        t_ref = m["t_ref"].to_numpy(float)
        ss = float(np.sum((t_ref - t_ref.mean()) ** 2))
        sigma = max(float(np.std(resid, ddof=2)) if len(m) > 2 else 0.0, resolution)
        allowed = max_drift_ppm + (3e6 * sigma / np.sqrt(ss) if ss > 0 else 0.0)
        if abs(drift) > allowed:
            marks = [int(x) for x in m["marker"]]
            raise AlignmentError(
                f"{device}{where}: clock drift {drift:+.0f} ppm against the EEG over markers "
                f"{marks[:6]}{' ...' if len(marks) > 6 else ''}; expected at most {max_drift_ppm:g} ppm (+ {allowed - max_drift_ppm:.0f} "
                f"ppm for the fit's uncertainty): a sampling "
                f"interval or frame rate in one of the files' headers is wrong (the {device} clock runs at "
                f"{rate:.4f}x the EEG's)"
            )
        fits[device] = ClockFit(
            device=device,
            offset_s=offset,
            drift_ppm=drift,
            markers=tuple(int(x) for x in m["marker"]),
            ref_times=tuple(float(x) for x in m["t_ref"]),
            residuals_s=tuple(float(x) for x in resid),
        )
    return fits


def fits_to_json(fits: dict) -> str:
    """Serialise clock fits for a trial's ``alignment`` attribute (inverse: :func:`fits_from_json`)."""
    return json.dumps({k: v.summary() for k, v in fits.items()})


def fits_from_json(text: str) -> dict:
    """The clock fits ``{device: ClockFit}`` of a trial's ``alignment`` attribute.

    Inverse of :func:`fits_to_json`; an empty string or ``"{}"`` gives ``{}``.
    """
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as err:
        raise AlignmentError(f"Invalid value for 'alignment': expected the JSON of fits_to_json, got {text!r:.80}"
                             f" ({err})") from None
    fits = {}
    for key, d in data.items():
        try:
            fits[key] = ClockFit(device=str(d.get("device", key)), offset_s=float(d["offset_s"]),
                                 drift_ppm=float(d["drift_ppm"]),
                                 markers=tuple(int(m) for m in d.get("markers", ())),
                                 ref_times=tuple(float(t) for t in d.get("ref_times", ())),
                                 residuals_s=tuple(float(r) for r in d.get("residuals_s", ())))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise AlignmentError(f"Invalid value for 'alignment': expected offset_s and drift_ppm for device "
                                 f"{key!r}, got {d!r:.120} ({type(err).__name__}: {err})") from None
    return fits
