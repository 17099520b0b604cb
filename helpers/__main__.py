"""``python -m helpers trace PROGRAM.py [options] [-- ARGS]``: run an ordinary asyncio script traced.

The script runs as ``__main__`` with ``asyncio.run`` traced (see `tracing`);
its trace is printed as a table and written as JSON, a Chrome trace or a PNG.
Exit status: the script's own on an exception (1), 3 on a deadlock, else 0.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback

from .run import tracing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("trace", help="run PROGRAM.py under the recorder and write its trace")
    cmd.add_argument("program", help="an asyncio script that calls asyncio.run(...) itself")
    cmd.add_argument("--clock", choices=("virtual", "real"), default="virtual")
    cmd.add_argument("--speed", type=float, default=None,
                     help="virtual clock only: also wait in real time (1.0 = real time)")
    cmd.add_argument("--json", metavar="OUT.json", help="write the trace as JSON")
    cmd.add_argument("--chrome", metavar="OUT.json", help="write a Chrome trace (opens in Perfetto)")
    cmd.add_argument("--png", metavar="OUT.png", help="draw the Gantt chart to a PNG file")
    cmd.add_argument("--quiet", action="store_true", help="do not print the event table")
    argv = sys.argv[1:] if argv is None else argv
    script_args = argv[argv.index("--") + 1:] if "--" in argv else []   # PROGRAM.py's own arguments
    options = parser.parse_args(argv[:len(argv) - len(script_args) - (1 if script_args else 0)])

    if not os.path.isfile(options.program):
        print(f"helpers trace: no such file: {options.program}", file=sys.stderr)
        return 2
    sys.argv = [options.program, *script_args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(options.program)))
    status = 0
    with tracing(options.clock, options.speed) as traces:
        try:
            runpy.run_path(options.program, run_name="__main__")
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            status = 1
    if not traces:
        print("helpers trace: the program never called asyncio.run(), so there is nothing to trace.",
              file=sys.stderr)
        return status or 2
    if len(traces) > 1:
        print(f"helpers trace: the program called asyncio.run() {len(traces)} times;"
              " writing the last run.", file=sys.stderr)
    trace = traces[-1]
    if not options.quiet:
        print(trace.table(), file=sys.stderr)
        print(trace.summary(), file=sys.stderr)
    from .export import write_chrome, write_json
    if options.json:
        write_json(trace, options.json)
    if options.chrome:
        write_chrome(trace, options.chrome)
    if options.png:
        trace.chart(loop_lane=True).save(options.png)
    if trace.deadlock and status == 0:
        status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
