"""Exercises of notebooks/06_futures.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import seconds

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6
FUTURE = "Future pending"


@exercise("06-resolve-the-future")
def resolve_the_future(trace: "Trace") -> Verdict:
    """main() awaits a Future; another task sets its result after 3 s and wakes main() up."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    if trace.deadlock:
        if len(trace.tasks) == 1:
            return not_yet(f"The run ended in a deadlock: the chart has a single lane, {name} waits on "
                           "'Future pending', and no other task exists that could ever set that "
                           "future, so it was cancelled (grey square). Start a second task with "
                           "asyncio.create_task(...) whose coroutine sleeps 3 s and then calls "
                           "set_result(...) on the future that main() awaits.")
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: {name} still waited "
                       "on its future when no other task was left to set it. Your other task "
                       "finished without putting a result into that future: after its 3 s sleep, "
                       "it should call set_result(...) on the very future main() awaits (pass it as "
                       "an argument).")
    if main.outcome == "exception":
        extra = ""
        if "InvalidStateError" in main.detail:
            extra = (" A Future takes one result only: set_result() was called on a future that was "
                     "already done (set twice, or cancelled).")
        return not_yet(f"{name} ended with an exception ({main.detail}).{extra}")
    if main.outcome != "result" or main.finished is None:
        return not_yet(f"{name} did not finish with a result: let it await the future and return "
                       "what it got.")
    waits = [i for i, step in enumerate(main.steps) if step.waits_on == FUTURE]
    if not waits:
        return not_yet(f"{name} never waited on the future: its lane has no 'Future pending' wait, so "
                       "the result was already there when it awaited it. That is what happens when "
                       f"{name} runs the setter itself (await deliver(order)), as in the tutorial: "
                       f"then the 3 s are {name}'s own sleep. Start the setter as a task of its own "
                       f"(asyncio.create_task), so that {name} waits while the setter sleeps.")
    links = [link for link in trace.links
             if link.woken == main.id and link.waker != main.id and link.woken_step - 1 in waits]
    if not links:
        return not_yet(f"{name} waited on the future and woke up at {seconds(main.finished)}, but no "
                       "purple arrow ends on its lane: no task of yours set the result (a timer such "
                       "as loop.call_later sets it from the loop itself). The exercise asks for a task: "
                       "asyncio.create_task(...) with a coroutine that sleeps 3 s, then calls "
                       "set_result(...).")
    link = links[0]
    setter = trace.tasks[link.waker]
    if abs(link.time - 3) > EPSILON or abs(main.finished - 3) > EPSILON:
        return not_yet(f"{setter.label} set the future and woke {name} at {seconds(link.time)}, and "
                       f"{name} finished at {seconds(main.finished)}. The exercise asks for 3 s: let "
                       "the setter sleep 3 s before set_result(...), and let main() return right after "
                       "it got the value.")
    if main.detail == "None":
        return not_yet(f"{name} woke up at 3 s but returned None. Put a real value into the future, "
                       "e.g. set_result('noodles'), and keep `return meal` at the end of main().")
    return solved(f"No deadlock: {setter.label} set the future at 3.00 s, the purple arrow from its "
                  f"lane to {name}'s shows that wake-up, and {name} returned {main.detail}.")
