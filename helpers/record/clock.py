"""How time passes on a `TracingLoop`: the selector is where the loop waits.

The rule the virtual clock keeps: **a program's outcome is the one it has on
the real clock.** Pure timers jump: when nothing is ready and nothing outside
the loop could still deliver something, the clock moves straight to the next
timer. While something outside *could* deliver (an executor job, a thread the
program started, a subprocess, a socket or pipe the loop watches, a signal
handler), time passes in real time, as it would untraced, and the recorder
notes that stretch so the chart can show it. When nothing is ready, no timer
is pending and nothing outside can call back, nothing can ever wake the tasks
again: after a short grace the loop reports a deadlock.
"""

from __future__ import annotations

import os
import selectors
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from .recorder import NO_TASK

if TYPE_CHECKING:
    from .loop import TracingLoop

# How long a loop with nothing to do waits for something to call back before it
# calls the situation a deadlock.
DEADLOCK_GRACE = 0.25
# While outside work is in flight, wait at most this long at a time, then look again
# (a thread may end without calling back; an interrupt must be seen).
SLICE = 0.1
_POOL_WORKER = os.path.join("concurrent", "futures", "thread.py")


class OutsideWork:
    """What outside the loop could still call back into it."""

    def __init__(self, loop: "TracingLoop") -> None:
        self.loop = loop
        self.jobs = 0
        self.threads_before = {t.ident for t in threading.enumerate()}

    def job_started(self, future: Any) -> None:
        self.jobs += 1
        future.add_done_callback(self._job_done)

    def _job_done(self, future: Any) -> None:
        self.jobs -= 1
        rec = self.loop.recorder
        if rec is not None:
            rec.labels.pop(id(future), None)

    def in_flight(self) -> bool:
        loop = self.loop
        return bool(self.jobs or len(loop._selector.get_map()) > 1   # more than the loop's self-pipe
                    or getattr(loop, "_signal_handlers", None) or self.busy_thread())

    def busy_thread(self) -> bool:
        """A thread started during the run that is doing something (not an idle pool worker)."""
        if threading.active_count() <= len(self.threads_before):
            return False  # the common case, and a cheap one: no thread started since
        frames = None
        for thread in threading.enumerate():
            if thread.ident in self.threads_before or not thread.is_alive():
                continue
            if frames is None:
                frames = sys._current_frames()
            frame = frames.get(thread.ident)
            if frame is not None and not _idle_pool_worker(frame):
                return True
        return False


def _idle_pool_worker(frame: Any) -> bool:
    """A ThreadPoolExecutor worker waiting for work: nothing it does can reach the loop."""
    return frame.f_code.co_name == "_worker" and frame.f_code.co_filename.endswith(_POOL_WORKER)


class ClockSelector:
    """Wraps the loop's selector: here is where time passes, real or virtual."""

    def __init__(self, selector: selectors.BaseSelector, loop: "TracingLoop") -> None:
        self._selector = selector
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        loop = self._loop
        loop.check_limits()
        rec = loop.recorder
        if rec is not None:
            if rec.first_step_open:   # the eager first steps seen running have ended by now
                rec.close_first_steps()
            if rec.sampling:  # what callbacks (not task steps) changed, e.g. a timer's put()
                rec.sample(NO_TASK)
        if timeout is not None and timeout <= 0:
            return self._selector.select(0)
        if not loop.virtual:
            if timeout is None:
                if loop.nothing_can_wake():
                    return self._grace_or_deadlock()
                return self._wait(SLICE)  # look again soon: what is in flight may end silently
            return self._wait(timeout)
        events = self._selector.select(0)
        if events:
            return events
        if loop.outside.in_flight():
            return self._real_time(timeout)
        if timeout is None:
            return self._grace_or_deadlock()
        if loop.speed:
            # Pace against a fixed real-time origin, so time spent drawing live
            # frames is taken out of the wait instead of stretching the demo.
            target = loop.pace_origin() + (loop.time() + timeout) / loop.speed
            events = self._wait(max(0.0, target - time.monotonic()))
            if events:
                return events
        loop.note_cycles()
        loop.advance_to_next_timer(timeout)
        return []

    def _real_time(self, timeout: float | None) -> list[Any]:
        """Something outside may call back: let real time pass, and the virtual clock as far."""
        loop = self._loop
        began, v0 = time.monotonic(), loop.time()
        events = self._wait(SLICE if timeout is None else min(timeout, SLICE))
        elapsed = time.monotonic() - began
        loop.advance(elapsed if timeout is None else min(elapsed, timeout))
        rec = loop.recorder
        if rec is not None:
            stretches = rec.real_time
            if stretches and stretches[-1][1] == v0:
                stretches[-1] = (stretches[-1][0], loop.time())
            else:
                stretches.append((v0, loop.time()))
        return events

    def _wait(self, seconds: float | None) -> list[Any]:
        """Wait in real time; with a live view, in slices, drawing frames between them."""
        loop = self._loop
        if loop.on_frame is None:
            return self._selector.select(seconds)
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is None or left > loop.frame_cost:  # draw only in idle time the frame fits in
                loop.frame_if_due()
                left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            piece = SLICE if left is None else min(left, SLICE)
            events = self._selector.select(piece)
            if events or (left is not None and piece >= left):
                return events

    def _grace_or_deadlock(self) -> list[Any]:
        loop = self._loop
        rec = loop.recorder
        stuck_since = rec.clock_time() if rec is not None else 0.0
        events = self._selector.select(DEADLOCK_GRACE)
        if not events and loop.nothing_can_wake():
            loop.deadlocked(stuck_since)
        return events

    def __getattr__(self, name: str) -> Any:  # register, unregister, close, get_map ...
        return getattr(self._selector, name)
