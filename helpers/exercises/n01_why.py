"""Exercises of notebooks/01_why_coroutines.ipynb."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved
from .checks import calls_of, most_at_once, seconds, tasks_running

if TYPE_CHECKING:
    from ..model import Trace

EPSILON = 1e-6


@exercise("01-three-downloads")
def three_downloads(trace: "Trace") -> Verdict:
    """Three downloads (2 s, 4 s, 3 s) waiting at the same time: done in 4 s, not 9 s."""
    runs = calls_of(trace, "download")
    if not runs:
        return not_yet("The chart shows no download() at all. Keep main() calling "
                       "download(name, seconds) for each of the three files.")
    at_once = most_at_once(runs)
    took = seconds(trace.duration)
    if at_once <= 1:
        if not tasks_running(trace, "download"):
            return not_yet(f"The run took {took}: the chart has a single lane, and its waits sit end to "
                           "end, one download after another. While one download waits, the loop has "
                           "nothing else to run. Start all three downloads as tasks "
                           "(asyncio.create_task) before you await any of them.")
        return not_yet(f"The run took {took}: the downloads have lanes of their own, but each lane starts "
                       "only when the one before it has ended. Create all three tasks first, and only "
                       "then await them.")
    if at_once == 2:
        return not_yet(f"The run took {took}: at most two downloads waited at the same time, so one of "
                       "them still waited alone. Create all three tasks before you await any of them.")
    if at_once > 3:
        return not_yet(f"The chart shows {at_once} downloads waiting at once: the exercise has three "
                       "files. Start one download per file, once.")
    longest = max(end - start for start, end in runs)
    if trace.duration > longest + EPSILON:
        return not_yet(f"All three downloads waited at the same time, but the run took {took}, more than "
                       f"the longest download ({seconds(longest)}). Something else waited after them: "
                       "main() should only wait for the downloads.")
    total = sum(end - start for start, end in runs)
    return solved(f"All three downloads waited at the same time, so the run took {took}: the longest "
                  f"download, not the sum of the three ({seconds(total)}).")
