"""What the charts draw, read from their data: the awaits inside a task, marks of how a run ended."""

from __future__ import annotations

import asyncio
import gc
import time

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from helpers import run_traced, watch
from helpers.draw.gantt import RUNNING, WAITING, await_spans, collect_spans
from helpers.draw.late import LATE_SECONDS, late_timers


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


# --- every mark in the legend; many tasks grouped; names as text -------------------------------

def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def deadlocked_trace():
    from helpers import last_trace

    async def main():
        nobody_sets = asyncio.get_running_loop().create_future()

        async def waiter():
            await nobody_sets

        task = asyncio.create_task(waiter())
        await asyncio.sleep(1)
        await task

    try:
        run_traced(main(), quiet=True)
    except BaseException:
        pass
    trace = last_trace()
    assert trace.deadlock
    return trace


def test_a_deadlock_is_marked_apart_from_ready_and_in_the_legend():
    from matplotlib.colors import to_hex

    from helpers.draw.gantt import READY, STUCK

    trace = deadlocked_trace()
    ax = trace.chart().figure.axes[0]
    # only what this chart draws: no ready stretch on the virtual clock, no exception
    assert legend_texts(ax) == ["running", "waiting", "cancelled", "stuck forever\n(deadlock)", "wakes up"]
    handles = dict(zip(legend_texts(ax), ax.get_legend().legend_handles))
    stuck, ready = handles["stuck forever\n(deadlock)"], Patch(facecolor="none", edgecolor=READY, hatch="////")
    assert to_hex(stuck.get_facecolor()) == STUCK and not stuck.get_hatch() and ready.get_hatch()
    drawn = [p for p in ax.patches if to_hex(p.get_facecolor()) == STUCK]
    assert len(drawn) == 2 and not any(p.get_hatch() for p in drawn)      # both tasks, solid, not hatched
    assert {round(p.get_x(), 6) for p in drawn} == {trace.duration}       # from the run's end on


def test_the_legend_lists_only_the_marks_drawn():
    async def main():
        await asyncio.sleep(1)

    trace = run_traced(main())
    assert legend_of(trace) == ["running", "waiting", "result"]      # no ready stretch, no wake-up arrow

    async def ready_on_the_real_clock():
        async def spin():
            for _ in range(3):
                await asyncio.sleep(0)

        await asyncio.gather(spin(), spin())

    trace = run_traced(ready_on_the_real_clock(), clock="real")
    assert "ready" in legend_of(trace)

    async def many():
        await asyncio.gather(*(more() for _ in range(45)))

    trace = run_traced(many())
    assert trace.links and any(len(s.coroutines) > 1 for t in trace.tasks for s in t.steps)
    lanes = trace.chart(group=False).figure.axes[0]       # 46 lanes: no arrows, no await rows drawn ...
    assert "wakes up" not in legend_texts(lanes) and "suspended inside\nthis coroutine" not in legend_texts(lanes)
    assert "wakes up" in legend_texts(trace.chart(group=False, links=True).figure.axes[0])   # ... unless asked


async def worker(i):
    await asyncio.sleep(i % 4 + 1)
    if i % 4 == 3:
        raise ValueError(i)
    return i


async def two_hundred():
    await asyncio.gather(*(worker(i) for i in range(200)), return_exceptions=True)


def test_many_tasks_are_grouped_by_coroutine_and_counted_in_each_state():
    trace = run_traced(two_hundred())
    chart = trace.chart()
    view = chart.density
    assert view is not None and [b.label for b in view.bands] == ["Task-1 two_hundred()", "worker() ×200"]
    # (running, ready, waiting) in the slice of time holding each instant
    assert view.at(0.0) == {"Task-1 two_hundred()": (1, 0, 0), "worker() ×200": (200, 0, 0)}
    assert view.at(0.5) == {"Task-1 two_hundred()": (0, 0, 1), "worker() ×200": (0, 0, 200)}
    assert view.at(1.0)["worker() ×200"] == (50, 0, 150)        # the 1 s sleepers end, the rest wait on
    assert view.at(2.5)["worker() ×200"] == (0, 0, 100)
    assert view.at(3.5)["worker() ×200"] == (0, 0, 50)
    assert view.at(4.1)["worker() ×200"] == (0, 0, 0)           # all ended at 4 s
    band = view.bands[1]
    assert band.summary() == "150 returned, 50 raised"
    assert {o: int(c.sum()) for o, c in band.ends.items()} == {"result": 150, "exception": 50}
    assert band.ends["exception"][view.cell(4.0)] == 50         # the 4 s sleepers raise at 4 s
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Task-1 two_hundred()",
                                                            "worker() ×200\n150 returned, 50 raised"]
    assert ax.get_title(loc="left").startswith("201 tasks: lanes of one coroutine grouped")
    assert legend_texts(ax) == ["running", "waiting", "result", "exception", "all of a band's tasks"]
    # the picture: the worker band's waiting area is half as high at 2.5 s (100 waiting) as at 0.5 s (200)
    waiting = [c for c in ax.collections if isinstance(c, PolyCollection)
               and to_hex(c.get_facecolor()[0]) == to_hex(WAITING)][0]
    path = waiting.get_paths()[-1]                              # the last band's
    assert abs(height_at(path, 2.5) / height_at(path, 0.5) - 0.5) < 0.02
    all_tasks = ax.collections[[type(c).__name__ for c in ax.collections].index("LineCollection")]
    top_of_band = all_tasks.get_segments()[-1][0][1]            # the dotted line: all 200 of its tasks
    assert abs(extent_at(path, 0.5)[0] - top_of_band) < 0.01    # at 0.5 s all 200 wait: up to the line


def extent_at(path, x: float) -> tuple[float, float]:
    """Where a vertical line at `x` is inside `path`: its top and bottom (sampled, y in lanes)."""
    ys = np.linspace(-1, 10, 11_001)
    inside = ys[path.contains_points(np.column_stack([np.full_like(ys, x), ys]))]
    return float(inside.min()), float(inside.max())


def height_at(path, x: float) -> float:
    top, bottom = extent_at(path, x)
    return bottom - top


def test_a_few_tasks_keep_their_lanes_many_are_grouped_and_either_can_be_asked_for():
    async def twenty():
        await asyncio.gather(*(worker(i) for i in range(20)), return_exceptions=True)

    few = run_traced(twenty())
    chart = few.chart()
    assert chart.density is None and len(chart.figure.axes[0].get_yticks()) == 21
    grouped = few.chart(group=True)
    assert [b.label for b in grouped.density.bands] == ["Task-1 twenty()", "worker() ×20"]

    async def thousand():
        await asyncio.gather(*(worker(i) for i in range(1000)), return_exceptions=True)

    many = run_traced(thousand())
    chart = many.chart()
    assert chart.density is not None and len(chart.figure.axes[0].get_yticks()) == 2
    assert chart.density.at(2.5)["worker() ×1,000"] == (0, 0, 500)
    assert many.chart(group=False).density is None
    assert len(many.chart(group=False).figure.axes[0].get_yticks()) > 20
    # the replay's frames mark one task's lane: never grouped
    from helpers.draw.gantt import draw_gantt
    frame = draw_gantt(many, upto=1.0, highlight=3, steps_shown=[1] * len(many.tasks))
    assert len(frame.axes[0].get_yticks()) > 20
    # a live frame (cut at some moment) is grouped, and counts only what had happened
    assert len(draw_gantt(many, upto=1.5, now=1.5).axes[0].get_yticks()) == 2
    from helpers.draw.density import density_view
    assert density_view(many, upto=1.5).at(3.0)["worker() ×1,000"] == (0, 0, 0)


def test_past_the_most_bands_the_smallest_coroutines_share_one():
    from helpers.draw.density import MAX_BANDS, groups

    def coroutine(name):
        async def body():
            await asyncio.sleep(0.1)
        body.__qualname__ = name      # (a coroutine is named after its function's qualified name)
        return body

    kinds = [coroutine(f"co{i}") for i in range(MAX_BANDS + 6)]

    async def main():   # 2 tasks each of the first kinds, 1 of the last 8: those share a band
        await asyncio.gather(*(kind() for i, kind in enumerate(kinds) for _ in range(2 if i < MAX_BANDS - 2 else 1)))

    trace = run_traced(main())
    bands = groups(trace)
    assert len(bands) == MAX_BANDS
    assert [name for name, _ in bands[:3]] == ["Task-1 main()", "co0()", "co1()"]
    assert bands[-1][0] == "8 other coroutines" and len(bands[-1][1]) == 8
    assert sorted(int(i) for _, ids in bands for i in ids) == list(range(len(trace.tasks)))


def test_names_are_text_not_math_in_every_view():
    async def job():
        await asyncio.sleep(1)

    async def other_job():
        await asyncio.sleep(2)

    async def main():   # (main's wait is labelled with their names too: gather(job_$1_$2, ...))
        await asyncio.gather(asyncio.create_task(job(), name="job_$1_$2"),
                             asyncio.create_task(other_job(), name="job_$3_$4"))

    trace = run_traced(main())
    figures = [trace.chart(), trace.chart(group=True), trace.steps_chart(), trace.steps_chart(group=True),
               trace.chart(steps=True, title="a $title$")]
    for chart in figures:
        texts = [t for ax in chart.figure.axes
                 for t in [*ax.get_yticklabels(), *ax.texts, ax.title, ax._left_title]]
        assert any("$" in t.get_text() for t in texts)
        assert all(not t.get_parse_math() for t in texts if "$" in t.get_text())
        assert chart.png().startswith(b"\x89PNG")
    labels = [t.get_text() for t in trace.chart(group=True).figure.axes[0].get_yticklabels()]
    assert labels == ["Task-1 main()", "job_$1_$2 job()", "job_$3_$4 other_job()"]   # alone: its own name


def test_bars_that_touch_within_a_pixel_are_drawn_as_one_in_a_big_chart():
    from helpers.draw.gantt import MERGE_FROM, collect_spans

    async def spin():
        for _ in range(20):
            await asyncio.sleep(0)
        await asyncio.sleep(1)

    async def main():
        await asyncio.gather(*(spin() for _ in range(400)))

    trace = run_traced(main())
    spans = collect_spans(trace)
    assert len(spans.running) > MERGE_FROM
    bars = running_bars(trace)
    assert len(bars) < len(spans.running) / 5
    assert every_step_is_in_a_bar_of_its_lane(spans.running, bars)

    async def apart(i):            # steps 1 to 7 ms apart: more than a pixel, nothing merges
        for _ in range(50):
            await asyncio.sleep(0.001 * (i % 7 + 1))

    async def spread():
        await asyncio.gather(*(apart(i) for i in range(120)))

    trace = run_traced(spread())
    spans = collect_spans(trace)
    bars = running_bars(trace)     # (one path holding them all, past MERGE_FROM bars)
    assert len(bars) == len(spans.running) > MERGE_FROM
    assert every_step_is_in_a_bar_of_its_lane(spans.running, bars)


def running_bars(trace) -> np.ndarray:
    """The running bars of the lane chart, as rows of x0, top, x1, bottom."""
    ax = trace.chart(group=False).figure.axes[0]
    running = [c for c in ax.collections
               if len(c.get_facecolor()) and to_hex(c.get_facecolor()[0]) == to_hex(RUNNING)][0]
    corners = np.concatenate([p.vertices for p in running.get_paths()]).reshape(-1, 5, 2)
    return corners[:, [0, 2]].reshape(-1, 4)


def every_step_is_in_a_bar_of_its_lane(steps: np.ndarray, bars: np.ndarray) -> bool:
    lanes = np.rint((bars[:, 1] + bars[:, 3]) / 2)
    return all(np.any((bars[lanes == lane, 0] <= a + 1e-9) & (bars[lanes == lane, 2] >= b - 1e-9))
               for lane, a, b in steps)


def test_a_grouped_chart_keeps_the_loops_lane_and_the_resources_lanes():
    async def main():
        jobs = asyncio.Queue()

        async def consumer():
            return await jobs.get()

        async def producer():
            for i in range(70):
                await asyncio.sleep(0.1)
                jobs.put_nowait(i)

        await asyncio.gather(producer(), *(consumer() for _ in range(70)))

    trace = run_traced(main(), resources=True)
    chart = trace.chart(loop_lane=True)
    assert chart.density is not None
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    assert labels == ["event loop", "Task-1 main()", "Task-2 producer()", "consumer() ×70\n70 returned",
                      "jobs (Queue)"]
    assert chart.density.at(3.55)["consumer() ×70"] == (0, 0, 35)    # 35 jobs put by 3.5 s
    legend = legend_texts(chart.figure.axes[0])
    assert "loop busy" in legend and "queue size / free slots,\nheld lock, set event" in legend
    assert chart.png().startswith(b"\x89PNG")


# --- a timer that fired late ---------------------------------------------------------------------

async def heartbeat_behind_a_blocking_step():
    async def heartbeat():
        for _ in range(3):
            await asyncio.sleep(0.2)

    async def report():
        await asyncio.sleep(0.1)
        time.sleep(0.6)                 # holds the loop from 0.1 s to 0.7 s: the 0.2 s timer waits

    await asyncio.gather(heartbeat(), report())


def test_a_timer_that_fired_late_is_marked_from_its_due_time_on_the_real_clock_only():
    trace = run_traced(heartbeat_behind_a_blocking_step(), clock="real")
    beats = trace.task("Task-2").steps
    assert [s.waits_on for s in beats[:-1]] == ["sleep(0.2)"] * 3   # the delay as written, not 0.199987
    assert 0.4 <= beats[1].late <= beats[1].ready - 0.2 + 0.01       # due at 0.2 s, fired after 0.7 s
    assert all(s.late < LATE_SECONDS for s in beats[2:])              # the next ones on time
    [(lane, due, fired)] = late_timers(trace)
    assert trace.tasks[lane].name == "Task-2" and fired == beats[1].ready and abs(due - 0.2) < 0.02
    assert "timer fired late\n(from its due time)" in legend_of(trace)

    virtual = run_traced(heartbeat_behind_a_blocking_step())      # no time passes inside a step
    assert late_timers(virtual) == [] and "timer fired late\n(from its due time)" not in legend_of(virtual)


# --- a pending task the garbage collector destroyed ----------------------------------------------

async def forgets_a_task():
    async def forgotten():
        await asyncio.get_running_loop().create_future()    # nothing else refers to this future

    async def finished():
        return "done"

    asyncio.create_task(forgotten())
    asyncio.create_task(finished())
    await asyncio.sleep(1)
    gc.collect()                                            # both tasks are unreferenced by now
    await asyncio.sleep(1)


def test_a_pending_task_destroyed_by_the_garbage_collector_ends_its_lane_with_a_dagger(capsys):
    trace = run_traced(forgets_a_task())
    forgotten, finished = trace.tasks[1], trace.tasks[2]
    assert (forgotten.outcome, forgotten.destroyed) == (None, 1.0)
    assert (finished.outcome, finished.destroyed) == ("result", None)      # ended first: not marked
    waits = collect_spans(trace).waiting
    assert waits[waits[:, 0] == 1][:, 2].max() == 1.0                      # not drawn waiting to 2 s
    assert "destroyed while pending\n(garbage-collected)" in legend_of(trace)
    assert "Task-2 forgotten() was destroyed by the garbage collector at 1.00 s" in capsys.readouterr().out


def test_a_lock_taken_in_the_step_that_watches_it_is_held_by_that_task():
    async def main():
        lock = watch(asyncio.Lock(), "lock")       # watched, then taken, in one step
        async with lock:
            await asyncio.sleep(1)
        await asyncio.sleep(1)
        return lock

    [lock] = run_traced(main()).resources
    assert lock.held() == [(0.0, 1.0, 0)]           # held by Task-1 from 0 to 1 s (not "found held")


def test_a_task_suspended_inside_an_async_generator_is_shown_inside_it():
    async def producer(queue):
        await asyncio.sleep(1)
        await queue.put("x")

    async def items(queue):
        while True:
            yield await queue.get()

    async def pages():
        for n in range(2):
            await asyncio.sleep(1)
            yield n

    async def main():
        queue = asyncio.Queue()
        job = asyncio.create_task(producer(queue))
        async for _ in items(queue):
            break
        async for _ in pages():
            pass
        await job

    steps = run_traced(main()).tasks[0].steps
    assert [(s.waits_on, s.coroutines) for s in steps[:3]] == [
        ("Queue.get", ("main", "items")), ("sleep(1)", ("main", "pages")), ("sleep(1)", ("main", "pages"))]


def test_resources_true_finds_the_queue_a_join_waits_on_not_its_inner_event():
    async def main():
        jobs = asyncio.Queue()
        await jobs.put("job")

        async def worker():
            await jobs.get()
            await asyncio.sleep(1)
            jobs.task_done()

        job = asyncio.create_task(worker())
        await jobs.join()
        await job

    assert [(r.name, r.kind) for r in run_traced(main(), resources=True).resources] == [("jobs", "Queue")]
