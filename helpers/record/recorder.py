"""The hot path: what every Task of a traced run does, stored as raw values.

A `Recorder` belongs to one `TracingLoop`. The loop hands it each coroutine a
Task is about to drive; the recorder wraps it in a `CoroutineProxy` whose
`send`/`throw` note when a step begins, when it ends and what the coroutine
yielded (the thing it now waits on). Nothing here builds event objects: each
event is eight values appended to one flat list, and `helpers.model` turns
that list into spans afterwards. Objects per event would bring the garbage
collector in and roughly double the cost.
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
import types
from time import perf_counter
from typing import Any

# Event kinds, and the width of one record in `Recorder.log`.
CREATED, SCHEDULED, STEPPED, EXITED = 0, 1, 2, 3
WIDTH = 8
# Outcome codes stored with EXITED.
RESULT, EXCEPTION, CANCELLED = 0, 1, 2
NO_TASK = -1

STOP = "stop"  # trie key: do not walk below this coroutine
ASYNCIO_DIR = os.path.dirname(asyncio.__file__)  # asyncio's own code lives here
_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType


class CoroutineProxy:
    """Stands in for a task's coroutine and notes every step the Task takes.

    Explicit members only: forwarding through ``__getattr__`` would slow the
    lookups the Task itself makes on every step.
    """

    __slots__ = ("_coro", "_send", "_throw", "_rec", "_id", "_node", "__weakref__")

    def __init__(self, coro: Any, recorder: "Recorder", task_id: int) -> None:
        self._coro = coro
        self._send = coro.send
        self._throw = coro.throw
        self._rec = recorder
        self._id = task_id
        self._node = recorder.chain_node(coro)

    def send(self, value: Any) -> Any:
        rec = self._rec
        t0 = rec.vnow
        p0 = perf_counter()
        try:
            awaited = self._send(value)
        except BaseException as exc:
            rec.note_exit(self._id, t0, p0, exc)
            raise
        p1 = perf_counter()
        # Recorder.chain_of, inlined: this runs once per task step.
        node = self._node
        c = self._coro.cr_await
        while c is not None:
            kind = type(c)
            if kind is _CoroutineType:
                child = node.get(c.cr_code)
                nxt = c.cr_await
            elif kind is _GeneratorType:
                child = node.get(c.gi_code)
                nxt = c.gi_yieldfrom
            else:
                break
            if child is None:  # a chain not seen before: the slow path
                node = None
                break
            node = child
            if STOP in node:
                break
            c = nxt
        chain_id = None if node is None else node.get(None)
        if chain_id is None:
            chain_id = rec.chain_of(self._node, self._coro.cr_await)
        rec.log.extend((STEPPED, self._id, t0, p0, rec.vnow, p1, chain_id, awaited))
        return awaited

    def throw(self, *exc_info: Any) -> Any:
        rec = self._rec
        t0 = rec.vnow
        p0 = perf_counter()
        try:
            awaited = self._throw(*exc_info)
        except BaseException as exc:
            rec.note_exit(self._id, t0, p0, exc)
            raise
        rec.log.extend((STEPPED, self._id, t0, p0, rec.vnow, perf_counter(),
                        rec.chain_of(self._node, self._coro.cr_await), awaited))
        return awaited

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> "CoroutineProxy":
        return self

    def __iter__(self) -> "CoroutineProxy":
        return self

    def __next__(self) -> Any:
        return self.send(None)

    # What asyncio's reprs and Task.get_stack() read from a coroutine.
    @property
    def cr_code(self) -> Any:
        return self._coro.cr_code

    @property
    def cr_frame(self) -> Any:
        return self._coro.cr_frame

    @property
    def cr_await(self) -> Any:
        return self._coro.cr_await

    @property
    def cr_running(self) -> bool:
        return self._coro.cr_running

    @property
    def __name__(self) -> str:  # type: ignore[override]
        # (a class body cannot define __qualname__ as a property; asyncio's
        # reprs fall back to __name__)
        return self._coro.__name__

    def __repr__(self) -> str:
        return repr(self._coro)


class Recorder:
    """Raw event log of one traced run: flat lists of numbers and references.

    Each event stores the virtual clock (`vnow`, kept up to date by the loop;
    always 0 on the real clock) and `perf_counter()`; the model derives the
    real-clock times from the latter.
    """

    def __init__(self, virtual: bool) -> None:
        self.virtual = virtual
        self.vnow = 0.0
        self.log: list[Any] = []            # WIDTH values per event
        self.tasks: list[Any] = []          # Task by task id
        self.coros: list[Any] = []          # the learner's coroutine, by task id
        self.names: list[str] = []
        self.ids: dict[Any, int] = {}       # task -> id
        self.exits: dict[int, tuple[int, str]] = {}  # id -> (outcome, detail)
        self.sleeps: dict[Any, float] = {}  # sleep future -> delay
        self.jobs: dict[Any, str] = {}      # executor future -> label
        self.chain_codes: list[tuple[Any, ...]] = []
        self.chain_root: dict[Any, Any] = {"codes": ()}
        self.start_perf = perf_counter()

    def running_task(self) -> int:
        """Id of the recorded task whose step is running now, or NO_TASK."""
        loop = asyncio.events._get_running_loop()
        current = asyncio.current_task(loop) if loop is not None else None
        return self.ids.get(current, NO_TASK)

    def clock_time(self) -> float:
        """Now, in seconds of the run's clock since it began (not for the hot path)."""
        return self.vnow if self.virtual else perf_counter() - self.start_perf

    # --- called by the loop -------------------------------------------------
    def wrap(self, coro: Any, name: str | None) -> tuple[CoroutineProxy, str]:
        """A proxy for a coroutine a new Task will drive, and the task's name."""
        task_id = len(self.coros)
        self.coros.append(coro)
        self.tasks.append(None)  # filled by task_created(); an eager task steps before that
        if name is None:
            name = f"Task-{task_id + 1}"
        self.names.append(str(name))
        self.log.extend((CREATED, task_id, self.vnow, perf_counter(), self.running_task(), 0.0, 0, None))
        return CoroutineProxy(coro, self, task_id), name

    def task_created(self, task: asyncio.Task, task_id: int) -> None:
        self.tasks[task_id] = task
        self.ids[task] = task_id

    def note_scheduled(self, task_id: int, waker: int) -> None:
        """The task became ready: a step of it is queued on the loop, because of `waker`."""
        self.log.extend((SCHEDULED, task_id, self.vnow, perf_counter(), waker, 0.0, 0, None))

    def note_exit(self, task_id: int, t0: float, p0: float, exc: BaseException) -> None:
        if isinstance(exc, StopIteration):
            outcome, detail = RESULT, _short_repr(exc.value)
        elif isinstance(exc, asyncio.CancelledError):
            outcome, detail = CANCELLED, ""
        else:
            outcome, detail = EXCEPTION, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.exits[task_id] = (outcome, detail)
        self.log.extend((EXITED, task_id, t0, p0, self.vnow, perf_counter(),
                         self.chain_of(self.chain_node(self.coros[task_id]), None), outcome))

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
        code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
        if code is None:
            return root
        return root.get(code) or self._new_node(root, code)

    @staticmethod
    def _new_node(parent: dict[Any, Any], code: Any) -> dict[Any, Any]:
        child: dict[Any, Any] = {"codes": parent["codes"] + (code,)}
        if code.co_filename.startswith(ASYNCIO_DIR):
            child[STOP] = True
        parent[code] = child
        return child


collections.abc.Coroutine.register(CoroutineProxy)


def _short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a learner's object whose __repr__ fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
