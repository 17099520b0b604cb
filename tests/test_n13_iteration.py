"""Notebook 13's checkers against the mistakes a learner makes, and what they rest on.

The checkers read lanes and waits: the ``async_generator_athrow()`` lane that the loop's finalizer
hook makes for an abandoned async generator, and the ``sleep(...)`` labels inside the generator's
body (the helpers draw no coroutine rows inside an async generator).
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from helpers import run_traced, watch
from helpers.exercises import check

BOOK = ["a quiet morning", "rain at noon", "the lost key", "a key found", "home again"]


async def fetch(number):
    await asyncio.sleep(1)
    return BOOK[number - 1]


async def book_pages():
    try:
        for number in range(1, len(BOOK) + 1):
            yield await fetch(number)
    finally:
        await asyncio.sleep(0.5)                # hang up


async def find_closed(word):
    async with aclosing(book_pages()) as pages:
        async for page in pages:
            if word in page:
                return page


async def find_left(word):                      # the generator left to the loop's finalizer hook
    async for page in book_pages():
        if word in page:
            return page


def verdict(name, program, *answers):
    return check(name, run_traced(program, quiet=True), *answers, hint=2)


def test_first_match_wants_the_hang_up_in_the_readers_task():
    assert verdict("13-first-match", find_closed("key"))
    left = verdict("13-first-match", find_left("key"))
    assert not left and "async_generator_athrow()" in left.message and "aclosing" in left.fix


def test_an_abandoned_generator_is_closed_in_a_task_of_its_own_after_the_readers_step():
    printed = []

    async def stream():
        try:
            for n in range(5):
                await asyncio.sleep(1)
                yield n
        finally:
            printed.append(("closed", asyncio.current_task().get_name()))

    async def reader():
        async for n in stream():
            break
        printed.append(("after the loop", asyncio.current_task().get_name()))
        await asyncio.sleep(1)

    trace = run_traced(reader(), quiet=True)
    assert printed == [("after the loop", "Task-1"), ("closed", "Task-2")]
    assert [t.coroutine for t in trace.tasks] == ["reader", "async_generator_athrow"]
    assert trace.tasks[1].started == 1.0


class Ledger:
    def __init__(self):
        self.rows = []
        self.lock = watch(asyncio.Lock(), "ledger.lock")


async def open_ledger():
    ledger = Ledger()
    await asyncio.sleep(0.5)
    ledger.rows = [120, -40, 75, -300, 60]
    return ledger


async def entries(ledger):
    async with ledger.lock:
        for row in ledger.rows:
            await asyncio.sleep(1)
            yield row


async def audit(close):
    ledger = await open_ledger()
    balance = 0
    rows = entries(ledger)
    async for row in rows:
        balance += row
        if balance < 0:
            break
    if close:
        await rows.aclose()
    async with ledger.lock:
        await asyncio.sleep(0.5)
    return balance


def test_audit_deadlock_asks_who_holds_the_lock_then_accepts_the_closed_generator():
    stuck = verdict("13-audit-deadlock", audit(close=False))
    assert not stuck and "deadlock at 4.50 s" in stuck.message and "held by Task-1" in stuck.message
    assert verdict("13-audit-deadlock", audit(close=True))


def test_when_closed_rejects_another_program():
    async def other():
        await asyncio.sleep(1)

    answer = {"A": (1, "new task"), "B": (2, "reader"), "C": (4, "shutdown")}
    assert not verdict("13-when-closed", other(), answer)
