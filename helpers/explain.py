"""Words for the learner: how a run ended when it did not end plainly, and what blocked the loop.

Printed after a traced run (on stdout in a notebook, on stderr on the command
line), and a clearer "never awaited" warning during it.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any, Iterator

from .model import Trace

# A step's real time is noted in words only from here on. The chart draws every stall of 0.1 s and
# more (model.STALL_SECONDS), but a busy machine can hold a plain step that long by itself (a step
# making 10,000 traced tasks took 0.6 s on a loaded 2-core machine), and the words are stored in
# the notebooks: the blocking calls the course shows last a second.
NOTE_SECONDS = 0.9


def explain_ending(trace: Trace, file: Any = None) -> None:
    """Tell the learner, in words, how the run ended if not plainly, and what blocked the loop."""
    def say(text: str) -> None:
        print(text, file=file or sys.stdout)

    if trace.deadlock:
        say(trace.deadlock)
    elif trace.runaway:
        say(trace.runaway)
    if trace.interrupted is not None:
        say(f"Interrupted at {trace.interrupted:.2f} s: the run stopped there and its tasks were cancelled,"
            " as asyncio.run() does on Ctrl-C. The chart shows the run up to that moment.")
    ended_plainly = not (trace.deadlock or trace.runaway or trace.interrupted is not None)
    left = [trace.tasks[t] for t in trace.leftovers if t != 0]
    if ended_plainly and left:
        names = ", ".join(f"{t.name} {t.coroutine}()" for t in left[:5]) + (" ..." if len(left) > 5 else "")
        one = len(left) == 1
        say(f"Note: {names} {'was' if one else 'were'} still unfinished when the main coroutine ended,"
            f" so {'it was' if one else 'they were'} cancelled (the grey square{'' if one else 's'}):"
            " asyncio.run() cancels every task left over.")
    destroyed = [t for t in trace.tasks if t.destroyed is not None]
    for task in destroyed[:3]:
        say(f"Note: {task.name} {task.coroutine}() was destroyed by the garbage collector at {task.destroyed:.2f} s"
            " while it was still waiting (the dagger): nothing kept a reference to it, so it never finished."
            " Keep a reference to every task you create (a set, or a TaskGroup).")
    if not trace.deadlock:
        for since, cycle in trace.stuck:
            names = [trace.tasks[t].name for t in cycle] + [trace.tasks[cycle[0]].name]
            say(f"Stuck since {since:.2f} s: {names[0]} waits on " + ", which waits on ".join(names[1:])
                + ". Tasks waiting on each other never finish (unless something cancels them).")
    for stall in [s for s in trace.stalls if s.real_duration >= NOTE_SECONDS][:3]:
        task = trace.tasks[stall.task]
        where = " > ".join(task.steps[stall.step].coroutines) or task.coroutine
        text = (f"Note: {task.name} held the loop for {stall.real_duration:.1f} s of real time in one step"
                f" (which ended in {where}), so no other task could run. A blocking call such as time.sleep()"
                " inside a coroutine does that; await asyncio.sleep() lets the loop go on.")
        if trace.clock == "virtual":
            text += (" The virtual clock does not count real time spent inside a step:"
                     " trace with clock='real' to see the stall on the chart.")
        say(text)


@contextlib.contextmanager
def explained_warnings() -> Iterator[None]:
    """Add an explanation to "coroutine ... was never awaited" warnings."""
    shown = warnings.showwarning

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        text = str(message)
        if category is RuntimeWarning and "was never awaited" in text:
            name = text.split("'")[1].rsplit(".<locals>.", 1)[-1] if "'" in text else "a coroutine"
            print(f"Warning: coroutine {name}() was called but never awaited, so its body never ran. "
                  f"Calling a coroutine function only makes a coroutine object; write "
                  f"`await {name}(...)`, or wrap it in asyncio.create_task(...).",
                  file=sys.stderr)
            return
        shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", RuntimeWarning)
        warnings.showwarning = show
        yield
