"""Exercises of notebooks/07_blocking.ipynb, on the real clock: find the blocking call that makes a
heartbeat late, and write three downloads that neither block the loop nor wait one after another.

Real-clock times vary from run to run (and more on a loaded machine), so the thresholds are
generous, yet each starter fails them by a wide margin. The messages name no measured time: the
first "Not yet" of each starter is stored in the notebook and must read the same on every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import Verdict, exercise, not_yet, solved

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

BEAT = 0.2              # the heartbeat's period
LATE = 0.15             # a tick this much later than BEAT after the one before is late
LONG_STEP = 0.15        # a step that held the loop this long blocked it (the bugs block 0.2 s and more)


def _task(trace: "Trace", coroutine: str) -> "TaskTrace | None":
    return next((t for t in trace.tasks if t.coroutine == coroutine), None)


def _late_ticks(beat: "TaskTrace") -> int:
    """How many of the heartbeat's ticks came more than BEAT + LATE after the one before."""
    starts = [s.start for s in beat.steps]
    return sum(1 for a, b in zip(starts, starts[1:]) if b - a > BEAT + LATE)


def _long_steps(trace: "Trace", skip: "TaskTrace") -> list[tuple["TaskTrace", float]]:
    """(task, real seconds) of each step, outside the heartbeat, that held the loop LONG_STEP or more."""
    return [(t, s.real_duration) for t in trace.tasks if t is not skip
            for s in t.steps if s.real_duration >= LONG_STEP]


def _lanes(found: list[tuple["TaskTrace", float]]) -> str:
    names = []
    for task, _ in found:
        if task.label not in names:
            names.append(task.label)
    return " and ".join(names)


def _not_this_run(trace: "Trace", coroutine: str, run: str) -> Verdict | None:
    """A 'Not yet' if `trace` is not a real-clock trace of with_heartbeat(coroutine())."""
    main = trace.tasks[0] if trace.tasks else None
    if _task(trace, coroutine) is None or _task(trace, "heartbeat") is None:
        ran = f"{main.coroutine}()" if main is not None else "nothing"
        return not_yet(f"This is the trace of {ran}, with no lane for {coroutine}() beside a heartbeat: "
                       "which run did you pass to check?",
                       f"Run answer = await trace(with_heartbeat({run}), clock=\"real\") in the "
                       "exercise's cell.")
    if trace.clock != "real":
        return not_yet("This run is on the virtual clock, where a step takes no time however long it "
                       "really takes: a blocking call cannot show on its chart. Which clock does the "
                       "exercise's cell ask for?",
                       "Trace it with clock=\"real\": await trace(..., clock=\"real\").")
    return None


# ---------------------------------------------------------------- 07-late-heartbeat

UPLOADED = "'uploaded on attempt 3'"
BACKOFF = 0.1 + 0.2 + 0.1 + 0.4 + 0.1     # three attempts and two back-offs: 0.9 s
RETRY_FIX = ("wait_before_retry() calls time.sleep(), a blocking call: the thread sleeps, and the loop "
             "with it. Make it a coroutine, async def wait_before_retry(attempt), that awaits "
             "asyncio.sleep(0.2 * 2 ** attempt), and await it in upload_with_retries().")


@exercise("07-late-heartbeat")
def late_heartbeat(trace: "Trace") -> Verdict:
    """upload_with_retries() backs off with time.sleep(): make the back-off a wait the loop can use."""
    wrong = _not_this_run(trace, "upload_with_retries", "upload_with_retries()")
    if wrong is not None:
        return wrong
    job = _task(trace, "upload_with_retries")
    beat = _task(trace, "heartbeat")
    assert job is not None and beat is not None
    if job.outcome == "exception":
        return not_yet(f"The lane of {job.label} ends with a red cross: {job.detail}. Which line raised "
                       "it?", RETRY_FIX)
    long_steps = _long_steps(trace, beat)
    if long_steps:
        many = len(long_steps) > 1
        return not_yet(f"The lane of {_lanes(long_steps)} has {len(long_steps)} wide blue "
                       f"bar{'s' if many else ''}: step{'s' if many else ''} that held the loop (the "
                       "event loop's lane marks them in red, 'blocked'), and meanwhile the heartbeat "
                       "could not tick: one of its waits is much longer than 0.2 s. Between two "
                       "attempts, what does upload_with_retries() call, and does that call ever give "
                       "the thread back to the loop?", RETRY_FIX)
    late = _late_ticks(beat)
    if late:
        return not_yet(f"No step held the loop for long, yet {late} of the heartbeat's waits "
                       f"{'are' if late > 1 else 'is'} much longer than 0.2 s. What else kept the "
                       "loop from running its timers in time?", RETRY_FIX)
    if job.outcome != "result" or job.detail != UPLOADED:
        return not_yet(f"The heartbeat is on time, but {job.label} returned {job.detail or 'nothing'}. "
                       "Does the upload still get three attempts?",
                       f"Keep the three attempts: upload_with_retries() should return {UPLOADED}.")
    took = (job.finished or 0.0) - (job.started or 0.0)
    if took < BACKOFF - 0.1:
        return not_yet("The heartbeat is on time and the upload succeeds, but the job's lane is over "
                       "in less than 0.9 s: three attempts of 0.1 s, and the back-off's 0.2 s and 0.4 s "
                       "in between, do not fit in it. Does the program still wait before each retry?",
                       "Keep the back-off, as a wait the loop can use: await asyncio.sleep(0.2 * 2 ** "
                       "attempt) instead of time.sleep(...).")
    return solved(f"The job's lane now waits (grey) where it used to hold the loop (blue): the "
                  f"back-off is a timer, and the heartbeat ticked every 0.2 s right through it, while "
                  f"{job.label} still took about {took:.1f} s and returned {UPLOADED}. A plain function "
                  "called from a coroutine runs inside the coroutine's step: if it sleeps, computes or "
                  "waits for long, the whole loop waits with it.")


# ---------------------------------------------------------------- 07-three-downloads

BODY = "b'the report'"
DELAY = 0.5
THREE_FIX = ("Run each download in a thread and start all three before you wait: return await "
             "asyncio.gather(asyncio.to_thread(download, url), asyncio.to_thread(download, url), "
             "asyncio.to_thread(download, url)), which gives the three results in a list.")


@exercise("07-three-downloads")
def three_downloads(trace: "Trace") -> Verdict:
    """fetch_three(url): three blocking downloads in threads, at the same time, the loop never held."""
    wrong = _not_this_run(trace, "fetch_three", "fetch_three(url)")
    if wrong is not None:
        return wrong
    job = _task(trace, "fetch_three")
    beat = _task(trace, "heartbeat")
    assert job is not None and beat is not None
    if job.outcome == "exception":
        return not_yet(f"The lane of {job.label} ends with a red cross: {job.detail}. Which line of "
                       "fetch_three() raised it?", THREE_FIX)
    got = job.detail.count(BODY) if job.outcome == "result" else 0
    if got == 0 and len(job.steps) == 1 and not _long_steps(trace, beat):
        return not_yet(f"The lane of {job.label} is a single short step at 0 s, and it returned "
                       f"{job.detail or 'nothing'}: no download happened. fetch_three() should call "
                       "download(url) three times, but download() is a blocking call: where can it "
                       "run so that the loop's thread stays free, and how do you start all three "
                       "before you wait for any?", THREE_FIX)
    long_steps = _long_steps(trace, beat)
    if long_steps:
        return not_yet(f"The lane of {_lanes(long_steps)} has a wide blue bar: a step that held the "
                       "loop (the heartbeat could not tick meanwhile). download() waits inside "
                       "urlopen() for the server: in which thread does it run here?", THREE_FIX)
    if _late_ticks(beat):
        return not_yet("No step held the loop for long, yet a wait of the heartbeat is much longer "
                       "than 0.2 s. What else kept the loop from running its timers in time?",
                       THREE_FIX)
    if got != 3:
        return not_yet(f"The loop was never held, but fetch_three() returned {job.detail or 'nothing'}. "
                       f"How many bodies, {BODY} each, should its list hold?",
                       "Return the three bodies, in a list: what awaiting asyncio.gather(...) of the "
                       "three downloads gives.")
    took = (job.finished or 0.0) - (job.started or 0.0)
    if took >= 2 * DELAY:
        return not_yet("The loop was never held and the three bodies came back, but the job's lane "
                       "lasts about three times as long as one answer of the server: the downloads "
                       "waited one after another. When does the second download start?",
                       "Start all three before you wait for any: asyncio.gather(...) of three "
                       "asyncio.to_thread(download, url), not three awaits in a row.")
    return solved(f"The job's lane waits (grey) for about {took:.1f} s, one answer of the server, not "
                  "three: the three downloads ran in three threads at the same time, the loop's thread "
                  "stayed free, and the heartbeat ticked on time. A blocking call needs a thread of its "
                  "own while it waits; gather() starts them together, and gives back the results in "
                  "order.")
