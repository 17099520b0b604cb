"""Every notebook is stored clean: what `tools/run_notebooks.py` writes, and nothing else.

(That its outputs are those of the committed code is nbval's job: CI re-runs
every notebook and compares.)
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/root|/home|/tmp|/work|/Users|/private/var|[A-Z]:\\\\Users)[/\\\\][\w.-]+")
ids = [p.name for p in NOTEBOOKS]


def assert_stored_clean(nb) -> None:
    nbformat.validate(nb)                 # what GitHub's renderer checks too
    assert "widgets" not in nb.metadata, "stored widget state: GitHub shows such notebooks as invalid"
    views = [c.get("id") for c in nb.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not views, f"widget views without state (random ids, nothing to show): cells {views}"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # JupyterLab writes its language_info on every save (a contributor's normal save must not break
    # the tests); tools/run_notebooks.py keeps only the name. Anything else is not a front end's.
    language = nb.metadata.get("language_info", {})
    assert language.get("name", "python") == "python"
    assert set(language) <= {"name", "version", "codemirror_mode", "file_extension", "mimetype",
                             "nbconvert_exporter", "pygments_lexer"}, f"unexpected language_info {language}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_is_valid_and_has_no_widget_state(path):
    assert_stored_clean(nbformat.read(path, as_version=4))


def test_a_notebook_saved_by_jupyterlab_is_still_clean():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata["language_info"] = {   # what JupyterLab 4 writes when a contributor saves
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.12.7"}
    assert_stored_clean(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_was_executed_top_to_bottom_in_one_run(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}: not one clean run"
    for cell in nb.cells:
        assert "execution" not in cell.metadata, "timing metadata varies between runs"
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                assert output.execution_count == cell.execution_count


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_path_of_this_machine_is_stored(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = json.dumps({k: v for k, v in output.items() if k != "data"}) + json.dumps(
                {k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")})
            found = MACHINE_PATH.search(text)
            assert not found, f"cell {cell.get('id')} stores a path of this machine: {found.group(0)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_notebook_follows_the_course_rhythm(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("What you will learn", "Try it yourself", "Key terms", "Recap"):
        assert heading in text, f"missing section: {heading}"
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert "exercise" in tags   # two or more, with their solutions out of sight: tests/test_exercises.py
    assert re.search(r"[\u4e00-\u9fff]", text), "the glossary keeps the tutorial's Chinese terms"


def test_every_notebook_opens_with_the_current_colab_and_binder_header():
    """Links and Colab's install cell come from pyproject's Repository URL (tools/course_header.py)."""
    root = pathlib.Path(__file__).parent.parent
    out = subprocess.run([sys.executable, "tools/course_header.py", "--check"], cwd=root,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_readme_lines_that_promise_a_chart_show_one():
    """An assignment displays nothing in a notebook: `t = await trace(...)` cannot "show the chart"."""
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    promises = [line for line in readme.splitlines() if "shows the chart" in line and "#" in line]
    assert promises
    for line in promises:
        code = line.split("#", 1)[0]
        assert not re.match(r"\s*\w+\s*=[^=]", code), f"assigns, so shows nothing: {line.strip()}"
