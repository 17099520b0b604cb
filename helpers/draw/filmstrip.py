"""A still picture of a moving run: a few key moments of the replay, side by side.

Where widgets and animation do not run (GitHub, nbviewer, a stored notebook, a
static export, Colab's viewer) a live chart or a replay player would otherwise
leave only the final chart, which the page already shows. A filmstrip keeps what
moved: a handful of the loop's steps (the first, the last, and between them the
longest ready queue, the moments the clock jumps, a task ends or wakes another,
spread over the run), each a small panel with the chart cut at that step, its
step number and clock time, the ready queue as the step begins and its caption.

The moments are picked from the trace's order of events in one pass (a byte a
step), then only the picked ones are built (`helpers.replay.iter_moments` with
``only=``): a run of 2,000 tasks builds six snapshots, not six thousand. Nothing
here depends on the time of day: the same trace gives the same picture.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..replay import Moment, iter_moments, short_list
from .gantt import figure_png
from .player import draw_moment

if TYPE_CHECKING:
    from ..model import Trace

FRAMES = 6          # at most this many panels by default
FEWEST = 4          # ... and at least this many (or every step of a shorter run)
WIDTH = 9.0         # inches: 900 px at 100 dpi, the final chart's width
LABELS = 1.2        # inches: about what the lanes' names take, left of the first column
GAP = 0.3           # inches between two panels of a row
HEADING, TITLE, TICKS, LEGEND = 0.3, 0.25, 0.25, 0.45   # inches: the lines around the charts
TEXT_PT = 8.0       # the panels' words
CHAR_PT = 0.6       # an average character of DejaVu Sans, in ems (for wrapping)
HIGHLIGHT = "#fff3c4"   # the running task's lane (draw_gantt's highlight)

# How telling a step is, as a picture of the run (more is better; the first and the last are always kept).
ORDINARY, TELLING, CLOCK, BUSIEST = 0, 1, 2, 3


def step_kinds(trace: "Trace") -> bytearray:
    """One byte per loop step, in the loop's order: how telling the step is.

    BUSIEST: the first step with the longest ready queue behind it (two tasks or more). CLOCK: the
    last step before the loop waits for time to pass (everyone is waiting), and the first step after
    (a timer fell due, or something from outside arrived). TELLING: a task's last step (it ends), or
    a step that resolves what another task waits on. ORDINARY: the others.
    """
    wakers = {(link.waker, link.waker_step) for link in trace.links}
    gap = 1e-9 if trace.clock == "virtual" else 1e-3   # the real clock moves a little at every step
    kinds = bytearray()
    previous_end: float | None = None
    ready: set[int] = set()
    busiest, longest = -1, 1
    for event in trace.events:
        if event.kind == "ready":
            ready.add(event.task)
            continue
        if event.kind != "runs":
            continue
        ready.discard(event.task)
        if len(ready) > longest:
            busiest, longest = len(kinds), len(ready)
        task = trace.tasks[event.task]
        step = task.steps[event.step]
        kind = ORDINARY
        if event.step == len(task.steps) - 1 and task.outcome is not None or (event.task, event.step) in wakers:
            kind = TELLING
        if previous_end is not None and step.start > previous_end + gap:
            kinds[-1] = max(kinds[-1], CLOCK)
            kind = CLOCK
        kinds.append(kind)
        previous_end = step.end
    if busiest >= 0:
        kinds[busiest] = BUSIEST
    return kinds


def pick_moments(kinds: bytearray | bytes, frames: int = FRAMES, fewest: int = FEWEST) -> list[int]:
    """The indices of the steps to show: the first and the last, then the most telling kinds first,
    each time the step farthest from those already picked (the earliest of equals), until `frames`;
    ordinary steps only to reach `fewest`."""
    n = len(kinds)
    if n == 0 or frames < 1:
        return []
    picked = [n - 1] if frames == 1 else sorted({0, n - 1})
    every = np.frombuffer(bytes(kinds), dtype=np.uint8)
    for kind, most in ((BUSIEST, frames), (CLOCK, frames), (TELLING, frames), (ORDINARY, min(frames, fewest))):
        pool = np.flatnonzero(every == kind)
        pool = pool[~np.isin(pool, picked)]
        if len(picked) >= most or not len(pool):
            continue
        distance = np.min(np.abs(pool[:, None] - np.asarray(picked)[None, :]), axis=1)
        while len(picked) < most and len(pool):
            best = int(np.argmax(distance))       # the first of the farthest: deterministic
            chosen = int(pool[best])
            picked.append(chosen)
            pool = np.delete(pool, best)
            distance = np.minimum(np.delete(distance, best), np.abs(pool - chosen))
    return sorted(picked)


@dataclass
class Panel:
    """What one panel says, as drawn: for tests and tools to read."""
    moment: Moment
    title: str          # "step 4 of 7 · 0.00 s"
    ready: str          # "ready: Task-3 → Task-1" (the queue behind the task that runs)
    caption: str        # the step's caption (drawn wrapped to the panel's width)


class Filmstrip:
    """A few key moments of a trace, side by side: shows itself in a notebook, saves to PNG."""

    def __init__(self, trace: "Trace", frames: int = FRAMES, columns: int | None = None) -> None:
        self.trace = trace
        kinds = step_kinds(trace)
        self.run_steps = len(kinds)
        self.picked = pick_moments(kinds, frames)
        self.moments = list(iter_moments(trace, only=self.picked))
        self.columns = columns or (2 if len(self.moments) <= 4 else 3)
        self.panels = [self._panel(m) for m in self.moments]
        self._figure: Figure | None = None
        n = len(self.moments)
        self.text = (f"<filmstrip of {trace.summary()}: {n} of {self.run_steps} steps"
                     f" ({', '.join(str(m.index + 1) for m in self.moments)})>" if n else
                     f"<filmstrip of {trace.summary()}: no steps>")

    def _panel(self, moment: Moment) -> Panel:
        ready = short_list(moment.ready, " → ", most=5) or "(empty)"
        return Panel(moment, f"step {moment.index + 1} of {self.run_steps} · {moment.time:.2f} s",
                     f"ready: {ready}", moment.caption)

    @property
    def figure(self) -> Figure:
        if self._figure is None:
            self._figure = self._draw()
        return self._figure

    def _draw(self) -> Figure:
        """Panels in rows of `columns`, laid out by hand (a layout engine would draw it all twice):
        what the lanes' names, the titles and the words take is measured, the charts get the rest."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        trace, panels, columns = self.trace, self.panels, self.columns
        figure = Figure(figsize=(WIDTH, 1.0), dpi=100)
        FigureCanvasAgg(figure)
        if not panels:
            figure.text(0.02, 0.5, "This run has no loop steps: no task ever ran, so nothing moved.",
                        va="center", fontsize=10, parse_math=False)
            return figure
        renderer = figure.canvas.get_renderer()
        extent = lambda artist: artist.get_window_extent(renderer)   # noqa: E731  (pixels: 100 an inch)
        rows = -(-len(panels) // columns)
        lanes = len(trace.tasks) + len(trace.resources)
        chart_height = min(max(0.6 + 0.2 * lanes, 1.2), 3.2)
        axes, legend = [], None
        for panel in panels:
            ax = figure.add_axes((0, 0, 1, 1))
            axes.append(ax)
            draw_moment(trace, panel.moment, ax, axes_width=(WIDTH - LABELS) / columns - GAP)
            if ax.get_legend() is not None:
                if legend is None:
                    legend = ax.get_legend()
                    handles, labels = list(legend.legend_handles), [t.get_text() for t in legend.get_texts()]
                ax.get_legend().remove()
            ax.set_xlabel("")
            ax.tick_params(labelsize=7)
            ax.set_title(panel.title, loc="left", fontsize=9, fontweight="bold", parse_math=False)
        names = [label for label in axes[0].get_yticklabels() if label.get_text()]
        left = min(max((extent(label).width for label in names), default=0) / 100 + 0.15, 2.5)
        chart_width = (WIDTH - left - 0.15 - (columns - 1) * GAP) / columns
        chars = max(int(chart_width * 72 / (TEXT_PT * CHAR_PT)), 20)
        words = []
        for i, (ax, panel) in enumerate(zip(axes, panels)):
            if i % columns:
                ax.tick_params(labelleft=False)    # the lanes are named once, left of each row
            text = (textwrap.fill(panel.ready, chars, subsequent_indent="  ") + "\n"
                    + textwrap.fill(panel.caption, chars))
            words.append(ax.annotate(text, (0, 0), xycoords="axes fraction", xytext=(0, -TICKS * 72),
                                     textcoords="offset points", va="top", ha="left", fontsize=TEXT_PT,
                                     parse_math=False, linespacing=1.2, annotation_clip=False))
        # Top to bottom, in inches: the heading, then per row a title, the chart, the time axis's
        # numbers and the words; the legend last.
        heights = [max(extent(w).height for w in words[r * columns:(r + 1) * columns]) / 100 for r in range(rows)]
        below = LEGEND if legend is not None else 0.1
        heading = textwrap.fill(
            f"{trace.tasks[0].coroutine}(): {len(panels)} key moments of the loop's {self.run_steps} steps"
            f" · seconds on the {trace.clock} clock · “ready”: the queue as the step begins",
            int(WIDTH * 72 / (9 * CHAR_PT)) - 4)
        total = HEADING * (heading.count("\n") + 1) + sum(TITLE + chart_height + TICKS + h + 0.12 for h in heights) + below
        figure.set_size_inches(WIDTH, total)
        top = total - HEADING * (heading.count("\n") + 1)
        for r in range(rows):
            top -= TITLE + chart_height
            for c, ax in enumerate(axes[r * columns:(r + 1) * columns]):
                ax.set_position(((left + c * (chart_width + GAP)) / WIDTH, top / total,
                                 chart_width / WIDTH, chart_height / total))
            top -= TICKS + heights[r] + 0.12
        if legend is not None:
            handles += [Line2D([], [], color="#222222", linewidth=1.0, linestyle="--"), Patch(facecolor=HIGHLIGHT)]
            labels += ["now", "runs this step"]
            figure.legend(handles, [label.replace("\n", " ") for label in labels], loc="lower center",
                          bbox_to_anchor=(0.5, 0.0), ncols=min(len(labels), 8), fontsize=7.5, frameon=False)
        figure.text(0.1 / WIDTH, 1 - 0.08 / total, heading, ha="left", va="top", fontsize=9, parse_math=False)
        return figure

    def png(self) -> bytes:
        return figure_png(self.figure)

    def save(self, path: str) -> None:
        self.figure.savefig(path, metadata={"Software": None} if str(path).endswith(".png") else None)

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return self.text


def filmstrip(trace: "Trace", frames: int = FRAMES, columns: int | None = None) -> Filmstrip:
    """A few key moments of `trace` side by side (see the module's docstring)."""
    return Filmstrip(trace, frames, columns)
