"""Exercises of notebooks/03_coroutine_objects.ipynb.

03-make-it-run (find the bug): a coroutine function called without await only makes a
coroutine object, which nobody runs; awaiting it runs its body inside the caller's task (the
row under the caller's lane names it), like a call.
03-plans-and-lanes (predict): before running a program that makes two coroutine objects and
one task at 0 s and awaits them later, the learner predicts how many lanes the chart has and
when each body first runs. A coroutine object runs when it is awaited, inside the awaiting
task's lane; one passed to create_task gets a lane of its own and runs at the loop's next turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import blank as _blank, number as _number, calls_of, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6




def _rows(task: "TaskTrace") -> list[str]:
    """The coroutines named by the rows under a task's lane, in the order they first appear."""
    names: list[str] = []
    for step in task.steps:
        if step.waits_on:
            for name in step.coroutines[1:]:
                if name not in names:
                    names.append(name)
    return names


def _first_run(trace: "Trace", name: str) -> tuple[float, "TaskTrace"] | None:
    """When the body of coroutine `name` first ran, and in which task: its own, or the one awaiting it.

    Awaited inside another task, the body shows in the first step that ended suspended inside it
    (its chain holds it); on the virtual clock that step began and ended at one instant.
    """
    found: tuple[float, int, "TaskTrace"] | None = None
    for task in trace.tasks:
        if task.coroutine == name:
            step = task.steps[0] if task.steps else None
        else:
            step = next((s for s in task.steps if name in s.coroutines[1:]), None)
        if step is not None and (found is None or (step.start, step.seq) < found[:2]):
            found = (step.start, step.seq, task)
    return None if found is None else (found[0], found[2])


# ---------------------------------------------------------------- 03-make-it-run (find the bug)

@exercise("03-make-it-run")
def make_it_run(trace: "Trace") -> Verdict:
    """water_plants() (a 2 s sleep) must really run after feed_the_cat(): awaited, or as an awaited task."""
    main_task = trace.tasks[0]
    main = main_task.coroutine
    fix = (f"Calling water_plants() only makes a coroutine object, a plan: nothing runs it. To run its "
           f"body inside {main}(), as feed_the_cat() runs, await it: put `await` in front of the call.")
    if not calls_of(trace, "feed_the_cat"):
        return not_yet("Nothing in the chart names feed_the_cat, no lane and no row: the cat was not fed "
                       f"this time. Which line of {main}() fed it before?",
                       f"Keep the first line of {main}() as it was: `await feed_the_cat()`.")
    runs = calls_of(trace, "water_plants")
    if not runs:
        lanes = len(trace.tasks)
        where = (f"The chart has one lane, {main_task.label}" if lanes == 1
                 else f"The chart has {lanes} lanes")
        rows = _rows(main_task)
        under = (f"The row under {main}()'s lane names {' and '.join(rows)}: "
                 f"{'that body' if len(rows) == 1 else 'those bodies'} ran, inside its task. "
                 if rows else "")
        return not_yet(f"{where}, and the run ended at {seconds(trace.duration)}. {under}Nothing in the "
                       "chart names water_plants, no lane and no row: its body never ran (the warning "
                       f"above says so too). What did the line water_plants() give back, and what did "
                       f"{main}() do with it?", fix)
    for lane in tasks_running(trace, "water_plants"):
        if lane.outcome == "cancelled":
            return not_yet(f"water_plants() got a lane of its own, {lane.name}, but it ends with a grey "
                           f"square at {seconds(lane.finished or 0.0)}: cancelled before its sleep was over. "
                           f"What had {main}() just done at {seconds(lane.finished or 0.0)}, and what "
                           "happens then to a task that is still unfinished?",
                           f"{main}() must wait for the watering: simply `await water_plants()` (it runs "
                           f"inside {main}()'s lane, no task needed), or await the task you made.")
        if lane.outcome == "exception":
            return not_yet(f"water_plants() ended with an exception ({lane.detail}): its lane ends with a red "
                           "cross. Which line raised it?", "Keep water_plants() as given.")
    start, end = runs[0]
    if end - start < 2.0 - EPSILON:
        return not_yet(f"water_plants() ran, but only for {seconds(end - start)}. Is its "
                       "`await asyncio.sleep(2)` still there?",
                       "Keep water_plants() as given: it prints, sleeps 2 s and prints again.")
    if "water_plants" in _rows(main_task):
        cat = calls_of(trace, "feed_the_cat")[0]
        return solved(f"The row under {main_task.label} now names feed_the_cat from "
                      f"{seconds(cat[0])} to {seconds(cat[1])} and water_plants from {seconds(start)} to "
                      f"{seconds(end)}: both bodies ran inside that one task, one after the other, each "
                      f"when {main}() awaited it, like a call. No new lane: `await` handed nothing to "
                      f"the loop. The run took {seconds(trace.duration)}.")
    return solved(f"water_plants() ran on a lane of its own for {seconds(end - start)}, and {main}() waited "
                  f"for it: the run took {seconds(trace.duration)}. create_task() wrapped the coroutine "
                  "in a Task, a lane the loop runs. (A plain `await water_plants()` runs it without a "
                  f"second lane, inside {main}()'s.)")


# ---------------------------------------------------------------- 03-plans-and-lanes (predict)

CHORES = ("wash_dishes", "do_laundry", "go_shopping")
KEYS = ("lanes",) + CHORES
PLANS_RULES = ("Calling a coroutine function runs nothing: it gives a coroutine object, a plan. `await` "
               "runs the plan right there, inside the task that awaits it (no new lane), when that line "
               "is reached, like a call. asyncio.create_task() wraps it in a Task: a lane of its own, "
               "whose first step the loop runs as soon as the current step ends (here at 0 s, when "
               "saturday() reaches its sleep), whoever awaits the task later. Every Task is a lane, "
               "saturday()'s own included (trace made it).")


@exercise("03-plans-and-lanes")
def plans_and_lanes(trace: "Trace", prediction: Any = None) -> Verdict:
    """How many lanes, and when each chore's body first runs: a prediction against the trace."""
    if not isinstance(prediction, dict) or any(_blank(prediction.get(key)) for key in KEYS):
        return not_yet("my_prediction still has ... where a guess goes, so there is nothing to compare with "
                       "the trace yet. Before you look at a chart: how many lanes will it have, and at what "
                       "time will each chore print its \"starts\" line?",
                       "Replace each ... with a number: the lanes, then the second at which each body "
                       "first runs. Then run the cell again.")
    main = trace.tasks[0]
    first = {name: _first_run(trace, name) for name in CHORES}
    if main.coroutine != "saturday" or None in first.values():
        return not_yet(f"This is the trace of {main.coroutine}(), and it does not run all three chores: "
                       "which run did you pass to check?",
                       "Run chores = await trace(saturday()) in this cell, unchanged.")
    missed: list[str] = []
    fixes: list[str] = []
    lanes = len(trace.tasks)
    said = _number(prediction["lanes"])
    if said is None or abs(said - lanes) > EPSILON:
        shown = f"{said:g}" if said is not None else repr(prediction["lanes"])
        names = " and ".join(t.label for t in trace.tasks)
        missed.append(f"You predicted {shown} lanes; the chart has {lanes}: {names}. Of the three calls "
                      "at the top of saturday(), which one made a Task, and what did the other two make?")
        fixes.append(f"Only asyncio.create_task(...) makes a Task, and every Task is a lane: {lanes}, "
                     "saturday()'s own and go_shopping()'s. wash_dishes() and do_laundry() are coroutine "
                     "objects, awaited inside saturday(): they run in its lane.")
    for name in CHORES:
        when, task = first[name]
        said = _number(prediction[name])
        if said is not None and abs(said - when) <= 0.01:
            continue
        shown = f"{said:g} s" if said is not None else repr(prediction[name])
        if task.coroutine == name:
            missed.append(f"You predicted {name} at {shown}; its own lane, {task.label}, runs its first "
                          f"step at {seconds(when)}. Does a task wait until someone awaits it, or does the "
                          "loop run its first step at its first chance?")
            fixes.append(f"create_task() queued the new task's first step; the loop ran it as soon as "
                         f"saturday() reached its sleep: {when:g}.")
        else:
            missed.append(f"You predicted {name} at {shown}; its body first ran at {seconds(when)}, inside "
                          f"the lane of {task.label} (the row under that lane names {name} from "
                          f"{seconds(when)}). saturday() made that coroutine object at 0 s: which line of "
                          "saturday() ran it, and when was that line reached?")
            fixes.append(f"A coroutine object waits until it is awaited: {name} runs when saturday() "
                         f"reaches its await, after the waits before it: {when:g}.")
    if missed:
        right = len(KEYS) - len(missed)
        head = f"{right} of your 4 guesses match the trace. " if right else ""
        return not_yet(head + " ".join(missed), " ".join(fixes) + " " + PLANS_RULES)
    shop = first["go_shopping"][1]
    return solved(f"All four match the trace. {lanes} lanes: only create_task() made a Task. go_shopping() "
                  f"ran first, at {seconds(first['go_shopping'][0])}, on its own lane, though saturday() "
                  "awaited it last: by then it had ended (green dot at "
                  f"{seconds(shop.finished or 0.0)}), so that await returned at once. The two plans made "
                  "at 0 s ran only when saturday() awaited them, inside its lane (the rows under it): "
                  f"do_laundry at {seconds(first['do_laundry'][0])}, wash_dishes at "
                  f"{seconds(first['wash_dishes'][0])}. Look at it: chores.chart(steps=True).")
