"""Aggregation inside PostgreSQL for the PostGIS store: counts by column and time bin,
per polygon, and KDE cell counts, so the pages need not fetch millions of rows."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyproj
import shapely
from psycopg import sql

from gridmap._errors import StoreError
from gridmap.crs import working_crs
from gridmap.store import _pgio
from gridmap.store._base import (
    TIME_BINS,
    Between,
    Where,
    WorkspaceStore,
    check_filters,
    spread_of,
)

#: Prefix of the columns holding each point's coordinates in the table's working CRS
#: (``_wx_4548``, ``_wy_4548``: metres in EPSG:4548), written with the rows. Binning 1.1
#: million points with ``ST_Transform`` took 10.8 s (PROJ per row plus decoding every
#: geometry); floor division of two stored doubles takes a fraction of a second.
PROJECTED_PREFIX = ("_wx_", "_wy_")


def projected_columns(frame: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """The working-CRS coordinates of a point layer's rows, as extra columns to store.

    The CRS is :func:`gridmap.crs.working_crs` of the rows' own bounds (the workspace's
    working CRS unless other layers or the user move it to another zone; then
    :meth:`PostGISAggregation.aggregate_points` falls back to ``ST_Transform``). Empty
    for layers that are not all points, or whose CRS has no EPSG code.

    Parameters
    ----------
    frame : GeoDataFrame
        The rows being written, EPSG:4326.

    Returns
    -------
    dict
        ``{"_wx_<srid>": x, "_wy_<srid>": y}`` (float64 arrays, NaN for missing or empty
        points), or ``{}``.
    """
    geoms = frame.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any() or not (shapely.get_type_id(geoms[present]) == 0).all():
        return {}
    bounds = shapely.total_bounds(geoms[present])
    target = working_crs(tuple(float(v) for v in bounds))  # type: ignore[arg-type]
    srid = target.to_epsg()
    if srid is None:
        return {}
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    transformer = pyproj.Transformer.from_crs(4326, target, always_xy=True)
    x, y = transformer.transform(lon, lat)
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    x[~present], y[~present] = np.nan, np.nan
    return {f"{PROJECTED_PREFIX[0]}{srid}": x, f"{PROJECTED_PREFIX[1]}{srid}": y}


class PostGISAggregation(WorkspaceStore):
    """The aggregation methods of :class:`gridmap.store.PostGISStore` (a mixin: it uses
    the store's ``_version_row``, ``_connect``, ``_columns`` and ``_table``)."""

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
        columns = list(columns)
        check_filters(where, between)
        if time_bin is not None and (len(time_bin) != 2 or time_bin[1] not in TIME_BINS):
            msg = (
                f"`time_bin` must be (column, unit) with unit one of {TIME_BINS}; got {time_bin!r}"
            )
            raise StoreError(msg)
        row = self._version_row(layer, None)
        with self._connect() as con:
            declared = dict(self._columns(con, row))
            groups = [sql.Identifier(c) for c in columns]
            names = list(columns)
            if time_bin is not None:
                groups.append(
                    sql.SQL("date_trunc({}, {})").format(
                        sql.Literal(time_bin[1]), sql.Identifier(time_bin[0])
                    )
                )
                names.append(time_bin[0])
            for name in [*names, *(where or {}), *(between or {})]:
                if name not in declared:
                    msg = f"layer `{layer}` has no column {name!r}"
                    raise StoreError(msg)
            condition, params = _pgio.filters(where, between, within=within)
            select = sql.SQL(", ").join([*groups, sql.SQL("count(*)")])
            query = sql.SQL("SELECT {} FROM {} WHERE {}").format(
                select, self._table(row.table), condition
            )
            if groups:
                order = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(groups)))
                query += sql.SQL(" GROUP BY {} ORDER BY {}").format(order, order)
            rows = con.execute(query, params).fetchall()
        frame = pd.DataFrame(rows, columns=[*names, "count"])
        frame["count"] = frame["count"].astype("int64")
        for name in names:
            frame[name] = _pgio.as_dtype(frame[name], declared[name])
        return frame

    def count_in_polygons(
        self,
        layer: str,
        polygons: str,
        key: str,
        *,
        where: Where | None = None,
        between: Between | None = None,
    ) -> pd.DataFrame:
        check_filters(where, between)
        points, areas = self._version_row(layer, None), self._version_row(polygons, None)
        with self._connect() as con:
            declared = dict(self._columns(con, areas))
            if key not in declared:
                msg = f"layer `{polygons}` has no column {key!r}"
                raise StoreError(msg)
            condition, params = _pgio.filters(where, between, alias="i")
            # A join (the planner probes an index per grid or per point), then one row
            # per point: the first covering grid. Three times faster than a correlated
            # sub-query per point.
            query = sql.SQL(
                "SELECT k, count(*) FROM (SELECT DISTINCT ON (i.fid) g.{key} AS k"
                " FROM {points} AS i JOIN {areas} AS g ON ST_Covers(g.geom, i.geom)"
                " WHERE {condition} ORDER BY i.fid, g.fid) AS q"
                " WHERE k IS NOT NULL GROUP BY k ORDER BY k"
            ).format(
                key=sql.Identifier(key),
                areas=self._table(areas.table),
                points=self._table(points.table),
                condition=condition,
            )
            rows = con.execute(query, params).fetchall()
        frame = pd.DataFrame(rows, columns=[key, "count"])
        frame[key] = _pgio.as_dtype(frame[key], declared[key])
        frame["count"] = frame["count"].astype("int64")
        return frame

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
        target = pyproj.CRS.from_user_input(crs) if crs is not None else self.working_crs()
        srid = target.to_epsg()
        if srid is None:  # PostGIS knows CRSs by EPSG code: bin in Python instead
            return super().aggregate_points(
                layer,
                cell=cell,
                crs=target,
                bounds=bounds,
                where=where,
                between=between,
                within=within,
            )
        if not (isinstance(cell, int | float) and np.isfinite(cell) and cell > 0):
            msg = f"`cell` must be a positive number of CRS units; got {cell!r}"
            raise StoreError(msg)
        check_filters(where, between)
        row = self._version_row(layer, None)
        condition, params = _pgio.filters(where, between, bbox=bounds, within=within)
        with self._connect() as con:
            stored = _stored_projection(con, self.schema, row.table, srid)
            if stored is not None:  # coordinates projected when written: no PROJ per row
                x, y = (sql.Identifier(c) for c in stored)
                condition = sql.SQL("{} AND {} IS NOT NULL").format(condition, x)
            elif srid == 4326:
                x, y = sql.SQL("ST_X(geom)"), sql.SQL("ST_Y(geom)")
            else:
                point = sql.SQL("ST_Transform(geom, {})").format(srid)
                x, y = (sql.SQL("ST_X({})").format(point), sql.SQL("ST_Y({})").format(point))
            _sort_in_memory(con)
            # Hashed, not sorted: the planner expects a group per point and sorts a million
            # rows (3 s at 5,000,000 incidents) for 100,000 cells; numpy orders them.
            con.execute("SET enable_sort = off")
            query = sql.SQL(
                "SELECT floor({x} / %(cell)s)::bigint AS ix, floor({y} / %(cell)s)::bigint AS iy,"
                " count(*) FROM {table} WHERE {condition} GROUP BY 1, 2"
            ).format(x=x, y=y, table=self._table(row.table), condition=condition)
            rows = con.execute(query, {**params, "cell": float(cell)}).fetchall()
        result = np.array(rows, dtype="int64").reshape(-1, 3)
        result = result[np.lexsort((result[:, 1], result[:, 0]))]
        return pd.DataFrame({"ix": result[:, 0], "iy": result[:, 1], "count": result[:, 2]})

    def point_statistics(
        self,
        layer: str,
        *,
        crs: pyproj.CRS | str | int | None = None,
        where: Where | None = None,
        between: Between | None = None,
        within: shapely.Geometry | None = None,
    ) -> dict[str, float]:
        target = pyproj.CRS.from_user_input(crs) if crs is not None else self.working_crs()
        srid = target.to_epsg()
        if srid is None:
            return super().point_statistics(
                layer, crs=target, where=where, between=between, within=within
            )
        check_filters(where, between)
        row = self._version_row(layer, None)
        condition, params = _pgio.filters(where, between, within=within)
        with self._connect() as con:
            stored = _stored_projection(con, self.schema, row.table, srid)
            present = sql.SQL("geom IS NOT NULL AND NOT ST_IsEmpty(geom)")
            if stored is not None:  # NULL for missing points; no geometry read (index only)
                x, y = (sql.Identifier(c) for c in stored)
                present = sql.SQL("{} IS NOT NULL").format(x)
            elif srid == 4326:
                x, y = sql.SQL("ST_X(geom)"), sql.SQL("ST_Y(geom)")
            else:
                point = sql.SQL("ST_Transform(geom, {})").format(srid)
                x, y = (sql.SQL("ST_X({})").format(point), sql.SQL("ST_Y({})").format(point))
            _sort_in_memory(con)
            quartiles = sql.SQL("percentile_cont(ARRAY[0.25, 0.75]) WITHIN GROUP (ORDER BY {})")
            query = sql.SQL(
                "SELECT count(*), min({x}), min({y}), max({x}), max({y}),"
                " stddev_samp({x}), stddev_samp({y}), {qx}, {qy} FROM {table}"
                " WHERE {condition} AND {present}"
            ).format(
                present=present,
                x=x,
                y=y,
                qx=quartiles.format(x),
                qy=quartiles.format(y),
                table=self._table(row.table),
                condition=condition,
            )
            found = con.execute(query, params).fetchone()
        n, min_x, min_y, max_x, max_y, std_x, std_y, qx, qy = found  # type: ignore[misc]
        if not n:
            return spread_of(np.array([]), np.array([]))
        values = {
            "n": float(n),
            "min_x": min_x,
            "min_y": min_y,
            "max_x": max_x,
            "max_y": max_y,
            "std_x": std_x,
            "std_y": std_y,
            "q25_x": qx[0],
            "q75_x": qx[1],
            "q25_y": qy[0],
            "q75_y": qy[1],
        }
        return {k: float(v) if v is not None else np.nan for k, v in values.items()}


#: Memory a page's aggregation may sort and hash in (PostgreSQL's default, 4 MB, sent the
#: quartiles of a million points and their cell groups to temporary files).
AGGREGATION_WORK_MEM = "128MB"


def _sort_in_memory(con: psycopg.Connection) -> None:
    """Let `con`'s next aggregations sort and group in memory (this session only)."""
    con.execute(sql.SQL("SET work_mem = {}").format(sql.Literal(AGGREGATION_WORK_MEM)))


def _stored_projection(
    con: psycopg.Connection, schema: str, table: str, srid: int
) -> tuple[str, str] | None:
    """The names of `table`'s stored EPSG:`srid` coordinate columns, None without them."""
    names = [f"{prefix}{srid}" for prefix in PROJECTED_PREFIX]
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s AND column_name = ANY(%s)",
        (schema, table, names),
    ).fetchone()
    return (names[0], names[1]) if found is not None and found[0] == 2 else None
