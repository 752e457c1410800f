"""The workspace store: layers, immutable versions and settings, in one GeoPackage file
(the embedded default) or in a PostgreSQL/PostGIS schema (many users; a ``postgresql://``
URL).

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

**PostGIS.** :class:`PostGISStore` keeps the same tables in one PostgreSQL schema per
workspace: a table per layer version with a GiST index, ``gridmap_versions`` and
``gridmap_settings``. Each write is one PostgreSQL transaction (rows arrive by ``COPY``);
the write lock is a session advisory lock held on a connection of its own, so a killed
writer's lock goes with its connection. See :mod:`gridmap.store._postgis`.

Pages and the CLI talk to :class:`WorkspaceStore` and :func:`open_workspace`, which picks
the backend from the location; :func:`copy_workspace` (``gridmap copy``) moves a
workspace with its whole history between the two.

Modules: ``_base`` (the interface, errors, shared rules), ``_gpkg``, ``_files`` and
``_sqlite`` (GeoPackage), ``_postgis`` (PostGIS), ``_copy`` (between backends).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gridmap._errors import StoreError
from gridmap.store._base import (
    ANY_VERSION,
    BUSY_TIMEOUT_ENV,
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_WORKSPACE,
    EXPLICIT_CRS_KEY,
    HOME_ENV,
    SETTINGS_TABLE,
    TIME_BINS,
    VERSIONS_TABLE,
    WORKSPACE_ENV,
    WORKSPACE_NAME_LIMIT,
    LayerVersion,
    VerifiedAuthor,
    VersionConflictError,
    WorkspaceBusyError,
    WorkspaceStore,
    _default_author,
    busy_timeout,
    check_workspace_name,
)
from gridmap.store._copy import copy_workspace
from gridmap.store._files import _temp_name, sweep_leftovers, workspace_lock
from gridmap.store._gpkg import GeoPackageStore
from gridmap.store._postgis import PostGISStore, is_database_url, parse_url, redact_url

__all__ = [
    "ANY_VERSION",
    "BUSY_TIMEOUT_ENV",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_WORKSPACE",
    "EXPLICIT_CRS_KEY",
    "HOME_ENV",
    "SETTINGS_TABLE",
    "TIME_BINS",
    "VERSIONS_TABLE",
    "WORKSPACE_ENV",
    "WORKSPACE_NAME_LIMIT",
    "GeoPackageStore",
    "LayerVersion",
    "PostGISStore",
    "StoreError",
    "VerifiedAuthor",
    "VersionConflictError",
    "WorkspaceBusyError",
    "WorkspaceNotFoundError",
    "WorkspaceStore",
    "busy_timeout",
    "check_workspace_name",
    "copy_workspace",
    "default_workspace_path",
    "install_sample_workspace",
    "is_database_url",
    "list_workspaces",
    "open_workspace",
    "sweep_leftovers",
    "workspace_label",
    "workspace_location",
    "workspace_lock",
    "workspace_path",
    "workspaces_dir",
]


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
        if is_database_url(env):
            msg = (
                f"`{WORKSPACE_ENV}` names a PostGIS workspace, not a file: use workspace_location()"
            )
            raise StoreError(msg)
        # A bare name (``GRIDMAP_WORKSPACE=朝阳``), as ``gridmap -w 朝阳`` takes it.
        return workspace_path(Path(env).expanduser() if env.startswith("~") else env)
    return workspaces_dir() / f"{DEFAULT_WORKSPACE}.gpkg"


def workspace_location(location: str | os.PathLike[str] | None = None) -> str:
    """What `location` opens, as a string: a ``postgresql://`` URL as it is, else the file.

    With no `location`, ``$GRIDMAP_WORKSPACE`` (a file or a URL) or the sample's file.
    Pages keep this string in the session and pass it back to :func:`open_workspace`.
    """
    if location is None:
        env = os.environ.get(WORKSPACE_ENV)
        if env and is_database_url(env):
            return env
    elif is_database_url(os.fspath(location)):
        return os.fspath(location)
    return str(workspace_path(location))


def workspace_label(location: str | os.PathLike[str] | None = None) -> str:
    """A short name for the workspace at `location`: the file's stem, or the schema."""
    text = workspace_location(location)
    if is_database_url(text):
        return parse_url(text)[1]
    return Path(text).stem


class WorkspaceNotFoundError(StoreError):
    """A workspace that was to be opened, not created, does not exist."""


def workspace_path(location: str | os.PathLike[str] | None = None) -> Path:
    """The file `location` names: a ``.gpkg`` path, or a bare name in :func:`workspaces_dir`.

    With no `location`, :func:`default_workspace_path`. Nothing is opened or created.
    """
    if location is None:
        return default_workspace_path()
    text = os.fspath(location)
    if is_database_url(text):
        msg = f"{redact_url(text)} is a PostGIS workspace, not a file: use workspace_location()"
        raise StoreError(msg)
    path = Path(text)
    if path.suffix.lower() != ".gpkg" and os.sep not in text and "/" not in text:
        path = workspaces_dir() / f"{text}.gpkg"
    return path


def open_workspace(
    location: str | os.PathLike[str] | None = None, *, create: bool = True
) -> WorkspaceStore:
    """Open the workspace at `location`: a ``.gpkg`` path, a bare workspace name, or a
    ``postgresql://…`` URL (:class:`PostGISStore`; ``?schema=NAME`` picks the workspace,
    default ``gridmap``).

    With no `location`, opens :func:`default_workspace_path`; when that is the sample
    workspace and it does not exist yet, it is copied from the bundled sample so the app
    opens on data with no set-up.

    Raises
    ------
    WorkspaceNotFoundError
        when `create` is False and there is no such workspace; the message lists the
        workspaces there are, since the usual cause is a mistyped name.
    """
    text = workspace_location(location)
    if is_database_url(text):
        return PostGISStore(text, create=create)
    path = workspace_path(location)
    default = workspaces_dir() / f"{DEFAULT_WORKSPACE}.gpkg"
    if not path.exists() and (
        (location is None and path.stem == DEFAULT_WORKSPACE) or path == default
    ):
        # Opening the default workspace, by name or not, installs the bundled sample.
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
