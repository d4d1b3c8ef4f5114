"""Synthetic peripheral physiology of one session: ECG, PPG, RSP, EDA, SKT and EMG together.

:func:`simulate_peri` draws one heart rhythm (:mod:`.peri_heart`) and one breathing phase,
then each signal from its own simulator (:mod:`.peri_cardiac`, :mod:`.peri_slow`,
:mod:`.peri_emg`), and returns them as an :class:`xarray.Dataset` on a ``time``
coordinate in seconds, in SI units (volts, siemens, degrees Celsius; ``ECG_rate`` in bpm),
the units that :func:`mmme_analysis.io.biopac.read_biopac` returns. Same ``rng`` seed -> same
signals.

ME-locked responses: a heart-rate acceleration after each apex (see :mod:`.peri_heart`)
and a skin-conductance response ``EDAConfig.scr_latency`` s later.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import numpy as np
import xarray as xr

from .._validate import check_positive, check_rng, check_sfreq, check_type
from ..io.biopac import SI_UNITS
from .events import check_times
from .peri_cardiac import ECGConfig, PPGConfig, ecg_rate, simulate_ecg, simulate_ppg
from .peri_emg import EMGConfig, simulate_emg
from .peri_heart import HeartConfig, heart_model
from .peri_slow import EDAConfig, RSPConfig, SKTConfig, simulate_eda, simulate_rsp, simulate_skt
from .waveforms import check_config

__all__ = ["PeriConfig", "PERI_UNITS", "simulate_peri"]

#: Units of the variables of :func:`simulate_peri`'s Dataset (what the BIOPAC reader returns).
PERI_UNITS = SI_UNITS


@dataclass(frozen=True)
class PeriConfig:
    """Knobs of :func:`simulate_peri`: one frozen config per signal.

    Parameters
    ----------
    heart : HeartConfig
        Heart rate, its variability and the planted acceleration.
    ecg : ECGConfig
        ECG amplitude, noise, mains and baseline wander.
    ppg : PPGConfig
        Pulse transit time, amplitude and noise.
    rsp : RSPConfig
        Breathing frequency (also of the RSA), belt amplitude and noise.
    eda : EDAConfig
        Tonic level, planted and spontaneous SCRs.
    skt : SKTConfig
        Skin temperature level and drift (both SKT channels).
    emg : EMGConfig
        EMG background and bursts (both EMG channels).

    Examples
    --------
    >>> from dataclasses import replace
    >>> cfg = PeriConfig(heart=HeartConfig(hr_mean=90.0))
    >>> cfg = replace(cfg, skt=SKTConfig(mean=33.5))
    """

    heart: HeartConfig = field(default_factory=HeartConfig)
    ecg: ECGConfig = field(default_factory=ECGConfig)
    ppg: PPGConfig = field(default_factory=PPGConfig)
    rsp: RSPConfig = field(default_factory=RSPConfig)
    eda: EDAConfig = field(default_factory=EDAConfig)
    skt: SKTConfig = field(default_factory=SKTConfig)
    emg: EMGConfig = field(default_factory=EMGConfig)

    def __post_init__(self):
        for f in fields(self):
            check_type(f.name, getattr(self, f.name), f.default_factory)


def _planted_scrs(rng, apexes, cfg: EDAConfig, null: bool):
    """(onsets, amplitudes) of the ME-locked SCRs, drawn whether or not ``null``."""
    lo, hi = cfg.scr_latency
    # drawn in both cases, so that null and planted runs share all other draws
    latencies = rng.uniform(lo, hi, apexes.size)
    amps = cfg.scr_amplitude * rng.uniform(0.8, 1.2, apexes.size)
    order = np.argsort(apexes + latencies, kind="stable")
    if null:
        return np.zeros(0), np.zeros(0)
    return (apexes + latencies)[order], amps[order]


def _as_dataset(signals: dict, sfreq: float) -> xr.Dataset:
    n = next(iter(signals.values())).size
    time = np.arange(n) / sfreq
    return xr.Dataset(
        {k: xr.Variable(("time",), v, attrs={"units": PERI_UNITS[k]}) for k, v in signals.items()},
        coords={"time": ("time", time, {"units": "s"})},
        attrs={"sfreq": float(sfreq)},
    )


def simulate_peri(
    duration: float,
    sfreq: float,
    *,
    rng: np.random.Generator,
    me_apexes: Iterable[float] = (),
    null: bool = False,
    config: PeriConfig | None = None,
) -> tuple[xr.Dataset, dict]:
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
        and a skin-conductance response ``config.eda.scr_latency`` later.
    null : bool
        If True, plant no ME-locked response (same random draws otherwise).
    config : PeriConfig | None
        Knobs; ``None`` means ``PeriConfig()``.

    Returns
    -------
    signals : xarray.Dataset
        Variables ``ECG``, ``PPG``, ``RSP``, ``EMG``, ``EMG_B`` (V), ``EDA`` (S), ``SKT``,
        ``SKT_B`` (degC) and ``ECG_rate`` (bpm, the beat-to-beat rate) on dim ``time``
        (coordinate in s, ``round(duration * sfreq)`` samples from 0), each with its
        ``units`` attr (:data:`PERI_UNITS`); ``attrs["sfreq"]`` in Hz.
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
    cfg = check_config(config, PeriConfig)
    apexes = check_times("me_apexes", me_apexes)
    null = bool(null)
    heart = heart_model(duration, rng, cfg.heart, resp_freq=cfg.rsp.resp_freq, events=apexes, null=null)
    rpeaks = heart.rpeaks
    resp_phase = np.interp(np.arange(int(round(duration * sfreq))) / sfreq, heart.time, heart.resp_phase)
    beats = dict(rng=rng, resp_phase=resp_phase)
    ecg = simulate_ecg(rpeaks, duration, sfreq, config=cfg.ecg, **beats)
    ppg = simulate_ppg(rpeaks, duration, sfreq, config=cfg.ppg, **beats)
    scr_onsets, scr_amp = _planted_scrs(rng, apexes, cfg.eda, null)
    eda, spont = simulate_eda(duration, sfreq, rng=rng, scr_onsets=scr_onsets, scr_amplitudes=scr_amp,
                              config=cfg.eda)
    rsp = simulate_rsp(resp_phase, sfreq, rng=rng, config=cfg.rsp)
    skt = simulate_skt(duration, sfreq, rng=rng, config=cfg.skt)
    skt_b = simulate_skt(duration, sfreq, rng=rng, config=cfg.skt)
    emg, bursts = simulate_emg(duration, sfreq, rng=rng, config=cfg.emg)
    emg_b, _ = simulate_emg(duration, sfreq, rng=rng, config=cfg.emg)
    signals = _as_dataset({
        "ECG": ecg, "PPG": ppg, "RSP": rsp, "EDA": eda, "SKT": skt, "EMG": emg,
        "EMG_B": emg_b, "SKT_B": skt_b, "ECG_rate": ecg_rate(rpeaks, duration, sfreq),
    }, sfreq)
    truth = {
        "rpeaks": rpeaks,
        "ppg_peaks": rpeaks + cfg.ppg.ptt,
        "scr_onsets": scr_onsets,
        "scr_amplitudes": scr_amp,
        "scr_onsets_spontaneous": spont,
        "emg_bursts": bursts,
        "me_apexes": apexes,
        "null": null,
        "config": cfg,
        "sfreq": sfreq,
    }
    return signals, truth
