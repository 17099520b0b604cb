"""Exercises of notebooks/02_event_loop.ipynb.

02-finish-the-save (find the bug): a task started and never awaited is cancelled
when the main coroutine returns; the fix is to wait for the task itself.
02-who-runs-next (predict): before running a program of tasks that take turns with
``await asyncio.sleep(0)``, the learner writes which task runs at each of the loop's
steps; the checker compares that with the order of the steps in the trace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6


# ---------------------------------------------------------------- 02-finish-the-save (find the bug)

SAVE_FIX = ("{main}() must not be done before the save is: keep the task in its variable and wait for the "
            "task itself as the last line of {main}() (await the task). Waiting a guessed number of "
            "seconds works only by luck.")


@exercise("02-finish-the-save")
def finish_the_save(trace: "Trace") -> Verdict:
    """A background save (2 s) must finish before the run ends, overlapping main's own 1 s."""
    main = trace.tasks[0].coroutine
    fix = SAVE_FIX.format(main=main)
    saves = tasks_running(trace, "save_file")
    if not saves:
        if calls_of(trace, "save_file"):
            return not_yet(f"save_file() has no lane of its own: it ran inside {main}(), and the run took "
                           f"{seconds(trace.duration)}. While {main}() waited for the save, could it do its "
                           "own 1 s of work?",
                           f"Start the save as a task at the start of {main}() (asyncio.create_task), do "
                           "the 1 s of work, then wait for the task.")
        return not_yet("The chart has no lane for save_file(): it never ran. Which line of the program "
                       "starts the save?",
                       f"Start it as a task at the start of {main}(): saving = "
                       "asyncio.create_task(save_file()).")
    save = saves[0]
    if save.outcome == "cancelled":
        return not_yet(f"The save_file() lane ends with a grey square at {seconds(save.finished or 0)}: "
                       "cancelled, and \"saved\" was never printed. What had the main coroutine, "
                       f"{main}(), just done at {seconds(save.finished or 0)}, and what happens to a task "
                       "still unfinished at that moment?", fix)
    if save.outcome == "exception":
        return not_yet(f"save_file() ended with an exception ({save.detail}): its lane ends with a red "
                       "cross. Which line of save_file() raised it?",
                       "Keep save_file() as given: it prints, sleeps 2 s and prints again.")
    if save.outcome != "result" or save.finished is None:
        return not_yet("The save_file() lane has no end mark: it never finished. What kept it from running "
                       "to its end?", fix)
    if save.created > EPSILON:
        return not_yet(f"The save finished, but its lane starts only at {seconds(save.created)}, after "
                       f"{main}()'s own work: the two did not overlap, and the run took "
                       f"{seconds(trace.duration)}. When must the save start for {main}()'s second of "
                       "work to overlap it?",
                       "Create the task first, then do the 1 s of work, then wait for the task.")
    if trace.duration > save.finished + EPSILON:
        return not_yet(f"The save finished (green dot at {seconds(save.finished)}), but {main}() kept the "
                       f"run going until {seconds(trace.duration)}. What was {main}() still waiting for "
                       "once the save was done?",
                       f"Instead of waiting a guessed number of seconds, wait for the task itself: "
                       f"{main}() then waits exactly as long as the save needs.")
    return solved(f"The save_file() lane ends with a green dot at {seconds(save.finished)}: {main}() "
                  "waited for the task itself, so the run lasted until the save was done, and its own "
                  f"1 s of work overlapped the save ({seconds(trace.duration)} in all).")


# ---------------------------------------------------------------- 02-who-runs-next (predict)

MAIN_WORDS = {"main", "task-1"}
QUEUE_RULES = ("Play the ready queue by hand, writing it down after every step. The loop always runs "
               "the task at the front. create_task() puts the new task at the back; await "
               "asyncio.sleep(0) ends the step and puts the running task at the back; a task that ends "
               "puts the task awaiting it at the back; awaiting a task that has already finished goes "
               "straight on, in the same step. A task that awaits asyncio.sleep(0) n times takes n + 1 "
               "steps: the last one runs from its last sleep(0) to its end.")


def _order(trace: "Trace") -> list[int]:
    """The task of every step, in the loop's order (`seq`)."""
    steps = sorted((step.seq, index) for index, task in enumerate(trace.tasks) for step in task.steps)
    return [index for _, index in steps]


def _label(trace: "Trace", index: int) -> str:
    """A task as the learner names it: the main task by its coroutine, the others by their names."""
    return trace.tasks[index].coroutine if index == 0 else trace.tasks[index].name


def _read(trace: "Trace", prediction: Any) -> tuple[list[int] | None, str]:
    """The learner's prediction as task indices, or None and what is wrong with it."""
    if isinstance(prediction, str):
        items: list[Any] = [i for i in re.split(r"[\s,;]+", prediction) if i]
    elif isinstance(prediction, (list, tuple)):
        items = list(prediction)
    else:
        return None, (f"my_prediction is {type(prediction).__name__}, not a list of names. Which task runs "
                      "at each of the loop's steps, in order?")
    known: dict[str, int] = {}
    for index, task in enumerate(trace.tasks):
        known[task.name.lower()] = index
        if index == 0:
            known.update({word: 0 for word in MAIN_WORDS | {task.coroutine.lower()}})
    indices = []
    for number, item in enumerate(items, 1):
        word = str(item).strip().strip("'\"").removesuffix("()").lower()
        if not isinstance(item, str) or word not in known:
            names = ", ".join(_label(trace, i) for i in range(len(trace.tasks)))
            return None, (f"Step {number} of your prediction is {item!r}, and this run's tasks are "
                          f"{names}. Which one of them did you mean?")
        indices.append(known[word])
    return indices, ""


@exercise("02-who-runs-next")
def who_runs_next(trace: "Trace", prediction: Any = None) -> Verdict:
    """The learner's order of steps (task names), written before running, against the trace's order."""
    order = _order(trace)
    labels = [_label(trace, i) for i in order]
    if prediction is None or prediction is Ellipsis or prediction == [] or prediction == "":
        return not_yet("my_prediction is still empty. Before you look at the chart: which task does the "
                       "loop run at each of its steps, from the first to the last? Write their names in "
                       "order, then run the cell again.", QUEUE_RULES)
    predicted, problem = _read(trace, prediction)
    if predicted is None:
        return not_yet(problem, QUEUE_RULES)
    if predicted == order:
        return solved(f"Step for step, the loop ran: {', '.join(labels)}. Each await asyncio.sleep(0) put "
                      "its task at the back of the ready queue, behind every task already waiting for its "
                      "turn, and the loop always ran the task at the front. (The step view shows that "
                      "queue: the hatched orange bars.)")
    agree = next((i for i, (a, b) in enumerate(zip(predicted, order)) if a != b), min(len(predicted), len(order)))
    view = "the step view (.steps_chart() of the trace)"
    if agree == len(predicted):
        return not_yet(f"Your {len(predicted)} steps agree with the run's first {len(predicted)}, but the run "
                       f"has {len(order)} steps: {view} has {len(order)} columns. A task's last step runs "
                       "from its last await to its end: did you count that step for every task?",
                       QUEUE_RULES)
    if agree == len(order):
        return not_yet(f"The run's {len(order)} steps agree with the first {len(order)} of yours, but you "
                       f"predicted {len(predicted)}. Does awaiting a task that has already finished give "
                       "the loop a turn, or does the step go on?", QUEUE_RULES)
    you, run = _label(trace, predicted[agree]), labels[agree]
    if agree == 0:
        return not_yet(f"At step 1 you predicted {you}, and {view} shows {run} running in its first column. "
                       f"Before {run}() has run, which other tasks exist?", QUEUE_RULES)
    return not_yet(f"Your prediction agrees with the run for the first {agree} "
                   f"{'step' if agree == 1 else 'steps'}. At step {agree + 1} you predicted {you}, and "
                   f"{view} shows {run} running in column {agree + 1}. Which tasks were in the ready queue "
                   f"when step {agree} ended, and in what order?", QUEUE_RULES)
