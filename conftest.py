"""Around every notebook cell nbval runs: servers on loopback only, and nothing left behind.

Notebooks 12 and 16 start real servers. A cell must stop every server and child process it
starts before it ends, also when it fails (a learner re-running cells must not pile up servers
or hit "address in use"); and nothing may listen beyond 127.0.0.1. So while a cell runs, the
kernel's listening sockets are sampled; once it has run, the kernel must have no listening
socket and no child process left (Python's own multiprocessing helpers, which live as long as
the kernel by design, excepted).
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

import psutil
import pytest

SAMPLE_SECONDS = 0.05
# multiprocessing's forkserver and resource tracker: started once per process, kept until it exits
PYTHONS_OWN_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def _kernel_pid(item: Any) -> int | None:
    """The pid of the kernel nbval runs this cell on, or None for any other test."""
    kernel = getattr(getattr(item, "parent", None), "kernel", None)
    manager = getattr(kernel, "km", None)
    if manager is None or not hasattr(item, "cell"):
        return None
    process = getattr(manager.provisioner, "process", None) if manager.provisioner else None
    return process.pid if process is not None else None


def _listening(pid: int) -> list[tuple[str, int]]:
    process = psutil.Process(pid)
    connections = getattr(process, "net_connections", None) or process.connections   # psutil < 6 (Colab)
    return [(c.laddr.ip, c.laddr.port) for c in connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def _children(pid: int) -> list[str]:
    left = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:   # ended meanwhile
            continue
        if not any(helper in command for helper in PYTHONS_OWN_HELPERS):
            left.append(f"pid {child.pid}: {command[:120]}")
    return left


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    pid = _kernel_pid(item)
    if pid is None:
        return (yield)
    listening_before, children_before = set(_listening(pid)), set(_children(pid))
    beyond: set[tuple[str, int]] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            try:
                beyond.update(a for a in _listening(pid) if not ipaddress.ip_address(a[0]).is_loopback)
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = yield
    finally:
        done.set()
        sampler.join()
    listening = sorted(set(_listening(pid)) - listening_before)
    children = sorted(set(_children(pid)) - children_before)
    problems = ([f"the cell listened beyond loopback: {sorted(beyond)}"] if beyond else []) + \
               ([f"a server the cell started still listens after it: {listening}"] if listening else []) + \
               ["a child process the cell started still runs after it: " + c for c in children]
    assert not problems, "\n".join(problems)
    return result
