"""Shared fixtures for the whole test suite."""
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference files in ``../shared/data`` (relative to the repo root); skip if absent."""
    path = (_REPO_ROOT / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found: {path}")
    return path


# --- synthetic datasets shared by the data-foundation tests ------------------------------------
# Tests run with ``--dist loadfile``: each module stays on one worker (module fixtures start once).
SYNTH_KW = dict(n_subjects=2, n_trials=5, duration=3.0, rest=45.0, lead_in=2.0, seed=11)


@pytest.fixture(scope="session")
def synth_raw(tmp_path_factory) -> Path:
    """A small synthetic raw dataset with long rests (long sessions pin clock drift down)."""
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    return synthesize(tmp_path_factory.mktemp("synth") / "raw", SynthConfig(**SYNTH_KW), progress=False)


@pytest.fixture(scope="session")
def synth_store(synth_raw, tmp_path_factory) -> Path:
    """``synth_raw`` converted to a Zarr store."""
    from mmme_analysis.convert import convert

    return convert(synth_raw, tmp_path_factory.mktemp("store") / "s.zarr", progress=False)


@pytest.fixture(scope="session")
def truth(synth_raw) -> dict:
    import json

    return json.loads((synth_raw / "ground_truth.json").read_text())


def tree_digest(root: Path) -> dict:
    """{relative path: sha1} of every file below ``root`` (to prove raw data is untouched)."""
    import hashlib

    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def _video_index_cache(tmp_path_factory):
    """Video seek indexes of the test videos go to a temporary folder, not ~/.cache."""
    import os

    old = os.environ.get("MMME_CACHE_DIR")
    os.environ["MMME_CACHE_DIR"] = str(tmp_path_factory.mktemp("video-index"))
    yield
    if old is None:
        os.environ.pop("MMME_CACHE_DIR", None)
    else:
        os.environ["MMME_CACHE_DIR"] = old
