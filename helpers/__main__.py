"""``python -m helpers trace PROGRAM.py [options] [-- ARGS]``: run an ordinary asyncio script traced.

The script runs as ``__main__`` with ``asyncio.run`` and ``asyncio.Runner``
traced (see `tracing`). Its stdout is left exactly as it is untraced, so it can
still be piped; the CLI's own notes go to stderr after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import runpy
import sys
import warnings

from .model import Trace
from .record.frames import hide_own_frames
from .explain import explain_ending
from .intercept import RunStopped, Runs, tracing

DEADLOCK, RUNAWAY, NO_RUN, INTERRUPTED, USAGE = 3, 4, 5, 130, 2
EPILOG = """\
output: the program's own output is untouched (its stdout is byte for byte what it prints
untraced; its traceback or sys.exit message goes to stderr, as Python prints it). The CLI's
notes (event table, summary, explanations) go to stderr after the run; --quiet drops them.

exit status:
  0    the program ended normally
  N    the program called sys.exit(N)
  1    the program raised an exception, or called sys.exit("message")
  2    usage: a bad option, no such PROGRAM.py or output folder, or the program asks for
       an event loop of its own (loop_factory=..., uvloop), which cannot be traced
  3    deadlock: every task waited and nothing could wake one (the program stops there)
  4    runaway: on the virtual clock the program looked endless and was stopped there
  5    the program never called asyncio.run() (or asyncio.Runner): nothing to trace
  130  interrupted (Ctrl-C): the trace up to then is still written
"""


def _speed(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number (1.0 = real time)")
    return value


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The options, and PROGRAM.py's own arguments (after ``--``), which argparse must not see."""
    help_ = dict(epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.splitlines()[0], **help_)
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("trace", help="run PROGRAM.py under the recorder and write its trace",
                              usage="python -m helpers trace PROGRAM.py [options] [-- ARGS...]", **help_)
    cmd.add_argument("program", metavar="PROGRAM.py", help="an asyncio script that calls asyncio.run(...) itself")
    cmd.add_argument("--clock", choices=("virtual", "real"), default="virtual",
                     help="virtual (default): timers fire at once, times are exact; real: the wall clock")
    cmd.add_argument("--speed", type=_speed, default=None,
                     help="virtual clock only: also wait in real time (1.0 = real time)")
    cmd.add_argument("--json", metavar="OUT.json", help="write the trace as JSON")
    cmd.add_argument("--chrome", metavar="OUT.json", help="write a Chrome trace (opens in Perfetto)")
    cmd.add_argument("--png", metavar="OUT.png", help="draw the Gantt chart to a PNG file")
    cmd.add_argument("--quiet", action="store_true",
                     help="no event table, summary or explanations (the program's output stays)")
    script_args = argv[argv.index("--") + 1:] if "--" in argv else []
    return parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv), script_args


def _run_program(path: str, clock: str, speed: float | None) -> tuple[int, BaseException | None, Runs]:
    """Run the script as Python would; its exit status, what to show of its ending, and its runs."""
    ending: BaseException | None = None
    with tracing(clock, speed, quiet=True, stop=True) as runs:
        try:
            runpy.run_path(os.path.abspath(path), run_name="__main__")   # as `python PROGRAM.py` names it
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            ending = None if isinstance(exc.code, int) or exc.code is None else exc
        except RunStopped as exc:   # untraced, the program would hang here
            status = DEADLOCK if exc.trace.deadlock else RUNAWAY
        except KeyboardInterrupt as exc:
            status, ending = INTERRUPTED, exc
        except BaseException as exc:
            status, ending = 1, exc
    return status, ending, runs


def _show_ending(ending: BaseException, path: str) -> None:
    """A sys.exit message, or the traceback with the program's frames only (not runpy's, not ours)."""
    if isinstance(ending, SystemExit):
        print(ending.code, file=sys.stderr)
        return
    hide_own_frames(ending)
    tb = ending.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != os.path.abspath(path):
        tb = tb.tb_next   # runpy's frames, above the program's
    if getattr(ending, "__notes__", None):   # the notebook's pointer to last_trace(): no use here
        ending.__notes__ = [n for n in ending.__notes__ if not n.startswith("(helpers: the trace")]
    ending.__traceback__ = tb
    sys.excepthook(type(ending), ending, tb)


def _report(runs: Runs, quiet: bool) -> None:
    """The event table of the last run, its summary, and what went wrong in words: all on stderr."""
    if quiet:
        return
    trace = runs[-1]
    print(trace.table(), trace.summary(), sep="\n", file=sys.stderr)
    if len(runs) > 1:
        print(f"helpers trace: the program ran asyncio.run() {len(runs)} times;"
              " the table and the files show the last run.", file=sys.stderr)
    for each in runs:
        explain_ending(each, file=sys.stderr)
    if trace.runaway:
        print("On the command line: trace it with --clock real, and stop it with Ctrl-C.", file=sys.stderr)
    policy = type(getattr(asyncio.events, "_event_loop_policy", None))
    if not policy.__module__.startswith(("asyncio", "builtins")):   # uvloop.install(), say
        print(f"Note: the program set the event loop policy {policy.__module__}.{policy.__name__};"
              " it was traced on asyncio's own loop, the one the recorder can read.", file=sys.stderr)


def _write(trace: "Trace", options: argparse.Namespace) -> None:
    from .export import write_chrome, write_json, write_png
    if options.json:
        write_json(trace, options.json)
    if options.chrome:
        write_chrome(trace, options.chrome)
    if options.png:
        write_png(trace, options.png, loop_lane=True)


def _missing(options: argparse.Namespace) -> str | None:
    """Checked before the program runs, so that it does not run in vain."""
    if not os.path.isfile(options.program):
        return f"no such file: {options.program}"
    for out in (options.json, options.chrome, options.png):
        if out and not os.path.isdir(os.path.dirname(os.path.abspath(out))):
            return f"no such folder for {out}"
    return None


def main(argv: list[str] | None = None) -> int:
    options, script_args = _parse(sys.argv[1:] if argv is None else argv)
    missing = _missing(options)
    if missing:
        print(f"helpers trace: {missing}", file=sys.stderr)
        return USAGE
    sys.argv = [options.program, *script_args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(options.program)))
    status, ending, runs = _run_program(options.program, options.clock, options.speed)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()   # the program's output before the notes, on a terminal
    try:
        if runs.refused:
            print(f"helpers trace: {runs.refused}", file=sys.stderr)
            warnings.filterwarnings("ignore", "coroutine .* was never awaited")   # ours, not the program's
            return USAGE
        if not runs and status == 0:
            print("helpers trace: the program never called asyncio.run() (or asyncio.Runner),"
                  " so there is nothing to trace.", file=sys.stderr)
            status = NO_RUN
        if runs:
            _report(runs, options.quiet)
            _write(runs[-1], options)
    except OSError as exc:
        print(f"helpers trace: cannot write {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        status = status or USAGE
    except KeyboardInterrupt:   # Ctrl-C while writing: every file is whole or not there
        return INTERRUPTED
    if ending is not None:
        _show_ending(ending, options.program)
    return status


if __name__ == "__main__":
    sys.exit(main())
