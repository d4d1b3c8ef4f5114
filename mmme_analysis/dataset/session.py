"""One participant's raw MMME session: its files found, read once, and its clocks aligned.

The EEG clock is the session's reference; BIOPAC and camera clocks are fitted to it from the
trigger markers. A fault in one modality (an unreadable BIOPAC export, a camera whose
markers do not fit) is recorded in :attr:`Session.problems` and that modality is left out,
so the rest of the session stays usable; a fault in the EEG (the reference) fails the
session, and :class:`~mmme_analysis.dataset.raw.RawBackend` records it and skips the
participant.
"""
from __future__ import annotations

import contextlib
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._warnings import MMMEWarning
from ..alignment import MAX_DRIFT_PPM, align_session
from ..errors import AlignmentError, DataFormatError
from ..vocab import MARKER_CATEGORIES, REST_MARKER

__all__ = ["Session", "scrub", "SHEET_NAME", "EEG_EXTENSIONS", "PERI_EXTENSIONS", "VIDEO_EXTENSIONS"]

EEG_EXTENSIONS = (".cdt", ".vhdr", ".set", ".edf", ".bdf", ".fif")
PERI_EXTENSIONS = (".mat", ".acq")
VIDEO_EXTENSIONS = (".avi", ".mp4")
_VIDEO_NAME = re.compile(r"^(?P<label>[A-Za-z]+)_(?P<index>\d+)_(?P<marker>\d{3})_(?P<name>.+)_(?P<date>\d{8})$")


def _files(folder: Path, extensions=None) -> list[Path]:
    """The visible files of ``folder`` (with one of ``extensions``, if given), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file()
                  and (extensions is None or p.suffix.lower() in extensions))


#: the coding sheet at the root of a raw MMME folder
SHEET_NAME = "coding_file.xlsx"
#: how far (s) a coded expression may reach past its trial's ends (a frame or two of rounding)
_ROW_SLACK_S = 0.05


def _row_list(rows: pd.DataFrame) -> str:
    if "source_row" not in rows:
        return "?"
    return ", ".join(str(int(r)) for r in rows["source_row"][:5]) + (" ..." if len(rows) > 5 else "")


#: where the unscrubbed text of every scrubbed message goes, at DEBUG level: silent unless
#: the user attaches a handler (``mmme --path-log FILE``, or :mod:`logging` configuration)
PATH_LOG = logging.getLogger("mmme_analysis.paths")


def scrub(text, folder: Path, subject: str) -> str:
    """``text`` with ``folder`` shown below its dataset and the participant's name replaced by ``subject``.

    The original text, when it differed, is logged to :data:`PATH_LOG` (opt-in: nothing is
    written unless a handler is attached to it).
    """
    text = str(text)
    out = text.replace(str(folder.parent) + "/", "").replace(folder.name, subject)
    if out != text:
        PATH_LOG.debug("%s: %s", subject, text)
    return out


class Session:
    """Everything of one participant's session that trials share (read once, cached)."""

    def __init__(self, folder: Path, subject: str, annotations: pd.DataFrame):
        from ..io.biopac import find_biopac_events, read_biopac
        from ..io.eeg import find_eeg_events, read_eeg

        self.folder, self.subject = folder, subject
        self.problems = []  # rows of Dataset.problems: modalities left out of this session
        self.eeg_file = self._one_file("EEG", EEG_EXTENSIONS, "EEG recording")
        self.peri_file = self._one_file("PERI", PERI_EXTENSIONS, "BIOPAC export")
        self.videos = {}
        for p in sorted((folder / "video").glob("*")) if (folder / "video").is_dir() else []:
            m = _VIDEO_NAME.match(p.stem)
            if p.suffix.lower() in VIDEO_EXTENSIONS and m:
                marker = int(m["marker"])
                if marker in self.videos:  # which one is the trial's cannot be known: use neither
                    self._problem("video", p, f"two videos for marker {marker}: {self.shown(self.videos[marker])} and "
                                  f"{self.shown(p)}; expected one video per trial (both are left out)", marker=marker)
                    self.videos[marker] = None
                else:
                    self.videos[marker] = p
        self.videos = {k: v for k, v in self.videos.items() if v is not None}
        self.frame_dirs = {}
        if (folder / "frames").is_dir():
            for p in sorted((folder / "frames").iterdir()):
                if p.is_dir() and p.name.isdigit():
                    self.frame_dirs[int(p.name)] = p

        # the EEG is the reference clock: an error here fails the session
        with self.scrubbed_warnings():
            self.raw = read_eeg(self.eeg_file) if self.eeg_file else None
            self.eeg_events = self._known_events(find_eeg_events(self.raw)) if self.raw is not None else None
        self.rows = annotations[annotations["subject"] == subject]
        self.bio = None
        self.fits = {}
        failures = []  # (modality, file, error) left out; reported once the EEG is known to be sound
        if self.peri_file:
            try:
                with self.scrubbed_warnings():
                    self.bio = read_biopac(self.peri_file)
                events = find_biopac_events(self.bio)
                if self.eeg_events is not None:
                    self.fits.update(align_session(self.eeg_events, {"biopac": events},
                                                   sources={"biopac": self.shown(self.peri_file)}))
                    self._check_eeg_end(events)
            except (DataFormatError, AlignmentError, ValueError, OSError) as err:
                self.bio = None
                failures.append(("peri", self.peri_file, err))
        try:
            self.camera_starts = self._camera_starts()
            if self.camera_starts and self.eeg_events is not None:
                cam = pd.DataFrame({"marker": list(self.camera_starts), "time": list(self.camera_starts.values())})
                with warnings.catch_warnings():
                    # the camera only sees stimulus markers, not the rest marker 100
                    warnings.filterwarnings("ignore", message=r"camera.*markers \[100\] are on the EEG",
                                            category=MMMEWarning)
                    ref = self.eeg_events[self.eeg_events["marker"] != 100]
                    where = folder / ("frames" if self.frame_dirs else "video")
                    self.fits.update(align_session(ref, {"camera": cam}, sources={"camera": self.shown(where)}))
        except (DataFormatError, AlignmentError, ValueError, OSError) as err:
            # video times cannot be put on the trial axis: leave the videos out rather than show them misplaced
            failures.append(("video", folder / ("frames" if self.frame_dirs else "video"), err))
            self.videos, self.frame_dirs, self.camera_starts = {}, {}, {}
        drifting = [f for f in failures if isinstance(f[2], AlignmentError) and "clock drift" in str(f[2])]
        if len(drifting) >= 2 and len(drifting) == len(failures):  # every other clock disagrees with the EEG's
            raise DataFormatError(
                f"{self.shown(self.eeg_file)}: the BIOPAC and camera clocks both drift against the EEG beyond "
                f"{MAX_DRIFT_PPM:g} ppm ({'; '.join(self.scrub(e) for _, _, e in drifting)}); expected the EEG "
                f"header's sampling interval to be right: it is probably wrong")
        for modality, path, err in failures:
            self._problem(modality, path, err)
        self._check_coverage()

    def _check_coverage(self) -> None:
        """Warn about what the session's files and the sheet's rows do not cover (nothing is silently in no trial)."""
        if self.eeg_file is None:
            warnings.warn(f"{self.subject}: no EEG recording (EEG/ is missing or empty): its trials have no EEG, and no "
                          f"BIOPAC signals or camera clock fit either (the EEG is the reference clock of a session)",
                          MMMEWarning, stacklevel=4)
        self._rows = {}
        if self.eeg_events is None:
            return
        markers = self.stimulus_markers()
        for marker in sorted(set(self.videos) - set(markers)):
            warnings.warn(f"{self.subject}: the video {self.shown(self.videos.pop(marker))} is named for marker {marker}, "
                          f"which is not a trial of the session (no marker {marker} on the EEG): ignored",
                          MMMEWarning, stacklevel=4)
        for marker, rows in self.rows.groupby("marker"):
            if int(marker) not in markers:
                warnings.warn(f"{SHEET_NAME} row(s) {_row_list(rows)}: {self.subject} marker {int(marker)} is not a trial "
                              f"of the session (no marker {int(marker)} on the EEG): in no trial", MMMEWarning,
                              stacklevel=4)
        coded = sorted(int(m) for m in set(self.rows["marker"]) & set(markers))
        unseen = [m for m in coded if m not in self.videos and m not in self.frame_dirs]
        if unseen:
            warnings.warn(f"{self.subject}: {SHEET_NAME} codes expressions on trial(s) "
                          f"{', '.join(f'{self.subject}_{m}' for m in unseen)} but video/ has no video for marker(s) "
                          f"{', '.join(map(str, unseen))} (missing?): those trials have no video", MMMEWarning,
                          stacklevel=4)
        for marker in markers:
            rows = self.rows[self.rows["marker"] == marker]
            if rows.empty:
                self._rows[marker] = rows
                continue
            t0, t1 = self.window(marker)
            on = self.video_time(marker, rows["onset"].to_numpy(float))
            off = self.video_time(marker, rows["offset"].to_numpy(float))
            # a trial cut short by the end of the recording (said above) keeps its rows
            inside = (on >= -_ROW_SLACK_S) & ((off <= t1 - t0 + _ROW_SLACK_S) | (not self.closed(marker)))
            if not inside.all():
                out = rows[~inside]
                warnings.warn(f"{SHEET_NAME} row(s) {_row_list(out)}: trial {self.subject}_{marker}'s expression is coded "
                              f"at {on[~inside][0]:.3f}-{off[~inside][0]:.3f} s, outside the {t1 - t0:.3f} s trial; "
                              f"expected times within the trial: left out", MMMEWarning, stacklevel=4)
            self._rows[marker] = rows[inside]

    def trial_rows(self, marker: int) -> pd.DataFrame:
        """The annotation rows of one trial (those coded outside the trial left out, see the session's warnings)."""
        return self._rows[marker] if marker in self._rows else self.rows[self.rows["marker"] == marker]

    # -- files and events ------------------------------------------------------------------
    def _one_file(self, sub: str, extensions, what: str) -> Path | None:
        """The session's one file of a kind in ``<folder>/<sub>/``; a warning when there are several or none
        of a folder that holds other files (e.g. a BrainVision ``.eeg`` without its ``.vhdr`` header)."""
        # the export named after the participant (``PERI/<name>.mat``) or the first recording, before any other
        files = sorted(_files(self.folder / sub, extensions), key=lambda f: (f.stem != self.folder.name, f.name))
        if len(files) > 1:
            warnings.warn(f"{self.subject}: more than one {what} in {sub}/ ({len(files)}: "
                          f"{', '.join(self.shown(f) for f in files)}); "
                          f"expected one per session: {self.shown(files[0])} is used, the others are ignored",
                          MMMEWarning, stacklevel=4)
        if not files and _files(self.folder / sub):
            others = _files(self.folder / sub)
            warnings.warn(f"{self.subject}: no {what} in {sub}/ (it holds {', '.join(self.shown(f) for f in others[:5])}); "
                          f"expected a file ending in {', '.join(extensions)} (a missing header?): this session has no "
                          f"{sub} data", MMMEWarning, stacklevel=4)
        return files[0] if files else None

    def _known_events(self, events: pd.DataFrame) -> pd.DataFrame:
        """EEG trigger onsets of known markers (the rest marker and 101-148); a warning names the others."""
        known = events["marker"].isin([REST_MARKER, *MARKER_CATEGORIES])
        if not known.all():
            odd = events[~known]
            where = ", ".join(f"{int(m)} at {t:.3f} s" for m, t in zip(odd["marker"][:5], odd["time"][:5]))
            warnings.warn(f"{self.shown(self.eeg_file)}: trigger code(s) {where}{' ...' if len(odd) > 5 else ''} are "
                          f"not a stimulus marker (101-148) or the rest marker {REST_MARKER}: ignored (trigger "
                          f"glitches?)", MMMEWarning, stacklevel=4)
        events = events[known].reset_index(drop=True)
        stim = events[events["marker"] != REST_MARKER]
        for marker, times in stim.groupby("marker")["time"]:
            if len(times) > 1:
                warnings.warn(f"{self.shown(self.eeg_file)}: marker {int(marker)} occurs more than once ({len(times)} "
                              f"times) on the EEG trigger channel (at {', '.join(f'{t:.3f}' for t in times)} s); expected once per "
                              f"session: trial {self.subject}_{int(marker)} is the first occurrence", MMMEWarning,
                              stacklevel=4)
        return events

    def _check_eeg_end(self, device_events: pd.DataFrame) -> None:
        """Warn when BIOPAC markers fall after the end of the EEG recording (a truncated EEG data file)."""
        fit = self.fits.get("biopac")
        if fit is None or device_events.empty:
            return
        sfreq, n = self.raw.info["sfreq"], self.raw.n_times
        t_ref = fit.to_reference(device_events["time"].to_numpy(float))
        late = t_ref > n / sfreq
        if late.any():
            need = int(np.ceil(t_ref[late].max() * sfreq)) + 1
            cut = [f"{self.subject}_{m}" for m in self.stimulus_markers() if self.window(m)[1] >= n / sfreq]
            warnings.warn(
                f"{self.shown(self.eeg_file)}: the EEG recording ends at {n / sfreq:.3f} s ({n} samples) but the BIOPAC "
                f"recording has {int(late.sum())} marker onset(s) after it (up to {t_ref[late].max():.3f} s on the EEG "
                f"clock); expected at least {need} samples: the EEG data file is probably truncated"
                + (f"; trial {', '.join(cut)} is cut short at the end of the recording" if cut else ""),
                MMMEWarning, stacklevel=4)

    @contextlib.contextmanager
    def scrubbed_warnings(self):
        """Re-emit the warnings of the block with participant names scrubbed (readers name their files)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for w in caught:
            warnings.warn(self.scrub(w.message), w.category, stacklevel=3)

    def scrub(self, text) -> str:
        """``text`` with this session's folder shown as below the dataset, participant name pseudonymised."""
        return scrub(text, self.folder, self.subject)

    def _problem(self, modality: str, path, error, *, marker: int | None = None) -> None:
        message = self.scrub(f"{type(error).__name__}: {error}" if isinstance(error, Exception) else error)
        self.problems.append({"subject": self.subject, "trial": f"{self.subject}_{marker}" if marker else "",
                              "modality": modality, "file": self.shown(path), "error": message})
        warnings.warn(f"{self.subject}: {modality} left out: {message}", MMMEWarning, stacklevel=4)

    def _camera_starts(self) -> dict:
        """Camera clock (s since midnight) at the first frame of each trial whose start is known.

        From the first XIMEA frame name when the trial has a frame folder, else from the
        annotated rows (median of ``stamp - seconds from trial start``).
        """
        from ..io.video import read_frames

        starts = {}
        annotated = set(int(m) for m in self.rows["marker"].dropna()) if "marker" in self.rows else set()
        for marker in sorted(set(self.videos) | set(self.frame_dirs) | annotated):
            if marker in self.frame_dirs:
                starts[marker] = float(read_frames(self.frame_dirs[marker])["stamp"].values[0])
                continue
            rows = self.rows[self.rows["marker"] == marker]
            if "onset_stamp" in rows and rows["onset_stamp"].notna().any():
                starts[marker] = float(np.median(rows["onset_stamp"] - rows["onset"]))
        return starts

    def shown(self, path) -> str:
        """A file's path for display: relative to the dataset, participant name replaced by the id."""
        if path is None:
            return ""
        path = Path(path)
        for base, top in ((self.folder.parent, None), (self.folder.resolve(), self.folder.name),
                          (self.folder.parent.resolve(), None)):
            try:
                rel = path.relative_to(base)
            except ValueError:
                continue
            return str(Path(top, rel) if top else rel).replace(self.folder.name, self.subject)
        # a linked file outside the dataset (a symbolic link's target): its name only
        return path.name.replace(self.folder.name, self.subject)

    def stimulus_markers(self) -> list[int]:
        """The session's stimulus markers in recording order, each once (its first onset)."""
        if self.eeg_events is not None:
            ev = self.eeg_events
            return list(dict.fromkeys(int(m) for m in ev.loc[(ev["marker"] >= 101) & (ev["marker"] <= 148), "marker"]))
        return sorted(set(self.videos) | set(self.frame_dirs))

    def window(self, marker: int) -> tuple[float, float]:
        """(start, end) of a trial on the EEG clock (s): its marker to the next marker."""
        ev = self.eeg_events
        on = ev.loc[ev["marker"] == marker, "time"].to_numpy()
        if on.size == 0:
            raise DataFormatError(f"{self.eeg_file}: marker {marker} not found in the EEG trigger channel")
        t0 = float(on[0])
        later = ev.loc[ev["time"] > t0, "time"].to_numpy()
        t1 = float(later[0]) if later.size else self.raw.n_times / self.raw.info["sfreq"]
        return t0, t1

    def closed(self, marker: int) -> bool:
        """Whether a trial ends at the next marker (False: at the end of the recording, e.g. a truncated file)."""
        ev = self.eeg_events
        t0 = self.window(marker)[0]
        return bool((ev["time"] > t0).any())

    def video_time(self, marker: int, seconds) -> np.ndarray:
        """Map seconds from the start of a trial video to the trial axis (s)."""
        seconds = np.asarray(seconds, float)
        cam = self.fits.get("camera")
        start = self.camera_starts.get(marker)
        if cam is None or start is None or self.eeg_events is None:
            return seconds
        t0, _ = self.window(marker)
        return cam.to_reference(start + seconds) - t0


