"""Many tasks at once: lanes of one coroutine grouped into a band, its height how many of them were in each state.

A run of 1,000 tasks drawn a lane each is 1,000 lines a pixel high: nothing can be read off it.
Past `GROUP_ABOVE` tasks the time chart (and the step view) groups the tasks by coroutine instead:
one band per coroutine (``worker() ×998``; a task alone in its coroutine keeps its own name,
``Task-1 main()``), and in each band how many of its tasks were running, ready and waiting,
stacked up from the band's base; the dotted line at the band's top is all of its tasks. The
x axis is cut into cells (`BINS` slices of time; in the step view, one per loop step), and a
task counts once in a cell: as running if it ran in it at all (on the virtual clock a step
takes no time), else as ready if it was queued in it, else as waiting. How the tasks ended
is marked under the band where it happened and summed up beside its name (``998 returned, 2 raised``);
a deadlock's stuck tasks go on past the run's end, as in the lane view.

`density_view(trace)` (time) and `step_density(trace, view)` (steps) build the counts as
plain data (`DensityView`), which tests read; `draw_density` and `draw_step_density` draw
them, one collection per kind of mark. ``t.chart(group=False)`` keeps one lane per task,
``group=True`` groups any run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..model import paused_gc
from .gantt import (END_MARKERS, READY, RUNNING, STALL, STUCK, WAITING, _loop_lane, _resource_label,
                    _resource_lanes, _run_marks, collect_spans, legend, new_figure, stuck_tasks, time_axis)

if TYPE_CHECKING:
    from ..model import Trace
    from .steps import StepView

GROUP_ABOVE = 60        # more tasks than this: their lanes are grouped by coroutine
MAX_BANDS = 24          # more coroutines than this: the smallest groups share one band
BINS = 240              # the time chart's cells: about 3 pixels each
BAND = 3                # a band's height, in lanes (a task alone: 1)
TOP, BOTTOM = 4, 9      # pixels of room in a band above its counts and under them (end marks)
BAND_EDGE = "#9aa3ad"   # the dotted line at a band's full height: all of its tasks
WORDS = {"result": "returned", "exception": "raised", "cancelled": "cancelled", None: "unfinished"}
KINDS = ("running", "ready", "waiting")


@dataclass
class Band:
    """The tasks of one coroutine, and how many of them were in each state in each cell."""
    name: str                  # "worker()"; for a task alone, its label ("Task-1 main()")
    tasks: np.ndarray          # their ids (lanes of the ungrouped chart)
    running: np.ndarray        # per cell: how many of them ran in it
    ready: np.ndarray          # ... were queued in it and did not run
    waiting: np.ndarray        # ... only waited in it
    ends: dict[str | None, np.ndarray] = field(default_factory=dict)  # outcome -> per cell: how many ended in it
    stuck: int = 0             # left waiting forever by a deadlock (also counted as cancelled)

    @property
    def label(self) -> str:
        return self.name if len(self.tasks) == 1 else f"{self.name} ×{len(self.tasks):,}"

    def summary(self) -> str:
        """How its tasks ended, in words: ``998 returned, 2 raised``."""
        counts = {outcome: int(per_cell.sum()) for outcome, per_cell in self.ends.items()}
        counts["cancelled"] = counts.get("cancelled", 0) - self.stuck
        unfinished = len(self.tasks) - sum(counts.values()) - self.stuck
        parts = [f"{n:,} {WORDS[outcome]}" for outcome, n in counts.items() if n > 0]
        if self.stuck:
            parts.append(f"{self.stuck:,} stuck forever (deadlock)")
        if unfinished > 0:
            parts.append(f"{unfinished:,} {WORDS[None]}")
        return ", ".join(parts)


@dataclass
class DensityView:
    """What a grouped chart draws, as data: a band per coroutine, counts per cell."""
    clock: str
    edges: np.ndarray          # the cells' edges on the x axis: seconds, or (step view) columns ± 0.5
    bands: list[Band]
    tasks: int                 # tasks in the run

    def cell(self, x: float) -> int:
        """The cell holding `x` (a time, or a column)."""
        return int(np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, len(self.edges) - 2))

    def at(self, x: float) -> dict[str, tuple[int, int, int]]:
        """Band label -> (running, ready, waiting) in the cell holding `x`."""
        c = self.cell(x)
        return {b.label: (int(b.running[c]), int(b.ready[c]), int(b.waiting[c])) for b in self.bands}

    @property
    def note(self) -> str:
        return (f"{self.tasks:,} tasks: lanes of one coroutine grouped; "
                f"height = how many were running / ready / waiting")


def groups(trace: "Trace") -> list[tuple[str, np.ndarray]]:
    """(name, task ids) of each band, in the order their first tasks were created; past
    MAX_BANDS coroutines the smallest groups share a last band."""
    by_coroutine: dict[str, list[int]] = {}
    for task in trace.tasks:
        by_coroutine.setdefault(task.coroutine, []).append(task.id)
    kept = list(by_coroutine.items())
    others: list[tuple[str, list[int]]] = []
    if len(kept) > MAX_BANDS:
        biggest = sorted(kept, key=lambda item: (-len(item[1]), item[1][0]))
        chosen = {name for name, _ in biggest[:MAX_BANDS - 1]}
        others = [item for item in kept if item[0] not in chosen]
        kept = [item for item in kept if item[0] in chosen]
    named = [(trace.tasks[ids[0]].label if len(ids) == 1 else f"{name}()", np.array(ids)) for name, ids in kept]
    if others:
        ids = np.sort(np.concatenate([np.array(i) for _, i in others]))
        named.append((f"{len(others)} other coroutines", ids))
    return named


def _count(band_of: np.ndarray, n_bands: int, n_cells: int,
           ranges: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """(3, bands, cells) counts of tasks running / ready / waiting in each cell.

    ranges: for waiting, ready, running (in that order: each wins over the one before), rows
    of (task, first cell, last cell). A task counts once per cell, in the state that wins.
    """
    counts = np.zeros((3, n_bands, n_cells), dtype=np.int64)
    n_tasks = len(band_of)
    chunk = max(1, 4_000_000 // (n_cells + 1))     # tasks at a time: a few MB of cells, whatever the run
    ordered = []
    for lane, first, last in ranges:
        order = np.argsort(lane, kind="stable")
        ordered.append((lane[order], first[order], last[order]))
    for lo in range(0, n_tasks, chunk):
        hi = min(n_tasks, lo + chunk)
        state = np.zeros((hi - lo, n_cells), dtype=np.int8)
        for level, (lane, first, last) in enumerate(ordered, 1):
            a, b = np.searchsorted(lane, lo), np.searchsorted(lane, hi)
            row = (lane[a:b] - lo) * (n_cells + 1)
            size = (hi - lo) * (n_cells + 1)
            edges = (np.bincount(row + first[a:b], minlength=size)
                     - np.bincount(row + last[a:b] + 1, minlength=size))
            covered = np.cumsum(edges.reshape(hi - lo, n_cells + 1), axis=1)[:, :n_cells] > 0
            state[covered] = level
        member = (band_of[lo:hi, None] == np.arange(n_bands)).T.astype(np.float32)
        for level in (1, 2, 3):   # (float: a matrix product; exact below 2**24 tasks)
            counts[3 - level] += np.rint(member @ (state == level).astype(np.float32)).astype(np.int64)
    return counts


def _bands(trace: "Trace", n_cells: int, ranges: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
           ended: list[tuple[int, int, str | None]]) -> list[Band]:
    """The bands' counts from per-task cell ranges (waiting, ready, running) and (task, cell, outcome) ends."""
    named = groups(trace)
    band_of = np.zeros(len(trace.tasks), dtype=np.int64)
    for b, (_, ids) in enumerate(named):
        band_of[ids] = b
    counts = _count(band_of, len(named), n_cells, ranges)
    bands = [Band(name, ids, counts[0, b], counts[1, b], counts[2, b]) for b, (name, ids) in enumerate(named)]
    for outcome in END_MARKERS:
        rows = [(band_of[task], cell) for task, cell, o in ended if o == outcome]
        if rows:
            per_cell = np.zeros((len(named), n_cells), dtype=np.int64)
            np.add.at(per_cell, tuple(np.array(rows).T), 1)
            for b, band in enumerate(bands):
                if per_cell[b].any():
                    band.ends[outcome] = per_cell[b]
    return bands


@paused_gc
def density_view(trace: "Trace", upto: float | None = None, xmax: float | None = None,
                 bins: int = BINS) -> DensityView:
    """The time chart's bands: how many tasks of each coroutine were running / ready / waiting
    in each of `bins` slices of the time axis (cut at `upto`, as the live chart is)."""
    span = time_axis(trace, xmax)
    width = span / bins
    spans = collect_spans(trace, upto)

    def cells(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = rows[:, 1] / width, rows[:, 2] / width
        first = np.clip(np.floor(a), 0, bins - 1).astype(np.int64)
        last = np.clip(np.ceil(b) - 1, 0, bins - 1).astype(np.int64)   # a span ending on an edge stops before it
        return rows[:, 0].astype(np.int64), first, np.maximum(first, last)

    ended = [(t.id, min(int(t.finished / width), bins - 1), t.outcome) for t in trace.tasks
             if t.finished is not None and (upto is None or t.finished <= upto)]
    bands = _bands(trace, bins, [cells(spans.waiting), cells(spans.ready), cells(spans.running)], ended)
    if upto is None or upto >= trace.duration:
        stuck = {task for task, _ in stuck_tasks(trace)}
        for band in bands:
            band.stuck = sum(1 for task in band.tasks if int(task) in stuck)
    return DensityView(trace.clock, np.linspace(0.0, span, bins + 1), bands, len(trace.tasks))


def step_density(trace: "Trace", view: "StepView") -> DensityView:
    """The step view's bands: in each column (loop step), how many tasks of each coroutine were
    ready or waiting, and which band's task ran."""
    n = len(view.columns)
    as_rows = lambda rows: tuple(np.array(c, dtype=np.int64) for c in zip(*rows)) if rows else (  # noqa: E731
        np.zeros(0, np.int64),) * 3
    # waiting from the column after its step until (and during) the column that queues it;
    # ready from the next column until the one before it runs; running in its column
    waiting = [(w.lane, w.after + 1, min(int(np.floor(w.until)), n - 1)) for w in view.waits]
    ready = [(r.lane, r.queued + 1, (n if r.runs is None else r.runs) - 1) for r in view.ready]
    running = [(int(lane), c, c) for c, lane in enumerate(view.columns) if lane >= 0]
    ranges = [as_rows([row for row in rows if row[2] >= row[1]]) for rows in (waiting, ready, running)]
    bands = _bands(trace, max(n, 1), ranges, view.finished)
    return DensityView(trace.clock, np.arange(max(n, 1) + 1) - 0.5, bands, len(trace.tasks))


# --- drawing ---------------------------------------------------------------------------------

def _area(edges: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
    """The polygon between two step lines over the cells (None where they meet everywhere)."""
    shown = np.flatnonzero(lower != upper)
    if not len(shown):
        return None
    lo, hi = shown[0], shown[-1] + 1
    x = np.repeat(edges[lo:hi + 1], 2)[1:-1]
    top, bottom = np.repeat(upper[lo:hi], 2), np.repeat(lower[lo:hi], 2)
    return np.concatenate([np.column_stack([x, top]), np.column_stack([x[::-1], bottom[::-1]])])


def _draw_bands(ax: Any, view: DensityView, first: int, right: float, pixel: float,
                running_at_least: float = 0.0, stuck_from: float | None = None, summaries: bool = True
                ) -> tuple[list[float], list[str], int, set[str]]:
    """Draw the bands from lane `first` down; return their tick positions and labels, the lanes
    used and the marks drawn. pixel: one pixel in lanes (a count above 0 is drawn at least that
    high); running_at_least: the running count's least height (the step view's, where it is 0 or 1);
    stuck_from: where a deadlock's stuck tasks begin to wait forever (drawn from there to `right`);
    summaries: how a band's tasks ended, under its name (not in a view of the first steps only)."""
    polygons: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
    edges_y, ticks, labels, marks = [], [], [], set()
    ends: dict[str, list[tuple[float, float]]] = {outcome: [] for outcome in END_MARKERS}
    centres = (view.edges[:-1] + view.edges[1:]) / 2
    lane = first
    for band in view.bands:
        height = BAND if len(band.tasks) > 1 else 1
        top = lane - 0.5 + min(TOP * pixel, 0.15)
        bottom = lane + height - 0.5 - min(BOTTOM * pixel, 0.25 * height)
        scale = (bottom - top) / len(band.tasks)
        level = np.full(len(centres), bottom)
        for kind in KINDS:
            count = getattr(band, kind)
            if count.any():
                marks.add(kind)
            up = np.maximum(level - np.where(count > 0, np.maximum(count * scale, pixel), 0.0), top)
            shown = up   # running at least `running_at_least` high: over what is stacked on it, not under
            if kind == "running" and running_at_least > pixel:
                shown = np.maximum(level - np.where(count > 0, np.maximum(count * scale, running_at_least), 0.0), top)
            area = _area(view.edges, level, shown)
            if area is not None:
                polygons[kind].append(area)
            level = up
        for outcome, per_cell in band.ends.items():
            ends[outcome] += [(x, (bottom + lane + height - 0.5) / 2) for x in centres[per_cell > 0]]
        if height > 1:
            edges_y.append(top)
        if band.stuck and stuck_from is not None:   # as high as the tasks stuck, from the run's end on
            stuck_top = bottom - max(band.stuck * scale, 2 * pixel)
            ax.fill_between([stuck_from, right], bottom, stuck_top, facecolor=STUCK, edgecolor=STALL,
                            linewidth=0.8, zorder=4)
            marks.add("stuck")
        ticks.append((top + bottom) / 2)
        labels.append(f"{band.label}\n{band.summary()}" if summaries and height > 1 else band.label)
        lane += height
    colours = {"running": dict(facecolors=RUNNING, edgecolors="none", zorder=3),
               "ready": dict(facecolors="none", edgecolors=READY, hatch="////", linewidths=0.0, zorder=2),
               "waiting": dict(facecolors=WAITING, edgecolors="none", zorder=1)}
    for kind, shapes in polygons.items():
        if shapes:
            ax.add_collection(PolyCollection(shapes, **colours[kind]), autolim=False)
    if edges_y:
        ax.hlines(edges_y, view.edges[0], view.edges[-1], colors=BAND_EDGE, linestyles=(0, (1, 2)),
                  linewidths=0.8, zorder=1.5)
        marks.add("band")
    for outcome, points in ends.items():
        if points:
            marker, colour = END_MARKERS[outcome]
            xs, ys = zip(*points)
            ax.scatter(xs, ys, marker=marker, color=colour, s=18, zorder=5, edgecolors="white", linewidths=0.4)
            marks.add(outcome)
    return ticks, labels, lane - first, marks


def _pixel(fig: Figure, lanes: int) -> float:
    """About one pixel, in lanes, of an axes filling most of the figure's height."""
    return lanes / max(fig.get_figheight() * fig.dpi * 0.8, 1.0)


def _units(view: DensityView) -> int:
    return sum(BAND if len(b.tasks) > 1 else 1 for b in view.bands)


def _note(ax: Any, note: str, title: str | None, pad: float = 6.0) -> None:
    """The note saying the lanes are grouped, as the axes' title (under `title`, if any)."""
    if title:   # (its clauses on lines of their own: a titled chart may be a narrow panel)
        lines = note.replace("; ", ";\n")
        ax.set_title(f"{title}\n{lines}", fontsize=10, loc="left", pad=pad, parse_math=False)
    else:
        ax.set_title(note, fontsize=8.5, loc="left", color="#555555", pad=pad, parse_math=False)


@paused_gc
def draw_density(trace: "Trace", *, view: DensityView | None = None, ax: Any = None, loop_lane: bool = False,
                 title: str | None = None, upto: float | None = None, now: float | None = None,
                 xmax: float | None = None, width: float = 9.0, fast: bool = False, xpad: float = 0.02) -> Figure:
    """The time chart with the lanes grouped by coroutine (`draw_gantt(..., group=True)`).

    The figure is the size the lane chart would have, so a live chart or a replay keeps its size.
    """
    if view is None:
        view = density_view(trace, upto, xmax)
    offset = 1 if loop_lane else 0
    lanes = max(offset + _units(view) + len(trace.resources), 1)
    if ax is None:
        fig, ax = new_figure(max(len(trace.tasks) + offset + len(trace.resources), 1), width, fast)
    else:
        fig = ax.figure
    span = float(view.edges[-1])
    ticks, labels, used, marks = _draw_bands(ax, view, offset, span, _pixel(fig, lanes),
                                             stuck_from=trace.duration)
    if loop_lane:
        _loop_lane(ax, trace, 0.62, span * 0.004, upto)
        ticks, labels = [0.0, *ticks], ["event loop", *labels]
    _run_marks(ax, trace, upto)
    if trace.resources:
        _resource_lanes(ax, fig.get_figwidth() * 0.75, trace, offset + used, upto, span)
        ticks += [offset + used + r for r in range(len(trace.resources))]
        labels += [_resource_label(r) for r in trace.resources]
    if now is not None:
        ax.axvline(now, color="#222222", linewidth=1.0, linestyle="--", zorder=6)
    ax.set_xlim(-span * xpad, span)
    ax.set_ylim(lanes - 0.5, -0.5)
    ax.set_yticks(ticks, labels, fontsize=9, parse_math=False)
    ax.set_xlabel(f"time (s), {trace.clock} clock")
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _note(ax, view.note, title)
    legend(ax, trace, [m for m in legend_order() if m in marks], loop_lane)
    return fig


def legend_order() -> list[str]:
    return [*KINDS, *END_MARKERS, "stuck", "band"]


def draw_step_density(trace: "Trace", step_view: "StepView", view: DensityView | None = None, *,
                      ax: Any = None, title: str | None = None, width: float = 9.0) -> Figure:
    """The step view with the lanes grouped by coroutine (`draw_steps(..., group=True)`): per
    column, how many of each coroutine's tasks were ready or waiting, and whose task ran."""
    from .steps import MAX_LABELLED_LANES, _clock_marks, legend as step_legend

    if view is None:
        view = step_density(trace, step_view)
    n = len(step_view.columns)
    lanes = max(_units(view), 1)
    if ax is None:
        all_lanes = max(len(step_view.lanes), 1)
        height = min(1.5 + 0.38 * all_lanes, 11.0) if all_lanes <= MAX_LABELLED_LANES else 11.0
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    edge = max(n, 1) - 0.5
    ticks, labels, _, marks = _draw_bands(ax, view, 0, edge, _pixel(fig, lanes), running_at_least=0.35,
                                          summaries=False)
    _clock_marks(ax, fig, step_view, lanes, n)
    ax.set_xlim(-0.5 - 0.01 * max(n, 1), edge + 0.01 * max(n, 1))
    ax.set_ylim(lanes - 0.5, -0.5)
    ax.set_yticks(ticks, labels, fontsize=9, parse_math=False)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{int(round(x)) + 1}"))
    ax.set_xlabel("the loop's steps, in the order it ran them (one task runs in each)")
    note = view.note.replace("running / ", "")
    cut = f"first {n:,} of {step_view.total:,} steps"
    if step_view.cut and title:     # (above the axes, the title's two lines are in the way)
        note += f"; the {cut}"
    elif step_view.cut:
        ax.text(1.0, -0.06, cut, transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#aa3333")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _note(ax, note, title, pad=14 if n else 6)   # (room for the clock's labels)
    if step_view.jumps:
        marks.add("the clock moves")
    step_legend(ax, [m for m in [*legend_order(), "the clock moves"] if m in marks])
    return fig
