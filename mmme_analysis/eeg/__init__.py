"""EEG pipeline on MNE: preprocessing, epochs, band power and differential entropy."""
from .epochs import eeg_epochs, eeg_event_epochs, eeg_window_epochs
from .features import BANDS, eeg_band_power, eeg_differential_entropy, eeg_psd
from .filters import eeg_filter_array
from .preprocessing import eeg_filter, eeg_ica, eeg_preprocess, eeg_resample, eeg_to_raw

__all__ = [
    "BANDS",
    "eeg_to_raw",
    "eeg_resample",
    "eeg_filter",
    "eeg_filter_array",
    "eeg_ica",
    "eeg_preprocess",
    "eeg_epochs",
    "eeg_event_epochs",
    "eeg_window_epochs",
    "eeg_psd",
    "eeg_band_power",
    "eeg_differential_entropy",
]
