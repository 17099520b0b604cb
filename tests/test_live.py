"""A live chart on a real kernel: several frames while it runs, the complete chart last (and, for
where nothing runs, a filmstrip)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from jupyter_client.manager import start_new_kernel

CELLS = [
    "import asyncio, base64, hashlib\nfrom helpers import trace",
    "async def worker(s):\n    await asyncio.sleep(s)\n"
    "async def main():\n    await asyncio.gather(worker(1.5), worker(3.0))\n"
    "t = await trace(main(), live=True)",
    "print(hashlib.sha256(t.chart().png()).hexdigest())\nprint(hashlib.sha256(t.filmstrip().png()).hexdigest())",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run_cells(cells):
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        per_cell = []
        for source in cells:
            msg_id = client.execute(source)
            messages = []
            while True:
                msg = client.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
                messages.append(msg)
            per_cell.append(messages)
        return per_cell
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_live_chart_sends_frames_and_ends_on_the_complete_chart():
    _, live, digest = run_cells(CELLS)
    kinds = [m["msg_type"] for m in live]
    assert kinds.count("display_data") == 1
    updates = [m for m in live if m["msg_type"] == "update_display_data"]
    assert len(updates) >= 5, kinds                       # ~10 a second over 3 s, idle time allowing
    shown = [m for m in live if m["msg_type"] in ("display_data", "update_display_data")]
    texts = {m["content"]["data"]["text/plain"] for m in shown}
    assert texts == {"<live Gantt chart of main()>"}       # constant: a re-run compares equal
    frames, last = updates[:-1], updates[-1]["content"]["data"]
    printed = "".join(m["content"]["text"] for m in digest if m["msg_type"] == "stream").split()
    chart, still = printed                                  # t.chart(), t.filmstrip()
    # Where nothing runs (a stored notebook, GitHub, nbviewer): the filmstrip, not the chart again.
    assert hashlib.sha256(base64.b64decode(last["image/png"])).hexdigest() == still != chart
    # Where widgets run: the last frame is t.chart() exactly, in an image widget.
    [opened] = [m for m in live if m["msg_type"] == "comm_open"
                and m["content"]["comm_id"] == last[WIDGET_VIEW]["model_id"]]
    assert opened["content"]["data"]["state"]["_model_name"] == "ImageModel"
    [final] = [bytes(b) for b in opened["buffers"]]
    assert hashlib.sha256(final).hexdigest() == chart
    # every frame is drawn at the final chart's pixel size: the page does not jump when the run ends
    sizes = {png_size(base64.b64decode(m["content"]["data"]["image/png"])) for m in frames}
    assert sizes == {png_size(final)}


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_the_time_axis_stays_put_while_now_travels_across_it():
    """The run's end is known from its last timer (3 s): the axis is fixed, the dashed line moves."""
    _, live, _ = run_cells(CELLS)
    frames = [m["content"]["metadata"]["helpers/live"] for m in live
              if m["msg_type"] == "update_display_data" and "helpers/live" in m["content"]["metadata"]]
    assert len(frames) >= 4, frames
    assert len({tuple(f["xlim"]) for f in frames}) == 1, frames      # one axis for every frame
    x0, x1 = frames[0]["xlim"]
    assert x0 < 0 and 3.0 <= x1 < 3.2                                  # room left of 0; ends at the run's end
    nows = [f["now"] for f in frames]
    assert nows == sorted(nows) and nows[-1] - nows[0] > 1.5, nows    # "now" moves across it
    assert all(x0 <= now <= x1 for now in nows)


def test_without_known_end_the_axis_grows_in_steps(monkeypatch):
    """On the real clock nothing tells when the run ends: the axis doubles when now reaches it."""
    import helpers.draw.live as live

    monkeypatch.setattr(live, "display", lambda *a, **k: None)
    chart = live.LiveChart(recorder=None, clock="real", name="main", loop_lane=True, now=lambda: 0.0)
    assert [chart.axis_end(now) for now in (0.1, 0.9, 1.3, 1.9, 2.5, 7.0)] == [1, 1, 2, 2, 4, 8]


REPLAY_CELLS = [
    "import asyncio\nfrom helpers import run_traced",
    "async def job(i):\n    await asyncio.sleep(1 + i)\n"
    "async def main():\n    await asyncio.gather(*(job(i) for i in range(6)))\n"
    "t = run_traced(main(), quiet=True)",
    "t.replay()",
]


def test_a_long_replay_shows_progress_while_it_draws_then_only_the_player():
    ipywidgets = pytest.importorskip("ipywidgets")
    _, _, shown = run_cells(REPLAY_CELLS)
    kinds = [m["msg_type"] for m in shown]
    [result] = [m for m in shown if m["msg_type"] == "execute_result"]
    assert result["content"]["data"]["text/plain"] == (
        "<replay of Trace: 7 tasks, 6.00 s on the virtual clock: 14 steps>")
    if not hasattr(ipywidgets, "Stack"):   # ipywidgets 7: each frame is drawn when first shown, no wait
        assert "display_data" not in kinds
        return
    [bar] = [m for m in shown if m["msg_type"] == "display_data"]
    assert bar["content"]["data"]["text/plain"] == "drawing the replay's frames: 0 of 14"
    assert "application/vnd.jupyter.widget-view+json" in bar["content"]["data"]
    cleared = [m for m in shown if m["msg_type"] == "update_display_data"]
    assert [m["content"]["data"] for m in cleared] == [{"text/plain": ""}]   # the bar is gone
    assert kinds.index("update_display_data") < kinds.index("execute_result")
