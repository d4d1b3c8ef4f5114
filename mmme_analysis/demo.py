"""The built-in demo dataset, as MNE's ``datasets.sample``: :func:`data_path` returns its path.

Generated on first use, cached, then reused. The cache folder is ``$MMME_DATA_HOME`` if
set, else ``~/.cache/mmme-analysis``. The demo (raw layout and its Zarr store) is built in
a temporary sibling folder and renamed into place when complete, so concurrent first uses
cannot see a half-written demo.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ._validate import check_option

__all__ = ["cache_dir", "data_path", "DEMO_VERSION"]

#: bump when the generator's output or the store layout changes, so cached demos are rebuilt
DEMO_VERSION = "demo-v6"


def _demo_config():
    """The demo: 2 participants x 3 trials x 10 s (about a minute to build on 2 cores)."""
    from .synth.generator import SynthConfig

    return SynthConfig(n_subjects=2, n_trials=3, duration=10.0, rest=2.0, seed=2026)


def cache_dir() -> Path:
    """Folder holding cached generated data."""
    env = os.environ.get("MMME_DATA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmme-analysis"


def _build(progress: bool) -> Path:
    target = cache_dir() / DEMO_VERSION
    if (target / "store.zarr" / "zarr.json").is_file():
        return target
    from .convert import convert
    from .synth.generator import synthesize

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


def data_path(kind: str = "store", *, progress: bool = False) -> Path:
    """Path of the demo dataset, generated and converted on first use.

    Parameters
    ----------
    kind : ``"store"`` | ``"raw"``
        The Zarr store, or the raw MMME-layout folder it was converted from.
    progress : bool
        Show progress bars while building it the first time.

    Returns
    -------
    Path

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> mm.demo.data_path().name, mm.demo.data_path("raw").name
    ('store.zarr', 'raw')
    """
    check_option("kind", kind, ("store", "raw"))
    return _build(progress) / ("store.zarr" if kind == "store" else "raw")
