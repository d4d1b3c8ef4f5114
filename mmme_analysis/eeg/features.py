"""EEG band power and differential entropy (MNE Welch PSD) as xarray (event, channel, band)."""
from __future__ import annotations

from types import MappingProxyType

import numpy as np
import xarray as xr

from .._validate import check_sfreq

__all__ = ["BANDS", "eeg_psd", "eeg_band_power", "eeg_differential_entropy"]

#: Canonical frequency bands (Hz), lower edge inclusive, upper exclusive.
BANDS = MappingProxyType(
    {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0)}
)


def _check_bands(bands):
    out = {}
    for name, edges in dict(bands).items():
        lo, hi = (float(e) for e in edges)
        if not 0 <= lo < hi:
            raise ValueError(f"Invalid value for 'bands': expected (low, high) with 0 <= low < high Hz, got {name}={edges!r}")
        out[str(name)] = (lo, hi)
    if not out:
        raise ValueError("Invalid value for 'bands': expected at least one band, got {}")
    return out


def eeg_psd(data, sfreq=None, *, fmin: float = 0.0, fmax: float | None = None, n_fft: int | None = None,
            ch_names=None):
    """Welch PSD of epochs (MNE ``compute_psd`` / ``psd_array_welch``).

    Parameters
    ----------
    data : mne.Epochs | numpy.ndarray
        Epochs, or an array (n_events, n_channels, n_times) / (n_channels, n_times) in V.
    sfreq : float | None
        Sampling frequency (Hz); required for arrays, taken from ``info`` for Epochs.
    fmin, fmax : float
        Frequency range (Hz); ``fmax`` defaults to Nyquist.
    n_fft : int | None
        Welch segment length (samples); default ``min(n_times, 2 * sfreq)`` (0.5 Hz bins).
    ch_names : list of str | None
        Channel names for arrays (default ``ch000`` ...).

    Returns
    -------
    xarray.DataArray
        Dims (event, channel, freq), V^2/Hz; attrs ``units``, ``sfreq``, ``n_fft``.
    """
    import mne

    epochs = isinstance(data, mne.BaseEpochs)
    if epochs:
        sfreq = data.info["sfreq"]
        names = data.ch_names
        n_times = len(data.times)
    else:
        sfreq = check_sfreq(sfreq)
        arr = np.asarray(data, dtype=float)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"Invalid value for 'data': expected (n_events, n_channels, n_times), got shape {arr.shape!r}")
        names = list(ch_names) if ch_names is not None else [f"ch{i:03d}" for i in range(arr.shape[1])]
        if len(names) != arr.shape[1]:
            raise ValueError(f"Invalid value for 'ch_names': expected {arr.shape[1]} names, got {len(names)}")
        n_times = arr.shape[-1]
    n_fft = int(n_fft or min(n_times, int(round(2 * sfreq))))
    fmax = sfreq / 2 if fmax is None else fmax
    if epochs:
        spec = data.compute_psd(method="welch", fmin=fmin, fmax=fmax, n_fft=n_fft, verbose="error")
        psd, freqs = spec.get_data(return_freqs=True)
    else:
        psd, freqs = mne.time_frequency.psd_array_welch(arr, sfreq, fmin=fmin, fmax=fmax, n_fft=n_fft, verbose="error")
    return xr.DataArray(
        psd,
        dims=("event", "channel", "freq"),
        coords={"event": np.arange(psd.shape[0]), "channel": list(names), "freq": ("freq", freqs, {"units": "Hz"})},
        attrs={"units": "V^2/Hz", "sfreq": float(sfreq), "n_fft": n_fft},
        name="psd",
    )


def eeg_band_power(data, sfreq=None, *, bands=BANDS, relative: bool = False, n_fft: int | None = None,
                   ch_names=None) -> xr.DataArray:
    """Band power per event, channel and band.

    Band power is the Welch PSD (see :func:`eeg_psd`) integrated over the band's bins
    ``low <= f < high``: ``sum(psd) * df``.

    Parameters
    ----------
    data, sfreq, n_fft, ch_names
        See :func:`eeg_psd`.
    bands : mapping
        Band name -> (low, high) Hz; default :data:`BANDS`.
    relative : bool
        Divide by the power summed over all bands (unitless).

    Returns
    -------
    xarray.DataArray
        Dims (event, channel, band); ``units`` "V^2" (or "1" when relative).
    """
    bands = _check_bands(bands)
    fmin = min(lo for lo, _ in bands.values())
    fmax = max(hi for _, hi in bands.values())
    psd = eeg_psd(data, sfreq, fmin=fmin, fmax=fmax, n_fft=n_fft, ch_names=ch_names)
    freqs = psd["freq"].values
    df = float(np.median(np.diff(freqs))) if freqs.size > 1 else float(psd.attrs["sfreq"]) / psd.attrs["n_fft"]
    out = []
    for lo, hi in bands.values():
        sel = (freqs >= lo) & (freqs < hi)
        out.append(psd.values[..., sel].sum(-1) * df)
    bp = np.stack(out, axis=-1)
    units = "V^2"
    if relative:
        bp = bp / bp.sum(-1, keepdims=True)
        units = "1"
    return xr.DataArray(
        bp,
        dims=("event", "channel", "band"),
        coords={
            "event": psd["event"].values,
            "channel": psd["channel"].values,
            "band": list(bands),
            "band_low": ("band", [b[0] for b in bands.values()], {"units": "Hz"}),
            "band_high": ("band", [b[1] for b in bands.values()], {"units": "Hz"}),
        },
        attrs={"units": units, "sfreq": psd.attrs["sfreq"], "n_fft": psd.attrs["n_fft"], "method": "welch"},
        name="band_power",
    )


def eeg_differential_entropy(data, sfreq=None, *, bands=BANDS, n_fft: int | None = None, ch_names=None) -> xr.DataArray:
    """Differential entropy per event, channel and band.

    Under the usual Gaussian assumption the DE of a band-limited signal with variance
    ``sigma^2`` is ``0.5 * ln(2 * pi * e * sigma^2)``; ``sigma^2`` is the band power of
    :func:`eeg_band_power` expressed in microvolt^2 (the convention of SEED-style DE
    features), so the result is in nats relative to 1 uV^2.

    Returns
    -------
    xarray.DataArray
        Dims (event, channel, band); attr ``units`` "nat".
    """
    bp = eeg_band_power(data, sfreq, bands=bands, n_fft=n_fft, ch_names=ch_names)
    with np.errstate(divide="ignore"):
        de = 0.5 * np.log(2 * np.pi * np.e * bp * 1e12)
    de.attrs = {"units": "nat", "reference": "1 uV^2", "sfreq": bp.attrs["sfreq"], "n_fft": bp.attrs["n_fft"]}
    return de.rename("differential_entropy")
