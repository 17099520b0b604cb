"""Exercises of notebooks/12_network_io.ipynb: real sockets on 127.0.0.1, on the virtual clock.

12-stock-check (find the bug): a client reads its answers with read(), which waits for the end of a
stream that the server keeps open: every answer is there, and the client times out all the same.
12-fifty-pages (write): fetch 50 pages from an aiohttp server, at most 5 at once, each given at most
0.5 s (two pages are too slow and give None).
12-read-the-wake-ups (read a chart): on the step view, which visitor the selector woke first, when,
and what woke that visitor's server task just before.

While a socket is open the virtual clock runs at the pace of real time, but on loopback the bytes a
step writes can be read in the same instant, so the times these checkers read are the timers' exact
times (0.2 s, 0.4 s, 0.5 s); the thresholds still leave room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, number, seconds, unanswered

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6
CLOSE = 0.05          # how far a time read off a chart may be from the trace's


def _task(trace: "Trace", coroutine: str) -> "TaskTrace | None":
    return next((t for t in trace.tasks if t.coroutine == coroutine), None)


def _waits(task: "TaskTrace") -> list[tuple[str, float, float]]:
    """(what, from, until) of each wait of `task` (until the step after it)."""
    return [(step.waits_on, step.end, after.start)
            for step, after in zip(task.steps, task.steps[1:]) if step.waits_on]


def _timed_out(task: "TaskTrace", after: float) -> tuple[str, float, float] | None:
    """(what, from, until) of a wait of `task` under a timeout (asyncio.timeout) that lasted until
    `after` s or later: the timeout fired (the task is woken by the timer, or by what the cancellation
    ended, such as gather's last child); `what` as the chart labels it, without the timeout."""
    for step, nxt in zip(task.steps, task.steps[1:]):
        if "timeout" in step.waits_on and nxt.start >= after - CLOSE:
            return step.waits_on.split(", timeout")[0], step.end, nxt.start
    return None


def _words(value: Any) -> str:
    return str(value).strip().strip("'\"").lower().removesuffix("()").strip()


# ---------------------------------------------------------------- 12-stock-check

STOCK = ["5", "0", "12"]
GIVE_UP = 0.5


@exercise("12-stock-check")
def stock_check(trace: "Trace") -> Verdict:
    """ask() reads its answer with read(): it waits for the end of the stream, which never comes
    while the connection stays open. readline() reads one line, the protocol's unit."""
    main = trace.tasks[0] if trace.tasks else None
    if main is None or main.coroutine != "stock_check":
        ran = f"{main.coroutine}()" if main is not None else "nothing"
        return not_yet(f"This is the trace of {ran}, not of stock_check(): which run did you pass to "
                       "check?",
                       "Run in_stock = await trace(stock_check()) in the exercise's cell, then "
                       "check(\"12-stock-check\", in_stock).")
    server = next((t for t in trace.tasks if t.coroutine == "stock_server"), None)
    if main.outcome == "exception":
        return not_yet(f"stock_check()'s lane ends with a red cross: {main.detail}. Which line raised "
                       "it?",
                       "Keep stock_check() as it is; the bug is in ask(): read one line with "
                       "readline().")
    gave_up = _timed_out(main, GIVE_UP)
    if trace.result is None or gave_up is not None:
        answered = ""
        if server is not None and len(server.steps) > 1:
            answered = (f" The server's lane runs at {seconds(server.steps[1].start)}, woken by "
                        f"{server.steps[1].woken_by}: it had the question, and wrote its answer in that "
                        "step.")
        what, start, end = gave_up if gave_up is not None else ("its reads", 0.0, trace.duration)
        return not_yet(f"stock_check() gave up and returned {main.detail or 'None'}: its lane waits on "
                       f"{what} from {seconds(start)} to {seconds(end)}, when the timeout of 0.5 s "
                       f"fired.{answered} So "
                       "the first answer was there in the client's buffer all along. What is read(), "
                       "with no size, waiting for, on a connection the server keeps open for the next "
                       "question?",
                       "read() with no size reads until the end of the stream: until the server hangs "
                       "up, which it does only when the client does. This protocol sends one line per "
                       "answer: in ask(), read it with answer = await reader.readline().")
    if trace.result != STOCK:
        return not_yet(f"stock_check() returned {trace.result!r}, not the three answers {STOCK!r} "
                       "(apples, pears, plums). Which answer went missing, or into the wrong place?",
                       "Read exactly one line per question, in ask(): await reader.readline(), "
                       "decoded and stripped.")
    return solved(f"stock_check() returned {STOCK!r} at {seconds(trace.duration)}: each readline() "
                  "returned as soon as its line was in the buffer, and the connection stayed open for "
                  "the next question. read() with no size is for a stream whose end means 'that is "
                  "all' (a file sent once, a server that hangs up after one answer); on a connection "
                  "that stays open, read what the protocol says: a line, or a size and then "
                  "readexactly(size).")


# ---------------------------------------------------------------- 12-fifty-pages

PAGES = 50
LIMIT = 5
PER_PAGE = 0.5
SHOP_LIMIT = 5.0      # shop() gives fetch_fifty() 5 s in all
SLOW = {13, 31}
EXPECTED = [None if n in SLOW else f"page {n}" for n in range(PAGES)]


@exercise("12-fifty-pages")
def fifty_pages(trace: "Trace") -> Verdict:
    """fetch_fifty(): 50 fetch_page() calls, never more than 5 at once, each stopped after 0.5 s;
    the texts in page order, None for pages 13 and 31."""
    main = trace.tasks[0] if trace.tasks else None
    if main is None or main.coroutine != "shop":
        ran = f"{main.coroutine}()" if main is not None else "nothing"
        return not_yet(f"This is the trace of {ran}, not of shop(): which run did you pass to check?",
                       "Run fifty = await trace(shop(), resources=True) in the exercise's cell, then "
                       "check(\"12-fifty-pages\", fifty).")
    runs = calls_of(trace, "fetch_page")
    if main.outcome == "exception":
        return not_yet(f"shop()'s lane ends with a red cross: {main.detail}. Which call raised it, and "
                       "where could fetch_fifty() catch it?",
                       "Put the 0.5 s limit around each page: async with asyncio.timeout(0.5): return "
                       "await fetch_page(session, n), inside try/except TimeoutError: return None.")
    if not runs:
        return not_yet(f"shop() returned {main.detail or 'None'} at {seconds(trace.duration)}, and no "
                       "fetch_page() ran: the chart has no fetch_page() at all. What should "
                       "fetch_fifty() start, and how many of them at a time?",
                       "Make limit = asyncio.Semaphore(5); write a small coroutine one(n) that, inside "
                       "async with limit:, awaits fetch_page(session, n) within async with "
                       "asyncio.timeout(0.5): and returns None on TimeoutError; return await "
                       "asyncio.gather(*(one(n) for n in range(50))).")
    most = most_at_once(runs)
    gave_up = _timed_out(main, SHOP_LIMIT)
    if gave_up is not None:
        return not_yet(f"fetch_fifty() was still not done at {seconds(gave_up[2])}, and shop() gave up: "
                       f"{len(runs)} fetch_page() calls had started, at most {most} at once. On the "
                       "chart, what are the lanes still waiting on at the end, and what would end "
                       "their wait?",
                       "Start all fifty at once (gather), each inside async with limit: (a "
                       "Semaphore(5), whose permit comes back at the end of the block) and within "
                       "async with asyncio.timeout(0.5):; fifty pages then take about 1.2 s.")
    if most > LIMIT:
        at = min(a for a, _ in runs)
        return not_yet(f"From {seconds(at)}, {most} fetch_page() calls ran at once, and the server "
                       f"allows {LIMIT}. What could make a sixth request wait until one of the first "
                       "five is done?",
                       "Make limit = asyncio.Semaphore(5) in fetch_fifty() and await each fetch_page() "
                       "inside async with limit: (in a small coroutine of your own around it): a sixth "
                       "request then waits on Semaphore.acquire until a permit comes back.")
    longest = max(b - a for a, b in runs)
    if longest > PER_PAGE + CLOSE:
        return not_yet(f"One fetch_page() ran for {seconds(longest)}: the slow pages answer after 1 s, "
                       f"and each page may take at most {PER_PAGE} s. What could stop waiting for a page "
                       "after 0.5 s?",
                       "Around each call: async with asyncio.timeout(0.5): return await "
                       "fetch_page(session, n), in try/except TimeoutError: return None.")
    if most < LIMIT:
        one = "one at a time" if most == 1 else f"at most {most} at once"
        return not_yet(f"The fetch_page() calls ran {one}, and the server allows {LIMIT}. How many "
                       "requests could wait for the server at the same time?",
                       "Start all fifty at once (gather, or tasks) and let a Semaphore(5) hold back all "
                       "but five; do not await one before starting the next.")
    if trace.result != EXPECTED:
        got = trace.result
        shown = (f"a list of {len(got)}" if isinstance(got, list) else repr(got))
        return not_yet(f"Never more than {LIMIT} at once, none longer than {PER_PAGE} s: good. But "
                       f"fetch_fifty() returned {shown}, not the fifty texts in page order with None "
                       "for pages 13 and 31. What does it give back for a page that timed out, and in "
                       "which order?",
                       "Return None for a page whose timeout fired (except TimeoutError: return None), "
                       "and the results of asyncio.gather(...), which come in the order of its "
                       "arguments.")
    semaphores = [r for r in trace.resources if r.kind == "Semaphore"]
    how = ("The limit lane counts the free permits: 0 while five requests run." if semaphores else
           "No Semaphore on the chart: you limited them another way, which works too.")
    return solved(f"Fifty pages in page order, never more than {LIMIT} at once, none waited for longer "
                  f"than {PER_PAGE} s: pages 13 and 31 were given up after 0.5 s each (None), while the "
                  f"other four requests went on. {how} The server's own tasks for the two slow pages "
                  "still ran to 1 s: a client's timeout ends its waiting, not the server's work.")


# ---------------------------------------------------------------- 12-read-the-wake-ups

WAKE_KEYS = ("first greeted", "at", "its server woken by")
VISITORS = ("ann", "ben")


def _woken(task: "TaskTrace", how: str) -> list[float]:
    return [s.start for s in task.steps if s.woken_by == how]


@exercise("12-read-the-wake-ups")
def read_the_wake_ups(trace: "Trace", answer: Any = None) -> Verdict:
    """The first visitor woken by 'socket readable' (its greeting arrived), when, and what woke its
    server task in the step before ('timer': the end of its sleep)."""
    visitors = [t for t in trace.tasks if t.name in VISITORS and t.coroutine == "visitor"]
    if len(visitors) != len(VISITORS):
        return not_yet("This trace has no lanes for the visitors ann and ben: is it the trace of "
                       "two_visitors(), the chart above?",
                       "Pass visits, the trace drawn above: check(\"12-read-the-wake-ups\", visits, "
                       "my_answer).")
    greeted = sorted((min(_woken(t, "socket readable") or [float("inf")]), t.name) for t in visitors)
    at, first = greeted[0]
    server = next((t for t in trace.tasks if t.name == f"server for {first}"), None)
    if at == float("inf") or server is None:
        return not_yet("In this trace no visitor was woken by 'socket readable': is it the trace of "
                       "two_visitors() as given?",
                       "Run the cell of two_visitors() as it is, then check(\"12-read-the-wake-ups\", "
                       "visits, my_answer).")
    after_zero = [s for s in server.steps if s.start > EPSILON]     # its first step after 0 s: the greeting's
    server_by = after_zero[0].woken_by if after_zero else ""
    question = ("In the step view, follow the arrows that start at the top of a column, labelled "
                "'socket readable': which visitor's lane does the first such arrow after 0 s point to, "
                "and under which clock mark? And the arrow into that visitor's server, a column "
                "before: what starts it?")
    missing = unanswered(answer, WAKE_KEYS, question,
                         "Write a lane's name, a time in seconds read from the clock mark above its "
                         "column (→ ... s), and \"timer\" or \"socket readable\" for the arrow into the "
                         "server's lane.")
    if missing is not None:
        return missing
    missed: list[str] = []
    fixes: list[str] = []
    said = _words(answer["first greeted"])
    if said not in (first, f"{first} visitor"):
        missed.append(f"You said {answer['first greeted']!r}. A visitor is woken by 'socket readable' "
                      "when its greeting has arrived: whose lane gets that arrow first?")
        fixes.append(f"The first 'socket readable' arrow into a visitor's lane goes to {first}: write "
                     f"{first!r}.")
    said_at = number(answer["at"])
    if said_at is None or abs(said_at - at) > CLOSE:
        missed.append(f"You said {answer['at']!r}. Which clock mark (→ ... s) stands before the column "
                      "that arrow points to?")
        fixes.append(f"It comes after the mark → {at:.2f} s: write {at:g}.")
    said_by = _words(answer["its server woken by"])
    if said_by not in (server_by, f"its {server_by}", f"a {server_by}", f"the {server_by}"):
        missed.append(f"You said {answer['its server woken by']!r}. The lane 'server for {first}' "
                      "wakes a column before its visitor: does its arrow start at the top of the "
                      "column (a timer's clock mark or the selector), or at another task's bar?")
        fixes.append(f"The server slept for {at:g} s: its arrow comes from the clock's mark, a "
                     f"{server_by}; write {server_by!r}.")
    if missed:
        right = len(WAKE_KEYS) - len(missed)
        head = f"{right} of your 3 answers match{'es' if right == 1 else ''} the trace. " if right else ""
        return not_yet(head + " ".join(missed), " ".join(fixes))
    other = greeted[1][1]
    return solved(f"{first} was greeted first, at {seconds(at)}: the timer woke 'server for {first}', "
                  "which wrote its greeting and hung up; in the next round the selector found "
                  f"{first}'s socket readable, and the loop woke {first}. No task woke {first}: the "
                  f"bytes did. {other} followed at {seconds(greeted[1][0])}, the same way.")
