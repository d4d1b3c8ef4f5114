"""The AcqKnowledge ``.mat`` export of a BIOPAC recording: small variables and the mapped matrix."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataFormatError
from .matfile import mat_matrix_map

__all__ = ["read_mat_export"]

def _strings(value) -> list[str]:
    """Labels/units from a loadmat char matrix, cell array or string."""
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        return [str(s).strip() for s in arr.ravel()]
    if arr.dtype == object:
        return [str(np.asarray(s).ravel()[0]).strip() if np.asarray(s).size else "" for s in arr.ravel()]
    raise TypeError(f"not text: {arr.dtype}")


def read_mat_export(path: Path):
    """``(data, labels, units, sfreq, start_sample)`` of an AcqKnowledge ``.mat`` export.

    ``units`` is None when the export has no ``units`` variable.

    ``data`` is the ``(n_samples, n_columns)`` matrix read in place from the file
    (:class:`~mmme_analysis.io.matfile.MatMatrix`), so nothing is read until a window is
    sliced; a compressed export is loaded whole by scipy.
    """
    from scipy.io import loadmat

    what = "an AcqKnowledge .mat export"
    data = mat_matrix_map(path, "data", what=what)
    small = ["labels", "units", "isi", "isi_units", "start_sample"] + ([] if data is not None else ["data"])
    try:
        mat = loadmat(path, squeeze_me=False, chars_as_strings=True, variable_names=small)
    except Exception as err:  # scipy raises ValueError/TypeError/OSError on bad bytes
        raise DataFormatError(
            f"{path}: cannot be read as an AcqKnowledge .mat export (truncated or not a "
            f"MATLAB file): {type(err).__name__}: {err}"
        ) from err
    if data is not None:
        mat["data"] = data
    for var in ("data", "labels", "isi"):
        if var not in mat:
            raise DataFormatError(
                f"{path}: variable {var!r} missing: expected an AcqKnowledge .mat export with "
                f"data, labels, units, isi, isi_units, start_sample (found "
                f"{', '.join(k for k in mat if not k.startswith('__'))})"
            )
    try:
        labels = _strings(mat["labels"])
        units = _strings(mat["units"]) if "units" in mat else None
    except TypeError as err:
        raise DataFormatError(f"{path}: 'labels'/'units' are not text: {err}") from None
    data = mat["data"]
    if data.ndim != 2 or data.dtype.kind not in "fiu":
        raise DataFormatError(
            f"{path}: variable 'data': expected a numeric (n_samples x {len(labels)}) matrix, "
            f"got {data.dtype} {data.shape}"
        )
    isi = np.asarray(mat["isi"], dtype=float).ravel()
    isi_units = _strings(mat["isi_units"])[0] if "isi_units" in mat else "ms"
    scale = {"ms": 1e-3, "msec": 1e-3, "s": 1.0, "sec": 1.0, "us": 1e-6, "µs": 1e-6}.get(isi_units.lower())
    if isi.size != 1 or scale is None or not np.isfinite(isi[0]) or isi[0] <= 0:
        raise DataFormatError(
            f"{path}: variable 'isi': expected one finite positive sample interval in "
            f"ms or s, got {isi.tolist()} {isi_units!r}"
        )
    sfreq = 1.0 / (isi[0] * scale)
    start = float(np.asarray(mat.get("start_sample", 0.0), dtype=float).ravel()[0])
    return data, labels, units, sfreq, start


