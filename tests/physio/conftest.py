"""Fixtures of the physiology tests: small synthetic recordings with fixed seeds."""
import numpy as np
import pytest
import xarray as xr

from mmme_analysis.synth import PERI_UNITS, simulate_peri

SFREQ = 250.0
DURATION = 40.0
APEXES = (8.3, 19.6, 31.2)


def as_da(values, sfreq, units, t0=0.0):
    time = t0 + np.arange(values.size) / sfreq
    return xr.DataArray(values, dims="time", coords={"time": time}, attrs={"sfreq": sfreq, "units": units})


@pytest.fixture(scope="session")
def peri():
    """(signals as DataArrays keyed by name, truth) of one 40 s recording at 250 Hz."""
    signals, truth = simulate_peri(DURATION, SFREQ, rng=np.random.default_rng(7), me_apexes=APEXES)
    das = {k: as_da(v, SFREQ, PERI_UNITS[k]) for k, v in signals.items()}
    return das, truth
