"""Trace code written the tutorial's way: ``asyncio.run(main())`` inside a `tracing` block.

Inside the block ``asyncio.run`` and ``asyncio.Runner`` run their coroutine with
`run_traced`, taking the arguments and raising the errors of this Python's
own; the command line (``python -m helpers trace``) runs a whole script so.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
from asyncio import events
from typing import Any, Callable, Coroutine, Iterator

from .model import Trace
from .record.loop import TracingLoop
from .run import last_trace, run_traced


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
