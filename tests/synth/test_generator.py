"""synth -> convert -> open recovers what the generator planted."""
import json

import cv2
import numpy as np
import pytest

import mmme_analysis as mm

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def _trial_id(sub, marker):
    """Trial id of the dataset API (``"sub-01_101"``)."""
    return f"{sub['subject']}_{marker}"


def _events(truth):
    for sub in truth["subjects"].values():
        for tr in sub["trials"]:
            for ev in tr["events"]:
                yield sub, tr, ev


def test_layout_is_the_real_one(synth_raw, truth):
    assert (synth_raw / "coding_file.xlsx").is_file()
    for name in truth["subjects"]:
        folder = synth_raw / name
        assert (folder / "EEG" / "Acquisition 01.vhdr").is_file()
        assert (folder / "PERI" / f"{name}.mat").is_file()
        videos = sorted(p.name for p in (folder / "video").glob("*.avi"))
        assert len(videos) == 5 and all(f"_{name}_" in v for v in videos)
    import pandas as pd

    sheet = pd.read_excel(synth_raw / "coding_file.xlsx")
    assert list(sheet.columns[:11]) == ["Subject", "Filename", "Marker", "OnsetTime", "ApexTime", "OffsetTime",
                                        "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion"]


@pytest.mark.parametrize("source", ["raw", "store"])
def test_planted_annotations_come_back_exactly(synth_raw, synth_store, truth, source):
    ds = mm.open_dataset(synth_raw if source == "raw" else synth_store)
    ann = ds.annotations
    n = 0
    for sub, tr, ev in _events(truth):
        rows = ann[(ann["subject"] == sub["subject"]) & (ann["marker"] == tr["marker"])
                   & (ann["onset_frame"] == ev["onset_frame"])]
        assert len(rows) == 1, (sub["subject"], tr["marker"], ev["onset_frame"])
        row = rows.iloc[0]
        assert row["apex_frame"] == ev["apex_frame"]
        assert row["offset_frame"] == (ev["offset_frame"] if ev["offset_coded"] else ev["apex_frame"])
        assert bool(row["offset_coded"]) == ev["offset_coded"]
        assert tuple(row["aus"]) == tuple(ev["aus"])
        assert row["kind"] == ev["kind"] and row["emotion_raw"] == ev["emotion_raw"]
        assert abs(row["onset"] - ev["onset"]) < 1e-6 and abs(row["apex"] - ev["apex"]) < 1e-6
        n += 1
    assert n == len(ann) > 0


def test_device_clocks_recovered(synth_raw, truth):
    ds = mm.open_dataset(synth_raw)
    for sub in truth["subjects"].values():
        fits = ds.alignment(_trial_id(sub, sub["trials"][0]["marker"]))
        for dev in ("biopac", "camera"):
            got, want = fits[dev].summary(), sub["clocks"][dev]
            assert abs(got["offset_s"] - want["offset_s"]) < 1e-3, (dev, got["offset_s"], want["offset_s"])
            assert abs(got["drift_ppm"] - want["drift_ppm"]) < 5, (dev, got["drift_ppm"], want["drift_ppm"])
            assert got["max_abs_residual_s"] < 2e-3


def test_events_on_the_trial_axis(synth_store, truth):
    """Apex times in a trial's events equal the planted apex on the EEG clock (within 1 ms)."""
    ds = mm.open_dataset(synth_store)
    for sub in truth["subjects"].values():
        for tr in sub["trials"]:
            ev = ds.trial(_trial_id(sub, tr["marker"]))["events"].to_dataset()
            want = sorted(e["apex_eeg"] - tr["stim_onset_eeg_s"] for e in tr["events"])
            np.testing.assert_allclose(np.sort(ev["apex"].values), want, atol=1e-3)


def _distractor_free(tr, ev):
    d = tr.get("distractors") or {}
    for kind in ("blinks", "head_shifts"):
        for x in d.get(kind) or []:
            if x["onset"] <= ev["apex"] + 0.05 and x["offset"] >= ev["onset"] - 0.05:
                return False
    return True


def test_apex_differs_from_onset_only_inside_planted_region(synth_store, truth):
    ds = mm.open_dataset(synth_store)
    checked = 0
    for sub, tr, ev in _events(truth):
        if not _distractor_free(tr, ev):
            continue
        onset = ds.frame(_trial_id(sub, tr["marker"]), ev["onset_frame"]).astype(float)
        apex = ds.frame(_trial_id(sub, tr["marker"]), ev["apex_frame"]).astype(float)
        diff = np.abs(cv2.GaussianBlur((apex - onset).mean(axis=2), (0, 0), 2.0))  # blur the signed noise away
        y0, y1, x0, x1 = ev["regions"]["box"]
        inside = np.zeros(diff.shape, bool)
        inside[max(y0 - 3, 0):y1 + 3, max(x0 - 3, 0):x1 + 3] = True
        assert diff[~inside].max() < 1.5, (sub["subject"], tr["marker"], ev["aus"], diff[~inside].max())
        assert diff[inside].max() > 2 * diff[~inside].max(), (ev["aus"], diff[inside].max())
        checked += 1
    assert checked >= 3


def test_peri_export_carries_the_simulated_signals(synth_raw, truth):
    from mmme_analysis.io.biopac import read_biopac
    from mmme_analysis.synth import PERI_UNITS

    for sub in truth["subjects"].values():
        bio = read_biopac(synth_raw / sub["name"] / "PERI" / f"{sub['name']}.mat")
        for var, units in PERI_UNITS.items():
            assert bio[var].attrs["units"] == units, var
        assert 0.5e-3 < float(bio["ECG"].max()) < 2e-3  # ~1 mV R waves, in volts
        assert sub["peri"]["config"]["heart"]["response_bpm"] > 0  # the planted HR response is recorded


def test_raw_folder_untouched(synth_raw, tmp_path):
    from mmme_analysis.convert import convert
    from tests.conftest import tree_digest

    before = tree_digest(synth_raw)
    ds = mm.open_dataset(synth_raw)
    for tree in ds:
        tree.compute()
    convert(synth_raw, tmp_path / "again.zarr", progress=False)
    assert tree_digest(synth_raw) == before


def test_ximea_frames_drive_the_camera_clock(tmp_path):
    """With ``--frames`` the camera's marker times come from the XIMEA frame names."""
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=1, n_trials=3, duration=2.0, rest=20.0, seed=5,
                                                   write_frames=True), progress=False)
    truth = json.loads((raw / "ground_truth.json").read_text())
    (sub,) = truth["subjects"].values()
    folder = raw / sub["name"] / "frames" / str(sub["trials"][0]["marker"])
    names = sorted(p.name for p in folder.glob("*.tif"))
    assert len(names) == 300 and names[0].endswith(f"-{sub['trials'][0]['marker']}.tif")
    (raw / "coding_file.xlsx").unlink()  # no coding stamps: only the frame names can time the camera
    ds = mm.open_dataset(raw)
    trials = ds.trials[ds.trials["subject"] == sub["subject"]]
    assert sorted(trials["marker"]) == sorted(t["marker"] for t in sub["trials"]) and trials["has_video"].all()
    fit = ds.alignment(_trial_id(sub, sub["trials"][0]["marker"]))["camera"]
    assert sorted(fit.markers) == sorted(t["marker"] for t in sub["trials"])  # every frame folder timed
    # camera time of each marker = fit + residual: the first frame's stamp, read from its file name
    starts = dict(zip(fit.markers, fit.to_device(fit.ref_times) + np.asarray(fit.residuals_s)))
    for t in sub["trials"]:
        assert abs(starts[t["marker"]] - t["camera_start"]) < 2e-6  # names keep microseconds
    assert abs(fit.offset_s - sub["clocks"]["camera"]["offset_s"]) < 1e-3
    tree = ds.trial(_trial_id(sub, sub["trials"][0]["marker"]))
    np.testing.assert_allclose(tree["video"].to_dataset()["time"].values[:3], np.arange(3) / 150, atol=1e-3)
