"""A live chart on a real kernel: several frames while it runs, the complete chart last."""

from __future__ import annotations

import base64
import hashlib

from jupyter_client.manager import start_new_kernel

CELLS = [
    "import asyncio, base64, hashlib\nfrom helpers import trace",
    "async def worker(s):\n    await asyncio.sleep(s)\n"
    "async def main():\n    await asyncio.gather(worker(0.6), worker(1.2))\n"
    "t = await trace(main(), live=True)",
    "print(hashlib.sha256(t.chart().png()).hexdigest())",
]


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
    assert len(updates) >= 5, kinds                       # ~10 a second over 1.2 s, idle time allowing
    texts = {m["content"]["data"]["text/plain"] for m in live if "data" in m["content"]}
    assert texts == {"<live Gantt chart of main()>"}       # constant: a re-run compares equal
    last = base64.b64decode(updates[-1]["content"]["data"]["image/png"])
    printed = [m["content"]["text"].strip() for m in digest if m["msg_type"] == "stream"]
    assert printed == [hashlib.sha256(last).hexdigest()]  # the last frame is t.chart() exactly
