"""The workspace store: layers, immutable versions and settings in one GeoPackage file.

Design
------
**One writer at a time.** Every change to a workspace (a layer version, a restore, a
settings change, clean-up) runs while holding the workspace's write lock
(:meth:`WorkspaceStore.writing`), a lock file beside the GeoPackage taken with
`filelock`. A read-modify-write such as an append holds it across the read and the
write, so two appends can never lose each other's rows; a second writer waits up to a
busy timeout and then gets :class:`WorkspaceBusyError` ("workspace busy, try again"),
never a traceback. Writes can also say which version they are based on, and are refused
with :class:`VersionConflictError` when the layer moved on in between.

**Nothing writes into the workspace through GDAL.** GDAL (through pyogrio) deletes and
recreates a GeoPackage it cannot open for update, which once wiped a workspace's whole
history under two concurrent imports. So GDAL writes a new layer into a private sidecar
GeoPackage, and the store copies that table, its spatial index and its GeoPackage
metadata into the workspace with plain SQL, **in the same SQLite transaction** that
appends the row of ``gridmap_versions`` making it current. A writer that fails or is
killed leaves the workspace exactly as it was (SQLite's journal rolls back), and at
most a sidecar file that the next writer or :func:`sweep_leftovers` removes.

Restoring an old version appends a new version row pointing at the old table: nothing
is copied and history is never rewritten. The ``bounds`` setting is recomputed in the
same transaction as every version row from the extents GDAL recorded for the current
tables, so it always describes the current data: restoring undoes a bad write's effect
on it, and on the working CRS chosen from it (unless the user set one).

Pages and the CLI talk to :class:`WorkspaceStore`, so a PostGIS backend can be added
behind :func:`open_workspace` without touching them (its write lock will be a
PostgreSQL advisory lock, its version check the same row comparison).
"""

from __future__ import annotations

import abc
import contextlib
import getpass
import glob
import json
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import filelock
import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from gridmap._errors import StoreError
from gridmap.crs import working_crs
from gridmap.i18n import Message
from gridmap.schema import LAYERS, STORAGE_CRS, layer_spec, validate_layer

VERSIONS_TABLE = "gridmap_versions"
SETTINGS_TABLE = "gridmap_settings"
#: Env var naming the folder that holds workspaces (default: the user's data directory).
HOME_ENV = "GRIDMAP_HOME"
#: Env var naming the workspace file the app and CLI open by default.
WORKSPACE_ENV = "GRIDMAP_WORKSPACE"
#: Env var: seconds a writer waits for another one to finish (default
#: :data:`DEFAULT_BUSY_TIMEOUT`).
BUSY_TIMEOUT_ENV = "GRIDMAP_BUSY_TIMEOUT"
#: A write waits this long for the one before it; imports of a million rows take ~10 s.
DEFAULT_BUSY_TIMEOUT = 60.0
DEFAULT_WORKSPACE = "sample"
#: Settings key recording that the user chose the working CRS (so the bounds do not).
EXPLICIT_CRS_KEY = "working_crs_explicit"
#: Any layer version may be written over (no version check): see ``based_on``.
ANY_VERSION = -1


class WorkspaceBusyError(StoreError):
    """Another writer holds the workspace longer than the busy timeout: try again."""


class VersionConflictError(StoreError):
    """A write was based on a version that is no longer current."""


@dataclass(frozen=True)
class LayerVersion:
    """One version of a layer: who made it, when, why, and how many features it has."""

    layer: str
    version: int
    created_at: datetime
    author: str
    message: str
    n_features: int
    action: str  # "write" or "restore"
    based_on: int | None  # for restores: the version brought back
    table: str
    #: False when the author is a name someone typed (the web page before accounts
    #: exist, ``--author`` on the command line); True for the operating-system account
    #: that ran the command.
    author_verified: bool = False


class WorkspaceStore(abc.ABC):
    """What every workspace backend offers; pages and the CLI use only this."""

    location: str

    @abc.abstractmethod
    def layers(self) -> list[str]:
        """Names of the layers that have at least one version."""

    @abc.abstractmethod
    def read(
        self,
        layer: str,
        *,
        version: int | None = None,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame:
        """Read the current (or a given) version of `layer` in EPSG:4326.

        `max_features` reads only the first rows (a table preview of a large layer).
        """

    @abc.abstractmethod
    def writing(self, *, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the workspace's write lock: no other writer runs until the block ends.

        Re-entrant in one thread. Every write method takes it itself; hold it around a
        read-modify-write (read the current version, change it, write it back) so that
        nobody else writes in between.

        Raises
        ------
        WorkspaceBusyError
            when another writer still holds it after `timeout` seconds (default
            ``$GRIDMAP_BUSY_TIMEOUT`` or :data:`DEFAULT_BUSY_TIMEOUT`).
        """

    @abc.abstractmethod
    def write(
        self,
        layer: str,
        data: gpd.GeoDataFrame,
        *,
        author: str | None = None,
        message: str,
        based_on: int | None = ANY_VERSION,
    ) -> LayerVersion:
        """Store `data` as the new current version of `layer`, atomically.

        Parameters
        ----------
        layer : str
            One of :data:`gridmap.schema.LAYERS`.
        data : geopandas.GeoDataFrame
            The whole new version (any CRS; stored in EPSG:4326).
        author : str, optional
            Who makes the change, as typed by a person (recorded as unverified). Without
            it, the operating-system account running the process (verified).
        message : str
            Why the layer changes; required.
        based_on : int or None
            The version the caller read and changed (``None``: the layer must have none
            yet). The write is refused if the current version is another one.
            :data:`ANY_VERSION` (the default) skips the check.

        Raises
        ------
        VersionConflictError
            when `based_on` is not the current version; the message names who wrote the
            current one and when.
        WorkspaceBusyError
            when another writer holds the workspace past the busy timeout.
        """

    @abc.abstractmethod
    def history(self, layer: str | None = None) -> list[LayerVersion]:
        """Every version of `layer` (or of all layers), oldest first."""

    @abc.abstractmethod
    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        """Make an earlier `version` of `layer` current again, as a new version."""

    @abc.abstractmethod
    def settings(self) -> dict[str, object]:
        """Workspace settings (name, working CRS, bounds …)."""

    @abc.abstractmethod
    def update_settings(self, **values: object) -> None:
        """Set workspace settings; values must be JSON-serialisable.

        ``bounds`` follow the layers' current versions; ``working_crs`` follows the bounds
        unless set here.
        """

    def current_version(self, layer: str) -> int | None:
        """The current version number of `layer`, None if it has none."""
        versions = self.history(layer)
        return versions[-1].version if versions else None

    def working_crs(self) -> pyproj.CRS:
        """The metric CRS analysis runs in, chosen from the workspace bounds."""
        crs = self.settings().get("working_crs")
        if crs:
            return pyproj.CRS.from_user_input(crs)
        bounds = self.settings().get("bounds")
        if not bounds:
            msg = "the workspace has no data yet, so no working CRS can be chosen"
            raise StoreError(msg)
        return working_crs(tuple(bounds))  # type: ignore[arg-type]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


#: Longest workspace name the web page accepts.
WORKSPACE_NAME_LIMIT = 64


def check_workspace_name(name: str) -> str:
    """`name` stripped, if it is a plain workspace name; else :class:`StoreError`.

    The web page creates and opens workspaces by name only: letters, digits (any script,
    so Chinese names work), ``-`` and ``_``, at most :data:`WORKSPACE_NAME_LIMIT`
    characters, not starting with ``-``. Paths, dots, separators and control characters
    are refused, so a name typed in the browser can never reach a file outside
    :func:`workspaces_dir`. Paths stay an option of the machine's owner (command line,
    ``GRIDMAP_WORKSPACE``).

    >>> check_workspace_name(" 朝阳-2026_A ")
    '朝阳-2026_A'
    >>> check_workspace_name("../etc/x")
    Traceback (most recent call last):
    ...
    gridmap._errors.StoreError: workspace name '../etc/x' is not allowed: ...
    """
    text = str(name).strip()
    plain = (
        0 < len(text) <= WORKSPACE_NAME_LIMIT
        and not text.startswith("-")
        and all(ch.isalnum() or ch in "-_" for ch in text)
    )
    if not plain:
        raise StoreError(
            Message(
                "workspace_name_invalid",
                name="".join(ch if ch.isprintable() else "?" for ch in text[:80]),
                limit=WORKSPACE_NAME_LIMIT,
            )
        )
    return text


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "gridmap"


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


def busy_timeout() -> float:
    """Seconds a writer waits for the one before it (``$GRIDMAP_BUSY_TIMEOUT``)."""
    text = os.environ.get(BUSY_TIMEOUT_ENV)
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        msg = f"`{BUSY_TIMEOUT_ENV}` must be a number of seconds; got {text!r}"
        raise StoreError(msg)
    return value


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
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return True
        self._lock.release()
        return False

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
    that lock is free nobody is writing, so they are stale.
    """
    removed: list[Path] = []
    base = Path(folder)
    if not base.is_dir():
        return removed
    for item in sorted(base.iterdir()):
        match = _LEFTOVER.match(item.name)
        if not match or not item.is_file():
            continue
        owner = base / f"{match['stem']}.gpkg"
        if workspace_lock(owner).held_elsewhere():
            continue
        with contextlib.suppress(OSError):
            item.unlink()
            removed.append(item)
    return removed


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


def _write_failed(path: Path, exc: BaseException) -> StoreError:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StoreError(Message("workspace_write_failed", name=path.name, detail=detail[:300]))


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

    def _version_row(self, layer: str, version: int | None) -> LayerVersion:
        versions = self.history(layer)
        if not versions:
            msg = f"layer `{layer}` has no data in workspace {self.path.name}"
            raise StoreError(msg)
        if version is None:
            return versions[-1]
        for row in versions:
            if row.version == version:
                return row
        msg = f"layer `{layer}` has no version {version} (versions 1–{versions[-1].version})"
        raise StoreError(msg)

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
        frame = pyogrio.read_dataframe(
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
        info = pyogrio.read_info(self.path, layer=table)
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
        validate_layer(data, layer)
        if not message or not message.strip():
            msg = "`message` must say why the layer changes"
            raise StoreError(msg)
        frame = data.to_crs(STORAGE_CRS) if data.crs != STORAGE_CRS else data
        frame = frame.reset_index(drop=True)
        table = f"{layer}__{secrets.token_hex(6)}"
        with _write_guard(self.path), self.writing():
            self._check_based_on(layer, based_on)
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
                                con, layer, table, len(frame), "write", None, author, message
                            )
                    finally:
                        con.execute("DETACH DATABASE side")
            finally:
                for leftover in side.parent.glob(glob.escape(side.name) + "*"):
                    leftover.unlink(missing_ok=True)
        return self._version_row(layer, version)

    def _check_based_on(self, layer: str, based_on: int | None) -> None:
        if based_on == ANY_VERSION:
            return
        versions = self.history(layer)
        current = versions[-1] if versions else None
        if (current.version if current else None) == based_on:
            return
        if current is None:
            raise VersionConflictError(
                Message("version_conflict_gone", layer=layer, based_on=based_on)
            )
        raise VersionConflictError(
            Message(
                "version_conflict",
                layer=layer,
                based_on=based_on if based_on is not None else 0,
                current=current.version,
                author=current.author,
                when=current.created_at.isoformat(sep=" "),
            )
        )

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
    ) -> int:
        """Append the version row making `table` current, in `con`'s transaction."""
        if "author_verified" not in _columns_of(con, "main", VERSIONS_TABLE):
            con.execute(
                f"ALTER TABLE {VERSIONS_TABLE}"
                " ADD COLUMN author_verified INTEGER NOT NULL DEFAULT 0"
            )
        last = con.execute(
            f"SELECT COALESCE(MAX(version), 0) FROM {VERSIONS_TABLE} WHERE layer = ?",
            (layer,),
        ).fetchone()[0]
        typed = (author or "").strip()
        con.execute(
            f"INSERT INTO {VERSIONS_TABLE} (layer, version, table_name, created_at, author,"
            " message, n_features, action, based_on, author_verified)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                layer,
                last + 1,
                table,
                _now().isoformat(),
                typed or _default_author(),
                message.strip(),
                n_features,
                action,
                based_on,
                0 if typed else 1,
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


def workspaces_dir() -> Path:
    """The folder holding the user's workspaces (``$GRIDMAP_HOME`` or the user data dir)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("gridmap", appauthor=False)) / "workspaces"


def list_workspaces() -> list[Path]:
    """Workspace files in :func:`workspaces_dir`, sorted by name.

    Hidden files (sidecars and half-built workspaces of writers under way or killed)
    are never listed; stale ones are removed on the way (:func:`sweep_leftovers`).
    """
    folder = workspaces_dir()
    if not folder.exists():
        return []
    sweep_leftovers(folder)
    return sorted(p for p in folder.glob("*.gpkg") if not p.name.startswith("."))


def default_workspace_path() -> Path:
    """The workspace opened when none is named: ``$GRIDMAP_WORKSPACE`` or the sample."""
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser()
    return workspaces_dir() / f"{DEFAULT_WORKSPACE}.gpkg"


class WorkspaceNotFoundError(StoreError):
    """A workspace that was to be opened, not created, does not exist."""


def workspace_path(location: str | os.PathLike[str] | None = None) -> Path:
    """The file `location` names: a ``.gpkg`` path, or a bare name in :func:`workspaces_dir`.

    With no `location`, :func:`default_workspace_path`. Nothing is opened or created.
    """
    if location is None:
        return default_workspace_path()
    text = os.fspath(location)
    if text.startswith(("postgresql://", "postgres://")):
        msg = "PostGIS workspaces are not available yet: use a .gpkg workspace"
        raise StoreError(msg)
    path = Path(text)
    if path.suffix.lower() != ".gpkg" and os.sep not in text and "/" not in text:
        path = workspaces_dir() / f"{text}.gpkg"
    return path


def open_workspace(
    location: str | os.PathLike[str] | None = None, *, create: bool = True
) -> WorkspaceStore:
    """Open the workspace at `location` (a ``.gpkg`` path or a bare workspace name).

    With no `location`, opens :func:`default_workspace_path`; when that is the sample
    workspace and it does not exist yet, it is copied from the bundled sample so the app
    opens on data with no set-up.

    Raises
    ------
    WorkspaceNotFoundError
        when `create` is False and there is no such workspace; the message lists the
        workspaces there are, since the usual cause is a mistyped name.
    """
    path = workspace_path(location)
    if location is None and not path.exists() and path.stem == DEFAULT_WORKSPACE:
        install_sample_workspace(path)
    if not create and not path.exists():
        names = ", ".join(p.stem for p in list_workspaces()) or "none yet"
        folder = workspaces_dir()
        if location is not None and path.parent == folder:
            msg = f"no workspace named {path.stem!r} in {folder}; available: {names}"
        else:
            msg = f"no workspace at {path}; workspaces in {folder}: {names}"
        raise WorkspaceNotFoundError(msg)
    if path.parent.is_dir():
        sweep_leftovers(path.parent)
    return GeoPackageStore(path, create=create)


def install_sample_workspace(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Copy the bundled sample street office to `path` (atomically) and return the path."""
    from gridmap.datasets import get_path

    target = Path(path)
    if target.exists() and not overwrite:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with workspace_lock(target).hold(None, _default_author()):
        if target.exists() and not overwrite:
            return target
        tmp = _temp_name(target, "tmp")
        try:
            shutil.copyfile(get_path("helsinki"), tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target
