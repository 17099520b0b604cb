"""The replay model: what the loop knew at each step of a known trace."""

from __future__ import annotations

import asyncio
import sys

import pytest

from helpers import run_traced
from helpers.draw.player import Player, panel_html
from helpers.replay import moments


async def func(seconds):
    await asyncio.sleep(seconds)
    return seconds


async def seed_example():
    """The tutorial's Task example: tasks of 2 s and 3 s, then sleep(5)."""
    t1 = asyncio.create_task(func(2))
    t2 = asyncio.create_task(func(3))
    await asyncio.sleep(0)
    await asyncio.sleep(5)
    return await t1 + await t2


def test_one_moment_per_loop_step_in_the_loops_order():
    steps = moments(run_traced(seed_example()))
    assert [(m.time, m.running) for m in steps] == [
        (0.0, "Task-1"), (0.0, "Task-2"), (0.0, "Task-3"), (0.0, "Task-1"),
        (2.0, "Task-2"), (3.0, "Task-3"), (5.0, "Task-1")]


def test_the_ready_queue_in_order_and_who_waits_on_what():
    steps = moments(run_traced(seed_example()))
    # Task-1 created two tasks, then yielded: it queues up behind them.
    assert steps[1].ready == ["Task-3", "Task-1"]
    assert steps[2].ready == ["Task-1"]
    assert steps[2].waiting == [("Task-2", "sleep(2)")]
    assert steps[3].timers == [(2.0, "Task-2 sleep(2)"), (3.0, "Task-3 sleep(3)")]
    assert steps[4].timers == [(3.0, "Task-3 sleep(3)"), (5.0, "Task-1 sleep(5)")]
    assert steps[6].finished == ["Task-2", "Task-3"]


def test_captions_say_what_happens_in_plain_words():
    steps = moments(run_traced(seed_example()))
    assert steps[1].caption == ("Task-2 runs until it awaits sleep(2): it leaves the loop, "
                                "and the loop picks Task-3 from the ready queue.")
    assert steps[0].caption.startswith("Task-1 runs, then yields to the loop")
    assert steps[3].caption == ("Task-1 runs until it awaits sleep(5): it leaves the loop. Nothing is "
                                "ready, so the loop waits until 2.00 s, when Task-2 can go on.")
    assert steps[4].caption.startswith("Task-2, woken by its timer, runs to its end (result)")
    assert steps[-1].caption.endswith("Nothing is left to run: the loop's work is done.")


def test_a_step_that_resolves_a_future_carries_the_wake_up():
    async def setter(fut):
        await asyncio.sleep(3)
        fut.set_result("10089")

    async def main():
        fut = asyncio.get_running_loop().create_future()
        asyncio.create_task(setter(fut))
        return await fut

    steps = moments(run_traced(main()))
    resolving = [m for m in steps if m.wakes]
    assert [(m.running, m.time) for m in resolving] == [("Task-2", 3.0)]
    assert "that wakes Task-1" in resolving[0].caption


def test_a_task_that_ends_carries_the_wake_up_of_its_awaiter():
    async def twice():
        await asyncio.sleep(2)
        await asyncio.sleep(2)

    async def main():
        await asyncio.create_task(twice())

    trace = run_traced(main())
    [link] = trace.links
    assert (link.waker, link.waker_step) == (1, len(trace.tasks[1].steps) - 1)   # its last step
    ending = [m for m in moments(trace) if m.wakes]
    assert [(m.running, m.time) for m in ending] == [("Task-2", 4.0)]
    assert "runs to its end (result); that wakes Task-1" in ending[0].caption


def test_gather_is_credited_to_the_child_that_ended_last():
    async def main():
        await asyncio.gather(func(1), func(2))

    trace = run_traced(main())
    assert [(l.waker, l.woken, l.time) for l in trace.links] == [(2, 0, 2.0)]
    assert trace.tasks[0].steps[1].woken_by == "Task-3"


def test_the_player_carries_the_final_chart_for_where_widgets_do_not_render():
    pytest.importorskip("ipywidgets")
    trace = run_traced(seed_example())
    player = trace.replay()
    bundle = player._repr_mimebundle_()
    assert bundle["text/plain"] == "<replay of Trace: 3 tasks, 5.00 s on the virtual clock: 7 steps>"
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    assert "Task-3 → Task-1" in panel_html(player.moments[1], 7)
    assert Player(trace, max_steps=3).moments[-1].index == 2


def test_without_ipywidgets_the_player_is_the_final_chart(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)     # import fails, as where it is missing
    bundle = run_traced(seed_example()).replay()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"}


def test_replay_frames_are_cut_by_step_not_by_time():
    """Steps at one instant differ: a task's end marker appears only once its last step has run."""
    from helpers.draw.gantt import collect_spans

    async def setter(fut):
        await asyncio.sleep(3)
        fut.set_result(1)

    async def main():
        fut = asyncio.get_running_loop().create_future()
        asyncio.create_task(setter(fut))
        return await fut

    trace = run_traced(main())
    steps = moments(trace)
    assert [m.steps_begun for m in steps] == [[1, 0], [1, 1], [1, 2], [2, 2]]
    at_three = [len(collect_spans(trace, m.time, m.steps_begun).running) for m in steps[2:]]
    assert at_three == [3, 4]      # same instant (3 s), one more step drawn


# --- the chart as a learner meets it --------------------------------------------------------

def test_names_and_labels_are_text_not_math():
    from matplotlib.text import Text

    async def job():
        await asyncio.sleep(1)

    async def main():
        one = asyncio.create_task(job(), name="job_$1_$2")
        two = asyncio.create_task(job(), name="fetch $HOME/$USER")
        await one          # main's wait label is the task's name
        await two

    trace = run_traced(main())
    chart = trace.chart(title="costs $5 or $6")
    chart.png()       # job_$1_$2 as math text does not even parse
    texts = [t for t in chart.figure.findobj(Text) if "$" in t.get_text()]
    assert {"job_$1_$2 job()", "fetch $HOME/$USER job()", "job_$1_$2", "costs $5 or $6"} <= {
        t.get_text() for t in texts}
    for text in texts:        # drawn as written: no math
        assert text._preprocess_math(text.get_text()) == (text.get_text(), False), text.get_text()
    player = trace.replay()
    player._repr_mimebundle_()                     # every frame drawn
    assert player.frame(player.moments[-1])


def test_wake_up_arrows_stand_beside_the_marks_of_their_instant():
    from matplotlib.collections import PathCollection
    from matplotlib.text import Annotation

    async def waiter(fu):
        return await fu

    async def deliver(fu):
        await asyncio.sleep(3)
        fu.set_result(1)

    async def main():
        fu = asyncio.get_running_loop().create_future()
        await asyncio.gather(waiter(fu), waiter(fu), deliver(fu))

    chart = run_traced(main()).chart()
    chart.png()
    ax = chart.figure.axes[0]
    to_px = ax.transData.transform
    arrows = [to_px(a.xy)[0] for a in ax.texts if isinstance(a, Annotation)]
    marks = [to_px(xy)[0] for c in ax.collections if isinstance(c, PathCollection) for xy in c.get_offsets()]
    assert len(arrows) >= 2 and marks
    radius = (42 ** 0.5) / 2 * chart.figure.dpi / 72            # an end marker's radius, in pixels
    assert min(abs(a - m) for a in arrows for m in marks) > radius + 1
    arrows.sort()
    assert min(b - a for a, b in zip(arrows, arrows[1:])) > 4   # side by side, not on top
    assert ax.get_xlim()[0] < 0
