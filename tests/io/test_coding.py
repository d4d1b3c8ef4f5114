import hashlib
import json
import math
import pickle
import re
from collections import Counter

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mmme_analysis import MMMEWarning
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.coding import COLUMNS, kind_by_rule, read_coding_file
from mmme_analysis.io.stamps import format_stamp
from mmme_analysis.stats import kind_agreement

REAL_SHEETS = ("mmme_coding_file.xlsx", "mes_eeg_coding_file_combined.xlsx")
RAW_EMOTIONS = {"happy", "disgust", "angry", "fear", "sad", "surprise", "tense"}
FAKE_NAMES = ("Wilhelmina", "Xaviera")


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_unmodified(path, **kwargs):
    """read_coding_file(path), asserting the file was opened read-only (bytes unchanged)."""
    digest = _sha(path)
    df = read_coding_file(path, **kwargs)
    assert _sha(path) == digest
    return df


def _write_xlsx(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


# ------------------------------------------------------------------------ MMME fixture
MMME_HEADER = ["Subject", "Filename", "Marker", "OnsetTime", "ApexTime", "OffsetTime",
               "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
               "Estimated Emotion", "Macro/Micro", "Date", "dif"]
T0 = 40000.0  # camera clock (s since midnight) of the trial starts


def _mmme_row(name, emo, idx, marker, on, ap, off, aus, kind, parts=5):
    return [name, f"{emo}_{idx}_{marker}_{name}_20240515.avi", marker, on, ap, off,
            format_stamp(T0 + on, parts), format_stamp(T0 + ap, parts),
            format_stamp(T0 + off, parts), aus, emo, kind, "2024年06月30日-14时31分",
            int(round((ap - on) * 150))]


def mmme_rows():
    return [
        list(MMME_HEADER),
        _mmme_row("Wilhelmina", "happy", 1, 103, 1.0, 1.2, 1.4, "AU6, AU12", "Micro"),
        _mmme_row("Wilhelmina", "disgust", 2, 102, 5.0, 5.6, 5.6, "AU4, AU9", "Macro"),
        _mmme_row("Xaviera", "tense", 1, 105, 10.0, 10.2, 10.9, "R14+AU4", "Macro"),
        _mmme_row("Xaviera", "angry", 1, 107, 20.0, 20.3, 20.5, "AU4", "Micro", parts=4),
    ]


def test_repeated_row_warns_and_counts_once(tmp_path):
    rows = mmme_rows()
    rows.insert(4, list(rows[2]))  # row 3 repeated as row 5
    path = _write_xlsx(tmp_path / "coding_file.xlsx", rows)
    with pytest.warns(MMMEWarning, match=r"coding_file\.xlsx: 1 row\(s\) repeat an earlier row .*row 5 = row 3\); each "
                                         r"expression is counted once"):
        df = _read_unmodified(path)
    assert df["source_row"].tolist() == [2, 3, 4, 6] and len(df) == 4
    rows[4][9] = "AU4"  # same times, other AUs: a second expression, kept
    path = _write_xlsx(tmp_path / "coding_file.xlsx", rows)
    assert len(_read_unmodified(path)) == 5


def test_mmme_fixture(tmp_path):
    path = _write_xlsx(tmp_path / "coding_file.xlsx", mmme_rows())
    df = _read_unmodified(path)
    assert list(df.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert df.attrs["flavour"] == "mmme" and df.attrs["fps"] == 150.0
    assert df.attrs["source"] == str(path)
    assert df["subject"].tolist() == ["sub-01", "sub-01", "sub-02", "sub-02"]
    # the dataset-wide trial id: <pseudonym>_<marker>; the pseudonymous video stem is the clip
    assert df["trial"].tolist() == ["sub-01_103", "sub-01_102", "sub-02_105", "sub-02_107"]
    assert df["clip"].tolist() == [
        "happy_1_103_sub-01_20240515", "disgust_2_102_sub-01_20240515",
        "tense_1_105_sub-02_20240515", "angry_1_107_sub-02_20240515",
    ]
    _, personal = read_coding_file(path, personal=True)
    assert "files" not in df.attrs and "subjects" not in df.attrs  # personal data kept out of the table
    assert personal.files["sub-02_105"] == "tense_1_105_Xaviera_20240515.avi"
    assert len(personal.files) == 4
    assert personal.subjects == {"sub-01": "Wilhelmina", "sub-02": "Xaviera"}
    assert df["marker"].tolist() == [103, 102, 105, 107]
    assert df["category"].tolist() == [3, 2, 5, 7]
    assert df["onset_frame"].tolist() == [150, 750, 1500, 3000]
    assert df["apex_frame"].tolist() == [180, 840, 1530, 3045]
    assert df["offset_frame"].tolist() == [210, 840, 1635, 3075]
    assert str(df["onset_frame"].dtype) == "Int64"
    np.testing.assert_allclose(df["onset_stamp"] - df["onset"], T0, atol=1e-6)
    np.testing.assert_allclose(df["offset_stamp"], T0 + np.array([1.4, 5.6, 10.9, 20.5]),
                               atol=1e-6)
    assert df["offset_coded"].tolist() == [True, False, True, True]
    np.testing.assert_allclose(df["duration"], [0.4, np.nan, 0.9, 0.5], atol=1e-9)
    np.testing.assert_allclose(df["onset_apex"], [0.2, 0.6, 0.2, 0.3], atol=1e-9)
    assert df["aus"].tolist() == [("AU6", "AU12"), ("AU4", "AU9"), ("R14", "AU4"), ("AU4",)]
    assert df["au_codes"].tolist() == [(6, 12), (4, 9), (14, 4), (4,)]
    assert df["emotion_raw"].tolist() == ["happy", "disgust", "tense", "angry"]
    assert df["emotion"].tolist() == ["happiness", "disgust", "tense", "anger"]
    assert df["emotion3"].tolist() == ["positive", "negative", "negative", "negative"]
    assert df["kind"].tolist() == ["micro", "macro", "macro", "micro"]
    assert set(df["kind_source"]) == {"column"}
    # 0.5 s duration is micro despite float noise (20.5 - 20.0 in binary)
    assert df["kind_rule"].tolist() == ["micro", "macro", "micro", "micro"]
    assert df["source_row"].tolist() == [2, 3, 4, 5]
    text = repr(df) + df.to_csv() + df.to_string() + repr(df.attrs) + str(df.attrs)
    for name in FAKE_NAMES:
        assert name.lower() not in text.lower()
    # the table pickles and serialises without a name; the personal maps refuse both
    blob = pickle.dumps(df) + json.dumps(df.attrs).encode()
    for name in FAKE_NAMES:
        assert name.encode() not in blob
    for obj in (personal, personal.files, personal.subjects):
        with pytest.raises(TypeError, match="personal data"):
            pickle.dumps(obj)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"files": personal.files})
    assert "Xaviera" not in repr(personal) + repr(personal.files)
    assert df.iloc[:2].copy().attrs == df.attrs
    table = kind_agreement(df)
    assert table.loc["micro", "micro"] == 2 and table.loc["macro", "macro"] == 1
    assert table.loc["macro", "micro"] == 1 and table.loc["micro", "macro"] == 0
    assert table.attrs["n"] == 4
    assert table.attrs["agreement"] == pytest.approx(0.75)
    # by hand: p_o = 0.75, p_e = 0.5 * 0.75 + 0.5 * 0.25 = 0.5 -> kappa = 0.5
    assert table.attrs["kappa"] == pytest.approx(0.5)


def test_mmme_without_kind_column_names_and_fps(tmp_path):
    rows = [r[:11] + r[12:] for r in mmme_rows()]  # drop Macro/Micro
    path = _write_xlsx(tmp_path / "coding_file.xlsx", rows)
    df = read_coding_file(path, flavour="mmme", fps=100, names={"Wilhelmina": "sub-B",
                                                                 "Xaviera": "sub-A"})
    assert set(df["kind_source"]) == {"duration_rule"}
    assert df["kind"].tolist() == df["kind_rule"].tolist() == ["micro", "macro", "micro", "micro"]
    assert df["subject"].tolist() == ["sub-B", "sub-B", "sub-A", "sub-A"]
    assert df["trial"].tolist() == ["sub-B_103", "sub-B_102", "sub-A_105", "sub-A_107"]
    assert df["clip"].tolist()[2] == "tense_1_105_sub-A_20240515"
    assert df["onset_frame"].tolist() == [100, 500, 1000, 2000]
    assert df["fps"].unique().tolist() == [100.0]
    with pytest.raises(ValueError, match="Invalid value for 'df'"):
        kind_agreement(df)


@pytest.mark.parametrize(
    "on, ap, off, coded, expected",
    [
        (0.0, 0.3, 0.5, True, "micro"),       # duration 0.5 s
        (0.0, 0.3, 0.51, True, "macro"),
        (0.0, 0.25, 0.9, True, "micro"),      # onset-apex 0.25 s
        (0.0, 0.26, 0.26, False, "macro"),    # offset not coded: duration ignored
        (0.0, 0.2, 0.2, False, "micro"),
        (0.0, math.nan, 0.4, True, "micro"),  # apex not coded
        (0.0, math.nan, 0.6, True, "macro"),
    ],
)
def test_kind_by_rule(on, ap, off, coded, expected):
    assert kind_by_rule(on, ap, off, coded) == expected


# ---------------------------------------------------------------- other flavours
def casme2_rows():
    return [
        ["Subject", "Filename", "Unnamed: 2", "OnsetFrame", "ApexFrame", "OffsetFrame",
         "Unnamed: 6", "Action Units", "Estimated Emotion"],
        [1, "EP02_01f", None, 46, 59, 86, None, "12", "happiness"],
        [1, "EP03_02", None, 131, "/", 161, None, "R12+4", "others"],
        [17, "EP01_01", None, 10, 40, 210, None, "L10", "repression"],
    ]


def samm_rows():
    title = [["SAMM Micro FACS Codes"], [None], ["Version 2"], ["Coded by two FACS coders"]]
    title += [[f"note {i}"] if i % 3 else [None] for i in range(8)]
    assert len(title) == 12
    return title + [
        ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame",
         "Offset Frame", "Duration", "Type", "Action Units", "Notes", "Estimated Emotion",
         "Objective Classes"],
        ["006", "006_1_2", 1, 5562, 5588, 5663, 101, "Micro - 1/2", "4+7", None, "Anger", 4],
        ["007", "007_3_1", 3, 100, -1, 170, 70, "Micro - 1/2", "R14A", None, "Contempt", 3],
        ["011", "011_2_3", 2, 200, 250, 400, 200, "Macro", "12B+6", None, "Happiness", 1],
    ]


def casme_sq_rows():
    return [
        [1, "anger1_1", 557, 563, 608, "4+7", "negative", "micro-expression", "anger"],
        [1, "anger1_2", 2590, 2605, 0, "L10", "others", "micro-expression", None],
        [15, "happy1_4", 100, 130, 160, "6+12", "positive", "macro-expression", "happy"],
    ]


def casme3_rows():
    return [
        ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "Emotion"],
        ["spNO.1", "a", 120, 126, 138, "L4+R4", 2, "disgust"],
        ["spNO.216", "d", 3000, 3006, 0, "12", 1, "happy"],
    ]


def test_casme2_fixture(tmp_path):
    path = _write_xlsx(tmp_path / "CASME2-coding-test.xlsx", casme2_rows())
    df = _read_unmodified(path)
    assert df.attrs["flavour"] == "casme2" and df.attrs["fps"] == 200.0
    assert df["subject"].tolist() == ["sub-01", "sub-01", "sub-17"]
    assert df["trial"].tolist() == ["sub-01_EP02_01f", "sub-01_EP03_02", "sub-17_EP01_01"]
    assert df["clip"].tolist() == df["trial"].tolist()
    assert read_coding_file(path, personal=True)[1].files["sub-01_EP03_02"] == "EP03_02"
    assert df["onset_frame"].tolist() == [46, 131, 10]
    assert df["apex_frame"].isna().tolist() == [False, True, False]
    np.testing.assert_allclose(df["onset"], [0.23, 0.655, 0.05])
    np.testing.assert_allclose(df["duration"], [0.2, 0.15, 1.0])
    assert np.isnan(df["apex"][1]) and np.isnan(df["onset_apex"][1])
    assert df["aus"].tolist() == [("12",), ("R12", "4"), ("L10",)]
    assert df["emotion"].tolist() == ["happiness", "other", "repression"]
    assert df["emotion3"].tolist() == ["positive", "other", "negative"]
    assert df["kind_rule"].tolist() == ["micro", "micro", "micro"]
    assert set(df["kind_source"]) == {"duration_rule"}
    assert df["marker"].isna().all()
    # a .csv export of the same sheet reads the same
    csv = tmp_path / "casme2.csv"
    pd.DataFrame(casme2_rows()[1:], columns=casme2_rows()[0]).to_csv(csv, index=False)
    pd.testing.assert_frame_equal(read_coding_file(csv, flavour="casme2")[list(COLUMNS)],
                                  df[list(COLUMNS)])


def test_samm_fixture(tmp_path):
    path = _write_xlsx(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", samm_rows())
    df = _read_unmodified(path)
    assert df.attrs["flavour"] == "samm" and df.attrs["fps"] == 200.0
    assert df["source_row"].tolist() == [14, 15, 16]  # header on row 13
    assert df["subject"].tolist() == ["sub-06", "sub-07", "sub-11"]
    assert df["trial"].tolist() == ["006_1_2", "007_3_1", "011_2_3"]
    assert df["clip"].tolist() == df["trial"].tolist()
    assert df["apex_frame"].isna().tolist() == [False, True, False]
    assert df["kind"].tolist() == ["micro", "micro", "macro"]
    assert set(df["kind_source"]) == {"column"}
    assert df["kind_rule"].tolist() == ["micro", "micro", "micro"]
    assert df["emotion"].tolist() == ["anger", "contempt", "happiness"]
    assert df["aus"].tolist() == [("4", "7"), ("R14A",), ("12B", "6")]
    assert df["au_codes"].tolist() == [(4, 7), (14,), (12, 6)]
    assert df["objective_class"].tolist() == [4, 3, 1]
    np.testing.assert_allclose(df["duration"], [0.505, 0.35, 1.0])
    table = kind_agreement(df)
    assert table.attrs["agreement"] == pytest.approx(2 / 3)


def test_casme_sq_fixture(tmp_path):
    path = _write_xlsx(tmp_path / "CAS(ME)^2code_final.xlsx", casme_sq_rows())
    df = _read_unmodified(path)
    assert df.attrs["flavour"] == "casme_sq" and df.attrs["fps"] == 30.0
    assert df["source_row"].tolist() == [1, 2, 3]  # no header
    assert df["subject"].tolist() == ["sub-01", "sub-01", "sub-15"]
    assert df["trial"].tolist() == ["sub-01_anger1", "sub-01_anger1", "sub-15_happy1"]
    assert df["clip"].tolist() == df["trial"].tolist()
    assert read_coding_file(path, personal=True)[1].files == {"sub-01_anger1": "anger1", "sub-15_happy1": "happy1"}
    assert df["offset_coded"].tolist() == [True, False, True]
    assert df["offset_frame"].tolist() == [608, 2605, 160]
    assert np.isnan(df["duration"][1])
    assert df["emotion"].tolist() == [None, "other", None]
    assert df["emotion3"].tolist() == ["negative", "other", "positive"]
    assert df["kind"].tolist() == ["micro", "micro", "macro"]
    assert df["kind_rule"].tolist() == ["micro", "macro", "macro"]
    assert read_coding_file(path, flavour="casme_sq").equals(df)


def test_casme3_fixture(tmp_path):
    path = _write_xlsx(tmp_path / "cas(me)3_part_A_ME_label.xlsx", casme3_rows())
    df = _read_unmodified(path)
    assert df.attrs["flavour"] == "casme3" and df.attrs["fps"] == 30.0
    assert df["subject"].tolist() == ["sub-01", "sub-216"]
    assert df["trial"].tolist() == ["sub-01_a", "sub-216_d"]
    assert df["clip"].tolist() == df["trial"].tolist()
    assert df["offset_coded"].tolist() == [True, False]
    assert df["emotion"].tolist() == ["disgust", "happiness"]
    assert df["aus"].tolist() == [("L4", "R4"), ("12",)]
    assert df["objective_class"].tolist() == [2, 1]
    assert df["kind_rule"].tolist() == ["micro", "micro"]


# ------------------------------------------------------------------ malformed inputs
def _set(rows, r, col, value):
    rows[r][rows[0].index(col)] = value


def _drop_col(rows, col):
    i = rows[0].index(col)
    for r in rows:
        del r[i]


def _mmme(mutate):
    rows = mmme_rows()
    mutate(rows)
    return rows


MALFORMED = [
    ("missing_column", lambda: _mmme(lambda r: _drop_col(r, "OnsetTime")), {},
     r"row 1: header lacks required column\(s\) 'OnsetTime'.*expected for flavour 'mmme'"),
    ("bad_stamp", lambda: _mmme(lambda r: _set(r, 2, "ApexFrame", "16-00-xx-433")), {},
     r"row 3, column 'ApexFrame': cannot parse camera stamp '16-00-xx-433'; expected "
     r"'hh-mm-ss-ms-us'"),
    ("empty_stamp", lambda: _mmme(lambda r: _set(r, 1, "OnsetFrame", None)), {},
     r"row 2, column 'OnsetFrame': empty cell; expected a camera stamp"),
    ("onset_after_apex", lambda: _mmme(lambda r: _set(r, 1, "OnsetTime", 1.3)), {},
     r"row 2, column 'OnsetTime': onset \(1\.3 s\) is after the apex \(1\.2 s\); expected "
     r"onset <= apex <= offset"),
    ("apex_after_offset", lambda: _mmme(lambda r: _set(r, 3, "ApexTime", 10.95)), {},
     r"row 4, column 'OffsetTime': apex \(10\.95 s\) is after the offset \(10\.9 s\)"),
    ("negative_time", lambda: _mmme(lambda r: _set(r, 4, "OnsetTime", -0.5)), {},
     r"row 5, column 'OnsetTime': negative time -0\.5; expected a time in seconds >= 0"),
    ("non_numeric_time", lambda: _mmme(lambda r: _set(r, 4, "OffsetTime", "late")), {},
     r"row 5, column 'OffsetTime': non-numeric value 'late'"),
    ("unknown_emotion", lambda: _mmme(lambda r: _set(r, 2, "Estimated Emotion", "joy")), {},
     r"row 3, column 'Estimated Emotion': unknown emotion label 'joy' for flavour 'mmme'"),
    ("unknown_au", lambda: _mmme(lambda r: _set(r, 1, "Action Units", "AU4, AU99")), {},
     r"row 2, column 'Action Units': unknown action unit 'AU99'"),
    ("unparseable_au", lambda: _mmme(lambda r: _set(r, 3, "Action Units", "smile")), {},
     r"row 4, column 'Action Units': cannot parse action unit 'smile'"),
    ("header_only", lambda: mmme_rows()[:1], {},
     r"empty file, no coded expressions below the header \(row 1\)"),
    ("empty_workbook", lambda: [], {}, r": empty file; expected a coding sheet"),
    ("non_numeric_marker", lambda: _mmme(lambda r: _set(r, 2, "Marker", "abc")), {},
     r"row 3, column 'Marker': non-numeric value 'abc'; expected an integer stimulus marker"),
    ("not_a_stimulus_marker", lambda: _mmme(lambda r: _set(r, 2, "Marker", 99)), {},
     r"row 3, column 'Marker': marker 99 is not a stimulus marker"),
    ("filename_pattern", lambda: _mmme(lambda r: _set(r, 1, "Filename", "Wilhelmina.avi")),
     {}, r"row 2, column 'Filename': file name does not follow the MMME pattern"),
    ("filename_marker", lambda: _mmme(lambda r: _set(
        r, 1, "Filename", "happy_1_104_Wilhelmina_20240515.avi")), {},
     r"row 2, column 'Filename': marker part 104 of the file name differs from Marker 103"),
    ("filename_participant", lambda: _mmme(lambda r: _set(
        r, 1, "Filename", "happy_1_103_Xaviera_20240515.avi")), {},
     r"row 2, column 'Filename': participant part of the file name differs"),
    ("two_videos_one_marker", lambda: mmme_rows() + [_mmme_row(
        "Wilhelmina", "happy", 2, 103, 30.0, 30.2, 30.4, "AU12", "Micro")], {},
     r"row 6, column 'Filename': a second video file for trial sub-01_103 \(the first is in "
     r"row 2; names not shown: personal data\); expected one video per trial"),
    ("unknown_kind", lambda: _mmme(lambda r: _set(r, 4, "Macro/Micro", "Mega")), {},
     r"row 5, column 'Macro/Micro': unknown expression type 'Mega'"),
    ("names_missing", mmme_rows, {"names": {"Wilhelmina": "sub-A"}},
     r"row 4, column 'Subject': subject missing from the 'names' mapping"),
    ("undetectable", lambda: [["foo", "OnsetTme", "bar"], [1, 2, 3]], {},
     r"cannot detect the coding-file flavour\. Seen: no row with 'Subject'.*'OnsetTme' "
     r"\(~'OnsetTime'\).*Expected one "
     r"of: mmme: Subject, Filename, Marker"),
    ("undetectable_header", lambda: [["Subject", "Filename", "Start", "End"],
                                     ["Wilhelmina", "x.avi", 1, 2]], {},
     r"cannot detect the coding-file flavour\. Seen: header row 1 has 'Subject' and "
     r"'Filename' but no column that identifies a flavour; it has 4 cell\(s\), those "
     r"resembling known column names: \['Subject', 'Filename'\] \(2 other"),
    ("undetectable_headerless", lambda: mmme_rows()[1:], {},  # names must stay hidden
     r"cannot detect the coding-file flavour\. Seen: no row with 'Subject'.*first row \(row "
     r"1\) is not a CAS\(ME\)\^2 row; it has 14 cell\(s\), those resembling known column "
     r"names: \[\] \(14 other cell\(s\) not shown"),
    ("casme2_apex_after_offset", lambda: [casme2_rows()[0],
                                          [3, "EP01", None, 10, 60, 50, None, "4", "fear"]],
     {}, r"row 2, column 'OffsetFrame': apex \(frame 60\) is after the offset \(frame 50\)"),
    ("casme2_outside_vocabulary", lambda: [casme2_rows()[0],
                                           [3, "EP01", None, 10, 20, 50, None, "4", "tense"]],
     {}, r"row 2, column 'Estimated Emotion': unknown emotion label 'tense' for flavour "
         r"'casme2'"),
    ("samm_bad_type", lambda: [r if i != 13 else r[:7] + ["Mini"] + r[8:]
                               for i, r in enumerate(samm_rows())], {},
     r"row 14, column 'Type': unknown expression type 'Mini'"),
    ("casme_sq_bad_onset", lambda: [[1, "anger1_1", "x", 572, 608, "4", "negative",
                                     "micro-expression"]], {"flavour": "casme_sq"},
     r"row 1, column 'C \(onset\)': invalid frame number 'x'; expected an integer frame"),
    ("casme_sq_with_header", casme3_rows, {"flavour": "casme_sq"},
     r"row 1: flavour 'casme_sq' expects no header row"),
    ("casme3_no_apex_no_offset", lambda: [casme3_rows()[0],
                                          ["spNO.3", "b", 10, "/", 0, "4", 1, "fear"]], {},
     r"row 2, column 'Apex': neither apex nor offset coded"),
    ("explicit_flavour_mismatch", casme3_rows, {"flavour": "mmme"},
     r"row 1: header lacks required column\(s\) 'Marker', 'OnsetTime'"),
]


@pytest.mark.parametrize("make_rows, kwargs, match",
                         [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed(tmp_path, make_rows, kwargs, match):
    path = _write_xlsx(tmp_path / "bad_sheet.xlsx", make_rows())
    digest = _sha(path)
    with pytest.raises(DataFormatError, match=r"bad_sheet\.xlsx.*" + match) as info:
        read_coding_file(path, **kwargs)
    message = str(info.value)
    for name in FAKE_NAMES:
        assert name.lower() not in message.lower()
    assert _sha(path) == digest


def test_not_a_spreadsheet(tmp_path):
    path = tmp_path / "coding_file.xlsx"
    path.write_bytes(b"Subject,Filename\nnot a zip file")
    with pytest.raises(DataFormatError, match=r"coding_file\.xlsx: cannot be read as a "
                                              r"spreadsheet"):
        read_coding_file(path)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"flavour": "smic"}, ValueError, r"Invalid value for 'flavour'"),
        ({"fps": 0}, ValueError, r"Invalid value for 'fps'"),
        ({"names": ["sub-01"]}, TypeError, r"Invalid value for 'names'"),
        ({"names": {"Wilhelmina": "sub-01", "Xaviera": "sub-01"}}, ValueError,
         r"Invalid value for 'names': expected a distinct pseudonym"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, exc, match):
    path = _write_xlsx(tmp_path / "coding_file.xlsx", mmme_rows())
    with pytest.raises(exc, match=match):
        read_coding_file(path, **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Invalid value for 'path'"):
        read_coding_file(tmp_path / "nope.xlsx")


# ---------------------------------------------------------------------- real sheets
def _independent(path):
    """Count emotions, AUs, names and the Macro/Micro column with plain openpyxl + regex."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    header = list(rows[0])
    body = [r for r in rows[1:] if any(c is not None for c in r)]
    col = {name: header.index(name) for name in header if name is not None}
    emotions = Counter(r[col["Estimated Emotion"]] for r in body)
    aus = Counter(int(n) for r in body for n in re.findall(r"AU(\d+)", r[col["Action Units"]]))
    names = set()
    for r in body:
        m = re.match(r"^[a-z]+_\d+_\d+_(.+)_\d{8}\.avi$", r[col["Filename"]])
        names.add(m.group(1))
    kinds = Counter(r[col["Macro/Micro"]] for r in body) if "Macro/Micro" in col else None
    return len(body), emotions, aus, names, kinds


@pytest.fixture(scope="module")
def real(shared_data):
    out = {}
    for name in REAL_SHEETS:
        path = shared_data / name
        if not path.is_file():
            pytest.skip(f"{name} not in {shared_data}")
        out[name] = (path, _read_unmodified(path))
    return out


@pytest.mark.parametrize("sheet", REAL_SHEETS)
def test_real_sheet_parses(real, sheet):
    path, df = real[sheet]
    n, emotions, aus, names, kinds = _independent(path)
    assert len(df) == n == 944
    assert df.attrs["flavour"] == "mmme"
    assert df["subject"].nunique() == 16 and len(names) == 16
    assert df["trial"].nunique() == 272 and len(read_coding_file(path, personal=True)[1].files) == 272
    # one trial id per (subject, marker): <subject>_<marker>, and one clip per trial
    assert (df["trial"] == df["subject"] + "_" + df["marker"].astype(str)).all()
    assert df.groupby(["subject", "marker"])["trial"].nunique().eq(1).all()
    assert df[["subject", "marker"]].drop_duplicates().shape[0] == 272
    assert df["clip"].nunique() == 272
    assert df.groupby("trial")["clip"].nunique().eq(1).all()
    assert df["clip"].str.match(r"^[a-z]+_\d+_\d+_sub-\d{2}_\d{8}$").all()
    assert set(df["emotion_raw"]) == RAW_EMOTIONS
    assert Counter(df["emotion_raw"]) == emotions
    assert Counter(a for codes in df["au_codes"] for a in codes) == aus
    assert set(df["emotion"]) == {"happiness", "disgust", "anger", "fear", "sadness",
                                  "surprise", "tense"}
    assert (df["onset"] <= df["apex"]).all() and (df["apex"] <= df["offset"]).all()
    assert df["offset_coded"].sum() == 944 - 433  # OffsetTime == ApexTime in 433 rows
    assert df["duration"].isna().sum() == 433
    np.testing.assert_array_equal(df["onset_frame"].to_numpy(dtype=float),
                                  np.round(df["onset"].to_numpy() * 150))
    assert df["category"].between(1, 8).all()
    # the camera time of the trial start (stamp - time) is one clock per trial, to 2.1 s
    start = df["onset_stamp"] - df["onset"]
    assert (start.groupby(df["trial"]).agg(np.ptp) < 2.1).all()
    # no real name anywhere the table can be shown or written
    text = (repr(df) + df.to_csv() + df.to_string() + repr(df.attrs)).lower()
    cells = " ".join(map(str, df.drop(columns=["aus", "au_codes"]).to_numpy().ravel())).lower()
    for name in names:
        assert name.lower() not in text
        assert name.lower() not in cells
    if kinds is not None:
        assert kinds == Counter({"Micro": 299, "Macro": 645})


def test_real_kind_agreement(real):
    _, df = real["mes_eeg_coding_file_combined.xlsx"]
    assert (df["kind_source"] == "column").all()
    assert (df["kind"] == "micro").sum() == 299
    table = kind_agreement(df)
    assert int(table.to_numpy().sum()) == table.attrs["n"] == 944
    assert table.attrs["agreement"] == pytest.approx(
        (table.loc["micro", "micro"] + table.loc["macro", "macro"]) / 944)
    # the README says the rule does not reproduce the column exactly
    assert 0.5 < table.attrs["agreement"] < 1.0
    assert 0.0 < table.attrs["kappa"] < 1.0
    _, plain = real["mmme_coding_file.xlsx"]
    assert (plain["kind_source"] == "duration_rule").all()
    assert plain["kind_rule"].tolist() == df["kind_rule"].tolist()
    print(f"\nkind agreement: {table.to_dict()} agreement={table.attrs['agreement']:.4f} "
          f"kappa={table.attrs['kappa']:.4f}")


def test_real_sheets_same_rows(real):
    (_, a), (_, b) = real[REAL_SHEETS[0]], real[REAL_SHEETS[1]]
    cols = [c for c in a.columns if c not in ("kind", "kind_source")]
    pd.testing.assert_frame_equal(a[cols], b[cols])
