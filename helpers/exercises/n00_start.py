"""Exercises of notebooks/00_start_here.ipynb: predict a chart, then read one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import blank as _blank, number as _number, seconds, tasks_running, unanswered

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6
# What a learner may call each breakfast job, besides its task's name and its coroutine's.
OTHER_NAMES = {
    "boil_water": ("hot water", "water", "kettle", "the kettle"),
    "make_toast": ("toast", "toaster", "the toaster"),
    "boil_eggs": ("eggs", "egg", "the eggs"),
}



def _who(trace: "Trace", said: Any) -> "TaskTrace | None":
    """The task a learner's words name: "Task-2", "boil_water", "boil_water()", "kettle" ..."""
    if not isinstance(said, str):
        return None
    words = " ".join(said.lower().replace("()", " ").replace('"', " ").split())
    for task in trace.tasks:
        names = {task.name.lower(), task.coroutine.lower(), task.label.lower().replace("()", "").strip()}
        names.update(OTHER_NAMES.get(task.coroutine, ()))
        if words in names:
            return task
    return None



def _wakers(trace: "Trace", task: "TaskTrace") -> list[tuple["TaskTrace", float]]:
    """The tasks whose step woke `task`, with the time, in the order of the wake-ups."""
    by_id = {t.id: t for t in trace.tasks}
    return [(by_id[link.waker], link.time) for link in sorted(trace.links, key=lambda k: k.time)
            if link.woken == task.id]


PREDICTION_KEYS = ("seconds", "ready first", "wakes breakfast")


@exercise("00-predict-breakfast")
def predict_breakfast(trace: "Trace", prediction: Any = None) -> Verdict:
    """A prediction of the breakfast run, written before running it, against its trace."""
    if not isinstance(prediction, dict) or any(_blank(prediction.get(key)) for key in PREDICTION_KEYS):
        return not_yet("my_prediction still has ... where a guess goes, so there is nothing to compare "
                       "with the chart yet. Before you look: how many seconds will breakfast() take in "
                       "all, which dish will be ready first, and whose end will let breakfast() go on "
                       "to its print?",
                       "Replace each ... with your guess: a number of seconds, \"hot water\" or \"toast\", "
                       "\"boil_water\" or \"make_toast\". Then run the cell again.")
    kettles, toasters = tasks_running(trace, "boil_water"), tasks_running(trace, "make_toast")
    if not kettles or not toasters or any(t.finished is None for t in kettles + toasters):
        return not_yet("This trace has no finished boil_water() and make_toast() lanes: is it the trace "
                       "of breakfast()?", "Run morning = await trace(breakfast()) in this cell, unchanged.")
    kettle, toaster, main = kettles[0], toasters[0], trace.tasks[0]
    if main.coroutine != "breakfast":
        return not_yet(f"This is the trace of {main.coroutine}(), not of breakfast(): which run did you "
                       "pass to check?", "Run morning = await trace(breakfast()) in this cell, unchanged.")
    first = min((kettle, toaster), key=lambda t: t.finished or 0.0)
    wakers = _wakers(trace, main)
    missed: list[str] = []
    fixes: list[str] = []

    guess = _number(prediction["seconds"])
    if guess is None or abs(guess - trace.duration) > 0.01:
        said_seconds = f"{guess:g} s" if guess is not None else repr(prediction["seconds"])
        missed.append(f"You guessed {said_seconds} for the whole breakfast; the trace says "
                      f"{seconds(trace.duration)}. In the chart below, do the grey bars of sleep(3) and "
                      "sleep(2) come one after the other, or side by side?")
        fixes.append("Both sleeps began at 0.00 s and went on at the same time, so breakfast took as long "
                     f"as the longer one: write {trace.duration:g}.")
    said = _who(trace, prediction["ready first"])
    if said is not first:
        missed.append(f"You guessed {prediction['ready first']!r} would be ready first; in the trace "
                      f"{first.coroutine}() ended first, at {seconds(first.finished or 0.0)}. The printout "
                      "names the hot water first: is that the order the dishes were ready, or the order "
                      "in which breakfast() awaited them?")
        fixes.append(f"The shorter sleep ends first: {first.coroutine}().")
    said = _who(trace, prediction["wakes breakfast"])
    if not wakers or said is not wakers[-1][0]:
        if wakers:
            last, time = wakers[-1]
            seen = (f"the purple arrow into the lane of {main.label} comes from {last.label} at "
                    f"{seconds(time)}")
            fixes.append("breakfast() awaits the kettle first and waits on it until it ends; the toaster "
                         "had ended before, so `await toaster` returned at once and woke nothing: write "
                         f"{last.coroutine!r}.")
        else:
            seen = f"no purple arrow goes into the lane of {main.label}"
            fixes.append("Look for a purple arrow into the lane of breakfast().")
        missed.append(f"You guessed {prediction['wakes breakfast']!r} for the end that lets breakfast() "
                      f"go on; in the chart {seen}. When breakfast() reached `await toaster`, was the "
                      "toast still being made?")
    if missed:
        right = len(PREDICTION_KEYS) - len(missed)
        head = (f"{right} of your 3 guesses match{'es' if right == 1 else ''} the trace. " if right
                else "")
        return not_yet(head + " ".join(missed), " ".join(fixes))
    return solved(f"All three guesses match the trace. The two sleeps overlapped, so breakfast took "
                  f"{seconds(trace.duration)}, the longer wait, not the sum; {first.coroutine}() was "
                  f"done first, at {seconds(first.finished or 0.0)}; and breakfast() was woken once, by "
                  f"the end of {wakers[-1][0].label} (the purple arrow). `await toaster` then returned "
                  "at once, in the same step: the toast had been ready since "
                  f"{seconds(toaster.finished or 0.0)}.")


@exercise("00-read-the-eggs-chart")
def read_the_eggs_chart(trace: "Trace", answer: Any = None) -> Verdict:
    """Read from the chart who woke the main coroutine, in order, and when the last wake-up came."""
    main = trace.tasks[0] if trace.tasks else None
    if main is None or not tasks_running(trace, "boil_eggs"):
        return not_yet("This trace has no lane for boil_eggs(): is it the trace of breakfast_with_eggs()?",
                       "Pass eggs_run, the trace drawn above: check(\"00-read-the-eggs-chart\", eggs_run, "
                       "my_answer).")
    wakers = _wakers(trace, main)
    arrows = (f"The purple arrows that end on the lane of {main.label}: which lanes do they start from, "
              "and where on the time axis is the last one?")
    keys = ("woken by", "last wake-up at")
    missing = unanswered(answer, keys, arrows,
                         "Write the coroutine names of the lanes the arrows start from, in order of time, as "
                         "a list, and the time of the last arrow in seconds, as a number.")
    if missing is not None:
        return missing
    said = answer["woken by"]
    said = [said] if isinstance(said, str) else list(said) if isinstance(said, (list, tuple)) else [said]
    named = [_who(trace, s) for s in said]
    truth = [task for task, _ in wakers]
    fix_who = (f"The arrows start from the lanes of {', then '.join(t.coroutine + '()' for t in truth)}: "
               f"\"woken by\": {[t.coroutine for t in truth]!r}.")
    if None in named:
        unknown = said[named.index(None)]
        return not_yet(f"The chart has no lane called {unknown!r}. " + arrows,
                       "Name a lane by its coroutine (\"boil_water\") or its task (\"Task-2\"). " + fix_who)
    if named != truth:
        toaster = tasks_running(trace, "make_toast")
        if toaster and toaster[0] in named and toaster[0] not in truth:
            return not_yet(f"You listed make_toast, but no arrow starts from the lane of "
                           f"{toaster[0].label}: it ends with a green dot at "
                           f"{seconds(toaster[0].finished or 0.0)} and woke nobody. What did `await "
                           f"toaster` find when {main.coroutine}() got there?", fix_who)
        if sorted(t.id for t in named) == sorted(t.id for t in truth):
            return not_yet("Those are the right lanes, but not in the order of their arrows. Which arrow "
                           "comes first on the time axis?", fix_who)
        return not_yet(f"The chart has {len(truth)} arrow{'s' if len(truth) != 1 else ''} into the lane "
                       f"of {main.label}, and your list names {len(named)} lane"
                       f"{'s' if len(named) != 1 else ''}. " + arrows, fix_who)
    last_time = wakers[-1][1] if wakers else 0.0
    when = _number(answer["last wake-up at"])
    if when is None or abs(when - last_time) > 0.05:
        said_time = f"{when:g} s" if when is not None else repr(answer["last wake-up at"])
        return not_yet(f"Right lanes, in the right order. The last arrow is not at {said_time}, though: "
                       "where does the lane it starts from end on the time axis?",
                       f"The last arrow starts where {truth[-1].label} ends: {last_time:g} s.")
    eggs = tasks_running(trace, "boil_eggs")[0]
    return solved(f"{main.coroutine}() was woken {len(truth)} times: "
                  + ", then ".join(f"by {t.coroutine}() at {seconds(time)}" for t, time in wakers)
                  + f". The toaster woke nobody: when `await toaster` came, its task had ended, so the "
                  f"await returned at once. And the eggs went in only at {seconds(eggs.created)}, so "
                  f"breakfast took {seconds(trace.duration)}.")
