"""One participant's raw MMME session: its files found, read once, and its clocks aligned.

The EEG clock is the session's reference; BIOPAC and camera clocks are fitted to it from the
trigger markers. A fault in one modality (an unreadable BIOPAC export, a camera whose
markers do not fit) is recorded in :attr:`Session.problems` and that modality is left out,
so the rest of the session stays usable; a fault in the EEG (the reference) fails the
session, and :class:`~mmme_analysis.dataset.raw.RawBackend` records it and skips the
participant.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._warnings import MMMEWarning
from ..alignment import MAX_DRIFT_PPM, align_session
from ..errors import AlignmentError, DataFormatError

__all__ = ["Session", "scrub", "EEG_EXTENSIONS", "PERI_EXTENSIONS", "VIDEO_EXTENSIONS"]

EEG_EXTENSIONS = (".cdt", ".vhdr", ".set", ".edf", ".bdf", ".fif")
PERI_EXTENSIONS = (".mat", ".acq")
VIDEO_EXTENSIONS = (".avi", ".mp4")
_VIDEO_NAME = re.compile(r"^(?P<label>[A-Za-z]+)_(?P<index>\d+)_(?P<marker>\d{3})_(?P<name>.+)_(?P<date>\d{8})$")


def _first(folder: Path, extensions) -> Path | None:
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in extensions and not p.name.startswith("."))
    return files[0] if files else None


def scrub(text, folder: Path, subject: str) -> str:
    """``text`` with ``folder`` shown below its dataset and the participant's name replaced by ``subject``."""
    return str(text).replace(str(folder.parent) + "/", "").replace(folder.name, subject)


class Session:
    """Everything of one participant's session that trials share (read once, cached)."""

    def __init__(self, folder: Path, subject: str, annotations: pd.DataFrame):
        from ..io.biopac import find_biopac_events, read_biopac
        from ..io.eeg import find_eeg_events, read_eeg

        self.folder, self.subject = folder, subject
        self.eeg_file = _first(folder / "EEG", EEG_EXTENSIONS)
        self.peri_file = _first(folder / "PERI", PERI_EXTENSIONS)
        self.problems = []  # rows of Dataset.problems: modalities left out of this session
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
        self.raw = read_eeg(self.eeg_file) if self.eeg_file else None
        self.eeg_events = find_eeg_events(self.raw) if self.raw is not None else None
        self.rows = annotations[annotations["subject"] == subject]
        self.bio = None
        self.fits = {}
        failures = []  # (modality, file, error) left out; reported once the EEG is known to be sound
        if self.peri_file:
            try:
                self.bio = read_biopac(self.peri_file)
                events = find_biopac_events(self.bio)
                if self.eeg_events is not None:
                    self.fits.update(align_session(self.eeg_events, {"biopac": events},
                                                   sources={"biopac": self.shown(self.peri_file)}))
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
        rel = Path(path).relative_to(self.folder.parent)
        return str(rel).replace(self.folder.name, self.subject)

    def stimulus_markers(self) -> list[int]:
        if self.eeg_events is not None:
            ev = self.eeg_events
            return [int(m) for m in ev.loc[(ev["marker"] >= 101) & (ev["marker"] <= 148), "marker"]]
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

    def video_time(self, marker: int, seconds) -> np.ndarray:
        """Map seconds from the start of a trial video to the trial axis (s)."""
        seconds = np.asarray(seconds, float)
        cam = self.fits.get("camera")
        start = self.camera_starts.get(marker)
        if cam is None or start is None or self.eeg_events is None:
            return seconds
        t0, _ = self.window(marker)
        return cam.to_reference(start + seconds) - t0


