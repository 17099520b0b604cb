"""Exercises of notebooks/05_tasks.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6
WANTED = [1.0, 2.0, 3.0]


@exercise("05-three-jobs")
def three_jobs(trace: "Trace") -> Verdict:
    """Three jobs (1 s, 2 s, 3 s) as three overlapping tasks: main() done at 3 s, not 6 s."""
    runs = calls_of(trace, "job")
    took = seconds(trace.duration)
    main = trace.tasks[0].coroutine
    if not runs:
        return not_yet("The chart shows no job() at all. Keep job(1), job(2) and job(3) in "
                       f"{main}(), each one started once.")
    lanes = tasks_running(trace, "job")
    if not lanes:
        return not_yet(f"The run took {took}: the chart has a single lane, {main}(), and its waits "
                       "sit end to end, one job after another. `await job(1)` runs the job inside "
                       f"{main}() itself, and {main}() cannot go on before it returns. Turn each job "
                       "into a task of its own (asyncio.create_task, or asyncio.gather), start all "
                       "three, and only then wait for them.")
    for lane in lanes:
        if lane.outcome == "cancelled":
            return not_yet(f"The lane {lane.label} ends with a grey square: it was cancelled, because "
                           f"{main}() returned before the job was done. {main}() must wait for all "
                           "three tasks before it returns (asyncio.wait or asyncio.gather).")
        if lane.outcome != "result":
            return not_yet(f"The lane {lane.label} did not end with a result ({lane.detail or 'unfinished'}). "
                           "Let job() sleep and return as it does above.")
    lengths = sorted(round(t.finished - t.started, 6) for t in lanes
                     if t.started is not None and t.finished is not None)
    if len(lanes) != 3 or any(abs(a - b) > EPSILON for a, b in zip(lengths, WANTED)):
        shown = ", ".join(f"{x:g} s" for x in lengths)
        return not_yet(f"The chart has {len(lanes)} job() lane(s), lasting {shown}. The exercise has "
                       "three jobs of 1, 2 and 3 s: job(1), job(2) and job(3), one task each.")
    at_once = most_at_once(runs)
    if at_once < 3:
        together = "one at a time" if at_once == 1 else f"at most {at_once} at the same time"
        return not_yet(f"The run took {took}: the three job() lanes exist, but they waited {together}; "
                       "a lane starts only when another one has ended. "
                       "`await asyncio.create_task(job(1))` creates a task and waits for it at once. "
                       "Create all three tasks first, then wait for them all together.")
    if trace.duration > 3 + EPSILON:
        return not_yet(f"All three jobs waited at the same time and were done at 3 s, but {main}() "
                       f"kept the run going until {took}. Something else waited after them, such as "
                       "a guessed asyncio.sleep(...) like the tutorial's 5 s: wait for the tasks "
                       "themselves instead, and the run ends when the last one does.")
    return solved(f"The three job() lanes overlap, and {main}() finished at {took}: the time of the "
                  "longest job, not 1 + 2 + 3 = 6 s.")
