"""What the Explorer tells the user about a trial: which modalities it lacks and why, in
pseudonyms only.

A trial may lack a modality because the dataset has none (a video-only dataset has no
EEG) or because reading it failed: the dataset then leaves the modality out and lists it
in ``Dataset.problems`` (a tidy table: subject, trial, modality, file, error; a row with
an empty ``trial`` concerns every trial of the subject). :func:`trial_notes` turns that into
one sentence per missing modality, naming the file and the error. :class:`Scrubber`
replaces participant folder names (real names in the MMME layout) by their pseudonyms in
any text the page shows: error messages of the readers below the dataset layer may still
quote full paths.
"""
from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path

import pandas as pd
import xarray as xr

from .._warnings import MMMEWarning

__all__ = ["MODALITIES", "Scrubber", "open_trial", "trial_notes", "trial_problems"]

#: Modalities a trial may have: (node of the trial tree, name in messages).
MODALITIES = (("video", "video"), ("eeg", "EEG"), ("peri", "peripheral signals"))
#: Words by which a warning of the dataset names a modality (it says why it was left out).
_NAMED = {"video": re.compile(r"\bvideo\b", re.I), "eeg": re.compile(r"\bEEG\b"),
          "peri": re.compile(r"\b(BIOPAC|peri(pheral)?)\b", re.I)}


class Scrubber:
    """Replaces participant folder names by pseudonyms in text shown to users.

    Parameters
    ----------
    names : dict
        ``{real name: pseudonym}``; the longest names are replaced first (a name that
        contains another).
    root : path-like, optional
        Folder whose absolute path is cut from the text (paths are shown relative to it).

    Examples
    --------
    >>> from mmme_analysis.dashboard.notes import Scrubber
    >>> scrub = Scrubber({"qimogehu": "sub-02"}, root="/data/raw")
    >>> scrub("Video file /data/raw/qimogehu/video/angry_3_125_qimogehu_20230710.avi is cut")
    'Video file sub-02/video/angry_3_125_sub-02_20230710.avi is cut'
    """

    def __init__(self, names: dict | None = None, root=None):
        names = {str(k): str(v) for k, v in (names or {}).items() if str(k)}
        self._names = names
        self._pattern = (re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
                         if names else None)
        self._root = str(Path(root)) if root is not None else None

    @classmethod
    def for_dataset(cls, dataset) -> Scrubber:
        """The scrubber of ``dataset``: the participant names of its raw folder (a raw
        dataset's own, or the one a store references); none for other datasets."""
        root = _raw_root(dataset)
        if root is None:
            return cls()
        from ..dataset.raw import pseudonyms

        try:
            names = pseudonyms(root)
        except (OSError, ValueError):  # an unreadable folder names no one
            return cls(root=root)
        return cls(names, root=root)

    def __call__(self, text) -> str:
        text = "" if text is None else str(text)
        if self._root:
            text = text.replace(self._root + "/", "").replace(self._root, ".")
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: self._names[m.group(0)], text)
        return text


def _raw_root(dataset) -> Path | None:
    """The raw MMME folder behind ``dataset`` (None when there is none, or it is not a folder)."""
    backend = getattr(dataset, "backend", None)
    if backend == "raw":
        root = getattr(dataset, "path", None)
    else:  # a store references the raw videos of the folder it was converted from
        root = getattr(getattr(dataset, "_backend", None), "raw", None)
    if root is None:
        return None
    root = Path(root)
    return root if root.is_dir() else None


# warnings.catch_warnings swaps process-wide state (the filters, showwarning): two sessions
# opening trials at once in two threads would restore each other's and mix their warnings
_OPENING = threading.Lock()


def open_trial(dataset, trial: str, scrub) -> tuple:
    """``dataset.trial(trial)``, a damaged trial included: (tree, error, warnings).

    A trial the dataset cannot open gives an empty tree and ``error`` (why, scrubbed); the
    dataset's :class:`~mmme_analysis._warnings.MMMEWarning` s while opening it (what it left
    out, and why) are kept, scrubbed, and warned again. A ``trial`` that is not one of the
    dataset's raises, as ``dataset.trial`` does. Trials open one at a time in a process
    (the warnings are caught process-wide, Python < 3.14 has no per-thread catch); a warning
    another thread emits meanwhile is caught with them.
    """
    error, tree = "", None
    with _OPENING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MMMEWarning)
        try:
            tree = dataset.trial(trial)
        except Exception as err:  # noqa: BLE001 - a damaged trial opens empty, saying why
            if trial not in set(dataset.trials["trial"]):  # not a trial of this dataset
                raise
            error = scrub(f"Could not open trial {trial}: {type(err).__name__}: {err}")
    for w in caught:  # the server's log sees them as before
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if tree is None:
        tree = xr.DataTree()
        tree.attrs.update(trial=trial)
    warned = [scrub(w.message) for w in caught if issubclass(w.category, MMMEWarning)]
    return tree, error, warned


def trial_problems(dataset, trial: str, subject: str) -> pd.DataFrame:
    """Rows of ``dataset.problems`` that concern ``trial``: its own, and its subject's
    rows that name no trial (a modality left out of the whole session)."""
    try:
        table = getattr(dataset, "problems", None)
    except Exception:  # noqa: BLE001 - listing the problems must not stop the trial from opening
        table = None
    if not isinstance(table, pd.DataFrame) or table.empty:
        return pd.DataFrame(columns=["subject", "trial", "modality", "file", "error"])
    t = table.astype(str)
    mine = (t["trial"] == str(trial)) | ((t["trial"].isin(["", "nan", "None"])) & (t["subject"] == str(subject)))
    return table[mine.to_numpy(bool)].reset_index(drop=True)


def trial_notes(trial: str, present: set, problems: pd.DataFrame, scrub=None, *, warned=()) -> list:
    """One sentence per modality the trial lacks, naming why (``Dataset.problems``, else the
    dataset's warnings while opening the trial that name the modality).

    Parameters
    ----------
    trial : str
        Trial id.
    present : set of str
        Nodes the trial has (``"video"``, ``"eeg"``, ``"peri"``).
    problems : DataFrame
        The rows of ``Dataset.problems`` for this trial (:func:`trial_problems`).
    scrub : callable, optional
        Applied to every sentence (:class:`Scrubber`).
    warned : list of str
        The dataset's warnings while opening the trial (:func:`open_trial`).

    Examples
    --------
    >>> import pandas as pd
    >>> from mmme_analysis.dashboard.notes import trial_notes
    >>> rows = pd.DataFrame([dict(subject="sub-01", trial="sub-01_101", modality="video",
    ...                           file="sub-01/video/a.avi", error="DataFormatError: cut at half")])
    >>> trial_notes("sub-01_101", {"eeg", "peri"}, rows)
    ['No video in trial sub-01_101: sub-01/video/a.avi could not be used (DataFormatError: cut at half).']
    """
    scrub = scrub or (lambda s: s)
    notes = []
    for node, label in MODALITIES:
        if node in present:
            continue
        rows = problems[problems["modality"].astype(str) == node] if len(problems) else problems
        if len(rows):
            why = "; ".join(f"{r.file} could not be used ({r.error})" if str(r.file) else str(r.error)
                            for r in rows.itertuples())
            notes.append(scrub(f"No {label} in trial {trial}: {why}."))
        elif any(_NAMED[node].search(str(w)) for w in warned):
            prefix = re.compile(rf"^\s*(trial )?{re.escape(trial)}:\s*")  # the note names the trial already
            why = "; ".join(prefix.sub("", str(w)) for w in warned if _NAMED[node].search(str(w)))
            notes.append(scrub(f"No {label} in trial {trial}: {why.rstrip('.')}."))
        else:
            notes.append(f"No {label} in trial {trial}: showing what the dataset has.")
    return notes
