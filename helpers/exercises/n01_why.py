"""Exercises of notebooks/01_why_coroutines.ipynb: find why "concurrent" downloads still run one
after another, and read the event loop's lane of a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import (number as _number, calls_of, most_at_once, quoted, seconds, tasks_running,
                     unanswered)

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6



def _times(spans: list[tuple[float, float]]) -> str:
    """0, 1, 3 and 4 s: the start of each span."""
    words = [f"{a:g}" for a, _ in spans]
    return (", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)) + " s"



# ---------------------------------------------------------------- 01-tasks-in-turn

PAGES = ("map.png", "song.mp3", "book.pdf")
FETCH_FIX = ("`await task` right after `create_task` waits for that download to end before the for "
             "loop even gets to the next file. Start all three first (keep the tasks in a list), "
             "then await them one by one, in the order of PAGES, and return their results.")


@exercise("01-tasks-in-turn")
def tasks_in_turn(trace: "Trace") -> Verdict:
    """fetch_all(): three downloads (2 s, 4 s, 3 s) that wait at the same time, results in order."""
    main = trace.tasks[0] if trace.tasks else None
    if main is None or main.coroutine != "fetch_all":
        ran = f"{main.coroutine}()" if main is not None else "nothing"
        return not_yet(f"This is the trace of {ran}, not of fetch_all(): which run did you pass to "
                       "check?", "Run answer = await trace(fetch_all()) in the exercise's cell.")
    name = "fetch_all()"
    took = seconds(trace.duration)
    runs = calls_of(trace, "download")
    lanes = tasks_running(trace, "download")
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line of {name} raised it?",
                       FETCH_FIX)
    if not runs:
        return not_yet(f"The chart shows no download() at all: {name}'s lane is all there is. Where "
                       "did the three downloads go?",
                       "Keep one download(name, seconds) per file of PAGES.")
    cancelled = [t for t in lanes if t.outcome == "cancelled"]
    if cancelled:
        return not_yet(f"{name} ended at {seconds(main.finished or 0.0)}, and {len(cancelled)} download "
                       f"lane{'s end' if len(cancelled) != 1 else ' ends'} with a grey square "
                       "(cancelled). When fetch_all() returned, were its downloads done?",
                       "A run ends when fetch_all() ends, and tasks still running then are cancelled. "
                       + FETCH_FIX)
    at_once = most_at_once(runs)
    if at_once <= 1:
        if lanes:
            return not_yet(f"The run took {took}. Each download has a lane of its own, yet the grey "
                           "waits form a staircase: each download starts only where the one above it "
                           f"ends. Look at the lane of {main.label}: what does it wait on from 0.00 s "
                           f"to {seconds(lanes[0].finished or 0.0)}, and when is the next download's "
                           "lane created?", FETCH_FIX)
        return not_yet(f"The run took {took}: one lane, and its waits sit end to end, one download "
                       "after another. How many lanes does the chart need, so that three downloads "
                       "can wait at the same time?",
                       "Start each download as a task with asyncio.create_task(...), all three before "
                       "you await any of them (keep the tasks in a list); then await them one by one, "
                       "in the order of PAGES, and return their results.")
    if len(runs) != len(PAGES):
        return not_yet(f"The chart shows {len(runs)} downloads; PAGES has {len(PAGES)} files. Which "
                       "lanes are extra, or missing?", "Start one download per file of PAGES, once.")
    if at_once < len(PAGES):
        return not_yet(f"The run took {took}: at most {at_once} downloads waited at the same time, so "
                       "one of them still waited alone. Which lane starts late, and what did "
                       f"{name} wait on just before it was created?", FETCH_FIX)
    longest = max(end - start for start, end in runs)
    if trace.duration > longest + EPSILON:
        return not_yet(f"All three downloads waited at the same time, but the run took {took}, more "
                       f"than the longest download ({seconds(longest)}). What does {name}'s lane wait "
                       "on after the downloads are done?",
                       f"{name} should only wait for the downloads: no other sleep.")
    expected = repr(list(PAGES))
    if main.outcome != "result" or main.detail != expected:
        return not_yet(f"The downloads overlap and the run took {took}, but {name} returned "
                       f"{main.detail or 'nothing'}. In which order are the results of PAGES "
                       "expected?",
                       f"Return the results in the order of PAGES, {expected}: await the tasks in the "
                       "order you created them, and collect what each await gives.")
    total = sum(end - start for start, end in runs)
    return solved(f"The three downloads' grey waits now lie side by side from 0.00 s, so the run took "
                  f"{took}, the longest download, not the sum ({seconds(total)}), and {name} still "
                  f"returned {expected}. Creating a task starts it; `await task` only waits for its "
                  "result. Awaiting each task as soon as it was created made every download wait for "
                  "the one before: the tasks existed, but never two at once.")


# ---------------------------------------------------------------- 01-read-the-loop-lane

LANE_KEYS = ("moments the thread ran code", "seconds the thread was busy", "tasks waiting at 2 s")
AT = 2.0


def _waiting_at(trace: "Trace", when: float) -> list[str]:
    """The labels of the tasks that were waiting (grey) at `when`."""
    found = []
    for task in trace.tasks:
        for step, after in zip(task.steps, task.steps[1:]):
            if step.waits_on and step.end < when < after.start:
                found.append(task.label)
                break
    return found


@exercise("01-read-the-loop-lane")
def read_the_loop_lane(trace: "Trace", answer: Any = None) -> Verdict:
    """Read the loop lane: at how many moments the thread ran code, for how long, and who waited."""
    if len(tasks_running(trace, "download")) < 2 or trace.duration <= AT:
        return not_yet("This trace has no download lanes around 2.00 s: is it the trace of "
                       "four_downloads()?",
                       "Pass four, the trace drawn above: check(\"01-read-the-loop-lane\", four, "
                       "my_answer).")
    busy = trace.busy()
    moments = len(busy)
    busy_time = sum(b - a for a, b in busy)
    waiting = _waiting_at(trace, AT)
    question = ("In the top lane, event loop: how many dark ticks does it have, and how wide is each "
                "on the time axis? And at 2.00 s, which lanes are grey?")
    missing = unanswered(answer, LANE_KEYS, question,
                         "Write three numbers: the dark ticks in the event loop lane, the seconds they "
                         "cover in all, and the lanes that are grey at 2.00 s.")
    if missing is not None:
        return missing
    missed: list[str] = []
    fixes: list[str] = []
    said = _number(answer["moments the thread ran code"])
    if said is None or abs(said - moments) > EPSILON:
        counted = quoted(answer["moments the thread ran code"])
        missed.append(f"You counted {counted} moments. Count the dark ticks of the event loop lane "
                      "only, not the blue ticks of the tasks: several steps at the same instant make "
                      "one tick. At how many different times do the ticks sit?")
        fixes.append(f"The event loop lane has {moments} ticks, at {_times(busy)}: write {moments}.")
    said = _number(answer["seconds the thread was busy"])
    if said is None or abs(said - busy_time) > 0.05:
        busy_said = quoted(answer["seconds the thread was busy"], " s")
        missed.append(f"You said the thread was busy for {busy_said}. "
                      "The grey bars are waits, not work: the thread's work is the dark ticks of the "
                      "event loop lane. How much of the time axis do they cover?")
        fixes.append(f"On the {trace.clock} clock a step takes no time; a tick is only drawn wide "
                     f"enough to see: write {busy_time:g}. All {trace.duration:g} s were waiting.")
    said = _number(answer["tasks waiting at 2 s"])
    if said is None or abs(said - len(waiting)) > EPSILON:
        missed.append(f"You said {quoted(answer['tasks waiting at 2 s'])} tasks were waiting at 2.00 s. "
                      "Go up from 2 on the time axis: how many lanes are grey there? Is the lane of "
                      f"{trace.tasks[0].label} one of them?")
        fixes.append(f"At 2.00 s the grey lanes are {', '.join(waiting)}: write {len(waiting)}.")
    if missed:
        right = len(LANE_KEYS) - len(missed)
        head = f"{right} of your 3 answers match{'es' if right == 1 else ''} the trace. " if right else ""
        return not_yet(head + " ".join(missed), " ".join(fixes))
    steps = sum(len(t.steps) for t in trace.tasks)
    return solved(f"The thread ran code at {moments} moments only ({_times(busy)}), and on the "
                  f"{trace.clock} clock those steps took {busy_time:g} s, while at 2.00 s "
                  f"{len(waiting)} tasks were waiting, {trace.tasks[0].coroutine}() among them. The "
                  "waiting was done by the loop: one call to the operating system, until the next timer "
                  f"was due. Those {moments} ticks hold {steps} steps of the loop: "
                  "four.steps_chart() draws one column per step.")
