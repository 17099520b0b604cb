"""Exercises of notebooks/13_async_iteration.ipynb.

13-when-closed (predict): three async generators left after their first item, by a plain break, a
break inside aclosing(), and a break with the generator kept in a list: when, and by whom, is each
one closed?
13-first-match (write): an async generator that fetches pages one by one and hangs up in its
finally, read with aclosing() until a page matches: three fetches, the hang-up on the reader's own
lane, no clean-up task.
13-audit-deadlock (find the bug): an async generator that holds a Lock while it streams, kept alive
by a variable after a break: the reader waits for the lock its own generator holds.

The checkers read what the chart shows: lanes (an ``async_generator_athrow()`` lane is the task the
event loop makes to close an abandoned async generator), waits and their labels (``sleep(1)`` a
fetch, ``sleep(0.5)`` a hang-up or a write), ends, the deadlock report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import blank, number, seconds

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6
CLEANUP = "async_generator_athrow"   # the coroutine of the task the loop's finalizer hook makes
SHUTDOWN = "BaseEventLoop.shutdown_asyncgens"   # the run's end: closes every generator still open


def _waits(task: "TaskTrace", label: str) -> list[tuple[float, float]]:
    """(from, until) of each wait of `task` on `label` (until its next step, or its end)."""
    found = []
    for step, after in zip(task.steps, task.steps[1:] + [None]):
        if step.waits_on != label:
            continue
        until = after.start if after is not None else task.finished
        if until is not None:
            found.append((step.end, until))
    return found


def _cleanups(trace: "Trace") -> list["TaskTrace"]:
    """The tasks the loop's finalizer hook made while the program ran (not those of the run's end)."""
    return [t for t in trace.tasks if t.coroutine == CLEANUP and t not in _at_shutdown(trace)]


def _at_shutdown(trace: "Trace") -> list["TaskTrace"]:
    """The run's own clean-up of generators still open at the end: loop.shutdown_asyncgens()'s task
    and the task it makes for each generator (asyncio.run does the same)."""
    ends = [t for t in trace.tasks if t.coroutine == SHUTDOWN]
    names = {t.name for t in ends}
    return ends + [t for t in trace.tasks if t.coroutine == CLEANUP and t.created_by in names]


# ---------------------------------------------------------------- 13-when-closed

STREAMS = ("A", "B", "C")
# what each stream's close really was, for three_readers() as given in the notebook
TRUTH = {"A": (1.0, "new task"), "B": (2.0, "reader"), "C": (4.0, "shutdown")}
WHERE = {
    "reader": "reader", "the reader": "reader", "reader's task": "reader", "the reader's task": "reader",
    "task-1": "reader", "three_readers": "reader", "three_readers()": "reader", "own task": "reader",
    "new task": "new task", "a new task": "new task", "another task": "new task", "other task": "new task",
    "task-2": "new task", "new": "new task", "a task of its own": "new task",
    "async_generator_athrow": "new task", "async_generator_athrow()": "new task",
    "shutdown": "shutdown", "at shutdown": "shutdown", "the end": "shutdown", "end": "shutdown",
    "the run's clean-up": "shutdown", "clean-up": "shutdown", "cleanup": "shutdown",
    "shutdown_asyncgens": "shutdown", "shutdown_asyncgens()": "shutdown",
}
WHERE_WORDS = '"reader", "new task" or "shutdown"'
QUESTION = {
    "A": "After the break nothing refers to A any more: who closes an async generator that is freed "
         "before it finished, and when does that code get its turn?",
    "B": "What does aclosing() do to B when its block ends, and in which task does that code run?",
    "C": "Who still refers to C after the break, and until when?",
}
WHY = {
    "A": "A is freed at the break, at 1 s. Python calls the loop's finalizer hook instead of closing "
         "it, and the hook queues agen.aclose() as a new task, which runs as soon as three_readers() "
         "waits (its first anext() of B, still at 1 s): (1, \"new task\").",
    "B": "aclosing() awaits b.aclose() when its block ends: at the break, at 2 s, in three_readers()'s "
         "own task, before the next line: (2, \"reader\").",
    "C": "KEPT holds C, so it is not freed while the run lasts. three_readers() returns at 4 s, and then "
         "the run's clean-up, loop.shutdown_asyncgens(), closes every async generator still open: "
         "(4, \"shutdown\").",
}


def _where(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return WHERE.get(" ".join(value.strip().lower().split()))


@exercise("13-when-closed")
def when_closed(trace: "Trace", prediction: Any = None) -> Verdict:
    """Predict when and where three abandoned async generators are closed."""
    main = trace.tasks[0]
    cleanups = _cleanups(trace)
    if (main.coroutine != "three_readers" or main.outcome != "result" or len(cleanups) != 1
            or abs((cleanups[0].started or -1) - TRUTH["A"][0]) > EPSILON
            or abs(trace.duration - TRUTH["C"][0]) > EPSILON):
        return not_yet(f"This trace has the lanes {', '.join(t.label for t in trace.tasks)} and lasts "
                       f"{seconds(trace.duration)}; three_readers() as given has one clean-up lane while "
                       "it runs, and lasts 4.00 s. Is it the trace of three_readers(), unchanged?",
                       "Run the cell of tickets() and three_readers() as given, then the exercise cell: "
                       "readers = await trace(three_readers()).")
    if not isinstance(prediction, dict) or any(
            not isinstance(prediction.get(s), (tuple, list)) or len(prediction[s]) != 2
            or blank(prediction[s][0]) or blank(prediction[s][1]) for s in STREAMS):
        return not_yet("Your prediction still has ... in it. For each of A, B and C: at what time (in "
                       f"seconds) is the stream closed, and where: {WHERE_WORDS}?",
                       "Write a pair for each stream, a time and a place, such as (2.5, \"shutdown\"): "
                       "reader (three_readers()'s own task, before it goes on), new task (a task the "
                       "event loop makes for it) or shutdown (the run's clean-up, after three_readers() "
                       "returned).")
    unclear = [s for s in STREAMS if number(prediction[s][0]) is None or _where(prediction[s][1]) is None]
    if unclear:
        return not_yet(f"I cannot read your prediction for {', '.join(unclear)}: each is a pair, a time in "
                       f"seconds and one of {WHERE_WORDS}. At what time, and where, is "
                       f"{unclear[0]} closed?",
                       "A pair such as (2.5, \"shutdown\"): the time, then one of the three words.")
    wrong = []
    for s in STREAMS:
        at, where = TRUTH[s]
        said_at, said_where = number(prediction[s][0]), _where(prediction[s][1])
        if said_at is None or abs(said_at - at) > 0.01 or said_where != where:
            wrong.append(s)
    if wrong:
        said = "; ".join(f"{s}: you said ({number(prediction[s][0]):g} s, {_where(prediction[s][1])})"
                         for s in wrong)
        right = len(STREAMS) - len(wrong)
        return not_yet(f"{right} of 3 right. {said}. {QUESTION[wrong[0]]}",
                       " ".join(WHY[s] for s in wrong))
    clean = cleanups[0]
    return solved(f"All three right. A was closed at 1 s by a task the loop made when the break dropped "
                  f"it: the lane {clean.label} on readers.chart(), from {seconds(clean.started)}. B was "
                  "closed at 2 s by aclosing(), in three_readers()'s own task, before it went on. C was "
                  "closed at 4 s, after three_readers() returned, by the run's clean-up: the lanes of "
                  "BaseEventLoop.shutdown_asyncgens() and the async_generator_athrow() task it made. "
                  "print(*closed, sep=\"\\n\") shows what each stream noted.")


# ---------------------------------------------------------------- 13-first-match

MATCH = "'the lost key'"
MATCH_PAGE = 3
FETCH, HANG_UP = "sleep(1)", "sleep(0.5)"
FASTEST = MATCH_PAGE * 1.0 + 0.5


@exercise("13-first-match")
def first_match(trace: "Trace") -> Verdict:
    """find('key'): three fetches of 1 s, then the hang-up (0.5 s) in find()'s own task, 3.5 s."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    fetches = sorted(w for t in trace.tasks for w in _waits(t, FETCH))
    hang_ups = [(t, w) for t in trace.tasks for w in _waits(t, HANG_UP)]
    cleanups = _cleanups(trace)
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "book_pages() yields await fetch(number) for number 1, 2, ... in a try whose "
                       "finally awaits hang_up(); find() reads it inside async with aclosing(...).")
    if trace.deadlock:
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: the report above the "
                       "chart says who waits on what. What does it wait for?",
                       "Only fetch() and hang_up() need to wait here: no Future, Queue or Lock.")
    if not fetches:
        return not_yet(f"{name} returned {main.detail or 'nothing'} at {seconds(trace.duration)}, and the "
                       "chart has no sleep(1): no page was fetched. What should book_pages() yield, and "
                       f"what does {name} read?",
                       "In book_pages(), for each page number from 1: yield await fetch(number). In "
                       "find(), read it with async for, and return the first page with the word in it.")
    if len(fetches) > MATCH_PAGE:
        return not_yet(f"{len(fetches)} pages were fetched (the sleep(1) waits), but the first page with "
                       f"'key' in it is page {MATCH_PAGE}. Did book_pages() fetch pages before they were "
                       f"asked for, or did {name} read on after the match?",
                       "Fetch each page right before you yield it, one at a time (not all first), and "
                       "return from find() at the first page that contains the word.")
    if main.detail != MATCH:
        return not_yet(f"{name} returned {main.detail or 'nothing'}, after {len(fetches)} fetches. Which "
                       "is the first page with 'key' in it?",
                       f"Return the page itself, {MATCH}, from inside the async for.")
    if not hang_ups:
        return not_yet(f"{name} found the page, but the chart has no sleep(0.5): nobody hung up. Where "
                       "does the generator hang up, however the reading stops?",
                       "In book_pages(), put the loop in try: and await hang_up() in finally:; then "
                       "read it in find() inside async with aclosing(book_pages()) as pages:.")
    hung_by, (began, ended) = hang_ups[0]
    if hung_by is not main or cleanups:
        lane = cleanups[0].label if cleanups else hung_by.label
        ended_how = "ended cancelled" if (cleanups and cleanups[0].outcome == "cancelled") else "ended"
        return not_yet(f"The hang-up (sleep(0.5)) ran on a second lane, {lane}, from {seconds(began)}: "
                       f"{name} had already returned at {seconds(main.finished or 0)}, and that lane "
                       f"{ended_how} in the run's clean-up. The event loop closed the abandoned generator "
                       f"for you, later, in a task of its own. What would make {name} close it itself, "
                       "before it returns?",
                       "Read the generator inside async with aclosing(book_pages()) as pages: ... async "
                       "for page in pages:. The block's end (a return inside it too) awaits "
                       "pages.aclose(), which runs the finally in find()'s own task.")
    if trace.duration > FASTEST + EPSILON:
        return not_yet(f"Right page, hung up on {name}'s own lane, but the run took "
                       f"{seconds(trace.duration)}: three fetches and a hang-up take {seconds(FASTEST)}. "
                       "What else waits on the chart?",
                       "Fetch only when asked, hang up once, and wait for nothing else.")
    return solved(f"{name} returned {MATCH} at {seconds(main.finished or trace.duration)}: three pages "
                  f"fetched one at a time (sleep(1)), then the hang-up (sleep(0.5)) on {name}'s own lane, "
                  f"from {seconds(began)} to {seconds(ended)}, before it returned: the generator was closed "
                  "in the reader's task (aclosing() does that at the end of its block). One lane, no "
                  "async_generator_athrow() task, and page 4 was never fetched.")


# ---------------------------------------------------------------- 13-audit-deadlock

BALANCE = "-145"
WRITE = "sleep(0.5)"      # writing the note (open_ledger() waits sleep(0.5) too, from 0 s)
OPENED = 0.5


@exercise("13-audit-deadlock")
def audit_deadlock(trace: "Trace") -> Verdict:
    """audit(): the generator's lock released at the break, in audit()'s task; -145 at 5 s."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    cleanups = _cleanups(trace)
    if trace.deadlock:
        waits = _waits(main, "Lock.acquire") or [(trace.duration, trace.duration)]
        lanes = [r for r in trace.resources if r.name == "ledger.lock"]
        held = lanes[0].held() if lanes else []
        since = f" since {seconds(held[0][0])}" if held else ""
        owner = held[0][2] if held else -1
        by = f" by {trace.tasks[owner].name}" if 0 <= owner < len(trace.tasks) else ""
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: {name} waits on "
                       f"Lock.acquire from {seconds(waits[-1][0])} on, and the ledger.lock lane says the "
                       f"lock is held{by}{since}, and never released. Only one task of the program ran, "
                       f"{main.name}: what in it took the lock, and what still holds it after the loop?",
                       "entries() took the lock in its async with, and after the break it is still "
                       "suspended at its yield, inside that block: it holds the lock. rows keeps the "
                       "generator alive, so nobody closes it. Close it when the loop ends: async with "
                       "aclosing(entries(ledger)) as rows: around the async for.")
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "Keep audit() as it is, apart from closing the generator: async with "
                       "aclosing(entries(ledger)) as rows: around the async for.")
    if main.detail != BALANCE:
        return not_yet(f"{name} returned {main.detail or 'nothing'}. Where does the balance first go "
                       "below 0, adding 120, -40, 75, -300?",
                       "Keep the sum and the break as they are: the bug is that the lock is not released.")
    if cleanups:
        clean = cleanups[0]
        return not_yet(f"No deadlock, and {name} returned {BALANCE}. But the lock was released by a second "
                       f"lane, {clean.label}, at {seconds(clean.started or 0)}: the event loop's task for "
                       "an abandoned generator. It worked because nothing kept the generator after the "
                       f"break; if anything does, it deadlocks again. How can {name} close the generator "
                       "itself, at the break?",
                       "Read it inside async with aclosing(entries(ledger)) as rows: ... async for row in "
                       "rows:. The block's end awaits rows.aclose(): the generator's async with releases "
                       "the lock in audit()'s own task, before the next line.")
    writes = [w for w in _waits(main, WRITE) if w[0] > OPENED + EPSILON]   # not open_ledger()'s
    if not writes:
        return not_yet(f"{name} returned {BALANCE}, but the chart has no sleep(0.5) after the rows: the "
                       "note was never written. Which block writes it?",
                       "Keep the async with ledger.lock: block that writes the note.")
    write = writes[-1]
    return solved(f"{name} returned {BALANCE} at {seconds(trace.duration)}, on one lane, with no wait on "
                  f"Lock.acquire. At the break, at {seconds(write[0])}, the generator was closed in {main.name}: "
                  "its async with released ledger.lock, and the next line took it again, all in one step of "
                  f"{main.name} (which is why the lock's lane never shows it free), to write the note from "
                  f"{seconds(write[0])} to {seconds(write[1])}. No clean-up task.")
