"""mmme-analysis: multimodal micro-expression research in xarray.

Subpackages are reached as attributes and imported on first use (``mm.physio``,
``mm.stats``, ...), as in MNE-Python. See ``docs/architecture.md`` for the layers and
``docs/data_model.md`` for the data model.
"""
import importlib

from ._warnings import MMMEWarning

__version__ = "0.1.0"

#: subpackages and modules reachable as attributes (imported lazily)
SUBMODULES = (
    "alignment", "cli", "convert", "dashboard", "dataset", "demo", "eeg", "errors", "flow", "io", "models",
    "physio", "stats", "synth", "training", "video", "vocab",
)

__all__ = ["MMMEWarning", "open_dataset", "read_coding_file", "__version__", *SUBMODULES]


def __getattr__(name):  # lazy imports keep ``import mmme_analysis`` fast
    if name == "read_coding_file":
        from .io.coding import read_coding_file

        return read_coding_file
    if name == "open_dataset":
        from .dataset import open_dataset

        return open_dataset
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mmme_analysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
