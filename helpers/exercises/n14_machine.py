"""Exercises of notebooks/14_inside_the_machine.ipynb: a small asyncio, built in the notebook.

Each exercise runs one program twice: on the notebook's own mini loop (``MiniLoop``, defined in
the learner's cells, so this module cannot import it) and on asyncio under ``trace()``. The
learner passes both: ``check(name, trace, mini_loop, ...)``. The checker reads the mini loop the
way the notebook's ``show_log`` does, duck-typed:

- ``loop.log``: every callback the mini loop ran, in order, as ``(time, kind, name)``, where kind
  is ``"step"`` (a task's step; name is the task's name) or ``"callback"`` (name is the function's);
- ``loop.stuck``: ``None``, or the words the mini loop printed when nothing could ever run again;
- ``loop.main``: the Task that ``run_until_complete`` made for the main coroutine.

Its task steps, ``(time, task)`` in the log's order, are compared with the trace's steps in the
loop's order (``seq``): on a correct mini loop they are the same, which the notebook shows first.

14-predict-the-steps (predict): the order of the tasks' steps of a program where a Future set by a
  courier task wakes two waiters; the prediction is compared with the mini loop's log and asyncio's.
14-the-forgetful-task (find the bug): a Task that leaves no wake-up with the Future its coroutine
  yielded; the mini loop gets stuck where asyncio goes on.
14-mini-gather (write): gather() for the mini loop, a Future set by done-callbacks once the last
  task is done; asyncio's gather wakes its awaiter once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import blank, seconds

if TYPE_CHECKING:
    from ..model import Trace

Steps = list[tuple[float, str]]


def real_steps(trace: "Trace") -> Steps:
    """(time, task name) of each step of an asyncio trace, in the loop's order."""
    ordered = sorted((step.seq, round(step.start, 2), task.name) for task in trace.tasks for step in task.steps)
    return [(start, name) for _, start, name in ordered]


def mini_steps(loop: Any) -> Steps | None:
    """(time, task name) of each task step in the mini loop's log; None if `loop` has no such log."""
    log = getattr(loop, "log", None)
    if not isinstance(log, list):
        return None
    try:
        return [(round(float(when), 2), str(name)) for when, kind, name in log if kind == "step"]
    except (TypeError, ValueError):
        return None


def callbacks_of(loop: Any) -> list[tuple[float, str]]:
    """(time, function name) of every callback in the mini loop's log that was not a task's step."""
    return [(round(float(when), 2), str(name)) for when, kind, name in loop.log if kind != "step"]


def not_a_mini_loop(loop: Any, call: str) -> Verdict:
    return not_yet(f"check() needs the mini loop that ran the program, after the trace: {call}. The "
                   f"second thing you passed is a {type(loop).__name__}, with no log of steps. Which "
                   "variable holds the MiniLoop whose run_until_complete() ran the program?")


def listed(steps: Steps) -> str:
    return ", ".join(f"{name} at {seconds(when)}" for when, name in steps)


def first_difference(ours: Steps, theirs: Steps) -> int:
    return next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))


def escaped(loop: Any, steps: Steps) -> Verdict | None:
    """A mini loop whose main task is unfinished though it never said it was stuck: an exception
    escaped from run_until_complete() (the cell showed its traceback)."""
    main = getattr(loop, "main", None)
    if getattr(loop, "stuck", None) is None and main is not None and not main.done():
        last = f" after {listed(steps[-1:])}" if steps else ""
        return not_yet(f"The mini loop stopped{last} with Task-1 unfinished, and without saying that it "
                       "was stuck: an exception escaped from run_until_complete(). Which exception does "
                       "the cell's traceback show, and which line let it out?",
                       "Keep every case of Task._step: StopIteration sets the result, another exception "
                       "sets the error, a bare yield queues the next step, a Future gets the wake-up.")
    return None


def stuck_words(loop: Any) -> str:
    stuck = getattr(loop, "stuck", None)
    return f" and got stuck at {stuck.split(':', 1)[0]}" if isinstance(stuck, str) and ":" in stuck else ""


# ---------------------------------------------------------------- 14-predict-the-steps (predict)

ORDER_RULES = ("Play the mini loop by hand. At 0 s its queue holds main's first step; main's step "
               "queues the courier's and the waiter's first steps (create_task), then main waits on the "
               "Future, and the waiter does too, after main: the Future's list of callbacks is main's "
               "wake-up, then the waiter's. At 3 s the courier's timer ends its sleep; its step calls "
               "set_result, which queues those two wake-ups in that order. A task that awaits a task not "
               "yet done waits again; a task's end queues the wake-up of the task that awaits it.")
MAIN_WORDS = {"main", "task-1", "pickup"}


def _read_names(prediction: Any, known: set[str]) -> tuple[list[str] | None, str]:
    if isinstance(prediction, str):
        items: list[Any] = [i for i in re.split(r"[\s,;]+", prediction) if i]
    elif isinstance(prediction, (list, tuple)):
        items = list(prediction)
    else:
        return None, (f"my_prediction is of type {type(prediction).__name__}, not a list of names. Which "
                      "task runs at each of the mini loop's steps, in order?")
    names = []
    for number, item in enumerate(items, 1):
        word = str(item).strip().strip("'\"").removesuffix("()").lower()
        word = "main" if word in MAIN_WORDS else word
        if not isinstance(item, str) or word not in known:
            return None, (f"Step {number} of your prediction is {item!r}, and this program's tasks are "
                          "main, courier and waiter. Which one of them did you mean?")
        names.append(word)
    return names, ""


@exercise("14-predict-the-steps")
def predict_the_steps(trace: "Trace", loop: Any = None, prediction: Any = None) -> Verdict:
    """The learner's order of task steps (names), written before running, against the mini loop's log."""
    ours = mini_steps(loop)
    if ours is None:
        return not_a_mini_loop(loop, 'check("14-predict-the-steps", real, predicted, my_prediction)')
    theirs = real_steps(trace)
    if ours != theirs:
        return not_yet(f"The mini loop and asyncio disagree: the mini loop ran {listed(ours)}{stuck_words(loop)}, "
                       f"and asyncio's trace shows {listed(theirs)}. Did a cell above change the mini loop "
                       "(Future, Task or MiniLoop)?",
                       "Run the cells of the Future, the Task, MiniLoop and mini again, as they are in "
                       "the notebook, then this cell.")
    order = ["main" if name == "Task-1" else name for _, name in ours]
    if blank(prediction) or prediction == [] or prediction == "":
        return not_yet("my_prediction is still empty. Before you look at the log: which task does the mini "
                       "loop run at each of its steps, from the first to the last? Write their names in "
                       "order, then run the cell again.", ORDER_RULES)
    predicted, problem = _read_names(prediction, set(order) | {"main"})
    if predicted is None:
        return not_yet(problem, ORDER_RULES)
    times = [when for when, _ in ours]
    if predicted == order:
        return solved(f"Step for step, the mini loop ran: {', '.join(order)}, the first three at 0.00 s "
                      f"and the last {len(order) - 3} at {seconds(times[-1])}, as asyncio's trace does. At "
                      "3 s the courier's set_result queued main's wake-up and then the waiter's, in the "
                      "order they began waiting; main then waited on the waiter, whose end woke it once "
                      "more.")
    at = first_difference([(0, n) for n in predicted], [(0, n) for n in order])
    if at == len(predicted):
        return not_yet(f"Your {len(predicted)} steps agree with the mini loop's first {len(predicted)}, but "
                       f"its log has {len(order)} task steps. After main's wake-up at 3 s, was the "
                       "waiter already done when main awaited it?", ORDER_RULES)
    if at == len(order):
        return not_yet(f"The mini loop's {len(order)} task steps agree with the first {len(order)} of "
                       f"yours, but you predicted {len(predicted)}. Does awaiting a Future that is already "
                       "done end the step?", ORDER_RULES)
    return not_yet(f"Your prediction agrees with the mini loop for the first "
                   f"{'step' if at == 1 else f'{at} steps'}. At step {at + 1} (at {seconds(times[at])}) you "
                   f"predicted {predicted[at]}, and the log shows {order[at]}. Which callbacks were in "
                   f"the ready queue when step {at} ended, and in what order had they been queued?",
                   ORDER_RULES)


# ---------------------------------------------------------------- 14-the-forgetful-task (find the bug)

FORGETFUL_FIX = ("In ForgetfulTask._step, the else branch must do something when `awaited` is a Future: "
                 "leave the task's wake-up with it, awaited.add_done_callback(self._wakeup). The loop never "
                 "looks at tasks; the Future's callback is the only way back for a waiting task.")


@exercise("14-the-forgetful-task")
def the_forgetful_task(trace: "Trace", loop: Any = None) -> Verdict:
    """The mini loop with the learner's Task must make asyncio's steps and finish main()."""
    ours = mini_steps(loop)
    if ours is None:
        return not_a_mini_loop(loop, 'check("14-the-forgetful-task", real, forgetful)')
    theirs = real_steps(trace)
    main = getattr(loop, "main", None)
    broken = escaped(loop, ours)
    if broken is not None:
        return broken
    if ours == theirs and getattr(loop, "stuck", None) is None and main is not None and main.done():
        return solved(f"The mini loop ran the same {len(ours)} steps as asyncio, in the same order: "
                      f"{listed(ours)}. Each Future a coroutine yielded got the task's wake-up among its "
                      "callbacks, so when a timer set the Future's result, the task's next step was "
                      "queued. Nothing had to look for ready tasks.")
    if ours == theirs:
        return not_yet(f"The mini loop's task steps are asyncio's ({len(ours)}), but main() did not finish "
                       "on it. What did the last step of Task-1 do?", FORGETFUL_FIX)
    at = first_difference(ours, theirs)
    if at == len(ours) and at < len(theirs):
        late = callbacks_of(loop)
        after = [f"{name}() at {seconds(when)}" for when, name in late if when >= (ours[-1][0] if ours else 0)]
        return not_yet(f"The mini loop's log has {len(ours)} task steps ({listed(ours)}), then only "
                       f"{', '.join(after) if after else 'nothing'}{stuck_words(loop)}. asyncio's trace of "
                       f"the same program goes on: {theirs[at][1]} runs again at {seconds(theirs[at][0])}. "
                       "Each timer filled its Future: what had the Task left with that Future, so that "
                       "filling it would bring the task back?", FORGETFUL_FIX)
    return not_yet(f"The mini loop and asyncio agree for {at} steps; then the mini loop ran "
                   f"{listed(ours[at:at + 3]) or 'nothing'} where asyncio ran {listed(theirs[at:at + 3])}. "
                   "What does your Task do with a Future that its coroutine yields, and with a bare yield?",
                   FORGETFUL_FIX)


# ---------------------------------------------------------------- 14-mini-gather (write)

GATHER_FIX = ("Give every task a done-callback: task.add_done_callback(one_done), where one_done(task) "
              "counts the tasks that are done, and when that count reaches len(tasks), calls "
              "outer.set_result([t.result() for t in tasks]). Return outer without awaiting anything: "
              "gather() is a plain function, and dinner() awaits the Future it returns.")


@exercise("14-mini-gather")
def mini_gather(trace: "Trace", loop: Any = None) -> Verdict:
    """gather() on the mini loop: the tasks' results in order, and asyncio's steps (one wake-up)."""
    ours = mini_steps(loop)
    if ours is None:
        return not_a_mini_loop(loop, 'check("14-mini-gather", real, cooked)')
    theirs = real_steps(trace)
    expected = trace.result
    main = getattr(loop, "main", None)
    stuck = getattr(loop, "stuck", None)
    main_steps = [when for when, name in ours if name == "Task-1"]
    broken = escaped(loop, ours)
    if broken is not None:
        return broken
    if stuck is not None or main is None or not main.done():
        cooks = [(when, name) for when, name in ours if name != "Task-1"]
        return not_yet(f"The mini loop got stuck at {stuck.split(':', 1)[0] if stuck else 'its end'}: the "
                       f"cook() tasks ran ({listed(cooks)}), but dinner() (Task-1) never ran after "
                       f"{seconds(main_steps[-1] if main_steps else 0)}: nothing set the result of the Future "
                       "that gather() returned. What can tell that Future that a task has finished?",
                       GATHER_FIX)
    error = getattr(main, "_error", None)
    if error is not None:
        return not_yet(f"dinner() ended with an error on the mini loop: {type(error).__name__}: {error}. "
                       "Which line of gather() raised it, or what did dinner() await?", GATHER_FIX)
    got = main.result()
    if ours != theirs:
        extra = [when for when in main_steps if when not in [w for w, n in theirs if n == "Task-1"]]
        if extra:
            return not_yet(f"dinner() returned {got!r}, but on the mini loop Task-1 ran at "
                           f"{', '.join(seconds(w) for w in main_steps)}, and on asyncio only at "
                           f"{', '.join(seconds(w) for w, n in theirs if n == 'Task-1')}: it woke up at "
                           f"{seconds(extra[0])}, before the last dish was ready. How many times does asyncio's "
                           "gather wake the task that awaits it?",
                           GATHER_FIX)
        at = first_difference(ours, theirs)
        return not_yet(f"The mini loop and asyncio agree for {at} steps; then the mini loop ran "
                       f"{listed(ours[at:at + 3]) or 'nothing'} where asyncio ran {listed(theirs[at:at + 3])}. "
                       "What did dinner() wait on, and what woke it?", GATHER_FIX)
    if got != expected:
        return not_yet(f"The steps are asyncio's, but dinner() returned {got!r} on the mini loop and "
                       f"{expected!r} on asyncio. In what order must the results be: the order the tasks "
                       "finished in, or the order they were given to gather()?",
                       "Build the list from the tasks as they were passed in: [t.result() for t in tasks].")
    return solved(f"dinner() returned {got!r} on both loops, with the same {len(ours)} steps: Task-1 ran "
                  f"at {', '.join(seconds(w) for w in main_steps)} only. Each task's end queued your "
                  "done-callback; the last one set the Future's result, and that queued dinner()'s "
                  "wake-up: one wake-up for the whole group, as asyncio's gather does.")
