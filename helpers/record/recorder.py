"""The raw record of one traced run: flat lists of numbers and labels.

A `Recorder` belongs to one `TracingLoop`. The loop hands it each coroutine a
Task is about to drive; the recorder wraps it in a `CoroutineProxy` (see
`helpers.record.proxy`) that logs every step. Nothing here builds event
objects: each event is eight values appended to one flat list, and
`helpers.model` turns that list into spans afterwards. Objects per event would
bring the garbage collector in and roughly double the cost.

The recorder never keeps a program's objects alive: tasks are held by weak
references, and what a task waits on is stored as a *token* (a task id, a
label, a tuple for ``gather``), never as the future itself. A task nobody
references is collected exactly when plain asyncio would collect it.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import re
import types
import weakref
from time import perf_counter
from typing import Any

from .proxy import (ASYNCIO_DIR, CREATED, EXITED, PROXIES, RESOURCE, SCHEDULED, STEPPED, STOP,
                    WALK_THROUGH, WIDTH, AwaitableProxy, CoroutineProxy, _CoroutineType, _GeneratorType)
from .resources import Resources, state_of

# Outcome codes stored with EXITED.
RESULT, EXCEPTION, CANCELLED = 0, 1, 2
NO_TASK = -1
FOUND = -2   # a resource's first recorded state: as it was when watching began
# How a wake-up reached a task, stored with SCHEDULED: straight from a task's step (None), through
# loop callbacks a task's step queued, from a timer, from another thread (call_soon_threadsafe).
CALLBACK, TIMER, THREAD = "callback", "timer", "thread"
# ... or from the run's end: asyncio.run (and trace) cancelling what is left (or stuck in a deadlock).
END_OF_RUN = "the run's end"
END_OF_RUN_CAUSE = (NO_TASK, 0, False, END_OF_RUN)
# ... or from the selector: what became ready on which kind of file (the words the chart shows).
IO_WAKES = ("socket readable", "socket writable", "pipe readable", "pipe writable")
# A cause: (task id, steps logged so far, that task's step still running, how) -- see `Recorder.cause_now`.
NOBODY = (NO_TASK, 0, False, None)
TIMER_CAUSE = (NO_TASK, 0, False, TIMER)


class LateTimer(str):
    """How a wake-up came from a timer that fired after its due time (the loop was busy): the word
    "timer" (so ``how == TIMER`` holds), carrying how many seconds late it fired."""

    def __new__(cls, late: float) -> "LateTimer":
        self = super().__new__(cls, TIMER)
        self.late = late
        return self


THREAD_CAUSE = (NO_TASK, 0, False, THREAD)
_DEFAULT_NAME = re.compile(r"Task-\d+")

__all__ = ["Recorder", "CoroutineProxy", "AwaitableProxy", "PROXIES", "CREATED", "SCHEDULED", "STEPPED",
           "EXITED", "RESOURCE", "WIDTH", "RESULT", "EXCEPTION", "CANCELLED", "NO_TASK", "FOUND",
           "ASYNCIO_DIR", "CALLBACK", "TIMER", "THREAD", "NOBODY", "TIMER_CAUSE", "THREAD_CAUSE",
           "IO_WAKES", "LateTimer", "END_OF_RUN", "END_OF_RUN_CAUSE"]


class Recorder:
    """Raw event log of one traced run: flat lists of numbers and labels.

    Each event stores the virtual clock (`vnow`, kept up to date by the loop;
    always 0 on the real clock) and `perf_counter()`; the model derives the
    real-clock times from the latter.
    """

    def __init__(self, virtual: bool) -> None:
        self.virtual = virtual
        self.vnow = 0.0
        self.steps = 0                      # task steps so far
        self.log: list[Any] = []            # WIDTH values per event
        self.tasks: list[Any] = []          # weak reference to the Task, by task id
        self.coro_names: list[str] = []     # the task's coroutine, by task id
        self.names: list[str] = []          # the task's name, kept up to date
        self.exits: dict[int, tuple[int, str]] = {}  # id -> (outcome, detail), in order
        self.collected: dict[int, tuple[float, float]] = {}  # id -> (vnow, perf): destroyed unfinished
        self.labels: dict[int, tuple[Any, str]] = {}  # id(future) -> (future, "sleep(2)")
        self.timeouts: dict[int, tuple[Any, float]] = {}  # task id -> (weak ref to timer handle, delay)
        self.adopted: dict[int, tuple[Any, int]] = {}  # id(task) -> (weakref, task id)
        # Tasks whose start no hook saw (built with asyncio.Task(coro, eager_start=True), whose first
        # step runs inside the constructor): id -> (vnow, perf) when the recorder first saw them.
        self.unseen_start: dict[int, tuple[float, float]] = {}
        self.found_in_first_step: set[int] = set()  # ... seen during that first step (else: when woken)
        # ... whose first step is not logged yet: id -> the chain node of its coroutine, read while it
        # runs (a task that ends in its eager first step lets go of its coroutine: 3.12.1's get_coro()
        # then crashes)
        self.first_step_open: dict[int, dict[Any, Any]] = {}
        self.real_time: list[tuple[float, float]] = []  # virtual clock stretches run in real time
        self.resources = Resources()         # Queues, Locks ... the program shares, if watched
        self.sampling = False                # True once a resource is watched (or resources=True)
        self.chain_codes: list[tuple[Any, ...]] = []
        self.chain_root: dict[Any, Any] = {"codes": ()}
        self.start_perf = perf_counter()
        self.cause: tuple[int, int, bool, str | None] | None = None  # of the loop callback running now

    def task_id(self, obj: Any) -> int | None:
        """The id of a recorded task, or None: without keeping the task alive."""
        coro = getattr(obj, "_coro", None)
        if type(coro) in PROXIES:
            return coro._id if coro._rec is self else None
        entry = self.adopted.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        return None

    def find(self, task: Any) -> int | None:
        """The id of a recorded task, by a search (for one whose coroutine is gone: not the hot path)."""
        for task_id, ref in enumerate(self.tasks):
            if ref is not None and ref() is task:
                return task_id
        return None

    def task(self, task_id: int) -> Any:
        """The Task with this id, or None if it was garbage-collected."""
        ref = self.tasks[task_id]
        return ref() if ref is not None else None

    def running_task(self) -> int:
        """Id of the recorded task whose step is running now, or NO_TASK."""
        loop = asyncio.events._get_running_loop()
        current = asyncio.current_task(loop) if loop is not None else None
        found = self.task_id(current) if current is not None else None
        if found is None and current is not None and getattr(loop, "recorder", None) is self:
            return self.found_running(current)
        return NO_TASK if found is None else found

    def cause_now(self, loop: Any, how: str | None = None) -> tuple[int, int, bool, str | None] | None:
        """What is running now, as the cause of what it queues on the loop; None if unknown.

        A task's step: ``(task id, steps logged so far, its step not logged yet, how)``, `how`
        None when what is queued is a task's step (the step woke it directly), CALLBACK when it
        is a loop callback (what that wakes, the step woke through it). The model finds the
        step from the count (a step is logged when it ends: a task that has just ended is
        logged already when its done-callbacks are queued). A loop callback queued by a task's
        step (or by such a callback, or a timer ...): the cause it carries while it runs.
        """
        task = asyncio.current_task(loop)
        if task is None:
            return self.cause
        coro = getattr(task, "_coro", None)
        kind = type(coro)
        if kind is CoroutineProxy:
            if coro._rec is self:
                return (coro._id, self.steps + len(self.exits), coro._coro.cr_running, how)
        elif kind is AwaitableProxy:
            if coro._rec is self:   # (no cr_running: an ended task is done when its callbacks are queued)
                return (coro._id, self.steps + len(self.exits), not task.done(), how)
        else:
            entry = self.adopted.get(id(task))
            if entry is not None and entry[0]() is task:   # logged after the whole step, by _AdoptedStep
                return (entry[1], self.steps + len(self.exits), True, how)
            if task.get_loop() is loop and getattr(loop, "recorder", None) is self:
                return (self.found_running(task), self.steps + len(self.exits), True, how)
        return None

    def waker(self, future: Any, loop: Any) -> tuple[int, int, bool, str | None] | None:
        """What queues a task's wake-up now: the end of `future` if it is a task of ours, or what runs."""
        ended = self.task_id(future)
        if ended is not None:   # its last step, logged already
            return (ended, self.steps + len(self.exits), False, None)
        return self.cause_now(loop)

    def clock_time(self) -> float:
        """Now, in seconds of the run's clock since it began (not for the hot path)."""
        return self.vnow if self.virtual else perf_counter() - self.start_perf

    def waiting_since(self, task_ids: tuple[int, ...]) -> float:
        """When the last of these tasks began to wait (the end of its last step); not for the hot path."""
        since = 0.0
        wanted = set(task_ids)
        log = self.log
        for i in range(len(log) - WIDTH, -1, -WIDTH):
            if log[i] == STEPPED and log[i + 1] in wanted:
                wanted.discard(log[i + 1])
                end = log[i + 4] if self.virtual else log[i + 5] - self.start_perf
                since = max(since, end)
                if not wanted:
                    break
        return since

    # --- called by the loop -------------------------------------------------
    def wrap(self, coro: Any) -> CoroutineProxy:
        """A proxy for a coroutine a new Task will drive; the task gets a new id."""
        task_id = self._new_task(coroutine_name(coro))
        cls = CoroutineProxy if type(coro) is _CoroutineType else AwaitableProxy
        return cls(coro, self, task_id)

    def _new_task(self, coroutine: str, parent: int | None = None) -> int:
        if parent is None:
            parent = self.running_task()
        task_id = len(self.coro_names)
        self.coro_names.append(coroutine)
        self.tasks.append(None)  # filled by task_created(); an eager task steps before that
        self.names.append(f"Task-{task_id + 1}")
        self.log.extend((CREATED, task_id, self.vnow, perf_counter(), parent, 0.0, 0, None))
        return task_id

    def task_created(self, task: asyncio.Task, task_id: int) -> None:
        self.tasks[task_id] = weakref.ref(task, functools.partial(self._task_collected, task_id))
        self.names[task_id] = task.get_name()

    def adopt(self, task: asyncio.Task, unseen_start: bool = False) -> int:
        """Record a Task that was built directly (``asyncio.Task(coro)``), not by create_task.

        unseen_start: it has run already, where no hook saw it (``eager_start=True`` runs the
        first step inside the constructor); who created it is not known."""
        task_id = self._new_task(coroutine_name(task.get_coro()), NO_TASK if unseen_start else None)
        if unseen_start:
            self.unseen_start[task_id] = (self.vnow, perf_counter())
        self.tasks[task_id] = ref = weakref.ref(task, functools.partial(self._task_collected, task_id))
        self.adopted[id(task)] = (ref, task_id)
        if _DEFAULT_NAME.fullmatch(task.get_name()):
            task.set_name(self.names[task_id])  # numbered per run, like the tasks create_task made
        self.names[task_id] = task.get_name()
        return task_id

    def found_running(self, task: asyncio.Task) -> int:
        """A task of this loop is running a step that no hook saw begin: the first step of a task
        built with ``eager_start=True``, inside its constructor. Record it from now; its first step
        is logged when it has ended (`close_first_step`), as an instant: this one."""
        task_id = self.adopt(task, unseen_start=True)
        self.found_in_first_step.add(task_id)
        self.first_step_open[task_id] = self.chain_node(task.get_coro())
        return task_id

    def close_first_step(self, task_id: int, task: asyncio.Task) -> None:
        """Log the first step of a task found running it, now that it has ended (see `found_running`)."""
        node = self.first_step_open.pop(task_id)
        t, p = self.unseen_start[task_id]
        if task.done():
            self.note_exit(task_id, t, p, None, node, task, end=(t, p))
        else:
            self.note_step(task_id, t, p, task, end=(t, p))

    def close_first_steps(self) -> None:
        """At the loop's next turn: every first step found running has ended by now."""
        for task_id in list(self.first_step_open):
            task = self.task(task_id)
            if task is None:   # freed before its step could be read: its lane is only its "?"
                del self.first_step_open[task_id]
            else:
                self.close_first_step(task_id, task)

    def _task_collected(self, task_id: int, _: Any) -> None:
        """The garbage collector destroyed the Task: if it had not ended, note when (nothing kept
        a reference to it, so it never will: asyncio says "Task was destroyed but it is pending!")."""
        if task_id in self.first_step_open:   # (it may have ended in that step: not known)
            return
        if task_id not in self.exits and task_id not in self.collected:
            self.collected[task_id] = (self.vnow, perf_counter())

    def note_scheduled(self, task_id: int, cause: tuple[int, int, bool, str | None] | None) -> None:
        """The task became ready: a step of it is queued on the loop, because of `cause` (`cause_now`)."""
        self.log.extend((SCHEDULED, task_id, self.vnow, perf_counter(), *(cause or NOBODY)))

    def note_step(self, task_id: int, t0: float, p0: float, task: asyncio.Task,
                  end: tuple[float, float] | None = None) -> None:
        """A step of an adopted task ended (the loop ran it; no proxy saw it), now or at `end`."""
        coro = task.get_coro()
        awaited = task._fut_waiter
        self.steps += 1
        self.log.extend((STEPPED, task_id, t0, p0, *(end or (self.vnow, perf_counter())),
                         self.chain_of(self.chain_node(coro), getattr(coro, "cr_await", None)),
                         None if awaited is None else self.token(awaited, task_id)))
        if self.sampling:
            self.after_step(task_id, coro)

    def watch(self, obj: Any, name: str | None = None) -> None:
        """Draw `obj` (a Queue, Lock, Semaphore, Event or Condition) as a lane of its own.

        Its state is logged now, as found: what the step watching it does to it next (takes the
        lock ...) is then a change made by that step."""
        rid = self.resources.watch(obj, name)
        if rid is not None:
            self.sampling = True
            entry = self.resources.watched[rid]
            if entry[2] is None:
                entry[2] = state = state_of(obj, self)
                self.log.extend((RESOURCE, rid, self.vnow, perf_counter(), FOUND, 0.0, 0, state))

    def after_step(self, task_id: int, coro: Any) -> None:
        """After a step: find resources it waits on (resources=True), note what changed."""
        if self.resources.discover and coro is not None:
            self.resources.found_waiting(coro)
        self.sample(task_id)

    def sample(self, task_id: int) -> None:
        """Log every watched resource whose state changed since it was last seen (by `task_id`'s step)."""
        for entry in self.resources.watched:
            obj = entry[0]()
            if obj is None:
                continue
            state = state_of(obj, self)
            if state != entry[2]:
                # the first state seen was not made by this step: it is how the resource was found
                by = task_id if entry[2] is not None else FOUND
                if by >= 0 and state[0] == 1 and state[1] == 1 and isinstance(obj, asyncio.Lock):
                    self.resources.holders[id(obj)] = by      # taken in this step
                entry[2] = state
                self.log.extend((RESOURCE, entry[1], self.vnow, perf_counter(), by, 0.0, 0, state))

    def note_exit(self, task_id: int, t0: float, p0: float, exc: BaseException | None,
                  node: dict[Any, Any], task: Any = None, end: tuple[float, float] | None = None) -> None:
        if task is not None:  # an adopted task: read its outcome without retrieving it
            if task.cancelled():
                exc = asyncio.CancelledError()
            else:
                exc = task._exception or StopIteration(task._result)
        if isinstance(exc, StopIteration):
            outcome, detail = RESULT, _short_repr(exc.value)
        elif isinstance(exc, asyncio.CancelledError):
            outcome, detail = CANCELLED, ""
        else:
            outcome, detail = EXCEPTION, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.exits[task_id] = (outcome, detail)
        running = task or self.task(task_id)
        if running is not None:
            self.names[task_id] = running.get_name()
        self.log.extend((EXITED, task_id, t0, p0, *(end or (self.vnow, perf_counter())),
                         self.chain_of(node, None), outcome))
        if self.sampling:
            self.sample(task_id)

    def token(self, awaited: Any, task_id: int, keep: bool = False) -> Any:
        """What a task now waits on, as a value that holds no reference to it.

        A task id (int), a label (str), or ``("gather", tokens)``. The model
        turns tokens into words.
        """
        entry = (self.labels.get if keep else self.labels.pop)(id(awaited), None)
        if entry is not None and entry[0] is awaited:
            label: Any = entry[1]
        else:
            label = self.task_id(awaited)
            if label is None:
                label = self._describe_future(awaited, task_id)
        if self.timeouts:
            guard = self.timeouts.get(task_id)
            if guard is not None:
                handle, delay = guard[0](), guard[1]
                if handle is None or handle.cancelled() or not handle._scheduled:  # expired or left
                    del self.timeouts[task_id]
                else:
                    return ("timeout", label, delay)
        return label

    def _describe_future(self, awaited: Any, task_id: int) -> Any:
        if isinstance(awaited, asyncio.Task):
            return awaited.get_name()  # a task of another loop, or from before the recording
        children = getattr(awaited, "_children", None)
        if children is not None:  # gather's future
            return ("gather", tuple(self.token(c, task_id) for c in children))
        if isinstance(awaited, asyncio.Future):
            for callback in _callbacks(awaited):
                # asyncio.wrap_future() chains a concurrent.futures job to this future
                if getattr(callback, "__name__", "") == "_call_check_cancel":
                    return "thread job"
            return "Future pending"  # it was pending when the task chose to wait on it
        return type(awaited).__name__

    def label(self, future: Any, text: str) -> None:
        """Remember what a future stands for ("sleep(2)"), until a task waits on it."""
        self.labels[id(future)] = (future, text)

    def chain_of(self, node: dict[Any, Any], c: Any) -> int:
        """Id of the chain of coroutines a task is suspended in (outermost first).

        `node` is the trie node of the task's own coroutine, `c` what it awaits.
        Walks ``cr_await`` down to the innermost coroutine; chains are interned
        in a trie of code objects, so a repeated chain costs a few dict look-ups
        and allocates nothing.
        """
        while c is not None:
            kind = type(c)
            if kind is _CoroutineType:
                code = c.cr_code
                nxt = c.cr_await
            elif kind is _GeneratorType:
                code = c.gi_code
                nxt = c.gi_yieldfrom
            elif kind in _ASYNC_GENERATOR_STEPS:   # `async for` / `anext()`: into the generator's body
                agen = _async_generator_of(c)
                if agen is None:
                    break
                code = agen.ag_code
                nxt = agen.ag_await
            else:
                break
            child = node.get(code)
            if child is None:
                child = self._new_node(node, code)
            node = child
            if STOP in node:  # asyncio's own code: what lies below is its business
                break
            c = nxt
        chain_id = node.get(None)
        if chain_id is None:
            chain_id = node[None] = len(self.chain_codes)
            self.chain_codes.append(node["codes"])
        return chain_id

    def chain_node(self, coro: Any) -> dict[Any, Any]:
        """The trie node of a task's own coroutine (where its chains start)."""
        root = self.chain_root
        code = getattr(coro, "cr_code", None) if type(coro) is _CoroutineType else None
        if code is None:
            return root
        return root.get(code) or self._new_node(root, code)

    @staticmethod
    def _new_node(parent: dict[Any, Any], code: Any) -> dict[Any, Any]:
        child: dict[Any, Any] = {"codes": parent["codes"] + (code,)}
        if code.co_filename.startswith(ASYNCIO_DIR) and code.co_qualname not in WALK_THROUGH:
            child[STOP] = True
        parent[code] = child
        return child




async def _one_item() -> Any:
    yield None

def _async_generator_step_types() -> tuple[type, ...]:
    """What `anext(agen)` and `agen.athrow()` return: the awaitable an `async for` waits in. It does
    not expose its generator, but holds it (gc.get_referents finds it, keeping nothing alive)."""
    agen = _one_item()
    steps = agen.asend(None), agen.athrow(GeneratorExit)
    for step in steps:
        step.close()   # made, never awaited: closed, so Python 3.13+ does not warn about it
    return tuple(type(step) for step in steps)


_ASYNC_GENERATOR_STEPS = _async_generator_step_types()


def _async_generator_of(step: Any) -> Any:
    for referent in gc.get_referents(step):
        if type(referent) is types.AsyncGeneratorType:
            return referent
    return None


def _callbacks(future: Any) -> list[Any]:
    try:
        return [entry[0] if isinstance(entry, tuple) else entry for entry in future._callbacks or ()]
    except Exception:  # a Future-like object of another library
        return []


def seconds_text(seconds: float) -> str:
    """``2``, ``0.5``, ``1e+09``: a delay as the program wrote it, without float noise."""
    return f"{round(seconds, 6):g}"


def coroutine_name(coro: Any) -> str:
    """``func`` or ``Worker.run``: the qualified name without ``<locals>`` noise."""
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return str(name).rsplit(".<locals>.", 1)[-1]


def _short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a learner's object whose __repr__ fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
