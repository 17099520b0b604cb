"""Run a learner's coroutine on a loop we control, and hand back its `Trace`.

A Jupyter kernel already runs an event loop, so ``asyncio.run`` refuses to
start a second one in a cell. `run_traced` does not touch the kernel's loop:
it sets a fresh `TracingLoop` as the running loop, runs the coroutine to the
end on it, and puts the kernel's loop back, so the cell simply waits. In a
notebook write ``await trace(main())``; in a script, ``run_traced(main())``.
``with tracing(): asyncio.run(main())`` traces code written the seed's way.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import sys
import threading
import warnings
from asyncio import events
from typing import Any, Callable, Coroutine, Iterator

from .model import Trace, build_trace
from .notebook import current_shell
from .record.frames import hide_own_frames
from .record.loop import MAX_STEPS, MAX_TIME, TracingLoop

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
            with _own_loop(), _explained_warnings():
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
        _explain(trace)
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
    from .model import coroutine_name

    view = LiveChart(loop.recorder, "virtual" if loop.virtual else "real", coroutine_name(main),
                     loop_lane=not loop.virtual, now=loop.shown_time)
    loop.on_frame = view.frame
    return view


class TracingRefused(RuntimeError):
    """The program asks for something only an untraced run has: an event loop of its own (uvloop, ...)."""


class RunStopped(BaseException):
    """Raised by ``asyncio.run`` under ``tracing(stop=True)`` when its run ended in a deadlock or a runaway.

    Untraced, the program would hang there: going on with None as the result
    would run code that never runs. A BaseException, like SystemExit, so that
    the program's own ``except Exception`` lets it pass.
    """

    def __init__(self, trace: Trace) -> None:
        super().__init__(trace.deadlock or trace.runaway)
        self.trace = trace


class Runs(list):  # type: ignore[type-arg]
    """What a `tracing` block yields: one `Trace` per run, and why the program was refused, if it was."""

    refused: str | None = None


# The loops asyncio itself makes: a loop_factory naming one of them still gets a recording loop.
_ASYNCIO_LOOPS = tuple(f for f in (asyncio.new_event_loop, asyncio.SelectorEventLoop,
                                   getattr(asyncio, "EventLoop", None)) if f is not None)


def _refuse(runs: Runs, message: str) -> None:
    runs.refused = message
    raise TracingRefused(message)


def _refuse_own_loop(runs: Runs, loop_factory: Any, where: str, main: Any = None) -> None:
    """A program that asks for a loop of its own is told it cannot be traced, never traced on another loop."""
    if loop_factory is None or loop_factory in _ASYNCIO_LOOPS:
        return
    if asyncio.iscoroutine(main):
        main.close()   # it will not run: no "never awaited" warning on top of the message
    name = (f"{getattr(loop_factory, '__module__', None) or '?'}."
            f"{getattr(loop_factory, '__qualname__', None) or repr(loop_factory)}")
    _refuse(runs, f"{where}(loop_factory={name}): this program asks for an event loop of its own,"
                  " and only asyncio's own loop can be recorded. To trace it, run it on asyncio's loop:"
                  " asyncio.run(main()) without loop_factory"
                  + (" (instead of uvloop.run(main()))." if "uvloop" in name else "."))


async def _wrap_awaitable(awaitable: Any) -> Any:   # what asyncio.run does with an awaitable on 3.14+
    return await awaitable


def _as_coroutine(main: Any) -> Coroutine[Any, Any, Any]:
    """What this Python's ``asyncio.run`` accepts, with its own error: a coroutine, or from 3.14 on any awaitable."""
    if asyncio.iscoroutine(main):
        return main
    if sys.version_info >= (3, 14) and inspect.isawaitable(main):
        return _wrap_awaitable(main)
    error: Exception = (TypeError("An asyncio.Future, a coroutine or an awaitable is required")
                        if sys.version_info >= (3, 14) else ValueError(f"a coroutine was expected, got {main!r}"))
    if inspect.iscoroutinefunction(main):
        error.add_note(f"{main.__qualname__} is a coroutine function: call it to get a coroutine,"
                       f" as in asyncio.run({main.__qualname__}()).")
    raise error


def _traced_runner(base: type, run_one: Callable[[Any, "bool | None"], Any], runs: Runs) -> type:
    """``asyncio.Runner`` inside a `tracing` block: each ``run()`` is a traced run on a loop of its own."""

    class Runner(base):  # type: ignore[misc, valid-type]
        def __init__(self, *, debug: bool | None = None, loop_factory: Any = None) -> None:
            _refuse_own_loop(runs, loop_factory, "asyncio.Runner")
            super().__init__(debug=debug)
            self._traced_closed = False

        def __enter__(self) -> Any:
            if self._traced_closed:
                raise RuntimeError("Runner is closed")
            return self      # no loop made here: each run() makes its recording loop

        def close(self) -> None:
            self._traced_closed = True
            super().close()

        def get_loop(self) -> Any:
            _refuse(runs, "asyncio.Runner.get_loop(): traced, each Runner.run() runs on a new recording loop,"
                          " so there is no loop to hand out before it. Inside a coroutine,"
                          " asyncio.get_running_loop() gives the loop it runs on.")

        def run(self, coro: Any, *, context: Any = None) -> Any:
            if self._traced_closed:
                raise RuntimeError("Runner is closed")
            if isinstance(events._get_running_loop(), TracingLoop):
                raise RuntimeError("Runner.run() cannot be called from a running event loop")
            if context is not None:
                return context.run(run_one, coro, self._debug)
            return run_one(coro, self._debug)

    Runner.__doc__ = base.__doc__
    return Runner


@contextlib.contextmanager
def tracing(clock: str = "virtual", speed: float | None = None, *, quiet: bool = False,
            stop: bool = False) -> Iterator[Runs]:
    """Trace every ``asyncio.run(...)`` and ``asyncio.Runner().run(...)`` inside the block, written as-is.

    Inside the block they run their coroutine with `run_traced` (also inside
    Jupyter, where the real ones refuse to run), taking the arguments and
    raising the errors of this Python's ``asyncio.run``. The list it yields
    receives one `Trace` per run. A program that wants a loop of its own
    (``loop_factory=``, uvloop) gets `TracingRefused`, not a silently different loop.
    quiet: no explanations on stdout (the command line prints them on stderr).
    stop: a deadlock or a runaway raises `RunStopped` from ``asyncio.run``
    instead of returning None: untraced, the program would hang there.
    Everything is put back on exit, also when the block raises.
    """
    runs = Runs()
    original_run, original_runner = asyncio.run, asyncio.Runner

    def run_one(main: Any, debug: bool | None) -> Any:
        coro = _as_coroutine(main)
        before = last_trace()
        try:
            t = run_traced(coro, clock=clock, speed=speed, quiet=quiet, debug=debug)
        except BaseException:
            if last_trace() is not before:   # the run began: its trace, up to the error
                runs.append(last_trace())
            raise
        runs.append(t)
        if stop and (t.deadlock or t.runaway):
            raise RunStopped(t)
        return t.result

    def run(main: Any, *, debug: bool | None = None, **options: Any) -> Any:
        loop_factory = options.pop("loop_factory", None) if sys.version_info >= (3, 12) else None
        if options:
            raise TypeError(f"run() got an unexpected keyword argument {next(iter(options))!r}")
        if isinstance(events._get_running_loop(), TracingLoop):   # nested in a traced run: as untraced
            raise RuntimeError("asyncio.run() cannot be called from a running event loop")
        _refuse_own_loop(runs, loop_factory, "asyncio.run", main)
        return run_one(main, debug)

    run.__doc__ = original_run.__doc__
    asyncio.run, asyncio.Runner = run, _traced_runner(original_runner, run_one, runs)
    try:
        yield runs
    finally:
        asyncio.run, asyncio.Runner = original_run, original_runner

def _finish(loop: TracingLoop) -> list[int]:
    """What asyncio.run does after the main coroutine: cancel leftovers, shut down.

    The run's ending (deadlock, runaway) is kept; the clean-up gets limits of
    its own, so a task that refuses to be cancelled cannot hang it.
    """
    deadlock, runaway = loop.deadlock, loop.runaway
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    rec = loop.recorder
    leftovers = [tid for tid in (rec.task_id(t) for t in pending) if tid is not None] if rec else []
    for task in pending:
        try:
            task.cancel()
        except RecursionError:  # tasks awaiting each other in a cycle: cancel() recurses round it
            pass
    cleanup = [asyncio.gather(*pending, return_exceptions=True)] if pending else []
    cleanup += [loop.shutdown_asyncgens, loop.shutdown_default_executor]
    try:
        for awaitable in cleanup:
            if callable(awaitable):  # the loop's own housekeeping: not the learner's tasks
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


def _explain(trace: Trace, file: Any = None) -> None:
    """Tell the learner, in words, how the run ended if not plainly, and what blocked the loop."""
    def say(text: str) -> None:
        print(text, file=file or sys.stdout)

    if trace.deadlock:
        say(trace.deadlock)
    elif trace.runaway:
        say(trace.runaway)
    if trace.interrupted is not None:
        say(f"Interrupted at {trace.interrupted:.2f} s: the run stopped there and its tasks were cancelled,"
            " as asyncio.run() does on Ctrl-C. The chart shows the run up to that moment.")
    ended_plainly = not (trace.deadlock or trace.runaway or trace.interrupted is not None)
    left = [trace.tasks[t] for t in trace.leftovers if t != 0]
    if ended_plainly and left:
        names = ", ".join(f"{t.name} {t.coroutine}()" for t in left[:5]) + (" ..." if len(left) > 5 else "")
        one = len(left) == 1
        say(f"Note: {names} {'was' if one else 'were'} still unfinished when the main coroutine ended,"
            f" so {'it was' if one else 'they were'} cancelled (the grey square{'' if one else 's'}):"
            " asyncio.run() cancels every task left over.")
    if not trace.deadlock:
        for since, cycle in trace.stuck:
            names = [trace.tasks[t].name for t in cycle] + [trace.tasks[cycle[0]].name]
            say(f"Stuck since {since:.2f} s: {names[0]} waits on " + ", which waits on ".join(names[1:])
                + ". Tasks waiting on each other never finish (unless something cancels them).")
    for stall in trace.stalls[:3]:
        task = trace.tasks[stall.task]
        where = " > ".join(task.steps[stall.step].coroutines) or task.coroutine
        text = (f"Note: {task.name} held the loop for {stall.real_duration:.1f} s of real time in one step"
                f" (in {where}), so no other task could run. A blocking call such as time.sleep()"
                " inside a coroutine does that; await asyncio.sleep() lets the loop go on.")
        if trace.clock == "virtual":
            text += (" The virtual clock does not count real time spent inside a step:"
                     " trace with clock='real' to see the stall on the chart.")
        say(text)


@contextlib.contextmanager
def _explained_warnings() -> Iterator[None]:
    """Add an explanation to "coroutine ... was never awaited" warnings."""
    shown = warnings.showwarning

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:
        text = str(message)
        if category is RuntimeWarning and "was never awaited" in text:
            name = text.split("'")[1].rsplit(".<locals>.", 1)[-1] if "'" in text else "a coroutine"
            print(f"Warning: coroutine {name}() was called but never awaited, so its body never ran. "
                  f"Calling a coroutine function only makes a coroutine object; write "
                  f"`await {name}(...)`, or wrap it in asyncio.create_task(...).",
                  file=sys.stderr)
            return
        shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", RuntimeWarning)
        warnings.showwarning = show
        yield
