"""The three tests every fault gets, shared by the test modules (one module per group of faults).

* ``outcome``: the observed outcome meets the expected one (:func:`.verdict.problems`);
* ``raw untouched``: every file below the raw folder (and the store) has the same bytes
  after the probe as before it;
* ``no real names``: no error or warning message contains a participant's real name.

A fault whose expectation today's code does not meet carries ``xfail`` (``xfail_names``)
and is marked ``xfail(strict=True)``: the fix turns it into an XPASS, i.e. a failure until
the mark is removed.
"""
from __future__ import annotations

import pytest

from . import verdict
from .runner import run_cached


def _param(fault, reason):
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(fault, id=fault.id, marks=marks)


def outcome_params(faults):
    return [_param(f, f.xfail) for f in faults]


def names_params(faults):
    return [_param(f, f.xfail_names) for f in faults]


def raw_params(faults):
    return [_param(f, None) for f in faults]


def _run(fault, pristine):
    if fault.skip is not None and fault.skip():
        pytest.skip(fault.skip())
    return run_cached(fault, pristine)


def check_outcome(fault, pristine):
    res = _run(fault, pristine)
    found = verdict.problems(fault, res, pristine)
    observed, detail = verdict.classify(fault, res, pristine)
    assert not found, (f"{fault.id} ({fault.what}): expected {fault.expect.describe()}, observed {observed}: {detail}\n  - "
                       + "\n  - ".join(found))


def check_raw_untouched(fault, pristine):
    res = _run(fault, pristine)
    assert res["n_hashed"] > 0
    assert not res["changed"], f"{fault.id}: the probe changed {res['changed'][:10]}"


def check_no_real_names(fault, pristine):
    res = _run(fault, pristine)
    leaks = verdict.leaked_names(fault, res, pristine)
    assert not leaks, f"{fault.id}: messages name a participant: {leaks[:3]}"


def module_tests(group: str):
    """The three parametrized tests of one group of faults, for a test module to bind by name::

        test_outcome, test_raw_untouched, test_no_real_names = module_tests("eeg")
    """
    from .corpus import faults_of

    faults = faults_of(group)

    @pytest.mark.parametrize("fault", outcome_params(faults))
    def test_outcome(fault, pristine):
        check_outcome(fault, pristine)

    @pytest.mark.parametrize("fault", raw_params(faults))
    def test_raw_untouched(fault, pristine):
        check_raw_untouched(fault, pristine)

    @pytest.mark.parametrize("fault", names_params(faults))
    def test_no_real_names(fault, pristine):
        check_no_real_names(fault, pristine)

    return test_outcome, test_raw_untouched, test_no_real_names
