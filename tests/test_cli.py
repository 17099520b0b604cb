"""``python -m helpers trace``: each ending gets its documented exit status, the program's output is its own.

Every case runs the CLI for real, in a subprocess, on a script written to a
temporary folder; most compare it with the same script run untraced.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from helpers import tracing

ROOT = pathlib.Path(__file__).resolve().parent.parent
# PYTHONPATH decides which helpers the CLI runs (set it to check these tests against another checkout).
ENV = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(ROOT), "PYTHONIOENCODING": "utf-8"}
ENV.pop("PYTHONASYNCIODEBUG", None)


def write(folder: pathlib.Path, name: str, source: str) -> str:
    (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")
    return name


def traced(folder: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers", "trace", *args], cwd=folder, env=ENV,
                          capture_output=True, timeout=30)


def untraced(folder: pathlib.Path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, name, *args], cwd=folder, env=ENV, capture_output=True, timeout=60)


def text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


# --- stdout is the program's, byte for byte --------------------------------------------------

def test_stdout_is_byte_identical_to_the_untraced_run_and_the_notes_go_to_stderr(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio, sys, time

        async def main():
            print("héllo", sys.argv[1:])
            time.sleep(1.0)               # a stall: the CLI explains it, on stderr
            await asyncio.sleep(0.1)
            sys.stdout.buffer.write(b"\\xff raw bytes\\n")
            print("no newline at the end", end="")

        asyncio.run(main())
    """)
    plain = untraced(tmp_path, name, "a", "--b")
    out = traced(tmp_path, name, "--", "a", "--b")
    assert out.returncode == plain.returncode == 0, text(out.stderr)
    assert out.stdout == plain.stdout
    err = text(out.stderr)
    assert "Trace: 1 task, 0.10 s on the virtual clock" in err and "held the loop" in err


def test_quiet_drops_the_notes_but_keeps_the_programs_output_and_traceback(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio, sys

        async def main():
            print("to stdout")
            print("to stderr", file=sys.stderr)
            await asyncio.get_running_loop().create_future()

        asyncio.run(main())
    """)
    out = traced(tmp_path, name, "--quiet")
    assert out.returncode == 3
    assert out.stdout == b"to stdout\n" and out.stderr == b"to stderr\n"   # no table, summary, deadlock note
    name = write(tmp_path, "raises.py", """
        import asyncio
        async def main():
            print("before")
            raise OSError("disk")
        asyncio.run(main())
    """)
    out = traced(tmp_path, name, "--quiet")
    assert out.returncode == 1 and out.stdout == b"before\n"
    assert text(out.stderr).startswith("Traceback (most recent call last):\n")
    assert text(out.stderr).endswith("OSError: disk\n")


# --- exit status: one for each ending, as documented -----------------------------------------

ENDINGS = {
    "normal end": (0, "async def main():\n    await asyncio.sleep(1)\nasyncio.run(main())\n"),
    "sys.exit(7)": (7, "async def main():\n    sys.exit(7)\nasyncio.run(main())\n"),
    "sys.exit(message)": (1, "async def main():\n    sys.exit('bad thing')\nasyncio.run(main())\n"),
    "an exception": (1, "async def main():\n    raise KeyError('k')\nasyncio.run(main())\n"),
    "a deadlock": (3, "async def main():\n    await asyncio.Event().wait()\nasyncio.run(main())\n"
                      "print('after the deadlock')\n"),
    "a runaway": (4, "async def main():\n    while True:\n        await asyncio.sleep(1000)\n"
                     "asyncio.run(main())\nprint('after the runaway')\n"),
    "no event loop": (5, "print('only sync code')\n"),
}


@pytest.mark.parametrize("ending", ENDINGS)
def test_each_ending_has_its_exit_status(tmp_path, ending):
    status, body = ENDINGS[ending]
    name = write(tmp_path, "prog.py", "import asyncio, sys\n" + body)
    out = traced(tmp_path, name, "--json", "out.json")
    assert out.returncode == status, text(out.stderr)
    err = text(out.stderr)
    assert b"after the" not in out.stdout       # a hang stops the program where, untraced, it would hang
    if ending == "no event loop":
        assert out.stdout == b"only sync code\n" and "never called asyncio.run()" in err
    else:
        json.loads((tmp_path / "out.json").read_text())   # the trace is written whatever the ending
    if ending in ("sys.exit(message)", "an exception"):   # the program's ending comes last, after the notes
        assert err.endswith("bad thing\n" if ending == "sys.exit(message)" else "KeyError: 'k'\n"), err
    if ending == "a deadlock":
        assert "Deadlock at 0.00 s" in err and "Task-1 main() waits on Event.wait" in err
    if ending == "a runaway":
        assert "looks like it never ends" in err and "--clock real" in err


def test_sys_exit_with_a_message_shows_it_as_python_does(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio, sys
        async def main():
            sys.exit("bad thing: é")
        asyncio.run(main())
    """)
    plain = untraced(tmp_path, name)
    out = traced(tmp_path, name, "--quiet")
    assert (out.returncode, out.stdout, out.stderr) == (plain.returncode, b"", plain.stderr) == (1, b"", "bad thing: é\n".encode())


def test_a_traceback_shows_the_programs_frames_only(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio

        async def inner():
            raise ValueError("boom")

        async def main():
            await asyncio.sleep(0.01)
            await inner()

        asyncio.run(main())
    """)
    plain, out = untraced(tmp_path, name), traced(tmp_path, name, "--quiet")
    assert out.returncode == plain.returncode == 1

    def frames(err: bytes) -> list[str]:
        return re.findall(r'File "([^"]+)", line \d+, in (\S+)', text(err))

    ours = frames(out.stderr)
    assert [f for f in ours if "asyncio" not in f[0]] == [f for f in frames(plain.stderr) if "asyncio" not in f[0]]
    assert not [f for f in ours if "helpers" in f[0] or "runpy" in f[0]], text(out.stderr)
    assert text(out.stderr).endswith("ValueError: boom\n") and "last_trace" not in text(out.stderr)


def test_ctrl_c_stops_the_run_within_a_second_writes_the_trace_and_exits_130(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio

        async def tick():
            while True:
                await asyncio.sleep(0.05)

        async def main():
            task = asyncio.create_task(tick())
            await asyncio.sleep(0.2)
            print("started", flush=True)
            await task

        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "trace", name, "--clock", "real", "--json", "out.json"],
                            cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline() == b"started\n"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, text(stderr)
    assert elapsed < 2, elapsed
    data = json.loads((tmp_path / "out.json").read_text())
    assert [t["name"] for t in data["tasks"]] == ["Task-1", "Task-2"]
    assert "Interrupted at" in text(stderr) and text(stderr).endswith("KeyboardInterrupt\n")


def test_usage_errors_exit_2_before_the_program_runs(tmp_path):
    name = write(tmp_path, "prog.py", "print('it ran')\n")
    for args, says in [(["missing.py"], "no such file: missing.py"),
                       ([name, "--json", "no/such/folder/out.json"], "no such folder"),
                       ([name, "--speed", "0"], "must be a positive number")]:
        out = traced(tmp_path, *args)
        assert (out.returncode, out.stdout) == (2, b""), args
        assert says in text(out.stderr)


def test_help_and_readme_document_every_exit_status():
    shown = subprocess.run([sys.executable, "-m", "helpers", "trace", "--help"], env=ENV, capture_output=True,
                           text=True, timeout=60).stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = readme[readme.index("### Command line"):readme.index("### JSON format")]
    for status in ("0", "1", "2", "3", "4", "5", "130"):
        assert re.search(rf"^\s+{status}\s+\w", shown, re.M), f"--help does not explain exit status {status}"
        assert f"| {status} " in readme, f"the README does not explain exit status {status}"
    assert "stderr" in shown and "stderr" in readme


# --- files -----------------------------------------------------------------------------------

def test_names_that_are_not_valid_unicode_are_written_whole(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio

        async def c():
            await asyncio.sleep(1)

        async def main():
            await asyncio.create_task(c(), name="caf\\udce9")

        asyncio.run(main())
    """)
    (tmp_path / "out.json").write_text("an older file")
    out = traced(tmp_path, name, "--json", "out.json", "--chrome", "chrome.json", "--png", "out.png")
    assert out.returncode == 0, text(out.stderr)
    data = json.loads((tmp_path / "out.json").read_bytes().decode("utf-8"))   # strict UTF-8, whole
    assert [t["name"] for t in data["tasks"]] == ["Task-1", "caf\udce9"]    # read back as it was
    chrome = json.loads((tmp_path / "chrome.json").read_bytes().decode("utf-8"))
    assert any(e.get("args", {}).get("name") == "caf\udce9 c()" for e in chrome["traceEvents"])
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chrome.json", "out.json", "out.png", "prog.py"]


# --- asyncio.run's arguments, asyncio.Runner, loops of their own ----------------------------

def test_debug_mode_is_kept(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio

        async def main():
            print(asyncio.get_running_loop().get_debug())

        asyncio.run(main(), debug=True)
        asyncio.run(main())
        with asyncio.Runner(debug=True) as runner:
            runner.run(main())
    """)
    plain, out = untraced(tmp_path, name), traced(tmp_path, name)
    assert out.returncode == 0, text(out.stderr)
    assert out.stdout == plain.stdout == b"True\nFalse\nTrue\n"


def test_asyncio_runner_is_traced_run_by_run(tmp_path):
    name = write(tmp_path, "prog.py", """
        import asyncio

        async def double(x):
            await asyncio.sleep(x / 10)
            return 2 * x

        with asyncio.Runner() as runner:
            print(runner.run(double(1)), runner.run(double(3)), isinstance(runner, asyncio.Runner))
    """)
    plain, out = untraced(tmp_path, name), traced(tmp_path, name, "--json", "out.json")
    assert out.returncode == 0, text(out.stderr)
    assert out.stdout == plain.stdout == b"2 6 True\n"
    assert "ran asyncio.run() 2 times" in text(out.stderr)
    assert json.loads((tmp_path / "out.json").read_text())["duration"] == 0.3     # the last run


LOOP = "class MyLoop(asyncio.SelectorEventLoop):\n    pass\n"
OWN_LOOPS = {
    "Runner(loop_factory=MyLoop)": LOOP + "with asyncio.Runner(loop_factory=MyLoop) as r:\n    r.run(main())\n",
    "run(loop_factory=MyLoop)": LOOP + "asyncio.run(main(), loop_factory=MyLoop)\n",
}


@pytest.mark.parametrize("call", OWN_LOOPS)
def test_a_loop_of_its_own_is_refused_by_name_or_fails_as_untraced(tmp_path, call):
    name = write(tmp_path, "prog.py", "import asyncio\nasync def main():\n    print('main ran')\n" + OWN_LOOPS[call])
    plain, out = untraced(tmp_path, name), traced(tmp_path, name)
    assert out.stdout == b"", "the program must not run on a loop it did not ask for"
    if plain.returncode != 0:   # asyncio.run() has no loop_factory before Python 3.12
        assert out.returncode == plain.returncode == 1
        assert text(out.stderr).splitlines()[-1] == text(plain.stderr).splitlines()[-1]
        return
    assert out.returncode == 2
    assert "loop_factory=__main__.MyLoop" in text(out.stderr) and "asyncio.run(main())" in text(out.stderr)
    assert "never awaited" not in text(out.stderr)


def test_uvloop_run_is_refused_with_a_clear_message(tmp_path):
    # A stand-in for uvloop (it may not be installed), whose run() does what uvloop 0.23's does.
    (tmp_path / "uvloop").mkdir()
    write(tmp_path, "uvloop/__init__.py", """
        import asyncio, sys

        class Loop(asyncio.SelectorEventLoop):
            pass

        def new_event_loop():
            return Loop()

        def run(main, *, loop_factory=new_event_loop, debug=None):
            async def wrapper():
                if not isinstance(asyncio._get_running_loop(), Loop):
                    raise TypeError('uvloop.run() uses a non-uvloop event loop')
                return await main
            if sys.version_info >= (3, 12):
                return asyncio.run(wrapper(), loop_factory=loop_factory, debug=debug)
            with asyncio.Runner(loop_factory=loop_factory, debug=debug) as runner:
                return runner.run(wrapper())
    """)
    name = write(tmp_path, "prog.py", """
        import asyncio, uvloop
        async def main():
            print("main ran on", type(asyncio.get_running_loop()).__name__)
        uvloop.run(main())
    """)
    assert untraced(tmp_path, name).stdout == b"main ran on Loop\n"
    out = traced(tmp_path, name)
    assert (out.returncode, out.stdout) == (2, b""), text(out.stderr)
    err = text(out.stderr)
    assert "loop_factory=uvloop.new_event_loop" in err and "instead of uvloop.run(main())" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("call", ["asyncio.run(main)", "asyncio.run(42)", "asyncio.run(nested())"])
def test_asyncio_run_takes_and_refuses_what_this_python_does(tmp_path, call):
    name = write(tmp_path, "prog.py", f"""
        import asyncio
        async def main():
            return 1
        async def nested():
            return asyncio.run(main())
        print({call})
    """)
    plain, out = untraced(tmp_path, name), traced(tmp_path, name, "--quiet")
    assert out.returncode == plain.returncode
    assert out.stdout == plain.stdout

    def error(err: bytes) -> str:
        lines = [ln for ln in text(err).splitlines() if re.match(r"\w+(Error|Exception)\b", ln)]
        return re.sub(r"0x[0-9a-f]+", "0x…", lines[-1]) if lines else ""

    assert error(out.stderr) == error(plain.stderr)


# --- tracing() itself, as a notebook uses it ------------------------------------------------

def test_tracing_keeps_asyncio_runs_semantics_and_puts_everything_back():
    original_run, original_runner = asyncio.run, asyncio.Runner

    async def main(fail: bool = False):
        await asyncio.sleep(1)
        if fail:
            raise ValueError("inside")
        return asyncio.get_running_loop().get_debug()

    with pytest.raises(ValueError, match="inside"), tracing() as runs:
        assert asyncio.run(main(), debug=True) is True
        with asyncio.Runner() as runner:
            assert runner.run(main()) is False
        asyncio.run(main(fail=True))
    assert (asyncio.run, asyncio.Runner) == (original_run, original_runner)
    assert [t.duration for t in runs] == [1.0, 1.0, 1.0]
    assert runs[-1].task("Task-1").detail == "ValueError: inside"
