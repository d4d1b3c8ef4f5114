"""The one trial open in the Explorer: its id, its (lazy) tree and what is derived from it.

A :class:`TrialState` belongs to one trial for its whole life (opening another trial makes
a new one), so every cached value belongs to the trial it was computed for and no method
takes a trial key. Everything returned is display-ready: encoded frames, downsampled and
stacked traces, tidy tables. Only what is displayed is read (one video frame, the selected
channels).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import param
import xarray as xr

from .._validate import check_option, check_positive, check_type
from ..eeg import eeg_filter_array
from .channels import channel_group
from .downsample import downsample_trace
from .frames import Frame, FrameReader, VideoInfo
from .notes import Scrubber, open_trial, trial_notes, trial_problems

__all__ = ["TrialState"]

_EVENT_COLUMNS = ["onset", "apex", "offset", "kind", "emotion", "emotion3", "aus"]
_DEVICE_COLUMNS = ["device", "offset_s", "drift_ppm", "n_markers", "max_abs_residual_ms"]
_RESIDUAL_COLUMNS = ["device", "marker", "ref_time", "residual_ms"]


class TrialState(param.Parameterized):
    """Server-side data of one open trial.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`mmme_analysis.dataset.open_dataset` (or anything with its
        ``trials``, ``trial(id)`` and, optionally, ``frame(id, index)`` and
        ``alignment(id)``).
    trial : str
        Trial id, a value of ``dataset.trials["trial"]``.
    scrub : callable, optional
        Applied to every message shown to users (participant names to pseudonyms, see
        :class:`~mmme_analysis.dashboard.notes.Scrubber`); default: that of ``dataset``.
    **frame_options
        Parameters of the :class:`~mmme_analysis.dashboard.frames.FrameReader` held as
        :attr:`frames` (``image_format``, ``jpeg_quality``, ``max_frame_width``, ...).

    Attributes
    ----------
    tree : xarray.DataTree
        The trial (lazy where the dataset allows); empty when it could not be opened.
    error : str
        Why the trial could not be opened at all ("" when it was), in pseudonyms.
    warned : list of str
        The dataset's warnings while opening it (what it left out, say), in pseudonyms.
    frame_node : str or None
        The node the frames shown are read from: ``"video"`` (full frames), else
        ``"proxy"`` (a store's browsing video, when the full frames are not reachable).
    frames : FrameReader
        Encoded frames of its video.
    """

    dataset = param.Parameter(default=None, constant=True, doc="Dataset the trial belongs to.")
    trial = param.String(default="", constant=True, doc="Trial id (ds.trials['trial']).")

    def __init__(self, dataset, trial, *, scrub=None, **frame_options):
        super().__init__(dataset=dataset, trial=check_type("trial", trial, str, "str (a trial id)"))
        self.scrub = scrub if scrub is not None else Scrubber.for_dataset(dataset)
        self.tree, self.error, self.warned = open_trial(dataset, self.trial, self.scrub)
        self._derived = {}
        reader = getattr(dataset, "frame", None)
        # full frames; else a store's small browsing video (its raw video not reachable, say)
        self.frame_node = next((n for n in ("video", "proxy") if self.node(n) is not None), None)
        read = None
        if callable(reader):
            read = partial(reader, self.trial) if self.frame_node != "proxy" else partial(reader, self.trial,
                                                                                           node="proxy")
        self.frames = FrameReader(self.node(self.frame_node) if self.frame_node else None, read_frame=read,
                                  label=self.trial, scrub=self.scrub, **frame_options)

    @property
    def subject(self) -> str:
        """Pseudonym of the trial's subject."""
        subject = self.tree.attrs.get("subject")
        if subject is None:
            t = self.dataset.trials
            subject = t.loc[t["trial"] == self.trial, "subject"].iloc[0]
        return str(subject)

    def node(self, name: str):
        """The trial's ``name`` node as an ``xarray.Dataset``, None when absent or empty."""
        if name not in self.tree.children:
            return None
        ds = self.tree[name].to_dataset()
        return ds if len(ds.data_vars) else None

    def missing(self) -> list:
        """Messages saying which modalities this trial lacks and why (empty when complete).

        The reason is the dataset's (its ``problems`` rows for this trial or its subject's
        session, see :func:`~mmme_analysis.dashboard.notes.trial_notes`); a trial that could
        not be opened has one message, :attr:`error`. In pseudonyms only.
        """
        if self.error:
            return [self.error]
        if "missing" not in self._derived:
            present = {name for name in ("video", "eeg", "peri") if self.node(name) is not None}
            problems = trial_problems(self.dataset, self.trial, self.subject) if len(present) < 3 else None
            notes = [] if problems is None else trial_notes(self.trial, present, problems, self.scrub,
                                                             warned=self.warned)
            if self.frame_node == "proxy":  # shown instead of the full frames: say so, and why
                info, prefix = self.frames.info, f"No video in trial {self.trial}: "
                why = next((n[len(prefix):].rstrip(".") for n in notes if n.startswith(prefix)), "")
                why = "its raw video is not reachable" if why.startswith("showing what") else why
                notes = [f"Trial {self.trial} shows its stored browsing video ({info.width} x {info.height} px), "
                         f"not the full-resolution frames: {why}."] + [n for n in notes if not n.startswith(prefix)]
            self._derived["missing"] = notes
        return self._derived["missing"]

    def extent(self) -> tuple:
        """Time range (s) covered by the trial's video, EEG and peripheral signals.

        Falls back on the annotated events (up to 1 s after the last offset), then on
        ``(0, 1)``; never empty.
        """
        ends = []
        for name in ("video", "eeg", "peri"):
            ds = self.node(name)
            if ds is not None and "time" in ds.coords and ds.sizes.get("time", 0):
                t = ds["time"].values
                ends += [float(t[0]), float(t[-1])]
        events = self.events()
        if not ends and len(events):
            ends = [0.0, float(np.nanmax(events[["offset", "apex"]].to_numpy(float))) + 1.0]
        lo, hi = (min(ends), max(ends)) if ends else (0.0, 1.0)
        return (lo, hi if hi > lo else lo + 1.0)

    # -- video ---------------------------------------------------------------------------
    def video_info(self) -> VideoInfo | None:
        """Timing of the trial video, or None when the trial has none."""
        return self.frames.info

    def frame(self, index: int) -> Frame:
        """Encoded frame at position ``index`` (clipped), or a placeholder with a message.

        A frame that cannot be read gives a placeholder image and ``Frame.message``; it
        never raises.
        """
        return self.frames.frame(index)

    # -- EEG -----------------------------------------------------------------------------
    def eeg_channels(self) -> pd.DataFrame:
        """Channels of the trial's EEG: columns channel, ch_type, group (empty without EEG)."""
        ds = self.node("eeg")
        if ds is None:
            return pd.DataFrame(columns=["channel", "ch_type", "group"])
        names = [str(c) for c in ds["channel"].values]
        types = [str(c) for c in ds["ch_type"].values] if "ch_type" in ds.coords else ["eeg"] * len(names)
        return pd.DataFrame({"channel": names, "ch_type": types,
                             "group": [channel_group(n, t) for n, t in zip(names, types)]})

    def eeg_sfreq(self) -> float | None:
        """EEG sampling frequency (Hz), or None without EEG."""
        ds = self.node("eeg")
        return None if ds is None else float(ds.attrs["sfreq"])

    def eeg_data(self, channels, *, l_freq=None, h_freq=None, notch=None) -> tuple:
        """Display-filtered EEG of ``channels`` over the whole trial (cached per setting).

        Filtering is :func:`mmme_analysis.eeg.eeg_filter_array`.

        Returns
        -------
        time : ndarray
            Sample times (s).
        data : dict
            channel -> (values in volts as float32, median, robust sd).
        """
        ds = self.node("eeg")
        if ds is None:
            return np.array([]), {}
        out, need = {}, []
        for ch in channels:
            key = ("eeg", ch, l_freq, h_freq, notch)
            if key in self._derived:
                out[ch] = self._derived[key]
            else:
                need.append(ch)
        if need:
            data = np.asarray(ds["eeg"].sel(channel=need).values, dtype=np.float64)
            data = eeg_filter_array(data, float(ds.attrs["sfreq"]), l_freq=l_freq, h_freq=h_freq, notch=notch)
            for ch, row in zip(need, data):
                med = float(np.median(row))
                scale = float(1.4826 * np.median(np.abs(row - med))) or float(np.std(row)) or 1.0
                out[ch] = self._derived[("eeg", ch, l_freq, h_freq, notch)] = (row.astype(np.float32), med, scale)
        return ds["time"].values, out

    def eeg_traces(self, channels, t0: float, t1: float, width: int, *, l_freq=None, h_freq=None, notch=None,
                   scaling: str = "channel", gain: float = 1.0) -> dict:
        """Stacked, downsampled EEG traces for ``[t0, t1]``.

        Each channel is centred on its median and divided by its robust standard
        deviation (``scaling="channel"``) or by the median of those over the shown
        channels (``scaling="common"``), so that +-3 sd span one row; ``gain`` multiplies.
        The first channel is drawn at the top (row ``n - 1``).

        Returns
        -------
        dict
            ``xs``, ``ys`` (lists of arrays, display units), ``channel`` (names),
            ``offset`` (row of each), ``scale`` (volts per row of each, before ``gain``).
        """
        check_option("scaling", scaling, ("channel", "common"))
        gain = check_positive("gain", gain)
        channels = list(channels)
        if not channels or self.node("eeg") is None:
            return dict(xs=[], ys=[], channel=[], offset=[], scale=[])
        t, data = self.eeg_data(channels, l_freq=l_freq, h_freq=h_freq, notch=notch)
        scales = np.array([data[c][2] for c in channels])
        if scaling == "common":
            scales = np.full_like(scales, float(np.median(scales)))
        n = len(channels)
        xs, ys, offs = [], [], []
        for k, ch in enumerate(channels):
            row, med, _ = data[ch]
            x, y = downsample_trace(t, row, t0, t1, width)
            off = n - 1 - k
            xs.append(x)
            ys.append(((y - med) / (6.0 * scales[k]) * gain + off).astype(np.float32))
            offs.append(off)
        return dict(xs=xs, ys=ys, channel=channels, offset=offs, scale=list(6.0 * scales))

    # -- peripheral ----------------------------------------------------------------------
    def peri_signals(self) -> dict:
        """Peripheral signals of the trial: name -> units (empty without /peri)."""
        ds = self.node("peri")
        if ds is None:
            return {}
        return {str(k): str(v.attrs.get("units", "")) for k, v in ds.data_vars.items() if v.dims == ("time",)}

    def peri_sfreq(self) -> float | None:
        """Sampling frequency of the peripheral signals (Hz), or None."""
        ds = self.node("peri")
        return None if ds is None or ds.attrs.get("sfreq") is None else float(ds.attrs["sfreq"])

    def _peri(self, name):
        """(time s, values) of peripheral signal ``name``, read once."""
        key = ("peri", name)
        if key not in self._derived:
            ds = self.node("peri")
            self._derived[key] = (ds["time"].values, np.asarray(ds[name].values, dtype=np.float64))
        return self._derived[key]

    def peri_trace(self, name: str, t0: float, t1: float, width: int) -> tuple:
        """Downsampled peripheral signal ``name`` over ``[t0, t1]``: (x s, y in its units)."""
        t, y = self._peri(name)
        return downsample_trace(t, y, t0, t1, width)

    def peri_at(self, name: str, times) -> np.ndarray:
        """Peripheral signal ``name`` at ``times`` (s), linearly interpolated, in its units."""
        t, y = self._peri(name)
        return np.interp(np.asarray(times, dtype=float), t, y)

    def cardiac(self) -> dict | None:
        """R peaks, heart rate and heart-rate slope from the ECG (computed once).

        Uses :func:`mmme_analysis.physio.ecg_process` (NeuroKit2).

        Returns
        -------
        dict or None
            ``rpeaks`` (s), ``time`` (s), ``hr`` (bpm), ``hr_slope`` (bpm/s); None without ECG.
        """
        if "cardiac" not in self._derived:
            ds = self.node("peri")
            out = None
            if ds is not None and "ECG" in ds:
                t, ecg = self._peri("ECG")  # the samples the ECG trace shows, read once
                out = _cardiac(t, ecg, float(ds.attrs["sfreq"]))
            self._derived["cardiac"] = out
        return self._derived["cardiac"]

    # -- annotations & alignment --------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """The trial's events: onset, apex, offset (s), kind, emotion, emotion3, aus."""
        if "events" not in self._derived:
            ds = self.tree["events"].to_dataset() if "events" in self.tree.children else None
            if ds is None or "event" not in ds.dims or ds.sizes["event"] == 0:
                df = pd.DataFrame(columns=_EVENT_COLUMNS)
            else:
                df = pd.DataFrame({c: ds[c].values for c in _EVENT_COLUMNS if c in ds})
                for c in _EVENT_COLUMNS:
                    if c not in df:
                        df[c] = ""
                for c in ("kind", "emotion", "emotion3", "aus"):
                    df[c] = df[c].astype(str)
            self._derived["events"] = df[_EVENT_COLUMNS].reset_index(drop=True)
        return self._derived["events"]

    def event_at(self, t: float) -> int | None:
        """Index of the expression at ``t`` (s): the first containing it, else the one whose
        apex (onset when the apex is not coded) is nearest; None without expressions."""
        ev = self.events()
        if not len(ev):
            return None
        onset = ev["onset"].to_numpy(float)
        inside = np.flatnonzero((onset <= t) & (t <= ev["offset"].to_numpy(float)))
        if inside.size:
            return int(inside[0])
        apex = ev["apex"].to_numpy(float)
        return int(np.nanargmin(np.abs(np.where(np.isfinite(apex), apex, onset) - t)))

    def alignment(self) -> tuple:
        """Clock alignment of the trial's session (``dataset.alignment(trial)``).

        Returns
        -------
        devices : DataFrame
            One row per device: device, offset_s, drift_ppm, n_markers, max_abs_residual_ms.
        residuals : DataFrame
            One row per device and marker: device, marker, ref_time (s), residual_ms.
        """
        if "alignment" not in self._derived:
            fits = self._fits()
            devs, res = [], []
            for name, fit in fits.items():
                r = np.asarray(fit.residuals_s, dtype=float)
                devs.append(dict(device=str(fit.device or name), offset_s=float(fit.offset_s),
                                 drift_ppm=float(fit.drift_ppm), n_markers=int(r.size),
                                 max_abs_residual_ms=float(np.abs(r).max() * 1e3) if r.size else np.nan))
                markers = list(fit.markers) or [None] * r.size
                ref = list(fit.ref_times) or [np.nan] * r.size
                res += [dict(device=str(fit.device or name), marker=mk, ref_time=float(tr), residual_ms=float(rr) * 1e3)
                        for mk, tr, rr in zip(markers, ref, r)]
            self._derived["alignment"] = (pd.DataFrame(devs, columns=_DEVICE_COLUMNS),
                                          pd.DataFrame(res, columns=_RESIDUAL_COLUMNS))
        return self._derived["alignment"]

    def _fits(self) -> dict:
        from ..alignment import fits_from_json

        reader = getattr(self.dataset, "alignment", None)
        if "alignment" in self.tree.attrs or not callable(reader):  # what dataset.alignment reads: no second load
            return fits_from_json(self.tree.attrs.get("alignment") or "{}")
        return reader(self.trial)


def _cardiac(t: np.ndarray, ecg: np.ndarray, sfreq: float) -> dict:
    """R peaks (s), HR (bpm) and HR slope (bpm/s) of one ECG trace sampled at times ``t`` (s)."""
    from ..physio import ecg_process  # the package's NeuroKit2 pipeline

    ds = ecg_process(xr.DataArray(ecg, dims=("time",), coords={"time": t}), sfreq)
    return dict(rpeaks=np.asarray(ds["ECG_R_Peak_Times"].values, float),
                time=np.asarray(ds["time"].values),
                hr=np.asarray(ds["ECG_Rate"].values, float),
                hr_slope=np.asarray(ds["ECG_Rate_Slope"].values, float))
