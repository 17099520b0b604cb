"""Notebook 16's checkers on the ways a learner may get the exercises wrong, or right.

The crawler and its site are the notebook's own code: the definitions of its cells (imports,
functions, assignments without an await; not the Ctrl-C and script cells, which only run things)
are run here, then each variant is crawled for real, on loopback, and checked. Each crawl takes
the real time its chart says (0.7 to 3 s).
"""

from __future__ import annotations

import ast
import pathlib

import nbformat
import pytest

from helpers import run_traced
from helpers.exercises import check

ROOT = pathlib.Path(__file__).parent.parent
NOTEBOOK = ROOT / "notebooks" / "16_capstone_crawler.ipynb"
FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def _definitions(source: str, name: str) -> ast.Module:
    tree = compile(source, name, "exec", flags=FLAGS)
    keep = [node for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef))
            or (isinstance(node, ast.Assign) and not any(isinstance(n, ast.Await) for n in ast.walk(node)))]
    return ast.Module(keep, [])


@pytest.fixture(scope="module")
def nb() -> dict:
    """The notebook's definitions, run in a namespace of their own."""
    namespace: dict = {"display": lambda *args, **kwargs: None}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and cell.get("id") not in ("colab-setup", "ctrl-c", "script"):
            exec(compile(_definitions(cell.source, cell.get("id")), cell.get("id"), "exec"), namespace)
    return namespace


def _variant(nb: dict, source: str) -> dict:
    """`source` run in a copy of the notebook's namespace: its definitions replace the notebook's."""
    namespace = dict(nb)
    exec(compile(_definitions(source, "variant"), "variant", "exec"), namespace)
    return namespace


HOLDING = '''
async def careful_fetch(session, limit, url, tries=3, backoff=0.1):
    async with limit:
        for attempt in range(1, tries + 1):
            try:
                return await fetch_once(session, url), attempt
            except (aiohttp.ClientError, TimeoutError) as error:
                error.tries = attempt
                if attempt == tries or not worth_retrying(error):
                    raise
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
'''
def _per_try(backoff: float = 0.1) -> str:
    return f'''
async def careful_fetch(session, limit, url, tries=3, backoff={backoff}):
    for attempt in range(1, tries + 1):
        try:
            async with limit:
                return await fetch_once(session, url), attempt
        except (aiohttp.ClientError, TimeoutError) as error:
            error.tries = attempt
            if attempt == tries or not worth_retrying(error):
                raise
        await asyncio.sleep(backoff * 2 ** (attempt - 1))
'''


def _stock_crawl(workers: int, limit: int = 2) -> str:
    """The exercise's stock_crawl(), with other numbers."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    source = next(c.source for c in cells if c.get("id") == "ex-faster")
    source = source[source.index("async def stock_crawl"):source.index("stock = await")]
    return source.replace("workers=2, limit=2", f"workers={workers}, limit={limit}")


def _faster(nb: dict, fetch: str, workers: int, limit: int = 2):
    namespace = _variant(nb, fetch + _stock_crawl(workers, limit))
    trace = run_traced(namespace["stock_crawl"](), quiet=True)
    return trace, check("16-faster-politely", trace)


def test_the_starter_is_slow_and_the_first_question_is_about_the_workers(nb):
    trace, verdict = _faster(nb, HOLDING, workers=2)
    assert abs(trace.duration - 1.4) < 1e-6
    assert not verdict and "no worker was free" in verdict.message and "2 workers" in verdict.message


def test_more_workers_alone_wait_for_permits_held_by_sleepers(nb):
    trace, verdict = _faster(nb, HOLDING, workers=4)
    assert not verdict and "waited on Semaphore.acquire" in verdict.message, verdict.message
    assert "slept in" in verdict.message


def test_a_permit_per_try_alone_needs_more_workers(nb):
    trace, verdict = _faster(nb, _per_try(), workers=2)
    assert not verdict and "no worker was free" in verdict.message, verdict.message


def test_both_fixes_solve_it(nb):
    for workers in (3, 6):
        trace, verdict = _faster(nb, _per_try(), workers=workers)
        assert verdict, verdict.message


def test_more_permits_break_the_limit(nb):
    trace, verdict = _faster(nb, _per_try(), workers=6, limit=6)
    assert not verdict and "requests ran at once" in verdict.message, verdict.message


def test_a_shorter_back_off_is_not_polite(nb):
    trace, verdict = _faster(nb, _per_try(backoff=0.01), workers=3)
    assert not verdict and "back-off" in verdict.message and "sleep(0.01)" in verdict.message, verdict.message


def test_a_permit_never_given_back_hangs_until_the_safety_net(nb):
    leaky = _per_try().replace("            async with limit:\n                return await fetch_once",
                               "            await limit.acquire()\n            if True:\n"
                               "                return await fetch_once")
    assert "limit.acquire()" in leaky
    trace, verdict = _faster(nb, leaky, workers=3)
    assert not verdict and "never finished" in verdict.message and "Semaphore.acquire" in verdict.message, \
        verdict.message


def test_the_hang_and_its_fix(nb):
    namespace = _variant(nb, "")
    trace = run_traced(namespace["stock_crawl_with_a_deadline"](), quiet=True)
    verdict = check("16-the-hang", trace)
    assert not verdict and "never finished" in verdict.message and "Queue.join" in verdict.message
    fixed = _variant(nb, (ROOT / "helpers" / "exercises" / "solutions" / "16-the-hang.ipy").read_text())
    trace = run_traced(fixed["stock_crawl_with_a_deadline"](), quiet=True)
    verdict = check("16-the-hang", trace)
    assert verdict, verdict.message
    assert trace.duration < 1.5


def test_reading_the_pauses(nb):
    trace = run_traced(nb["polite_crawl"](), quiet=True)
    blank = check("16-read-the-pauses", trace, {"from": ..., "until": ..., "who": ...})
    assert not blank and "?" in blank.message
    wrong = check("16-read-the-pauses", trace, {"from": 0.8, "until": 1.2, "who": "worker-1"})
    assert not wrong and "1 of your 3 answers matches" in wrong.message, wrong.message
    right = check("16-read-the-pauses", trace, {"from": "0.8 s", "until": 0.9, "who": "worker-3"})
    assert right, right.message
