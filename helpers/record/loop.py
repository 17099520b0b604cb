"""An asyncio event loop that records its Tasks and can run on a virtual clock.

`TracingLoop` is an ordinary selector event loop with a few hooks:

* ``create_task`` hands each new coroutine to the `Recorder` (so the task
  factory stays the program's own: ``get_task_factory()`` is untouched);
* ``call_soon`` notes when a Task becomes *ready* (its next step is queued) and
  what caused it, and records Tasks built directly with ``asyncio.Task(coro)`` too;
  any other callback queued while a task's step runs carries that step as its
  cause while it runs (so does a timer's, and one from another thread), so that
  a wake-up asyncio delivers through its own callbacks (``asyncio.wait``,
  ``gather``, a ``TaskGroup``) is credited to the step that set it off;
* ``call_later``/``call_at`` and ``run_in_executor`` remember what a sleep, a
  timeout or an executor's job is, so the chart can say ``sleep(2)`` or
  ``thread job: download()`` (``process job: ...`` in a process pool);
* the selector decides how time passes (see `helpers.record.clock`).

Everything goes through ``time()`` and the selector, so the same loop also
works after ``nest_asyncio2.apply()`` has replaced ``_run_once``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import heapq
import inspect
import math
import os
import stat
import sys
import time
import types
import weakref
from asyncio import constants, events, format_helpers, futures, tasks
from contextvars import Context
from time import perf_counter
from typing import Any, Callable

from .clock import ClockSelector, OutsideWork
from .frames import hide_own_frames
from .recorder import (CALLBACK, NO_TASK, PROXIES, THREAD_CAUSE, TIMER_CAUSE, AwaitableProxy, CoroutineProxy,
                       LateTimer, Recorder, seconds_text)
from .resources import resource_words
from .stuck import Deadlock, Runaway, describe_cycle, waits_graph

# A live view draws at most this often (seconds of real time): about 10 frames a second.
FRAME_INTERVAL = 0.1
# On the virtual clock a program that never ends would spin forever. Stop it after this many
# steps, or once it is past MAX_TIME virtual seconds *and* LOOP_STEPS steps: a loop, not a few
# long sleeps (sleep(1e9) is fine; `while True: await asyncio.sleep(1)` stops at 3600 s).
MAX_STEPS = 1_000_000
MAX_TIME = 3600.0
LOOP_STEPS = 10_000
# A timer that fires this much after its due time (real clock: the loop was busy) says how late it was.
LATE_NOTED = 0.001

_TIMEOUT_CALLBACK = getattr(getattr(asyncio, "Timeout", None), "_on_timeout", None)
_RELEASE_WAITER = getattr(tasks, "_release_waiter", None)   # wait_for's and wait's timeout, 3.11
_FACTORY_GETS_KEYWORDS = any(p.kind is p.VAR_KEYWORD
                             for p in inspect.signature(asyncio.BaseEventLoop.create_task).parameters.values())


class TracingLoop(asyncio.SelectorEventLoop):
    """A selector event loop that records Tasks; virtual clock by default."""

    def __init__(self, clock: str = "virtual", speed: float | None = None,
                 max_steps: int | None = MAX_STEPS, max_time: float | None = MAX_TIME) -> None:
        if clock not in ("virtual", "real"):
            raise ValueError(f"clock must be 'virtual' or 'real', not {clock!r}")
        if speed is not None and speed <= 0:
            raise ValueError("speed must be a positive number (1.0 = real time)")
        self.virtual = clock == "virtual"
        self.speed = speed
        self.max_steps = max_steps if self.virtual else None
        self.max_time = max_time if self.virtual else None
        self._virtual_now = 0.0
        self.recorder: Recorder | None = None
        self._io_event: Any = None   # the selector's event being processed (see _add_callback)
        self._delay: float | None = None   # the delay of the call_later being made (see call_at)
        super().__init__()
        self._selector = ClockSelector(self._selector, self)
        self.outside = OutsideWork(self)
        self.deadlock: Deadlock | None = None
        self.runaway: Runaway | None = None
        self.stuck: list[tuple[int, ...]] = []   # cycles of tasks waiting on each other, as found
        self.on_frame: Callable[[], None] | None = None   # a live view's redraw
        self._last_frame = 0.0
        self.frame_cost = 0.0      # how long the last frame took to draw
        self._pace_origin: float | None = None
        self._last_cycle_check = 0.0
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
        # asyncio runs the timers due before time() + _clock_resolution. Far from 0 a
        # float cannot hold 1e-9 s: keep the resolution above the float's step there.
        self._clock_resolution = max(1e-9, 2 * math.ulp(now))
        if self.recorder is not None:
            self.recorder.vnow = now

    def advance_to_next_timer(self, timeout: float) -> None:
        """Jump to the next timer, landing exactly on its due time."""
        target = self._virtual_now + timeout
        scheduled = self._scheduled
        if scheduled and abs(scheduled[0]._when - target) <= max(1e-9, 4 * math.ulp(target)):
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

    # --- endings: deadlock, runaway, cycles ------------------------------------
    def nothing_can_wake(self) -> bool:
        """No ready callback, no timer, and nothing outside the loop that could call back."""
        return not self._ready and not self._scheduled and not self.outside.in_flight()

    def deadlocked(self, since: float) -> None:
        rec = self.recorder
        assert rec is not None
        cycles = [f"{describe_cycle(rec, c)}: they wait on each other, stuck since {rec.waiting_since(c):.2f} s."
                  for c in self.stuck_cycles()]
        self.deadlock = Deadlock(since, self.waiting_labels(), cycles)
        self.stop()

    def check_limits(self) -> None:
        """Stop a virtual-clock run that looks like it never ends."""
        rec = self.recorder
        if rec is None or self.runaway is not None:
            return
        over_steps = self.max_steps is not None and rec.steps >= self.max_steps
        over_time = (self.max_time is not None and rec.vnow >= self.max_time and rec.steps >= LOOP_STEPS)
        if over_steps or over_time:
            self.runaway = Runaway(rec.clock_time(), rec.steps, over_steps, self.waiting_labels())
            self.stop()

    def note_cycles(self) -> None:
        """Now and then (at most every 50 ms of real time), look for tasks waiting on each other."""
        now = perf_counter()
        if now - self._last_cycle_check < 0.05 or self.recorder is None:
            return
        self._last_cycle_check = now
        for cycle in self.stuck_cycles():
            if cycle not in self.stuck:
                self.stuck.append(cycle)

    def stuck_cycles(self) -> list[tuple[int, ...]]:
        rec = self.recorder
        return waits_graph(rec) if rec is not None else []

    def waiting_labels(self) -> list[tuple[str, str]]:
        """("Task-2 worker()", what it waits on) for every unfinished task."""
        rec = self.recorder
        assert rec is not None
        return [(f"{rec.names[tid]} {rec.coro_names[tid]}()", what) for tid, what in self.waiting_tasks()]

    def waiting_tasks(self) -> list[tuple[int, str]]:
        """(task id, what it waits on) for every unfinished recorded task still alive."""
        from ..waits import describe_token  # late: words are not needed to record
        rec = self.recorder
        if rec is None:
            return []
        waiting = []
        for tid in range(len(rec.tasks)):
            task = rec.task(tid)
            if task is None or task.done():
                continue
            rec.names[tid] = task.get_name()
            coro = task.get_coro()
            chain = rec.chain_of(rec.chain_node(coro), getattr(coro, "cr_await", None))
            awaited = task._fut_waiter
            token = None if awaited is None else rec.token(awaited, tid, keep=True)
            waiting.append((tid, describe_token(rec, token, chain) + resource_words(rec.resources, coro, rec.names)))
        return waiting

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        # "Task exception was never retrieved" and the like: without the recorder's frames
        hide_own_frames(context.get("exception"))
        super().default_exception_handler(context)

    # --- recording hooks -----------------------------------------------------
    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task:
        rec = self.recorder
        if rec is None or not asyncio.iscoroutine(coro):
            return super().create_task(coro, **kwargs)
        self._check_closed()
        proxy = rec.wrap(coro)
        task_id = proxy._id
        name = kwargs.pop("name", None)
        shown = rec.names[task_id] if name is None else name  # numbered per run, as a fresh asyncio.run()
        factory = self._task_factory
        eager = factory is not None and factory is getattr(asyncio, "eager_task_factory", object())
        if factory is None or eager:
            if eager:
                kwargs.setdefault("eager_start", True)
            task = _recorded_task_class(asyncio.tasks.Task)(proxy, loop=self, name=shown, **kwargs)
        else:
            # The program's own factory gets exactly what asyncio itself would give it.
            if _FACTORY_GETS_KEYWORDS:        # 3.13.1+: the caller's keywords, passed through
                if name is not None:
                    kwargs["name"] = name
            elif kwargs.get("context") is None:  # before: (loop, coro), context only if given
                kwargs.pop("context", None)
            task = factory(self, proxy, **kwargs)
            if name is None or not _FACTORY_GETS_KEYWORDS:
                task.set_name(shown)
        if task._source_traceback:
            del task._source_traceback[-1]
        rec.task_created(task, task_id)
        if not task.done() and task._fut_waiter is None:
            # Queued by the Task's constructor, before we knew the task object:
            # its first step (queued by its creator), or the next one of an eager
            # task whose first step yielded to the loop (queued by itself).
            rec.note_scheduled(task_id, (task_id, 0, False, None) if _started(coro) else rec.cause_now(self))
        try:
            return task
        finally:
            del task  # as asyncio does (gh-128552): an eager task's exception must not hold this frame

    def call_soon(self, callback: Callable[..., Any], *args: Any,
                  context: Context | None = None) -> asyncio.Handle:
        rec = self.recorder
        if rec is not None and (args or type(getattr(callback, "__self__", None)) not in _RECORDED_TASKS):
            # (the fast path skipped: one of our own tasks yielding to the loop, which needs no record)
            task = getattr(callback, "__self__", None)
            proxy = getattr(task, "_coro", None) if isinstance(task, asyncio.Task) else None
            if type(proxy) in PROXIES and proxy._rec is rec:
                if args:
                    # A task's wake-up: it receives the future that completed. If that is
                    # one of our tasks, its end woke this one; otherwise whatever runs now
                    # resolved it: a task's step, or a callback that carries its cause.
                    # (A task that yielded to the loop queues its next step with no
                    # argument; the model takes that step's end as its ready time.)
                    rec.note_scheduled(proxy._id, rec.waker(args[0], self))
            elif task is not None and proxy is not None and task.get_loop() is self:
                callback = self._adopted_step(rec, task, callback, args)
            else:
                # Any other callback (asyncio.wait's, gather's, a done-callback, fut.set_result):
                # whatever wakes a task when it runs was caused by what queues it now.
                cause = rec.cause_now(self, CALLBACK)
                if cause is not None:
                    if self._debug or self._closed:
                        return self._call_soon_caused(callback, args, context, cause)
                    handle = _CausedHandle(callback, args, self, context)
                    handle._cause = cause
                    self._ready.append(handle)
                    return handle
        if self._debug or self._closed:
            handle = super().call_soon(callback, *args, context=context)
            if handle._source_traceback:
                handle._source_traceback = _source_traceback(sys._getframe(1))
            return handle
        # What BaseEventLoop.call_soon does, without two Python frames per task step.
        handle = events.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def _call_soon_caused(self, callback: Callable[..., Any], args: tuple[Any, ...], context: Context | None,
                          cause: tuple[int, int, bool, str | None]) -> asyncio.Handle:
        """BaseEventLoop.call_soon in debug mode (or on a closed loop), with a handle that carries its
        cause while it runs."""
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = _CausedHandle(callback, args, self, context)
        if handle._source_traceback:
            handle._source_traceback = _source_traceback(sys._getframe(2))
        handle._cause = cause
        self._ready.append(handle)
        return handle

    # --- wake-ups from the selector ---------------------------------------------
    def _process_events(self, event_list: list[Any]) -> None:
        """asyncio's own, one event at a time, so that `_add_callback` knows which file is ready."""
        if self.recorder is None:
            return super()._process_events(event_list)
        for event in event_list:
            self._io_event = event
            try:
                super()._process_events([event])
            finally:
                self._io_event = None

    def _add_callback(self, handle: asyncio.Handle) -> None:
        """Queue a reader's or writer's callback with what the selector saw as its cause, so that
        the task it wakes reads "socket readable" instead of "the loop"."""
        event = self._io_event
        if event is None or handle._cancelled or self.recorder is None:
            return super()._add_callback(handle)
        key, _ = event
        what = "readable" if handle is key.data[0] else "writable"
        self._ready.append(_IOHandle(handle, f"{_file_kind(key.fd)} {what}"))

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any,
                             context: Context | None = None) -> asyncio.Handle:
        if self.recorder is None:
            return super().call_soon_threadsafe(callback, *args, context=context)
        # BaseEventLoop.call_soon_threadsafe, with a handle that says it came from another thread
        self._check_closed()
        if self._debug:
            self._check_callback(callback, "call_soon_threadsafe")
        handle = _ThreadHandle(callback, args, self, context)
        self._ready.append(handle)
        if handle._source_traceback:
            handle._source_traceback = _source_traceback(sys._getframe(1))
        self._write_to_self()
        return handle

    def _adopted_step(self, rec: Recorder, task: asyncio.Task, callback: Callable[..., Any],
                      args: tuple[Any, ...]) -> Callable[..., Any]:
        """A step of a Task built with ``asyncio.Task(coro)``: record the task, and wrap its step."""
        task_id = rec.task_id(task)
        if task_id is None:
            if task.done():
                return callback
            if args:   # woken, and never seen before: built with eager_start=True, first step unseen
                task_id = rec.adopt(task, unseen_start=True)
            elif _started(task.get_coro()):   # ... yielding to the loop at the end of that first step
                task_id = rec.found_running(task)
            else:   # its first step, queued by the constructor
                task_id = rec.adopt(task)
        if task_id in rec.first_step_open:
            rec.close_first_step(task_id, task)
        rec.note_scheduled(task_id, rec.waker(args[0], self) if args else rec.cause_now(self))
        return _AdoptedStep(rec, task_id, task, callback)

    if sys.version_info >= (3, 12):   # (no eager_start before)
        def create_future(self) -> asyncio.Future:
            # Nearly every wait begins here. A task whose first step ran inside asyncio.Task(coro,
            # eager_start=True) may be running that step now: record it from here (Recorder.found_running).
            rec = self.recorder
            if rec is not None:
                task = tasks.current_task(self)
                if task is not None and type(task._coro) not in PROXIES and rec.task_id(task) is None:
                    rec.found_running(task)
            return futures.Future(loop=self)

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any,
                   context: Context | None = None) -> asyncio.TimerHandle:
        # What BaseEventLoop.call_later does, keeping the delay asked for, so that on the real
        # clock a label says sleep(0.2), not the sleep(0.199987) call_at would work out.
        if delay is None:
            raise TypeError("delay must not be None")
        self._delay = delay
        try:
            timer = self.call_at(self.time() + delay, callback, *args, context=context)
        finally:
            self._delay = None
        if timer._source_traceback:
            del timer._source_traceback[-1]
        return timer

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any,
                context: Context | None = None) -> asyncio.TimerHandle:
        # (BaseEventLoop.call_later comes through here too)
        rec = self.recorder
        if rec is None:
            handle = super().call_at(when, callback, *args, context=context)
            if handle._source_traceback:
                handle._source_traceback = _source_traceback(sys._getframe(1))
            return handle
        # What BaseEventLoop.call_at does (the same from 3.11 to 3.15), with a handle that says
        # that what it wakes when it fires, a timer woke.
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        handle = _TimerHandle(when, callback, args, self, context)
        if handle._source_traceback:
            handle._source_traceback = _source_traceback(sys._getframe(1))
        heapq.heappush(self._scheduled, handle)
        handle._scheduled = True
        if self._delay is not None:   # call_later's
            delay = self._delay
        else:   # a program's own call_at, or asyncio.timeout's: on the real clock to 0.1 ms (the
            delay = when - self.time()   # time passed since the program read the clock: microseconds)
            if not self.virtual:
                delay = round(delay, 4)
        if callback is futures._set_result_unless_cancelled:
            rec.label(args[0], f"sleep({seconds_text(delay)})")   # asyncio.sleep(delay)'s own future
        elif callback is _RELEASE_WAITER and args:
            rec.label(args[0], ("timeout", "wait_for", delay))
        elif _TIMEOUT_CALLBACK is not None and getattr(callback, "__func__", None) is _TIMEOUT_CALLBACK:
            guarded = rec.task_id(getattr(callback.__self__, "_task", None))
            if guarded is not None:
                rec.timeouts[guarded] = (weakref.ref(handle), delay)
        return handle

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future:
        future = super().run_in_executor(executor, func, *args)
        self.outside.job_started(future)
        if self.recorder is not None:
            where = "process" if isinstance(executor, concurrent.futures.ProcessPoolExecutor) else "thread"
            self.recorder.label(future, f"{where} job: {_callable_name(func)}()")
        return future


class _Caused:
    """A loop callback that carries its cause (`Recorder.cause_now`) while it runs.

    Mixed into asyncio's own handle classes, under their own names: the program sees the
    Handle (or TimerHandle) asyncio would give it, with the same repr.
    """

    __slots__ = ()
    _cause: tuple[int, int, bool, str | None]
    _asyncios: type   # the asyncio class it stands for

    def _run(self) -> None:
        rec = self._loop.recorder  # type: ignore[attr-defined]
        if rec is None:
            return self._asyncios._run(self)
        outer = rec.cause
        rec.cause = self._cause
        try:
            self._asyncios._run(self)
        finally:
            rec.cause = outer
        # as asyncio's own Handle._run: a failed callback's traceback must lead to no handle
        self = rec = None  # type: ignore[assignment]


class _CausedHandle(_Caused, events.Handle):
    __slots__ = ("_cause",)


class _TimerHandle(_Caused, events.TimerHandle):
    __slots__ = ()

    @property
    def _cause(self) -> tuple[int, int, bool, str | None]:   # read as it runs: is it late?
        late = self._loop.time() - self._when
        return TIMER_CAUSE if late < LATE_NOTED else (NO_TASK, 0, False, LateTimer(late))


class _IOHandle(_CausedHandle):
    """A reader's or writer's handle, queued for this one event: runs it unless it has been
    cancelled meanwhile (the file removed from the selector), as asyncio would skip it."""
    __slots__ = ("_original",)

    def __init__(self, original: asyncio.Handle, how: str) -> None:
        super().__init__(original._callback, original._args, original._loop, original._context)
        self._original = original
        self._source_traceback = original._source_traceback
        self._cause = (NO_TASK, 0, False, how)

    def _run(self) -> None:
        if not self._original._cancelled:
            super()._run()


def _started(coro: Any) -> bool:
    """Has this coroutine run already (a Task's first step is not the one about to run)?"""
    return type(coro) is types.CoroutineType and inspect.getcoroutinestate(coro) != inspect.CORO_CREATED


def _file_kind(fd: int) -> str:
    """"socket" or "pipe" (a subprocess's pipe, or anything else the selector watches)."""
    try:
        return "socket" if stat.S_ISSOCK(os.fstat(fd).st_mode) else "pipe"
    except OSError:
        return "pipe"


_SAFE_HANDLE = getattr(events, "_ThreadSafeHandle", events.Handle)   # 3.13.1+: with a lock


class _ThreadHandle(_Caused, _SAFE_HANDLE):  # type: ignore[valid-type, misc]
    __slots__ = ()
    _cause = THREAD_CAUSE


for _cls, _base in ((_CausedHandle, events.Handle), (_IOHandle, events.Handle), (_TimerHandle, events.TimerHandle),
                    (_ThreadHandle, _SAFE_HANDLE)):   # named as asyncio's: reprs say <Handle ...>
    _cls.__name__, _cls.__qualname__, _cls.__module__ = _base.__name__, _base.__qualname__, _base.__module__
    _cls._asyncios = _base


def _source_traceback(caller: Any) -> Any:
    """A debug-mode source traceback as asyncio makes it for a handle, from the program's frame that
    asked for it: asyncio takes DEBUG_STACK_DEPTH frames from inside its own two and drops those."""
    return format_helpers.extract_stack(caller, limit=constants.DEBUG_STACK_DEPTH - 2)


class _AdoptedStep:
    """Runs one step of a Task the recorder could not wrap, and records it.

    ``__self__`` is the task, as for the Task's own step callback: asyncio's
    debug messages and reprs read it.
    """

    __slots__ = ("_rec", "_id", "__self__", "_callback")

    def __init__(self, rec: Recorder, task_id: int, task: asyncio.Task, callback: Callable[..., Any]) -> None:
        self._rec, self._id, self.__self__, self._callback = rec, task_id, task, callback

    def __call__(self, *args: Any) -> None:
        rec = self._rec
        t0, p0 = rec.vnow, perf_counter()
        self._callback(*args)
        task, task_id = self.__self__, self._id
        if task.done():
            rec.note_exit(task_id, t0, p0, None, rec.chain_node(task.get_coro()), task)
        else:
            rec.note_step(task_id, t0, p0, task)
        # A failed task's traceback can hold this frame: leave nothing in it that leads back
        # to the task, so the task is freed as soon as plain asyncio frees it.
        del self, task, args

    def __repr__(self) -> str:
        return repr(self._callback)


@functools.lru_cache(maxsize=None)
def _recorded_task_class(base: type) -> type:
    """A Task subclass whose get_coro() returns the learner's coroutine, not our proxy."""

    class RecordedTask(base):  # type: ignore[misc, valid-type]
        # (self._coro, not super().get_coro(): a task that ended in its eager start has let go of its
        # coroutine, and 3.12.1's get_coro() then crashes; _coro is None)
        def get_coro(self) -> Any:
            coro = self._coro
            return getattr(coro, "_coro", coro)

        def set_name(self, value: Any) -> None:
            super().set_name(value)
            proxy = self._coro   # the chart uses the name it ends up with
            if isinstance(proxy, CoroutineProxy):
                proxy._rec.names[proxy._id] = self.get_name()
            elif proxy is None:   # ended in its eager start
                rec = getattr(self.get_loop(), "recorder", None)
                task_id = rec.find(self) if rec is not None else None
                if task_id is not None:
                    rec.names[task_id] = self.get_name()

    RecordedTask.__qualname__ = RecordedTask.__name__ = "Task"
    RecordedTask.__module__ = base.__module__
    _RECORDED_TASKS.add(RecordedTask)
    return RecordedTask


_RECORDED_TASKS: set[type] = set()  # the Task classes create_task makes: every task of theirs is recorded


def _callable_name(func: Callable[..., Any]) -> str:
    # asyncio.to_thread passes functools.partial(context.run, func, *args)
    while isinstance(func, functools.partial):
        inner = func.func
        if getattr(inner, "__name__", "") == "run" and func.args and callable(func.args[0]):
            func = func.args[0]
        else:
            func = inner
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__


__all__ = ["TracingLoop", "Deadlock", "Runaway", "AwaitableProxy", "CoroutineProxy", "NO_TASK"]
