"""Argument checks and small array helpers shared by the patrol modules (private)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gridmap._errors import ValidationError
from gridmap._validate import check_metric_crs as check_metric_crs
from gridmap._validate import check_positive as check_positive

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Travel modes of posts and patrol units.
MODES: tuple[str, ...] = ("walk", "bike", "car")


def check_mode(mode: Any, name: str = "mode") -> str:
    """`mode` if it is one of :data:`MODES`, else ValidationError."""
    if not isinstance(mode, str) or mode not in MODES:
        msg = f"`{name}` must be one of {', '.join(MODES)}; got {mode!r}"
        raise ValidationError(msg)
    return mode


def check_frame(frame: Any, name: str, kinds: tuple[str, ...]) -> gpd.GeoDataFrame:
    """`frame` if it is a GeoDataFrame with a CRS and only `kinds` geometries, else error."""
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame; got {type(frame).__name__}"
        raise ValidationError(msg)
    if frame.crs is None and len(frame):
        msg = f"`{name}` has no coordinate reference system (set its CRS first)"
        raise ValidationError(msg)
    geoms = frame.geometry.values
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        rows = ", ".join(map(str, frame.index[bad][:5]))
        msg = f"`{name}` has {int(bad.sum())} row(s) without geometry (rows {rows})"
        raise ValidationError(msg)
    types = set(np.unique(shapely.get_type_id(geoms)).tolist())
    allowed = {_TYPE_IDS[k] for k in kinds}
    if types - allowed:
        found = sorted({_TYPE_NAMES[t] for t in types - allowed})
        msg = f"`{name}` must hold {' or '.join(kinds)} geometries; found {', '.join(found)}"
        raise ValidationError(msg)
    return frame


def to_crs(frame: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """`frame` in `crs` (no copy when it is already there)."""
    if frame.crs is None or pyproj.CRS(frame.crs) == crs:
        return frame
    return frame.to_crs(crs)


_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4,
             "MultiLineString": 5, "MultiPolygon": 6}  # fmt: skip
_TYPE_NAMES = {v: k for k, v in _TYPE_IDS.items()} | {2: "LinearRing", 7: "GeometryCollection"}
