"""Reads of a store's arrays that fail with the store, trial, array and chunk named (never a bare codec error)."""
from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
from dask.base import tokenize

from ..errors import DataFormatError

__all__ = ["guarded", "event_kinds", "GuardedArray"]


def _show(key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return "[" + ", ".join(f"{k.start or 0}:{k.stop}" if isinstance(k, slice) else str(k) for k in parts) + "]"


class GuardedArray:
    """A Zarr array whose reads raise :class:`DataFormatError` naming ``label`` and the selection
    when a chunk cannot be decoded (random bytes, a truncated chunk, a checksum mismatch)."""

    def __init__(self, path, label: str):
        import zarr

        self.path, self.label = Path(path), label
        self.array = zarr.open_array(str(path), mode="r")
        self.shape, self.dtype, self.ndim = self.array.shape, self.array.dtype, self.array.ndim

    def __getitem__(self, key):
        try:
            return np.asarray(self.array[key])
        except Exception as err:  # noqa: BLE001 - zarr / zarrs / numcodecs raise many kinds on damaged bytes
            raise DataFormatError(f"{self.label}, samples {_show(key)}: a chunk cannot be decoded ({type(err).__name__}: "
                                  f"{str(err)[:120]}); expected intact chunks (the store is damaged: convert this "
                                  f"trial again; `mmme check` lists all damage)") from None


def guarded(path, chunks, label: str) -> da.Array:
    """A dask array over the Zarr array at ``path`` (``chunks`` as dask chunks) read through :class:`GuardedArray`."""
    arr = GuardedArray(path, label)
    stamp = (Path(path) / "zarr.json").stat().st_mtime_ns
    return da.from_array(arr, chunks=chunks, name=f"mmme-store-{tokenize(str(path), chunks, stamp)}", asarray=False,
                         lock=False, meta=np.empty((0,) * arr.ndim, arr.dtype))


def event_kinds(events: Path) -> list[str] | None:
    """The ``kind`` of each stored event of a trial's ``events`` group; None when the group is missing or unreadable."""
    import zarr

    if not (Path(events) / "kind" / "zarr.json").is_file():
        return None
    try:
        return [str(k) for k in np.asarray(zarr.open_array(str(Path(events) / "kind"), mode="r")[...]).ravel()]
    except Exception:  # noqa: BLE001 - a damaged group: reported when the trial is read
        return None
