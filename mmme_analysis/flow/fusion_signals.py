"""EEG band features per step and resampled peripheral sequences of one fusion window.

The signal half of :func:`~mmme_analysis.flow.dataset_fusion_samples`: the EEG window of one
micro-expression cut into consecutive steps (1 s by default), each step's Welch PSD computed
with MNE (:func:`mne.time_frequency.psd_array_welch`) over the *whole* step, and the
peripheral window resampled (:func:`scipy.signal.resample_poly`, zero phase).
"""
from __future__ import annotations

from fractions import Fraction
from types import MappingProxyType

import numpy as np

from .._validate import check_int, check_option, check_positive

__all__ = ["EEG_FEATURES", "FUSION_BANDS", "eeg_step_features", "peri_resample"]

#: The five bands (Hz) of the fusion EEG features, low edge inclusive, high edge exclusive
#: (the bands of :data:`mmme_analysis.eeg.BANDS`).
FUSION_BANDS = MappingProxyType(
    {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0)}
)
#: ``feature=`` spellings of :func:`eeg_step_features` and their units.
EEG_FEATURES = MappingProxyType({"differential_entropy": "nat", "log_band_power": "log10(V^2)", "band_power": "V^2"})


def _check_bands(bands) -> dict:
    out = {}
    for name, edges in dict(bands).items():
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid value for 'bands': expected (low, high) Hz per band, got {name}={edges!r}") from None
        if not 0 <= lo < hi:
            raise ValueError(f"Invalid value for 'bands': expected (low, high) with 0 <= low < high Hz, got {name}={edges!r}")
        out[str(name)] = (lo, hi)
    if not out:
        raise ValueError("Invalid value for 'bands': expected at least one band, got {}")
    return out


def eeg_step_features(data, sfreq: float, *, step: float = 1.0, bands=FUSION_BANDS,
                      feature: str = "differential_entropy", n_fft: int | None = None) -> np.ndarray:
    """Band feature per channel, band and step of one EEG window.

    The window ``(n_channels, n_times)`` is cut into ``n_times // round(step * sfreq)``
    consecutive, non-overlapping steps (a remainder shorter than one step is an error). Each
    step's PSD is MNE's Welch estimate over the whole step: one Hamming-windowed segment of
    all the step's samples (``n_per_seg`` = step length, no overlap, mean removed),
    zero-padded to ``n_fft`` points (default: the step length, so 1-Hz bins for 1-s steps).
    ``n_fft`` shorter than a step is refused: it would ignore part of every step (the
    public MEs-EEG code's ``nfft = 512`` on 1-s windows of 1000 Hz data).

    Features, per channel, band and step:

    * ``"band_power"``: ``P = sum(psd[f]) * df`` over the bins ``low <= f < high``
      (``df = sfreq / n_fft``), in V^2;
    * ``"log_band_power"``: ``log10(P)`` (P in V^2);
    * ``"differential_entropy"``: ``0.5 * ln(2 * pi * e * P)`` with P in uV^2, the DE of a
      Gaussian band-limited signal of variance P (nat; SEED convention, as
      :func:`mmme_analysis.eeg.eeg_differential_entropy`).

    Parameters
    ----------
    data : array-like, shape (n_channels, n_times)
        EEG in V.
    sfreq : float
        Sampling frequency (Hz).
    step : float
        Step length (s).
    bands : mapping
        Band name -> (low, high) Hz; default :data:`FUSION_BANDS`.
    feature : {"differential_entropy", "log_band_power", "band_power"}
        See above.
    n_fft : int, optional
        FFT length per step, >= the step's samples.

    Returns
    -------
    numpy.ndarray, shape (n_channels, n_bands, n_steps), float64

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2000) / 1000.0
    >>> x = np.vstack([2e-6 * np.sin(2 * np.pi * 10 * t), 2e-6 * np.sin(2 * np.pi * 20 * t)])
    >>> p = eeg_step_features(x, 1000.0, feature="band_power")  # (channel, band, step)
    >>> p.shape, [round(float(v) * 1e12, 2) for v in p[:, 2, 0]]  # alpha: A^2 / 2 = 2 uV^2 on channel 0
    ((2, 5, 2), [2.0, 0.0])
    """
    import mne

    check_option("feature", feature, tuple(EEG_FEATURES))
    sfreq = check_positive("sfreq", sfreq)
    step = check_positive("step", step)
    bands = _check_bands(bands)
    x = np.asarray(data, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"Invalid value for 'data': expected (n_channels, n_times), got shape {x.shape!r}")
    n_step = int(round(step * sfreq))
    if n_step < 2:
        raise ValueError(f"Invalid value for 'step': expected at least 2 samples per step, got {step!r} s at {sfreq} Hz")
    n_steps, rest = divmod(x.shape[1], n_step)
    if n_steps < 1 or rest:
        raise ValueError(f"Invalid value for 'data': expected a whole number of {n_step}-sample steps, got {x.shape[1]} samples")
    n_fft = n_step if n_fft is None else check_int("n_fft", n_fft, min_value=1)
    if n_fft < n_step:
        raise ValueError(f"Invalid value for 'n_fft': expected >= {n_step} (the samples of one {step} s step), got {n_fft}")
    steps = x.reshape(x.shape[0], n_steps, n_step).transpose(1, 0, 2)  # (step, channel, time)
    fmax = max(hi for _, hi in bands.values())
    if fmax > sfreq / 2:
        raise ValueError(f"Invalid value for 'bands': expected high edges <= Nyquist ({sfreq / 2} Hz), got {fmax}")
    psd, freqs = mne.time_frequency.psd_array_welch(steps, sfreq, fmin=0.0, fmax=sfreq / 2, n_fft=n_fft, n_per_seg=n_step,
                                                    n_overlap=0, window="hamming", average="mean", verbose="error")
    df = sfreq / n_fft
    power = np.stack([psd[..., (freqs >= lo) & (freqs < hi)].sum(-1) * df for lo, hi in bands.values()], axis=-1)
    power = power.transpose(1, 2, 0)  # (channel, band, step)
    if feature == "band_power":
        return power
    with np.errstate(divide="ignore"):
        if feature == "log_band_power":
            return np.log10(power)
        return 0.5 * np.log(2 * np.pi * np.e * power * 1e12)


def peri_resample(data, sfreq: float, target: float) -> np.ndarray:
    """Peripheral sequences resampled from ``sfreq`` to ``target`` Hz (polyphase, zero phase).

    :func:`scipy.signal.resample_poly` by the exact ratio ``target / sfreq`` (as a fraction
    ``up / down``): its Kaiser-windowed FIR low-pass (cut-off at the lower of the two Nyquist
    frequencies) is applied without phase shift, output sample ``k`` lies at input time
    ``k / target`` s, and the signal is extended by a fitted line at both ends
    (``padtype="line"``) so that the window edges do not ring. The output has
    ``ceil(n_times * up / down)`` samples per channel. (MNE's FFT resampler is not used: its
    padding shifts the output by a fraction of a sample when the ratio is not an integer.)

    Parameters
    ----------
    data : array-like, shape (n_channels, n_times)
        Signals at ``sfreq``.
    sfreq, target : float
        Input and output rates (Hz).

    Returns
    -------
    numpy.ndarray, shape (n_channels, ceil(n_times * target / sfreq)), float64

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(4000) / 1000.0
    >>> y = peri_resample(np.tile(np.sin(2 * np.pi * 0.25 * t), (2, 1)), 1000.0, 16.0)
    >>> y.shape, bool(np.abs(y[0, 8:-8] - np.sin(2 * np.pi * 0.25 * np.arange(64) / 16)[8:-8]).max() < 1e-2)
    ((2, 64), True)
    """
    from scipy.signal import resample_poly

    sfreq = check_positive("sfreq", sfreq)
    target = check_positive("target", target)
    x = np.asarray(data, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"Invalid value for 'data': expected (n_channels, n_times), got shape {x.shape!r}")
    ratio = Fraction(target / sfreq).limit_denominator(100_000)
    if ratio == 1:
        return x.copy()
    return resample_poly(x, ratio.numerator, ratio.denominator, axis=-1, padtype="line")
