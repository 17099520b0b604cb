"""Shared resources a run uses (Queue, Lock, Semaphore, Event, Condition), sampled after each step.

A resource is watched when the program says so (``watch(queue, "jobs")``) or,
with ``trace(..., resources=True)``, when a task first waits on it. After each
task step (and each turn of the loop, for callbacks) the recorder compares the
resource's state with the last one it saw and logs a change. Objects are held
by weak references, like everything else the recorder sees.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .recorder import Recorder

ASYNCIO_DIR = os.path.dirname(asyncio.__file__)
# The asyncio methods a task waits in when it waits on a resource (the chain's innermost code).
WAITS_ON_RESOURCE = {"Queue.get", "Queue.put", "Queue.join", "Lock.acquire", "Semaphore.acquire", "Event.wait",
                     "Condition.wait", "Barrier.wait"}


def kind_of(obj: Any) -> str | None:
    for kind, cls in (("Queue", asyncio.Queue), ("Semaphore", asyncio.Semaphore), ("Lock", asyncio.Lock),
                      ("Event", asyncio.Event), ("Condition", asyncio.Condition)):
        if isinstance(obj, cls):
            return kind
    return None


def state_of(obj: Any, rec: "Recorder") -> tuple[Any, ...]:
    """What the chart shows of a resource now: (level, limit, waiting task ids, detail)."""
    if isinstance(obj, asyncio.Queue):
        return (obj.qsize(), obj.maxsize, _waiting(obj._getters, rec) + _waiting(obj._putters, rec),
                len(obj._putters))
    if isinstance(obj, asyncio.Semaphore):
        return (obj._value, None, _waiting(obj._waiters, rec), None)
    if isinstance(obj, (asyncio.Lock, asyncio.Condition)):
        return (int(obj.locked()), 1, _waiting(obj._waiters, rec), None)
    if isinstance(obj, asyncio.Event):
        return (int(obj.is_set()), 1, _waiting(obj._waiters, rec), None)
    return (None, None, (), None)


def _waiting(futures: Any, rec: "Recorder") -> tuple[int, ...]:
    """The recorded tasks waiting on these futures, in the order they wait."""
    found = []
    for future in futures or ():
        if future.done():
            continue
        for callback in future._callbacks or ():
            callback = callback[0] if isinstance(callback, tuple) else callback
            task_id = rec.task_id(getattr(callback, "__self__", None))
            if task_id is not None:
                found.append(task_id)
                break
    return tuple(found)


class Resources:
    """The watched resources of one run, and the last state seen of each."""

    def __init__(self) -> None:
        self.watched: list[list[Any]] = []      # [weak ref, resource id, last state]
        self.ids: dict[int, tuple[Any, int]] = {}   # id(obj) -> (weak ref, resource id)
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.discover = False                    # trace(..., resources=True)
        self.holders: dict[int, int] = {}        # id(lock) -> the task whose step was seen taking it

    def watch(self, obj: Any, name: str | None) -> int | None:
        kind = kind_of(obj)
        if kind is None:
            return None
        entry = self.ids.get(id(obj))
        if entry is not None and entry[0]() is obj:
            if name:
                self.names[entry[1]] = name
            return entry[1]
        rid = len(self.names)
        ref = weakref.ref(obj)
        self.ids[id(obj)] = (ref, rid)
        self.names.append(name or f"{kind}-{rid + 1}")
        self.kinds.append(kind)
        self.watched.append([ref, rid, None])
        return rid

    def found_waiting(self, coro: Any) -> None:
        """A task waits in a resource's method: watch that resource, named as the program names it."""
        found = waited_on(coro)
        if found is not None and id(found[0]) not in self.ids:
            name = _name_in(found[1], found[0])
            self.watch(found[0], name if name not in self.names else None)   # (a local name may repeat)

    def name_of(self, obj: Any) -> str | None:
        """The lane's name of a watched resource (None if it is not watched)."""
        entry = self.ids.get(id(obj))
        return self.names[entry[1]] if entry is not None and entry[0]() is obj else None


def waited_on(coro: Any) -> tuple[Any, Any] | None:
    """(the resource, the program's innermost frame) if the task of `coro` waits in a resource's method."""
    c, learner_frame = coro, None
    while c is not None:
        code = getattr(c, "cr_code", None)
        if code is None:
            return None
        if code.co_qualname in WAITS_ON_RESOURCE:
            obj = c.cr_frame.f_locals.get("self") if c.cr_frame is not None else None
            return None if obj is None else (obj, learner_frame)
        if not code.co_filename.startswith(ASYNCIO_DIR):
            learner_frame = c.cr_frame
        elif not code.co_qualname.endswith("__aenter__"):   # (async with lock: walk on to acquire())
            return None   # inside another asyncio call (Queue.join waits on the queue's own Event)
        c = c.cr_await
    return None


def resource_words(resources: Resources, coro: Any, names: list[str]) -> str:
    """" on account.lock (held by d1)": which watched resource (a lane of the chart) a stuck task
    waits on, and who holds a Lock if the recorder saw it taken; "" for anything else."""
    found = waited_on(coro)
    name = resources.name_of(found[0]) if found is not None else None
    if name is None:
        return ""
    obj = found[0]
    holder = resources.holders.get(id(obj)) if isinstance(obj, asyncio.Lock) and obj.locked() else None
    return f" on {name}" + (f" (held by {names[holder]})" if holder is not None else "")


def _name_in(frame: Any, obj: Any) -> str | None:
    """The variable (or attribute of self) the program holds `obj` in, seen from `frame`."""
    if frame is None:
        return None
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in scope.items():
            if value is obj and not name.startswith("_"):
                return name
    owner = frame.f_locals.get("self")
    for name, value in getattr(owner, "__dict__", {}).items():
        if value is obj:
            return f"self.{name}"
    return None


def watch(obj: Any, name: str | None = None) -> Any:
    """Show `obj` (a Queue, Lock, Semaphore, Event or Condition) as a lane of the chart; returns `obj`.

    ``jobs = watch(asyncio.Queue(maxsize=3), "jobs")``. Outside a traced run it does
    nothing, so the program runs the same untraced.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return obj
    rec = getattr(loop, "recorder", None)
    if rec is not None:
        rec.watch(obj, name)
    return obj
