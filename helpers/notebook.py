"""Jupyter-side help: nest_asyncio2 with an explanation, and plain words for common mistakes.

Imported by `helpers` inside an IPython kernel, it teaches IPython two things:
a cell whose value is a coroutine object says that nothing ran yet, and the
"cannot be called from a running event loop" error says why and what to do.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from .record.frames import hide_own_frames, without_own_frames

RUNNING_LOOP_ERRORS = ("cannot be called from a running event loop", "This event loop is already running")

EXPLAIN_RUNNING_LOOP = """\
Why: Jupyter's kernel already runs an event loop (事件循环) in this thread, and asyncio.run()
(or loop.run_until_complete()) wants to start one of its own. One thread runs one loop at a time.
What to do in a notebook:
  * await main()                    top-level await: the kernel's loop runs it
  * await trace(main())             the course's way: runs it on its own loop and draws it
  * with tracing(): asyncio.run(main())   keep the line as written, traced
  * allow_asyncio_run()             apply nest_asyncio2, after which asyncio.run() works here"""


def allow_asyncio_run(quiet: bool = False) -> None:
    """Apply nest_asyncio2 so that ``asyncio.run(...)`` works inside a notebook cell.

    nest_asyncio2 (a maintained community fork of the archived nest_asyncio, with the
    same API) makes the kernel's running loop *re-entrant*: ``asyncio.run``
    then runs the coroutine on the kernel's own loop instead of refusing.
    """
    import nest_asyncio2

    nest_asyncio2.apply()
    if not quiet:
        print("nest_asyncio2 applied. It patched:\n"
              "  * asyncio.run: runs the coroutine on the loop that is already running\n"
              "    (the kernel's) instead of raising RuntimeError; it no longer makes a new loop,\n"
              "    cancels leftover tasks, shuts down async generators or closes the loop;\n"
              "  * that loop's run_until_complete / run_forever / _run_once: they may now be called\n"
              "    while the loop is running, one run nested inside another, so other tasks can run\n"
              "    inside what looks like a plain call;\n"
              "  * up to Python 3.13, asyncio.Task and asyncio.Future: replaced by their pure-Python\n"
              "    versions (from 3.14 on, asyncio's own classes stay, and the current task is swapped\n"
              "    around each callback instead).\n"
              "The patch lasts until the kernel restarts.")


def _describe_coroutine(coro: Any, printer: Any, cycle: bool) -> None:
    name = coro.__qualname__.rsplit(".<locals>.", 1)[-1]
    state = {inspect.CORO_CREATED: "nothing in it has run yet",
             inspect.CORO_SUSPENDED: "it is paused at an await",
             inspect.CORO_RUNNING: "it is running",
             inspect.CORO_CLOSED: "it has already run to its end"}[inspect.getcoroutinestate(coro)]
    if name == "trace" and coro.cr_code.co_filename.endswith(("helpers/run.py", "helpers\\run.py")):
        # the course's own trace(...), called without await: name the learner's coroutine inside
        inner = (coro.cr_frame.f_locals.get("main") if coro.cr_frame is not None else None)
        shown = f"{getattr(inner, '__qualname__', 'main').rsplit('.<locals>.', 1)[-1]}()"
        printer.text(f"<coroutine object trace> ({state}: trace({shown}) only makes a plan, like any"
                     f" coroutine function. Run it with `await trace({shown})`.)")
        return
    printer.text(f"<coroutine object {name}> ({state}: a coroutine object is a plan, not a run."
                 f" Run it with `await {name}(...)` or `await trace({name}(...))`.)")


def _show_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> Any:
    """Every error of a cell: the learner's frames (and asyncio's), not the course's own."""
    if isinstance(value, RuntimeError) and any(text in str(value) for text in RUNNING_LOOP_ERRORS):
        # The frames are asyncio's own, not the learner's: the one line and an explanation.
        shell.showtraceback((etype, value, tb), exception_only=True)
        print(EXPLAIN_RUNNING_LOOP)
        return None
    hide_own_frames(value)
    shell.showtraceback((etype, value, without_own_frames(tb) or tb), tb_offset=tb_offset)
    return None


def current_shell() -> Any:
    """The IPython shell this code runs in, or None (without importing IPython outside one)."""
    ipython = sys.modules.get("IPython")  # inside a kernel it is loaded already
    return ipython.get_ipython() if ipython is not None else None


def teach_ipython(shell: Any = None) -> bool:
    """Register the explanations with IPython; False outside IPython."""
    shell = shell or current_shell()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/plain"]
    formatter.for_type(types.CoroutineType, _describe_coroutine)
    shell.set_custom_exc((Exception,), _show_error)
    return True


__all__ = ["allow_asyncio_run", "teach_ipython"]
