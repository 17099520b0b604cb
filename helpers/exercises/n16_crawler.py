"""Exercises of notebooks/16_capstone_crawler.ipynb.

16-faster-politely (fix a program): the stock list crawled in at most 1.0 s, never more than 2
requests at once, the back-off kept: more workers, and a permit per try instead of one held across
the back-off's sleeps.
16-the-hang (find the bug): a worker that skips task_done() for a page that failed, so that join()
never returns; the cell's safety net stops the crawl.
16-read-the-pauses (read a chart): the whole crawl's limit lane at 2 (no request at all) from
0.80 s to 0.90 s, while worker-3 slept in its back-off before /map's next try.
They read the trace: the requests are the runs of fetch_once(), the workers the tasks named
worker-N that crawl() starts, the queue and the semaphore the resource lanes named todo and limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, number, quoted, seconds, unanswered

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6
LIMIT = 2                          # the site's limit: requests at once
FASTEST = 1.0                      # the stock list, 2 requests at once, 3 workers or more
STOCK_OK = {"/", "/flour", "/sugar", "/eggs", "/butter", "/milk", "/salt"}
STOCK_FAILED = {"/eggs/brown"}
FLAKY = 3                          # pages that fail twice: each needs a pause of 0.1 s, then 0.2 s
SAFETY_NET = 1.5                   # the deadline of the hang's cell
STOCK_NET = 3.0                    # the deadline of exercise 1's cell
CLOSE = 0.05                       # how far a time read off a chart may be from the trace's


def _workers(trace: "Trace") -> list["TaskTrace"]:
    return [t for t in trace.tasks if t.name.startswith("worker-")]


def _waits(task: "TaskTrace") -> list[tuple[str, float, float]]:
    """(what, from, until) of each wait of `task`; the last one until the task's end."""
    found = [(step.waits_on, step.end, after.start)
             for step, after in zip(task.steps, task.steps[1:]) if step.waits_on]
    if task.steps and task.steps[-1].waits_on and task.finished is not None:
        found.append((task.steps[-1].waits_on, task.steps[-1].end, task.finished))
    return found


def _plain(what: str) -> str:
    """A wait without its timeout: 'Future pending, timeout 0.3 s' -> 'Future pending'."""
    return what.split(", timeout")[0]


def _level(changes: list[tuple[Any, ...]], at: float) -> int:
    """A resource's level at time `at` (the last change at or before it)."""
    level = 0
    for time, _, value, _, _ in changes:
        if time > at:
            break
        if value is not None:
            level = value
    return level


def _report(value: Any) -> dict[str, str] | None:
    """url -> "ok" / "failed: ..." from what the crawl returned (crawl()'s report), else None."""
    if not isinstance(value, dict):
        return None
    found = {}
    for url, entry in value.items():
        outcome = entry.get("outcome") if isinstance(entry, dict) else entry
        if not isinstance(outcome, str):
            return None
        found[str(url)] = outcome
    return found


def _pages(report: dict[str, str]) -> str:
    ok = sorted(url for url, outcome in report.items() if outcome == "ok")
    failed = sorted(url for url, outcome in report.items() if outcome != "ok")
    return f"{len(ok)} fetched, {len(failed)} failed" + (f" ({', '.join(failed)})" if failed else "")


def _report_problem(report: dict[str, str] | None, name: str) -> str | None:
    """What is wrong with the stock list's report, in words (None: nothing)."""
    if report is None:
        return (f"{name} returned no report (the dict crawl() fills). Does it still return what "
                "crawl() gives back?")
    missing = sorted((STOCK_OK | STOCK_FAILED) - set(report))
    if missing:
        return (f"The report has no line for {', '.join(missing)}: {_pages(report)}. Which pages did "
                "the crawl never take from the queue?")
    wrong = sorted(url for url in STOCK_OK if report[url] != "ok")
    if wrong or any(report[url] == "ok" for url in STOCK_FAILED):
        return (f"The report says {_pages(report)}, but every page of the stock list answers in the "
                f"end except /eggs/brown (404). Did {', '.join(wrong) or 'a page'} get all its tries?")
    return None


# ---------------------------------------------------------------- 16-faster-politely

def _spans(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(a, b) for a, b in intervals if b - a > EPSILON]


def _idle(trace: "Trace", requests: list[tuple[float, float]]) -> tuple[Any, Any]:
    """The first stretch where a permit was taken but unused (someone waits on Semaphore.acquire
    while fewer than LIMIT requests run), and the first where pages waited in the queue, fewer than
    LIMIT requests ran, and no worker was free to take them. Each: (from, until, details) or None."""
    workers = _workers(trace)
    acquiring = {w.name: _spans([(a, b) for what, a, b in _waits(w) if what == "Semaphore.acquire"])
                 for w in workers}
    sleeping = {w.name: _spans([(a, b) for what, a, b in _waits(w) if what.startswith("sleep(")])
                for w in workers}
    queues = [r for r in trace.resources if r.kind == "Queue" and r.name == "todo"]
    waits = [span for spans in (*acquiring.values(), *sleeping.values()) for span in spans]
    edges = sorted({0.0, trace.duration} | {t for a, b in requests + waits for t in (a, b)}
                   | {c[0] for q in queues for c in q.changes})
    held_idle = starved = None
    for a, b in zip(edges, edges[1:]):
        if b - a <= EPSILON:
            continue
        mid = (a + b) / 2
        running = sum(1 for x, y in requests if x < mid < y)
        waiting = [name for name, spans in acquiring.items() if any(x < mid < y for x, y in spans)]
        asleep = [name for name, spans in sleeping.items() if any(x < mid < y for x, y in spans)]
        queued = _level(queues[0].changes, mid) if queues else 0
        if running < LIMIT and waiting and held_idle is None:
            held_idle = (a, b, running, waiting, asleep)
        if running < LIMIT and queued and not waiting and starved is None:
            starved = (a, b, running, queued, asleep)
    return held_idle, _widen(starved, requests) if starved else None


def _widen(found: tuple[Any, ...], requests: list[tuple[float, float]]) -> tuple[Any, ...]:
    """Report a stretch from its start to the next request's start (stretches split at each edge)."""
    a, b, *rest = found
    later = [x for x, _ in requests if x >= b - EPSILON]
    return (a, min(later) if later else b, *rest)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@exercise("16-faster-politely")
def faster_politely(trace: "Trace") -> Verdict:
    """The stock list in at most 1.0 s: 2 requests at once at most, the back-off kept, every page
    in the report."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "Keep stock_crawl() as it is, except for crawl()'s workers=...; change "
                       "careful_fetch() only where it takes the permit.")
    if trace.deadlock:
        return not_yet(f"The run ended in a deadlock at {seconds(trace.duration)}: the report above the "
                       "chart names who waits on what. Who should have released what they wait for?",
                       "Take each permit with `async with limit:`, around one try.")
    if trace.result is None and trace.duration >= STOCK_NET - EPSILON:
        waits = [f"{w.name} on {_plain(w.steps[-2].waits_on)}" for w in _workers(trace)
                 if len(w.steps) >= 2 and w.steps[-2].waits_on]
        return not_yet(f"The crawl never finished: the safety net stopped it at {seconds(trace.duration)}. "
                       f"At the end the workers waited: {', '.join(waits) or 'on nothing'}. What were they "
                       "waiting for, and who should have given it to them?",
                       "A permit taken with `async with limit:` comes back when the block ends, however it "
                       "ends; one taken with `await limit.acquire()` needs its `limit.release()`. Take the "
                       "permit with `async with limit:` around one try, `await fetch_once(session, url)`.")
    requests = calls_of(trace, "fetch_once")
    if not requests:
        return not_yet(f"The run took {seconds(trace.duration)}, and no fetch_once() ran on the chart "
                       "(no row under a worker's lane). How does careful_fetch() send a request?",
                       "Send each try with `await fetch_once(session, url)`, as careful_fetch() did.")
    most = most_at_once(requests)
    if most > LIMIT:
        at = min(a for a, b in requests if sum(1 for x, y in requests if x <= a < y) >= most)
        return not_yet(f"At {seconds(at)}, {most} requests ran at once (their fetch_once rows overlap), "
                       f"and the site allows {LIMIT}. What keeps a third request from starting, and is it "
                       "still there?",
                       f"Keep crawl(..., limit={LIMIT}) and take a permit (`async with limit:`) around every "
                       "fetch_once(): more workers are fine, the semaphore keeps the requests at 2.")
    problem = _report_problem(_report(trace.result), name)
    if problem:
        return not_yet(problem, "Keep stock_crawl() returning what crawl() returns, and careful_fetch() "
                                "trying each page up to 3 times (tries=3).")
    pauses = [what for w in _workers(trace) for what, a, b in _waits(w) if what.startswith("sleep(")]
    short = sorted({p for p in pauses if p not in ("sleep(0.1)", "sleep(0.2)")})
    if pauses.count("sleep(0.1)") < FLAKY or pauses.count("sleep(0.2)") < FLAKY:
        shown = f"the workers paused {', '.join(short)}" if short else \
            f"the workers paused {len(pauses)} time{'s' if len(pauses) != 1 else ''}"
        return not_yet(f"The crawl took {seconds(trace.duration)}, but {shown} between tries; three pages "
                       "fail twice each, so a polite crawler pauses 0.1 s, then 0.2 s, before each of their "
                       "retries: six pauses. Where did the back-off go?",
                       "Keep the back-off as it was: `await asyncio.sleep(backoff * 2 ** (attempt - 1))` "
                       "with backoff=0.1, between two tries. Make the crawl faster by using the permits "
                       "better, not by asking the site sooner.")
    if trace.duration > FASTEST + EPSILON:
        held_idle, starved = _idle(trace, requests)
        if held_idle is not None:
            a, b, running, waiting, asleep = held_idle
            sleepers = f" while {_names(asleep)} slept in {'its' if len(asleep) == 1 else 'their'} back-off" \
                if asleep else ""
            return not_yet(f"The crawl took {seconds(trace.duration)}. From {seconds(a)} to {seconds(b)}, "
                           f"{_names(waiting)} waited on Semaphore.acquire{sleepers}, and only {running} "
                           f"request{'s' if running != 1 else ''} ran (the fetch_once rows). The limit "
                           f"lane says no permit was free: who held the permits, and what were they doing "
                           "with them?",
                           "A worker holds its permit through the whole of careful_fetch(), its back-off "
                           "sleeps included. Take the permit for one try only: move `async with limit:` "
                           "inside the loop, around `await fetch_once(session, url)`, so that a sleeping "
                           "worker holds none (as fetch() does).")
        if starved is not None:
            a, b, running, queued, asleep = starved
            doing = f": {_names(asleep)} slept in {'its' if len(asleep) == 1 else 'their'} back-off" \
                if asleep else ""
            workers = len(_workers(trace))
            return not_yet(f"The crawl took {seconds(trace.duration)}. From {seconds(a)} to {seconds(b)}, "
                           f"{queued} page{'s' if queued != 1 else ''} waited in the todo lane and only "
                           f"{running} request{'s' if running != 1 else ''} ran (the limit is {LIMIT}), and "
                           f"no worker was free to take them{doing}. The crawl has {workers} worker"
                           f"{'s' if workers != 1 else ''}: what could another one have done meanwhile?",
                           f"Start more workers: crawl(session, workers=3, ...) or more (the limit stays "
                           f"{LIMIT}: the semaphore keeps the requests at {LIMIT} at once however many "
                           "workers there are). And let a sleeping worker hold no permit: `async with limit:` "
                           "around one try, inside the loop, as fetch() does.")
        return not_yet(f"The crawl took {seconds(trace.duration)}, never more than {most} requests at once. "
                       f"The stock list can be crawled in {seconds(FASTEST)} with {LIMIT} at once: where do "
                       "the chart's lanes wait, and on what?",
                       "Three workers or more, and the permit held for one try only (around "
                       "fetch_once(), not around the back-off).")
    return solved(f"The stock list in {seconds(trace.duration)} instead of 1.40 s: "
                  f"{_pages(_report(trace.result))}, "
                  f"never more than {most} requests at once, and the six back-off pauses kept. A worker "
                  "that sleeps in its back-off holds no permit now, so another worker sends a request "
                  "meanwhile: more workers only help once the permits are not held idle, and the "
                  "semaphore, not the number of workers, keeps the site's limit.")


# ---------------------------------------------------------------- 16-the-hang

@exercise("16-the-hang")
def the_hang(trace: "Trace") -> Verdict:
    """The stock list's crawl ends by itself: join() returns once every page got its task_done(),
    before the safety net; the report has every page."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    workers = _workers(trace)
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross: {main.detail}. Which line raised it?",
                       "Keep the cell's stock_crawl_with_a_deadline() as it is; fix hasty_worker().")
    failed = [w for w in workers if w.outcome == "exception"]
    if failed:
        return not_yet(f"{failed[0].name}'s lane ends with a red cross: {failed[0].detail}. A TaskGroup "
                       "cancels the other workers then: which error did the worker not catch?",
                       "Catch the errors of a fetch in the worker (except (aiohttp.ClientError, "
                       "TimeoutError)), as hasty_worker() does, and call todo.task_done() for every URL.")
    if not workers:
        return not_yet(f"No lane named worker-1, worker-2 ... in this trace: is it the trace of "
                       f"stock_crawl_with_a_deadline(), with crawl(session, worker=hasty_worker)?",
                       "Run the exercise's cell with your fixed hasty_worker().")
    joins = [(what, a, b) for what, a, b in _waits(main) if what.startswith("Queue.join")]
    report = _report(trace.result)
    if report is None or trace.duration >= SAFETY_NET - EPSILON:
        idle = [max((a for what, a, b in _waits(w) if _plain(what) == "Queue.get"), default=None)
                for w in workers]
        since = max(t for t in idle if t is not None) if all(t is not None for t in idle) else None
        waited = f"{main.name} waited on Queue.join" if joins else f"{main.name} waited"
        idle_words = (f"From {seconds(since)} on, every worker waited on Queue.get, and the todo lane was "
                      "at 0: nothing was left to fetch. Yet " if since is not None else "")
        return not_yet(f"The crawl never finished: the safety net stopped it at {seconds(trace.duration)}. "
                       f"{idle_words}{waited} until then. What does join() wait for, and which page did a "
                       "worker take from the queue without ever calling task_done() for it?",
                       "join() returns when every get() has had its task_done(). For a page that fails, "
                       "hasty_worker() goes on with `continue` and skips the task_done() at the bottom of "
                       "the loop. Call todo.task_done() in a `finally:` around the work on each URL (as "
                       "worker() does), so that it runs however the page ends.")
    problem = _report_problem(report, name)
    if problem:
        return not_yet(problem, "Keep the worker noting each page in the report, ok or failed, and "
                                "putting the new links of each page it fetched in the queue.")
    woke = [link for link in trace.links if link.woken == main.id and joins
            and abs(link.time - joins[-1][2]) <= EPSILON]
    by = f", woken by {trace.tasks[woke[0].waker].name}'s task_done()" if woke else ""
    return solved(f"The crawl ended by itself at {seconds(trace.duration)}, long before the safety net "
                  f"({seconds(SAFETY_NET)}): {_pages(report)}. {main.name}'s join() returned at "
                  f"{seconds(joins[-1][2]) if joins else seconds(trace.duration)}{by}, the last of the "
                  f"{len(report)} task_done() calls, one for each page taken from the queue, the failed "
                  "one included. A task_done() in a `finally:` cannot be skipped by a `continue`, a "
                  "`return` or an exception.")


# ---------------------------------------------------------------- 16-read-the-pauses

PAUSE_KEYS = ("from", "until", "who")


def _all_free(trace: "Trace") -> list[tuple[float, float]]:
    """When the limit lane showed every permit free (after the start): no request on its way."""
    lanes = [r for r in trace.resources if r.kind == "Semaphore" and r.name == "limit"]
    if not lanes:
        return []
    changes = lanes[0].changes
    top = max((c[2] for c in changes if c[2] is not None), default=0)
    spans: list[tuple[float, float]] = []
    for i, (time, _, level, _, _) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else trace.duration
        if until - time <= EPSILON or level != top or time <= EPSILON:
            continue
        if spans and abs(spans[-1][1] - time) <= EPSILON:
            spans[-1] = (spans[-1][0], until)
        else:
            spans.append((time, until))
    return spans


@exercise("16-read-the-pauses")
def read_the_pauses(trace: "Trace", answer: Any = None) -> Verdict:
    """The first stretch with both permits free, and the worker sleeping in its back-off then."""
    spans = _all_free(trace)
    if not spans or not _workers(trace):
        return not_yet("This trace has no limit lane with every permit free, or no worker lanes: is it "
                       "the whole crawl's trace, crawled?",
                       'Pass crawled, the trace of polite_crawl(): check("16-read-the-pauses", crawled, '
                       "my_answer).")
    start, end = spans[0]
    mid = (start + end) / 2
    asleep = [w for w in _workers(trace)
              if any(what.startswith("sleep(") and a < mid < b for what, a, b in _waits(w))]
    question = ("Look at the limit lane at the bottom of the chart: after the start, where does it "
                "first say 2, and where does it drop again? Which worker's lane waits on a sleep(...) "
                "meanwhile?")
    missing = unanswered(answer, PAUSE_KEYS, question,
                         "Write two times in seconds, read on the time axis under the limit lane, and "
                         "the name of a worker's lane (worker-1, worker-2 or worker-3).")
    if missing is not None:
        return missing
    missed, fixes = [], []
    said = number(answer["from"])
    if said is None or abs(said - start) > CLOSE:
        missed.append(f"You said from {quoted(answer['from'], ' s')}. The lane counts free permits: at what "
                      "time does it first go up to 2?")
        fixes.append(f"The first try of /map timed out at {seconds(start)}, and its permit came back: "
                     f"write {start:g}.")
    said = number(answer["until"])
    if said is None or abs(said - end) > CLOSE:
        missed.append(f"You said until {quoted(answer['until'], ' s')}. Follow the 2 to the right: when "
                      "does a worker take a permit again?")
        fixes.append(f"The next try took a permit at {seconds(end)}: write {end:g}.")
    who = str(answer["who"]).strip().lower().removesuffix("()").strip()
    names = {w.name.lower() for w in asleep}
    if who not in names:
        missed.append(f"You said {answer['who']!r}. Which worker's lane waits on a sleep(...) "
                      f"between {seconds(start)} and {seconds(end)}, and why does it sleep?")
        fixes.append(f"{_names([w.name for w in asleep]) or 'No worker'} slept then: write "
                     f"{asleep[0].name!r}." if asleep else "Look for a sleep(...) wait in a worker's lane.")
    if missed:
        right = len(PAUSE_KEYS) - len(missed)
        head = f"{right} of your 3 answers match{'es' if right == 1 else ''} the trace. " if right else ""
        return not_yet(head + " ".join(missed), " ".join(fixes))
    sleeper = asleep[0]
    pause = next(what for what, a, b in _waits(sleeper) if what.startswith("sleep(") and a < mid < b)
    later = (f" The second time, from {seconds(spans[1][0])} to {seconds(spans[1][1])}, it is the "
             "same worker's longer pause." if len(spans) > 1 else "")
    return solved(f"From {seconds(start)} to {seconds(end)} no request ran at all: {sleeper.name} waited "
                  f"on {pause}, its back-off after a timeout of /map, and every other page was done."
                  f"{later} The pauses are the politeness (a site in trouble gets time to recover), and "
                  "they cost a crawl that has nothing else to do: with fewer tries, or shorter pauses "
                  "for timeouts, the crawl would end sooner, and ask more of the site.")
