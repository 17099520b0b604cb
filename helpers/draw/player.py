"""The replay player: play / pause, step back / forward and a slider over a trace's steps.

Every frame (the chart up to that step, its lane shaded, the instant marked)
and every caption panel is drawn once, up front. With ipywidgets 8 the slider
switches them on the page itself (``jslink`` to a ``Stack``), so playing and
sliding keep working without the kernel; the step buttons ask the kernel.
With ipywidgets 7 (Colab) the kernel swaps the picture. Where widgets do not
render at all (GitHub, a static export), the output falls back to the final
chart, which it carries as an image.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

from ..replay import Moment, moments
from .gantt import draw_gantt, figure_png

if TYPE_CHECKING:
    from ..model import Trace

MAX_STEPS = 120


def panel_html(moment: Moment, total: int) -> str:
    """The words beside a frame: caption, then the loop's queues at that step."""
    def row(label: str, value: str) -> str:
        return f"<tr><th style='text-align:left;padding-right:1em'>{label}</th><td>{value}</td></tr>"

    esc = html.escape
    ready = " → ".join(esc(r) for r in moment.ready) or "(empty)"
    waiting = "<br>".join(f"{esc(t)} on {esc(w)}" for t, w in moment.waiting) or "(nobody)"
    timers = "<br>".join(f"{due:.2f} s: {esc(what)}" for due, what in moment.timers) or "(none)"
    return (f"<div style='font-family:sans-serif;font-size:13px'>"
            f"<p><b>step {moment.index + 1} of {total} · {moment.time:.2f} s</b> — {esc(moment.caption)}</p>"
            f"<table>{row('running', esc(moment.running))}{row('ready queue', ready)}"
            f"{row('waiting', waiting)}{row('timers', timers)}"
            f"{row('finished', esc(', '.join(moment.finished)) or '(none yet)')}</table></div>")


class Player:
    """Shown in a notebook: a widget that replays `trace` one loop step at a time."""

    def __init__(self, trace: "Trace", max_steps: int = MAX_STEPS) -> None:
        self.trace = trace
        every = moments(trace)
        self.moments = every[:max_steps]
        self.cut = len(every) > max_steps

    def frame(self, moment: Moment) -> bytes:
        figure = draw_gantt(self.trace, upto=moment.time, now=moment.time, highlight=moment.task,
                            xmax=self.trace.duration or 1.0, fast=True, steps_shown=moment.steps_begun)
        return figure_png(figure)

    def widget(self) -> Any:
        import ipywidgets as w

        n = len(self.moments)
        frames = [self.frame(m) for m in self.moments]
        panels = [panel_html(m, n) for m in self.moments]
        play = w.Play(min=0, max=n - 1, step=1, interval=1000, description="play")
        slider = w.IntSlider(min=0, max=n - 1, value=0, description="step", readout=True)
        w.jslink((play, "value"), (slider, "value"))
        back = w.Button(description="◀ step back", tooltip="previous loop step")
        forward = w.Button(description="step forward ▶", tooltip="next loop step")
        back.on_click(lambda _: setattr(slider, "value", max(slider.min, slider.value - 1)))
        forward.on_click(lambda _: setattr(slider, "value", min(slider.max, slider.value + 1)))
        if hasattr(w, "Stack"):  # ipywidgets 8: frames switch on the page
            pictures = w.Stack([w.Image(value=f, format="png") for f in frames], selected_index=0)
            notes = w.Stack([w.HTML(p) for p in panels], selected_index=0)
            w.jslink((slider, "value"), (pictures, "selected_index"))
            w.jslink((slider, "value"), (notes, "selected_index"))
        else:  # ipywidgets 7: the kernel swaps them
            pictures = w.Image(value=frames[0], format="png")
            notes = w.HTML(panels[0])

            def show(change: Any) -> None:
                pictures.value = frames[change["new"]]
                notes.value = panels[change["new"]]

            slider.observe(show, names="value")
        controls = w.HBox([play, back, forward, slider])
        box = w.VBox([controls, notes, pictures])
        box.add_class("asyncio-replay")
        return box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        final = base64.b64encode(self.trace.chart().png()).decode("ascii")
        bundle = {"text/plain": repr(self), "image/png": final}
        try:
            box = self.widget()
        except ImportError:  # no ipywidgets: the static chart is all there is
            return bundle
        bundle["application/vnd.jupyter.widget-view+json"] = {
            "version_major": 2, "version_minor": 0, "model_id": box.model_id}
        self._box = box  # keep the widgets alive while the output shows them
        return bundle

    def __repr__(self) -> str:
        more = f" (the first {len(self.moments)})" if self.cut else ""
        return f"<replay of {self.trace.summary()}: {len(self.moments)} steps{more}>"
