"""One participant's physiology files: device clocks, trigger trains, BIOPAC and EEG writing.

A session up to ``SynthConfig.block`` seconds is simulated whole (:func:`~.peri.simulate_peri`,
:func:`~.eeg.simulate_eeg`); a longer one block by block (:class:`~.peri_blocks.PeriBlocks`,
:class:`~.eeg_blocks.EEGBlocks`), each block written as it is made
(:func:`~mmme_analysis.io.biopac.write_biopac_blocks`,
:func:`~mmme_analysis.io.eeg.write_eeg_blocks`), so that memory does not grow with the
session's length.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .eeg import simulate_eeg
from .eeg_blocks import EEGBlocks
from .peri import simulate_peri
from .peri_blocks import PeriBlocks

__all__ = ["write_physiology"]

_PULSE_S = 0.02  # a DB25 trigger code is held for 20 ms


@dataclass(frozen=True)
class _Clocks:
    """Device clocks of one session relative to the EEG (reference) clock."""

    bio_rate: float
    bio_offset: float
    cam_rate: float
    cam_offset: float

    @classmethod
    def draw(cls, rng, cfg, s):
        bio_rate = 1.0 + rng.normal(0, cfg.drift_ppm_sd) * 1e-6
        bio_start = -rng.uniform(0.5, max(cfg.biopac_lead, 0.5))  # EEG time at which BIOPAC starts
        cam_rate = 1.0 + rng.normal(0, cfg.drift_ppm_sd) * 1e-6
        cam_offset = 9 * 3600.0 + s * 5400.0 + rng.uniform(0, 60)  # camera clock (s since midnight) at EEG 0
        return cls(bio_rate, -bio_rate * bio_start, cam_rate, cam_offset)

    def to_bio(self, t_eeg):
        return self.bio_offset + self.bio_rate * np.asarray(t_eeg, float)

    def to_cam(self, t_eeg):
        return self.cam_offset + self.cam_rate * np.asarray(t_eeg, float)

    def truth(self):
        return {"biopac": {"offset_s": self.bio_offset, "drift_ppm": (self.bio_rate - 1) * 1e6},
                "camera": {"offset_s": self.cam_offset, "drift_ppm": (self.cam_rate - 1) * 1e6}}


def _trigger(i0: int, i1: int, onsets, codes, sfreq: float) -> np.ndarray:
    """Per-sample trigger codes of samples ``i0:i1``: each marker held for a 20 ms pulse."""
    width = int(round(_PULSE_S * sfreq))
    trig = np.zeros(i1 - i0, dtype=np.int32)
    for s, c in zip(onsets, codes):
        a, b = max(int(s), i0), min(int(s) + width, i1)
        if a < b:
            trig[a - i0:b - i0] = c
    return trig


def _blockwise(blocks, edges, onsets, codes, sfreq):
    """Pair each block of signals with its trigger codes (holding no block while the next is made)."""
    for block, (i0, i1) in zip(blocks, edges):
        out = (block, _trigger(i0, i1, onsets, codes, sfreq))
        del block
        yield out
        del out


def _ecg_on_eeg(peri, clocks, cfg):
    """``f(i0, i1)``: the BIOPAC ECG (recomputed per block) on EEG samples ``i0:i1``."""
    def ecg(i0, i1):
        pos = clocks.to_bio(np.arange(i0, i1) / cfg.eeg_sfreq) * cfg.peri_sfreq
        j0 = max(int(np.floor(pos.min())), 0)
        seg = peri.ecg(j0, int(np.ceil(pos.max())) + 2)
        return np.interp(pos, np.arange(j0, j0 + seg.size), seg)
    return ecg


def write_physiology(sub_dir, name: str, cfg, clocks: _Clocks, session_len: float, me_apex_eeg, marks,
                     segments, rng):
    """Simulate and write the BIOPAC export and the EEG session of one participant.

    Parameters
    ----------
    sub_dir : pathlib.Path
        The participant's folder (``PERI/`` and ``EEG/`` are written into it).
    name : str
        Participant name (the ``.mat`` file's stem).
    cfg : SynthConfig
        The dataset configuration.
    clocks : _Clocks
        Device clocks of the session.
    session_len : float
        EEG recording length (s).
    me_apex_eeg : sequence of float
        ME apexes on the EEG clock (s).
    marks : (times, codes)
        Trigger markers on the EEG clock (s), sorted.
    segments : list of (t0, t1, category)
        Stimulus segments on the EEG clock (s).
    rng : numpy.random.Generator
        The participant's random stream.

    Returns
    -------
    eeg_marks : numpy.ndarray
        Marker times as sampled on the EEG (s).
    peri_truth, eeg_truth : dict
        What the simulators planted.
    """
    from ..io.biopac import write_biopac_blocks, write_biopac_mat
    from ..io.eeg import write_eeg_blocks, write_eeg_session

    whole = session_len <= cfg.block
    mk_times, mk_codes = marks
    bio_len = float(clocks.to_bio(session_len) + 1.0)
    me_bio = clocks.to_bio(me_apex_eeg)
    if whole:
        peri, peri_truth = simulate_peri(bio_len, cfg.peri_sfreq, rng=rng, me_apexes=me_bio, null=cfg.null,
                                         config=cfg.peri)
    else:
        peri = PeriBlocks(bio_len, cfg.peri_sfreq, rng=rng, me_apexes=me_bio, null=cfg.null, config=cfg.peri,
                          block=int(round(cfg.block * cfg.peri_sfreq)))
        peri_truth = peri.truth
    jitter = rng.normal(0, cfg.jitter_s, mk_times.size)
    bio_on = np.round((clocks.to_bio(mk_times) + jitter) * cfg.peri_sfreq).astype(int)
    mat = sub_dir / "PERI" / f"{name}.mat"
    if whole:
        n_bio = peri.sizes["time"]
        write_biopac_mat(mat, {k: peri[k].values for k in peri.data_vars}, cfg.peri_sfreq,
                         _trigger(0, n_bio, bio_on, mk_codes, cfg.peri_sfreq))
    else:
        write_biopac_blocks(mat, _blockwise(peri, peri.edges, bio_on, mk_codes, cfg.peri_sfreq), cfg.peri_sfreq,
                            peri.n)

    vhdr = sub_dir / "EEG" / "Acquisition 01.vhdr"
    n_eeg = int(round(session_len * cfg.eeg_sfreq))
    eeg_on = np.round(mk_times * cfg.eeg_sfreq).astype(int)
    if whole:
        t_eeg = np.arange(n_eeg) / cfg.eeg_sfreq
        ecg = peri["ECG"].values
        ecg_on_eeg = np.interp(clocks.to_bio(t_eeg) * cfg.peri_sfreq, np.arange(ecg.size), ecg)
        data, ch_names, ch_types, eeg_truth = simulate_eeg(
            session_len, cfg.eeg_sfreq, rng=rng, segments=segments, ecg=ecg_on_eeg, null=cfg.null, config=cfg.eeg,
            return_truth=True,
        )
        write_eeg_session(vhdr, data, cfg.eeg_sfreq, ch_names, ch_types,
                          _trigger(0, n_eeg, eeg_on, mk_codes, cfg.eeg_sfreq))
    else:
        eeg = EEGBlocks(session_len, cfg.eeg_sfreq, rng=rng, segments=segments, ecg=_ecg_on_eeg(peri, clocks, cfg),
                        null=cfg.null, config=cfg.eeg, block=int(round(cfg.block * cfg.eeg_sfreq)))
        eeg_truth = eeg.truth
        write_eeg_blocks(vhdr, _blockwise(eeg, eeg.edges, eeg_on, mk_codes, cfg.eeg_sfreq), cfg.eeg_sfreq,
                         eeg.ch_names, eeg.ch_types)
    return eeg_on / cfg.eeg_sfreq, peri_truth, eeg_truth
