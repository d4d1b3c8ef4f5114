"""Colours, units and plot styles shared by the Explorer's views (constants only)."""
from __future__ import annotations

__all__ = ["CURSOR", "DISPLAY_UNITS", "EMOTION_COLORS", "GROUP_COLORS", "OTHER_COLOR", "PLOT_BORDER_LEFT",
           "color_of"]

#: Colour of each canonical emotion (``mmme_analysis.vocab.EMOTION_CLASSES``; the trial
#: tree holds canonical names, not raw labels) and 3-class composite; anything else is grey.
EMOTION_COLORS = {
    "happiness": "#e6b800",
    "disgust": "#2ca02c",
    "anger": "#d62728",
    "fear": "#9467bd",
    "sadness": "#1f77b4",
    "surprise": "#ff7f0e",
    "contempt": "#8c564b",
    "tense": "#17becf",
    "positive": "#e6b800", "negative": "#d62728",
}

#: Colour of anything without its own colour.
OTHER_COLOR = "#7f7f7f"

#: Trace colour of each EEG display group (:func:`~mmme_analysis.dashboard.channels.channel_group`).
GROUP_COLORS = {"frontal": "#1f4e79", "central": "#2e7d32", "temporal": "#8e44ad", "parietal": "#b35900",
                "occipital": "#7b1f1f", "other": "#444444"}

#: Display unit of each stored unit: (factor, label).
DISPLAY_UNITS = {"V": (1e3, "mV"), "S": (1e6, "µS"), "degC": (1.0, "°C")}

#: Left border of every time-series plot (pixels), so that their time axes line up.
PLOT_BORDER_LEFT = 90

#: Style of the time cursor line drawn over the figures (:mod:`~mmme_analysis.dashboard.cursor`).
CURSOR = dict(line_color="#d00000", line_width=1.5)


def color_of(name, colors: dict, default: str = OTHER_COLOR) -> str:
    """Colour of ``name`` in ``colors`` (case-insensitive), ``default`` when absent."""
    return colors.get(str(name).lower(), default)
