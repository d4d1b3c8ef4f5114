"""Fault and expectation types, and the helpers that damage files of a copy.

A :class:`Fault` names what it damages (``apply(ctx)`` edits the copy in ``ctx``), which
trials it touches (``affects``: symbols ``A``/``B`` for every trial of the first/second
participant, ``A1``, ``A2``, ``B1``, ``B2`` for one trial, ``*`` for all, resolved against the
pristine data), the tokens that name the damaged thing in a clear message (``context``) and
the :class:`Expect`\\ ed outcome. Regexes and context tokens may hold ``<A1>`` (the trial id
of ``A1``), ``<A>`` (the pseudonym of participant ``A``) and ``<STORE>`` (the store's name).

Every helper that changes a file unlinks it first and writes a new one, so no edit can
reach another copy through a shared inode.
"""
from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ERROR, WARNING, TOLERATED = "error", "warning", "tolerated"


@dataclass(frozen=True)
class Expect:
    """The outcome a careful researcher expects.

    kind : ``"error"``, ``"warning"`` or ``"tolerated"``.
    exc : exception classes accepted for ``"error"``.
    match : regex (``re.S | re.I``, searched) the error or warning message must match.
    at : for errors, ``"open"`` (``open_dataset`` / ``ds.trials`` / ``ds.annotations`` refuse
        the dataset) or ``"trial"`` (the dataset opens; each affected trial raises, or is
        left out / loaded partially with a warning matching ``match``; the other trials equal
        the pristine ones).
    same : ``same(pristine, observed, ctx) -> list of differences`` that must be empty; None:
        tolerated -> everything equals the pristine result, warning/error -> the trials not
        affected equal the pristine ones.
    allow_warning : tolerated only: an MMMEWarning is acceptable too.
    """

    kind: str
    exc: tuple = ()
    match: str = ""
    at: str = "trial"
    same: Callable | None = None
    allow_warning: bool = False

    def describe(self) -> str:
        if self.kind == ERROR:
            names = "/".join(e.__name__ for e in self.exc)
            return f"error {names} at {self.at} /{self.match}/"
        if self.kind == WARNING:
            return f"warning /{self.match}/"
        return "tolerated" + (" (warning allowed)" if self.allow_warning else "")


def error(exc, match: str, *, at: str = "trial", same=None) -> Expect:
    exc = exc if isinstance(exc, tuple) else (exc,)
    return Expect(ERROR, exc=exc, match=match, at=at, same=same)


def warning(match: str, *, same=None) -> Expect:
    return Expect(WARNING, match=match, same=same)


def tolerated(*, same=None, allow_warning: bool = False) -> Expect:
    return Expect(TOLERATED, same=same, allow_warning=allow_warning)


@dataclass(frozen=True)
class Fault:
    """One damage to a copy of the pristine raw folder (``target="raw"``) or store."""

    id: str
    target: str  # "raw" | "store"
    component: str  # eeg, biopac, video, coding, folder, store
    what: str
    apply: Callable
    expect: Expect
    affects: tuple = ("A",)
    context: tuple = ()
    xfail: str | None = None  # why today's code does not meet the expectation (issue 10)
    xfail_names: str | None = None  # why a message names a participant today
    extra_names: tuple = ()  # fictitious real names the fault itself adds (checked too)
    needs_raw_copy: bool = False  # store faults that damage the raw folder the store references
    skip: Callable | None = None  # () -> reason to skip here, or None
    timeout: float = 150.0
    #: run ``convert`` on the first affected trial (None: for the components whose damage convert reads itself:
    #: videos and folder layout; the other readers' data reach convert through the same ``ds.trial``)
    convert: bool | None = None
    baseline: bool = False  # the undamaged baselines: every window cut, convert run

    @property
    def converts(self) -> bool:
        return self.target == "raw" and (self.component in ("video", "folder") if self.convert is None else self.convert)


@dataclass
class Ctx:
    """What ``Fault.apply`` works on: the copy, the pristine layout, a seeded generator."""

    fault: Fault
    workdir: Path
    raw: Path
    store: Path | None
    layout: dict
    rng: np.random.Generator = field(init=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(zlib.crc32(self.fault.id.encode()))

    # -- the pristine layout, by symbol --------------------------------------------------
    def name(self, who: str) -> str:
        """Real (fictitious) name of participant ``A`` or ``B``: its folder name."""
        return self.layout["subjects"][who]["name"]

    def pseudonym(self, who: str) -> str:
        return self.layout["subjects"][who]["subject"]

    def trial(self, sym: str) -> str:
        return self.layout["trials"][sym]["trial"]

    def marker(self, sym: str) -> int:
        return int(self.layout["trials"][sym]["marker"])

    def folder(self, who: str) -> Path:
        return self.raw / self.name(who)

    def eeg(self, who: str, ext: str = ".vhdr") -> Path:
        return self.folder(who) / "EEG" / f"Acquisition 01{ext}"

    def mat(self, who: str) -> Path:
        return self.folder(who) / "PERI" / f"{self.name(who)}.mat"

    def video(self, sym: str) -> Path:
        return self.folder(sym[0]) / "video" / self.layout["trials"][sym]["video"]

    @property
    def sheet(self) -> Path:
        return self.raw / "coding_file.xlsx"

    def group(self, sym: str, *parts: str) -> Path:
        return self.store / "trials" / self.trial(sym) / Path(*parts) if parts else self.store / "trials" / self.trial(sym)


# -- bytes -------------------------------------------------------------------------------------
def rewrite(path: Path, data: bytes) -> None:
    """Replace a file by new bytes (unlink first: never write through a shared inode)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def truncate(path: Path, fraction: float | None = None, *, keep: int | None = None, drop: int | None = None) -> None:
    data = Path(path).read_bytes()
    if fraction is not None:
        keep = int(len(data) * fraction)
    elif drop is not None:
        keep = len(data) - drop
    rewrite(path, data[:keep])


def randomize(path: Path, rng, size: int | None = None) -> None:
    rewrite(path, rng.bytes(Path(path).stat().st_size if size is None else size))


def corrupt_middle(path: Path, rng, n: int = 64) -> None:
    """Overwrite ``n`` bytes in the middle of a file with random bytes (size kept)."""
    data = bytearray(Path(path).read_bytes())
    mid = len(data) // 2
    data[mid:mid + n] = rng.bytes(min(n, len(data) - mid))
    rewrite(path, bytes(data))


def edit_text(path: Path, pattern: str, repl: str, *, count: int = 1, encoding: str = "utf-8") -> None:
    text = Path(path).read_text(encoding=encoding)
    new, n = re.subn(pattern, repl, text, count=count, flags=re.M)
    if not n:
        raise AssertionError(f"fault helper: {pattern!r} not found in {Path(path).name}")
    rewrite(path, new.encode(encoding))


def edit_json(path: Path, fn) -> None:
    meta = json.loads(Path(path).read_text())
    fn(meta)
    rewrite(path, json.dumps(meta, indent=2).encode())


# -- BrainVision samples (multiplexed float32, the Trigger channel last) ------------------------
def eeg_samples(ctx: Ctx, who: str) -> np.ndarray:
    n_ch = int(re.search(r"^NumberOfChannels=(\d+)", ctx.eeg(who).read_text(encoding="utf-8"), re.M)[1])
    return np.fromfile(ctx.eeg(who, ".eeg"), dtype="<f4").reshape(-1, n_ch).copy()


def write_eeg_samples(ctx: Ctx, who: str, arr: np.ndarray) -> None:
    rewrite(ctx.eeg(who, ".eeg"), np.ascontiguousarray(arr, dtype="<f4").tobytes())


def trigger_runs(trig: np.ndarray, code: int) -> list[tuple[int, int]]:
    """(start, stop) sample ranges where the trigger holds ``code``."""
    on = np.concatenate([[False], trig == code, [False]])
    edges = np.flatnonzero(np.diff(on.astype(int)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


# -- BIOPAC .mat export ------------------------------------------------------------------------
def load_mat(path: Path) -> dict:
    from scipy.io import loadmat

    m = loadmat(path, chars_as_strings=True)
    return {
        "data": np.asarray(m["data"], float),
        "labels": [str(s).strip() for s in m["labels"]],
        "units": [str(s).strip() for s in m["units"]],
        "isi": float(np.ravel(m["isi"])[0]),
        "isi_units": str(np.ravel(m["isi_units"])[0]).strip(),
        "start_sample": float(np.ravel(m["start_sample"])[0]),
    }


def save_mat(path: Path, mat: dict, *, compress: bool = False, drop: tuple = ()) -> None:
    import io

    from scipy.io import savemat

    width = max(len(s) for s in mat["labels"]) if mat["labels"] else 1
    out = {
        "data": np.asarray(mat["data"], float),
        "labels": np.array([s.ljust(width) for s in mat["labels"]]),
        "units": np.array([s.ljust(12) for s in mat["units"]]),
        "isi": np.array([[mat["isi"]]]),
        "isi_units": mat["isi_units"],
        "start_sample": np.array([[mat["start_sample"]]]),
    }
    for k in drop:
        out.pop(k)
    buf = io.BytesIO()
    savemat(buf, out, do_compression=compress, oned_as="column")
    rewrite(path, buf.getvalue())


def edit_mat(ctx: Ctx, who: str, fn, **kw) -> None:
    mat = load_mat(ctx.mat(who))
    fn(mat)
    save_mat(ctx.mat(who), mat, **kw)


DIGITAL = tuple(f"Digital (STP Input {k})" for k in range(8))


# -- AVI header --------------------------------------------------------------------------------
def avi_set_fps(path: Path, rate: int, scale: int = 1) -> None:
    """Set the stream rate/scale (``strh``) and the frame period (``avih``) of an AVI file."""
    data = bytearray(Path(path).read_bytes())
    i = data.find(b"avih")
    struct.pack_into("<I", data, i + 8, int(round(1e6 * scale / rate)) if rate else 0)
    j = data.find(b"strh")
    struct.pack_into("<II", data, j + 8 + 20, scale, rate)
    rewrite(path, bytes(data))


# -- coding sheet ------------------------------------------------------------------------------
def load_sheet(ctx: Ctx):
    import pandas as pd

    return pd.read_excel(ctx.sheet, dtype=object)


def save_sheet(ctx: Ctx, df) -> None:
    import io

    buf = io.BytesIO()
    df.to_excel(buf, sheet_name="Sheet1", index=False)
    rewrite(ctx.sheet, buf.getvalue())


def edit_sheet(ctx: Ctx, fn) -> None:
    df = load_sheet(ctx)
    out = fn(df)
    save_sheet(ctx, df if out is None else out)


def rename_participant_in_sheet(df, old: str, new: str) -> None:
    mask = df["Subject"].astype(str) == old
    df.loc[mask, "Subject"] = new
    df.loc[mask, "Filename"] = df.loc[mask, "Filename"].astype(str).str.replace(f"_{old}_", f"_{new}_", regex=False)
