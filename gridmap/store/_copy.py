"""Copy a workspace, with its whole history, between backends (``gridmap copy``)."""

from __future__ import annotations

from collections.abc import Callable

from gridmap._errors import StoreError
from gridmap.store._base import EXPLICIT_CRS_KEY, LayerVersion, WorkspaceStore

#: Settings the destination recomputes from its own versions rather than copies.
_DERIVED = ("bounds", "created_at")


def copy_workspace(
    source: WorkspaceStore,
    target: WorkspaceStore,
    *,
    progress: Callable[[LayerVersion], None] | None = None,
) -> list[LayerVersion]:
    """Copy every version of every layer of `source`, and its settings, into `target`.

    Versions keep their numbers, times, authors (and whether they were verified),
    messages, actions and ``based_on``; a restore in `source` is a restore in `target`,
    pointing at the copied table of the version it brought back (nothing is stored
    twice). Works between any two backends (GeoPackage ⇄ PostGIS) and holds `target`'s
    write lock throughout, so no one writes into it half-copied.

    Parameters
    ----------
    source, target : WorkspaceStore
        `target` must have no versions yet.
    progress : callable, optional
        Called with each version once it is copied.

    Returns
    -------
    list of LayerVersion
        The versions as `target` recorded them, in the order copied.

    Raises
    ------
    StoreError
        when `target` already holds data (nothing is copied then). A copy interrupted
        half-way leaves the versions copied so far in `target`, each one whole.
    """
    made: list[LayerVersion] = []
    with target.writing():
        # Checked under the write lock: a second copy started at the same time into the
        # same new workspace waits, then finds it taken, instead of colliding half-way.
        if target.layers():
            msg = f"`target` {target.location_label()} already holds layers: copy into an empty one"
            raise StoreError(msg)
        for layer in source.layers():
            tables: dict[str, str] = {}  # source table -> target table
            for record in source.history(layer):
                if record.table in tables:
                    new = target._put_version(record, None, table=tables[record.table])
                else:
                    data = source.read(layer, version=record.version)
                    new = target._put_version(record, data, table=None)
                    tables[record.table] = new.table
                made.append(new)
                if progress is not None:
                    progress(new)
        settings = {k: v for k, v in source.settings().items() if k not in _DERIVED}
        if not settings.get(EXPLICIT_CRS_KEY):
            settings.pop("working_crs", None)  # the target derives it from its bounds
            settings.pop(EXPLICIT_CRS_KEY, None)
        if settings:
            target.update_settings(**settings)
    return made
