"""Exercises of notebooks/04_await.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import seconds

if TYPE_CHECKING:
    from ..model import Step, Trace

EPSILON = 1e-6
BOIL, STEEP = 2.0, 3.0


def _first_step_inside(steps: list["Step"], outer: str, inner: str) -> "Step | None":
    """The first step that paused inside `inner`, itself awaited (directly) by `outer`."""
    for step in steps:
        chain = step.coroutines
        for a, b in zip(chain, chain[1:]):
            if a == outer and b == inner:
                return step
    return None


@exercise("04-tea-chain")
def tea_chain(trace: "Trace") -> Verdict:
    """main() awaits make_tea(), which awaits boil_water() (2 s), then steep() (3 s): one lane, 5 s."""
    main = trace.tasks[0]
    name = main.coroutine
    if len(trace.tasks) > 1:
        extra = ", ".join(t.label for t in trace.tasks[1:])
        return not_yet(f"The chart has more than one lane ({extra}). This exercise is about await only: "
                       f"no create_task, no gather. Await each coroutine, and everything stays in "
                       f"{name}()'s lane.")
    if not any("make_tea" in step.coroutines[1:] for step in main.steps):
        return not_yet(f"No step of {name}() ever paused inside make_tea(): it never ran. "
                       f"{name}() should `return await make_tea()`.")
    boil = _first_step_inside(main.steps, "make_tea", "boil_water")
    steep = _first_step_inside(main.steps, "make_tea", "steep")
    if boil is None:
        seen = " and ".join(sorted({" > ".join(s.coroutines) for s in main.steps if "make_tea" in s.coroutines}))
        return not_yet(f"The steps of {name}() paused in {seen}, but never in make_tea > boil_water: "
                       "the water was never boiled, so the tea was steeped in cold water. In make_tea(), "
                       "get the water with `water = await boil_water()` before steeping it.")
    if steep is None:
        return not_yet("The water was boiled (a step paused in make_tea > boil_water), but no step ever "
                       "paused in make_tea > steep: await steep(water) after boiling, and return its result.")
    if steep.start < boil.start - EPSILON:
        return not_yet("The tea was steeped before the water was boiled: in make_tea(), first "
                       "`water = await boil_water()`, then `await steep(water)`.")
    if abs(trace.duration - (BOIL + STEEP)) > EPSILON:
        return not_yet(f"The chain is right, but the run took {seconds(trace.duration)} instead of "
                       f"{BOIL:g} + {STEEP:g} = {seconds(BOIL + STEEP)}: keep boil_water()'s "
                       f"sleep({BOIL:g}) and steep()'s sleep({STEEP:g}), and nothing else.")
    return solved(f"One lane, {seconds(trace.duration)}. At {seconds(boil.start)} the step paused in "
                  f"{' > '.join(boil.coroutines)} on {boil.waits_on}; at {seconds(steep.start)} in "
                  f"{' > '.join(steep.coroutines)} on {steep.waits_on}. Each await ran the inner "
                  f"coroutine inside {name}()'s own task, one after the other.")
