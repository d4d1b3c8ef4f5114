"""Image-sequence folders of the video-only ME datasets: finding clips, sheets and frames.

The naming rules of CASME II, SAMM, CAS(ME)^2 and CAS(ME)^3 (see
:mod:`mmme_analysis.dataset.imageseq` for the layouts), image decoding with OpenCV and
header reads with Pillow. Everything here reads files; nothing builds a dataset.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import cv2
import numpy as np

from ..errors import DataFormatError

__all__ = [
    "IMAGE_EXTENSIONS", "SHEET_SUFFIXES", "CASME_SQ_SUBJECTS", "CASME_SQ_VIDEOS", "LAYOUT_HINT",
    "natural_key", "trailing_number", "frame_number", "find_coding_sheets", "find_coding_sheet",
    "index_image_folders", "clip_folders", "match_clip_folders", "sorted_frames", "read_images", "image_shape",
    "casme_sq_tables",
]

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
_SHEET_NAME = re.compile(r"cod(e|ing)|label", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
CASME_SQ_FOLDER = re.compile(r"^(\d+)_(\d{4})")
LAYOUT_HINT = ("clip folders of numbered images below the root, e.g. CASME II "
                "sub01/EP02_01f/img46.jpg, SAMM 006/006_1_2/006_05562.jpg, CAS(ME)^2 "
                "rawpic/s15/15_0101disgustingteeth/img1.jpg, CAS(ME)^3 spNO.1/a/color/0.jpg")


def natural_key(text: str):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(text))]


def trailing_number(text) -> int | None:
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


def read_images(files, start: int, stop: int, shape) -> np.ndarray:
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


def image_shape(path: Path) -> tuple[int, int, int]:
    """(height, width, 3) of an image from its header (no pixel is decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataFormatError(f"Cannot read image file {path} ({type(exc).__name__}): expected a "
                              f"JPEG/PNG/BMP/TIFF image") from None
    return int(h), int(w), 3


def casme_sq_tables(sheet: Path) -> tuple[dict[int, int], dict[str, str]]:
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
                    folder, sub = trailing_number(cells[0]), trailing_number(cells[2])
                    if folder is not None and sub is not None:
                        subjects[sub] = folder
                elif key == "namingrule2" and cells[1] is not None:  # folder code (0101), video name
                    code = trailing_number(cells[0])
                    if code is not None:
                        videos[str(cells[1]).strip().lower()] = f"{code:04d}"
    finally:
        wb.close()
    return subjects, videos


def find_coding_sheet(root: Path) -> Path:
    """The one coding sheet of a video-only dataset folder (see :func:`find_coding_sheets`)."""
    sheets = find_coding_sheets(root)
    if not sheets:
        raise DataFormatError(
            f"{root}: no coding sheet found; expected an .xlsx/.xls/.csv coding file at the root (e.g. "
            f"CASME2-coding-20140508.xlsx, SAMM_Micro_FACS_Codes_v2.xlsx) next to {LAYOUT_HINT}"
        )
    named = [p for p in sheets if _SHEET_NAME.search(p.name)]
    pick = named if len(named) == 1 else sheets if len(sheets) == 1 else []
    if not pick:
        raise DataFormatError(
            f"{root}: several coding-sheet candidates ({', '.join(p.name for p in sheets)}); expected one, "
            f"or pass coding_file="
        )
    return pick[0]


def clip_folders(index, flavour: str) -> dict[str, list[tuple[int | None, Path]]]:
    """{clip name (lower case; CAS(ME)^2: ``<nn>_<code>``): [(subject-folder number, folder)]}
    over every image folder (a ``color`` folder stands for its parent)."""
    out: dict[str, list] = {}
    for rel in index:
        clip_dir = rel.parent if rel.name.lower() == "color" and len(rel.parts) > 1 else rel
        parent = clip_dir.parent.name if len(clip_dir.parts) > 1 else ""
        name = clip_dir.name.lower()
        if flavour == "casme_sq":
            m = CASME_SQ_FOLDER.match(name)
            if not m:
                continue
            name = f"{int(m[1])}_{m[2]}"
        out.setdefault(name, []).append((trailing_number(parent) if parent else None, rel))
    return out


def match_clip_folders(subject_raw: str, clip: str, folders, flavour: str, sq_tables=None) -> list[Path]:
    """Image folders (from :func:`clip_folders`) matching a trial's subject and clip name.

    ``sq_tables`` are the CAS(ME)^2 naming tables of :func:`casme_sq_tables`.
    """
    num = trailing_number(subject_raw)
    if flavour == "casme_sq":
        folder_num = sq_tables[0].get(num)
        code = sq_tables[1].get(clip.lower())
        if folder_num is None or code is None:
            return []
        return [rel for sub, rel in folders.get(f"{folder_num}_{code}", []) if sub in (None, folder_num)]
    same = folders.get(clip.lower(), [])
    hits = [rel for sub, rel in same if sub == num]
    if not hits and flavour == "samm":  # SAMM clip names already hold the subject
        hits = [rel for _, rel in same]
    return hits


def sorted_frames(folder: Path, names) -> tuple[tuple[str, ...], np.ndarray]:
    """(image paths, frame numbers) of the images ``names`` of ``folder``, in frame-number order."""
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
