"""How much does recording cost? Ratios traced/untraced, measured in this run.

    python benchmarks/overhead.py [--repeat N]

Workloads (each side runs `repeat` times, alternating; the median of the pairs' ratios is shown):
  switch   1,000 tasks x 100 sleep(0): a task switch per step, the worst case
  timers   1,000 tasks x 20 sleeps of varied lengths (virtual clock both sides)
  queue    100 producer/consumer pairs passing 200 items each through Queues
           plus 100 Futures resolved by other tasks

For switch and queue, the baseline is plain asyncio (its own loop, no
recorder); for timers it is the same virtual-clock loop with recording off,
since a real loop would spend the time sleeping.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc

from helpers.model import build_trace
from helpers.record.loop import TracingLoop
from helpers.record.recorder import WIDTH

TASKS = 1000


async def switch():
    async def worker():
        for _ in range(100):
            await asyncio.sleep(0)
    await asyncio.gather(*(worker() for _ in range(TASKS)))


async def timers():
    async def worker(i):
        for j in range(20):
            await asyncio.sleep(((i * 7 + j * 13) % 50) / 1000)
    await asyncio.gather(*(worker(i) for i in range(TASKS)))


async def queue():
    async def producer(q):
        for i in range(200):
            await q.put(i)
        await q.put(None)

    async def consumer(q):
        while await q.get() is not None:
            pass

    async def resolver(fut):
        await asyncio.sleep(0)
        fut.set_result(1)

    loop = asyncio.get_running_loop()
    pairs = []
    for _ in range(100):
        q: asyncio.Queue = asyncio.Queue(maxsize=10)
        pairs += [producer(q), consumer(q)]
    futs = [loop.create_future() for _ in range(100)]
    await asyncio.gather(*pairs, *(resolver(f) for f in futs), *futs)


def run_plain(workload) -> float:
    loop = asyncio.new_event_loop()
    try:
        began = time.perf_counter()
        loop.run_until_complete(workload())
        return time.perf_counter() - began
    finally:
        loop.close()


def run_on_tracing_loop(workload, record: bool) -> tuple[float, TracingLoop]:
    loop = TracingLoop("virtual")
    if not record:
        loop.recorder = None
    try:
        began = time.perf_counter()
        loop.run_until_complete(workload())
        return time.perf_counter() - began, loop
    finally:
        loop.close()


def paired(repeat: int, baseline, traced) -> tuple[float, float, float]:
    """Alternate baseline and traced runs; the median of the per-pair ratios (robust to a busy machine)."""
    base, rec = [], []
    for _ in range(repeat):
        gc.collect()
        base.append(baseline())
        gc.collect()
        rec.append(traced())
    ratios = sorted(r / b for r, b in zip(rec, base))
    return ratios[len(ratios) // 2], min(base), min(rec)


def bytes_per_event() -> tuple[float, int]:
    gc.collect()
    tracemalloc.start()
    _, loop = run_on_tracing_loop(switch, record=True)
    with_log, _ = tracemalloc.get_traced_memory()
    events = len(loop.recorder.log) // WIDTH
    loop.recorder.log.clear()
    gc.collect()
    without_log, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (with_log - without_log) / events, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    repeat = parser.parse_args().repeat

    print(f"recording overhead ({repeat} alternating pairs; ratio = median of traced / baseline)")
    rows = [
        ("switch 1000x100 sleep(0)", lambda: run_plain(switch),
         lambda: run_on_tracing_loop(switch, True)[0], "plain asyncio"),
        ("switch, loop hooks only", lambda: run_plain(switch),
         lambda: run_on_tracing_loop(switch, False)[0], "plain asyncio"),
        ("timers 1000x20 sleeps", lambda: run_on_tracing_loop(timers, False)[0],
         lambda: run_on_tracing_loop(timers, True)[0], "virtual loop, recording off"),
        ("queue + futures", lambda: run_plain(queue),
         lambda: run_on_tracing_loop(queue, True)[0], "plain asyncio"),
    ]
    for name, baseline, traced, against in rows:
        ratio, base, rec = paired(repeat, baseline, traced)
        print(f"  {name:<28} {ratio:5.2f}x   (best {rec * 1000:7.1f} ms vs {base * 1000:7.1f} ms, {against})")

    _, loop = run_on_tracing_loop(switch, True)
    began = time.perf_counter()
    build_trace(loop.recorder, "virtual")
    build = time.perf_counter() - began
    per_event, events = bytes_per_event()
    print(f"memory: {per_event:.0f} bytes per recorded event ({events:,} events, switch workload)")
    print(f"building the trace model afterwards: {build * 1000:.0f} ms for {events:,} events")


if __name__ == "__main__":
    main()
