"""The chart drawn while the run goes on: one notebook output, updated in place.

It uses plain display updates (``display(..., display_id=True)`` then
``update``), which JupyterLab, Colab and nbclient all apply, so it needs no
widget library. The loop calls `LiveChart.frame` about ten times a second while
time passes (see `TracingLoop.frame_if_due`); `finish` draws the complete trace,
so the output a notebook keeps is the full picture. Its text form never changes
between frames, so a re-run compares equal.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Callable

from IPython.display import display

from .gantt import draw_gantt, figure_png

if TYPE_CHECKING:
    from ..model import Trace
    from ..record.recorder import Recorder


class LiveChart:
    """A Gantt chart in one output area, redrawn as the recorder's log grows."""

    def __init__(self, recorder: "Recorder", clock: str, name: str, loop_lane: bool,
                 now: Callable[[], float] | None = None) -> None:
        self.recorder = recorder
        self.now = now or recorder.clock_time
        self.clock = clock
        self.loop_lane = loop_lane
        self.text = f"<live Gantt chart of {name}()>"
        self.frames = 0
        # The first output is text only (drawing takes longer than the run should wait);
        # frames replace it with pictures, and its text never changes.
        self.handle = display({"text/plain": self.text}, raw=True, display_id=True)

    def _draw(self) -> str:
        """What has happened so far, up to the dashed line of "now"."""
        from ..model import build_trace

        trace = build_trace(self.recorder, self.clock)
        now = max(self.now(), trace.duration)
        figure = draw_gantt(trace, loop_lane=self.loop_lane, upto=now, now=now, xmax=max(now, 1.0),
                            title=f"running… {now:.1f} s", fast=True)
        self.frames += 1
        return base64.b64encode(figure_png(figure)).decode("ascii")

    def _bundle(self, png: str) -> dict[str, str]:
        return {"image/png": png, "text/plain": self.text}

    def frame(self) -> None:
        """Redraw what has happened so far."""
        self.handle.update(self._bundle(self._draw()), raw=True)

    def finish(self, trace: "Trace") -> None:
        """The last frame: the complete chart."""
        final = trace.chart(loop_lane=self.loop_lane).png()
        self.frames += 1
        self.handle.update(self._bundle(base64.b64encode(final).decode("ascii")), raw=True)
