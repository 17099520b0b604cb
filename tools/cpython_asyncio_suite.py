"""Run CPython's own asyncio test suite on TracingLoop, to measure how faithful it is.

The course claims a traced run behaves like plain asyncio, only recorded; test.test_asyncio
is the most thorough statement of "behaves like asyncio" there is. We run it three ways
per Python: ``plain`` (baseline: what fails here is the machine's, not ours), ``real``
(TracingLoop(clock="real")) and ``virtual`` (TracingLoop()), and list the tests that fail
only on our loop, grouped by cause, with the failing line.

The loop is swapped in inside each worker before the tests import asyncio names: the
default policy's ``_loop_factory`` (``new_event_loop()``, ``asyncio.run()``,
``IsolatedAsyncioTestCase``, fresh policies after ``set_event_loop_policy(None)``) and
``asyncio.SelectorEventLoop``/``EventLoop`` (tests passing their own selector). Tests on
``test_utils.TestLoop`` or hand-made loops never touch ours: every loop built is counted
by kind, so the table says how many tests really ran on a TracingLoop.

One worker per test module, with a per-test watchdog (faulthandler): a hung test is
recorded with its stack and the worker restarted after it. Tests failing only on our loop
are re-run alone; those that pass then are listed as flaky. helpers/ is copied at the start,
so a checkout edited meanwhile is measured in one state. Usage:

    python tools/cpython_asyncio_suite.py [--python PATH ...] [--mode plain|real|virtual ...]
        [--checkout DIR] [--json OUT] [--timeout S] [--jobs N] [--modules test_tasks ...]
"""

from __future__ import annotations

import argparse, collections, contextlib, glob, hashlib, json, os, re, shutil, signal, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
RANK = {"pass": 0, "skip": 1, "xfail": 2, "fail": 3, "error": 4, "crash": 5, "hung": 6}
BAD = {"fail", "error", "crash", "hung"}
# (cause, regex searched in "test id + traceback"); first match wins. Built by reading the
# tracebacks of real runs: extend it when a run prints "unclassified".
CAUSES = [
    ("loop.create_task: the task factory signature (name=/context= passed to a (loop, coro) factory)",
     r"factory\(\) (got an unexpected keyword|takes \d+ positional)"),
    ("debug mode: TracingLoop.call_soon/create_task adds its own frame to _source_traceback",
     r"helpers/record/loop\.py', \d+, '\w+'"),
    ("object lifetimes: a reference cycle through the recorder's frames keeps objects until gc runs",
     r"assertIsNone\(\w*ctx\(\)\)|assertTrue\(exc_handler_called\)|weakref|never retrieved"),
    ("deadlock falsely reported (the loop idled past DEADLOCK_GRACE while work was in flight)",
     r"Deadlock at|Event loop stopped before Future completed"),
    ("virtual clock: run stopped as a runaway", r"looks like it never ends"),
    ("tests that assert exact loop class / selector internals (not a real difference)",
     r"ClockSelector|SuiteLoop|TracingLoop|RecordedTask"),
    ("async generator finalization", r"asyncgen|shutdown_asyncgens"),
]


# --- worker: runs inside the Python under test ------------------------------------------
def install(mode: str) -> None:
    import asyncio, selectors
    from asyncio import unix_events
    from helpers.record.loop import TracingLoop

    class SuiteLoop(TracingLoop):   # also takes SelectorEventLoop's ``selector`` argument
        def __init__(self, selector=None):
            default = selectors.DefaultSelector
            if selector is not None:
                selectors.DefaultSelector = lambda: selector
            try:
                TracingLoop.__init__(self, clock=mode)
            finally:
                selectors.DefaultSelector = default

    unix_events._UnixDefaultEventLoopPolicy._loop_factory = SuiteLoop
    for mod in (asyncio, unix_events):
        mod.SelectorEventLoop = SuiteLoop
        if hasattr(mod, "EventLoop"):
            mod.EventLoop = SuiteLoop


def worker(a: argparse.Namespace) -> None:
    import faulthandler, unittest
    from asyncio import base_events, unix_events
    default_cls = unix_events._UnixSelectorEventLoop
    if a.mode != "plain":
        install(a.mode)
    counts: collections.Counter = collections.Counter()
    init = base_events.BaseEventLoop.__init__

    def counting_init(self, *args, **kwargs):   # every loop built, by kind
        cls = type(self)
        kind = ("tracing" if any(c.__name__ == "TracingLoop" for c in cls.__mro__) else
                "default" if cls is default_cls else "test" if cls.__name__ == "TestLoop" else "other")
        counts[kind] += 1
        init(self, *args, **kwargs)
    base_events.BaseEventLoop.__init__ = counting_init

    skip = set(json.load(open(a.skip)))
    only = json.load(open(a.only))
    out, hang = open(a.out, "a"), open(a.hang, "w")

    def flat(suite):
        for t in suite:
            yield from (flat(t) if isinstance(t, unittest.TestSuite) else [t])

    def emit(rec: dict) -> None:
        out.write(json.dumps(rec) + "\n")
        out.flush()

    class Result(unittest.TestResult):
        cur: dict | None = None

        def startTest(self, test):
            super().startTest(test)
            counts.clear()
            self.cur = {"id": test.id(), "o": "pass", "tb": "", "t0": time.monotonic()}
            emit({"start": test.id()})
            faulthandler.dump_traceback_later(a.timeout, exit=True, file=hang)

        def stopTest(self, test):
            faulthandler.cancel_dump_traceback_later()
            super().stopTest(test)
            cur, self.cur = self.cur, None
            if cur is None:   # 3.12 skips a test without startTest(), then calls stopTest()
                return
            cur["s"] = round(time.monotonic() - cur.pop("t0"), 2)
            cur["loops"] = dict(counts)
            emit(cur)

        def note(self, test, outcome, err=None, reason=""):
            tb = self._exc_info_to_string(err, test) if err else reason
            if self.cur is None or self.cur["id"] != test.id():   # class/module fixture
                return emit({"id": test.id(), "o": outcome, "tb": tb, "loops": {}})
            if RANK[outcome] > RANK[self.cur["o"]]:
                self.cur["o"] = outcome
            if outcome in BAD and not self.cur["tb"]:
                self.cur["tb"] = tb

        def addError(self, test, err): self.note(test, "error", err)
        def addFailure(self, test, err): self.note(test, "fail", err)
        def addSkip(self, test, reason): self.note(test, "skip", reason=reason)
        def addExpectedFailure(self, test, err): self.note(test, "xfail")
        def addUnexpectedSuccess(self, test): self.note(test, "fail", reason="unexpected success")

        def addSubTest(self, test, subtest, err):
            if err is not None:
                self.note(test, "fail" if issubclass(err[0], test.failureException) else "error", err)

    try:
        suite = unittest.defaultTestLoader.loadTestsFromName("test.test_asyncio." + a.worker)
    except unittest.SkipTest as exc:   # e.g. "Windows only", raised at import
        return emit({"id": f"test.test_asyncio.{a.worker}", "o": "skip", "tb": str(exc), "loops": {}})
    tests = [t for t in flat(suite) if t.id() not in skip and (only is None or t.id() in only)]
    unittest.TestSuite(tests).run(Result())


# --- orchestrator ------------------------------------------------------------------------
def run_module(py: str, mode: str, module: str, a, only: list[str] | None = None) -> dict:
    """All results of one module, {test id: record}; the worker is restarted after a hang."""
    tmp = tempfile.mkdtemp(prefix=f"suite-{mode}-{module}-")
    out, hang, skip, log, only_f = (os.path.join(tmp, n) for n in ("out", "hang", "skip", "log", "only"))
    json.dump(only, open(only_f, "w"))
    cmd = [py, os.path.abspath(__file__), "--worker", module, "--mode", mode, "--out", out,
           "--hang", hang, "--skip", skip, "--only", only_f, "--timeout", str(a.timeout)]
    results: dict[str, dict] = {}
    try:
        while True:
            json.dump(sorted(results), open(skip, "w"))
            open(out, "w").close()
            with open(log, "a") as logf:
                proc = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, cwd=tmp,
                                        env=dict(os.environ, PYTHONPATH=a.checkout), start_new_session=True)
                while proc.poll() is None:    # backstop, should the watchdog itself be stuck
                    time.sleep(0.5)
                    if time.time() - os.path.getmtime(out) > a.timeout + 60:
                        os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):   # and what its tests started
                os.killpg(proc.pid, signal.SIGKILL)
            started, before = None, len(results)
            for rec in map(json.loads, open(out)):
                if "start" in rec:
                    started = rec["start"]
                else:
                    results[rec["id"]] = rec
                    started = None if rec["id"] == started else started
            if proc.returncode == 0:
                return results
            stack = open(hang).read() if os.path.exists(hang) else ""
            hung = "Timeout (" in stack
            rec = {"o": "hung" if hung else "crash", "loops": {},
                   "tb": stack[-4000:] if hung else open(log).read()[-3000:]}
            results[started or f"{module} (worker exit {proc.returncode})"] = dict(rec, id=started)
            if started is None or len(results) == before:   # died outside a test: do not loop
                return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


SMOKE = """import asyncio; from helpers.record.loop import TracingLoop
async def main(): return await asyncio.create_task(asyncio.sleep(0.01, result=42))
for clock in ("real", "virtual"): assert TracingLoop(clock=clock).run_until_complete(main()) == 42
"""


def snapshot(checkout: str, pythons: list[str]) -> tuple[str, str]:
    dest = tempfile.mkdtemp(prefix="suite-helpers-")
    shutil.copytree(os.path.join(checkout, "helpers"), os.path.join(dest, "helpers"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    digest = hashlib.sha256()
    for f in sorted(glob.glob(os.path.join(dest, "helpers", "**", "*.py"), recursive=True)):
        digest.update(f[len(dest):].encode() + open(f, "rb").read())
    git = subprocess.run(["git", "-C", checkout, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    for py in pythons:
        smoke = subprocess.run([py, "-c", SMOKE], env=dict(os.environ, PYTHONPATH=dest), cwd=dest,
                               capture_output=True, text=True)
        if smoke.returncode:
            sys.exit(f"{checkout}'s helpers fail a trivial program on {py} (mid-edit?):\n{smoke.stderr}")
    return dest, f"{checkout} at {git or '?'}, helpers/ sha256 {digest.hexdigest()[:12]}"


def cause_of(test_id: str, rec: dict, mode: str, real: dict | None) -> str:
    for cause, pattern in CAUSES:
        if re.search(pattern, test_id + "\n" + rec["tb"]):
            return cause
    if rec["o"] == "hung":
        return "hung (where: the stack below)"
    if mode == "virtual" and real is not None and real["o"] == "pass":
        return "virtual clock only: time jumps while a subprocess/thread/socket is in flight?"
    return "unclassified"


def key_line(rec: dict) -> str:
    """The failing line and the exception; for a hang, the innermost frame of the main thread."""
    lines = [ln.strip() for ln in rec["tb"].splitlines() if ln.strip()]
    if rec["o"] == "hung":
        return "hung in " + next((ln for ln in lines if ln.startswith("File ")), "?")
    exc = [i for i, ln in enumerate(lines) if re.match(r"[\w.]+(Error|Exception|Exit|Interrupt|Warning)\b", ln)]
    at = exc[-1] if exc else len(lines) - 1
    code = next((lines[i + 1] for i in range(at - 1, -1, -1) if lines[i].startswith('File "')), "")
    return f"{code}  ->  {lines[at] if lines else rec['o']}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", action="append", help="interpreter to test (repeat); default: this one")
    p.add_argument("--mode", action="append", choices=["plain", "real", "virtual"])
    p.add_argument("--checkout", default=os.path.dirname(HERE), help="whose helpers/ to measure")
    p.add_argument("--json", help="write every test's outcome and traceback here")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds one test may take")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--modules", nargs="*", help="e.g. test_tasks test_locks; default: all")
    for name in ("--worker", "--out", "--hang", "--skip", "--only"):
        p.add_argument(name, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        a.mode = a.mode[0]
        return worker(a)
    pythons, modes = a.python or [sys.executable], a.mode or ["plain", "real", "virtual"]
    a.checkout, measured = snapshot(os.path.abspath(a.checkout), pythons)
    print("helpers:", measured, flush=True)
    began = time.monotonic()
    ver = {py: subprocess.run([py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                              capture_output=True, text=True).stdout.strip() for py in pythons}
    listing = "import pkgutil, test.test_asyncio as t; print(*[m.name for m in pkgutil.iter_modules(t.__path__)])"
    jobs = [(py, m, mod) for py in pythons
            for mod in a.modules or subprocess.run([py, "-c", listing], capture_output=True, text=True).stdout.split()
            if mod.startswith("test_") for m in modes]
    with ThreadPoolExecutor(a.jobs) as pool:
        done = list(pool.map(lambda j: run_module(*j, a), jobs))
    res: dict = collections.defaultdict(dict)   # (python, mode) -> {test id: record}
    for (py, m, _), recs in zip(jobs, done):
        res[py, m].update(recs)
    # What fails only on our loop is re-run alone: what passes then is flaky, not a difference.
    extra = {(py, m): sorted(i for i, r in res[py, m].items() if r["o"] in BAD
                             and res[py, "plain"].get(i, {}).get("o") == "pass")
             for py in pythons for m in modes if m != "plain" and "plain" in modes}
    mod_of = lambda i: (re.findall(r"test_asyncio\.(\w+)", i) or [""])[0]
    reruns = [(py, m, mod, [i for i in ids if mod_of(i) == mod])
              for (py, m), ids in extra.items() for mod in sorted({mod_of(i) for i in ids} - {""})]
    with ThreadPoolExecutor(a.jobs) as pool:
        again = list(pool.map(lambda r: run_module(*r[:3], a, only=r[3]), reruns))
    flaky = collections.defaultdict(list)
    for (py, m, _, ids), recs in zip(reruns, again):
        flaky[py, m] += [i for i in ids if recs.get(i, {}).get("o") == "pass"]
    wall = time.monotonic() - began
    shutil.rmtree(a.checkout, ignore_errors=True)

    print("\n'on loop': tests that built a TracingLoop (plain: asyncio's default selector loop);"
          " 'TestLoop': tests that built only test_utils.TestLoop (never our loop);"
          " 'only ours': fail on our loop, pass on plain, failed again when re-run alone.")
    print(f"{'python':8} {'mode':8} {'run':>5} {'skip':>5} {'fail':>5} {'error':>5} {'hung':>5} {'crash':>5}"
          f" {'on loop':>8} {'TestLoop':>8} {'only ours':>9} {'flaky':>5}")
    for py in pythons:
        for m in modes:
            rs, kind = res[py, m].values(), "default" if m == "plain" else "tracing"
            c = collections.Counter(r["o"] for r in rs)
            on = sum(1 for r in rs if r["loops"].get(kind))
            tl = sum(1 for r in rs if r["loops"].get("test") and not r["loops"].get(kind))
            ours = len(extra.get((py, m), [])) - len(flaky[py, m])
            print(f"{ver[py]:8} {m:8} {sum(c.values()) - c['skip']:5} {c['skip']:5} {c['fail']:5} {c['error']:5}"
                  f" {c['hung']:5} {c['crash']:5} {on:8} {tl:8} {ours:9} {len(flaky[py, m]):5}")
    groups: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    for (py, m), ids in extra.items():
        for i in set(ids) - set(flaky[py, m]):
            groups[cause_of(i, res[py, m][i], m, res.get((py, "real"), {}).get(i))][ver[py], m].append(i)
    print("\nFail only on TracingLoop, by cause:")
    for cause, where in sorted(groups.items(), key=lambda g: -sum(map(len, g[1].values()))):
        print(f"\n* {cause}  ({', '.join(f'{v} {m}: {len(ids)}' for (v, m), ids in sorted(where.items()))})")
        for i in sorted({i for ids in where.values() for i in ids}):
            on = [(v, m) for (v, m), ids in sorted(where.items()) if i in ids]
            py = next(p for p in pythons if ver[p] == on[0][0])
            print(f"    {i}  [{', '.join(f'{v} {m}' for v, m in on)}]\n        {key_line(res[py, on[0][1]][i])[:300]}")
    for (py, m), ids in sorted(flaky.items()):
        if ids:
            print(f"\npassed when re-run alone on {ver[py]} {m} (flaky or order-dependent): {', '.join(ids)}")
    for what in ("hung", "crash"):   # in any mode, plain included: nothing is skipped silently
        ids = [f"{ver[py]} {m} {i}" for (py, m), rs in res.items() for i, r in rs.items() if r["o"] == what]
        print(f"\n{what}{f' (killed after {a.timeout:g} s)' if what == 'hung' else ''}: {'; '.join(ids) or 'none'}")
    print(f"\nwall time: {wall:.0f} s for {len(jobs)} module runs + {len(reruns)} re-runs, {a.jobs} jobs")
    if a.json:
        json.dump({"helpers": measured, "wall_s": round(wall), "timeout": a.timeout,
                   "results": {f"{ver[py]} {m}": rs for (py, m), rs in res.items()},
                   "flaky": {f"{ver[py]} {m}": ids for (py, m), ids in flaky.items()},
                   "causes": {c: {f"{v} {m}": ids for (v, m), ids in w.items()} for c, w in groups.items()}},
                  open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
