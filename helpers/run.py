"""Run a learner's coroutine on a loop we control, and hand back its `Trace`.

A Jupyter kernel already runs an event loop, so ``asyncio.run`` refuses to
start a second one in a cell. `run_traced` does not touch the kernel's loop:
it sets a fresh `TracingLoop` as the running loop, runs the coroutine to the
end on it, and puts the kernel's loop back, so the cell simply waits. In a
notebook write ``await trace(main())``; in a script, ``run_traced(main())``.
``with tracing(): asyncio.run(main())`` (`helpers.intercept`) traces code written the seed's way.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import sys
import threading
from asyncio import events
from typing import Any, Coroutine, Iterator

from .model import Trace, build_trace
from .notebook import current_shell
from .record.frames import hide_own_frames
from .explain import explain_ending, explained_warnings
from .record.loop import MAX_STEPS, MAX_TIME, TracingLoop
from .record.recorder import END_OF_RUN_CAUSE

_last: list[Trace] = []


def last_trace() -> Trace | None:
    """The most recent trace, also when its run ended in an exception."""
    return _last[-1] if _last else None


def check_coroutine(main: Any, where: str = "trace") -> None:
    """Explain, before anything runs, why `main` cannot be traced."""
    if inspect.iscoroutinefunction(main):
        raise TypeError(f"{where}() needs a coroutine object, and {main.__qualname__} is a coroutine "
                        f"function. Call it to get one: {where}({main.__qualname__}()).")
    if not asyncio.iscoroutine(main):
        hint = " (an awaitable that is already scheduled: await it directly)" if isinstance(main, asyncio.Future) else ""
        raise TypeError(f"{where}() needs a coroutine object, like {where}(main()); "
                        f"got {type(main).__name__}{hint}.")
    if getattr(main, "cr_frame", True) is None:
        raise RuntimeError(f"this {main.__qualname__}() coroutine object has already run to its end: "
                           "a coroutine object can be awaited only once. "
                           f"Call {main.__qualname__}() again to get a fresh one.")


def run_traced(main: Coroutine[Any, Any, Any], *, clock: str = "virtual",
               speed: float | None = None, quiet: bool = False, live: bool = False,
               max_steps: int | None = MAX_STEPS, max_time: float | None = MAX_TIME,
               debug: bool | None = None, resources: bool = False) -> Trace:
    """Run `main` to its end on a new recording loop and return its trace.

    clock: "virtual" (timers fire at once, times are exact) or "real".
    speed: on the virtual clock, wait in real time too: 1.0 = real time, 2.0 = twice as fast.
    live: in a notebook, draw the chart while it runs (about 10 frames a second);
    on the virtual clock this paces the run at real time unless `speed` says otherwise.
    max_steps, max_time: on the virtual clock, stop a run that looks endless: after
    max_steps task steps, or past max_time virtual seconds once it has taken 10,000
    steps (a loop, not a few long sleeps). None: no such limit.
    debug: asyncio's debug mode, as ``asyncio.run(..., debug=True)``.
    resources: draw a lane for every Queue, Lock, Semaphore, Event or Condition a task
    waits on (``watch(obj, "name")`` adds one explicitly).
    If `main` raises, the exception propagates (the trace is in `last_trace()`);
    a deadlock ends the run and is described in `trace.deadlock`; an interrupt
    cancels the tasks, as ``asyncio.run`` does on Ctrl-C, and propagates.
    """
    check_coroutine(main, "run_traced")
    if live and clock == "virtual" and speed is None:
        speed = 1.0
    error: BaseException | None = None
    result = None
    interrupted = None
    leftovers: list[int] = []
    view = None
    # The stop button works from here on (also while a live view is set up): no window
    # in which the kernel's own handler would take the interrupt and wait for the run.
    with _interruptible():
        loop = TracingLoop(clock, speed, max_steps=max_steps, max_time=max_time)
        recorder = loop.recorder
        assert recorder is not None
        recorder.resources.discover = recorder.sampling = resources
        try:
            if debug is not None:
                loop.set_debug(debug)
            view = _live_view(loop, main) if live else None
            with _own_loop(), explained_warnings():
                try:
                    result = loop.run_until_complete(loop.create_task(main))
                except KeyboardInterrupt as exc:
                    interrupted, error = recorder.clock_time(), exc
                except BaseException as exc:  # the learner's exception, or the loop stopped by us
                    if loop.deadlock is None and loop.runaway is None:
                        error = exc
                leftovers = _finish(loop)
        finally:
            loop.close()
    trace = build_trace(recorder, clock, str(loop.deadlock) if loop.deadlock else None,
                        runaway=str(loop.runaway) if loop.runaway else None,
                        interrupted=interrupted, stuck=loop.stuck, leftovers=leftovers)
    trace.result = result
    _last[:] = [trace]
    if view is not None:
        view.finish(trace)
    elif error is not None and current_shell() is not None:
        _display(trace)  # the chart up to the failure, before the traceback
    if not quiet:
        explain_ending(trace)
    if error is not None:
        hide_own_frames(error)
        if hasattr(error, "add_note") and not isinstance(error, KeyboardInterrupt):
            error.add_note("(helpers: the trace up to this error is in helpers.last_trace())")
        raise error
    return trace


@contextlib.contextmanager
def _own_loop() -> Iterator[None]:
    """Make no loop the running one for the traced run, then put the caller's back.

    On Python 3.14+ the current task is kept per thread, not per loop: the
    caller's task (the notebook cell's) must leave for the run and come back after.
    """
    outer = events._get_running_loop()
    swap = getattr(asyncio.tasks, "_swap_current_task", None) if sys.version_info >= (3, 14) else None
    outer_task = swap(outer, None) if swap is not None and outer is not None else None
    events._set_running_loop(None)
    try:
        yield
    finally:
        events._set_running_loop(outer)
        if outer_task is not None:
            swap(outer, outer_task)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C, or a kernel's stop button, raises KeyboardInterrupt inside the run at once.

    A kernel turns SIGINT into a callback on its own loop, which cannot run
    while the cell waits for the traced run: for the run, SIGINT does what it
    does in a plain script.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _display(trace: Trace) -> None:
    try:
        from IPython.display import display
        display(trace)
    except Exception:  # drawing must never hide the learner's own error
        pass


async def trace(main: Coroutine[Any, Any, Any], *, clock: str = "virtual",
                speed: float | None = None, live: bool = False,
                max_steps: int | None = MAX_STEPS, max_time: float | None = MAX_TIME,
                debug: bool | None = None, resources: bool = False) -> Trace:
    """``await trace(main())`` in a notebook cell: run and record `main`, return the trace.

    The cell waits while `main` runs on its own loop; the kernel's loop is left
    alone. Shown as the last line of a cell, the trace draws its Gantt chart.
    ``live=True`` draws the chart while it runs instead (keep the trace in a
    variable then: ``t = await trace(main(), live=True)``). The other options
    are `run_traced`'s.
    """
    check_coroutine(main, "trace")
    return run_traced(main, clock=clock, speed=speed, live=live, max_steps=max_steps,
                      max_time=max_time, debug=debug, resources=resources)


def _live_view(loop: TracingLoop, main: Any) -> Any:
    """A LiveChart wired to the loop's frame hook, or None outside a notebook."""
    if current_shell() is None:
        return None
    from .draw.live import LiveChart
    from .record.recorder import coroutine_name

    view = LiveChart(loop.recorder, "virtual" if loop.virtual else "real", coroutine_name(main),
                     loop_lane=not loop.virtual, now=loop.shown_time)
    loop.on_frame = view.frame
    return view


def _finish(loop: TracingLoop) -> list[int]:
    """What asyncio.run does after the main coroutine: cancel leftovers, shut down.

    The run's ending (deadlock, runaway) is kept; the clean-up gets limits of
    its own, so a task that refuses to be cancelled cannot hang it.
    """
    deadlock, runaway = loop.deadlock, loop.runaway
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    rec = loop.recorder
    leftovers = [tid for tid in (rec.task_id(t) for t in pending) if tid is not None] if rec else []
    if rec is not None:   # what these cancellations wake, the run's end woke (not the program)
        rec.cause = END_OF_RUN_CAUSE
    try:
        for task in pending:
            try:
                task.cancel()
            except RecursionError:  # tasks awaiting each other in a cycle: cancel() recurses round it
                pass
    finally:
        if rec is not None:
            rec.cause = None
    cleanup = [asyncio.gather(*pending, return_exceptions=True)] if pending else []
    cleanup += [loop.shutdown_asyncgens, loop.shutdown_default_executor]
    try:
        for awaitable in cleanup:
            if callable(awaitable):
                # The loop's own housekeeping is not the learner's: not recorded, except the
                # closing of async generators left open, whose `finally` blocks are the program's
                # (each closed in a task of its own, named like the run's other tasks).
                if not (awaitable == loop.shutdown_asyncgens and loop._asyncgens):
                    loop.recorder = None
                awaitable = awaitable()
            loop.deadlock = loop.runaway = None
            loop._stopping = False  # nest_asyncio2's run_until_complete does not reset it after stop()
            if loop.recorder is not None and loop.max_steps is not None:
                loop.max_steps = loop.recorder.steps + 10_000
            try:
                loop.run_until_complete(awaitable)
            except RuntimeError:
                if loop.deadlock is None and loop.runaway is None:  # stopped by us: a task refused to end
                    raise
    except KeyboardInterrupt:  # interrupted again while cleaning up: leave the rest
        pass
    finally:
        loop.deadlock, loop.runaway = deadlock, runaway
    return sorted(leftovers)
