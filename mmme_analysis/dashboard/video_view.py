"""Video view of the Explorer: the trial's face video at the time cursor."""
from __future__ import annotations

import panel as pn
import param

from .player import FramePlayer
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["VideoView"]


class VideoView(pn.viewable.Viewer):
    """The frame at the cursor, with a slider, frame steps and playback.

    Moving the cursor shows the frame at the cursor; a frame chosen in the player (step,
    slider, playback) moves the cursor to that frame's time. Frames are scaled on the server
    to the size the page shows them at (the box the player reports, in device pixels).

    Parameters
    ----------
    timeline : Timeline
        Cursor shared with the other views.
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.player = FramePlayer(width=420)
        self.info = None
        self._none = pn.pane.Markdown("**No video in this trial.**", width=320)
        self._pane = pn.Column(self._none, margin=0)
        self.player.param.watch(self._on_player_frame, "frame")
        self.player.param.watch(self._fit, "display_box")

    def load(self, state: TrialState) -> None:
        """Show the video of ``state`` at the timeline's cursor."""
        self.state = state
        self.info = state.video_info()
        if self.info is None:
            self._pane.objects = [self._none]
            return
        info = self.info
        self._fit()
        self.player.set_source(state.frame, n_frames=info.n_frames, fps=info.fps, t_first=info.t_first,
                               frame=info.index(self.timeline.time), cached=state.frames.cached)
        self._pane.objects = [self.player]

    @param.depends("timeline.time", watch=True)
    def _on_time(self):
        if self.info is not None:
            self.player.show(self.info.index(self.timeline.time))

    def _on_player_frame(self, event):
        if self.info is not None:
            self.timeline.time = self.info.time(event.new)

    def _fit(self, *_):
        """Scale the frames of the open trial to the box the page shows them in."""
        box = self.player.display_box
        if self.info is not None and box is not None:
            self.state.frames.display_width = self.info.fit_width(*box)

    def __panel__(self):
        return self._pane
