"""Rows between GeoDataFrames and PostGIS tables: ``COPY`` in CSV both ways, geometry as
hex (E)WKB, and each column's pandas dtype kept so a layer reads back as written.

Why CSV through ``COPY``: it moves a million rows in about a second, with the text built
by vectorised pandas/numpy/shapely operations, not a Python loop over rows. NULL is an
unquoted empty field on the way in; on the way out NULL is ``\\N`` and every text value
is prefixed with ``v`` (stripped again), so an empty string, a NULL and a text that reads
``\\N`` stay three different things.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from gridmap._errors import StoreError
from gridmap.schema import STORAGE_CRS

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


def _csv_field(series: pd.Series, kind: str) -> pd.Series:
    """`series` as CSV fields for ``COPY … (FORMAT csv)``: NULL is an empty field."""
    missing = series.isna().to_numpy()
    if kind == "text":
        text = series.astype(object).where(~missing, "").astype(str)
        out = '"' + text.str.replace('"', '""', regex=False) + '"'
    elif kind == "boolean":
        out = pd.Series(np.where(series.fillna(False).astype(bool), "t", "f"), index=series.index)
    elif kind in ("timestamp", "timestamptz"):
        values = (
            series.dt.tz_convert("UTC").dt.tz_localize(None) if kind == "timestamptz" else series
        )
        stamps = np.datetime_as_string(values.to_numpy(dtype="datetime64[us]"), unit="us")
        out = pd.Series(stamps, index=series.index)
        if kind == "timestamptz":
            out = out + "+00"
    elif kind == "bigint":
        out = series.astype(object).where(~missing, 0).astype("int64").astype(str)
    else:
        out = pd.Series(series.to_numpy(dtype="float64").astype(str), index=series.index)
    return out.where(~missing, "")


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
    columns = [sql.SQL("{} bigint").format(sql.Identifier(ROW_ID))]
    columns += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kinds[c])) for c in attributes]
    columns.append(sql.SQL("{} geometry(Geometry, 4326)").format(sql.Identifier(GEOMETRY)))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(columns)))
    if len(frame):
        fields = [pd.Series(np.arange(len(frame)).astype(str))]
        fields += [_csv_field(frame[c].reset_index(drop=True), kinds[c]) for c in attributes]
        geoms = shapely.set_srid(frame.geometry.to_numpy(), 4326)
        wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
        fields.append(pd.Series(wkb).fillna(""))
        lines = fields[0].str.cat(fields[1:], sep=",")
        payload = ("\n".join(lines.tolist()) + "\n").encode("utf-8")
        target = sql.SQL(", ").join(sql.Identifier(c) for c in [ROW_ID, *attributes, GEOMETRY])
        query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, target)
        with con.cursor().copy(query) as copy:
            view = memoryview(payload)
            for start in range(0, len(view), 1 << 22):
                copy.write(view[start : start + (1 << 22)])
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
    for i, column in enumerate(c for c in attributes if kinds[c].startswith("timestamp")):
        con.execute(
            sql.SQL("CREATE INDEX {} ON {} ({})").format(
                sql.Identifier(f"{short}_t{i}"), table, sql.Identifier(column)
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
    """Read `declared` columns (and the geometry) of `table`, in the order written."""
    select = []
    for name, dtype in declared:
        column = sql.Identifier(name)
        if dtype.startswith("datetime64") and "," in dtype:
            select.append(sql.SQL("{} AT TIME ZONE 'UTC'").format(column))
        elif _sql_type(_pandas_dtype(dtype)) == "text":
            select.append(sql.SQL("'v' || {}").format(column))
        else:
            select.append(column)
    select.append(sql.SQL("encode(ST_AsBinary({}), 'hex')").format(sql.Identifier(GEOMETRY)))
    # COPY takes no bind parameters: the box goes in as literals.
    condition, _ = filters(None, None, bbox=bbox, literal=True)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {}").format(
        sql.SQL(", ").join(select), table, condition, sql.Identifier(ROW_ID)
    )
    if limit is not None:
        query += sql.SQL(" LIMIT {}").format(int(limit))
    query = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, NULL '\\N')").format(query)
    buffer = io.BytesIO()
    with con.cursor().copy(query) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    names = [name for name, _ in declared]
    if buffer.getbuffer().nbytes:
        raw = pd.read_csv(
            buffer,
            header=None,
            names=[*names, "__wkb"],
            dtype=str,
            keep_default_na=False,
            na_values=["\\N"],
            encoding="utf-8",
        )
    else:
        raw = pd.DataFrame({c: pd.Series([], dtype=str) for c in [*names, "__wkb"]})
    data = {}
    for name, dtype in declared:
        series = raw[name]
        if _sql_type(_pandas_dtype(dtype)) == "text":
            series = series.str.slice(1)
            data[name] = series.astype(dtype) if dtype in ("str", "string", "object") else series
        elif (
            dtype.startswith(("int", "uint"))
            or dtype.startswith(("Int", "UInt"))
            or dtype.startswith("float")
        ):
            data[name] = pd.to_numeric(series).astype(dtype)
        else:
            data[name] = as_dtype(series, dtype)
    wkb = raw["__wkb"].to_numpy(dtype=object)
    geometry = shapely.from_wkb(np.where(pd.isna(wkb), None, wkb))
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=geometry, crs=STORAGE_CRS)


def _pandas_dtype(dtype: str) -> object:
    try:
        return pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return np.dtype(object)


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
    literal: bool = False,
) -> tuple[sql.Composable, dict[str, object]]:
    """A SQL condition and its parameters for `where`, `between` and a 4326 `bbox`.

    With `literal`, values are quoted into the SQL (for ``COPY``) and no parameters are
    returned.
    """
    parts: list[sql.Composable] = []
    params: dict[str, object] = {}

    def value(v: object) -> sql.Composable:
        key = f"p{len(params)}"
        params[key] = v
        return sql.Literal(v) if literal else sql.Placeholder(key)

    for column, wanted in (where or {}).items():
        if isinstance(wanted, list | tuple | set | frozenset):
            parts.append(
                sql.SQL("{} = ANY({})").format(
                    sql.Identifier(column), value([_plain(v) for v in wanted])
                )
            )
        else:
            parts.append(sql.SQL("{} = {}").format(sql.Identifier(column), value(_plain(wanted))))
    for column, (low, high) in (between or {}).items():
        for bound, op in ((low, ">="), (high, "<")):
            if bound is not None:
                parts.append(
                    sql.SQL("{} {} {}").format(
                        sql.Identifier(column), sql.SQL(op), value(_plain(bound))
                    )
                )
    if bbox is not None:
        corners = sql.SQL(", ").join(value(float(v)) for v in bbox)
        parts.append(
            # && alone compares the index's float4 boxes: a point just outside passes.
            sql.SQL("ST_Intersects({}, ST_MakeEnvelope({}, 4326))").format(
                sql.Identifier(GEOMETRY), corners
            )
        )
    condition = sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")
    return condition, ({} if literal else params)
