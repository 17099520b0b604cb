"""From the recorder's raw log to a model a learner can read: tasks, steps, waits.

Each task's life is a row of intervals: *ready* (queued on the loop, waiting
for its turn), *running* (one step of its coroutine), *waiting* (suspended on
something: ``sleep(2)``, ``Task-2``, ``Future pending``, ``Queue.get`` ...).
A `Trace` holds those rows plus the loop-wide order of events, the wake-up
links (which step resolved what another task waited on) and, if the run
ended that way, the deadlock.
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .record.recorder import (CANCELLED, CREATED, EXCEPTION, NO_TASK, RESOURCE, RESULT, SCHEDULED,
                              STEPPED, THREAD, TIMER, WIDTH, IO_WAKES, END_OF_RUN, LateTimer, Recorder)
from .waits import describe_token, learner_chain

OUTCOMES = {RESULT: "result", EXCEPTION: "exception", CANCELLED: "cancelled"}
# A step that holds the loop this long (real time) is a stall, as in asyncio's debug mode.
STALL_SECONDS = 0.1
# What started the first step of a task built with eager_start=True, seen while it ran: its constructor.
EAGER_START = "an eager start"

@dataclass(slots=True)
class Step:
    """One turn of a task on the loop, and what it waited on afterwards."""
    start: float           # clock seconds since the run began
    end: float
    ready: float           # when it was queued (<= start); start - ready is time spent ready
    woken_by: str          # "created by Task-1", "Task-2", "timer", "itself", "thread job",
                           # "socket readable" (and the other IO_WAKES), "the run's end"
                           # (cancelled by asyncio.run's clean-up, or after a deadlock), "the loop"
    waits_on: str          # what it waited on after this step; "" after the last one
    coroutines: tuple[str, ...]  # the chain of the learner's coroutines, innermost last
    real_start: float      # seconds of real time since the run began
    real_duration: float   # real seconds the step held the loop
    seq: int = -1          # its place in the loop's order of steps over the whole run: 0, 1, 2 ...
    late: float = 0.0      # woken by a timer that fired this many seconds after its due time


@dataclass
class TaskTrace:
    """One Task's whole life."""
    id: int
    name: str
    coroutine: str
    created: float
    created_by: str | None
    steps: list[Step] = field(default_factory=list)
    outcome: str | None = None      # "result", "exception", "cancelled", or None if unfinished
    detail: str = ""                # repr of the result, or "Type: message"
    finished: float | None = None
    destroyed: float | None = None  # unfinished, and garbage-collected then: nothing referred to it
    unseen_start: bool = False      # built with eager_start=True: its first step ran where no hook saw it

    @property
    def started(self) -> float | None:
        return self.steps[0].start if self.steps else None

    @property
    def label(self) -> str:
        return f"{self.name} {self.coroutine}()"


@dataclass(slots=True)
class WakeLink:
    """A step of one task resolved what another task waited on, or queued what did.

    Direct: the step itself resolved it (``set_result``, ``Event.set``, ``Queue.put``, a
    ``Lock`` release, the task's own end). Not direct: the step queued a loop callback that
    did, itself or through further callbacks (``asyncio.wait``, ``as_completed``, ``gather``,
    a ``TaskGroup``, a done-callback, ``loop.call_soon(fut.set_result, ...)``); then the task
    became ready later, when the last of those callbacks ran.
    """
    waker: int          # task id
    waker_step: int
    woken: int
    woken_step: int
    time: float         # when the woken task became ready
    direct: bool = True


@dataclass
class ResourceTrace:
    """A Queue, Lock, Semaphore, Event or Condition the run shared: its state at each change.

    Each change is (time, task id whose step changed it, -1 for a loop callback or -2
    for the state it was found in, level, limit, waiting task ids): level is a Queue's size, a Semaphore's free
    slots, 1/0 for a held Lock or Condition and for a set Event; limit a Queue's
    maxsize (0: none) or 1.
    """
    id: int
    name: str
    kind: str
    changes: list[tuple[float, int, Any, Any, tuple[int, ...]]] = field(default_factory=list)

    def held(self) -> list[tuple[float, float, int]]:
        """(start, end, task id) while a Lock or Condition was held; end is None if never released."""
        spans, start, owner = [], None, -1
        for time, task, level, _, _ in self.changes:
            if level and start is None:
                start, owner = time, task
            elif not level and start is not None:
                spans.append((start, time, owner))
                start = None
        if start is not None:
            spans.append((start, None, owner))
        return spans


@dataclass(slots=True)
class Event:
    """One moment of the run, in the order the loop lived it."""
    time: float
    task: int
    kind: str            # created, ready, runs, waits, finished
    detail: str = ""
    step: int = -1       # index of the task's step this event belongs to


@dataclass
class Stall:
    """A step that held the loop for a long time (real clock): nothing else ran."""
    task: int
    step: int
    start: float
    real_duration: float


@dataclass
class Trace:
    """What one traced run did: build it with `build_trace`, draw it with `.chart()`."""
    clock: str
    tasks: list[TaskTrace]
    event_keys: list[tuple[Any, ...]] = field(repr=False)  # (perf, rank, index, Event args): see `events`
    links: list[WakeLink]
    duration: float
    real_duration: float
    deadlock: str | None = None
    stalls: list[Stall] = field(default_factory=list)
    result: Any = field(default=None, repr=False)   # what the traced coroutine returned
    runaway: str | None = None          # why a run that looked endless was stopped
    interrupted: float | None = None    # when an interrupt (Ctrl-C, the stop button) ended the run
    stuck: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # (since, cycle of task ids)
    real_time: list[tuple[float, float]] = field(default_factory=list)  # virtual stretches run in real time
    leftovers: list[int] = field(default_factory=list)  # tasks still unfinished when main returned: cancelled
    resources: list[ResourceTrace] = field(default_factory=list)  # watched Queues, Locks ... (see `watch`)

    @property
    def events(self) -> list[Event]:
        """Every moment of the run in the loop's order; built on first use (most runs never need it)."""
        cached = self.__dict__.get("_events")
        if cached is None:
            self.event_keys.sort()  # (perf, rank, index) is unique: what follows is never compared
            cached = self.__dict__["_events"] = [Event(*k[3:]) for k in self.event_keys]
        return cached

    def task(self, name: str) -> TaskTrace:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"no task named {name!r}; tasks: {', '.join(t.name for t in self.tasks)}")

    def busy(self) -> list[tuple[float, float]]:
        """When the loop was running a task step (merged intervals, clock seconds)."""
        spans = sorted((s.start, s.end) for t in self.tasks for s in t.steps)
        merged: list[tuple[float, float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged

    def summary(self) -> str:
        n = len(self.tasks)
        # Real-clock times jitter in the last digits: one decimal keeps the text stable.
        duration = f"{self.duration:.2f}" if self.clock == "virtual" else f"{self.duration:.1f}"
        text = f"Trace: {n} task{'s' if n != 1 else ''}, {duration} s on the {self.clock} clock"
        if self.deadlock:
            text += " (ended in a deadlock)"
        elif self.runaway:
            text += " (stopped: it looked endless)"
        elif self.interrupted is not None:
            text += f" (interrupted at {self.interrupted:.2f} s)"
        return text

    def __repr__(self) -> str:
        return self.summary()


def _records(log: list[Any]) -> Iterator[tuple[Any, ...]]:
    for i in range(0, len(log), WIDTH):
        yield tuple(log[i:i + WIDTH])


def paused_gc(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run `function` with the cyclic garbage collector paused.

    Building a million small objects that are all kept (steps, JSON dicts) makes the
    collector run over and over for nothing: 70 % of the time, measured.
    """
    @functools.wraps(function)
    def paused(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return paused


@paused_gc
def build_trace(rec: Recorder, clock: str, deadlock: str | None = None, *,
                runaway: str | None = None, interrupted: float | None = None,
                stuck: list[tuple[int, ...]] = (), leftovers: list[int] = ()) -> Trace:
    """Turn a recorder's flat log into a `Trace`."""
    p0 = rec.start_perf
    virtual = rec.virtual
    tasks: list[TaskTrace] = []
    pending_ready: dict[int, tuple[float, int]] = {}
    links: list[WakeLink] = []
    keyed: list[tuple[Any, ...]] = []  # (perf, rank, index, then Event's fields): sorted when needed
    chains: dict[int, tuple[str, ...]] = {}
    words: dict[tuple[int, Any], str] = {}   # (chain, token) -> what the task waits on, in words
    end_time = 0.0
    last_perf = p0
    seq, last_start, nested = 0, p0, False
    shared = [ResourceTrace(i, name, kind) for i, (name, kind)
              in enumerate(zip(rec.resources.names, rec.resources.kinds))]
    for index, (kind, tid, t, p, a, b, chain_id, extra) in enumerate(_records(rec.log)):
        if not virtual:
            t = p - p0
        if kind == RESOURCE:
            level, limit, waiting, _ = extra
            shared[tid].changes.append((t, a, level, limit, waiting))
            continue
        if kind == CREATED:
            parent = rec.names[a] if a != NO_TASK else None
            tasks.append(TaskTrace(tid, rec.names[tid], rec.coro_names[tid], t, parent,
                                   unseen_start=tid in rec.unseen_start))
            detail = f"{tasks[-1].coroutine}()" + (f", by {parent}" if parent else "")
            keyed.append((p, 1, index, t, tid, "created", detail))
            end_time = max(end_time, t)
            continue
        task = tasks[tid]
        if kind == SCHEDULED:
            # a: the task whose step caused it (or NO_TASK), b: steps logged by then, chain_id: that
            # step was still running (else it is the last one logged), extra: how (None: directly)
            if tid not in pending_ready:
                pending_ready[tid] = (t, a, extra)
                woken_step = len(task.steps)
                if a not in (NO_TASK, tid) and (woken_step > 0 or task.unseen_start):
                    waker = tasks[a].steps
                    k = len(waker)
                    while k and waker[k - 1].seq >= b:   # (seq is the log's order until the end)
                        k -= 1
                    waker_step = k if chain_id else k - 1
                    if waker_step >= 0:
                        links.append(WakeLink(a, waker_step, tid, woken_step, t, extra is None))
                keyed.append((p, 1, index, t, tid, "ready", "", woken_step))
            continue
        end = a if virtual else b - p0
        end_time = max(end_time, end)
        last_perf = max(last_perf, b)
        ready, waker, how = pending_ready.pop(tid, (t if not task.steps else None, NO_TASK, None))
        step_index = len(task.steps)
        if chain_id not in chains:
            chains[chain_id] = learner_chain(rec.chain_codes[chain_id])
        if kind == STEPPED:
            said = (chain_id, extra)
            waits_on = words.get(said)
            if waits_on is None:
                waits_on = words[said] = describe_token(rec, extra, chain_id)
        else:
            waits_on = ""
        woken_by = _woken_by(rec, task, waker, how, tid, step_index)
        step = Step(t, end, t if ready is None else ready, woken_by, waits_on, chains[chain_id],
                    p - p0, b - p, seq)
        if type(how) is LateTimer:
            step.late = how.late
        task.steps.append(step)
        seq += 1
        nested = nested or p < last_start
        last_start = p
        keyed.append((p, 0, index, t, tid, "runs", "", step_index))
        if kind == STEPPED:
            keyed.append((b, 1, index, end, tid, "waits", waits_on, step_index))
            if extra is None and tid not in pending_ready:  # yielded to the loop: queued at once
                pending_ready[tid] = (end, tid, None)
                keyed.append((b, 2, index, end, tid, "ready", "", step_index + 1))
        else:
            outcome, detail = rec.exits[tid]
            live = rec.task(tid)
            if live is not None and live.cancelled():
                outcome, detail = CANCELLED, ""
            task.outcome, task.detail, task.finished = OUTCOMES[outcome], detail, end
            text = task.outcome + (f": {detail}" if detail else "")
            keyed.append((b, 1, index, end, tid, "finished", text, step_index))
    for tid, (v, p) in rec.collected.items():
        if tasks[tid].outcome is None:
            tasks[tid].destroyed = v if virtual else p - p0
    if nested:
        _order_by_start(tasks)
    stalls = [Stall(t.id, i, s.start, s.real_duration)
              for t in tasks for i, s in enumerate(t.steps) if s.real_duration >= STALL_SECONDS]
    if interrupted is not None:
        end_time = max(end_time, interrupted)
    return Trace(clock, tasks, keyed, links, end_time, last_perf - p0, deadlock, stalls,
                 runaway=runaway, interrupted=interrupted,
                 stuck=[(rec.waiting_since(cycle), cycle) for cycle in stuck],
                 real_time=list(rec.real_time) if virtual else [], leftovers=list(leftovers),
                 resources=shared)


def _order_by_start(tasks: list[TaskTrace]) -> None:
    """Number the steps by when they began.

    A step's record is logged when it ends, and steps never overlap (one thread), so the log's
    order is the loop's order of steps, except in a nested run (nest_asyncio2's re-entrant
    ``run_until_complete``, an eager task's first step inside ``create_task``): there a step
    contains whole other steps and is logged after them, although it began before them.
    """
    steps = [s for t in tasks for s in t.steps]
    steps.sort(key=lambda s: (s.real_start, s.seq))
    for n, step in enumerate(steps):
        step.seq = n


def _woken_by(rec: Recorder, task: TaskTrace, waker: int, how: str | None, tid: int, step_index: int) -> str:
    if step_index == 0:
        if task.unseen_start:   # its first step ran unseen: this one (found in it), or the first seen after it
            return EAGER_START if tid in rec.found_in_first_step else _woken_by(rec, task, waker, how, tid, 1)
        return f"created by {task.created_by}" if task.created_by else "created"
    if waker == tid:
        return "itself"
    if waker != NO_TASK:
        return rec.names[waker]
    if how == TIMER:
        return "timer"
    if how == THREAD:
        return "thread job"
    if how in IO_WAKES or how == END_OF_RUN:
        return how
    return "the loop"
