"""The replay player: play / pause, step back / forward and a slider over a trace's steps.

Steps are numbered from 1 everywhere: the slider's readout, the caption's
"step 1 of 7", the player's text form. Only the first `max_steps` steps are
kept (the player says so on screen), and only their moments are built, one at
a time (`helpers.replay.iter_moments`). Each frame is the final chart cut at
that step, drawn at the final chart's size and layout, its lane shaded, the
instant marked; a long replay shows a progress bar while its frames are drawn.

With ipywidgets 8 the slider switches frames and captions on the page itself
(``jslink`` to a ``Stack``), so playing and sliding keep working without the
kernel; the step buttons ask the kernel, and once the kernel is gone (shut
down, restarted) they are hidden and the player says that the slider still
works, instead of wearing a broken-link icon on every part. With ipywidgets 7
(Colab) the kernel swaps the picture, drawing each frame when it is first
shown. Where widgets do not render at all (GitHub, a static export, a stored
notebook), the output falls back to the picture it carries: a filmstrip of the
run's key moments (`helpers.draw.filmstrip`), a still of what the player moves.
"""

from __future__ import annotations

import base64
import html
import io
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from ..replay import Moment, Tally, iter_moments, short_list, short_words
from .gantt import READY, draw_gantt

if TYPE_CHECKING:
    from ..model import Trace

MAX_STEPS = 120
PROGRESS_FROM = 12          # a player with at least this many frames shows a progress bar while drawing them
NOT_YET = "#b8b8b8"         # the label of a lane whose task does not exist yet at that step
QUEUED = "#fbd7a5"          # a task created but not run yet: in the ready queue (light "ready" orange)

# ipywidgets marks every part of a widget whose kernel is gone with a red broken-link icon. The
# player's slider and play button work on the page without the kernel: no icons, the step buttons
# (which need the kernel) hidden, and a line saying what still works.
# A kernel shut down (JupyterLab's "No Kernel") leaves the widgets unmarked: the notebook's own
# kernel status says it. One rule per selector: a browser without :has() drops only those rules.
_GONE = [".asyncio-replay.jupyter-widgets-disconnected"] + [
    f".jp-NotebookPanel:has(.jp-Notebook-ExecutionIndicator[data-status='{status}']) .asyncio-replay"
    for status in ("dead", "unknown")]
STYLE = "<style>\n" + "\n".join(
    [".asyncio-replay .jupyter-widgets-disconnected::before { content: none !important; display: none !important; }",
     ".asyncio-replay.jupyter-widgets-disconnected::before { content: none !important; display: none !important; }",
     ".asyncio-replay .asyncio-replay-offline { display: none; color: #555; }"]
    + [f"{gone} .asyncio-replay-kernel {{ display: none !important; }}" for gone in _GONE]
    + [f"{gone} .asyncio-replay-offline {{ display: block; }}" for gone in _GONE]) + "\n</style>"
OFFLINE_ON_PAGE = ("The kernel is gone: the slider and ▶ still step through the frames on this page;"
                   " the step buttons need a running kernel.")
OFFLINE_KERNEL = "The kernel is gone: run the cell again to replay."


def quick_png(figure: Figure) -> bytes:
    """PNG bytes, compressed lightly: frames are drawn by the dozen and shown for a moment each."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def panel_html(moment: Moment, total: int, run_steps: int | None = None) -> str:
    """The words beside a frame: caption, then the loop's lists as the step begins.

    total: the steps the player keeps; run_steps: all the run's steps, when more than kept.
    """
    def row(label: str, value: str) -> str:
        return f"<tr><th style='text-align:left;padding-right:1em'>{label}</th><td>{value}</td></tr>"

    esc = html.escape
    ready = esc(short_list(moment.ready, " → ")) or "(empty)"
    waiting = "<br>".join(esc(f"{t} on {short_words(w)}") for t, w in moment.waiting[:8])
    if len(moment.waiting) > 8:
        waiting += f"<br>… and {len(moment.waiting) - 8} more waiting"
    timers = "<br>".join(f"{due:.2f} s: {esc(what)}" for due, what in moment.timers[:8])
    if len(moment.timers) > 8:
        timers += f"<br>… and {len(moment.timers) - 8} more timers"
    kept = (f" (only the first {total} of the run's {run_steps} steps are kept)"
            if run_steps is not None and run_steps > total else "")
    return (f"<div style='font-family:sans-serif;font-size:13px'>"
            f"<p><b>step {moment.index + 1} of {total}{kept} · {moment.time:.2f} s</b>"
            f" — {esc(moment.caption)}</p>"
            f"<p style='margin:0.3em 0;color:#555'>The loop's lists at the <i>start</i> of this step,"
            f" before it runs (the sentence above says what the step does):</p>"
            f"<table>{row('runs now', esc(moment.running))}{row('ready queue', ready)}"
            f"{row('waiting', waiting or '(nobody)')}{row('timers', timers or '(none)')}"
            f"{row('finished', esc(short_list(moment.finished)) or '(none yet)')}</table></div>")


def draw_moment(trace: "Trace", moment: Moment, ax: Any, **options: Any) -> None:
    """The chart cut at this step on `ax`: its lane shaded, "now" dashed, the tasks not created yet
    greyed, the ones created but never run yet queued (the player's frames, the filmstrip's panels).
    options: more of `draw_gantt`'s."""
    draw_gantt(trace, ax=ax, upto=moment.time, highlight=moment.task, steps_shown=moment.steps_begun, **options)
    # "now" under the bars: a tick at this instant stays visible on the line
    ax.axvline(moment.time, color="#222222", linewidth=1.0, linestyle="--", zorder=2.5)
    x0, x1 = ax.get_xlim()
    tasks = trace.tasks
    created = len(tasks) if moment.created is None else moment.created
    # created, never run yet: in the ready queue since its creation (one collection: 2,000 draw fast)
    queued = [lane for lane in range(created) if moment.steps_begun and moment.steps_begun[lane] == 0]
    if queued:
        lane = np.array(queued, dtype=float)
        a = np.array([tasks[q].created for q in queued], dtype=float)
        b = np.maximum(moment.time, a + (x1 - x0) * 0.004)
        top, bottom = lane - 0.31, lane + 0.31
        ax.add_collection(PolyCollection(   # one (n, 4, 2) array: no Path checked one by one
            np.stack([np.stack([a, top], 1), np.stack([b, top], 1), np.stack([b, bottom], 1),
                      np.stack([a, bottom], 1)], 1),
            facecolors=QUEUED, edgecolors=READY, linewidths=0.6, zorder=2))
    for lane, label in zip(ax.get_yticks(), ax.get_yticklabels()):
        if created <= lane < len(tasks):   # not created yet at this step: its lane is there, greyed
            label.set_color(NOT_YET)


class Player:
    """Shown in a notebook: a widget that replays `trace` one loop step at a time."""

    def __init__(self, trace: "Trace", max_steps: int = MAX_STEPS) -> None:
        self.trace = trace
        self.run_steps = sum(len(t.steps) for t in trace.tasks)   # every loop step of the run
        self.tally = Tally()
        self.moments = list(islice(iter_moments(trace, self.tally), max(max_steps, 0)))
        self.cut = self.run_steps > len(self.moments)
        self._final: tuple[bytes, Any, float, Any] | None = None
        self._background: tuple[Any, Any] | None = None   # (key, pixels) of what frames share
        self._still: bytes | None = None

    @property
    def built(self) -> int:
        """How many moments were built: the kept ones, not the whole run's."""
        return self.tally.built

    def final(self) -> tuple[bytes, Any, float, Any]:
        """The complete chart as PNG, with its size, resolution and axes box (every frame's)."""
        if self._final is None:
            chart = self.trace.chart(group=False)   # a lane per task, as in every frame
            png = chart.png()   # lays the figure out: the axes box below is the final one
            self._final = (png, chart.figure.get_size_inches(), chart.figure.dpi,
                           chart.figure.axes[0].get_position())
        return self._final

    def frame(self, moment: Moment) -> bytes:
        """The final chart cut at this step, at the final chart's size and layout, as PNG.

        What every frame shares (axes, tick labels, legend) is rendered once and copied; only what
        changes from step to step is drawn on it: twice as fast as drawing each frame whole.
        """
        figure = self.frame_figure(moment)
        try:
            return self._blit_png(figure, moment.created)
        except Exception:   # a matplotlib without these (private) helpers: draw the frame whole
            return quick_png(figure)

    def _blit_png(self, figure: Figure, key: Any) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        canvas = FigureCanvasAgg(figure)
        ax = figure.axes[0]
        static = {ax.patch, ax.xaxis, ax.yaxis, ax.title, ax.get_legend(), *ax.spines.values(),
                  getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)}
        changing = [a for a in ax.get_children() if a not in static and a.get_visible()]
        if self._background is None or self._background[0] != key:
            # The shared parts differ only in which lanes are greyed: one background at a time
            # (the number of tasks created only grows from step to step).
            for artist in changing:
                artist.set_visible(False)
            try:
                canvas.draw()
                self._background = (key, canvas.copy_from_bbox(figure.bbox))
            finally:
                for artist in changing:
                    artist.set_visible(True)
        renderer = canvas.get_renderer()
        canvas.restore_region(self._background[1])
        # Grid lines and spines go back over what is drawn under them (a shaded lane), in order.
        grid = [tick.gridline for tick in ax.xaxis._update_ticks()]
        for artist in sorted(changing + grid + list(ax.spines.values()), key=lambda a: a.get_zorder()):
            if artist.get_visible():
                artist.draw(renderer)
        buffer = io.BytesIO()
        Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def frame_figure(self, moment: Moment) -> Figure:
        _, size, dpi, box = self.final()
        figure = Figure(figsize=size, dpi=dpi)
        draw_moment(self.trace, moment, figure.add_axes(box))
        return figure

    def frames(self) -> list[bytes]:
        """Every kept step's frame, with a progress bar in a notebook when there are many."""
        progress = _Progress(len(self.moments)) if len(self.moments) >= PROGRESS_FROM else None
        drawn = []
        try:
            for moment in self.moments:
                drawn.append(self.frame(moment))
                if progress is not None:
                    progress.show(len(drawn))
        finally:
            if progress is not None:
                progress.close()
        return drawn

    def header_html(self, offline: str) -> str:
        """Above the controls: what is kept, and (only once the kernel is gone) what still works."""
        n = len(self.moments)
        kept = (f"<div>Only the first {n} of the run's {self.run_steps} loop steps are kept:"
                f" <code>replay(max_steps={self.run_steps})</code> keeps them all.</div>" if self.cut else "")
        return (f"{STYLE}<div style='font-family:sans-serif;font-size:13px'>{kept}"
                f"<div class='asyncio-replay-offline'>{html.escape(offline)}</div></div>")

    def widget(self) -> Any:
        import ipywidgets as w

        n = len(self.moments)
        on_page = hasattr(w, "Stack")   # ipywidgets 8: frames switch on the page
        header = w.HTML(self.header_html(OFFLINE_ON_PAGE if on_page else OFFLINE_KERNEL))
        if n == 0:
            box = w.VBox([header, w.HTML("<div style='font-family:sans-serif;font-size:13px'>"
                                         "This run has no loop steps: no task ever ran,"
                                         " so there is nothing to replay.</div>")])
            box.add_class("asyncio-replay")
            return box
        panels = [panel_html(m, n, self.run_steps) for m in self.moments]
        play = w.Play(min=1, max=n, step=1, value=1, interval=1000, description="play")
        slider = w.IntSlider(min=1, max=n, value=1, description="step", readout=True)
        w.jslink((play, "value"), (slider, "value"))
        back = w.Button(description="◀ step back", tooltip="previous loop step")
        forward = w.Button(description="step forward ▶", tooltip="next loop step")
        for button in (back, forward):
            button.add_class("asyncio-replay-kernel")
        back.on_click(lambda _: setattr(slider, "value", max(slider.min, slider.value - 1)))
        forward.on_click(lambda _: setattr(slider, "value", min(slider.max, slider.value + 1)))
        if on_page:
            # Index 0 is a blank, so that the slider's step number is the Stack's index.
            pictures = w.Stack([w.HTML("")] + [w.Image(value=f, format="png") for f in self.frames()],
                               selected_index=1)
            notes = w.Stack([w.HTML("")] + [w.HTML(p) for p in panels], selected_index=1)
            w.jslink((slider, "value"), (pictures, "selected_index"))
            w.jslink((slider, "value"), (notes, "selected_index"))
        else:  # ipywidgets 7: the kernel swaps them, drawing each frame the first time it is shown
            drawn: dict[int, bytes] = {}

            def picture(step: int) -> bytes:
                if step not in drawn:
                    drawn[step] = self.frame(self.moments[step - 1])
                return drawn[step]

            pictures = w.Image(value=picture(1), format="png")
            notes = w.HTML(panels[0])

            def show(change: Any) -> None:
                pictures.value = picture(change["new"])
                notes.value = panels[change["new"] - 1]

            slider.observe(show, names="value")
        controls = w.HBox([play, back, forward, slider])
        box = w.VBox([header, controls, notes, pictures])
        box.add_class("asyncio-replay")
        return box

    def still(self) -> bytes:
        """A filmstrip of the run's key moments, as PNG: what the player leaves where widgets do not
        run (the final chart is on the page already)."""
        if self._still is None:
            from .filmstrip import filmstrip
            self._still = filmstrip(self.trace).png()
        return self._still

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = {"text/plain": repr(self), "image/png": base64.b64encode(self.still()).decode("ascii")}
        try:
            box = self.widget()
        except ImportError:  # no ipywidgets: the filmstrip is all there is
            return bundle
        bundle["application/vnd.jupyter.widget-view+json"] = {
            "version_major": 2, "version_minor": 0, "model_id": box.model_id}
        self._box = box  # keep the widgets alive while the output shows them
        return bundle

    def __repr__(self) -> str:
        n = len(self.moments)
        if self.run_steps == 0:
            return f"<replay of {self.trace.summary()}: no steps, nothing to replay>"
        more = f" (the first {n} of {self.run_steps})" if self.cut else ""
        return f"<replay of {self.trace.summary()}: {n} steps{more}>"


class _Progress:
    """A progress bar in the output while a long replay draws its frames; gone once they are drawn.

    Only inside a kernel (a terminal or a script shows nothing). It is one display output, replaced by
    an empty one at the end, so a saved notebook keeps no bar.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.handle = self.bar = self.words = None
        from ..notebook import current_shell

        shell = current_shell()
        if shell is None or getattr(shell, "kernel", None) is None:
            return
        try:
            import ipywidgets as w
            from IPython.display import display
        except ImportError:
            return
        self.bar = w.IntProgress(value=0, min=0, max=total)
        self.words = w.HTML(self._words(0))
        row = w.HBox([self.bar, self.words])
        self._row = row
        self.handle = display({"text/plain": self._words(0),
                               "application/vnd.jupyter.widget-view+json": {
                                   "version_major": 2, "version_minor": 0, "model_id": row.model_id}},
                              raw=True, display_id=True)

    def _words(self, done: int) -> str:
        return f"drawing the replay's frames: {done} of {self.total}"

    def show(self, done: int) -> None:
        if self.bar is not None:
            self.bar.value = done
            self.words.value = self._words(done)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.update({"text/plain": ""}, raw=True)
            self._row.close()
            self.bar.close()
            self.words.close()
            self.handle = None
