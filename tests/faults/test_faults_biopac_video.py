"""Fault corpus, group 'biopac_video': expected outcome, raw folder untouched, no real name in messages."""
import pytest

from .corpus import faults_of
from .harness import check_no_real_names, check_outcome, check_raw_untouched, names_params, outcome_params, raw_params

FAULTS = faults_of("biopac_video")


@pytest.mark.parametrize("fault", outcome_params(FAULTS))
def test_outcome(fault, pristine):
    check_outcome(fault, pristine)


@pytest.mark.parametrize("fault", raw_params(FAULTS))
def test_raw_untouched(fault, pristine):
    check_raw_untouched(fault, pristine)


@pytest.mark.parametrize("fault", names_params(FAULTS))
def test_no_real_names(fault, pristine):
    check_no_real_names(fault, pristine)
