"""Tests of the prediction-file reader and of trace downsampling (no browser)."""
from __future__ import annotations

import numpy as np
import pytest

from mmme_analysis.dashboard import PREDICTION_FORMATS, read_predictions
from mmme_analysis.dashboard.downsample import downsample_trace
from mmme_analysis.errors import DataFormatError


# -- downsampling -----------------------------------------------------------------------
@pytest.mark.parametrize("view", [(0.0, 10.0), (0.0, 60.0), (12.3, 12.9), (59.0, 61.0)])
@pytest.mark.parametrize("width", [100, 800])
def test_downsample_at_most_two_points_per_pixel(view, width):
    sfreq = 1000.0
    t = np.arange(int(60 * sfreq)) / sfreq
    y = np.random.default_rng(0).standard_normal(t.size)
    x, v = downsample_trace(t, y, *view, width)
    assert x.size == v.size
    assert x.size <= 2 * width
    inside = (t >= view[0]) & (t <= view[1])
    if inside.sum() > 2 * width:  # the extremes of the view are kept
        assert v.max() == pytest.approx(y[inside].max(), rel=1e-6)
        assert v.min() == pytest.approx(y[inside].min(), rel=1e-6)
    else:  # few samples: all of them, plus one beyond each edge
        assert x.size >= inside.sum()
    assert np.all(np.diff(x) > 0)


def test_downsample_payload_does_not_grow_with_view():
    t = np.arange(60_000) / 1000.0
    y = np.sin(t)
    n10 = downsample_trace(t, y, 0, 10, 500)[0].size
    n60 = downsample_trace(t, y, 0, 60, 500)[0].size
    assert n10 == n60 == 1000


@pytest.mark.parametrize("width, error", [(0, ValueError), (1, ValueError), (2.5, TypeError), ("wide", TypeError)])
def test_downsample_bad_width(width, error):
    with pytest.raises(error, match="Invalid value for 'width'"):
        downsample_trace(np.arange(10.0), np.arange(10.0), 0, 1, width)


# -- prediction files -------------------------------------------------------------------
def _write(tmp_path, text, name="pred.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, kind, n", [
    ("trial,time,score\nsub-01_101,0.5,0.1\nsub-01_101,0.0,0.9\nsub-02_101,1,0.3\n", "spotting", 3),
    ("trial,onset,offset,label,model\nsub-01_101,1.0,1.4,micro,x\n", "intervals", 1),
    ("trial,event,class,probability\nsub-01_101,0,disgust,0.7\nsub-01_101,0,happiness,0.3\n", "classes", 2),
    ("trial,time,score\nsub-01_EP02_01f,0.01,0.5\nsub-01_101,0.0,0.9\n", "spotting", 2),  # any trial id
])
def test_read_predictions(tmp_path, text, kind, n):
    pred = read_predictions(_write(tmp_path, text))
    assert pred.kind == kind and len(pred.table) == n
    assert set(PREDICTION_FORMATS[kind]) <= set(pred.table.columns)
    assert "subject" not in PREDICTION_FORMATS[kind] and "marker" not in PREDICTION_FORMATS[kind]
    rows = pred.for_trial("sub-01_101")
    assert len(rows) >= 1 and (rows.trial == "sub-01_101").all()
    if kind == "spotting" and n == 3:
        assert list(rows.time) == [0.0, 0.5]  # sorted by time
    assert pred.for_trial("sub-09_999").empty


@pytest.mark.parametrize("text, match", [
    ("a,b\n1,2\n", r"pred\.csv: expected a 'trial' column"),
    ("subject,marker,time,score\nsub-01,101,0.5,0.1\n",
     r"pred\.csv: expected a 'trial' column .*the former subject, marker key"),
    ("trial,b\nsub-01_101,2\n", r"pred\.csv: expected the columns of exactly one kind"),
    ("trial,time,score,onset,offset,label\n", "exactly one kind"),
    ("trial,time,score\nsub-01_101,0.5,\n", r"row 1: expected a value in column 'score'"),
    ("trial,time,score\n,0.5,1\n", r"row 1: expected a value in column 'trial'"),
    ("trial,event,class,probability\nsub-01_101,0,a,1\nsub-01_101,x,b,0\n",
     r"row 2: expected an integer in column 'event'"),
    ("trial,event,class,probability\nsub-01_101,1.5,a,1\n", r"row 1: expected an integer in column 'event'"),
    ("trial,time,score\nsub-01_101,nan,1\n", r"row 1: expected a finite number in column 'time'"),
    ("trial,time,score\nsub-01_101,inf,1\n", r"row 1: expected a finite number in column 'time'"),
    ("trial,onset,offset,label\nsub-01_101,2.0,1.0,micro\n", r"row 1: expected onset <= offset"),
    ("trial,event,class,probability\nsub-01_101,0,fear,1.5\n", r"row 1: expected a probability in \[0, 1\]"),
    ("trial,event,class,probability\nsub-01_101,-1,fear,0.5\n", r"row 1: expected an event index >= 0"),
    ("", "expected a CSV file with a header row"),
])
def test_read_predictions_bad_input(tmp_path, text, match):
    with pytest.raises(DataFormatError, match=match):
        read_predictions(_write(tmp_path, text))


@pytest.mark.parametrize("name, error", [("nope.csv", FileNotFoundError), (".", ValueError)])
def test_read_predictions_bad_path(tmp_path, name, error):
    with pytest.raises(error, match="Invalid value for 'path'"):
        read_predictions(tmp_path / name)
