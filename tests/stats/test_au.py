"""AU table: real sheets against an independent count, and a small fixture."""
import pandas as pd
import pytest

from mmme_analysis.io.coding import read_coding_file
from mmme_analysis.stats import au_table
from mmme_analysis.stats.published import MMME_AU_COUNTS_ME

from ._sheets import au_set, count_aus, read_sheet


def test_real_sheet_matches_independent_count(shared_data):
    path = shared_data / "mes_eeg_coding_file_combined.xlsx"
    rows = read_sheet(path)
    expected = count_aus(rows)
    table = au_table(read_coding_file(path)).set_index("code")
    for (au, kind), n in expected.items():
        col = "n_me" if kind == "micro" else "n_mae"
        assert table.loc[au, col] == n, (au, kind)
    n_me = sum(str(r["Macro/Micro"]).lower() == "micro" for r in rows)
    assert table.attrs["n_me"] == n_me == 299
    assert table["n_me"].sum() == sum(n for (_, k), n in expected.items() if k == "micro")
    pd.testing.assert_series_equal(table["pct_me"], 100 * table["n_me"] / n_me, check_names=False)


def test_real_mmme_sheet_totals(shared_data):
    path = shared_data / "mmme_coding_file.xlsx"
    rows = read_sheet(path)
    table = au_table(read_coding_file(path)).set_index("code")
    for au in set().union(*(au_set(r["Action Units"]) for r in rows)):
        assert table.loc[au, "n_total"] == sum(au in au_set(r["Action Units"]) for r in rows), au


def _ann(rows):
    return pd.DataFrame(rows, columns=["au_codes", "kind"])


def test_fixture_counts_and_layout():
    ann = _ann([((4, 10), "micro"), ((4,), "micro"), ((12, 12), "micro"), ((12, 6), "macro"), ((), "macro")])
    t = au_table(ann).set_index("au")
    assert list(t.columns) == ["code", "name", "region", "n_me", "pct_me", "n_mae", "pct_mae", "n_total",
                               "n_me_published"]
    assert t.loc["AU4", "n_me"] == 2 and t.loc["AU4", "pct_me"] == pytest.approx(200 / 3)
    assert t.loc["AU12", "n_me"] == 1  # L12 + R12 in one expression count once
    assert t.loc["AU6", "n_mae"] == 1 and t.loc["AU6", "pct_mae"] == 50.0
    assert t.loc["AU4", "name"] == "Brow Lowerer" and t.loc["AU4", "region"] == "brows"
    # published Table 1 column is only a labelled reference
    assert t.loc["AU4", "n_me_published"] == MMME_AU_COUNTS_ME[4]
    assert t.loc["AU41", "n_me"] == 0
    plain = au_table(ann, published=False)
    assert "n_me_published" not in plain and set(plain["code"]) == {4, 6, 10, 12}


@pytest.mark.parametrize(
    ("ann", "exc", "match"),
    [([1, 2], TypeError, "Invalid value for 'annotations'"),
     (pd.DataFrame({"kind": ["micro"]}), ValueError, "missing \\['au_codes'\\]")],
)
def test_bad_input(ann, exc, match):
    with pytest.raises(exc, match=match):
        au_table(ann)
