"""MATLAB v5 files: a numeric matrix variable read in place, on slicing, not loaded.

A 73-minute BIOPAC export holds a 4.7 M x 17 float64 ``data`` matrix (~640 MB);
:func:`scipy.io.loadmat` reads all of it. An uncompressed MAT v5 file stores a real
numeric matrix as one contiguous column-major block, so :class:`MatMatrix` reads only
the samples a window needs, straight from the file. Compressed
variables (``miCOMPRESSED``) and MAT v7.3 (HDF5) files cannot be read
this way: :func:`mat_matrix_map` then returns None and the caller loads the file.

Layout (MathWorks, "MAT-File Format", v5): a 128-byte header (text, version, endian
indicator ``IM`` / ``MI`` at bytes 126-127), then data elements. Each element has an
8-byte tag (type, byte count) or, for payloads of at most 4 bytes, a 4-byte "small
element" tag (count in the upper 16 bits of the type word). A ``miMATRIX`` element holds
array flags, dimensions, the name, then the real part.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import DataFormatError

__all__ = ["MatColumn", "MatMatrix", "mat_matrix_map"]

_MI_MATRIX, _MI_COMPRESSED, _MI_INT32, _MI_INT8 = 14, 15, 5, 1
#: MAT v5 element type -> NumPy dtype (without byte order)
_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}
_MX_NUMERIC = set(range(6, 16))  # mxDOUBLE_CLASS ... mxUINT64_CLASS
_COMPLEX_FLAG = 0x0800


def _tag(buf: bytes, pos: int, bo: str):
    """(type, nbytes, payload start, element end) of the element whose tag starts at ``pos``."""
    word, count = struct.unpack_from(bo + "II", buf, pos)
    if word >> 16:  # small data element: count in the upper half, payload in the next 4 bytes
        return word & 0xFFFF, word >> 16, pos + 4, pos + 8
    return word, count, pos + 8, pos + 8 + count + (-count % 8)


def _matrix_header(f, start: int, nbytes: int, bo: str, path: Path, what: str):
    """(name, shape, dtype, data offset, data bytes, is numeric real) of a miMATRIX element."""
    f.seek(start)
    head = f.read(min(nbytes, 4096))
    try:
        _, _, p, end = _tag(head, 0, bo)  # array flags
        flags = struct.unpack_from(bo + "I", head, p)[0]
        _, n_dims, p, end = _tag(head, end, bo)
        shape = struct.unpack_from(bo + f"{n_dims // 4}i", head, p)
        _, n_name, p, end = _tag(head, end, bo)
        name = head[p:p + n_name].decode("ascii", "replace")
        kind, n_data, p, _ = _tag(head, end, bo)
    except struct.error:
        raise DataFormatError(f"{path}: cannot be read as {what}: a variable header is cut short: expected a "
                              f"complete MAT v5 element at byte {start}") from None
    numeric = (flags & 0xFF) in _MX_NUMERIC and not flags & _COMPLEX_FLAG and kind in _MI_DTYPES
    return name, shape, bo + _MI_DTYPES.get(kind, "u1"), start + p, n_data, numeric


class MatMatrix:
    """A column-major matrix stored in a file, read on slicing (an array-like for dask).

    ``m[i0:i1, j]`` reads those samples of column ``j`` with one ``pread``-style read;
    ``m[i0:i1, [j, k, ...]]`` reads each column's piece. Nothing is mapped or cached, so
    memory holds only what was asked for (a memory map would count every page touched as
    resident).
    """

    def __init__(self, path, dtype, offset: int, shape: tuple):
        self.path, self.dtype, self.offset, self.shape = Path(path), np.dtype(dtype), int(offset), tuple(shape)
        self.ndim = 2

    def __repr__(self) -> str:
        return f"<MatMatrix {self.shape[0]} x {self.shape[1]} {self.dtype.name} at byte {self.offset}>"

    def column(self, j: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples ``start:stop`` of column ``j``."""
        n = self.shape[0]
        start, stop, _ = slice(start, stop).indices(n)
        count = max(stop - start, 0)
        with open(self.path, "rb") as f:
            out = np.fromfile(f, dtype=self.dtype, count=count,
                              offset=self.offset + (j * n + start) * self.dtype.itemsize)
        if out.size != count:
            raise DataFormatError(f"{self.path}: expected {count} samples of column {j} from sample {start}, "
                                  f"read {out.size} (the file changed or was truncated after it was opened)")
        return out

    def column_view(self, j: int) -> MatColumn:
        """Column ``j`` as a 1-D array-like read on slicing (for :func:`dask.array.from_array`)."""
        return MatColumn(self, j)

    def __getitem__(self, key):
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError(f"Invalid value for 'key': expected a row slice with step 1, got {rows!r}")
        start, stop, _ = rows.indices(self.shape[0])
        if isinstance(cols, (int, np.integer)):
            return self.column(int(cols), start, stop)
        picked = range(self.shape[1])[cols] if isinstance(cols, slice) else list(cols)
        return np.stack([self.column(int(j), start, stop) for j in picked], axis=1) if len(picked) else (
            np.empty((max(stop - start, 0), 0), self.dtype))


class MatColumn:
    """One column of a :class:`MatMatrix`: ``shape``, ``dtype``, ``ndim`` and row slicing."""

    def __init__(self, matrix: MatMatrix, j: int):
        self.matrix, self.j = matrix, int(j)
        self.shape, self.dtype, self.ndim = (matrix.shape[0],), matrix.dtype, 1

    def __getitem__(self, key):
        key = key[0] if isinstance(key, tuple) else key
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"Invalid value for 'key': expected a slice with step 1, got {key!r}")
        start, stop, _ = key.indices(self.shape[0])
        return self.matrix.column(self.j, start, stop)


def mat_matrix_map(path, name: str, *, what: str = "a MATLAB v5 file") -> MatMatrix | None:
    """Variable ``name`` of a MAT v5 file, read in place on slicing, or None if it cannot be.

    Parameters
    ----------
    path : str | os.PathLike
        MATLAB v5 ``.mat`` file.
    name : str
        Variable name (a real numeric 2-D matrix).
    what : str
        What the file should be, for the error message.

    Returns
    -------
    MatMatrix | None
        ``(rows, cols)`` array-like over the file (opened read-only at each read; the file
        is never written); None when the variable is compressed, not a real numeric
        matrix, absent, or the file is not MAT v5 (the caller then loads it with scipy).

    Raises
    ------
    DataFormatError
        If the variable's bytes run past the end of the file (a truncated export).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from scipy.io import savemat
    >>> from mmme_analysis.io.matfile import mat_matrix_map
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.mat"
    >>> savemat(path, {"data": np.arange(6.0).reshape(3, 2)})
    >>> mat_matrix_map(path, "data")[:, 1].tolist()
    [1.0, 3.0, 5.0]
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(128)
        if len(header) < 128 or header[124:126] not in (b"\x00\x01", b"\x01\x00"):
            return None
        bo = "<" if header[126:128] == b"IM" else ">"
        pos = 128
        while pos + 8 <= size:
            f.seek(pos)
            kind, nbytes, start, end = _tag(f.read(8), 0, bo)
            start, end = pos + start, pos + end
            if kind == _MI_MATRIX:
                var, shape, dtype, offset, n_data, numeric = _matrix_header(f, start, nbytes, bo, path, what)
                if var == name:
                    if not numeric or len(shape) != 2:
                        return None
                    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
                    if n_data != expected or offset + expected > size:
                        raise DataFormatError(
                            f"{path}: cannot be read as {what}: variable {name!r} is cut short: expected {expected} bytes of "
                            f"{shape[0]} x {shape[1]} {np.dtype(dtype).name} data from byte {offset}, the file "
                            f"has {max(size - offset, 0)} (a truncated export?)")
                    return MatMatrix(path, dtype, offset, tuple(shape))
            elif kind == _MI_COMPRESSED:
                return None  # names sit inside the compressed stream; let scipy read the file
            pos = end
    return None
