"""Synthetic 64-channel EEG (Neuroscan Quik-Cap layout) with planted category effects.

The signal of each EEG channel is the sum of

* a 1/f^``aperiodic_exponent`` background (FFT synthesis; ``background_uv`` RMS per
  channel, ``background_shared`` of its variance common to all channels),
* rhythmic sources projected with a region topography: posterior alpha (~10 Hz,
  O/PO/P/CB channels), frontal-midline theta (~6 Hz) and central beta (~20 Hz),
* ocular artefacts: blinks on VEO that leak into the frontal channels, saccades (gaze
  steps) on HEO that leak with opposite polarity into F7/FT7 vs F8/FT8,
* a small cardiac field on the mastoids, 50 Hz mains on every channel.

Stimulus-category effects: ``segments`` is a list of ``(t0, t1, category)``; inside a
segment whose category has an entry in ``EEGConfig.band_effects`` the **power** of the
corresponding rhythmic source is multiplied by the planted factor (amplitude by its
square root, with ``effect_ramp`` s raised-cosine ramps). The defaults:

========  =====================  =====  ======
category  name                   band   power
========  =====================  =====  ======
1         sad                    alpha  x 1.5
2         disgust                theta  x 2.0
3         happy                  beta   x 1.6
4         fear                   alpha  x 0.4
5         nervous                alpha  x 0.5
7         anger                  beta   x 2.0
8         surprise               theta  x 1.8
========  =====================  =====  ======

Category 6 (calm) has no effect. ``null=True`` plants none.
All amplitudes are in volts; ``*_uv`` config fields are in microvolts for readability.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_positive, check_rng, check_sfreq
from .events import poisson_times
from .peri_cardiac import simulate_ecg
from .peri_emg import simulate_emg
from .peri_heart import HeartConfig, heart_model
from .peri_slow import RSPConfig
from .waveforms import check_config, place_waves, spectral_noise

__all__ = ["EEGConfig", "QUIKCAP64", "EXTRA_CHANNELS", "BANDS", "simulate_eeg"]

#: The 64 EEG channels of a Neuroscan 64-channel Quik-Cap, in Curry export order.
#: All but CB1/CB2 (cerebellar sites) exist in MNE's standard 10-05 montage.
QUIKCAP64 = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6",
    "F8", "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5",
    "C3", "C1", "CZ", "C2", "C4", "C6", "T8", "M1", "TP7", "CP5", "CP3", "CP1", "CPZ",
    "CP2", "CP4", "CP6", "TP8", "M2", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6",
    "P8", "PO7", "PO5", "PO3", "POZ", "PO4", "PO6", "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)

#: Bipolar channels recorded beside the cap: name -> MNE channel type.
EXTRA_CHANNELS = (("HEO", "eog"), ("VEO", "eog"), ("EKG", "ecg"), ("EMG", "emg"))

#: Frequency bands (Hz) of the planted rhythmic sources (and the band-power tests).
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0)}

_ALPHA_CORE = ("O1", "OZ", "O2", "PO3", "POZ", "PO4", "PO7", "PO8", "PO5", "PO6", "CB1", "CB2")
_ALPHA_NEAR = ("P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8")
_THETA_CORE = ("FZ", "FCZ", "F1", "F2", "FC1", "FC2")
_THETA_NEAR = ("AF3", "AF4", "FPZ", "F3", "F4", "FC3", "FC4", "CZ")
_BETA_CORE = ("C3", "C1", "CZ", "C2", "C4", "FC3", "FC4", "CP3", "CP4")
_BETA_NEAR = ("C5", "C6", "FC1", "FCZ", "FC2", "CP1", "CPZ", "CP2", "FC5", "FC6", "CP5", "CP6")
_TOPO = {
    "alpha": (_ALPHA_CORE, _ALPHA_NEAR),
    "theta": (_THETA_CORE, _THETA_NEAR),
    "beta": (_BETA_CORE, _BETA_NEAR),
}
_BLINK_LEAK = {"FP1": 0.6, "FPZ": 0.65, "FP2": 0.6, "AF3": 0.35, "AF4": 0.35,
               "F7": 0.15, "F5": 0.15, "F3": 0.15, "F1": 0.15, "FZ": 0.15, "F2": 0.15,
               "F4": 0.15, "F6": 0.15, "F8": 0.15}
_SACCADE_LEAK = {"F7": 0.3, "FT7": 0.25, "T7": 0.1, "F8": -0.3, "FT8": -0.25, "T8": -0.1}
_UV = 1e-6  # volts per microvolt
_CARDIAC_LEAK = {"M1": 0.01, "M2": -0.01, "TP7": 0.005, "TP8": -0.005}


@dataclass(frozen=True)
class EEGConfig:
    """Knobs of :func:`simulate_eeg`.

    Attributes
    ----------
    background_uv : float
        RMS of the 1/f background per EEG channel (uV). Default 15.
    aperiodic_exponent : float
        Exponent of the 1/f^x power spectrum. Default 1.5.
    background_shared : float
        Fraction of background variance shared by all channels. Default 0.3.
    alpha_freq, theta_freq, beta_freq : float
        Centre frequencies (Hz) of the rhythmic sources. Defaults 10, 6, 20.
    alpha_uv, theta_uv, beta_uv : float
        RMS (uV) of each source at its core channels. Defaults 12, 5, 3.
    band_effects : tuple of (category, band, power_factor)
        Planted band-power factors per stimulus category (see module docstring).
    effect_ramp : float
        Raised-cosine ramp (s) at segment edges. Default 0.5.
    blinks_per_min, blink_uv : float
        Blink rate and VEO blink amplitude (uV). Defaults 15, 150.
    saccades_per_min, saccade_uv : float
        Saccade rate and HEO step size (uV, sd). Defaults 20, 40.
    eog_noise_uv : float
        Background noise on HEO/VEO (uV RMS). Default 5.
    line_freq, line_uv : float
        Mains frequency (Hz) and amplitude (uV). Defaults 50, 2.
    ch_names : tuple of str
        EEG channel names. Default :data:`QUIKCAP64`.
    """

    background_uv: float = 15.0
    aperiodic_exponent: float = 1.5
    background_shared: float = 0.3
    alpha_freq: float = 10.0
    theta_freq: float = 6.0
    beta_freq: float = 20.0
    alpha_uv: float = 12.0
    theta_uv: float = 5.0
    beta_uv: float = 3.0
    band_effects: tuple = (
        (1, "alpha", 1.5),
        (2, "theta", 2.0),
        (3, "beta", 1.6),
        (4, "alpha", 0.4),
        (5, "alpha", 0.5),
        (7, "beta", 2.0),
        (8, "theta", 1.8),
    )
    effect_ramp: float = 0.5
    blinks_per_min: float = 15.0
    blink_uv: float = 150.0
    saccades_per_min: float = 20.0
    saccade_uv: float = 40.0
    eog_noise_uv: float = 5.0
    line_freq: float = 50.0
    line_uv: float = 2.0
    ch_names: tuple = QUIKCAP64


def _narrowband(n, sfreq, rng, freq, bandwidth=1.5):
    return spectral_noise(
        1, n, sfreq, rng, lambda f: np.exp(-0.5 * ((f - freq) / bandwidth) ** 2)
    )[0]


def _segment_gain(n, sfreq, segments, category_factor, ramp):
    """Amplitude gain (n,) = sqrt(power factor) inside matching segments, 1 elsewhere."""
    gain = np.ones(n)
    t = np.arange(n) / sfreq
    for t0, t1, cat in segments:
        factor = category_factor.get(int(cat))
        if factor is None:
            continue
        i0, i1 = np.searchsorted(t, [t0, t1])
        if i1 <= i0:
            continue
        w = np.ones(i1 - i0)
        nr = min(int(ramp * sfreq), (i1 - i0) // 2)
        if nr > 0:
            r = 0.5 - 0.5 * np.cos(np.pi * np.arange(nr) / nr)
            w[:nr], w[-nr:] = r, r[::-1]
        gain[i0:i1] += (np.sqrt(factor) - 1.0) * w
    return gain


def _check_segments(segments) -> list:
    segs = []
    for seg in segments:
        try:
            t0, t1, cat = seg
            segs.append((float(t0), float(t1), int(cat)))
        except (TypeError, ValueError):
            raise ValueError(
                f"Invalid value for 'segments': expected (t0, t1, category) tuples, got {seg!r}"
            ) from None
    return segs


def _check_ecg(ecg, n: int):
    if ecg is None:
        return None
    ecg = np.asarray(ecg, dtype=float)
    if ecg.shape != (n,):
        raise ValueError(f"Invalid value for 'ecg': expected shape ({n},) (duration * sfreq), got {ecg.shape}")
    return ecg


def _pink_shape(exponent: float, nyq: float):
    """Amplitude spectrum of 1/f^exponent power, flat below 0.5 Hz, cut at 0.95 Nyquist."""
    def shape(f):
        return np.where(f > 0, np.maximum(f, 0.5) ** (-exponent / 2.0), 0.0) * (f < 0.95 * nyq)
    return shape


def _add_leak(eeg, idx, source, weights, scale=1.0):
    """Add ``weights[channel] * scale * source`` to the named channels present."""
    for c, w in weights.items():
        if c in idx:
            eeg[idx[c]] += (w * scale) * source


def _background(data, n_eeg, n, sfreq, rng, cfg, pink):
    """1/f background into ``data[:n_eeg]`` (independent + shared part, V); returns the view."""
    eeg = spectral_noise(n_eeg, n, sfreq, rng, pink, out=data[:n_eeg])
    shared = spectral_noise(1, n, sfreq, rng, pink)[0]
    eeg *= np.sqrt(1 - cfg.background_shared) * cfg.background_uv * _UV
    eeg += (np.sqrt(cfg.background_shared) * cfg.background_uv * _UV) * shared
    return eeg


def _rhythms(eeg, idx, n, sfreq, rng, cfg, segs, null):
    """Add the alpha/theta/beta sources with their planted gains; return the truth rows."""
    effects: dict = {}
    if not null:
        for cat, band, factor in cfg.band_effects:
            effects.setdefault(band, {})[int(cat)] = float(factor)
    rows = []
    for band, freq, amp_uv in (("alpha", cfg.alpha_freq, cfg.alpha_uv), ("theta", cfg.theta_freq, cfg.theta_uv),
                               ("beta", cfg.beta_freq, cfg.beta_uv)):
        src = _narrowband(n, sfreq, rng, freq) * (amp_uv * _UV)
        src = src * _segment_gain(n, sfreq, segs, effects.get(band, {}), cfg.effect_ramp)
        core, near = _TOPO[band]
        chans = [c for c in core if c in idx]
        _add_leak(eeg, idx, src, dict.fromkeys(chans, 1.0))
        _add_leak(eeg, idx, src, dict.fromkeys(near, 0.5))
        for cat, factor in sorted(effects.get(band, {}).items()):
            rows.append((cat, band, *BANDS[band], factor, tuple(chans)))
    return rows


def _ocular(n, sfreq, duration, rng, cfg):
    """Clean (heo, veo) in V and the blink and saccade times (s)."""
    blinks = poisson_times(rng, cfg.blinks_per_min / 60.0, duration)
    blink_amp = cfg.blink_uv * _UV * rng.uniform(0.7, 1.3, blinks.size)
    veo = place_waves(n, sfreq, blinks + 0.1, blink_amp, 0.06)
    saccades = poisson_times(rng, cfg.saccades_per_min / 60.0, duration)
    steps = rng.standard_normal(saccades.size) * cfg.saccade_uv * _UV
    gaze = np.zeros(n)
    for s, dv in zip(saccades, steps):
        gaze[int(s * sfreq):] += dv
    # gaze drifts back towards centre (fixation on the screen): AC-like decay, tau 5 s
    if gaze.size:
        from scipy.signal import lfilter

        alpha_hp = np.exp(-1.0 / (5.0 * sfreq))
        gaze = lfilter([1.0, -1.0], [1.0, -alpha_hp], gaze)
        k = max(int(0.015 * sfreq), 1)
        gaze = np.convolve(gaze, np.ones(k) / k, mode="same")
    return gaze, veo, blinks, saccades


def _heart(ecg, duration, sfreq, rng, t):
    """The ECG (given, or simulated without planted responses) and the EKG channel (V)."""
    if ecg is None:
        heart = heart_model(duration, rng, HeartConfig(), resp_freq=RSPConfig().resp_freq, null=True)
        ecg = simulate_ecg(heart.rpeaks, duration, sfreq, rng=rng,
                           resp_phase=np.interp(t, heart.time, heart.resp_phase))
    return ecg, ecg + rng.standard_normal(t.size) * 2 * _UV


def _add_mains(data, t, rng, cfg):
    """Mains interference of random amplitude and phase on every channel (in place)."""
    amps = cfg.line_uv * _UV * rng.uniform(0.5, 1.5, data.shape[0])
    phases = rng.uniform(0, 2 * np.pi, data.shape[0])
    line = np.sin(2 * np.pi * cfg.line_freq * t)
    line_q = np.cos(2 * np.pi * cfg.line_freq * t)
    for i in range(data.shape[0]):  # row by row: no (n_channels, n) temporaries
        data[i] += amps[i] * np.cos(phases[i]) * line
        data[i] += amps[i] * np.sin(phases[i]) * line_q


def _eeg_truth(band_rows, segs, blinks, saccades, null, cfg):
    cols = ("category", "band", "fmin", "fmax", "power_factor", "channels")
    return {
        "band_effects": [
            dict(zip(cols, (c, b, lo, hi, f, list(ch))))
            for c, b, lo, hi, f, ch in sorted(band_rows, key=lambda r: r[0])
        ],
        "segments": segs,
        "blinks": blinks,
        "saccades": saccades,
        "null": bool(null),
        "config": cfg,
    }


def simulate_eeg(
    duration: float,
    sfreq: float,
    *,
    rng: np.random.Generator,
    segments=(),
    ecg: np.ndarray | None = None,
    null: bool = False,
    config: EEGConfig | None = None,
    return_truth: bool = False,
):
    """Simulate a Neuroscan-like EEG session (64 EEG + HEO, VEO, EKG, EMG).

    Parameters
    ----------
    duration : float
        Length (s).
    sfreq : float
        Sampling frequency (Hz), e.g. 1000.
    rng : numpy.random.Generator
        Source of randomness.
    segments : sequence of (t0, t1, category)
        Stimulus segments (s) and their category (1-8); see ``EEGConfig.band_effects``.
    ecg : numpy.ndarray | None
        ECG (V), shape (n_samples,), recorded on the EKG channel (e.g. the ``ECG`` of
        :func:`~mmme_analysis.synth.peri.simulate_peri` at the same sfreq); ``None``
        simulates one.
    null : bool
        If True, plant no category effect (same random draws otherwise).
    config : EEGConfig | None
        Knobs; ``None`` means ``EEGConfig()``.
    return_truth : bool
        If True, also return a truth dict (planted effects, blink/saccade times).

    Returns
    -------
    data : numpy.ndarray, shape (n_channels, n_samples), float64
        Signals in volts; ``n_samples = round(duration * sfreq)``.
    ch_names : list of str
        The 64 EEG names then HEO, VEO, EKG, EMG.
    ch_types : list of str
        ``eeg`` x 64, ``eog``, ``eog``, ``ecg``, ``emg``.
    truth : dict, only when ``return_truth``
        ``band_effects`` (list of records, JSON-friendly, ``pandas.DataFrame(...)``-ready:
        category, band, fmin, fmax (Hz), power_factor, channels), ``segments``,
        ``blinks`` (s), ``saccades`` (s), ``null``, ``config``.
    """
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    duration = check_positive("duration", duration)
    cfg = check_config(config, EEGConfig)
    n = int(round(duration * sfreq))
    segs = _check_segments(segments)
    ecg = _check_ecg(ecg, n)
    idx = {c: i for i, c in enumerate(cfg.ch_names)}
    n_eeg = len(idx)
    t = np.arange(n) / sfreq
    pink = _pink_shape(cfg.aperiodic_exponent, sfreq / 2.0)

    data = np.empty((n_eeg + len(EXTRA_CHANNELS), n))
    eeg = _background(data, n_eeg, n, sfreq, rng, cfg, pink)  # a view of data
    band_rows = _rhythms(eeg, idx, n, sfreq, rng, cfg, segs, null)
    heo, veo, blinks, saccades = _ocular(n, sfreq, duration, rng, cfg)
    _add_leak(eeg, idx, veo, _BLINK_LEAK)
    _add_leak(eeg, idx, heo, _SACCADE_LEAK)
    eog_noise = spectral_noise(2, n, sfreq, rng, pink) * (cfg.eog_noise_uv * _UV)
    ecg, ekg = _heart(ecg, duration, sfreq, rng, t)
    _add_leak(eeg, idx, ecg, _CARDIAC_LEAK)
    emg, _ = simulate_emg(duration, sfreq, rng=rng)
    for i, x in enumerate((heo + eog_noise[0], veo + eog_noise[1], ekg, emg)):
        data[n_eeg + i] = x
    if cfg.line_freq < sfreq / 2.0:
        _add_mains(data, t, rng, cfg)

    ch_names = list(cfg.ch_names) + [c for c, _ in EXTRA_CHANNELS]
    ch_types = ["eeg"] * n_eeg + [k for _, k in EXTRA_CHANNELS]
    if not return_truth:
        return data, ch_names, ch_types
    return data, ch_names, ch_types, _eeg_truth(band_rows, segs, blinks, saccades, null, cfg)
