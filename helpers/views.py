"""The shortcuts on a `Trace` to its viewers: ``t.chart()``, ``t.steps_chart()``, ``t.filmstrip()``, ...

The model does not know its viewers; this module (imported by `helpers`) hands
them to it, so arrows go only from the viewers to the model. Each import is
made when the view is first asked for: ``import helpers`` stays fast.
"""

from __future__ import annotations

from typing import Any

from .model import Trace


def chart(self: Trace, *, steps: bool = False, **options: Any) -> Any:
    """A Gantt chart of this trace (see `helpers.draw.gantt.draw_gantt`); steps=True adds the
    loop's steps below it (`steps_chart`): what happened inside each instant."""
    if steps:
        from .draw.steps import time_and_steps
        return time_and_steps(self, **options)
    from .draw.gantt import Chart
    return Chart(self, **options)


def steps_chart(self: Trace, **options: Any) -> Any:
    """The loop's steps, one column each, in the order it ran them (see `helpers.draw.steps`)."""
    from .draw.steps import StepsChart
    return StepsChart(self, **options)


def table(self: Trace) -> str:
    """The same trace as a table of events, for reading rather than looking."""
    from .draw.table import event_table
    return event_table(self)


def replay(self: Trace, max_steps: int = 120) -> Any:
    """A player that steps through the run one loop step at a time (a notebook widget)."""
    from .draw.player import Player
    return Player(self, max_steps)


def filmstrip(self: Trace, **options: Any) -> Any:
    """A few key moments of the run side by side, each the chart at that loop step with its clock
    time, ready queue and caption: a still picture of the replay (``frames=6``, ``columns=``; see
    `helpers.draw.filmstrip`)."""
    from .draw.filmstrip import Filmstrip
    return Filmstrip(self, **options)


def to_json(self: Trace) -> dict[str, Any]:
    """The course's JSON format (see the README)."""
    from .export import trace_to_json
    return trace_to_json(self)


def to_chrome(self: Trace) -> dict[str, Any]:
    """Chrome's trace event format: opens in Perfetto."""
    from .export import trace_to_chrome
    return trace_to_chrome(self)


def _repr_png_(self: Trace) -> bytes:
    return self.chart()._repr_png_()


for _view in (chart, steps_chart, table, replay, filmstrip, to_json, to_chrome, _repr_png_):
    setattr(Trace, _view.__name__, _view)
