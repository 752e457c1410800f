"""Plumbing shared by the layer functions of :mod:`gridmap.maps`.

Private: the public names here (:func:`shift_to_gcj02`, :func:`aggregate_to_cells`) are
re-exported by :mod:`gridmap.maps`. What a layer sends to the browser is built on the server:
GeoJSON features with rounded coordinates, escaped tooltips, checked colours, the GCJ-02
shift; too many points are first summed into cells with :func:`aggregate_to_cells`.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from folium.utilities import JsCode

from gridmap import crs as gcrs
from gridmap._errors import ValidationError
from gridmap.maps._base import Shift

_COLOR_RE = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9.,%\s]+\)")


def _check_color(color: str, argument: str) -> str:
    if not isinstance(color, str) or not _COLOR_RE.fullmatch(color.strip()):
        msg = f"`{argument}` must be a CSS colour such as '#e31a1c'; got {color!r}"
        raise ValidationError(msg)
    return color.strip()


def _shift_of(parent: Any) -> Shift:
    node = parent
    while node is not None:
        shift = getattr(node, "gridmap_shift", None)
        if shift is not None:
            return shift  # type: ignore[no-any-return]
        node = getattr(node, "_parent", None)
    return None


def _map_of(parent: Any) -> folium.Map:
    node = parent
    while node is not None and not isinstance(node, folium.Map):
        node = getattr(node, "_parent", None)
    if node is None:
        msg = (
            "`m` must be a folium map or a layer already added to one (a legend or layer "
            "control needs the map: add the group to the map first, or pass legend=False)"
        )
        raise ValidationError(msg)
    return node


def shift_to_gcj02(geometries: Any) -> npt.NDArray[np.object_]:
    """Shift WGS-84 geometries into GCJ-02 (vectorised over all coordinates)."""

    def shift(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = gcrs.wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geometries, dtype=object), shift)  # type: ignore[no-any-return]


def _geometries_json(
    geoms: Any, *, precision: int = 6, simplify: float = 0.0
) -> list[dict[str, Any]]:
    arr = np.asarray(geoms, dtype=object)
    if simplify > 0:
        arr = shapely.simplify(arr, simplify, preserve_topology=True)
    arr = shapely.transform(arr, lambda c: np.round(c, precision))
    if not len(arr):
        return []
    return json.loads("[" + ",".join(shapely.to_geojson(arr).tolist()) + "]")  # type: ignore[no-any-return]


def _feature_collection(
    geoms: Any, properties: Mapping[str, Sequence[Any]], **kwargs: Any
) -> dict[str, Any]:
    geometries = _geometries_json(geoms, **kwargs)
    keys = list(properties)
    columns = [list(properties[k]) for k in keys]
    features = [
        {"type": "Feature", "geometry": g, "properties": dict(zip(keys, row, strict=True))}
        for g, *row in zip(geometries, *columns, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _format_number(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not math.isfinite(v):
        return "—"
    if v.is_integer():
        return str(int(v))
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _cell_texts(values: pd.Series) -> list[str]:
    """Escaped display text of each value (numbers formatted, missing as a dash)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return [_format_number(v) for v in values.tolist()]
    return ["—" if pd.isna(v) else html.escape(str(v)) for v in values.tolist()]


def _tooltips(
    gdf: pd.DataFrame,
    *,
    label_column: str | None,
    rows: Sequence[tuple[str, pd.Series]],
) -> list[str]:
    parts: list[list[str]] = [[] for _ in range(len(gdf))]
    if label_column is not None:
        for part, text in zip(parts, _cell_texts(gdf[label_column]), strict=True):
            part.append(f"<b>{text}</b>")
    for label, values in rows:
        head = html.escape(label)
        for part, text in zip(parts, _cell_texts(values), strict=True):
            part.append(f"{head}: {text}")
    return ["<br>".join(p) for p in parts]


def _tooltip_rows(
    gdf: pd.DataFrame, tooltip_columns: Sequence[str] | Mapping[str, str]
) -> list[tuple[str, pd.Series]]:
    pairs = (
        list(tooltip_columns.items())
        if isinstance(tooltip_columns, Mapping)
        else [(c, c) for c in tooltip_columns]
    )
    _require_columns(gdf, [c for c, _ in pairs], "tooltip_columns")
    return [(label, gdf[column]) for column, label in pairs]


def _require_columns(gdf: pd.DataFrame, columns: Iterable[str | None], argument: str) -> None:
    missing = [c for c in columns if c is not None and c not in gdf.columns]
    if missing:
        msg = f"`{argument}`: column(s) {', '.join(map(str, missing))} not in the data"
        raise ValidationError(msg)


def _geojson_layer(
    parent: Any,
    data: dict[str, Any],
    *,
    name: str | None,
    show: bool = True,
    **options: Any,
) -> folium.GeoJson:
    tooltip_js = JsCode(
        "function (feature, layer) {\n"
        "    if (feature.properties.tip) {\n"
        "        layer.bindTooltip(feature.properties.tip, {sticky: true});\n"
        "    }\n"
        "}"
    )
    layer = folium.GeoJson(
        data,
        name=name,
        control=name is not None,
        show=show,
        on_each_feature=None if options.get("interactive") is False else tooltip_js,
        **options,
    )
    layer.add_to(parent)
    return layer


def _ensure_pane(m: folium.Map, pane: tuple[str, int]) -> str:
    name, z_index = pane
    if not any(
        isinstance(c, folium.map.CustomPane) and c.name == name for c in m._children.values()
    ):
        folium.map.CustomPane(name, z_index=z_index, pointer_events=False).add_to(m)
    return name


def aggregate_to_cells(
    points_gdf: gpd.GeoDataFrame,
    *,
    cell_size_m: float,
    crs: Any,
    weights: str | Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Count points in square cells of a metric CRS; return the non-empty cells in WGS-84.

    Cells are aligned on multiples of `cell_size_m` from the CRS origin, so counts of
    different layers or periods in the same CRS share the same cells. Vectorised: the cell
    of each point is a floor division, the counts come from :func:`numpy.unique`.

    Parameters
    ----------
    points_gdf : GeoDataFrame
        Points in any CRS (empty and missing geometries are ignored).
    cell_size_m : float
        Cell side in metres.
    crs : anything pyproj understands
        Projected CRS in metres to draw the cells in (e.g. :func:`gridmap.crs.working_crs`).
    weights : column name or sequence, optional
        Per-point weights summed into a ``weight`` column.

    Returns
    -------
    GeoDataFrame
        ``cell_id`` ("col_row"), ``col``, ``row``, ``count`` (and ``weight``), square cell
        polygons in EPSG:4326, one row per non-empty cell, ordered by column then row.
    """
    if not isinstance(points_gdf, gpd.GeoDataFrame) or points_gdf.crs is None:
        msg = "`points_gdf` must be a GeoDataFrame with a coordinate reference system"
        raise ValidationError(msg)
    try:
        cell = float(cell_size_m)
    except (TypeError, ValueError):
        cell = math.nan
    if not (math.isfinite(cell) and cell > 0):
        msg = f"`cell_size_m` must be a positive number of metres; got {cell_size_m!r}"
        raise ValidationError(msg)
    target = pyproj.CRS.from_user_input(crs)
    units = {a.unit_name for a in target.axis_info}
    if not target.is_projected or not units <= {"metre"}:
        msg = f"`crs` must be a projected CRS in metres; got {target.name}"
        raise ValidationError(msg)
    w: npt.NDArray[np.float64] | None = None
    if weights is not None:
        if isinstance(weights, str):
            _require_columns(points_gdf, [weights], "weights")
            w = pd.to_numeric(points_gdf[weights], errors="coerce").to_numpy(dtype=float)
        else:
            w = np.asarray(weights, dtype=float)
        if w.shape != (len(points_gdf),) or not np.isfinite(w).all():
            msg = "`weights` must give one finite number per point"
            raise ValidationError(msg)
    geoms = points_gdf.geometry
    keep = ~(geoms.isna() | geoms.is_empty).to_numpy()
    if (geoms[keep].geom_type != "Point").any():
        msg = "`points_gdf` must hold points"
        raise ValidationError(msg)
    projected = points_gdf.loc[keep].to_crs(target).geometry
    x = shapely.get_x(projected.array)
    y = shapely.get_y(projected.array)
    finite = np.isfinite(x) & np.isfinite(y)
    col = np.floor_divide(x[finite], cell).astype(np.int64)
    row = np.floor_divide(y[finite], cell).astype(np.int64)
    cells, inverse, counts = np.unique(
        np.column_stack([col, row]).reshape(-1, 2), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    result = pd.DataFrame(
        {
            "cell_id": [f"{c}_{r}" for c, r in cells.tolist()],
            "col": cells[:, 0],
            "row": cells[:, 1],
            "count": counts.astype(np.int64),
        }
    )
    if w is not None:
        result["weight"] = np.bincount(inverse, weights=w[keep][finite], minlength=len(cells))
    boxes = shapely.box(
        cells[:, 0] * cell, cells[:, 1] * cell, (cells[:, 0] + 1) * cell, (cells[:, 1] + 1) * cell
    )
    return gpd.GeoDataFrame(result, geometry=boxes, crs=target).to_crs("EPSG:4326")
