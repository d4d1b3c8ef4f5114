"""Recognition tasks built from an annotation table, and their samples.

``"7class"``
    The canonical emotion column (MMME: :data:`~mmme_analysis.vocab.EMOTIONS_7`, i.e.
    happiness, disgust, anger, fear, sadness, surprise, tense). Classes are the ones
    present, in canonical order; rows without a canonical emotion are dropped.
``"3class"``
    The MEGC composite ``emotion3``: negative, positive, surprise; ``other`` is dropped.

The same functions serve video-only datasets (CASME II, SAMM, CAS(ME)^3): their readers
produce the same annotation table (``emotion`` in that flavour's vocabulary, ``emotion3``),
and :func:`task_samples` only needs ``dataset.trial(trial)["video"]`` (one trial id, the
``trial`` column of the table).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_option
from ..errors import DataFormatError
from ..flow.apex import estimate_apex
from ..vocab import EMOTION3_CLASSES, EMOTION_CLASSES

__all__ = ["TASKS", "MERTask", "me_task", "task_samples"]

#: Canonical task names.
TASKS: tuple[str, ...] = ("7class", "3class")


@dataclass(frozen=True)
class MERTask:
    """A recognition task: its name, class labels and the rows it uses.

    Attributes
    ----------
    name : str
        ``"7class"`` or ``"3class"``.
    labels : tuple of str
        Classes in display order.
    table : pandas.DataFrame
        Annotation rows kept, with a ``label`` column (the class of the task).
    """

    name: str
    labels: tuple
    table: pd.DataFrame

    @property
    def counts(self) -> pd.Series:
        """Samples per class (in ``labels`` order)."""
        return self.table["label"].value_counts().reindex(list(self.labels), fill_value=0)


def me_task(annotations: pd.DataFrame, task: str = "3class", *, kind: str = "micro") -> MERTask:
    """Select the rows and labels of a recognition task.

    Parameters
    ----------
    annotations : pandas.DataFrame
        The annotation table (``dataset.annotations`` / ``read_coding_file``), with at
        least ``subject``, ``emotion`` (7-class) or ``emotion3`` (3-class) and ``kind``
        unless ``kind="all"``.
    task : {"7class", "3class"}
    kind : {"micro", "macro", "all"}
        Keep micro-expressions (default), macro-expressions or both.

    Returns
    -------
    MERTask
    """
    check_option("task", task, TASKS)
    check_option("kind", kind, ("micro", "macro", "all"))
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"Invalid value for 'annotations': expected a pandas.DataFrame, got {type(annotations).__name__}"
        )
    column = "emotion" if task == "7class" else "emotion3"
    need = ["subject", column] + ([] if kind == "all" else ["kind"])
    missing = [c for c in need if c not in annotations.columns]
    if missing:
        raise DataFormatError(
            f"annotation table: missing column(s) {missing} needed for task {task!r}; "
            f"expected the columns of read_coding_file (see docs/data_model.md)"
        )
    df = annotations
    if kind != "all":
        df = df[df["kind"] == kind]
    df = df[df[column].notna()]
    if task == "3class":
        df = df[df[column].isin(EMOTION3_CLASSES)]
        labels = tuple(c for c in EMOTION3_CLASSES if c in set(df[column]))
    else:
        present = set(df[column])
        labels = (tuple(c for c in EMOTION_CLASSES if c in present)
                  + tuple(sorted(present - set(EMOTION_CLASSES))))
    df = df.assign(label=df[column].astype(str)).reset_index(drop=True)
    return MERTask(name=task, labels=labels, table=df)


def _nearest(values: np.ndarray, target: float) -> int:
    return int(np.argmin(np.abs(values - target)))


def task_samples(dataset, task: MERTask, *, estimate_missing_apex: bool = True) -> list[dict[str, Any]]:
    """Onset and apex frames of every row of ``task``, as samples for
    :func:`~mmme_analysis.flow.compute_flow_features`.

    Each trial is opened once, by its id (``dataset.trial(trial)``, the ``trial`` column of
    ``task.table``). Frames are chosen by ``onset_frame`` / ``apex_frame`` (matched to the
    video's ``frame`` coordinate) when present, else by the nearest ``time`` to ``onset`` /
    ``apex`` (s). A missing apex is estimated (:func:`~mmme_analysis.flow.estimate_apex`)
    between onset and offset when ``estimate_missing_apex``; otherwise the row raises.

    Parameters
    ----------
    dataset : Dataset
        From :func:`mmme_analysis.open_dataset` (anything with ``trial(trial_id)``).
    task : MERTask
        From :func:`me_task`.
    estimate_missing_apex : bool
        Estimate the apex of rows without one (or with apex == onset).

    Returns
    -------
    list of dict
        ``onset``, ``apex`` (uint8 frames), ``subject``, ``trial``, ``marker`` (int, or None
        for datasets without markers), ``label``, ``row`` (index in ``task.table``),
        ``apex_estimated`` (bool).
    """
    tab = task.table
    for col in ("trial", "onset", "apex"):
        if col not in tab.columns:
            raise DataFormatError(f"annotation table: missing column {col!r} needed to locate frames")
    samples: list[dict[str, Any]] = []
    for trial, rows in tab.groupby("trial", sort=False):
        video = dataset.trial(str(trial))["video"]["frames"]
        times = np.asarray(video["time"].values, dtype=float)
        frames_idx = np.asarray(video["frame"].values) if "frame" in video.coords else np.arange(len(times))

        def locate(row, which, times=times, frames_idx=frames_idx):
            fcol = f"{which}_frame"
            if fcol in row and pd.notna(row[fcol]):
                hits = np.flatnonzero(frames_idx == int(row[fcol]))
                if hits.size:
                    return int(hits[0])
            if pd.notna(row[which]):
                return _nearest(times, float(row[which]))
            return None

        for i, row in rows.iterrows():
            on = locate(row, "onset")
            if on is None:
                raise DataFormatError(
                    f"trial {trial}, annotation row {i}: onset missing; "
                    "expected onset (s) or onset_frame"
                )
            ap = locate(row, "apex")
            estimated = False
            if ap is None or ap == on:
                if not estimate_missing_apex:
                    raise DataFormatError(
                        f"trial {trial}, annotation row {i}: apex missing; "
                        "expected apex (s) or apex_frame"
                    )
                off = locate(row, "offset") if "offset" in row else None
                if off is None or off <= on:  # search the ME duration limit, 0.5 s
                    off = _nearest(times, times[on] + 0.5)
                stop = max(off, min(on + 1, len(times) - 1))
                clip = np.asarray(video.isel(time=slice(on, stop + 1)).values)
                ap = on + estimate_apex(clip)
                estimated = True
            marker = row.get("marker")
            samples.append(dict(
                onset=np.asarray(video.isel(time=on).values),
                apex=np.asarray(video.isel(time=ap).values),
                subject=str(row["subject"]), trial=str(trial),
                marker=int(marker) if pd.notna(marker) else None,
                label=row["label"], row=int(i), apex_estimated=estimated,
            ))
    samples.sort(key=lambda s: s["row"])
    return samples
