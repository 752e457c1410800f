"""SQL on a GeoPackage workspace: transactions, copying a table in from a sidecar file,
the plain-name views QGIS shows, and dropping a table with its metadata.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pyogrio

from gridmap._errors import StoreError
from gridmap.i18n import Message
from gridmap.store._base import SETTINGS_TABLE, VERSIONS_TABLE, WorkspaceBusyError
from gridmap.store._files import _write_failed


def _put_settings(con: sqlite3.Connection, values: dict[str, object]) -> None:
    encoded = [(key, json.dumps(value, ensure_ascii=False)) for key, value in values.items()]
    con.executemany(
        f"INSERT INTO {SETTINGS_TABLE}(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        encoded,
    )


def _rtree_extent(con: sqlite3.Connection, table: str) -> tuple[float, ...] | None:
    """The extent of `table` from its GeoPackage spatial index, None without one."""
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    if row is None:
        return None
    rtree = f"rtree_{table}_{row[0]}"
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
        return None
    extent = con.execute(
        f'SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM "{rtree}"'
    ).fetchone()
    return None if extent is None or None in extent else tuple(extent)


@contextlib.contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on an autocommit connection; rollback on error.

    A workspace locked by a reader past SQLite's own timeout becomes
    :class:`WorkspaceBusyError`, not a bare ``database is locked``.
    """
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WorkspaceBusyError(
                Message("workspace_busy", who="?", since="?", seconds=round(_SQLITE_TIMEOUT))
            ) from None
        raise
    try:
        yield con
    except BaseException:
        # SQLite may have rolled back already (a full disk, an I/O error); a second
        # ROLLBACK would then hide the real error under "no transaction is active".
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if con.in_transaction:
            con.execute("ROLLBACK")
        if "locked" in str(exc) or "busy" in str(exc):
            raise WorkspaceBusyError(
                Message("workspace_busy", who="?", since="?", seconds=round(_SQLITE_TIMEOUT))
            ) from None
        raise


#: What a write into a workspace can fail with when the file or the disk refuses it (a
#: read-only file or folder, a full disk, an I/O error), or GDAL refuses the data.
_WRITE_FAULTS = (
    sqlite3.Error,
    OSError,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
)


@contextlib.contextmanager
def _write_guard(path: Path) -> Iterator[None]:
    """Turn a write the file system or SQLite refused into a :class:`StoreError`.

    Every write is one SQLite transaction, so when it fails nothing of it is in the
    workspace: the user is told so (with SQLite's or GDAL's words), not shown a
    traceback. Busy workspaces and version conflicts pass through as they are.
    """
    try:
        yield
    except _WRITE_FAULTS as exc:
        raise _write_failed(path, exc) from None


#: Seconds SQLite waits for readers to let go before a commit gives up.
_SQLITE_TIMEOUT = 60.0

#: GeoPackage metadata tables that carry one row (or a few) per feature table.
_META_TABLES = (
    "gpkg_contents",
    "gpkg_geometry_columns",
    "gpkg_extensions",
    "gpkg_ogr_contents",
    "gpkg_data_columns",
)


def _columns_of(con: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in con.execute(f'PRAGMA {schema}.table_info("{table}")')]


def _copy_table(con: sqlite3.Connection, table: str) -> None:
    """Copy feature table `table` from the attached ``side`` GeoPackage into ``main``.

    The table, its rows, its R-tree spatial index (already built by GDAL, copied node
    by node), its triggers and its rows in the GeoPackage metadata tables, all inside the
    caller's transaction. The R-tree triggers call GDAL's ``ST_*`` SQL functions, so
    they are created only after the rows are in (creating a trigger does not run it).
    """
    objects = con.execute(
        "SELECT type, name, sql FROM side.sqlite_master WHERE sql IS NOT NULL"
        " AND (tbl_name = ? OR name LIKE ? ESCAPE '\\')",
        (table, "rtree\\_" + table.replace("_", "\\_") + "\\_%"),
    ).fetchall()
    tables = [(n, q) for kind, n, q in objects if kind == "table"]
    virtual = [(n, q) for n, q in tables if q.upper().startswith("CREATE VIRTUAL TABLE")]
    if any("USING RTREE" not in q.upper() for _, q in virtual):
        msg = f"table {table} comes with a virtual table other than its spatial index"
        raise StoreError(msg)
    shadow = {f"{n}_{part}" for n, _ in virtual for part in ("node", "parent", "rowid")}
    plain = [(n, q) for n, q in tables if (n, q) not in virtual and n not in shadow]
    for name, sql in plain:
        con.execute(sql)
        con.execute(f'INSERT INTO main."{name}" SELECT * FROM side."{name}"')
    for name, sql in virtual:
        con.execute(sql)
        # The R-tree's nodes are copied as they are, from its shadow tables: inserting
        # the entries again through the virtual table rebuilds the tree one entry at a
        # time (17 s instead of 0.2 s for 500,000 points). Tests check it with SQLite's
        # rtreecheck().
        for part in ("node", "parent", "rowid"):
            con.execute(f'DELETE FROM main."{name}_{part}"')
            con.execute(f'INSERT INTO main."{name}_{part}" SELECT * FROM side."{name}_{part}"')
    for kind, _, sql in objects:
        if kind in ("index", "trigger"):
            con.execute(sql)
    side_tables = {
        r[0] for r in con.execute("SELECT name FROM side.sqlite_master WHERE type = 'table'")
    }
    for meta in _META_TABLES:
        if meta not in side_tables:
            continue
        if not _columns_of(con, "main", meta):
            sql = con.execute(
                "SELECT sql FROM side.sqlite_master WHERE name = ?", (meta,)
            ).fetchone()[0]
            con.execute(sql)
        shared = [c for c in _columns_of(con, "side", meta) if c in _columns_of(con, "main", meta)]
        names = ", ".join(f'"{c}"' for c in shared)
        con.execute(
            f"INSERT INTO main.{meta} ({names}) SELECT {names} FROM side.{meta}"
            " WHERE table_name = ?",
            (table,),
        )
    shared = [
        c
        for c in _columns_of(con, "side", "gpkg_spatial_ref_sys")
        if c in _columns_of(con, "main", "gpkg_spatial_ref_sys")
    ]
    names = ", ".join(f'"{c}"' for c in shared)
    con.execute(
        f"INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys ({names}) SELECT {names}"
        " FROM side.gpkg_spatial_ref_sys WHERE srs_id IN"
        " (SELECT srs_id FROM side.gpkg_contents WHERE table_name = ?)",
        (table,),
    )


def _current_tables(con: sqlite3.Connection) -> dict[str, str]:
    """Each layer's current table, from the version rows."""
    rows = con.execute(
        f"SELECT v.layer, v.table_name FROM {VERSIONS_TABLE} AS v"
        f" JOIN (SELECT layer, MAX(version) AS version FROM {VERSIONS_TABLE}"
        "       GROUP BY layer) AS cur USING (layer, version)"
    ).fetchall()
    return dict(rows)


def _views_current(con: sqlite3.Connection) -> bool:
    """Whether every layer has a view under its plain name showing its current table."""
    views = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    return all(
        layer in views and f'FROM "{table}"' in views[layer]
        for layer, table in _current_tables(con).items()
    )


def _refresh_views(con: sqlite3.Connection) -> None:
    """Show each layer's current version under its plain name, for QGIS and GDAL users.

    A view ``incidents`` over ``incidents__<token>``, registered in ``gpkg_contents``
    and ``gpkg_geometry_columns`` like a table, so that QGIS lists "incidents", not a
    table per version. Runs in the caller's transaction, with the version row.
    """
    for layer, table in _current_tables(con).items():
        con.execute(f'DROP VIEW IF EXISTS "{layer}"')
        con.execute(f'CREATE VIEW "{layer}" AS SELECT * FROM "{table}"')
        con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (layer,))
        con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (layer,))
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
            " min_x, min_y, max_x, max_y, srs_id)"
            " SELECT ?, data_type, ?, ?, min_x, min_y, max_x, max_y, srs_id"
            " FROM gpkg_contents WHERE table_name = ?",
            (layer, layer, "gridmap: the current version of this layer (read-only)", table),
        )
        con.execute(
            "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name,"
            " srs_id, z, m) SELECT ?, column_name, geometry_type_name, srs_id, z, m"
            " FROM gpkg_geometry_columns WHERE table_name = ?",
            (layer, table),
        )


def _drop_table(con: sqlite3.Connection, table: str) -> None:
    """Drop feature table `table`, its spatial index, triggers and metadata rows."""
    rtrees = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%'",
            ("rtree\\_" + table.replace("_", "\\_") + "\\_%",),
        )
    ]
    for name in rtrees:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute(f'DROP TABLE IF EXISTS "{table}"')  # its triggers and indexes go with it
    present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for meta in reversed(_META_TABLES):
        if meta in present:
            con.execute(f"DELETE FROM {meta} WHERE table_name = ?", (table,))
