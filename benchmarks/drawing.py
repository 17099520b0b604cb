"""How long do the charts take to draw 1k, 10k and 100k spans?

    python benchmarks/drawing.py

Each size is a real trace, drawn and rendered to an Agg canvas (what a PNG costs, less the PNG
encoding), in every view:

- time view: one lane per task (``group=False``); grouped: lanes of one coroutine grouped into
  a band (the default past 60 tasks, `helpers.draw.density`);
- step view: one column per loop step (`helpers.draw.steps`: the first 400 steps of a big run),
  in lanes and grouped. Its first draw of a trace also puts the events in the loop's order (later
  draws find them sorted), so that is reported apart;
- both: ``t.chart(steps=True)``, as it comes (grouped past 60 tasks).

The traces are tasks doing ``sleep(0)`` in a loop (on the virtual clock every span is at 0 s,
so a lane's bars lie on one another) and, the hard case, tasks sleeping 1 to 7 ms in a loop
(100,000 bars at distinct places). Times are the best of 3, in seconds; the ratios compare
views measured in the same run. The baseline is the obvious way: one ``barh`` artist per bar
(skipped past 30k spans, where it takes minutes).
"""

from __future__ import annotations

import asyncio
import time

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers import run_traced
from helpers.draw.gantt import collect_spans, draw_gantt
from helpers.draw.steps import draw_steps


def trace_with(tasks: int, steps: int, spread: bool = False):
    async def worker(i):
        for _ in range(steps):
            await asyncio.sleep(0.001 * (i % 7 + 1) if spread else 0)

    async def main():
        await asyncio.gather(*(worker(i) for i in range(tasks)))

    return run_traced(main(), quiet=True)


def rendered(draw) -> float:
    """Seconds to draw a figure and render it to an Agg canvas (a plain Figure's canvas renders nothing)."""
    began = time.perf_counter()
    figure = draw()
    FigureCanvasAgg(figure).draw()
    return time.perf_counter() - began


def best(draw, times: int = 3) -> float:
    return min(rendered(draw) for _ in range(times))


def draw_one_artist_per_bar(trace) -> Figure:
    spans = collect_spans(trace)
    fig = Figure(figsize=(9, 11))
    ax = fig.add_subplot()
    for rows, colour in ((spans.waiting, "#ddd"), (spans.ready, "orange"), (spans.running, "blue")):
        for lane, a, b in rows:
            ax.barh(lane, max(b - a, 1e-4), left=a, color=colour)
    return fig


def main() -> None:
    print("chart drawing time, seconds (draw + render to an Agg canvas; best of 3)")
    print(f"  {'tasks':>5} {'spans':>8} {'steps':>7} {'':>6}  {'time view':>9} {'grouped':>8} {'ratio':>6}  "
          f"{'step view':>9} {'(first)':>8} {'grouped':>8}  {'both':>6}   one artist per bar (time view)")
    for tasks, steps, spread in ((100, 5, False), (1000, 5, False), (1000, 50, False), (1000, 50, True)):
        trace = trace_with(tasks, steps, spread)
        spans = collect_spans(trace)
        n = len(spans.running) + len(spans.ready) + len(spans.waiting)
        loop_steps = sum(len(t.steps) for t in trace.tasks)
        first = rendered(lambda: draw_steps(trace, group=False))      # also sorts the trace's events, once
        lanes = best(lambda: draw_gantt(trace, group=False))
        grouped = best(lambda: draw_gantt(trace, group=True))
        step_lanes = best(lambda: draw_steps(trace, group=False))
        step_grouped = best(lambda: draw_steps(trace, group=True))
        both = best(lambda: trace.chart(steps=True).figure)
        line = (f"  {tasks:>5} {n:>8,} {loop_steps:>7,} {'spread' if spread else '':>6}  {lanes:9.3f} {grouped:8.3f} "
                f"{grouped / lanes:5.2f}x  {step_lanes:9.3f} {first:8.3f} {step_grouped:8.3f}  {both:6.3f}")
        if n <= 30_000:
            naive = rendered(lambda: draw_one_artist_per_bar(trace))
            line += f"   {naive:6.2f} ({naive / lanes:5.1f}x the time view)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
