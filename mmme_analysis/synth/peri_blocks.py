"""Peripheral signals of a long session, simulated block by block (bounded memory).

The counterpart of :func:`~.peri.simulate_peri` for sessions longer than one block: the
same signals, units and planted responses, with memory independent of the session's
length. Drawn once per session: the heart rhythm (:func:`~.peri_heart.heart_model` on a
100 Hz grid: R peaks and the breathing phase), the ME-locked and spontaneous SCRs, the
EMG bursts, and the slow drifts (EDA tonic level, RSP baseline, skin temperatures) on a
10 Hz grid. Per block: the waveforms at those beats and events, and the white noise
(:func:`~.blocks.block_rng`: any block can be recomputed, see :meth:`PeriBlocks.ecg`).
The EMG carriers (band-passed noise) are crossfaded between blocks (:class:`~.blocks.Crossfade`).
"""
from __future__ import annotations

import numpy as np

from .blocks import SLOW_SFREQ, Crossfade, block_edges, block_rng, burst_envelope, waves_in
from .events import poisson_times
from .peri import PeriConfig, _planted_scrs
from .peri_cardiac import _PQRST
from .peri_emg import _carrier
from .peri_heart import heart_model
from .peri_slow import DRIFT_SMOOTH, RSP_DRIFT_TAU, scr_kernel
from .waveforms import drift_noise

__all__ = ["PeriBlocks"]

_HEART_GRID = 100.0  # Hz
_ECG, _PPG, _RSP, _EDA, _SKT, _SKT_B, _EMG, _EMG_B = range(1, 9)  # random streams


class PeriBlocks:
    """Peripheral signals of one session, block by block.

    Parameters
    ----------
    duration : float
        Length (s); ``n_samples = round(duration * sfreq)``.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of the session's draws (and of the per-block streams' seed).
    me_apexes : array of float
        ME apex times (s): a heart-rate acceleration and an SCR follow each unless ``null``.
    null : bool
        Plant no ME-locked response.
    config : PeriConfig
        Knobs, as for :func:`~.peri.simulate_peri`.
    block : int
        Samples per block.

    Attributes
    ----------
    edges : list of (int, int)
        Sample range of each block.
    truth : dict
        As the truth of :func:`~.peri.simulate_peri`.
    """

    def __init__(self, duration: float, sfreq: float, *, rng, me_apexes, null: bool, config: PeriConfig,
                 block: int):
        self.sfreq, self.cfg, self.null = float(sfreq), config, bool(null)
        self.n = int(round(duration * sfreq))
        self.edges = block_edges(self.n, int(block))
        apexes = np.asarray(me_apexes, float)
        heart = heart_model(duration, rng, config.heart, resp_freq=config.rsp.resp_freq, events=apexes,
                            null=self.null, grid_sfreq=_HEART_GRID)
        self._heart_t, self._resp = heart.time, heart.resp_phase
        rp = self.rpeaks = heart.rpeaks
        first_rr = rp[1] - rp[0] if rp.size > 1 else 1.0
        rr = np.diff(rp, prepend=rp[0] - first_rr) if rp.size else rp
        self._waves = [(rp + off * np.sqrt(np.clip(rr, 0.3, 2.0)) if off > 0.1 else rp + off,
                        amp * config.ecg.r_amplitude, width) for off, amp, width in _PQRST]
        self._line_phase = rng.uniform(0, 2 * np.pi)
        self.scr_onsets, self.scr_amplitudes = _planted_scrs(rng, apexes, config.eda, self.null)
        n_slow = int(np.ceil(duration * SLOW_SFREQ)) + 2
        self._slow_t = np.arange(n_slow) / SLOW_SFREQ
        taus = {"EDA": config.eda.drift_tau, "RSP": RSP_DRIFT_TAU, "SKT": config.skt.drift_tau,
                "SKT_B": config.skt.drift_tau}
        self._slow = {key: drift_noise(n_slow, SLOW_SFREQ, rng, tau, DRIFT_SMOOTH[key.split("_")[0]])
                      for key, tau in taus.items()}
        eda = config.eda
        self.spont = poisson_times(rng, eda.scr_spontaneous_per_min / 60.0, duration)
        spont_amp = eda.scr_amplitude * rng.uniform(0.2, 0.6, self.spont.size)
        self._scrs = (np.concatenate([self.scr_onsets, self.spont]), np.concatenate([self.scr_amplitudes, spont_amp]))
        self._bursts = []
        for _ in range(2):  # EMG A and B
            starts = poisson_times(rng, config.emg.bursts_per_min / 60.0, duration)
            self._bursts.append((starts, rng.uniform(0.2, 1.0, starts.size)))
        self._entropy = int(rng.integers(2**63))
        overlap = min(int(0.2 * sfreq), int(block))
        self._carriers = [Crossfade(lambda g, c, m: _carrier(m, self.sfreq, g)[None, :], 1, overlap) for _ in range(2)]
        self._next = 0
        self._ecg_cache = None
        self.truth = {
            "rpeaks": rp, "ppg_peaks": rp + config.ppg.ptt, "scr_onsets": self.scr_onsets,
            "scr_amplitudes": self.scr_amplitudes, "scr_onsets_spontaneous": self.spont,
            "emg_bursts": np.column_stack([self._bursts[0][0], self._bursts[0][0] + self._bursts[0][1]]).reshape(-1, 2),
            "me_apexes": apexes, "null": self.null, "config": config, "sfreq": self.sfreq,
        }

    def _t(self, i0, i1):
        return np.arange(i0, i1) / self.sfreq

    def _phase(self, t):
        return np.interp(t, self._heart_t, self._resp)

    def _ecg_block(self, k: int) -> np.ndarray:
        i0, i1 = self.edges[k]
        if self._ecg_cache is not None and self._ecg_cache[0] == k:
            return self._ecg_cache[1]
        cfg, t = self.cfg.ecg, self._t(i0, i1)
        ecg = np.zeros(i1 - i0)
        for centers, amp, width in self._waves:
            ecg += waves_in(i0, i1, self.sfreq, centers, amp, width)
        ecg += cfg.wander * np.sin(self._phase(t))
        ecg += cfg.line_noise * np.sin(2 * np.pi * cfg.line_freq * t + self._line_phase)
        ecg += cfg.noise * block_rng(self._entropy, _ECG, k).standard_normal(i1 - i0)
        self._ecg_cache = (k, ecg)
        return ecg

    def ecg(self, j0: int, j1: int) -> np.ndarray:
        """ECG (V) of samples ``j0:j1`` (any range: recomputed from the blocks it spans)."""
        j0, j1 = max(int(j0), 0), min(int(j1), self.n)
        parts = []
        for k, (i0, i1) in enumerate(self.edges):
            if i1 > j0 and i0 < j1:
                parts.append(self._ecg_block(k)[max(j0 - i0, 0):min(j1, i1) - i0])
        return np.concatenate(parts) if parts else np.zeros(0)

    def _ppg(self, k, i0, i1, phase):
        cfg = self.cfg.ppg
        systolic = self.rpeaks + cfg.ptt
        ppg = waves_in(i0, i1, self.sfreq, systolic, cfg.amplitude, 0.08)
        ppg += waves_in(i0, i1, self.sfreq, systolic + 0.25, 0.35 * cfg.amplitude, 0.09)  # dicrotic
        ppg *= 1.0 + 0.1 * np.sin(phase)
        ppg += 0.1 * cfg.amplitude * np.sin(phase)
        return ppg + cfg.noise * block_rng(self._entropy, _PPG, k).standard_normal(i1 - i0)

    def _eda(self, k, i0, i1, t):
        cfg = self.cfg.eda
        tonic = cfg.tonic + cfg.drift * np.interp(t, self._slow_t, self._slow["EDA"])
        phasic = np.zeros(i1 - i0)
        span = int(min(self.n, np.ceil(10 * cfg.scr_decay * self.sfreq)))
        for onset, amp in zip(*self._scrs):
            j0 = int(np.ceil(onset * self.sfreq))
            j1 = min(j0 + span, self.n)
            a, b = max(j0, i0), min(j1, i1)
            if a < b:
                phasic[a - i0:b - i0] += amp * scr_kernel(t[a - i0:b - i0] - onset, cfg.scr_rise, cfg.scr_decay)
        noise = cfg.noise * block_rng(self._entropy, _EDA, k).standard_normal(i1 - i0)
        return np.clip(tonic, 0.5e-6, None) + phasic + noise

    def _skt(self, k, i0, i1, t, key, stream):
        cfg = self.cfg.skt
        skt = cfg.mean + cfg.drift * np.interp(t, self._slow_t, self._slow[key])
        return np.clip(skt, *cfg.range) + cfg.noise * block_rng(self._entropy, stream, k).standard_normal(i1 - i0)

    def _emg(self, k, i0, i1, which):
        env = burst_envelope(i0, i1, self.n, self.sfreq, *self._bursts[which], self.cfg.emg)
        stream = (_EMG, _EMG_B)[which]
        return env * self._carriers[which].next(block_rng(self._entropy, stream, k), i1 - i0)[0]

    def _rate(self, t):
        rp = self.rpeaks
        if rp.size < 2:
            return np.zeros(t.size)
        bpm = 60.0 / np.diff(rp)
        idx = np.searchsorted(rp[1:], t, side="right") - 1
        return np.where(idx >= 0, bpm[np.clip(idx, 0, None)], bpm[0])

    def __iter__(self):
        """Yield each block's signals in order: ``{name: (n,) array}`` (as simulate_peri's variables)."""
        if self._next:
            raise RuntimeError("PeriBlocks is single-pass: its blocks have been produced already")
        for k, (i0, i1) in enumerate(self.edges):
            self._next = k + 1
            t = self._t(i0, i1)
            phase = self._phase(t)
            rsp_cfg = self.cfg.rsp
            rsp = rsp_cfg.amplitude * (np.sin(phase) + 0.25 * np.sin(2 * phase - 0.5))
            rsp += 0.2 * rsp_cfg.amplitude * np.interp(t, self._slow_t, self._slow["RSP"])
            rsp += rsp_cfg.noise * block_rng(self._entropy, _RSP, k).standard_normal(i1 - i0)
            yield {
                "ECG": self._ecg_block(k).copy(), "PPG": self._ppg(k, i0, i1, phase), "RSP": rsp,
                "EDA": self._eda(k, i0, i1, t), "SKT": self._skt(k, i0, i1, t, "SKT", _SKT),
                "EMG": self._emg(k, i0, i1, 0), "EMG_B": self._emg(k, i0, i1, 1),
                "SKT_B": self._skt(k, i0, i1, t, "SKT_B", _SKT_B), "ECG_rate": self._rate(t),
            }
