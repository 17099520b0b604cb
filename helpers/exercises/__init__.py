"""Check a learner's exercise from its trace: what the chart shows, not the code.

Each notebook's exercises live in a module of this package (``n01_why.py`` ...)
that registers its checkers with `exercise`. In a notebook::

    answer = await trace(main())
    check("01-three-downloads", answer)

prints a confirmation, or a friendly hint of what the chart shows and what is
still missing.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..model import Trace

Checker = Callable[["Trace"], "Verdict"]
_REGISTRY: dict[str, Checker] = {}


@dataclass
class Verdict:
    """The answer to "did I solve it?": shown as one friendly paragraph."""
    passed: bool
    message: str

    def __repr__(self) -> str:
        return ("✅ Solved! " if self.passed else "🔎 Not yet. ") + self.message

    def __bool__(self) -> bool:
        return self.passed


def solved(message: str) -> Verdict:
    return Verdict(True, message)


def not_yet(message: str) -> Verdict:
    return Verdict(False, message)


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


def check(name: str, trace: "Trace") -> Verdict:
    """Check exercise `name` against the trace of the learner's run."""
    from ..model import Trace
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"no exercise called {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    if not isinstance(trace, Trace):
        return not_yet("check() needs the trace of your run: answer = await trace(main()), "
                       f"then check({name!r}, answer). You passed a {type(trace).__name__}.")
    return _REGISTRY[name](trace)
