"""Mistakes get a clear message, never a hang, and leave nothing patched behind."""

from __future__ import annotations

import _thread
import asyncio
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from helpers import run_traced, tracing


def assert_nothing_patched(original_run=asyncio.run):
    assert asyncio.run is original_run
    assert asyncio.events._get_running_loop() is None


async def forever():
    await asyncio.get_running_loop().create_future()


def test_a_coroutine_function_instead_of_a_coroutine_says_to_call_it():
    with pytest.raises(TypeError, match=r"Call it to get one: run_traced\(forever\(\)\)"):
        run_traced(forever)


def test_something_that_is_not_a_coroutine_says_what_it_got():
    with pytest.raises(TypeError, match="needs a coroutine object.*got int"):
        run_traced(42)


def test_a_coroutine_that_already_ran_says_to_make_a_fresh_one():
    async def once():
        return 1

    coro = once()
    run_traced(coro)
    with pytest.raises(RuntimeError, match="already run to its end.*awaited only once"):
        run_traced(coro)


@pytest.mark.parametrize("clock", ["virtual", "real"])
def test_a_future_nobody_resolves_is_a_deadlock_reported_within_a_second(clock):
    async def main():
        asyncio.create_task(forever())
        queue: asyncio.Queue = asyncio.Queue()
        await queue.get()

    began = time.perf_counter()
    trace = run_traced(main(), clock=clock, quiet=True)
    assert time.perf_counter() - began < 1.0
    assert trace.deadlock.startswith("Deadlock at 0.00 s")
    assert "Task-1 main() waits on Queue.get" in trace.deadlock
    assert "Task-2 forever() waits on Future pending" in trace.deadlock
    assert [t.outcome for t in trace.tasks] == ["cancelled", "cancelled"]
    assert_nothing_patched()


def test_a_deadlock_after_time_has_passed_says_when():
    async def main():
        await asyncio.sleep(3)
        await forever()

    trace = run_traced(main(), quiet=True)
    assert trace.deadlock.startswith("Deadlock at 3.00 s")


def test_a_timer_far_away_is_not_a_deadlock():
    async def main():
        fut = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(fut, timeout=1000)
        except TimeoutError:
            return "timed out"

    trace = run_traced(main())
    assert trace.deadlock is None and trace.result == "timed out" and trace.duration == 1000


def test_an_interrupt_stops_the_run_and_puts_everything_back():
    async def main():
        while True:
            await asyncio.sleep(0.01)

    threading.Timer(0.3, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        run_traced(main(), clock="real", quiet=True)
    assert_nothing_patched()
    # and the next run works as usual
    assert run_traced(asyncio.sleep(1, "fine")).result == "fine"


def test_tracing_puts_asyncio_run_back_even_when_the_code_raises():
    original = asyncio.run

    async def main():
        raise ValueError("inside")

    with pytest.raises(ValueError), tracing() as traces:
        asyncio.run(main())
    assert asyncio.run is original
    assert traces[0].task("Task-1").detail == "ValueError: inside"


def test_never_awaited_coroutines_get_an_explanation(capsys):
    async def greet():
        print("hello")

    async def main():
        greet()                      # forgot await
        await asyncio.sleep(1)

    run_traced(main())
    err = capsys.readouterr().err
    assert "greet() was called but never awaited" in err and "await greet(...)" in err


def test_with_nest_asyncio2_applied_nested_runs_are_recorded():
    # nest_asyncio2 patches asyncio for the whole process: run it in a fresh one.
    script = textwrap.dedent("""
        import asyncio, nest_asyncio2
        from helpers import run_traced
        nest_asyncio2.apply(asyncio.new_event_loop())

        async def inner():
            await asyncio.sleep(1)
            return "inner"

        async def main():
            loop = asyncio.get_running_loop()
            t = asyncio.create_task(asyncio.sleep(2, "side"))
            nested = loop.run_until_complete(inner())     # re-entrant, thanks to the patch
            return nested, await t

        trace = run_traced(main())
        print(trace.result, trace.duration, [t.outcome for t in trace.tasks])
        print(asyncio.run(asyncio.sleep(0, "plain run still works")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["('inner', 'side') 2.0 ['result', 'result', 'result']",
                                       "plain run still works"]
