"""The files beside a GeoPackage workspace: its write lock and what killed writers leave.

See :mod:`gridmap.store` for why a workspace is written through a sidecar file and
guarded by a lock file (``filelock``) rather than by SQLite's own locking alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import filelock

from gridmap._errors import StoreError
from gridmap.i18n import Message
from gridmap.store._base import WorkspaceBusyError, _now, busy_timeout
from gridmap.store._gdal_guard import sqlite_connected


def _write_failed(path: Path, exc: BaseException) -> StoreError:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StoreError(Message("workspace_write_failed", name=path.name, detail=detail[:300]))


def _temp_name(path: Path, kind: str) -> Path:
    """A hidden file beside workspace `path`: ``.<stem>.<hex>.<kind>.gpkg``.

    :func:`sweep_leftovers` recognises these names, and :func:`list_workspaces` never
    lists them.
    """
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.{kind}.gpkg")


#: Leftovers of killed writers: sidecars, new workspaces being built, and the files
#: SQLite and GDAL keep beside them (journals, GDAL's ``.tmp_rtree_<table>.db``).
_LEFTOVER = re.compile(
    r"^\.(?P<stem>.+?)(\.[0-9a-f]{8,12}\.(part|new|tmp)\.gpkg.*|\.gpkg\.writer)$"
)


class _WorkspaceLock:
    """The write lock of one workspace file: a `filelock` lock file beside it.

    `filelock` locks with ``fcntl.flock`` (``msvcrt`` on Windows), which the operating
    system releases when a process dies, so a killed writer never leaves the workspace
    locked. One lock object per file and process; re-entrant per thread, and threads of
    one process exclude each other as processes do. While held, a small note beside it
    says who writes and since when, so a waiting user is told.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(f".{path.name}.lock")
        self.note_path = path.with_name(f".{path.name}.writer")
        self._lock = filelock.FileLock(self.lock_path, is_singleton=True)

    @contextlib.contextmanager
    def hold(self, timeout: float | None, who: str) -> Iterator[None]:
        wait = busy_timeout() if timeout is None else timeout
        first = not self._lock.is_locked
        try:
            self._lock.acquire(timeout=wait)
        except filelock.Timeout:
            raise WorkspaceBusyError(self._busy_message(wait)) from None
        except OSError as exc:  # a read-only folder: the lock file cannot be made
            raise _write_failed(self.path, exc) from None
        try:
            if first:
                with contextlib.suppress(OSError):
                    self.note_path.write_text(
                        json.dumps({"who": who, "since": _now().isoformat(), "pid": os.getpid()})
                    )
            yield
        finally:
            if self._lock.lock_counter == 1:
                with contextlib.suppress(OSError):
                    self.note_path.unlink()
            self._lock.release()

    def held_elsewhere(self) -> bool:
        """Whether another process (or thread) holds the lock right now."""
        with self.taken_if_free() as taken:
            return not taken

    @contextlib.contextmanager
    def taken_if_free(self) -> Iterator[bool]:
        """Hold the lock for the block if nobody else holds it; yield whether it was."""
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            yield False
            return
        try:
            yield True
        finally:
            self._lock.release()

    def _busy_message(self, waited: float) -> Message:
        try:
            note = json.loads(self.note_path.read_text())
            who, since = str(note["who"]), str(note["since"])
        except (OSError, ValueError, KeyError, TypeError):
            who, since = "?", "?"
        return Message("workspace_busy", who=who, since=since, seconds=round(waited))


_LOCKS: dict[Path, _WorkspaceLock] = {}


def workspace_lock(path: str | os.PathLike[str]) -> _WorkspaceLock:
    """The write lock of the workspace file `path` (created on first use)."""
    key = Path(path).absolute()
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS.setdefault(key, _WorkspaceLock(key))
    return lock


def sweep_leftovers(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove files that killed writers left in `folder`; return what was removed.

    A sidecar (``.<name>.<hex>.part.gpkg``), a half-built new workspace
    (``.<name>.<hex>.new.gpkg``), a temporary copy or the note saying who writes
    (``.<name>.gpkg.writer``) belongs to a write that held the workspace's lock; when
    that lock is free nobody is writing, so they are stale. So is a workspace's
    ``<name>.gpkg-journal`` that SQLite would never roll back (:func:`_drop_cold_journal`).
    """
    removed: list[Path] = []
    base = Path(folder)
    if not base.is_dir():
        return removed
    for item in sorted(base.iterdir()):
        match = _LEFTOVER.match(item.name)
        if not match and item.name.endswith(".gpkg-journal"):
            if _drop_cold_journal(item):
                removed.append(item)
            continue
        if not match or not item.is_file():
            continue
        owner = base / f"{match['stem']}.gpkg"
        if workspace_lock(owner).held_elsewhere():
            continue
        with contextlib.suppress(OSError):
            item.unlink()
            removed.append(item)
    return removed


def _drop_cold_journal(journal: Path) -> bool:
    """Remove a workspace's rollback journal that SQLite will never roll back; say if so.

    A writer killed between creating ``<name>.gpkg-journal`` and writing its header
    leaves an empty journal (or one whose header is zeroed). SQLite treats a journal
    whose first byte is zero as not hot and ignores it (``hasHotJournal`` in its
    ``pager.c``), so it stays beside the workspace until the next write. Only removed
    while this process holds the workspace's write lock and SQLite's RESERVED lock
    (``BEGIN IMMEDIATE``), so no writer, of gridmap or any other SQLite program, is
    using it; taking those locks first rolls back a journal that is hot.
    """
    workspace = journal.with_name(journal.name.removesuffix("-journal"))
    if not workspace.is_file():
        return False
    with workspace_lock(workspace).taken_if_free() as taken:
        if not taken:
            return False
        try:
            with (
                sqlite_connected(workspace),
                contextlib.closing(
                    sqlite3.connect(workspace, timeout=0, isolation_level=None)
                ) as con,
            ):
                con.execute("BEGIN IMMEDIATE")
                try:
                    with journal.open("rb") as f:
                        cold = f.read(1) in (b"", b"\0")
                    if cold:
                        journal.unlink()
                    return cold
                finally:
                    con.execute("ROLLBACK")
        except (OSError, sqlite3.Error):  # busy, gone meanwhile, or not a database
            return False
