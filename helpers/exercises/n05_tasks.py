"""Exercises of notebooks/05_tasks.ipynb.

05-first-steps (predict): the order of the loop's first steps at 0.00 s, when a task created by
main() and a task created by another task join the queue.
05-fastest-mirror (write): ask three mirrors at once, return the first answer, cancel the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6

# ---------------------------------------------------------------- 05-first-steps (predict)

RUSH = ("breakfast_rush", "make_toast", "boil_water", "fry_egg")   # the program's coroutines


def _names(trace: "Trace", prediction: Any) -> list[str] | str:
    """The prediction as coroutine names ("make_toast()" and "Task-2" are read too), or a complaint."""
    if isinstance(prediction, str) or not isinstance(prediction, (list, tuple)):
        return (f"first_steps should be a list of names, one per step; yours is a "
                f"{type(prediction).__name__}. Which four tasks take a step at 0.00 s, and in what order?")
    by_task = {t.name: t.coroutine for t in trace.tasks}
    names = []
    for item in prediction:
        text = str(item).strip().removesuffix("()")
        names.append(by_task.get(text, text))
    return names


@exercise("05-first-steps")
def first_steps(trace: "Trace", prediction: Any = None) -> Verdict:
    """The learner's order of the first steps at 0.00 s against the trace's order (`Step.seq`)."""
    program = ", ".join(f"{name}()" for name in RUSH)
    if sorted(t.coroutine for t in trace.tasks) != sorted(RUSH):
        ran = ", ".join(t.label for t in trace.tasks)
        return not_yet(f"This trace has the tasks {ran}, not those of the exercise's program "
                       f"({program}). Did the program in the cell change?",
                       "Run the cell with the program as given: only first_steps is yours to fill in.")
    steps = sorted((s.seq, t.coroutine) for t in trace.tasks for s in t.steps if s.start <= EPSILON)
    order = [name for _, name in steps]
    fix = (f"The loop ran them in this order: {', '.join(order)}. Each create_task puts the new task's "
           "first step at the back of the loop's queue, and the loop runs the queue in order, one step "
           "at a time. answer.steps_chart() shows it: each ready bar starts in the step that created "
           "the task.")
    if prediction is None or prediction is Ellipsis:
        left = "None" if prediction is None else "..."
        return not_yet(f"No prediction yet: first_steps is {left}. At 0.00 s, before the clock moves, the "
                       f"loop runs one first step for each of the {len(order)} tasks. Which task runs "
                       "first, and at which step does fry_egg() get its first turn?",
                       "Write first_steps as a list of the four coroutine names in the order of their "
                       "first steps, then run the cell again.")
    names = _names(trace, prediction)
    if isinstance(names, str):
        return not_yet(names, "A list of four names, such as [\"name\", \"name\", \"name\", \"name\"].")
    unknown = [n for n in names if n not in RUSH]
    if unknown:
        return not_yet(f"{unknown[0]!r} is not a coroutine of this program ({program}). Which of those "
                       "runs at each step?", "Use the coroutine names as written in the program.")
    if len(names) != len(order) or len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        said = f"names {twice[0]}() twice" if twice else f"has {len(names)} names"
        return not_yet(f"Your list {said}, but at 0.00 s each of the {len(order)} tasks takes exactly one "
                       "first step. In which order do they come?", fix)
    if names == order:
        return solved(f"Step by step at 0.00 s: {', '.join(order)}. fry_egg() was created during "
                      "make_toast()'s step, when boil_water()'s first step was already queued, so it "
                      "ran last. Look at answer.steps_chart(): each hatched ready bar starts in the step "
                      "that called create_task and ends where the task first runs.")
    i = next(k for k, (a, b) in enumerate(zip(names, order)) if a != b)
    yours, right = names[i], order[i]
    if right == RUSH[0]:
        question = (f"When the run begins, {RUSH[0]}() is the only task: trace() made it one. Where are "
                    "the tasks it creates until its step ends at an await that has to wait?")
    elif yours == "fry_egg":
        question = ("fry_egg() is created during make_toast()'s first step. Which first step was already "
                    "queued then, in front of it?")
    elif {yours, right} == {"make_toast", "boil_water"}:
        question = (f"{RUSH[0]}() calls create_task(make_toast()) before create_task(boil_water()). In "
                    "which order do the two first steps join the loop's queue?")
    else:
        question = "In which order were the four first steps queued, and by which step?"
    return not_yet(f"Your step {i + 1} is {yours}(); the trace's step {i + 1} is another task. {question}",
                   fix)


# ---------------------------------------------------------------- 05-fastest-mirror (write)

MIRRORS = {"lisbon": 3.0, "oslo": 1.0, "seoul": 2.0}
FASTEST = min(MIRRORS, key=MIRRORS.__getitem__)


def _said(value: Any) -> str:
    """A returned value in words, the same on every run (a Task's repr has an address and a path)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return f"a set of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


@exercise("05-fastest-mirror")
def fastest_mirror(trace: "Trace") -> Verdict:
    """Three mirror() tasks at once; the run ends with the first answer, the two others cancelled by
    the program itself (not left over for the end of the run to cancel); that answer returned."""
    main = trace.tasks[0].coroutine
    took = seconds(trace.duration)
    lanes = tasks_running(trace, "mirror")
    if not lanes:
        if calls_of(trace, "mirror"):
            return not_yet(f"The chart has a single lane, {main}(): each mirror() ran inside it, one after "
                           f"another, and the run took {took}. Can {main}() ask a second mirror while it "
                           "is still waiting inside the first?",
                           "Make each mirror a task of its own with asyncio.create_task(...), all three "
                           "before waiting for any.")
        return not_yet(f"The chart shows one lane, {main}(), and no mirror() at all. Which mirrors does "
                       f"{main}() ask, and how can it ask all three at once?",
                       "Create one task per mirror with asyncio.create_task(mirror(name, seconds)), then "
                       "wait for the first one to finish with asyncio.wait(..., "
                       "return_when=asyncio.FIRST_COMPLETED).")
    if len(lanes) != len(MIRRORS):
        return not_yet(f"The chart shows {len(lanes)} mirror() lane(s). How many mirrors are there to ask?",
                       "One task per mirror: " + ", ".join(f"{n} ({s:g} s)" for n, s in MIRRORS.items())
                       + ".")
    for lane in lanes:
        if lane.outcome == "exception":
            return not_yet(f"The lane {lane.label} ends with a red cross: {lane.detail}. What did that "
                           "mirror run into?", "Keep mirror() as given: it sleeps, then returns its name.")
    answered = sorted((t for t in lanes if t.outcome == "result"), key=lambda t: t.finished or 0.0)
    if not answered:
        return not_yet(f"No mirror() lane ends with a green dot: all three were cancelled, at "
                       f"{seconds(max(t.finished or 0.0 for t in lanes))}. Which mirror was allowed to "
                       "answer before the cancelling?",
                       "First wait with asyncio.wait(..., return_when=asyncio.FIRST_COMPLETED); cancel "
                       "only the tasks it gives back as pending.")
    runs = [(t.started, t.finished) for t in lanes if t.started is not None and t.finished is not None]
    if most_at_once(runs) < len(MIRRORS):
        return not_yet(f"The three mirror() lanes are never all waiting at the same moment: a mirror is "
                       f"asked only after another one is done, and the run took {took}. What has to "
                       "happen before the first wait?",
                       "Create all three tasks first, and only then wait for them.")
    first = answered[0]
    if abs((first.finished or 0.0) - MIRRORS[FASTEST]) > EPSILON:
        return not_yet(f"The first answer came at {seconds(first.finished or 0.0)}, from {first.label}. "
                       "The mirrors answer after " + ", ".join(f"{s:g} s ({n})" for n, s in MIRRORS.items())
                       + ". Did the names or times passed to mirror() change?",
                       "Call mirror() with the names and times given in the cell.")
    if trace.duration > MIRRORS[FASTEST] + EPSILON:
        if len(answered) == len(MIRRORS):
            return not_yet(f"All three mirror() lanes end with a green dot, and {main}() ended at {took}, "
                           f"with the slowest mirror, although {first.detail} answered at "
                           f"{seconds(first.finished or 0.0)}. What did {main}() wait for: the first "
                           "answer, or all of them?",
                           "asyncio.wait(tasks) waits for all of them by default: pass "
                           "return_when=asyncio.FIRST_COMPLETED, then cancel the tasks still pending.")
        return not_yet(f"{main}() ended at {took}, though {first.detail} answered at "
                       f"{seconds(first.finished or 0.0)}. What was {main}() still waiting for after "
                       "that?", "Return as soon as the first answer is in, after cancelling the others.")
    if _said(trace.result) != first.detail:
        return not_yet(f"{main}() returned {_said(trace.result)}. The first mirror() lane to end with a "
                       f"green dot is {first.label}: what did that task return?",
                       "asyncio.wait gives back sets of tasks: take the one task out of done "
                       "(done.pop()) and return its .result().")
    losers = [t for t in lanes if t is not first]
    left = [t for t in losers if t.id in trace.leftovers]
    if left:
        names = " and ".join(t.label for t in left)
        return not_yet(f"The run ended at {took} with the right answer, {first.detail}. But {names} were "
                       f"still waiting when {main}() returned, and their grey squares come from the end of "
                       "the run, which cancels the tasks left over (the note under the chart says so). "
                       f"Should {main}() leave them for the end of the run to clean up?",
                       "Cancel the pending tasks yourself before returning: for task in pending: "
                       "task.cancel().")
    still = [t for t in losers if t.outcome != "cancelled"]
    if still:
        return not_yet(f"{still[0].label} ended with {still[0].outcome or 'no end'}, not with a grey square. "
                       "What should happen to the mirrors that lost?",
                       "Cancel the tasks asyncio.wait gives back as pending.")
    return solved(f"The run ended at {took}, when {first.label} answered; {main}() returned "
                  f"{first.detail} and cancelled " + " and ".join(t.label for t in losers)
                  + " itself (their grey squares at the same moment). The end of a run would cancel them too, "
                  "but a program that goes on (a server, say) must cancel what it no longer needs.")
