"""Atomic file writes: write a hidden temporary file beside the target, then rename it."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

__all__ = ["atomic_path"]


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
