"""The dataset object shared by raw folders and Zarr stores."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int

__all__ = ["Dataset", "slice_time", "events_dataset"]

#: MNE channel type of each peripheral signal when a trial is exported to MNE
PERI_MNE_TYPES = {"ECG": "ecg", "PPG": "bio", "RSP": "resp", "EDA": "gsr", "SKT": "temperature", "EMG": "emg"}


def slice_time(tree: xr.DataTree, t0: float, t1: float) -> xr.DataTree:
    """Cut every node that has a ``time`` dimension to ``t0 <= time < t1`` (s)."""
    if not t1 > t0:
        raise ValueError(f"Invalid value for 't1': expected a time after t0={t0!r}, got {t1!r}")

    def cut(ds: xr.Dataset) -> xr.Dataset:
        if "time" not in ds.dims:
            return ds
        t = ds["time"].values
        i0, i1 = np.searchsorted(t, t0, side="left"), np.searchsorted(t, t1, side="left")
        return ds.isel(time=slice(int(i0), int(i1)))

    nodes = {}
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        if node.path == "/events" and ds.sizes.get("event", 0):
            keep = (ds["offset"].values >= t0) & (ds["onset"].values < t1)
            ds = ds.isel(event=np.flatnonzero(keep))
        nodes[node.path] = cut(ds)
    out = xr.DataTree.from_dict(nodes)
    out.attrs = dict(tree.attrs)
    return out


def events_dataset(rows: pd.DataFrame, onset, apex, offset) -> xr.Dataset:
    """The ``events`` node of a trial from annotation rows and their trial-axis times (s)."""
    n = len(rows)
    as_str = lambda col: np.array([",".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in rows[col]],
                                  dtype=object) if n else np.array([], dtype=object)
    data = {
        "onset": ("event", np.asarray(onset, float)),
        "apex": ("event", np.asarray(apex, float)),
        "offset": ("event", np.asarray(offset, float)),
        "kind": ("event", as_str("kind")),
        "emotion": ("event", as_str("emotion")),
        "emotion3": ("event", as_str("emotion3")),
        "emotion_raw": ("event", as_str("emotion_raw")),
        "aus": ("event", as_str("aus")),
        "offset_coded": ("event", rows["offset_coded"].to_numpy(bool) if n else np.array([], bool)),
    }
    ds = xr.Dataset(data, coords={"event": np.arange(n)})
    for k in ("onset", "apex", "offset"):
        ds[k].attrs["units"] = "s"
    return ds


class Dataset:
    """A multimodal ME dataset: annotations, trials, and aligned trial data.

    Subclasses provide ``annotations``, ``trials`` and ``_load_trial``. Use
    :func:`mmme_analysis.open_dataset` to get one.
    """

    kind = "dataset"

    def __init__(self, path):
        self.path = path

    # -- to implement ---------------------------------------------------------------------
    @property
    def annotations(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def trials(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_trial(self, subject: str, marker: int) -> xr.DataTree:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared API -----------------------------------------------------------------------
    def _check_trial(self, subject, marker) -> tuple[str, int]:
        marker = check_int("marker", marker)
        t = self.trials
        if not ((t["subject"] == subject) & (t["marker"] == marker)).any():
            have = ", ".join(f"{s}/{m}" for s, m in zip(t["subject"], t["marker"]))
            raise KeyError(
                f"Invalid value for 'subject, marker': expected one of the trials of {self.path} ({have}), "
                f"got {subject!r}/{marker!r}"
            )
        return subject, marker

    def trial(self, subject: str, marker: int) -> xr.DataTree:
        """One trial as a DataTree (see ``docs/data_model.md``), lazy where the source allows.

        Parameters
        ----------
        subject : str
            Pseudonymous subject id (``"sub-01"``).
        marker : int
            Stimulus marker (101-148).
        """
        subject, marker = self._check_trial(subject, marker)
        return self._load_trial(subject, marker)

    def window(self, subject: str, marker: int, t0: float, t1: float) -> xr.DataTree:
        """The trial cut to ``t0 <= time < t1`` (s on the trial axis) in every modality."""
        return slice_time(self.trial(subject, marker), float(t0), float(t1))

    def alignment(self, subject: str, marker: int) -> dict:
        """Per-device clock fits (offset_s, drift_ppm, residuals_s) used for this trial."""
        return json.loads(self.trial(subject, marker).attrs.get("alignment", "{}"))

    def to_mne(self, subject: str, marker: int, *, peri: bool = True):
        """The trial's EEG (and peripheral signals) as an ``mne.io.RawArray`` with Annotations.

        Peripheral signals are interpolated onto the EEG samples and typed for MNE
        (ECG -> ecg, RSP -> resp, EDA -> gsr, SKT -> temperature, PPG -> bio, EMG -> emg).
        Each expression becomes an annotation ``"<kind>/<emotion>/<AUs>"`` from onset to
        offset (s on the trial axis).
        """
        import mne

        tree = self.trial(subject, marker)
        if "eeg" not in tree.children:
            raise ValueError(f"Trial {subject}/{marker} of {self.path} has no EEG; expected an 'eeg' group")
        eeg_ds = tree["eeg"].to_dataset()
        eeg = eeg_ds["eeg"]
        sfreq = float(tree["eeg"].attrs["sfreq"])
        t = eeg["time"].values
        data = [np.asarray(eeg.values, float)]
        names = [str(c) for c in eeg["channel"].values]
        types = [str(c) for c in eeg["ch_type"].values]
        if peri and "peri" in tree.children:
            pds = tree["peri"].to_dataset()
            for var in pds.data_vars:
                y = np.interp(t, pds["time"].values, np.asarray(pds[var].values, float))
                data.append(y[None, :])
                names.append(f"PERI_{var}")
                types.append(PERI_MNE_TYPES.get(str(var).split("_")[0], "misc"))
        info = mne.create_info(names, sfreq, types)
        raw = mne.io.RawArray(np.concatenate(data), info, first_samp=0, verbose="error")
        if "pos" in eeg_ds.coords:
            pos = eeg_ds["pos"].values
            ch_pos = {n: p for n, p, ty in zip(names, pos, types) if ty == "eeg" and np.all(np.isfinite(p))}
            if ch_pos:
                raw.set_montage(mne.channels.make_dig_montage(ch_pos, coord_frame="head"), on_missing="ignore")
        if "events" in tree.children:
            ev = tree["events"].to_dataset()
            t0 = float(t[0]) if t.size else 0.0
            desc = [f"{k}/{e}/{a}" for k, e, a in zip(ev["kind"].values, ev["emotion"].values, ev["aus"].values)]
            raw.set_annotations(mne.Annotations(ev["onset"].values - t0, ev["offset"].values - ev["onset"].values,
                                                desc))
        return raw

    def __iter__(self):
        for s, m in zip(self.trials["subject"], self.trials["marker"]):
            yield self.trial(s, int(m))

    def __len__(self) -> int:
        return len(self.trials)

    def __repr__(self) -> str:
        t = self.trials
        return (f"<{type(self).__name__} | {self.path} | {t['subject'].nunique()} subjects, {len(t)} trials, "
                f"{len(self.annotations)} annotated expressions>")
