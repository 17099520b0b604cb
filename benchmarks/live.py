"""What does drawing live cost a demo? Ratio of wall times, measured in this run.

    python benchmarks/live.py

A demo paced at real time (virtual clock, speed=1.0: 12 tasks, 3 s) runs with
and without the live chart. Both sides end by drawing the complete chart once
(a non-live cell shows it afterwards too), so the ratio is what the frames
drawn *during* the run add. Frames go to a display handle that drops them:
the cost measured is drawing, not the notebook's transport.
"""

from __future__ import annotations

import asyncio
import time

from helpers import run_traced
from helpers.draw.live import LiveChart
from helpers.model import build_trace
from helpers.record.loop import TracingLoop
import helpers.draw.live as live_module


class _DroppedHandle:
    def update(self, *args, **kwargs) -> None:
        pass


async def demo() -> None:
    async def worker(seconds: float) -> None:
        for _ in range(3):
            await asyncio.sleep(seconds)

    await asyncio.gather(*(worker(0.1 + i * 0.08) for i in range(12)))


def run(live: bool) -> tuple[float, int]:
    loop = TracingLoop("virtual", speed=1.0)
    view = None
    began = time.perf_counter()
    if live:
        live_module.display = lambda *a, **k: _DroppedHandle()   # no notebook here
        view = LiveChart(loop.recorder, "virtual", "demo", loop_lane=False, now=loop.shown_time)
        loop.on_frame = view.frame
    try:
        loop.run_until_complete(demo())
    finally:
        loop.close()
    trace = build_trace(loop.recorder, "virtual")
    if view is not None:
        view.finish(trace)
    else:
        trace.chart().png()
    return time.perf_counter() - began, (view.frames if view else 0)


def main() -> None:
    run_traced(demo(), quiet=True).chart().png()          # warm up matplotlib
    plain = [run(False)[0] for _ in range(3)]
    drawn = [run(True) for _ in range(3)]
    best_plain = min(plain)
    best_live, frames = min(drawn)
    print("live chart overhead on a 3 s demo paced at real time")
    print(f"  without live view: {best_plain:.3f} s; with it: {best_live:.3f} s ({frames} frames)"
          f"  ->  ratio {best_live / best_plain:.3f}x")


if __name__ == "__main__":
    main()
