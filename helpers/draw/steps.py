"""The loop's steps, drawn: one column per step, in the order the loop ran them.

On the virtual clock a step takes no time, so the time chart squeezes everything that happens
at one instant into one tick, and a task's *ready* stretch (queued, waiting for its turn) has
no width at all. Here the horizontal axis is the loop's order of steps (`Step.seq`): one column
per step, exactly one task running in each (the one thread, visible). A task is ready from the
step that queued it to the step that ran it; waits are labelled as in the time chart; a dashed
line between two columns marks where the clock moved (``→ 2.00 s``). Every wake-up a task's
step caused has an arrow from that step to the step it woke, also when it went through loop
callbacks the step queued (``asyncio.wait``, ``gather``, a ``TaskGroup``: the woken task is
then ready from where the last callback ran); a timer's comes from the clock's mark. Arrows
at one instant never overlap, since the steps they reach are different columns.

`step_view(trace)` builds what is drawn as plain data (`StepView`), which tests read;
`draw_steps` draws it with one collection per kind of mark. Past `MAX_COLUMNS` steps only the
first ones are drawn, with a note on the figure. Past `density.GROUP_ABOVE` tasks the lanes of one
coroutine are grouped into a band (`helpers.draw.density`); the legend lists the marks drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..record.recorder import IO_WAKES
from .gantt import (END_MARKERS, LINK, MAX_LABELLED_LANES, READY, RUNNING, WAITING, Chart, _bars, draw_gantt,
                    legend_handles)

if TYPE_CHECKING:
    from ..model import Trace

MAX_COLUMNS = 400      # beyond this many steps, the first ones are drawn and the figure says so
BAR = 0.8              # a running step's width, in columns
CLOCK = "#5a6b7b"      # where the clock moved between two columns
MAX_WAIT_LABELS = 300
MAX_IO_LABELS = 12      # "socket readable" words at the tails of at most this many selector arrows


@dataclass
class Ready:
    """A task queued for its next step: from the column that queued it to the column that ran it."""
    lane: int
    step: int              # which step of the task it was queued for
    queued: int            # the column in which it was queued (-1: before the first step)
    between: bool          # queued after column `queued` (by a timer or a loop callback), not during it
    runs: int | None       # the column that ran it; None: not among the columns drawn (or never)

    @property
    def x0(self) -> float:
        return self.queued + (0.5 if self.between else 0.0)


@dataclass
class Wait:
    """A task suspended after the step in column `after`, on `label`, until `until` (an x)."""
    lane: int
    after: int
    until: float           # where its ready interval begins, or the right edge
    label: str


@dataclass
class Arrow:
    """A wake-up: the step in column `source` resolved what the step in column `target` awaited."""
    source: int            # the waking step's column; for a timer, the last column before it fired
    target: int            # the woken step's column
    source_lane: int | None  # the waker's lane; None for a timer or the selector (drawn from the clock's mark)
    target_lane: int
    cause: str             # the waker's name, "timer", or what the selector saw ("socket readable" ...)


@dataclass
class Jump:
    """The clock moved between column `after` and the next one, to `time`."""
    after: int
    time: float


@dataclass
class StepView:
    """What the step view draws, as data."""
    clock: str
    lanes: list[str]                 # task labels; a task's lane is its id (creation order)
    columns: np.ndarray              # the task running in each column, in the loop's order
    steps: np.ndarray                # which step of that task
    times: np.ndarray                # clock time at which each column's step began
    ends: np.ndarray                 # ... and ended
    ready: list[Ready] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    jumps: list[Jump] = field(default_factory=list)
    finished: list[tuple[int, int, str]] = field(default_factory=list)  # (lane, last column, outcome)
    total: int = 0                   # steps in the whole run; `columns` holds the first ones

    @property
    def cut(self) -> bool:
        return self.total > len(self.columns)


def step_view(trace: "Trace", max_columns: int = MAX_COLUMNS) -> StepView:
    """The trace's first `max_columns` steps as columns, with ready intervals, waits, wake-ups."""
    tasks = trace.tasks
    total = sum(len(t.steps) for t in tasks)
    n = min(total, max_columns)
    columns = np.full(n, -1, dtype=int)
    step_of = np.full(n, -1, dtype=int)
    starts = np.zeros(n)
    ends = np.zeros(n)
    for t in tasks:
        for i, s in enumerate(t.steps):
            if s.seq >= n:
                break  # a task's steps come in the loop's order: the rest are further on
            columns[s.seq], step_of[s.seq], starts[s.seq], ends[s.seq] = t.id, i, s.start, s.end
    view = StepView(trace.clock, [t.label for t in tasks], columns, step_of, starts, ends, total=total)

    # Where each step was queued: the column of the last step begun before its "ready" event.
    # The events are read from their sort keys (perf, rank, index, then Event's time, task, kind,
    # detail, step), in the order `Trace.events` has them: building 100,000 Event objects would
    # cost more than all the rest of this view, and only the first columns' events are needed.
    keys = trace.event_keys
    keys.sort()   # as `Trace.events` does; cheap once sorted
    queued: dict[tuple[int, int], int] = {}
    current = -1
    for key in keys:
        kind = key[5]
        if kind == "runs":
            seq = tasks[key[4]].steps[key[7]].seq
            if seq >= n:
                break
            current = seq
        elif kind == "ready":
            queued.setdefault((key[4], key[7]), current)
    woke = {(l.woken, l.woken_step): l for l in trace.links}
    ready_x: dict[tuple[int, int], float] = {}
    for (tid, k), column in queued.items():
        task = tasks[tid]
        runs = task.steps[k].seq if k < len(task.steps) and task.steps[k].seq < n else None
        link = woke.get((tid, k))
        woken_by = task.steps[k].woken_by if k < len(task.steps) else ""
        if link is not None and link.waker_step < len(tasks[link.waker].steps):
            source = tasks[link.waker].steps[link.waker_step].seq
            if link.direct:   # queued during the waker's step (in a nested run, not the last begun)
                column, between = source, False
            else:             # by a callback that step queued, which ran after column `column`
                between = True
            if runs is not None:
                view.arrows.append(Arrow(source, runs, link.waker, tid, tasks[link.waker].name))
        else:
            # during the creator's step, or at the end of its own (it yielded); else between steps
            between = column < 0 or not (woken_by.startswith("created by") or woken_by == "itself")
            if (woken_by == "timer" or woken_by in IO_WAKES) and runs is not None:
                view.arrows.append(Arrow(column, runs, None, tid, woken_by))
        item = Ready(tid, k, column, between, runs)
        view.ready.append(item)
        ready_x[(tid, k)] = item.x0
    view.arrows.sort(key=lambda a: a.target)

    edge = n - 0.5
    for t in tasks:
        for k, s in enumerate(t.steps):
            if s.seq >= n:
                break
            if s.waits_on:
                until = ready_x.get((t.id, k + 1), edge)
                if until > s.seq + BAR / 2:
                    view.waits.append(Wait(t.id, s.seq, until, s.waits_on))
        if t.outcome is not None and t.steps and t.steps[-1].seq < n:
            view.finished.append((t.id, t.steps[-1].seq, t.outcome))

    if n > 1:
        gaps = starts[1:] - ends[:-1]
        if trace.clock == "virtual":
            moved = np.nonzero(gaps > 0)[0]
        else:   # the real clock always moves a little: mark where the loop sat idle
            moved = np.nonzero(gaps >= max(1e-3, trace.duration / 100))[0]
        view.jumps = [Jump(int(c), float(starts[c + 1])) for c in moved]
    return view


def draw_steps(trace: "Trace", *, ax: Any = None, view: StepView | None = None,
               max_columns: int = MAX_COLUMNS, links: bool = True, title: str | None = None,
               width: float = 9.0, group: bool | None = None, density: Any = None) -> Figure:
    """Draw the loop's steps of `trace`, one column per step, and return the figure.

    view: the `StepView` to draw (built from the trace if not given).
    links: draw the wake-up arrows.
    group: lanes of one coroutine grouped into a band (default: past `density.GROUP_ABOVE` tasks);
    density: the grouped view to draw (`density.step_density`), grouped.
    """
    if view is None:
        view = step_view(trace, max_columns)
    if density is not None or wants_groups(view, group):
        from .density import draw_step_density
        return draw_step_density(trace, view, density, ax=ax, title=title, width=width)
    n = len(view.columns)
    lanes = max(len(view.lanes), 1)
    labelled = lanes <= MAX_LABELLED_LANES
    if ax is None:
        height = min(1.5 + 0.38 * lanes, 11.0) if labelled else 11.0
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    bar = 0.62 if labelled else 0.9
    edge = max(n, 1) - 0.5

    cols = np.arange(n, dtype=float)
    running = np.column_stack([view.columns, cols - BAR / 2, cols + BAR / 2]).astype(float)
    ready = np.array([(r.lane, r.x0, edge if r.runs is None else r.runs - BAR / 2) for r in view.ready],
                     dtype=float).reshape(-1, 3)
    ready = ready[ready[:, 2] > ready[:, 1]]
    waiting = np.array([(w.lane, w.after + BAR / 2, w.until) for w in view.waits], dtype=float).reshape(-1, 3)
    ax.add_collection(PolyCollection(_bars(waiting, bar * 0.35, 0.0), facecolors=WAITING,
                                     edgecolors="none", zorder=1))
    ax.add_collection(PolyCollection(_bars(ready, bar, 0.0), facecolors="none", edgecolors=READY,
                                     hatch="////", linewidths=0.0, zorder=2))
    ax.add_collection(PolyCollection(_bars(running, bar, 0.0), facecolors=RUNNING,
                                     edgecolors="none", zorder=3))
    if labelled:
        _label_waits(ax, fig, view, n)
    _clock_marks(ax, fig, view, lanes, n)
    if links and view.arrows:
        _arrows(ax, view, bar, fig.get_figwidth() * 0.72 / max(n, 1))
    for outcome, (marker, colour) in END_MARKERS.items():
        points = [(column + BAR / 2, lane) for lane, column, o in view.finished if o == outcome]
        if points:
            xs, ys = zip(*points)
            ax.scatter(xs, ys, marker=marker, color=colour, s=42 if labelled else 8, zorder=5,
                       edgecolors="white", linewidths=0.6)

    ax.set_xlim(-0.5 - 0.01 * max(n, 1), edge + 0.01 * max(n, 1))
    ax.set_ylim(lanes - 0.5, -0.5)
    names = view.lanes or [""]
    if labelled:
        ax.set_yticks(range(lanes), names, fontsize=9, parse_math=False)
    else:
        stride = max(1, lanes // 20)
        ax.set_yticks(range(0, lanes, stride), [names[i] for i in range(0, lanes, stride)], fontsize=7,
                      parse_math=False)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{int(round(x)) + 1}"))
    ax.set_xlabel("the loop's steps, in the order it ran them (one task runs in each)")
    if view.cut:
        ax.text(1.0, -0.06 if not title else 1.02, f"first {n:,} of {view.total:,} steps",
                transform=ax.transAxes, ha="right", va="top" if not title else "bottom",
                fontsize=8, color="#aa3333")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:   # (room above the axes for the clock's labels)
        ax.set_title(title, fontsize=11, loc="left", pad=14 if n else 6, parse_math=False)
    marks = [kind for kind, rows in (("running", running), ("ready", ready), ("waiting", waiting)) if len(rows)]
    marks += sorted({o for _, _, o in view.finished}, key=list(END_MARKERS).index)
    if links and view.arrows:
        marks.append("wakes up")
    if view.jumps:
        marks.append("the clock moves")
    legend(ax, marks)
    return fig


def wants_groups(view: StepView, group: bool | None) -> bool:
    """Whether the step view groups its lanes by coroutine (`group`, or by default past GROUP_ABOVE tasks)."""
    if group is not None:
        return group
    from .density import GROUP_ABOVE
    return len(view.lanes) > GROUP_ABOVE


def _label_waits(ax: Any, fig: Figure, view: StepView, n: int) -> None:
    inches_per_column = fig.get_figwidth() * 0.72 / max(n, 1)
    shown = 0
    for w in view.waits:
        a = w.after + BAR / 2
        if (w.until - a) * inches_per_column >= 0.065 * len(w.label) + 0.1:
            ax.text((a + w.until) / 2, w.lane - 0.2, w.label, ha="center", va="bottom", fontsize=7.5,
                    color="#555555", zorder=4, clip_on=True, parse_math=False)
            shown += 1
            if shown >= MAX_WAIT_LABELS:
                break


def _clock_marks(ax: Any, fig: Figure, view: StepView, lanes: int, n: int) -> None:
    """A dashed line where the clock moved between two columns, labelled with the new time."""
    if not n:
        return
    xs = [j.after + 0.5 for j in view.jumps]
    if xs:
        ax.vlines(xs, -0.5, lanes - 0.5, colors=CLOCK, linestyles=(0, (3, 2)), linewidths=0.8, zorder=1.5)
    inches_per_column = fig.get_figwidth() * 0.72 / max(n, 1)
    marks = [(-0.5, f"{view.times[0]:.2f} s")] + [(x, f"→ {j.time:.2f} s") for x, j in zip(xs, view.jumps)]
    last = None
    for x, text in marks:   # a label where there is room for it after the one before
        if last is not None and (x - last) * inches_per_column < 0.07 * len(text):
            continue
        ax.text(x, -0.5, text, ha="left" if last is None else "center", va="bottom", fontsize=7.5,
                color=CLOCK, zorder=6, clip_on=False)
        last = x


def _arrows(ax: Any, view: StepView, bar: float, inches_per_column: float) -> None:
    """Every wake-up as one quiver: from the waker's bar (or the clock's mark) to the woken bar."""
    x0, y0, x1, y1 = [], [], [], []
    for a in view.arrows:
        if a.source_lane is None:   # a timer or the selector: from the clock's mark, above the woken lane
            x0.append(a.source + 0.5)
            y0.append(a.target_lane - 0.5)
        else:
            down = 1 if a.target_lane > a.source_lane else -1
            x0.append(a.source)
            y0.append(a.source_lane + down * bar / 2)
        x1.append(a.target - BAR / 2)
        y1.append(a.target_lane)
    said = sorted((y, x, a.cause) for x, y, a in zip(x0, y0, view.arrows) if a.cause in IO_WAKES)
    last: tuple[float, float] | None = None   # (row, x) of the last word written
    marks = [-0.5] + [j.after + 0.5 for j in view.jumps]   # the clock's words, on the top lane's row
    for y, x, cause in said if len(said) <= MAX_IO_LABELS else ():   # a timer's is the clock's mark
        room = 0.06 * len(cause)
        if y <= -0.5 and any(abs(x - m) * inches_per_column < room + 0.4 for m in marks):   # half of each
            continue
        if last is None or last[0] != y or (x - last[1]) * inches_per_column >= room:
            ax.text(x, y, cause, ha="center", va="bottom", fontsize=6.5, color=LINK, zorder=6)
            last = (y, x)
    x0, y0, x1, y1 = map(np.asarray, (x0, y0, x1, y1))
    ax.quiver(x0, y0, x1 - x0, y1 - y0, angles="xy", scale_units="xy", scale=1, color=LINK,
              units="dots", width=1.6, headwidth=5, headlength=6, headaxislength=5.5, zorder=6)


def legend(ax: Any, marks: list[str]) -> None:
    """The legend of the marks drawn (`marks`: names of `gantt.legend_handles`, "the clock moves")."""
    handles = {**legend_handles(),
               "the clock moves": Line2D([], [], color=CLOCK, linestyle=(0, (3, 2)), label="the clock moves")}
    ax.legend(handles=[handles[m] for m in marks], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)


class StepsChart(Chart):
    """A drawn step view (or, with the time chart above it, both): shows itself in a notebook."""

    def __init__(self, trace: "Trace", *, max_columns: int = MAX_COLUMNS, group: bool | None = None,
                 **options: Any) -> None:
        self.trace = trace
        self.view = step_view(trace, max_columns)
        self.density = _step_density(trace, self.view, group)
        self.figure = draw_steps(trace, view=self.view, density=self.density, group=group, **options)
        self.text = f"<loop steps chart: {trace.summary()}>"


def _step_density(trace: "Trace", view: StepView, group: bool | None) -> Any:
    """The grouped step view's data, if the step view is grouped; else None."""
    if not wants_groups(view, group):
        return None
    from .density import step_density
    return step_density(trace, view)


def time_and_steps(trace: "Trace", *, max_columns: int = MAX_COLUMNS, title: str | None = None,
                   width: float = 9.0, group: bool | None = None, **options: Any) -> StepsChart:
    """The time chart (seconds) above, the loop's steps below: what happened inside each instant.

    group: both grouped by coroutine (default: past `density.GROUP_ABOVE` tasks); options go to
    the time chart (`draw_gantt`).
    """
    chart = StepsChart.__new__(StepsChart)
    chart.trace = trace
    chart.view = step_view(trace, max_columns)
    chart.density = _step_density(trace, chart.view, group)
    lanes = max(len(trace.tasks), 1)
    one = min(1.5 + 0.38 * lanes, 7.0) if lanes <= MAX_LABELLED_LANES else 7.0
    chart.figure = Figure(figsize=(width, 2 * one + 0.3), dpi=100, layout="constrained")
    top, bottom = chart.figure.subplots(2, 1)
    draw_gantt(trace, ax=top, title=title, width=width, group=group, **options)
    draw_steps(trace, ax=bottom, view=chart.view, density=chart.density, group=group, width=width,
               title="the same run, step by step: what happened inside each instant")
    chart.text = f"<Gantt chart and loop steps: {trace.summary()}>"
    return chart
