"""The fuzz corpus: hostile and malformed files, each with the outcome its import must have.

Files are made at test time by seeded generators (one module per kind of file, each with
a ``cases(folder, rng)`` function), not committed as binaries. Run
``python -m tests.fuzz.corpus OUTDIR`` to write the corpus to a folder and look at it.

Every case states its expected outcome: either a clear error (an
:class:`~gridmap.ImportFileError` or :class:`~gridmap.ValidationError` whose message is a
:class:`~gridmap.i18n.Message`, optionally containing a given text), or a given number of
good rows (and optionally rejected rows, and a check on the result). Anything else — another
exception, a hang, a different row count — fails the test.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: Modules contributing cases, each with ``cases(folder: Path, rng: random.Random)``.
CASE_MODULES = ("tests.fuzz.cases_text", "tests.fuzz.cases_vector")
SEED = 20261130


@dataclass
class Case:
    """One corpus file and the outcome importing it must have."""

    name: str
    path: Path
    layer: str
    expect: Literal["error", "rows"]
    #: keyword options for :func:`gridmap.io.import_file` (``crs``, ``columns`` …)
    options: dict[str, object] = field(default_factory=dict)
    #: with ``expect="error"``: a text the error message must contain (case-insensitive)
    error_contains: str | None = None
    #: with ``expect="rows"``: how many good rows, and (if not None) how many rejected
    n_good: int | None = None
    n_rejected: int | None = None
    #: with ``expect="rows"``: a further check on the ImportResult (raise AssertionError)
    check: Callable[[object], None] | None = None
    #: seconds the import may take before it counts as a hang
    timeout: float = 20.0


def run_import(path: Path, layer: str, options: dict[str, object]) -> tuple[str, object, str]:
    """Import one corpus file; meant to run in a worker process that can be killed on a hang.

    Returns ``("ok", result, "")`` or ``("raised", exception, traceback text)``. An
    exception that cannot be sent back between processes is replaced by a ``RuntimeError``
    naming it, so the test still fails with its traceback.
    """
    import pickle
    import traceback

    from gridmap.io import import_file

    try:
        return "ok", import_file(path, layer, **options), ""
    except Exception as exc:  # the test decides which exceptions are acceptable
        text = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return "raised", exc, text


def build(folder: Path, *, seed: int = SEED) -> list[Case]:
    """Write every case module's files under `folder` and return the cases."""
    cases: list[Case] = []
    for name in CASE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        sub = folder / name.rsplit(".", 1)[-1]
        sub.mkdir(parents=True, exist_ok=True)
        cases += module.cases(sub, random.Random(seed))
    names = [c.name for c in cases]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"case names repeat: {sorted(duplicated)}"
    return cases


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
    made = build(out)
    print(f"{len(made)} cases written to {out}")
