"""Questions a checker asks of a trace, in the words of the chart."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace
    from . import Verdict


def tasks_running(trace: "Trace", coroutine: str) -> list["TaskTrace"]:
    """The tasks whose own coroutine is `coroutine` (e.g. "download")."""
    return [t for t in trace.tasks if t.coroutine == coroutine]


def calls_of(trace: "Trace", coroutine: str) -> list[tuple[float, float]]:
    """(start, end) of every run of `coroutine`, as its own task or awaited inside another.

    A run inside another task is found from the steps whose coroutine chain
    contains `coroutine`: it starts at the first such step and ends at the next
    step that no longer has it. Known limit: the recorder keeps the chain's code,
    not the coroutine objects, so two calls awaited back to back inside one task
    read as one run; use the runs for overlaps, not for counting.
    """
    runs: list[tuple[float, float]] = []
    for task in trace.tasks:
        if task.coroutine == coroutine:
            if task.started is not None and task.finished is not None:
                runs.append((task.started, task.finished))
            continue
        began = None
        for step in task.steps:
            inside = coroutine in step.coroutines[1:]
            if inside and began is None:
                began = step.start
            elif not inside and began is not None:
                runs.append((began, step.start))
                began = None
        if began is not None and task.finished is not None:
            runs.append((began, task.finished))
    return runs


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that overlap at one instant (open intervals)."""
    edges = sorted([(a, 1) for a, b in intervals if b > a] + [(b, -1) for a, b in intervals if b > a])
    best = current = 0
    for _, delta in edges:
        current += delta
        best = max(best, current)
    return best


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def blank(value: Any) -> bool:
    """An answer not written yet: the starter's None or ``...``."""
    return value is None or value is Ellipsis


def quoted(value: Any, unit: str = "") -> str:
    """A learner's answer, quoted back: 4 -> "4 s" (unit " s"), "four" -> "'four'"."""
    found = number(value)
    return f"{found:g}{unit}" if found is not None else repr(value)


def unanswered(answer: Any, keys: Iterable[str], question: str, fix: str) -> "Verdict | None":
    """A read-the-chart exercise's first "Not yet" while `my_answer` still has a blank (None if none):
    the question again, so that the learner looks at the chart before being told."""
    from . import not_yet
    if not isinstance(answer, dict) or any(blank(answer.get(key)) for key in keys):
        return not_yet("my_answer still has ... where an answer goes. " + question, fix)
    return None


def number(value: Any) -> float | None:
    """A number a learner wrote: 4, 4.0, "4", "4 s", "4 seconds" (None if it is not one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        found = float(value)
    elif isinstance(value, str):
        text = value.lower().replace("seconds", "").replace("second", "").replace("s", "").strip()
        try:
            found = float(text)
        except ValueError:
            return None
    else:
        return None
    return found if math.isfinite(found) else None
