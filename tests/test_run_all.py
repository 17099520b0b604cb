""""Run All" as JupyterLab does it: every cell of a notebook queued at once.

nbval sends one cell and waits for it before the next; a learner's Run All
queues them all. Some kernel patches (nest_asyncio 1.6 on Python 3.11+) hang
the kernel once a cell calling asyncio.run has cells queued behind it, which
only this way of running shows. Each notebook runs on a fresh kernel; every
cell must complete, and only cells tagged raises-exception may fail. Then each
exercise's solution (helpers/exercises/solutions/) runs in that kernel and must
be "Solved".
"""

from __future__ import annotations

import pathlib
import queue
import re
import time

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from helpers.exercises import solution_code

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TIMEOUT = 120


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_cell_completes_when_all_are_queued_at_once(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(path.parent))
    try:
        # stop_on_error=False, as for a cell tagged raises-exception in JupyterLab
        sent = {client.execute(c.source, stop_on_error=False): c for c in cells}
        replies: dict[str, str] = {}
        deadline = time.monotonic() + TIMEOUT
        while len(replies) < len(sent):
            left = deadline - time.monotonic()
            assert left > 0, (f"{path.name}: {len(sent) - len(replies)} of {len(sent)} cells never "
                              "completed: the kernel hangs under Run All")
            try:
                reply = client.get_shell_msg(timeout=left)
            except queue.Empty:
                continue  # the assertion above reports it
            msg_id = reply["parent_header"].get("msg_id")
            if msg_id in sent:
                replies[msg_id] = reply["content"]["status"]
        results = _results_by_request(client)
        for msg_id, status in replies.items():
            cell = sent[msg_id]
            tags = cell.metadata.get("tags", [])
            expected = "error" if "raises-exception" in tags else "ok"
            assert status == expected, f"{path.name}: cell {cell.get('id')} ended {status}:\n{cell.source}"
            # Every exercise's checker on its starter (wrong):
            if "exercise" in tags:
                assert results.get(msg_id, ["(no result)"])[-1].startswith("🔎 Not yet."), results.get(msg_id)
        # ... and on its solution, run in the same kernel after the whole notebook, as a learner would
        for name in exercises_of(nb):
            msg_id = client.execute(solution_code(name), stop_on_error=False)
            reply = client.get_shell_msg(timeout=TIMEOUT)
            assert reply["content"]["status"] == "ok", f"{path.name}: the solution of {name} fails"
            verdict = _results_by_request(client).get(msg_id, ["(no result)"])[-1]
            assert verdict.startswith("✅ Solved!"), f"{path.name}: the solution of {name}: {verdict}"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def exercises_of(nb) -> list[str]:
    """The exercises a notebook checks, in order."""
    return [re.search(r"""check\(\s*["']([^"']+)["']""", c.source).group(1) for c in nb.cells
            if "exercise" in c.metadata.get("tags", [])]


def _results_by_request(client) -> dict[str, list[str]]:
    """The text of every execute_result, by the request it answers (iopub drained)."""
    results: dict[str, list[str]] = {}
    while True:
        try:
            msg = client.get_iopub_msg(timeout=2)
        except queue.Empty:
            return results
        if msg["msg_type"] == "execute_result":
            results.setdefault(msg["parent_header"]["msg_id"], []).append(
                msg["content"]["data"].get("text/plain", ""))
