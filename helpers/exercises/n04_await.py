"""Exercises of notebooks/04_await.ipynb.

04-tea-chain (write): make_tea() boils the water, then steeps it, with awaits only; the chart
shows one lane and, under it, the coroutines the task waited in (make_tea > boil_water, then
make_tea > steep).
04-predict-the-waits (predict): before running lunch(), which awaits a coroutine (3 s) and
then a task that had finished at 1 s, the learner writes how many lanes the chart has, how
long each await waits and how many steps the main task takes; checked against the trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import seconds

if TYPE_CHECKING:
    from ..model import Step, TaskTrace, Trace

EPSILON = 1e-6


def _waits(task: "TaskTrace") -> list[tuple["Step", float]]:
    """(step, how long) of each wait after a step of `task`."""
    return [(step, after.start - step.end) for step, after in zip(task.steps, task.steps[1:])
            if step.waits_on]


def _waited_inside(task: "TaskTrace", outer: str, inner: str) -> list[tuple["Step", float]]:
    """The waits of `task` while suspended in `inner`, awaited by `outer` (directly or further down)."""
    def inside(chain: tuple[str, ...]) -> bool:
        return outer in chain and inner in chain[chain.index(outer) + 1:]
    return [(step, length) for step, length in _waits(task) if inside(step.coroutines)]


# ---------------------------------------------------------------- 04-tea-chain (write)

BOIL, STEEP = 2.0, 3.0
TEA = "'tea made with hot water'"
TEA_FIX = ("In make_tea(), await each coroutine, one after the other: water = await boil_water(), then "
           "return await steep(water). No create_task: the tea needs the hot water before it can steep.")


@exercise("04-tea-chain")
def tea_chain(trace: "Trace") -> Verdict:
    """make_tea() awaits boil_water() (2 s), then steep(water) (3 s): one lane, 5 s, hot-water tea."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    took = seconds(trace.duration)
    got = main.detail or "None"
    if len(trace.tasks) > 1:
        others = ", ".join(t.label for t in trace.tasks[1:])
        return not_yet(f"The chart has {len(trace.tasks)} lanes: besides {name}, {others}. The tea can "
                       "steep only once the water is hot, so nothing here happens side by side: what does "
                       "a task of its own add, when make_tea() waits for its result anyway?", TEA_FIX)
    if main.outcome == "exception":
        return not_yet(f"{name} ended with a red cross at {took}: {main.detail}. Which line of make_tea() "
                       "raised it?", TEA_FIX)
    if got.startswith("<coroutine object"):
        which = got.split(" at ", 1)[0] + ">"
        return not_yet(f"{name} returned {which}, not tea, at {took}. What does calling a coroutine "
                       "function give you, as long as nothing awaits it? (Notebook 03.)", TEA_FIX)
    if "coroutine object" in got:
        return not_yet(f"{name} returned tea made with a coroutine object, not with hot water, and the "
                       "chart has no row boil_water under the lane. What does calling boil_water() give "
                       "you, as long as nothing awaits it? (Notebook 03.)", TEA_FIX)
    if trace.deadlock or main.outcome != "result":
        return not_yet(f"{name} never returned: its lane ends with {main.outcome or 'no end marker'} at "
                       f"{took}. What did it wait on, and could anything finish that wait?", TEA_FIX)
    boiled = _waited_inside(main, "make_tea", "boil_water")
    steeped = _waited_inside(main, "make_tea", "steep")
    if not boiled and not steeped:
        waits = _waits(main)
        if not waits:
            lane = "is a single blue tick, with no wait and no row under it"
        else:
            labels = " and ".join(sorted({step.waits_on for step, _ in waits}))
            chains = sorted({" > ".join(step.coroutines[1:]) for step, _ in waits if len(step.coroutines) > 1})
            rows = f"the row {' and '.join(chains)} under it" if chains else "no row under it"
            lane = f"waits on {labels}, with {rows}"
        return not_yet(f"The run took {took}: {name}'s lane {lane}, and it returned {got}. Which "
                       "coroutines did make_tea() await before it returned?", TEA_FIX)
    if not boiled:
        return not_yet(f"Under {name}'s lane the rows show make_tea > steep, and no boil_water: it returned "
                       f"{got}. Where does make_tea() get the water it steeps?",
                       "Get the water from boil_water() and await it: water = await boil_water(). Then "
                       "steep that water: return await steep(water).")
    if not steeped:
        return not_yet(f"Under {name}'s lane the rows show make_tea > boil_water, and no steep: it returned "
                       f"{got} at {took}. What should happen to the water once it is hot?",
                       "After water = await boil_water(), steep it and return the tea: "
                       "return await steep(water).")
    if steeped[0][0].end < boiled[0][0].end - EPSILON:
        return not_yet(f"The rows under {name}'s lane show make_tea > steep at "
                       f"{seconds(steeped[0][0].end)}, before make_tea > boil_water at "
                       f"{seconds(boiled[0][0].end)}. Can tea steep in water that is not hot yet?",
                       TEA_FIX)
    boil = sum(length for _, length in boiled)
    steep = sum(length for _, length in steeped)
    if abs(boil - BOIL) > EPSILON or abs(steep - STEEP) > EPSILON or len(boiled) != 1 or len(steeped) != 1:
        return not_yet(f"The lane waits {seconds(boil)} in make_tea > boil_water and {seconds(steep)} in "
                       f"make_tea > steep, {took} in all. The kettle takes {BOIL:g} s and the tea "
                       f"{STEEP:g} s: how many times did make_tea() boil and steep?",
                       "Keep boil_water() and steep() as given, and await each of them once in "
                       "make_tea().")
    if got != TEA:
        return not_yet(f"The waits are right ({seconds(boil)} boiling, then {seconds(steep)} steeping), but "
                       f"{name} returned {got}, not {TEA}. What does make_tea() return, and does "
                       f"{name} return it?",
                       "make_tea() returns what steep(water) gives (return await steep(water)), and "
                       f"{name} returns what make_tea() gives.")
    return solved(f"One lane, {took}. Under it, the rows show where the task waited: in make_tea > "
                  f"boil_water for {seconds(boil)}, then in make_tea > steep for {seconds(steep)}. Each "
                  f"await ran its coroutine inside {name}'s own task, like a call, and the task handed the "
                  "loop back only where a sleep inside had to wait. One after the other is right here: "
                  "steep() needs the hot water.")


# ---------------------------------------------------------------- 04-predict-the-waits (predict)

KEYS = ("lanes", "await lay_table() waits", "await menu_task waits", "steps of lunch()")
WHY = {
    "lanes": "Awaiting a coroutine starts no task: lay_table() runs inside lunch()'s task. Only "
             "create_task() adds a lane, fetch_menu()'s: 2 lanes.",
    "await lay_table() waits": "await lay_table() runs lay_table() right there, and lunch() waits as long "
                               "as lay_table() does: its sleep(3), 3 s.",
    "await menu_task waits": "fetch_menu()'s task started at 0 s, next to lunch(), and was done at 1 s. "
                             "When lunch() reaches await menu_task, at 3 s, the task is done: await gives "
                             "its result at once, 0 s.",
    "steps of lunch()": "lunch() takes 2 steps: the first runs until lay_table()'s sleep(3) has to wait; "
                        "the second, at 3 s, runs from there to the end, because await menu_task finds "
                        "the task done and does not end the step.",
}
QUESTION = {
    "lanes": "Does await lay_table() start a task of its own?",
    "await lay_table() waits": "While lunch() is inside lay_table(), whose sleep does it wait on?",
    "await menu_task waits": "Where was fetch_menu()'s task when lunch() got to await menu_task?",
    "steps of lunch()": "Does await menu_task give the loop a turn, when the task it awaits is done?",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.lower().replace("seconds", "").replace("steps", "").replace("lanes", "")
        if text.strip() in ("none", "no", "no wait", "zero", "nothing"):
            return 0.0
        try:
            return float(text.replace("s", "").strip())
        except ValueError:
            return None
    return None


def _blank(value: Any) -> bool:
    return value is None or value is Ellipsis


@exercise("04-predict-the-waits")
def predict_the_waits(trace: "Trace", prediction: Any = None) -> Verdict:
    """A prediction of lunch(): lanes, the wait at each await, the main task's steps; against the trace."""
    main = trace.tasks[0]
    menus = [t for t in trace.tasks if t.coroutine == "fetch_menu"]
    if (main.coroutine != "lunch" or not menus or menus[0].finished is None
            or not _waited_inside(main, "lunch", "lay_table")):
        return not_yet(f"This is not the trace of lunch() as given (its first lane is {main.label}). "
                       "Did you change the program, or pass another run to check?",
                       "Run the cell with lunch() as it is given: lunch_run = await trace(lunch()).")
    if not isinstance(prediction, dict) or any(_blank(prediction.get(key)) for key in KEYS):
        return not_yet("my_prediction still has ... where a guess goes, so there is nothing to compare "
                       "with the trace yet. Before you look: how many lanes will the chart have, how "
                       "many seconds will lunch() wait at each of its two awaits, and how many steps "
                       "(blue ticks) will its lane have?",
                       "Replace each ... with a number: the lanes of the chart, the seconds lunch() waits "
                       "at each await (0 if it does not wait), and the steps of lunch()'s lane.")
    menu = menus[0]
    truth = {
        "lanes": float(len(trace.tasks)),
        "await lay_table() waits": sum(length for _, length in _waited_inside(main, "lunch", "lay_table")),
        "await menu_task waits": sum(length for step, length in _waits(main) if step.waits_on == menu.name),
        "steps of lunch()": float(len(main.steps)),
    }
    shown = {
        "lanes": f"the chart has {len(trace.tasks)} lanes, {main.label} and {menu.label}",
        "await lay_table() waits": f"lunch()'s lane waits {seconds(truth['await lay_table() waits'])} "
                                   "with the row lay_table under it",
        "await menu_task waits": (f"lunch()'s lane waits {seconds(truth['await menu_task waits'])} on "
                                  f"{menu.name}" if truth["await menu_task waits"] > EPSILON else
                                  f"lunch()'s lane has no wait on {menu.name}: that task ended at "
                                  f"{seconds(menu.finished)}, and lunch() reached the await at "
                                  f"{seconds(main.steps[-1].start)}"),
        "steps of lunch()": f"lunch()'s lane has {len(main.steps)} blue ticks, at "
                            + " and ".join(seconds(s.start) for s in main.steps),
    }
    wrong = []
    for key in KEYS:
        guess = _number(prediction[key])
        if guess is None or abs(guess - truth[key]) > 0.01:
            wrong.append(key)
    if wrong:
        said = "; ".join(f"{key}: you said {prediction[key]!r}, and {shown[key]}" for key in wrong)
        right = len(KEYS) - len(wrong)
        return not_yet(f"{right} of 4 right. {said}. {QUESTION[wrong[0]]}",
                       " ".join(WHY[key] for key in wrong))
    return solved(f"All four right. lay_table() ran inside lunch()'s task (no lane of its own, the row "
                  f"under the lane), and lunch() waited {seconds(truth['await lay_table() waits'])} on its "
                  f"sleep. fetch_menu()'s task had ended at {seconds(menu.finished)}, so at "
                  f"{seconds(main.steps[-1].start)} await menu_task gave its result at once: no wait, no "
                  "arrow, no extra step. lunch_run.chart(steps=True) shows both.")
