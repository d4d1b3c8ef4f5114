"""A dataset read straight from the raw MMME layout (see ``docs/data_model.md``).

Each participant folder is one session. The EEG clock is the session's reference: BIOPAC and
camera clocks are fitted to it from the trigger markers (:mod:`mmme_analysis.alignment`), and
every trial is put on one axis, seconds from its stimulus-onset marker.

Camera marker times come from XIMEA frame names when ``frames/<marker>/`` exists, else from
the coding file: each annotated row gives a (wall-clock stamp, seconds from trial start) pair,
so ``stamp - time`` is the camera time at which the trial video started.
"""
from __future__ import annotations

import collections
import warnings
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_path
from .._warnings import MMMEWarning
from ..alignment import fits_to_json
from ..errors import AlignmentError, DataFormatError
from ..vocab import STIMULUS_CATEGORIES, marker_category
from .base import Backend, events_dataset, trials_frame, video_file_frame
from .session import SHEET_NAME, Session, scrub

__all__ = ["RawBackend", "find_participants", "trial_id", "pseudonyms", "resolve_shown"]



def trial_id(subject: str, marker: int) -> str:
    """The trial id of an MMME trial: ``<subject>_<marker>`` (``sub-01_101``)."""
    return f"{subject}_{int(marker)}"


def pseudonyms(root: Path, participants=None) -> dict:
    """{real name: pseudonym} of a raw MMME folder: ``sub-01``, ... in sorted order of the
    participant folder names, then the coding sheet's ``Subject`` names that have no folder
    (so an extra name in the sheet does not shift the participants' pseudonyms)."""
    participants = find_participants(root) if participants is None else participants
    names = sorted({p.name for p in participants})
    sheet = Path(root) / SHEET_NAME
    if sheet.is_file():
        try:
            coded = set(pd.read_excel(sheet, usecols=["Subject"])["Subject"].dropna().astype(str).str.strip())
        except (ValueError, OSError, KeyError):  # an unreadable sheet is reported by its reader
            coded = set()
        names += sorted(coded - set(names))  # after the folders: a sheet-only name shifts no folder's pseudonym
    return {n: f"sub-{i + 1:02d}" for i, n in enumerate(names)}


def resolve_shown(root: Path, shown: str) -> Path:
    """The real path of a file shown pseudonymised (``sub-01/video/..._sub-01_...avi``) below ``root``.

    Inverse of the display paths of :class:`RawBackend` (participant folder and name
    replaced by the pseudonym); used by stores that reference raw videos.
    """
    subject = Path(shown).parts[0]
    real = {v: k for k, v in pseudonyms(root).items()}.get(subject)
    if real is None:
        raise FileNotFoundError(f"Invalid value for 'shown': expected a file of a participant of {root}, "
                                f"got {shown!r} (no participant {subject})")
    return Path(root) / shown.replace(subject, real)


_MODALITY_DIRS = ("EEG", "PERI", "video", "frames")


def find_participants(root: Path, *, warn: bool = False) -> list[Path]:
    """Participant folders of a raw MMME tree (those holding EEG/, PERI/, video/ or frames/ with
    at least one file in them: an empty participant folder takes no pseudonym, so that it shifts
    no other participant's; ``warn``: an :class:`MMMEWarning` counts those left out)."""
    found, empty = [], 0
    for p in sorted(root.iterdir()):
        if p.is_dir() and not p.name.startswith(".") and any((p / d).is_dir() for d in _MODALITY_DIRS):
            if any(f.is_file() and not f.name.startswith(".") for d in _MODALITY_DIRS if (p / d).is_dir()
                   for f in (p / d).rglob("*")):
                found.append(p)
            else:
                empty += 1
    if empty and warn:  # the folder's name is the participant's: not shown
        warnings.warn(f"{root.name}: {empty} participant folder(s) hold empty EEG/, PERI/, video/ or frames/ folders "
                      "(no recording): left out, with no pseudonym", MMMEWarning, stacklevel=3)
    return found


class RawBackend(Backend):
    """Backend over a raw MMME-layout folder (real release or ``mmme synth`` output)."""

    name = "raw"
    #: sessions kept in memory at once (see :meth:`session`)
    max_sessions = 2

    def __init__(self, path):
        from ..io.coding import read_coding_file

        root = check_path("path", path, kind="dir")
        self.path = root
        self.participants = find_participants(root, warn=True)
        if not self.participants:
            raise DataFormatError(
                f"{root}: no participant folder found; expected folders holding EEG/, PERI/, video/ or frames/"
            )
        sheet = root / SHEET_NAME
        self._names = pseudonyms(root, self.participants)
        self._folders = {self._names[p.name]: p for p in self.participants}
        self._sheet_problems, self._problems = [], []
        if sheet.is_file():
            self._annotations = read_coding_file(sheet, names=self._names)
            orphans = self._annotations.loc[~self._annotations["subject"].isin(list(self._folders)), "subject"]
            for subject, n in orphans.value_counts().sort_index().items():
                self._sheet_problems.append({"subject": subject, "trial": "", "modality": "annotations",
                                             "file": sheet.name, "error": f"{n} coded rows match no participant folder"})
                warnings.warn(f"{sheet.name}: {n} rows of {subject} match no participant folder of the dataset; "
                              f"expected a folder for every coded subject (those rows are in no trial)",
                              MMMEWarning, stacklevel=3)
            coded = set(self._annotations["subject"])
            for subject in sorted(set(self._folders) - coded):
                warnings.warn(f"{sheet.name}: no coded rows for {subject} (a participant folder of the dataset): its "
                              f"trials have no events and its videos no camera clock fit", MMMEWarning, stacklevel=3)
        else:
            self._annotations = pd.DataFrame(columns=["trial", "subject", "marker", "onset", "apex", "offset", "kind"])
            warnings.warn(f"{root.name}: no coding sheet {SHEET_NAME} at the root: no annotations (the trials have no "
                          f"events, the videos no camera clock fit)", MMMEWarning, stacklevel=3)
        self._sessions = collections.OrderedDict()  # least recently used first
        self._trials = None
        self._keys = {}  # trial id -> (subject, marker)

    def session(self, subject: str) -> Session:
        """The session of one participant (files read once, then kept while recently used).

        At most ``max_sessions`` sessions stay in memory: a real MMME session holds ~0.6 GB of
        BIOPAC samples, so keeping every participant's would not scale.
        """
        if subject in self._sessions:
            self._sessions.move_to_end(subject)
            return self._sessions[subject]
        if subject not in self._folders:
            raise KeyError(f"Invalid value for 'subject': expected one of {sorted(self._folders)}, got {subject!r}")
        ses = Session(self._folders[subject], subject, self._annotations)
        self._sessions[subject] = ses
        while len(self._sessions) > self.max_sessions:
            self._sessions.popitem(last=False)
        return ses

    @property
    def annotations(self) -> pd.DataFrame:
        return self._annotations

    @property
    def trials(self) -> pd.DataFrame:
        if self._trials is None:
            rows, self._problems = [], list(self._sheet_problems)
            for subject in sorted(self._folders):
                try:
                    ses = self.session(subject)
                except (DataFormatError, AlignmentError, ValueError, OSError) as err:
                    # one bad participant must not make the others unusable: record it and go on
                    text = scrub(err, self._folders[subject], subject)
                    self._problems.append({"subject": subject, "trial": "", "modality": "session",
                                           "file": subject, "error": f"{type(err).__name__}: {text}"})
                    warnings.warn(f"{subject}: left out: {type(err).__name__}: {text}", MMMEWarning, stacklevel=3)
                    continue
                self._problems.extend(ses.problems)
                for marker in ses.stimulus_markers():
                    ann = ses.trial_rows(marker)
                    cat = marker_category(marker)
                    trial = trial_id(subject, marker)
                    self._keys[trial] = (subject, marker)
                    video = ses.videos.get(marker)
                    rows.append({
                        "trial": trial, "subject": subject, "marker": marker,
                        # the clip id from the video, else from the sheet (a missing video keeps its trial's clip)
                        "clip": Path(ses.shown(video)).stem if video is not None else
                        (str(ann["clip"].iloc[0]) if len(ann) and "clip" in ann else ""),
                        "category": cat, "category_name": STIMULUS_CATEGORIES.get(cat, ""),
                        "n_events": len(ann), "n_me": int((ann["kind"] == "micro").sum()),
                        "n_mae": int((ann["kind"] == "macro").sum()),
                        "has_video": marker in ses.videos or marker in ses.frame_dirs,
                        "has_eeg": ses.raw is not None, "has_peri": ses.bio is not None,
                    })
            self._trials = trials_frame(rows)
        return self._trials

    # -- loading ----------------------------------------------------------------------------
    def load(self, trial: str) -> xr.DataTree:
        self.trials  # noqa: B018 - fills the id -> (subject, marker) map
        subject, marker = self._keys[trial]
        ses = self.session(subject)
        try:
            with ses.scrubbed_warnings():
                return self._load(ses, trial, marker)
        except (DataFormatError, AlignmentError, ValueError, OSError) as err:  # readers quote full paths
            raise _scrubbed_error(err, ses) from None

    def _load(self, ses: Session, trial: str, marker: int) -> xr.DataTree:
        subject = ses.subject
        nodes = {}
        window = None
        if ses.raw is not None:
            t0, t1 = window = ses.window(marker)
            nodes["/eeg"] = self._eeg_node(ses, t0, t1, trial)
            if ses.bio is not None:
                nodes["/peri"] = self._peri_node(ses, t0, t1, trial)
        left_out = []
        video = self._video_node(ses, marker, trial, window, left_out)
        if video is not None:
            nodes["/video"] = video
        for where, why in left_out:  # listed in ds.problems once per trial, as a session's are
            row = {"subject": subject, "trial": trial, "modality": "video", "file": ses.shown(where), "error": why}
            if row not in self._problems:
                self._problems.append(row)
        rows = ses.trial_rows(marker)
        nodes["/events"] = events_dataset(
            rows, *(ses.video_time(marker, rows[k].to_numpy(float)) for k in ("onset", "apex", "offset"))
        )
        tree = xr.DataTree.from_dict(nodes)
        cat = marker_category(marker)
        tree.attrs.update({
            "trial": trial, "subject": subject, "marker": int(marker), "category": int(cat),
            "category_name": STIMULUS_CATEGORIES.get(cat, ""), "dataset": "mmme",
            "alignment": fits_to_json(ses.fits),
            "missing": ",".join(k for k in ("video", "eeg", "peri") if f"/{k}" not in nodes),
        })
        return tree

    def frame(self, trial: str, index: int, *, node: str = "video", width: int | None = None) -> np.ndarray:
        """One frame: a single frame-exact seek + decode in the trial video (no chunk), scaled to ``width``."""
        self.trials  # noqa: B018 - fills the id -> (subject, marker) map
        subject, marker = self._keys[trial]
        ses = self.session(subject)
        try:
            if node == "video" and marker in ses.videos:
                return video_file_frame(ses.videos[marker], index, label=f"trial {trial}", width=width)
            return super().frame(trial, index, node=node, width=width)
        except (DataFormatError, AlignmentError, ValueError, OSError) as err:  # readers quote full paths
            raise _scrubbed_error(err, ses) from None

    @staticmethod
    def _eeg_node(ses: Session, t0: float, t1: float, trial: str) -> xr.Dataset:
        raw = ses.raw
        sfreq = raw.info["sfreq"]
        start, stop = int(round(t0 * sfreq)), int(round(t1 * sfreq))
        all_types = raw.get_channel_types()
        picks = [i for i, ty in enumerate(all_types) if ty != "stim"]
        names = [raw.ch_names[i] for i in picks]
        types = [all_types[i] for i in picks]
        pos = np.array([raw.info["chs"][i]["loc"][:3] for i in picks], float)
        pos[~np.isfinite(pos).all(1) | (np.abs(pos).sum(1) == 0)] = np.nan
        # one dask chunk per second: a trial is read (and converted) second by second
        step = max(1, int(round(sfreq)))
        edges = list(range(start, stop, step)) + [stop]
        get = dask.delayed(_eeg_block, pure=True)
        label = f"trial {trial} ({ses.shown(ses.eeg_file)})"
        data = da.concatenate([da.from_delayed(get(raw.get_data, picks, a, b, label, names, sfreq, t0),
                                               shape=(len(picks), b - a),
                                               dtype=float) for a, b in zip(edges[:-1], edges[1:])], axis=1) \
            if stop > start else da.zeros((len(picks), 0))
        ds = xr.Dataset(
            {"eeg": (("channel", "time"), data, {"units": "V"})},
            coords={
                "channel": names, "ch_type": ("channel", types), "pos": (("channel", "xyz"), pos),
                "time": np.arange(stop - start) / sfreq + (start / sfreq - t0),
            },
            attrs={"sfreq": float(sfreq), "units": "V", "source": ses.shown(ses.eeg_file)},
        )
        ds["time"].attrs["units"] = "s"
        return ds

    @staticmethod
    def _peri_node(ses: Session, t0: float, t1: float, trial: str) -> xr.Dataset:
        bio = ses.bio
        sfreq = float(bio.attrs["sfreq"])
        fit = ses.fits.get("biopac")
        t = np.arange(int(round((t1 - t0) * sfreq))) / sfreq
        dev_t = fit.to_device(t0 + t) if fit is not None else t0 + t
        src_t = bio["time"].values
        # only the samples around the window are read (the recording is read in place, lazily)
        i0, i1 = np.searchsorted(src_t, [dev_t[0], dev_t[-1]]) if t.size else (0, 0)
        cut = slice(max(int(i0) - 1, 0), min(int(i1) + 2, src_t.size))
        part = bio.isel(time=cut).drop_vars("trigger", errors="ignore").compute()
        ds = xr.Dataset(coords={"time": ("time", t, {"units": "s"})},
                        attrs={"sfreq": sfreq, "source": ses.shown(ses.peri_file)})
        for var in part.data_vars:
            bad = ~np.isfinite(np.asarray(part[var].values, float))
            if bad.any():  # kept NaN (never interpolated over), and said
                at = src_t[cut][bad]
                warnings.warn(f"trial {trial}: {var} has {int(bad.sum())} NaN / non-finite samples in "
                              f"{ses.shown(ses.peri_file)} (device time {at[0]:.3f}-{at[-1]:.3f} s); expected finite "
                              f"values: the trial's {var} is NaN around them", MMMEWarning, stacklevel=4)
            ds[var] = ("time", np.interp(dev_t, src_t[cut], np.asarray(part[var].values, float), left=np.nan,
                                         right=np.nan), {"units": bio[var].attrs.get("units", "")})
        return ds

    @staticmethod
    def _video_node(ses: Session, marker: int, trial: str, window=None, left_out=None) -> xr.Dataset | None:
        """The trial's video node, or None; a video that cannot be used goes to ``left_out`` (file, why)."""
        left_out = [] if left_out is None else left_out
        from ..io.video import read_frames, read_video

        if marker not in ses.videos and marker not in ses.frame_dirs:
            return None
        where = ses.videos.get(marker, ses.frame_dirs.get(marker))
        try:
            frames = read_video(where) if marker in ses.videos else read_frames(where)
        except DataFormatError as err:  # the trial's EEG and BIOPAC signals stay usable
            left_out.append((where, f"{type(err).__name__}: {ses.scrub(err)}"))
            warnings.warn(f"trial {trial}: video left out: {ses.scrub(err)}", MMMEWarning, stacklevel=4)
            return None
        fps = float(frames.attrs["fps"])
        n = frames.sizes["time"]
        if (window is not None and marker in ses.videos and n > 1 and ses.closed(marker)
                and not _plausible_rate(n, fps, window[1] - window[0])):
            expected = n / (window[1] - window[0])
            text = (f"the video {ses.shown(where)} says {fps:g} fps, but its {n} frames would then last {n / fps:.3f} s "
                    f"for a {window[1] - window[0]:.3f} s trial; expected about {expected:.0f} fps (a wrong frame rate "
                    "in the header?)")
            left_out.append((where, text))
            warnings.warn(f"trial {trial}: {text}: the trial's video is left out", MMMEWarning, stacklevel=4)
            return None
        t = ses.video_time(marker, np.arange(n) / fps)
        da_ = frames.drop_vars([c for c in frames.coords if c != "frame"])
        da_ = da_.assign_coords(time=("time", t, {"units": "s"}))
        ds = da_.to_dataset(name="frames")
        ds.attrs = {"fps": fps, "source": ses.shown(where)}  # the path in the dataset (a link's target may be anywhere)
        return ds


#: most a video's duration (frames / header fps) may differ from its trial's (factor): the camera runs
#: through the stimulus, so a header rate off by more (30 or 25 fps for a 150 fps camera) is wrong
MAX_VIDEO_DURATION_FACTOR = 2.0


def _plausible_rate(n_frames: int, fps: float, trial_s: float) -> bool:
    if trial_s <= 0:
        return True
    ratio = (n_frames / fps) / trial_s
    return 1 / MAX_VIDEO_DURATION_FACTOR <= ratio <= MAX_VIDEO_DURATION_FACTOR


def _eeg_block(get, picks, start: int, stop: int, label: str, names, sfreq: float, t0: float) -> np.ndarray:
    """One block of EEG samples; an :class:`MMMEWarning` names NaN samples (kept as NaN)."""
    x = get(picks=picks, start=start, stop=stop)
    bad = np.isnan(x)
    if bad.any():
        cols = np.flatnonzero(bad.any(axis=0))
        chans = [names[i] for i in np.flatnonzero(bad.any(axis=1))]
        warnings.warn(f"{label}: {int(bad.sum())} NaN EEG samples in {len(chans)} channel(s) ({', '.join(chans[:4])}"
                      f"{' ...' if len(chans) > 4 else ''}) at {(start + cols[0]) / sfreq - t0:.3f}-"
                      f"{(start + cols[-1] + 1) / sfreq - t0:.3f} s of the trial; expected finite samples: kept as NaN",
                      MMMEWarning, stacklevel=2)
    return x


def _scrubbed_error(err: Exception, ses: Session) -> Exception:
    """``err`` again (same type) with its message scrubbed of the participant's folder and name."""
    text = ses.scrub(err.args[0] if isinstance(err, KeyError) and err.args else str(err))
    try:
        return type(err)(text)
    except TypeError:  # an exception type with another signature
        return DataFormatError(f"{type(err).__name__}: {text}")
