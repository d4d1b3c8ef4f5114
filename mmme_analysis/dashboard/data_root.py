"""The data a served dashboard may open: a path inside the data root, or the demo."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolve_data"]


def resolve_data(data, root=None, *, what: str = "dataset") -> Path:
    """Path of the data to open: ``data`` inside the data root, or the demo dataset.

    Parameters
    ----------
    data : str or path-like or None
        Relative to ``root`` or absolute; empty or None: the built-in demo store.
    root : str or path-like, optional
        The data root (default ``MMME_DATA_ROOT``, else the current folder).
    what : str
        What is expected at ``data``, for the message when nothing is there.

    Raises
    ------
    PermissionError
        When ``data`` resolves outside the data root.
    FileNotFoundError
        When nothing is at ``data``.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> resolve_data(".", root=root) == Path(root).resolve()
    True
    """
    if not data:
        from ..demo import data_path

        return data_path()
    root = Path(root or os.environ.get("MMME_DATA_ROOT") or Path.cwd()).expanduser().resolve()
    path = Path(data).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if path != root and root not in path.parents:
        raise PermissionError(
            f"Refusing to open {str(path)!r}: it is outside the data root {str(root)!r}. "
            "Set MMME_DATA_ROOT to a folder that contains the data."
        )
    if not path.exists():
        raise FileNotFoundError(f"No {what} at {str(path)!r} (inside the data root {str(root)!r}).")
    return path
