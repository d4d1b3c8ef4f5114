"""BIOPAC MP160 / AcqKnowledge peripheral recordings: ``.mat`` export and native ``.acq``.

The MMME sessions were exported from AcqKnowledge 5 as MATLAB files with the
variables ``data`` (n_samples x 17, double), ``labels`` and ``units`` (character
matrices, one row per column, blank-padded), ``isi`` (sample interval) with
``isi_units`` (``'ms'``) and ``start_sample``. The 17 columns are
:data:`BIOPAC_COLUMNS`; the eight ``Digital (STP Input k)`` lines carry bit ``k`` of the
DB25 trigger code as 0 / 5 V.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._validate import check_int, check_path, check_sfreq
from .._warnings import MMMEWarning
from ..errors import DataFormatError
from ..vocab.units import SI_UNITS
from .eeg import _check_trigger

__all__ = [
    "BIOPAC_COLUMNS",
    "BIOPAC_UNITS",
    "write_biopac_mat",
    "write_biopac_blocks",
    "read_biopac",
    "find_biopac_events",
]

_DIGITAL = tuple(f"Digital (STP Input {k})" for k in range(8))

#: The 17 columns of the MMME AcqKnowledge export, in file order.
BIOPAC_COLUMNS = (
    "PPG", "RSP", "EMG A", "SKT A", "EDA", "ECG", "EMG B", "SKT B", *_DIGITAL,
    "ECG rate (.5 - 35 Hz)",
)

#: Units AcqKnowledge writes for each column (the export's own spelling).
BIOPAC_UNITS = {
    "PPG": "Volts", "RSP": "Volts", "EMG A": "mV", "SKT A": "Deg C", "EDA": "microsiemens",
    "ECG": "mV", "EMG B": "mV", "SKT B": "Deg C", **{d: "Volts" for d in _DIGITAL},
    "ECG rate (.5 - 35 Hz)": "BPM",
}

# column -> (variable name in the Dataset, key in simulate_peri's signals dict)
_VARS = {
    "ECG": "ECG", "PPG": "PPG", "RSP": "RSP", "EDA": "EDA", "SKT A": "SKT", "EMG A": "EMG",
    "EMG B": "EMG_B", "SKT B": "SKT_B", "ECG rate (.5 - 35 Hz)": "ECG_rate",
}
# export unit (lower case, stripped) -> (factor to SI, SI unit)
_UNIT_TO_SI = {
    "v": (1.0, "V"), "volts": (1.0, "V"), "volt": (1.0, "V"),
    "mv": (1e-3, "V"), "millivolts": (1e-3, "V"),
    "µv": (1e-6, "V"), "uv": (1e-6, "V"), "microvolts": (1e-6, "V"),
    "microsiemens": (1e-6, "S"), "µs": (1e-6, "S"), "us": (1e-6, "S"), "µmho": (1e-6, "S"),
    "umho": (1e-6, "S"), "siemens": (1.0, "S"), "s": (1.0, "S"),
    "deg c": (1.0, "degC"), "degc": (1.0, "degC"), "°c": (1.0, "degC"), "deg. c": (1.0, "degC"),
    "bpm": (1.0, "bpm"),
}
_DIGITAL_HIGH_V = 5.0


_REQUIRED = ("ECG", "PPG", "RSP", "EMG", "EDA", "SKT")
# MAT v5 element types / classes used by the block writer (native byte order, as scipy writes)
_MI_INT8, _MI_INT32, _MI_UINT32, _MI_DOUBLE, _MI_MATRIX, _MX_DOUBLE = 1, 5, 6, 9, 14, 6


def _check_signals(signals, trigger, required=_REQUIRED):
    """Validated ({key: float array (n,)}, trigger (n,)) of one block or recording."""
    if not isinstance(signals, dict):
        raise TypeError(f"Invalid value for 'signals': expected a dict of arrays, got {type(signals).__name__}")
    missing = [k for k in required if k not in signals]
    if missing:
        raise ValueError(f"Invalid value for 'signals': expected keys {', '.join(required)}, missing {', '.join(missing)}")
    n = np.asarray(signals["ECG"]).shape[0]
    trig = _check_trigger(trigger, n)
    sig = {}
    for key, arr in signals.items():
        a = np.asarray(arr, dtype=float)
        if a.shape != (n,):
            raise ValueError(f"Invalid value for 'signals[{key!r}]': expected shape ({n},), got {a.shape}")
        sig[key] = a
    return sig, trig


def _columns(sig: dict, trig: np.ndarray):
    """The 17 export columns (export units) of validated signals, one array each."""
    n = trig.size
    for label in BIOPAC_COLUMNS:
        if label in _DIGITAL:
            yield ((trig >> _DIGITAL.index(label)) & 1).astype(float) * _DIGITAL_HIGH_V
            continue
        key = _VARS[label]
        factor, _ = _UNIT_TO_SI[BIOPAC_UNITS[label].lower()]
        yield sig[key] / factor if key in sig else np.zeros(n)


def write_biopac_mat(path, signals: dict, sfreq, trigger) -> Path:
    """Write an AcqKnowledge-style ``.mat`` export (17 columns), atomically.

    Parameters
    ----------
    path : str | os.PathLike
        Output ``.mat`` file.
    signals : dict of str -> array (n_samples,)
        SI signals as :func:`~mmme_analysis.synth.peri.simulate_peri` returns them:
        required ``ECG``, ``PPG``, ``RSP``, ``EMG`` (V), ``EDA`` (S), ``SKT`` (degC);
        optional ``EMG_B`` (V), ``SKT_B`` (degC) (zeros when absent: unplugged input)
        and ``ECG_rate`` (bpm; computed from ``ECG`` with NeuroKit2 when absent).
    sfreq : float
        Sampling frequency (Hz); stored as ``isi`` = 1000 / sfreq ms.
    trigger : array of int, shape (n_samples,)
        Trigger code per sample (0-255); bit k is written to ``Digital (STP Input k)``
        as 0 / 5 V.

    Returns
    -------
    pathlib.Path

    See Also
    --------
    write_biopac_blocks : the same file from consecutive blocks (bounded memory).
    """
    path = check_path("path", path, must_exist=False)
    sfreq = check_sfreq(sfreq)
    sig, trig = _check_signals(signals, trigger)
    if "ECG_rate" not in sig:
        sig["ECG_rate"] = _ecg_rate_from_ecg(sig["ECG"], sfreq)
    return write_biopac_blocks(path, [(sig, trig)], sfreq, trig.size)


def write_biopac_blocks(path, blocks, sfreq, n_samples: int) -> Path:
    """Write an AcqKnowledge-style ``.mat`` export from consecutive blocks, in bounded memory.

    The file is the MATLAB v5 file :func:`write_biopac_mat` writes (``data`` float64
    n_samples x 17, ``labels``, ``units``, ``isi``, ``isi_units``, ``start_sample``): the
    small variables are encoded by :func:`scipy.io.savemat`, the ``data`` matrix is
    written block by block into its place (column-major, so each block is written as 17
    column pieces). Memory holds one block at a time. MAT v5 limits a variable to
    4 GiB: at most 31.5 million samples.

    Parameters
    ----------
    path : str | os.PathLike
        Output ``.mat`` file (written to a temporary name, then renamed).
    blocks : iterable of (signals, trigger)
        Consecutive blocks, as the ``signals`` dict and ``trigger`` of
        :func:`write_biopac_mat` but with ``ECG_rate`` required (a rate cannot be
        derived from one block of ECG).
    sfreq : float
        Sampling frequency (Hz).
    n_samples : int
        Total number of samples (the blocks' lengths must add up to it).

    Returns
    -------
    pathlib.Path
    """
    import io
    import struct

    from scipy.io import savemat

    path = check_path("path", path, must_exist=False)
    sfreq = check_sfreq(sfreq)
    n = check_int("n_samples", n_samples, min_value=1)
    n_cols = len(BIOPAC_COLUMNS)
    if n * n_cols * 8 + 64 >= 2**32:
        raise ValueError(f"Invalid value for 'n_samples': expected at most {(2**32 - 64) // (8 * n_cols)} "
                         f"(MAT v5 variables are limited to 4 GiB), got {n}")
    width = max(len(c) for c in BIOPAC_COLUMNS)
    small = io.BytesIO()
    savemat(small, {
        "labels": np.array([c.ljust(width) for c in BIOPAC_COLUMNS]),
        "units": np.array([BIOPAC_UNITS[c].ljust(12) for c in BIOPAC_COLUMNS]),
        "isi": np.array([[1000.0 / sfreq]]),
        "isi_units": "ms",
        "start_sample": np.array([[0.0]]),
    }, do_compression=False, oned_as="column")
    small = small.getvalue()
    nbytes = n * n_cols * 8
    head = (struct.pack("=IIII", _MI_UINT32, 8, _MX_DOUBLE, 0) + struct.pack("=IIii", _MI_INT32, 8, n, n_cols)
            + struct.pack("=II", _MI_INT8, 4) + b"data\0\0\0\0" + struct.pack("=II", _MI_DOUBLE, nbytes))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(small[:128] + struct.pack("=II", _MI_MATRIX, len(head) + nbytes) + head)
        base, row = f.tell(), 0
        for signals, trigger in blocks:
            sig, trig = _check_signals(signals, trigger, _REQUIRED + ("ECG_rate",))
            if row + trig.size > n:
                raise ValueError(f"Invalid value for 'blocks': expected {n} samples in all (n_samples), got more")
            for j, col in enumerate(_columns(sig, trig)):
                f.seek(base + (j * n + row) * 8)
                f.write(np.ascontiguousarray(col, dtype="=f8").tobytes())
            row += trig.size
            del signals, sig, trig, col  # free this block before the next one is made
        if row != n:
            raise ValueError(f"Invalid value for 'blocks': expected {n} samples in all (n_samples), got {row}")
        f.seek(base + nbytes)
        f.write(small[128:])
    return path


def _ecg_rate_from_ecg(ecg: np.ndarray, sfreq: float) -> np.ndarray:
    import neurokit2 as nk

    _, info = nk.ecg_peaks(ecg, sampling_rate=int(round(sfreq)))
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    if peaks.size < 2:
        return np.zeros(ecg.size)
    return np.asarray(
        nk.signal_rate(peaks, sampling_rate=int(round(sfreq)), desired_length=ecg.size), dtype=float
    )


def _strings(value) -> list[str]:
    """Labels/units from a loadmat char matrix, cell array or string."""
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        return [str(s).strip() for s in arr.ravel()]
    if arr.dtype == object:
        return [str(np.asarray(s).ravel()[0]).strip() if np.asarray(s).size else "" for s in arr.ravel()]
    raise TypeError(f"not text: {arr.dtype}")


def _read_mat(path: Path):
    from scipy.io import loadmat

    try:
        mat = loadmat(path, squeeze_me=False, chars_as_strings=True)
    except Exception as err:  # scipy raises ValueError/TypeError/OSError on bad bytes
        raise DataFormatError(
            f"{path}: cannot be read as an AcqKnowledge .mat export (truncated or not a "
            f"MATLAB file): {type(err).__name__}: {err}"
        ) from err
    for var in ("data", "labels", "isi"):
        if var not in mat:
            raise DataFormatError(
                f"{path}: variable {var!r} missing: expected an AcqKnowledge .mat export with "
                f"data, labels, units, isi, isi_units, start_sample (found "
                f"{', '.join(k for k in mat if not k.startswith('__'))})"
            )
    try:
        labels = _strings(mat["labels"])
        units = _strings(mat["units"]) if "units" in mat else [BIOPAC_UNITS.get(c, "") for c in labels]
    except TypeError as err:
        raise DataFormatError(f"{path}: 'labels'/'units' are not text: {err}") from None
    data = np.asarray(mat["data"])
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


def _read_acq(path: Path):
    import bioread

    try:
        acq = bioread.read_file(str(path))
    except Exception as err:
        raise DataFormatError(
            f"{path}: cannot be read as an AcqKnowledge .acq file: {type(err).__name__}: {err}"
        ) from err
    chans = list(acq.channels)
    if not chans:
        raise DataFormatError(f"{path}: no channels: expected the columns {', '.join(BIOPAC_COLUMNS)}")
    rates = {float(c.samples_per_second) for c in chans}
    lengths = {len(c.data) for c in chans}
    if len(rates) != 1 or len(lengths) != 1:
        bad = ", ".join(f"{c.name} ({c.samples_per_second} Hz, {len(c.data)} samples)" for c in chans)
        raise DataFormatError(
            f"{path}: channels with different sampling rates or lengths: expected one rate "
            f"for all columns, got {bad}"
        )
    data = np.column_stack([np.asarray(c.data, dtype=float) for c in chans])
    return data, [str(c.name).strip() for c in chans], [str(c.units).strip() for c in chans], rates.pop(), 0.0


def read_biopac(path):
    """Read a BIOPAC recording (AcqKnowledge ``.mat`` export or native ``.acq``).

    Parameters
    ----------
    path : str | os.PathLike
        ``.mat`` export (variables data, labels, units, isi, isi_units, start_sample)
        or ``.acq`` file (read with bioread), with the 17 :data:`BIOPAC_COLUMNS`.

    Returns
    -------
    xarray.Dataset
        Dimension ``time``; variables ``ECG``, ``PPG``, ``RSP``, ``EMG`` (EMG A),
        ``EMG_B`` (V), ``EDA`` (S), ``SKT`` (SKT A), ``SKT_B`` (degC), ``ECG_rate``
        (bpm), each with a ``units`` attr and a ``label`` attr (the file's column), and
        ``trigger`` (int16, code decoded from the eight digital lines, thresholded at
        half of their maximum). Coordinate ``time`` (s on the device clock:
        ``(start_sample + sample) / sfreq``). Attrs ``sfreq`` (Hz) and ``source`` (file).

    Raises
    ------
    DataFormatError
        Unreadable / truncated file, missing variables or columns, a column count that
        does not match the labels, an invalid sample interval, unknown units.
    """
    import xarray as xr

    path = check_path("path", path, kind="file")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        data, labels, units, sfreq, start = _read_mat(path)
    elif suffix == ".acq":
        data, labels, units, sfreq, start = _read_acq(path)
    else:
        raise DataFormatError(f"{path}: unknown BIOPAC file type {suffix!r}: expected .mat or .acq")
    if data.shape[1] != len(labels):
        raise DataFormatError(
            f"{path}: 'data' has {data.shape[1]} columns but there are {len(labels)} labels: "
            f"expected one column per label ({len(BIOPAC_COLUMNS)} in the MMME export)"
        )
    if len(units) != len(labels):
        raise DataFormatError(f"{path}: {len(units)} units for {len(labels)} labels: expected one unit per column")
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise DataFormatError(f"{path}: sampling frequency {sfreq!r}: expected a finite positive number")
    missing = [c for c in BIOPAC_COLUMNS if c not in labels]
    if missing:
        raise DataFormatError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} missing: expected the "
            f"{len(BIOPAC_COLUMNS)} columns {', '.join(BIOPAC_COLUMNS)}; found {', '.join(labels)}"
        )
    extra = [c for c in labels if c not in BIOPAC_COLUMNS]
    if extra:
        warnings.warn(f"{path.name}: ignoring unknown column(s) {', '.join(extra)}", MMMEWarning, stacklevel=2)
    n = data.shape[0]
    col = {c: i for i, c in reversed(list(enumerate(labels)))}
    variables = {}
    for label, var in _VARS.items():
        j = col[label]
        unit = units[j].strip()
        conv = _UNIT_TO_SI.get(unit.lower())
        if conv is None or conv[1] != SI_UNITS[var]:
            raise DataFormatError(
                f"{path}: column {label!r} has unit {unit!r}: expected a unit convertible to "
                f"{SI_UNITS[var]} (e.g. {BIOPAC_UNITS[label]!r})"
            )
        x = np.asarray(data[:, j], dtype=np.float64) * conv[0]
        variables[var] = xr.Variable(("time",), x, attrs={"units": conv[1], "label": label})
    digital = np.column_stack([np.asarray(data[:, col[d]], dtype=float) for d in _DIGITAL])
    if not np.all(np.isfinite(digital)):
        bad = [d for k, d in enumerate(_DIGITAL) if not np.all(np.isfinite(digital[:, k]))]
        raise DataFormatError(f"{path}: non-finite values in {', '.join(bad)}: expected 0 / 5 V levels")
    top = digital.max() if digital.size else 0.0
    bits = digital > (0.5 * top) if top > 0 else np.zeros_like(digital, dtype=bool)
    trigger = (bits.astype(np.int16) << np.arange(8, dtype=np.int16)).sum(axis=1).astype(np.int16)
    variables["trigger"] = xr.Variable(("time",), trigger, attrs={"units": "1", "label": "Digital (STP Input 0-7)"})
    time = (start + np.arange(n)) / sfreq
    return xr.Dataset(
        variables,
        coords={"time": ("time", time, {"units": "s"})},
        attrs={"sfreq": float(sfreq), "source": str(path)},
    )


def find_biopac_events(ds) -> pd.DataFrame:
    """Onsets of the non-zero trigger codes of a :func:`read_biopac` Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        With a ``trigger`` variable along ``time``.

    Returns
    -------
    pandas.DataFrame
        Columns ``marker`` (int), ``sample`` (int, 0-based index in the file) and
        ``time`` (s, the Dataset's ``time`` coordinate at that sample).
    """
    if "trigger" not in getattr(ds, "data_vars", {}):
        src = getattr(ds, "attrs", {}).get("source", "<dataset>")
        raise DataFormatError(f"{src}: no 'trigger' variable: expected the Dataset of read_biopac")
    code = np.asarray(ds["trigger"].values, dtype=np.int64)
    prev = np.concatenate([[0], code[:-1]])
    onsets = np.flatnonzero((code != 0) & (code != prev))
    times = np.asarray(ds["time"].values, dtype=float)[onsets]
    return pd.DataFrame({"marker": code[onsets], "sample": onsets.astype(np.int64), "time": times})
