"""Synthetic MMME data with planted, known effects: raw layout, signals, face video, samples.

``synthesize(out_dir, SynthConfig(...))`` writes a dataset in the real raw layout
(:mod:`.generator`). Its parts are usable on their own: peripheral signals
(:func:`simulate_peri` and one simulator per signal), EEG (:func:`simulate_eeg`), the face
video (:func:`render_frames`, frame by frame :func:`render_stream`, :func:`render_sample`)
and recognition samples (:func:`synthetic_samples`; multimodal fusion samples:
:func:`fusion_samples`). Long sessions are simulated block by
block (:class:`PeriBlocks`, :class:`EEGBlocks`) and videos written frame by frame, so that
memory does not grow with the data (camera-size video: ``SynthConfig(size=(2048, 1088))``).
"""
from .eeg import BANDS, EXTRA_CHANNELS, QUIKCAP64, EEGConfig, simulate_eeg
from .eeg_blocks import EEGBlocks
from .events import poisson_times
from .face_config import FaceConfig
from .face_fields import au_displacement, face_template
from .face_geometry import AU_MOTIONS, FACE_CROP, REGIONS, AUComponent, AUMotion
from .face_motion import FrameStream
from .face_render import expression_profile, render_frames, render_sample, render_stream
from .fusion import FUSION_CLASSES, FUSION_MODALITIES, FUSION_PERI_CHANNELS, fusion_samples
from .generator import CATEGORY_LABELS, SynthConfig, synthesize
from .peri import PERI_UNITS, PeriConfig, simulate_peri
from .peri_blocks import PeriBlocks
from .peri_cardiac import ECGConfig, PPGConfig, ecg_rate, simulate_ecg, simulate_ppg
from .peri_emg import EMGConfig, simulate_emg
from .peri_heart import HeartConfig, simulate_rr
from .peri_slow import EDAConfig, RSPConfig, SKTConfig, simulate_eda, simulate_rsp, simulate_skt
from .samples import SYNTH_CLASS_AUS, synthetic_samples

__all__ = [
    # dataset
    "SynthConfig", "synthesize", "CATEGORY_LABELS",
    # peripheral signals
    "PeriConfig", "PERI_UNITS", "simulate_peri", "HeartConfig", "simulate_rr",
    "ECGConfig", "PPGConfig", "simulate_ecg", "simulate_ppg", "ecg_rate",
    "RSPConfig", "EDAConfig", "SKTConfig", "simulate_rsp", "simulate_eda", "simulate_skt",
    "EMGConfig", "simulate_emg", "poisson_times", "PeriBlocks",
    # EEG
    "EEGConfig", "QUIKCAP64", "EXTRA_CHANNELS", "BANDS", "simulate_eeg", "EEGBlocks",
    # face video
    "FaceConfig", "FACE_CROP", "REGIONS", "AU_MOTIONS", "AUComponent", "AUMotion",
    "face_template", "au_displacement", "expression_profile", "render_frames", "render_stream", "render_sample",
    "FrameStream",
    # recognition samples
    "SYNTH_CLASS_AUS", "synthetic_samples",
    # fusion samples (video, EEG, peripheral)
    "FUSION_CLASSES", "FUSION_MODALITIES", "FUSION_PERI_CHANNELS", "fusion_samples",
]
