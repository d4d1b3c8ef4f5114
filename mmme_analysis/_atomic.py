"""Atomic writes: build a hidden temporary file or folder beside the target, then rename it."""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["atomic_path", "atomic_dir", "replace_dir", "TMP_MARK"]

#: part of every temporary name written here (``.<name>.tmp-<hex>``): leftovers are recognisable
TMP_MARK = ".tmp-"


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
    the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
