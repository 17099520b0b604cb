"""The loop's order of steps (`Step.seq`) and the view drawn on it (`helpers.draw.steps`).

The view's tests read the data the picture is drawn from (`StepView`): which task runs in each
column, where each ready interval starts and ends, which column each arrow leaves and reaches.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import threading

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


def test_gather_is_credited_to_the_step_that_completed_it_whatever_it_gathers():
    # gather's own callback completes it: the recorder knows which step queued that callback
    async def with_a_future():
        future = asyncio.get_running_loop().create_future()

        async def setter():
            await asyncio.sleep(3)
            future.set_result(1)          # its step 1: the last thing gather waited for
            await asyncio.sleep(1)

        asyncio.create_task(setter())
        await asyncio.gather(job(1), future)

    async def nested():
        await asyncio.gather(asyncio.gather(job(1), job(3)), job(2))

    async def fails_first_ends_last_is_other():
        # both end at 1 s, the failing one first: with return_exceptions the other one completes it
        await asyncio.gather(job(1, fail=True), job(1), return_exceptions=True)

    async def fails_first():
        try:
            await asyncio.gather(job(1, fail=True), job(1))
        except ValueError:
            pass

    expected = {with_a_future: ("Task-2", 1), nested: ("Task-3", 1),
                fails_first_ends_last_is_other: ("Task-3", 1), fails_first: ("Task-2", 1)}
    for program, (waker, step) in expected.items():
        trace = run_traced(program())
        assert links(trace)[:1] == [(waker, step, "Task-1", 1)], program.__name__
        assert trace.tasks[0].steps[1].woken_by == waker, program.__name__
        assert not trace.links[0].direct, program.__name__     # through gather's callback


# --- every wake-up, exactly: which step of which task woke which step of which ----------------

def exact_links(trace):
    return [(trace.tasks[l.waker].name, l.waker_step, trace.tasks[l.woken].name, l.woken_step, l.direct)
            for l in trace.links]


async def wake_by_wait():
    tasks = [asyncio.create_task(job(2)), asyncio.create_task(job(3))]
    await asyncio.wait(tasks)                                       # Task-3's end completes it
    tasks = [asyncio.create_task(job(1)), asyncio.create_task(job(2))]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)  # Task-4's end completes it
    await tasks[1]


async def wake_by_as_completed():
    tasks = [asyncio.create_task(job(2)), asyncio.create_task(job(1))]   # (it makes coroutines tasks in
    for next_one in asyncio.as_completed(tasks):                          # an order of its own)
        await next_one


async def wake_by_task_group():
    async with asyncio.TaskGroup() as group:
        group.create_task(job(2))
        group.create_task(job(1))


async def wake_by_event():
    event = asyncio.Event()

    async def waiter():
        await event.wait()

    async def setter():
        await asyncio.sleep(1)
        event.set()                     # its step 1 wakes both waiters ...
        await asyncio.sleep(1)          # ... and is not its last

    tasks = [asyncio.create_task(waiter()), asyncio.create_task(waiter()), asyncio.create_task(setter())]
    await asyncio.wait(tasks)


async def wake_by_queue():
    queue = asyncio.Queue()

    async def consumer():
        return await queue.get()

    task = asyncio.create_task(consumer())
    await asyncio.sleep(1)
    await queue.put("item")             # main's step 1 wakes the get
    await asyncio.sleep(1)              # (the consumer has ended when main awaits it)
    return await task


async def wake_by_lock():
    lock = asyncio.Lock()

    async def user(seconds):
        async with lock:
            await asyncio.sleep(seconds)
        await asyncio.sleep(seconds)    # the releasing step is not the user's last

    await asyncio.gather(asyncio.create_task(user(1)), asyncio.create_task(user(2)))


async def wake_by_set_result():
    future = asyncio.get_running_loop().create_future()

    async def setter():
        await asyncio.sleep(1)
        await asyncio.sleep(1)
        future.set_result("done")       # its step 2
        await asyncio.sleep(1)

    task = asyncio.create_task(setter())
    await future
    await task


async def wake_through_two_callbacks():
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    async def child():
        await asyncio.sleep(1)
        loop.call_soon(loop.call_soon, future.set_result, 1)   # step 1 queues a callback that queues one
        await asyncio.sleep(0)          # its step 2 runs before the future is set
        await asyncio.sleep(0)

    task = asyncio.create_task(child())
    await future
    assert task.done()


WAKE_UPS = {
    wake_by_wait: [("Task-3", 1, "Task-1", 1, False), ("Task-4", 1, "Task-1", 2, False),
                   ("Task-5", 1, "Task-1", 3, True)],
    wake_by_as_completed: [("Task-3", 1, "Task-1", 1, False), ("Task-2", 1, "Task-1", 2, False)],
    wake_by_task_group: [("Task-2", 1, "Task-1", 1, False)],
    wake_by_event: [("Task-4", 1, "Task-2", 1, True), ("Task-4", 1, "Task-3", 1, True),
                    ("Task-4", 2, "Task-1", 1, False)],
    wake_by_queue: [("Task-1", 1, "Task-2", 1, True)],
    wake_by_lock: [("Task-2", 1, "Task-3", 1, True), ("Task-3", 3, "Task-1", 1, False)],
    wake_by_set_result: [("Task-2", 2, "Task-1", 1, True), ("Task-2", 3, "Task-1", 2, True)],
    wake_through_two_callbacks: [("Task-2", 1, "Task-1", 1, False)],   # not step 2 or 3, logged by then
}


@pytest.mark.parametrize("program", list(WAKE_UPS), ids=lambda p: p.__name__)
def test_every_wake_up_is_linked_to_the_step_that_caused_it(program):
    trace = run_traced(program())
    assert exact_links(trace) == WAKE_UPS[program]
    for name, step, woken, woken_step, _ in WAKE_UPS[program]:
        assert trace.task(woken).steps[woken_step].woken_by == name
    # the JSON trace carries them, steps and all
    data = run_traced(program()).to_json()
    assert [(l["from"], l["from_step"], l["to"], l["to_step"], l["direct"]) for l in data["links"]] == \
        WAKE_UPS[program]
    # the step view draws each from the causing step's column to the woken step's, never two into one
    view = step_view(trace)
    drawn = [a for a in arrows(view, trace) if a[2] != "timer"]
    assert sorted(drawn) == sorted((column_of(trace, name, step), column_of(trace, woken, woken_step),
                                    name, woken) for name, step, woken, woken_step, _ in WAKE_UPS[program])
    targets = [a.target for a in view.arrows]
    assert len(set(targets)) == len(targets)


def test_a_timer_wakes_from_its_mark_and_what_a_timer_starts_is_the_timers():
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(1)                                  # a sleep's timer
        future = loop.create_future()
        loop.call_later(1, future.set_result, None)             # a call_later's
        await future
        future = loop.create_future()
        loop.call_later(1, loop.call_soon, future.set_result, None)   # ... through a callback it queued
        await future

    trace = run_traced(main())
    assert [(s.start, s.woken_by) for s in trace.tasks[0].steps] == [
        (0.0, "created"), (1.0, "timer"), (2.0, "timer"), (3.0, "timer")]
    assert trace.links == []
    view = step_view(trace)
    assert [(a.source, a.target, a.source_lane, a.cause) for a in view.arrows] == [
        (k - 1, k, None, "timer") for k in (1, 2, 3)]           # from the clock's mark before each step
    assert [j.after for j in view.jumps] == [0, 1, 2]


def test_a_callback_from_another_thread_wakes_as_a_thread_job():
    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        threading.Timer(0.05, loop.call_soon_threadsafe, (future.set_result, "from a thread")).start()
        return await future

    for clock in ("virtual", "real"):
        trace = run_traced(main(), clock=clock)
        assert trace.result == "from a thread"
        assert trace.tasks[0].steps[1].woken_by == "thread job" and trace.links == []


def test_what_the_runs_end_cancels_is_woken_by_the_runs_end_not_the_program():
    async def stuck():
        await asyncio.get_running_loop().create_future()      # a deadlock: cancelled by the helpers

    async def leaves_one_behind():
        asyncio.create_task(asyncio.sleep(5))                 # left over: cancelled as asyncio.run does
        await asyncio.sleep(0)

    assert [s.woken_by for s in run_traced(stuck(), quiet=True).tasks[0].steps] == ["created", "the run's end"]
    left = run_traced(leaves_one_behind(), quiet=True).tasks[1]
    assert [s.woken_by for s in left.steps] == ["created by Task-1", "the run's end"]


async def echo_once():
    """A loopback echo: the handler waits for a line, the client for its echo (0.1 s after connecting)."""
    async def handle(reader, writer):
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        await asyncio.sleep(0.1)
        writer.write(b"ping\n")
        answer = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return answer


@pytest.mark.parametrize("clock", ["virtual", "real"])
def test_data_arriving_on_a_socket_wakes_from_the_clocks_mark_as_socket_readable(clock):
    trace = run_traced(echo_once(), clock=clock)
    assert trace.result == b"PING\n"
    client = trace.tasks[0]
    handler = next(t for t in trace.tasks if t.coroutine == "handle")
    # the connection made (the socket writable), then the timer, then the echo read (readable)
    woken = [s.woken_by for s in client.steps]
    assert "socket writable" in woken and woken[-3:] == ["timer", "socket readable", "itself"]
    assert [s.woken_by for s in handler.steps] == ["created", "socket readable", "itself"]
    arrows = {(a.target_lane, a.cause) for a in step_view(trace).arrows if a.source_lane is None}
    lane = {t.id: n for n, t in enumerate(trace.tasks)}
    assert {(lane[handler.id], "socket readable"), (lane[client.id], "socket readable"),
            (lane[client.id], "socket writable")} <= arrows


def test_a_subprocess_writing_wakes_its_reader_as_pipe_readable():
    async def main():
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "print('hi')",
                                                    stdout=asyncio.subprocess.PIPE)
        line = await proc.stdout.readline()
        await proc.wait()
        return line

    trace = run_traced(main(), clock="real")
    assert trace.result == b"hi\n"
    assert "pipe readable" in [s.woken_by for s in trace.tasks[0].steps]


def test_a_reader_removed_before_its_turn_is_not_run():
    """asyncio skips a reader's callback whose file left the selector after the select (its handle
    cancelled); so must the handle the recorder queues in its place."""
    async def main():
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        calls = []
        try:
            for sock in (a, b):
                sock.setblocking(False)
                loop.add_reader(sock, lambda s=sock: (calls.append(s is a), loop.remove_reader(a),
                                                     loop.remove_reader(b)))
            a.send(b"x")
            b.send(b"x")                    # both readable in the same select
            await asyncio.sleep(0.1)
            return len(calls)
        finally:
            a.close()
            b.close()

    plain = asyncio.run(main())
    for clock in ("virtual", "real"):
        assert run_traced(main(), clock=clock).result == plain == 1


# --- timers: woken when one fell due ------------------------------------------------------------

def test_a_timer_wakes_a_task_only_at_its_due_time():
    async def timeouts():
        try:
            await asyncio.wait_for(job(5), timeout=1)     # wait_for's timeout fires at 1 s
        except TimeoutError:
            pass
        try:
            async with asyncio.timeout(1):                # asyncio.timeout's, at 2 s
                await asyncio.sleep(5)
        except TimeoutError:
            pass

    trace = run_traced(timeouts())
    main = trace.task("Task-1")
    assert [(s.start, s.woken_by) for s in main.steps][1] == (1.0, "timer")
    assert [(s.start, s.woken_by) for s in main.steps if s.start == 2.0] == [(2.0, "timer")]

    async def abort():
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(job(1, fail=True))
                group.create_task(job(5))                 # cancelled at 1 s by the group's callback
        except* ValueError:
            pass

    trace = run_traced(abort())
    # not its timer (that was due at 5 s): Task-2's failure, through the group's callback
    assert [(s.start, s.woken_by) for s in trace.task("Task-3").steps] == [
        (0.0, "created by Task-1"), (1.0, "Task-2")]
    assert ("Task-2", 1, "Task-3", 1) in links(trace)


# --- the step view: one column per step ----------------------------------------------------------

from matplotlib.collections import PolyCollection  # noqa: E402

from helpers.draw.steps import MAX_COLUMNS, step_view  # noqa: E402


async def notebook_05():
    """Notebook 05's first program."""
    first = asyncio.create_task(job(2))
    second = asyncio.create_task(job(3))
    await asyncio.sleep(5)
    return await first, await second


def ready_spans(view, trace):
    """(task, step, queued column, between, column that ran it)."""
    return [(trace.tasks[r.lane].name, r.step, r.queued, r.between, r.runs) for r in view.ready]


def arrows(view, trace):
    """(from column, to column, cause, woken task)."""
    return [(a.source, a.target, a.cause, trace.tasks[a.target_lane].name) for a in view.arrows]


def column_of(trace, name, step):
    return trace.task(name).steps[step].seq


def test_each_column_runs_one_task_in_the_loops_order():
    trace = run_traced(notebook_05())
    view = step_view(trace)
    names = [trace.tasks[lane].name for lane in view.columns]
    assert names == ["Task-1", "Task-2", "Task-3", "Task-2", "Task-3", "Task-1"]
    assert list(view.steps) == [0, 0, 0, 1, 1, 1]
    assert list(view.times) == [0.0, 0.0, 0.0, 2.0, 3.0, 5.0]
    assert [(name, i) for name, i in zip(names, view.steps)] == steps_in_order(trace)


def test_two_new_tasks_are_ready_from_mains_step_until_the_loop_runs_them():
    trace = run_traced(notebook_05())
    view = step_view(trace)
    assert ready_spans(view, trace) == [
        ("Task-1", 0, -1, True, 0),     # queued before the loop's first step
        ("Task-2", 0, 0, False, 1),     # created during main's step (column 0), runs next
        ("Task-3", 0, 0, False, 2),     # ... and waits one more column for its turn
        ("Task-2", 1, 2, True, 3),      # its timer fired after column 2, when the clock moved to 2 s
        ("Task-3", 1, 3, True, 4),
        ("Task-1", 1, 4, True, 5)]
    assert [(trace.tasks[w.lane].name, w.after, w.until, w.label) for w in view.waits] == [
        ("Task-1", 0, 4.5, "sleep(5)"), ("Task-2", 1, 2.5, "sleep(2)"), ("Task-3", 2, 3.5, "sleep(3)")]
    assert [(j.after, j.time) for j in view.jumps] == [(2, 2.0), (3, 3.0), (4, 5.0)]
    assert view.finished == [(0, 5, "result"), (1, 3, "result"), (2, 4, "result")]


def test_a_timer_wakes_from_the_clocks_mark():
    trace = run_traced(notebook_05())
    view = step_view(trace)
    assert arrows(view, trace) == [(2, 3, "timer", "Task-2"), (3, 4, "timer", "Task-3"),
                                   (4, 5, "timer", "Task-1")]
    assert [a.source for a in view.arrows] == [j.after for j in view.jumps]
    assert all(a.source_lane is None for a in view.arrows)


def test_gather_completing_wakes_from_the_step_of_the_child_that_ended_last():
    async def main():
        return await asyncio.gather(job(3), job(2))

    trace = run_traced(main())
    view = step_view(trace)
    last = column_of(trace, "Task-2", 1)          # job(3) ends last
    assert (last, column_of(trace, "Task-1", 1), "Task-2", "Task-1") in arrows(view, trace)


def test_asyncio_wait_wakes_from_the_step_that_completed_it_ready_from_where_its_callback_ran():
    async def main():
        tasks = [asyncio.create_task(job(2)), asyncio.create_task(job(3))]
        await asyncio.wait(tasks)

    trace = run_traced(main())
    view = step_view(trace)
    woken, last = column_of(trace, "Task-1", 1), column_of(trace, "Task-3", 1)
    assert [a for a in arrows(view, trace) if a[1] == woken] == [(last, woken, "Task-3", "Task-1")]
    # ready from between two columns: after the step of Task-3's end, when wait's callback ran
    [ready] = [r for r in view.ready if (r.lane, r.step) == (0, 1)]
    assert (ready.queued, ready.between, ready.runs) == (last, True, woken)


def test_set_result_wakes_each_waiter_in_a_column_of_its_own():
    # notebook 06: deliver() sets the Future at 3 s; alice and bob wake, then main
    async def deliver(future):
        await asyncio.sleep(3)
        future.set_result("a parcel")

    async def waiter(future):
        return await future

    async def main():
        future = asyncio.get_running_loop().create_future()
        alice = asyncio.create_task(waiter(future))
        bob = asyncio.create_task(waiter(future))
        asyncio.create_task(deliver(future))
        await alice
        await bob

    trace = run_traced(main())
    view = step_view(trace)
    setter = column_of(trace, "Task-4", 1)
    at_3s = [a for a in arrows(view, trace) if a[2] != "timer"]
    assert at_3s == [(setter, column_of(trace, "Task-2", 1), "Task-4", "Task-2"),
                     (setter, column_of(trace, "Task-3", 1), "Task-4", "Task-3"),
                     (column_of(trace, "Task-2", 1), column_of(trace, "Task-1", 1), "Task-2", "Task-1")]
    targets = [a[1] for a in at_3s]
    assert len(set(targets)) == len(targets)      # never two arrows into one column
    model = sorted((column_of(trace, trace.tasks[l.waker].name, l.waker_step),
                    column_of(trace, trace.tasks[l.woken].name, l.woken_step)) for l in trace.links)
    assert model == sorted((a[0], a[1]) for a in at_3s)   # the model's links, as columns


def test_event_set_wakes_every_waiter_from_the_setters_step():
    async def main():
        event = asyncio.Event()

        async def wait():
            await event.wait()

        waiting = [asyncio.create_task(wait()) for _ in range(3)]
        await asyncio.sleep(1)
        event.set()
        await asyncio.gather(*waiting)

    trace = run_traced(main())
    view = step_view(trace)
    setter = column_of(trace, "Task-1", 1)
    assert [a for a in arrows(view, trace) if a[0] == setter and a[2] == "Task-1"] == [
        (setter, column_of(trace, name, 1), "Task-1", name) for name in ("Task-2", "Task-3", "Task-4")]


def test_queue_put_wakes_the_get_and_a_lock_release_wakes_the_acquire():
    async def queue():
        q = asyncio.Queue()

        async def consumer():
            return await q.get()

        task = asyncio.create_task(consumer())
        await asyncio.sleep(1)
        q.put_nowait("item")
        await task

    trace = run_traced(queue())
    view = step_view(trace)
    put, get = column_of(trace, "Task-1", 1), column_of(trace, "Task-2", 1)
    assert (put, get, "Task-1", "Task-2") in arrows(view, trace)
    assert trace.task("Task-1").steps[0].waits_on == "sleep(1)"
    assert trace.task("Task-2").steps[0].waits_on == "Queue.get"

    async def lock():
        lk = asyncio.Lock()

        async def user(seconds):
            async with lk:
                await asyncio.sleep(seconds)

        await asyncio.gather(user(1), user(2))

    trace = run_traced(lock())
    view = step_view(trace)
    release = column_of(trace, "Task-2", 1)       # Task-2 leaves the lock at 1 s ...
    assert trace.task("Task-3").steps[0].waits_on == "Lock.acquire"
    assert (release, column_of(trace, "Task-3", 1), "Task-2", "Task-3") in arrows(view, trace)


def test_many_steps_draw_the_first_columns_with_a_note():
    async def worker():
        for _ in range(5):
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(*(worker() for _ in range(200)))

    trace = run_traced(main())
    chart = trace.steps_chart(group=False)      # a lane per task (past 60 tasks they are grouped)
    view = chart.view
    assert view.total == 1202 and len(view.columns) == MAX_COLUMNS and view.cut
    assert list(view.columns[:3]) == [0, 1, 2]
    ax = chart.figure.axes[0]
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    waiting, ready, running = polys                                 # one collection per kind
    assert len(running.get_paths()) == MAX_COLUMNS                  # one bar per column
    assert len(ready.get_paths()) == sum(1 for r in view.ready if r.runs is None or r.runs > r.x0 + 0.4)
    assert any(t.get_text() == "first 400 of 1,202 steps" for t in ax.texts)
    assert len(ax.texts) < 20
    # every worker is ready the whole time it is not running: 200 tasks queued by main at once
    assert sum(1 for r in view.ready if r.step == 0 and r.queued == 0) == 200


def test_the_shortcuts_draw_the_steps_alone_or_under_the_time_chart():
    trace = run_traced(notebook_05())
    chart = trace.steps_chart(title="steps")
    assert repr(chart) == "<loop steps chart: Trace: 3 tasks, 5.00 s on the virtual clock>"
    assert chart.png().startswith(b"\x89PNG")
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Task-1 notebook_05()", "Task-2 job()",
                                                            "Task-3 job()"]
    assert {t.get_text() for t in ax.texts} >= {"sleep(2)", "sleep(3)", "sleep(5)", "0.00 s",
                                                "→ 2.00 s", "→ 3.00 s", "→ 5.00 s"}
    both = trace.chart(steps=True)
    assert repr(both) == "<Gantt chart and loop steps: Trace: 3 tasks, 5.00 s on the virtual clock>"
    top, bottom = both.figure.axes[:2]
    assert top.get_xlabel().startswith("time (s)") and "steps" in bottom.get_xlabel()
    assert list(both.view.columns) == [0, 1, 2, 1, 2, 0]
    assert both.png().startswith(b"\x89PNG")
    assert repr(trace.chart()).startswith("<Gantt chart: ")     # the time chart alone, as before


def test_a_trace_without_steps_still_draws():
    from helpers.model import Trace

    empty = Trace("virtual", [], [], [], 0.0, 0.0)
    chart = empty.steps_chart()
    assert len(chart.view.columns) == 0 and chart.png().startswith(b"\x89PNG")


def test_a_task_that_yields_is_ready_from_its_own_step_and_the_real_clock_marks_idle_gaps():
    async def spin():
        for _ in range(2):
            await asyncio.sleep(0)

    async def main():
        task = asyncio.create_task(spin())
        await asyncio.sleep(0.05)
        await task

    trace = run_traced(main(), clock="real")
    view = step_view(trace)
    own = [(r.queued, r.between, r.runs) for r in view.ready if r.lane == 1 and r.step > 0]
    assert own == [(column_of(trace, "Task-2", k - 1), False, column_of(trace, "Task-2", k)) for k in (1, 2)]
    idle = [j for j in view.jumps if j.time >= 0.05]  # the loop sat idle until main's timer
    assert idle[0].after == column_of(trace, "Task-1", 1) - 1


def test_many_tasks_are_grouped_by_coroutine_in_the_step_view_too():
    async def nap():
        await asyncio.sleep(1)

    async def main():
        await asyncio.gather(*(nap() for _ in range(100)))

    trace = run_traced(main())
    chart = trace.steps_chart()
    view = chart.density                   # column 0: main; 1-100: each nap's first step; 101-200: its last
    assert [b.label for b in view.bands] == ["Task-1 main()", "nap() ×100"]
    # (running, ready, waiting) in a column: a nap created in column 0 counts from column 1 on
    assert view.at(0) == {"Task-1 main()": (1, 0, 0), "nap() ×100": (0, 0, 0)}
    assert view.at(1) == {"Task-1 main()": (0, 0, 1), "nap() ×100": (1, 99, 0)}
    assert view.at(50)["nap() ×100"] == (1, 50, 49)      # 49 asleep, 50 still queued for their first step
    assert view.at(100)["nap() ×100"] == (1, 0, 99)
    assert view.at(150)["nap() ×100"] == (1, 50, 0)      # woken together by their timers; 49 have ended
    assert view.at(201)["nap() ×100"] == (0, 0, 0)
    assert int(view.bands[1].ends["result"].sum()) == 100
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Task-1 main()", "nap() ×100"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["running", "ready", "waiting", "result", "all of a band's tasks", "the clock moves"]
    assert "wakes up" not in legend                      # no arrows between bands: none in the legend
    assert trace.steps_chart(group=False).density is None
    both = trace.chart(steps=True)
    assert both.density is not None and [len(ax.get_yticks()) for ax in both.figure.axes[:2]] == [2, 2]


def test_the_step_views_legend_lists_only_the_marks_drawn():
    trace = run_traced(notebook_05())
    legend = lambda chart: [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]  # noqa: E731
    assert "wakes up" in legend(trace.steps_chart())
    assert "wakes up" not in legend(trace.steps_chart(links=False))
