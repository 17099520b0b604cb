"""The chart, the table, the files and the command line."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

from matplotlib.collections import PolyCollection

from helpers import run_traced
from helpers.draw.gantt import collect_spans, draw_gantt


async def worker(seconds):
    await asyncio.sleep(seconds)
    return seconds


async def two_tasks():
    a = asyncio.create_task(worker(2))
    b = asyncio.create_task(worker(3))
    await asyncio.sleep(5)
    return await a + await b


def test_spans_split_each_lane_into_running_ready_and_waiting():
    trace = run_traced(two_tasks())
    spans = collect_spans(trace)
    assert spans.running.shape == (6, 3)          # two steps per task
    waiting = {(int(l), a, b) for l, a, b in spans.waiting}
    assert waiting == {(0, 0.0, 5.0), (1, 0.0, 2.0), (2, 0.0, 3.0)}
    labels = sorted(text for *_, text in spans.waiting_labels)
    assert labels == ["sleep(2)", "sleep(3)", "sleep(5)"]
    cut = collect_spans(trace, upto=2.5)
    assert {(int(l), a, b) for l, a, b in cut.waiting} == {(0, 0.0, 2.5), (1, 0.0, 2.0), (2, 0.0, 2.5)}


def test_the_chart_draws_all_bars_of_a_kind_as_one_collection():
    async def many():
        await asyncio.gather(*(worker(i % 7 / 10) for i in range(1000)))

    trace = run_traced(many())
    fig = draw_gantt(trace, loop_lane=True, group=False)     # a lane per task (past 60 they are grouped)
    ax = fig.axes[0]
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polys) <= 4
    assert sum(len(c.get_paths()) for c in polys) >= 2000
    assert len(ax.get_yticks()) <= 60                # readable: not 1,001 labels
    assert len(ax.texts) < 10


def test_a_small_chart_labels_lanes_and_waits_and_renders_a_png():
    trace = run_traced(two_tasks())
    chart = trace.chart(loop_lane=True)
    ax = chart.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["event loop", "Task-1 two_tasks()",
                                                            "Task-2 worker()", "Task-3 worker()"]
    assert {t.get_text() for t in ax.texts} >= {"sleep(2)", "sleep(3)", "sleep(5)"}
    png = chart.png()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert repr(chart) == "<Gantt chart: Trace: 3 tasks, 5.00 s on the virtual clock>"


def test_the_table_reads_as_the_loop_lived_it():
    table = run_traced(two_tasks()).table().splitlines()
    assert table[0].split() == ["time", "task", "event"]
    assert table[1].split() == ["0.00", "Task-1", "created", "two_tasks()"]
    assert "   2.00  Task-2  finished result: 2" in table
    assert table[-1].split() == ["5.00", "Task-1", "finished", "result:", "5"]


def test_json_has_the_documented_fields(tmp_path):
    data = run_traced(two_tasks()).to_json()
    assert data["clock"] == "virtual" and data["duration"] == 5.0
    task = data["tasks"][1]
    assert {"name", "created", "started", "finished", "outcome", "steps"} <= set(task)
    assert task["steps"][0] == {**task["steps"][0], "start": 0.0, "end": 0.0, "waits_on": "sleep(2)"}
    assert task["steps"][-1]["waits_on"] == ""
    json.dumps(data)


def test_chrome_trace_has_one_row_per_task():
    events = run_traced(two_tasks()).to_chrome()["traceEvents"]
    names = [e["args"]["name"] for e in events if e.get("name") == "thread_name"]
    assert names == ["Task-1 two_tasks()", "Task-2 worker()", "Task-3 worker()"]
    waits = [e for e in events if e.get("cat") == "waiting"]
    assert sorted(e["dur"] for e in waits) == [2e6, 3e6, 5e6]


PROGRAM = textwrap.dedent("""
    import asyncio

    async def func(s):
        await asyncio.sleep(s)
        return s

    async def main():
        tasks = [asyncio.create_task(func(2)), asyncio.create_task(func(3))]
        await asyncio.sleep(5)
        done, pending = await asyncio.wait(tasks)
        print(sorted(t.result() for t in done))

    if __name__ == "__main__":
        asyncio.run(main())
""")


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "helpers", "trace", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def test_command_line_writes_json_chrome_and_png(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    out = run_cli(str(program), "--json", "t.json", "--chrome", "c.json", "--png", "t.png", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "[2, 3]\n"
    assert "Trace: 3 tasks, 5.00 s on the virtual clock" in out.stderr
    data = json.loads((tmp_path / "t.json").read_text())
    assert [(t["name"], t["finished"], t["outcome"]) for t in data["tasks"]] == [
        ("Task-1", 5.0, "result"), ("Task-2", 2.0, "result"), ("Task-3", 3.0, "result")]
    assert "traceEvents" in json.loads((tmp_path / "c.json").read_text())
    assert (tmp_path / "t.png").read_bytes().startswith(b"\x89PNG")


def test_command_line_reports_a_script_that_raises_and_one_that_deadlocks(tmp_path):
    (tmp_path / "raises.py").write_text("import asyncio\nasync def main():\n    raise OSError('disk')\n"
                                        "asyncio.run(main())\n")
    out = run_cli("raises.py", "--quiet", cwd=tmp_path)
    assert out.returncode == 1 and "OSError: disk" in out.stderr
    (tmp_path / "stuck.py").write_text("import asyncio\nasync def main():\n"
                                       "    await asyncio.get_running_loop().create_future()\n"
                                       "asyncio.run(main())\n")
    out = run_cli("stuck.py", "--clock", "real", cwd=tmp_path)   # notes on stderr: stdout is the program's
    assert out.returncode == 3 and "Deadlock at" in out.stderr and out.stdout == ""
    out = run_cli("missing.py", cwd=tmp_path)
    assert out.returncode == 2 and "no such file" in out.stderr
