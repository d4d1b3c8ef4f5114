import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.stamps import (
    FrameName,
    format_frame_name,
    format_stamp,
    parse_frame_name,
    parse_stamp,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("16-00-31-433-685", 16 * 3600 + 31 + 0.433685),
        ("11-05-19-038-498", 11 * 3600 + 5 * 60 + 19.038498),
        ("15-10-22-548", 15 * 3600 + 10 * 60 + 22.548),  # 4 parts (269 real rows)
        ("00-00-00-000-000", 0.0),
        ("23-59-59-999-999", 86399.999999),
        ("10-36-41-847-1000", 10 * 3600 + 36 * 60 + 41.848),  # rounding carry, real sheets
        (" 01-02-03-004 ", 3723.004),
    ],
)
def test_parse_stamp(text, expected):
    assert parse_stamp(text) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "text, match",
    [
        ("16-00-31", r"'16-00-31'.*hh-mm-ss-ms-us.*3 part"),
        ("16-00-31-433-685-1", r"6 part"),
        ("16-00-xx-433", r"'16-00-xx-433'.*expected 'hh-mm-ss-ms-us'"),
        ("24-00-00-000", r"out of range"),
        ("12-60-00-000", r"out of range"),
        ("12-00-00-1000", r"out of range"),
        ("12-00-00-000-1001", r"out of range"),
        ("", r"expected 'hh-mm-ss-ms-us'"),
        (12.5, r"12\.5.*expected 'hh-mm-ss-ms-us'"),
        (None, r"None.*expected"),
        ("16:00:31:433", r"expected"),
    ],
)
def test_parse_stamp_bad(text, match):
    with pytest.raises(DataFormatError, match=match):
        parse_stamp(text)


def test_format_stamp_examples():
    assert format_stamp(16 * 3600 + 31 + 0.433685) == "16-00-31-433-685"
    assert format_stamp(3723.004, parts=4) == "01-02-03-004"
    assert format_stamp(0.0) == "00-00-00-000-000"
    assert format_stamp(59.9999996) == "00-01-00-000-000"  # rounds up across a minute
    assert format_stamp(86399.999999) == "23-59-59-999-999"


def test_format_parse_roundtrip():
    rng = np.random.default_rng(0)
    for s in rng.uniform(0, 86399.9, size=500):
        assert parse_stamp(format_stamp(s)) == pytest.approx(round(s, 6), abs=1e-7)
        assert parse_stamp(format_stamp(s, parts=4)) == pytest.approx(round(s, 3), abs=1e-7)


@pytest.mark.parametrize(
    "seconds, parts, exc, match",
    [
        (-0.1, 5, ValueError, r"Invalid value for 'seconds'"),
        (86400.0, 5, ValueError, r"Invalid value for 'seconds'"),
        (86399.9999999, 5, ValueError, r"after rounding"),
        (float("nan"), 5, ValueError, r"Invalid value for 'seconds'"),
        ("noon", 5, TypeError, r"Invalid value for 'seconds'"),
        (10.0, 3, ValueError, r"Invalid value for 'parts'"),
    ],
)
def test_format_stamp_bad(seconds, parts, exc, match):
    with pytest.raises(exc, match=match):
        format_stamp(seconds, parts=parts)


def test_parse_frame_name_example():
    fn = parse_frame_name("2023-07-21-16-45-38-257-410-112")
    assert isinstance(fn, FrameName)
    assert fn.date == dt.date(2023, 7, 21)
    assert fn.seconds == pytest.approx(16 * 3600 + 45 * 60 + 38.257410, abs=1e-9)
    assert fn.marker == 112
    assert parse_frame_name("2023-07-21-16-45-38-257-410-112.tif") == fn
    assert parse_frame_name(Path("frames/112/2023-07-21-16-45-38-257-410-112.TIFF")) == fn


def test_frame_name_roundtrip():
    rng = np.random.default_rng(1)
    for s, marker in zip(rng.uniform(0, 86399, size=200), rng.integers(100, 149, size=200)):
        name = format_frame_name(dt.date(2024, 5, 15), s, int(marker))
        assert name.endswith(f"-{marker}.tif")
        fn = parse_frame_name(name)
        assert fn.date == dt.date(2024, 5, 15)
        assert fn.seconds == pytest.approx(round(s, 6), abs=1e-7)
        assert fn.marker == marker
    assert format_frame_name("2023-07-21", 60256.25741, 112, ext="") == (
        "2023-07-21-16-44-16-257-410-112"
    )


@pytest.mark.parametrize(
    "name, match",
    [
        ("2023-07-21-16-45-38-257-410", r"9 dash-separated"),
        ("2023-07-21-16-45-38-257-410-112-1", r"9 dash-separated"),
        ("2023-02-30-16-45-38-257-410-112", r"2023-02-30 is not a calendar date"),
        ("2023-07-21-25-45-38-257-410-112", r"out of range"),
        ("2023-07-21-16-45-38-257-4x0-112.tif", r"YYYY-MM-DD-hh-mm-ss-ms-us-marker"),
        (112, r"112.*YYYY-MM-DD"),
    ],
)
def test_parse_frame_name_bad(name, match):
    with pytest.raises(DataFormatError, match=match):
        parse_frame_name(name)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (("2023-13-01", 1.0, 101), ValueError, r"Invalid value for 'date'"),
        ((20230721, 1.0, 101), TypeError, r"Invalid value for 'date'"),
        ((dt.date(2023, 7, 21), 1.0, -1), ValueError, r"Invalid value for 'marker'"),
        ((dt.date(2023, 7, 21), 1.0, 101.0), TypeError, r"Invalid value for 'marker'"),
    ],
)
def test_format_frame_name_bad(args, exc, match):
    with pytest.raises(exc, match=match):
        format_frame_name(*args)
