"""The filmstrip: a still picture of a moving run, left where widgets and animation do not run."""

from __future__ import annotations

import asyncio
import base64
import io
import sys

import pytest
from matplotlib.text import Text

from helpers import run_traced
from helpers.draw.filmstrip import BUSIEST, CLOCK, ORDINARY, TELLING, Filmstrip, pick_moments, step_kinds
from helpers.replay import Tally, iter_moments, moments


async def func(seconds):
    await asyncio.sleep(seconds)
    return seconds


async def seed_example():
    """Two tasks sleeping 2 s and 3 s, and main sleeping 5 s: seven loop steps."""
    t1 = asyncio.create_task(func(2))
    t2 = asyncio.create_task(func(3))
    await asyncio.sleep(0)
    await asyncio.sleep(5)
    return await t1 + await t2


def png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_each_step_is_weighed_by_what_it_shows():
    # steps: 1 Task-1 yields, 2 Task-2 sleeps (Task-3 and Task-1 queued behind it), 3 Task-3 sleeps,
    # 4 Task-1 sleeps (then the clock jumps), 5 Task-2 ends at 2 s, 6 Task-3 ends at 3 s, 7 Task-1 at 5 s
    kinds = step_kinds(run_traced(seed_example()))
    assert list(kinds) == [ORDINARY, BUSIEST, ORDINARY, CLOCK, CLOCK, CLOCK, CLOCK]


def test_the_known_run_keeps_the_first_step_the_busiest_queue_every_clock_jump_and_the_end():
    strip = run_traced(seed_example()).filmstrip()
    assert [(m.index + 1, m.time, m.running) for m in strip.moments] == [
        (1, 0.0, "Task-1"), (2, 0.0, "Task-2"), (4, 0.0, "Task-1"),
        (5, 2.0, "Task-2"), (6, 3.0, "Task-3"), (7, 5.0, "Task-1")]
    assert repr(strip) == ("<filmstrip of Trace: 3 tasks, 5.00 s on the virtual clock:"
                           " 6 of 7 steps (1, 2, 4, 5, 6, 7)>")


def test_each_panel_says_its_step_time_ready_queue_and_caption():
    trace = run_traced(seed_example())
    strip = trace.filmstrip()
    every = moments(trace)
    assert [p.title for p in strip.panels] == [
        "step 1 of 7 · 0.00 s", "step 2 of 7 · 0.00 s", "step 4 of 7 · 0.00 s",
        "step 5 of 7 · 2.00 s", "step 6 of 7 · 3.00 s", "step 7 of 7 · 5.00 s"]
    assert [p.ready for p in strip.panels] == ["ready: (empty)", "ready: Task-3 → Task-1"] + ["ready: (empty)"] * 4
    assert [p.caption for p in strip.panels] == [every[m.index].caption for m in strip.moments]
    assert strip.panels[2].caption == ("Task-1 runs until it awaits sleep(5): it gives control back to the loop. Nothing is "
                                       "ready, so the loop waits until 2.00 s, when Task-2 can go on.")
    # ... and the picture says it: the titles, and under each chart the queue and the caption, wrapped
    charts = [ax for ax in strip.figure.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in charts] == [p.title for p in strip.panels]
    for ax, panel in zip(charts, strip.panels):
        [words] = [t.get_text() for t in ax.texts if t.get_text().startswith("ready: ")]
        assert " ".join(words.split()) == f"{panel.ready} {panel.caption}"
        assert max(len(line) for line in words.splitlines()) < 60     # wrapped to the panel's width


def test_each_panel_is_the_chart_cut_at_its_step():
    from matplotlib.colors import to_hex

    from helpers.draw.gantt import RUNNING

    trace = run_traced(seed_example())
    strip = trace.filmstrip()
    charts = [ax for ax in strip.figure.axes if ax.get_title(loc="left").startswith("step ")]
    assert len(charts) == 6
    for ax, moment in zip(charts, strip.moments):
        nows = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert nows == [moment.time]                                   # the dashed line of "now"
        assert ax.get_xlim() == charts[-1].get_xlim()                  # one time axis for every panel
    # one running bar per step begun by then: steps 1, 2, 4, 5, 6, 7 of the run
    bars = [sum(len(c.get_paths()) for c in ax.collections
                if len(c.get_facecolor()) and to_hex(c.get_facecolor()[0]) == RUNNING) for ax in charts]
    assert bars == [1, 2, 4, 5, 6, 7]


def test_moments_are_picked_lazily_and_spread_over_a_long_run():
    async def job(i):
        await asyncio.sleep(1 + i % 7)
        await asyncio.sleep(0.5)

    async def main():
        await asyncio.gather(*(job(i) for i in range(300)))

    trace = run_traced(main(), quiet=True)
    kinds = step_kinds(trace)
    assert len(kinds) == 902
    picked = pick_moments(kinds)
    # the first step, the longest ready queue (299 tasks behind Task-2), the last; between them the
    # clock's jumps (before 1 s, and at 2.5 s and 4 s), spread over the run, not bunched
    assert picked == [0, 1, 300, 430, 645, 901]
    assert kinds[1] == BUSIEST and {kinds[i] for i in picked[2:-1]} == {CLOCK}
    tally = Tally()
    built = list(iter_moments(trace, tally, only=picked))
    assert [m.index for m in built] == picked and tally.built == 6      # six snapshots, not 902
    whole = moments(trace)
    assert [(m.caption, m.ready) for m in built] == [(whole[i].caption, whole[i].ready) for i in picked]
    assert Filmstrip(trace).picked == picked == Filmstrip(trace).picked  # the same every time


def test_few_moments_are_filled_up_and_a_short_run_shows_what_it_has():
    assert pick_moments(bytes([ORDINARY] * 20), frames=6) == [0, 9, 14, 19]   # at least four
    assert pick_moments(bytes([ORDINARY] * 3)) == [0, 1, 2]
    assert pick_moments(bytes([ORDINARY])) == [0]
    assert pick_moments(b"") == []
    assert pick_moments(bytes([ORDINARY, TELLING, ORDINARY, TELLING, ORDINARY]), frames=3) == [0, 1, 4]
    assert pick_moments(bytes([CLOCK] * 10), frames=1) == [9]


def test_the_same_trace_gives_the_same_picture():
    trace = run_traced(seed_example())
    first = trace.filmstrip().png()
    assert first == trace.filmstrip().png()
    width, height = png_size(first)
    assert width == 900 and 300 < height < 1200


def test_names_with_dollars_are_written_as_they_are():
    async def job():
        await asyncio.sleep(1)

    async def main():
        one = asyncio.create_task(job(), name="job_$1_$2")
        two = asyncio.create_task(job(), name="fetch $HOME/$USER")
        await one
        await two

    strip = run_traced(main()).filmstrip()
    strip.png()       # job_$1_$2 as math text does not even parse
    texts = [t for t in strip.figure.findobj(Text) if "$" in t.get_text()]
    written = [t.get_text() for t in texts]
    assert any(t.startswith("ready: fetch $HOME/$USER\njob_$1_$2, woken by its timer") for t in written)
    assert {"job_$1_$2 job()", "fetch $HOME/$USER job()"} <= set(written)      # the lanes' names
    for text in texts:
        assert text._preprocess_math(text.get_text()) == (text.get_text(), False), text.get_text()


def test_a_run_with_no_steps_gets_a_picture_that_says_so():
    from helpers.model import Trace

    strip = Trace("virtual", [], [], [], 0.0, 0.0).filmstrip()
    assert strip.moments == [] and "no steps" in repr(strip)
    assert any("no loop steps" in t.get_text() for t in strip.figure.findobj(Text))
    assert strip.png().startswith(b"\x89PNG")


# --- where it is left: the player's and the live chart's picture for where widgets do not run ----

def test_the_players_picture_is_the_filmstrip_not_the_final_chart():
    pytest.importorskip("ipywidgets")
    trace = run_traced(seed_example())
    bundle = trace.replay()._repr_mimebundle_()
    assert bundle["text/plain"] == "<replay of Trace: 3 tasks, 5.00 s on the virtual clock: 7 steps>"
    assert "application/vnd.jupyter.widget-view+json" in bundle        # the player, where widgets run
    still = base64.b64decode(bundle["image/png"])
    assert still == trace.filmstrip().png()
    assert still != trace.chart().png()


def test_without_ipywidgets_the_player_is_the_filmstrip(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)     # import fails, as where it is missing
    trace = run_traced(seed_example())
    bundle = trace.replay()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"}
    assert base64.b64decode(bundle["image/png"]) == trace.filmstrip().png()


class _Handle:
    def __init__(self):
        self.updates = []

    def update(self, obj, **kwargs):
        self.updates.append(obj)


def _finish_live(monkeypatch, trace):
    import helpers.draw.live as live

    handle = _Handle()
    monkeypatch.setattr(live, "display", lambda *a, **k: handle)
    chart = live.LiveChart(recorder=None, clock="virtual", name="main", loop_lane=False, now=lambda: 0.0)
    chart.finish(trace)
    return chart, handle.updates[-1]


def test_a_finished_live_chart_shows_the_chart_in_a_widget_and_leaves_the_filmstrip(monkeypatch):
    w = pytest.importorskip("ipywidgets")
    trace = run_traced(seed_example())
    chart, last = _finish_live(monkeypatch, trace)
    assert last["text/plain"] == "<live Gantt chart of main()>"          # as every frame's
    assert base64.b64decode(last["image/png"]) == trace.filmstrip().png()  # stored, GitHub, nbviewer
    view = last["application/vnd.jupyter.widget-view+json"]
    image = chart._final_view
    assert isinstance(image, w.Image) and view["model_id"] == image.model_id
    assert bytes(image.value) == trace.chart().png()                    # where widgets run: the chart
    assert "asyncio-live" in image._dom_classes


def test_without_ipywidgets_a_finished_live_chart_leaves_the_filmstrip(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    trace = run_traced(seed_example())
    _, last = _finish_live(monkeypatch, trace)
    assert set(last) == {"text/plain", "image/png"}
    assert base64.b64decode(last["image/png"]) == trace.filmstrip().png()


def test_a_live_run_stopped_with_the_stop_button_ends_on_its_chart_at_once(monkeypatch):
    trace = run_traced(seed_example())
    trace.interrupted = 2.5
    chart, last = _finish_live(monkeypatch, trace)
    assert set(last) == {"text/plain", "image/png"} and chart._final_view is None
    assert base64.b64decode(last["image/png"]) == trace.chart().png()


def test_the_filmstrip_reads_at_900_px():
    from PIL import Image

    trace = run_traced(seed_example())
    image = Image.open(io.BytesIO(trace.filmstrip().png()))
    assert image.size[0] == 900
    assert Filmstrip(trace, frames=4).columns == 2 and trace.filmstrip().columns == 3
