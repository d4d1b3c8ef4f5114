"""EEG of a long session, simulated block by block (bounded memory).

The counterpart of :func:`~.eeg.simulate_eeg` for sessions longer than one block: the
same channels, sources, artefacts and planted category band-power changes, with memory
independent of the session's length. Drawn once per session: blink and saccade times,
mains amplitudes and phases, the EMG bursts. Per block: the 1/f background, the rhythmic
sources and the EOG noise (FFT synthesis per block, crossfaded between blocks:
:class:`~.blocks.Crossfade`), the blink waves, the gaze (each saccade's step decays with
the same 5 s time constant as in :func:`~.eeg.simulate_eeg`, computed in closed form),
the EKG (the ECG of ``ecg``) and mains.
"""
from __future__ import annotations

import numpy as np

from .blocks import Crossfade, block_edges, block_rng, burst_envelope, waves_in
from .eeg import _BLINK_LEAK, _CARDIAC_LEAK, _SACCADE_LEAK, _TOPO, _UV, BANDS, EXTRA_CHANNELS, EEGConfig, _add_leak, _eeg_truth, _pink_shape
from .events import poisson_times
from .peri_emg import EMGConfig, _carrier
from .waveforms import spectral_noise

__all__ = ["EEGBlocks"]

_BG, _SHARED, _RHYTHM, _EOG, _EKG, _EMG = 11, 12, 13, 16, 17, 18  # random streams (rhythms: 13-15)
_OVERLAP_S = 2.0  # crossfade length (s)
_GAZE_TAU = 5.0  # s, decay of a saccade's step (AC-coupled EOG)


class EEGBlocks:
    """EEG of one session, block by block.

    Parameters
    ----------
    duration : float
        Length (s); ``n_samples = round(duration * sfreq)``.
    sfreq : float
        Sampling frequency (Hz).
    rng : numpy.random.Generator
        Source of the session's draws (and of the per-block streams' seed).
    segments : sequence of (t0, t1, category)
        Stimulus segments (s), as for :func:`~.eeg.simulate_eeg`.
    ecg : callable
        ``ecg(i0, i1)`` -> the ECG (V) on EEG samples ``i0:i1`` (recorded on EKG, leaks
        to the mastoids).
    null : bool
        Plant no category effect.
    config : EEGConfig
        Knobs.
    block : int
        Samples per block.

    Attributes
    ----------
    ch_names, ch_types : list of str
        As :func:`~.eeg.simulate_eeg` returns them.
    edges : list of (int, int)
        Sample range of each block.
    truth : dict
        As the truth of :func:`~.eeg.simulate_eeg`.
    """

    def __init__(self, duration: float, sfreq: float, *, rng, segments, ecg, null: bool, config: EEGConfig,
                 block: int):
        cfg = self.cfg = config
        self.sfreq, self.null, self._ecg = float(sfreq), bool(null), ecg
        self.n = int(round(duration * sfreq))
        self.edges = block_edges(self.n, int(block))
        self.segs = [(float(t0), float(t1), int(c)) for t0, t1, c in segments]
        self.idx = {c: i for i, c in enumerate(cfg.ch_names)}
        self.n_eeg = len(self.idx)
        self.ch_names = list(cfg.ch_names) + [c for c, _ in EXTRA_CHANNELS]
        self.ch_types = ["eeg"] * self.n_eeg + [k for _, k in EXTRA_CHANNELS]
        self.effects: dict = {}
        if not self.null:
            for cat, band, factor in cfg.band_effects:
                self.effects.setdefault(band, {})[int(cat)] = float(factor)
        self.blinks = poisson_times(rng, cfg.blinks_per_min / 60.0, duration)
        self._blink_amp = cfg.blink_uv * _UV * rng.uniform(0.7, 1.3, self.blinks.size)
        self.saccades = poisson_times(rng, cfg.saccades_per_min / 60.0, duration)
        self._steps = rng.standard_normal(self.saccades.size) * cfg.saccade_uv * _UV
        self._emg_starts = poisson_times(rng, EMGConfig().bursts_per_min / 60.0, duration)
        self._emg_lengths = rng.uniform(0.2, 1.0, self._emg_starts.size)
        n_ch = self.n_eeg + len(EXTRA_CHANNELS)
        self._mains = (cfg.line_uv * _UV * rng.uniform(0.5, 1.5, n_ch), rng.uniform(0, 2 * np.pi, n_ch))
        self._entropy = int(rng.integers(2**63))
        pink = _pink_shape(cfg.aperiodic_exponent, sfreq / 2.0)
        ov = min(int(_OVERLAP_S * sfreq), int(block))

        def spectral(shape):
            return lambda g, c, m: spectral_noise(c, m, self.sfreq, g, shape)

        def narrow(freq):
            return spectral(lambda f: np.exp(-0.5 * ((f - freq) / 1.5) ** 2))

        self._bg, self._shared = Crossfade(spectral(pink), self.n_eeg, ov), Crossfade(spectral(pink), 1, ov)
        self._rhythms = [(band, amp, Crossfade(narrow(freq), 1, ov)) for band, freq, amp in (
            ("alpha", cfg.alpha_freq, cfg.alpha_uv), ("theta", cfg.theta_freq, cfg.theta_uv),
            ("beta", cfg.beta_freq, cfg.beta_uv))]
        self._eog = Crossfade(spectral(pink), 2, ov)
        self._emg = Crossfade(lambda g, c, m: _carrier(m, self.sfreq, g)[None, :], 1, min(int(0.2 * sfreq), int(block)))
        rows = []
        for band, _, _ in self._rhythms:
            chans = tuple(c for c in _TOPO[band][0] if c in self.idx)
            for cat, factor in sorted(self.effects.get(band, {}).items()):
                rows.append((cat, band, *BANDS[band], factor, chans))
        self.truth = _eeg_truth(rows, self.segs, self.blinks, self.saccades, self.null, cfg)
        self._started = False

    def _gain(self, i0, i1, factors):
        """Amplitude gain on samples i0:i1: sqrt(power factor) in matching segments (ramped)."""
        gain = np.ones(i1 - i0)
        for t0, t1, cat in self.segs:
            factor = factors.get(cat)
            if factor is None:
                continue
            j0, j1 = (min(max(int(np.ceil(x * self.sfreq - 1e-9)), 0), self.n) for x in (t0, t1))
            a, b = max(j0, i0), min(j1, i1)
            if j1 <= j0 or a >= b:
                continue
            w = np.ones(b - a)
            nr = min(int(self.cfg.effect_ramp * self.sfreq), (j1 - j0) // 2)
            if nr > 0:  # raised-cosine ramps at both ends of the segment, as simulate_eeg
                edge = np.minimum(np.arange(a, b) - j0, j1 - 1 - np.arange(a, b))
                w = np.where(edge < nr, 0.5 - 0.5 * np.cos(np.pi * np.minimum(edge, nr) / nr), 1.0)
            gain[a - i0:b - i0] += (np.sqrt(factor) - 1.0) * w
        return gain

    def _gaze(self, i0, i1):
        """HEO gaze signal on samples i0:i1: decaying saccade steps, 15 ms box-smoothed."""
        k = max(int(0.015 * self.sfreq), 1)
        lo, hi = i0 - k // 2, i1 + (k - 1) // 2
        pos = np.arange(lo, hi)
        g = np.zeros(pos.size)
        a = np.exp(-1.0 / (_GAZE_TAU * self.sfreq))
        reach = int(25 * _GAZE_TAU * self.sfreq)  # a**reach < 1e-10
        for s, dv in zip(self.saccades, self._steps):
            n0 = int(s * self.sfreq)
            if n0 >= hi or n0 < lo - reach:
                continue
            m = pos >= n0
            g[m] += dv * a ** (pos[m] - n0)
        g[(pos < 0) | (pos >= self.n)] = 0.0  # 'same' convolution: zeros beyond the session
        return np.convolve(g, np.ones(k) / k, mode="valid")

    def __iter__(self):
        """Yield each block's data: ``(n_channels, n)`` float64 volts (ch_names order)."""
        if self._started:
            raise RuntimeError("EEGBlocks is single-pass: its blocks have been produced already")
        self._started = True
        for kb, (i0, i1) in enumerate(self.edges):
            yield self._block(kb, i0, i1)

    def _block(self, kb: int, i0: int, i1: int) -> np.ndarray:
        cfg, idx, n_eeg, m = self.cfg, self.idx, self.n_eeg, i1 - i0

        def rng(stream):
            return block_rng(self._entropy, stream, kb)

        data = np.empty((n_eeg + len(EXTRA_CHANNELS), m))
        eeg = self._bg.next(rng(_BG), m, out=data[:n_eeg])
        eeg *= np.sqrt(1 - cfg.background_shared) * cfg.background_uv * _UV
        eeg += (np.sqrt(cfg.background_shared) * cfg.background_uv * _UV) * self._shared.next(rng(_SHARED), m)[0]
        for j, (band, amp_uv, fade) in enumerate(self._rhythms):
            src = fade.next(rng(_RHYTHM + j), m)[0] * (amp_uv * _UV)
            src *= self._gain(i0, i1, self.effects.get(band, {}))
            core, near = _TOPO[band]
            _add_leak(eeg, idx, src, dict.fromkeys([c for c in core if c in idx], 1.0))
            _add_leak(eeg, idx, src, dict.fromkeys(near, 0.5))
        veo = waves_in(i0, i1, self.sfreq, self.blinks + 0.1, self._blink_amp, 0.06)
        heo = self._gaze(i0, i1)
        _add_leak(eeg, idx, veo, _BLINK_LEAK)
        _add_leak(eeg, idx, heo, _SACCADE_LEAK)
        eog = self._eog.next(rng(_EOG), m) * (cfg.eog_noise_uv * _UV)
        ecg = np.asarray(self._ecg(i0, i1), float)
        _add_leak(eeg, idx, ecg, _CARDIAC_LEAK)
        ekg = ecg + rng(_EKG).standard_normal(m) * 2 * _UV
        emg = burst_envelope(i0, i1, self.n, self.sfreq, self._emg_starts, self._emg_lengths, EMGConfig())
        emg *= self._emg.next(rng(_EMG), m)[0]
        for i, x in enumerate((heo + eog[0], veo + eog[1], ekg, emg)):
            data[n_eeg + i] = x
        if cfg.line_freq < self.sfreq / 2.0:
            t = np.arange(i0, i1) / self.sfreq
            line, line_q = np.sin(2 * np.pi * cfg.line_freq * t), np.cos(2 * np.pi * cfg.line_freq * t)
            amps, phases = self._mains
            for i in range(data.shape[0]):
                data[i] += amps[i] * np.cos(phases[i]) * line
                data[i] += amps[i] * np.sin(phases[i]) * line_q
        return data
