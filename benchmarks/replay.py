"""What does replay() cost on a big run? Time and memory, 200 and 2,000 tasks.

    python benchmarks/replay.py                    # this checkout
    python benchmarks/replay.py --against DIR      # and another checkout, with the ratios

Each size is a real trace: ``gather`` of N jobs that sleep twice (3N + 2 loop steps).
What is measured is what a notebook does to show ``t.replay()``: make the player
and its widget (moments, captions, every kept frame drawn, and its filmstrip for
where widgets do not run). The filmstrip alone is then timed against the final
chart, drawn in the same process. Each measure runs in
a fresh process: the time (best of two), then, in another process, the peak
memory the replay adds (tracemalloc, which slows Python down, so it is not timed),
and how many moments were built. DIR is another checkout of the course, e.g.
``git worktree add /tmp/before HEAD~3``. Prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (200, 2000)

MEASURE = r"""
import asyncio, json, sys, time, tracemalloc
from helpers import run_traced
from helpers.replay import moments

async def job(i):
    await asyncio.sleep(1 + i % 7)
    await asyncio.sleep(0.5)

async def main(n):
    await asyncio.gather(*(job(i) for i in range(n)))

n, what = int(sys.argv[1]), sys.argv[2]
trace = run_traced(main(n), quiet=True)
trace.chart().png()                      # matplotlib warmed up, fonts cached
steps = sum(len(t.steps) for t in trace.tasks)

def show():
    player = trace.replay()
    player._repr_mimebundle_()           # what the notebook does: the widget, every kept frame drawn
    return player

if what == "time":
    best = None
    for _ in range(2):
        began = time.perf_counter()
        show()
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    print(json.dumps({"seconds": best, "steps": steps}))
elif what == "filmstrip":                # the still a replay or a live chart leaves, against the chart
    def best_of_two(draw):
        times = []
        for _ in range(2):
            began = time.perf_counter()
            draw()
            times.append(time.perf_counter() - began)
        return min(times)
    chart = best_of_two(lambda: trace.chart().png())
    still = best_of_two(lambda: trace.filmstrip().png())
    tracemalloc.start()
    strip = trace.filmstrip()
    strip.png()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"seconds": still, "chart": chart, "peak_mb": peak / 2**20, "built": len(strip.moments),
                      "steps": steps}))
else:
    tracemalloc.start()
    player = show()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    built = getattr(player, "built", None)
    if built is None:                     # before the lazy walk every moment of the run was built
        built = len(moments(trace))
    print(json.dumps({"peak_mb": peak / 2**20, "built": built, "kept": len(player.moments)}))
"""


def measure(checkout: str, n: int, what: str) -> dict:
    env = dict(os.environ, PYTHONPATH=checkout, MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, "-c", MEASURE, str(n), what], env=env, cwd=checkout,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="another checkout of the course, to compare with")
    args = parser.parse_args()
    checkouts = [("this checkout", ROOT)] + ([("against", os.path.abspath(args.against))] if args.against else [])
    results = {}
    print("replay() shown in a notebook: player + widget (every kept frame drawn)")
    for label, path in checkouts:
        for n in SIZES:
            r = {**measure(path, n, "time"), **measure(path, n, "memory")}
            results[label, n] = r
            print(f"  {label:14} {n:5} tasks ({r['steps']} steps): {r['seconds']:6.2f} s,"
                  f" peak +{r['peak_mb']:7.1f} MB, {r['built']} moments built for {r['kept']} kept")
    print("filmstrip (t.filmstrip(), the picture a player or a live chart leaves), this checkout")
    for n in SIZES:
        r = measure(ROOT, n, "filmstrip")
        print(f"  {n:5} tasks ({r['steps']} steps): {r['seconds']:6.2f} s, {r['seconds'] / r['chart']:.1f}x the"
              f" final chart's {r['chart']:.2f} s, peak +{r['peak_mb']:6.1f} MB, {r['built']} moments built")
    if args.against:
        for n in SIZES:
            now, then = results["this checkout", n], results["against", n]
            print(f"  {n:5} tasks: time {now['seconds'] / then['seconds']:.2f}x,"
                  f" memory {now['peak_mb'] / then['peak_mb']:.2f}x,"
                  f" moments built {now['built'] / then['built']:.3f}x of the other checkout's")


if __name__ == "__main__":
    main()
