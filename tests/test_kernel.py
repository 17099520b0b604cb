"""What a learner meets in a real kernel: the stop button, and a program that fails.

The stop button stops a traced run: a real interrupt sent to a real kernel, timed.

After each interrupt the kernel must be as it was: its loop, the cell's task,
the task factory, asyncio.run, the SIGINT handler and the warning filters.
The kernel is started with SIGINT at its default, so this test also runs when
the test command itself was started with SIGINT ignored (a background job).
"""

from __future__ import annotations

import signal
import time

import pytest
from jupyter_client.manager import KernelManager

SETUP = """
import asyncio, signal, time, warnings
from helpers import trace, last_trace
import helpers.draw.gantt, helpers.draw.live  # numpy adds warning filters when first imported

def state():
    # what must survive an interrupt (each cell has a task and a SIGINT handler of its own:
    # compare what kind they are)
    loop = asyncio.get_running_loop()
    handler = signal.getsignal(signal.SIGINT)
    return (id(loop), loop.get_task_factory(), asyncio.run.__module__,
            getattr(handler, "__qualname__", handler), list(warnings.filters),
            asyncio.current_task().get_coro().__qualname__)

await asyncio.sleep(0)   # an async cell, like the ones below: it runs in a task of its own
before = state()

async def heartbeat():
    while True:
        await asyncio.sleep(1)

async def blocking():
    for _ in range(30):
        time.sleep(1)
"""

RUNS = {
    "real clock": "await trace(heartbeat(), clock='real')",
    "paced virtual clock": "await trace(heartbeat(), speed=1.0)",
    "live chart": "t = await trace(heartbeat(), live=True)",
    "virtual clock, no limits": "await trace(heartbeat(), max_steps=None, max_time=None)",
    "time.sleep in a coroutine": "await trace(blocking())",
}


def _reset_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def kernel():
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(preexec_fn=_reset_sigint)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str, timeout: float = 60) -> list[dict]:
    msg_id = client.execute(code)
    return collect(client, msg_id, timeout)


def collect(client, msg_id: str, timeout: float) -> list[dict]:
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
        messages.append(msg)


def until_printed(client, msg_id: str, text: str, timeout: float) -> list[dict]:
    """The cell's messages up to the one that prints `text`: the cell is running by then."""
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            messages.append(msg)
            if msg["msg_type"] == "stream" and text in msg["content"]["text"]:
                return messages


def text_of(messages: list[dict]) -> str:
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")


@pytest.mark.parametrize("name", list(RUNS))
def test_an_interrupt_ends_the_run_within_a_second_and_leaves_the_kernel_as_it_was(kernel, name):
    manager, client = kernel
    assert not [m for m in execute(client, SETUP) if m["msg_type"] == "error"]
    # The interrupt goes 1 s into the run, not 1 s after the request: on a busy machine the cell
    # can start late, and an interrupt before the run begins tests the kernel, not the helpers.
    msg_id = client.execute('print("starting", flush=True)\n' + RUNS[name])
    started = until_printed(client, msg_id, "starting", timeout=60)
    time.sleep(1.0)
    sent = time.monotonic()
    manager.interrupt_kernel()
    messages = started + collect(client, msg_id, timeout=30)
    stopped_after = time.monotonic() - sent
    errors = [m["content"]["ename"] for m in messages if m["msg_type"] == "error"]
    assert errors == ["KeyboardInterrupt"], errors
    assert stopped_after < 3.0, f"{name}: the run went on {stopped_after:.1f} s after the interrupt"
    assert "Interrupted at" in text_of(messages)
    if name != "live chart":   # the live chart is already on screen; others show the chart now
        assert any(m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]
                   for m in messages)
    after = execute(client, "await asyncio.sleep(0.1)\nprint(state() == before, last_trace().interrupted is not None)\n"
                            "print((await trace(asyncio.sleep(1, 'fine'))).result)")
    assert text_of(after).split() == ["True", "True", "fine"], after


FAILING = {
    "a task that raises": "async def work():\n    await asyncio.sleep(1)\n    raise ValueError('broken')\n"
                          "async def main():\n    await asyncio.create_task(work())\n"
                          "await trace(main())",
    "a TaskGroup that fails": "async def work():\n    raise ValueError('broken')\n"
                              "async def main():\n    async with asyncio.TaskGroup() as tg:\n"
                              "        tg.create_task(work())\nawait trace(main())",
    "trace(main) instead of trace(main())": "async def main():\n    pass\nawait trace(main)",
}


@pytest.mark.parametrize("name", list(FAILING))
def test_a_failing_program_shows_its_chart_then_a_traceback_of_the_learners_frames(kernel, name):
    _, client = kernel
    execute(client, SETUP)
    messages = execute(client, FAILING[name])
    kinds = [m["msg_type"] for m in messages]
    if "error" in kinds:
        traceback = "\n".join(next(m for m in messages if m["msg_type"] == "error")["content"]["traceback"])
    else:  # IPython prints an ExceptionGroup's traceback on stderr instead
        kinds[kinds.index("stream")] = "error"
        traceback = text_of(messages)
    assert "helpers/" not in traceback and "run_traced" not in traceback, traceback  # no frame of ours
    # ... nor asyncio's frames that ours called: untraced, `await main()` has no run_until_complete
    assert "run_until_complete" not in traceback and "Event loop stopped" not in traceback, traceback
    if name != "trace(main) instead of trace(main())":
        assert "broken" in traceback
        charts = [i for i, m in enumerate(messages)
                  if m["msg_type"] == "display_data" and "image/png" in m["content"]["data"]]
        assert charts and charts[0] < kinds.index("error")   # the chart first, then the error
