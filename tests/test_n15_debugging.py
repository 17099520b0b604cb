"""Notebook 15: its shown-not-run samples stay true, and its checkers tell answers apart.

The notebook shows what `asyncio.print_call_graph()` and `python -m asyncio pstree PID` print as
samples recorded on Python 3.14 (the course runs on 3.11 too, where neither exists). On 3.14 and
later this test runs the script the notebook shows and compares, ids, paths and asyncio's own line
numbers aside.
"""

from __future__ import annotations

import asyncio
import pathlib
import re
import subprocess
import sys
import time

import nbformat
import pytest

from helpers import run_traced, watch
from helpers.exercises import check

NOTEBOOK = pathlib.Path(__file__).parent.parent / "notebooks" / "15_debugging_testing.ipynb"


def comparable(text: str) -> list[str]:
    """A call graph's lines with what differs between machines and versions taken out."""
    text = re.sub(r"id=0x[0-9a-f]+", "id=...", text)
    text = re.sub(r"'[^']*/asyncio/(\w+\.py)', line \d+", r"'asyncio/\1', line ...", text)
    text = re.sub(r"\S*/asyncio/(\w+\.py):\d+", r"asyncio/\1:...", text)
    text = re.sub(r"[^\s']*/settle_up\.py", "settle_up.py", text)
    return [line.rstrip() for line in text.strip().splitlines()]


def notebook_samples() -> tuple[str, str, str]:
    """The script, its call graph sample and its pstree sample, as the notebook shows them."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = next(c.source for c in nb.cells if c.get("id") == "watchdog-why")
    script = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    graph, tree = re.findall(r"```text\n(.*?)```", text, re.S)
    return script, graph, tree


@pytest.mark.skipif(sys.version_info < (3, 14), reason="print_call_graph() and pstree are new in 3.14")
def test_the_call_graph_samples_are_what_python_prints(tmp_path):
    script, graph, tree = notebook_samples()
    path = tmp_path / "settle_up.py"
    path.write_text(script)
    hung = subprocess.Popen([sys.executable, "-u", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2)                                 # the watchdog prints after 1 s, then ends
        pstree = subprocess.run([sys.executable, "-m", "asyncio", "pstree", str(hung.pid)],
                                capture_output=True, text=True, timeout=30)
    finally:
        hung.kill()
        printed, _ = hung.communicate(timeout=30)
    assert comparable(printed) == comparable(graph)
    if pstree.returncode != 0:
        pytest.skip(f"pstree may not read another process here: {pstree.stderr.strip()[-200:]}")
    assert comparable(pstree.stdout) == comparable(tree)


# ---------------------------------------------------------------- the checkers


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self.lock = watch(asyncio.Lock(), f"{owner}'s account")


async def transfer(payer, payee, amount):
    async with payer.lock:
        await asyncio.sleep(0.1)
        async with payee.lock:
            payer.balance -= amount
            payee.balance += amount


async def settle_debts():
    ann, ben, cat = Account("ann", 50), Account("ben", 50), Account("cat", 50)
    try:
        async with asyncio.timeout(1):
            async with asyncio.TaskGroup() as payments:
                for payer, payee in [(ann, ben), (ben, cat), (cat, ann)]:
                    payments.create_task(transfer(payer, payee, 10),
                                         name=f"{payer.owner}-pays-{payee.owner}")
    except TimeoutError:
        pass


def test_who_waits_on_whom_tells_accounts_from_tasks():
    debts = run_traced(settle_debts(), quiet=True)
    right = {"ann-pays-ben waits for": "ben-pays-cat", "ben-pays-cat waits for": "cat-pays-ann",
             "cat-pays-ann waits for": "ann-pays-ben", "waiting from": "0.1 s"}
    assert check("15-who-waits-on-whom", debts, right)
    accounts = dict(right, **{"ann-pays-ben waits for": "ben's account"})
    verdict = check("15-who-waits-on-whom", debts, accounts)
    assert not verdict and "that is an account" in verdict.message and verdict.message.startswith("3 of")
    late = dict(right, **{"waiting from": 1})
    assert "At what time" in check("15-who-waits-on-whom", debts, late).message


def test_the_print_job_test_must_catch_each_broken_version():
    from helpers.exercises.n15_debugging import _PrintJob, _spin

    async def wait_for_print(seconds=5):
        job = _PrintJob(seconds)
        spinner = asyncio.create_task(_spin(), name="spinner")
        try:
            while await job.status() != "done":
                await asyncio.sleep(2)
        finally:
            spinner.cancel()
        return "printed"

    printed = run_traced(wait_for_print(), quiet=True)

    def only_time(t):
        assert t.duration == 6

    verdict = check("15-test-the-print-job", printed, only_time)
    assert not verdict and "forgets to cancel the spinner" in verdict.message
    assert "gives up after three tries" in verdict.message and "every second" not in verdict.message

    def wrong(t):
        assert t.duration == 5

    assert "failed on the trace of wait_for_print() as given" in check("15-test-the-print-job", printed,
                                                                     wrong).message

    def whole(t):
        assert t.result == "printed" and t.duration == 6 and not t.leftovers

    assert check("15-test-the-print-job", printed, whole)
