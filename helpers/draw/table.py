"""The trace as text: one line per event, in the order the loop lived them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Trace

_VERBS = {"created": "created", "ready": "ready", "runs": "runs", "waits": "waits on",
          "finished": "finished"}


def event_table(trace: "Trace", limit: int = 200) -> str:
    """A fixed-width table of events: time, task, what happened."""
    width = max([len(t.name) for t in trace.tasks] + [4])
    lines = [f"{'time':>7}  {'task':<{width}}  event"]
    for event in trace.events[:limit]:
        task = trace.tasks[event.task].name
        text = _VERBS[event.kind] + (f" {event.detail}" if event.detail else "")
        if event.kind == "runs":
            woken = trace.tasks[event.task].steps[event.step].woken_by
            text += f" (step {event.step + 1}, woken by {woken})" if event.step else ""
        lines.append(f"{event.time:7.2f}  {task:<{width}}  {text}")
    if len(trace.events) > limit:
        lines.append(f"... {len(trace.events) - limit} more events")
    if trace.deadlock:
        lines.append(trace.deadlock.splitlines()[0])
    return "\n".join(lines)
