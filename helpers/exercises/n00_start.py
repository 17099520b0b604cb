"""Exercises of notebooks/00_start_here.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace


@exercise("00-breakfast")
def breakfast(trace: "Trace") -> Verdict:
    """Three breakfast jobs (2 s, 3 s, 4 s) as three tasks: ready at 4 s, not 9 s."""
    eggs = tasks_running(trace, "boil_eggs")
    if not eggs:
        return not_yet("The chart has no lane for boil_eggs(): it never ran as a task of its own. "
                       "Start it with asyncio.create_task(boil_eggs()) next to the other two.")
    if eggs[0].finished is None or abs(eggs[0].finished - eggs[0].created - 4) > 1e-6:
        return not_yet("boil_eggs() should wait 4 s: await asyncio.sleep(4) inside it.")
    if trace.duration > 4 + 1e-6:
        return not_yet(f"Breakfast was ready at {seconds(trace.duration)}. The eggs' lane starts only "
                       "after another lane ends: create all three tasks before awaiting any of them.")
    return solved(f"All three jobs waited at the same time, so breakfast was ready at "
                  f"{seconds(trace.duration)}: the longest job, not the sum of all three.")
