"""What the recorder sees: every kind of wait, every way a task ends, on both clocks."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from helpers import run_traced


def waits(trace, name="Task-1"):
    return [s.waits_on for s in trace.task(name).steps]


async def worker(seconds, value=None):
    await asyncio.sleep(seconds)
    return value


def test_two_tasks_overlap_and_the_clock_says_exactly_three_seconds():
    seen = {}

    async def main():
        a = asyncio.create_task(worker(2, "a"))
        b = asyncio.create_task(worker(3, "b"))
        seen["results"] = (await a, await b)
        seen["now"] = asyncio.get_running_loop().time()

    began = time.perf_counter()
    trace = run_traced(main())
    assert time.perf_counter() - began < 1.0          # virtual: no real waiting
    assert seen == {"results": ("a", "b"), "now": 3.0}
    assert trace.duration == 3.0
    assert [t.name for t in trace.tasks] == ["Task-1", "Task-2", "Task-3"]
    assert [t.coroutine for t in trace.tasks] == ["main", "worker", "worker"]
    assert [t.finished for t in trace.tasks] == [3.0, 2.0, 3.0]
    assert [t.outcome for t in trace.tasks] == ["result"] * 3
    assert trace.task("Task-2").detail == "'a'"
    assert trace.task("Task-2").created_by == "Task-1"
    assert waits(trace, "Task-2") == ["sleep(2)", ""]
    assert waits(trace) == ["Task-2", "Task-3", ""]


def test_each_kind_of_wait_is_named_in_a_learners_words():
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)
        fut = loop.create_future()
        loop.call_later(1, fut.set_result, None)
        await fut
        queue: asyncio.Queue = asyncio.Queue()
        loop.call_later(1, queue.put_nowait, 1)
        await queue.get()
        lock = asyncio.Lock()
        await lock.acquire()
        loop.call_later(1, lock.release)
        await asyncio.gather(lock.acquire())
        event = asyncio.Event()
        loop.call_later(1, event.set)
        await event.wait()
        await asyncio.to_thread(time.sleep, 0.01)
        await asyncio.sleep(0.5)

    trace = run_traced(main())
    assert waits(trace) == ["yield to loop", "Future pending", "Queue.get", "gather(Task-2)",
                            "Event.wait", "thread job: sleep()", "sleep(0.5)", ""]
    assert waits(trace, "Task-2") == ["Lock.acquire", ""]


def test_awaiting_a_coroutine_without_a_task_shows_the_chain_innermost_last():
    async def inner():
        await asyncio.sleep(1)

    async def middle():
        await inner()

    async def main():
        await middle()

    trace = run_traced(main())
    assert len(trace.tasks) == 1
    first = trace.tasks[0].steps[0]
    assert first.coroutines == ("main", "middle", "inner")
    assert first.waits_on == "sleep(1)"


def test_a_queued_task_is_ready_not_running_until_the_loop_steps_it():
    async def main():
        asyncio.create_task(worker(0))
        time.sleep(0.05)          # hold the loop: the new task is ready but cannot run
        await asyncio.sleep(0)

    trace = run_traced(main(), clock="real", quiet=True)
    child = trace.task("Task-2").steps[0]
    assert child.start - child.ready >= 0.04
    kinds = [(e.task, e.kind) for e in trace.events]
    assert kinds.index((1, "ready")) < kinds.index((0, "waits")) < kinds.index((1, "runs"))


def test_wake_up_links_go_from_the_step_that_resolved_to_the_waiter():
    async def setter(fut):
        await asyncio.sleep(3)
        fut.set_result(42)

    async def main():
        fut = asyncio.get_running_loop().create_future()
        asyncio.create_task(setter(fut))
        return await fut

    trace = run_traced(main())
    assert trace.result == 42
    [link] = trace.links
    assert (link.waker, link.woken, link.time) == (1, 0, 3.0)
    assert trace.task("Task-1").steps[1].woken_by == "Task-2"
    assert trace.task("Task-2").steps[1].woken_by == "timer"


def test_a_finishing_task_wakes_whoever_awaits_it():
    async def main():
        await asyncio.create_task(worker(1))

    trace = run_traced(main())
    assert trace.task("Task-1").steps[1].woken_by == "Task-2"
    assert [(l.waker, l.woken) for l in trace.links] == [(1, 0)]


def test_gather_wait_wait_for_timeout_and_taskgroup():
    async def main():
        await asyncio.gather(worker(1), worker(2))
        done, pending = await asyncio.wait([asyncio.create_task(worker(1))])
        assert len(done) == 1 and not pending
        assert await asyncio.wait_for(worker(1, "w"), timeout=5) == "w"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(worker(10), timeout=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):
                await asyncio.sleep(10)
        async with asyncio.TaskGroup() as group:
            group.create_task(worker(1))
            group.create_task(worker(2))

    trace = run_traced(main())
    assert trace.duration == 2 + 1 + 1 + 1 + 1 + 2
    labels = waits(trace)
    assert labels[0] == "gather(Task-2, Task-3)"
    assert labels[1] == "asyncio.wait"
    assert labels[2].startswith("wait_for")
    assert "TaskGroup" in labels
    outcomes = [t.outcome for t in trace.tasks]
    if sys.version_info >= (3, 12):   # wait_for awaits the coroutine in the caller's own task
        assert len(trace.tasks) == 6 and "cancelled" not in outcomes
    else:                             # 3.11 wraps it in a task, cancelled when it times out
        assert len(trace.tasks) == 8 and outcomes.count("cancelled") == 1


def test_cancelled_before_and_after_the_first_step():
    async def main():
        early = asyncio.create_task(worker(1))
        early.cancel()                     # never stepped: its first step is the cancellation
        late = asyncio.create_task(worker(5))
        await asyncio.sleep(1)
        late.cancel()
        await asyncio.gather(early, late, return_exceptions=True)

    trace = run_traced(main())
    early, late = trace.task("Task-2"), trace.task("Task-3")
    assert early.outcome == late.outcome == "cancelled"
    assert len(early.steps) == 1 and early.finished == 0.0
    assert len(late.steps) == 2 and late.finished == 1.0


def test_exceptions_are_recorded_with_type_and_message():
    async def fails():
        await asyncio.sleep(1)
        raise ValueError("boom")

    async def main():
        results = await asyncio.gather(fails(), return_exceptions=True)
        return repr(results[0])

    trace = run_traced(main())
    assert trace.task("Task-2").outcome == "exception"
    assert trace.task("Task-2").detail == "ValueError: boom"
    assert trace.task("Task-2").finished == 1.0


def test_thread_jobs_take_real_time_even_on_the_virtual_clock():
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.2), timeout=1)
        await loop.run_in_executor(None, time.sleep, 0.05)

    trace = run_traced(main())                        # must not time out
    assert 0.2 <= trace.duration < 0.9
    assert trace.task("Task-1").outcome == "result"
    assert "thread job: sleep()" in waits(trace) or "thread job: sleep()" in waits(trace, "Task-2")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks arrived in Python 3.12")
def test_eager_tasks_run_their_first_step_at_creation():
    async def quick():
        return "done at once"

    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        quick_task = asyncio.create_task(quick())
        assert quick_task.done()                     # finished inside create_task
        slow = asyncio.create_task(worker(1, "slow"))
        assert not slow.done()
        return await quick_task, await slow

    trace = run_traced(main())
    assert trace.result == ("done at once", "slow")
    assert trace.task("Task-2").outcome == "result" and trace.task("Task-2").finished == 0.0
    assert waits(trace, "Task-3") == ["sleep(1)", ""]


def test_the_programs_own_view_is_unchanged():
    seen = {}

    def factory(loop, coro, **kwargs):
        if coro.__name__ == "worker":    # not the loop's own shutdown tasks
            seen["factory calls"] = seen.get("factory calls", 0) + 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main():
        loop = asyncio.get_running_loop()
        seen["factory before"] = loop.get_task_factory()
        coro = worker(1)
        task = asyncio.create_task(coro)
        seen["same coro"] = task.get_coro() is coro
        await task
        loop.set_task_factory(factory)
        seen["factory after"] = loop.get_task_factory()
        await asyncio.create_task(worker(1))

    trace = run_traced(main())
    assert seen == {"factory before": None, "same coro": True, "factory after": factory,
                    "factory calls": 1}
    assert len(trace.tasks) == 3 and trace.task("Task-3").outcome == "result"


def test_nothing_stays_patched_after_a_run_that_raises():
    outer_run = asyncio.run

    async def main():
        await asyncio.sleep(1)
        raise KeyError("oops")

    with pytest.raises(KeyError) as caught:
        run_traced(main())
    assert "last_trace" in "".join(getattr(caught.value, "__notes__", []))
    from helpers import last_trace
    assert last_trace().task("Task-1").outcome == "exception"
    assert asyncio.run is outer_run
    assert asyncio.events._get_running_loop() is None


def test_real_clock_records_a_blocking_step_as_a_stall(capsys):
    async def main():
        time.sleep(1.0)            # the classic mistake: blocks the whole loop
        await asyncio.sleep(0.05)
        time.sleep(0.3)            # drawn as a stall, but too short for words (a busy machine does that)

    trace = run_traced(main(), clock="real")
    first, second = trace.stalls
    assert first.real_duration >= 1.0 and second.real_duration >= 0.3
    step = trace.tasks[0].steps[0]
    assert step.end - step.start >= 1.0           # the real clock shows the stall on the chart
    out = capsys.readouterr().out
    assert "held the loop for 1.0 s" in out and out.count("held the loop") == 1


def test_virtual_clock_warns_that_it_does_not_see_a_blocking_step(capsys):
    async def main():
        time.sleep(1.0)

    trace = run_traced(main())
    assert trace.duration == 0.0 and len(trace.stalls) == 1
    assert "clock='real'" in capsys.readouterr().out


def test_speed_paces_the_virtual_timeline_in_real_time():
    began = time.perf_counter()
    trace = run_traced(worker(1), speed=5.0)
    assert time.perf_counter() - began >= 0.18
    assert trace.duration == 1.0


def test_step_times_in_real_time_are_recorded_too():
    async def main():
        time.sleep(0.02)
        await asyncio.sleep(1)

    trace = run_traced(main())
    first = trace.tasks[0].steps[0]
    assert first.real_duration >= 0.02 and first.end == first.start == 0.0
