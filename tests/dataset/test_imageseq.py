"""Video-only datasets (CASME II, SAMM, CAS(ME)^2, CAS(ME)^3) through the dataset API."""
import cv2
import numpy as np
import openpyxl
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis import MMMEWarning
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.images import frame_number

SIDE = 32


def _write_frames(folder, names, seed=0):
    """Write 32x32 noisy colour frames (each frame distinct) with cv2."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in names:
        img = np.full((SIDE, SIDE, 3), rng.integers(0, 256, 3), np.uint8)
        img[:8, :8] = rng.integers(0, 256, (8, 8, 3))
        assert cv2.imwrite(str(folder / name), img)


def _rgb(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _write_xlsx(path, rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(list(r))
    wb.save(path)
    return path


# -------------------------------------------------------------------------------- fixtures
def make_casme2(root, *, with_sub17=True):
    """CASME II layout: CASME2_RAW_selected/sub01/EP02_01f/img46.jpg ..., 200 fps."""
    pd.DataFrame({
        "Subject": [1, 1, 17], "Filename": ["EP02_01f", "EP03_02", "EP01_01"],
        "OnsetFrame": [47, 11, 2], "ApexFrame": [49, "/", 3], "OffsetFrame": [52, 14, 4],
        "Action Units": ["12", "R12+4", "L10"], "Estimated Emotion": ["happiness", "others", "repression"],
    }).to_excel(root / "CASME2-coding-20140508.xlsx", index=False)
    base = root / "CASME2_RAW_selected"
    _write_frames(base / "sub01" / "EP02_01f", [f"img{i}.jpg" for i in range(46, 54)], seed=1)
    _write_frames(base / "sub01" / "EP03_02", [f"reg_img{i}.jpg" for i in range(10, 16)], seed=2)
    if with_sub17:
        _write_frames(base / "sub17" / "EP01_01", [f"img{i}.jpg" for i in range(1, 6)], seed=3)
    return root


def make_samm(root):
    """SAMM layout: SAMM/006/006_1_2/006_05562.jpg ..., 200 fps, header below a title block."""
    title = [["SAMM Micro FACS Codes"], [None], ["Version 2"]] + [[f"note {i}"] for i in range(9)]
    _write_xlsx(root / "SAMM_Micro_FACS_Codes_v2.xlsx", title + [
        ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
         "Type", "Action Units", "Notes", "Estimated Emotion"],
        ["006", "006_1_2", 1, 5562, 5564, 5567, 6, "Micro - 1/2", "4+7", None, "Anger"],
        ["007", "007_3_1", 3, 100, -1, 104, 5, "Micro - 1/2", "R14A", None, "Contempt"],
    ])
    _write_frames(root / "SAMM" / "006" / "006_1_2", [f"006_{i:05d}.jpg" for i in range(5560, 5570)], seed=4)
    _write_frames(root / "SAMM" / "007" / "007_3_1", [f"007_{i:05d}.jpg" for i in range(99, 106)], seed=5)
    return root


@pytest.fixture
def casme2(tmp_path):
    (tmp_path / "CASME2").mkdir()
    return make_casme2(tmp_path / "CASME2")


@pytest.fixture
def samm(tmp_path):
    (tmp_path / "SAMM").mkdir()
    return make_samm(tmp_path / "SAMM")


# ------------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("make, flavour, trials, clips, n_events", [
    (make_casme2, "casme2", ["sub-01_EP02_01f", "sub-01_EP03_02", "sub-17_EP01_01"],
     ["EP02_01f", "EP03_02", "EP01_01"], [1, 1, 1]),
    (make_samm, "samm", ["006_1_2", "007_3_1"], ["006_1_2", "007_3_1"], [1, 1]),
])
def test_open_dataset_detects_video_only_layouts(tmp_path, make, flavour, trials, clips, n_events):
    root = make(tmp_path)
    ds = mm.open_dataset(root)
    assert type(ds) is mm.dataset.Dataset and ds.backend == "imageseq"
    assert ds.annotations.attrs["flavour"] == flavour
    t = ds.trials
    assert t["trial"].tolist() == trials and t["clip"].tolist() == clips
    assert t["n_events"].tolist() == n_events and len(ds) == len(trials)
    assert t["marker"].isna().all() and t["category"].isna().all() and t["has_video"].all()
    assert not t["has_eeg"].any() and not t["has_peri"].any()
    assert len(ds.annotations) == sum(n_events) and flavour in repr(ds)
    assert [tree.attrs["trial"] for tree in ds] == trials


def test_trial_video_frame_numbers_and_times(casme2):
    ds = mm.open_dataset(casme2)
    tree = ds.trial("EP02_01f")
    assert set(tree.children) == {"video", "events"}
    assert "marker" not in tree.attrs and tree.attrs["trial"] == "sub-01_EP02_01f"
    assert tree.attrs["dataset"] == "casme2" and tree.attrs["missing"] == "eeg,peri"
    video = tree["video"].to_dataset()
    frames = video["frames"]
    assert frames.dims == ("time", "y", "x", "rgb") and frames.dtype == np.uint8
    assert frames.shape == (8, SIDE, SIDE, 3) and video.attrs["fps"] == 200.0
    np.testing.assert_array_equal(video["frame"].values, np.arange(46, 54))
    np.testing.assert_allclose(video["time"].values, np.arange(8) / 200.0)
    folder = casme2 / "CASME2_RAW_selected" / "sub01" / "EP02_01f"
    assert video.attrs["source"] == "CASME2_RAW_selected/sub01/EP02_01f"
    np.testing.assert_array_equal(frames.values[3], _rgb(folder / "img49.jpg"))
    # the trial id works as key too; the reg_ prefix is parsed
    other = ds.trial("sub-01_EP03_02")["video"].to_dataset()
    np.testing.assert_array_equal(other["frame"].values, np.arange(10, 16))


def test_events_on_the_trial_axis(casme2, samm):
    ev = mm.open_dataset(casme2).trial("EP02_01f")["events"].to_dataset()
    np.testing.assert_allclose([ev["onset"].item(), ev["apex"].item(), ev["offset"].item()],
                               np.array([47 - 46, 49 - 46, 52 - 46]) / 200.0)
    assert ev["emotion"].item() == "happiness" and ev["aus"].item() == "12"
    ev = mm.open_dataset(casme2).trial("EP03_02")["events"].to_dataset()
    assert np.isnan(ev["apex"].item())  # "/" = apex not coded
    np.testing.assert_allclose([ev["onset"].item(), ev["offset"].item()], [1 / 200, 4 / 200])
    # SAMM: file numbers 5560... -> onset frame 5562 is 2 frames after the clip start
    tree = mm.open_dataset(samm).trial("006_1_2")
    np.testing.assert_array_equal(tree["video"].to_dataset()["frame"].values, np.arange(5560, 5570))
    ev = tree["events"].to_dataset()
    np.testing.assert_allclose([ev["onset"].item(), ev["apex"].item(), ev["offset"].item()],
                               np.array([2, 4, 7]) / 200.0)


def test_window(casme2):
    ds = mm.open_dataset(casme2)
    win = ds.window("EP02_01f", 0.01, 0.03)
    video = win["video"].to_dataset()
    np.testing.assert_array_equal(video["frame"].values, [48, 49, 50, 51])
    assert video["time"].min() >= 0.01 and video["time"].max() < 0.03
    assert win["events"].to_dataset().sizes["event"] == 1  # 0.005-0.03 s overlaps
    assert ds.window("EP02_01f", 0.033, 0.04)["events"].to_dataset().sizes["event"] == 0


def test_nothing_is_read_before_compute(casme2, monkeypatch):
    calls = []
    real = cv2.imread
    monkeypatch.setattr(cv2, "imread", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    ds = mm.open_dataset(casme2, fps=2)  # 2 fps: one-second chunks of 2 frames
    tree = ds.trial("EP02_01f")
    win = ds.window("EP02_01f", 1.0, 2.0)
    import dask.array as da

    frames = tree["video"].to_dataset()["frames"].data
    assert isinstance(frames, da.Array) and frames.chunks[0] == (2, 2, 2, 2)
    assert calls == []
    _ = win["video"].to_dataset()["frames"].values  # frames 48 and 49: one chunk
    assert [c.rsplit("/", 1)[-1] for c in calls] == ["img48.jpg", "img49.jpg"]


def test_store_round_trip(casme2, tmp_path):
    from mmme_analysis.convert import convert

    src = mm.open_dataset(casme2)
    store = convert(casme2, tmp_path / "out" / "casme2.zarr", progress=False)
    st = mm.open_dataset(store)
    assert st.backend == "zarr"
    pd.testing.assert_frame_equal(st.trials, src.trials)
    for key in ("EP02_01f", "sub-01_EP03_02"):
        a, b = src.trial(key), st.trial(key)
        va, vb = a["video"].to_dataset(), b["video"].to_dataset()
        np.testing.assert_array_equal(va["frames"].values, vb["frames"].values)
        np.testing.assert_array_equal(va["frame"].values, vb["frame"].values)
        np.testing.assert_allclose(va["time"].values, vb["time"].values)
        for k in ("onset", "apex", "offset"):
            np.testing.assert_allclose(a["events"].to_dataset()[k].values, b["events"].to_dataset()[k].values)
        assert b.attrs["trial"] == a.attrs["trial"] and "marker" not in b.attrs
    assert len(st.annotations) == len(src.annotations)
    assert len(list(st)) == len(st.trials) == 3
    win = st.window("EP02_01f", 0.01, 0.03)["video"].to_dataset()
    np.testing.assert_array_equal(win["frame"].values, [48, 49, 50, 51])
    # a second convert skips the complete trials
    meta = store / "trials" / "sub-01_EP02_01f" / "zarr.json"
    before = meta.stat().st_mtime_ns
    convert(casme2, store, progress=False)
    assert meta.stat().st_mtime_ns == before
    np.testing.assert_array_equal(st.frame("EP02_01f", 3), _rgb(casme2 / "CASME2_RAW_selected" / "sub01"
                                                              / "EP02_01f" / "img49.jpg"))
    np.testing.assert_array_equal(src.frame("EP02_01f", 3), st.frame("EP02_01f", 3))
    from mmme_analysis.io.video import scale_to_width

    full = src.frame("EP02_01f", 3)
    for d in (src, st):  # image files and store chunks: the same scaling rule and pixels
        small = d.frame("EP02_01f", 3, width=full.shape[1] // 2)
        assert small.shape == (max(1, round(full.shape[0] * (full.shape[1] // 2) / full.shape[1])), full.shape[1] // 2, 3)
        np.testing.assert_array_equal(small, scale_to_width(full, full.shape[1] // 2))
    with pytest.raises(TypeError, match=r"only for a video-only dataset folder"):
        mm.open_dataset(store, fps=100)


def test_casme_sq_and_casme3_layouts(tmp_path):
    sq = tmp_path / "sq"
    sq.mkdir()
    _write_xlsx(sq / "CAS(ME)^2code_final.xlsx", [
        [1, "anger1_1", 3, 4, 6, "4+7", "negative", "micro-expression", "anger"],
        [1, "anger1_2", 8, 9, 0, "L10", "others", "macro-expression", None],
    ])
    _write_frames(sq / "rawpic" / "s15" / "15_0401girlcrashing", [f"img{i}.jpg" for i in range(1, 11)])
    _write_frames(sq / "rawpic" / "s16" / "16_0401girlcrashing", ["img1.jpg"])
    ds = mm.open_dataset(sq)
    assert ds.annotations.attrs["flavour"] == "casme_sq" and ds.trials["trial"].tolist() == ["sub-01_anger1"]
    assert ds.trial("anger1")["video"].attrs["source"] == "rawpic/s15/15_0401girlcrashing"
    ev = ds.trial("anger1")["events"].to_dataset()
    np.testing.assert_allclose(ev["onset"].values, [2 / 30, 7 / 30])  # img1 is time 0

    # the workbook's naming-rule sheets take precedence over the published tables
    wb = openpyxl.load_workbook(sq / "CAS(ME)^2code_final.xlsx")
    wb.create_sheet("naming rule1").append([30, "s30", 1])
    wb.create_sheet("naming rule2").append(["0402", "anger1"])
    wb.save(sq / "CAS(ME)^2code_final.xlsx")
    _write_frames(sq / "rawpic" / "s30" / "30_0402beatingpregnantwoman", [f"img{i}.jpg" for i in range(1, 11)])
    ds = mm.open_dataset(sq)
    assert ds.trial("anger1")["video"].attrs["source"] == "rawpic/s30/30_0402beatingpregnantwoman"

    c3 = tmp_path / "c3"
    (c3 / "annotation").mkdir(parents=True)
    _write_xlsx(c3 / "annotation" / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", [
        ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "Emotion"],
        ["spNO.1", "a", 2, 3, 5, "L4+R4", 2, "disgust"],
    ])
    clip = c3 / "part_A" / "data" / "part_A" / "spNo.1" / "a"  # folder case differs from the sheet
    _write_frames(clip / "color", [f"{i}.jpg" for i in range(8)])
    _write_frames(clip / "depth", [f"{i}.png" for i in range(8)])
    ds = mm.open_dataset(c3)
    assert ds.annotations.attrs["flavour"] == "casme3"
    assert ds.trial("a")["video"].attrs["source"] == str((clip / "color").relative_to(c3))
    np.testing.assert_array_equal(ds.trial("a")["video"].to_dataset()["frame"].values, np.arange(8))


def test_open_dataset_keywords(casme2):
    ds = mm.open_dataset(casme2, coding_file=casme2 / "CASME2-coding-20140508.xlsx", flavour="casme2", fps=100)
    assert ds.trial("EP02_01f")["video"].attrs["fps"] == 100.0
    np.testing.assert_allclose(ds.trial("EP02_01f")["video"].to_dataset()["time"].values[1], 0.01)


@pytest.mark.parametrize("name", ["img46.jpg", "reg_img46.jpg", "006_00046.jpg", "46.png"])
def test_frame_number(name):
    assert frame_number(name) == 46


# ------------------------------------------------------------------------------ bad input
def _break(root, what):
    """Damage a CASME II fixture; return the exception/warning trigger."""
    clip = root / "CASME2_RAW_selected" / "sub01" / "EP02_01f"
    if what == "corrupt_frame":
        (clip / "img48.jpg").write_bytes(b"not a jpeg")
        return lambda: mm.open_dataset(root).trial("EP02_01f")["video"].to_dataset()["frames"].values
    if what == "corrupt_first":
        (clip / "img46.jpg").write_bytes(b"not a jpeg")
        return lambda: mm.open_dataset(root).trial("EP02_01f")
    if what == "other_size":
        cv2.imwrite(str(clip / "img50.jpg"), np.zeros((16, 16, 3), np.uint8))
        return lambda: mm.open_dataset(root).trial("EP02_01f")["video"].to_dataset()["frames"].values
    if what == "no_number":
        _write_frames(clip, ["cover.jpg"])
        return lambda: mm.open_dataset(root).trial("EP02_01f")
    if what == "duplicate":
        _write_frames(clip, ["reg_img46.jpg"])
        return lambda: mm.open_dataset(root).trial("EP02_01f")
    if what == "no_images":
        import shutil

        shutil.rmtree(root / "CASME2_RAW_selected")
        return lambda: mm.open_dataset(root)
    if what == "no_sheet":
        (root / "CASME2-coding-20140508.xlsx").unlink()
        return lambda: mm.open_dataset(root, flavour="casme2")
    if what == "two_sheets":
        (root / "CASME2-coding-old.xlsx").write_bytes((root / "CASME2-coding-20140508.xlsx").read_bytes())
        return lambda: mm.open_dataset(root)
    raise AssertionError(what)


@pytest.mark.parametrize("what, match", [
    ("corrupt_frame", r"Cannot decode image file .*EP02_01f.img48\.jpg"),
    ("corrupt_first", r"Cannot read image file .*EP02_01f.img46\.jpg"),
    ("other_size", r"Image file .*img50\.jpg has shape \(16, 16, 3\): expected \(32, 32, 3\)"),
    ("no_number", r"EP02_01f: image file cover\.jpg has no frame number"),
    ("duplicate", r"EP02_01f: image files .*img46\.jpg and .*img46\.jpg have the same frame number 46"),
    ("no_images", r"no image folder found for any of the 3 trials of CASME2-coding-20140508\.xlsx"),
    ("no_sheet", r"no coding sheet found; expected an \.xlsx"),
    ("two_sheets", r"several coding-sheet candidates .*pass coding_file="),
])
def test_bad_layouts_raise(casme2, what, match):
    trigger = _break(casme2, what)
    with pytest.raises(DataFormatError, match=match):
        trigger()


def test_missing_image_folder_warns_and_keeps_going(tmp_path):
    root = make_casme2(tmp_path, with_sub17=False)
    with pytest.warns(MMMEWarning, match=r"no image folder found for 1 trial\(s\) .*: sub-17_EP01_01"):
        ds = mm.open_dataset(root)
    t = ds.trials.set_index("trial")
    assert not t.loc["sub-17_EP01_01", "has_video"] and t.loc["sub-01_EP02_01f", "has_video"]
    tree = ds.trial("EP01_01")
    assert set(tree.children) == {"events"} and tree.attrs["missing"] == "video,eeg,peri"


def test_coded_frames_outside_the_clip_warn(casme2):
    for name in ("img52.jpg", "img53.jpg"):
        (casme2 / "CASME2_RAW_selected" / "sub01" / "EP02_01f" / name).unlink()
    ds = mm.open_dataset(casme2)
    with pytest.warns(MMMEWarning, match=r"Trial sub-01_EP02_01f: coded frames 47-52 reach outside .*frames 46-51"):
        ds.trial("EP02_01f")


def test_empty_root_raises(tmp_path):
    with pytest.raises(DataFormatError, match=r"no coding sheet found"):
        mm.open_dataset(tmp_path, flavour="casme2")
    with pytest.raises(DataFormatError, match=r"no participant folder found"):  # MMME behaviour kept
        mm.open_dataset(tmp_path)


def test_mmme_sheet_without_participants_is_named(tmp_path):
    _write_xlsx(tmp_path / "coding_file.xlsx", [
        ["Subject", "Filename", "Marker", "OnsetTime", "ApexTime", "OffsetTime", "OnsetFrame", "ApexFrame",
         "OffsetFrame", "Action Units", "Estimated Emotion"],
        ["P", "happy_1_103_P_20240515.avi", 103, 1.0, 1.2, 1.4, "11-06-40-000", "11-06-40-200",
         "11-06-40-400", "AU12", "happy"],
    ])
    with pytest.raises(DataFormatError, match=r"an MMME coding sheet, but .* has no participant folder"):
        mm.open_dataset(tmp_path)


@pytest.mark.parametrize("key, exc, match", [
    (101, TypeError, r"Invalid value for 'trial': expected an instance of str .*got 101"),
    ("EP99_99", KeyError, r"Invalid value for 'trial': expected a trial id of .*sub-01_EP02_01f.*got 'EP99_99'"),
    ("sub-99_EP02_01f", KeyError, r"Invalid value for 'trial'.*got 'sub-99_EP02_01f'"),
])
def test_bad_trial_keys(casme2, key, exc, match):
    ds = mm.open_dataset(casme2)
    with pytest.raises(exc, match=match):
        ds.trial(key)


def test_clip_name_must_be_unique_to_be_a_key(tmp_path):
    root = make_casme2(tmp_path)
    sheet = pd.read_excel(root / "CASME2-coding-20140508.xlsx")
    sheet.loc[2, "Filename"] = "EP02_01f"  # sub17 gets a clip of the same name
    sheet.to_excel(root / "CASME2-coding-20140508.xlsx", index=False)
    base = root / "CASME2_RAW_selected" / "sub17"
    (base / "EP01_01").rename(base / "EP02_01f")
    ds = mm.open_dataset(root)
    assert ds.trial("sub-17_EP02_01f").attrs["subject"] == "sub-17"
    with pytest.raises(KeyError, match=r"Invalid value for 'trial'.*got 'EP02_01f'"):
        ds.trial("EP02_01f")
