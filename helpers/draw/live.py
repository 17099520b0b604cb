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
from typing import TYPE_CHECKING, Any, Callable

from IPython.display import display

from .gantt import draw_gantt, figure_png

if TYPE_CHECKING:
    from ..model import Trace
    from ..record.recorder import Recorder


def _png(figure: Any) -> str:
    return base64.b64encode(figure_png(figure)).decode("ascii")


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

    def _draw(self, trace: "Trace | None", final: bool = False) -> str:
        from ..model import build_trace

        if trace is None:
            trace = build_trace(self.recorder, self.clock)
        now = max(self.now(), trace.duration)
        figure = draw_gantt(trace, loop_lane=self.loop_lane, upto=None if final else now,
                            now=None if final else now, xmax=max(now, 1.0) if not final else None,
                            title=None if final else f"running… {now:.1f} s", fast=not final)
        self.frames += 1
        return _png(figure)

    def _bundle(self, png: str) -> dict[str, str]:
        return {"image/png": png, "text/plain": self.text}

    def frame(self) -> None:
        """Redraw what has happened so far."""
        self.handle.update(self._bundle(self._draw(None)), raw=True)

    def finish(self, trace: "Trace") -> None:
        """The last frame: the complete chart."""
        self.handle.update(self._bundle(self._draw(trace, final=True)), raw=True)
