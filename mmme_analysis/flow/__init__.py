"""Optical flow between onset and apex, optical strain, model inputs and apex frames.

See :mod:`.optical` (TV-L1, DIS, Farneback), :mod:`.strain`, :mod:`.inputs`, :mod:`.apex`
(apex estimation, onset/apex frame selection) and :mod:`.batch` (parallel computation with
dask and the Zarr cache).
"""
from .apex import APEX_METHODS, estimate_apex, select_frames
from .batch import cache_flow, compute_flow_features, load_flow, sample_features
from .inputs import CHANNELS, MODEL_INPUTS, NORMALIZE_METHODS, flow_inputs, flow_normalize
from .optical import FLOW_METHODS, flow_compute, to_gray
from .strain import flow_strain, strain_components

__all__ = [
    "APEX_METHODS", "CHANNELS", "FLOW_METHODS", "MODEL_INPUTS", "NORMALIZE_METHODS",
    "cache_flow", "compute_flow_features", "estimate_apex", "flow_compute", "flow_inputs",
    "flow_normalize", "flow_strain", "load_flow", "sample_features", "select_frames",
    "strain_components", "to_gray",
]
