"""Timers that fired late: the mark on the time chart between a timer's due time and its firing.

On the real clock a timer falls due while a step holds the loop, and fires only when the step
ends (the loop looks at its timers between steps). The woken task's wait then lasts longer
than it asked for; the chart draws that extra stretch in red on the task's lane, from the
instant the timer was due to the instant it fired, with "late 0.8 s" under it where it fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Trace

LATE_SECONDS = 0.1   # as a stall (model.STALL_SECONDS): shorter delays are the loop's usual jitter
COLOUR = "#d62728"


def late_timers(trace: "Trace", upto: float | None = None) -> list[tuple[int, float, float]]:
    """(task lane, due, fired) of every timer that woke a task LATE_SECONDS or more after its due time."""
    rows = []
    for lane, task in enumerate(trace.tasks):
        for step in task.steps:
            if step.late >= LATE_SECONDS and (upto is None or step.ready <= upto):
                rows.append((lane, step.ready - step.late, step.ready))
    return rows


def draw_late_timers(ax: Any, rows: list[tuple[int, float, float]], offset: int, inches: float, span: float,
                     labelled: bool) -> None:
    """A red stretch over the wait, from due to fired, with a tick at the due time."""
    for lane, due, fired in rows:
        y = lane + offset
        ax.plot([due, fired], [y, y], color=COLOUR, linewidth=2.2, solid_capstyle="butt", zorder=4)
        ax.plot([due, due], [y - 0.22, y + 0.22], color=COLOUR, linewidth=1.2, zorder=4)
        text = f"late {fired - due:.1f} s"
        if labelled and (fired - due) * inches / span >= 0.06 * len(text):
            ax.text((due + fired) / 2, y + 0.2, text, ha="center", va="top", fontsize=7, color=COLOUR,
                    zorder=5, parse_math=False)
