"""Synthetic peripheral physiology: R-peak times, ECG, PPG, EDA, RSP, SKT and EMG.

Everything here is a pure function of its arguments and of the NumPy random
``Generator`` passed as ``rng`` (same seed -> same signals). Signals are in SI units:
volts (ECG, PPG, RSP, EMG), siemens (EDA), degrees Celsius (SKT), seconds (times).
The one exception is ``ECG_rate`` (beats per minute), the derived heart-rate trace
that the BIOPAC export carries as its 17th column.

Heart rate model
----------------
The instantaneous heart rate (bpm) is

``HR(t) = hr_mean + slow(t) + LF(t) + RSA(t) + sum_apex response_bpm * g((t - apex - response_delay) / response_width)``

with ``g(x) = exp(-x**2 / 2)`` (a Gaussian bump of peak ``response_bpm``), ``slow`` a
low-pass (< 0.04 Hz) Gaussian process of standard deviation ``hr_sd``, ``LF`` a
narrow-band (~0.1 Hz, Mayer wave) oscillation of amplitude ``lf_bpm`` and ``RSA`` the
respiratory sinus arrhythmia, ``rsa_bpm * sin(respiratory phase)`` at ~``resp_freq``.
Beats are placed by integral pulse frequency modulation: the k-th R peak is the time
at which ``phase0 + integral(HR / 60)`` reaches ``k`` (linear interpolation on a
1 kHz grid, so the R-peak times are exact, continuous numbers).

With the defaults (``response_bpm=8``, ``response_delay=0.75`` s, ``response_width=1.0``
s) heart rate rises by 8 bpm, peaking 0.75 s after each ME apex; the HR slope at the
apex is then about ``8 * 0.75 * exp(-0.28) ~= 4.5`` bpm/s against a baseline slope of
``2 * pi * 0.25 * rsa_bpm ~= 3`` bpm/s at most (about 1.6 bpm/s on average), so
``|dHR/dt|`` at ME apexes is larger than at other moments, the effect the CMCL-Net paper
reports (p < 0.001; its example trial has a mean |HR slope| of 3.73). The bump is kept
this smooth so that NeuroKit2's RR-artifact correction does not take the acceleration
for an ectopic beat.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..io.biopac import SI_UNITS
from .._validate import check_positive, check_rng, check_sfreq

__all__ = ["PeriConfig", "PERI_UNITS", "simulate_rr", "simulate_peri"]

#: Units of the entries of ``simulate_peri``'s ``signals`` dict.
PERI_UNITS = SI_UNITS  # the simulators write what the BIOPAC reader returns

_GRID_SFREQ = 1000.0  # Hz, grid on which HR(t) is integrated into beat times




def _check_config(config, cls):
    """``cls()`` for ``None``, else ``config`` if it is a ``cls`` (TypeError otherwise)."""
    if config is None:
        return cls()
    if not isinstance(config, cls):
        raise TypeError(
            f"Invalid value for 'config': expected an instance of {cls.__name__} or None, got {config!r}"
        )
    return config


def _events_poisson(rng, rate_per_min, duration):
    """Sorted times (s) of a homogeneous Poisson process of ``rate_per_min`` events/min."""
    k = rng.poisson(rate_per_min * duration / 60.0)
    return np.sort(rng.uniform(0.0, duration, k))


def _check_times(name: str, times: Iterable[float]) -> np.ndarray:
    try:
        arr = np.asarray(times, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for {name!r}: expected a sequence of times in s, got {times!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Invalid value for {name!r}: expected finite times in s, got {arr!r}")
    return arr


def _lowpass_noise(n: int, sfreq: float, rng: np.random.Generator, fmax: float) -> np.ndarray:
    """Unit-variance Gaussian noise band-limited to ``< fmax`` Hz (FFT synthesis).

    Synthesised on a longer (padded) grid and cropped, so that short signals do not
    look periodic (FFT synthesis is circular).
    """
    n_syn = n + min(n, int(np.ceil(2.0 * sfreq / fmax)))
    n_freq = n_syn // 2 + 1
    freqs = np.fft.rfftfreq(n_syn, 1.0 / sfreq)
    spec = rng.standard_normal(n_freq) + 1j * rng.standard_normal(n_freq)
    spec *= np.exp(-0.5 * (freqs / fmax) ** 2)
    spec[0] = 0.0
    x = np.fft.irfft(spec, n=n_syn)[:n]
    x -= x.mean()
    sd = x.std()
    return x / sd if sd > 0 else x


def _narrowband_phase(
    n: int, sfreq: float, rng: np.random.Generator, freq: float, jitter: float
) -> np.ndarray:
    """Phase (rad) of an oscillation whose frequency wanders by ~``jitter`` (relative)."""
    inst_freq = freq * (1.0 + jitter * _lowpass_noise(n, sfreq, rng, fmax=0.05))
    inst_freq = np.clip(inst_freq, 0.2 * freq, None)
    return rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.cumsum(inst_freq) / sfreq


def _hr_model(
    duration: float,
    rng: np.random.Generator,
    *,
    hr_mean: float,
    hr_sd: float,
    events: np.ndarray,
    response_bpm: float,
    response_delay: float,
    response_width: float,
    null: bool,
    rsa_bpm: float,
    lf_bpm: float,
    resp_freq: float,
):
    """Return (grid time, HR bpm, respiratory phase rad, R-peak times s)."""
    # pad so that the first/last beats are not edge artefacts of the FFT synthesis
    n = int(np.ceil((duration + 4.0) * _GRID_SFREQ))
    t = np.arange(n) / _GRID_SFREQ
    resp_phase = _narrowband_phase(n, _GRID_SFREQ, rng, resp_freq, jitter=0.1)
    lf_phase = _narrowband_phase(n, _GRID_SFREQ, rng, 0.1, jitter=0.1)
    slow = hr_sd * _lowpass_noise(n, _GRID_SFREQ, rng, fmax=0.02)
    phase0 = rng.uniform(0.0, 1.0)
    hr = hr_mean + slow + lf_bpm * np.sin(lf_phase) + rsa_bpm * np.sin(resp_phase)
    if not null:
        half = int(np.ceil(8.0 * response_width * _GRID_SFREQ))  # bump is < 1e-13 beyond
        for apex in events:
            c = int(round((apex + response_delay) * _GRID_SFREQ))
            i0, i1 = max(c - half, 0), min(c + half + 1, n)
            if i1 <= i0:
                continue
            x = (t[i0:i1] - apex - response_delay) / response_width
            hr[i0:i1] += response_bpm * np.exp(-0.5 * x**2)
    hr = np.clip(hr, 30.0, 200.0)
    beats_phase = phase0 + np.concatenate([[0.0], np.cumsum(hr[1:] / 60.0) / _GRID_SFREQ])
    ks = np.arange(np.ceil(beats_phase[0]), np.floor(beats_phase[-1]) + 1)
    rpeaks = np.interp(ks, beats_phase, t)
    rpeaks = rpeaks[(rpeaks >= 0.0) & (rpeaks < duration)]
    keep = t < duration
    return t[keep], hr[keep], resp_phase[keep], rpeaks


def simulate_rr(
    duration: float,
    *,
    rng: np.random.Generator,
    hr_mean: float = 72.0,
    hr_sd: float = 2.0,
    events: Iterable[float] = (),
    response_bpm: float = 8.0,
    response_delay: float = 0.75,
    response_width: float = 1.0,
    null: bool = False,
    rsa_bpm: float = 2.0,
    lf_bpm: float = 1.5,
    resp_freq: float = 0.25,
) -> np.ndarray:
    """Simulate R-peak times with realistic heart-rate variability.

    Parameters
    ----------
    duration : float
        Length of the recording (s).
    rng : numpy.random.Generator
        Source of randomness.
    hr_mean : float
        Mean heart rate (bpm). Default 72.
    hr_sd : float
        Standard deviation (bpm) of the slow (< 0.04 Hz) heart-rate drift. Default 2.
    events : sequence of float
        ME apex times (s). A transient heart-rate acceleration is planted after each.
    response_bpm : float
        Peak of the planted acceleration (bpm). Default 8.
    response_delay : float
        Delay of the acceleration's peak after the apex (s). Default 0.75.
    response_width : float
        Standard deviation of the Gaussian acceleration bump (s). Default 1.0.
    null : bool
        If True, plant nothing (the random draws are the same, so ``null=True`` and
        ``null=False`` with the same seed differ only by the planted responses).
    rsa_bpm : float
        Amplitude (bpm) of respiratory sinus arrhythmia. Default 2.
    lf_bpm : float
        Amplitude (bpm) of the ~0.1 Hz (Mayer wave) oscillation. Default 1.5.
    resp_freq : float
        Mean respiratory frequency (Hz) driving the RSA. Default 0.25.

    Returns
    -------
    rpeaks : numpy.ndarray of float, shape (n_beats,)
        R-peak times (s), strictly increasing, within ``[0, duration)``.
    """
    rng = check_rng(rng)
    duration = check_positive("duration", duration)
    check_positive("hr_mean", hr_mean)
    check_positive("hr_sd", hr_sd, allow_zero=True)
    check_positive("response_width", response_width)
    check_positive("resp_freq", resp_freq)
    events = _check_times("events", events)
    return _hr_model(
        duration, rng, hr_mean=hr_mean, hr_sd=hr_sd, events=events,
        response_bpm=float(response_bpm), response_delay=float(response_delay),
        response_width=response_width, null=bool(null), rsa_bpm=float(rsa_bpm),
        lf_bpm=float(lf_bpm), resp_freq=resp_freq,
    )[3]


@dataclass(frozen=True)
class PeriConfig:
    """Knobs of :func:`simulate_peri` (all in SI units unless the name says otherwise).

    Heart: ``hr_mean``/``hr_sd``/``rsa_bpm``/``lf_bpm`` (bpm), planted acceleration
    ``response_bpm`` (bpm), ``response_delay``/``response_width`` (s), see
    :func:`simulate_rr`. ECG: R-wave amplitude ``ecg_r_amplitude`` (V), white noise
    ``ecg_noise`` (V sd), 50 Hz mains ``ecg_line_noise`` (V), baseline wander
    ``ecg_wander`` (V, respiratory). PPG: pulse transit time ``ptt`` (s) from R peak to
    the systolic peak, amplitude ``ppg_amplitude`` (V), noise ``ppg_noise`` (V).
    EDA: tonic level ``eda_tonic`` (S) drifting by ``eda_drift`` (S sd), ME-locked SCRs
    of amplitude ``scr_amplitude`` (S) starting ``scr_latency`` (s, uniform range) after
    each apex, rise/decay time constants ``scr_rise``/``scr_decay`` (s), non-specific
    SCRs at ``scr_spontaneous_per_min``. RSP: ``resp_freq`` (Hz), amplitude
    ``rsp_amplitude`` (V). SKT: mean ``skt_mean`` (degC), slow drift ``skt_drift``
    (degC sd), clipped to ``skt_range``. EMG: background ``emg_noise`` (V sd), bursts
    of ``emg_burst_amplitude`` (V sd) at ``emg_bursts_per_min``.
    """

    hr_mean: float = 72.0
    hr_sd: float = 2.0
    rsa_bpm: float = 2.0
    lf_bpm: float = 1.5
    response_bpm: float = 8.0
    response_delay: float = 0.75
    response_width: float = 1.0
    ecg_r_amplitude: float = 1.0e-3
    ecg_noise: float = 10e-6
    ecg_line_noise: float = 5e-6
    ecg_wander: float = 50e-6
    ptt: float = 0.25
    ppg_amplitude: float = 0.5
    ppg_noise: float = 5e-3
    eda_tonic: float = 5e-6
    eda_drift: float = 0.5e-6
    scr_amplitude: float = 0.3e-6
    scr_latency: tuple = (1.0, 3.0)
    scr_rise: float = 0.75
    scr_decay: float = 3.0
    scr_spontaneous_per_min: float = 1.0
    eda_noise: float = 5e-9
    resp_freq: float = 0.25
    rsp_amplitude: float = 0.3
    rsp_noise: float = 5e-3
    skt_mean: float = 34.0
    skt_drift: float = 0.3
    skt_range: tuple = (33.0, 35.0)
    skt_noise: float = 0.005
    emg_noise: float = 3e-6
    emg_burst_amplitude: float = 40e-6
    emg_bursts_per_min: float = 3.0
    line_freq: float = 50.0


# --- waveforms -------------------------------------------------------------------------
# PQRST as a sum of Gaussians: (offset from R peak in s, amplitude rel. to R, width s).
# The T wave's offset scales with sqrt(RR) (Bazett). Q and S are symmetric around R so
# that the sampled maximum stays at the R-peak time.
_PQRST = (
    (-0.20, 0.12, 0.025),  # P
    (-0.035, -0.12, 0.008),  # Q
    (0.0, 1.0, 0.009),  # R
    (0.035, -0.12, 0.008),  # S
    (0.30, 0.28, 0.045),  # T (offset scaled by sqrt(RR))
)


def _place_waves(n: int, sfreq: float, centers: np.ndarray, amps, widths) -> np.ndarray:
    """Sum of Gaussians (centre s, amplitude, width s) sampled on ``arange(n)/sfreq``."""
    out = np.zeros(n)
    centers = np.asarray(centers, float)
    amps = np.broadcast_to(np.asarray(amps, float), centers.shape)
    widths = np.broadcast_to(np.asarray(widths, float), centers.shape)
    for c, a, w in zip(centers, amps, widths):
        half = int(np.ceil(5 * w * sfreq))
        i0 = max(int(np.floor(c * sfreq)) - half, 0)
        i1 = min(int(np.ceil(c * sfreq)) + half + 1, n)
        if i1 <= i0:
            continue
        tt = np.arange(i0, i1) / sfreq
        out[i0:i1] += a * np.exp(-0.5 * ((tt - c) / w) ** 2)
    return out


def _ecg(n, sfreq, rpeaks, cfg: PeriConfig, rng, resp_phase_s):
    rr = np.diff(rpeaks, prepend=rpeaks[0] - 60.0 / cfg.hr_mean) if rpeaks.size else rpeaks
    ecg = np.zeros(n)
    for off, amp, width in _PQRST:
        if off > 0.1:
            centers = rpeaks + off * np.sqrt(np.clip(rr, 0.3, 2.0))
        else:
            centers = rpeaks + off
        ecg += _place_waves(n, sfreq, centers, amp * cfg.ecg_r_amplitude, width)
    t = np.arange(n) / sfreq
    ecg += cfg.ecg_wander * np.sin(resp_phase_s)
    ecg += cfg.ecg_line_noise * np.sin(2 * np.pi * cfg.line_freq * t + rng.uniform(0, 2 * np.pi))
    ecg += cfg.ecg_noise * rng.standard_normal(n)
    return ecg


def _ppg(n, sfreq, rpeaks, cfg: PeriConfig, rng, resp_phase_s):
    systolic = rpeaks + cfg.ptt
    ppg = _place_waves(n, sfreq, systolic, cfg.ppg_amplitude, 0.08)
    ppg += _place_waves(n, sfreq, systolic + 0.25, 0.35 * cfg.ppg_amplitude, 0.09)  # dicrotic
    ppg *= 1.0 + 0.1 * np.sin(resp_phase_s)
    ppg += 0.1 * cfg.ppg_amplitude * np.sin(resp_phase_s)
    ppg += cfg.ppg_noise * rng.standard_normal(n)
    return ppg


def _scr_kernel(t: np.ndarray, rise: float, decay: float) -> np.ndarray:
    """Bi-exponential SCR shape (peak normalised to 1), zero before onset."""
    out = np.where(t > 0, np.exp(-np.clip(t, 0, None) / decay) - np.exp(-np.clip(t, 0, None) / rise), 0.0)
    tpk = np.log(decay / rise) * rise * decay / (decay - rise)
    peak = np.exp(-tpk / decay) - np.exp(-tpk / rise)
    return out / peak


def _eda(n, sfreq, duration, onsets_planted, planted_amp, cfg: PeriConfig, rng):
    tonic = cfg.eda_tonic + cfg.eda_drift * _lowpass_noise(n, sfreq, rng, fmax=0.01)
    spont = _events_poisson(rng, cfg.scr_spontaneous_per_min, duration)
    spont_amp = cfg.scr_amplitude * rng.uniform(0.2, 0.6, spont.size)
    phasic = np.zeros(n)
    t = np.arange(n) / sfreq
    span = int(min(n, np.ceil(10 * cfg.scr_decay * sfreq)))
    for onset, amp in zip(np.concatenate([onsets_planted, spont]), np.concatenate([planted_amp, spont_amp])):
        i0 = int(np.ceil(onset * sfreq))
        if i0 >= n:
            continue
        i1 = min(i0 + span, n)
        # exact sub-sample onset: evaluate the kernel at the true lags
        phasic[i0:i1] += amp * _scr_kernel(t[i0:i1] - onset, cfg.scr_rise, cfg.scr_decay)
    eda = np.clip(tonic, 0.5e-6, None) + phasic + cfg.eda_noise * rng.standard_normal(n)
    return eda, spont


def _emg(n, sfreq, duration, cfg: PeriConfig, rng):
    from scipy.signal import butter, sosfiltfilt

    white = rng.standard_normal(n)
    hi = min(450.0, 0.45 * sfreq)
    if hi > 25.0:
        sos = butter(4, [20.0, hi], btype="bandpass", fs=sfreq, output="sos")
        white = sosfiltfilt(sos, white)
        white /= white.std() if white.std() > 0 else 1.0
    n_b = rng.poisson(cfg.emg_bursts_per_min * duration / 60.0)
    starts = rng.uniform(0.0, duration, n_b)
    lengths = rng.uniform(0.2, 1.0, n_b)
    env = np.full(n, cfg.emg_noise)
    for s, ln in zip(starts, lengths):
        i0, i1 = int(s * sfreq), min(int((s + ln) * sfreq), n)
        env[i0:i1] += cfg.emg_burst_amplitude * np.hanning(max(i1 - i0, 1))[: i1 - i0]
    return env * white, np.column_stack([starts, starts + lengths]) if n_b else np.zeros((0, 2))


def _skt(n, sfreq, cfg: PeriConfig, rng):
    skt = cfg.skt_mean + cfg.skt_drift * _lowpass_noise(n, sfreq, rng, fmax=0.005)
    lo, hi = cfg.skt_range
    return np.clip(skt, lo, hi) + cfg.skt_noise * rng.standard_normal(n)


def _ecg_rate(n, sfreq, rpeaks):
    """Instantaneous HR (bpm) held from each beat to the next, as AcqKnowledge draws it."""
    if rpeaks.size < 2:
        return np.zeros(n)
    bpm = 60.0 / np.diff(rpeaks)
    idx = np.searchsorted(rpeaks[1:], np.arange(n) / sfreq, side="right") - 1
    rate = np.where(idx >= 0, bpm[np.clip(idx, 0, None)], bpm[0])
    return rate


def simulate_peri(
    duration: float,
    sfreq: float,
    *,
    rng: np.random.Generator,
    me_apexes: Iterable[float] = (),
    null: bool = False,
    config: PeriConfig | None = None,
) -> tuple[dict, dict]:
    """Simulate the peripheral signals of one session, with ME-locked responses.

    Parameters
    ----------
    duration : float
        Length (s).
    sfreq : float
        Sampling frequency (Hz), e.g. 1000 like the BIOPAC MP160.
    rng : numpy.random.Generator
        Source of randomness.
    me_apexes : sequence of float
        ME apex times (s on the same clock). After each: a heart-rate acceleration
        (see :func:`simulate_rr`) and a skin-conductance response ``scr_latency`` later.
    null : bool
        If True, plant no ME-locked response (same random draws otherwise).
    config : PeriConfig | None
        Knobs; ``None`` means ``PeriConfig()``.

    Returns
    -------
    signals : dict of str -> numpy.ndarray, each shape (n_samples,)
        ``ECG``, ``PPG``, ``RSP``, ``EMG``, ``EMG_B`` (V), ``EDA`` (S), ``SKT``,
        ``SKT_B`` (degC) and ``ECG_rate`` (bpm, the beat-to-beat rate), see
        :data:`PERI_UNITS`. ``n_samples = round(duration * sfreq)``.
    truth : dict
        ``rpeaks`` (s, exact R-peak times), ``ppg_peaks`` (s, centres of the
        systolic waves, ``rpeaks + ptt``),
        ``scr_onsets`` (s, ME-locked SCR onsets; empty when ``null``),
        ``scr_amplitudes`` (S, their peak amplitudes),
        ``scr_onsets_spontaneous`` (s), ``emg_bursts`` (n, 2) start/stop s,
        ``me_apexes`` (s), ``null`` (bool), ``config`` (the PeriConfig used),
        ``sfreq`` (Hz).
    """
    rng = check_rng(rng)
    sfreq = check_sfreq(sfreq)
    duration = check_positive("duration", duration)
    cfg = _check_config(config, PeriConfig)
    apexes = _check_times("me_apexes", me_apexes)
    n = int(round(duration * sfreq))
    t_grid, _, resp_phase_grid, rpeaks = _hr_model(
        duration, rng, hr_mean=cfg.hr_mean, hr_sd=cfg.hr_sd, events=apexes,
        response_bpm=cfg.response_bpm, response_delay=cfg.response_delay,
        response_width=cfg.response_width, null=bool(null), rsa_bpm=cfg.rsa_bpm,
        lf_bpm=cfg.lf_bpm, resp_freq=cfg.resp_freq,
    )
    t = np.arange(n) / sfreq
    resp_phase = np.interp(t, t_grid, resp_phase_grid)
    ecg = _ecg(n, sfreq, rpeaks, cfg, rng, resp_phase)
    ppg = _ppg(n, sfreq, rpeaks, cfg, rng, resp_phase)
    lo, hi = cfg.scr_latency
    # drawn whether or not ``null``, so that null and planted runs share all other draws
    latencies = rng.uniform(lo, hi, apexes.size)
    scr_amp = cfg.scr_amplitude * rng.uniform(0.8, 1.2, apexes.size)
    order = np.argsort(apexes + latencies, kind="stable")
    scr_onsets = np.zeros(0) if null else (apexes + latencies)[order]
    scr_amp = np.zeros(0) if null else scr_amp[order]
    eda, spont = _eda(n, sfreq, duration, scr_onsets, scr_amp, cfg, rng)
    # RSP: belt signal, slightly non-sinusoidal (faster inhalation), shares the RSA phase
    rsp = cfg.rsp_amplitude * (np.sin(resp_phase) + 0.25 * np.sin(2 * resp_phase - 0.5))
    rsp += 0.2 * cfg.rsp_amplitude * _lowpass_noise(n, sfreq, rng, fmax=0.02)
    rsp += cfg.rsp_noise * rng.standard_normal(n)
    skt = _skt(n, sfreq, cfg, rng)
    skt_b = _skt(n, sfreq, cfg, rng)
    emg, bursts = _emg(n, sfreq, duration, cfg, rng)
    emg_b, _ = _emg(n, sfreq, duration, cfg, rng)
    signals = {
        "ECG": ecg, "PPG": ppg, "RSP": rsp, "EDA": eda, "SKT": skt, "EMG": emg,
        "EMG_B": emg_b, "SKT_B": skt_b, "ECG_rate": _ecg_rate(n, sfreq, rpeaks),
    }
    truth = {
        "rpeaks": rpeaks,
        "ppg_peaks": rpeaks + cfg.ptt,
        "scr_onsets": scr_onsets,
        "scr_amplitudes": scr_amp,
        "scr_onsets_spontaneous": spont,
        "emg_bursts": bursts,
        "me_apexes": apexes,
        "null": bool(null),
        "config": cfg,
        "sfreq": sfreq,
    }
    return signals, truth
