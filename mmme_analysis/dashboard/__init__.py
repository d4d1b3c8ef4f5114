"""Explorer dashboard: frame-exact video scrubbing linked to EEG, peripheral signals,
annotations, model predictions and clock alignment (Panel + Bokeh).

``Explorer(dataset)`` displays in JupyterLab (it loads Panel's extension itself, see
:mod:`~mmme_analysis.dashboard.notebook`); ``panel serve dashboards/explorer.py`` serves it.
The open trial's data is a :class:`TrialState`; prediction files are read by
:func:`read_predictions` (format documented in :mod:`mmme_analysis.dashboard.predictions`).

Modules, one job each: ``trial_state`` (the open trial and what is derived from it),
``frames`` (frame timing, reading, caching), ``encoding`` (scaling, JPEG/PNG, placeholders),
``downsample`` (traces to plot width), ``channels`` (scalp regions), ``predictions``
(prediction CSVs), ``timeline`` (cursor, visible range, linked figures), ``cursor`` (the
cursor line drawn over the figures), one view per
modality (``video_view``, ``annotations_view``, ``predictions_view``, ``eeg_view``,
``peri_view``, ``alignment_view``), ``notes`` (what a trial lacks and why, in pseudonyms),
``player`` (the frame player component), ``worker``
(its frame requests, worked off the server's event loop), ``styles`` (colours) and
``explorer`` (the app composing them).

The correlation explorer (``CorrelationExplorer``, ``panel serve dashboards/correlations.py``)
is ``correlations`` (the app) over ``correlations_data`` (event table, choices, results, from
:mod:`mmme_analysis.stats.pair_correlations`: correlations, FDR, rmcorr, mixed model,
permutation null, leave-one-subject-out), ``correlations_plots`` (HoloViews elements), ``correlations_views``
(one view per concern) and ``correlations_export`` (CSV, PNG, SVG, HTML).
"""
from .frames import Frame, VideoInfo
from .predictions import PREDICTION_FORMATS, Predictions, read_predictions
from .styles import EMOTION_COLORS

__all__ = ["CorrelationData", "CorrelationExplorer", "EMOTION_COLORS", "PREDICTION_FORMATS", "Explorer", "FramePlayer",
           "Frame", "Predictions", "TrialState", "VideoInfo", "read_predictions"]

#: Panel/Bokeh views and the trial state are imported on first use
_LAZY = {"Explorer": "explorer", "FramePlayer": "player", "TrialState": "trial_state",
         "CorrelationExplorer": "correlations", "CorrelationData": "correlations_data"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'mmme_analysis.dashboard' has no attribute {name!r}")
