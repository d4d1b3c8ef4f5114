"""Building blocks of long sessions simulated block by block (bounded memory).

A session longer than one block is cut into consecutive blocks of samples
(:func:`block_edges`). What is global and small is drawn once for the session (event
times, R peaks, slow drifts on a coarse grid); everything sampled is computed per block,
with random numbers from a stream of its own per (signal, block) (:func:`block_rng`), so
that a block can be recomputed at any time (the EEG's EKG channel re-reads the BIOPAC ECG
this way) and its draws do not depend on the order in which blocks are made.

Noise that is synthesised over a whole signal (FFT synthesis, zero-phase filtering) is
made per block and the blocks are joined by :class:`Crossfade`.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["block_edges", "block_rng", "Crossfade", "waves_in", "burst_envelope", "SLOW_SFREQ"]

#: rate (Hz) of the coarse grid on which slow drifts (< 0.05 Hz) of long sessions are drawn
SLOW_SFREQ = 10.0


def block_edges(n: int, block: int) -> list:
    """``[(i0, i1), ...]``: consecutive sample ranges of ``block`` samples (the last shorter)."""
    return [(i0, min(i0 + block, n)) for i0 in range(0, n, block)]


def block_rng(entropy: int, stream: int, k: int) -> np.random.Generator:
    """Independent random stream of signal ``stream`` in block ``k`` of a session."""
    return np.random.default_rng([int(entropy), int(stream), int(k)])


def waves_in(i0: int, i1: int, sfreq: float, centers, amps, widths) -> np.ndarray:
    """Sum of Gaussians (centre s, amplitude, width s) on samples ``i0:i1`` of the session.

    As :func:`~.waveforms.place_waves` on the whole session, restricted to the block (only
    waves within 6 widths of it are evaluated).
    """
    from .waveforms import place_waves

    centers = np.asarray(centers, float)
    amps = np.broadcast_to(np.asarray(amps, float), centers.shape)
    widths = np.broadcast_to(np.asarray(widths, float), centers.shape)
    t0, t1 = i0 / sfreq, i1 / sfreq
    near = (centers + 6 * widths > t0) & (centers - 6 * widths < t1)
    return place_waves(i1 - i0, sfreq, centers[near] - t0, amps[near], widths[near])


def burst_envelope(i0: int, i1: int, n: int, sfreq: float, starts, lengths, config) -> np.ndarray:
    """EMG amplitude envelope on samples ``i0:i1``: background plus Hann-shaped bursts.

    As in :func:`~.peri_emg.simulate_emg`: a burst of ``length`` s from ``start`` adds
    ``config.burst_amplitude`` times a Hann window over its samples of the session.
    """
    env = np.full(i1 - i0, config.noise)
    for s, ln in zip(starts, lengths):
        j0, j1 = int(s * sfreq), min(int((s + ln) * sfreq), n)
        a, b = max(j0, i0), min(j1, i1)
        if a < b:
            env[a - i0:b - i0] += config.burst_amplitude * np.hanning(max(j1 - j0, 1))[a - j0:b - j0]
    return env


class Crossfade:
    """Stationary noise of any length from independent segments joined by crossfades.

    Each block draws its samples plus ``overlap`` more (``make(rng, n_channels, n)``
    returns ``(n_channels, n)`` noise); the extra tail is mixed into the head of the next
    block with weights ``cos`` (old) and ``sin`` (new) of an angle going from 0 to pi/2.
    The weights' squares add to 1, so two independent segments of equal variance give the
    same variance everywhere (no seam in level); the spectrum is kept for periods shorter
    than the overlap.

    Parameters
    ----------
    make : callable
        ``make(rng, n_channels, n_samples) -> ndarray``: one segment of noise.
    n_channels : int
        Rows of the noise.
    overlap : int
        Samples of each crossfade.
    chunk : int
        Channels made at a time (bounds the scratch memory).
    """

    def __init__(self, make: Callable, n_channels: int, overlap: int, *, chunk: int = 8):
        self.make, self.n_channels, self.overlap, self.chunk = make, int(n_channels), int(overlap), int(chunk)
        self._tail = None
        theta = 0.5 * np.pi * (np.arange(self.overlap) + 0.5) / max(self.overlap, 1)
        self._old, self._new = np.cos(theta), np.sin(theta)

    def next(self, rng: np.random.Generator, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """The next ``n`` samples, ``(n_channels, n)`` (written into ``out`` when given)."""
        out = np.empty((self.n_channels, n)) if out is None else out
        tail = np.empty((self.n_channels, self.overlap))
        for c0 in range(0, self.n_channels, self.chunk):
            c1 = min(c0 + self.chunk, self.n_channels)
            seg = self.make(rng, c1 - c0, n + self.overlap)
            out[c0:c1] = seg[:, :n]
            tail[c0:c1] = seg[:, n:]
            if self._tail is not None:
                m = min(n, self.overlap)
                out[c0:c1, :m] *= self._new[:m]
                out[c0:c1, :m] += self._old[:m] * self._tail[c0:c1, :m]
        self._tail = tail
        return out
