"""The one place where arrays become an :class:`mne.io.RawArray` (EEG and peripheral signals)."""
from __future__ import annotations

import numpy as np

from .._validate import check_sfreq

__all__ = ["raw_from_arrays", "MNE_CHANNEL_TYPES"]

#: channel types kept as they are; anything else becomes ``misc``
MNE_CHANNEL_TYPES = frozenset({"eeg", "eog", "ecg", "emg", "misc", "stim", "bio", "resp", "gsr", "temperature"})


def raw_from_arrays(data, ch_names, ch_types, sfreq: float, *, pos=None, annotations=None):
    """Build an :class:`mne.io.RawArray` with a head-frame montage and annotations.

    Parameters
    ----------
    data : array, shape (n_channels, n_times)
        Signals in SI units (V for EEG).
    ch_names, ch_types : sequence of str
        Channel names and MNE channel types (unknown types become ``misc``).
    sfreq : float
        Sampling frequency (Hz), required.
    pos : array, shape (n_channels, 3), optional
        Electrode positions (m, head coordinates); rows that are not finite, and channels
        that are not ``eeg``, get no position.
    annotations : tuple (onset, duration, description), optional
        Onsets (s from the first sample), durations (s) and descriptions.

    Returns
    -------
    mne.io.RawArray

    Examples
    --------
    >>> import numpy as np
    >>> raw = raw_from_arrays(np.zeros((2, 100)), ["Cz", "ECG"], ["eeg", "ecg"], 100.0)
    >>> raw.info["sfreq"], raw.get_channel_types()
    (100.0, ['eeg', 'ecg'])
    """
    import mne

    sfreq = check_sfreq(sfreq)
    names = [str(c) for c in ch_names]
    types = [str(t) if str(t) in MNE_CHANNEL_TYPES else "misc" for t in ch_types]
    data = np.asarray(data, dtype=float)
    if data.ndim != 2 or data.shape[0] != len(names) or len(types) != len(names):
        raise ValueError(f"Invalid value for 'data': expected shape (n_channels={len(names)}, n_times) with one "
                         f"type per channel ({len(types)} given), got shape {data.shape}")
    raw = mne.io.RawArray(data, mne.create_info(names, sfreq, types), first_samp=0, verbose="error")
    if pos is not None:
        pos = np.asarray(pos, float)
        ch_pos = {n: p for n, p, t in zip(names, pos, types) if t == "eeg" and np.all(np.isfinite(p))}
        if ch_pos:
            raw.set_montage(mne.channels.make_dig_montage(ch_pos=ch_pos, coord_frame="head"), on_missing="ignore")
    if annotations is not None:
        onset, duration, description = annotations
        raw.set_annotations(mne.Annotations(np.asarray(onset, float), np.asarray(duration, float),
                                            list(description)))
    return raw
