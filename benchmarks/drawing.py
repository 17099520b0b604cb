"""How long do the charts take to draw 1k, 10k and 100k spans?

    python benchmarks/drawing.py

Each size is a real trace (tasks doing sleep(0) in a loop), drawn to an Agg
canvas, in both views: the time view (the Gantt chart) and the step view (one
column per loop step, `helpers.draw.steps`: the first 400 steps of a big run).
The step view's first draw of a trace also puts its events in the loop's order
(later draws find them sorted), so it is reported apart. The baseline, measured
in the same run, is the obvious way: one ``barh`` artist per bar (skipped at
100k, where it takes minutes).
"""

from __future__ import annotations

import asyncio
import time

from matplotlib.figure import Figure

from helpers import run_traced
from helpers.draw.gantt import collect_spans, draw_gantt
from helpers.draw.steps import draw_steps


def trace_with(tasks: int, steps: int):
    async def worker():
        for _ in range(steps):
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(*(worker() for _ in range(tasks)))

    return run_traced(main(), quiet=True)


def draw_ours(trace) -> float:
    began = time.perf_counter()
    fig = draw_gantt(trace)
    fig.canvas.draw()
    return time.perf_counter() - began


def draw_step_view(trace) -> float:
    began = time.perf_counter()
    fig = draw_steps(trace)
    fig.canvas.draw()
    return time.perf_counter() - began


def draw_both(trace) -> float:
    began = time.perf_counter()
    trace.chart(steps=True).figure.canvas.draw()
    return time.perf_counter() - began


def draw_one_artist_per_bar(trace) -> float:
    began = time.perf_counter()
    spans = collect_spans(trace)
    fig = Figure(figsize=(9, 11))
    ax = fig.add_subplot()
    for rows, colour in ((spans.waiting, "#ddd"), (spans.ready, "orange"), (spans.running, "blue")):
        for lane, a, b in rows:
            ax.barh(lane, max(b - a, 1e-4), left=a, color=colour)
    fig.canvas.draw()
    return time.perf_counter() - began


def main() -> None:
    print("chart drawing time, seconds (draw + render to an Agg canvas)")
    print(f"  {'tasks':>5} {'spans':>8} {'steps':>7}  {'time view':>9}  {'step view':>9} "
          f"{'(first)':>8}  {'both':>6}   one artist per bar (time view)")
    for tasks, steps in ((100, 5), (1000, 5), (1000, 50)):   # about 1k, 10k, 100k spans
        trace = trace_with(tasks, steps)
        spans = collect_spans(trace)
        n = len(spans.running) + len(spans.ready) + len(spans.waiting)
        loop_steps = sum(len(t.steps) for t in trace.tasks)
        first = draw_step_view(trace)            # also sorts the trace's events, once
        ours = min(draw_ours(trace) for _ in range(3))
        step_view = min(draw_step_view(trace) for _ in range(3))
        both = min(draw_both(trace) for _ in range(3))
        line = (f"  {tasks:>5} {n:>8,} {loop_steps:>7,}  {ours:9.3f}  {step_view:9.3f} {first:8.3f}"
                f"  {both:6.3f}")
        if n <= 30_000:
            naive = draw_one_artist_per_bar(trace)
            line += f"   {naive:6.2f} ({naive / ours:5.1f}x the time view)"
        print(line)


if __name__ == "__main__":
    main()
