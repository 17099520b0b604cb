"""Exercises of notebooks/09_cancellation.ipynb: predict how six tasks end after cancel() and
shield, find the bare except that swallows a timeout, and write three calls under one deadline
with a cleanup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, seconds

if TYPE_CHECKING:
    from ..model import Step, TaskTrace, Trace

EPSILON = 1e-6
MARKERS = {"result": "a green dot (result)", "exception": "a red cross (exception)",
           "cancelled": "a grey square (cancelled)"}


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= EPSILON


def _ended(task: "TaskTrace") -> str:
    if task.outcome in MARKERS:
        detail = f": {task.detail}" if task.detail and task.outcome != "cancelled" else ""
        return f"{MARKERS[task.outcome]}{detail}"
    return "no end marker (it never finished)"


def _waits(trace: "Trace", inside: str) -> list[tuple["Step", float, float]]:
    """(step, start, end) of every wait of any task while inside coroutine `inside` (its own task
    or awaited in another), in the order they began."""
    found = []
    for task in trace.tasks:
        for step, after in zip(task.steps, task.steps[1:]):
            if step.waits_on and (task.coroutine == inside or inside in step.coroutines):
                found.append((step, step.end, after.start))
        last = task.steps[-1] if task.steps else None
        if last is not None and last.waits_on and task.finished is not None and (
                task.coroutine == inside or inside in last.coroutines):
            found.append((last, last.end, task.finished))
    return sorted(found, key=lambda w: (w[1], w[0].seq))


def _plain(step: "Step") -> str:
    """What a step waits on, without its timeout: 'sleep(4), timeout 3 s' -> 'sleep(4)'."""
    return step.waits_on.split(", timeout")[0]


# ---------------------------------------------------------------- 09-predict-the-ends

TASKS = ("ann", "bea", "cy", "dot", "eli", "fay")
WORDS = {"result": "result", "exception": "exception", "cancelled": "cancelled", "canceled": "cancelled"}
# Why each lane ends as it does (the program in the notebook): shown on request.
WHY = {
    "ann": "ann: nobody called ann.cancel(), but bea was waiting on ann when bea was cancelled, and "
           "cancelling a task cancels what it waits on: ann's sleep raised CancelledError at 1 s.",
    "bea": "bea: cancelled while she awaited ann; ann ended cancelled, and bea's await raised "
           "CancelledError, which she let through.",
    "cy": "cy: dot awaited asyncio.shield(cy), so cancelling dot cancelled only the shield's own "
          "Future; cy went on and returned 3 at 3 s.",
    "dot": "dot: the shield protects cy, not the one who awaits it; dot's await raised "
           "CancelledError at 1 s.",
    "eli": "eli: except BaseException caught the CancelledError and the coroutine returned "
           "'ignored it': a green dot at 1 s, and the request was lost.",
    "fay": "fay: CancelledError is a BaseException, not an Exception, so except Exception let it "
           "through and the task ended cancelled at 1 s.",
}
QUESTION = {
    "ann": "What does cancelling a task do to the task it is awaiting?",
    "bea": "What does bea's await raise when she is cancelled while she waits?",
    "cy": "What does asyncio.shield keep away from the task inside it?",
    "dot": "Whom does asyncio.shield protect: the task inside it, or the one awaiting it?",
    "eli": "What does except BaseException catch?",
    "fay": "Is CancelledError an Exception?",
}


def _word(value: Any) -> str | None:
    if isinstance(value, str):
        return WORDS.get(value.strip().lower())
    return None


@exercise("09-predict-the-ends")
def predict_the_ends(trace: "Trace", prediction: Any = None) -> Verdict:
    """Predict how six tasks end after cancel() and shield; checked on the end markers."""
    lanes = {t.name: t for t in trace.tasks}
    missing = [name for name in TASKS if name not in lanes]
    if missing:
        return not_yet(f"The trace has no lane named {', '.join(missing)}. Did you run six_tasks() "
                       "as it is given?",
                       "Run the cell as given: six_tasks() starts the tasks ann, bea, cy, dot, eli "
                       "and fay.")
    if not isinstance(prediction, dict):
        return not_yet("Your prediction is still empty. For each of ann, bea, cy, dot, eli and fay: "
                       "will the lane end with a green dot, a red cross or a grey square? Write "
                       "\"result\", \"exception\" or \"cancelled\" in the dict, then run the cell again.")
    unclear = [name for name in TASKS if _word(prediction.get(name)) is None]
    if unclear:
        return not_yet(f"No prediction yet for {', '.join(unclear)}: each value is one of \"result\", "
                       "\"exception\" or \"cancelled\". How will that lane end: a green dot, a red cross "
                       "or a grey square?")
    wrong = [name for name in TASKS if _word(prediction[name]) != lanes[name].outcome]
    if wrong:
        said = "; ".join(f"{name}: you said {_word(prediction[name])!r}, the lane ends with "
                         f"{_ended(lanes[name])}" for name in wrong)
        right = len(TASKS) - len(wrong)
        return not_yet(f"{right} of 6 right. {said}. {QUESTION[wrong[0]]}",
                       " ".join(WHY[name] for name in wrong))
    return solved("All six right, as the end markers show (ends.chart() draws them). Cancelling bea "
                  "cancelled ann, the task she awaited; the shield kept cy running to 3 s while dot, "
                  "who awaited it, was cancelled; eli's except BaseException swallowed the request "
                  "(a green dot at 1 s), and fay's except Exception let it through.")


# ---------------------------------------------------------------- 09-the-late-timeout

GAVE_UP = "'gave up'"


@exercise("09-the-late-timeout")
def the_late_timeout(trace: "Trace") -> Verdict:
    """fetch_with_retries() must retry errors only, so that the 3 s timeout ends get_page()."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    end = seconds(main.finished or 0)
    attempts = [(step, start, stop) for step, start, stop in _waits(trace, "fetch")
                if step.waits_on.startswith("sleep(")]
    if main.outcome == "exception":
        if main.detail.startswith("ConnectionError"):
            return not_yet(f"{name} ended with a red cross at {end}: {main.detail}. The first "
                           "attempt fails after 1 s. Who tries again?",
                           "Keep the retry loop in fetch_with_retries(), but let its except catch "
                           "errors only: except Exception: (or except ConnectionError:).")
        return not_yet(f"{name} ended with {_ended(main)} at {end}. Which line raised it, and who "
                       "should catch it?",
                       "Change only the except line of fetch_with_retries(): except Exception: "
                       "(or except ConnectionError:) retries errors and lets a cancellation through.")
    if main.outcome != "result":
        return not_yet(f"{name} ended with {_ended(main)} at {end}. Who cancelled it, and what "
                       "should it return when the 3 s are up?",
                       "Keep get_page() as it is; change only the except line of "
                       "fetch_with_retries(): except Exception:.")
    retried = any(_close(start, 1.0) for _, start, _ in attempts)
    cut = [(step, start, stop) for step, start, stop in attempts
           if start < 3.0 - EPSILON and _close(stop, 3.0)]
    if main.detail != GAVE_UP and _close(main.finished, 7.0) and cut:
        step, start, _ = cut[0]
        return not_yet(f"{name}'s lane ends at {end} with a green dot: {main.detail}. The 3 s "
                       "timeout did fire at 3.00 s: the wait on "
                       f"{_plain(step)} that began at {seconds(start)} ends there, before its time "
                       "was up, and a new attempt begins, no longer guarded by a timeout. What did "
                       "the CancelledError raised at 3.00 s run into inside fetch_with_retries()?",
                       "A bare except: catches BaseException, CancelledError included: the timeout's "
                       "cancellation was taken for a failed attempt, and retried. Catch errors only, "
                       "except Exception: (or except ConnectionError:), so that the CancelledError "
                       "reaches asyncio.timeout(), which turns it into TimeoutError at 3 s.")
    if main.detail != GAVE_UP:
        return not_yet(f"{name} returned {main.detail} at {end}, not {GAVE_UP} at 3.00 s. With a "
                       "flaky first attempt and a slow second one, what should the 3 s deadline do?",
                       "Keep get_page()'s asyncio.timeout(3) and fetch() as they are; change only the "
                       "except line of fetch_with_retries(): except Exception:.")
    if not _close(main.finished, 3.0):
        return not_yet(f"{name} gave up at {end}, not at 3.00 s. How long does the timeout in "
                       f"{name} allow?",
                       "Keep get_page()'s asyncio.timeout(3) as it is.")
    if not retried:
        return not_yet(f"{name} gave up at 3.00 s, but the chart shows no second attempt starting "
                       "at 1.00 s, after the first one failed. Does fetch_with_retries() still retry?",
                       "Keep the retry loop: for each attempt, return await fetch(attempt), and on an "
                       "error (except Exception:) go on to the next attempt.")
    return solved(f"{name} gave up at 3.00 s: the first attempt failed at 1.00 s and was retried, "
                  "and at 3.00 s the timeout's cancellation went through fetch_with_retries() "
                  "untouched, so asyncio.timeout() turned it into TimeoutError. except Exception "
                  "retries errors and leaves CancelledError alone; a bare except swallows it, and "
                  "with it every timeout and cancel() aimed at the task.")


# ---------------------------------------------------------------- 09-three-calls-one-deadline

CALLS = (("sleep(1)", 0.0, 1.0), ("sleep(2)", 1.0, 3.0), ("sleep(2)", 3.0, 4.0))
TOO_SLOW = "'too slow'"


@exercise("09-three-calls-one-deadline")
def three_calls_one_deadline(trace: "Trace") -> Verdict:
    """Three calls in a row under one 4 s deadline, hang_up() after them in every case."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    end = seconds(main.finished or 0)
    waits = [(step, start, stop) for step, start, stop in _waits(trace, "call")
             if step.waits_on.startswith("sleep(")]
    if not waits:   # wait_for(call(...)) on 3.12+: the chart shows the wait_for, not the call in it
        waits = [(step, start, stop) for step, start, stop in _waits(trace, main.coroutine)
                 if step.waits_on.startswith("wait_for")]
    guarded = any(", timeout" in step.waits_on for task in trace.tasks for step in task.steps)
    hang_ups = calls_of(trace, "hang_up")
    if main.outcome == "exception":
        if main.detail.startswith("TimeoutError"):
            return not_yet(f"{name} ended with a red cross at {end}: TimeoutError. The deadline "
                           f"fired; where does {name} catch it, to return \"too slow\"?",
                           "Put the async with asyncio.timeout(4): block inside try: ... and return "
                           "\"too slow\" in an except TimeoutError: (hang_up() in a finally:).")
        return not_yet(f"{name} ended with {_ended(main)} at {end}. Which line raised it?",
                       "Await the three calls one after another inside async with asyncio.timeout(4):, "
                       "catch TimeoutError around the block, and await hang_up() in a finally:.")
    if not waits:
        lane = ("a single blue tick at 0.00 s" if len(main.steps) == 1 else
                "no wait inside call()")
        return not_yet(f"The chart shows {name} with {lane}, and it returned "
                       f"{main.detail or 'nothing'}. Which calls does it make, and in what order?",
                       "await call(\"login\", 1), then await call(\"search\", 2), then await "
                       "call(\"report\", 2), all three inside one async with asyncio.timeout(4): block.")
    if most_at_once(calls_of(trace, "call")) > 1:
        return not_yet("The calls overlap on the chart: two or more wait at the same time. The "
                       "description asks for one after another: how do you make each call wait "
                       "until the one before has answered?",
                       "Await each call in turn (await call(...) three times), without create_task "
                       "or gather.")
    last_end = max(stop for _, _, stop in waits)
    if main.detail == "'done'" or last_end > 4.0 + EPSILON:
        per_call = (" Each wait is guarded by a timeout (its label says so), yet they ran past "
                    "4.00 s: is the 4 s counted once for the three calls, or again for each call?"
                    if guarded else " What stops them at 4.00 s?")
        return not_yet(f"The calls ran until {seconds(last_end)}, more than the 4 s allowed, and "
                       f"{name} returned {main.detail or 'nothing'} at {end}.{per_call}",
                       "One deadline for the whole: put the three awaits inside one async with "
                       "asyncio.timeout(4): block (not a timeout or wait_for around each call).")
    starts = [(_plain(step), round(start, 6), round(stop, 6)) for step, start, stop in waits]
    if starts != [(w, a, b) for w, a, b in CALLS]:
        shown = ", ".join(f"{w} from {seconds(a)} to {seconds(b)}" for w, a, b in starts)
        return not_yet(f"The calls wait on: {shown}. The plan is login (1 s) from 0.00 s, search "
                       "(2 s) from 1.00 s, and report from 3.00 s, cut by the deadline at 4.00 s. "
                       "Which call is missing, or late?",
                       "await call(\"login\", 1), await call(\"search\", 2), await call(\"report\", 2), "
                       "in that order, inside async with asyncio.timeout(4):.")
    after = [(a, b) for a, b in hang_ups if a >= 4.0 - EPSILON]
    if not after or not any(_close(b - a, 0.5) for a, b in after):
        return not_yet(f"The deadline cut the report call at 4.00 s, and {name} returned "
                       f"{main.detail or 'nothing'} at {end}, but the chart has no hang_up() of "
                       "0.5 s after 4.00 s. Where does the program hang up when the deadline cuts "
                       "the calls short?",
                       "await hang_up() in a finally: around the calls (inside or outside the async "
                       "with block): a finally runs when the calls end and when they are cut.")
    if main.detail != TOO_SLOW:
        return not_yet(f"{name} hung up, and returned {main.detail or 'nothing'} at {end}. What should "
                       "it return when the deadline came first?",
                       "Catch TimeoutError around the async with block and return \"too slow\" there.")
    if not _close(main.finished, 4.5):
        return not_yet(f"{name} returned {TOO_SLOW} at {end}, not at 4.50 s. What else does it wait "
                       "for, after the hang-up?",
                       "After the deadline, only hang_up() (0.5 s): then return \"too slow\".")
    return solved(f"login answered at 1.00 s and search at 3.00 s; the deadline cut the report call "
                  f"at 4.00 s; hang_up() ran from 4.00 to 4.50 s, and {name} returned {TOO_SLOW}. "
                  "One asyncio.timeout(4) was the deadline for the whole, and the finally ran "
                  "whether the calls answered or were cut short. An await in a finally works during "
                  "a cancellation too.")
