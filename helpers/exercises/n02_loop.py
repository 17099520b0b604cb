"""Exercises of notebooks/02_event_loop.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6


@exercise("02-finish-the-save")
def finish_the_save(trace: "Trace") -> Verdict:
    """A background save (2 s) must finish before the run ends, overlapping main's own 1 s."""
    saves = tasks_running(trace, "save_file")
    if not saves:
        if calls_of(trace, "save_file"):
            return not_yet(f"save_file() ran inside main() instead of as a task of its own, so main() did "
                           f"nothing else meanwhile and the run took {seconds(trace.duration)}. Keep "
                           "saving = asyncio.create_task(save_file()) at the start of main().")
        return not_yet("The chart has no lane for save_file(): it never ran. Start it with "
                       "saving = asyncio.create_task(save_file()) at the start of main().")
    save = saves[0]
    main = trace.tasks[0]
    if save.outcome == "cancelled":
        return not_yet(f"The save_file() lane ends with a grey square at {seconds(save.finished or 0)}: "
                       f"it was cancelled, because {main.coroutine}() was already done. When the main "
                       "coroutine returns the run is over, and every task still unfinished is cancelled. "
                       f"Make {main.coroutine}() wait for the saving task before it returns.")
    if save.outcome == "exception":
        return not_yet(f"save_file() ended with an exception ({save.detail}): let it sleep 2 s and print.")
    if save.outcome != "result" or save.finished is None:
        return not_yet("save_file() never finished. Let it run to its end: await the saving task in main().")
    if save.created > EPSILON:
        return not_yet(f"The save finished, but it only started at {seconds(save.created)}, after main's "
                       "own work, so the two did not overlap. Create the task first, then do the 1 s of "
                       "work, then wait for the task.")
    if trace.duration > save.finished + EPSILON:
        return not_yet(f"The save finished (green dot at {seconds(save.finished)}), but {main.coroutine}() "
                       f"kept the run going until {seconds(trace.duration)}. Instead of waiting a guessed "
                       f"number of seconds, await the task itself: {main.coroutine}() then waits exactly as "
                       "long as the save needs.")
    return solved(f"The save_file() lane ends with a green dot at {seconds(save.finished)}: "
                  f"{main.coroutine}() waited for it, so the run lasted until the save was done, and "
                  f"main's 1 s of work overlapped the save ({seconds(trace.duration)} in all).")
