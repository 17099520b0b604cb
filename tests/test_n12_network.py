"""Notebook 12's exercises, checked against the learner's likely mistakes, with the notebook's own code.

Each test takes the definitions from the notebook's cells (everything above the cell's first
`... = await trace(...)`), changes the part a learner writes, runs it traced on real sockets on
127.0.0.1 and asks the checker: a mistake gets a "Not yet" that names what the chart shows, the
fix a "Solved". The servers are those of the notebook: each stops before its run ends.
"""

from __future__ import annotations

import pathlib
import re
import textwrap

import nbformat
import pytest

from helpers import run_traced
from helpers.exercises import check

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "12_network_io.ipynb"
TRACED = re.compile(r"^\w+ = await trace\(", re.M)


def definitions(*cell_ids: str) -> dict:
    """A namespace with the code of these cells, up to their first traced run."""
    cells = {c.get("id"): c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells}
    namespace: dict = {}
    for cell_id in ("imports", *cell_ids):
        source = cells[cell_id]
        found = TRACED.search(source)
        exec(compile(source[:found.start()] if found else source, f"<{cell_id}>", "exec"), namespace)
    return namespace


def redefine(namespace: dict, code: str) -> None:
    exec(compile(textwrap.dedent(code), "<learner>", "exec"), namespace)


# ---------------------------------------------------------------- 12-stock-check

def test_stock_check_reading_until_the_end_times_out_and_readline_solves_it():
    ns = definitions("ex-stock")
    starter = check("12-stock-check", run_traced(ns["stock_check"](), quiet=True))
    assert not starter and "when the timeout" in starter.message and "read()" in starter.message
    redefine(ns, """
        async def ask(reader, writer, fruit):
            writer.write(f"{fruit}\\n".encode())
            await writer.drain()
            return (await reader.readline()).decode().strip()
    """)
    fixed = run_traced(ns["stock_check"](), quiet=True)
    assert fixed.result == ["5", "0", "12"]
    assert check("12-stock-check", fixed)


# ---------------------------------------------------------------- 12-fifty-pages

FETCH_FIFTY = """
    async def fetch_fifty(session):
        limit = asyncio.Semaphore({limit})

        async def one(n):
            async with limit:
                try:
                    async with asyncio.timeout({timeout}):
                        return await fetch_page(session, n)
                except TimeoutError:
                    return None

        return await asyncio.gather(*(one(n) for n in range(50)))
"""


@pytest.mark.parametrize("limit, timeout, words", [
    (50, 0.5, "ran at once"),          # no real limit: 50 at once
    (5, 2.0, "What could stop waiting"),  # no per-page timeout that bites: the slow pages take 1 s
    (5, 0.5, None),                    # the solution
])
def test_fifty_pages(limit, timeout, words):
    ns = definitions("http-setup", "ex-fifty")
    redefine(ns, FETCH_FIFTY.format(limit=limit, timeout=timeout))
    verdict = check("12-fifty-pages", run_traced(ns["shop"](), resources=True, quiet=True))
    if words is None:
        assert verdict, verdict
    else:
        assert not verdict and words in verdict.message, verdict


def test_fifty_pages_starter_asks_what_to_start():
    ns = definitions("http-setup", "ex-fifty")
    verdict = check("12-fifty-pages", run_traced(ns["shop"](), quiet=True))
    assert not verdict and "no fetch_page() ran" in verdict.message and verdict.message.endswith("?")


# ---------------------------------------------------------------- 12-read-the-wake-ups

@pytest.fixture(scope="module")
def visits():
    return run_traced(definitions("visits")["two_visitors"](), quiet=True)


@pytest.mark.parametrize("answer, passes", [
    ({"first greeted": "ben", "at": 0.2, "its server woken by": "timer"}, True),
    ({"first greeted": "Ben", "at": "0.2 s", "its server woken by": "its timer"}, True),
    ({"first greeted": "ann", "at": 0.2, "its server woken by": "timer"}, False),
    ({"first greeted": "ben", "at": 0.4, "its server woken by": "timer"}, False),
    ({"first greeted": "ben", "at": 0.2, "its server woken by": "socket readable"}, False),
    ({"first greeted": ..., "at": ..., "its server woken by": ...}, False),
])
def test_read_the_wake_ups(visits, answer, passes):
    verdict = check("12-read-the-wake-ups", visits, answer)
    assert bool(verdict) is passes, verdict
    if not passes:
        assert "?" in verdict.message


def test_the_visitors_are_woken_by_the_selector_and_their_servers_by_timers(visits):
    """What the exercise asks the learner to read is what the recorder saw, at exact times."""
    lanes = {t.name: t for t in visits.tasks}
    assert [s.woken_by for s in lanes["ben"].steps if s.start > 0] == ["socket readable", "itself"]
    assert [round(s.start, 9) for s in lanes["ben"].steps if s.woken_by == "socket readable"] == [0.2]
    assert lanes["server for ben"].steps[2].woken_by == "timer"
    assert lanes["server for ann"].steps[2].start == pytest.approx(0.4, abs=1e-9)


def test_fifty_pages_that_never_finish_are_given_up_after_5_s_with_words_not_a_hang():
    """A permit taken and never given back: the five first pages, then every other task waits on
    Semaphore.acquire while the server listens (no deadlock the helpers could see): shop()'s own
    5 s limit ends it, and the checker says so."""
    ns = definitions("http-setup", "ex-fifty")
    redefine(ns, """
        async def fetch_fifty(session):
            limit = asyncio.Semaphore(5)

            async def one(n):
                await limit.acquire()                   # never released
                try:
                    async with asyncio.timeout(0.5):
                        return await fetch_page(session, n)
                except TimeoutError:
                    return None

            return await asyncio.gather(*(one(n) for n in range(50)))
    """)
    verdict = check("12-fifty-pages", run_traced(ns["shop"](), resources=True, quiet=True))
    assert not verdict and "shop() gave up" in verdict.message and "5.00 s" in verdict.message, verdict
