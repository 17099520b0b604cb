"""What a big run costs end to end: record + model, JSON, chart, peak memory.

    python benchmarks/million.py [--steps N]     (default 1,000,000 task steps)

1,000 tasks x N/1,000 sleep(0) on the virtual clock. Each stage is timed once
in a fresh process (peak memory is the process's own high-water mark, so
stages cannot hide in each other's), and printed beside the same program run
with plain asyncio in the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

STAGE = r"""
import asyncio, json, os, resource, sys, time
steps, stage, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
per_task = steps // 1000

async def worker():
    for _ in range(per_task):
        await asyncio.sleep(0)

async def main():
    await asyncio.gather(*(worker() for _ in range(1000)))

result = {}
began = time.perf_counter()
if stage == "plain":
    asyncio.run(main())
else:
    from helpers import run_traced
    trace = run_traced(main(), quiet=True)
    result["run_and_model"] = time.perf_counter() - began
    if stage == "json":
        from helpers.export import write_json
        began = time.perf_counter()
        write_json(trace, out)
        result["json"] = time.perf_counter() - began
        result["json_mb"] = os.path.getsize(out) / 1e6
    elif stage == "chart":
        began = time.perf_counter()
        trace.chart().png()
        result["chart"] = time.perf_counter() - began
result.setdefault("run_and_model", time.perf_counter() - began)
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def stage(steps: int, name: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", STAGE, str(steps), name, os.path.join(tmp, "t.json")],
                             capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    steps = parser.parse_args().steps
    plain = stage(steps, "plain")
    model = stage(steps, "model")
    as_json = stage(steps, "json")
    chart = stage(steps, "chart")
    print(f"{steps:,} task steps (1,000 tasks x {steps // 1000:,} sleep(0)), virtual clock")
    print(f"  plain asyncio run          {plain['run_and_model']:7.2f} s   peak {plain['peak_mb']:6.0f} MB")
    print(f"  traced run + model         {model['run_and_model']:7.2f} s   peak {model['peak_mb']:6.0f} MB"
          f"   ({model['run_and_model'] / plain['run_and_model']:.1f}x the plain run)")
    print(f"  JSON                       {as_json['json']:7.2f} s   {as_json['json_mb']:6.0f} MB on disk"
          f"   peak {as_json['peak_mb']:6.0f} MB")
    print(f"  chart (PNG)                {chart['chart']:7.2f} s                  peak {chart['peak_mb']:6.0f} MB")


if __name__ == "__main__":
    main()
