"""Write a `Trace` to files: the course's JSON format and Chrome's trace format.

JSON (documented in the README): ``{"clock", "duration", "tasks": [...]}``;
each task has name, created, started, finished, outcome and steps of
``{"start", "end", "waits_on"}`` (plus a few extras). The Chrome trace event
format opens in Perfetto or chrome://tracing: one row per task.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from typing import TYPE_CHECKING, Any, Callable

from .model import paused_gc

if TYPE_CHECKING:
    from .model import Trace


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 9)


@paused_gc
def trace_to_json(trace: "Trace") -> dict[str, Any]:
    return {
        "clock": trace.clock,
        "duration": _seconds(trace.duration),
        "deadlock": trace.deadlock,
        "runaway": trace.runaway,
        "interrupted": _seconds(trace.interrupted),
        "stuck": [{"since": _seconds(since), "tasks": [trace.tasks[t].name for t in cycle]}
                  for since, cycle in trace.stuck],
        "real_time": [[_seconds(a), _seconds(b)] for a, b in trace.real_time],
        "tasks": [{
            "name": t.name,
            "coroutine": t.coroutine,
            "created_by": t.created_by,
            "created": _seconds(t.created),
            "started": _seconds(t.started),
            "finished": _seconds(t.finished),
            "outcome": t.outcome,
            "detail": t.detail,
            "destroyed": _seconds(t.destroyed),
            "unseen_start": t.unseen_start,
            "steps": [{"start": _seconds(s.start), "end": _seconds(s.end), "waits_on": s.waits_on,
                       "ready": _seconds(s.ready), "woken_by": s.woken_by,
                       "coroutines": list(s.coroutines),
                       "real_duration": _seconds(s.real_duration), "seq": s.seq,
                       "late": _seconds(s.late)} for s in t.steps],
        } for t in trace.tasks],
        "links": [{"from": trace.tasks[l.waker].name, "from_step": l.waker_step,
                   "to": trace.tasks[l.woken].name, "to_step": l.woken_step,
                   "time": _seconds(l.time), "direct": l.direct} for l in trace.links],
    }


@paused_gc
def trace_to_chrome(trace: "Trace") -> dict[str, Any]:
    """Chrome trace events: complete events ("X") for steps, waits and ready spans."""
    us = 1e6
    events: list[dict[str, Any]] = [{"ph": "M", "name": "process_name", "pid": 1,
                                     "args": {"name": f"asyncio ({trace.clock} clock)"}}]
    for t in trace.tasks:
        tid = t.id + 1
        events.append({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid, "args": {"name": t.label}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": 1, "tid": tid, "args": {"sort_index": tid}})
        previous = None
        for i, s in enumerate(t.steps):
            if previous is not None:
                events.append({"ph": "X", "name": f"waits on {previous.waits_on}", "cat": "waiting",
                               "pid": 1, "tid": tid, "ts": previous.end * us,
                               "dur": max(s.ready - previous.end, 0) * us})
            if s.start > s.ready:
                events.append({"ph": "X", "name": "ready", "cat": "ready", "pid": 1, "tid": tid,
                               "ts": s.ready * us, "dur": (s.start - s.ready) * us})
            events.append({"ph": "X", "name": f"step {i + 1}", "cat": "running", "pid": 1, "tid": tid,
                           "ts": s.start * us, "dur": max(s.end - s.start, 0) * us,
                           "args": {"coroutines": " > ".join(s.coroutines), "woken_by": s.woken_by}})
            previous = s
        if t.finished is not None:
            events.append({"ph": "i", "s": "t", "name": f"{t.outcome} {t.detail}".strip(),
                           "pid": 1, "tid": tid, "ts": t.finished * us})
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def write_json(trace: "Trace", path: str) -> None:
    # compact, and no indent: then json uses its C encoder (a million steps: seconds, not tens)
    _write_atomically(path, _encode(json.dumps(trace_to_json(trace), separators=(",", ":"), ensure_ascii=False)))


def write_chrome(trace: "Trace", path: str) -> None:
    _write_atomically(path, _encode(json.dumps(trace_to_chrome(trace))))


def _encode(text: str) -> bytes:
    """UTF-8, with a name that is not valid Unicode (``"caf\\udce9"``, a surrogate escape) kept as
    the JSON escape ``\\udce9``: valid JSON, read back as the same string, and never a crash."""
    return text.encode("utf-8", errors="backslashreplace")


def write_file(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(temporary path)``, then put the file at `path` in one step: never a truncated file."""
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.tmp{os.path.splitext(name)[1]}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def write_png(trace: "Trace", path: str, **options: Any) -> None:
    """The Gantt chart as a PNG (or any format matplotlib knows by the file's suffix)."""
    def fine(text: str) -> bool:
        return _encode(text) == text.encode("utf-8", errors="surrogatepass")
    if not all(fine(t.name) and fine(t.coroutine) for t in trace.tasks):
        trace = _printable(trace)   # matplotlib cannot draw a lone surrogate: show it as \\udce9
    write_file(path, trace.chart(**options).save)


def _printable(value: Any) -> Any:
    """A copy of `value` with every string's invalid characters as backslash escapes."""
    if isinstance(value, str):
        return _encode(value).decode("utf-8")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _printable(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if type(value) in (list, tuple):
        return type(value)(_printable(v) for v in value)
    return value


def _write_atomically(path: str, data: bytes) -> None:
    def write(temporary: str) -> None:
        with open(temporary, "wb") as f:
            f.write(data)
    write_file(path, write)
