"""Fusion samples from a dataset: per micro-expression, its flow clip, EEG band features and peripheral sequences.

:func:`dataset_fusion_samples` builds, from any :class:`~mmme_analysis.dataset.Dataset`
(a Zarr store above all), the ``xarray.Dataset`` layout of
:func:`mmme_analysis.synth.fusion_samples` (module docstring of :mod:`mmme_analysis.synth.fusion`),
so that :func:`mmme_analysis.training.modality_ablation` runs unchanged on synthetic and on
real samples. For every expression (one row of the events table), on the trial axis:

* ``video`` ``(sample, video_channel, video_time, y, x)``: optical flow from the onset frame
  to each of ``n_frames`` frames evenly spaced up to the apex (the last is the apex, so
  ``video.isel(video_time=-1)`` is the onset->apex flow), with its strain, computed by
  :func:`~mmme_analysis.flow.compute_flow_features` (``normalize="none"``: u, v in pixels of
  the ``size`` x ``size`` map). Frames come from the store's tracked ``face`` node when the
  trial has one, else from ``video`` (then ``crop_face=True`` crops them). ``video_time`` is
  the position along onset->apex (``k / n_frames``); the 2-D coordinate ``video_seconds``
  holds each frame's time from the onset (s);
* ``eeg`` ``(sample, eeg_channel, band, eeg_time)``: the EEG channels *picked by name* (by
  default every channel of type ``eeg``, never by column position) over
  ``[onset + window[0], onset + window[1])``, cut into ``step``-s steps, each step's band
  feature from MNE's Welch PSD over the whole step
  (:func:`~mmme_analysis.flow.eeg_step_features`: five bands delta 1-4, theta 4-8,
  alpha 8-13, beta 13-30, gamma 30-45 Hz; band power ``sum(psd) * df`` in V^2, its log10,
  or differential entropy ``0.5 ln(2 pi e P[uV^2])``); ``eeg_time`` is each step's centre (s
  from the onset). The EEG is used as stored (no re-referencing or filtering here);
* ``peri`` ``(sample, peri_channel, peri_time)``: the peripheral signals (default
  PPG, RSP, SKT, EDA, ECG; ``peri_channel`` in lower case) over the same window, resampled to
  ``peri_sfreq`` Hz (:func:`~mmme_analysis.flow.peri_resample`: zero-phase polyphase FIR,
  anti-aliasing low-pass at the new Nyquist frequency); ``peri_time`` is each sample's time
  from the onset (s).

An expression whose window leaves the recorded EEG or peripheral signals, or whose trial lacks
a requested modality, is left out with an :class:`~mmme_analysis.MMMEWarning` and listed in
the attr ``dropped`` (JSON).

**Cache.** From a Zarr store the result is written to the store's group
``features/fusion_samples-<key>`` (with :func:`~mmme_analysis.flow.cache_flow`, atomically: a
temporary folder renamed into place) and read back by the next call with the same key. The
key hashes every parameter, the versions of this package, NumPy, MNE and OpenCV, the events
used (trial, times, frames, labels) and the summaries of their trials: change any of them
and the samples are recomputed under a new key. Other backends are never written (raw
folders are read-only).
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int, check_option, check_positive, check_type
from .._warnings import MMMEWarning
from ..video.face import FACE_METHODS
from .apex import select_frames
from .batch import cache_flow, compute_flow_features, load_flow
from .fusion_signals import EEG_FEATURES, FUSION_BANDS, _check_bands, eeg_step_features, peri_resample
from .optical import FLOW_METHODS

__all__ = ["FUSION_PERI_SIGNALS", "FUSION_SAMPLES_VERSION", "dataset_fusion_samples"]

#: Default peripheral signals (store variable names), in the order of ``peri_channel``.
FUSION_PERI_SIGNALS: tuple[str, ...] = ("PPG", "RSP", "SKT", "EDA", "ECG")
#: Bumped whenever the definition of a sample changes (invalidates every cached set).
FUSION_SAMPLES_VERSION = 1
_MODALITIES = ("video", "eeg", "peri")
_EVENT_KEYS = ("trial", "subject", "onset", "apex", "offset", "onset_frame", "apex_frame")


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _cache_key(params: dict, events: pd.DataFrame, trials: pd.DataFrame) -> str:
    import cv2
    import mne

    from .. import __version__

    cols = [c for c in (*_EVENT_KEYS, "label") if c in events.columns]
    rows = [[None if pd.isna(v) else (repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)) for v in r]
            for r in events[cols].itertuples(index=False)]
    summ = trials[trials["trial"].isin(set(events["trial"]))].astype(str).to_dict("records")
    versions = dict(mmme_analysis=__version__, numpy=np.__version__, mne=mne.__version__, opencv=cv2.__version__,
                    samples=FUSION_SAMPLES_VERSION)
    return _digest({"params": params, "versions": versions, "columns": cols, "rows": rows, "trials": summ})


def _events(dataset, events, label: str) -> pd.DataFrame:
    if events is None:
        events = dataset.annotations
        if "kind" in events.columns:
            events = events[events["kind"] == "micro"]
    check_type("events", events, pd.DataFrame)
    need = [c for c in ("trial", "subject", "onset", label) if c not in events.columns]
    if need:
        raise ValueError(f"Invalid value for 'events': expected columns 'trial', 'subject', 'onset' and {label!r} "
                         f"(the label), got missing {need}")
    events = events[events[label].notna() & events["onset"].notna()].copy()
    if events.empty:
        raise ValueError(f"Invalid value for 'events': expected at least one expression with an onset and a {label!r}, got none")
    events["_row"] = events.index
    return events.reset_index(drop=True)


def _window(node: xr.Dataset, names, start: float, n: int) -> np.ndarray | None:
    """``(len(names), n)`` samples from the first at ``time >= start``; None when the window is not recorded."""
    t = np.asarray(node["time"].values, dtype=float)
    i0 = int(np.searchsorted(t, start - 0.5 / float(node.attrs["sfreq"])))
    if start < t[0] - 1.0 / float(node.attrs["sfreq"]) or i0 + n > t.size:
        return None
    if "eeg" in node.data_vars:
        return np.asarray(node["eeg"].sel(channel=list(names)).isel(time=slice(i0, i0 + n)).values, dtype=float)
    return np.stack([np.asarray(node[v].isel(time=slice(i0, i0 + n)).values, dtype=float) for v in names])


def _eeg_names(node: xr.Dataset, eeg_channels) -> list[str]:
    names = [str(c) for c in node["channel"].values]
    if eeg_channels is None:
        types = [str(c) for c in node["ch_type"].values] if "ch_type" in node.coords else ["eeg"] * len(names)
        return [n for n, t in zip(names, types) if t == "eeg"]
    missing = [c for c in eeg_channels if c not in names]
    if missing:
        raise ValueError(f"Invalid value for 'eeg_channels': expected channel names of the EEG ({', '.join(names[:6])} ...), "
                         f"got {missing}")
    return list(eeg_channels)


def _check_params(window, step, n_frames, size, method, feature, bands, n_fft, peri_sfreq, peri_channels, modalities,
                  face_method, eeg_channels):
    check_option("method", method, FLOW_METHODS)
    check_option("feature", feature, tuple(EEG_FEATURES))
    check_option("face_method", face_method, FACE_METHODS)
    n_frames = check_int("n_frames", n_frames, min_value=1)
    size = check_int("size", size, min_value=4)
    step = check_positive("step", step)
    peri_sfreq = check_positive("peri_sfreq", peri_sfreq)
    if n_fft is not None:
        n_fft = check_int("n_fft", n_fft, min_value=1)
    try:
        w0, w1 = (float(w) for w in window)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for 'window': expected (start, stop) in s around the onset, got {window!r}") from None
    n_steps = round((w1 - w0) / step)
    if not w1 > w0 or n_steps < 1 or abs((w1 - w0) - n_steps * step) > 1e-9:
        raise ValueError(f"Invalid value for 'window': expected (start, stop) s spanning a whole number of {step}-s steps, "
                         f"got {window!r}")
    mods = (modalities,) if isinstance(modalities, str) else tuple(modalities)
    if not mods or len(set(mods)) != len(mods) or any(m not in _MODALITIES for m in mods):
        raise ValueError(f"Invalid value for 'modalities': expected distinct names among {_MODALITIES!r}, got {modalities!r}")
    peri = (peri_channels,) if isinstance(peri_channels, str) else tuple(str(c) for c in peri_channels)
    if "peri" in mods and not peri:
        raise ValueError("Invalid value for 'peri_channels': expected at least one signal name, got ()")
    eeg = None if eeg_channels is None else tuple(str(c) for c in eeg_channels)
    return dict(window=[w0, w1], step=step, n_steps=n_steps, n_frames=n_frames, size=size, method=method, feature=feature,
                bands=_check_bands(bands), n_fft=n_fft, peri_sfreq=peri_sfreq, peri_channels=peri, modalities=mods,
                face_method=face_method, eeg_channels=eeg)


def dataset_fusion_samples(dataset, events: pd.DataFrame | None = None, *, label: str = "emotion3",
                           window: tuple[float, float] = (-2.0, 2.0), step: float = 1.0, modalities=_MODALITIES,
                           n_frames: int = 8, size: int = 28, method: str = "tvl1", crop_face: bool = False,
                           face_method: str = "auto", eeg_channels=None, feature: str = "differential_entropy",
                           bands=FUSION_BANDS, n_fft: int | None = None, peri_sfreq: float = 16.0,
                           peri_channels=FUSION_PERI_SIGNALS, cache: bool = True, progress: bool = False) -> xr.Dataset:
    """Fusion samples (flow clip, EEG band features, peripheral sequences) of a dataset's expressions.

    Parameters
    ----------
    dataset : Dataset
        From :func:`mmme_analysis.open_dataset`; its trials need the requested modalities.
    events : pandas.DataFrame, optional
        One row per expression with ``trial``, ``subject``, ``onset`` (s, trial axis), the
        ``label`` column and optionally ``apex``, ``offset``, ``onset_frame``, ``apex_frame``
        (e.g. ``me_task(ds.annotations, "3class").table`` with ``label="label"``). Default:
        the micro-expressions of ``dataset.annotations``.
    label : str
        Column holding the class (default ``"emotion3"``); rows without one are skipped.
    window : (float, float)
        EEG / peripheral window around the onset (s), a whole number of steps.
    step : float
        EEG feature step (s).
    modalities : sequence of {"video", "eeg", "peri"}
        Variables to build.
    n_frames : int
        Frames of the onset->apex flow clip (the last is the apex).
    size : int
        Side of the flow maps (px).
    method : {"tvl1", "dis", "farneback"}
        Optical-flow method.
    crop_face, face_method
        Face crop of full ``video`` frames (:func:`~mmme_analysis.flow.compute_flow_features`);
        unused for a store's ``face`` node, which is already a face crop.
    eeg_channels : sequence of str, optional
        EEG channel names (default: every channel of type ``eeg``).
    feature : {"differential_entropy", "log_band_power", "band_power"}
        EEG feature (:func:`~mmme_analysis.flow.eeg_step_features`).
    bands : mapping
        Band name -> (low, high) Hz (default the five bands of the module docstring).
    n_fft : int, optional
        Welch FFT length per step, >= the samples of a step (default: exactly one step).
    peri_sfreq : float
        Rate of the peripheral sequences (Hz).
    peri_channels : sequence of str
        Peripheral variables of the trials' ``peri`` node.
    cache : bool
        Read and write the cache of a Zarr store (module docstring).
    progress : bool
        Progress bar of the flow computation.

    Returns
    -------
    xarray.Dataset
        The layout of :func:`mmme_analysis.synth.fusion_samples`; coords on ``sample`` also
        ``onset``, ``apex`` (s, apex as used), ``apex_estimated`` and ``row`` (index in
        ``events``); attrs ``source``, ``window``, ``eeg_step``, ``classes``, ``params``,
        ``params_key``, ``dropped``.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> s = dataset_fusion_samples(ds, window=(-1.0, 1.0), n_frames=2, size=16, method="dis")
    >>> s["eeg"].dims, s["peri"].sizes["peri_time"], s.attrs["source"]
    (('sample', 'eeg_channel', 'band', 'eeg_time'), 32, 'zarr')
    """
    for name in ("annotations", "trials", "trial", "window", "backend"):
        if not hasattr(dataset, name):
            raise TypeError(f"Invalid value for 'dataset': expected a Dataset (mmme_analysis.open_dataset), "
                            f"got {type(dataset).__name__}")
    check_type("label", label, str)
    p = _check_params(window, step, n_frames, size, method, feature, bands, n_fft, peri_sfreq, peri_channels, modalities,
                      face_method, eeg_channels)
    p.update(label=label, crop_face=bool(crop_face))
    ev = _events(dataset, events, label)
    key = _cache_key(p, ev, dataset.trials)
    name = f"fusion_samples-{key[:20]}"
    store = Path(dataset.path) if dataset.backend == "zarr" else None
    if cache and store is not None and (store / "features" / name).is_dir():
        try:
            out = load_flow(store, name)
            if out.attrs.get("params_key") == key:
                return _restore(out)
        except (OSError, ValueError, KeyError):  # damaged group: recompute
            pass
    out = _build(dataset, ev, p, progress)
    out.attrs.update(params_key=key)
    if cache and store is not None and out.sizes["sample"]:
        cache_flow(out, store, name)
    return out


def _restore(ds: xr.Dataset) -> xr.Dataset:
    for k in ("label", "subject", "trial"):
        ds[k] = ds[k].astype(object)
    ds["apex_estimated"] = ds["apex_estimated"].astype(bool)
    return ds


def _build(dataset, ev: pd.DataFrame, p: dict, progress: bool) -> xr.Dataset:
    w0, w1 = p["window"]
    mods = p["modalities"]
    kept, dropped, eeg_rows, peri_rows, flow_samples, clip_times, apexes, estimated = [], [], [], [], [], [], [], []
    ch_names, eeg_units, peri_units = None, "", ""
    for trial, rows in ev.groupby("trial", sort=False):
        tree = dataset.trial(str(trial))
        missing = [m for m in mods if m != "video" and m not in tree.children]
        frames_node = "face" if "face" in tree.children else "video"
        if "video" in mods and frames_node not in tree.children:
            missing.append("video")
        if missing:
            dropped += [dict(trial=str(trial), onset=float(r.onset), reason=f"no {'/'.join(missing)}") for r in rows.itertuples()]
            continue
        for r in rows.itertuples():
            onset = float(r.onset)
            item = {}
            if "eeg" in mods:
                node = tree["eeg"].to_dataset()
                names = _eeg_names(node, p["eeg_channels"]) if ch_names is None else ch_names
                sf = float(node.attrs["sfreq"])
                x = _window(node, names, onset + w0, int(round((w1 - w0) * sf)))
                if x is None:
                    dropped.append(dict(trial=str(trial), onset=onset, reason="window outside the EEG"))
                    continue
                item["eeg"] = eeg_step_features(x, sf, step=p["step"], bands=p["bands"], feature=p["feature"],
                                                n_fft=p["n_fft"])
                ch_names, eeg_units = names, EEG_FEATURES[p["feature"]]
            if "peri" in mods:
                node = tree["peri"].to_dataset()
                absent = [c for c in p["peri_channels"] if c not in node.data_vars]
                if absent:
                    raise ValueError(f"Invalid value for 'peri_channels': expected signals of the peri node "
                                     f"({', '.join(map(str, node.data_vars))}), got {absent}")
                sf = float(node.attrs["sfreq"])
                x = _window(node, p["peri_channels"], onset + w0, int(round((w1 - w0) * sf)))
                if x is None:
                    dropped.append(dict(trial=str(trial), onset=onset, reason="window outside the peripheral signals"))
                    continue
                y = peri_resample(x, sf, p["peri_sfreq"])
                item["peri"] = y[:, :int(round((w1 - w0) * p["peri_sfreq"]))]
                peri_units = ", ".join(str(node[c].attrs.get("units", "a.u.")) for c in p["peri_channels"])
            apex = getattr(r, "apex", np.nan)
            if "video" in mods:
                video = tree[frames_node]["frames"]
                offset = getattr(r, "offset", None)
                sel = select_frames(video, onset, None if pd.isna(apex) else float(apex),
                                    offset=None if offset is None or pd.isna(offset) else float(offset))
                i_on, i_ap = sel["onset_index"], sel["apex_index"]
                idx = np.round(np.linspace(i_on, i_ap, p["n_frames"] + 1)[1:]).astype(int)
                times = np.asarray(video["time"].values, dtype=float)
                clip_times.append(times[idx] - times[i_on])
                apex, est = float(times[i_ap]), sel["apex_estimated"]
                clip = np.asarray(video.isel(time=slice(i_on, i_ap + 1)).values)  # one read per expression
                flow_samples += [dict(onset=sel["onset"], apex=clip[k - i_on], node=frames_node) for k in idx]
            else:
                est = False
            apexes.append(np.nan if pd.isna(apex) else float(apex))
            estimated.append(bool(est))
            eeg_rows.append(item.get("eeg"))
            peri_rows.append(item.get("peri"))
            kept.append(r.Index)
    if dropped:
        shown = "; ".join(f"{d['trial']} at {d['onset']:.3f} s: {d['reason']}" for d in dropped[:5])
        warnings.warn(f"{len(dropped)} expression(s) left out of the fusion samples ({shown}"
                      f"{' ...' if len(dropped) > 5 else ''})", MMMEWarning, stacklevel=3)
    order = np.argsort(kept, kind="stable")  # samples in the order of the events table
    kept, eeg_rows, peri_rows, apexes, estimated = ([seq[i] for i in order] for seq in (kept, eeg_rows, peri_rows, apexes, estimated))
    clip_times = [clip_times[i] for i in order] if clip_times else clip_times
    flow_samples = [flow_samples[i * p["n_frames"] + j] for i in order for j in range(p["n_frames"])] if flow_samples else []
    sub = ev.loc[kept]
    n = len(sub)
    data, coords = {}, {"sample": np.arange(n)}
    if "video" in mods and n:
        v = np.empty((len(flow_samples), 3, p["size"], p["size"]), np.float32)
        for node in ("face", "video"):  # a store's face node is a face crop already
            at = [i for i, s in enumerate(flow_samples) if s["node"] == node]
            if at:
                feats = compute_flow_features([flow_samples[i] for i in at], method=p["method"], size=p["size"],
                                              normalize="none", crop_face=p["crop_face"] and node == "video",
                                              face_method=p["face_method"], progress=progress)
                v[at] = feats["flow_inputs"].values
        v = v.reshape(n, p["n_frames"], 3, p["size"], p["size"]).transpose(0, 2, 1, 3, 4)
        data["video"] = (("sample", "video_channel", "video_time", "y", "x"), np.ascontiguousarray(v, np.float32),
                         {"units": "px (u, v), 1 (strain)", "long_name": "onset-to-frame optical flow and strain",
                          "flow_method": p["method"]})
        coords.update(video_channel=["u", "v", "strain"], video_time=np.arange(1, p["n_frames"] + 1) / p["n_frames"],
                      video_seconds=(("sample", "video_time"), np.asarray(clip_times, float)))
    if "eeg" in mods and n:
        data["eeg"] = (("sample", "eeg_channel", "band", "eeg_time"), np.stack(eeg_rows).astype(np.float32),
                       {"units": eeg_units, "feature": p["feature"], "long_name": f"EEG {p['feature']} per {p['step']}-s step",
                        "n_fft": int(p["n_fft"] or 0), "psd": "mne.time_frequency.psd_array_welch, hamming, whole step"})
        bands = p["bands"]
        coords.update(eeg_channel=list(ch_names), band=list(bands), band_low=("band", [b[0] for b in bands.values()]),
                      band_high=("band", [b[1] for b in bands.values()]),
                      eeg_time=w0 + p["step"] / 2 + p["step"] * np.arange(p["n_steps"]))
    if "peri" in mods and n:
        n_t = int(round((w1 - w0) * p["peri_sfreq"]))
        data["peri"] = (("sample", "peri_channel", "peri_time"), np.stack(peri_rows).astype(np.float32),
                        {"units": peri_units, "sfreq": p["peri_sfreq"], "long_name": "peripheral signals, resampled"})
        coords.update(peri_channel=[c.lower() for c in p["peri_channels"]], peri_time=w0 + np.arange(n_t) / p["peri_sfreq"])
    coords.update(label=("sample", sub[p["label"]].astype(str).to_numpy(dtype=object)),
                  subject=("sample", sub["subject"].astype(str).to_numpy(dtype=object)),
                  trial=("sample", sub["trial"].astype(str).to_numpy(dtype=object)),
                  onset=("sample", sub["onset"].to_numpy(float)), apex=("sample", np.asarray(apexes, float)),
                  apex_estimated=("sample", np.asarray(estimated, bool)), row=("sample", sub["_row"].to_numpy()))
    params = {k: (dict(v) if isinstance(v, dict) else v) for k, v in p.items()}
    return xr.Dataset(data, coords=coords, attrs={
        "source": dataset.backend, "window": [w0, w1], "eeg_step": p["step"],
        "classes": ",".join(sorted(set(coords["label"][1].tolist()))), "params": json.dumps(params, default=str),
        "dropped": json.dumps(dropped)})
