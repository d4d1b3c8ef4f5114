"""Scalp regions of EEG channels, used to group and colour the Explorer's EEG traces."""
from __future__ import annotations

import re

__all__ = ["REGIONS", "channel_group"]

#: Display groups of EEG channels: 10-20 / 10-10 name prefix -> scalp region.
REGIONS = {
    "FP": "frontal", "AF": "frontal", "F": "frontal",
    "FC": "central", "C": "central",
    "FT": "temporal", "T": "temporal", "TP": "temporal",
    "CP": "parietal", "P": "parietal",
    "PO": "occipital", "O": "occipital", "CB": "occipital", "I": "occipital",
}


def channel_group(name: str, ch_type: str = "eeg") -> str:
    """Display group of a channel: its type unless EEG, else its scalp region.

    Parameters
    ----------
    name : str
        Channel name (10-20 / 10-10 names such as ``"FC3"``, ``"Oz"``).
    ch_type : str
        Channel type (``eeg``, ``eog``, ``ecg``, ``emg``, ``misc``).

    Returns
    -------
    str
        ``frontal``, ``central``, ``temporal``, ``parietal``, ``occipital`` or ``other``
        for EEG channels; the channel type otherwise.

    Examples
    --------
    >>> from mmme_analysis.dashboard.channels import channel_group
    >>> channel_group("FC3"), channel_group("Oz"), channel_group("HEO", "eog")
    ('central', 'occipital', 'eog')
    """
    if ch_type != "eeg":
        return ch_type
    m = re.match(r"([A-Za-z]+?)(z|Z)?\d*$", name)
    prefix = (m.group(1) if m else name).upper()
    return REGIONS.get(prefix, "other")
