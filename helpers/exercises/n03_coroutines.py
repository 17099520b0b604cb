"""Exercises of notebooks/03_coroutine_objects.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6
SLEEP = 2.0


@exercise("03-make-it-run")
def make_it_run(trace: "Trace") -> Verdict:
    """water_plants() (a 2 s sleep) must really run: awaited inside main(), or as a finished task."""
    main = trace.tasks[0].coroutine
    runs = calls_of(trace, "water_plants")
    if not runs:
        ticks = len(trace.tasks[0].steps)
        shape = "a single blue tick at 0 s" if ticks == 1 else f"{ticks} blue ticks"
        return not_yet(f"The chart has one lane, {main}(), with {shape}, and no step of "
                       f"it ever paused inside water_plants(): its body never ran. Calling "
                       f"water_plants() only made a coroutine object, and {main}() threw it away (that is "
                       "what the warning above says). Put `await` in front of the call.")
    for lane in tasks_running(trace, "water_plants"):
        if lane.outcome == "cancelled":
            return not_yet(f"water_plants() got a lane of its own, but it ends with a grey square: it was "
                           f"cancelled because {main}() was already done. Simply await the coroutine in "
                           f"{main}(): `await water_plants()`.")
    start, end = runs[0]
    if end - start < SLEEP - EPSILON:
        return not_yet(f"water_plants() ran, but only for {seconds(end - start)}: let it keep its "
                       f"`await asyncio.sleep({SLEEP:g})`.")
    if trace.duration < SLEEP - EPSILON:
        return not_yet(f"The run ended at {seconds(trace.duration)}, before water_plants() was done: "
                       f"{main}() must wait for it.")
    inside = [s for s in trace.tasks[0].steps if "water_plants" in s.coroutines[1:]]
    if inside:
        where = " > ".join(inside[0].coroutines)
        return solved(f"At {seconds(inside[0].start)} the step of {main}() paused inside {where}, on "
                      f"{inside[0].waits_on}: the body of water_plants() ran, in {main}()'s own lane, and "
                      f"the run took {seconds(trace.duration)}.")
    return solved(f"water_plants() ran on a lane of its own for {seconds(end - start)}, and {main}() waited "
                  f"for it: the run took {seconds(trace.duration)}. (A plain `await water_plants()` does "
                  f"the same without a second lane.)")
