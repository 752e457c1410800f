"""Where accounts and the audit log live: two plain tables inside the workspace.

They travel with the workspace (copy the ``.gpkg``, the accounts come along) and are not
versioned layers: an account change or an audit row is not a map edit.

The interface is deliberately small, so the PostGIS backend can implement it with a few
psycopg statements: create the tables if missing, insert a row, select rows, update an
account. Table and column names are fixed here (never from user input); values are always
bound parameters. The PostGIS implementation (:mod:`gridmap.access._pgstorage`) makes
``gridmap_audit`` append-only the same way, with triggers raising an exception, and runs
writes under the store's advisory lock (``store.writing()``).
"""

from __future__ import annotations

import abc
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gridmap._errors import StoreError
from gridmap.store import WorkspaceStore
from gridmap.store._gdal_guard import sqlite_connected

ACCOUNTS_TABLE = "gridmap_accounts"
AUDIT_TABLE = "gridmap_audit"

#: Columns of each table, in order; the only names that ever reach SQL text.
COLUMNS: dict[str, tuple[str, ...]] = {
    ACCOUNTS_TABLE: (
        "user",
        "display_name",
        "role",
        "scope",
        "password_hash",
        "disabled",
        "created_at",
        "changed_at",
    ),
    AUDIT_TABLE: (
        "id",
        "at",
        "user",
        "role",
        "action",
        "layer",
        "version",
        "scope",
        "client",
        "detail",
    ),
}

_SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {ACCOUNTS_TABLE} ("
    " user TEXT PRIMARY KEY NOT NULL, display_name TEXT NOT NULL, role TEXT NOT NULL,"
    " scope TEXT NOT NULL DEFAULT '', password_hash TEXT,"
    " disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, changed_at TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,"
    " role TEXT NOT NULL, action TEXT NOT NULL, layer TEXT, version INTEGER,"
    " scope TEXT NOT NULL DEFAULT '', client TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '')",
    # Append-only: SQLite itself refuses to change or remove an audit row.
    f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE}"
    f" BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE}"
    f" BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only'); END",
)


def _check_columns(table: str, names: object) -> None:
    if table not in COLUMNS:
        msg = f"`table` must be one of {sorted(COLUMNS)}; got {table!r}"
        raise StoreError(msg)
    unknown = [n for n in names if n not in COLUMNS[table]]  # type: ignore[attr-defined]
    if unknown:
        msg = f"`row` has columns {table} does not have: {unknown}"
        raise StoreError(msg)


class AccessStorage(abc.ABC):
    """Accounts and audit rows of one workspace (backend-neutral)."""

    @abc.abstractmethod
    def ensure_tables(self) -> None:
        """Create the two tables (and the audit log's triggers) if they are missing."""

    @abc.abstractmethod
    def insert(self, table: str, row: dict[str, Any]) -> None:
        """Insert `row` into `table`; :class:`~gridmap.StoreError` on a duplicate key."""

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` into `table` (a copy between workspaces; the audit's ``id`` is
        given anew, in the same order)."""
        for row in rows:
            self.insert(table, row)

    @abc.abstractmethod
    def select(self, table: str, *, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of `table` (all columns) whose columns equal `where`'s values, in insertion
        order; an empty list when the table does not exist yet."""

    @abc.abstractmethod
    def update_account(self, user: str, values: dict[str, Any]) -> int:
        """Set `values` on the account `user`; the number of rows changed (0 or 1)."""


class GeoPackageAccessStorage(AccessStorage):
    """:class:`AccessStorage` in the workspace's GeoPackage, through :mod:`sqlite3`.

    Writes hold the store's write lock (``store.writing()``), so they queue behind layer
    writes like every other change of the file; reads never wait for it.
    """

    def __init__(self, store: WorkspaceStore) -> None:
        path = getattr(store, "path", None)
        if path is None or Path(path).suffix.lower() != ".gpkg":
            msg = f"accounts are kept in GeoPackage workspaces only so far; got {store.location}"
            raise StoreError(msg)
        self.store = store
        self.path = Path(path)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # GDAL's reads of the workspace wait meanwhile (gridmap.store._gdal_guard).
        with sqlite_connected(self.path):
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                yield con
            finally:
                con.close()

    def _exists(self, con: sqlite3.Connection, table: str) -> bool:
        row = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def ensure_tables(self) -> None:
        with self._connect() as con:
            if self._exists(con, ACCOUNTS_TABLE) and self._exists(con, AUDIT_TABLE):
                return
        with self.store.writing(), self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SQLITE_SCHEMA:
                    con.execute(statement)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def insert(self, table: str, row: dict[str, Any]) -> None:
        _check_columns(table, row)
        self.ensure_tables()
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.store.writing(), self._connect() as con:
            try:
                con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))
            except sqlite3.IntegrityError as exc:
                raise StoreError(str(exc)) from None

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` in one transaction (all or none)."""
        if not rows:
            return
        names = list(rows[0])
        _check_columns(table, names)
        self.ensure_tables()
        statement = (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        )
        with self.store.writing(), self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany(statement, [tuple(r[n] for n in names) for r in rows])
            except sqlite3.IntegrityError as exc:
                con.execute("ROLLBACK")
                raise StoreError(str(exc)) from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def select(self, table: str, *, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        where = where or {}
        _check_columns(table, where)
        with self._connect() as con:
            if not self._exists(con, table):
                return []
            clause = " AND ".join(f"{name} = ?" for name in where)
            columns = ", ".join(COLUMNS[table])
            cursor = con.execute(
                f"SELECT {columns} FROM {table}"
                + (f" WHERE {clause}" if clause else "")
                + " ORDER BY rowid",
                tuple(where.values()),
            )
            return [dict(zip(COLUMNS[table], row, strict=True)) for row in cursor]

    def update_account(self, user: str, values: dict[str, Any]) -> int:
        _check_columns(ACCOUNTS_TABLE, values)
        if not values:
            return 0
        self.ensure_tables()
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.store.writing(), self._connect() as con:
            cursor = con.execute(
                f"UPDATE {ACCOUNTS_TABLE} SET {assignments} WHERE user = ?",
                (*values.values(), user),
            )
            return cursor.rowcount


def access_storage(store: WorkspaceStore) -> AccessStorage:
    """The accounts and audit storage of `store`'s workspace, by its backend.

    A GeoPackage workspace keeps them in the ``.gpkg`` (:class:`GeoPackageAccessStorage`),
    a PostGIS one in its schema (:class:`gridmap.access._pgstorage.PostGISAccessStorage`).
    A scoped store gives its workspace's storage.

    Raises
    ------
    StoreError
        for a backend that has no implementation.
    """
    from gridmap.store import PostGISStore

    inner = getattr(store, "inner", store)  # a scoped store: its workspace's storage
    if isinstance(inner, PostGISStore):
        from gridmap.access._pgstorage import PostGISAccessStorage

        return PostGISAccessStorage(inner)
    return GeoPackageAccessStorage(inner)


def copy_access(source: WorkspaceStore, target: WorkspaceStore) -> dict[str, int]:
    """Copy the accounts and the audit log of `source`'s workspace into `target`'s.

    Used by ``gridmap copy`` after :func:`gridmap.store.copy_workspace`, between any two
    backends. Audit rows keep their order and values (times, users, details); their
    ``id`` is numbered anew by the target.

    Returns
    -------
    dict
        Rows copied: ``{"accounts": n, "audit": m}``.

    Raises
    ------
    StoreError
        when `target` already has accounts or audit rows (nothing is copied then).
    """
    src, dst = access_storage(source), access_storage(target)
    if dst.select(ACCOUNTS_TABLE) or dst.select(AUDIT_TABLE):
        msg = f"`target` {target.location_label()} already has accounts or an audit log"
        raise StoreError(msg)
    accounts = src.select(ACCOUNTS_TABLE)
    audit = [{k: v for k, v in row.items() if k != "id"} for row in src.select(AUDIT_TABLE)]
    if accounts or audit:
        dst.ensure_tables()
        with target.writing():
            dst.insert_many(ACCOUNTS_TABLE, accounts)
            dst.insert_many(AUDIT_TABLE, audit)
    return {"accounts": len(accounts), "audit": len(audit)}
