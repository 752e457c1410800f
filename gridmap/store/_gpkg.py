"""The GeoPackage workspace store: one ``.gpkg`` file, readable by QGIS and GDAL as it is.

How a write stays atomic (GDAL writes a sidecar, SQL copies it in, in the transaction
that adds the version row) is told in :mod:`gridmap.store`.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from gridmap._errors import StoreError
from gridmap.crs import working_crs
from gridmap.schema import LAYERS, STORAGE_CRS, layer_spec, validate_layer
from gridmap.store._base import (
    ANY_VERSION,
    EXPLICIT_CRS_KEY,
    SETTINGS_TABLE,
    VERSIONS_TABLE,
    LayerVersion,
    WorkspaceBusyError,
    WorkspaceStore,
    _author_row,
    _default_author,
    _now,
)
from gridmap.store._files import _temp_name, sweep_leftovers, workspace_lock
from gridmap.store._gdal_guard import gdal_reading, sqlite_connected
from gridmap.store._sqlite import (
    _SQLITE_TIMEOUT,
    _columns_of,
    _copy_table,
    _drop_table,
    _put_settings,
    _refresh_views,
    _rtree_extent,
    _transaction,
    _views_current,
    _write_guard,
)

T = TypeVar("T")

#: Attempts of a GDAL read of the workspace that a concurrent write made fail, and the
#: longest pause between two (seconds): about 2 s in all.
READ_ATTEMPTS, READ_PAUSE_MAX = 8, 0.5


def _while_written(read: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`read(*args, **kwargs)` (a pyogrio reader of the workspace), tried again while a
    write to the file makes it fail.

    This process's own connections to the file wait while GDAL reads it
    (:mod:`gridmap.store._gdal_guard`); another process's write holds SQLite's lock for a
    moment at its commit, and GDAL opening the file then gets SQLITE_BUSY, which it has
    no busy handler for and reports as a broken file ("not recognized as being in a
    supported file format", "gpkg_contents … is missing", "attempt to write a readonly
    database"). A file that is really broken fails the same way after the last attempt.
    """
    pause = 0.02
    for attempt in range(READ_ATTEMPTS):
        try:
            with gdal_reading(args[0]):  # type: ignore[arg-type]
                return read(*args, **kwargs)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError):
            if attempt == READ_ATTEMPTS - 1:
                raise
            time.sleep(pause)
            pause = min(pause * 2, READ_PAUSE_MAX)
    raise AssertionError  # unreachable: the last attempt returns or raises


class GeoPackageStore(WorkspaceStore):
    """A workspace kept in one GeoPackage file (readable by QGIS and GDAL as it is).

    Parameters
    ----------
    path
        The ``.gpkg`` file. It is created, with the metadata tables, when `create` is
        True and it does not exist yet.
    create
        Create the file if missing; otherwise a missing file raises :class:`StoreError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        if self.path.suffix.lower() != ".gpkg":
            msg = f"`path` must name a .gpkg file; got {self.path.name!r}"
            raise StoreError(msg)
        self._lock = workspace_lock(self.path)
        if not self.path.exists():
            if not create:
                msg = f"no workspace at {self.path}"
                raise StoreError(msg)
            self._create()
        self._check_is_workspace()
        self._ensure_views()

    def _ensure_views(self) -> None:
        """Add the plain-name views to a workspace made before they existed.

        Skipped, not waited for, when someone else is writing (their write refreshes
        the views) or when the file cannot be written.
        """
        with self._connect() as con:
            if _views_current(con):
                return
        with (
            contextlib.suppress(WorkspaceBusyError, sqlite3.OperationalError, OSError),
            self.writing(timeout=0),
            self._connect() as con,
            _transaction(con),
        ):
            _refresh_views(con)

    # -- file-level helpers -------------------------------------------------------------
    def _create(self) -> None:
        with _write_guard(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with _write_guard(self.path), self.writing():
            if self.path.exists():  # another process created it while we waited
                return
            tmp = _temp_name(self.path, "tmp")
            try:
                # GDAL lays down a valid, empty GeoPackage in a new file of our own; we
                # add our two plain tables to it.
                pyogrio.write_dataframe(
                    pd.DataFrame(
                        {"key": ["created_at"], "value": [json.dumps(_now().isoformat())]}
                    ),
                    tmp,
                    layer=SETTINGS_TABLE,
                    driver="GPKG",
                )
                with contextlib.closing(sqlite3.connect(tmp)) as con, con:
                    con.execute(
                        f"CREATE TABLE {VERSIONS_TABLE} ("
                        " layer TEXT NOT NULL, version INTEGER NOT NULL,"
                        " table_name TEXT NOT NULL, created_at TEXT NOT NULL,"
                        " author TEXT NOT NULL, message TEXT NOT NULL,"
                        " n_features INTEGER NOT NULL, action TEXT NOT NULL, based_on INTEGER,"
                        " author_verified INTEGER NOT NULL DEFAULT 0,"
                        " PRIMARY KEY (layer, version))"
                    )
                    con.execute(
                        f"CREATE UNIQUE INDEX idx_{SETTINGS_TABLE}_key ON {SETTINGS_TABLE}(key)"
                    )
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)

    def _check_is_workspace(self) -> None:
        try:
            with self._connect() as con:
                names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            msg = f"{self.path} is not a GeoPackage workspace ({exc})"
            raise StoreError(msg) from None
        if not {VERSIONS_TABLE, SETTINGS_TABLE} <= names:
            msg = f"{self.path} is a GeoPackage but not a gridmap workspace"
            raise StoreError(msg)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Autocommit: transactions are begun and ended explicitly (see _transaction).
        with sqlite_connected(self.path):
            con = sqlite3.connect(self.path, timeout=_SQLITE_TIMEOUT, isolation_level=None)
            try:
                yield con
            finally:
                con.close()

    def writing(self, *, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        return self._lock.hold(timeout, _default_author())

    # -- reading ------------------------------------------------------------------------
    def layers(self) -> list[str]:
        with self._connect() as con:
            rows = con.execute(f"SELECT DISTINCT layer FROM {VERSIONS_TABLE}").fetchall()
        present = {r[0] for r in rows}
        return [name for name in LAYERS if name in present]

    def history(self, layer: str | None = None) -> list[LayerVersion]:
        params: tuple[str, ...] = ()
        where = ""
        if layer is not None:
            layer_spec(layer)
            where = " WHERE layer = ?"
            params = (layer,)
        with self._connect() as con:
            # Workspaces made before authors were marked lack the column: all unverified.
            verified = (
                "author_verified"
                if "author_verified" in _columns_of(con, "main", VERSIONS_TABLE)
                else "0"
            )
            rows = con.execute(
                "SELECT layer, version, created_at, author, message, n_features, action,"
                f" based_on, table_name, {verified} FROM {VERSIONS_TABLE}{where}"
                " ORDER BY layer, version",
                params,
            ).fetchall()
        return [
            LayerVersion(
                layer=r[0],
                version=int(r[1]),
                created_at=datetime.fromisoformat(r[2]),
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
        frame = _while_written(
            pyogrio.read_dataframe,
            self.path,
            layer=row.table,
            columns=columns,
            bbox=bbox,
            max_features=max_features,
            use_arrow=True,
        )
        frame = frame.set_crs(STORAGE_CRS, allow_override=True)
        frame = self._restore_nullable_dtypes(frame, row.table)
        frame.attrs["gridmap_version"] = row.version
        return frame

    def _restore_nullable_dtypes(self, frame: gpd.GeoDataFrame, table: str) -> gpd.GeoDataFrame:
        """Give integer and boolean fields with empty values pandas' nullable dtypes.

        Arrow hands such fields to pandas as float64 and object, so a layer read back
        would differ from the one written (a count of 3 becoming 3.0). The field types
        come from the table's schema; features are not read again.
        """
        suspects = [
            c for c in frame.columns if frame[c].dtype == "float64" or frame[c].dtype == object
        ]
        if not suspects:
            return frame
        info = _while_written(pyogrio.read_info, self.path, layer=table)
        declared = dict(zip(info["fields"], info["dtypes"], strict=True))
        for column in suspects:
            kind = declared.get(column, "")
            if kind.startswith("int"):
                frame[column] = frame[column].astype("Int64")
            elif kind == "bool":
                frame[column] = frame[column].astype("boolean")
        return frame

    def settings(self) -> dict[str, object]:
        with self._connect() as con:
            rows = con.execute(f"SELECT key, value FROM {SETTINGS_TABLE}").fetchall()
        return {key: json.loads(value) for key, value in rows}

    # -- writing ------------------------------------------------------------------------
    def update_settings(self, **values: object) -> None:
        """Set workspace settings; values must be JSON-serialisable.

        Setting ``working_crs`` fixes the working CRS: it is no longer re-derived from the
        bounds when layers change. Setting it to None hands the choice back to the bounds.
        """
        if "working_crs" in values:
            values[EXPLICIT_CRS_KEY] = bool(values["working_crs"])
        with (
            _write_guard(self.path),
            self.writing(),
            self._connect() as con,
            _transaction(con),
        ):
            _put_settings(con, values)
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
        with _write_guard(self.path), self.writing():
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
        """Store `data` as a new table and version of `layer` (write lock held)."""
        frame = data.to_crs(STORAGE_CRS) if data.crs != STORAGE_CRS else data
        frame = frame.reset_index(drop=True)
        table = f"{layer}__{secrets.token_hex(6)}"
        side = _temp_name(self.path, "part")
        try:
            # GDAL writes a file of its own, never the workspace (see the module
            # docstring); the rows reach the workspace by SQL in one transaction.
            pyogrio.write_dataframe(
                frame,
                side,
                layer=table,
                driver="GPKG",
                promote_to_multi=False,
                use_arrow=True,
            )
            with self._connect() as con:
                con.execute("ATTACH DATABASE ? AS side", (str(side),))
                try:
                    with _transaction(con):
                        _copy_table(con, table)
                        version = self._add_version(
                            con,
                            layer,
                            table,
                            len(frame),
                            "write",
                            None,
                            author,
                            message,
                            record=record,
                        )
                finally:
                    con.execute("DETACH DATABASE side")
        finally:
            for leftover in side.parent.glob(glob.escape(side.name) + "*"):
                leftover.unlink(missing_ok=True)
        return self._version_row(layer, version)

    def _put_version(
        self, record: LayerVersion, data: gpd.GeoDataFrame | None, *, table: str | None
    ) -> LayerVersion:
        with _write_guard(self.path), self.writing():
            if data is not None:
                validate_layer(data, record.layer)
                return self._write_frame(
                    record.layer, data, author=None, message=record.message, record=record
                )
            with self._connect() as con, _transaction(con):
                made = self._add_version(
                    con,
                    record.layer,
                    str(table),
                    record.n_features,
                    record.action,
                    record.based_on,
                    None,
                    record.message,
                    record=record,
                )
        return self._version_row(record.layer, made)

    def _add_version(
        self,
        con: sqlite3.Connection,
        layer: str,
        table: str,
        n_features: int,
        action: str,
        based_on: int | None,
        author: str | None,
        message: str,
        *,
        record: LayerVersion | None = None,
    ) -> int:
        """Append the version row making `table` current, in `con`'s transaction.

        `record` (a version copied from another workspace) supplies the time, author
        and message, and must carry the next version number.
        """
        if "author_verified" not in _columns_of(con, "main", VERSIONS_TABLE):
            con.execute(
                f"ALTER TABLE {VERSIONS_TABLE}"
                " ADD COLUMN author_verified INTEGER NOT NULL DEFAULT 0"
            )
        last = con.execute(
            f"SELECT COALESCE(MAX(version), 0) FROM {VERSIONS_TABLE} WHERE layer = ?",
            (layer,),
        ).fetchone()[0]
        who, is_verified = _author_row(author)
        when, verified = _now(), int(is_verified)
        if record is not None:
            if record.version != last + 1:
                msg = f"version {record.version} of `{layer}` cannot follow version {last}"
                raise StoreError(msg)
            when, who, verified = record.created_at, record.author, int(record.author_verified)
            action, based_on = record.action, record.based_on
        con.execute(
            f"INSERT INTO {VERSIONS_TABLE} (layer, version, table_name, created_at, author,"
            " message, n_features, action, based_on, author_verified)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                layer,
                last + 1,
                table,
                when.isoformat(),
                who,
                message.strip(),
                n_features,
                action,
                based_on,
                verified,
            ),
        )
        # In the same transaction, so the bounds always describe the versions that are
        # current: a killed writer changes neither. Restoring is how a user undoes a bad
        # write, so the bounds (and the working CRS chosen from them) shrink back too.
        self._refresh_bounds(con)
        _refresh_views(con)
        return int(last + 1)

    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        with _write_guard(self.path), self.writing():
            old = self._version_row(layer, version)
            with self._connect() as con, _transaction(con):
                made = self._add_version(
                    con,
                    layer,
                    old.table,
                    old.n_features,
                    "restore",
                    version,
                    author,
                    message or f"restore version {version}",
                )
        return self._version_row(layer, made)

    def _current_extents(self, con: sqlite3.Connection) -> list[tuple[float, ...]]:
        """The extent of every layer's current table, from the GeoPackage's own metadata.

        GDAL records each table's extent in ``gpkg_contents`` when it writes it, and our
        tables are never changed afterwards, so no feature needs to be read. A table whose
        extent was left empty there falls back to its spatial index.
        """
        rows = con.execute(
            "SELECT v.table_name, v.n_features, c.min_x, c.min_y, c.max_x, c.max_y"
            f" FROM {VERSIONS_TABLE} AS v"
            f" JOIN (SELECT layer, MAX(version) AS version FROM {VERSIONS_TABLE}"
            "       GROUP BY layer) AS cur USING (layer, version)"
            " LEFT JOIN gpkg_contents AS c ON c.table_name = v.table_name"
        ).fetchall()
        extents = []
        for table, n_features, *extent in rows:
            if not n_features:
                continue
            if any(v is None for v in extent):
                extent = _rtree_extent(con, table)
            if extent is not None and all(v is not None for v in extent):
                extents.append(tuple(float(v) for v in extent))
        return extents

    def _refresh_bounds(self, con: sqlite3.Connection) -> None:
        """Recompute ``bounds`` (and, unless fixed by the user, ``working_crs``) in `con`'s
        transaction from the layers' current versions."""
        extents = self._current_extents(con)
        bounds = (
            (
                min(e[0] for e in extents),
                min(e[1] for e in extents),
                max(e[2] for e in extents),
                max(e[3] for e in extents),
            )
            if extents
            else None
        )
        values: dict[str, object] = {"bounds": list(bounds) if bounds else None}
        explicit = con.execute(
            f"SELECT value FROM {SETTINGS_TABLE} WHERE key = ?", (EXPLICIT_CRS_KEY,)
        ).fetchone()
        if not (explicit and json.loads(explicit[0])):
            values["working_crs"] = working_crs(bounds).to_string() if bounds else None
        _put_settings(con, values)

    def orphan_tables(self) -> list[str]:
        """Tables no version points to (left by writers of older gridmap releases)."""
        with self._connect() as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
            used = {r[0] for r in con.execute(f"SELECT table_name FROM {VERSIONS_TABLE}")}
        return sorted(t for t in tables - used - {SETTINGS_TABLE} if "__" in t)

    def vacuum(self) -> dict[str, int]:
        """Remove what killed or failed writers left behind and reclaim the space.

        Drops orphan tables (:meth:`orphan_tables`), deletes stale sidecar files beside
        the workspace (:func:`sweep_leftovers`) and runs SQLite's ``VACUUM``. Holds the
        write lock; readers may go on meanwhile. Every version keeps its table.

        Returns
        -------
        dict
            ``tables`` dropped, ``files`` removed, ``bytes_before`` and ``bytes_after``.
        """
        with _write_guard(self.path), self.writing():
            before = self.path.stat().st_size
            orphans = self.orphan_tables()
            with self._connect() as con:
                with _transaction(con):
                    for table in orphans:
                        _drop_table(con, table)
                con.execute("VACUUM")
            files = sweep_leftovers(self.path.parent)
        return {
            "tables": len(orphans),
            "files": len(files),
            "bytes_before": before,
            "bytes_after": self.path.stat().st_size,
        }

    def compact(self) -> None:
        """Reclaim free pages (``VACUUM``), holding the write lock."""
        with _write_guard(self.path), self.writing(), self._connect() as con:
            con.execute("VACUUM")

    def integrity_ok(self) -> bool:
        """Whether SQLite's integrity check, and its check of every R-tree, pass."""
        with self._connect() as con:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return False
            rtrees = con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql LIKE 'CREATE VIRTUAL TABLE%USING rtree%'"
            ).fetchall()
            return all(
                con.execute("SELECT rtreecheck(?)", (name,)).fetchone()[0] == "ok"
                for (name,) in rtrees
            )
