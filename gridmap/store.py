"""The workspace store: layers, immutable versions and settings in one GeoPackage file.

Design
------
Every write creates a new, immutable table ``<layer>__v<n>_<token>`` and only then, in one
SQLite transaction, appends a row to ``gridmap_versions`` that makes it the layer's
current version. A writer that fails or is killed mid-write leaves at most an orphan
table that no version row points to, so readers keep seeing the previous, complete
version; SQLite's journal rolls back whatever the killed transaction had begun.
Restoring an old version appends a new version row pointing at the old table: nothing
is copied and history is never rewritten.

The ``bounds`` setting is recomputed in that same transaction from the extents GDAL
recorded for the current tables, so it always describes the current data: restoring
undoes a bad write's effect on it, and on the working CRS chosen from it (unless the
user set one).

Pages and the CLI talk to :class:`WorkspaceStore`, so a PostGIS backend can be added
behind :func:`open_workspace` without touching them.
"""

from __future__ import annotations

import abc
import contextlib
import getpass
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
DEFAULT_WORKSPACE = "sample"
#: Settings key recording that the user chose the working CRS (so the bounds do not).
EXPLICIT_CRS_KEY = "working_crs_explicit"


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
    def write(
        self, layer: str, data: gpd.GeoDataFrame, *, author: str | None = None, message: str
    ) -> LayerVersion:
        """Store `data` as the new current version of `layer`, atomically."""

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

    def version_key(self) -> tuple[tuple[str, int], ...]:
        """A hashable summary of every layer's current version, for caches."""
        return tuple((name, self.current_version(name) or 0) for name in sorted(self.layers()))

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
        if not self.path.exists():
            if not create:
                msg = f"no workspace at {self.path}"
                raise StoreError(msg)
            self._create()
        self._check_is_workspace()

    # -- file-level helpers -------------------------------------------------------------
    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.stem}.{secrets.token_hex(4)}.tmp.gpkg")
        try:
            # GDAL lays down a valid, empty GeoPackage; we add our two plain tables to it.
            pyogrio.write_dataframe(
                pd.DataFrame({"key": ["created_at"], "value": [json.dumps(_now().isoformat())]}),
                tmp,
                layer=SETTINGS_TABLE,
                driver="GPKG",
            )
            with contextlib.closing(sqlite3.connect(tmp)) as con, con:
                con.execute(
                    f"CREATE TABLE {VERSIONS_TABLE} ("
                    " layer TEXT NOT NULL, version INTEGER NOT NULL, table_name TEXT NOT NULL,"
                    " created_at TEXT NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,"
                    " n_features INTEGER NOT NULL, action TEXT NOT NULL, based_on INTEGER,"
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
        con = sqlite3.connect(self.path, timeout=30.0)
        try:
            yield con
        finally:
            con.close()

    # -- reading ------------------------------------------------------------------------
    def layers(self) -> list[str]:
        with self._connect() as con:
            rows = con.execute(f"SELECT DISTINCT layer FROM {VERSIONS_TABLE}").fetchall()
        present = {r[0] for r in rows}
        return [name for name in LAYERS if name in present]

    def history(self, layer: str | None = None) -> list[LayerVersion]:
        query = (
            "SELECT layer, version, created_at, author, message, n_features, action, based_on,"
            f" table_name FROM {VERSIONS_TABLE}"
        )
        params: tuple[str, ...] = ()
        if layer is not None:
            layer_spec(layer)
            query += " WHERE layer = ?"
            params = (layer,)
        with self._connect() as con:
            rows = con.execute(query + " ORDER BY layer, version", params).fetchall()
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
        with self._connect() as con, con:
            con.execute("BEGIN IMMEDIATE")
            _put_settings(con, values)
            if not values.get("working_crs", True):
                self._refresh_bounds(con)

    def write(
        self, layer: str, data: gpd.GeoDataFrame, *, author: str | None = None, message: str
    ) -> LayerVersion:
        validate_layer(data, layer)
        if not message or not message.strip():
            msg = "`message` must say why the layer changes"
            raise StoreError(msg)
        frame = data.to_crs(STORAGE_CRS) if data.crs != STORAGE_CRS else data
        frame = frame.reset_index(drop=True)
        table = f"{layer}__{secrets.token_hex(6)}"
        # The heavy part runs outside any transaction of ours: until the version row below
        # is committed, nothing points to the new table and readers see the old version.
        pyogrio.write_dataframe(
            frame, self.path, layer=table, driver="GPKG", promote_to_multi=False
        )
        with self._connect() as con, con:
            con.execute("BEGIN IMMEDIATE")
            last = con.execute(
                f"SELECT COALESCE(MAX(version), 0) FROM {VERSIONS_TABLE} WHERE layer = ?",
                (layer,),
            ).fetchone()[0]
            created = _now()
            con.execute(
                f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    layer,
                    last + 1,
                    table,
                    created.isoformat(),
                    author or _default_author(),
                    message.strip(),
                    len(frame),
                    "write",
                    None,
                ),
            )
            # In the same transaction, so the bounds always describe the versions that are
            # current: a killed writer changes neither.
            self._refresh_bounds(con)
        return self._version_row(layer, last + 1)

    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        old = self._version_row(layer, version)
        with self._connect() as con, con:
            con.execute("BEGIN IMMEDIATE")
            last = con.execute(
                f"SELECT MAX(version) FROM {VERSIONS_TABLE} WHERE layer = ?", (layer,)
            ).fetchone()[0]
            con.execute(
                f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    layer,
                    last + 1,
                    old.table,
                    _now().isoformat(),
                    author or _default_author(),
                    (message or f"restore version {version}").strip(),
                    old.n_features,
                    "restore",
                    version,
                ),
            )
            # Restoring is how a user undoes a bad write, so the bounds (and the working
            # CRS chosen from them) must shrink back with the data.
            self._refresh_bounds(con)
        return self._version_row(layer, last + 1)

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
        """Tables left by writers that failed before committing their version row."""
        with self._connect() as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
            used = {r[0] for r in con.execute(f"SELECT table_name FROM {VERSIONS_TABLE}")}
        return sorted(t for t in tables - used - {SETTINGS_TABLE} if "__" in t)

    def compact(self) -> None:
        """Reclaim free pages (``VACUUM``); run when no one else uses the file."""
        con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            con.execute("VACUUM")
        finally:
            con.close()

    def integrity_ok(self) -> bool:
        """Whether SQLite's integrity check passes on the workspace file."""
        with self._connect() as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def workspaces_dir() -> Path:
    """The folder holding the user's workspaces (``$GRIDMAP_HOME`` or the user data dir)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("gridmap", appauthor=False)) / "workspaces"


def list_workspaces() -> list[Path]:
    """Workspace files in :func:`workspaces_dir`, sorted by name."""
    folder = workspaces_dir()
    return sorted(folder.glob("*.gpkg")) if folder.exists() else []


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
    return GeoPackageStore(path, create=create)


def install_sample_workspace(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Copy the bundled sample street office to `path` (atomically) and return the path."""
    from gridmap.datasets import get_path

    target = Path(path)
    if target.exists() and not overwrite:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        shutil.copyfile(get_path("helsinki"), tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
