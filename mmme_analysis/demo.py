"""The built-in demo dataset: generated on first use, cached, then reused.

The cache folder is ``$MMME_DATA_HOME`` if set, else ``~/.cache/mmme-analysis``. The demo
(raw layout and its Zarr store) is built in a temporary sibling folder and renamed into
place when complete, so concurrent first uses cannot see a half-written demo.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "demo_path", "demo_raw_path"]

#: bump when the generator's output changes, so cached demos are rebuilt
DEMO_VERSION = "demo-v2"


def _demo_config():
    """The demo: 2 participants x 3 trials x 10 s (about a minute to build on 2 cores)."""
    from .synth.generator import SynthConfig

    return SynthConfig(n_subjects=2, n_trials=3, duration=10.0, rest=2.0, seed=2026)


def cache_dir() -> Path:
    """Folder holding cached generated data."""
    env = os.environ.get("MMME_DATA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmme-analysis"


def _build(progress: bool) -> Path:
    from .store import convert
    from .synth.generator import synthesize

    target = cache_dir() / DEMO_VERSION
    if (target / "store.zarr" / "zarr.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{DEMO_VERSION}.", dir=target.parent))
    try:
        synthesize(tmp / "raw", _demo_config(), progress=progress)
        convert(tmp / "raw", tmp / "store.zarr", progress=progress)
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first: use theirs
            if not (target / "store.zarr" / "zarr.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def demo_path(*, progress: bool = False) -> Path:
    """Zarr store of the demo dataset (generated and converted on first use)."""
    return _build(progress) / "store.zarr"


def demo_raw_path(*, progress: bool = False) -> Path:
    """Raw-layout folder of the demo dataset (generated on first use)."""
    return _build(progress) / "raw"
