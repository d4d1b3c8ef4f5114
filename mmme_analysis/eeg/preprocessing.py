"""EEG preprocessing on MNE: to Raw, resample, band-pass + notch, ICA with EOG removal."""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .._validate import check_option, check_positive, check_sfreq
from .._warnings import MMMEWarning
from ..io.mne import raw_from_arrays

__all__ = ["eeg_to_raw", "eeg_resample", "eeg_filter", "eeg_ica", "eeg_preprocess", "EOG_CHANNELS"]

#: Names of the Neuroscan EOG channels used to find ocular ICA components.
EOG_CHANNELS = ("HEO", "VEO")

_MNE_TYPES = {"eeg", "eog", "ecg", "emg", "misc", "stim"}


def eeg_to_raw(eeg):
    """Convert a trial's EEG to an :class:`mne.io.RawArray`.

    Parameters
    ----------
    eeg : xarray.Dataset | xarray.DataTree | xarray.DataArray
        The ``/eeg`` node of a trial tree (variable ``eeg``, dims ``(channel, time)`` in
        volts, coords ``ch_type`` (channel) and ``pos`` (channel, xyz) in metres, attr
        ``sfreq`` in Hz), or the ``eeg`` DataArray itself (then without positions).
        Without ``ch_type``, HEO/VEO are typed ``eog`` and the rest ``eeg``.

    Returns
    -------
    mne.io.RawArray
        Data in V, montage from ``pos`` where finite. Sample 0 is at trial time
        ``eeg.time[0]``: pass that as ``tstart`` to :func:`~mmme_analysis.eeg.eeg_epochs`.
    """
    pos = None
    if isinstance(eeg, xr.DataTree):
        eeg = eeg.to_dataset()
    if isinstance(eeg, xr.Dataset):
        if "eeg" not in eeg:
            raise ValueError(f"Invalid value for 'eeg': expected an /eeg node with an 'eeg' variable, got {list(eeg.data_vars)!r}")
        pos = eeg["pos"] if "pos" in eeg.coords or "pos" in eeg else None
        sf = eeg["eeg"].attrs.get("sfreq", eeg.attrs.get("sfreq"))
        eeg = eeg["eeg"].assign_attrs(sfreq=sf)
    if not isinstance(eeg, xr.DataArray) or set(eeg.dims) != {"channel", "time"}:
        raise TypeError(
            "Invalid value for 'eeg': expected an xarray Dataset/DataArray with dims ('channel', 'time'), "
            f"got {type(eeg).__name__} {getattr(eeg, 'dims', None)!r}"
        )
    sfreq = check_sfreq(eeg.attrs.get("sfreq"))
    eeg = eeg.transpose("channel", "time")
    names = [str(c) for c in eeg["channel"].values]
    if "ch_type" in eeg.coords:
        types = [str(t) if str(t) in _MNE_TYPES else "misc" for t in eeg["ch_type"].values]
    else:
        types = ["eog" if n.upper() in EOG_CHANNELS else "eeg" for n in names]
    if pos is not None:
        pos = np.asarray(pos.transpose("channel", ...).values, float)
    return raw_from_arrays(eeg.values, names, types, sfreq, pos=pos)


def _check_raw(raw):
    import mne

    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(f"Invalid value for 'raw': expected an mne.io.Raw, got {type(raw).__name__}")
    return raw


def eeg_resample(raw, sfreq: float):
    """Return a copy of ``raw`` resampled to ``sfreq`` Hz (MNE, anti-aliased)."""
    _check_raw(raw)
    sfreq = check_sfreq(sfreq)
    out = raw.copy().load_data(verbose="error")
    if not np.isclose(out.info["sfreq"], sfreq):
        out.resample(sfreq, verbose="error")
    return out


def eeg_filter(raw, *, l_freq: float | None = 1.0, h_freq: float | None = 45.0, notch: float | None = 50.0):
    """Return a copy of ``raw`` band-passed (FIR, MNE defaults) and notch-filtered.

    Parameters
    ----------
    l_freq, h_freq : float | None
        Pass band edges (Hz); ``None`` leaves that side open.
    notch : float | None
        Mains frequency (Hz); its harmonics below Nyquist are notched too. ``None`` (or a
        value at or above Nyquist): off.
        EEG, EOG, ECG and EMG channels are filtered.
    """
    _check_raw(raw)
    for name, v in (("l_freq", l_freq), ("h_freq", h_freq), ("notch", notch)):
        if v is not None:
            check_positive(name, v)
    nyq = raw.info["sfreq"] / 2.0
    if h_freq is not None and h_freq >= nyq:
        raise ValueError(f"Invalid value for 'h_freq': expected a frequency below Nyquist ({nyq} Hz), got {h_freq!r}")
    out = raw.copy().load_data(verbose="error")
    picks = [i for i, t in enumerate(out.get_channel_types()) if t in ("eeg", "eog", "ecg", "emg")]
    if notch is not None and notch < nyq:
        out.notch_filter(np.arange(notch, nyq, notch), picks=picks, verbose="error")
    out.filter(l_freq, h_freq, picks=picks, verbose="error")
    return out


def eeg_ica(
    raw,
    *,
    eog_channels=EOG_CHANNELS,
    n_components: int | float | None = 0.99,
    method: str = "fastica",
    threshold: float = 3.0,
    measure: str = "zscore",
    random_state: int = 0,
):
    """Remove ocular components with ICA (MNE ``ICA`` + ``find_bads_eog``).

    Parameters
    ----------
    raw : mne.io.Raw
        Filtered data (a 1 Hz high-pass helps ICA) with EOG channels.
    eog_channels : sequence of str
        EOG channels to correlate components with (default HEO, VEO); missing ones are
        skipped with an MMMEWarning. With none present, nothing is removed.
    n_components : int | float | None
        Passed to :class:`mne.preprocessing.ICA`.
    method : str
        ICA algorithm (MNE spelling).
    threshold : float
        Threshold of ``find_bads_eog``: a z-score (``measure="zscore"``, MNE's default)
        or an absolute correlation (``measure="correlation"``). With few components
        (< ~12) z-scores cannot exceed 3; use ``measure="correlation"`` there.
    measure : str
        ``"zscore"`` or ``"correlation"``.
    random_state : int
        Seed of the ICA fit.

    Returns
    -------
    raw_clean : mne.io.Raw
        A copy with the excluded components removed.
    ica : mne.preprocessing.ICA
        The fitted ICA; ``ica.exclude`` lists the removed components.
    """
    from mne.preprocessing import ICA

    _check_raw(raw)
    check_option("measure", measure, ("zscore", "correlation"))
    present = [c for c in eog_channels if c in raw.ch_names]
    missing = [c for c in eog_channels if c not in raw.ch_names]
    if missing:
        warnings.warn(f"eeg_ica: EOG channel(s) {missing!r} not in the recording; using {present!r}", MMMEWarning, stacklevel=2)
    out = raw.copy().load_data(verbose="error")
    ica = ICA(n_components=n_components, method=method, random_state=random_state, max_iter="auto", verbose="error")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ica.fit(out, picks="eeg", verbose="error")
    exclude = []
    for ch in present:
        idx, _ = ica.find_bads_eog(out, ch_name=ch, threshold=threshold, measure=measure, verbose="error")
        exclude.extend(int(i) for i in idx if int(i) not in exclude)
    ica.exclude = exclude
    ica.apply(out, verbose="error")
    return out, ica


def eeg_preprocess(
    raw,
    *,
    sfreq: float | None = 250.0,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    notch: float | None = 50.0,
    ica: bool = True,
    eog_channels=EOG_CHANNELS,
    random_state: int = 0,
):
    """Resample -> band-pass + notch -> ICA (EOG components removed).

    Parameters
    ----------
    raw : mne.io.Raw | xarray.Dataset | xarray.DataTree | xarray.DataArray
        Continuous EEG (xarray input is converted with :func:`eeg_to_raw`).
    sfreq : float | None
        Target sampling frequency (Hz); ``None`` keeps the original.
    l_freq, h_freq, notch : float | None
        See :func:`eeg_filter`.
    ica : bool
        Run :func:`eeg_ica`.

    Returns
    -------
    raw_clean : mne.io.Raw
    ica : mne.preprocessing.ICA | None
    """
    if isinstance(raw, (xr.DataArray, xr.Dataset, xr.DataTree)):
        raw = eeg_to_raw(raw)
    _check_raw(raw)
    if sfreq is not None:
        raw = eeg_resample(raw, sfreq)
    raw = eeg_filter(raw, l_freq=l_freq, h_freq=h_freq, notch=notch)
    fitted = None
    if ica:
        raw, fitted = eeg_ica(raw, eog_channels=eog_channels, random_state=random_state)
    return raw, fitted
