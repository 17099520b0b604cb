"""The chart drawn while the run goes on: one notebook output, updated in place.

It uses plain display updates (``display(..., display_id=True)`` then
``update``), which JupyterLab, Colab and nbclient all apply, so it needs no
widget library. The loop calls `LiveChart.frame` about ten times a second while
time passes (see `TracingLoop.frame_if_due`); `finish` shows the complete chart
(in an image widget, where the front end runs widgets) and leaves, for wherever
nothing runs (a stored notebook, GitHub, a static export), a filmstrip of the
run's key moments (`helpers.draw.filmstrip`): not the final chart a third time.
Its text form never changes between frames, so a re-run compares equal.

Every frame is drawn as the final chart is (same width, resolution and layout),
so the last frame *is* the chart and the page does not jump when the run ends.
The time axis stays put while the dashed line of "now" travels across it: on
the virtual clock it reaches the last timer pending in the loop (the run lasts
at least that long), elsewhere it grows in steps (doubling) when now reaches it.
Each frame's now and x-limits are kept in `shown` and sent in the update's
metadata (``helpers/live``), for tests and tools to read.
"""

from __future__ import annotations

import base64
from asyncio import events
from typing import TYPE_CHECKING, Any, Callable

from IPython.display import display

from .filmstrip import filmstrip
from .gantt import draw_gantt
from .player import quick_png

if TYPE_CHECKING:
    from ..model import Trace
    from ..record.recorder import Recorder

META = "helpers/live"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class LiveChart:
    """A Gantt chart in one output area, redrawn as the recorder's log grows."""

    def __init__(self, recorder: "Recorder", clock: str, name: str, loop_lane: bool,
                 now: Callable[[], float] | None = None) -> None:
        self.recorder = recorder
        self.now = now or recorder.clock_time
        self.loop = getattr(now, "__self__", None)   # the loop whose shown_time `now` is, if it is one
        self.clock = clock
        self.loop_lane = loop_lane
        self.text = f"<live Gantt chart of {name}()>"
        self.frames = 0
        self.end: float | None = None     # where the time axis ends: it only ever grows
        self.shown: list[tuple[float, tuple[float, float]]] = []   # per frame: (now, x-limits)
        self._layout_key: Any = None
        self._box: Any = None
        self._final_view: Any = None      # the image widget holding the final chart, kept alive
        # The first output is text only (drawing takes longer than the run should wait);
        # frames replace it with pictures, and its text never changes.
        self.handle = display({"text/plain": self.text}, raw=True, display_id=True)

    def last_timer(self) -> float | None:
        """When the last timer pending in the loop is due (virtual clock), or None."""
        if self.clock != "virtual":
            return None   # the real clock's timers are on the loop's own time scale, not the run's
        loop = self.loop if self.loop is not None else events._get_running_loop()
        due = [h._when for h in getattr(loop, "_scheduled", ()) if not h._cancelled]
        return max(due) if due else None

    def axis_end(self, now: float) -> float:
        """Where the time axis ends for a frame at `now`: fixed while the run's end is known."""
        last = self.last_timer()
        known = max(now, last if last is not None else 0.0)
        if self.end is None or known > self.end:
            if last is not None:
                self.end = known   # the run lasts at least until its last timer fires
            else:
                end = self.end or 1.0
                while end < known:
                    end *= 2
                self.end = end
        return self.end

    def _draw(self) -> tuple[str, dict[str, Any]]:
        """What has happened so far, up to the dashed line of "now"."""
        from ..model import build_trace

        trace = build_trace(self.recorder, self.clock)
        now = max(self.now(), trace.duration)
        figure = draw_gantt(trace, loop_lane=self.loop_lane, upto=now, now=now, xmax=self.axis_end(now))
        ax = figure.axes[0]
        self._lay_out(figure)
        ax.set_xlabel(f"{ax.get_xlabel()} · running, now {now:.1f} s (the dashed line)")
        xlim = tuple(float(x) for x in ax.get_xlim())
        self.shown.append((now, xlim))
        self.frames += 1
        png = base64.b64encode(quick_png(figure)).decode("ascii")
        return png, {META: {"frame": self.frames, "now": now, "xlim": list(xlim)}}

    def _lay_out(self, figure: Any) -> None:
        """Lay the frame out as the final chart is (constrained layout), but only when something that
        sets the margins changed (lanes, legend, axis): between, the last box is reused, which
        saves about a third of the time a frame takes."""
        ax = figure.axes[0]
        legend = ax.get_legend()
        key = (tuple(figure.get_size_inches()), ax.get_xlim(),
               tuple(t.get_text() for t in ax.get_yticklabels()),
               tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ())
        if key != self._layout_key:
            engine = figure.get_layout_engine()
            if engine is not None:
                engine.execute(figure)
            self._layout_key, self._box = key, ax.get_position()
        figure.set_layout_engine("none")
        ax.set_position(self._box)

    def _bundle(self, png: str) -> dict[str, str]:
        return {"image/png": png, "text/plain": self.text}

    def frame(self) -> None:
        """Redraw what has happened so far."""
        png, metadata = self._draw()
        self.handle.update(self._bundle(png), raw=True, metadata=metadata)

    def finish(self, trace: "Trace") -> None:
        """The last frame: the complete chart where the front end runs widgets, a filmstrip elsewhere.

        The chart goes in a small image widget, shown as the frames were (same size: the page does
        not jump); the output's picture (``image/png``), which a stored notebook, GitHub or a static
        export show instead, is the filmstrip: key moments of the run, not the final chart again.
        A run stopped with the stop button ends on the chart alone: the button promises "at once".
        """
        final = trace.chart(loop_lane=self.loop_lane).png()
        self.frames += 1
        if trace.interrupted is not None:
            self.handle.update(self._bundle(base64.b64encode(final).decode("ascii")), raw=True)
            return
        bundle = self._bundle(base64.b64encode(still_of(trace, final)).decode("ascii"))
        self._final_view = chart_widget(final)
        if self._final_view is not None:
            bundle[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0, "model_id": self._final_view.model_id}
        self.handle.update(bundle, raw=True)


def still_of(trace: "Trace", final: bytes) -> bytes:
    """The filmstrip of `trace` as PNG; the final chart if it cannot be drawn (the run's own error,
    if any, must not be hidden behind one of drawing)."""
    try:
        return filmstrip(trace).png()
    except Exception:
        return final


def chart_widget(png: bytes) -> Any:
    """An image widget holding `png`, shown as the live frames were; None without ipywidgets."""
    try:
        import ipywidgets as w
        return w.Image(value=png, format="png", layout=w.Layout(margin="0"), _dom_classes=["asyncio-live"])
    except Exception:   # no ipywidgets, or none that works here: the filmstrip alone
        return None
