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

import dask.array as da
import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._validate import check_int, check_path, check_sfreq
from .._warnings import MMMEWarning
from ..errors import DataFormatError
from ..vocab.units import SI_UNITS
from .biopac_mat import read_mat_export
from .eeg import _check_trigger
from .matfile import MatMatrix

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
_CHUNK = 2**18  # samples per dask chunk / per trigger-decoding block (~4 min at 1000 Hz)


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


def _trigger(path: Path, data, columns: list) -> np.ndarray:
    """int16 trigger code from the eight digital lines, read in blocks (thresholded at half their maximum)."""
    top = 0.0
    for i in range(0, data.shape[0], _CHUNK):
        block = np.asarray(data[i:i + _CHUNK, columns], dtype=float)
        if not np.all(np.isfinite(block)):
            bad = [d for k, d in enumerate(_DIGITAL) if not np.all(np.isfinite(block[:, k]))]
            raise DataFormatError(f"{path}: non-finite values in {', '.join(bad)}: expected 0 / 5 V levels")
        top = max(top, float(block.max(initial=0.0)))
    code = np.zeros(data.shape[0], dtype=np.int16)
    if top > 0:
        weights = (1 << np.arange(8)).astype(np.int16)
        for i in range(0, data.shape[0], _CHUNK):
            bits = np.asarray(data[i:i + _CHUNK, columns], dtype=float) > 0.5 * top
            code[i:i + _CHUNK] = bits.astype(np.int16) @ weights
    return code


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
        half of their maximum; in memory). The signals are lazy (dask, one chunk per
        2^18 samples): a ``.mat`` export's matrix is read in place, so a window reads only
        its samples and a 73-minute session is not held in memory. Coordinate ``time`` (s on the device clock:
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
        data, labels, units, sfreq, start = read_mat_export(path)
        units = units if units is not None else [BIOPAC_UNITS.get(c, "") for c in labels]
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
    if any(c in _DIGITAL for c in missing):  # the trigger code cannot be decoded without every bit
        raise DataFormatError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} missing: expected the "
            f"{len(BIOPAC_COLUMNS)} columns {', '.join(BIOPAC_COLUMNS)}; found {', '.join(labels)}"
        )
    if missing:  # one unplugged or unexported signal: the others are still usable
        warnings.warn(
            f"{path.name}: column(s) {', '.join(repr(c) for c in missing)} missing: expected the {len(BIOPAC_COLUMNS)} "
            f"columns of the MMME export; the signal(s) {', '.join(_VARS[c] for c in missing)} are left out, the "
            f"others are read", MMMEWarning, stacklevel=2)
    extra = [c for c in labels if c not in BIOPAC_COLUMNS]
    if extra:
        warnings.warn(f"{path.name}: ignoring unknown column(s) {', '.join(extra)}", MMMEWarning, stacklevel=2)
    n = data.shape[0]
    col = {c: i for i, c in reversed(list(enumerate(labels)))}
    variables = {}
    for label, var in _VARS.items():
        if label in missing:
            continue
        j = col[label]
        unit = units[j].strip()
        conv = _UNIT_TO_SI.get(unit.lower())
        if conv is None or conv[1] != SI_UNITS[var]:
            raise DataFormatError(
                f"{path}: column {label!r} has unit {unit!r}: expected a unit convertible to "
                f"{SI_UNITS[var]} (e.g. {BIOPAC_UNITS[label]!r})"
            )
        column = data.column_view(j) if isinstance(data, MatMatrix) else data[:, j]
        x = da.from_array(column, chunks=_CHUNK, name=False).astype(np.float64)  # read when sliced
        variables[var] = xr.Variable(("time",), x * conv[0] if conv[0] != 1.0 else x,
                                     attrs={"units": conv[1], "label": label})
    variables["trigger"] = xr.Variable(("time",), _trigger(path, data, [col[d] for d in _DIGITAL]),
                                       attrs={"units": "1", "label": "Digital (STP Input 0-7)"})
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
