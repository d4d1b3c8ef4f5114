"""Video-only ME datasets whose videos are folders of images (CASME II, SAMM, CAS(ME)^2/^3).

The public micro-expression datasets ship each clip as a folder of numbered images plus one
coding sheet. :class:`ImageSequenceDataset` puts them behind the same dataset API as the MMME
raw layout (``docs/data_model.md``): ``annotations``, ``trials``, ``trial()``, ``window()``,
iteration, and conversion to a Zarr store. Trials have only ``video`` and ``events`` groups.

Layouts (the folders are searched anywhere below ``root``; the coding sheet is read with
:func:`mmme_analysis.io.coding.read_coding_file`):

==========  ==================================================================  ======
flavour     clip folder (frames)                                                fps
==========  ==================================================================  ======
casme2      ``<root>/.../sub01/EP02_01f/img46.jpg`` (or ``reg_img46.jpg``):      200
            folder = ``Filename``, parent = ``sub`` + the subject number
samm        ``<root>/.../006/006_1_2/006_05562.jpg``: folder = ``Filename``      200
            (parent ``006`` = subject when present)
casme_sq    ``<root>/.../rawpic/s15/15_0101disgustingteeth/img1.jpg``: parent     30
            ``s<nn>``, folder ``<nn>_<code>...``. The sheet's subject numbers
            (1-22) and video names (``disgust1``) map to folder numbers (15-40)
            and codes (``0101``) through the workbook's ``naming rule1`` /
            ``naming rule2`` sheets, else through the published tables
            (:data:`CASME_SQ_SUBJECTS`, :data:`CASME_SQ_VIDEOS`)
casme3      ``<root>/.../spNO.1/a/color/0.jpg`` (part A): a ``color`` folder      30
            whose parent = ``Filename`` and grandparent = the subject
            (``spNO.1``; letter case ignored, the releases mix ``spNO``/``spNo``)
==========  ==================================================================  ======

These layouts come from public code that reads the datasets (folder and file names quoted
there); they were not checked against the releases themselves. Matching is therefore
generic: image folders are indexed once (``os.walk``), a folder matches a trial when its name
equals the clip name (letter case ignored) and its parent folder carries the subject's number
(``sub01``, ``006``, ``spNO.1``, ``s15``). A ``color`` folder stands for its parent.

Conventions
-----------
* Frame numbers come from the file names (the last run of digits: ``img46.jpg`` -> 46,
  ``006_05562.jpg`` -> 5562) and the frames are ordered by them (natural order). The
  ``frame`` coordinate of the ``video`` node holds these numbers, because the coding sheets'
  onset/apex/offset frames refer to them; it is *not* a 0-based index for these datasets.
* ``time`` = ``(frame - first frame of the clip) / fps``: seconds from the clip's first image
  (the trial axis of a video-only dataset). Events are put on the same axis from their coded
  frame numbers.
* These datasets have no stimulus markers: ``trials["marker"]`` is :data:`NO_MARKER` (-1) and
  ``category`` -1. Trials are keyed by their clip id: ``ds.trial("sub-01", "sub-01_EP02_01f")``
  (the ``trial`` column, as in ``annotations["trial"]``) or by the clip name as in the sheet
  (``ds.trial("sub-01", "EP02_01f")``, the ``clip`` column) when it is unique for the subject.
* Frames are read lazily (dask, one chunk per second of video) with ``cv2.imread`` (-> RGB);
  only the image headers of the first frame of a clip are read when a trial is opened.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option, check_path, check_positive
from .._warnings import MMMEWarning
from ..errors import DataFormatError
from .base import Dataset, events_dataset
from .zarr import StoreDataset

__all__ = [
    "ImageSequenceDataset", "ImageSequenceStore", "find_coding_sheets", "index_image_folders",
    "frame_number", "NO_MARKER", "IMAGE_EXTENSIONS", "CASME_SQ_SUBJECTS", "CASME_SQ_VIDEOS",
]

#: ``marker`` (and ``category``) of a trial of a dataset without stimulus markers.
NO_MARKER = -1
#: File suffixes indexed as video frames.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
#: Suffixes of coding sheets looked for at the dataset root.
SHEET_SUFFIXES = (".xlsx", ".xls", ".csv")
#: CAS(ME)^2: subject number in ``CAS(ME)^2code_final.xlsx`` -> number of its ``rawpic/s<nn>``
#: folder (the workbook's ``naming rule1`` sheet, as quoted by public code).
CASME_SQ_SUBJECTS: dict[int, int] = {
    1: 15, 2: 16, 3: 19, 4: 20, 5: 21, 6: 22, 7: 23, 8: 24, 9: 25, 10: 26, 11: 27,
    12: 29, 13: 30, 14: 31, 15: 32, 16: 33, 17: 34, 18: 35, 19: 36, 20: 37, 21: 38, 22: 40,
}
#: CAS(ME)^2: video name in the sheet -> 4-digit code of its folder (``naming rule2``).
CASME_SQ_VIDEOS: dict[str, str] = {
    "disgust1": "0101", "disgust2": "0102", "anger1": "0401", "anger2": "0402",
    "happy1": "0502", "happy2": "0503", "happy3": "0505", "happy4": "0507", "happy5": "0508",
}
#: Columns of ``ImageSequenceDataset.trials`` (and of the store's trial summaries).
TRIAL_COLUMNS = ("subject", "marker", "trial", "clip", "category", "category_name", "n_events",
                 "n_me", "n_mae", "has_video", "has_eeg", "has_peri")

_SHEET_NAME = re.compile(r"cod(e|ing)|label", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
_CASME_SQ_FOLDER = re.compile(r"^(\d+)_(\d{4})")
_LAYOUT_HINT = ("clip folders of numbered images below the root, e.g. CASME II "
                "sub01/EP02_01f/img46.jpg, SAMM 006/006_1_2/006_05562.jpg, CAS(ME)^2 "
                "rawpic/s15/15_0101disgustingteeth/img1.jpg, CAS(ME)^3 spNO.1/a/color/0.jpg")


# --------------------------------------------------------------------------------- helpers
def _natural_key(text: str):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(text))]


def _trailing_number(text) -> int | None:
    """Trailing integer of an id or a cell (``"sub01"`` -> 1, ``"spNO.1"`` -> 1, ``15.0`` -> 15)."""
    if text is None:
        return None
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    m = re.search(r"(\d+)\s*$", str(text))
    return int(m[1]) if m else None


def frame_number(name: str) -> int | None:
    """Frame number of an image file name: its last run of digits (``reg_img46.jpg`` -> 46)."""
    m = _LAST_NUMBER.search(Path(name).stem)
    return int(m[1]) if m else None


def find_coding_sheets(root) -> list[Path]:
    """Coding-sheet candidates of a video-only dataset: ``.xlsx``/``.xls``/``.csv`` files at
    ``root`` or in a ``root/annotation*`` folder (hidden files and Office lock files skipped)."""
    root = Path(root)
    folders = [root] + sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower().startswith("annotation"))
    return [p for folder in folders for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in SHEET_SUFFIXES and not p.name.startswith((".", "~$"))]


def index_image_folders(root) -> dict[Path, tuple[str, ...]]:
    """Every folder below ``root`` that holds image files: ``{relative folder: file names}``.

    Hidden folders and files are skipped; symbolic links to folders are followed.
    """
    root = Path(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        names = tuple(f for f in filenames if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS))
        if names:
            out[Path(dirpath).relative_to(root)] = names
    return out


def _read_images(files, start: int, stop: int, shape) -> np.ndarray:
    """Decode ``files[start:stop]`` with OpenCV as (stop - start, H, W, 3) uint8 RGB."""
    out = np.empty((stop - start,) + tuple(shape), np.uint8)
    for i, f in enumerate(files[start:stop]):
        img = cv2.imread(f, cv2.IMREAD_COLOR)
        if img is None:
            raise DataFormatError(f"Cannot decode image file {f}: expected a JPEG/PNG/BMP/TIFF image "
                                  f"that OpenCV can read")
        if img.shape != out.shape[1:]:
            raise DataFormatError(f"Image file {f} has shape {img.shape}: expected {out.shape[1:]} like the "
                                  f"first frame of its folder")
        out[i] = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return out


def _image_shape(path: Path) -> tuple[int, int, int]:
    """(height, width, 3) of an image from its header (no pixel is decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataFormatError(f"Cannot read image file {path} ({type(exc).__name__}): expected a "
                              f"JPEG/PNG/BMP/TIFF image") from None
    return int(h), int(w), 3


def _casme_sq_tables(sheet: Path) -> tuple[dict[int, int], dict[str, str]]:
    """CAS(ME)^2 naming rules: the published tables, updated from the workbook's
    ``naming rule1`` (folder subject, prefix, sheet subject) and ``naming rule2`` (code,
    video name) sheets when it has them."""
    subjects, videos = dict(CASME_SQ_SUBJECTS), dict(CASME_SQ_VIDEOS)
    if sheet.suffix.lower() != ".xlsx":
        return subjects, videos
    import openpyxl

    try:
        wb = openpyxl.load_workbook(sheet, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - read_coding_file reports unreadable sheets
        return subjects, videos
    try:
        for ws in wb.worksheets[1:]:
            key = re.sub(r"[^0-9a-z]", "", ws.title.lower())
            for row in ws.iter_rows(values_only=True):
                cells = list(row[:3]) + [None] * (3 - len(row[:3]))
                if key == "namingrule1":  # folder subject (s15 / 15), prefix, subject number in the sheet
                    folder, sub = _trailing_number(cells[0]), _trailing_number(cells[2])
                    if folder is not None and sub is not None:
                        subjects[sub] = folder
                elif key == "namingrule2" and cells[1] is not None:  # folder code (0101), video name
                    code = _trailing_number(cells[0])
                    if code is not None:
                        videos[str(cells[1]).strip().lower()] = f"{code:04d}"
    finally:
        wb.close()
    return subjects, videos


class _ClipKeys:
    """Trials keyed by (subject, clip id) instead of (subject, marker)."""

    def _check_trial(self, subject, key) -> tuple[str, str]:
        t = self.trials
        rows = t[t["subject"] == subject]
        if rows.empty:
            raise KeyError(f"Invalid value for 'subject': expected one of {sorted(set(t['subject']))}, "
                           f"got {subject!r}")
        if not isinstance(key, str):
            raise KeyError(
                f"Invalid value for 'key': expected a clip id (str) of subject {subject} (this dataset has "
                f"no stimulus markers; trials are keyed by clip: {', '.join(rows['trial'][:5])}"
                f"{' ...' if len(rows) > 5 else ''}), got {key!r}"
            )
        hit = rows[rows["trial"] == key]
        if hit.empty and "clip" in rows:
            hit = rows[rows["clip"].astype(str) == key]
        if len(hit) != 1:
            what = "an unambiguous" if len(hit) > 1 else "a"
            raise KeyError(
                f"Invalid value for 'key': expected {what} clip id of subject {subject} of {self.path} "
                f"({', '.join(rows['trial'])}), got {key!r}"
            )
        return subject, str(hit["trial"].iloc[0])

    def __iter__(self):
        for s, key in zip(self.trials["subject"], self.trials["trial"]):
            yield self.trial(s, key)


# ---------------------------------------------------------------------------- the dataset
class ImageSequenceDataset(_ClipKeys, Dataset):
    """A video-only ME dataset stored as folders of images plus a coding sheet.

    Parameters
    ----------
    root : path-like
        Dataset folder; clip folders are searched anywhere below it (opened read-only).
    coding_file : path-like, optional
        The coding sheet; default: the one ``.xlsx``/``.xls``/``.csv`` at ``root`` (or in
        ``root/annotation*``) whose name says coding/code/label, e.g.
        ``CASME2-coding-20140508.xlsx``, ``SAMM_Micro_FACS_Codes_v2.xlsx``,
        ``CAS(ME)^2code_final.xlsx``, ``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx``.
    flavour : str
        ``"auto"`` or one of ``casme2``, ``samm``, ``casme_sq``, ``casme3`` (see
        :func:`~mmme_analysis.io.coding.read_coding_file`).
    fps : float, optional
        Frame rate (frames/s); default: the flavour's (CASME II/SAMM 200, CAS(ME)^2/^3 30).

    Raises
    ------
    DataFormatError
        No (or no unambiguous) coding sheet, an MMME coding sheet (use the raw MMME layout),
        or no image folder for any trial. A trial without an image folder only warns
        (:class:`~mmme_analysis.MMMEWarning`) and has ``has_video=False``.
    """

    kind = "imageseq"

    def __init__(self, root, coding_file=None, *, flavour: str = "auto", fps: float | None = None):
        from ..io.coding import FLAVOURS, read_coding_file

        root = check_path("root", root, kind="dir")
        check_option("flavour", flavour, ("auto",) + tuple(f for f in FLAVOURS if f != "mmme"))
        if fps is not None:
            fps = check_positive("fps", fps)
        super().__init__(root)
        sheet = self._find_sheet(root) if coding_file is None else check_path("coding_file", coding_file, kind="file")
        ann = read_coding_file(sheet, flavour=flavour, fps=fps)
        self.flavour = str(ann.attrs["flavour"])
        if self.flavour == "mmme":
            raise DataFormatError(
                f"{sheet}: an MMME coding sheet, but {root} has no participant folder; expected the MMME raw "
                f"layout (participant folders holding EEG/, PERI/, video/ or frames/) for it"
            )
        self.coding_file = sheet
        self.fps = float(ann.attrs["fps"])
        self._annotations = ann
        self._files = dict(ann.attrs.get("files", {}))
        self._subjects = dict(ann.attrs.get("subjects", {}))
        if self.flavour == "casme_sq":
            self._sq_subjects, self._sq_videos = _casme_sq_tables(sheet)
        self._index = index_image_folders(root)
        self._folders: dict[tuple[str, str], Path] = {}
        self._trials = self._build_trials()

    # -- discovery ---------------------------------------------------------------------------
    @staticmethod
    def _find_sheet(root: Path) -> Path:
        sheets = find_coding_sheets(root)
        if not sheets:
            raise DataFormatError(
                f"{root}: no coding sheet found; expected an .xlsx/.xls/.csv coding file at the root (e.g. "
                f"CASME2-coding-20140508.xlsx, SAMM_Micro_FACS_Codes_v2.xlsx) next to {_LAYOUT_HINT}"
            )
        named = [p for p in sheets if _SHEET_NAME.search(p.name)]
        pick = named if len(named) == 1 else sheets if len(sheets) == 1 else []
        if not pick:
            raise DataFormatError(
                f"{root}: several coding-sheet candidates ({', '.join(p.name for p in sheets)}); expected one, "
                f"or pass coding_file="
            )
        return pick[0]

    def _clip_dirs(self) -> dict[str, list[tuple[int | None, Path]]]:
        """{clip name (lower case; CAS(ME)^2: ``<nn>_<code>``): [(subject-folder number, folder)]}
        over every image folder (a ``color`` folder stands for its parent)."""
        out: dict[str, list] = {}
        for rel in self._index:
            clip_dir = rel.parent if rel.name.lower() == "color" and len(rel.parts) > 1 else rel
            parent = clip_dir.parent.name if len(clip_dir.parts) > 1 else ""
            name = clip_dir.name.lower()
            if self.flavour == "casme_sq":
                m = _CASME_SQ_FOLDER.match(name)
                if not m:
                    continue
                name = f"{int(m[1])}_{m[2]}"
            out.setdefault(name, []).append((_trailing_number(parent) if parent else None, rel))
        return out

    def _match(self, subject_raw: str, clip: str, dirs) -> list[Path]:
        num = _trailing_number(subject_raw)
        if self.flavour == "casme_sq":
            folder_num = self._sq_subjects.get(num)
            code = self._sq_videos.get(clip.lower())
            if folder_num is None or code is None:
                return []
            return [rel for sub, rel in dirs.get(f"{folder_num}_{code}", []) if sub in (None, folder_num)]
        same = dirs.get(clip.lower(), [])
        hits = [rel for sub, rel in same if sub == num]
        if not hits and self.flavour == "samm":  # SAMM clip names already hold the subject
            hits = [rel for _, rel in same]
        return hits

    def _build_trials(self) -> pd.DataFrame:
        ann, dirs = self._annotations, self._clip_dirs()
        rows, missing, ambiguous = [], [], []
        for (subject, trial), grp in ann.groupby(["subject", "trial"], sort=False):
            clip = str(self._files.get(trial, trial))
            hits = sorted(self._match(str(self._subjects.get(subject, subject)), clip, dirs),
                          key=lambda p: (len(p.parts), _natural_key(str(p))))
            if hits:
                self._folders[(subject, trial)] = hits[0]
                if len(hits) > 1:
                    ambiguous.append(f"{trial} ({', '.join(map(str, hits[:3]))})")
            else:
                missing.append(trial)
            rows.append({
                "subject": subject, "marker": NO_MARKER, "trial": trial, "clip": clip,
                "category": NO_MARKER, "category_name": "", "n_events": len(grp),
                "n_me": int((grp["kind"] == "micro").sum()), "n_mae": int((grp["kind"] == "macro").sum()),
                "has_video": bool(hits), "has_eeg": False, "has_peri": False,
            })
        if not self._folders:
            raise DataFormatError(
                f"{self.path}: no image folder found for any of the {len(rows)} trials of {self.coding_file.name} "
                f"({self.flavour}; {len(self._index)} image folders below the root); expected {_LAYOUT_HINT}"
            )
        if missing:
            warnings.warn(
                f"{self.path}: no image folder found for {len(missing)} trial(s) of {self.coding_file.name}: "
                f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}; expected {_LAYOUT_HINT}. "
                f"They are kept without video (has_video=False)", MMMEWarning, stacklevel=3)
        if ambiguous:
            warnings.warn(
                f"{self.path}: several image folders match {len(ambiguous)} trial(s), e.g. {ambiguous[0]}; using "
                f"the shallowest. Pass the image folder as root (and coding_file=) to choose", MMMEWarning,
                stacklevel=3)
        t = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
        order = sorted(range(len(t)), key=lambda i: (t["subject"][i], _natural_key(t["trial"][i])))
        return t.iloc[order].reset_index(drop=True)

    # -- API -----------------------------------------------------------------------------------
    @property
    def annotations(self) -> pd.DataFrame:
        return self._annotations

    @property
    def trials(self) -> pd.DataFrame:
        return self._trials

    def folder(self, subject: str, key: str) -> Path | None:
        """The image folder of a trial (``None`` when it has none)."""
        subject, trial = self._check_trial(subject, key)
        rel = self._folders.get((subject, trial))
        return None if rel is None else self.path / rel

    def _frames(self, subject: str, trial: str) -> tuple[tuple[str, ...], np.ndarray]:
        """(image paths, frame numbers) of a trial's folder, in frame-number order."""
        rel = self._folders[(subject, trial)]
        folder = self.path / rel
        names = self._index[rel]
        numbers = []
        for name in names:
            n = frame_number(name)
            if n is None:
                raise DataFormatError(
                    f"{folder}: image file {name} has no frame number in its name; expected names ending in "
                    f"the frame number (img46.jpg, 006_05562.jpg, 0.jpg)"
                )
            numbers.append(n)
        order = np.argsort(np.asarray(numbers, np.int64), kind="stable")
        numbers = np.asarray(numbers, np.int64)[order]
        names = [names[i] for i in order]
        dup = np.flatnonzero(np.diff(numbers) == 0)
        if dup.size:
            k = int(dup[0])
            raise DataFormatError(
                f"{folder}: image files {names[k]} and {names[k + 1]} have the same frame number {numbers[k]}; "
                f"expected one image per frame number"
            )
        return tuple(str(folder / n) for n in names), numbers

    def _load_trial(self, subject: str, trial: str) -> xr.DataTree:
        nodes = {}
        first = 0
        if (subject, trial) in self._folders:
            video = self._video_node(subject, trial)
            first = int(video["frame"].values[0])
            nodes["/video"] = video
        rows = self._annotations[(self._annotations["subject"] == subject) & (self._annotations["trial"] == trial)]
        coded = {k: rows[f"{k}_frame"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
                 for k in ("onset", "apex", "offset")}
        times = {k: (frames - first) / self.fps for k, frames in coded.items()}
        if "/video" in nodes:  # coded frames must lie within the clip's images
            lo, hi = nodes["/video"]["frame"].values[[0, -1]]
            coded = np.concatenate([coded["onset"], coded["offset"]])
            coded = coded[np.isfinite(coded)]
            f_min, f_max = (coded.min(), coded.max()) if coded.size else (lo, hi)
            if f_min < lo or f_max > hi:
                warnings.warn(
                    f"Trial {subject}/{trial}: coded frames {f_min:.0f}-{f_max:.0f} reach outside the images of "
                    f"{nodes['/video'].attrs['source']} (frames {lo}-{hi})", MMMEWarning, stacklevel=3)
        nodes["/events"] = events_dataset(rows, times["onset"], times["apex"], times["offset"])
        tree = xr.DataTree.from_dict(nodes)
        tree.attrs.update({
            "subject": subject, "marker": NO_MARKER, "trial": trial,
            "clip": str(self._files.get(trial, trial)), "category": NO_MARKER, "category_name": "",
            "dataset": self.flavour, "alignment": "{}",
            "missing": ",".join(k for k in ("video", "eeg", "peri") if f"/{k}" not in nodes),
        })
        return tree

    def _video_node(self, subject: str, trial: str) -> xr.Dataset:
        from ..io.video import _chunk_len, _dask_frames, _LazyFrames

        files, numbers = self._frames(subject, trial)
        shape = _image_shape(Path(files[0]))
        # one second of video per dask chunk (capped in bytes by io.video)
        chunk = _chunk_len(len(files), int(np.prod(shape)), max(1, int(round(self.fps))))
        lazy = _LazyFrames(_read_images, files, len(files), shape)
        data = _dask_frames(lazy, chunk, (files, Path(files[0]).stat().st_mtime_ns))
        t = (numbers - numbers[0]) / self.fps
        return xr.Dataset(
            {"frames": (("time", "y", "x", "rgb"), data)},
            coords={"time": ("time", t, {"units": "s"}),
                    "frame": ("time", numbers, {"long_name": "frame number in the image file names"})},
            attrs={"fps": self.fps, "source": str(self._folders[(subject, trial)])},
        )

    def __repr__(self) -> str:
        t = self._trials
        return (f"<{type(self).__name__} | {self.path} | {self.flavour} | {t['subject'].nunique()} subjects, "
                f"{len(t)} trials, {len(self._annotations)} annotated expressions>")


# -------------------------------------------------------------------------------- the store
class ImageSequenceStore(_ClipKeys, StoreDataset):
    """A store converted from an :class:`ImageSequenceDataset`: trials keyed by clip id.

    :func:`mmme_analysis.open_dataset` opens stores whose root attribute ``trial_key`` is
    ``"trial"`` (written by :func:`mmme_analysis.store.convert`) with this class.
    """

    summary_columns = TRIAL_COLUMNS

    @staticmethod
    def _trial_order(name: str):
        return _natural_key(name)

    def frame(self, subject: str, key: str, index: int, *, proxy: bool = False) -> np.ndarray:
        """One video frame (y, x, rgb) uint8 by 0-based position in the clip (not its file number)."""
        subject, trial = self._check_trial(subject, key)
        return super().frame(subject, trial, index, proxy=proxy)
