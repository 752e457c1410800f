"""A workspace store seen through an account: every read filtered to its scope and masked.

:func:`scoped` wraps a :class:`~gridmap.store.WorkspaceStore` so that pages and the CLI,
which only call ``read``/``layers``/``history``/``write``/``restore``, cannot forget the
scope: it is applied where the rows are read, not on each page. Writes and restores are
checked against the role's rights and recorded in the audit log.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmap.access._accounts import Session
from gridmap.access._audit import record
from gridmap.access._masking import looks_personal, mask_columns
from gridmap.access._roles import AccessDeniedError
from gridmap.access._scope import filter_to_scope, in_scope, scope_area
from gridmap.access._storage import AccessStorage, access_storage
from gridmap.i18n import Message
from gridmap.schema import LAYERS
from gridmap.store import ANY_VERSION, LayerVersion, VerifiedAuthor, WorkspaceStore
from gridmap.store._base import Between, Where

#: Text columns that may hold personal data, per layer. A city's own extra columns of
#: incidents (报警人, 电话 …, not in the schema) are masked too: text ones always, number
#: ones whose values look like phone or ID-card numbers (see :func:`personal_columns`).
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {"incidents": ("description",)}
#: Incident columns that are codes, never free text, so never masked.
_CODED = ("incident_id", "category", "category_key", "source", "status", "grid_code")


#: A box no row lies in: the scope has no area.
_NOWHERE = (0.0, 0.0, 0.0, 0.0)


def _overlap(
    bbox: tuple[float, float, float, float] | None, area: shapely.Geometry
) -> tuple[float, float, float, float]:
    """The part of `bbox` (None: everywhere) over `area`'s bounds; :data:`_NOWHERE` if none."""
    if shapely.is_empty(area):
        return _NOWHERE
    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(area))
    if bbox is not None:
        x0, y0 = max(x0, bbox[0]), max(y0, bbox[1])
        x1, y1 = min(x1, bbox[2]), min(y1, bbox[3])
        if x0 > x1 or y0 > y1:
            return _NOWHERE
    return (x0, y0, x1, y1)


class ScopedStore(WorkspaceStore):
    """`inner` as `session` may see it. Build it with :func:`scoped`.

    ``location`` is the workspace's location with the scope and masking appended
    (``…/sample.gpkg#scope=990101001&personal=0``): caches keyed on a store's location
    (the pages') then keep one entry per scope, never serving one area's rows to another.
    ``Path(location).stem`` is still the workspace's name.
    """

    def __init__(
        self, inner: WorkspaceStore, session: Session, *, storage: AccessStorage | None = None
    ) -> None:
        self.inner = inner
        self.session = session
        self.storage = storage if storage is not None else access_storage(inner)
        personal = int(session.can("personal_data"))
        self.location = f"{inner.location}#scope={session.scope.prefix}&personal={personal}"
        self._areas: dict[int | None, shapely.Geometry] = {}
        self._coded_layers: dict[tuple[str, int | None], bool] = {}

    # -- reading --------------------------------------------------------------------------
    def area(self) -> shapely.Geometry:
        """The union of the scope's grids (current version), EPSG:4326."""
        version = self.inner.current_version("grids")
        if version not in self._areas:
            grids = self.inner.read("grids", version=version) if version is not None else None
            self._areas = {version: scope_area(grids, self.session.scope)}
        return self._areas[version]

    def layers(self) -> list[str]:
        return self.inner.layers()

    def read(
        self,
        layer: str,
        *,
        version: int | None = None,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame:
        scope = self.session.scope
        if scope.everything:
            frame = self.inner.read(
                layer, version=version, columns=columns, bbox=bbox, max_features=max_features
            )
        else:
            wanted = columns
            # A layer with grid codes is in scope by them, whatever columns are asked for:
            # by location otherwise, so that asking for fewer columns never widens it.
            if columns is not None and "grid_code" not in columns and self._coded(layer, version):
                wanted = [*columns, "grid_code"]
            if not self._coded(layer, version):
                # In scope by location: only rows near the area are read (the store's
                # spatial index), then filtered exactly below.
                bbox = _overlap(bbox, self.area())
            frame = self.inner.read(
                layer,
                version=version,
                columns=wanted,
                bbox=bbox,
                # a limit applies after the scope's filter: only "no rows" is passed on
                max_features=0 if bbox == _NOWHERE or max_features == 0 else None,
            )
            area = None if "grid_code" in frame.columns else self.area()
            frame = filter_to_scope(frame, scope, area=area)
            if wanted is not columns:
                frame = frame.drop(columns="grid_code")
            if max_features is not None:
                frame = frame.iloc[:max_features]
        if not self.session.can("personal_data"):
            frame = mask_columns(frame, personal_columns(frame, layer))
        return frame

    def _coded(self, layer: str, version: int | None) -> bool:
        """Whether the stored `layer` (`version`, default current) has ``grid_code``."""
        key = (layer, self.inner.current_version(layer) if version is None else version)
        if key not in self._coded_layers:
            probe = self.inner.read(layer, version=version, max_features=0)
            self._coded_layers[key] = "grid_code" in probe.columns
        return self._coded_layers[key]

    def history(self, layer: str | None = None) -> list[LayerVersion]:
        return self.inner.history(layer)

    def settings(self) -> dict[str, object]:
        return self.inner.settings()

    def current_version(self, layer: str) -> int | None:
        return self.inner.current_version(layer)

    def writing(self, *, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        return self.inner.writing(timeout=timeout)

    @property
    def summarised_in_database(self) -> bool:  # type: ignore[override]
        return self.inner.summarised_in_database

    # -- counting in the database --------------------------------------------------------
    # A store that counts in its database is asked to count only the scope's area
    # (`within`), so an account's page counts at the database's speed instead of reading
    # its rows. Only for layers in scope by location, and never grouping or filtering by
    # a column the account may not see (those are masked in the rows it reads): else the
    # default, over the rows :meth:`read` gives.
    def _counting_area(self, layer: str, names: Iterable[str]) -> shapely.Geometry | bool:
        """The geometry to count `layer` within (None: all of it), or False to count the
        rows :meth:`read` gives."""
        spec = LAYERS.get(layer)
        if not self.inner.summarised_in_database or spec is None or spec.geometry != "Point":
            return False  # a point is in scope as ST_Covers says; lines, polygons differ
        if not self.session.can("personal_data"):
            # No rows to look at: any column of the city's own (a number column may hold
            # phone numbers) is counted from the masked rows.
            probe = self.inner.read(layer, max_features=0)
            if set(names) & set(_maybe_personal(probe, layer)):
                return False
        if self.session.scope.everything:
            return None
        if self._coded(layer, None):
            return False
        return self.area()

    def count_by(
        self,
        layer: str,
        columns: Sequence[str] = (),
        *,
        where: Where | None = None,
        between: Between | None = None,
        time_bin: tuple[str, str] | None = None,
        within: shapely.Geometry | None = None,
    ) -> pd.DataFrame:
        names = [*columns, *(where or {}), *(between or {}), *(time_bin or ())[:1]]
        area = self._counting_area(layer, names)
        if area is False or within is not None:
            return super().count_by(
                layer, columns, where=where, between=between, time_bin=time_bin, within=within
            )
        return self.inner.count_by(
            layer, columns, where=where, between=between, time_bin=time_bin, within=area
        )

    def aggregate_points(
        self,
        layer: str,
        *,
        cell: float,
        crs: pyproj.CRS | str | int | None = None,
        bounds: tuple[float, float, float, float] | None = None,
        where: Where | None = None,
        between: Between | None = None,
        within: shapely.Geometry | None = None,
    ) -> pd.DataFrame:
        area = self._counting_area(layer, [*(where or {}), *(between or {})])
        if area is False or within is not None:
            return super().aggregate_points(
                layer,
                cell=cell,
                crs=crs,
                bounds=bounds,
                where=where,
                between=between,
                within=within,
            )
        return self.inner.aggregate_points(
            layer, cell=cell, crs=crs, bounds=bounds, where=where, between=between, within=area
        )

    def point_statistics(
        self,
        layer: str,
        *,
        crs: pyproj.CRS | str | int | None = None,
        where: Where | None = None,
        between: Between | None = None,
        within: shapely.Geometry | None = None,
    ) -> dict[str, float]:
        area = self._counting_area(layer, [*(where or {}), *(between or {})])
        if area is False or within is not None:
            return super().point_statistics(
                layer, crs=crs, where=where, between=between, within=within
            )
        return self.inner.point_statistics(
            layer, crs=crs, where=where, between=between, within=area
        )

    def incident_summary(self) -> pd.DataFrame:
        """The scope's incidents per grid, day and category.

        From the workspace's summary kept in the database when there is one: its rows of
        the scope's grids, so that a community's Overview on a PostGIS workspace of
        millions of incidents reads thousands of rows, not its share of the millions.
        Those are the incidents the scope may read whenever scope is decided by location
        (incidents without a ``grid_code`` column), save one on the scope's outer edge
        that the summary gives to the neighbouring grid outside (the first grid covering
        it): it is left out, never another area's counted in. Incidents that carry
        their own ``grid_code`` are in scope by that code, which may differ from where
        they lie: then the summary is made from the rows the scope may read.
        """
        scope = self.session.scope
        if not self.inner.summarised_in_database:
            return super().incident_summary()
        if not scope.everything:
            if self.inner.current_version("incidents") is None:
                return super().incident_summary()
            if self._coded("incidents", None):
                return super().incident_summary()
        summary = self.inner.incident_summary()
        if scope.everything:
            return summary
        codes = summary["grid_code"].astype("string").fillna("")
        return summary[codes.str.startswith(scope.prefix).to_numpy()].reset_index(drop=True)

    # -- writing --------------------------------------------------------------------------
    def _audit(self, action: str, layer: str | None, version: int | None, detail: str) -> None:
        record(
            self.storage,
            user=self.session.user,
            role=self.session.role,
            action=action,
            layer=layer,
            version=version,
            scope=self.session.scope.prefix,
            client=self.session.client,
            detail=detail,
        )

    def write(
        self,
        layer: str,
        data: gpd.GeoDataFrame,
        *,
        author: str | None = None,
        message: str,
        based_on: int | None = ANY_VERSION,
    ) -> LayerVersion:
        """Write `data` as the scope's part of `layer`; rows outside the scope are kept.

        A scoped account reads only its area, so what it writes back is its area: the
        new version is the current rows outside the scope plus `data`. Every row of
        `data` must lie inside the scope. The author is the account's name.

        Raises
        ------
        AccessDeniedError
            when the role may not edit, or `data` has rows outside the scope.
        """
        self.session.require("edit")
        who = VerifiedAuthor(self.session.display_name or self.session.user)
        scope = self.session.scope
        with self.inner.writing():
            if not scope.everything:
                data = self._merge_into_current(layer, data)
            made = self.inner.write(layer, data, author=who, message=message, based_on=based_on)
            self._audit("write", layer, made.version, message)
        return made

    def _merge_into_current(self, layer: str, data: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The current rows outside the scope plus `data`, all in scope by one rule.

        A layer is in scope by ``grid_code`` when it has one, else by location, for all
        its rows at once; a write keeps the layer's rule, so every other area's kept row
        stays visible to exactly the accounts that saw it before:

        - a layer without ``grid_code``, written with codes: the codes are dropped and
          `data` must lie in the scope's area (giving the kept rows a code would take a
          point on a border between two areas from one of them, and from then on rows
          would follow their codes, not where they lie);
        - a layer with ``grid_code``, written without: each row of `data` gets the code
          of the scope's grid it lies in (as the location rule decides it: a point
          covered, a polygon's inside point, a line touching), the first one on a border;
        - a new layer: the rule of `data`.

        Raises
        ------
        AccessDeniedError
            when rows of `data` lie outside the scope by the layer's rule.
        """
        from gridmap.ingest import combine_rows

        scope = self.session.scope
        mine = data.to_crs(4326) if data.crs is not None and data.crs.to_epsg() != 4326 else data
        exists = self.inner.current_version(layer) is not None
        coded = self._coded(layer, None) if exists else "grid_code" in mine.columns
        if not coded and "grid_code" in mine.columns:
            mine = mine.drop(columns="grid_code")
        area = None if "grid_code" in mine.columns else self.area()
        outside = ~in_scope(mine, scope, area=area)
        if outside.any():
            raise AccessDeniedError(
                Message("access_write_outside", n=int(outside.sum()), prefix=scope.prefix)
            )
        if not exists:
            return mine
        if coded and "grid_code" not in mine.columns:
            mine = mine.assign(grid_code=self._codes_by_location(mine))
        current = self.inner.read(layer)
        area = None if "grid_code" in current.columns else self.area()
        others = current.loc[~in_scope(current, scope, area=area)]
        return combine_rows([others, mine], layer)

    def _codes_by_location(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        """The code of the scope's (current) grid each row of `frame` (EPSG:4326) lies in.

        As :func:`~gridmap.access._scope.in_scope` decides by location: a point covered
        by the grid, a polygon's inside point covered, a line touching it; on a border
        the first grid of the layer's order. None for a row in none of them.
        """
        grids = self.inner.read("grids")
        codes_of = grids["grid_code"].astype(str)
        inside = np.flatnonzero(codes_of.str.startswith(self.session.scope.prefix).to_numpy())
        codes_of = codes_of.to_numpy()
        tree = shapely.STRtree(grids.geometry.to_numpy()[inside])
        geometry = frame.geometry.to_numpy()
        lines = np.isin(shapely.get_type_id(geometry), (1, 2, 5))
        probe = geometry.copy()
        probe[~lines] = shapely.point_on_surface(geometry[~lines])
        codes = np.full(len(frame), None, dtype=object)
        for predicate, rows in (("covered_by", ~lines), ("intersects", lines)):
            rows = np.flatnonzero(rows)
            row, grid = tree.query(probe[rows], predicate=predicate)
            order = np.lexsort((grid, row))  # per row, its grids in the layer's order
            row, grid = row[order], grid[order]
            first = np.unique(row, return_index=True)[1]
            codes[rows[row[first]]] = codes_of[inside[grid[first]]]
        return codes

    def restore(
        self, layer: str, version: int, *, author: str | None = None, message: str | None = None
    ) -> LayerVersion:
        """Restore a version; only for accounts scoped to the whole workspace.

        A version holds every area's rows, so restoring it would also undo other
        areas' edits.
        """
        self.session.require("edit")
        if not self.session.scope.everything:
            raise AccessDeniedError(Message("access_restore_scoped", layer=layer))
        who = VerifiedAuthor(self.session.display_name or self.session.user)
        made = self.inner.restore(layer, version, author=who, message=message)
        self._audit("restore", layer, made.version, f"version {version}")
        return made

    def update_settings(self, **values: object) -> None:
        self.session.require("edit")
        if not self.session.scope.everything:
            raise AccessDeniedError(Message("access_restore_scoped", layer="settings"))
        self.inner.update_settings(**values)

    def _put_version(
        self, record: LayerVersion, data: gpd.GeoDataFrame | None, *, table: str | None
    ) -> LayerVersion:
        """Copying versions in as they are (``gridmap copy``): only for accounts scoped to
        the whole workspace, like :meth:`restore` (a copied version holds every area)."""
        self.session.require("edit")
        if not self.session.scope.everything:
            raise AccessDeniedError(Message("access_restore_scoped", layer=record.layer))
        return self.inner._put_version(record, data, table=table)


def personal_columns(frame: gpd.GeoDataFrame, layer: str) -> list[str]:
    """Columns of `frame` masked for roles without the personal-data right.

    :data:`PERSONAL_COLUMNS`, and of incidents every column of the city's own (not in
    the schema, not a code): text ones always, number ones (integer or float, as a
    GeoJSON, GeoPackage or Shapefile number arrives) when one of `frame`'s values looks
    like a mobile, landline or ID-card number
    (:func:`~gridmap.access._masking.looks_personal`).
    """
    text = [c for c in _maybe_personal(frame, layer) if not _is_number(frame[c])]
    numbers = [c for c in _maybe_personal(frame, layer) if _is_number(frame[c])]
    return text + [c for c in numbers if looks_personal(frame[c])]


def _maybe_personal(frame: gpd.GeoDataFrame, layer: str) -> list[str]:
    """Columns of `frame` that may hold personal data, whatever their values: the text
    and number columns :func:`personal_columns` chooses from."""
    named = list(PERSONAL_COLUMNS.get(layer, ()))
    if layer == "incidents":
        known = set(LAYERS["incidents"].required) | set(LAYERS["incidents"].optional)
        named += [
            c
            for c in frame.columns
            if c not in known
            and c not in _CODED
            and c != frame.geometry.name
            and (_is_number(frame[c]) or _is_text(frame[c]))
        ]
    return [c for c in named if c in frame.columns]


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _is_text(values: pd.Series) -> bool:
    dtype = values.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def scoped(store: WorkspaceStore, session: Session | None) -> WorkspaceStore:
    """`store` as `session` may see it; `store` itself when nobody is signed in.

    No session is the single-user laptop mode (no accounts in the workspace): nothing
    is filtered, masked or audited, exactly as before accounts existed.
    """
    if session is None:
        return store
    return ScopedStore(store, session)


def record_export(
    store: WorkspaceStore, *, layer: str | None, version: int | None = None, detail: str = ""
) -> None:
    """Check the export right and record an export in the audit log (scoped stores only).

    Raises
    ------
    AccessDeniedError
        when the signed-in role may not export.
    """
    if not isinstance(store, ScopedStore):
        return
    store.session.require("export")
    store._audit("export", layer, version, detail)


def for_command_line(store: WorkspaceStore) -> WorkspaceStore:
    """`store` as the ``gridmap`` command uses it: audited once the workspace has accounts.

    The command line is the machine owner's tool and is not scoped (whoever runs it can
    read the file), but with accounts in the workspace its writes, restores and exports
    are recorded like the app's, as the operating-system account on client ``cli``.
    Without accounts: `store` itself.
    """
    import getpass

    from gridmap.access._accounts import accounts_configured
    from gridmap.access._scope import Scope

    storage = access_storage(store)
    if not accounts_configured(storage):
        return store
    session = Session(getpass.getuser(), "administrator", Scope(""), "", "cli")
    return ScopedStore(store, session, storage=storage)
