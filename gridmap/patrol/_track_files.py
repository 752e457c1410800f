"""Reading GPS track files (GPX and CSV) into fixes: :func:`read_track`.

Kept apart from :mod:`gridmap.patrol.tracks` (cleaning and measures), which re-exports it.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ImportFileError, ValidationError
from gridmap.i18n import Message

_TIME = ("time", "timestamp", "datetime", "时间", "定位时间", "gps_time")
_LON = ("lon", "lng", "long", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")
_UNIT = ("unit", "单位", "警号", "车号", "device", "设备")


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _gpx_frame(p: Path, limit: int) -> pd.DataFrame:
    """Track points of a GPX file (unit, time text, lon, lat), by :func:`gridmap.io.read_gpx`.

    The one GPX reader the imports use too (streamed, no document types); its file-level
    errors are raised here as this function's `path` errors.
    """
    from gridmap.io import read_gpx

    size = p.stat().st_size
    if size > limit:
        raise ValidationError(
            Message("track_too_large", name=p.name, size=size / 2**20, limit=limit / 2**20)
        )
    try:
        return read_gpx(p, max_bytes=limit).frame
    except ImportFileError as exc:
        said = exc.args[0]
        key = getattr(said, "key", None)
        if key == "gpx_document_type":
            raise ValidationError(Message("track_gpx_dtd", name=p.name)) from None
        if key == "gpx_unreadable":
            detail = said.values["detail"]
            raise ValidationError(Message("track_unreadable", name=p.name, detail=detail)) from None
        raise ValidationError(*exc.args) from None


def _csv_frame(p: Path, limit: int, unit: str | None) -> pd.DataFrame:
    from gridmap.io import read_table

    table = read_table(p, max_bytes=limit)  # encodings, delimiters and size as imports do
    cols = [str(c) for c in table.columns]
    t, x, y, u = _pick(cols, _TIME), _pick(cols, _LON), _pick(cols, _LAT), _pick(cols, _UNIT)
    if x is None or y is None:
        msg = f"`path` {p.name} needs longitude and latitude columns (lon/lat, 经度/纬度)"
        raise ValidationError(msg)
    return pd.DataFrame(
        {
            "unit": table[u] if u else (unit or p.stem),
            "time": table[t] if t else None,
            "lon": pd.to_numeric(table[x], errors="coerce"),
            "lat": pd.to_numeric(table[y], errors="coerce"),
        }
    )


def _parse_times(values: pd.Series) -> pd.Series:
    """Times as naive timestamps: with a zone converted to UTC, without one kept as written.

    A file mixing both (or several zones) no longer fails: every value is read on its own.
    """
    text = values.astype("string")
    try:  # one zone or none throughout (the usual file): a single fast pass
        return _to_times(text, utc=False)
    except ValueError:  # pandas refuses to mix zones in one column: split them
        pass
    aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False)
    # Milliseconds, not nanoseconds: a year like -1 or 9999 must reach clean_track, which drops
    # it as impossible, instead of failing here as out of the nanosecond range.
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ms]")
    for part, utc in ((~aware, False), (aware, True)):
        if part.any():
            out[part] = _to_times(text[part], utc=utc)
    return out


def _to_times(text: pd.Series, *, utc: bool) -> pd.Series:
    """Parse ISO 8601 fast (one C pass), and only what that missed value by value."""
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    parsed = parsed.astype("datetime64[ms]")
    again = parsed.isna() & text.notna()
    if again.any():
        slow = pd.to_datetime(text[again], errors="coerce", format="mixed", utc=utc)
        if getattr(slow.dt, "tz", None) is not None:
            slow = slow.dt.tz_convert(None)
        parsed[again] = slow.astype("datetime64[ms]")
    return parsed


def read_track(
    path: str | os.PathLike[str], *, unit: str | None = None, max_bytes: int | None = None
) -> gpd.GeoDataFrame:
    """Read a GPS track from a GPX or CSV file into fixes (``unit``, ``time``, geometry).

    CSV goes through :func:`gridmap.io.read_table` (any encoding and delimiter the import
    path reads); coordinates WGS-84 longitude/latitude. Times with a zone are converted to
    UTC, times without one kept as they are (local time); unparseable times become
    missing. Fixes with missing or impossible coordinates keep an empty geometry, so that
    :func:`clean_track` drops them and says how many: the good fixes of a file are kept.
    `unit` names the unit when the file has none.

    Raises
    ------
    ValidationError
        The file is larger than `max_bytes` (default the upload limit,
        :func:`gridmap.io.upload_limit`), not GPX or CSV, unreadable, a GPX file with a
        document type (entities), a CSV without coordinate columns, or without a single
        fix with valid coordinates.
    """
    from gridmap.io._files import upload_limit  # not re-exported by gridmap.io yet

    p = Path(path)
    limit = upload_limit(max_bytes)
    suffix = p.suffix.lower()
    if suffix == ".gpx":
        frame = _gpx_frame(p, limit)
        if unit is not None:
            frame["unit"] = unit
    elif suffix in (".csv", ".txt"):
        frame = _csv_frame(p, limit, unit)
    else:
        msg = f"`path` must be a .gpx or .csv file; got {p.name!r}"
        raise ValidationError(msg)
    frame["time"] = _parse_times(frame["time"])
    lon = pd.to_numeric(frame["lon"], errors="coerce").astype(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").astype(float)
    good = (lon.between(-180, 180) & lat.between(-90, 90)).to_numpy()
    if len(frame) and not good.any():
        raise ValidationError(Message("track_no_fixes", name=p.name))
    geometry = np.full(len(frame), None, dtype=object)
    geometry[good] = shapely.points(lon.to_numpy()[good], lat.to_numpy()[good])
    return gpd.GeoDataFrame(
        frame[["unit", "time"]].reset_index(drop=True),
        geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
