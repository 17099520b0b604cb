"""How long does the Gantt chart take to draw 1k, 10k and 100k spans?

    python benchmarks/drawing.py

Each size is a real trace (tasks doing sleep(0) in a loop), drawn to an Agg
canvas. The baseline, measured in the same run, is the obvious way: one
``barh`` artist per bar (skipped at 100k, where it takes minutes).
"""

from __future__ import annotations

import asyncio
import time

from matplotlib.figure import Figure

from helpers import run_traced
from helpers.draw.gantt import collect_spans, draw_gantt


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
    print("chart drawing time (draw + render to an Agg canvas)")
    for tasks, steps in ((100, 5), (1000, 5), (1000, 50)):   # about 1k, 10k, 100k spans
        trace = trace_with(tasks, steps)
        spans = collect_spans(trace)
        n = len(spans.running) + len(spans.ready) + len(spans.waiting)
        ours = min(draw_ours(trace) for _ in range(3))
        line = f"  {tasks:>5} tasks, {n:>7,} spans: {ours:6.3f} s"
        if n <= 30_000:
            naive = draw_one_artist_per_bar(trace)
            line += f"   (one artist per bar: {naive:6.2f} s, {naive / ours:5.1f}x slower)"
        print(line)


if __name__ == "__main__":
    main()
