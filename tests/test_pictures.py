"""What the charts draw, read from their data: the awaits inside a task, marks of how a run ended."""

from __future__ import annotations

import asyncio

from helpers import run_traced
from helpers.draw.gantt import await_spans


async def others():
    await asyncio.sleep(2)


async def deepest():
    await asyncio.sleep(0.25)


async def deeper():
    await deepest()


async def more():
    await deeper()
    await asyncio.sleep(1)


async def func():
    await asyncio.sleep(1)
    await others()
    await others()
    await more()


def test_a_lane_shows_each_awaited_coroutine_while_the_task_is_suspended_in_it():
    trace = run_traced(func())
    assert await_spans(trace) == [
        (0, 1, 1.0, 3.0, "others"),
        (0, 1, 3.0, 5.0, "others"),          # awaited twice in a row: two spans, not one
        (0, 1, 5.0, 5.25, "more"), (0, 2, 5.0, 5.25, "deeper > deepest"),
        (0, 1, 5.25, 6.25, "more"),
    ]
    assert await_spans(trace, upto=4.0) == [(0, 1, 1.0, 3.0, "others"), (0, 1, 3.0, 4.0, "others")]
    legend = [t.get_text() for t in trace.chart().figure.axes[0].get_legend().get_texts()]
    assert "suspended inside\nthis coroutine" in legend


def test_a_task_that_awaits_no_coroutine_has_no_await_rows():
    async def main():
        await asyncio.sleep(1)

    trace = run_traced(main())
    assert await_spans(trace) == []
    legend = [t.get_text() for t in trace.chart().figure.axes[0].get_legend().get_texts()]
    assert "suspended inside\nthis coroutine" not in legend


def legend_of(trace) -> list[str]:
    return [t.get_text() for t in trace.chart().figure.axes[0].get_legend().get_texts()]


def test_stretches_run_in_real_time_and_an_interrupt_are_marked_and_in_the_legend():
    import _thread
    import threading
    import time

    import pytest

    from helpers import last_trace

    async def outside():
        await asyncio.sleep(1)
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.2)

    trace = run_traced(outside())
    assert trace.real_time and trace.real_time[0][0] == 1.0
    assert "real time: outside\nwork in flight" in legend_of(trace)

    async def forever():
        while True:
            await asyncio.sleep(0.1)

    threading.Timer(0.5, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        run_traced(forever(), clock="real", quiet=True)
    trace = last_trace()
    assert trace.interrupted is not None and trace.interrupted >= 0.4
    assert "interrupted" in legend_of(trace)
    texts = [t.get_text() for t in trace.chart().figure.axes[0].texts]
    assert any(text.strip().startswith("interrupted at") for text in texts)


def test_shared_resources_get_lanes_with_their_state_over_time():
    from helpers import watch
    from helpers.draw.gantt import resource_steps

    async def main():
        jobs = asyncio.Queue(maxsize=2)     # found, and named, when a task first waits on it
        lock = watch(asyncio.Lock(), "lock")
        ready = watch(asyncio.Event(), "ready")

        async def producer():
            ready.set()
            for i in range(3):
                await jobs.put(i)       # the third put waits: the queue is full

        async def worker():
            await ready.wait()
            async with lock:
                await asyncio.sleep(1)
                return await jobs.get()

        return await asyncio.gather(producer(), worker(), worker())

    trace = run_traced(main(), resources=True)
    assert trace.result == [None, 0, 1]
    by_name = {r.name: r for r in trace.resources}
    assert {name: r.kind for name, r in by_name.items()} == {"lock": "Lock", "ready": "Event", "jobs": "Queue"}
    sizes = [level for _, _, level, _ in resource_steps(by_name["jobs"], None, trace.duration)]
    assert max(sizes) == 2 and sizes[-1] == 1
    assert [trace.tasks[owner].name for _, _, owner in by_name["lock"].held()] == ["Task-3", "Task-4"]
    waited = {t for change in by_name["lock"].changes for t in change[4]}
    assert waited == {3}                  # Task-4 waited for the lock while Task-3 held it
    assert [c[2] for c in by_name["ready"].changes] == [0, 1]
    labels = [t.get_text() for t in trace.chart().figure.axes[0].get_yticklabels()]
    assert labels[-3:] == ["lock (Lock)", "ready (Event)", "jobs (Queue, maxsize 2)"]


def test_watch_outside_a_traced_run_changes_nothing():
    from helpers import watch

    queue = asyncio.Queue()
    assert watch(queue, "q") is queue

    async def main():
        return watch(asyncio.Lock(), "plain").locked()

    assert asyncio.run(main()) is False
    trace = run_traced(asyncio.sleep(0))
    assert trace.resources == []
