"""Step through a trace one loop step at a time: what the loop knew at each moment.

`moments(trace)` replays the trace's events in the loop's own order and takes a
snapshot at every task step: which task runs, the ready queue behind it (in
order), every waiting task and what it waits on, the timers still pending with
their due times, the wake-ups this step causes, and a one-line caption in
plain words. `iter_moments(trace)` gives the same snapshots one at a time, each
built only when it is asked for: the player takes the first 120 of a long run
without building the rest, and a filmstrip (`helpers.draw.filmstrip`) builds only
the few it picks. The replay player (`helpers.draw.player`) draws these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Collection, Iterator

from .model import Trace, WakeLink

_SLEEP = re.compile(r"^sleep\(([0-9.e+-]+)\)$")
_GATHER = re.compile(r"gather\(([^()]*)\)")
_TASK_NAME = re.compile(r"^Task-\d+$")

# Lists longer than this are shortened in words meant for a screen: "gather of 200 tasks".
LONG = 4


@dataclass
class Moment:
    """The loop at the start of one step."""
    index: int
    time: float
    task: int                              # id of the task that runs this step
    step: int                              # which step of that task
    running: str                           # its name
    ready: list[str]                       # the ready queue behind it, first in line first
    waiting: list[tuple[str, str]]         # (task, what it waits on), in creation order
    timers: list[tuple[float, str]]        # (due time, "Task-2 sleep(3)"), soonest first
    finished: list[str]                    # tasks done by now
    wakes: list[WakeLink] = field(default_factory=list)   # wake-ups this step causes
    steps_begun: list[int] = field(default_factory=list)  # per task id: steps begun so far, this one included
    caption: str = ""
    created: int | None = None             # tasks created by the end of this step (ids 0 .. created-1)


@dataclass
class Tally:
    """How many `Moment`s a walk has built (the player's laziness, counted)."""
    built: int = 0


def short_words(text: str, names: set[str] | None = None) -> str:
    """A wait in words fit for a screen: ``gather(Task-2, ..., Task-201)`` becomes ``gather of 200 tasks``."""
    def shorten(match: re.Match[str]) -> str:
        items = [i.strip() for i in match.group(1).split(",") if i.strip()]
        if len(items) <= LONG:
            return match.group(0)
        tasks = all(_TASK_NAME.match(i) or (names is not None and i in names) for i in items)
        return f"gather of {len(items)} {'tasks' if tasks else 'awaitables'}"
    return _GATHER.sub(shorten, text) if "gather(" in text else text


def short_list(items: list[str], sep: str = ", ", most: int = 8, what: str = "more") -> str:
    """The first `most` items, then how many more: a list of 200 tasks fits on a screen."""
    if len(items) <= most:
        return sep.join(items)
    return sep.join(items[:most]) + f"{sep}… and {len(items) - most} {what}"


def moments(trace: Trace, limit: int | None = None) -> list[Moment]:
    """One `Moment` per task step, in the order the loop ran them (the first `limit` only, if given)."""
    result = []
    for moment in iter_moments(trace):
        if limit is not None and len(result) >= limit:
            break
        result.append(moment)
    return result


def iter_moments(trace: Trace, tally: Tally | None = None,
                 only: Collection[int] | None = None) -> Iterator[Moment]:
    """The moments of `moments`, each built when asked for (a step's caption needs only the next step's
    time and task, not its snapshot: stopping after n moments builds n).

    only: the indices of the moments wanted; the others are walked through, not built, and the walk
    stops after the last one wanted.
    """
    if only is not None:
        only = frozenset(only)
    last_wanted = max(only, default=-1) if only is not None else None
    names = [t.name for t in trace.tasks]
    known = set(names)
    wakes_of: dict[tuple[int, int], list[WakeLink]] = {}
    for link in trace.links:
        wakes_of.setdefault((link.waker, link.waker_step), []).append(link)
    ready: list[int] = []
    waiting: dict[int, str] = {}
    timers: dict[int, tuple[float, str]] = {}
    finished: list[int] = []
    begun = [0] * len(trace.tasks)
    created = 0
    pending: Moment | None = None       # built, waiting for the next step to finish its caption
    index = 0
    for event in trace.events:
        tid = event.task
        kind = event.kind
        if kind == "created":
            created += 1
        elif kind == "ready":
            if tid not in ready:
                ready.append(tid)
            waiting.pop(tid, None)
            timers.pop(tid, None)
        elif kind == "runs":
            if pending is not None:
                pending.caption = _caption(trace, pending, (event.time, names[tid]), known)
                pending.created = created
                yield pending
                pending = None
            if last_wanted is not None and index > last_wanted:
                return
            if tid in ready:
                ready.remove(tid)
            waiting.pop(tid, None)
            timers.pop(tid, None)
            begun[tid] = event.step + 1
            if only is not None and index not in only:
                index += 1
                continue
            pending = Moment(
                index=index, time=event.time, task=tid, step=event.step, running=names[tid],
                ready=[names[r] for r in ready],
                waiting=[(names[w], what) for w, what in sorted(waiting.items())],
                timers=sorted((due, f"{names[w]} {label}") for w, (due, label) in timers.items()),
                finished=[names[f] for f in finished],
                wakes=wakes_of.get((tid, event.step), []),
                steps_begun=list(begun))
            index += 1
            if tally is not None:
                tally.built += 1
        elif kind == "waits":
            waiting[tid] = event.detail
            delay = _SLEEP.match(event.detail)
            if delay:
                timers[tid] = (event.time + float(delay.group(1)), event.detail)
        elif kind == "finished":
            finished.append(tid)
    if pending is not None:
        pending.caption = _caption(trace, pending, None, known)
        pending.created = created
        yield pending


_WAKERS = {"timer": "its timer", "thread job": "its thread job", "socket readable": "data arriving on a socket",
           "socket writable": "room to write on a socket", "pipe readable": "data arriving on a pipe",
           "pipe writable": "room to write on a pipe"}


def _caption(trace: Trace, now: Moment, after: tuple[float, str] | None, names: set[str] | None = None) -> str:
    task = trace.tasks[now.task]
    step = task.steps[now.step]
    by = _WAKERS.get(step.woken_by, step.woken_by)
    woken = f", woken by {by}," if now.step > 0 and step.woken_by not in ("", "itself") else ""
    waits_on = short_words(step.waits_on, names)
    if step.waits_on == "yield to loop":
        what = f"{now.running}{woken} runs, then yields to the loop: it goes to the back of the ready queue"
    elif step.waits_on:
        what = f"{now.running}{woken} runs until it awaits {waits_on}: it gives control back to the loop"
    else:
        outcome = task.outcome or "its end"
        what = f"{now.running}{woken} runs to its end ({outcome})"
    if now.wakes:
        what += "; that wakes " + short_list([trace.tasks[l.woken].name for l in now.wakes], most=LONG,
                                             what="more tasks")
    if after is None:
        return what + ". Nothing is left to run: the loop's work is done."
    after_time, after_running = after
    if after_time > now.time + 1e-9:
        return what + (f". Nothing is ready, so the loop waits until {after_time:.2f} s,"
                       f" when {after_running} can go on.")
    return what + f", and the loop picks {after_running} from the ready queue."
