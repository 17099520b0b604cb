"""Exercises of notebooks/08_failing_tasks.ipynb: read a failing gather's chart, find why a failed
background task goes unnoticed, and write a supervisor that collects every result and error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import Verdict, exercise, not_yet, solved
from .checks import seconds, tasks_running

if TYPE_CHECKING:
    from ..model import TaskTrace, Trace

EPSILON = 1e-6
MARKERS = {"result": "a green dot (result)", "exception": "a red cross (exception)",
           "cancelled": "a grey square (cancelled)"}


def _close(a: float | None, b: float, tolerance: float = EPSILON) -> bool:
    return a is not None and abs(a - b) <= tolerance


def _ended(task: "TaskTrace") -> str:
    if task.outcome in MARKERS:
        when = f" at {seconds(task.finished)}" if task.finished is not None else ""
        return f"{MARKERS[task.outcome]}{when}"
    return "no end marker (it never finished)"


def _names(tasks: list["TaskTrace"]) -> str:
    names = [t.name for t in tasks]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- 08-read-the-failures

def _lane_name(value: Any, lanes: dict[str, "TaskTrace"]) -> str | None:
    """The lane a learner's answer names: "owl", "OWL" or the file "owl.jpg" all name owl."""
    if not isinstance(value, str):
        return None
    said = value.strip().lower()
    for name in lanes:
        if name.lower() in (said, said.rsplit(".", 1)[0]):
            return name
    return None


def _gather_wait(main: "TaskTrace") -> tuple[float, float] | None:
    """(start, end) of main's wait on gather(...)."""
    for step, after in zip(main.steps, main.steps[1:]):
        if step.waits_on.startswith("gather("):
            return step.end, after.start
    return None


@exercise("08-read-the-failures")
def read_the_failures(trace: "Trace", failed_first: Any = None, raised_at: Any = None,
                      still_running: Any = None) -> Verdict:
    """Read a chart: which upload failed first, when gather raised, which uploads still ran then."""
    main = trace.tasks[0]
    uploads = tasks_running(trace, "upload")
    lanes = {t.name: t for t in uploads}
    failed = sorted((t for t in uploads if t.outcome == "exception"), key=lambda t: t.finished or 0)
    wait = _gather_wait(main)
    if len(uploads) != 4 or not failed or wait is None:
        return not_yet(f"The chart should have four upload() lanes and a wait of {main.coroutine}() "
                       "on gather(...). Did you run sync_photos() as it is given?",
                       "Run the cell as it is given: the exercise is to read its chart.")
    first = failed[0]
    raised = wait[1]
    running = sorted((t for t in uploads if t.finished is None or t.finished > raised + EPSILON),
                     key=lambda t: t.id)
    if failed_first is None and raised_at is None and still_running is None:
        return not_yet("No answers yet: failed_first, gather_raised_at and still_running are all "
                       "None. Which lane's red cross comes first, reading the chart from the left?",
                       "A red cross ends a lane whose task raised. The wait of "
                       f"{main.coroutine}() labelled gather(...) ends where gather raised. A lane "
                       "that had not reached its end marker by then was still running. Write the "
                       "lane names as the chart shows them, and the time in seconds.")
    said = _lane_name(failed_first, lanes)
    if said is None:
        return not_yet(f"failed_first = {failed_first!r} names no lane of the chart (the lanes are "
                       f"{_names(uploads)}). Which lane's red cross comes first, reading from the "
                       "left?",
                       f"{first.name}'s lane ends with the first red cross, at {seconds(first.finished)}: "
                       f"failed_first = {first.name!r}.")
    if said != first.name:
        lane = lanes[said]
        if lane.outcome != "exception":
            question = (f"{said}'s lane ends with {_ended(lane)}: it did not fail. Which lanes end "
                        "with a red cross, and which of them comes first?")
        else:
            question = (f"{said}'s lane ends with a red cross at {seconds(lane.finished)}. Is there "
                        "a red cross further to the left?")
        return not_yet(f"failed_first = {failed_first!r}. {question}",
                       f"{first.name}'s lane ends with the first red cross, at {seconds(first.finished)}: "
                       f"failed_first = {first.name!r}.")
    try:
        when = float(raised_at)
    except (TypeError, ValueError):
        return not_yet(f"failed_first is right. gather_raised_at = {raised_at!r} is not a number of "
                       f"seconds. Where does the grey wait of {main.coroutine}() labelled gather(...) "
                       "end?",
                       f"That wait ends at {seconds(raised)}: gather_raised_at = {raised:g}.")
    if not _close(when, raised, 0.05):
        return not_yet(f"failed_first is right. gather_raised_at = {when:g}, but the wait of "
                       f"{main.coroutine}() labelled gather(...) does not end at {seconds(when)}. Where "
                       "does it end, and which lane's arrow points there?",
                       f"The wait on gather(...) ends at {seconds(raised)}, when {first.name} failed: "
                       f"gather raises the first error at once. gather_raised_at = {raised:g}.")
    if not isinstance(still_running, (list, tuple, set, frozenset)):
        return not_yet(f"failed_first and gather_raised_at are right. still_running = "
                       f"{still_running!r} is not a list of names. At {seconds(raised)}, which upload "
                       "lanes have not ended yet?",
                       f"still_running = {[t.name for t in running]!r}.")
    named = [_lane_name(value, lanes) for value in still_running]
    unknown = [value for value, name in zip(still_running, named) if name is None]
    if unknown:
        return not_yet(f"still_running names {', '.join(repr(v) for v in unknown)}, which is not a lane "
                       f"of the chart (the lanes are {_names(uploads)}). At {seconds(raised)}, which "
                       "upload lanes have not ended yet?",
                       f"still_running = {[t.name for t in running]!r}.")
    wrongly_in = [lanes[n] for n in dict.fromkeys(named) if lanes[n] not in running]
    missing = [t for t in running if t.name not in named]
    if wrongly_in:
        lane = wrongly_in[0]
        return not_yet(f"still_running lists {lane.name}, whose lane ends with {_ended(lane)}. Was it "
                       f"still running at {seconds(raised)}, when gather raised?",
                       f"At {seconds(raised)} the lanes that had not ended are {_names(running)}: "
                       f"still_running = {[t.name for t in running]!r}.")
    if missing:
        lane = missing[0]
        return not_yet(f"still_running leaves out {lane.name}: its lane ends with {_ended(lane)}. "
                       f"What was it doing at {seconds(raised)}?",
                       f"At {seconds(raised)} the lanes that had not ended are {_names(running)}: "
                       f"still_running = {[t.name for t in running]!r}.")
    later = [t for t in running if t.outcome == "exception"]
    lost = (f" {_names(later)} failed later, at {seconds(later[0].finished)}, and that error reached "
            "nobody: gather had already raised, so only the chart shows it." if later else "")
    return solved(f"{first.name} failed first, at {seconds(first.finished)}, and gather raised its "
                  f"error in {main.coroutine}() right then (the arrow from {first.name}'s red cross). "
                  f"{_names(running)} were still running, and nobody waited for them any more.{lost}")


# ---------------------------------------------------------------- 08-the-lost-receipt

RECEIPT_ERROR = "mail server: connection refused"
PLACED = "order 42 placed"
WANTED = f"{PLACED}, receipt not sent: {RECEIPT_ERROR}"
TOGETHER = 2.0


@exercise("08-the-lost-receipt")
def the_lost_receipt(trace: "Trace") -> Verdict:
    """place_order() must look at its background task's failure, while still packing meanwhile."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    receipts = tasks_running(trace, "send_receipt")
    if not receipts:
        return not_yet(f"The chart has no send_receipt() lane: {name} sends no receipt. Where did the "
                       "task that sends it go?",
                       "Keep receipt = asyncio.create_task(send_receipt(\"order 42\"), name=\"receipt\"): "
                       "the bug is in what happens to it afterwards.")
    receipt = receipts[0]
    if receipt.outcome == "cancelled":
        return not_yet(f"{receipt.name}'s lane ends with {_ended(receipt)}: it was cancelled before the "
                       f"mail server answered. What cancelled it: did {name} end before it, or cancel "
                       "it?",
                       f"Let {name} wait for the receipt (await it) before it returns, and do not "
                       "cancel it.")
    if receipt.outcome != "exception":
        return not_yet(f"{receipt.name}'s lane ends with {_ended(receipt)}, not with the red cross of "
                       "a mail server that is down. Did you change send_receipt()?",
                       "Leave send_receipt() as it is: the mail server stays down, and place_order() "
                       "must cope with it.")
    if main.outcome != "result":
        return not_yet(f"{name}'s lane ends with {_ended(main)}. Which line raised, and where should "
                       "the receipt's error be caught?",
                       "Catch the receipt's error where place_order() awaits it: try: await receipt / "
                       "except ConnectionError as error: ...")
    if trace.result == PLACED:
        return not_yet(f"{receipt.name}'s lane ends with a red cross at {seconds(receipt.finished)}, "
                       f"and {name} returned {PLACED!r} at {seconds(main.finished)}, as if all had "
                       f"gone well. Where does the receipt's error go, and which line of {name} ever "
                       "looks at it?",
                       "After packing, await the receipt task inside try / except ConnectionError as "
                       "error, and return f\"order 42 placed, receipt not sent: {error}\" there.")
    if main.finished is not None and main.finished > TOGETHER + EPSILON:
        return not_yet(f"{name} took {seconds(main.finished)}, not {seconds(TOGETHER)}: the packing "
                       f"and the receipt no longer overlap on the chart. Can {name} start the receipt, "
                       "pack, and only then look at the receipt?",
                       "Create the receipt task first, then await pack(...), and only then await the "
                       "receipt (inside try / except).")
    if trace.result != WANTED:
        return not_yet(f"{name} returned {trace.result!r}, and it should return {WANTED!r} when the "
                       "receipt failed. What does str(error) give for the receipt's ConnectionError?",
                       "In the except clause: return f\"order 42 placed, receipt not sent: {error}\".")
    return solved(f"{receipt.name}'s lane still ends with a red cross (the mail server is down), but "
                  f"now {name} asked for the receipt's outcome, got its ConnectionError and said so, "
                  f"in {seconds(main.finished)}, packing and sending at the same time. (With await "
                  "receipt in a try, the await raises the error that the task kept, and the except "
                  "catches it.) The exception was retrieved, so asyncio has no 'never retrieved' "
                  "report to make either.")


# ---------------------------------------------------------------- 08-supervise

REPORT = {"ok": ["resize: ok"], "failed": ["upload", "notify"]}


@exercise("08-supervise")
def supervise(trace: "Trace") -> Verdict:
    """supervise() runs three jobs at once, waits for all of them, and reports what worked and what failed."""
    main = trace.tasks[0]
    name = f"{main.coroutine}()"
    jobs = tasks_running(trace, "job")
    if not jobs:
        return not_yet(f"The chart shows one lane, {name}, and no job() at all: it returned "
                       f"{trace.result!r} at {seconds(main.finished or 0)}. Which jobs does "
                       f"{name} start, and how can it wait for all three at once?",
                       "Start the three jobs together, for instance results = await asyncio.gather("
                       "job(\"resize\", 3), job(\"upload\", 1, fails=True), job(\"notify\", 2, "
                       "fails=True), return_exceptions=True), then sort the results into the dict.")
    if len(jobs) != 3:
        return not_yet(f"The chart has {len(jobs)} job() lanes: {_names(jobs)}. How many jobs should "
                       f"{name} run?",
                       "Run each of the three jobs once: resize (3 s), upload (1 s, fails) and "
                       "notify (2 s, fails).")
    cut = [t for t in jobs if t.outcome == "cancelled"]
    if cut:
        lanes = (f"{cut[0].name}'s lane ends with a grey square" if len(cut) == 1 else
                 f"The lanes of {_names(cut)} end with grey squares")
        they = "it was" if len(cut) == 1 else "they were"
        return not_yet(f"{lanes} at {seconds(cut[0].finished or 0)}: {they} still running when {name} "
                       f"ended, and {'was' if len(cut) == 1 else 'were'} cancelled. Did {name} wait "
                       "until all three jobs had ended?",
                       "A plain gather raises the first error at once and leaves the other jobs "
                       "running. gather(..., return_exceptions=True) waits for all of them and gives "
                       "back each error as an item of its list.")
    if main.outcome != "result":
        return not_yet(f"{name}'s lane ends with {_ended(main)}. Which job's error reached it, and how "
                       "can it collect the errors instead of raising them?",
                       "gather(..., return_exceptions=True) gives back each error as an item of its "
                       "list, in place of a result: nothing is raised.")
    overlap = max(t.started or 0 for t in jobs) < min(t.finished or 0 for t in jobs) - EPSILON
    if not overlap:
        return not_yet(f"The jobs ran one after another: {name} took {seconds(main.finished or 0)}. How "
                       "can it run all three at the same time?",
                       "Start all three before waiting for any: asyncio.gather(job(...), job(...), "
                       "job(...), return_exceptions=True) does both.")
    ended = max(t.finished or 0 for t in jobs)
    if main.finished is not None and main.finished < ended - EPSILON:
        return not_yet(f"{name} ended at {seconds(main.finished)}, before the last job ended at "
                       f"{seconds(ended)}. Did it wait for all three?",
                       "Wait for every job: gather(..., return_exceptions=True).")
    if trace.result != REPORT:
        return not_yet(f"The three jobs ran at the same time, and {name} returned {trace.result!r}. "
                       "Which lanes end with a red cross, and which with a green dot?",
                       f"Return {REPORT!r}: the results of the jobs that worked in \"ok\", the names of "
                       "those that failed (in the order you started them) in \"failed\". With "
                       "return_exceptions=True, an item that is an exception "
                       "(isinstance(item, Exception)) is a job that failed.")
    return solved(f"All three jobs ran at the same time; upload failed at 1.00 s and notify at 2.00 s "
                  f"(the red crosses), resize ended at 3.00 s, and {name} waited for all of them and "
                  f"returned {trace.result!r}. Nothing was raised and nothing was lost: each error was "
                  "collected instead of raised.")
