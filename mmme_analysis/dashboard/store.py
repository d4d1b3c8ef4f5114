"""Data store of the Explorer: everything the views show, computed on the server.

The store is separate from the views (:mod:`mmme_analysis.dashboard.explorer`): it opens
trials lazily (only the current trial is kept), reads only what is displayed (one video
frame, the selected channels), encodes frames as JPEG/PNG bytes, downsamples traces to the
plot width, filters EEG for display and reads prediction files.

Prediction files
----------------
Predictions are tidy CSV files, one row per value, with a header. The kind of file is told
by its columns (extra columns are ignored):

========== ====================================== =============================================
kind       required columns                       meaning
========== ====================================== =============================================
spotting   ``subject, marker, time, score``       spotting score (any real number, usually a
                                                  probability) at ``time`` s on the trial axis
intervals  ``subject, marker, onset, offset,``    predicted expression intervals, s on the trial
           ``label``                              axis, ``onset <= offset``; ``label`` is free
                                                  text (e.g. ``micro``, ``disgust``)
classes    ``subject, marker, event, class,``     class probabilities of annotated event
           ``probability``                        ``event`` (0-based index into the trial's
                                                  ``/events``), ``0 <= probability <= 1``
========== ====================================== =============================================

``subject`` is the pseudonym (``sub-01``), ``marker`` the stimulus marker (101-148).
Bad files raise :class:`~mmme_analysis.errors.DataFormatError` naming the file, the row
(1-based data row, header excluded) and what was expected.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import param

from .._validate import check_int, check_option, check_path, check_positive, check_sfreq
from ..errors import DataFormatError

__all__ = [
    "PREDICTION_FORMATS",
    "ExplorerStore",
    "Frame",
    "Predictions",
    "VideoInfo",
    "channel_group",
    "downsample_trace",
    "frame_index",
    "read_predictions",
]

#: Required columns of each prediction-file kind (see the module docstring).
PREDICTION_FORMATS = {
    "spotting": ("subject", "marker", "time", "score"),
    "intervals": ("subject", "marker", "onset", "offset", "label"),
    "classes": ("subject", "marker", "event", "class", "probability"),
}

#: Display groups of EEG channels: 10-20 name prefix -> scalp region.
_REGIONS = {
    "FP": "frontal", "AF": "frontal", "F": "frontal",
    "FC": "central", "C": "central",
    "FT": "temporal", "T": "temporal", "TP": "temporal",
    "CP": "parietal", "P": "parietal",
    "PO": "occipital", "O": "occipital", "CB": "occipital", "I": "occipital",
}


def channel_group(name: str, ch_type: str = "eeg") -> str:
    """Display group of a channel: its type unless EEG, else its scalp region.

    Parameters
    ----------
    name : str
        Channel name (10-20 / 10-10 names such as ``"FC3"``, ``"Oz"``).
    ch_type : str
        Channel type (``eeg``, ``eog``, ``ecg``, ``emg``, ``misc``).

    Returns
    -------
    str
        ``frontal``, ``central``, ``temporal``, ``parietal``, ``occipital`` or ``other``
        for EEG channels; the channel type otherwise.
    """
    if ch_type != "eeg":
        return ch_type
    m = re.match(r"([A-Za-z]+?)(z|Z)?\d*$", name)
    prefix = (m.group(1) if m else name).upper()
    return _REGIONS.get(prefix, "other")


def frame_index(t: float, fps: float, t_first: float = 0.0) -> int:
    """Index of the video frame shown at time ``t``: ``round((t - t_first) * fps)``.

    Parameters
    ----------
    t : float
        Time on the trial axis (s).
    fps : float
        Frames per second of the video (Hz).
    t_first : float
        Time of frame 0 on the trial axis (s); 0 for a video that starts at the marker,
        where the index is ``round(t * fps)``.

    Returns
    -------
    int
        0-based position of the frame (not clipped).
    """
    fps = check_positive("fps", fps)
    return int(np.round((float(t) - float(t_first)) * fps))


def downsample_trace(x: np.ndarray, y: np.ndarray, t0: float, t1: float, width: int) -> tuple:
    """Samples of ``y`` to draw ``[t0, t1]`` on a plot ``width`` pixels wide.

    Keeps at most ``2 * width`` points: the minimum and the maximum of each pixel column
    (``MinMaxDownsampler`` of :mod:`tsdownsample`), so the drawn envelope, R peaks and
    artefacts included, is the same as with every sample. The sample just before ``t0`` and
    just after ``t1`` are always kept, so lines reach the plot edges.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Sample times (s), increasing.
    y : ndarray, shape (n,)
        Values.
    t0, t1 : float
        Visible time range (s).
    width : int
        Plot width (pixels).

    Returns
    -------
    x, y : ndarray
        Times and values of the kept samples, float32 (half the bytes sent to the browser;
        float32 resolves 4 us at 60 s, far below a pixel).
    """
    from tsdownsample import MinMaxDownsampler

    width = check_int("width", width, min_value=2)
    x = np.asarray(x)
    lo = max(int(np.searchsorted(x, t0, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(x, t1, side="right")) + 1, x.size)
    xs, ys = x[lo:hi], np.asarray(y[lo:hi])
    n_out = 2 * width
    if xs.size > n_out:
        ys_f = np.nan_to_num(np.asarray(ys, dtype=np.float64))
        # the first and last samples are always kept (lines reach the edges), min/max of the rest
        inner = MinMaxDownsampler().downsample(xs[1:-1].astype(np.float64), ys_f[1:-1], n_out=n_out - 2)
        idx = np.concatenate([[0], np.asarray(inner, dtype=np.int64) + 1, [xs.size - 1]])
        xs, ys = xs[idx], ys[idx]
    return np.asarray(xs, np.float32), np.asarray(ys, np.float32)


@dataclass(frozen=True, eq=False)
class VideoInfo:
    """Timing of a trial video.

    Attributes
    ----------
    fps : float
        Frames per second (Hz).
    n_frames : int
        Number of frames.
    t_first : float
        Time of the first frame on the trial axis (s).
    height, width : int
        Frame size (pixels).
    times : ndarray or None
        Time of every frame on the trial axis (s), from the store's ``time`` coordinate
        (aligned to the EEG clock, so it may drift from ``t_first + i / fps`` by a few
        ppm). None means a uniform clock.
    """

    fps: float
    n_frames: int
    t_first: float
    height: int
    width: int
    times: np.ndarray | None = None

    def index(self, t: float) -> int:
        """Frame position shown at ``t`` (s): the frame whose time is nearest, clipped.

        On a uniform clock starting at 0 this is ``round(t * fps)`` (see
        :func:`frame_index`).
        """
        if self.times is None or self.times.size != self.n_frames:
            return int(np.clip(frame_index(t, self.fps, self.t_first), 0, self.n_frames - 1))
        times = self.times
        i = int(np.clip(np.searchsorted(times, t), 1, times.size - 1)) if times.size > 1 else 0
        if times.size > 1 and abs(t - times[i - 1]) <= abs(times[i] - t):
            i -= 1
        return int(i)

    def time(self, index: int) -> float:
        """Time (s) of frame position ``index``."""
        index = int(np.clip(int(index), 0, self.n_frames - 1))
        if self.times is None or self.times.size != self.n_frames:
            return float(self.t_first + index / self.fps)
        return float(self.times[index])


@dataclass(frozen=True)
class Frame:
    """An encoded video frame.

    Attributes
    ----------
    index : int
        Frame position in the trial video.
    time : float
        Its time on the trial axis (s).
    data : bytes
        Encoded image.
    mime : str
        ``image/jpeg`` or ``image/png``.
    message : str
        Empty, or why a placeholder is shown instead of the frame.
    """

    index: int
    time: float
    data: bytes
    mime: str
    message: str = ""


@dataclass(frozen=True)
class Predictions:
    """A parsed prediction file.

    Attributes
    ----------
    kind : str
        ``spotting``, ``intervals`` or ``classes``.
    table : DataFrame
        The rows, with the required columns typed (subject str, marker int, times float).
    path : str
        Source file.
    """

    kind: str
    table: pd.DataFrame
    path: str = ""

    def for_trial(self, subject: str, marker: int) -> pd.DataFrame:
        """Rows of one trial."""
        t = self.table
        return t[(t["subject"] == subject) & (t["marker"] == int(marker))].reset_index(drop=True)


def _bad(path, row, what):
    where = f"{path}" + (f", row {row}" if row is not None else "")
    return DataFormatError(f"{where}: {what}")


def read_predictions(path) -> Predictions:
    """Read a tidy prediction CSV (format in the module docstring).

    Parameters
    ----------
    path : path-like
        CSV file with a header row.

    Returns
    -------
    Predictions

    Raises
    ------
    DataFormatError
        When the columns match no kind, or a value is missing, not a number, or out of
        range; the message names the file, the 1-based data row and what was expected.
    """
    path = check_path("path", path, kind="file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise _bad(path, None, f"expected a CSV file with a header row, could not parse it ({err})") from None
    table.columns = [str(c).strip() for c in table.columns]
    kinds = [k for k, cols in PREDICTION_FORMATS.items() if set(cols) <= set(table.columns)]
    if len(kinds) != 1:
        expected = "; ".join(f"{k}: {', '.join(c)}" for k, c in PREDICTION_FORMATS.items())
        raise _bad(path, None, f"expected the columns of exactly one kind ({expected}), got {list(table.columns)}")
    kind = kinds[0]
    numeric = {
        "spotting": {"marker": "int", "time": "float", "score": "float"},
        "intervals": {"marker": "int", "onset": "float", "offset": "float"},
        "classes": {"marker": "int", "event": "int", "probability": "float"},
    }[kind]
    out = pd.DataFrame(index=table.index)
    for col in PREDICTION_FORMATS[kind]:
        raw = table[col].str.strip()
        empty = raw == ""
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 1
            raise _bad(path, row, f"expected a value in column {col!r}, got an empty cell")
        if col in numeric:
            values = pd.to_numeric(raw, errors="coerce")
            bad = values.isna() | ~np.isfinite(values.astype(float))
            if numeric[col] == "int":
                bad |= (values % 1 != 0)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                what = "an integer" if numeric[col] == "int" else "a finite number"
                raise _bad(path, i + 1, f"expected {what} in column {col!r}, got {raw.iloc[i]!r}")
            out[col] = values.astype(int if numeric[col] == "int" else float)
        else:
            out[col] = raw
    if kind == "intervals":
        bad = out["offset"] < out["onset"]
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _bad(path, i + 1, f"expected onset <= offset, got onset {out['onset'].iloc[i]} "
                                    f"and offset {out['offset'].iloc[i]}")
    if kind == "classes":
        p = out["probability"]
        bad = (p < 0) | (p > 1)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _bad(path, i + 1, f"expected a probability in [0, 1], got {p.iloc[i]}")
        bad = out["event"] < 0
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _bad(path, i + 1, f"expected an event index >= 0, got {out['event'].iloc[i]}")
    if kind == "spotting":
        out = out.sort_values(["subject", "marker", "time"], kind="stable").reset_index(drop=True)
    return Predictions(kind=kind, table=out, path=str(path))


def _placeholder(height: int, width: int, message: str) -> np.ndarray:
    import cv2

    img = np.full((max(height, 60), max(width, 160), 3), 60, np.uint8)
    img[::8, :] = 80
    img[:, ::8] = 80
    y = img.shape[0] // 2
    for k, line in enumerate(_wrap(message, max(10, img.shape[1] // 9))):
        cv2.putText(img, line, (8, y + 18 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 220, 120), 1, cv2.LINE_AA)
    return img


def _wrap(text: str, n: int) -> list:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > n and cur:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return lines + [cur] if cur else lines


class ExplorerStore(param.Parameterized):
    """Server-side data access of the Explorer.

    Holds one dataset and the current trial (opened lazily on first use, replaced when
    another trial is asked for). Everything returned is display-ready: encoded frames,
    downsampled traces, tidy tables.

    Parameters
    ----------
    dataset : object
        Anything with the dataset API of ``docs/data_model.md`` (``trials``,
        ``annotations``, ``trial(subject, marker)``).
    """

    dataset = param.Parameter(default=None, doc="Dataset (see docs/data_model.md).")
    image_format = param.Selector(default="jpeg", objects=["jpeg", "png"], doc="Frame encoding.")
    jpeg_quality = param.Integer(default=85, bounds=(10, 100), doc="JPEG quality of frames.")
    max_frame_width = param.Integer(default=960, bounds=(64, None), allow_None=True,
                                    doc="Frames wider than this are scaled down for display (pixels).")
    frame_cache_size = param.Integer(default=300, bounds=(0, None), doc="Encoded frames kept.")
    chunk_cache_bytes = param.Integer(default=64 * 2**20, bounds=(0, None),
                                      doc="Largest decoded video chunk kept in memory (bytes); two are kept.")

    def __init__(self, dataset=None, **params):
        super().__init__(dataset=dataset, **params)
        self._key = None
        self._tree = None
        self._derived = {}
        self._frames = OrderedDict()

    # -- trials --------------------------------------------------------------------------
    @param.depends("dataset", watch=True)
    def _reset(self):
        self._key, self._tree, self._derived = None, None, {}
        self._frames.clear()

    def subjects(self) -> list:
        """Pseudonyms of the dataset's subjects, sorted."""
        return sorted(self.dataset.trials["subject"].astype(str).unique()) if self.dataset is not None else []

    def trials_of(self, subject: str) -> pd.DataFrame:
        """Rows of ``dataset.trials`` for one subject, sorted by marker."""
        t = self.dataset.trials
        return t[t["subject"] == subject].sort_values("marker").reset_index(drop=True)

    def trial(self, subject: str, marker: int):
        """The trial's DataTree (lazy); the previous trial is dropped from the cache."""
        key = (str(subject), int(marker))
        if key != self._key:
            self._tree = self.dataset.trial(*key)
            self._key = key
            self._derived = {}
            self._frames.clear()
        return self._tree

    def _node(self, subject, marker, name):
        tree = self.trial(subject, marker)
        if name not in tree.children:
            return None
        ds = tree[name].to_dataset()
        return ds if len(ds.data_vars) else None

    def missing(self, subject: str, marker: int) -> list:
        """Messages saying which modalities this trial lacks (empty when complete)."""
        tree = self.trial(subject, marker)
        out = []
        for name, label in (("video", "video"), ("eeg", "EEG"), ("peri", "peripheral signals")):
            if name not in tree.children or not len(tree[name].to_dataset().data_vars):
                out.append(f"No {label} in this trial ({subject}, marker {int(marker)}): "
                           f"showing what the store has.")
        return out

    # -- video ---------------------------------------------------------------------------
    def video_info(self, subject: str, marker: int) -> VideoInfo | None:
        """Timing of the trial video, or None when the trial has none."""
        self.trial(subject, marker)
        if "video_info" not in self._derived:
            self._derived["video_info"] = self._video_info(subject, marker)
        return self._derived["video_info"]

    def _video_info(self, subject, marker):
        ds = self._node(subject, marker, "video")
        if ds is None or "frames" not in ds:
            return None
        fr = ds["frames"]
        fps = float(ds.attrs.get("fps") or fr.attrs.get("fps"))
        t = np.asarray(ds["time"].values, dtype=np.float64)
        return VideoInfo(fps=fps, n_frames=int(fr.sizes["time"]), t_first=float(t[0]) if t.size else 0.0,
                         height=int(fr.sizes["y"]), width=int(fr.sizes["x"]), times=t)

    def frame(self, subject: str, marker: int, index: int) -> Frame:
        """Encoded frame at position ``index`` (clipped), or a placeholder with a message.

        A frame that cannot be read gives a placeholder image and ``Frame.message``; it
        never raises, so that a server keeps running on a damaged file.
        """
        info = self.video_info(subject, marker)
        if info is None:
            msg = f"No video in this trial ({subject}, marker {int(marker)})."
            return Frame(0, 0.0, self._encode(_placeholder(240, 320, msg)), self._mime, msg)
        index = int(np.clip(int(index), 0, info.n_frames - 1))
        key = (index, self.image_format, self.jpeg_quality, self.max_frame_width)
        if key in self._frames:
            self._frames.move_to_end(key)
            return self._frames[key]
        try:
            rgb = self._read_frame(subject, marker, index)
            if rgb.dtype != np.uint8 or rgb.ndim != 3:
                raise ValueError(f"expected a (y, x, rgb) uint8 frame, got {rgb.dtype} {rgb.shape}")
            data, msg = self._encode(rgb), ""
        except Exception as err:  # noqa: BLE001 - any decoding failure becomes a placeholder
            msg = f"Frame {index} of {subject}, marker {int(marker)} could not be read: {type(err).__name__}: {err}"
            data = self._encode(_placeholder(min(info.height, 480), min(info.width, 640), msg))
        out = Frame(index=index, time=info.time(index), data=data, mime=self._mime, message=msg)
        if self.frame_cache_size:
            self._frames[key] = out
            while len(self._frames) > self.frame_cache_size:
                self._frames.popitem(last=False)
        return out

    def _read_frame(self, subject, marker, index) -> np.ndarray:
        """RGB array of one frame. With a chunked (dask) store whose chunks hold a few
        frames, the chunk is read once and kept (``chunk_cache_bytes``), so stepping
        through neighbouring frames does not decompress the chunk again."""
        frames = self.trial(subject, marker)["video"]["frames"]
        chunks = getattr(frames.data, "chunks", None)
        if chunks is not None and len(chunks[0]) > 0:
            bounds = np.cumsum((0,) + tuple(chunks[0]))
            k = int(np.searchsorted(bounds, index, side="right") - 1)
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            nbytes = (hi - lo) * int(np.prod(frames.shape[1:])) * frames.dtype.itemsize
            if hi - lo > 1 and nbytes <= self.chunk_cache_bytes:
                cache = self._derived.setdefault("chunks", OrderedDict())
                if (lo, hi) not in cache:
                    cache[(lo, hi)] = np.asarray(frames.data[lo:hi].compute())
                    while len(cache) > 2:
                        cache.popitem(last=False)
                cache.move_to_end((lo, hi))
                return cache[(lo, hi)][index - lo]
        return np.asarray(frames[index].values)

    @property
    def _mime(self):
        return f"image/{self.image_format}"

    def _encode(self, rgb: np.ndarray) -> bytes:
        import cv2

        if self.max_frame_width and rgb.shape[1] > self.max_frame_width:
            h = int(round(rgb.shape[0] * self.max_frame_width / rgb.shape[1]))
            rgb = cv2.resize(rgb, (self.max_frame_width, h), interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        if self.image_format == "png":
            ok, buf = cv2.imencode(".png", bgr)
        else:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(self.jpeg_quality)])
        if not ok:
            raise RuntimeError("OpenCV could not encode the frame")
        return buf.tobytes()

    # -- EEG -----------------------------------------------------------------------------
    def eeg_channels(self, subject: str, marker: int) -> pd.DataFrame:
        """Channels of the trial's EEG: columns channel, ch_type, group (empty without EEG)."""
        ds = self._node(subject, marker, "eeg")
        if ds is None:
            return pd.DataFrame(columns=["channel", "ch_type", "group"])
        names = [str(c) for c in ds["channel"].values]
        types = [str(c) for c in ds["ch_type"].values] if "ch_type" in ds.coords else ["eeg"] * len(names)
        return pd.DataFrame({"channel": names, "ch_type": types,
                             "group": [channel_group(n, t) for n, t in zip(names, types)]})

    def eeg_sfreq(self, subject: str, marker: int) -> float | None:
        """EEG sampling frequency (Hz), or None without EEG."""
        ds = self._node(subject, marker, "eeg")
        return None if ds is None else float(ds.attrs["sfreq"])

    def _eeg_data(self, subject, marker, channels, l_freq, h_freq, notch):
        """Display-filtered EEG of ``channels`` over the whole trial (cached), volts."""
        ds = self._node(subject, marker, "eeg")
        sfreq = float(ds.attrs["sfreq"])
        out = {}
        need = []
        for ch in channels:
            key = ("eeg", ch, l_freq, h_freq, notch)
            if key in self._derived:
                out[ch] = self._derived[key]
            else:
                need.append(ch)
        if need:
            data = np.asarray(ds["eeg"].sel(channel=need).values, dtype=np.float64)
            data = filter_display(data, sfreq, l_freq=l_freq, h_freq=h_freq, notch=notch)
            for ch, row in zip(need, data):
                med = float(np.median(row))
                scale = float(1.4826 * np.median(np.abs(row - med))) or float(np.std(row)) or 1.0
                self._derived[("eeg", ch, l_freq, h_freq, notch)] = (row.astype(np.float32), med, scale)
                out[ch] = self._derived[("eeg", ch, l_freq, h_freq, notch)]
        return ds["time"].values, out

    def eeg_traces(self, subject: str, marker: int, channels, t0: float, t1: float, width: int, *,
                   l_freq=None, h_freq=None, notch=None, scaling: str = "channel", gain: float = 1.0) -> dict:
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
        if not channels or self._node(subject, marker, "eeg") is None:
            return dict(xs=[], ys=[], channel=[], offset=[], scale=[])
        t, data = self._eeg_data(subject, marker, channels, l_freq, h_freq, notch)
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
    def peri_signals(self, subject: str, marker: int) -> dict:
        """Peripheral signals of the trial: name -> units (empty without /peri)."""
        ds = self._node(subject, marker, "peri")
        if ds is None:
            return {}
        return {str(k): str(v.attrs.get("units", "")) for k, v in ds.data_vars.items() if v.dims == ("time",)}

    def _peri(self, subject, marker, name):
        """(time s, values) of peripheral signal ``name``, read once per trial."""
        self.trial(subject, marker)  # a cached value must belong to this trial
        key = ("peri", name)
        if key not in self._derived:
            ds = self._node(subject, marker, "peri")
            self._derived[key] = (ds["time"].values, np.asarray(ds[name].values, dtype=np.float64))
        return self._derived[key]

    def peri_trace(self, subject: str, marker: int, name: str, t0: float, t1: float, width: int) -> tuple:
        """Downsampled peripheral signal ``name`` over ``[t0, t1]``: (x s, y in its units)."""
        t, y = self._peri(subject, marker, name)
        return downsample_trace(t, y, t0, t1, width)

    def peri_at(self, subject: str, marker: int, name: str, times) -> np.ndarray:
        """Peripheral signal ``name`` at ``times`` (s), linearly interpolated, in its units."""
        t, y = self._peri(subject, marker, name)
        return np.interp(np.asarray(times, dtype=float), t, y)

    def cardiac(self, subject: str, marker: int) -> dict | None:
        """R peaks, heart rate and heart-rate slope from the ECG (cached per trial).

        Uses :func:`mmme_analysis.physio.ecg_process` (NeuroKit2).

        Returns
        -------
        dict or None
            ``rpeaks`` (s), ``time`` (s), ``hr`` (bpm), ``hr_slope`` (bpm/s); None without ECG.
        """
        self.trial(subject, marker)  # a cached value must belong to this trial
        if "cardiac" in self._derived:
            return self._derived["cardiac"]
        ds = self._node(subject, marker, "peri")
        out = None
        if ds is not None and "ECG" in ds:
            t, ecg = self._peri(subject, marker, "ECG")  # the samples the ECG trace shows, read once
            out = _cardiac(t, ecg, float(ds.attrs["sfreq"]))
        self._derived["cardiac"] = out
        return out

    # -- annotations & alignment --------------------------------------------------------
    def events(self, subject: str, marker: int) -> pd.DataFrame:
        """The trial's events: onset, apex, offset (s), kind, emotion, emotion3, aus."""
        cols = ["onset", "apex", "offset", "kind", "emotion", "emotion3", "aus"]
        tree = self.trial(subject, marker)
        if "events" not in tree.children:
            return pd.DataFrame(columns=cols)
        ds = tree["events"].to_dataset()
        if "event" not in ds.dims or ds.sizes["event"] == 0:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame({c: ds[c].values for c in cols if c in ds})
        for c in cols:
            if c not in df:
                df[c] = ""
        return df[cols].reset_index(drop=True)

    def alignment(self, subject: str, marker: int) -> tuple:
        """Clock alignment of the trial's session.

        Returns
        -------
        devices : DataFrame
            One row per device: device, offset_s, drift_ppm, n_markers, max_abs_residual_ms.
        residuals : DataFrame
            One row per device and marker: device, marker, ref_time (s), residual_ms.
        """
        raw = self.trial(subject, marker).attrs.get("alignment")
        dev_cols = ["device", "offset_s", "drift_ppm", "n_markers", "max_abs_residual_ms"]
        res_cols = ["device", "marker", "ref_time", "residual_ms"]
        if not raw:
            return pd.DataFrame(columns=dev_cols), pd.DataFrame(columns=res_cols)
        info = json.loads(raw) if isinstance(raw, str) else dict(raw)
        devs, res = [], []
        for name, d in info.items():
            r = np.asarray(d.get("residuals_s", []), dtype=float)
            devs.append(dict(device=str(d.get("device", name)), offset_s=float(d.get("offset_s", np.nan)),
                             drift_ppm=float(d.get("drift_ppm", np.nan)), n_markers=int(r.size),
                             max_abs_residual_ms=float(np.abs(r).max() * 1e3) if r.size else np.nan))
            markers = d.get("markers", [None] * r.size)
            ref = d.get("ref_times", [np.nan] * r.size)
            for mk, tr, rr in zip(markers, ref, r):
                res.append(dict(device=str(d.get("device", name)), marker=mk, ref_time=float(tr),
                                residual_ms=float(rr) * 1e3))
        return pd.DataFrame(devs, columns=dev_cols), pd.DataFrame(res, columns=res_cols)


def filter_display(data: np.ndarray, sfreq: float, *, l_freq=None, h_freq=None, notch=None) -> np.ndarray:
    """Band-pass and notch filter for display (MNE's FIR filters, zero phase).

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        Signals.
    sfreq : float
        Sampling frequency (Hz), required.
    l_freq, h_freq : float or None
        Band edges (Hz); None leaves that side open.
    notch : float or None
        Line frequency (Hz); its harmonics below Nyquist are removed too.

    Returns
    -------
    ndarray
        Filtered copy (float64).
    """
    import mne

    sfreq = check_sfreq(sfreq)
    data = np.asarray(data, dtype=np.float64)
    if data.shape[-1] < 16:
        return data.copy()
    if l_freq is not None or h_freq is not None:
        data = mne.filter.filter_data(data, sfreq, l_freq, h_freq, verbose="error")
    if notch:
        freqs = np.arange(float(notch), sfreq / 2 - 1, float(notch))
        if freqs.size:
            data = mne.filter.notch_filter(data, sfreq, freqs, verbose="error")
    return data


def _cardiac(t: np.ndarray, ecg: np.ndarray, sfreq: float) -> dict:
    """R peaks (s), HR (bpm) and HR slope (bpm/s) of one ECG trace sampled at times ``t`` (s)."""
    import xarray as xr

    from ..physio import ecg_process  # the package's NeuroKit2 pipeline

    ds = ecg_process(xr.DataArray(ecg, dims=("time",), coords={"time": t}), sfreq)
    return dict(rpeaks=np.asarray(ds["ECG_R_Peak_Times"].values, float),
                time=np.asarray(ds["time"].values),
                hr=np.asarray(ds["ECG_Rate"].values, float),
                hr_slope=np.asarray(ds["ECG_Rate_Slope"].values, float))
