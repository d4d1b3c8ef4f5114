"""The ``mmme`` command line."""
import pytest

from mmme_analysis.cli import main


@pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")
def test_synth_convert_info(tmp_path, capsys):
    raw, store = tmp_path / "raw", tmp_path / "s.zarr"
    assert main(["synth", str(raw), "--subjects", "1", "--trials", "1", "--duration", "2", "--seed", "3"]) == 0
    assert (raw / "coding_file.xlsx").is_file() and (raw / "ground_truth.json").is_file()
    assert main(["convert", str(raw), str(store)]) == 0
    capsys.readouterr()
    assert main(["info", str(store)]) == 0
    out = capsys.readouterr().out
    assert "sub-01_" in out and "<Dataset | zarr |" in out


@pytest.mark.parametrize("argv, match", [
    (["synth", "{tmp}/x", "--trials", "0"], "Invalid value for 'n_trials'"),
    (["synth", "{tmp}/x", "--duration", "1"], "Invalid value for 'duration'"),
    (["convert", "{tmp}/missing", "{tmp}/s.zarr"], "Invalid value for 'raw_dir'"),
    (["info", "{tmp}/missing"], "Invalid value for 'path'"),
])
def test_cli_errors(tmp_path, capsys, argv, match):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert match in capsys.readouterr().err
