"""EEG session files: write (BrainVision / FIF) and read (anything MNE reads).

The real MMME sessions are Neuroscan Curry files (``Acquisition 01.cdt``) with 64 EEG
channels, HEO, VEO, EKG, EMG and a ``Trigger`` channel carrying the DB25 marker codes
(100-148) sample by sample. :func:`write_eeg_session` writes the same content as
BrainVision (``.vhdr``/``.vmrk``/``.eeg``, pybv's layout) or FIF, with the trigger codes in
a ``Trigger`` channel (not as markers), so that the readers below treat synthetic and
real sessions alike; :func:`write_eeg_blocks` writes the BrainVision files block by block
(long sessions in bounded memory).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._validate import check_option, check_path, check_sfreq
from .._warnings import MMMEWarning
from ..errors import DataFormatError
from .eeg_checks import check_plausible

__all__ = ["write_eeg_session", "write_eeg_blocks", "read_eeg", "find_eeg_events", "TRIGGER_NAME"]

#: Name of the trigger channel written by :func:`write_eeg_session` (as in Curry files).
TRIGGER_NAME = "Trigger"

_TYPE_BY_NAME = {
    "HEO": "eog", "VEO": "eog", "HEOG": "eog", "VEOG": "eog", "EOG": "eog",
    "EKG": "ecg", "ECG": "ecg",
    "EMG": "emg",
    "TRIGGER": "stim", "STI": "stim", "STI 014": "stim", "STI014": "stim", "STATUS": "stim",
}
_VOLTAGE_TYPES = ("eeg", "eog", "ecg", "emg", "misc", "seeg", "ecog", "bio")
# BrainVision stores a non-voltage unit as is; MNE reads such a channel unscaled (misc).
_TRIGGER_UNIT = "ARU"
_BV_RESOLUTION = 0.1  # uV per stored unit of the EEG channels
_BV_CHUNK = 16384  # samples converted to float32 at a time
_MARKER_RE = re.compile(r"^(?:[^/]*/)?\s*[A-Za-z]?\s*(\d+)\s*$")


def _montage():
    import mne

    name = "colin27_1005" if "colin27_1005" in mne.channels.get_builtin_montages() else "standard_1005"
    return mne.channels.make_standard_montage(name)


def _as_utc(meas_date):
    if meas_date is None:
        return None
    if not isinstance(meas_date, _dt.datetime):
        raise TypeError(f"Invalid value for 'meas_date': expected a datetime.datetime or None, got {meas_date!r}")
    if meas_date.tzinfo is None:
        return meas_date.replace(tzinfo=_dt.timezone.utc)
    return meas_date.astimezone(_dt.timezone.utc)


def _check_trigger(trigger, n: int) -> np.ndarray:
    """``trigger`` as an int array of shape ``(n,)`` with 8-bit DB25 codes (0-255)."""
    trig = np.asarray(trigger)
    if trig.shape != (n,) or not np.issubdtype(trig.dtype, np.integer):
        raise ValueError(f"Invalid value for 'trigger': expected an int array of shape ({n},), got {trig.dtype} {trig.shape}")
    if trig.size and (trig.min() < 0 or trig.max() > 255):
        raise ValueError(f"Invalid value for 'trigger': expected codes in 0..255 (8-bit DB25), got {trig.min()}..{trig.max()}")
    return trig


def _check_channels(ch_names, ch_types, n_ch: int):
    ch_names = [str(c) for c in ch_names]
    ch_types = [str(c) for c in ch_types]
    if len(ch_names) != n_ch or len(ch_types) != n_ch:
        raise ValueError(
            f"Invalid value for 'ch_names'/'ch_types': expected {n_ch} entries (data rows), "
            f"got {len(ch_names)} / {len(ch_types)}"
        )
    if TRIGGER_NAME in ch_names:
        raise ValueError(f"Invalid value for 'ch_names': expected no {TRIGGER_NAME!r} channel (it is added from "
                         f"'trigger'), got {ch_names!r}")
    for t in ch_types:
        check_option("ch_types", t, _VOLTAGE_TYPES)
    return ch_names, ch_types


def _check_block(data, trigger, n_ch: int | None):
    """Validated (data (n_ch, n) float, trigger (n,) int) of one block or session."""
    data = np.asarray(data, dtype=float)
    if data.ndim != 2 or (n_ch is not None and data.shape[0] != n_ch):
        rows = "n_channels" if n_ch is None else str(n_ch)
        raise ValueError(f"Invalid value for 'data': expected a 2D array ({rows}, n_samples), got shape {data.shape}")
    trig = _check_trigger(trigger, data.shape[1])
    if not np.all(np.isfinite(data)):
        raise ValueError("Invalid value for 'data': expected finite values, got NaN or inf")
    return data, trig


def write_eeg_session(path, data, sfreq, ch_names, ch_types, trigger, *, meas_date=None) -> Path:
    """Write an EEG session file with a ``Trigger`` channel, atomically.

    Parameters
    ----------
    path : str | os.PathLike
        Output file: ``.vhdr`` (BrainVision: ``.vhdr``, ``.vmrk`` and ``.eeg`` are
        written beside each other with the same stem) or ``.fif``.
    data : array, shape (n_channels, n_samples)
        Signals in volts.
    sfreq : float
        Sampling frequency (Hz).
    ch_names, ch_types : sequence of str, length n_channels
        Channel names and MNE types (eeg, eog, ecg, emg, misc).
    trigger : array of int, shape (n_samples,)
        Trigger code per sample (0 = none, 1-255: DB25 code, held for a few samples).
        Written as an extra channel named ``Trigger`` (BrainVision: unit ``ARU``,
        stored unscaled as float32, which holds integer codes exactly).
    meas_date : datetime.datetime | None
        Recording start; naive datetimes are taken as UTC.

    Returns
    -------
    pathlib.Path
        The written file (the ``.vhdr`` for BrainVision).

    See Also
    --------
    write_eeg_blocks : the same BrainVision files from consecutive blocks (bounded memory).
    """
    path = check_path("path", path, must_exist=False)
    suffix = check_option("path suffix", path.suffix.lower(), (".vhdr", ".fif"))
    sfreq = check_sfreq(sfreq)
    data, trig = _check_block(data, trigger, None)
    ch_names, ch_types = _check_channels(ch_names, ch_types, data.shape[0])
    if suffix == ".vhdr":
        return write_eeg_blocks(path, [(data, trig)], sfreq, ch_names, ch_types, meas_date=meas_date)
    meas_date = _as_utc(meas_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_fif(path, data, sfreq, ch_names, ch_types, trig, meas_date)
    return path


def write_eeg_blocks(path, blocks, sfreq, ch_names, ch_types, *, meas_date=None) -> Path:
    """Write a BrainVision session from consecutive blocks, atomically, in bounded memory.

    The ``.eeg`` file (multiplexed float32, as pybv writes it) is appended block by block,
    so memory holds one block at a time; the ``.vhdr``/``.vmrk`` text comes from pybv.
    The files are the ones :func:`write_eeg_session` writes for the concatenated data.

    Parameters
    ----------
    path : str | os.PathLike
        Output ``.vhdr`` file (``.vmrk`` and ``.eeg`` beside it, same stem).
    blocks : iterable of (data, trigger)
        Consecutive blocks: ``data`` (n_channels, n) in volts and ``trigger`` (n,) int
        codes 0-255 (see :func:`write_eeg_session`); consumed one at a time.
    sfreq : float
        Sampling frequency (Hz).
    ch_names, ch_types : sequence of str, length n_channels
        As in :func:`write_eeg_session`.
    meas_date : datetime.datetime | None
        Recording start; naive datetimes are taken as UTC.

    Returns
    -------
    pathlib.Path
        The ``.vhdr`` file.
    """
    import pybv

    path = check_path("path", path, must_exist=False)
    check_option("path suffix", path.suffix.lower(), (".vhdr",))
    sfreq = check_sfreq(sfreq)
    ch_names = [str(c) for c in ch_names]
    ch_names, ch_types = _check_channels(ch_names, ch_types, len(ch_names))
    meas_date = _as_utc(meas_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_ch, stem = len(ch_names), path.stem
    # pybv's scaling: volts -> uV / resolution (EEG), the trigger unscaled
    scales = np.array([1e6 * (1 / _BV_RESOLUTION)] * n_ch + [1.0])[:, None]
    tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-pybv-", dir=path.parent))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*non-voltage units.*", category=UserWarning)
            pybv.write_brainvision(  # headers (and a 1-sample .eeg, replaced below)
                data=np.zeros((n_ch + 1, 1)), sfreq=sfreq, ch_names=ch_names + [TRIGGER_NAME], fname_base=stem,
                folder_out=tmpdir, overwrite=True, unit=["µV"] * n_ch + [_TRIGGER_UNIT],
                resolution=np.array([_BV_RESOLUTION] * n_ch + [1.0]), fmt="binary_float32", meas_date=meas_date,
            )
        n_total = 0
        with open(tmpdir / f"{stem}.eeg", "wb") as f:
            for data, trigger in blocks:
                data, trig = _check_block(data, trigger, n_ch)
                for s in range(0, data.shape[1], _BV_CHUNK):  # bounded float32 temporaries
                    part = np.vstack([data[:, s:s + _BV_CHUNK], trig[None, s:s + _BV_CHUNK].astype(float)])
                    f.write(np.ascontiguousarray((part * scales).astype("<f4").T).tobytes())
                n_total += data.shape[1]
                del data, trig, part  # free this block before the next one is made
        if n_total == 0:
            raise ValueError("Invalid value for 'blocks': expected at least one sample, got none")
        # data and marker files first, header last: a reader never sees a header
        # pointing at missing files
        for ext in (".eeg", ".vmrk", ".vhdr"):
            os.replace(tmpdir / (stem + ext), path.with_suffix(ext))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path


def _write_fif(path, data, sfreq, ch_names, ch_types, trig, meas_date):
    import mne

    info = mne.create_info(ch_names + [TRIGGER_NAME], sfreq, ch_types + ["stim"])
    raw = mne.io.RawArray(np.vstack([data, trig.astype(float)[None, :]]), info, verbose="error")
    if meas_date is not None:
        raw.set_meas_date(meas_date)
    with atomic_path(path, suffix="_raw.fif") as tmp:
        raw.save(tmp, overwrite=True, verbose="error")


def read_eeg(path, *, preload: bool = False):
    """Read an EEG recording with MNE and set channel types and a 10-05 montage.

    Parameters
    ----------
    path : str | os.PathLike
        Any file ``mne.io.read_raw`` reads: ``.cdt`` (Curry), ``.set`` (EEGLAB),
        ``.vhdr`` (BrainVision), ``.edf``/``.bdf``, ``.fif``.
    preload : bool
        Load the data into memory.

    Returns
    -------
    mne.io.BaseRaw
        HEO/VEO are ``eog``, EKG/ECG ``ecg``, EMG ``emg``, Trigger/STI ``stim``. When the
        file has no EEG positions, positions come from MNE's standard 10-05 montage
        (case-insensitive names); EEG channels without a standard position (e.g. CB1,
        CB2 of the Quik-Cap) keep NaN positions and an :class:`MMMEWarning` names them.

    Raises
    ------
    DataFormatError
        If MNE cannot read the file.
    """
    import mne

    path = check_path("path", path, kind="file")
    try:
        try:
            raw = mne.io.read_raw(path, preload=preload, verbose="error")
        except Exception as err:  # noqa: BLE001 - a BrainVision marker file MNE cannot parse?
            raw = _without_markers(path, preload, err)
        if not preload and raw.n_times:
            # lazily read files fail only when the data is touched: read the last
            # sample now so that a truncated file fails here, not deep in an analysis
            raw.get_data(start=raw.n_times - 1, stop=raw.n_times)
    except Exception as err:  # MNE raises many kinds on corrupt input
        raise DataFormatError(
            f"{path}: cannot be read as an EEG recording (expected a complete file MNE "
            f"reads: .cdt, .set, .vhdr, .edf, .bdf, .fif): {type(err).__name__}: {err}"
        ) from err
    mapping = {}
    for name, kind in zip(raw.ch_names, raw.get_channel_types()):
        new = _TYPE_BY_NAME.get(name.strip().upper())
        if new is not None and new != kind:
            mapping[name] = new
    if mapping:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unit-change notices
            raw.set_channel_types(mapping, verbose="error")
    check_plausible(raw, path)  # channel types set: the trigger is not an EEG channel
    eeg_picks = mne.pick_types(raw.info, eeg=True, exclude=[])
    if eeg_picks.size:
        locs = np.array([raw.info["chs"][i]["loc"][:3] for i in eeg_picks])
        has_pos = np.isfinite(locs).all(axis=1) & (np.abs(locs).sum(axis=1) > 0)
        if not has_pos.any():
            montage = _montage()
            known = {c.upper() for c in montage.ch_names}
            raw.set_montage(montage, match_case=False, on_missing="ignore", verbose="error")
            missing = [raw.ch_names[i] for i in eeg_picks if raw.ch_names[i].upper() not in known]
            if missing:
                warnings.warn(f"{path.name}: no standard 10-05 position for EEG channel(s) {', '.join(missing)}; "
                              "their positions are NaN", MMMEWarning, stacklevel=2)
    return raw


def _without_markers(path: Path, preload: bool, err: Exception):
    """A BrainVision recording read again without its marker file (the markers are in the Trigger channel);
    ``err`` (the first attempt's) is raised when that fails too or the file is not BrainVision."""
    import mne

    if path.suffix.lower() != ".vhdr" or not path.with_suffix(".vmrk").is_file():
        raise err
    try:
        raw = mne.io.read_raw_brainvision(path, preload=preload, overrides={"marker_fname": False}, verbose="error")
    except Exception:  # noqa: BLE001 - not the marker file's fault: report the first error
        raise err from None
    warnings.warn(f"{path.name}: its marker file {path.with_suffix('.vmrk').name} cannot be read ({type(err).__name__}: "
                  f"{str(err)[:120]}); read without it: the trigger codes come from the {TRIGGER_NAME!r} channel",
                  MMMEWarning, stacklevel=3)
    return raw


def _source_name(raw) -> str:
    fnames = getattr(raw, "filenames", None) or [None]
    if fnames[0] is None:
        return "<in-memory Raw>"
    fname = Path(fnames[0])
    header = fname.with_suffix(".vhdr")  # BrainVision: name the header the user opened
    if fname.suffix.lower() in (".eeg", ".dat") and header.is_file():
        return str(header)
    return str(fname)


def _events_frame(samples, markers, sfreq) -> pd.DataFrame:
    samples = np.asarray(samples, dtype=np.int64)
    return pd.DataFrame(
        {
            "marker": np.asarray(markers, dtype=np.int64),
            "sample": samples,
            "time": samples / float(sfreq),
        }
    )


def _parse_marker(description: str):
    m = _MARKER_RE.match(str(description))
    return int(m.group(1)) if m else None


def find_eeg_events(raw) -> pd.DataFrame:
    """Trigger onsets of an EEG recording.

    Uses the stim channel (``Trigger``, onsets of each non-zero code via
    ``mne.find_events``) or, when there is none or it carries no code, the annotations
    whose description ends in a number (``"101"``, ``"Stimulus/S101"``,
    ``"Stimulus/S 101"``).

    Parameters
    ----------
    raw : mne.io.BaseRaw

    Returns
    -------
    pandas.DataFrame
        Columns ``marker`` (int), ``sample`` (int, 0-based from the first sample of
        the recording) and ``time`` (s, ``sample / sfreq``), sorted by sample.

    Raises
    ------
    DataFormatError
        If neither a trigger channel with codes nor numeric annotations exist.
    """
    import mne

    sfreq = raw.info["sfreq"]
    stim = [raw.ch_names[i] for i in mne.pick_types(raw.info, stim=True, exclude=[])]
    if not stim:
        stim = [c for c in raw.ch_names if _TYPE_BY_NAME.get(c.strip().upper()) == "stim"]
    stim.sort(key=lambda c: c.strip().upper() != "TRIGGER")
    if stim:
        values = raw.get_data(picks=[stim[0]])[0]
        trig = np.rint(values)
        off = np.flatnonzero(~np.isfinite(values) | (np.abs(values - trig) > 1e-3) | (trig < 0) | (trig > 255))
        if off.size:
            raise DataFormatError(
                f"{_source_name(raw)}: the {stim[0]} channel holds {values[off[0]]!r} at {off[0] / sfreq:.3f} s "
                f"({off.size} samples are not integer codes 0..255); expected 8-bit DB25 trigger codes (a corrupt "
                f"data file, or a wrong BinaryFormat / resolution in the header?)")
        # find_events on the rounded codes: onset of each code, consecutive codes kept
        info = mne.create_info([stim[0]], sfreq, ["stim"])
        tr = mne.io.RawArray(trig[None, :], info, first_samp=0, verbose="error")
        events = mne.find_events(
            tr, stim_channel=stim[0], output="onset", consecutive=True,
            shortest_event=1, initial_event=True, verbose="error",
        )
        if len(events):
            return _events_frame(events[:, 0], events[:, 2], sfreq)
    if len(raw.annotations):
        try:
            events, _ = mne.events_from_annotations(
                raw, event_id=_parse_marker, regexp=None, verbose="error"
            )
        except ValueError:
            events = np.zeros((0, 3), dtype=int)
        if len(events):
            order = np.argsort(events[:, 0], kind="stable")
            events = events[order]
            return _events_frame(events[:, 0] - raw.first_samp, events[:, 2], sfreq)
    raise DataFormatError(
        f"{_source_name(raw)}: no trigger events found: expected a stim channel "
        f"('{TRIGGER_NAME}') with non-zero codes or annotations such as '101' or "
        f"'Stimulus/S101' (channels: {', '.join(raw.ch_names[:8])}"
        f"{', ...' if len(raw.ch_names) > 8 else ''}; {len(raw.annotations)} annotations)"
    )
