"""Tests of the SI units and the blank-cell test."""
import numpy as np
import pandas as pd
import pytest

from mmme_analysis.io import biopac
from mmme_analysis.vocab import SI_UNITS, is_blank


def test_si_units():
    assert SI_UNITS == {"ECG": "V", "PPG": "V", "RSP": "V", "EDA": "S", "SKT": "degC",
                        "EMG": "V", "EMG_B": "V", "SKT_B": "degC", "ECG_rate": "bpm"}
    assert biopac.SI_UNITS is SI_UNITS  # the BIOPAC reader converts to these units


@pytest.mark.parametrize(
    "value, blank",
    [(None, True), (pd.NA, True), (np.nan, True), ("", True), ("  \t", True),
     ("x", False), (0, False), (0.0, False), (" a ", False), (False, False)],
)
def test_is_blank(value, blank):
    assert is_blank(value) is blank
