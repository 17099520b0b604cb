"""What a task waits on, in a learner's words: ``sleep(2)``, ``Task-3``, ``Queue.get``, ``gather(...)``.

The recorder stores a *token* for what a suspended task waits on (`Recorder.token`)
and the chain of coroutines it is suspended in; these turn both into words. Used
by the model, and by the loop when it reports a deadlock.
"""

from __future__ import annotations

from typing import Any

from .record.recorder import ASYNCIO_DIR, Recorder, seconds_text

# asyncio's own coroutines that a learner recognises by name when a task waits inside them.
_WAIT_NAMES = {
    "Queue.get": "Queue.get", "Queue.put": "Queue.put", "Lock.acquire": "Lock.acquire",
    "Event.wait": "Event.wait", "Condition.wait": "Condition.wait",
    "Semaphore.acquire": "Semaphore.acquire", "Barrier.wait": "Barrier.wait",
    "wait": "asyncio.wait", "_wait": "asyncio.wait", "as_completed": "as_completed",
    "TaskGroup.__aexit__": "TaskGroup", "TaskGroup._aexit": "TaskGroup",
}




def describe_token(rec: Recorder, token: Any, chain_id: int | None) -> str:
    """Say in a learner's words what a suspended task waits on (see `Recorder.token`)."""
    inner = _innermost_asyncio_name(rec.chain_codes[chain_id]) if chain_id is not None else ""
    guard = None
    if type(token) is tuple and token[0] == "timeout":
        _, token, guard = token
    if token is None:
        text = "yield to loop"
    elif inner == "wait_for":  # 3.12+ awaits the inner task itself, 3.11 a private future
        text = f"wait_for({rec.names[token]})" if type(token) is int else "wait_for"
    elif inner in _WAIT_NAMES:
        text = _WAIT_NAMES[inner]
    else:
        text = _object_words(rec, token)
        if text == "Future pending" and chain_id is not None:
            text = _asyncio_entry(rec.chain_codes[chain_id]) or text
    if guard is not None:
        text += f", timeout {seconds_text(guard)} s"
    return text


def _object_words(rec: Recorder, token: Any) -> str:
    if type(token) is int:
        return rec.names[token]
    if type(token) is tuple:
        if token[0] == "gather":
            return "gather(" + ", ".join(_object_words(rec, c) for c in token[1]) + ")"
        return _object_words(rec, token[1])  # a timeout around one of gather's children
    return str(token)


def _innermost_asyncio_name(codes: tuple[Any, ...]) -> str:
    for code in reversed(codes):
        if code.co_filename.startswith(ASYNCIO_DIR):
            name = code.co_qualname
            if name in _WAIT_NAMES or name in ("wait_for", "sleep", "to_thread"):
                return name
    return ""


def _asyncio_entry(codes: tuple[Any, ...]) -> str:
    """The asyncio coroutine the program called, when a task waits on an anonymous Future inside it:
    ``Queue.join``, ``StreamReader.readline``, ``StreamWriter.drain``, ``loop.sock_recv`` ..."""
    for code in codes:
        if code.co_filename.startswith(ASYNCIO_DIR):
            owner, _, name = code.co_qualname.rpartition(".")
            return f"loop.{name}" if owner.endswith("EventLoop") else code.co_qualname
    return ""


def learner_chain(codes: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(c.co_qualname.rsplit(".<locals>.", 1)[-1] for c in codes
                 if not c.co_filename.startswith(ASYNCIO_DIR))
