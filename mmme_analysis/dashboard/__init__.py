"""Explorer dashboard: frame-exact video scrubbing linked to EEG, peripheral signals,
annotations, model predictions and clock alignment (Panel + Bokeh).

``Explorer(dataset)`` displays in JupyterLab; ``panel serve dashboards/explorer.py`` serves
it. The data access layer is :class:`ExplorerStore`; prediction files are read by
:func:`read_predictions` (format documented in :mod:`mmme_analysis.dashboard.store`).
"""
from .store import PREDICTION_FORMATS, ExplorerStore, Frame, Predictions, VideoInfo, read_predictions

__all__ = ["PREDICTION_FORMATS", "Explorer", "ExplorerStore", "FramePlayer", "Frame", "Predictions",
           "VideoInfo", "read_predictions"]


def __getattr__(name):  # Panel/Bokeh views are imported on first use
    if name == "Explorer":
        from .explorer import Explorer

        return Explorer
    if name == "FramePlayer":
        from .player import FramePlayer

        return FramePlayer
    raise AttributeError(f"module 'mmme_analysis.dashboard' has no attribute {name!r}")
