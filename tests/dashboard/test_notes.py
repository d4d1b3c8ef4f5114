"""What the Explorer says a trial lacks and why (pseudonyms only), and the trial and time a
page's address asks for (``?trial=...&t=...``). No browser (see test_browser.py)."""
from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

pytest.importorskip("panel")

from mmme_analysis._warnings import MMMEWarning  # noqa: E402
from mmme_analysis.dashboard import Explorer, TrialState  # noqa: E402
from mmme_analysis.dashboard.notes import Scrubber, trial_notes, trial_problems  # noqa: E402
from mmme_analysis.dataset import open_dataset  # noqa: E402

from .conftest import FakeDataset, FakeSpec  # noqa: E402

FPS = 150.0
COLUMNS = ["subject", "trial", "modality", "file", "error"]


# -- scrubbing -------------------------------------------------------------------------
def test_scrubber_replaces_names_and_cuts_the_root():
    scrub = Scrubber({"ann": "sub-01", "annabel": "sub-02"}, root="/data/raw")
    assert scrub("/data/raw/annabel/video/x_annabel.avi and ann/EEG") == "sub-02/video/x_sub-02.avi and sub-01/EEG"
    assert scrub("/data/raw") == "."
    assert Scrubber()("nothing /to/change") == "nothing /to/change" and Scrubber()(None) == ""


def test_scrubber_of_a_dataset_without_raw_folder_changes_nothing():
    assert Scrubber.for_dataset(FakeDataset())("a b") == "a b"


# -- notes -----------------------------------------------------------------------------
def _problems(*rows):
    return pd.DataFrame([dict(zip(COLUMNS, r)) for r in rows], columns=COLUMNS)


def test_trial_problems_are_the_trials_own_and_its_sessions():
    class DS:
        problems = _problems(("sub-01", "sub-01_101", "video", "v.avi", "cut"), ("sub-01", "", "peri", "p.mat", "bad"),
                             ("sub-02", "", "peri", "q.mat", "bad"), ("sub-01", "sub-01_102", "video", "w.avi", "x"))

    rows = trial_problems(DS(), "sub-01_101", "sub-01")
    assert list(rows["file"]) == ["v.avi", "p.mat"]
    assert trial_problems(object(), "sub-01_101", "sub-01").empty  # a dataset without a problems table


@pytest.mark.parametrize("present, problems, warned, expected", [
    ({"eeg", "peri"}, _problems(("s", "t", "video", "s/video/a.avi", "DataFormatError: cut")), [],
     ["No video in trial t: s/video/a.avi could not be used (DataFormatError: cut)."]),
    ({"video", "eeg"}, _problems(("s", "", "peri", "", "BIOPAC clock drifts")), [],
     ["No peripheral signals in trial t: BIOPAC clock drifts."]),
    ({"eeg", "peri"}, _problems(), ["trial t: video left out: frame 299 does not decode", "EEG: 3 NaN"],
     ["No video in trial t: video left out: frame 299 does not decode."]),
    ({"video"}, _problems(), [], ["No EEG in trial t: showing what the dataset has.",
                                  "No peripheral signals in trial t: showing what the dataset has."]),
    ({"video", "eeg", "peri"}, _problems(("s", "t", "video", "a", "b")), ["video x"], []),
])
def test_trial_notes_name_each_missing_modality_and_why(present, problems, warned, expected):
    assert trial_notes("t", present, problems, warned=warned) == expected


class _Damaged(FakeDataset):
    """A fake dataset whose trial sub-01_101 lost its video (listed in ``problems``) and whose
    trial sub-01_102 cannot be opened at all; the errors quote a participant's real name."""

    def __init__(self):
        super().__init__(FakeSpec())
        self.problems = _problems(("sub-01", "sub-01_101", "video", "annabel/video/a.avi", "cut at half (annabel)"))

    def trial(self, trial):
        if trial == "sub-01_102":
            raise OSError("/data/raw/annabel/EEG/x.eeg: unreadable")
        tree = super().trial(trial)
        if trial == "sub-01_101":
            warnings.warn("trial sub-01_101: video left out: annabel's file is cut", MMMEWarning, stacklevel=2)
            tree = tree.copy()
            del tree["video"]
        return tree


def test_trial_lacking_its_video_opens_with_the_rest_and_says_why():
    scrub = Scrubber({"annabel": "sub-01"}, root="/data/raw")
    with pytest.warns(MMMEWarning, match="video left out"):  # warned again, for the server's log
        state = TrialState(_Damaged(), "sub-01_101", scrub=scrub)
    assert state.error == "" and state.node("video") is None and state.node("eeg") is not None
    assert state.missing() == ["No video in trial sub-01_101: sub-01/video/a.avi could not be used "
                               "(cut at half (sub-01))."]
    assert "sub-01_101" in state.frame(3).message  # a placeholder, not an error


def test_trial_that_cannot_be_opened_opens_empty_and_says_why_in_pseudonyms():
    state = TrialState(_Damaged(), "sub-01_102", scrub=Scrubber({"annabel": "sub-01"}, root="/data/raw"))
    assert state.missing() == ["Could not open trial sub-01_102: OSError: sub-01/EEG/x.eeg: unreadable"]
    assert state.video_info() is None and state.eeg_channels().empty and state.events().empty
    with pytest.raises(KeyError, match="sub-09_101"):  # not a trial of the dataset: the caller's mistake
        TrialState(_Damaged(), "sub-09_101")


def test_explorer_clears_the_previous_trial_when_the_next_cannot_be_opened():
    with pytest.warns(MMMEWarning):
        e = Explorer(_Damaged(), plot_width=300)
    assert "eeg" in e.timeline.figures and e.video.info is None
    assert "No video in trial sub-01_101" in " ".join(e.messages())
    e.trial = "sub-01_102"
    assert e.state.trial == "sub-01_102" and "eeg" not in e.timeline.figures  # nothing of sub-01_101 left
    assert [m.split(":")[0] for m in e.messages()] == ["Could not open trial sub-01_102"]


def test_damaged_raw_folder_opens_each_trial_with_what_it_has(damaged_raw):
    root, info = damaged_raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        ds = open_dataset(root)
        e = Explorer(ds, trial=info["cut"], plot_width=300)
        cut = " ".join(e.messages())
        assert e.state.node("video") is None and {"eeg", "peri-ECG"} <= set(e.timeline.figures)
        assert f"No video in trial {info['cut']}" in cut and "truncated" in cut
        e.trial = info["twice"]
        twice = " ".join(e.messages())
        assert e.state.node("video") is None and {"eeg", "peri-ECG"} <= set(e.timeline.figures)
        assert f"No video in trial {info['twice']}" in twice and "two videos" in twice
    for name in info["names"]:
        assert name.lower() not in (cut + twice).lower()


def test_store_whose_raw_video_is_not_reachable_shows_its_browsing_video(tmp_path):
    import mmme_analysis as mm

    ds = open_dataset(mm.demo.data_path(), raw=tmp_path)  # an empty folder: no raw video to read
    e = Explorer(ds, plot_width=300)
    assert e.state.node("video") is None and e.state.frame_node == "proxy"
    proxy = ds.trial(e.trial)["proxy"]["frames"]
    assert e.video.player.n_frames == proxy.sizes["time"]
    fr = e.state.frame(300)
    assert fr.message == "" and fr.time == pytest.approx(float(proxy["time"][300]))
    assert e.messages() == [f"Trial {e.trial} shows its stored browsing video ({proxy.sizes['x']} x "
                            f"{proxy.sizes['y']} px), not the full-resolution frames: its raw video is not reachable."]


# -- the page's address: ?trial=...&t=... ----------------------------------------------------
@pytest.mark.parametrize("query, trial, frame", [
    ({"trial": [b"sub-02_102"], "t": [b"2.0042"]}, "sub-02_102", 301),  # the frame nearest t
    ({"trial": "sub-02_101", "t": "0.0034"}, "sub-02_101", 1),
    ({"t": [b"1", b"3.3333"]}, "sub-01_101", 500),  # the last value counts
    ({"trial": [b"sub-01_102"], "t": [b"99"]}, "sub-01_102", 1499),  # clipped to the trial
    ({"trial": [b"sub-02_101"]}, "sub-02_101", 0),
    ({}, "sub-01_101", 0),
])
def test_address_opens_the_trial_at_the_frame_nearest_t(query, trial, frame):
    e = Explorer(FakeDataset(), plot_width=300)
    e.open_url(query)
    assert (e.trial, e.state.trial, e.subject) == (trial, trial, trial[:6])
    assert e.video.player.frame == frame and e.timeline.time == pytest.approx(frame / FPS)
    assert e.status == ""


@pytest.mark.parametrize("query, message", [
    ({"trial": [b"sub-09_101"], "t": [b"1"]}, r"asks for trial 'sub-09_101', which this dataset does not have"),
    ({"trial": [b"<b>x</b>"]}, r"asks for trial '\?b\?x\?\?b\?'"),  # no markup from the address
    ({"t": [b"abc"]}, r"asks for time t='abc'; expected seconds"),
    ({"t": [b"nan"]}, r"asks for time t='nan'; expected seconds"),
])
def test_address_that_cannot_be_followed_says_so_and_keeps_the_page(query, message):
    e = Explorer(FakeDataset(), plot_width=300)
    e.open_url(query)
    assert (e.trial, e.video.player.frame) == ("sub-01_101", 0)
    assert re.search(message, e.status) and e.status in e.messages()
    e.trial = "sub-01_102"  # opening another trial clears it
    assert e.status == ""


def test_trials_opened_at_once_in_two_threads_keep_their_own_warnings():
    """Two sessions opening trials at the same time: each gets its own trial's warnings."""
    import threading
    import time

    import xarray as xr

    from mmme_analysis.dashboard.notes import open_trial

    class Slow:
        trials = pd.DataFrame({"trial": ["a", "b"]})

        def trial(self, trial):
            for k in range(5):
                warnings.warn(f"{trial}: part {k} left out", MMMEWarning, stacklevel=1)
                time.sleep(0.01)
            return xr.DataTree()

    got = {}

    def run(trial):
        got[trial] = open_trial(Slow(), trial, lambda text: str(text))[2]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the re-warned copies
        threads = [threading.Thread(target=run, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for trial in ("a", "b"):
        assert got[trial] == [f"{trial}: part {k} left out" for k in range(5)]
