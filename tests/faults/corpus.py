"""The whole fault corpus: raw-folder faults and store faults, each with its expected outcome.

The xfail marks of :mod:`.xfails` (expected outcome not met today) are applied here.
"""
from __future__ import annotations

from dataclasses import replace

from . import xfails
from .corpus_raw import RAW
from .corpus_store import STORE

ALL = [replace(f, xfail=xfails.reason(xfails.OUTCOME.get(f.id)), xfail_names=xfails.reason(xfails.NAMES.get(f.id)))
       for f in RAW + STORE]
BY_ID = {f.id: f for f in ALL}
assert len(BY_ID) == len(ALL), "fault ids must be unique"
_unknown = (set(xfails.OUTCOME) | set(xfails.NAMES)) - set(BY_ID)
assert not _unknown, f"xfails.py names faults that do not exist: {sorted(_unknown)}"

#: test module -> the components whose faults it runs (``--dist loadfile``: each module runs on one xdist worker)
GROUPS = {g: (g,) for g in ("eeg", "biopac", "video", "coding", "folder", "store")}


def faults_of(group: str) -> list:
    return [f for f in ALL if f.component in GROUPS[group]]
