"""Give every notebook the same first two cells: where to open it, and Colab's install step.

    python tools/course_header.py            # write the header into notebooks/*.ipynb
    python tools/course_header.py --check    # exit 1 if a notebook's header is stale

Cell 1 links the notebook on Colab and Binder (plain links: a badge image would
be fetched from the network each time the notebook is opened). Cell 2 installs
the course's helpers from the repository, only on Colab, with pip's default
strategy: it adds what is missing (nest-asyncio2) and touches nothing Colab
pins (IPython, ipykernel, ipywidgets, matplotlib are already new enough).
Everything comes from `[project.urls] Repository` in pyproject.toml.
"""

from __future__ import annotations

import pathlib
import sys
import tomllib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

ROOT = pathlib.Path(__file__).resolve().parent.parent
DISTRIBUTION = "asyncio-pictures-helpers"


def repository() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"]["urls"]["Repository"].rstrip("/")


def colab_install_command(repo: str) -> list[str]:
    """The pip command Colab's first cell runs (CI runs it too, against a local path)."""
    return ["pip", "install", "--quiet", f"{DISTRIBUTION} @ git+{repo}"]


def header_cells(name: str, repo: str) -> list:
    slug = repo.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{name}"
    binder = f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath=notebooks%2F{name}"
    links = new_markdown_cell(f"*Open this notebook in* [Colab]({colab}) · [Binder]({binder})"
                              " · *or locally: see the README.*")
    links["id"] = "open-in"
    command = ", ".join(repr(part) for part in colab_install_command(repo))
    setup = new_code_cell(
        "# On Colab only: install the course's helpers (elsewhere they are installed already).\n"
        "# This adds what is missing and upgrades nothing Colab pins (IPython, ipykernel, ipywidgets).\n"
        "import subprocess, sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    subprocess.run([sys.executable, \"-m\", {command}], check=True)")
    setup["id"] = "colab-setup"
    return [links, setup]


def with_header(nb: nbformat.NotebookNode, name: str, repo: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if c.get("id") not in ("open-in", "colab-setup")]
    nb.cells = header_cells(name, repo) + cells
    return nb


def main(argv: list[str]) -> int:
    repo = repository()
    stale = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        current = [(c.cell_type, c.source) for c in nb.cells[:2]]
        wanted = [(c.cell_type, c.source) for c in header_cells(path.name, repo)]
        if current != wanted:
            stale.append(path.name)
            if "--check" not in argv:
                nbformat.write(with_header(nb, path.name, repo), path)
    if "--check" in argv and stale:
        print("stale notebook headers (run python tools/course_header.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
