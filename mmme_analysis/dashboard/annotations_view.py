"""Annotations view of the Explorer: the coded expressions, as a track and as a list."""
from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, HoverTool, LabelSet, Range1d

from .styles import EMOTION_COLORS, color_of
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["AnnotationsView"]

_BUTTON_CSS = ":host .bk-btn { font-size: 11px; padding: 2px 4px; text-align: left; overflow: hidden; text-overflow: ellipsis; }"
_JUMP_CSS = ":host .bk-btn { font-size: 11px; padding: 2px; }"


class AnnotationsView(pn.viewable.Viewer):
    """Annotated expressions of the open trial.

    The track shades each expression from onset to offset, draws its apex and its AUs;
    the list (:meth:`event_list`) has one button per expression (jump to its apex) and
    buttons to jump to its onset, apex and offset.

    Parameters
    ----------
    timeline : Timeline
        Cursor shared with the other views.
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    colors = param.Dict(default=dict(EMOTION_COLORS), doc="Colour of each emotion (others grey).")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.events = pd.DataFrame(columns=["onset", "apex", "offset", "kind", "emotion", "emotion3", "aus"])
        self.figure = None
        self.buttons = []
        self._plot = pn.Column(margin=0)
        self._list = pn.Column(margin=0)

    def colored(self, events: pd.DataFrame) -> pd.DataFrame:
        """``events`` with a ``color`` column (the colour of each emotion)."""
        return events.assign(color=[color_of(e, self.colors) for e in events["emotion"]])

    def load(self, state: TrialState) -> None:
        """Draw the expressions of ``state`` (after ``timeline.reset``)."""
        self.state = state
        self.events = self.colored(state.events())
        self.figure = self._track()
        self._plot.objects = [pn.pane.Bokeh(self.figure, margin=(0, 0))]
        self._list.objects = self._rows()

    def _track(self):
        ev = self.events
        f = self.timeline.figure("annotations", 120, "events", y_range=Range1d(0, 1))
        f.yaxis.visible = False
        f.title.text = "Annotations (onset-offset shaded, apex line, AUs)"
        if not len(ev):
            return f
        kinds = ["ME" if k == "micro" else "MaE" for k in ev["kind"]]
        src = ColumnDataSource(dict(
            left=ev["onset"].to_numpy(float),
            right=np.fmax(ev["offset"].to_numpy(float), ev["apex"].to_numpy(float)),
            apex=ev["apex"].to_numpy(float), color=list(ev["color"]),
            label=[f"{k} {a}" for k, a in zip(kinds, ev["aus"])],
            kind=list(ev["kind"]), emotion=list(ev["emotion"]), aus=list(ev["aus"]),
            y=np.where(np.arange(len(ev)) % 2 == 0, 0.62, 0.12),
        ))
        q = f.quad(left="left", right="right", bottom=0.05, top=0.95, color="color", fill_alpha=0.35,
                   line_alpha=0.8, source=src)
        f.segment(x0="apex", x1="apex", y0=0.0, y1=1.0, color="color", line_width=2, source=src)
        f.add_layout(LabelSet(x="left", y="y", text="label", source=src, text_font_size="10px", x_offset=2))
        f.add_tools(HoverTool(renderers=[q], tooltips=[
            ("kind", "@kind"), ("emotion", "@emotion"), ("AUs", "@aus"), ("onset", "@left{0.000} s"),
            ("apex", "@apex{0.000} s"), ("offset", "@right{0.000} s")]))
        return f

    def _rows(self) -> list:
        self.buttons = []
        if not len(self.events):
            return [pn.pane.Markdown("*No annotated expression in this trial.*")]
        rows = []
        for k, e in enumerate(self.events.itertuples()):
            kind = "ME" if e.kind == "micro" else "MaE"
            target = float(e.apex) if np.isfinite(float(e.apex)) else float(e.onset)
            main = pn.widgets.Button(label=f"{kind} {k + 1}: {e.emotion} \u00b7 {target:.3f} s", color="light",
                                     width=162, margin=(2, 2), stylesheets=[_BUTTON_CSS], css_classes=["mmme-event"],
                                     styles={"border-left": f"6px solid {e.color}"})
            main.on_click(self._seeker(target))
            jumps = []
            for what, label in (("onset", "on"), ("apex", "apex"), ("offset", "off")):
                t = float(getattr(e, what))
                b = pn.widgets.Button(label=label, width=40, margin=(2, 1), color="default", stylesheets=[_JUMP_CSS],
                                      disabled=not np.isfinite(t))
                b.on_click(self._seeker(t))
                jumps.append(b)
            self.buttons.append([main, *jumps])
            rows.append(pn.Row(main, *jumps, margin=0))
        return [pn.Column(*rows, margin=0, scroll=True, max_height=300)]

    def _seeker(self, t: float):
        def seek(_event):
            if np.isfinite(t):
                self.timeline.seek(t)
        return seek

    def event_list(self):
        """The list of expressions (for a sidebar)."""
        return self._list

    def __panel__(self):
        return self._plot
