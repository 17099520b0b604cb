"""Exercises: feedback in steps, solutions out of sight, every one both ways in CI.

The verdicts on the starters are stored in the notebooks (nbval compares them);
the solutions live in helpers/exercises/solutions/ and tests/test_run_all.py
runs each one in the notebook's own kernel, where it must say "Solved".
"""

from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

from helpers.exercises import SOLUTIONS, Verdict, check, exercise, names, not_yet, solution_code, solved
from helpers.model import Trace

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
CHECK_CALL = re.compile(r"""check\(\s*["']([^"']+)["']""")


def exercise_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]


def verdicts(cell) -> list[str]:
    return [o.data["text/plain"] for o in cell.get("outputs", [])
            if o.output_type == "execute_result" and "text/plain" in o.get("data", {})]


def test_every_exercise_has_one_solution_and_every_solution_an_exercise():
    files = {p.stem for p in SOLUTIONS.glob("*.ipy")}
    assert files == set(names())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_notebook_has_two_exercises_or_more(path):
    cells = exercise_cells(path)
    found = [CHECK_CALL.search(c.source) for c in cells]
    assert len(cells) >= 2 and all(found), [c.source[-200:] for c in cells]
    assert set(m.group(1) for m in found) <= set(names())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_solution_is_stored_in_a_notebook(path):
    """Neither a solution cell nor a "Solved" verdict: solutions are shown only on request."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        assert "solution" not in cell.metadata.get("tags", []), cell.source[:200]
        for text in verdicts(cell):
            assert not text.startswith("✅ Solved!"), f"a solved verdict is stored: {text[:200]}"
        if cell.cell_type == "code":
            assert "solution(" not in "\n".join(verdicts(cell))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_first_not_yet_asks_and_does_not_give_the_solution_away(path):
    for cell in exercise_cells(path):
        name = CHECK_CALL.search(cell.source).group(1)
        shown = verdicts(cell)
        assert shown and shown[-1].startswith("🔎 Not yet."), f"{name}: {shown}"
        text = shown[-1]
        assert "Hint:" not in text, f"{name}: the fix is in the first message"
        assert "?" in text, f"{name}: the first 'Not yet' asks a question about the chart"
        starter = {line.strip() for line in cell.source.splitlines()}
        for line in solution_code(name).splitlines():
            code = line.split("#", 1)[0].strip()
            if len(code) >= 12 and line.strip() not in starter:
                assert code not in text, f"{name}: the first 'Not yet' quotes the solution: {code}"


def test_feedback_comes_in_steps():
    """Question first; the fix on request or on the same miss twice in a row; a success resets."""
    answers = iter([False, False, False, True, False])

    @exercise("zz-steps")
    def steps(trace):
        return solved("done") if next(answers) else not_yet("The chart shows X. Why?", "Do Y.")

    try:
        trace = Trace.__new__(Trace)
        first = check("zz-steps", trace)
        assert not first and "Hint" not in repr(first) and "hint=2" in repr(first)
        again = check("zz-steps", trace)
        assert "💡 Hint: Do Y." in repr(again)
        asked = check("zz-steps", trace, hint=2)
        assert "💡 Hint: Do Y." in repr(asked)
        assert repr(check("zz-steps", trace)).startswith("✅ Solved! done")
        after = check("zz-steps", trace)
        assert "Hint:" not in repr(after)
    finally:
        from helpers import exercises
        exercises._REGISTRY.pop("zz-steps", None)


def test_a_verdict_reads_without_emoji():
    """Where no emoji font is installed the words still carry the verdict."""
    assert "Solved!" in repr(Verdict(True, "x")) and "Not yet." in repr(Verdict(False, "x"))
