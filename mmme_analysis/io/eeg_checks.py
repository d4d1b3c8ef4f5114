"""Plausibility of an EEG recording read by MNE: samples present, markers inside it, amplitudes physiological."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .._warnings import MMMEWarning
from ..errors import DataFormatError

__all__ = ["MAX_EEG_VOLTS", "check_plausible"]

#: largest |amplitude| (V) an EEG/EOG/ECG/EMG sample can have (amplifier ranges are ~0.4 V)
MAX_EEG_VOLTS = 1.0


def check_plausible(raw, path: Path) -> None:
    """Fail on a recording that cannot be physiological: no samples, markers past its end
    (a truncated BrainVision ``.eeg``: MNE infers the length from the file size), or
    finite amplitudes beyond :data:`MAX_EEG_VOLTS` or infinite ones in 10 blocks read across
    it (random bytes). NaN samples (a gap the amplifier left) are not an error here: the
    trials that hold them say so when they are loaded. A BrainVision data file with a
    partial last sample gives a warning (the complete samples are read)."""
    import mne

    sfreq, n = raw.info["sfreq"], raw.n_times
    if n == 0:
        raise DataFormatError(f"{path}: no samples: expected an EEG recording (is its data file empty?)")
    if path.suffix.lower() == ".vhdr":
        _check_brainvision_size(raw, path)
        vmrk = [f for f in path.parent.glob(path.stem + ".vmrk")]
        if vmrk:
            try:
                onsets = mne.read_annotations(vmrk[0], sfreq=sfreq).onset
            except Exception:  # an unreadable marker file: MNE reported it already or it has no markers
                onsets = np.zeros(0)
            if onsets.size and onsets.max() > n / sfreq + 1.0 / sfreq:
                raise DataFormatError(
                    f"{path}: the data end at {n / sfreq:.3f} s but {vmrk[0].name} has markers up to "
                    f"{onsets.max():.3f} s; expected the complete data file (truncated? header "
                    f"SamplingInterval wrong?)")
    picks = mne.pick_types(raw.info, eeg=True, eog=True, ecg=True, emg=True, exclude=[])
    if not picks.size:
        return
    block = int(min(n, max(1, sfreq)))
    for start in np.linspace(0, n - block, 10).astype(int):
        x = raw.get_data(picks=picks, start=int(start), stop=int(start) + block)
        bad = np.isinf(x) | (np.abs(np.nan_to_num(x)) > MAX_EEG_VOLTS)
        if bad.any():
            ch = raw.ch_names[picks[int(np.flatnonzero(bad.any(axis=1))[0])]]
            peak = np.nanmax(np.abs(np.where(np.isfinite(x), x, np.nan))) if np.isfinite(x).any() else np.nan
            raise DataFormatError(
                f"{path}: implausible samples near {start / sfreq:.1f} s (channel {ch}: infinite or beyond "
                f"{MAX_EEG_VOLTS:g} V, largest |x| {peak:.3g} V); expected physiological signals in volts "
                f"(a corrupt data file, or a wrong BinaryFormat / resolution in the header?)")


def _check_brainvision_size(raw, path: Path) -> None:
    """A multiplexed BrainVision data file holds whole samples: n_channels x bytes each."""
    fnames = getattr(raw, "filenames", None) or [None]
    if fnames[0] is None or not Path(fnames[0]).is_file():
        return
    text = path.read_text(errors="replace")
    width = {"INT_16": 2, "UINT_16": 2, "INT_32": 4, "IEEE_FLOAT_32": 4}.get(
        next((line.split("=", 1)[1].strip().upper() for line in text.splitlines()
              if line.strip().lower().startswith("binaryformat=")), ""))
    if width is None:
        return
    size, frame = Path(fnames[0]).stat().st_size, width * len(raw.ch_names)
    if size % frame:
        warnings.warn(
            f"{path}: its data file {Path(fnames[0]).name} has {size} bytes, not a whole number of samples of "
            f"{len(raw.ch_names)} channels x {width} bytes ({size % frame} bytes left over); expected the complete "
            f"data file (truncated?): the {raw.n_times} complete samples are read, the partial last one is not",
            MMMEWarning, stacklevel=3)
