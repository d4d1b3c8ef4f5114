"""Video-only ME datasets whose videos are folders of images (CASME II, SAMM, CAS(ME)^2/^3).

The public micro-expression datasets ship each clip as a folder of numbered images plus one
coding sheet. :class:`ImageSequenceBackend` puts them behind the same dataset API as the MMME
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
            (``mmme_analysis.io.images.CASME_SQ_SUBJECTS``, ``CASME_SQ_VIDEOS``)
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
* These datasets have no stimulus markers: ``trials["marker"]`` and ``category`` are
  ``<NA>``. Trials are keyed by their clip id: ``ds.trial("sub-01_EP02_01f")`` (the ``trial``
  column, as in ``annotations["trial"]``) or by the clip name as in the sheet
  (``ds.trial("EP02_01f")``, the ``clip`` column) when it is unique in the dataset.
* Frames are read lazily (dask, one chunk per second of video) with ``cv2.imread`` (-> RGB);
  only the image headers of the first frame of a clip are read when a trial is opened.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option, check_path, check_positive
from .._warnings import MMMEWarning
from ..errors import DataFormatError
from ..io.images import (
    LAYOUT_HINT,
    casme_sq_tables,
    clip_folders,
    find_coding_sheet,
    image_shape,
    index_image_folders,
    match_clip_folders,
    natural_key,
    read_images,
    sorted_frames,
)
from .base import Backend, events_dataset, trials_frame

__all__ = ["ImageSequenceBackend"]


class ImageSequenceBackend(Backend):
    """Backend over a video-only ME dataset stored as folders of images plus a coding sheet.

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

    name = "imageseq"

    def __init__(self, root, coding_file=None, *, flavour: str = "auto", fps: float | None = None):
        from ..io.coding import FLAVOURS, read_coding_file

        root = check_path("root", root, kind="dir")
        check_option("flavour", flavour, ("auto",) + tuple(f for f in FLAVOURS if f != "mmme"))
        if fps is not None:
            fps = check_positive("fps", fps)
        self.path = root
        sheet = find_coding_sheet(root) if coding_file is None else check_path("coding_file", coding_file, kind="file")
        ann, personal = read_coding_file(sheet, flavour=flavour, fps=fps, personal=True)
        self.flavour = str(ann.attrs["flavour"])
        if self.flavour == "mmme":
            raise DataFormatError(
                f"{sheet}: an MMME coding sheet, but {root} has no participant folder; expected the MMME raw "
                f"layout (participant folders holding EEG/, PERI/, video/ or frames/) for it"
            )
        self.coding_file = sheet
        self.fps = float(ann.attrs["fps"])
        self._annotations = ann
        self._files = dict(personal.files)
        self._subjects = dict(personal.subjects)
        self._sq_tables = casme_sq_tables(sheet) if self.flavour == "casme_sq" else None
        self._index = index_image_folders(root)
        self._folders: dict[str, Path] = {}  # trial id -> image folder (relative to root)
        self._trials = self._build_trials()

    def _build_trials(self) -> pd.DataFrame:
        ann, dirs = self._annotations, clip_folders(self._index, self.flavour)
        rows, missing, ambiguous = [], [], []
        for (subject, trial), grp in ann.groupby(["subject", "trial"], sort=False):
            clip = str(self._files.get(trial, trial))
            hits = sorted(match_clip_folders(str(self._subjects.get(subject, subject)), clip, dirs, self.flavour,
                                             self._sq_tables),
                          key=lambda p: (len(p.parts), natural_key(str(p))))
            if hits:
                self._folders[trial] = hits[0]
                if len(hits) > 1:
                    ambiguous.append(f"{trial} ({', '.join(map(str, hits[:3]))})")
            else:
                missing.append(trial)
            rows.append({
                "trial": trial, "subject": subject, "marker": None, "clip": clip,
                "category": None, "category_name": "", "n_events": len(grp),
                "n_me": int((grp["kind"] == "micro").sum()), "n_mae": int((grp["kind"] == "macro").sum()),
                "has_video": bool(hits), "has_eeg": False, "has_peri": False,
            })
        if not self._folders:
            raise DataFormatError(
                f"{self.path}: no image folder found for any of the {len(rows)} trials of {self.coding_file.name} "
                f"({self.flavour}; {len(self._index)} image folders below the root); expected {LAYOUT_HINT}"
            )
        if missing:
            warnings.warn(
                f"{self.path}: no image folder found for {len(missing)} trial(s) of {self.coding_file.name}: "
                f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}; expected {LAYOUT_HINT}. "
                f"They are kept without video (has_video=False)", MMMEWarning, stacklevel=3)
        if ambiguous:
            warnings.warn(
                f"{self.path}: several image folders match {len(ambiguous)} trial(s), e.g. {ambiguous[0]}; using "
                f"the shallowest. Pass the image folder as root (and coding_file=) to choose", MMMEWarning,
                stacklevel=3)
        rows.sort(key=lambda r: (r["subject"], natural_key(r["trial"])))
        return trials_frame(rows)

    # -- API -----------------------------------------------------------------------------------
    @property
    def annotations(self) -> pd.DataFrame:
        return self._annotations

    @property
    def trials(self) -> pd.DataFrame:
        return self._trials

    def folder(self, trial: str) -> Path | None:
        """The image folder of a trial (``None`` when it has none)."""
        rel = self._folders.get(trial)
        return None if rel is None else self.path / rel

    def _frames(self, trial: str) -> tuple[tuple[str, ...], np.ndarray]:
        rel = self._folders[trial]
        return sorted_frames(self.path / rel, self._index[rel])

    def load(self, trial: str) -> xr.DataTree:
        subject = str(self._trials.set_index("trial").at[trial, "subject"])
        nodes = {}
        first = 0
        if trial in self._folders:
            video = self._video_node(trial)
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
                    f"Trial {trial}: coded frames {f_min:.0f}-{f_max:.0f} reach outside the images of "
                    f"{nodes['/video'].attrs['source']} (frames {lo}-{hi})", MMMEWarning, stacklevel=3)
        nodes["/events"] = events_dataset(rows, times["onset"], times["apex"], times["offset"])
        tree = xr.DataTree.from_dict(nodes)
        tree.attrs.update({
            "trial": trial, "subject": subject, "clip": str(self._files.get(trial, trial)), "category_name": "",
            "dataset": self.flavour, "alignment": "{}",
            "missing": ",".join(k for k in ("video", "eeg", "peri") if f"/{k}" not in nodes),
        })
        return tree

    def _video_node(self, trial: str) -> xr.Dataset:
        from ..io.video.lazy import LazyFrames, chunk_len, dask_frames

        files, numbers = self._frames(trial)
        shape = image_shape(Path(files[0]))
        # one second of video per dask chunk (capped in bytes by io.video)
        chunk = chunk_len(len(files), int(np.prod(shape)), max(1, int(round(self.fps))))
        lazy = LazyFrames(read_images, files, len(files), shape)
        data = dask_frames(lazy, chunk, (files, Path(files[0]).stat().st_mtime_ns))
        t = (numbers - numbers[0]) / self.fps
        return xr.Dataset(
            {"frames": (("time", "y", "x", "rgb"), data)},
            coords={"time": ("time", t, {"units": "s"}),
                    "frame": ("time", numbers, {"long_name": "frame number in the image file names"})},
            attrs={"fps": self.fps, "source": str(self._folders[trial])},
        )

    def frame(self, trial: str, index: int, *, node: str = "video", width: int | None = None) -> np.ndarray:
        """One frame: a single image file decoded (no trial tree, no dask graph), scaled to ``width``."""
        from ..io.video import scale_to_width

        if node != "video" or trial not in self._folders:
            return super().frame(trial, index, node=node, width=width)
        files, _ = self._frames(trial)
        if index >= len(files):
            raise IndexError(f"Invalid value for 'index': expected < {len(files)} frames, got {index}")
        return scale_to_width(read_images(files, index, index + 1, image_shape(Path(files[0])))[0], width)

    def describe(self) -> str:
        return f"{self.name} ({self.flavour})"
