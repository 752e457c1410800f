"""Rows between GeoDataFrames and PostGIS tables, keeping each column's pandas dtype.

In: ``COPY … FROM STDIN`` in CSV written by Arrow's C++ CSV writer (every value quoted,
NULL an empty unquoted field, so an empty string stays one; geometry as hex EWKB), a
quarter of a million rows at a time. Out: a binary-format ``SELECT`` (geometry as WKB,
date-times as microseconds since 1970), converted column by column.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import shapely
from psycopg import sql
from pyarrow import csv as pa_csv

from gridmap._errors import StoreError
from gridmap.schema import STORAGE_CRS

#: Rows turned into CSV and sent at a time.
_CHUNK_ROWS = 250_000
#: Names the store gives its own columns in every layer table.
GEOMETRY, ROW_ID = "geom", "fid"


def _sql_type(dtype: object) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "text"


def _arrow_column(series: pd.Series, kind: str) -> pa.Array:
    """`series` as an Arrow array of the type its PostgreSQL `kind` reads from CSV."""
    if kind == "text":
        return pa.array(series.astype("str"), from_pandas=True, type=pa.string())
    if kind == "double precision":
        return pa.array(series.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
    types = {"boolean": pa.bool_(), "bigint": pa.int64()}
    return pa.array(series, from_pandas=True, type=types.get(kind))


def write_table(
    con: psycopg.Connection, table: sql.Composed, frame: gpd.GeoDataFrame, name: str
) -> list[list[str]]:
    """Create `table` and ``COPY`` `frame` (EPSG:4326) into it, with its indexes.

    Returns the ``[column, pandas dtype]`` pairs to record with the version.
    """
    geometry = frame.geometry.name
    attributes = [c for c in frame.columns if c != geometry]
    clash = [c for c in attributes if c in (GEOMETRY, ROW_ID)]
    if clash:
        msg = f"columns {', '.join(clash)} are reserved by the PostGIS store: rename them"
        raise StoreError(msg)
    kinds = {c: _sql_type(frame[c].dtype) for c in attributes}
    # Points also keep their working-CRS coordinates, for binning in the database (not
    # declared: reads never return them).
    from gridmap.store._pgagg import projected_columns

    projected = projected_columns(frame)
    columns = [sql.SQL("{} bigint").format(sql.Identifier(ROW_ID))]
    columns += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kinds[c])) for c in attributes]
    columns += [sql.SQL("{} double precision").format(sql.Identifier(c)) for c in projected]
    columns.append(sql.SQL("{} geometry(Geometry, 4326)").format(sql.Identifier(GEOMETRY)))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(columns)))
    target = sql.SQL(", ").join(
        sql.Identifier(c) for c in [ROW_ID, *attributes, *projected, GEOMETRY]
    )
    # FREEZE (the table is new in this transaction): rows are written frozen and the
    # visibility map all-visible, so index-only scans work without a VACUUM first.
    query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FREEZE)").format(table, target)
    with con.cursor().copy(query) as copy:
        for start in range(0, len(frame), _CHUNK_ROWS):  # bounded memory for millions
            part = frame.iloc[start : start + _CHUNK_ROWS]
            arrays = [pa.array(np.arange(start, start + len(part), dtype="int64"))]
            arrays += [_arrow_column(part[c], kinds[c]) for c in attributes]
            arrays += [
                pa.array(v[start : start + len(part)], from_pandas=True) for v in projected.values()
            ]
            geoms = shapely.set_srid(part.geometry.to_numpy(), 4326)
            arrays.append(pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True)))
            names = [f"c{i}" for i in range(len(arrays))]
            sink = pa.BufferOutputStream()
            # Every value quoted, NULL an empty unquoted field: "" stays an empty string.
            options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
            pa_csv.write_csv(pa.Table.from_arrays(arrays, names=names), sink, options)
            copy.write(memoryview(sink.getvalue()))
    short = name[-40:]
    con.execute(
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
            table, sql.Identifier(f"{short}_pk"), sql.Identifier(ROW_ID)
        )
    )
    con.execute(
        sql.SQL("CREATE INDEX {} ON {} USING gist ({})").format(
            sql.Identifier(f"{short}_geom"), table, sql.Identifier(GEOMETRY)
        )
    )
    # A b-tree per date-time column (reporting windows). On points it also carries the
    # stored working-CRS coordinates (and the category): the pages' window aggregations
    # (cell counts, spread) then read the index only, not rows scattered over the table
    # (a 12-week window of 5,000,000 incidents: 67,000 heap pages).
    payload = [c for c in (*projected, "category") if c in projected or c in kinds]
    include = (
        sql.SQL(" INCLUDE ({})").format(sql.SQL(", ").join(map(sql.Identifier, payload)))
        if projected
        else sql.SQL("")
    )
    for i, column in enumerate(c for c in attributes if kinds[c].startswith("timestamp")):
        con.execute(
            sql.SQL("CREATE INDEX {} ON {} ({}){}").format(
                sql.Identifier(f"{short}_t{i}"), table, sql.Identifier(column), include
            )
        )
    con.execute(sql.SQL("ANALYZE {}").format(table))
    return [[c, str(frame[c].dtype)] for c in attributes]


def as_dtype(series: pd.Series, dtype: str) -> pd.Series:
    """Values as read from PostgreSQL, converted to the pandas `dtype` they were written as."""
    if dtype.startswith("datetime64"):
        values = pd.to_datetime(series, format="ISO8601", utc="," in dtype)
        if "," in dtype:  # written with a time zone: read in UTC, shown in that zone
            values = values.dt.tz_convert(dtype.split(",", 1)[1].strip(" ]"))
        return values.astype(dtype)
    if dtype in ("bool", "boolean"):
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            series = series.map({"t": True, "f": False, True: True, False: False})
        return series.astype("boolean" if series.isna().any() or dtype == "boolean" else "bool")
    if dtype == "category":
        return series.astype(str)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


def read_table(
    con: psycopg.Connection,
    table: sql.Composed,
    declared: list[tuple[str, str]] | list[list[str]],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Read `declared` columns (and the geometry) of `table`, in the order written.

    Rows come in PostgreSQL's binary format (a third of the time CSV through ``COPY``
    took, which hands Python one message per row); date-times as microseconds since
    1970 (UTC for time-zone-aware columns) and geometry as WKB, converted by column.
    """
    select = []
    for name, dtype in declared:
        column = sql.Identifier(name)
        if dtype.startswith("datetime64"):
            select.append(sql.SQL("(extract(epoch FROM {}) * 1000000)::bigint").format(column))
        else:
            select.append(column)
    select.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(GEOMETRY)))
    condition, params = filters(None, None, bbox=bbox)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {}").format(
        sql.SQL(", ").join(select), table, condition, sql.Identifier(ROW_ID)
    )
    if limit is not None:
        query += sql.SQL(" LIMIT {}").format(int(limit))
    with con.cursor(binary=True) as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    values = list(zip(*rows, strict=True)) if rows else [()] * (len(declared) + 1)
    data = {name: _column(values[i], dtype) for i, (name, dtype) in enumerate(declared)}
    geometry = shapely.from_wkb(np.array(values[-1], dtype=object))
    return gpd.GeoDataFrame(
        pd.DataFrame(data, index=pd.RangeIndex(len(rows))), geometry=geometry, crs=STORAGE_CRS
    )


def _column(values: tuple, dtype: str) -> pd.Series:
    """One column as fetched (Python values, None for NULL) in the pandas `dtype`."""
    if dtype.startswith("datetime64"):
        # Microseconds since 1970 are exact in float64 until the year 2255; numpy turns
        # None into NaN in C, much faster than a nullable integer array.
        micros = np.array(values, dtype="float64")
        missing = np.isnan(micros)
        stamps = np.where(missing, 0, micros).astype("int64").astype("datetime64[us]")
        series = pd.Series(stamps).where(~missing)
        if "," in dtype:  # written with a time zone: stored in UTC, shown in that zone
            zone = dtype.split(",", 1)[1].strip(" ]")
            series = series.dt.tz_localize("UTC").dt.tz_convert(zone)
        return series.astype(dtype)
    if dtype in ("bool", "boolean"):
        flags = pd.Series(pd.array(values, dtype="boolean"))
        return flags.astype("bool") if dtype == "bool" and not flags.isna().any() else flags
    if dtype.startswith(("float", "Float")):
        return pd.Series(np.array(values, dtype="float64")).astype(dtype)
    if dtype.startswith(("int", "uint", "Int", "UInt")):
        try:
            return pd.Series(np.array(values, dtype="int64")).astype(dtype)
        except TypeError:  # NULLs: a nullable integer column
            return pd.Series(pd.array(values, dtype="Int64")).astype(dtype)
    series = pd.Series(values, dtype=object)
    return series.astype(dtype) if dtype in ("str", "string") else series


def _plain(value: object) -> object:
    """A value psycopg can send: numpy scalars and pandas timestamps made plain."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def filters(
    where: Mapping[str, object] | None,
    between: Mapping[str, tuple[object, object]] | None,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    alias: str | None = None,
    within: shapely.Geometry | None = None,
) -> tuple[sql.Composable, dict[str, object]]:
    """A SQL condition and its parameters for `where`, `between`, a 4326 `bbox` and a
    4326 geometry `within` (covering, edge included); columns qualified with the table
    `alias` when given (in a join)."""

    def name(column: str) -> sql.Identifier:
        return sql.Identifier(alias, column) if alias else sql.Identifier(column)

    parts: list[sql.Composable] = []
    params: dict[str, object] = {}

    def value(v: object) -> sql.Composable:
        key = f"p{len(params)}"
        params[key] = v
        return sql.Placeholder(key)

    for column, wanted in (where or {}).items():
        if isinstance(wanted, list | tuple | set | frozenset):
            parts.append(
                sql.SQL("{} = ANY({})").format(name(column), value([_plain(v) for v in wanted]))
            )
        else:
            parts.append(sql.SQL("{} = {}").format(name(column), value(_plain(wanted))))
    for column, (low, high) in (between or {}).items():
        for bound, op in ((low, ">="), (high, "<")):
            if bound is not None:
                parts.append(
                    sql.SQL("{} {} {}").format(name(column), sql.SQL(op), value(_plain(bound)))
                )
    if bbox is not None:
        corners = sql.SQL(", ").join(value(float(v)) for v in bbox)
        parts.append(
            # && alone compares the index's float4 boxes: a point just outside passes.
            sql.SQL("ST_Intersects({}, ST_MakeEnvelope({}, 4326))").format(name(GEOMETRY), corners)
        )
    if within is not None:
        parts.append(
            sql.SQL("ST_Covers(ST_GeomFromWKB({}, 4326), {})").format(
                value(shapely.to_wkb(within)), name(GEOMETRY)
            )
        )
    condition = sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")
    return condition, params
