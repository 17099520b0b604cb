"""Regenerate every notebook's stored outputs: run each one top to bottom, in place.

    python tools/run_notebooks.py [NOTEBOOK ...]     (default: notebooks/*.ipynb)

Each notebook runs on a fresh kernel from the notebooks/ folder. Stored
results are stripped of what varies between runs (execution timings, widget
state and views, how printed text was cut into messages), so running it twice
writes the same bytes.
"""

from __future__ import annotations

import pathlib
import sys

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                            store_widget_state=False, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}  # no version numbers of this machine
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell.outputs = _joined_streams(cell.outputs)
        for output in cell.get("outputs", []):
            # A widget view names a model whose state is not stored (random id, nothing to show
            # once the kernel is gone): keep the picture it carries instead (a replay's or a live
            # chart's: the filmstrip of the run's key moments).
            if "image/png" in output.get("data", {}):
                output.data.pop(WIDGET_VIEW, None)
    nbformat.write(nb, path)


def _joined_streams(outputs: list) -> list:
    """A cell's printed text as one output per stretch of stdout (or stderr): how the kernel cuts it
    into messages depends on timing, and nbval joins them before comparing anyway."""
    joined: list = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (output.output_type == "stream" and last is not None and last.output_type == "stream"
                and last.name == output.name):
            last.text += output.text
        else:
            joined.append(output)
    return joined


def main(argv: list[str]) -> int:
    paths = [pathlib.Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"running {path}", flush=True)
        run(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
