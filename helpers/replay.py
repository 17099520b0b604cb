"""Step through a trace one loop step at a time: what the loop knew at each moment.

`moments(trace)` replays the trace's events in the loop's own order and takes a
snapshot at every task step: which task runs, the ready queue behind it (in
order), every waiting task and what it waits on, the timers still pending with
their due times, the wake-ups this step causes, and a one-line caption in
plain words. The replay player (`helpers.draw.player`) draws these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Trace, WakeLink

_SLEEP = re.compile(r"^sleep\(([0-9.e+-]+)\)$")


@dataclass
class Moment:
    """The loop at the start of one step."""
    index: int
    time: float
    task: int                              # id of the task that runs this step
    step: int                              # which step of that task
    running: str                           # its name
    ready: list[str]                       # the ready queue behind it, first in line first
    waiting: list[tuple[str, str]]         # (task, what it waits on), in creation order
    timers: list[tuple[float, str]]        # (due time, "Task-2 sleep(3)"), soonest first
    finished: list[str]                    # tasks done by now
    wakes: list[WakeLink] = field(default_factory=list)   # wake-ups this step causes
    steps_begun: list[int] = field(default_factory=list)  # per task id: steps begun so far, this one included
    caption: str = ""


def moments(trace: Trace) -> list[Moment]:
    """One `Moment` per task step, in the order the loop ran them."""
    names = [t.name for t in trace.tasks]
    ready: list[int] = []
    waiting: dict[int, str] = {}
    timers: dict[int, tuple[float, str]] = {}
    finished: list[int] = []
    begun = [0] * len(trace.tasks)
    result: list[Moment] = []
    for event in trace.events:
        tid = event.task
        if event.kind == "ready":
            if tid not in ready:
                ready.append(tid)
            waiting.pop(tid, None)
            timers.pop(tid, None)
        elif event.kind == "runs":
            if tid in ready:
                ready.remove(tid)
            waiting.pop(tid, None)
            timers.pop(tid, None)
            begun[tid] = event.step + 1
            result.append(Moment(
                index=len(result), time=event.time, task=tid, step=event.step, running=names[tid],
                ready=[names[r] for r in ready],
                waiting=[(names[w], what) for w, what in sorted(waiting.items())],
                timers=sorted((due, f"{names[w]} {label}") for w, (due, label) in timers.items()),
                finished=[names[f] for f in finished],
                wakes=[l for l in trace.links if l.waker == tid and l.waker_step == event.step],
                steps_begun=list(begun)))
        elif event.kind == "waits":
            waiting[tid] = event.detail
            delay = _SLEEP.match(event.detail)
            if delay:
                timers[tid] = (event.time + float(delay.group(1)), event.detail)
        elif event.kind == "finished":
            finished.append(tid)
    for now, after in zip(result, result[1:] + [None]):
        now.caption = _caption(trace, now, after)
    return result


def _caption(trace: Trace, now: Moment, after: Moment | None) -> str:
    task = trace.tasks[now.task]
    step = task.steps[now.step]
    by = {"timer": "its timer", "thread job": "its thread job"}.get(step.woken_by, step.woken_by)
    woken = f", woken by {by}," if now.step > 0 and step.woken_by not in ("", "itself") else ""
    if step.waits_on == "yield to loop":
        what = f"{now.running}{woken} runs, then yields to the loop: it goes to the back of the ready queue"
    elif step.waits_on:
        what = f"{now.running}{woken} runs until it awaits {step.waits_on}: it leaves the loop"
    else:
        outcome = task.outcome or "its end"
        what = f"{now.running}{woken} runs to its end ({outcome})"
    if now.wakes:
        what += "; that wakes " + ", ".join(trace.tasks[l.woken].name for l in now.wakes)
    if after is None:
        return what + ". Nothing is left to run: the loop's work is done."
    if after.time > now.time + 1e-9:
        return what + (f". Nothing is ready, so the loop waits until {after.time:.2f} s,"
                       f" when {after.running} can go on.")
    return what + f", and the loop picks {after.running} from the ready queue."
