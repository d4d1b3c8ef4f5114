"""EEG epochs on ME events and arbitrary times."""
import mne
import numpy as np
import pandas as pd
import pytest

from mmme_analysis.eeg import eeg_epochs, eeg_event_epochs, eeg_window_epochs

FS = 100.0


@pytest.fixture()
def raw():
    data = np.zeros((2, int(20 * FS)))
    for t in (3.0, 7.5, 12.25):  # impulses at known trial times (raw starts at trial time -1 s)
        data[:, int(round((t + 1.0) * FS))] = 1e-5
    return mne.io.RawArray(data, mne.create_info(["Cz", "Pz"], FS, "eeg"), verbose="error")


def test_epochs_are_time_locked(raw):
    ep = eeg_epochs(raw, [3.0, 7.5, 12.25], tmin=-0.2, tmax=0.5, tstart=-1.0)
    assert len(ep) == 3
    at0 = np.argmin(np.abs(ep.times))
    data = ep.get_data()
    assert np.all(data.argmax(-1) == at0)


def test_event_epochs_with_metadata(raw):
    ev = pd.DataFrame({"onset": [2.9, 7.4, 12.0, 5.0], "apex": [3.0, 7.5, 12.25, 5.2], "offset": [3.1, 7.6, 12.5, 5.9],
                       "kind": ["micro", "micro", "micro", "macro"], "emotion": ["fear", "anger", "fear", "happiness"]})
    ep = eeg_event_epochs(raw, ev, anchor="apex", tmin=-0.1, tmax=0.3, tstart=-1.0)
    assert len(ep) == 3 and list(ep.metadata["emotion"]) == ["fear", "anger", "fear"]
    ep2 = eeg_event_epochs(raw, ev, kinds=("micro", "macro"), tstart=-1.0)
    assert len(ep2) == 4


def test_out_of_range_epochs_dropped(raw):
    ep = eeg_epochs(raw, [0.0, 18.7], tmin=-0.5, tmax=0.5, tstart=-1.0)
    assert len(ep) == 1


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"anchor": "peak"}, ValueError, "Invalid value for 'anchor'"),
        ({"kinds": ("giant",)}, ValueError, "Invalid value for 'kinds'"),
    ],
)
def test_bad_event_args(raw, kwargs, exc, match):
    ev = pd.DataFrame({"onset": [1.0], "apex": [1.1], "offset": [1.2], "kind": ["micro"]})
    with pytest.raises(exc, match=match):
        eeg_event_epochs(raw, ev, **kwargs)


@pytest.mark.parametrize(
    ("times", "kwargs", "match"),
    [([], {}, "Invalid value for 'times'"), ([1.0], {"tmin": 0.5, "tmax": 0.1}, "Invalid value for 'tmax'"),
     ([1.0, 2.0], {"metadata": pd.DataFrame({"a": [1]})}, "Invalid value for 'metadata'")],
)
def test_bad_times(raw, times, kwargs, match):
    with pytest.raises(ValueError, match=match):
        eeg_epochs(raw, times, **kwargs)


def test_window_epochs_tile_the_window(raw):
    ep = eeg_window_epochs(raw, 2.0, 8.0, duration=2.0, tstart=-1.0)
    assert len(ep) == 3 and list(ep.metadata["start"]) == [2.0, 4.0, 6.0]
    assert ep.get_data().shape[-1] == int(2.0 * FS)
    # the impulse at trial time 3.0 s sits 1.0 s into the first epoch
    assert ep.get_data()[0, 0].argmax() == int(1.0 * FS)
    assert len(eeg_window_epochs(raw, 2.0, 8.0, duration=2.0, overlap=1.0, tstart=-1.0)) == 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"duration": 0.0}, "Invalid value for 'duration'"), ({"overlap": 1.0}, "Invalid value for 'overlap'"),
     ({"duration": 10.0}, "Invalid value for 'stop'")],
)
def test_window_bad_args(raw, kwargs, match):
    with pytest.raises(ValueError, match=match):
        eeg_window_epochs(raw, 2.0, 8.0, **kwargs)
