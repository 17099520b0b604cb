"""What a learner sees: JupyterLab on loopback, driven in headless Chromium.

Needs Debian's `chromium` (never a downloaded browser) and the `playwright`
package. Without them these tests skip, unless REQUIRE_BROWSER=1 (CI sets
it), when they fail instead. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "course-browser-test"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook on screen, not other tabs
SETTINGS = {
    # Render every cell (JupyterLab 4 otherwise draws cells out of view as placeholders).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

missing = None if sync_playwright and os.path.exists(CHROMIUM) else "needs playwright and Debian's chromium"
if missing and os.environ.get("REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"REQUIRE_BROWSER=1 but this machine {missing}")
pytestmark = pytest.mark.skipif(missing is not None, reason=missing or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback, serving a copy of the notebooks (runs must not touch ours)."""
    root = tmp_path_factory.mktemp("lab")
    for path in NOTEBOOKS:
        shutil.copy(path, root / path.name)
    settings = tmp_path_factory.mktemp("settings")
    for plugin, values in SETTINGS.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={settings / 'workspaces'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, "JupyterLab did not start"
            assert server.poll() is None, "JupyterLab exited"
            time.sleep(0.3)
    yield base, root
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_notebook(browser, base, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/tree/{name}?token={TOKEN}&reset")   # reset: no tabs from earlier tests
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_idle_kernel(page)
    return page


def wait_for_idle_kernel(page, settle: float = 1.0):
    """The kernel idle, and still idle a moment later (a fresh kernel's connection settles)."""
    idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
    page.wait_for_selector(idle, timeout=60_000)
    time.sleep(settle)
    page.wait_for_selector(idle, timeout=60_000)


def menu(page, top: str, item: str):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def input_prompts(page):
    """Prompts of the code cells on screen (a cell whose input is hidden shows none)."""
    return [p.strip() for p in page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()]


def run_all(page):
    """Clear every output (so no stored prompt passes for this run's), then Run > Run All Cells."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    deadline = time.monotonic() + 20
    while any(p != "[ ]:" for p in input_prompts(page)):
        assert time.monotonic() < deadline, f"outputs not cleared: {input_prompts(page)}"
        time.sleep(0.2)
    menu(page, "Run", "Run All Cells")


def wait_until_every_cell_ran(page, code_cells: int, timeout: float = 180) -> bool:
    """True once every prompt is numbered; False if execution stopped short (kernel idle, nothing queued)."""
    deadline = time.monotonic() + timeout
    stalled_since = None
    while time.monotonic() < deadline:
        prompts = input_prompts(page)
        if len(prompts) == code_cells and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return True
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if idle and "[*]:" not in prompts:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 3:
                return False
        else:
            stalled_since = None
        time.sleep(0.25)
    raise AssertionError(f"not every cell ran within {timeout} s: {prompts}")


def run_all_to_the_end(page, saved: pathlib.Path, code_cells: int):
    """Run All, as a learner does, and return the notebook as that run saved it.

    A cell that fails without the raises-exception tag stops Run All: that fails
    the test at once, with its error. A run that stops with no error at all is a
    queue JupyterLab dropped while a new kernel's connection settled: run again
    (twice at most).
    """
    for attempt in range(3):
        run_all(page)
        finished = wait_until_every_cell_ran(page, code_cells)
        wait_for_idle_kernel(page)   # cells with hidden input show no prompt: idle says they ran too
        ran = save_and_read(page, saved)
        untagged = [f"cell {c.get('id')}: {o.ename}: {o.evalue}" for c in ran.cells
                    if "raises-exception" not in c.metadata.get("tags", [])
                    for o in c.get("outputs", []) if o.output_type == "error"]
        assert not untagged, f"Run All stopped on an error: {untagged}"
        if finished:
            return ran
        wait_for_idle_kernel(page)
    raise AssertionError(f"Run All kept stopping short: {input_prompts(page)}")


def stored_counts(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    # a replay is stored as its fallback (a filmstrip); run live, it is a widget instead
    widgets = sum(o.get("data", {}).get("text/plain", "").startswith("<replay of") for o in outputs)
    images = sum("image/png" in o.get("data", {}) for o in outputs) - widgets
    shown = [c for c in code if not c.metadata.get("jupyter", {}).get("source_hidden")]
    return len(shown), images, widgets


def rendered_images(page):
    return page.evaluate("""(panel) => Array.from(document.querySelectorAll(panel + ' .jp-OutputArea-output img'))
        .filter(img => !img.closest('.asyncio-replay'))
        .map(img => img.complete && img.naturalWidth > 0)""", PANEL)


def save_and_read(page, saved: pathlib.Path):
    """Save the notebook from the browser and read back what this run produced."""
    before = saved.stat().st_mtime_ns
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while saved.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    time.sleep(0.5)
    return nbformat.read(saved, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_run_all_in_jupyterlab(lab, browser, path):
    base, root = lab
    code_cells, images, widgets = stored_counts(path)
    page = open_notebook(browser, base, path.name)
    try:
        ran = run_all_to_the_end(page, root / path.name, code_cells)
        counts = [c.execution_count for c in ran.cells if c.cell_type == "code"]
        assert counts == list(range(counts[0], counts[0] + len(counts))), f"not one run in order: {counts}"
        failed = [c.get("id") for c in ran.cells if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.outputs)]
        tagged = [c.get("id") for c in ran.cells if "raises-exception" in c.metadata.get("tags", [])]
        assert failed == tagged, f"cells with an error: {failed}; cells tagged raises-exception: {tagged}"
        shown = rendered_images(page)
        assert len(shown) >= images and all(shown), f"charts: {shown}, expected {images}"
        assert page.locator(f"{PANEL} .asyncio-replay").count() == widgets
        page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"), full_page=True)
    finally:
        page.close()


LIVE_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "a",
         "source": "import asyncio\nfrom helpers import trace"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "b",
         "source": "async def job(s):\n    await asyncio.sleep(s)\n\nasync def main():\n"
                   "    await asyncio.gather(job(1), job(2), job(3))\n\n"
                   "t = await trace(main(), live=True)"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "c",
         "source": "t.replay()"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_live_chart_updates_and_the_player_steps(lab, browser):
    base, root = lab
    (root / "live_check.ipynb").write_text(json.dumps(LIVE_NOTEBOOK))
    page = open_notebook(browser, base, "live_check.ipynb")
    try:
        run_all(page)
        live_cell = page.locator(f"{PANEL} .jp-CodeCell").nth(1)
        # a fresh kernel may take a while to start (matplotlib builds its font cache once)
        live_cell.locator(".jp-InputPrompt", has_text="[*]").wait_for(timeout=120_000)
        live_output = live_cell.locator(".jp-OutputArea-output img")
        seen = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(seen) < 4:
            if live_output.count():
                seen.add(live_output.first.get_attribute("src"))
            time.sleep(0.1)
        if len(seen) < 4:
            page.screenshot(path=str(ARTIFACTS / "live_failed.png"), full_page=True)
        assert len(seen) >= 4, f"the live chart changed only {len(seen)} times"
        assert wait_until_every_cell_ran(page, 3, timeout=60), input_prompts(page)
        player = page.locator(f"{PANEL} .asyncio-replay")
        player.wait_for(timeout=30_000)
        caption = player.locator("b", has_text="step ")
        page.wait_for_function("() => document.querySelector('.asyncio-replay img')")
        before = player.locator(".widget-readout").first.inner_text()
        first_caption = caption.filter(visible=True).first.inner_text()
        player.get_by_role("button", name="step forward ▶").click()
        page.wait_for_function(
            "(b) => document.querySelector('.asyncio-replay .widget-readout').innerText !== b", arg=before)
        after_caption = caption.filter(visible=True).first.inner_text()
        assert (before, first_caption.split("·")[0].strip()) == ("1", "step 1 of 8")   # one numbering
        assert after_caption.startswith("step 2 of 8")
        # Without the kernel, the slider still switches frames and captions (all on the page).
        menu(page, "Kernel", "Shut Down Kernel")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='unknown'], "
                               ".jp-Notebook-ExecutionIndicator[data-status='dead']", timeout=30_000)
        player.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('.asyncio-replay .widget-readout').innerText === '4'")
        assert caption.filter(visible=True).first.inner_text().startswith("step 4 of 8")
        page.screenshot(path=str(ARTIFACTS / "live_and_replay.png"), full_page=True)
    finally:
        page.close()


def scratch_notebook(root: pathlib.Path, name: str, *sources: str) -> str:
    """A notebook of these code cells, written into the lab's folder (not the course's notebooks)."""
    cells = [nbformat.v4.new_code_cell(source, id=f"cell-{i}") for i, source in enumerate(sources)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, root / name)
    return name


def run_all_until_done(page, code_cells: int, timeout: float = 180):
    """Run All and wait until every cell ran; again if JupyterLab dropped the queue (twice at most)."""
    for attempt in range(3):
        run_all(page)
        if wait_until_every_cell_ran(page, code_cells, timeout=timeout):
            wait_for_idle_kernel(page)
            return
        wait_for_idle_kernel(page)
    raise AssertionError(f"Run All kept stopping short: {input_prompts(page)}")


def kernel_message(payload) -> dict | None:
    """A kernel message as the page received it over its websocket, in either of Jupyter's wire
    protocols: JSON text, or v1.kernel.websocket.jupyter.org's offsets + channel + JSON parts."""
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return None
    count = int.from_bytes(payload[:8], "little")
    offsets = [int.from_bytes(payload[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    parts = [payload[a:b] for a, b in zip(offsets, offsets[1:])]
    if len(parts) < 5:
        return None
    names = ("header", "parent_header", "metadata", "content")
    message = {key: json.loads(part) for key, part in zip(names, parts[1:5])}
    message["channel"] = parts[0].decode()
    message["msg_type"] = message["header"].get("msg_type")
    return message


def png_size(data: str) -> tuple[int, int]:
    """Width and height of a base64 PNG, from its IHDR chunk."""
    head = base64.b64decode(data[:64])
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


LIVE_PROGRAM = """\
async def job(s):
    await asyncio.sleep(s)

async def main():
    await asyncio.gather(job(1), job(2), job(3))

t = await trace(main(), live=True)"""


def test_live_frame_mid_run(lab, browser):
    """A live run seen while its cell is still busy: the picture changes, the "now" line stays on a
    fixed axis, and every frame is drawn at the final chart's size (the page does not jump)."""
    base, root = lab
    name = scratch_notebook(root, "live_mid_run.ipynb", "import asyncio\nfrom helpers import trace", LIVE_PROGRAM)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # What the kernel sent for the live output: each frame's PNG and its metadata (now, x-limits).
    updates = []

    def on_frame(payload):
        if b"live Gantt chart" not in (payload.encode() if isinstance(payload, str) else payload):
            return
        message = kernel_message(payload)
        if message and message["msg_type"] in ("display_data", "update_display_data"):
            updates.append(message["content"])

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    try:
        page.goto(f"{base}/lab/tree/{name}?token={TOKEN}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        wait_for_idle_kernel(page)
        run_all(page)
        cell = page.locator(f"{PANEL} .jp-CodeCell").nth(1)
        prompt = cell.locator(".jp-InputPrompt")
        image = cell.locator(".jp-OutputArea-output img")
        # a fresh kernel may take a while to start (matplotlib builds its font cache once)
        image.first.wait_for(timeout=120_000)
        # Wait, while the cell is busy, for a frame whose "now" is a third of the way or more: a picture
        # that changed since the first, so live, and not the final chart (which has no "now").
        first = image.first.get_attribute("src")
        deadline = time.monotonic() + 60
        while True:
            assert prompt.inner_text().strip() == "[*]:", "the run ended before a live frame past 1 s was shown"
            assert time.monotonic() < deadline, "the live chart did not get past 1 s"
            shown = image.first.get_attribute("src")
            now = [u["metadata"]["helpers/live"]["now"] for u in list(updates)
                   if "helpers/live" in u.get("metadata", {}) and shown.endswith(u["data"]["image/png"])]
            if shown != first and now and now[0] >= 1.0:
                break
            page.wait_for_timeout(50)
        box = image.first.bounding_box()
        assert image.first.evaluate("(img) => img.complete && img.naturalWidth > 0")
        image.first.screenshot(path=str(ARTIFACTS / "live-mid-run.png"))
        busy_after = prompt.inner_text().strip()
        assert busy_after == "[*]:", f"the cell was no longer busy when the screenshot was taken: {busy_after}"
        assert image.count() == 1, "the live chart is one output, updated in place"

        wait_until_every_cell_ran(page, 2, timeout=120)
        wait_for_idle_kernel(page)
        # The end: the complete chart, in the frames' place and at their size (the page does not jump).
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.first.element_handle())
        assert image.first.get_attribute("src") != shown, "the mid-run frame is not the final chart"
        final_box = image.first.bounding_box()
        assert (final_box["width"], final_box["height"]) == (pytest.approx(box["width"], abs=1),
                                                           pytest.approx(box["height"], abs=1)), (box, final_box)
        final_size = tuple(image.first.evaluate("(img) => [img.naturalWidth, img.naturalHeight]"))
        page.wait_for_timeout(500)   # the last websocket frames reach the handler
        # The complete chart is an image widget's; the output's own picture, kept where nothing runs
        # (a stored notebook, GitHub), is the filmstrip of the run's key moments, not the chart again.
        assert image.first.evaluate("(img) => img.classList.contains('asyncio-live')")
        [last] = [u for u in updates if "application/vnd.jupyter.widget-view+json" in u["data"]]
        assert png_size(last["data"]["image/png"]) != final_size

        frames = [u for u in updates if "helpers/live" in u.get("metadata", {})]
        assert len(frames) >= 3, f"only {len(frames)} live frames were sent"
        sizes = {png_size(u["data"]["image/png"]) for u in frames}
        assert sizes == {final_size}, f"frames {sizes}, final chart {final_size}"
        assert len({u["data"]["image/png"] for u in frames}) >= 3, "the live frames hardly changed"
        # The screenshot's frame is one the kernel sent, with "now" strictly inside its axis.
        on_screen = [u["metadata"]["helpers/live"] for u in frames if shown.endswith(u["data"]["image/png"])]
        assert on_screen, "the frame on screen mid-run is not one of the live frames sent"
        lo, hi = on_screen[0]["xlim"]
        assert lo < on_screen[0]["now"] < hi, on_screen[0]
        # Every frame: on one fixed axis that reaches the run's end (3 s), "now" inside it and moving on.
        meta = [u["metadata"]["helpers/live"] for u in frames]
        assert {tuple(m["xlim"]) for m in meta} == {(lo, hi)}, [m["xlim"] for m in meta]
        assert hi >= 3.0
        nows = [m["now"] for m in meta]
        assert all(lo <= now <= hi for now in nows) and nows == sorted(nows) and nows[-1] > nows[0], nows
    finally:
        page.close()


FAILING_PROGRAM = """\
async def fetch():
    await asyncio.sleep(1)
    raise ValueError("the server said no")

async def main():
    task = asyncio.create_task(fetch())
    await asyncio.sleep(0.5)
    await task

await trace(main())"""


def test_failing_program_shows_its_chart_then_a_trimmed_traceback(lab, browser):
    """A program that raises: the chart up to the failure, then the traceback of the learner's
    own frames, none of the course's."""
    base, root = lab
    name = scratch_notebook(root, "failing_program.ipynb", "import asyncio\nfrom helpers import trace",
                            FAILING_PROGRAM)
    page = open_notebook(browser, base, name)
    try:
        run_all_until_done(page, 2)
        cell = page.locator(f"{PANEL} .jp-CodeCell").nth(1)
        outputs = cell.locator(".jp-OutputArea-output")
        kinds = outputs.evaluate_all("""(nodes) => nodes.map(n =>
            n.querySelector('img') ? 'image' : (n.getAttribute('data-mime-type') || ''))""")
        assert "image" in kinds and "application/vnd.jupyter.stderr" in kinds, kinds
        chart, error = kinds.index("image"), kinds.index("application/vnd.jupyter.stderr")
        assert chart < error, f"the chart is not shown before the traceback: {kinds}"
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=outputs.nth(chart).locator("img").element_handle())
        traceback = outputs.nth(error).inner_text()
        cell.locator(".jp-OutputArea").screenshot(path=str(ARTIFACTS / "failing-program.png"))
        assert "ValueError: the server said no" in traceback, traceback
        assert re.search(r"Cell In\[\d+\], line 3, in fetch", traceback), traceback   # the learner's raise
        assert re.search(r"Cell In\[\d+\], line 8, in main", traceback), traceback    # where main() awaited it
        assert 'raise ValueError("the server said no")' in traceback, traceback
        for internal in ("helpers/", "helpers\\", "CoroutineProxy", "run_traced", "proxy.py", "recorder.py"):
            assert internal not in traceback, f"the course's own frame {internal!r} in:\n{traceback}"
    finally:
        page.close()


PLAYER_PROGRAM = """\
async def job(s):
    await asyncio.sleep(s)

async def main():
    await asyncio.gather(job(1), job(2))

t = await trace(main())
t.replay()"""


def test_player_first_step(lab, browser):
    """`t.replay()` opens on step 1: the caption and the slider both say so, and the frame is drawn."""
    base, root = lab
    name = scratch_notebook(root, "player_first_step.ipynb", "import asyncio\nfrom helpers import trace",
                            PLAYER_PROGRAM)
    page = open_notebook(browser, base, name)
    try:
        run_all_until_done(page, 2)
        player = page.locator(f"{PANEL} .asyncio-replay")
        player.wait_for(timeout=30_000)
        page.wait_for_function("""() => Array.from(document.querySelectorAll('.asyncio-replay img'))
            .some(img => img.offsetParent !== null && img.complete && img.naturalWidth > 0)""", timeout=30_000)
        caption = player.locator("b", has_text="step ").filter(visible=True)
        assert caption.count() == 1, caption.all_inner_texts()
        words = caption.first.inner_text()
        readout = player.locator(".widget-readout").first.inner_text().strip()
        handle = player.locator(".noUi-handle").first
        value = handle.get_attribute("aria-valuenow")
        player.screenshot(path=str(ARTIFACTS / "player-first-step.png"))
        assert re.match(r"step 1 of \d+ · 0\.00 s$", words), words
        assert readout == "1", readout
        assert value is not None and float(value) == 1, value            # the slider's own position
    finally:
        page.close()


def setup_module(module):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
