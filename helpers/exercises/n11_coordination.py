"""Exercises of notebooks/11_coordination.ipynb.

11-read-the-shelf (read a chart): a bounded queue's lane: from when to when it was full, and which
task it held back.
11-three-at-a-time (write): fetch 10 pages, at most 3 at once, with a Semaphore.
11-oversold (find the bug): check a seat, await the payment, take the seat: five tickets for three
seats, a race across an await.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import number as _number, most_at_once, seconds, quoted, unanswered

if TYPE_CHECKING:
    from ..model import ResourceTrace, TaskTrace, Trace

EPSILON = 1e-6
CLOSE = 0.25          # how far a time read off a chart may be from the trace's




def _waits(task: "TaskTrace") -> list[tuple[str, float, float]]:
    """(what, from, until) of each wait of `task` (until the step after it)."""
    return [(step.waits_on, step.end, after.start)
            for step, after in zip(task.steps, task.steps[1:]) if step.waits_on]


# ---------------------------------------------------------------- 11-read-the-shelf

SHELF_KEYS = ("full from", "full until", "held back")


def _full_spans(resource: "ResourceTrace", end: float) -> list[tuple[float, float]]:
    """When the queue was full, as the chart draws it: instants of room (a get() at once followed
    by a put()) do not count, and spans that touch are one."""
    changes = resource.changes
    spans: list[tuple[float, float]] = []
    for i, (time, _, level, limit, _) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else end
        if until - time <= EPSILON:
            continue                        # an instant: drawn as nothing
        if limit and level is not None and level >= limit:
            if spans and abs(spans[-1][1] - time) <= EPSILON:
                spans[-1] = (spans[-1][0], until)
            else:
                spans.append((time, until))
    return spans


def _name(value: Any) -> str:
    return str(value).strip().lower().removesuffix("()").strip()


@exercise("11-read-the-shelf")
def read_the_shelf(trace: "Trace", answer: Any = None) -> Verdict:
    """Read a bounded queue's lane: when it was full, and whom it held back (waits on Queue.put)."""
    shelves = [r for r in trace.resources if r.kind == "Queue" and r.name == "shelf"]
    if not shelves:
        return not_yet("This trace has no shelf lane: is it the trace of bakery(), the chart above?",
                       "Pass loaves, the trace drawn above: check(\"11-read-the-shelf\", loaves, "
                       "my_answer).")
    spans = _full_spans(shelves[0], trace.duration)
    held = [t for t in trace.tasks if any(what == "Queue.put" and b - a > EPSILON
                                          for what, a, b in _waits(t))]
    if not spans or not held:
        return not_yet("In this trace the shelf was never full, or nobody waited on Queue.put: is it "
                       "the trace of bakery() as given?",
                       "Run the bakery cell as it is, then check(\"11-read-the-shelf\", loaves, "
                       "my_answer).")
    start, end = spans[0]
    question = ("Look at the shelf lane at the bottom: where does the green area reach the dotted line "
                "(maxsize 2), and where does it drop below it again? Which lane waits on Queue.put "
                "meanwhile?")
    missing = unanswered(answer, SHELF_KEYS, question,
                         "Write two times in seconds, read on the time axis under the shelf lane, and "
                         "the name of a task lane.")
    if missing is not None:
        return missing
    missed: list[str] = []
    fixes: list[str] = []
    said = _number(answer["full from"])
    if said is None or abs(said - start) > CLOSE:
        missed.append(f"You said the shelf was full from {quoted(answer['full from'], ' s')}. The "
                      "green area is how many loaves are on the shelf, the dotted line how many fit: "
                      "at what time does the green first reach the dotted line?")
        fixes.append(f"The shelf's second loaf went on at {seconds(start)}: write {start:g}.")
    said = _number(answer["full until"])
    if said is None or abs(said - end) > CLOSE:
        missed.append(f"You said it stayed full until {quoted(answer['full until'], ' s')}. Follow "
                      "the full shelf to the right: where does the green area drop below the dotted "
                      "line?")
        fixes.append(f"From 6 s the seller took a loaf every 2 s, and the baker filled the gap at once "
                     f"until the last loaf was on; the shelf had room again from {seconds(end)} on: "
                     f"write {end:g}.")
    names = {t.name.lower() for t in held} | {t.coroutine.lower() for t in held}
    who = held[0]
    waits = [(a, b) for what, a, b in _waits(who) if what == "Queue.put" and b - a > EPSILON]
    if _name(answer["held back"]) not in names:
        missed.append(f"You said {answer['held back']!r}. A task held back by a full queue waits in "
                      "put(): which lane has a grey wait labelled Queue.put?")
        fixes.append(f"The lane {who.label} waits on Queue.put from {seconds(waits[0][0])} to "
                     f"{seconds(waits[0][1])}: write {who.name!r}.")
    if missed:
        right = len(SHELF_KEYS) - len(missed)
        head = f"{right} of your 3 answers match{'es' if right == 1 else ''} the trace. " if right else ""
        return not_yet(head + " ".join(missed), " ".join(fixes))
    first = waits[0]
    return solved(f"The shelf was full from {seconds(start)} to {seconds(end)}, and the {who.name} was "
                  f"held back: {len(waits)} waits on Queue.put, the first from {seconds(first[0])} to "
                  f"{seconds(first[1])}, when the shop opened. Each sale made room for one loaf and woke "
                  f"the {who.name} (the purple arrows from the seller): backpressure, the producer paced by "
                  "its consumer. Without maxsize the baker would have been done at 5 s, with all five "
                  "loaves on the shelf.")


# ---------------------------------------------------------------- 11-three-at-a-time

PAGES = 10
LIMIT = 3
FASTEST = 4.0                      # 10 fetches of 1 s, 3 at a time
PAGE_TEXTS = [f"page {n}" for n in range(PAGES)]


def _fetch_waits(trace: "Trace") -> list[tuple[float, float]]:
    """(from, until) of each download: a wait on sleep(1) inside fetch()."""
    found = []
    for task in trace.tasks:
        for step, after in zip(task.steps, task.steps[1:]):
            if step.waits_on == "sleep(1)" and "fetch" in step.coroutines:
                found.append((step.end, after.start))
    return found


@exercise("11-three-at-a-time")
def three_at_a_time(trace: "Trace") -> Verdict:
    """fetch_all(): 10 fetches of 1 s, never more than 3 at once, in 4 s, results in page order."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    fetches = _fetch_waits(trace)
    most = most_at_once(fetches) if fetches else 0
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "Make a Semaphore(3) inside fetch_all(), start one task per page whose coroutine "
                       "does `async with limit: return await fetch(page)`, and gather them.")
    if trace.deadlock:
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: the report above the "
                       "chart names who waits on what. Who was meant to release the permits they wait "
                       "for?",
                       "Take each permit with `async with limit:` around `await fetch(page)`: the block "
                       "releases it when it ends.")
    if not fetches:
        return not_yet(f"The run took {seconds(trace.duration)} and {name} returned "
                       f"{main.detail or 'nothing'}: no fetch() downloaded anything (no sleep(1) inside "
                       f"fetch() on the chart). What does {name} start or await?",
                       "Start one task per page (or gather the calls) and return their results: "
                       "return await asyncio.gather(*(limited(page) for page in range(10))), where "
                       "limited() fetches inside `async with limit:`.")
    if most > LIMIT:
        at = min(a for a, _ in fetches)
        return not_yet(f"At {seconds(at)}, {most} fetches downloaded at once (their sleep(1) bars "
                       f"overlap), and the site refuses a fourth. What could make the fourth fetch wait "
                       "until one of the first three is done?",
                       "Make limit = asyncio.Semaphore(3) in fetch_all(), and do each fetch inside "
                       "`async with limit:` (in a small coroutine of your own around fetch(page)): a "
                       "fourth task then waits on Semaphore.acquire until a permit comes back.")
    if len(fetches) < PAGES:
        return not_yet(f"Only {len(fetches)} fetches downloaded (sleep(1) inside fetch()), not "
                       f"{PAGES}. Which pages did {name} leave out?",
                       "Fetch every page of range(10).")
    if trace.duration > FASTEST + EPSILON:
        one = " one at a time" if most == 1 else f" at most {most} at a time"
        return not_yet(f"The run took {seconds(trace.duration)}: the fetches ran{one}. Ten fetches of "
                       f"1 s, 3 at a time, can be done in {seconds(FASTEST)}. In the first second, how "
                       "many sleep(1) bars of fetch() run side by side, and how many could?",
                       "Start all ten as tasks at once (or gather them), each waiting for a permit of "
                       "the same Semaphore(3) with `async with limit:`; do not await one before "
                       "starting the next.")
    if main.outcome != "result" or trace.result != PAGE_TEXTS:
        return not_yet(f"Never more than 3 at once, in {seconds(trace.duration)}: good. But {name} "
                       f"returned {main.detail or 'nothing'}. What should it return, and in which "
                       "order?",
                       "Return the texts in page order: asyncio.gather(...) gives the results in the "
                       "order of its arguments, whenever each one finishes.")
    semaphores = [r for r in trace.resources if r.kind == "Semaphore"]
    waited = sum(1 for t in trace.tasks if any(w == "Semaphore.acquire" for w, _, _ in _waits(t)))
    how = (f"The {semaphores[0].name} lane counts the free permits: 0 while three fetches run, and "
           f"{waited} tasks waited on Semaphore.acquire for their turn, each woken by a release (the "
           "purple arrows)." if semaphores and waited else
           "No Semaphore on the chart: you limited them another way, which the chart accepts too "
           "(a Semaphore(3) around each fetch is the shortest way).")
    return solved(f"Ten fetches, never more than {most} at once, in {seconds(trace.duration)}, and "
                  f"{name} returned the ten pages in order. {how} Ten fetches of 1 s, 3 at a time, "
                  "make 4 rounds: 4 s is the fastest the site allows.")


# ---------------------------------------------------------------- 11-oversold

SEATS = 3
BUYERS = ("ann", "ben", "cat", "dan", "eve")


@exercise("11-oversold")
def oversold(trace: "Trace") -> Verdict:
    """Exactly three tickets for three seats: check and take the seat without an await between,
    or hold the show's lock across check, payment and update."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    buyers = [t for t in trace.tasks if t.name in BUYERS]
    if len(buyers) != len(BUYERS):
        return not_yet(f"The chart should have a lane for each of {', '.join(BUYERS)}; it has "
                       f"{', '.join(t.name for t in trace.tasks)}. Did box_office() change?",
                       "Keep box_office() as it is: the bug is in buy().")
    if trace.deadlock:
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: the report above the "
                       "chart names who waits on what. Who holds the lock they wait for?",
                       "Take show.lock once, with `async with show.lock:` around the check, the "
                       "payment and the update, and nowhere else.")
    failed = [t for t in buyers + [main] if t.outcome == "exception"]
    if failed:
        return not_yet(f"{failed[0].name}'s lane ends with a red cross: {failed[0].detail}. Which line "
                       "raised it?",
                       "buy() returns 'ticket' or 'sold out'; it raises nothing.")
    tickets = [t for t in buyers if t.detail == "'ticket'"]
    sold_out = [t for t in buyers if t.detail == "'sold out'"]
    left = main.detail
    if len(tickets) > SEATS:
        checked = sorted({t.steps[0].start for t in tickets if t.steps})
        when = seconds(checked[0]) if len(checked) == 1 else "the same instant"
        return not_yet(f"{len(tickets)} buyers got a ticket for {SEATS} seats, and {name} returned "
                       f"{left} seats left. All of them checked show.seats at {when}, in their first "
                       "step, and then waited on sleep(1) inside pay(). When ben checked the seats, "
                       "had ann's payment taken her seat yet?",
                       "Between the check (show.seats > 0) and the update (show.seats -= 1) there is "
                       "an await, and the other buyers run there. Hold show.lock across all three, "
                       "`async with show.lock:` around the if, or take the seat before you await the "
                       "payment.")
    if len(tickets) < SEATS:
        return not_yet(f"Only {len(tickets)} buyers got a ticket, and {name} returned {left} seats "
                       "left. Who was told 'sold out' while a seat was still free?",
                       "Each of the first three buyers should take one seat: check, pay, take it.")
    if left != "0" or len(sold_out) != len(BUYERS) - SEATS:
        return not_yet(f"{len(tickets)} tickets, but {name} returned {left} seats left, and "
                       f"{len(sold_out)} buyers were told 'sold out'. How many seats should be left when "
                       "three are sold?",
                       "Take exactly one seat per ticket (show.seats -= 1), and return 'sold out' when "
                       "none is left.")
    locked = [t for t in buyers if any(w == "Lock.acquire" for w, _, _ in _waits(t))]
    winners = ", ".join(t.name for t in tickets)
    if locked:
        how = (f"The lock made the buyers go one by one: {len(locked)} waited on Lock.acquire, and the "
               f"payments ran one after another, so the sale took {seconds(trace.duration)}. Taking "
               "the seat before the payment would need no lock and take 1 s (and a failed payment "
               "would give the seat back).")
    else:
        how = (f"No lock: each buyer checked and took a seat in one step, before awaiting the "
               f"payment, so all paid at once and the sale took {seconds(trace.duration)}. (A failed "
               "payment would have to give the seat back.) Holding show.lock around the check, the "
               "payment and the update works too, one buyer at a time.")
    return solved(f"Three tickets ({winners}), two 'sold out', 0 seats left. {how}")
