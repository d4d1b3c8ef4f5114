"""The one dataset type, whatever the backend (raw folder, image sequences, Zarr store)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int, check_option, check_type
from ..alignment import fits_from_json
from ..io.mne import raw_from_arrays

__all__ = ["Dataset", "Backend", "slice_time", "events_dataset", "TRIAL_COLUMNS", "PROBLEM_COLUMNS"]

#: Columns of ``Dataset.trials``, in order; ``trial`` is the key, the rest is metadata.
#: ``marker`` and ``category`` are nullable integers (``<NA>`` for datasets without markers).
TRIAL_COLUMNS = ("trial", "subject", "marker", "clip", "category", "category_name", "n_events", "n_me", "n_mae",
                 "has_video", "has_eeg", "has_peri")

#: Columns of ``Dataset.problems``: what was left out (a participant, trial or modality) and why.
PROBLEM_COLUMNS = ("subject", "trial", "modality", "file", "error")

#: nodes of a trial that hold frames: full frames, the tracked face region, the browsing video
FRAME_NODES = ("video", "face", "proxy")

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


def trials_frame(rows) -> pd.DataFrame:
    """A ``Dataset.trials`` table from row dicts: :data:`TRIAL_COLUMNS`, typed, in order."""
    t = pd.DataFrame(list(rows), columns=list(TRIAL_COLUMNS))
    for col in ("marker", "category", "n_events", "n_me", "n_mae"):
        t[col] = pd.array([None if v is None or pd.isna(v) else int(v) for v in t[col]], dtype="Int64")
    for col in ("trial", "subject", "clip", "category_name"):
        t[col] = t[col].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    for col in ("has_video", "has_eeg", "has_peri"):
        t[col] = t[col].fillna(False).astype(bool)
    if t["trial"].duplicated().any():
        dup = t.loc[t["trial"].duplicated(), "trial"].tolist()
        raise ValueError(f"Invalid value for 'trials': expected unique trial ids, got {dup[:5]} more than once")
    return t.reset_index(drop=True)


def video_file_frame(path, index: int, *, label: str, width: int | None = None) -> np.ndarray:
    """Frame ``index`` of a video file: one frame-exact seek + decode (no dask chunk).

    ``label`` names the trial in the error for an index past the end (the path is not
    quoted: in the raw layout it holds the participant's name). ``width``: scale the frame
    down to that width (:func:`~mmme_analysis.io.video.read_frame`).
    """
    from ..io.video import read_frame, video_index

    n = video_index(path).n_frames
    if index >= n:
        raise IndexError(f"Invalid value for 'index': expected < {n} frames, got {index} ({label})")
    return read_frame(path, index, width=width)


class Backend:
    """What a storage backend provides to :class:`Dataset` (raw, image sequences, Zarr).

    Subclasses set ``name`` and ``path`` and implement ``annotations``, ``trials`` (a
    :func:`trials_frame`) and ``load(trial)``; ``frame`` and ``window`` have defaults.
    """

    name = "backend"
    path = None

    @property
    def annotations(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def trials(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def load(self, trial: str) -> xr.DataTree:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def problems(self) -> pd.DataFrame:
        """What listing the trials left out (:data:`PROBLEM_COLUMNS`); filled by ``trials``."""
        self.trials  # noqa: B018 - listing finds the problems
        return pd.DataFrame(list(getattr(self, "_problems", [])), columns=list(PROBLEM_COLUMNS), dtype=str)

    def frame(self, trial: str, index: int, *, node: str = "video", width: int | None = None) -> np.ndarray:
        """One frame (y, x, rgb) uint8 by 0-based position in the trial's ``node`` frames.

        ``width``: scaled down to that width (:func:`~mmme_analysis.io.video.scale_to_width`).
        """
        from ..io.video import scale_to_width

        tree = self.load(trial)
        if node not in tree.children:
            raise ValueError(f"Invalid value for 'node': trial {trial} of {self.path} has no {node!r} frames")
        frames = tree[node]["frames"]
        if index >= frames.sizes["time"]:
            raise IndexError(f"Invalid value for 'index': expected < {frames.sizes['time']} frames, got {index}")
        return scale_to_width(np.asarray(frames[index].values), width)

    def window(self, trial: str, t0: float, t1: float) -> xr.DataTree:
        """The trial cut to ``t0 <= time < t1`` (default: :func:`slice_time` of the lazy trial)."""
        return slice_time(self.load(trial), t0, t1)

    def describe(self) -> str:
        """Extra words for the dataset's repr."""
        return self.name


class Dataset:
    """A multimodal ME dataset: annotations, trials, and aligned trial data.

    One type whatever the storage: :func:`~mmme_analysis.dataset.open_dataset` picks the
    backend (``"raw"`` MMME folder, ``"imageseq"`` CASME II-style image folders, ``"zarr"``
    store). Trials are keyed by one string id, the ``trial`` column of :attr:`trials` and of
    :attr:`annotations` (``sub-01_101`` for MMME).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> ds.backend, ds.trials["trial"].iloc[0]
    ('zarr', 'sub-01_101')
    >>> tree = ds.trial("sub-01_101")
    >>> sorted(tree.children)  # video: full frames from the raw files; face, proxy: stored
    ['eeg', 'events', 'face', 'peri', 'proxy', 'video']
    >>> win = ds.window("sub-01_101", 2.0, 3.0)
    >>> float(win["eeg"]["time"].min()) >= 2.0
    True
    >>> raw = ds.to_mne("sub-01_101")
    >>> raw.info["sfreq"]
    1000.0
    """

    def __init__(self, backend: Backend):
        self._backend = check_type("backend", backend, Backend)

    @property
    def backend(self) -> str:
        """Name of the storage backend: ``"raw"``, ``"imageseq"`` or ``"zarr"``."""
        return self._backend.name

    @property
    def path(self):
        """The dataset's folder or store."""
        return self._backend.path

    @property
    def annotations(self) -> pd.DataFrame:
        """Tidy annotation table (one row per coded expression; pseudonymous)."""
        return self._backend.annotations

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial: ``trial`` (the id) and its metadata (:data:`TRIAL_COLUMNS`)."""
        return self._backend.trials

    @property
    def problems(self) -> pd.DataFrame:
        """What was left out, and why: one row per participant, trial or modality skipped.

        Columns :data:`PROBLEM_COLUMNS`: ``subject`` (pseudonym), ``trial`` (id, or "" for
        a whole participant or modality), ``modality`` (``"session"``, ``"eeg"``, ``"peri"``,
        ``"video"``, ``"annotations"``), ``file`` (shown below the dataset, pseudonymised) and
        ``error``. Empty when everything was read. A bad participant is listed here (and
        warned about) and the others stay usable.

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> mm.open_dataset(mm.demo.data_path()).problems.empty
        True
        """
        return self._backend.problems

    @property
    def subjects(self) -> list:
        """Pseudonyms of the subjects with at least one trial, sorted."""
        return sorted(self.trials["subject"].unique())

    def _check_trial(self, trial) -> str:
        """The trial id of ``trial`` (its id, or its clip name when that is unique)."""
        check_type("trial", trial, str, "str (a trial id, the 'trial' column of ds.trials)")
        t = self.trials
        if (t["trial"] == trial).any():
            return trial
        hit = t.loc[t["clip"] == trial, "trial"]
        if len(hit) == 1:
            return str(hit.iloc[0])
        ids = list(t["trial"])
        shown = ", ".join(ids[:8]) + (f" ... ({len(ids)} trials)" if len(ids) > 8 else "")
        raise KeyError(f"Invalid value for 'trial': expected a trial id of {self.path} ({shown}), got {trial!r}")

    def trial(self, trial: str) -> xr.DataTree:
        """One trial as a DataTree (see ``docs/data_model.md``), lazy where the source allows.

        Parameters
        ----------
        trial : str
            Trial id (a value of ``ds.trials["trial"]``, e.g. ``"sub-01_101"``); for
            video-only datasets the clip name as in the coding sheet works too when unique.

        Returns
        -------
        xarray.DataTree
            Nodes (those the trial has): ``video`` (full frames), ``face`` (a store's tracked
            face region, full frame rate, lossless), ``proxy`` (a store's small browsing
            video), ``eeg``, ``peri`` and ``events``; attrs
            ``trial``, ``subject``, ``marker`` (MMME), ``category``, ``alignment``, ...

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> tree = mm.open_dataset(mm.demo.data_path()).trial("sub-01_101")
        >>> tree.attrs["subject"], tree.attrs["marker"], tree["video"]["frames"].dims
        ('sub-01', 101, ('time', 'y', 'x', 'rgb'))
        """
        return self._backend.load(self._check_trial(trial))

    def window(self, trial: str, t0: float, t1: float) -> xr.DataTree:
        """The trial cut to ``t0 <= time < t1`` (s on the trial axis) in every modality.

        From a store, a window is read eagerly straight from its chunks (no dask graph:
        small windows cost what the chunk reads cost); from raw folders it stays lazy.

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> win = mm.open_dataset(mm.demo.data_path()).window("sub-01_101", 2.0, 3.0)
        >>> win["eeg"].sizes["time"]  # 1 s at 1000 Hz; video frames keep their aligned times (~150)
        1000
        """
        t0, t1 = float(t0), float(t1)
        if not t1 > t0:
            raise ValueError(f"Invalid value for 't1': expected a time after t0={t0!r}, got {t1!r}")
        return self._backend.window(self._check_trial(trial), t0, t1)

    def frame(self, trial: str, index: int, *, node: str = "video", width: int | None = None) -> np.ndarray:
        """One frame (y, x, rgb) uint8 at 0-based position ``index`` of a trial's frames.

        Parameters
        ----------
        trial : str
            Trial id.
        index : int
            0-based frame position (not the ``frame`` number of image-sequence files).
        node : {"video", "face", "proxy"}
            ``"video"``: full frames (from a store, read from the raw video it references);
            ``"face"``: the store's tracked face crops; ``"proxy"``: its browsing video.
        width : int, optional
            Scale the frame down to this width (>= 1, area-averaged); the height follows the
            aspect ratio (rounded, at least 1); a frame no wider keeps its size (never
            upscaled). Frames of video files are scaled straight from the decoder's output
            (:func:`~mmme_analysis.io.video.read_frame`), others with
            :func:`~mmme_analysis.io.video.scale_to_width`: the same rule and pixels for
            every backend. Default: the full frame.

        Returns
        -------
        numpy.ndarray
            ``(y, x, 3)`` uint8 RGB.

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> ds = mm.open_dataset(mm.demo.data_path())
        >>> full = ds.frame("sub-01_101", 3, node="face")
        >>> small = ds.frame("sub-01_101", 3, node="face", width=full.shape[1] // 2)
        >>> small.shape[1] == full.shape[1] // 2
        True
        """
        trial = self._check_trial(trial)
        index = check_int("index", index, min_value=0)
        check_option("node", node, FRAME_NODES)
        if width is not None:
            width = check_int("width", width, min_value=1)
        return self._backend.frame(trial, index, node=node, width=width)

    def alignment(self, trial: str) -> dict:
        """Per-device clock fits ``{device: ClockFit}`` used for this trial (empty without EEG)."""
        return fits_from_json(self.trial(trial).attrs.get("alignment", "{}"))

    def to_mne(self, trial: str, *, peri: bool = True):
        """The trial's EEG (and peripheral signals) as an ``mne.io.RawArray`` with Annotations.

        Peripheral signals are interpolated onto the EEG samples and typed for MNE
        (ECG -> ecg, RSP -> resp, EDA -> gsr, SKT -> temperature, PPG -> bio, EMG -> emg).
        Each expression becomes an annotation ``"<kind>/<emotion>/<AUs>"`` from onset to
        offset (s on the trial axis).

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> raw = mm.open_dataset(mm.demo.data_path()).to_mne("sub-01_101")
        >>> raw.info["sfreq"], "ecg" in raw.get_channel_types(), len(raw.annotations) >= 1
        (1000.0, True, True)
        """
        tree = self.trial(trial)
        if "eeg" not in tree.children:
            raise ValueError(f"Trial {trial} of {self.path} has no EEG; expected an 'eeg' group")
        eeg_ds = tree["eeg"].to_dataset()
        eeg = eeg_ds["eeg"]
        t = eeg["time"].values
        data = [np.asarray(eeg.values, float)]
        names = [str(c) for c in eeg["channel"].values]
        types = [str(c) for c in eeg["ch_type"].values]
        pos = [*eeg_ds["pos"].values] if "pos" in eeg_ds.coords else [np.full(3, np.nan)] * len(names)
        if peri and "peri" in tree.children:
            pds = tree["peri"].to_dataset()
            for var in pds.data_vars:
                data.append(np.interp(t, pds["time"].values, np.asarray(pds[var].values, float))[None, :])
                names.append(f"PERI_{var}")
                types.append(PERI_MNE_TYPES.get(str(var).split("_")[0], "misc"))
                pos.append(np.full(3, np.nan))
        annotations = None
        if "events" in tree.children:
            ev = tree["events"].to_dataset()
            t0 = float(t[0]) if t.size else 0.0
            desc = [f"{k}/{e}/{a}" for k, e, a in zip(ev["kind"].values, ev["emotion"].values, ev["aus"].values)]
            annotations = (ev["onset"].values - t0, ev["offset"].values - ev["onset"].values, desc)
        return raw_from_arrays(np.concatenate(data), names, types, float(tree["eeg"].attrs["sfreq"]),
                               pos=np.asarray(pos), annotations=annotations)

    def __iter__(self):
        for trial in self.trials["trial"]:
            yield self.trial(trial)

    def __len__(self) -> int:
        return len(self.trials)

    def __repr__(self) -> str:
        t = self.trials
        return (f"<Dataset | {self._backend.describe()} | {self.path} | {t['subject'].nunique()} subjects, "
                f"{len(t)} trials, {len(self.annotations)} annotated expressions>")
