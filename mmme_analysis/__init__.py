"""mmme-analysis: multimodal micro-expression research in xarray.

See ``docs/data_model.md`` for the data model shared by every layer.
"""
from ._warnings import MMMEWarning

__version__ = "0.1.0"

__all__ = ["MMMEWarning", "open_dataset", "read_coding_file", "__version__"]


def __getattr__(name):  # lazy imports keep ``import mmme_analysis`` fast
    if name == "read_coding_file":
        from .io.coding import read_coding_file

        return read_coding_file
    if name == "open_dataset":
        from .dataset import open_dataset

        return open_dataset
    raise AttributeError(f"module 'mmme_analysis' has no attribute {name!r}")
