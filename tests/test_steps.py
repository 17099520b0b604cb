"""The loop's order of steps (`Step.seq`) and the view drawn on it (`helpers.draw.steps`).

The view's tests read the data the picture is drawn from (`StepView`): which task runs in each
column, where each ready interval starts and ends, which column each arrow leaves and reaches.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from helpers import run_traced


async def job(seconds, fail=False):
    await asyncio.sleep(seconds)
    if fail:
        raise ValueError(seconds)
    return f"value {seconds}"


def steps_in_order(trace):
    """(task name, step index) of every step, by seq."""
    rows = [(s.seq, t.name, i) for t in trace.tasks for i, s in enumerate(t.steps)]
    return [(name, i) for _, name, i in sorted(rows)]


# --- seq: the loop's order of steps -------------------------------------------------------------

def test_seq_numbers_every_step_once_in_the_order_the_loop_ran_them():
    async def main():
        first = asyncio.create_task(job(2))
        second = asyncio.create_task(job(3))
        await asyncio.sleep(5)
        return await first, await second

    trace = run_traced(main())
    seqs = sorted(s.seq for t in trace.tasks for s in t.steps)
    assert seqs == list(range(6))
    assert steps_in_order(trace) == [("Task-1", 0), ("Task-2", 0), ("Task-3", 0), ("Task-2", 1),
                                     ("Task-3", 1), ("Task-1", 1)]
    # one thread: each step begins after the one before it ended, and the table lists them so
    steps = sorted((s for t in trace.tasks for s in t.steps), key=lambda s: s.seq)
    assert all(a.real_start + a.real_duration <= b.real_start for a, b in zip(steps, steps[1:]))
    runs = [(trace.tasks[e.task].name, e.step) for e in trace.events if e.kind == "runs"]
    assert runs == steps_in_order(trace)


def test_seq_is_in_the_json_trace():
    async def main():
        await asyncio.gather(job(1), job(2))

    data = run_traced(main()).to_json()
    assert [[s["seq"] for s in t["steps"]] for t in data["tasks"]] == [[0, 5], [1, 3], [2, 4]]


def test_in_a_nested_run_a_step_that_holds_other_steps_comes_before_them():
    # nest_asyncio2 patches asyncio for the whole process: run it in a fresh one.
    script = textwrap.dedent("""
        import asyncio, nest_asyncio2
        from helpers import run_traced
        nest_asyncio2.apply(asyncio.new_event_loop())

        async def inner():
            await asyncio.sleep(1)

        async def main():
            side = asyncio.create_task(asyncio.sleep(2))
            asyncio.get_running_loop().run_until_complete(inner())   # steps inside this step
            await side

        trace = run_traced(main())
        rows = sorted((s.seq, t.name, i, s.start) for t in trace.tasks for i, s in enumerate(t.steps))
        print(rows)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = eval(out.stdout)
    assert [(seq, name, i) for seq, name, i, _ in rows] == [
        (0, "Task-1", 0),                   # main's first step: it runs the nested loop ...
        (1, "Task-2", 0), (2, "Task-3", 0), (3, "Task-3", 1),   # ... these inside it
        (4, "Task-2", 1), (5, "Task-1", 1)]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_an_eager_tasks_first_step_runs_inside_its_creators_step():
    async def child():
        await asyncio.sleep(1)

    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        await asyncio.create_task(child())

    trace = run_traced(main())
    assert steps_in_order(trace) == [("Task-1", 0), ("Task-2", 0), ("Task-2", 1), ("Task-1", 1)]


# --- gather: which child's end completed it ------------------------------------------------------

def links(trace):
    return [(trace.tasks[l.waker].name, l.waker_step, trace.tasks[l.woken].name, l.woken_step)
            for l in trace.links]


def test_gather_is_completed_by_its_last_child_or_its_first_failing_one():
    async def all_well():
        await asyncio.gather(job(2), job(1))

    trace = run_traced(all_well())
    assert links(trace) == [("Task-2", 1, "Task-1", 1)]

    async def one_fails():
        try:
            await asyncio.gather(job(1, fail=True), job(2))
        except ValueError:
            pass

    trace = run_traced(one_fails())
    assert trace.tasks[0].steps[1].woken_by == "Task-2"      # at 1 s: Task-3 ends only at 2 s
    assert links(trace) == [("Task-2", 1, "Task-1", 1)]


def test_gather_is_not_credited_to_a_child_when_the_log_cannot_tell():
    async def with_a_future():
        future = asyncio.get_running_loop().create_future()

        async def setter():
            await asyncio.sleep(3)
            future.set_result(1)

        asyncio.create_task(setter())
        await asyncio.gather(job(1), future)

    async def nested():
        await asyncio.gather(asyncio.gather(job(1), job(3)), job(2))

    async def fails_first_ends_last_is_other():
        # both end at 1 s, the failing one first: return_exceptions=True or not is not in the log
        await asyncio.gather(job(1, fail=True), job(1), return_exceptions=True)

    for program in (with_a_future, nested, fails_first_ends_last_is_other):
        trace = run_traced(program())
        assert trace.tasks[0].steps[1].woken_by == "the loop", program.__name__
        assert trace.links == [], program.__name__
