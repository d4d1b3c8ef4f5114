"""Optical flow between onset and apex, optical strain, model inputs and apex frames.

See :mod:`.optical` (TV-L1, DIS, Farneback), :mod:`.strain`, :mod:`.inputs`, :mod:`.apex`
(apex estimation, onset/apex frame selection), :mod:`.batch` (parallel computation with
dask and the Zarr cache) and :mod:`.fusion_samples` (per-expression flow clip, EEG band
features and peripheral sequences for the fusion models, cached in the store).
"""
from .apex import APEX_METHODS, estimate_apex, select_frames
from .batch import cache_flow, compute_flow_features, load_flow, sample_features
from .fusion_samples import FUSION_PERI_SIGNALS, dataset_fusion_samples
from .fusion_signals import EEG_FEATURES, FUSION_BANDS, eeg_step_features, peri_resample
from .inputs import CHANNELS, MODEL_INPUTS, NORMALIZE_METHODS, flow_inputs, flow_normalize
from .optical import FLOW_METHODS, flow_compute, to_gray
from .strain import flow_strain, strain_components

__all__ = [
    "APEX_METHODS", "CHANNELS", "EEG_FEATURES", "FLOW_METHODS", "FUSION_BANDS", "FUSION_PERI_SIGNALS",
    "MODEL_INPUTS", "NORMALIZE_METHODS", "cache_flow", "compute_flow_features", "dataset_fusion_samples",
    "eeg_step_features", "peri_resample", "estimate_apex", "flow_compute", "flow_inputs",
    "flow_normalize", "flow_strain", "load_flow", "sample_features", "select_frames",
    "strain_components", "to_gray",
]
