"""Atomic writes: build a hidden temporary file or folder beside the target, then rename it."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import uuid
from pathlib import Path

__all__ = ["atomic_path", "atomic_dir", "replace_dir", "remove_stale", "TMP_MARK"]

#: part of every temporary name written here (``.<name>.tmp-<host>-<pid>-<hex>``,
#: ``.<name>.old-<hex>``): leftovers of an interrupted run are recognisable and removable
TMP_MARK = ".tmp-"
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"
_LEFTOVER = re.compile(r"^\.(?P<name>.+?)(\.tmp-(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[0-9a-f]{8}|\.old-[0-9a-f]{8})$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(folder) -> list[Path]:
    """Remove the temporary folders of interrupted writes in ``folder``; return what was removed.

    A temporary folder is stale when the process that made it (named in it, with its host)
    is gone; ``.old-`` folders are left only by a process killed while replacing a folder.
    Folders of live writers and of other hosts (a cluster sharing the disk) are kept.
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in os.scandir(folder):
        m = _LEFTOVER.match(entry.name)
        if not m or not entry.is_dir(follow_symlinks=False):
            continue
        stale = m["pid"] is None or (m["host"] == _HOST and not _alive(int(m["pid"])))
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_path(path, *, suffix: str | None = None):
    """Yield a temporary path in ``path``'s folder; on success move it onto ``path``.

    Readers never see a half-written file: the target is replaced by :func:`os.replace`
    only when the ``with`` block ends without error, and the temporary file is removed
    otherwise.

    Parameters
    ----------
    path : path-like
        The file to write.
    suffix : str, optional
        Ending of the temporary name (default ``path``'s suffix), for writers that choose
        the format from the file name (OpenCV, MNE).
    """
    path = Path(path)
    end = path.suffix if suffix is None else suffix
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp{end}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def replace_dir(tmp, final) -> None:
    """Move a finished temporary folder ``tmp`` onto ``final``, replacing an older one.

    The old folder is first renamed aside, so ``final`` is at every moment absent, the old
    complete folder or the new complete folder, never a mixture.
    """
    tmp, final = Path(tmp), Path(final)
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)


@contextlib.contextmanager
def atomic_dir(path):
    """Yield a temporary folder path beside ``path``; on success move it onto ``path``.

    The folder is not created: writers such as ``xarray.to_zarr`` create it. On error
    the temporary folder is removed and ``path`` is left as it was; a process killed
    meanwhile leaves it behind, and the next write beside it (or :func:`remove_stale`)
    removes it.
    """
    path = Path(path)
    remove_stale(path.parent)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
