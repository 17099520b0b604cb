"""Exercises of notebooks/15_debugging_testing.ipynb.

15-who-waits-on-whom (read a chart): three payments waiting in a ring of locks until a timeout: for
each, the task that holds the lock it waits for (from the lock lanes), and since when they wait.
15-the-silent-hang (find the bug): two converters wait on an Event that the loader, returning early
from its cache, never sets: the cause is a lane that has already ended, not one in the report.
15-test-the-print-job (write): the assertions of a test on the virtual clock, which must pass on the
trace of wait_for_print() and fail on the traces of three broken versions of it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from . import Verdict, exercise, not_yet, solved
from .checks import number as _number, seconds, quoted, unanswered

if TYPE_CHECKING:
    from ..model import ResourceTrace, TaskTrace, Trace

EPSILON = 1e-6
CLOSE = 0.05          # how far a time read off the chart may be from the trace's


def _name(value: Any) -> str:
    """A task's name as a learner may write it: quotes, spaces, case and a trailing '()' ignored."""
    return str(value).strip().strip("'\"").strip().lower().removesuffix("()").strip()


def _task(trace: "Trace", name: str) -> "TaskTrace | None":
    return next((t for t in trace.tasks if t.name == name), None)


# ---------------------------------------------------------------- 15-who-waits-on-whom

PAYMENTS = ("ann-pays-ben", "ben-pays-cat", "cat-pays-ann")


def _lock_waits(trace: "Trace") -> dict[int, tuple[str, int, float]]:
    """For each task that waited on a watched Lock: (the lock's lane, the task holding it, since when).

    Read from the lock lanes as they were when the task first waited (the helpers' clean-up after a
    deadlock releases the locks later).
    """
    found: dict[int, tuple[str, int, float]] = {}
    for resource in trace.resources:
        if resource.kind != "Lock":
            continue
        holder, held = -1, False
        for time, task, level, _, waiting in resource.changes:
            if level and not held and task >= 0:
                holder = task
            held = bool(level)
            if not held:
                holder = -1
            for waiter in waiting:
                if waiter not in found and holder >= 0:
                    found[waiter] = (resource.name, holder, time)
    return found


@exercise("15-who-waits-on-whom")
def who_waits_on_whom(trace: "Trace", answer: Any = None) -> Verdict:
    """A ring of three payments: each waits for the lock that the next one holds."""
    payments = [_task(trace, name) for name in PAYMENTS]
    waits = _lock_waits(trace)
    if any(p is None or p.id not in waits for p in payments):
        return not_yet("In this trace the three payments ann-pays-ben, ben-pays-cat and cat-pays-ann do "
                       "not all wait for a lock: is it the trace of settle_debts(), drawn above?",
                       "Run the cell with settle_debts() as it is, then check(\"15-who-waits-on-whom\", "
                       "debts, my_answer).")
    keys = [f"{name} waits for" for name in PAYMENTS] + ["waiting from"]
    since = max(waits[p.id][2] for p in payments if p is not None)
    question = ("Each payment waits on Lock.acquire. On the lock lanes at the bottom, each lock says who "
                "holds it, and in red who waits for it: which lane holds the lock that ann-pays-ben "
                "waits for? And at what time do the payments' grey waits on Lock.acquire begin?")
    missing = unanswered(answer, keys, question,
                         "For each payment, find the lock lane whose red 'waiting' names it, read who "
                         "holds that lock, and write that task's name; the time is on the axis where the "
                         "waits on Lock.acquire begin.")
    if missing is not None:
        return missing
    names = {t.id: t.name for t in trace.tasks}
    missed: list[str] = []
    fixes: list[str] = []
    for payment in payments:
        assert payment is not None
        lock, holder, _ = waits[payment.id]
        said = answer[f"{payment.name} waits for"]
        right = names[holder]
        if _name(said) == right.lower():
            continue
        accounts = {form.format(owner) for owner in ("ann", "ben", "cat")
                    for form in ("{}", "{}'s", "{}'s account", "{}s account", "{}'s lock")}
        if _name(said) in accounts:
            missed.append(f"For {payment.name} you wrote {said!r}: that is an account, a lock lane. "
                          f"Which task holds the lock {payment.name} waits for?")
        elif _name(said) == payment.name:
            missed.append(f"You wrote that {payment.name} waits for itself. It holds one lock and waits "
                          "for another: who holds that other one?")
        else:
            missed.append(f"For {payment.name} you wrote {said!r}. Find the lock lane whose red "
                          f"'waiting' names {payment.name}: who holds that lock?")
        fixes.append(f"{payment.name} waits for {lock}, which {right} holds: write {right!r}.")
    said_since = _number(answer["waiting from"])
    if said_since is None or abs(said_since - since) > CLOSE:
        missed.append(f"You said they wait from {quoted(answer['waiting from'], ' s')}. At what time "
                      "does each payment come back from the bank and ask for its second lock?")
        fixes.append(f"Each asks for its second lock at {seconds(since)}, after its sleep(0.1): write "
                     f"{since:g}.")
    if missed:
        right_count = len(keys) - len(missed)
        head = f"{right_count} of your 4 answers match the trace. " if right_count else ""
        return not_yet(head + " ".join(missed), " ".join(fixes))
    order = [PAYMENTS[0]]
    while len(order) < len(PAYMENTS) + 1:
        order.append(names[waits[_task(trace, order[-1]).id][1]])  # type: ignore[union-attr]
    chain = f"{order[0]} waits for " + ", which waits for ".join(order[1:])
    return solved(f"From {seconds(since)} on: {chain}. Each payment holds its payer's lock and waits for "
                  "its payee's, which the next payment holds: a ring, so none can go on, until the "
                  "timeout cancels them all. The task lanes say what each waits on (Lock.acquire); the "
                  "lock lanes say who holds it, and who waits for it. Taking the two "
                  "locks in one order (transfer_in_order()) breaks the ring: cat-pays-ann would then "
                  "start with ann's lock and wait for it while holding nothing.")


# ---------------------------------------------------------------- 15-the-silent-hang

CONVERTERS = ("convert-EUR", "convert-GBP")
OFFICE_RESULT = ["rates from the cache", "100 EUR = 110.00 USD", "100 GBP = 130.00 USD"]
OFFICE_TIME = 0.5


@exercise("15-the-silent-hang")
def the_silent_hang(trace: "Trace") -> Verdict:
    """exchange_office(): the loader must set the Event on its cache path too."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    loader = _task(trace, "loader")
    converters = [_task(trace, n) for n in CONVERTERS]
    if loader is None or any(c is None for c in converters):
        return not_yet(f"The chart should have the lanes loader, {', '.join(CONVERTERS)}; it has "
                       f"{', '.join(t.name for t in trace.tasks)}. Did exchange_office() change?",
                       "Keep exchange_office() as it is: the bug is in load_rates().")
    if trace.deadlock:
        if loader.outcome == "result":
            ended = (f"The loader is not in it: its lane ended at {seconds(loader.finished or 0.0)} with a "
                     f"green dot, returning {loader.detail}.")
        else:
            ended = f"The loader is not in it: its lane ended with {loader.outcome}: {loader.detail}."
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: the report names "
                       f"{' and '.join(CONVERTERS)}, waiting on Event.wait, and Task-1 waiting for them. "
                       f"{ended} Who was meant to set the Event the converters wait on, and did it, on "
                       "the way it went?",
                       "load_rates() returns early on the cache path, before the line ready.set(): set "
                       "the Event on that path too (or in a finally:, so that it is set however "
                       "load_rates() ends).")
    failed = [t for t in trace.tasks[1:] + trace.tasks[:1] if t.outcome == "exception"]   # main last
    if failed:
        return not_yet(f"{failed[0].name}'s lane ends with a red cross: {failed[0].detail}. Which line "
                       "raised it?",
                       "Change only load_rates(): the converters need the rates in `rates` before the "
                       "Event is set.")
    if loader.detail != repr(OFFICE_RESULT[0]):
        return not_yet(f"No deadlock now. But the loader returned {loader.detail} and the run took "
                       f"{seconds(trace.duration)}: the cache had the rates. Which way did load_rates() "
                       "go?",
                       "Keep the cache path (return 'rates from the cache' without asking the bank), and "
                       "set the Event on it.")
    if main.outcome != "result" or trace.result != OFFICE_RESULT:
        return not_yet(f"No deadlock now, but {name} returned {main.detail or 'nothing'}. What should "
                       "the converters return, with the rates from the cache?",
                       f"It should return {OFFICE_RESULT!r}: set the Event after rates.update(cache).")
    if abs(trace.duration - OFFICE_TIME) > EPSILON:
        return not_yet(f"The right answers, in {seconds(trace.duration)}. The rates were in the cache at "
                       f"0 s and each conversion takes 0.5 s: when could the converters start?",
                       "Set the Event as soon as the rates are in `rates`, and do not wait for anything "
                       "else before it.")
    return solved("No deadlock: the loader set the Event at 0.00 s, on its cache path (on the step view, "
                  "its arrows to both converters), and both converted by 0.50 s. The report listed only "
                  "the waiters, on Event.wait; the cause was a lane that had already ended, with a green "
                  "dot: a task that returned by a way that skipped the line that wakes the others. A "
                  "`finally: ready.set()` covers every way out, also an exception (then the converters "
                  "must check that the rates are there).")


# ---------------------------------------------------------------- 15-test-the-print-job

PRINT_SECONDS = 5
PRINT_RESULT = "printed"
PRINT_TIME = 6.0


class _PrintJob:
    def __init__(self, seconds: float) -> None:
        self.done_at = asyncio.get_running_loop().time() + seconds

    async def status(self) -> str:
        await asyncio.sleep(0)
        return "done" if asyncio.get_running_loop().time() >= self.done_at else "printing"


async def _spin() -> None:
    while True:
        await asyncio.sleep(0.5)


async def _asks_every_second(seconds: float = PRINT_SECONDS) -> str:
    job = _PrintJob(seconds)
    spinner = asyncio.create_task(_spin(), name="spinner")
    try:
        while await job.status() != "done":
            await asyncio.sleep(1)
    finally:
        spinner.cancel()
    return "printed"


async def _forgets_the_spinner(seconds: float = PRINT_SECONDS) -> str:
    job = _PrintJob(seconds)
    asyncio.create_task(_spin(), name="spinner")
    while await job.status() != "done":
        await asyncio.sleep(2)
    return "printed"


async def _gives_up_after_three_tries(seconds: float = PRINT_SECONDS) -> str:
    job = _PrintJob(seconds)
    spinner = asyncio.create_task(_spin(), name="spinner")
    try:
        for _ in range(3):
            if await job.status() == "done":
                return "printed"
            await asyncio.sleep(2)
        return "gave up"
    finally:
        spinner.cancel()


# (what it is, the coroutine function, what its trace shows that the right one's does not)
BROKEN: list[tuple[str, Callable[[], Any], str]] = [
    ("asks every second", _asks_every_second,
     "asks every second instead of every 2 s: it returns 'printed' at 5.00 s"),
    ("forgets to stop the spinner", _forgets_the_spinner,
     "forgets to cancel the spinner: 'printed' at 6.00 s like the right one, but the spinner is still "
     "running when it returns (the helpers cancel it, and say so)"),
    ("gives up after three tries", _gives_up_after_three_tries,
     "gives up after three tries: at 6.00 s like the right one, and with no task left over, but it "
     "returns 'gave up'"),
]
_BROKEN_TRACES: dict[str, "Trace"] = {}


def _broken_trace(what: str, program: Callable[[], Any]) -> "Trace":
    """The trace of a broken version (run once, kept)."""
    if what not in _BROKEN_TRACES:
        from ..run import run_traced
        _BROKEN_TRACES[what] = run_traced(program(), quiet=True)
    return _BROKEN_TRACES[what]


def _outcome(test: Callable[[Any], Any], trace: "Trace") -> tuple[str, str]:
    """("passed" | "failed" | "error", what was raised) for test(trace)."""
    try:
        test(trace)
    except AssertionError as error:
        return "failed", str(error)
    except Exception as error:  # the learner's test broke: say so
        return "error", f"{type(error).__name__}: {error}"
    return "passed", ""


@exercise("15-test-the-print-job")
def test_the_print_job(trace: "Trace", test: Any = None) -> Verdict:
    """verify_print_job(t): passes on the right trace, fails on each broken version's."""
    if not callable(test):
        return not_yet("check() needs your test function too: what does check(\"15-test-the-print-job\", "
                       "printed, verify_print_job) pass as its third argument?",
                       "Pass the function itself, without calling it: check(\"15-test-the-print-job\", "
                       "printed, verify_print_job).")
    if trace.result != PRINT_RESULT or abs(trace.duration - PRINT_TIME) > EPSILON or trace.leftovers:
        return not_yet(f"This trace lasts {seconds(trace.duration)} and its program returned "
                       f"{trace.result!r}: is it the trace of wait_for_print() as given, drawn above?",
                       "Run the wait_for_print() cell as it is, then check(\"15-test-the-print-job\", "
                       "printed, verify_print_job).")
    outcome, raised = _outcome(test, trace)
    right = (f"The right trace: {seconds(PRINT_TIME)}, result {PRINT_RESULT!r}, no task left over "
             "(t.leftovers is []), and the spinner's lane ends cancelled.")
    if outcome == "error":
        return not_yet(f"On the trace of wait_for_print() as given, your test raised {raised}. {right} "
                       "Which line of your test raised it?",
                       "Use only what a trace has: t.result, t.duration, t.leftovers, t.deadlock, "
                       "t.tasks; and compare with ==.")
    if outcome == "failed":
        because = f" ({raised})" if raised else ""
        return not_yet(f"Your test failed on the trace of wait_for_print() as given{because}. {right} "
                       "Which of your asserts expects something else?",
                       f"assert t.result == {PRINT_RESULT!r}; assert t.duration == {PRINT_TIME:g}; "
                       "assert not t.leftovers.")
    missed = []
    for what, program, shows in BROKEN:
        broken_outcome, raised = _outcome(test, _broken_trace(what, program))
        if broken_outcome == "passed":
            missed.append((what, shows))
        elif broken_outcome == "error":
            return not_yet(f"On the broken version that {what}, your test raised {raised}, not an "
                           "AssertionError: a test should say what is wrong with an assert. Which line "
                           "raised it?",
                           "Read only what every trace has (t.result, t.duration, t.leftovers), and "
                           "compare with ==.")
    if missed:
        also = ("on all three broken versions too" if len(missed) == len(BROKEN) else
                "also on one broken version" if len(missed) == 1 else f"also on {len(missed)} broken versions")
        details = " ".join(f"The one that {shows}." for _, shows in missed)
        which = "each of them" if len(missed) > 1 else "it"
        return not_yet(f"Your test passes on wait_for_print() as it is (good), and {also}. {details} Which "
                       f"number or list in a trace tells {which} apart from the right program's?",
                       " ".join({"asks every second": "assert t.duration == 6 (exactly: virtual time).",
                                 "forgets to stop the spinner": "assert not t.leftovers (no task left "
                                 "running when wait_for_print() returns).",
                                 "gives up after three tries": "assert t.result == 'printed'."}[what]
                                for what, _ in missed))
    return solved("Your test passes on wait_for_print() and fails on each broken version: the one that "
                  "asks every second (5.00 s), the one that leaves its spinner running (t.leftovers), and "
                  "the one that gives up ('gave up'). It runs in no real time: 6 s of printing, checked "
                  "exactly, in a few milliseconds. In pytest: def test_wait_for_print(): "
                  "verify_print_job(run_traced(wait_for_print())).")
