"""Accounts and the audit log of a PostGIS workspace: two tables in its schema.

The same two tables and columns as the GeoPackage storage
(:mod:`gridmap.access._storage`), in the workspace's schema, through psycopg. The audit
log is append-only in the database itself: a ``BEFORE UPDATE OR DELETE`` row trigger
and a ``BEFORE TRUNCATE`` statement trigger raise an exception, so neither gridmap nor a
person with ``psql`` and the application's role can change or remove a row (only the
table's owner dropping the trigger could, which the audit cannot prevent in any
database). Writes run under the workspace's advisory write lock (``store.writing()``),
each in one transaction; reads never wait for the lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from gridmap._errors import StoreError
from gridmap.access._storage import (
    ACCOUNTS_TABLE,
    AUDIT_TABLE,
    COLUMNS,
    AccessStorage,
    _check_columns,
)

if TYPE_CHECKING:
    from gridmap.store import PostGISStore

#: Name of the trigger function refusing changes to the audit log (in the schema).
_GUARD = "gridmap_audit_append_only"


class PostGISAccessStorage(AccessStorage):
    """:class:`AccessStorage` in a PostGIS workspace's schema.

    Parameters
    ----------
    store : PostGISStore
        The workspace; its connection URL and schema are used, its write lock held
        for every write.
    """

    def __init__(self, store: PostGISStore) -> None:
        self.store = store
        self.schema = store.schema

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        try:
            with psycopg.connect(self.store.conninfo, autocommit=True) as con:
                yield con
        except psycopg.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"{self.store.location_label()}: {detail[:300]}") from None

    def _exists(self, con: psycopg.Connection, table: str) -> bool:
        row = con.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}"."{table}"',)
        ).fetchone()
        return bool(row and row[0])

    def _schema_statements(self) -> list[sql.Composed]:
        accounts, audit = self._table(ACCOUNTS_TABLE), self._table(AUDIT_TABLE)
        guard = sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(_GUARD))
        message = sql.Literal(f"{AUDIT_TABLE} is append-only")
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " seq bigint GENERATED ALWAYS AS IDENTITY,"  # insertion order
                ' "user" text PRIMARY KEY, display_name text NOT NULL, role text NOT NULL,'
                " scope text NOT NULL DEFAULT '', password_hash text,"
                " disabled integer NOT NULL DEFAULT 0, created_at text NOT NULL,"
                " changed_at text NOT NULL)"
            ).format(accounts),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at text NOT NULL,"
                ' "user" text NOT NULL, role text NOT NULL, action text NOT NULL, layer text,'
                " version integer, scope text NOT NULL DEFAULT '',"
                " client text NOT NULL DEFAULT '', detail text NOT NULL DEFAULT '')"
            ).format(audit),
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION {}; END $$"
            ).format(guard, message),
            sql.SQL("DROP TRIGGER IF EXISTS gridmap_audit_no_change ON {}").format(audit),
            sql.SQL(
                "CREATE TRIGGER gridmap_audit_no_change BEFORE UPDATE OR DELETE ON {}"
                " FOR EACH ROW EXECUTE FUNCTION {}()"
            ).format(audit, guard),
            sql.SQL("DROP TRIGGER IF EXISTS gridmap_audit_no_truncate ON {}").format(audit),
            sql.SQL(
                "CREATE TRIGGER gridmap_audit_no_truncate BEFORE TRUNCATE ON {}"
                " FOR EACH STATEMENT EXECUTE FUNCTION {}()"
            ).format(audit, guard),
        ]

    def ensure_tables(self) -> None:
        with self._connect() as con:
            if self._exists(con, ACCOUNTS_TABLE) and self._exists(con, AUDIT_TABLE):
                return
        with self.store.writing(), self._connect() as con, con.transaction():
            for statement in self._schema_statements():
                con.execute(statement)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        _check_columns(table, row)
        self.ensure_tables()
        names = sql.SQL(", ").join(sql.Identifier(n) for n in row)
        marks = sql.SQL(", ").join(sql.Placeholder() for _ in row)
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            self._table(table), names, marks
        )
        with self.store.writing(), self._connect() as con:
            try:
                con.execute(statement, tuple(row.values()))
            except psycopg.errors.UniqueViolation as exc:
                raise StoreError(str(exc).strip().splitlines()[0]) from None

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` in one transaction (all or none)."""
        if not rows:
            return
        names = list(rows[0])
        _check_columns(table, names)
        self.ensure_tables()
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            self._table(table),
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.SQL(", ").join(sql.Placeholder() for _ in names),
        )
        values = [tuple(r[n] for n in names) for r in rows]
        with self.store.writing(), self._connect() as con, con.transaction(), con.cursor() as cur:
            cur.executemany(statement, values)

    def select(self, table: str, *, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        where = where or {}
        _check_columns(table, where)
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS[table])
        clause = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in where)
        order = sql.Identifier("id" if table == AUDIT_TABLE else "seq")
        statement = sql.SQL("SELECT {} FROM {}").format(columns, self._table(table))
        if where:
            statement = sql.SQL("{} WHERE {}").format(statement, clause)
        statement = sql.SQL("{} ORDER BY {}").format(statement, order)
        with self._connect() as con:
            if not self._exists(con, table):
                return []
            rows = con.execute(statement, tuple(where.values())).fetchall()
        return [dict(zip(COLUMNS[table], row, strict=True)) for row in rows]

    def update_account(self, user: str, values: dict[str, Any]) -> int:
        _check_columns(ACCOUNTS_TABLE, values)
        if not values:
            return 0
        self.ensure_tables()
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(n)) for n in values
        )
        statement = sql.SQL('UPDATE {} SET {} WHERE "user" = %s').format(
            self._table(ACCOUNTS_TABLE), assignments
        )
        with self.store.writing(), self._connect() as con:
            return con.execute(statement, (*values.values(), user)).rowcount
