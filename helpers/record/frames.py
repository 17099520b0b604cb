"""Keep the course's own frames out of the learner's tracebacks.

An exception raised in a traced task passes through the recorder's proxy on
its way out; untraced, those frames would not be there. Taking them out makes
a traced program's traceback the one it prints untraced.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

HELPERS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASYNCIO_DIR = os.path.dirname(os.path.abspath(asyncio.__file__))


def hide_own_frames(exc: BaseException | None, _seen: set[int] | None = None) -> None:
    """Unlink the helpers' frames from `exc`'s traceback (and its causes, contexts, group members)."""
    seen = set() if _seen is None else _seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = without_own_frames(exc.__traceback__)
        for member in getattr(exc, "exceptions", ()) or ():
            if isinstance(member, BaseException):
                hide_own_frames(member, seen)
        if exc.__cause__ is not None:
            hide_own_frames(exc.__cause__, seen)
        exc = exc.__context__


def without_own_frames(tb: Any) -> Any:
    """The traceback `tb` with the helpers' frames unlinked (None if nothing else is left).

    asyncio's frames that the helpers called (``run_until_complete`` driving the
    traced run) go too: untraced, ``await main()`` has no such frame.
    """
    head = None
    last = None
    called_by_us = False
    while tb is not None:
        nxt = tb.tb_next
        filename = tb.tb_frame.f_code.co_filename
        own = filename.startswith(HELPERS_DIR) or (called_by_us and filename.startswith(ASYNCIO_DIR))
        called_by_us = own
        if not own:
            if last is None:
                head = tb
            else:
                last.tb_next = tb
            last = tb
        tb = nxt
    if last is not None:
        last.tb_next = None
    return head
