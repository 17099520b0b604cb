"""Exercises of notebooks/10_taskgroup.ipynb.

10-stop-the-uploads (find the bug): a gather fan-out whose other uploads run on after the first
failure; rewritten (with a TaskGroup) so that they are cancelled at the moment of the failure and
nothing outlives sync_album().
10-read-the-group (read a chart): a TaskGroup run with one failure: which lanes were cancelled, when,
and whose error is in the ExceptionGroup (a task cancelled before it could fail raised nothing).
10-in-finishing-order (write): results in finishing order with as_completed: the caller wakes once
per result, as each task ends, and returns the names in that order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6


def _said(value: Any) -> str:
    """A returned value in words, the same on every run (a Task's repr has an address and a path)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (str, int, float)) or (isinstance(v, tuple) and all(isinstance(x, (str, int, float))
                                                                             for x in v)) for v in value):
        return repr(value)
    return f"a {type(value).__name__}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _ends(lanes: list["TaskTrace"]) -> str:
    return _and([seconds(t.finished or 0.0) for t in lanes])


# ---------------------------------------------------------------- 10-stop-the-uploads (find the bug)

PHOTOS = 3
FAILING = "owl.jpg"
REPORT = "sync failed: owl.jpg: upload failed"
TASKGROUP_FIX = ("Run the three uploads in an \"async with asyncio.TaskGroup() as tg:\" block, one "
                 "tg.create_task(upload(...)) each, instead of gather: the first failure cancels the "
                 "others, and the block ends only when all three have ended. Catch what comes out with "
                 "\"except* ConnectionError as group:\", set the report there from group.exceptions[0], "
                 "and return it after the try (return is not allowed inside except*).")


@exercise("10-stop-the-uploads")
def stop_the_uploads(trace: "Trace") -> Verdict:
    """Three upload() lanes at once; owl.jpg's red cross; the two others cancelled at that very time by
    the program (not left over for the end of the run); the report returned."""
    main = trace.tasks[0].coroutine
    lanes = tasks_running(trace, "upload")
    if not lanes:
        if calls_of(trace, "upload"):
            return not_yet(f"The chart has a single lane, {main}(): each upload() ran inside it, one after "
                           f"another, and the run took {seconds(trace.duration)}. Can sync_album() start a "
                           "second upload while it is still waiting inside the first?",
                           "Make each upload a task of its own: tg.create_task(upload(...)) in a TaskGroup.")
        return not_yet(f"The chart shows one lane, {main}(), and no upload() at all. Which photos does "
                       "sync_album() upload?",
                       "Keep the three uploads of the cell, each a task of a TaskGroup: "
                       + TASKGROUP_FIX)
    if len(lanes) != PHOTOS:
        return not_yet(f"The chart shows {len(lanes)} upload() lane(s). How many photos are there to "
                       "upload?", "One task per photo: cat.jpg (2 s), owl.jpg (1 s, fails) and dog.jpg (3 s).")
    failed = [t for t in lanes if t.outcome == "exception"]
    if not failed:
        return not_yet("No upload() lane ends with a red cross, yet owl.jpg's upload fails at 1 s. Did the "
                       "calls of upload() change?",
                       'Keep the calls as given: upload("cat.jpg", 2), upload("owl.jpg", 1, fails=True), '
                       'upload("dog.jpg", 3).')
    first = min(failed, key=lambda t: t.finished or 0.0)
    at = first.finished or 0.0
    runs = [(t.started, t.finished) for t in lanes if t.started is not None and t.finished is not None]
    if most_at_once(runs) < PHOTOS:
        return not_yet("The three upload() lanes are never all waiting at the same moment: an upload "
                       "starts only after another has ended. What has to happen before sync_album() "
                       "waits?", "Create the three tasks first (tg.create_task in the group's block), "
                       "and only then let the block wait for them.")
    others = [t for t in lanes if t is not first]
    left = [t for t in others if t.id in trace.leftovers]
    ran_on = [t for t in others if t not in left and (t.finished is None or t.finished > at + EPSILON)]
    finished = [t for t in ran_on if t.outcome == "result"]
    if finished:
        names = _and([t.label for t in finished])
        dots = "a green dot" if len(finished) == 1 else "green dots"
        return not_yet(f"{first.label} failed at {seconds(at)} (the red cross), and sync_album() gave up "
                       f"then: the report was printed at {seconds(at)}. Yet {names} ran on and ended with "
                       f"{dots} at {_ends(finished)}, after the failure, for nothing. Who was still "
                       "waiting for them after the failure, and what could have stopped them?",
                       TASKGROUP_FIX)
    if left:
        names = _and([t.label for t in left])
        return not_yet(f"{names} were still running when {main}() returned, and their grey squares come "
                       "from the end of the run, which cancels the tasks left over (the note under the "
                       "chart says so). What should stop them at the moment of the failure?",
                       TASKGROUP_FIX)
    late = [t for t in ran_on if t.outcome == "cancelled"]
    if late:
        return not_yet(f"{_and([t.label for t in late])} ended with a grey square at {_ends(late)}, "
                       f"later than the failure at {seconds(at)}. What did they do in between?",
                       TASKGROUP_FIX)
    before = [t for t in others if t.outcome != "cancelled"]
    if before:
        return not_yet(f"{before[0].label} ended with {before[0].outcome or 'no end'} at "
                       f"{seconds(before[0].finished or 0.0)}, before {first.label} failed. Did the "
                       "upload times change?",
                       'Keep the calls as given: upload("cat.jpg", 2), upload("owl.jpg", 1, fails=True), '
                       'upload("dog.jpg", 3).')
    if trace.result != REPORT:
        if isinstance(trace.result, str) and "unhandled errors in a TaskGroup" in trace.result:
            return not_yet(f"The uploads stop at {seconds(at)}, as they should. But {main}() returned "
                           f"{_said(trace.result)}: that is the ExceptionGroup's own message. Where in "
                           "the group is owl.jpg's error?",
                           "group.exceptions is the list of the errors in the group; the report is "
                           "\"sync failed: \" followed by the first of them.")
        return not_yet(f"The uploads stop at {seconds(at)}, as they should. But {main}() returned "
                       f"{_said(trace.result)}. What should the report say when owl.jpg's upload fails?",
                       f"Return {REPORT!r}: \"sync failed: \" followed by the error's message (str() of "
                       "the ConnectionError).")
    return solved(f"{first.label} failed at {seconds(at)}, and at that same instant the two other "
                  "uploads ended with grey squares: cancelled by sync_album()'s own code, not left "
                  f"running. sync_album() returned {REPORT!r} with nothing it had started still running, "
                  "and the app went on alone.")


# ---------------------------------------------------------------- 10-read-the-group (read a chart)

CITIES = ("oslo", "lima", "rome", "pune")


def _names(value: Any, what: str) -> list[str] | str:
    """A list of lane names (``"rome forecast()"``, ``"rome()"`` and ``"Rome"`` read as ``"rome"``), or a
    complaint about its type."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        return (f"{what} should be a list of names, such as [\"oslo\"]; yours is a "
                f"{type(value).__name__}. Which lanes is it about?")
    names = []
    for item in value:
        text = str(item).strip().lower().removesuffix("()").removesuffix(" forecast").strip()
        names.append(text)
    return sorted(names)


@exercise("10-read-the-group")
def read_the_group(trace: "Trace", cancelled: Any = None, cancelled_at: Any = None,
                   errors: Any = None) -> Verdict:
    """The learner's reading of a TaskGroup run against its trace: the cancelled lanes, when, and whose
    error the ExceptionGroup holds (pune, cancelled before it could fail, raised nothing)."""
    lanes = tasks_running(trace, "forecast")
    if sorted(t.name for t in lanes) != sorted(CITIES):
        ran = ", ".join(t.label for t in trace.tasks)
        return not_yet(f"This trace has the tasks {ran}, not the four forecasts of the exercise. Did the "
                       "program in the cell change?",
                       "Run the cell with the program as given: only the three answers are yours.")
    grey = sorted(t.name for t in lanes if t.outcome == "cancelled")
    red = sorted(t.name for t in lanes if t.outcome == "exception")
    when = sorted({round(t.finished or 0.0, 6) for t in lanes if t.outcome == "cancelled"})
    fix = (f"Grey squares: {_and(grey)}, at {_and([seconds(w) for w in when])}; red crosses: {_and(red)}. "
           "cancelled and errors are lists of lane names, cancelled_at a number of seconds.")
    if cancelled is None and cancelled_at is None and errors is None:
        return not_yet("No answers yet: cancelled, cancelled_at and errors are all None. Which lanes end "
                       "with a grey square, reading the chart's end markers?",
                       "Fill in the three answers from the chart, then run the cell again.")
    if cancelled is None:
        return not_yet("cancelled is still None. Which lanes end with a grey square?", fix)
    names = _names(cancelled, "cancelled")
    if isinstance(names, str):
        return not_yet(names, 'A list, such as ["oslo", "lima"].')
    unknown = [n for n in names if n not in CITIES]
    if unknown:
        return not_yet(f"{unknown[0]!r} is not a lane of this chart (its lanes: {', '.join(CITIES)}). Which "
                       "of them end with a grey square?", fix)
    if names != grey:
        wrong = [n for n in names if n not in grey]
        missing = [n for n in grey if n not in names]
        if wrong:
            lane = next(t for t in lanes if t.name == wrong[0])
            mark = {"result": "a green dot", "exception": "a red cross"}.get(lane.outcome or "", "no end mark")
            question = (f"{wrong[0]}'s lane ends with {mark} at {seconds(lane.finished or 0.0)}. "
                        + ("What does a red cross say, and what does a grey square say?"
                           if lane.outcome == "exception" else
                           "Was it still running when the group began to cancel?"))
        else:
            question = (f"Your list leaves out {missing[0]}. How does {missing[0]}'s lane end: look at its "
                        "end marker, not at its code?")
        return not_yet(question, fix)
    try:
        at = float(cancelled_at)
    except (TypeError, ValueError):
        return not_yet(f"cancelled_at should be a number of seconds; yours is {_said(cancelled_at)}. At "
                       "what time on the axis are the grey squares?", fix)
    if len(when) == 1 and abs(at - when[0]) > 0.01:
        question = (f"Your cancelled_at is {at:g} s. Read the time axis under the grey squares: at what "
                    "time are they?")
        if any(abs(at - s) < 0.01 for s in (3.0, 4.0)):
            question = (f"{at:g} s is when {'rome' if abs(at - 3.0) < 0.01 else 'pune'} would have "
                        "ended, had it run on. Where on the axis is its grey square?")
        return not_yet(question, fix)
    if errors is None:
        return not_yet("errors is still None. Which lanes end with a red cross, and so put an error in the "
                       "ExceptionGroup?", fix)
    failed = _names(errors, "errors")
    if isinstance(failed, str):
        return not_yet(failed, 'A list, such as ["oslo"].')
    if failed != red:
        if "pune" in failed and "pune" not in red:
            question = ("pune's code says fails=True, but its lane ends with a grey square, not a red "
                        "cross. Did pune's forecast ever get as far as its raise?")
        elif any(n not in red for n in failed):
            n = next(n for n in failed if n not in red)
            question = f"{n}'s lane has no red cross. Which lanes raised an error?"
        else:
            question = "Which lanes end with a red cross?"
        return not_yet(question, fix)
    return solved(f"{_and(red)} failed at {seconds(next(t.finished or 0.0 for t in lanes if t.name in red))}; "
                  f"the group cancelled {_and(grey)} at that moment, while they were still waiting. oslo had "
                  "already returned at 1.00 s, so nothing happened to it. pune's fails=True never "
                  "mattered: it was cancelled before it could fail, so the ExceptionGroup holds only "
                  f"{_and(red)}'s error, and a cancellation is no error.")


# ---------------------------------------------------------------- 10-in-finishing-order (write)

SHOPS = {"alba": 3.0, "bruno": 1.0, "corte": 2.0}
ORDER = sorted(SHOPS, key=SHOPS.__getitem__)
AS_COMPLETED_FIX = ("Create the three tasks first (asyncio.create_task(quote(...)), or in a TaskGroup), then "
                    "loop: for next_quote in asyncio.as_completed(tasks): shop, price = await next_quote; "
                    "print it, and append shop to the list you return.")


@exercise("10-in-finishing-order")
def in_finishing_order(trace: "Trace") -> Verdict:
    """Three quote() tasks at once; the caller wakes as each one ends (not once at the end); the names
    returned in finishing order."""
    main = trace.tasks[0]
    name = main.coroutine
    lanes = tasks_running(trace, "quote")
    if not lanes:
        if calls_of(trace, "quote"):
            return not_yet(f"The chart has a single lane, {name}(): each quote() ran inside it, one after "
                           f"another, and the run took {seconds(trace.duration)}. Can {name}() ask a second "
                           "shop while it is still waiting inside the first?",
                           "Make each quote a task of its own, all three before waiting for any. "
                           + AS_COMPLETED_FIX)
        return not_yet(f"The chart shows one lane, {name}(), and no quote() at all: it returned "
                       f"{_said(trace.result)} at {seconds(trace.duration)}. Which shops does {name}() ask, "
                       "and how can it ask all three at once?", AS_COMPLETED_FIX)
    if len(lanes) != len(SHOPS):
        return not_yet(f"The chart shows {len(lanes)} quote() lane(s). How many shops are there to ask?",
                       "One task per shop: " + ", ".join(f"{s} ({t:g} s)" for s, t in SHOPS.items()) + ".")
    for lane in lanes:
        if lane.outcome != "result":
            return not_yet(f"The lane {lane.label} ends with {lane.outcome or 'no end'}"
                           f"{': ' + lane.detail if lane.detail else ''}. What happened to that quote?",
                           "Keep quote() as given, and let every quote arrive: cancel nothing.")
    ends = sorted(t.finished or 0.0 for t in lanes)
    if any(abs(a - b) > EPSILON for a, b in zip(ends, sorted(SHOPS.values()))):
        return not_yet(f"The quote() lanes end at {_and([seconds(e) for e in ends])}. The shops answer "
                       "after " + ", ".join(f"{t:g} s ({s})" for s, t in SHOPS.items())
                       + ". Did the shops' names or times change?",
                       "Call quote() with the shops, times and prices given in the cell.")
    runs = [(t.started, t.finished) for t in lanes if t.started is not None and t.finished is not None]
    if most_at_once(runs) < len(SHOPS):
        return not_yet(f"The three quote() lanes are never all waiting at the same moment: a shop is asked "
                       f"only after another has answered, and the run took {seconds(trace.duration)}. "
                       "What has to happen before the first wait?",
                       "Create all three tasks first, and only then wait for them. " + AS_COMPLETED_FIX)
    woke = [s.start for s in main.steps[1:]]
    late = [e for e in ends if not any(abs(w - e) < EPSILON for w in woke)]
    if late:
        when = _and([seconds(w) for w in woke]) if woke else "never"
        return not_yet(f"{name}() woke up at {when}, but quotes came in at {_and([seconds(e) for e in ends])}"
                       f": the one at {seconds(late[0])} was not handled when it arrived. What did "
                       f"{name}() wait for: the next quote, or all of them?", AS_COMPLETED_FIX)
    result = trace.result
    if isinstance(result, tuple):
        result = list(result)
    if result != ORDER:
        if isinstance(result, list) and result and all(isinstance(r, tuple) for r in result):
            return not_yet(f"{name}() returned {_said(trace.result)}: the quotes themselves. Which part of "
                           "each quote is the shop's name?",
                           "Return only the names, in the order the quotes arrived: shop, price = await "
                           "next_quote, then append shop.")
        if isinstance(result, list) and sorted(map(str, result)) == sorted(SHOPS):
            return not_yet(f"{name}() returned {_said(trace.result)}. In which order do the quote() lanes "
                           "end on the chart?",
                           "Append each shop's name when its quote arrives, not in the order you asked.")
        return not_yet(f"{name}() returned {_said(trace.result)}. What should it return: which names, in "
                       "which order?", "A list of the three shops' names, in the order their quotes "
                       "arrived.")
    return solved(f"{name}() woke at {_and([seconds(e) for e in ends])}, each time as one quote() lane ended "
                  f"(the arrows), and returned {ORDER!r}: the finishing order, not the order you asked in. "
                  f"The run took {seconds(trace.duration)}, the slowest shop's time.")
