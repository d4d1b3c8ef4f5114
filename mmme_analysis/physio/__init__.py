"""Peripheral physiology pipelines (NeuroKit2) returning xarray on the trial time axis.

``ecg_process``, ``ecg_hrv``, ``ppg_process``, ``eda_process``, ``rsp_process``,
``skt_process``, and event-locked features (``event_features`` and friends).
"""
from .ecg import ecg_hrv, ecg_process
from .eda import eda_process
from .events import (
    dataset_event_features,
    event_features,
    physio_process,
    trial_event_features,
)
from .ppg import ppg_process
from .rsp import rsp_process
from .skt import skt_process

__all__ = [
    "ecg_process",
    "ecg_hrv",
    "ppg_process",
    "eda_process",
    "rsp_process",
    "skt_process",
    "physio_process",
    "event_features",
    "trial_event_features",
    "dataset_event_features",
]
