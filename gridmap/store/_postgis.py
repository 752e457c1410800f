"""The PostGIS workspace store: one PostgreSQL schema per workspace, for many users.

A workspace is ``postgresql://user@host/db?schema=NAME`` (``schema`` defaults to
``gridmap``; every other part of the URL is psycopg's). The schema holds the same things
as a GeoPackage workspace:

- ``gridmap_versions``: one row per layer version (who, when, why, based on what), plus
  the extent of its table and the pandas dtype of each column, so a layer reads back
  with the dtypes it was written with;
- ``gridmap_settings``: JSON values by key;
- one table per written version, ``<layer>__<12 hex>``, with a ``geom`` column
  (``geometry``, SRID 4326), a GiST index on it, a primary key ``fid`` (the row order)
  and a b-tree on each date-time column (reporting windows); never changed afterwards;
- a view under each layer's plain name showing its current version (for QGIS users).

**Each write is one transaction**: the new table, its rows (``COPY`` in CSV, geometry as
hex EWKB), its indexes, the version row and the recomputed ``bounds``/``working_crs``
settings commit together or not at all; a killed writer's transaction is rolled back by
the server.

**The write lock** is a session-level advisory lock (``pg_advisory_lock``) taken on a
connection of its own, with ``lock_timeout`` as the busy timeout; the server releases it
when that connection ends, so a killed writer never leaves the workspace locked. The
holder names itself in ``application_name``; a writer that times out is told who holds
the lock and since when, from ``pg_locks`` and ``pg_stat_activity``. Threads of one
process also exclude each other (one lock connection per process and workspace).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from datetime import UTC

import geopandas as gpd
import numpy as np
import psycopg
from psycopg import sql

from gridmap._errors import StoreError
from gridmap.crs import working_crs
from gridmap.schema import LAYERS, STORAGE_CRS, layer_spec, validate_layer
from gridmap.store import _pgio
from gridmap.store._base import (
    ANY_VERSION,
    EXPLICIT_CRS_KEY,
    SETTINGS_TABLE,
    VERSIONS_TABLE,
    LayerVersion,
    WorkspaceStore,
    _author_row,
    _default_author,
    _now,
)
from gridmap.store._pgagg import PostGISAggregation
from gridmap.store._pglock import (
    _lock_for,
    _write_failed,
    is_database_url,
    parse_url,
    redact_url,
)
from gridmap.store._pgsummary import PostGISSummary


class PostGISStore(PostGISSummary, PostGISAggregation, WorkspaceStore):
    """A workspace kept in one schema of a PostgreSQL database with PostGIS.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database?schema=NAME`` (any libpq URL;
        ``schema`` names the workspace, default :data:`DEFAULT_SCHEMA`).
    create : bool
        Create the schema and its tables (and the ``postgis`` extension, if the role
        may) when missing; otherwise a missing workspace raises
        :class:`gridmap.store.WorkspaceNotFoundError`.

    Raises
    ------
    StoreError
        when the server cannot be reached or PostGIS is not available in the database.
    """

    summarised_in_database = True

    def __init__(self, url: str, *, create: bool = True) -> None:
        if not is_database_url(url):
            msg = f"`url` must start with postgresql://; got {redact_url(url)!r}"
            raise StoreError(msg)
        self.location = url
        self.conninfo, self.schema = parse_url(url)
        self._lock = _lock_for(self.conninfo, self.schema)
        try:
            with self._connect() as con:
                exists = con.execute(
                    "SELECT to_regclass(%s) IS NOT NULL",
                    (f"{self.schema}.{VERSIONS_TABLE}",),
                ).fetchone()[0]  # type: ignore[index]
        except psycopg.OperationalError as exc:
            msg = f"cannot reach PostGIS workspace {self.location_label()}: {exc}"
            raise StoreError(msg.strip()) from None
        if not exists:
            if not create:
                from gridmap.store import WorkspaceNotFoundError

                msg = f"no workspace {self.location_label()} (schema {self.schema!r} is missing)"
                raise WorkspaceNotFoundError(msg)
            self._create()

    def location_label(self) -> str:
        return f"{self.schema} @ {redact_url(self.conninfo)}"

    # -- connections --------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        con = psycopg.connect(self.conninfo, autocommit=True)
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        """One write transaction; any database or I/O error becomes a :class:`StoreError`."""
        try:
            with self._connect() as con, con.transaction():
                yield con
        except (psycopg.Error, OSError) as exc:
            raise _write_failed(self.location_label(), exc) from None

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def writing(self, *, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        return self._lock.hold(timeout, _default_author())

    def _create(self) -> None:
        with self.writing(), self._transaction() as con:
            has_postgis = con.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
            ).fetchone()
            if not has_postgis:
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            con.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )
            con.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " layer text NOT NULL, version integer NOT NULL, table_name text NOT NULL,"
                    " created_at timestamptz NOT NULL, author text NOT NULL,"
                    " message text NOT NULL, n_features bigint NOT NULL, action text NOT NULL,"
                    " based_on integer, author_verified boolean NOT NULL DEFAULT false,"
                    " min_x float8, min_y float8, max_x float8, max_y float8,"
                    " columns jsonb NOT NULL DEFAULT '[]',"
                    " PRIMARY KEY (layer, version))"
                ).format(self._table(VERSIONS_TABLE))
            )
            con.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)"
                ).format(self._table(SETTINGS_TABLE))
            )
            _put_settings(con, self._table(SETTINGS_TABLE), {"created_at": _now().isoformat()})

    # -- reading ------------------------------------------------------------------------
    def layers(self) -> list[str]:
        with self._connect() as con:
            rows = con.execute(
                sql.SQL("SELECT DISTINCT layer FROM {}").format(self._table(VERSIONS_TABLE))
            ).fetchall()
        present = {r[0] for r in rows}
        return [name for name in LAYERS if name in present]

    def history(self, layer: str | None = None) -> list[LayerVersion]:
        where, params = sql.SQL(""), ()
        if layer is not None:
            layer_spec(layer)
            where, params = sql.SQL(" WHERE layer = %s"), (layer,)
        query = sql.SQL(
            "SELECT layer, version, created_at, author, message, n_features, action,"
            " based_on, table_name, author_verified FROM {}{} ORDER BY layer, version"
        ).format(self._table(VERSIONS_TABLE), where)
        with self._connect() as con:
            rows = con.execute(query, params).fetchall()
        return [
            LayerVersion(
                layer=r[0],
                version=int(r[1]),
                created_at=r[2].astimezone(UTC).replace(tzinfo=UTC),
                author=r[3],
                message=r[4],
                n_features=int(r[5]),
                action=r[6],
                based_on=r[7],
                table=r[8],
                author_verified=bool(r[9]),
            )
            for r in rows
        ]

    def _columns(self, con: psycopg.Connection, row: LayerVersion) -> list[list[str]]:
        found = con.execute(
            sql.SQL("SELECT columns FROM {} WHERE layer = %s AND version = %s").format(
                self._table(VERSIONS_TABLE)
            ),
            (row.layer, row.version),
        ).fetchone()
        return list(found[0]) if found else []  # type: ignore[index]

    def read(
        self,
        layer: str,
        *,
        version: int | None = None,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame:
        if max_features is not None and max_features < 0:
            msg = f"`max_features` must be 0 or more; got {max_features}"
            raise StoreError(msg)
        row = self._version_row(layer, version)
        with self._connect() as con:
            declared = self._columns(con, row)
            if columns is not None:
                unknown = [c for c in columns if c not in {name for name, _ in declared}]
                if unknown:
                    msg = f"`columns`: layer `{layer}` has no column(s) {', '.join(unknown)}"
                    raise StoreError(msg)
                declared = [(n, d) for n, d in declared if n in columns]
            frame = _pgio.read_table(
                con, self._table(row.table), declared, bbox=bbox, limit=max_features
            )
        frame.attrs["gridmap_version"] = row.version
        return frame

    def settings(self) -> dict[str, object]:
        with self._connect() as con:
            rows = con.execute(
                sql.SQL("SELECT key, value FROM {}").format(self._table(SETTINGS_TABLE))
            ).fetchall()
        return {key: json.loads(value) for key, value in rows}

    # -- writing ------------------------------------------------------------------------
    def update_settings(self, **values: object) -> None:
        if "working_crs" in values:
            values[EXPLICIT_CRS_KEY] = bool(values["working_crs"])
        with self.writing(), self._transaction() as con:
            _put_settings(con, self._table(SETTINGS_TABLE), values)
            if not values.get("working_crs", True):
                self._refresh_bounds(con)

    def write(
        self,
        layer: str,
        data: gpd.GeoDataFrame,
        *,
        author: str | None = None,
        message: str,
        based_on: int | None = ANY_VERSION,
    ) -> LayerVersion:
        self._check_write(layer, data, message)
        with self.writing():
            self._check_based_on(layer, based_on)
            return self._write_frame(layer, data, author=author, message=message)

    def _write_frame(
        self,
        layer: str,
        data: gpd.GeoDataFrame,
        *,
        author: str | None,
        message: str,
        record: LayerVersion | None = None,
    ) -> LayerVersion:
        frame = data.to_crs(STORAGE_CRS) if data.crs != STORAGE_CRS else data
        frame = frame.reset_index(drop=True)
        table = f"{layer}__{secrets.token_hex(6)}"
        with self._transaction() as con:
            declared = _pgio.write_table(con, self._table(table), frame, table)
            extent = None
            if len(frame):
                bounds = frame.geometry.total_bounds
                extent = None if np.isnan(bounds).any() else [float(v) for v in bounds]
            version = self._add_version(
                con,
                layer,
                table,
                len(frame),
                "write",
                None,
                author,
                message,
                extent=extent,
                columns=declared,
                record=record,
            )
            self._summarise_written(con, layer, table, version, frame)
        return self._version_row(layer, version)

    def _add_version(
        self,
        con: psycopg.Connection,
        layer: str,
        table: str,
        n_features: int,
        action: str,
        based_on: int | None,
        author: str | None,
        message: str,
        *,
        extent: list[float] | None,
        columns: list[list[str]],
        record: LayerVersion | None = None,
    ) -> int:
        """Append the version row making `table` current, in `con`'s transaction."""
        versions = self._table(VERSIONS_TABLE)
        last = con.execute(
            sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {} WHERE layer = %s").format(versions),
            (layer,),
        ).fetchone()[0]  # type: ignore[index]
        who, verified = _author_row(author)
        when = _now()
        if record is not None:
            if record.version != last + 1:
                msg = f"version {record.version} of `{layer}` cannot follow version {last}"
                raise StoreError(msg)
            when, who, verified = record.created_at, record.author, record.author_verified
            action, based_on = record.action, record.based_on
        con.execute(
            sql.SQL(
                "INSERT INTO {} (layer, version, table_name, created_at, author, message,"
                " n_features, action, based_on, author_verified, min_x, min_y, max_x, max_y,"
                " columns) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(versions),
            (
                layer,
                last + 1,
                table,
                when,
                who,
                message.strip(),
                n_features,
                action,
                based_on,
                verified,
                *(extent or [None] * 4),
                psycopg.types.json.Jsonb(columns),
            ),
        )
        self._refresh_bounds(con)
        view = sql.Identifier(self.schema, layer)
        con.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(view))
        con.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(view, self._table(table)))
        return int(last + 1)

    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        with self.writing():
            old = self._version_row(layer, version)
            with self._transaction() as con:
                made = self._point_at(
                    con, old, "restore", version, author, message or f"restore version {version}"
                )
        return self._version_row(layer, made)

    def _point_at(
        self,
        con: psycopg.Connection,
        old: LayerVersion,
        action: str,
        based_on: int | None,
        author: str | None,
        message: str,
        record: LayerVersion | None = None,
    ) -> int:
        """Add a version of `old.layer` showing `old`'s table again (a restore)."""
        row = con.execute(
            sql.SQL(
                "SELECT min_x, min_y, max_x, max_y, columns FROM {}"
                " WHERE table_name = %s ORDER BY version LIMIT 1"
            ).format(self._table(VERSIONS_TABLE)),
            (old.table,),
        ).fetchone()
        if row is None:
            msg = f"no version of `{old.layer}` has table {old.table}"
            raise StoreError(msg)
        extent = None if row[0] is None else [float(v) for v in row[:4]]
        made = self._add_version(
            con,
            old.layer,
            old.table,
            old.n_features,
            action,
            based_on,
            author,
            message,
            extent=extent,
            columns=list(row[4]),
            record=record,
        )
        self._summarise_written(con, old.layer, old.table, old.version, None)
        return made

    def _put_version(
        self, record: LayerVersion, data: gpd.GeoDataFrame | None, *, table: str | None
    ) -> LayerVersion:
        with self.writing():
            if data is not None:
                validate_layer(data, record.layer)
                return self._write_frame(
                    record.layer, data, author=None, message=record.message, record=record
                )
            old = next(v for v in self.history(record.layer) if v.table == table)
            with self._transaction() as con:
                made = self._point_at(
                    con, old, record.action, record.based_on, None, record.message, record
                )
        return self._version_row(record.layer, made)

    def _refresh_bounds(self, con: psycopg.Connection) -> None:
        """Recompute ``bounds`` (and, unless the user fixed it, ``working_crs``) from the
        extents recorded for the layers' current versions, in `con`'s transaction."""
        versions = self._table(VERSIONS_TABLE)
        row = con.execute(
            sql.SQL(
                "SELECT MIN(min_x), MIN(min_y), MAX(max_x), MAX(max_y) FROM {} AS v"
                " JOIN (SELECT layer, MAX(version) AS version FROM {} GROUP BY layer) AS cur"
                " USING (layer, version) WHERE v.n_features > 0"
            ).format(versions, versions)
        ).fetchone()
        bounds = None if row is None or row[0] is None else tuple(float(v) for v in row)
        values: dict[str, object] = {"bounds": list(bounds) if bounds else None}
        settings = self._table(SETTINGS_TABLE)
        explicit = con.execute(
            sql.SQL("SELECT value FROM {} WHERE key = %s").format(settings), (EXPLICIT_CRS_KEY,)
        ).fetchone()
        if not (explicit and json.loads(explicit[0])):
            values["working_crs"] = working_crs(bounds).to_string() if bounds else None
        _put_settings(con, settings, values)

    # -- upkeep ---------------------------------------------------------------------------
    def orphan_tables(self) -> list[str]:
        """Tables of the schema no version points to."""
        with self._connect() as con:
            tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                    (self.schema,),
                )
            }
            used = {
                r[0]
                for r in con.execute(
                    sql.SQL("SELECT table_name FROM {}").format(self._table(VERSIONS_TABLE))
                )
            }
        return sorted(t for t in tables - used if "__" in t)

    def vacuum(self) -> dict[str, int]:
        """Drop orphan tables and run ``VACUUM ANALYZE`` on the schema's tables.

        Returns ``tables`` dropped, ``files`` (always 0) and the schema's size in
        ``bytes_before`` and ``bytes_after``.
        """
        with self.writing():
            before = self._size()
            orphans = self.orphan_tables()
            with self._transaction() as con:
                for table in orphans:
                    con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(table)))
            with self._connect() as con:
                for table in (VERSIONS_TABLE, SETTINGS_TABLE):
                    con.execute(sql.SQL("VACUUM ANALYZE {}").format(self._table(table)))
        return {
            "tables": len(orphans),
            "files": 0,
            "bytes_before": before,
            "bytes_after": self._size(),
        }

    def _size(self) -> int:
        with self._connect() as con:
            return int(
                con.execute(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class AS c"
                    " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relkind = 'r'",
                    (self.schema,),
                ).fetchone()[0]  # type: ignore[index]
            )

    def compact(self) -> None:
        """``VACUUM`` the schema's bookkeeping tables, holding the write lock."""
        self.vacuum()

    def integrity_ok(self) -> bool:
        """Whether every version's table exists with its row count and a GiST index."""
        with self._connect() as con:
            for row in self.history():
                table = self._table(row.table)
                exists = con.execute(
                    "SELECT to_regclass(%s) IS NOT NULL", (f"{self.schema}.{row.table}",)
                ).fetchone()[0]  # type: ignore[index]
                if not exists:
                    return False
                count = con.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
                gist = con.execute(
                    "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s"
                    " AND indexdef ILIKE '%%USING gist%%'",
                    (self.schema, row.table),
                ).fetchone()
                if count[0] != row.n_features or not gist[0]:  # type: ignore[index]
                    return False
        return True

    def drop(self) -> None:
        """Delete the whole workspace (its schema and every version): for tests and
        :func:`gridmap.store.copy_workspace` clean-up; there is no undo."""
        with self.writing(), self._transaction() as con:
            con.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )


def _put_settings(con: psycopg.Connection, table: sql.Composed, values: dict[str, object]) -> None:
    for key, value in values.items():
        con.execute(
            sql.SQL(
                "INSERT INTO {} (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ).format(table),
            (key, json.dumps(value, ensure_ascii=False)),
        )
