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
    assert steps[1].caption == ("Task-2 runs until it awaits sleep(2): it gives control back to the loop, "
                                "and the loop picks Task-3 from the ready queue.")
    assert steps[0].caption.startswith("Task-1 runs, then yields to the loop")
    assert steps[3].caption == ("Task-1 runs until it awaits sleep(5): it gives control back to the loop. Nothing is "
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


def test_the_player_carries_a_picture_for_where_widgets_do_not_render():   # (tests/test_filmstrip.py: which)
    pytest.importorskip("ipywidgets")
    trace = run_traced(seed_example())
    player = trace.replay()
    bundle = player._repr_mimebundle_()
    assert bundle["text/plain"] == "<replay of Trace: 3 tasks, 5.00 s on the virtual clock: 7 steps>"
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    assert "Task-3 → Task-1" in panel_html(player.moments[1], 7)
    assert Player(trace, max_steps=3).moments[-1].index == 2


def test_without_ipywidgets_the_player_is_its_picture(monkeypatch):
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


# --- the player as a learner meets it ---------------------------------------------------------

def many_tasks(n):
    async def job(i):
        await asyncio.sleep(1 + i % 7)
        await asyncio.sleep(0.5)

    async def main():
        await asyncio.gather(*(job(i) for i in range(n)))

    return run_traced(main(), quiet=True)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_steps_are_numbered_from_one_on_the_slider_and_in_the_captions():
    w = pytest.importorskip("ipywidgets")
    player = run_traced(seed_example()).replay()
    box = player.widget()
    sliders = [c for c in box.children[1].children if isinstance(c, w.IntSlider)]
    plays = [c for c in box.children[1].children if isinstance(c, w.Play)]
    assert [(s.min, s.max, s.value) for s in sliders] == [(1, 7, 1)]
    assert [(p.min, p.max) for p in plays] == [(1, 7)]
    panel = panel_html(player.moments[0], 7)
    assert "step 1 of 7" in panel
    # the lists are the loop's at the start of the step: step 1's empty ready queue is no contradiction
    assert "at the <i>start</i> of this step" in panel and "(empty)" in panel


def test_the_page_side_slider_shows_the_frame_and_caption_of_its_step_number():
    w = pytest.importorskip("ipywidgets")
    if not hasattr(w, "Stack"):
        pytest.skip("ipywidgets 7: the kernel swaps the frames")
    player = run_traced(seed_example()).replay()
    box = player.widget()
    notes, pictures = box.children[2], box.children[3]
    assert isinstance(pictures, w.Stack) and pictures.selected_index == 1
    # index n of the Stack is step n (index 0 is a blank, never shown)
    assert "step 3 of 7" in notes.children[3].value
    assert pictures.children[3].value == player.frame(player.moments[2])


def test_frames_are_drawn_at_the_final_charts_size():
    trace = run_traced(seed_example())
    player = trace.replay()
    final = png_size(trace.chart().png())
    assert {png_size(player.frame(m)) for m in player.moments} == {final}


def test_early_frames_show_the_lanes_that_exist_and_grey_the_ones_not_created_yet():
    from matplotlib.colors import to_hex

    from helpers.draw.player import QUEUED

    async def late():
        await asyncio.sleep(1)

    async def main():
        first = asyncio.create_task(func(2))
        await asyncio.sleep(0.5)
        await asyncio.create_task(late())     # created at 0.5 s
        await first

    player = run_traced(main()).replay()
    figure = player.frame_figure(player.moments[0])
    ax = figure.axes[0]
    colours = [to_hex(label.get_color()) for label in ax.get_yticklabels()]
    assert colours[2] != colours[0] and colours[0] == colours[1]       # Task-3 does not exist yet
    # Task-2 was created in step 1 and has not run: its lane shows it waiting in the ready queue
    queued = [c for c in ax.collections if len(c.get_facecolor()) and to_hex(c.get_facecolor()[0]) == QUEUED]
    assert [round(p.vertices[:, 1].mean()) for c in queued for p in c.get_paths()] == [1]
    assert ax.get_xlim()[0] < 0            # room left of 0 s: the ticks at 0 s are not under the axis


def test_a_long_run_builds_only_the_moments_it_keeps_and_says_so():
    trace = many_tasks(200)
    steps = sum(len(t.steps) for t in trace.tasks)
    assert steps == 602
    player = trace.replay()
    assert len(player.moments) == 120 and player.built == 120      # not 602, kept or not
    assert Player(trace, max_steps=5).built == 5
    assert repr(player).endswith(": 120 steps (the first 120 of 602)>")
    assert "Only the first 120 of the run's 602 loop steps are kept" in player.header_html("")
    assert "only the first 120 of the run's 602 steps are kept" in panel_html(player.moments[0], 120, 602)
    # the same moments as the whole walk's first 120
    assert [m.caption for m in player.moments] == [m.caption for m in moments(trace)[:120]]


def test_long_lists_are_shortened_in_captions_and_panels():
    trace = many_tasks(200)
    player = Player(trace, max_steps=3)
    first = player.moments[0]
    assert "gather of 200 tasks" in first.caption and "Task-150" not in first.caption
    assert trace.tasks[0].steps[0].waits_on.startswith("gather(Task-2, Task-3")   # the model keeps it all
    panel = panel_html(player.moments[2], 3)
    assert "… and" in panel and len(panel) < 3000
    assert "gather of 3" not in moments(run_traced(seed_example()))[0].caption   # short ones stay as they are


def test_a_long_replay_shows_a_progress_bar_while_it_draws_then_removes_it(monkeypatch):
    pytest.importorskip("ipywidgets")
    import types

    import IPython.display

    import helpers.notebook
    from helpers.draw import player as player_module

    shown, updates = [], []

    class Handle:
        def update(self, obj, **kwargs):
            updates.append(obj)

    def display(obj, **kwargs):
        shown.append(obj)
        return Handle()

    monkeypatch.setattr(helpers.notebook, "current_shell", lambda: types.SimpleNamespace(kernel=object()))
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(player_module, "MAX_STEPS", 20)
    player = Player(many_tasks(10), max_steps=20)
    frames = player.frames()
    assert len(frames) == 20
    assert [s["text/plain"] for s in shown] == ["drawing the replay's frames: 0 of 20"]
    assert "application/vnd.jupyter.widget-view+json" in shown[0]
    assert updates == [{"text/plain": ""}]          # gone once the frames are drawn
    shown.clear()
    Player(run_traced(seed_example())).frames()      # 7 frames: quick, no bar
    assert shown == []


def test_a_run_with_no_steps_gets_an_empty_player_that_says_so():
    from helpers.model import Trace

    empty = Trace("virtual", [], [], [], 0.0, 0.0)
    player = empty.replay()
    bundle = player._repr_mimebundle_()       # was: TraitError: setting min > max
    assert player.moments == [] and "nothing to replay" in repr(player)
    assert "image/png" in bundle
    if "application/vnd.jupyter.widget-view+json" in bundle:      # with ipywidgets
        words = " ".join(getattr(c, "value", "") for c in player._box.children)
        assert "nothing to replay" in words


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


def test_once_the_kernel_is_gone_the_player_keeps_its_page_side_parts_without_broken_link_icons():
    """ipywidgets marks each part of a widget whose kernel is gone with `jupyter-widgets-disconnected`
    (a red broken-link icon). The player's own style drops those icons, hides the step buttons (they
    need the kernel) and shows a line saying what still works (tests/test_browser.py shows it live)."""
    w = pytest.importorskip("ipywidgets")
    box = run_traced(seed_example()).replay().widget()
    assert "asyncio-replay" in box._dom_classes
    header = box.children[0]
    style = header.value
    assert ".asyncio-replay .jupyter-widgets-disconnected::before { content: none" in style
    assert ".asyncio-replay.jupyter-widgets-disconnected .asyncio-replay-kernel { display: none" in style
    assert ".asyncio-replay.jupyter-widgets-disconnected .asyncio-replay-offline { display: block" in style
    # shut down ("No Kernel"): the widgets are not marked, the notebook's kernel status is
    assert ("[data-status='dead']) .asyncio-replay .asyncio-replay-kernel { display: none" in style)
    buttons = [c for c in box.children[1].children if isinstance(c, w.Button)]
    assert [b.description for b in buttons] == ["◀ step back", "step forward ▶"]
    assert all("asyncio-replay-kernel" in b._dom_classes for b in buttons)
    offline = "the slider and ▶ still step through" if hasattr(w, "Stack") else "run the cell again"
    assert offline in style


def test_a_frame_drawn_on_the_shared_background_looks_like_one_drawn_whole():
    import io

    import numpy as np
    from PIL import Image

    from helpers.draw.player import quick_png

    player = run_traced(seed_example()).replay()
    for moment in player.moments:
        quick = np.asarray(Image.open(io.BytesIO(player.frame(moment))).convert("RGB"), dtype=int)
        whole = np.asarray(Image.open(io.BytesIO(quick_png(player.frame_figure(moment)))).convert("RGB"),
                           dtype=int)
        assert quick.shape == whole.shape
        assert np.abs(quick - whole).max() <= 40     # antialiased edges drawn twice, nothing else
