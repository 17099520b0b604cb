"""Tasks built with ``asyncio.Task(coro, loop=..., eager_start=True)`` (3.12+), as aiohttp builds its
server's request tasks: the constructor runs the first step, and no hook of the loop sees it begin.

The recorder finds such a task while that step runs (it makes a Future, a task, a callback) or
when it is first woken, records it from there, and says so (``unseen_start``, a ``?`` on the
chart). Plain asyncio and the traced run must still do the same things in the same order.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from helpers import run_traced

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="eager_start is new in Python 3.12")

CLOCKS = ["virtual", "real"]


def program():
    """(its log, main): two eager tasks, one found in its first step, one only when woken."""
    log = []

    async def sleeper():
        log.append("sleeper: starts")
        await asyncio.sleep(0.1)           # makes a Future: found here, in its first step
        log.append("sleeper: ends")
        return 1

    async def waiter(parcel):
        log.append("waiter: starts")
        value = await parcel                # a Future made elsewhere: nothing the loop sees
        log.append(f"waiter: got {value}")
        return value

    async def main():
        loop = asyncio.get_running_loop()
        parcel = loop.create_future()
        first = asyncio.Task(sleeper(), loop=loop, eager_start=True)
        second = asyncio.Task(waiter(parcel), loop=loop, eager_start=True)
        log.append("main: both built")
        await asyncio.sleep(0.2)
        parcel.set_result("x")
        return await first, await second

    return log, main


def by_coroutine(trace, name):
    (task,) = [t for t in trace.tasks if t.coroutine == name]
    return task


@pytest.mark.parametrize("clock", CLOCKS)
def test_the_same_run_as_untraced(clock):
    plain_log, main = program()
    plain = asyncio.run(main())
    log, main = program()
    trace = run_traced(main(), clock=clock, quiet=True)
    assert trace.result == plain == (1, "x")
    assert log == plain_log == ["sleeper: starts", "waiter: starts", "main: both built",
                                "sleeper: ends", "waiter: got x"]


def test_found_in_its_first_step():
    _, main = program()
    trace = run_traced(main(), quiet=True)
    sleeper = by_coroutine(trace, "sleeper")
    assert sleeper.unseen_start and sleeper.created == 0.0 and sleeper.created_by is None
    assert sleeper.name == "Task-2"    # numbered in the run, as create_task's tasks are
    assert [(s.start, s.end, s.woken_by, s.waits_on) for s in sleeper.steps] == [
        (0.0, 0.0, "an eager start", "sleep(0.1)"), (0.1, 0.1, "timer", "")]
    assert (sleeper.outcome, sleeper.finished) == ("result", 0.1)
    assert not trace.task("Task-1").unseen_start


def test_found_only_when_woken():
    _, main = program()
    trace = run_traced(main(), quiet=True)
    waiter = by_coroutine(trace, "waiter")
    # Seen first at 0.2 s, when main's set_result woke it: its lane begins there, and its number
    # is the next of the run's (a default name is renumbered, as create_task's tasks are)
    assert waiter.unseen_start and waiter.created == 0.2 and waiter.name == "Task-3"
    assert [(s.start, s.woken_by) for s in waiter.steps] == [(0.2, "Task-1")]
    assert [(link.waker, link.woken) for link in trace.links if link.woken == waiter.id] == [(0, waiter.id)]


def test_ended_in_its_first_step():
    async def quick():
        done = asyncio.get_running_loop().create_future()   # found here
        done.set_result("at once")
        return await done                                  # already done: no suspension

    async def main():
        task = asyncio.Task(quick(), loop=asyncio.get_running_loop(), eager_start=True)
        assert task.done()
        await asyncio.sleep(0.1)
        return task.result()

    trace = run_traced(main(), quiet=True)
    assert trace.result == "at once"
    quick_task = by_coroutine(trace, "quick")
    assert (quick_task.outcome, quick_task.detail, quick_task.finished) == ("result", "'at once'", 0.0)
    assert [s.woken_by for s in quick_task.steps] == ["an eager start"]


def test_freed_before_its_first_step_could_be_read():
    async def quick():
        done = asyncio.get_running_loop().create_future()   # found here
        done.set_result("at once")
        return await done

    async def main():
        asyncio.Task(quick(), loop=asyncio.get_running_loop(), eager_start=True)   # ended, and freed
        await asyncio.sleep(0.1)

    trace = run_traced(main(), quiet=True)
    (lost,) = [t for t in trace.tasks if t.coroutine == "quick"]
    # How it ended is not known: no step, no outcome, and no claim that it was destroyed pending
    assert (lost.unseen_start, lost.steps, lost.outcome, lost.destroyed) == (True, [], None, None)
    assert "?" in [text.get_text() for text in trace.chart().figure.axes[0].texts]
    assert trace.to_json()["tasks"][1]["unseen_start"] is True


def test_the_chart_and_the_json_say_so():
    _, main = program()
    trace = run_traced(main(), quiet=True)
    figure = trace.chart().figure
    ax = figure.axes[0]
    assert sum(text.get_text() == "?" for text in ax.texts) == 2
    assert "started unseen\n(eager_start=True)" in [t.get_text() for t in ax.get_legend().get_texts()]
    tasks = trace.to_json()["tasks"]
    assert [t["unseen_start"] for t in tasks] == [False, True, True]


def test_aiohttp_server_tasks_are_on_the_chart():
    """aiohttp 3.14 builds each request's handler task with eager_start=True on 3.12 and 3.13
    (with create_task from 3.14): either way, each request has its lane."""
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    async def page(request):
        await asyncio.sleep(0.1)
        return web.Response(text="hi")

    async def main():
        app = web.Application()
        app.router.add_get("/", page)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            async with aiohttp.ClientSession() as session:
                async def one():
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        return await response.text()
                return await asyncio.gather(*(one() for _ in range(3)))
        finally:
            await runner.cleanup()

    trace = run_traced(main(), quiet=True)
    assert trace.result == ["hi"] * 3
    handlers = [t for t in trace.tasks if t.coroutine == "RequestHandler._handle_request"]
    assert len(handlers) == 3
    for handler in handlers:
        assert handler.outcome == "result"
        first = "an eager start" if handler.unseen_start else "created by"
        assert [(s.woken_by.split(" Task-")[0], s.waits_on) for s in handler.steps] == [
            (first, "sleep(0.1)"), ("timer", "")]


def test_a_task_that_ended_in_its_eager_start_can_be_renamed():
    """It has let go of its coroutine: the recorder must not ask for it (3.12.1's get_coro() crashes)."""
    async def quick():
        return 1

    async def main():
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        task = asyncio.create_task(quick())
        assert task.done()
        task.set_name("renamed")
        return task.get_name(), task.result()

    assert asyncio.run(main()) == ("renamed", 1)
    trace = run_traced(main(), quiet=True)
    assert trace.result == ("renamed", 1)
    assert [(t.name, t.outcome) for t in trace.tasks] == [("Task-1", "result"), ("renamed", "result")]
