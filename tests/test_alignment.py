"""Clock fitting and marker matching (mmme_analysis.alignment)."""
import numpy as np
import pandas as pd
import pytest

from mmme_analysis import MMMEWarning
from mmme_analysis.alignment import ClockFit, align_session, fit_clock, match_markers
from mmme_analysis.errors import AlignmentError


def _events(markers, times):
    return pd.DataFrame({"marker": markers, "time": times})


@pytest.fixture
def session():
    rng = np.random.default_rng(7)
    markers = [101, 100, 107, 100, 112, 100, 130, 100]
    t_eeg = np.cumsum(rng.uniform(5, 60, len(markers)))
    offset, drift = 12.3456, 37.0
    t_dev = offset + (1 + drift * 1e-6) * t_eeg + rng.normal(0, 2e-4, len(markers))
    return markers, t_eeg, t_dev, offset, drift


def test_fit_recovers_offset_and_drift(session):
    markers, t_eeg, t_dev, offset, drift = session
    fits = align_session(_events(markers, t_eeg), {"biopac": _events(markers, t_dev)})
    fit = fits["biopac"]
    assert abs(fit.offset_s - offset) < 1e-3
    assert abs(fit.drift_ppm - drift) < 5
    assert len(fit.residuals_s) == len(markers)
    assert np.max(np.abs(fit.residuals_s)) < 1e-3
    # round trip of the mapping
    np.testing.assert_allclose(fit.to_reference(fit.to_device(t_eeg)), t_eeg, atol=1e-9)


def test_fit_clock_large_camera_offsets():
    t_ref = np.array([3.0, 11.0, 19.0, 27.0])
    t_dev = 36000.0 + (1 + 20e-6) * t_ref
    off, rate = fit_clock(t_ref, t_dev)
    assert abs(off - 36000.0) < 1e-6 and abs((rate - 1) * 1e6 - 20) < 1e-3


def test_missing_marker_on_one_device_warns_and_is_left_out(session):
    markers, t_eeg, t_dev, offset, drift = session
    keep = [i for i, m in enumerate(markers) if m != 107]
    with pytest.warns(MMMEWarning, match=r"markers \[107\] are on the EEG but not on this device"):
        fit = align_session(_events(markers, t_eeg),
                            {"biopac": _events([markers[i] for i in keep], t_dev[keep])})["biopac"]
    assert 107 not in fit.markers and abs(fit.offset_s - offset) < 1e-3


def test_repeated_markers_matched_by_order(session):
    markers, t_eeg, t_dev, *_ = session
    m = match_markers(_events(markers, t_eeg), _events(markers, t_dev), device="biopac")
    rest = m[m["marker"] == 100]
    assert list(rest["occurrence"]) == [0, 1, 2, 3]
    assert np.all(np.diff(rest["t_ref"]) > 0) and np.all(np.diff(rest["t_dev"]) > 0)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda m, t: (m, t + np.where(np.arange(len(t)) == 4, 0.5, 0.0)), r"marker 112 .* inconsistent|inconsistent.*marker 112"),
        (lambda m, t: ([999] * len(m), t), r"no marker in common"),
        (lambda m, t: (m[:2] + [m[4], m[3], m[2]] + m[5:], t), r"different order|inconsistent"),
    ],
    ids=["one-marker-off-by-500ms", "no-common-marker", "swapped-order"],
)
def test_inconsistent_markers_raise(session, mutate, match):
    markers, t_eeg, t_dev, *_ = session
    m2, t2 = mutate(list(markers), t_dev.copy())
    with pytest.raises(AlignmentError, match=match):
        align_session(_events(markers, t_eeg), {"biopac": _events(m2, t2)}, sources={"biopac": "s01.mat"})


def test_error_names_the_file(session):
    markers, t_eeg, t_dev, *_ = session
    with pytest.raises(AlignmentError, match=r"s01\.mat"):
        align_session(_events(markers, t_eeg), {"biopac": _events([1] * len(markers), t_dev)},
                      sources={"biopac": "s01.mat"})


def test_single_marker_warns_drift_unknown():
    with pytest.warns(MMMEWarning, match="drift cannot be estimated"):
        fit = align_session(_events([101], [10.0]), {"camera": _events([101], [3600.5])})["camera"]
    assert fit.drift_ppm == 0 and abs(fit.offset_s - 3590.5) < 1e-9


@pytest.mark.parametrize("tol, exc, match", [
    (0, ValueError, r"Invalid value for 'tolerance': expected a finite number > 0, got 0"),
    (-1, ValueError, r"Invalid value for 'tolerance': expected a finite number > 0, got -1"),
    ("x", TypeError, r"Invalid value for 'tolerance': expected a number, got 'x'"),
])
def test_bad_tolerance(session, tol, exc, match):
    markers, t_eeg, t_dev, *_ = session
    with pytest.raises(exc, match=match):
        align_session(_events(markers, t_eeg), {"b": _events(markers, t_dev)}, tolerance=tol)


def test_fits_json_round_trip(session):
    from mmme_analysis.alignment import fits_from_json, fits_to_json

    markers, t_eeg, t_dev, *_ = session
    fits = align_session(_events(markers, t_eeg), {"biopac": _events(markers, t_dev)})
    back = fits_from_json(fits_to_json(fits))
    assert back == fits and fits_from_json("") == {} and fits_from_json("{}") == {}


@pytest.mark.parametrize("text, match", [
    ("not json", r"Invalid value for 'alignment': expected the JSON of fits_to_json, got 'not json'"),
    ('{"biopac": {"offset_s": 1.0}}', r"Invalid value for 'alignment': expected offset_s and drift_ppm for device "
                                      r"'biopac'.*KeyError"),
    ('{"biopac": 3}', r"expected offset_s and drift_ppm for device 'biopac', got 3"),
])
def test_bad_alignment_json(text, match):
    from mmme_analysis.alignment import fits_from_json
    from mmme_analysis.errors import AlignmentError

    with pytest.raises(AlignmentError, match=match):
        fits_from_json(text)


def test_summary_is_json_friendly(session):
    import json

    markers, t_eeg, t_dev, *_ = session
    fit = align_session(_events(markers, t_eeg), {"biopac": _events(markers, t_dev)})["biopac"]
    assert isinstance(fit, ClockFit)
    s = json.loads(json.dumps(fit.summary()))
    assert s["n_markers"] == len(markers) and s["device"] == "biopac"


@pytest.mark.parametrize("scale, drift", [(2.0, "\\+1000000"), (0.5, "-500000"), (1.0006, "\\+600"), (0.9994, "-600")])
def test_implausible_drift_raises_naming_device_and_markers(session, scale, drift):
    markers, t_eeg, *_ = session
    with pytest.raises(AlignmentError, match=rf"biopac \(s01\.mat\): clock drift {drift} ppm against the EEG over markers "
                                             rf"\[101, 100, 107, .*expected at most 500 ppm \(\+ \d+ ppm for the fit's uncertainty\): "
                                             r"a sampling "
                                             r"interval or frame rate"):
        align_session(_events(markers, t_eeg), {"biopac": _events(markers, 5.0 + scale * t_eeg)},
                      sources={"biopac": "s01.mat"})


def test_drift_within_bound_is_accepted(session):
    markers, t_eeg, *_ = session
    fit = align_session(_events(markers, t_eeg), {"biopac": _events(markers, 5.0 + 1.0004 * t_eeg)})["biopac"]
    assert abs(fit.drift_ppm - 400) < 1e-3
    with pytest.raises(AlignmentError, match="expected at most 300 ppm"):
        align_session(_events(markers, t_eeg), {"biopac": _events(markers, 5.0 + 1.0004 * t_eeg)}, max_drift_ppm=300)
