"""Check a learner's exercise from its trace: what the chart shows, not the code.

Each notebook's exercises live in a module of this package (``n01_why.py`` ...)
that registers its checkers with `exercise`. In a notebook::

    answer = await trace(main())
    check("01-three-downloads", answer)              # what the chart shows, and a question
    check("01-three-downloads", answer, hint=2)      # ... and what to change
    solution("01-three-downloads")                   # one solution, shown on request

Feedback comes in steps, so that a learner thinks before being told: the first
"Not yet" says what the chart shows and asks a question about it; the fix
comes only on request (``hint=2``) or when the same "Not yet" comes twice in a
row. Solutions live in ``solutions/<name>.ipy``, never in the notebook, and CI
runs each one to see it solve its exercise.

Kinds of exercise, all checked from the trace: write or fix a program
(``check(name, trace)``), predict the chart before running it, or read a chart
and answer a question (``check(name, trace, my_answer)``).
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..model import Trace

Checker = Callable[..., "Verdict"]
_REGISTRY: dict[str, Checker] = {}
_LAST_MISS: dict[str, str] = {}          # exercise -> its last "Not yet" message (a second one shows the hint)
SOLUTIONS = pathlib.Path(__file__).parent / "solutions"


@dataclass
class Verdict:
    """The answer to "did I solve it?": what the chart shows, and the fix only on request."""
    passed: bool
    message: str
    fix: str = ""
    name: str = ""
    show_fix: bool = False

    def __repr__(self) -> str:
        if self.passed:
            return "✅ Solved! " + self.message
        text = "🔎 Not yet. " + self.message
        if self.fix and self.show_fix:
            return text + "\n💡 Hint: " + self.fix
        if self.fix:
            text += f"\n(Stuck? check({self.name!r}, ..., hint=2) says what to change.)"
        return text

    def __bool__(self) -> bool:
        return self.passed


def solved(message: str) -> Verdict:
    return Verdict(True, message)


def not_yet(message: str, fix: str = "") -> Verdict:
    """message: what the chart shows and a question about it; fix: what to change (on request)."""
    return Verdict(False, message, fix)


def exercise(name: str) -> Callable[[Checker], Checker]:
    """Register a checker under the name the notebook uses."""
    def register(checker: Checker) -> Checker:
        _REGISTRY[name] = checker
        return checker
    return register


def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("n"):
            importlib.import_module(f"{__name__}.{module.name}")


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def _known(name: str) -> None:
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(_REGISTRY))}")


def check(name: str, trace: "Trace", *answers: Any, hint: int = 1) -> Verdict:
    """Check exercise `name` against the trace of the learner's run (and their answers, if it asks).

    hint=2 adds what to change to a "Not yet"; so does the same "Not yet" twice in a row.
    """
    from ..model import Trace
    _known(name)
    if not isinstance(trace, Trace):
        return not_yet(f"check() needs the trace of your run: answer = await trace(main()), then "
                       f"check({name!r}, answer). You passed a {type(trace).__name__}.")
    verdict = _REGISTRY[name](trace, *answers)
    verdict.name = name
    if verdict.passed:
        _LAST_MISS.pop(name, None)
    else:
        verdict.show_fix = hint >= 2 or _LAST_MISS.get(name) == verdict.message
        _LAST_MISS[name] = verdict.message
    return verdict


def solution_code(name: str) -> str:
    """The text of one solution of exercise `name` (a cell's code)."""
    _known(name)
    return (SOLUTIONS / f"{name}.ipy").read_text(encoding="utf-8")


def solution(name: str) -> None:
    """Show one solution of exercise `name`, to paste into the exercise's cell and run."""
    code = solution_code(name).rstrip()
    intro = f"One solution of {name} (yours may differ; the checker reads the chart, not the code):"
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - outside IPython
        print(intro + "\n\n" + code)
        return
    if get_ipython() is None:
        print(intro + "\n\n" + code)
    else:
        display(Markdown(f"{intro}\n\n```python\n{code}\n```"))
