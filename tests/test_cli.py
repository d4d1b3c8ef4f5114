"""The ``mmme`` command line: synth, convert (paths, problems summary, interruption), info, check."""
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def test_synth_convert_info_with_relative_home_and_symlinked_paths(tmp_path, monkeypatch, capsys):
    """RAW and STORE given relative, with ``~`` and through symlinks: convert, info and the store's
    reference to the raw videos all work."""
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "stores").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    assert main(["synth", "data/raw", "--subjects", "1", "--trials", "1", "--duration", "2", "--seed", "3"]) == 0
    raw = tmp_path / "data" / "raw"
    assert (raw / "coding_file.xlsx").is_file() and (raw / "ground_truth.json").is_file()
    (home / "rawlink").symlink_to(raw)
    (home / "out").symlink_to(tmp_path / "stores")
    assert main(["convert", "data/raw", "s.zarr"]) == 0  # both relative
    assert main(["convert", "~/rawlink", "~/out/s.zarr"]) == 0  # ~ and symlinks
    capsys.readouterr()
    for path in ["s.zarr", "~/out/s.zarr", "~/rawlink", "data/raw"]:
        assert main(["info", path]) == 0
        out = capsys.readouterr().out
        assert "sub-01_" in out and "<Dataset |" in out
    a, b = mm.open_dataset("s.zarr"), mm.open_dataset(tmp_path / "stores" / "s.zarr")
    trial = a.trials["trial"].iloc[0]
    for ds in (a, b):  # the raw folder is found from the store: full frames by reference
        assert "video" in ds.trial(trial).children
        np.testing.assert_array_equal(ds.frame(trial, 5), mm.open_dataset(raw).frame(trial, 5))


@pytest.mark.parametrize("argv, match", [
    (["synth", "{tmp}/x", "--trials", "0"], "Invalid value for 'n_trials'"),
    (["synth", "{tmp}/x", "--duration", "1"], "Invalid value for 'duration'"),
    (["convert", "{tmp}/missing", "{tmp}/s.zarr"], "Invalid value for 'raw_dir'"),
    (["info", "{tmp}/missing"], "Invalid value for 'path'"),
])
def test_cli_errors(tmp_path, capsys, argv, match):
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert match in capsys.readouterr().err


def test_convert_with_a_broken_participant_converts_the_others_and_exits_1(tmp_path, capsys):
    """Three participants, one with an empty .eeg: the other two convert; the third is in the store's
    problems table and in the one-paragraph summary, by pseudonym only."""
    from mmme_analysis.convert import read_problems
    from mmme_analysis.dataset.raw import pseudonyms
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=3, n_trials=1, duration=2.0, rest=1.0, seed=5,
                                                   size=(64, 64)), progress=False)
    names = {v: k for k, v in pseudonyms(raw).items()}
    (eeg,) = (raw / names["sub-02"] / "EEG").rglob("*.eeg")
    eeg.write_bytes(b"")
    store = tmp_path / "s.zarr"
    assert main(["convert", str(raw), str(store), "--face-size", "32", "--proxy-side", "32"]) == 1
    err = capsys.readouterr().err
    summary = err[err.index("mmme convert: "):]
    assert "\n\n" not in summary.strip() and "1 problem(s)" in summary and "sub-02 (session: DataFormatError" in summary
    opened = mm.open_dataset(store)
    assert sorted(opened.trials["subject"]) == ["sub-01", "sub-03"]
    table = read_problems(store)
    assert opened.problems.equals(table)  # the store's dataset lists what convert left out
    assert table[["subject", "trial", "modality"]].values.tolist() == [["sub-02", "", "session"]]
    assert "empty" in table["error"].iloc[0]
    shown = err + table.to_string() + "".join(p.read_text() for p in store.rglob("zarr.json"))
    assert not [n for n in names.values() if n in shown]


# -- interruption ---------------------------------------------------------------------------------

def _content(store) -> dict:
    """{node: metadata, node[...]: values} of every group and array of a store (Zarr v3 has no timestamps)."""
    import zarr

    out = {}
    for meta in sorted(store.rglob("zarr.json")):
        key = str(meta.parent.relative_to(store))
        out[key] = json.loads(meta.read_text())
        if out[key]["node_type"] == "array":
            out[key + "[...]"] = zarr.open_array(str(meta.parent), mode="r")[...]
    return out


def _leftovers(store) -> list:
    return [str(p.relative_to(store)) for p in store.rglob("*") if ".tmp-" in p.name or ".old-" in p.name
            or p.name.endswith(".partial")]


def _start(argv, env):
    return subprocess.Popen([sys.executable, "-m", "mmme_analysis.cli", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            # a shell's background job ignores SIGINT, and Python then keeps ignoring it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _writing(proc, store, timeout=60.0) -> bool:
    """Wait until the run writes (a temporary folder of its own in the store); False if it ended first."""
    end, mine = time.monotonic() + timeout, f"-{proc.pid}-"
    while time.monotonic() < end and proc.poll() is None:
        for folder in (store, store / "trials"):
            if folder.is_dir() and any(".tmp-" in e.name and mine in e.name for e in os.scandir(folder)):
                return True
        time.sleep(0.01)
    return False


def test_convert_killed_at_random_moments_and_interrupted_ends_as_a_clean_run(tmp_path):
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=1, n_trials=3, duration=2.0, rest=1.0, seed=7,
                                                   size=(64, 64), mes_per_trial=(1, 1), maes_per_trial=(0, 0)),
                     progress=False)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "MMME_CACHE_DIR": str(tmp_path / "cache")}
    opts = ["--face-size", "32", "--proxy-side", "32"]
    clean, store = tmp_path / "clean.zarr", tmp_path / "s.zarr"
    proc = _start(["convert", str(raw), str(clean), *opts], env)
    assert _writing(proc, clean)
    t0 = time.monotonic()
    assert proc.wait(120) == 0, proc.stderr.read()
    busy = time.monotonic() - t0  # from the first write to the end
    rng = random.Random(0)
    kills, runs, finished = [], 0, False
    while len(kills) < 5 and runs < 20:  # SIGKILL at random moments of the writing, rerun each time
        runs += 1
        # a rerun resumes the killed one; after a run that finished, start over (nothing left to kill)
        overwrite = runs % 2 == 0 or finished
        proc = _start(["convert", str(raw), str(store), *opts, *(["--overwrite"] if overwrite else [])], env)
        writing, delay = _writing(proc, store), rng.uniform(0, 0.6 * busy)
        if writing:
            time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.kill()
            kills.append(round(delay, 2))
        proc.wait(60)
    assert len(kills) >= 5, f"only {len(kills)} of {runs} runs were still writing when killed"
    for _ in range(3):  # Ctrl-C: one line, status 130, no traceback
        proc = _start(["convert", str(raw), str(store), *opts, "--overwrite"], env)
        assert _writing(proc, store)
        time.sleep(rng.uniform(0, busy / 2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            break
        proc.wait()
    else:
        pytest.fail("every run ended before its SIGINT")
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["mmme convert: interrupted (a rerun resumes; complete trials are kept)"]
    proc = _start(["convert", str(raw), str(store), *opts], env)
    assert proc.wait(120) == 0, proc.stderr.read()
    assert _leftovers(store) == [] and _leftovers(clean) == []
    a, b = _content(clean), _content(store)
    assert sorted(a) == sorted(b) and any(k.endswith("face/frames[...]") for k in a)
    for key in a:
        if key.endswith("[...]"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert a[key] == b[key], key


def test_check_says_ok_for_a_sound_store_and_lists_a_missing_chunk(tmp_path, capsys):
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=1, n_trials=1, duration=2.0, rest=1.0, seed=3,
                                                   size=(64, 64)), progress=False)
    store = tmp_path / "s.zarr"
    assert main(["convert", str(raw), str(store), "--face-size", "32", "--proxy-side", "32"]) == 0
    capsys.readouterr()
    assert main(["check", str(store)]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    (trial,) = mm.open_dataset(store).trials["trial"]
    (store / "trials" / trial / "face" / "frames" / "c" / "1" / "0" / "0" / "0").unlink()  # the second second
    assert main(["check", str(store)]) == 1
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["subject", "trial", "modality", "file", "error"] and trial in out


def test_full_paths_only_in_the_opt_in_path_log(tmp_path, capsys):
    """Messages are pseudonymised; ``--path-log FILE`` keeps the real paths behind them, and only there."""
    import logging

    from mmme_analysis.dataset.raw import pseudonyms
    from mmme_analysis.dataset.session import PATH_LOG
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=2, n_trials=1, duration=2.0, rest=1.0, seed=5,
                                                   write_video=False), progress=False)
    names = {v: k for k, v in pseudonyms(raw).items()}
    (eeg,) = (raw / names["sub-02"] / "EEG").rglob("*.eeg")
    eeg.write_bytes(b"")
    log = tmp_path / "paths.log"
    def run(argv) -> str:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            main(argv)
        out = capsys.readouterr()
        return out.out + out.err + "".join(str(w.message) for w in caught)

    try:
        shown = run(["info", str(raw)])
        assert "sub-02/EEG/" in shown and "no samples" in shown and names["sub-02"] not in shown
        assert not log.exists()
        shown = run(["--path-log", str(log), "info", str(raw)])
    finally:
        for h in list(PATH_LOG.handlers):
            PATH_LOG.removeHandler(h)
            h.close()
        PATH_LOG.setLevel(logging.NOTSET)
    assert "sub-02/EEG/" in shown and "no samples" in shown and names["sub-02"] not in shown
    text = log.read_text()
    assert names["sub-02"] in text and str(eeg.parent.parent) in text
