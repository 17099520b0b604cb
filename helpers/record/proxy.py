"""The stand-in a recorded Task drives instead of the learner's coroutine: it times each step.

A `CoroutineProxy` forwards ``send``/``throw`` to the coroutine and, when a step
ends, appends one record to the recorder's flat log: when it began and ended,
the chain of coroutines it is suspended in (interned in a trie of code
objects), and a token for what it now waits on. This is the hot path of the
recorder: one Python frame per task step and nothing else that can be avoided.
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
import types
from time import perf_counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .recorder import Recorder

# Event kinds, and the width of one record in `Recorder.log`.
CREATED, SCHEDULED, STEPPED, EXITED, RESOURCE = 0, 1, 2, 3, 4
WIDTH = 8
STOP = "stop"  # trie key: do not walk below this coroutine
ASYNCIO_DIR = os.path.dirname(asyncio.__file__)  # asyncio's own code lives here
# asyncio coroutines the chain walks *through*: `async with lock` waits in
# __aenter__, and the learner wants to see the acquire() below it.
WALK_THROUGH = {"_ContextManagerMixin.__aenter__", "Condition.__aenter__", "Semaphore.__aenter__"}
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

    def send(self, value: Any = None) -> Any:
        rec = self._rec
        t0 = rec.vnow
        p0 = perf_counter()
        try:
            awaited = self._send(value)
        except BaseException as exc:
            rec.note_exit(self._id, t0, p0, exc, self._node)
            # the error's traceback keeps this frame: leave nothing in it that leads back here
            self = rec = None  # type: ignore[assignment]
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
        rec.steps += 1
        rec.log.extend((STEPPED, self._id, t0, p0, rec.vnow, p1, chain_id,
                        None if awaited is None else rec.token(awaited, self._id)))
        if rec.sampling:
            rec.after_step(self._id, self._coro)
        return awaited

    def throw(self, *exc_info: Any) -> Any:
        rec = self._rec
        t0 = rec.vnow
        p0 = perf_counter()
        try:
            awaited = self._throw(*exc_info)
        except BaseException as exc:
            exc_info = ()  # the raised error's traceback holds this frame: no cycle back to it
            rec.note_exit(self._id, t0, p0, exc, self._node)
            # the error's traceback keeps this frame: leave nothing in it that leads back here
            self = rec = None  # type: ignore[assignment]
            raise
        exc_info = ()
        rec.steps += 1
        rec.log.extend((STEPPED, self._id, t0, p0, rec.vnow, perf_counter(),
                        rec.chain_of(self._node, getattr(self._coro, "cr_await", None)),
                        None if awaited is None else rec.token(awaited, self._id)))
        if rec.sampling:
            rec.after_step(self._id, self._coro)
        return awaited

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> "CoroutineProxy":
        return self

    def __iter__(self) -> "CoroutineProxy":
        return self

    # The C Task steps a non-native coroutine through tp_iternext: make that send itself,
    # without a second Python frame per step.
    __next__ = send

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


class AwaitableProxy(CoroutineProxy):
    """The proxy for a coroutine-like object that is no native coroutine.

    ``anext(agen)``, ``agen.aclose()`` (which the loop runs at shutdown) and
    hand-written awaitables have ``send``/``throw`` but no ``cr_*``
    attributes: there is no chain of coroutines to walk.
    """

    __slots__ = ()

    def send(self, value: Any = None) -> Any:
        rec = self._rec
        t0 = rec.vnow
        p0 = perf_counter()
        try:
            awaited = self._send(value)
        except BaseException as exc:
            rec.note_exit(self._id, t0, p0, exc, self._node)
            # the error's traceback keeps this frame: leave nothing in it that leads back here
            self = rec = None  # type: ignore[assignment]
            raise
        rec.steps += 1
        rec.log.extend((STEPPED, self._id, t0, p0, rec.vnow, perf_counter(),
                        rec.chain_of(self._node, None),
                        None if awaited is None else rec.token(awaited, self._id)))
        if rec.sampling:
            rec.after_step(self._id, None)
        return awaited

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("cr_"):  # it has none: answer as the object itself would
            return getattr(object.__getattribute__(self, "_coro"), name)
        return object.__getattribute__(self, name)

    __next__ = send

    @property
    def __name__(self) -> str:  # type: ignore[override]
        coro = self._coro
        return getattr(coro, "__name__", type(coro).__name__)


PROXIES = (CoroutineProxy, AwaitableProxy)



collections.abc.Coroutine.register(CoroutineProxy)
