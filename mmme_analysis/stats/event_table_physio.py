"""Physiology and EEG columns of :func:`~mmme_analysis.stats.event_table`, for one trial.

The rows and most values come from :func:`mmme_analysis.physio.event_features` -- the
function whose rows :func:`~mmme_analysis.stats.compare_moments` tests -- called as
:func:`~mmme_analysis.physio.trial_event_features` calls it (every peripheral signal the
trial has processed by :func:`~mmme_analysis.physio.physio_process`, default variables,
``kinds=("micro",)``): MEs with their matched controls, drawn by the trial's generator
(:func:`~mmme_analysis.stats.event_table.trial_rng`). Macro-expressions get the same
features from a second call with ``kinds=("macro",)`` and no controls. Renamed columns:

* ``ecg_hr_<a>``, ``ecg_slope_<a>``, ``ecg_absslope_<a>``: ``ECG_Rate_<a>``,
  ``ECG_Rate_Slope_<a>``, ``ECG_Rate_AbsSlope_<a>`` (window ``ECG``, default +-0.5 s
  around anchor ``a``); ``ecg_hrv_rmssd``: ``HRV_RMSSD_apex`` (window ``HRV``, +-2.5 s);
* ``rsp_rate``, ``rsp_amplitude``: ``RSP_Rate_apex``, ``RSP_Amplitude_apex`` (``RSP``, +-2 s).

Measured here at the same rows' times, on the same processed signals (NaN where the
window runs past the recording):

* ``eda_phasic_peak``: largest ``EDA_Phasic`` in the ``EDA`` window after the onset
  (default 0-5 s) minus its value at the window start; ``eda_latency``: time of that
  largest value after the onset (s);
* ``ppg_amplitude``: mean over the systolic peaks in the ``PPG_AMPLITUDE`` window around
  the apex (default +-1 s) of ``PPG_Clean`` at the peak minus its minimum since the
  previous peak (the trough before it);
* ``skt_change``: mean ``SKT_Level`` in ``[apex, apex + stop)`` minus the mean in
  ``[apex + start, apex)`` (``SKT_CHANGE`` window, default -2-2 s);
* ``eeg_<band>_<region>_power`` / ``_de``: the trial's EEG high-passed at 1 Hz
  (:func:`mmme_analysis.eeg.eeg_filter_array`, MNE FIR), cut in the ``EEG`` window around
  the apex (default +-0.5 s), band power (:func:`mmme_analysis.eeg.eeg_band_power`, Welch)
  and differential entropy (:func:`mmme_analysis.eeg.eeg_differential_entropy`) per
  channel of :data:`EEG_REGIONS`, averaged over the region's channels (no re-referencing;
  mastoids and EOG/ECG/EMG channels left out).
"""
from __future__ import annotations

import re
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..eeg import BANDS, eeg_band_power, eeg_differential_entropy, eeg_filter_array
from ..physio import event_features, physio_process
from ..physio.events import ANCHORS, DEFAULT_WINDOWS
from ..vocab import SI_UNITS

__all__ = ["WINDOWS", "EEG_REGIONS", "eeg_region", "signal_columns", "trial_signal_rows"]

#: Windows (start, stop), s relative to the anchor: those of ``event_features`` and the table's own.
WINDOWS = MappingProxyType({**DEFAULT_WINDOWS, "PPG_AMPLITUDE": (-1.0, 1.0), "SKT_CHANGE": (-2.0, 2.0),
                            "EEG": (-0.5, 0.5)})

#: Scalp regions and the 10-20 name patterns of their channels (case-insensitive).
EEG_REGIONS = MappingProxyType({
    "frontal": r"(FP|AF|F)[0-9Z]*",
    "central": r"(FC|C)[0-9Z]+",
    "temporal": r"(FT|TP|T)[0-9]+",
    "parietal": r"(CP|P)[0-9Z]+",
    "occipital": r"(PO|O|CB)[0-9Z]+",
})

_RENAMES = {**{f"ECG_Rate_{a}": f"ecg_hr_{a}" for a in ANCHORS},
            **{f"ECG_Rate_Slope_{a}": f"ecg_slope_{a}" for a in ANCHORS},
            **{f"ECG_Rate_AbsSlope_{a}": f"ecg_absslope_{a}" for a in ANCHORS},
            "HRV_RMSSD_apex": "ecg_hrv_rmssd", "RSP_Rate_apex": "rsp_rate", "RSP_Amplitude_apex": "rsp_amplitude"}


def eeg_region(channel: str) -> str | None:
    """The region of :data:`EEG_REGIONS` an EEG channel name belongs to (None: none).

    Examples
    --------
    >>> [eeg_region(c) for c in ("FP1", "FCZ", "T7", "CP3", "POZ", "M1")]
    ['frontal', 'central', 'temporal', 'parietal', 'occipital', None]
    """
    name = str(channel).strip().upper()
    for region, pattern in EEG_REGIONS.items():
        if re.fullmatch(pattern, name):
            return region
    return None


def signal_columns(groups) -> tuple[list, dict]:
    """Feature columns (in order) and their units of the signal groups among ``groups``."""
    cols: dict[str, str] = {}
    if "ecg" in groups:
        for stem, unit in (("hr", "bpm"), ("slope", "bpm/s"), ("absslope", "bpm/s")):
            cols.update({f"ecg_{stem}_{a}": unit for a in ANCHORS})
        cols["ecg_hrv_rmssd"] = "ms"
    if "eda" in groups:
        cols.update(eda_phasic_peak=SI_UNITS["EDA"], eda_latency="s")
    if "ppg" in groups:
        cols["ppg_amplitude"] = SI_UNITS["PPG"]
    if "rsp" in groups:
        cols.update(rsp_rate="breaths/min", rsp_amplitude=SI_UNITS["RSP"])
    if "skt" in groups:
        cols["skt_change"] = SI_UNITS["SKT"]
    if "eeg" in groups:
        for band in BANDS:
            for region in EEG_REGIONS:
                cols[f"eeg_{band}_{region}_power"] = "V^2"
                cols[f"eeg_{band}_{region}_de"] = "nat"
    return list(cols), cols


def _inside(time, t0, t1) -> bool:
    dt = float(np.median(np.diff(time))) if time.size > 1 else 0.0
    return t0 >= time[0] - 1e-9 and t1 <= time[-1] + dt + 1e-9


def _eda(physio, onset, win):
    if "EDA_Phasic" not in physio:
        return np.nan, np.nan
    time = physio["time"].values
    t0, t1 = onset + win[0], onset + win[1]
    if not _inside(time, t0, t1):
        return np.nan, np.nan
    i0, i1 = np.searchsorted(time, [t0, t1])
    seg = np.asarray(physio["EDA_Phasic"].values[i0:i1], float)
    if seg.size < 2 or not np.isfinite(seg).all():
        return np.nan, np.nan
    k = int(np.argmax(seg))
    return float(seg[k] - seg[0]), float(time[i0 + k] - onset)


def _ppg(physio, apex, win):
    if "PPG_Clean" not in physio or "PPG_Peak_Times" not in physio:
        return np.nan
    time = physio["time"].values
    t0, t1 = apex + win[0], apex + win[1]
    if not _inside(time, t0, t1):
        return np.nan
    clean = np.asarray(physio["PPG_Clean"].values, float)
    peaks = np.searchsorted(time, np.asarray(physio["PPG_Peak_Times"].values, float))
    amps = []
    for j in np.flatnonzero((time[np.minimum(peaks, time.size - 1)] >= t0) & (time[np.minimum(peaks, time.size - 1)] < t1)):
        p = int(peaks[j])
        start = int(peaks[j - 1]) if j > 0 else int(np.searchsorted(time, time[p] - 1.0))
        if p > start:
            amps.append(clean[p] - clean[start:p].min())
    return float(np.mean(amps)) if amps else np.nan


def _skt(physio, apex, win):
    if "SKT_Level" not in physio:
        return np.nan
    time = physio["time"].values
    if not _inside(time, apex + win[0], apex + win[1]):
        return np.nan
    level = np.asarray(physio["SKT_Level"].values, float)
    i0, ia, i1 = np.searchsorted(time, [apex + win[0], apex, apex + win[1]])
    before, after = level[i0:ia], level[ia:i1]
    if not before.size or not after.size:
        return np.nan
    return float(np.nanmean(after) - np.nanmean(before))


def _eeg(tree, apexes, win) -> dict:
    """EEG columns at ``apexes`` (s): {column: array}."""
    node = tree["eeg"].to_dataset()
    names = [str(c) for c in node["channel"].values]
    types = node["ch_type"].values if "ch_type" in node.coords else ["eeg"] * len(names)
    regions = [eeg_region(c) if str(t) == "eeg" else None for c, t in zip(names, types)]
    keep = [i for i, r in enumerate(regions) if r is not None]
    out = {}
    n = len(apexes)
    cols, _ = signal_columns(("eeg",))
    if not keep or n == 0:
        return {c: np.full(n, np.nan) for c in cols}
    sfreq = float(node.attrs["sfreq"])
    time = np.asarray(node["time"].values, float)
    data = np.asarray(node["eeg"].isel(channel=keep).values, float)
    data = eeg_filter_array(data, sfreq, l_freq=1.0)
    n_times = int(round((win[1] - win[0]) * sfreq))
    starts = np.searchsorted(time, np.asarray(apexes, float) + win[0] - 0.5 / sfreq)
    ok = (starts + n_times <= time.size) & (np.asarray(apexes, float) + win[0] >= time[0] - 0.5 / sfreq)
    epochs = np.zeros((n, len(keep), n_times))
    for i in np.flatnonzero(ok):
        epochs[i] = data[:, starts[i]:starts[i] + n_times]
    chans = [names[i] for i in keep]
    bp = eeg_band_power(epochs, sfreq, ch_names=chans).values
    de = eeg_differential_entropy(epochs, sfreq, ch_names=chans).values
    reg = np.array([regions[i] for i in keep])
    for b, band in enumerate(BANDS):
        for region in EEG_REGIONS:
            sel = reg == region
            for stem, arr in (("power", bp), ("de", de)):
                vals = arr[:, sel, b].mean(1) if sel.any() else np.full(n, np.nan)
                out[f"eeg_{band}_{region}_{stem}"] = np.where(ok, vals, np.nan)
    return out


def _events_frame(tree) -> pd.DataFrame:
    ev = tree["events"].to_dataset()
    df = ev.to_dataframe().reset_index()
    if "event" not in df:
        df["event"] = np.arange(len(df))
    return df


def trial_signal_rows(tree, expressions: pd.DataFrame, groups, windows: dict, *, rng: np.random.Generator,
                      n_non_me: int = 1, min_distance: float = 3.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Signal features of one trial: ``(expression features, control rows)``.

    Parameters
    ----------
    tree : xarray.DataTree
        The trial (``/peri``, ``/eeg``, ``/events`` where it has them).
    expressions : pandas.DataFrame
        The trial's expression rows of the table (``event_id``, ``apex``, ...), one per
        event of ``/events``, in order.
    groups : sequence of str
        Signal groups wanted (those of :data:`~mmme_analysis.stats.event_table.FEATURE_GROUPS`
        other than ``"ann"``).
    windows : dict
        Window overrides (keys of :data:`WINDOWS`).
    rng : numpy.random.Generator
        Draws the controls (:func:`~mmme_analysis.stats.event_table.trial_rng`).
    n_non_me, min_distance
        Passed to :func:`mmme_analysis.physio.event_features`.

    Returns
    -------
    tuple of pandas.DataFrame
        The signal columns of ``expressions`` (same index; NaN where not measured), and the
        control rows: ``event`` (position of the ME), ``match`` (1..), ``onset``,
        ``apex``, ``offset`` and the signal columns.

    Examples
    --------
    >>> signal_columns(("ecg",))[0][:3]
    ['ecg_hr_onset', 'ecg_hr_apex', 'ecg_hr_offset']
    """
    cols, _ = signal_columns(groups)
    win = {**WINDOWS, **windows}
    feat = pd.DataFrame(np.nan, index=expressions.index, columns=cols)
    controls = pd.DataFrame(columns=["event", "match", "onset", "apex", "offset", *cols])
    has_peri = "peri" in tree.children and "events" in tree.children
    if has_peri:
        physio = physio_process(tree)
        events = tree["events"].to_dataset()
        pos = {v: i for i, v in enumerate(_events_frame(tree)["event"])}
        ev_windows = {k: v for k, v in windows.items() if k in DEFAULT_WINDOWS} or None
        kw = dict(subject=tree.attrs.get("subject", "sub-01"), trial=tree.attrs.get("trial", "trial"),
                  windows=ev_windows, min_distance=min_distance)
        micro = event_features(physio, events, rng=rng, kinds=("micro",), n_non_me=n_non_me, **kw)
        macro = event_features(physio, events, rng=np.random.default_rng(0), kinds=("macro",), n_non_me=0, **kw)
        rows = pd.concat([f for f in (micro, macro) if len(f)], ignore_index=True) if len(micro) + len(macro) else None
        if rows is not None:
            rows = rows.rename(columns=_RENAMES)
            rows["event"] = rows["event"].map(pos)
            extra = []
            for _, r in rows.iterrows():
                e = {}
                if "eda" in groups:
                    e["eda_phasic_peak"], e["eda_latency"] = _eda(physio, r["onset"], win["EDA"])
                if "ppg" in groups:
                    e["ppg_amplitude"] = _ppg(physio, r["apex"], win["PPG_AMPLITUDE"])
                if "skt" in groups:
                    e["skt_change"] = _skt(physio, r["apex"], win["SKT_CHANGE"])
                extra.append(e)
            rows = pd.concat([rows.reset_index(drop=True), pd.DataFrame(extra, index=range(len(rows)))], axis=1)
            for c in cols:
                if c not in rows:
                    rows[c] = np.nan
            me = rows[rows["moment"] == "me"].set_index("event")
            idx = expressions.index[me.index.to_numpy(int)]
            feat.loc[idx, cols] = me[cols].to_numpy(float)
            ctrl = rows[rows["moment"] == "non_me"]
            controls = ctrl[["event", "match", "onset", "apex", "offset", *cols]].reset_index(drop=True)
    if "eeg" in groups and "eeg" in tree.children:
        apexes = np.r_[expressions["apex"].to_numpy(float), controls["apex"].to_numpy(float)]
        eeg = _eeg(tree, apexes, win["EEG"])
        n = len(expressions)
        for c, v in eeg.items():
            feat[c] = v[:n]
            controls[c] = v[n:]
    return feat, controls.astype({c: float for c in cols})
