"""The check around every notebook cell (conftest.py) catches what it is there to catch.

A notebook of four cells, run under nbval with the repository's conftest.py in a subprocess:
a server left listening, a child process left running, a server on every interface (closed
before the cell ends: only the sampling sees it), and a cell that cleans up after the others.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent
CELLS = [
    "import socket\nserver = socket.socket()\nserver.bind(('127.0.0.1', 0))\nserver.listen()",
    "import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])",
    "import time\nanywhere = socket.socket()\nanywhere.bind(('0.0.0.0', 0))\nanywhere.listen()\n"
    "time.sleep(0.5)\nanywhere.close()",
    "server.close()\nchild.kill()\nchild.wait()",
]


def test_a_server_or_child_left_behind_and_a_server_beyond_loopback_fail_their_cell(tmp_path):
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in CELLS]), tmp_path / "leaky.ipynb")
    shutil.copy(ROOT / "conftest.py", tmp_path)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:asyncio",
                          "--nbval-lax", "--nbval-current-env", "-rf", "leaky.ipynb"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    failed = {line.split(" - ")[0].removeprefix("FAILED leaky.ipynb::"): line
              for line in run.stdout.splitlines() if line.startswith("FAILED")}
    assert set(failed) == {"Cell 0", "Cell 1", "Cell 2"}, run.stdout[-3000:]
    assert "1 passed" in run.stdout
    assert "still listens" in run.stdout and "child process" in run.stdout and "beyond loopback" in run.stdout
