"""Every file of the fuzz corpus imports to exactly its stated outcome, in bounded time.

The corpus (:mod:`tests.fuzz.corpus`) holds hostile and malformed files; each must either
give a clear, translatable error (a :class:`~gridmap.GridmapError` carrying a
:class:`~gridmap.i18n.Message`) or exactly its stated rows. A traceback of any other kind,
a wrong row count or a hang fails the case. Imports run in a worker process so that a hang
can be stopped: the worker is killed and replaced, and the case fails.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from pathlib import Path

import pytest

from gridmap import GridmapError
from gridmap.i18n import Message
from gridmap.io import ImportResult
from tests.fuzz.corpus import Case, build, run_import


@cache
def _corpus() -> tuple[Path, dict[str, Case]]:
    """The corpus, built once per test session (case names are needed at collection)."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-fuzz-"))
    return folder, {case.name: case for case in build(folder)}


class _Worker:
    """One import worker process, replaced when a case hangs."""

    def __init__(self) -> None:
        self.pool = self._start()

    @staticmethod
    def _start() -> ProcessPoolExecutor:
        # A forkserver child first re-runs the parent's __main__ from its file, and an
        # AppTest earlier in the session leaves the app script as __main__: run bare, it
        # broke the worker at start (and all 177 cases with it). Started without a main
        # file, the worker imports only what `run_import` needs.
        main = sys.modules["__main__"]
        saved = main.__dict__.pop("__file__", None)
        try:
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
            pool.submit(run_import, Path("/nonexistent.csv"), "incidents", {}).result(timeout=120)
        finally:
            if saved is not None:
                main.__file__ = saved
        return pool

    def run(self, case: Case) -> tuple[str, object, str]:
        future = self.pool.submit(run_import, case.path, case.layer, case.options)
        try:
            return future.result(timeout=case.timeout)
        except FutureTimeout:
            for process in list(self.pool._processes.values()):
                process.kill()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = self._start()
            pytest.fail(f"{case.name}: no outcome within {case.timeout} s (a hang)")

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def corpus() -> Iterator[dict[str, Case]]:
    folder, cases = _corpus()
    yield cases
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def worker() -> Iterator[_Worker]:
    made = _Worker()
    yield made
    made.close()


def test_corpus_is_large_and_deterministic(tmp_path: Path, corpus: dict[str, Case]) -> None:
    """Rebuilding with the same seed gives the same files: failures can be reproduced."""
    first = corpus
    again = {case.name: case for case in build(tmp_path)}
    assert len([n for n in first if n.startswith("text:")]) >= 60
    assert first.keys() == again.keys()
    for name, case in first.items():
        if not name.startswith("text:"):
            continue  # GIS cases: GDAL and zipfile stamp files with the time of writing
        assert case.path.read_bytes() == again[name].path.read_bytes(), name


@pytest.mark.parametrize("name", list(_corpus()[1]))
def test_case(name: str, corpus: dict[str, Case], worker: _Worker) -> None:
    case = corpus[name]
    status, outcome, trace = worker.run(case)
    if case.expect == "error":
        if status == "ok":
            pytest.fail(f"expected an error, got {len(outcome.data)} rows")  # type: ignore[attr-defined]
        if not isinstance(outcome, GridmapError):
            pytest.fail(f"not a GridmapError:\n{trace}")
        message = outcome.args[0] if outcome.args else None
        assert isinstance(message, Message), f"error without a Message: {outcome!r}"
        if case.error_contains:
            assert case.error_contains.lower() in str(message).lower(), str(message)
        return
    if status != "ok":
        pytest.fail(f"expected rows, got an error:\n{trace}")
    assert isinstance(outcome, ImportResult)
    assert len(outcome.data) == case.n_good, (
        f"{len(outcome.data)} good rows, not {case.n_good}; rejected:\n{outcome.rejected}"
    )
    if case.n_rejected is not None:
        assert len(outcome.rejected) == case.n_rejected, outcome.rejected
    if case.check is not None:
        case.check(outcome)
