"""The store under concurrent writers, readers and killed processes (real processes),
on both backends (GeoPackage and PostGIS; see ``new_store`` in tests/test_store.py).

Each test has a short form that CI runs and a full form, the issue's numbers (50 rounds,
1,000,000-row imports), behind ``GRIDMAP_STRESS=1``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gridmap.cli import EXIT_BUSY
from gridmap.ingest import combine_rows
from gridmap.store import (
    GeoPackageStore,
    VersionConflictError,
    WorkspaceBusyError,
    WorkspaceStore,
    list_workspaces,
    open_workspace,
    sweep_leftovers,
)
from tests import test_store
from tests.test_store import incidents

# The backend fixtures of the store tests: every test taking `new_store` runs on both.
backend = test_store.backend
new_store = test_store.new_store

NewStore = Callable[..., WorkspaceStore]

STRESS = os.environ.get("GRIDMAP_STRESS") == "1"
WORKER = Path(__file__).with_name("store_worker.py")


def start(job: dict, **popen: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[arg-type]
    )


def finish(procs: list[subprocess.Popen], timeout: float = 600) -> list[dict]:
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, f"worker failed:\n{err}"
        assert "Traceback" not in err, err
        reports += [json.loads(line) for line in out.splitlines() if line.strip()]
    return reports


def check_history(store: WorkspaceStore, reports: list[dict]) -> None:
    """Every version a writer was told about exists, as told, and reads back whole."""
    history = store.history("incidents")
    assert [v.version for v in history] == list(range(1, len(history) + 1))
    by_version = {v.version: v for v in history}
    for report in reports:
        if "error" in report or report["op"] == "read":
            continue
        row = by_version[report["version"]]
        assert (row.n_features, row.table) == (report["n"], report["table"]), report
    for row in history:
        assert len(store.read("incidents", version=row.version)) == row.n_features
    assert store.integrity_ok()
    assert store.orphan_tables() == []


def test_concurrent_appends_keep_every_row(new_store: NewStore) -> None:
    store = new_store()
    store.write("incidents", incidents(100, prefix="BASE"), message="start")
    n_workers, n_rows = (6, 200_000) if STRESS else (4, 5_000)
    start_at = time.time() + 3  # all workers past their imports, then all at once
    procs = [
        start(
            {
                "path": store.location,
                "start_at": start_at,
                "ops": [{"op": "append", "n": n_rows, "prefix": f"W{w}-", "seed": w}],
            }
        )
        for w in range(n_workers)
    ]
    reports = finish(procs)
    assert all("error" not in r for r in reports), reports
    final = store.read("incidents")
    assert len(final) == 100 + n_workers * n_rows  # no lost update
    assert final["incident_id"].is_unique
    assert store.current_version("incidents") == 1 + n_workers
    check_history(store, reports)


def test_appends_from_threads_of_one_server_keep_every_row(new_store: NewStore) -> None:
    # Streamlit serves every browser session from a thread of one process.
    store = new_store()
    store.write("incidents", incidents(10, prefix="BASE"), message="start")
    errors: list[BaseException] = []

    def append(prefix: str) -> None:
        try:
            own = open_workspace(store.location)
            with own.writing():
                base = own.current_version("incidents")
                data = combine_rows(
                    [own.read("incidents"), incidents(500, prefix=prefix)], "incidents"
                )
                own.write("incidents", data, message=prefix, based_on=base)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(f"T{i}-",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store.read("incidents")) == 10 + 4 * 500


def test_append_restore_replace_and_readers_in_any_order(new_store: NewStore) -> None:
    rounds = 50 if STRESS else 3
    rng = random.Random(5)
    for round_ in range(rounds):
        store = new_store(f"w{round_}")
        store.write("incidents", incidents(300, prefix="A"), message="v1")
        store.write("incidents", incidents(200, prefix="B"), message="v2")
        kinds = ["append", "restore", "replace", "append", "read"]
        rng.shuffle(kinds)
        start_at = time.time() + 2.5
        jobs = []
        for w, kind in enumerate(kinds):
            op: dict[str, object] = {"op": kind, "n": 2_000, "prefix": f"R{w}-", "seed": w}
            if kind == "restore":
                op["version"] = rng.choice([1, 2])
            ops = [op] * (5 if kind == "read" else 1)
            jobs.append({"path": store.location, "start_at": start_at, "ops": ops})
        reports = finish([start(job) for job in jobs])
        assert all("error" not in r for r in reports), reports
        writes = [r for r in reports if r["op"] != "read"]
        assert sorted(r["version"] for r in writes) == list(range(3, 3 + len(writes)))
        check_history(store, reports)


def test_two_large_imports_at_once_keep_the_history(new_store: NewStore) -> None:
    n_rows = 1_000_000 if STRESS else 150_000
    store = new_store()
    store.write("incidents", incidents(50, prefix="OLD"), message="history to keep")
    start_at = time.time() + 3
    procs = [
        start(
            {
                "path": store.location,
                "start_at": start_at,
                "ops": [{"op": "replace", "n": n_rows, "prefix": f"BIG{w}-", "seed": w}],
            }
        )
        for w in range(2)
    ]
    reports = finish(procs)
    assert all("error" not in r for r in reports), reports
    assert store.history("incidents")[0].message == "history to keep"
    assert store.current_version("incidents") == 3
    check_history(store, reports)


def test_a_second_writer_gets_workspace_busy_not_a_traceback(
    tmp_path: Path, new_store: NewStore
) -> None:
    path = new_store().location
    open_workspace(path).write("incidents", incidents(5), message="start")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from gridmap.store import open_workspace\n"
            f"s = open_workspace({path!r})\n"
            "with s.writing():\n    print('held', flush=True); time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "USER": "王警官"},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        csv = tmp_path / "new.csv"
        csv.write_text("编号,经度,纬度,类别,时间\nN1,24.941,60.171,盗窃,2026-03-01 10:00\n")
        t0 = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gridmap.cli",
                "-w",
                path,
                "import",
                str(csv),
                "-l",
                "incidents",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "GRIDMAP_BUSY_TIMEOUT": "1.5"},
            timeout=120,
        )
        assert 1.5 <= time.monotonic() - t0 < 60
        assert done.returncode == EXIT_BUSY, done.stderr
        assert "workspace busy" in done.stderr
        assert "王警官" in done.stderr  # who holds it, so the user knows whom to ask
        assert "Traceback" not in done.stderr
        # In-process, with an explicit timeout, and in Chinese for the app.
        store = open_workspace(path)
        with pytest.raises(WorkspaceBusyError) as info, store.writing(timeout=0.2):
            pass
        from gridmap.i18n import localize

        assert "工作空间正忙" in localize(info.value, "zh")
    finally:
        holder.kill()
        holder.wait()
    # Once the holder is gone (killed, even), the lock is free again.
    open_workspace(path).write("incidents", incidents(3), message="after")


def test_a_stale_base_version_is_refused_naming_who_changed_it(new_store: NewStore) -> None:
    store = new_store()
    store.write("incidents", incidents(5), message="one")
    store.write("incidents", incidents(6, seed=1), author="李四", message="two")
    with pytest.raises(VersionConflictError, match=r"based on version 1.*version 2 \(李四"):
        store.write("incidents", incidents(7, seed=2), message="mine", based_on=1)
    with pytest.raises(VersionConflictError):
        store.write("incidents", incidents(1), message="m", based_on=None)  # "must be new"
    assert store.current_version("incidents") == 2
    made = store.write("incidents", incidents(7, seed=2), message="mine", based_on=2)
    assert made.version == 3


def test_killed_writers_leave_no_trace_in_the_workspace(
    tmp_path: Path, new_store: NewStore
) -> None:
    kills = 12 if STRESS else 3
    n_rows = 300_000 if STRESS else 120_000
    rng = random.Random(11)
    store = new_store()
    path = store.location
    store.write("incidents", incidents(1000, prefix="KEEP"), message="keep me")
    gpkg = isinstance(store, GeoPackageStore)
    size = Path(path).stat().st_size if gpkg else 0
    # How long one write takes here, to kill at moments spread over all of it (GDAL's
    # sidecar write, the copy into the workspace, the commit).
    probe = start({"path": str(path), "ops": [{"op": "replace", "n": n_rows, "prefix": "P"}]})
    t0 = time.monotonic()
    finish([probe])
    duration = time.monotonic() - t0
    store.restore("incidents", 1)
    for _ in range(kills):
        proc = start({"path": str(path), "ops": [{"op": "replace", "n": n_rows, "prefix": "X"}]})
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    reopened = open_workspace(path)
    history = reopened.history("incidents")
    assert history[-1].message.startswith(("restore", "replace"))
    for row in history:
        assert len(reopened.read("incidents", version=row.version)) == row.n_features
    assert reopened.integrity_ok()
    assert reopened.orphan_tables() == []  # PostGIS: each killed transaction rolled back
    with reopened.writing(timeout=5):  # no killed writer still holds the lock
        pass
    if not gpkg:
        return
    sweep_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".lock") == ["w.gpkg"]
    # No growth from the killed writes beyond the versions that did land.
    landed = sum(1 for v in history if v.action == "write" and v.n_features == n_rows)
    assert Path(path).stat().st_size < size + (landed + 1) * n_rows * 150


def test_temporary_files_are_never_listed_as_workspaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    GeoPackageStore(tmp_path / "real.gpkg")
    stale = tmp_path / ".real.0123456789ab.part.gpkg"
    stale.write_bytes(b"half a sidecar")
    half_new = tmp_path / ".other.89abcdef.new.gpkg"
    half_new.write_bytes(b"half a new workspace")
    assert [p.name for p in list_workspaces()] == ["real.gpkg"]
    assert not stale.exists()  # nobody held their locks
    assert not half_new.exists()


def test_a_journal_a_killed_writer_left_cold_is_removed_but_never_a_live_one(
    tmp_path: Path,
) -> None:
    import sqlite3

    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", incidents(50), message="keep")
    journal = tmp_path / "w.gpkg-journal"
    # Killed between creating the journal and writing its header: SQLite never rolls
    # such a journal back, nor removes it until the next write.
    for cold in (b"", bytes(512)):
        journal.write_bytes(cold)
        assert len(open_workspace(store.location).read("incidents")) == 50
        assert not journal.exists()
    # Another SQLite program writing right now: its journal is left alone.
    other = sqlite3.connect(store.location, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    journal.write_bytes(b"")
    open_workspace(store.location)
    assert journal.exists()
    journal.unlink()
    other.execute("ROLLBACK")
    other.close()
    # And one of a gridmap writer holding the workspace's lock (in another process).
    opener = f"from gridmap.store import open_workspace; open_workspace({str(store.location)!r})"
    with open_workspace(store.location).writing(timeout=5):
        journal.write_bytes(b"")
        subprocess.run([sys.executable, "-c", opener], check=True)
        assert journal.exists()
    open_workspace(store.location)
    assert not journal.exists()


def test_vacuum_drops_orphans_of_older_releases_and_reclaims_space(tmp_path: Path) -> None:
    import pyogrio

    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", incidents(100), message="keep")
    # What a writer of an earlier gridmap killed mid-write left: a table in the file
    # that no version points to.
    pyogrio.write_dataframe(
        incidents(50_000, seed=9), store.path, layer="incidents__0badc0ffee00", driver="GPKG"
    )
    assert store.orphan_tables() == ["incidents__0badc0ffee00"]
    report = store.vacuum()
    assert report["tables"] == 1
    assert report["bytes_after"] < report["bytes_before"]
    assert store.orphan_tables() == []
    assert store.integrity_ok()
    assert len(store.read("incidents")) == 100
    # The file still opens in GDAL with just the current table and our own tables.
    names = {name for name, _ in pyogrio.list_layers(store.path)}
    assert "incidents__0badc0ffee00" not in names
