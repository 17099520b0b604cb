"""Runs that cannot go on: a deadlock, tasks waiting on each other, a run that never ends.

Each is told in a learner's words, naming the tasks and what they wait on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .recorder import Recorder


class Deadlock(RuntimeError):
    """Every unfinished task waits on something nothing can resolve any more."""

    def __init__(self, at: float, waiting: list[tuple[str, str]], cycles: list[str] | None = None) -> None:
        self.at = at
        self.waiting = waiting
        self.cycles = cycles or []
        lines = [f"Deadlock at {at:.2f} s: every task is waiting and nothing is left that could wake one up"
                 " (no timer, no thread job, no other task)."]
        lines += [f"  {name} waits on {what}" for name, what in waiting]
        lines += [f"  {cycle}" for cycle in self.cycles]
        remedies = list(dict.fromkeys(r for _, what in waiting for r in _remedies(what)))
        lines.append("The waiting tasks were cancelled so the run could end. Something has to resolve what they"
                     " wait on: " + ", ".join(remedies or GENERIC_REMEDIES) + ", or a timeout.")
        super().__init__("\n".join(lines))


# What resolves a wait, by the words the chart uses for it (a wait on another task: that task ending).
REMEDIES = {
    "Future pending": "set_result() on the Future", "Queue.get": "put() on the Queue",
    "Queue.put": "get() from the Queue", "Queue.join": "task_done() for every item taken from the Queue",
    "Event.wait": "set() on the Event", "Lock.acquire": "release() of the Lock by the task that holds it",
    "Semaphore.acquire": "release() of the Semaphore", "Condition.wait": "notify() on the Condition",
    "Barrier.wait": "more tasks at the Barrier",
}
GENERIC_REMEDIES = ["set_result() on the Future", "put() on the Queue", "set() on the Event"]


def _remedies(what: str) -> list[str]:
    what = what.split(", timeout")[0].split(" on ")[0]   # "Lock.acquire on a (held by Task-2)"
    if what.startswith("StreamReader."):
        return ["data (or the end of the stream) from the other side of the connection"]
    return [REMEDIES[what]] if what in REMEDIES else []


class Runaway(RuntimeError):
    """A virtual-clock run went past its limit of steps or seconds: it looks like it never ends."""

    def __init__(self, at: float, steps: int, by_steps: bool, waiting: list[tuple[str, str]]) -> None:
        self.at = at
        self.steps = steps
        option = "max_steps" if by_steps else "max_time"
        lines = [f"Stopped at {at:.2f} s of virtual time, after {steps:,} steps: this program looks like it never ends"
                 " (a loop such as `while True: await asyncio.sleep(1)`). On the virtual clock it would"
                 " run flat out forever, so the run was stopped and its tasks cancelled."]
        lines += [f"  {name} was waiting on {on}" for name, on in waiting]
        lines.append(f"If it is meant to run this long, raise the limit: trace(..., {option}=...),"
                     " or trace it on the real clock (clock='real') and stop it with the interrupt button.")
        super().__init__("\n".join(lines))


def waits_graph(rec: Recorder) -> list[tuple[int, ...]]:
    """Cycles of live tasks each waiting on the next (directly, or through gather)."""
    edges: dict[int, list[int]] = {}
    for tid in range(len(rec.tasks)):
        task = rec.task(tid)
        if task is None or task.done():
            continue
        targets = []
        for awaited in _awaited_tasks(task._fut_waiter):
            other = rec.task_id(awaited)
            if other is not None and not awaited.done():
                targets.append(other)
        if targets:
            edges[tid] = targets
    cycles: list[tuple[int, ...]] = []
    for start in edges:
        path = [start]
        _follow(edges, path, cycles)
    return cycles


def _follow(edges: dict[int, list[int]], path: list[int], cycles: list[tuple[int, ...]]) -> None:
    for nxt in edges.get(path[-1], ()):
        if nxt == path[0]:
            if path[0] == min(path):   # each cycle once, told from its smallest task id
                cycles.append(tuple(path))
        elif nxt not in path and nxt > path[0] and len(path) < 50:
            path.append(nxt)
            _follow(edges, path, cycles)
            path.pop()


def _awaited_tasks(awaited: Any) -> list[Any]:
    if awaited is None:
        return []
    if isinstance(awaited, asyncio.Task):
        return [awaited]
    return [c for c in getattr(awaited, "_children", ()) or () if isinstance(c, asyncio.Task)]


def describe_cycle(rec: Recorder, cycle: tuple[int, ...]) -> str:
    """``Task-2 waits on Task-3, which waits on Task-2``."""
    names = [rec.names[t] for t in cycle] + [rec.names[cycle[0]]]
    return f"{names[0]} waits on " + ", which waits on ".join(names[1:])
