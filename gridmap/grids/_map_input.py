"""What a planner does on the Grids page's map: draw a split line, click blocks to move.

Private to :mod:`gridmap.grids.views`, which re-exports these names. The page hands over
what ``st_folium`` returns (``all_drawings``: GeoJSON features drawn with Leaflet.draw in
WGS-84 longitude/latitude; ``last_active_drawing`` / ``last_object_clicked``: the clicked
feature and where it was clicked); these functions turn it into the arguments of
:func:`gridmap.grids.edits.split_grid` and :func:`~gridmap.grids.edits.move_blocks`.
No Streamlit here: tests call the same functions with the same dicts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
import shapely.ops

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.grids.blocks import shared_lengths
from gridmap.i18n import Message, column_label, t

#: Fill of the blocks a planner has picked to move (the others are blue by households).
PICKED_COLOUR = "#d7301f"
#: Leaflet.draw offers only a polyline on the split map: markers, polygons and circles mean
#: nothing to a split.
DRAW_OPTIONS: dict[str, Any] = {
    "polyline": {"shapeOptions": {"color": "#d7301f", "weight": 4}},
    "polygon": False,
    "rectangle": False,
    "circle": False,
    "marker": False,
    "circlemarker": False,
}


def add_line_drawing(m: Any) -> maps.LocalDraw:
    """Add Leaflet.draw (vendored, offline) to `m`, offering a polyline only.

    Returns the control; ``st_folium`` then reports the drawn lines as ``all_drawings``.
    """
    control = maps.LocalDraw(
        export=False,
        position="topleft",
        show_geometry_on_click=False,
        draw_options=DRAW_OPTIONS,
        edit_options={"edit": False, "remove": True},
    )
    control.add_to(m)
    return control


def drawn_line(drawings: Sequence[Mapping[str, Any]] | None, crs: Any) -> shapely.LineString | None:
    """The last line drawn on the map, in `crs`, or None when no line was drawn.

    Parameters
    ----------
    drawings : list of GeoJSON features
        ``st_folium``'s ``all_drawings`` (WGS-84 longitude/latitude); features other than
        LineStrings are ignored.
    crs : anything pyproj reads
        The CRS of the blocks (metres).

    Raises
    ------
    ValidationError
        When the line has fewer than two distinct points or coordinates out of range.
    """
    lines = [
        f["geometry"]["coordinates"]
        for f in drawings or []
        if isinstance(f, Mapping)
        and isinstance(f.get("geometry"), Mapping)
        and f["geometry"].get("type") == "LineString"
    ]
    if not lines:
        return None
    try:
        points = np.asarray(lines[-1], dtype=float)[:, :2]
    except (TypeError, ValueError, IndexError):
        raise ValidationError(Message("grids_line_needs_two")) from None
    points = points[np.r_[True, np.any(np.diff(points, axis=0) != 0, axis=1)]]
    if len(points) < 2:
        raise ValidationError(Message("grids_line_needs_two"))
    lon, lat = points[:, 0], points[:, 1]
    if not (np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)):
        raise ValidationError(Message("grids_line_unreadable", text=str(lines[-1])[:80]))
    to = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    xs, ys = to.transform(lon, lat)
    return shapely.LineString(np.column_stack([xs, ys]))


def parse_line(text: str, crs: Any) -> shapely.LineString:
    """A line typed as ``lon,lat; lon,lat; …`` (WGS-84), in `crs`.

    >>> parse_line("24.93,60.16; 24.94,60.17", "EPSG:4326").wkt
    'LINESTRING (24.93 60.16, 24.94 60.17)'
    """
    points = []
    for part in re.split(r"[;\n]+", text.strip()):
        if not part.strip():
            continue
        numbers = re.split(r"[,\s，]+", part.strip())
        try:
            lon, lat = (float(v) for v in numbers if v)
        except ValueError:
            raise ValidationError(Message("grids_line_unreadable", text=part.strip())) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(Message("grids_line_unreadable", text=part.strip()))
        points.append((lon, lat))
    if len(points) < 2:
        raise ValidationError(Message("grids_line_needs_two"))
    to = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    xs, ys = to.transform([p[0] for p in points], [p[1] for p in points])
    return shapely.LineString(list(zip(xs, ys, strict=True)))


def grid_under_line(grids: gpd.GeoDataFrame, line: shapely.LineString, crs: Any) -> str:
    """The code of the grid a drawn `line` (in `crs`) splits.

    Among the grids the line runs through, one it divides into two or more parts wins,
    then the one holding the longest stretch of the line; when it divides none, the one
    holding the longest stretch (the split is then refused with the reason).

    Raises
    ------
    ValidationError
        When the line runs through no grid of `grids`.
    """
    metric = grids.to_crs(crs)
    geoms = metric.geometry.to_numpy()
    hit = np.flatnonzero(shapely.intersects(geoms, line))
    inside = shapely.length(shapely.intersection(geoms[hit], line)) if len(hit) else []
    hit = hit[np.asarray(inside) > 0] if len(hit) else hit
    if not len(hit):
        raise ValidationError(Message("grids_line_outside"))
    inside = shapely.length(shapely.intersection(geoms[hit], line))
    divides = np.array(
        [len(shapely.get_parts(shapely.ops.split(geoms[i], line))) >= 2 for i in hit]
    )
    best = hit[np.lexsort((-inside, ~divides))[0]]
    return str(metric["grid_code"].iloc[best])


def clicked_block(
    blocks: gpd.GeoDataFrame,
    feature: Mapping[str, Any] | None,
    where: Mapping[str, Any] | None = None,
) -> int | None:
    """The ``block_id`` a planner clicked on the blocks map, or None.

    Parameters
    ----------
    blocks : GeoDataFrame
        The blocks drawn (any CRS), with ``block_id``.
    feature : GeoJSON feature, optional
        ``st_folium``'s ``last_active_drawing``: its ``key`` property is the block id.
    where : {"lat": float, "lng": float}, optional
        ``last_object_clicked``, used when the feature carries no key: the block under
        that WGS-84 point.
    """
    ids = blocks["block_id"].to_numpy()
    props = feature.get("properties") if isinstance(feature, Mapping) else None
    key = props.get("key") if isinstance(props, Mapping) else None
    if key is not None:
        text = html.unescape(str(key))
        known = {str(b): b for b in ids.tolist()}
        if text in known:
            return int(known[text])
    if isinstance(where, Mapping) and {"lat", "lng"} <= set(where):
        try:
            lon, lat = float(where["lng"]), float(where["lat"])
        except (TypeError, ValueError):
            return None
        to = pyproj.Transformer.from_crs(4326, blocks.crs, always_xy=True)
        point = shapely.Point(*to.transform(lon, lat))
        inside = np.flatnonzero(shapely.intersects(blocks.geometry.to_numpy(), point))
        if len(inside):
            return int(ids[inside[0]])
    return None


def toggle(picked: Iterable[int], block: int | None) -> list[int]:
    """`picked` with `block` added, or removed when it was already there."""
    picked = [int(b) for b in picked]
    if block is None:
        return picked
    return [b for b in picked if b != block] if block in picked else [*picked, int(block)]


def neighbour_grids(blocks: gpd.GeoDataFrame, block_ids: Iterable[object]) -> list[str]:
    """Codes of the grids sharing an edge with the blocks `block_ids`, other than their own.

    These are the grids the blocks can move to (rook contiguity: a shared corner is not
    enough). Only grids of the blocks' community are listed, since blocks cannot leave it.
    """
    wanted = set(block_ids)
    ids = blocks["block_id"].to_numpy()
    moving = np.isin(ids, list(wanted))
    if not moving.any():
        return []
    codes = blocks["grid_code"].astype(str).to_numpy()
    own = set(codes[moving])
    communities = {c[:12] for c in own}
    near = np.isin(np.array([c[:12] for c in codes]), list(communities))
    local = np.flatnonzero(near)
    i, j, _ = shared_lengths(blocks.geometry.to_numpy()[local])
    a, b = local[i], local[j]
    out = set(codes[b[moving[a]]]) | set(codes[a[moving[b]]])
    return sorted(out - own)


def blocks_map(
    blocks: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    *,
    picked: Iterable[int] = (),
    lang: str,
    streets: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 520,
    credit: str | None = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """The blocks of `grids` to click: coloured by households, picked blocks red on top,
    grid outlines bold.

    Each block's ``key`` is its ``block_id`` (what :func:`clicked_block` reads back), so a
    click on a picked (red) block reports it too and drops it. Grid outlines are lines, so
    clicks inside a grid fall through to its blocks. `credit` is the workspace's
    (:func:`gridmap.maps.page_map`).
    """
    codes = set(grids["grid_code"].astype(str))
    mine = blocks[blocks["grid_code"].astype(str).isin(codes).to_numpy()]
    if not len(mine):
        raise ValidationError(Message("grids_no_blocks"))
    shown = mine.to_crs(4326)
    bounds = shown.total_bounds.tolist()
    m = maps.page_map(
        bounds=bounds,
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets,
        streets_margin=0.003,
    )
    ids = shown["block_id"].to_numpy()
    shown = shown.assign(
        block_name=[t("grids_block_n", lang, n=b) for b in ids.tolist()],
        grid_code=shown["grid_code"].astype(str),
        households=shown["households"].to_numpy(dtype=float).round(),
    )
    tooltip = {"grid_code": column_label("grid_code", lang)}
    maps.add_choropleth(
        m,
        shown,
        value_column="households",
        title=column_label("households", lang),
        label_column="block_name",
        tooltip_columns=tooltip,
        id_column="block_id",
        colors="Blues_09",
        name=t("grids_blocks_layer", lang),
    )
    picked_rows = shown[np.isin(ids, list(picked))]
    if len(picked_rows):
        maps.add_styled_features(
            m,
            picked_rows,
            fill=PICKED_COLOUR,
            line=PICKED_COLOUR,
            weight=2,
            fill_opacity=0.75,
            tips=[html.escape(str(n)) for n in picked_rows["block_name"]],
            keys=picked_rows["block_id"].tolist(),
            name=t("grids_blocks_picked", lang),
        )
    outlines = grids.to_crs(4326)
    outlines = outlines.set_geometry(outlines.geometry.boundary)
    maps.add_styled_features(
        m, outlines, fill=None, line="#222222", weight=2.5, name=t("grids_map_layer", lang)
    )
    maps.add_legend(
        m,
        title=t("grids_blocks_layer", lang),
        entries=[(PICKED_COLOUR, t("grids_blocks_picked", lang))],
        position="topright",
    )
    maps.layer_control(m)
    return m
