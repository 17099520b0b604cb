"""Plain words for a learner's mistakes: right advice, said once."""

from __future__ import annotations

import asyncio
import types

from IPython.core.formatters import PlainTextFormatter

from helpers import run_traced, trace, watch
from helpers.notebook import _describe_coroutine


def shown(value) -> str:
    formatter = PlainTextFormatter()
    formatter.for_type(types.CoroutineType, _describe_coroutine)
    return formatter(value)


def test_trace_without_await_suggests_awaiting_it_never_wrapping_it_again():
    async def main():
        await asyncio.sleep(1)

    inner = main()
    pending = trace(inner)
    try:
        text = shown(pending)
        assert "await trace(main())" in text
        assert "trace(trace" not in text
    finally:
        pending.close()
        inner.close()


def test_a_task_left_unfinished_when_main_ends_is_named_once(capsys):
    async def worker():
        await asyncio.sleep(5)

    async def main():
        asyncio.create_task(worker())
        asyncio.create_task(worker())
        await asyncio.sleep(1)

    result = run_traced(main())
    out = capsys.readouterr().out
    assert out.count("Note: Task-2 worker(), Task-3 worker() were still unfinished") == 1
    assert "asyncio.run() cancels every task left over" in out
    assert "await" not in out          # the fact, not the fix: exercises ask for the fix
    assert result.leftovers == [1, 2]


def test_a_run_with_nothing_left_over_says_nothing(capsys):
    async def main():
        await asyncio.create_task(asyncio.sleep(1))

    run_traced(main())
    assert capsys.readouterr().out == ""


def test_a_deadlock_report_suggests_what_resolves_each_wait_it_lists(capsys):
    async def full_queue():
        queue = asyncio.Queue(maxsize=1)
        await queue.put("one")
        await queue.put("two")                      # nobody will ever get()

    async def forgotten_task_done():
        queue = asyncio.Queue()
        await queue.put("job")
        await queue.get()
        await queue.join()                          # task_done() never called

    run_traced(full_queue())
    report = capsys.readouterr().out
    assert "waits on Queue.put" in report
    assert report.rstrip().endswith("wait on: get() from the Queue, or a timeout.")
    run_traced(forgotten_task_done())
    assert capsys.readouterr().out.rstrip().endswith(
        "wait on: task_done() for every item taken from the Queue, or a timeout.")


def test_a_deadlock_on_watched_locks_names_each_lock_and_who_holds_it(capsys):
    async def transfer(first, second):
        async with first:
            await asyncio.sleep(0.1)
            async with second:
                pass

    async def two_transfers():
        a, b = watch(asyncio.Lock(), "a"), watch(asyncio.Lock(), "b")
        await asyncio.gather(transfer(a, b), transfer(b, a))

    async def unwatched():
        a, b = asyncio.Lock(), asyncio.Lock()
        await asyncio.gather(transfer(a, b), transfer(b, a))

    run_traced(two_transfers())
    report = capsys.readouterr().out
    assert "Task-2 transfer() waits on Lock.acquire on b (held by Task-3)" in report
    assert "Task-3 transfer() waits on Lock.acquire on a (held by Task-2)" in report
    assert "release() of the Lock by the task that holds it" in report
    run_traced(unwatched())                          # no lanes: the recorder did not see who took them
    assert "Task-2 transfer() waits on Lock.acquire\n" in capsys.readouterr().out
