"""An asyncio event loop that records its Tasks and can run on a virtual clock.

`TracingLoop` is an ordinary selector event loop with four hooks:

* ``create_task`` hands each new coroutine to the `Recorder` (so the task
  factory stays the program's own: ``get_task_factory()`` is untouched);
* ``call_soon`` notes when a Task becomes *ready* (its next step is queued);
* ``call_later`` and ``run_in_executor`` remember what a sleep or a thread job
  is, so the chart can say ``sleep(2)`` or ``thread job: download()``;
* the selector decides how time passes. On the virtual clock, when nothing is
  ready the loop jumps straight to its next timer instead of waiting, unless a
  thread job is still running, in which case real time passes. When nothing
  is ready, no timer is pending and no job runs, nothing can ever wake the
  tasks again: the loop stops and reports a deadlock.

Everything goes through ``time()`` and the selector, so the same loop also
works after ``nest_asyncio2.apply()`` has replaced ``_run_once``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import selectors
import sys
import time
from asyncio import events, futures, tasks
from time import perf_counter
from contextvars import Context
from typing import Any, Callable

from .recorder import NO_TASK, Recorder

# How long a loop with nothing to do waits for a thread to call back before it
# calls the situation a deadlock.
DEADLOCK_GRACE = 0.25
# A live view draws at most this often (seconds of real time): about 10 frames a second.
FRAME_INTERVAL = 0.1


class Deadlock(RuntimeError):
    """Every unfinished task waits on something nothing can resolve any more."""

    def __init__(self, at: float, waiting: list[tuple[str, str]]) -> None:
        self.at = at
        self.waiting = waiting
        lines = [f"Deadlock at {at:.2f} s: every task is waiting and nothing is left that could wake one up"
                 " (no timer, no thread job, no other task)."]
        lines += [f"  {name} waits on {what}" for name, what in waiting]
        lines.append("The waiting tasks were cancelled so the run could end."
                     " Something has to resolve what they wait on: set_result() on the Future,"
                     " put() on the Queue, set() on the Event, or a timeout.")
        super().__init__("\n".join(lines))


class _ClockSelector:
    """Wraps the loop's selector: here is where time passes, real or virtual."""

    def __init__(self, selector: selectors.BaseSelector, loop: "TracingLoop") -> None:
        self._selector = selector
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        loop = self._loop
        if timeout is not None and timeout <= 0:
            return self._selector.select(0)
        if not loop.virtual:
            if timeout is None and loop.nothing_can_wake():
                return self._grace_or_deadlock()
            return self._wait(timeout)
        events = self._selector.select(0)
        if events:
            return events
        if loop.jobs_running:
            # A thread is working: let real time pass until it calls back or
            # the next timer is due, and move the virtual clock as far.
            began = time.monotonic()
            events = self._wait(timeout)
            elapsed = time.monotonic() - began
            loop.advance(elapsed if timeout is None else min(elapsed, timeout))
            return events
        if timeout is None:
            return self._grace_or_deadlock() if loop.nothing_can_wake() else self._wait(None)
        if loop.speed:
            # Pace against a fixed real-time origin, so time spent drawing live
            # frames is taken out of the wait instead of stretching the demo.
            target = loop.pace_origin() + (loop.time() + timeout) / loop.speed
            events = self._wait(max(0.0, target - time.monotonic()))
            if events:
                return events
        loop.advance_to_next_timer(timeout)
        return []

    def _wait(self, seconds: float | None) -> list[Any]:
        """Wait in real time; with a live view, in slices, drawing frames between them."""
        loop = self._loop
        if loop.on_frame is None:
            return self._selector.select(seconds)
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is None or left > loop.frame_cost:  # draw only in idle time the frame fits in
                loop.frame_if_due()
                left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            piece = FRAME_INTERVAL if left is None else min(left, FRAME_INTERVAL)
            events = self._selector.select(piece)
            if events or (left is not None and piece >= left):
                return events

    def _grace_or_deadlock(self) -> list[Any]:
        rec = self._loop.recorder
        stuck_since = rec.clock_time() if rec is not None else 0.0
        events = self._selector.select(DEADLOCK_GRACE)
        if not events:
            self._loop.deadlocked(stuck_since)
        return events

    def __getattr__(self, name: str) -> Any:  # register, unregister, close, get_map ...
        return getattr(self._selector, name)


class TracingLoop(asyncio.SelectorEventLoop):
    """A selector event loop that records Tasks; virtual clock by default."""

    def __init__(self, clock: str = "virtual", speed: float | None = None) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError(f"clock must be 'virtual' or 'real', not {clock!r}")
        if speed is not None and speed <= 0:
            raise ValueError("speed must be a positive number (1.0 = real time)")
        self.virtual = clock == "virtual"
        self.speed = speed
        self._virtual_now = 0.0
        self.recorder: Recorder | None = None
        super().__init__()
        self._selector = _ClockSelector(self._selector, self)
        self.jobs_running = 0
        self.deadlock: Deadlock | None = None
        self.on_frame: Callable[[], None] | None = None   # a live view's redraw
        self._last_frame = 0.0
        self.frame_cost = 0.0      # how long the last frame took to draw
        self._pace_origin: float | None = None
        self.recorder = Recorder(self.virtual)

    # --- the clock -----------------------------------------------------------
    def time(self) -> float:
        if self.virtual:
            return self._virtual_now
        return super().time()

    def advance(self, seconds: float) -> None:
        self._set_virtual_now(self._virtual_now + seconds)

    def _set_virtual_now(self, now: float) -> None:
        self._virtual_now = now
        if self.recorder is not None:
            self.recorder.vnow = now

    def advance_to_next_timer(self, timeout: float) -> None:
        """Jump to the next timer, landing exactly on its due time."""
        target = self._virtual_now + timeout
        scheduled = self._scheduled
        if scheduled and abs(scheduled[0]._when - target) < 1e-9:
            target = scheduled[0]._when
        self._set_virtual_now(max(self._virtual_now, target))

    def pace_origin(self) -> float:
        """The real (monotonic) time at which the paced virtual clock read 0."""
        if self._pace_origin is None:
            self._pace_origin = time.monotonic() - self._virtual_now / (self.speed or 1.0)
        return self._pace_origin

    def shown_time(self) -> float:
        """Where a live view's "now" is: on a paced virtual clock, between two timers."""
        rec = self.recorder
        now = rec.clock_time() if rec is not None else self.time()
        if self.virtual and self.speed and self._pace_origin is not None:
            paced = (time.monotonic() - self._pace_origin) * self.speed
            if self._scheduled:
                paced = min(paced, self._scheduled[0]._when)
            now = max(now, paced)
        return now

    def frame_if_due(self) -> None:
        """Call the live view's redraw if the last frame is old enough."""
        began = perf_counter()
        if began - self._last_frame >= FRAME_INTERVAL and self.on_frame is not None:
            try:
                self.on_frame()
            except Exception as exc:  # a broken view must not break the learner's run
                self.on_frame = None
                print(f"(live chart stopped: {type(exc).__name__}: {exc})")
            self._last_frame = perf_counter()
            self.frame_cost = self._last_frame - began

    def nothing_can_wake(self) -> bool:
        """No ready callback, no timer, no thread job, no file or socket watched."""
        return (not self._ready and not self.jobs_running
                and len(self._selector.get_map()) <= 1)  # only the loop's own self-pipe

    def deadlocked(self, since: float) -> None:
        self.deadlock = Deadlock(since, self.waiting_tasks())
        self.stop()

    def waiting_tasks(self) -> list[tuple[str, str]]:
        """(name, what it waits on) for every unfinished recorded task."""
        from ..model import coroutine_name, describe_awaited  # late: the model is not needed to record
        rec = self.recorder
        if rec is None:
            return []
        return [(f"{rec.names[tid]} {coroutine_name(rec.coros[tid])}()",
                 describe_awaited(rec, tid, task._fut_waiter, None))
                for tid, task in enumerate(rec.tasks) if not task.done()]

    # --- recording hooks -----------------------------------------------------
    def create_task(self, coro: Any, *, name: Any = None, context: Context | None = None,
                    **kwargs: Any) -> asyncio.Task:
        rec = self.recorder
        if rec is None or not asyncio.iscoroutine(coro):
            return super().create_task(coro, name=name, context=context, **kwargs)
        self._check_closed()
        proxy, name = rec.wrap(coro, name)
        task_id = proxy._id
        factory = self._task_factory
        eager = factory is not None and factory is getattr(asyncio, "eager_task_factory", object())
        if factory is None or eager:
            cls = _recorded_task_class(asyncio.tasks.Task)
            if eager:
                kwargs["eager_start"] = True
            task = cls(proxy, loop=self, name=name, context=context, **kwargs)
        elif sys.version_info >= (3, 13):  # the program's own factory: chain onto it
            task = factory(self, proxy, name=name, context=context, **kwargs)
        else:
            task = factory(self, proxy) if context is None else factory(self, proxy, context=context)
            task.set_name(name)
        if task._source_traceback:
            del task._source_traceback[-1]
        rec.task_created(task, task_id)
        if not task.done() and task._fut_waiter is None:
            # Queued by the Task's constructor, before we knew the task object:
            # its first step (queued by its creator), or the next one of an eager
            # task whose first step yielded to the loop (queued by itself).
            stepped = inspect.getcoroutinestate(coro) != inspect.CORO_CREATED
            rec.note_scheduled(task_id, task_id if stepped else rec.running_task())
        return task

    def call_soon(self, callback: Callable[..., Any], *args: Any,
                  context: Context | None = None) -> asyncio.Handle:
        rec = self.recorder
        if args and rec is not None:
            # A task's wake-up: it receives the future that completed. (A task that
            # yielded to the loop queues its next step with no argument; the model
            # takes that step's end as its ready time, so it needs no record.)
            task_id = rec.ids.get(getattr(callback, "__self__", None))
            if task_id is not None:
                # If the completed future is one of our tasks, its end woke this
                # one; otherwise whatever step is running now resolved it.
                waker = rec.ids.get(args[0])
                if waker is None:
                    waker = rec.ids.get(tasks.current_task(self), NO_TASK)
                rec.note_scheduled(task_id, waker)
        if self._debug or self._closed:
            return super().call_soon(callback, *args, context=context)
        # What BaseEventLoop.call_soon does, without two Python frames per task step.
        handle = events.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any,
                   context: Context | None = None) -> asyncio.TimerHandle:
        rec = self.recorder
        if rec is not None and callback is futures._set_result_unless_cancelled:
            rec.sleeps[args[0]] = delay   # asyncio.sleep(delay)'s own future
        return super().call_later(delay, callback, *args, context=context)

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future:
        future = super().run_in_executor(executor, func, *args)
        self.jobs_running += 1
        future.add_done_callback(self._job_done)
        if self.recorder is not None:
            self.recorder.jobs[future] = f"thread job: {_callable_name(func)}()"
        return future

    def _job_done(self, _future: asyncio.Future) -> None:
        self.jobs_running -= 1


@functools.lru_cache(maxsize=None)
def _recorded_task_class(base: type) -> type:
    """A Task subclass whose get_coro() returns the learner's coroutine, not our proxy."""

    class RecordedTask(base):  # type: ignore[misc, valid-type]
        def get_coro(self) -> Any:
            coro = super().get_coro()
            return getattr(coro, "_coro", coro)

    RecordedTask.__qualname__ = RecordedTask.__name__ = "Task"
    RecordedTask.__module__ = base.__module__
    return RecordedTask


def _callable_name(func: Callable[..., Any]) -> str:
    # asyncio.to_thread passes functools.partial(context.run, func, *args)
    while isinstance(func, functools.partial):
        inner = func.func
        if getattr(inner, "__name__", "") == "run" and func.args and callable(func.args[0]):
            func = func.args[0]
        else:
            func = inner
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
