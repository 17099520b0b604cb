"""The Gantt chart: one lane per Task, in the order the tasks were created.

Solid bars are steps (the task is *running*), light hatched bars are *ready*
(queued, waiting for its turn), thin grey bars are *waiting*, labelled with
what the task waits on. A marker ends each lane: a green dot for a result, a
red cross for an exception, a grey square for a cancellation. Arrows show
wake-ups: a step of one task resolved what another one awaited. The legend lists the
marks the chart draws, and only those.

All bars of one kind are one collection, so 100,000 spans draw fast: where a lane has more bars
than pixels, those that touch within half a pixel are drawn as one, and past `MERGE_FROM` bars
the collection is one path. Past
`density.GROUP_ABOVE` tasks the chart groups the lanes by coroutine (`helpers.draw.density`).
Nothing here touches pyplot: a `Chart` owns its `Figure`, and a notebook shows
it through `_repr_png_` (its text form is a one-line summary, stable for nbval).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path

from ..model import paused_gc
from .late import draw_late_timers, late_timers

if TYPE_CHECKING:
    from ..model import Trace

RUNNING = "#1f6fb4"
READY = "#f4a340"
WAITING = "#d5d8dc"
LOOP_BUSY = "#333333"
STALL = "#d62728"
STUCK = "#f6c9c9"        # a deadlock: waits that would have gone on forever (edged in STALL)
LINK = "#7b3fa0"
REAL_TIME = "#e3f0fb"   # a virtual-clock stretch that passed in real time
AWAIT_CHAIN = "#b9d3ea"  # under a lane: inside which awaited coroutine the task is suspended
RESOURCE = "#9fd8b8"     # a shared resource's lane: a Queue's size, a held Lock, a set Event
RESOURCE_EDGE = "#3c8a5f"
DESTROYED, DESTROYED_MARKER = "#222222", r"$\dagger$"   # a pending task the garbage collector destroyed
UNSEEN = "#555555"       # "?" before a lane whose first step ran unseen (a task built with eager_start=True)
END_MARKERS = {"result": ("o", "#2ca02c"), "exception": ("X", "#d62728"), "cancelled": ("s", "#7f7f7f")}

MAX_LABELLED_LANES = 40
MAX_LINKS = 200
MERGE_FROM = 5_000       # a kind of bar with more rows than this: those touching within half a pixel are merged


@dataclass
class Spans:
    """Every interval of a trace as flat arrays: lane, start, end (clock seconds)."""
    running: np.ndarray
    ready: np.ndarray
    waiting: np.ndarray
    waiting_labels: list[tuple[int, float, float, str]]


@paused_gc
def collect_spans(trace: "Trace", upto: float | None = None,
                  steps_shown: Sequence[int] | None = None) -> Spans:
    """Running / ready / waiting intervals of every task, optionally cut at time `upto`.

    steps_shown: per task, how many of its steps to draw (the replay cuts by step,
    since many steps share one instant on the virtual clock).
    """
    running: list[tuple[int, float, float]] = []
    ready: list[tuple[int, float, float]] = []
    waiting: list[tuple[int, float, float]] = []
    labels: list[tuple[int, float, float, str]] = []
    end_of_time = trace.duration if upto is None else upto
    for lane, task in enumerate(trace.tasks):
        previous_end, previous_waits = None, ""
        for step in task.steps if steps_shown is None else task.steps[:steps_shown[lane]]:
            if upto is not None and step.ready > upto:
                if previous_end is not None:
                    waiting.append((lane, previous_end, upto))
                    labels.append((lane, previous_end, upto, previous_waits))
                previous_end = None
                break
            if previous_end is not None:
                waiting.append((lane, previous_end, step.ready))
                labels.append((lane, previous_end, step.ready, previous_waits))
            if step.start > step.ready:
                ready.append((lane, step.ready, min(step.start, end_of_time)))
            if upto is None or step.start <= upto:
                running.append((lane, step.start, min(step.end, end_of_time)))
            previous_end, previous_waits = step.end, step.waits_on
            if not step.waits_on:
                previous_end = None
        if previous_end is not None:  # still waiting when the trace (or the cut) ends, or it was destroyed
            until = end_of_time if task.destroyed is None else min(end_of_time, task.destroyed)
            waiting.append((lane, previous_end, until))
            labels.append((lane, previous_end, until, previous_waits))
    as_array = lambda rows: np.array(rows, dtype=float).reshape(-1, 3)  # noqa: E731
    return Spans(as_array(running), as_array(ready), as_array(waiting), labels)


def time_axis(trace: "Trace", xmax: float | None = None) -> float:
    """Where the time axis ends (seconds): the run's end, with room past it for a deadlock's waits."""
    end = xmax if xmax is not None else (trace.duration or 1.0)  # a run that took no time still gets an axis
    if trace.deadlock and xmax is None:
        end *= 1.35  # room to show the stuck tasks waiting on past the end
    return end * 1.04


def new_figure(lanes: int, width: float, fast: bool) -> tuple[Figure, Any]:
    """A chart's figure and axes, its height from its number of lanes (all of them past 40: 11 in)."""
    labelled = lanes <= MAX_LABELLED_LANES
    height = min(1.2 + 0.38 * lanes, 11.0) if labelled else 11.0
    fig = Figure(figsize=(width, height), dpi=72 if fast else 100, layout=None if fast else "constrained")
    ax = fig.add_subplot()
    if fast:  # constrained layout draws everything twice to measure it
        fig.subplots_adjust(left=0.2, right=0.84, top=1 - 0.45 / height, bottom=0.55 / height)
    return fig, ax


def _merged(rows: np.ndarray, min_width: float, gap: float) -> np.ndarray:
    """Rows of (lane, start, end), in lane order, with those of one lane that overlap or touch
    (within `gap`, once widened to `min_width`) merged into one: the same pixels, far fewer bars."""
    if len(rows) <= MERGE_FROM:
        return rows
    y, x0 = rows[:, 0], rows[:, 1]
    x1 = np.maximum(rows[:, 2], x0 + min_width)
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (y[1:] != y[:-1]) | (x0[1:] > x1[:-1] + gap)
    starts = np.flatnonzero(first)
    return np.column_stack([y[starts], np.minimum.reduceat(x0, starts), np.maximum.reduceat(x1, starts)])


def _collection(verts: np.ndarray, **style: Any) -> Any:
    """Bars as one collection. Past MERGE_FROM of them, one path holding them all: matplotlib
    makes an object of each bar's path and Agg draws them one at a time, 3 times slower (the
    bars' edges are then smoothed once for their union, not once per bar)."""
    if len(verts) <= MERGE_FROM:
        return PolyCollection(verts, **style)
    closed = np.concatenate([verts, verts[:, :1]], axis=1).reshape(-1, 2)
    codes = np.tile(np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                             dtype=Path.code_type), len(verts))
    return PathCollection([Path(closed, codes)], **style)


def _bars(lane_start_end: np.ndarray, height: float, min_width: float) -> np.ndarray:
    """Rectangle vertices (n, 4, 2) for rows of (lane, start, end)."""
    y, x0, x1 = lane_start_end[:, 0], lane_start_end[:, 1], lane_start_end[:, 2]
    x1 = np.maximum(x1, x0 + min_width)
    top, bottom = y - height / 2, y + height / 2
    return np.stack([np.stack([x0, top], 1), np.stack([x1, top], 1),
                     np.stack([x1, bottom], 1), np.stack([x0, bottom], 1)], 1)


@paused_gc
def draw_gantt(trace: "Trace", *, ax: Any = None, loop_lane: bool = False,
               links: bool | None = None, title: str | None = None, upto: float | None = None,
               now: float | None = None, xmax: float | None = None, width: float = 9.0,
               highlight: int | None = None, fast: bool = False,
               steps_shown: Sequence[int] | None = None, awaits: bool | None = None,
               xpad: float = 0.02, axes_width: float | None = None, group: bool | None = None,
               density: Any = None) -> Figure:
    """Draw `trace` as a Gantt chart and return the figure.

    loop_lane: add a lane for the event loop itself (busy / idle, stalls in red).
    links: draw wake-up arrows (default: when there are at most 40 tasks).
    upto: draw only what had happened by that time (live and replay views).
    now: mark that instant with a vertical line.
    highlight: shade the lane of this task id (the replay's running task).
    fast: fixed margins and a lower resolution, for frames drawn many times a second.
    steps_shown: per task, how many of its steps to draw (the replay's cut).
    xpad: room left of 0 s, as a fraction of the time axis, so that marks at 0 s clear the y axis.
    awaits: under each lane, the chain of the program's own coroutines the task is suspended
    in (``main > others``), one row per depth (default: when some task awaits a coroutine).
    axes_width: the time axis's length in inches, for `ax` sharing its figure with others (the
    filmstrip's panels): a label is written only where it fits (default: 3/4 of the figure's width).
    group: lanes of one coroutine grouped into a band, shaded by how many of its tasks were
    running / ready / waiting (`helpers.draw.density`); default: past `GROUP_ABOVE` tasks,
    except in the replay's frames (`steps_shown`, `highlight`), which need a lane per task.
    density: the `DensityView` to draw (built from the trace if not given): grouped.
    """
    if density is not None or wants_groups(trace, group, steps_shown, highlight):
        from .density import draw_density
        return draw_density(trace, view=density, ax=ax, loop_lane=loop_lane, title=title, upto=upto,
                            now=now, xmax=xmax, width=width, fast=fast, xpad=xpad)
    n_tasks = len(trace.tasks)
    offset = 1 if loop_lane else 0
    lanes = max(n_tasks + offset + len(trace.resources), 1)
    labelled = lanes <= MAX_LABELLED_LANES
    if ax is None:
        fig, ax = new_figure(lanes, width, fast)
    else:
        fig = ax.figure
    inches = axes_width if axes_width is not None else fig.get_figwidth() * 0.75
    span = time_axis(trace, xmax)
    min_width = span * (0.004 if labelled else 0.001)
    spans = collect_spans(trace, upto, steps_shown)
    bar = 0.62 if labelled else 0.9
    gap = span * 0.5 / (fig.get_figwidth() * 0.75 * fig.dpi)   # half a pixel, in seconds

    def lanes_of(rows: np.ndarray, widen: float = 0.0) -> np.ndarray:
        rows = _merged(rows, widen, gap).copy()
        rows[:, 0] += offset
        return rows

    # (the axis's limits are set below: the data's would cost as much as drawing 100,000 bars)
    ax.add_collection(_collection(_bars(lanes_of(spans.waiting), bar * 0.35, 0.0),
                                  facecolors=WAITING, edgecolors="none", zorder=1), autolim=False)
    ax.add_collection(_collection(_bars(lanes_of(spans.ready), bar, 0.0), facecolors="none",
                                  edgecolors=READY, hatch="////", linewidths=0.0, zorder=2), autolim=False)
    ax.add_collection(_collection(_bars(lanes_of(spans.running, min_width), bar, min_width),
                                  facecolors=RUNNING, edgecolors="none", zorder=3), autolim=False)
    if labelled:
        _label_waits(ax, inches, spans.waiting_labels, offset, span)
    if awaits is None:
        awaits = labelled and any(len(s.coroutines) > 1 for t in trace.tasks for s in t.steps)
    if awaits:
        _await_chains(ax, inches, trace, offset, upto, span, steps_shown)
    _end_markers(ax, trace, offset, upto, labelled, steps_shown)
    late = late_timers(trace, upto)
    draw_late_timers(ax, late, offset, inches, span, labelled)
    if loop_lane:
        _loop_lane(ax, trace, bar, min_width, upto)
    if links is None:
        links = labelled
    if links:
        _wake_links(ax, trace, offset, upto, span, steps_shown)
    if upto is None or upto >= trace.duration:
        _stuck(ax, trace, offset, bar, span)
    _run_marks(ax, trace, upto)
    if trace.resources:
        _resource_lanes(ax, inches, trace, offset + n_tasks, upto, span)
    if highlight is not None:
        ax.axhspan(highlight + offset - 0.5, highlight + offset + 0.5, color="#fff3c4", zorder=0)
    if now is not None:
        ax.axvline(now, color="#222222", linewidth=1.0, linestyle="--", zorder=6)

    ax.set_xlim(-span * xpad, span)
    ax.set_ylim(lanes - 0.5, -0.5)
    names = ((["event loop"] if loop_lane else []) + [t.label for t in trace.tasks]
             + [_resource_label(r) for r in trace.resources]) or [""]
    if labelled:
        ax.set_yticks(range(lanes), names, fontsize=9, parse_math=False)
    else:
        stride = max(1, lanes // 20)
        ax.set_yticks(range(0, lanes, stride), [names[i] for i in range(0, lanes, stride)], fontsize=7,
                      parse_math=False)
    ax.set_xlabel(f"time (s), {trace.clock} clock")
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=11, loc="left", parse_math=False)
    whole = spans if upto is None and steps_shown is None else collect_spans(trace)
    kinds = [len(whole.running) > 0, len(whole.ready) > 0, bool(np.any(whole.waiting[:, 2] > whole.waiting[:, 1]))]
    marks = [*(kind for kind, shown in zip(("running", "ready", "waiting"), kinds) if shown),
             *(outcome for outcome in END_MARKERS if any(t.outcome == outcome for t in trace.tasks)),
             *(["destroyed"] if any(t.destroyed is not None for t in trace.tasks) else []),
             *(["unseen start"] if any(t.unseen_start for t in trace.tasks) else [])]
    if links and trace.links:
        marks.append("wakes up")
    if awaits and any(len(s.coroutines) > 1 and s.waits_on for t in trace.tasks for s in t.steps):
        marks.append("awaits")
    if stuck_tasks(trace):
        marks.append("stuck")
    if late or (upto is not None and late_timers(trace)):
        marks.append("late timer")
    legend(ax, trace, marks, loop_lane)
    return fig


def wants_groups(trace: "Trace", group: bool | None, steps_shown: Sequence[int] | None = None,
                 highlight: int | None = None) -> bool:
    """Whether the time chart groups its lanes by coroutine (`group`, or by default past GROUP_ABOVE
    tasks, except in the replay's frames, which mark one task's lane)."""
    if group is not None:
        return group
    from .density import GROUP_ABOVE
    return steps_shown is None and highlight is None and len(trace.tasks) > GROUP_ABOVE


def _run_marks(ax: Any, trace: "Trace", upto: float | None) -> None:
    """Stretches of the virtual clock that passed in real time, and where an interrupt stopped the run."""
    for a, b in trace.real_time:
        if upto is None or a <= upto:
            ax.axvspan(a, b if upto is None else min(b, upto), color=REAL_TIME, zorder=0, linewidth=0)
    if trace.interrupted is not None and (upto is None or trace.interrupted <= upto):
        ax.axvline(trace.interrupted, color=STALL, linewidth=1.2, zorder=6)
        ax.text(trace.interrupted, -0.5, f" interrupted at {trace.interrupted:.2f} s", color=STALL,
                fontsize=8, ha="left", va="bottom", zorder=6)


def await_spans(trace: "Trace", upto: float | None = None,
                steps_shown: Sequence[int] | None = None) -> list[tuple[int, int, float, float, str]]:
    """(task lane, depth, start, end, coroutine) for each suspension inside an awaited coroutine.

    Depth 1 is a coroutine the task's own coroutine awaits (``await others()``), depth 2 what
    that one awaits (``deeper`` or, further down, ``deeper > deepest``). One span per suspension (step end to next step start): the
    recorder knows which functions a task is in, not which call, so each suspension is its own.
    """
    spans = []
    for lane, task in enumerate(trace.tasks):
        steps = task.steps if steps_shown is None else task.steps[:steps_shown[lane]]
        for i, step in enumerate(steps):
            if len(step.coroutines) < 2 or not step.waits_on:
                continue
            end = steps[i + 1].start if i + 1 < len(steps) else trace.duration
            if upto is not None:
                if step.end > upto:
                    break
                end = min(end, upto)
            inner = step.coroutines[1:]
            spans.append((lane, 1, step.end, end, inner[0]))
            if len(inner) > 1:  # two rows fit under a lane: deeper chains share the second
                spans.append((lane, 2, step.end, end, " > ".join(inner[1:])))
    return spans


def _await_chains(ax: Any, inches: float, trace: "Trace", offset: int, upto: float | None, span: float,
                  steps_shown: Sequence[int] | None) -> None:
    rows = await_spans(trace, upto, steps_shown)
    if not rows:
        return
    inches_per_second = inches / span
    bars = np.array([(lane + offset + 0.17 + 0.13 * depth, a, b) for lane, depth, a, b, _ in rows], dtype=float)
    ax.add_collection(PolyCollection(_bars(bars, 0.1, span * 0.002), facecolors=AWAIT_CHAIN,
                                     edgecolors="white", linewidths=0.6, zorder=2), autolim=False)
    for (lane, depth, a, b, name), (y, _, _) in zip(rows, bars):
        if (b - a) * inches_per_second >= 0.055 * len(name) + 0.1:
            ax.text((a + b) / 2, y, name, ha="center", va="center", fontsize=6.5, color="#24496b",
                    zorder=4, clip_on=True, parse_math=False)


def _resource_label(resource: Any) -> str:
    limits = {r[3] for r in resource.changes}
    if resource.kind == "Queue" and limits - {0, None}:
        return f"{resource.name} (Queue, maxsize {max(limits - {None})})"
    return f"{resource.name} ({resource.kind})"


def resource_steps(resource: Any, upto: float | None, end: float) -> list[tuple[float, float, Any, tuple[int, ...]]]:
    """(start, end, level, waiting task ids): the resource's state as a row of intervals."""
    rows = []
    changes = [c for c in resource.changes if upto is None or c[0] <= upto]
    for i, (time, _, level, _, waiting) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else (end if upto is None else min(end, upto))
        if rows and rows[-1][0] == time and until == time:
            continue
        rows.append((time, until, level, waiting))
    return rows


def _resource_lanes(ax: Any, inches: float, trace: "Trace", first_lane: int, upto: float | None,
                    span: float) -> None:
    """Under the tasks: a Queue's size (and its maxsize), a Semaphore's free slots, who holds
    a Lock or Condition, when an Event was set; the tasks waiting on each, by name."""
    inches_per_second = inches / span
    for r, resource in enumerate(trace.resources):
        lane = first_lane + r
        rows = resource_steps(resource, upto, trace.duration)
        if not rows:
            continue
        if resource.kind in ("Queue", "Semaphore"):
            top = max([row[2] or 0 for row in rows] + [c[3] or 0 for c in resource.changes] + [1])
            xs = [row[0] for row in rows] + [rows[-1][1]]
            ys = [lane + 0.3 - 0.6 * (row[2] or 0) / top for row in rows]
            ax.fill_between(xs, [lane + 0.3] * len(xs), ys + ys[-1:], step="post", color=RESOURCE,
                            alpha=0.8, linewidth=0, zorder=2)
            if resource.kind == "Queue" and any(c[3] for c in resource.changes):
                ax.axhline(lane - 0.3, color=RESOURCE_EDGE, linewidth=0.6, linestyle=":", zorder=2)
            texts = [(a, b, str(level)) for a, b, level, _ in rows]
        else:
            lit = [(lane, a, b) for a, b, level, _ in rows if level]
            if lit:
                ax.add_collection(PolyCollection(_bars(np.array(lit, dtype=float), 0.5, span * 0.003),
                                                 facecolors=RESOURCE, edgecolors="none", zorder=2))
            if resource.kind == "Event":
                texts = [(a, b, "set") for a, b, level, _ in rows if level]
            else:
                texts = [(a, b or trace.duration, f"held by {trace.tasks[owner].name}" if owner >= 0 else "held")
                         for a, b, owner in resource.held() if upto is None or a <= upto]
        for a, b, text in texts:
            if (b - a) * inches_per_second >= 0.06 * len(text) + 0.05:
                ax.text((a + b) / 2, lane, text, ha="center", va="center", fontsize=7, color="#1d3d2f",
                        zorder=4, clip_on=True, parse_math=False)
        for a, b, _, waiting in rows:
            names = ", ".join(trace.tasks[t].name for t in waiting)
            text = f"waiting: {names}"
            if waiting and (b - a) * inches_per_second >= 0.055 * len(text) + 0.05:
                ax.text((a + b) / 2, lane + 0.42, text, ha="center", va="bottom", fontsize=6.5,
                        color=STALL, zorder=4, clip_on=True, parse_math=False)


def _label_waits(ax: Any, inches: float, labels: list[tuple[int, float, float, str]],
                 offset: int, span: float) -> None:
    inches_per_second = inches / span
    for lane, a, b, text in labels:
        if (b - a) * inches_per_second >= 0.065 * len(text) + 0.1:
            ax.text((a + b) / 2, lane + offset - 0.2, text, ha="center", va="bottom",
                    fontsize=7.5, color="#555555", zorder=4, clip_on=True, parse_math=False)


def stuck_tasks(trace: "Trace") -> list[tuple[int, str]]:
    """(task id, what it waits on) of each task a deadlock left waiting forever (the recorder
    cancelled them at the end of the run)."""
    if not trace.deadlock:
        return []
    return [(lane, task.steps[-2].waits_on) for lane, task in enumerate(trace.tasks)
            if task.outcome == "cancelled" and task.finished == trace.duration and len(task.steps) > 1]


def _stuck(ax: Any, trace: "Trace", offset: int, bar: float, span: float) -> None:
    """A deadlock: the stuck tasks' waits go on to the edge, as they would have forever."""
    for lane, waits_on in stuck_tasks(trace):
        ax.add_patch(_rect(trace.duration, span, lane + offset, bar * 0.35, STUCK, edgecolor=STALL,
                           linewidth=0.8))
        ax.text(span, lane + offset - 0.2, f"stuck on {waits_on} (deadlock)", ha="right",
                va="bottom", fontsize=7.5, color=STALL, zorder=4, parse_math=False)


def _end_markers(ax: Any, trace: "Trace", offset: int, upto: float | None, labelled: bool,
                 steps_shown: Sequence[int] | None) -> None:
    for outcome, (marker, colour) in END_MARKERS.items():
        points = [(t.finished, lane + offset) for lane, t in enumerate(trace.tasks)
                  if t.outcome == outcome and t.finished is not None
                  and (upto is None or t.finished <= upto)
                  and (steps_shown is None or steps_shown[lane] == len(t.steps))]
        if points:
            xs, ys = zip(*points)
            ax.scatter(xs, ys, marker=marker, color=colour, s=42 if labelled else 8, zorder=5,
                       edgecolors="white", linewidths=0.6)
    points = [(t.destroyed, lane + offset) for lane, t in enumerate(trace.tasks)
              if t.destroyed is not None and (upto is None or t.destroyed <= upto)]
    if points:
        xs, ys = zip(*points)
        ax.scatter(xs, ys, marker=DESTROYED_MARKER, color=DESTROYED, s=70 if labelled else 14, zorder=5)
    for lane, task in enumerate(trace.tasks):   # what came before the recorder saw it is not known
        if task.unseen_start and (upto is None or task.created <= upto):
            ax.annotate("?", (task.created, lane + offset), xytext=(-4, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=9 if labelled else 6, fontweight="bold",
                        color=UNSEEN, zorder=5)


def _loop_lane(ax: Any, trace: "Trace", bar: float, min_width: float, upto: float | None) -> None:
    busy = [(0, a, b) for a, b in trace.busy() if upto is None or a <= upto]
    if busy:
        ax.add_collection(PolyCollection(_bars(np.array(busy, dtype=float), bar, min_width),
                                         facecolors=LOOP_BUSY, edgecolors="none", zorder=3), autolim=False)
    for stall in trace.stalls:
        step = trace.tasks[stall.task].steps[stall.step]
        if upto is not None and step.start > upto:
            continue
        ax.add_patch(_rect(step.start, max(step.end, step.start + min_width), 0, bar, STALL))
        ax.text((step.start + step.end) / 2, -0.42, f"blocked {stall.real_duration:.1f} s",
                ha="center", va="bottom", fontsize=8, color=STALL, zorder=6)


def _rect(x0: float, x1: float, y: float, height: float, colour: str, **style: Any) -> Any:
    from matplotlib.patches import Rectangle
    style = {"edgecolor": "none", "zorder": 4, **style}
    return Rectangle((x0, y - height / 2), x1 - x0, height, facecolor=colour, **style)


def _wake_links(ax: Any, trace: "Trace", offset: int, upto: float | None, span: float,
                steps_shown: Sequence[int] | None) -> None:
    seen: dict[float, int] = {}
    gap = span * 0.1 / (ax.figure.get_figwidth() * 0.75)   # 0.1 inch: clear of the end markers and ticks
    for link in trace.links[:MAX_LINKS]:
        if upto is not None and link.time > upto:
            continue
        if steps_shown is not None and link.waker_step >= steps_shown[link.waker]:
            continue
        nth = seen[link.time] = seen.get(link.time, -1) + 1
        x = link.time + (nth + 1) * gap   # beside the instant's marks; several side by side, not on top
        ax.annotate("", xy=(x, link.woken + offset), xytext=(x, link.waker + offset),
                    arrowprops=dict(arrowstyle="-|>", color=LINK, linewidth=1.2, shrinkA=3, shrinkB=6),
                    zorder=6)


def legend_handles() -> dict[str, Any]:
    """Every mark a time chart can draw, as a legend entry, in the legend's order."""
    return {
        "running": Patch(facecolor=RUNNING, label="running"),
        "ready": Patch(facecolor="none", edgecolor=READY, hatch="////", label="ready"),
        "waiting": Patch(facecolor=WAITING, label="waiting"),
        **{outcome: Line2D([], [], marker=marker, color=colour, linestyle="none", label=outcome)
           for outcome, (marker, colour) in END_MARKERS.items()},
        "destroyed": Line2D([], [], marker=DESTROYED_MARKER, color=DESTROYED, linestyle="none", markersize=9,
                            label="destroyed while pending\n(garbage-collected)"),
        "unseen start": Line2D([], [], marker="$?$", color=UNSEEN, linestyle="none", markersize=8,
                               label="started unseen\n(eager_start=True)"),
        "stuck": Patch(facecolor=STUCK, edgecolor=STALL, linewidth=0.8, label="stuck forever\n(deadlock)"),
        "wakes up": Line2D([], [], color=LINK, marker=">", label="wakes up"),
        "late timer": Line2D([], [], color=STALL, linewidth=2.2, label="timer fired late\n(from its due time)"),
        "loop busy": Patch(facecolor=LOOP_BUSY, label="loop busy"),
        "stall": Patch(facecolor=STALL, label="blocked the loop"),
        "real time": Patch(facecolor=REAL_TIME, label="real time: outside\nwork in flight"),
        "resources": Patch(facecolor=RESOURCE, label="queue size / free slots,\nheld lock, set event"),
        "awaits": Patch(facecolor=AWAIT_CHAIN, label="suspended inside\nthis coroutine"),
        "interrupted": Line2D([], [], color=STALL, label="interrupted"),
        "band": Line2D([], [], color="#9aa3ad", linestyle=(0, (1, 2)), label="all of a band's tasks"),
    }


def legend(ax: Any, trace: "Trace", marks: list[str], loop_lane: bool) -> None:
    """The legend of the marks drawn: `marks` names the task marks (running ... stuck), the
    marks of the run as a whole (the loop's lane, real time, resources, an interrupt) are added here.

    A frame cut at some moment (live, replay) lists what the whole chart draws, so its
    layout does not change from frame to frame.
    """
    marks = list(marks)
    if loop_lane:
        marks += ["loop busy"] + (["stall"] if trace.stalls else [])
    if trace.real_time:
        marks.append("real time")
    if trace.resources:
        marks.append("resources")
    if trace.interrupted is not None:
        marks.append("interrupted")
    handles = [handle for name, handle in legend_handles().items() if name in marks]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def figure_png(figure: Figure) -> bytes:
    """PNG bytes of a figure, without the version stamp that would differ between machines."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


class Chart:
    """A drawn Gantt chart: shows itself in a notebook, saves to PNG.

    `density` is what a grouped chart draws (`helpers.draw.density.DensityView`), else None.
    """

    def __init__(self, trace: "Trace", **options: Any) -> None:
        self.trace = trace
        self.density = options.get("density")
        if self.density is None and wants_groups(trace, options.get("group"), options.get("steps_shown"),
                                                 options.get("highlight")):
            from .density import density_view
            self.density = options["density"] = density_view(trace, upto=options.get("upto"),
                                                             xmax=options.get("xmax"))
        self.figure = draw_gantt(trace, **options)
        self.text = f"<Gantt chart: {trace.summary()}>"

    def png(self) -> bytes:
        return figure_png(self.figure)

    def save(self, path: str) -> None:
        self.figure.savefig(path, metadata={"Software": None} if str(path).endswith(".png") else None)

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return self.text


def side_by_side(*traces: "Trace", titles: list[str] | None = None, height: float = 2.8) -> Chart:
    """Several traces in one figure, on the same time scale and lane height: for comparing runs."""
    chart = Chart.__new__(Chart)
    chart.trace = traces[0]
    chart.figure = Figure(figsize=(6.5 * len(traces), height), layout="constrained")
    axes = chart.figure.subplots(1, len(traces), squeeze=False)[0]
    end = max(t.duration for t in traces)
    # every panel as tall as the tallest: tasks, the loop's lane, resource lanes
    lanes = max([len(t.tasks) + len(t.resources) for t in traces if not wants_groups(t, None)], default=0)
    for i, (ax, trace) in enumerate(zip(axes, traces)):
        duration = f"{trace.duration:.2f}" if trace.clock == "virtual" else f"{trace.duration:.1f}"
        title = titles[i] if titles else f"{trace.tasks[0].coroutine}(): {duration} s"
        draw_gantt(trace, ax=ax, xmax=end, title=title, axes_width=chart.figure.get_figwidth() * 0.75 / len(traces))
        if not wants_groups(trace, None):   # (a grouped chart's bands have heights of their own)
            ax.set_ylim(lanes - 0.5, -0.5)
        if i < len(traces) - 1:
            ax.get_legend().remove()  # one legend is enough
    labels = titles or (["left", "right"] if len(traces) == 2 else [f"#{n + 1}" for n in range(len(traces))])
    chart.text = "\n".join(f"{label}: {t.summary()}" for label, t in zip(labels, traces))
    return chart
