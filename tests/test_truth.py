"""A traced program does what it does untraced: names, lifetimes, outside work, endings.

Real threads, subprocesses, loopback sockets and signals; no mocks. Where a test
compares, it runs the same program under plain ``asyncio.run`` and traced.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import pytest

from helpers import run_traced

CLOCKS = ["virtual", "real"]


def waits(trace, name):
    return [s.waits_on for s in trace.task(name).steps]


def outcome_both_ways(make_main, clock):
    """(plain asyncio.run's result, the traced run's result) of the same program."""
    plain = asyncio.run(make_main())
    traced = run_traced(make_main(), clock=clock, quiet=True)
    return plain, traced


# --- names, labels, identity --------------------------------------------------

def test_a_task_is_shown_with_the_name_it_ends_up_with():
    async def main():
        a = asyncio.create_task(asyncio.sleep(1), name="given")
        b = asyncio.create_task(asyncio.sleep(1))
        b.set_name("renamed later")
        async with asyncio.TaskGroup() as tg:
            tg.create_task(asyncio.sleep(1), name="in a group")
        await asyncio.gather(a, b)

    trace = run_traced(main())
    assert [t.name for t in trace.tasks] == ["Task-1", "given", "renamed later", "in a group"]
    assert trace.to_json()["tasks"][1]["name"] == "given"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="3.13 passes only the keywords the caller gave")
def test_a_task_factory_with_the_documented_signature_keeps_working():
    made = []

    def factory(loop, coro, context=None):   # the documented (loop, coro, context=None)
        made.append(coro)
        return asyncio.Task(coro, loop=loop, context=context)

    async def main():
        asyncio.get_running_loop().set_task_factory(factory)
        return await asyncio.create_task(asyncio.sleep(1, "made"))

    trace = run_traced(main())
    assert trace.result == "made" and [c.__name__ for c in made][:1] == ["sleep"]


def test_async_with_says_what_it_waits_for():
    async def main():
        lock, sem, cond = asyncio.Lock(), asyncio.Semaphore(1), asyncio.Condition()

        async def holder():
            async with lock, sem:
                await asyncio.sleep(1)

        async def waiter():
            async with lock:
                pass
            async with sem:
                pass
            async with cond:
                await cond.wait()

        async def notifier():
            await asyncio.sleep(3)
            async with cond:
                cond.notify_all()

        await asyncio.gather(holder(), waiter(), notifier())

    trace = run_traced(main())
    assert waits(trace, "Task-3")[:2] == ["Lock.acquire", "Condition.wait"]


def test_an_executors_job_is_named_after_where_it_runs():
    async def main():
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=1) as processes:
            in_a_process = await loop.run_in_executor(processes, sum, range(1000))
        # (a job that takes a while: on 3.14 a job already done when the loop's thread chains its
        # future is resolved at once, and the task does not wait)
        in_a_thread = await loop.run_in_executor(None, time.sleep, 0.1)
        return in_a_process, in_a_thread

    trace = run_traced(main(), clock="real")
    assert trace.result == (499500, None)
    assert waits(trace, "Task-1")[:2] == ["process job: sum()", "thread job: sleep()"]


@pytest.mark.parametrize("clock", CLOCKS)
def test_a_wait_inside_an_asyncio_call_is_named_after_the_call(clock):
    """Queue.join, a stream's readline and wait_closed: not 'Future pending'."""
    async def main():
        queue = asyncio.Queue()
        await queue.put("job")

        async def worker():
            await queue.get()
            await asyncio.sleep(0.1)
            queue.task_done()

        async def handle(reader, writer):
            writer.write(await reader.readline())
            writer.close()
            await writer.wait_closed()

        job = asyncio.create_task(worker())
        await queue.join()
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            writer.write(b"hi\n")
            answer = await reader.readline()
            writer.close()
            await writer.wait_closed()
        await job
        return answer

    trace = run_traced(main(), clock=clock)
    assert trace.result == b"hi\n"
    said = waits(trace, "Task-1")
    assert said[0] == "Queue.join" and "StreamReader.readline" in said and "StreamWriter.wait_closed" in said
    assert "Future pending" not in said


def test_wrap_future_of_a_pool_job_is_a_thread_job_not_a_deadlock():
    async def main():
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return await asyncio.wrap_future(pool.submit(time.sleep, 0.3))

    for clock in CLOCKS:
        trace = run_traced(main(), clock=clock, quiet=True)
        assert trace.deadlock is None
        assert waits(trace, "Task-1")[0] == "thread job"


def test_a_timeout_says_what_it_guards():
    async def main():
        try:
            async with asyncio.timeout(0.5):
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out"

    trace = run_traced(main())
    assert trace.result == "timed out"
    assert waits(trace, "Task-1")[0] == "sleep(10), timeout 0.5 s"


# --- lifetimes ----------------------------------------------------------------

def test_the_recorder_keeps_no_task_or_future_alive():
    refs = []

    async def child():
        await asyncio.sleep(0)

    async def main():
        refs.clear()
        for _ in range(50):
            task = asyncio.create_task(child())
            refs.append(weakref.ref(task))
            refs.append(weakref.ref(task.get_coro()))
            await task
        del task
        gc.collect()
        return sum(ref() is not None for ref in refs)

    plain = asyncio.run(main())
    assert plain <= 2     # asyncio itself may still hold the last task for a moment
    trace = run_traced(main())
    assert trace.result == plain and len(trace.tasks) == 51


def test_a_dropped_task_is_collected_mid_run_as_untraced():
    """Fire and forget: nothing holds the task, so its error is reported when it is collected."""
    script = textwrap.dedent("""
        import asyncio, gc, sys

        async def boom():
            raise ValueError("lost")

        async def main():
            asyncio.create_task(boom())
            await asyncio.sleep(1)
            gc.collect()
            print("collected before the end", flush=True)
            await asyncio.sleep(1)

        if sys.argv[1] == "traced":
            from helpers import run_traced
            run_traced(main(), quiet=True)
        else:
            asyncio.run(main())
    """)
    runs = {mode: subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True,
                                 timeout=60) for mode in ("plain", "traced")}
    for out in runs.values():
        assert out.stdout == "collected before the end\n"
        assert "Task exception was never retrieved" in out.stderr
    assert "helpers" not in runs["traced"].stderr        # the learner's frames only
    assert runs["traced"].stderr.count("File ") == runs["plain"].stderr.count("File ")


def test_tasks_built_with_asyncio_Task_are_recorded():
    async def main():
        task = asyncio.Task(asyncio.sleep(1, "direct"))
        return await task

    trace = run_traced(main())
    assert trace.result == "direct"
    assert [t.name for t in trace.tasks] == ["Task-1", "Task-2"]
    assert waits(trace, "Task-2") == ["sleep(1)", ""] and trace.task("Task-2").outcome == "result"
    assert waits(trace, "Task-1")[0] == "Task-2"


# --- never crash where plain asyncio works -----------------------------------------

def test_odd_awaitables_and_callbacks_run_as_untraced():
    class Unhashable(asyncio.Future):
        __hash__ = None  # type: ignore[assignment]

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)

    def make_main():
        async def main():
            loop = asyncio.get_running_loop()
            g = agen()
            first = await asyncio.create_task(anext(g))   # not a coroutine object
            loop.call_soon([].append, 1)                  # a method of an unhashable object
            fut = Unhashable()
            loop.call_later(1, fut.set_result, "unhashable")
            left = agen()
            await anext(left)                             # left unfinished: closed at shutdown
            return first, await fut
        return main

    for clock in CLOCKS:
        plain, traced = outcome_both_ways(make_main(), clock)
        assert traced.result == plain == (1, "unhashable")


def test_debug_mode_source_tracebacks_end_where_they_end_untraced():
    async def main():
        task = asyncio.create_task(asyncio.sleep(0))
        await task
        return [(frame.filename, frame.name) for frame in task._source_traceback[-2:]]

    plain = asyncio.run(main(), debug=True)
    trace = run_traced(main(), debug=True)
    assert trace.result == plain and plain[0] == (__file__, "main")


def test_the_handles_a_program_gets_are_asyncios_own_in_every_way_it_can_see():
    # a callback queued by a task's step, a timer, one from a thread: the recorder notes their cause
    def handles():
        async def main():
            loop = asyncio.get_running_loop()
            got = []
            soon = loop.call_soon(got.append, "soon")
            later = loop.call_later(0.01, got.append, "later")
            never = loop.call_later(0.02, got.append, "never")
            box = []
            thread = threading.Thread(target=lambda: box.append(loop.call_soon_threadsafe(got.append, "thread")))
            thread.start()
            thread.join()
            never.cancel()
            await asyncio.sleep(0.05)
            seen = []
            for handle in (soon, later, never, box[0]):
                tb = handle._source_traceback
                seen.append((type(handle).__name__, isinstance(handle, asyncio.Handle),
                             isinstance(handle, asyncio.TimerHandle), handle.cancelled(),
                             repr(handle).split(" ")[0], tb and (tb[-1].name, len(tb))))
            return sorted(got), seen, later.when() > 0
        return main

    for debug in (False, True):
        plain = asyncio.run(handles()(), debug=debug)
        for clock in CLOCKS:
            assert run_traced(handles()(), clock=clock, debug=debug, quiet=True).result == plain


# --- the virtual clock and the outside world -------------------------------------

def test_a_thread_calling_back_is_waited_for_in_real_time():
    async def main():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()

        def work():
            time.sleep(0.3)
            loop.call_soon_threadsafe(fut.set_result, "from the thread")

        threading.Thread(target=work).start()
        try:
            return await asyncio.wait_for(fut, timeout=5)
        except TimeoutError:
            return "timed out"

    for clock in CLOCKS:
        began = time.monotonic()
        trace = run_traced(main(), clock=clock, quiet=True)
        assert trace.result == "from the thread" and trace.deadlock is None
        assert time.monotonic() - began >= 0.25
    assert trace.duration >= 0.25


def test_on_the_virtual_clock_real_time_stretches_are_recorded():
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(10)                     # a pure timer: jumps
        await loop.run_in_executor(None, time.sleep, 0.2)   # outside work: real time

    trace = run_traced(main())
    [(start, end)] = trace.real_time
    assert start == 10.0 and 0.15 < end - start < 1.0


def test_a_subprocess_is_waited_for_not_a_deadlock_nor_a_timeout():
    async def main():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.3); print('hi')",
            stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=5)
        return out.decode().strip(), await proc.wait()

    for clock in CLOCKS:
        trace = run_traced(main(), clock=clock, quiet=True)
        assert trace.deadlock is None and trace.result == ("hi", 0)


SLOW_SERVER = """
import socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.recv(100); time.sleep(0.3); conn.sendall(b"pong\\n"); conn.close()
"""


def test_a_reply_on_its_way_over_a_socket_arrives_before_a_timeout():
    for clock in CLOCKS:
        server = subprocess.Popen([sys.executable, "-c", SLOW_SERVER], stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline())

            async def main():
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"ping\n")
                await writer.drain()
                try:
                    return await asyncio.wait_for(reader.readline(), timeout=5)
                finally:
                    writer.close()
                    await writer.wait_closed()

            trace = run_traced(main(), clock=clock, quiet=True)
            assert trace.result == b"pong\n" and trace.deadlock is None
        finally:
            server.wait(timeout=10)


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
def test_a_signal_handler_the_program_waits_for_is_not_a_deadlock():
    async def main():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, fut.set_result, "signalled")
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGUSR1)).start()  # past the deadlock grace
        try:
            return await fut
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    for clock in CLOCKS:
        trace = run_traced(main(), clock=clock, quiet=True)
        assert trace.deadlock is None and trace.result == "signalled"


# --- deadlocks and runaway runs ----------------------------------------------------

def test_tasks_waiting_on_each_other_are_named_with_the_time_they_got_stuck(capsys):
    async def main():
        tasks = {}

        async def first():
            await asyncio.sleep(0)
            await tasks["b"]

        async def second():
            await asyncio.sleep(0)
            await tasks["a"]

        async def heartbeat():
            for _ in range(100):
                await asyncio.sleep(1)

        tasks["a"] = asyncio.create_task(first())
        tasks["b"] = asyncio.create_task(second())
        await asyncio.gather(tasks["a"], tasks["b"], heartbeat())

    trace = run_traced(main())
    assert trace.deadlock.startswith("Deadlock at 100.00 s")
    assert "Task-2 waits on Task-3, which waits on Task-2: they wait on each other, stuck since 0.00 s" \
        in trace.deadlock
    assert trace.stuck == [(0.0, (1, 2))]


def test_a_run_that_never_ends_stops_with_a_message_within_seconds(capsys):
    async def main():
        while True:
            await asyncio.sleep(1)

    began = time.monotonic()
    trace = run_traced(main(), max_steps=5_000)
    assert time.monotonic() - began < 10
    assert trace.runaway.startswith("Stopped at 4999.00 s of virtual time, after 5,000 steps")
    assert "max_steps" in capsys.readouterr().out
    assert trace.task("Task-1").outcome == "cancelled"
    trace = run_traced(main(), quiet=True)            # the default: an hour, once past 10,000 steps
    assert trace.runaway.startswith("Stopped at 9999.00 s of virtual time, after 10,000 steps")

    async def fast():
        while True:
            await asyncio.sleep(0.001)

    trace = run_traced(fast(), max_time=60, max_steps=None, quiet=True)
    assert "max_time" in trace.runaway and trace.duration == pytest.approx(60, abs=0.01)


def test_the_virtual_clock_keeps_working_at_any_size_of_time():
    async def main():
        await asyncio.sleep(1.7e7)
        await asyncio.sleep(1e9)
        for _ in range(5000):
            await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    began = time.monotonic()
    trace = run_traced(main())
    assert trace.result == 1.7e7 + 1e9 + 5000 * 3600
    assert time.monotonic() - began < 10


def test_after_nest_asyncio2_a_deadlock_is_still_reported_and_traced():
    script = textwrap.dedent("""
        import asyncio, nest_asyncio2
        from helpers import last_trace, run_traced
        nest_asyncio2.apply(asyncio.new_event_loop())

        async def main():
            await asyncio.sleep(1)
            await asyncio.get_running_loop().create_future()

        trace = run_traced(main(), quiet=True)
        print(trace.deadlock.splitlines()[0])
        print(last_trace() is trace, trace.duration)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "Deadlock at 1.00 s: every task is waiting and nothing is left that could wake one up"
        " (no timer, no thread job, no other task).", "True 1.0"]


def test_an_async_generator_left_open_is_closed_at_the_end_in_a_task_named_like_the_others(capsys):
    kept = []

    async def numbers():
        try:
            for n in range(10):
                yield n
                await asyncio.sleep(1)
        finally:
            print("closed in", asyncio.current_task().get_name())
            await asyncio.sleep(0.5)

    async def main():
        kept.append(numbers())                  # still referred to when main() returns
        async for n in kept[-1]:
            if n == 1:
                break

    names = []
    for _ in range(2):                          # asyncio's own counter would say Task-5, then Task-8
        trace = run_traced(main(), quiet=True)
        names.append(capsys.readouterr().out)
        assert [t.coroutine for t in trace.tasks][-1] == "async_generator_athrow"
        assert trace.duration == 1.5            # the generator's clean-up is part of the run, as in asyncio.run
        kept.clear()
    assert names == [f"closed in {trace.tasks[-1].name}\n"] * 2
