"""Which layer a user's file most likely fills, from its geometry and its name.

The Data page pre-selects this layer when a file is chosen: a grid boundary Shapefile
imported as incidents (the old fixed default) failed on every row with "not a point", and
new users did not see why.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from gridmap.io._drivers import check_content, gdal_path, inspect_geopackage
from gridmap.io._files import TABLE_FORMATS, VECTOR_FORMATS, check_path, upload_limit
from gridmap.io._vector import _list_layers, _stage_file, _stage_zip
from gridmap.schema import LAYERS

#: Words in a file's (or layer's) name that say which layer it is, checked in this order
#: (``热点`` before ``点``-less words; ``网格`` before ``格``-less ones). Chinese office
#: ledgers are named for what they list: 网格划分.shp, 守望岗位.xlsx, 重点目标.csv.
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "hotspots": ("hotspot", "hot_spot", "热点"),
    "tracks": ("track", "gps", "轨迹", "定位"),
    "grids": ("grid", "网格", "格网"),
    "streets": ("street", "road", "路网", "道路", "街巷", "centerline", "centreline"),
    "posts": ("post", "岗", "警务站", "驿站", "sentinel"),
    "sites": ("site", "school", "hospital", "重点", "学校", "医院", "目标", "场所"),
    "buildings": ("building", "建筑", "楼栋", "房屋"),
    "incidents": ("incident", "crime", "call", "警情", "事件", "案件", "诉求", "12345", "110"),
}

#: The layer each kind of geometry fills when the name says nothing.
_BY_GEOMETRY = {"Point": "incidents", "LineString": "streets", "Polygon": "grids"}


def _geometry_kind(geometry_type: str | None) -> str | None:
    """'Point', 'LineString' or 'Polygon' for an OGR geometry type name (Multi, Z, M too)."""
    if not geometry_type:
        return None
    name = geometry_type.replace("Multi", "").replace(" Z", "").replace(" M", "").strip()
    name = re.sub(r"(Z|M|ZM)$", "", name)
    return name if name in _BY_GEOMETRY else None


def _by_name(name: str, kind: str | None) -> str | None:
    """The layer `name` speaks of whose geometry is `kind` (any, for ``None``)."""
    lowered = name.lower()
    for layer, words in NAME_HINTS.items():
        if any(word in lowered for word in words) and kind in (None, LAYERS[layer].geometry):
            return layer
    return None


def suggest_layer(path: str | os.PathLike[str], *, part: str | None = None) -> str:
    """The layer a file most likely fills: by its geometry, then by its name.

    Polygons fill ``grids`` (``buildings`` or ``hotspots`` when the name says so), lines
    ``streets``, points ``incidents`` (``posts`` or ``sites`` when the name says so). A
    table (CSV, Excel) has points: its name decides among the point layers, else
    ``incidents``; a GPX file ``tracks``. GIS files are opened as for an import (staged
    privately, checked against their extension, one allowed driver), but only their layer
    list is read.

    Parameters
    ----------
    path : path-like
        The file, as for :func:`gridmap.io.import_file`.
    part : str, optional
        The worksheet, GeoPackage layer or zip member chosen, whose name counts too.

    Returns
    -------
    str
        A key of :data:`gridmap.schema.LAYERS`; ``"incidents"`` when nothing tells.

    Raises
    ------
    ImportFileError
        when a GIS file cannot be opened as what its extension says.

    Examples
    --------
    >>> from gridmap.datasets import get_path
    >>> suggest_layer(get_path("helsinki"), part="streets")
    'streets'
    """
    checked = check_path(path, upload_limit(None))
    suffix = checked.suffix.lower()
    names = " ".join(filter(None, [part, Path(checked.name).stem]))
    if suffix in TABLE_FORMATS or suffix not in VECTOR_FORMATS:
        return _by_name(names, "Point") or "incidents"
    fmt = VECTOR_FORMATS[suffix]
    if fmt == "gpx":  # GPS fixes: the tracks layer is what gridmap reads from a GPX file
        return "tracks"
    with tempfile.TemporaryDirectory(prefix="gridmap-suggest-") as folder:
        if fmt == "zip":
            staged, fmt = _stage_zip(checked, Path(folder), part, upload_limit(None), [])
        else:
            staged = _stage_file(checked, fmt, Path(folder), [])
        check_content(staged, fmt, checked.name)
        views = inspect_geopackage(staged, checked.name) if fmt == "gpkg" else set()
        listed = _list_layers(gdal_path(staged, fmt), checked.name)
    layers = [(name, kind) for name, kind in listed if name.lower() not in views]
    if fmt == "gpkg" and part is not None:
        # the part chosen, even a view (a workspace's layers are views of their versions)
        layers = [(name, kind) for name, kind in listed if name == part] or layers
    kind = _geometry_kind(layers[0][1]) if layers else None
    return _by_name(names, kind) or _BY_GEOMETRY.get(kind or "", "incidents")
