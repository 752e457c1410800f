"""Topology check of a grids layer, and the fixes that are safe to make in one click.

Grids drawn in other tools arrive with overlaps of half a metre, gaps, slivers, self-
crossing (bow-tie) rings and grids in several pieces. :func:`check_topology` locates each
problem (a geometry), names its kind and the grids involved; :func:`fix_topology` repairs
invalid rings (``make_valid``), gives overlaps to one grid, and absorbs gaps, slivers and
small stray parts into the neighbouring grid with the longest shared edge. Large stray parts
and grids crossing their community are reported, never moved automatically.

Work happens in a metric CRS (m, m²); results come back in the layer's own CRS.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.grids.blocks import metric_crs_of
from gridmap.grids.codes import code_at_level

#: Pieces smaller than this (m²) are slivers: digitising noise, not land a grid worker serves.
SLIVER_AREA = 50.0
#: Pieces thinner than this mean width (2·area/perimeter, m) are slivers too.
SLIVER_WIDTH = 1.0
#: Overlaps and gaps smaller than this (m²) are floating-point noise and not reported.
NOISE_AREA = 0.01

KINDS = (
    "invalid",
    "multipart",
    "sliver",
    "overlap",
    "gap",
    "outside_community",
    "crosses_community",
)

_COLUMNS = ["kind", "grid_codes", "area_m2", "detail", "geometry"]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _gaps(union: shapely.Geometry, snap: float) -> list[shapely.Geometry]:
    """Holes of `union`, and notches narrower than 2·`snap` m along its edges."""
    if shapely.is_empty(union):
        return []
    out = [
        shapely.Polygon(shapely.get_interior_ring(part, n))
        for part in shapely.get_parts(union)
        for n in range(shapely.get_num_interior_rings(part))
    ]
    if snap > 0:
        closed = shapely.buffer(
            shapely.buffer(union, snap, join_style="mitre"), -snap, join_style="mitre"
        )
        out.extend(shapely.get_parts(_polygonal(shapely.difference(closed, union))))
    pieces = shapely.get_parts(shapely.union_all(np.array(out, dtype=object))) if out else []
    return [p for p in pieces if p.area > NOISE_AREA]


def _is_sliver(geoms: np.ndarray, area: float, width: float) -> np.ndarray:
    a = shapely.area(geoms)
    return (a < area) | (2 * a / np.maximum(shapely.length(geoms), 1e-12) < width)


def check_topology(
    grids: gpd.GeoDataFrame,
    *,
    communities: gpd.GeoDataFrame | None = None,
    sliver_area: float = SLIVER_AREA,
    sliver_width: float = SLIVER_WIDTH,
    snap: float = 0.5,
) -> gpd.GeoDataFrame:
    """Locate topology problems of a grids layer.

    Parameters
    ----------
    grids : GeoDataFrame
        The grids layer (``grid_code``), any CRS.
    communities : GeoDataFrame, optional
        Community outlines with a 12-digit ``code`` column. Without them a community is the
        dissolve of its grids by code prefix, and a grid overlapping a grid of another
        community is reported as crossing its community.
    sliver_area, sliver_width : float
        A grid or a part of one smaller than `sliver_area` m² or thinner than
        `sliver_width` m (mean width) is a sliver.
    snap : float, default 0.5
        Gaps are holes between grids and notches narrower than 2·`snap` m along the
        outline (a gap between two grids that opens onto the community edge).

    Returns
    -------
    GeoDataFrame
        One row per problem, in the CRS of `grids`: ``kind`` (one of :data:`KINDS`),
        ``grid_codes`` (comma-separated), ``area_m2``, ``detail`` and the geometry where it
        is (the overlap, the gap, the stray part, the point where a ring crosses itself).
    """
    if "grid_code" not in grids.columns:
        msg = "`grids` must have a grid_code column"
        raise ValidationError(msg)
    crs = metric_crs_of(grids)
    g = grids.to_crs(crs) if grids.crs != crs else grids
    codes = g["grid_code"].astype(str).to_numpy()
    raw = g.geometry.to_numpy()
    rows: list[dict[str, Any]] = []

    valid = shapely.is_valid(raw)
    for k in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(raw[k])
        where = _reason_point(reason) or shapely.point_on_surface(raw[k])
        rows.append(_row("invalid", [codes[k]], 0.0, reason, where))
    geoms = np.array([_polygonal(x) for x in shapely.make_valid(raw)], dtype=object)

    for k, geom in enumerate(geoms):
        parts = shapely.get_parts(geom)
        if len(parts) > 1:
            order = np.argsort(-shapely.area(parts))
            stray = shapely.union_all(parts[order[1:]])
            rows.append(_row("multipart", [codes[k]], stray.area, f"{len(parts)} parts", stray))
        thin = parts[_is_sliver(parts, sliver_area, sliver_width)] if len(parts) else parts
        if len(thin) and (len(thin) < len(parts) or len(parts) == 1):
            sliver = shapely.union_all(thin)
            rows.append(_row("sliver", [codes[k]], sliver.area, "sliver", sliver))

    community = code_at_level(pd.Series(codes), "community").to_numpy()
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    overlap = shapely.intersection(geoms[i], geoms[j])
    overlap = np.array([_polygonal(x) for x in overlap], dtype=object)
    area = shapely.area(overlap)
    for a, b, geom, size in zip(i, j, overlap, area, strict=True):
        if size <= NOISE_AREA:
            continue
        kind = (
            "overlap"
            if community[a] == community[b] or communities is not None
            else "crosses_community"
        )
        rows.append(_row(kind, [codes[a], codes[b]], size, "", geom))

    holes = _gaps(shapely.union_all(geoms), snap)
    if communities is not None:
        comm = communities.to_crs(crs) if communities.crs != crs else communities
        for ccode, outline in zip(comm["code"].astype(str), comm.geometry, strict=True):
            members = geoms[community == ccode]
            covered = shapely.union_all(members) if len(members) else shapely.Polygon()
            missing = shapely.difference(outline, covered)
            holes.extend(p for p in shapely.get_parts(_polygonal(missing)))
            for k in np.flatnonzero(community == ccode):
                outside = _polygonal(shapely.difference(geoms[k], outline))
                if outside.area > NOISE_AREA:
                    rows.append(_row("outside_community", [codes[k]], outside.area, ccode, outside))
    holes_arr = np.array(holes, dtype=object)
    if len(holes_arr):
        holes_arr = shapely.get_parts(shapely.union_all(holes_arr))
    for hole in holes_arr:
        if hole.area <= NOISE_AREA:
            continue
        near = tree.query(hole, predicate="intersects")
        rows.append(_row("gap", [codes[n] for n in near], hole.area, "", hole))

    issues = gpd.GeoDataFrame(rows, columns=_COLUMNS, geometry="geometry", crs=crs)
    return issues.to_crs(grids.crs) if grids.crs != crs else issues


def _row(kind: str, codes: list[str], area: float, detail: str, geom: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "grid_codes": ",".join(sorted(dict.fromkeys(codes))),
        "area_m2": float(area),
        "detail": detail,
        "geometry": geom,
    }


def _reason_point(reason: str) -> shapely.Point | None:
    if "[" not in reason:
        return None
    try:
        x, y = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
        return shapely.Point(float(x), float(y))
    except ValueError:
        return None


def fix_topology(
    grids: gpd.GeoDataFrame,
    *,
    sliver_area: float = SLIVER_AREA,
    sliver_width: float = SLIVER_WIDTH,
    stray_area: float = 500.0,
    snap: float = 0.5,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Make the safe fixes: valid rings, no overlaps, no gaps, no slivers or small strays.

    In order: ``make_valid`` every grid; give each overlap to one grid (it is cut out of the
    others and treated as a gap); fill each gap, sliver and stray part smaller than
    `stray_area` m² into the neighbouring grid with the longest shared edge (boundary within
    `snap` m counts as shared). Larger stray parts and grids crossing their community stay
    as they are — they need a planner.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The fixed layer (same rows, columns and CRS) and a log: ``fix``, ``grid_code``
        (the grid that changed), ``area_m2``.
    """
    if "grid_code" not in grids.columns:
        msg = "`grids` must have a grid_code column"
        raise ValidationError(msg)
    crs = metric_crs_of(grids)
    g = grids.to_crs(crs) if grids.crs != crs else grids.copy()
    codes = g["grid_code"].astype(str).to_numpy()
    log: list[dict[str, Any]] = []
    raw = g.geometry.to_numpy()
    geoms = np.array([_polygonal(x) for x in shapely.make_valid(raw)], dtype=object)
    for k in np.flatnonzero(~shapely.is_valid(raw)):
        log.append({"fix": "make_valid", "grid_code": codes[k], "area_m2": 0.0})

    loose: list[shapely.Geometry] = []
    # Overlaps: cut out of both grids, handed back below as gaps.
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    for a, b in zip(i[keep], j[keep], strict=True):
        piece = _polygonal(shapely.intersection(geoms[a], geoms[b]))
        if piece.area > NOISE_AREA:
            geoms[a] = _polygonal(shapely.difference(geoms[a], piece))
            geoms[b] = _polygonal(shapely.difference(geoms[b], piece))
            loose.append(piece)
            log.append(
                {"fix": "overlap", "grid_code": f"{codes[a]},{codes[b]}", "area_m2": piece.area}
            )
    # Slivers and small stray parts leave their grid.
    for k, geom in enumerate(geoms):
        parts = shapely.get_parts(geom)
        if len(parts) <= 1:
            continue
        order = np.argsort(-shapely.area(parts))
        main, rest = parts[order[0]], parts[order[1:]]
        small = (shapely.area(rest) < stray_area) | _is_sliver(rest, sliver_area, sliver_width)
        if small.any():
            geoms[k] = shapely.union_all([main, *rest[~small]])
            loose.extend(rest[small])
    # Gaps: holes of the union and narrow notches along its outline.
    loose.extend(_gaps(shapely.union_all(geoms), snap))
    if loose:
        pieces = shapely.get_parts(shapely.union_all(np.array(loose, dtype=object)))
        for piece in sorted(pieces, key=lambda p: p.area):
            target = _longest_edge(piece, geoms, snap)
            if target is None:
                continue
            geoms[target] = _polygonal(shapely.union(geoms[target], piece))
            log.append({"fix": "absorbed", "grid_code": codes[target], "area_m2": piece.area})
    # Tiny slivers left between snapped edges close with a zero-width buffer.
    g = g.set_geometry(shapely.buffer(geoms, 0))
    out = g.to_crs(grids.crs) if grids.crs != crs else g
    return out, pd.DataFrame(log, columns=["fix", "grid_code", "area_m2"])


def _longest_edge(piece: shapely.Geometry, geoms: np.ndarray, snap: float) -> int | None:
    near = np.flatnonzero(shapely.dwithin(geoms, piece, snap))
    if not len(near):
        return None
    ring = shapely.boundary(piece)
    shared = shapely.length(shapely.intersection(ring, shapely.buffer(geoms[near], snap)))
    return int(near[np.argmax(shared)])
