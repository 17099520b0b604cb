"""Exercises of notebooks/06_futures.ipynb: write a sleep from a Future and a timer, predict
what each waiter's await gives, and find why a dinner never comes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import seconds

if TYPE_CHECKING:
    from ..model import Step, TaskTrace, Trace

EPSILON = 1e-6
FUTURE = "Future pending"
MARKERS = {"result": "a green dot (result)", "exception": "a red cross (exception)",
           "cancelled": "a grey square (cancelled)"}


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= EPSILON


def _waits(task: "TaskTrace", inside: str | None = None) -> list[tuple["Step", float]]:
    """(step, how long) of each wait after a step of `task`, optionally only inside coroutine `inside`."""
    found = []
    for step, after in zip(task.steps, task.steps[1:]):
        if step.waits_on and (inside is None or inside in step.coroutines):
            found.append((step, after.start - step.end))
    return found


def _ended(task: "TaskTrace") -> str:
    if task.outcome in MARKERS:
        detail = f": {task.detail}" if task.detail and task.outcome != "cancelled" else ""
        return f"{MARKERS[task.outcome]}{detail}"
    return "no end marker (it never finished)"


# ---------------------------------------------------------------- 06-sleep-from-a-future

NAP_WAITS = (2.0, 1.0)
NAP_RESULT = "('rested', 'fresh')"


@exercise("06-sleep-from-a-future")
def sleep_from_a_future(trace: "Trace") -> Verdict:
    """nap(delay, value) waits on a Future of its own that a timer (loop.call_later) sets."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    took = seconds(trace.duration)
    if len(trace.tasks) > 1:
        others = ", ".join(t.label for t in trace.tasks[1:])
        return not_yet(f"The chart has {len(trace.tasks)} lanes: besides {name}, {others}. A sleep "
                       "needs no task of its own: which method of the loop runs a function for you "
                       "after a delay?",
                       "Keep nap() inside the one task: make a Future with loop.create_future(), then "
                       "loop.call_later(delay, fu.set_result, value) asks the loop to call "
                       "fu.set_result(value) after delay seconds; then return await fu.")
    if trace.deadlock:
        return not_yet(f"The run ended in a deadlock at {took}: {name} waits on '{FUTURE}' inside "
                       "nap(), and nothing is left that could resolve that Future. Who is going to "
                       "call set_result() on it, and when?",
                       "Before nap() awaits its Future, ask the loop for a timer: "
                       "loop.call_later(delay, fu.set_result, value) calls fu.set_result(value) "
                       "after delay seconds.")
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line of nap() raised it?",
                       "loop.call_later(delay, function, *args) wants the function itself and its "
                       "arguments apart: loop.call_later(delay, fu.set_result, value), not "
                       "fu.set_result(value), which would set the result right away. A Future takes "
                       "one result only.")
    slept = [s.waits_on for s, _ in _waits(main, "nap") if s.waits_on.startswith("sleep(")]
    if slept:
        return not_yet(f"{name}'s lane waits on {' and '.join(slept)}: asyncio.sleep does the waiting "
                       "for nap(). Can nap() wait on a Future of its own instead? (Its wait would then "
                       f"read '{FUTURE}'.)",
                       "No asyncio.sleep in nap(): make a Future with loop.create_future(), let "
                       "loop.call_later(delay, fu.set_result, value) set it, and return what "
                       "awaiting it gives.")
    waits = [(s, length) for s, length in _waits(main, "nap") if s.waits_on == FUTURE]
    if not waits and main.detail == NAP_RESULT:
        return not_yet(f"The run took {took}: {name}'s lane has no wait, yet it returned {NAP_RESULT}. "
                       "nap()'s Future already had its result when nap() awaited it: who set it, and "
                       "when?",
                       "loop.call_later(delay, function, *args) wants the function itself and its "
                       "arguments apart: loop.call_later(delay, fu.set_result, value). Written "
                       "fu.set_result(value), the result is set right away, and the timer gets None.")
    if not waits:
        lane = ("is a single blue tick, with no wait at all" if len(main.steps) == 1 else
                f"has no wait on '{FUTURE}' inside nap()")
        return not_yet(f"The run took {took}: {name}'s lane {lane}, and it returned "
                       f"{main.detail or 'nothing'}. What did nap() await before it returned?",
                       "nap() must wait: make a Future with loop.create_future(), ask the loop to set "
                       "it later with loop.call_later(delay, fu.set_result, value), then return what "
                       "awaiting the Future gives.")
    lengths = tuple(round(length, 6) for _, length in waits)
    if len(lengths) != len(NAP_WAITS) or any(not _close(a, b) for a, b in zip(lengths, NAP_WAITS)):
        shown = " then ".join(seconds(x) for x in lengths)
        return not_yet(f"{name}'s lane waits on '{FUTURE}' for {shown}; nap(2, ...) then nap(1, ...) "
                       "should wait 2 s, then 1 s. How long does your timer wait before it sets the "
                       "Future?",
                       "Give the timer nap()'s own delay: loop.call_later(delay, fu.set_result, value).")
    if main.outcome != "result" or main.detail != NAP_RESULT:
        return not_yet(f"{name} waited 2 s, then 1 s, but returned {main.detail or 'nothing'}, not "
                       f"{NAP_RESULT}. What does awaiting the Future give back, and what did the timer "
                       "put into it?",
                       "Let the timer set nap()'s value, loop.call_later(delay, fu.set_result, value), "
                       "and let nap() return what awaiting the Future gives.")
    return solved(f"{name}'s lane waits on '{FUTURE}' for 2 s, then 1 s, and it returned {NAP_RESULT} "
                  "at 3.00 s: each wait was on your own Future, set by a timer. That is asyncio.sleep "
                  "in a nutshell. asyncio's own sleep does one thing more: if the wait is cancelled (a "
                  "timeout, say), it cancels its timer too, so that no timer calls set_result() on a "
                  "cancelled Future (that would raise InvalidStateError).")


# ---------------------------------------------------------------- 06-predict-the-outcomes

WAITERS = ("dan", "eve", "fay", "gus")
WORDS = {"result": "result", "exception": "exception", "cancelled": "cancelled", "canceled": "cancelled"}
# Why each lane ends as it does (the program in the notebook): shown on request.
WHY = {
    "dan": "dan awaits early, which got its result before she awaited it: await on a done Future "
           "gives its value at once, without waiting (her lane ends at 0.00 s).",
    "eve": "eve awaits lost, which got set_exception(LookupError(...)): her await raises that "
           "error, she does not catch it, so her task ends with it.",
    "fay": "fay awaits lost too and gets the same LookupError, but wait_politely() catches it and "
           "returns a string: a task that returns ends with a result.",
    "gus": "gus awaits late, which was cancelled: his await raises CancelledError, and a task that "
           "lets it through ends cancelled.",
}
QUESTION = {
    "dan": "What does await do with a Future that already has its result?",
    "eve": "What does await do with a Future that got set_exception(...)?",
    "fay": "What does the try/except in wait_politely() do with what await raises?",
    "gus": "What does await do with a Future that was cancelled?",
}


def _word(value: Any) -> str | None:
    if isinstance(value, str):
        return WORDS.get(value.strip().lower())
    return None


@exercise("06-predict-the-outcomes")
def predict_the_outcomes(trace: "Trace", prediction: Any = None) -> Verdict:
    """Predict how each of four waiters ends (result, exception, cancelled); checked on the end markers."""
    lanes = {t.name: t for t in trace.tasks}
    missing = [name for name in WAITERS if name not in lanes]
    if missing:
        return not_yet(f"The trace has no lane named {', '.join(missing)}. Did you run four_waiters() "
                       "as it is given?",
                       "Run the cell as given: four_waiters() starts the tasks dan, eve, fay and gus.")
    if not isinstance(prediction, dict):
        return not_yet("Your prediction is still empty. For each of dan, eve, fay and gus: will the "
                       "lane end with a green dot, a red cross or a grey square? Write \"result\", "
                       "\"exception\" or \"cancelled\" in the dict, then run the cell again.")
    unclear = [name for name in WAITERS if _word(prediction.get(name)) is None]
    if unclear:
        return not_yet(f"No prediction yet for {', '.join(unclear)}: each value is one of \"result\", "
                       "\"exception\" or \"cancelled\". How will that lane end: a green dot, a red cross "
                       "or a grey square?")
    wrong = [name for name in WAITERS if _word(prediction[name]) != lanes[name].outcome]
    if wrong:
        said = "; ".join(f"{name}: you said {_word(prediction[name])!r}, the lane ends with "
                         f"{_ended(lanes[name])}" for name in wrong)
        right = len(WAITERS) - len(wrong)
        return not_yet(f"{right} of 4 right. {said}. {QUESTION[wrong[0]]}",
                       " ".join(WHY[name] for name in wrong))
    dan = lanes["dan"]
    return solved("All four right, as the end markers show (outcome.chart() draws them). dan's lane "
                  f"ends at {seconds(dan.finished or 0)} with no wait: await on a done Future returns "
                  "at once. eve and fay waited on the same Future; one set_exception() raised the "
                  "same LookupError in both, and fay caught it. gus's await raised CancelledError, so "
                  "his task ended cancelled.")


# ---------------------------------------------------------------- 06-dinner-deadlock

MEAL = "'hot noodles'"


@exercise("06-dinner-deadlock")
def dinner_deadlock(trace: "Trace") -> Verdict:
    """dinner() must place the order before it awaits the meal: otherwise each waits on the other."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    kitchens = [t for t in trace.tasks if t.coroutine == "kitchen"]
    if not kitchens:
        return not_yet(f"The chart has no kitchen() lane: who cooks? Keep the kitchen as it is, a "
                       f"task that {name} starts.",
                       "Keep chef = asyncio.create_task(kitchen(order, meal)) in dinner(): the bug is "
                       "elsewhere.")
    kitchen = kitchens[0]
    if trace.deadlock:
        stuck = [t for t in (main, kitchen) if t.steps and t.outcome == "cancelled"]
        both = len(stuck) == 2 and all(_waits(t) and _waits(t)[-1][0].waits_on == FUTURE for t in stuck)
        where = (f"both lanes wait on '{FUTURE}', {name} on one Future and kitchen() on the other"
                 if both else "a lane still waits on a Future that nobody is left to resolve")
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: {where}. Which line "
                       f"of {name} sets the order, and has it run when {name} starts waiting?",
                       f"{name} awaits the meal before it places the order, and the kitchen waits for "
                       "the order before it cooks: each waits for the other. Place the order first "
                       "(order.set_result(\"noodles\")), then await the meal.")
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "Set each Future once: the order with order.set_result(\"noodles\") in dinner(), "
                       "the meal in the kitchen.")
    if main.outcome != "result" or main.detail != MEAL:
        return not_yet(f"{name} ended with {_ended(main)}, not with {MEAL}. What did it get from "
                       "awaiting the meal?",
                       f"Let {name} place the order, await the meal and return what it got.")
    served = [k for k in trace.links if k.waker == kitchen.id and k.woken == main.id]
    if not served or not any(s.waits_on == FUTURE for s, _ in _waits(main)):
        return not_yet(f"{name} got {MEAL}, but no wake-up arrow goes from kitchen() to {name}: "
                       f"{name} never waited on the meal while the kitchen cooked. Did {name} await "
                       "the meal, and who set it?",
                       "Keep kitchen() as it is, and in dinner() keep both: order.set_result(...) and "
                       "then food = await meal.")
    if not _close(main.finished, 3.0):
        return not_yet(f"{name} got {MEAL} at {seconds(main.finished or 0)}, not at 3.00 s. How long "
                       "did the kitchen cook?",
                       "Keep the kitchen's asyncio.sleep(3), and order at 0 s.")
    waited = bool(kitchen.steps) and kitchen.steps[0].waits_on == FUTURE
    first = ("the kitchen waited for the order until it came (the arrow from your lane to the "
             "kitchen's)" if waited else
             "the kitchen found the order already placed when it first ran, and began to cook")
    return solved(f"No deadlock: {name} placed the order before it waited, {first}; at 3.00 s it "
                  f"set the meal, the arrow from {kitchen.label} to {name}, and {name} returned "
                  f"{MEAL}. Two tasks that each wait for the other's Future wait forever: set yours "
                  "before you wait on theirs.")
