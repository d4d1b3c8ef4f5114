"""SI units of the peripheral (BIOPAC) signals."""
from __future__ import annotations

__all__ = ["SI_UNITS"]

#: SI unit of each peripheral signal as the readers return it (and the simulators make it).
SI_UNITS: dict[str, str] = {
    "ECG": "V", "PPG": "V", "RSP": "V", "EDA": "S", "SKT": "degC", "EMG": "V",
    "EMG_B": "V", "SKT_B": "degC", "ECG_rate": "bpm",
}
