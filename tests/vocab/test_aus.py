"""Tests of the FACS action-unit table and the AU-cell parser."""
import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.vocab import AU_REGIONS, AU_TABLE, au_numbers, parse_aus

TABLE1_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 25, 26, 41, 42)
SHEET_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 23, 24, 25, 26, 27)


def test_au_table():
    for au in set(TABLE1_AUS) | set(SHEET_AUS) | {38, 39, 43}:
        assert au in AU_TABLE.index
    assert AU_TABLE.loc[4, "name"] == "Brow Lowerer"
    assert AU_TABLE.loc[12, "region"] == "mouth"
    assert AU_TABLE.loc[1, "region"] == "brows"
    assert AU_TABLE.loc[9, "region"] == "nose"
    assert AU_TABLE.loc[7, "region"] == "eyes"
    assert AU_TABLE.loc[54, "region"] == "head"
    assert set(AU_TABLE["region"]) <= set(AU_REGIONS)
    assert AU_TABLE.index.is_unique and 3 not in AU_TABLE.index


@pytest.mark.parametrize(
    "text, aus, numbers",
    [
        ("AU4, AU10, AU13, AU17", ("AU4", "AU10", "AU13", "AU17"), (4, 10, 13, 17)),
        ("AU4", ("AU4",), (4,)),
        ("L12", ("L12",), (12,)),
        ("R14+AU4", ("R14", "AU4"), (14, 4)),
        ("4+10", ("4", "10"), (4, 10)),
        ("B1", ("B1",), (1,)),
        ("r12 + l12", ("R12", "L12"), (12, 12)),
        ("R14A+12B", ("R14A", "12B"), (14, 12)),
        ("AU 6; AU12", ("AU6", "AU12"), (6, 12)),
        (12, ("12",), (12,)),
        (12.0, ("12",), (12,)),
        ("", (), ()),
        (None, (), ()),
        (np.nan, (), ()),
    ],
)
def test_parse_aus(text, aus, numbers):
    assert parse_aus(text, where="x") == aus
    assert au_numbers(aus) == numbers


@pytest.mark.parametrize(
    "text, match",
    [
        ("AU4,, AU7", r"empty action unit"),
        ("smile", r"cannot parse action unit 'smile'"),
        ("AU99", r"unknown action unit 'AU99'"),
        ("AU3", r"unknown action unit 'AU3'"),
        ("X12", r"cannot parse action unit 'X12'"),
        ("AU4?", r"cannot parse action unit 'AU4\?'"),
        ("12F", r"cannot parse"),
        (True, r"invalid action-unit cell"),
    ],
)
def test_parse_aus_bad(text, match):
    with pytest.raises(DataFormatError, match=r"^sheet\.xlsx, row 3, column 'Action Units': " + match):
        parse_aus(text, where="sheet.xlsx, row 3, column 'Action Units'")


def test_au_numbers_from_string_and_bad_token():
    assert au_numbers("AU1, AU2") == (1, 2)
    with pytest.raises(ValueError, match=r"Invalid value for 'aus'"):
        au_numbers(("AU1", "smile"))
