"""City blocks: the street-enclosed polygons grids are built from.

A grid follows streets (and rivers, railways), so planners draw it from *blocks*: the faces
of the street network inside a community or street. Blocks carry households (from buildings,
or spread from the grids' own counts) and form a rook-contiguity graph whose edges are
weighted by the length of the boundary two blocks share. Edits (:mod:`gridmap.grids.edits`)
move whole blocks between grids and automatic plans (:mod:`gridmap.grids.partition`) group
blocks, so every grid boundary runs along streets. An existing grid edge traced a few metres
off its street (within :data:`SNAP_TOLERANCE`) is taken to follow the street, so the strip
between them is no block of its own (:func:`grid_blocks`).

Everything here works in a metric CRS (metres, m²): inputs in longitude/latitude are
projected to the workspace's working CRS (:func:`gridmap.crs.working_crs`) first.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gridmap._errors import ValidationError
from gridmap.crs import working_crs

#: Ways that bound a block besides the driving network: grid boundaries follow streets,
#: lanes and footpaths a grid worker walks along (the sample's grids follow this rule).
BLOCK_EDGE_HIGHWAYS = ("pedestrian", "living_street", "service", "footway")
#: Faces smaller than this (m²) are not blocks of their own but slivers between carriageways,
#: traffic islands and digitising noise; they join the neighbour with the longest shared edge.
MIN_BLOCK_AREA = 200.0
#: Faces thinner than this mean width (2·area/perimeter, m) are slivers too.
MIN_BLOCK_WIDTH = 3.0
#: Grid edges within this distance (m) of a street line are taken to run along the street.
#: Boundaries digitised over imagery lie a few metres off the centrelines, and the strip
#: between edge and street is too wide for `MIN_BLOCK_WIDTH` yet no block of its own.
SNAP_TOLERANCE = 8.0
#: Share of its outline a strip has off the streets: the grid edge along one side of it
#: (about half); a face bounded by streets but for a short cut is no strip.
_STRIP_OFF_STREET = 0.25
#: A face's edge this close to a street line (m) lies on it: noding moves it by rounding.
_ON_STREET = 1e-3
#: Label of a face outside the grids' outer rings (-1 is a gap between grids).
_OUTSIDE = -2

_POLYGONAL = ("Polygon", "MultiPolygon")


def metric_crs_of(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> Any:
    """The metric CRS analysis uses for `frame`: its own if projected, else the working CRS."""
    if frame.crs is None:
        msg = "`frame` has no CRS: set one (EPSG:4326 for longitude/latitude) first"
        raise ValidationError(msg)
    if frame.crs.is_projected:
        return frame.crs
    bounds = frame.to_crs(4326).total_bounds
    return working_crs(tuple(float(b) for b in bounds))  # type: ignore[arg-type]


def _to(frame: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    return frame if frame.crs == crs else frame.to_crs(crs)


def _boundary_lines(
    streets: gpd.GeoDataFrame, *, highways: tuple[str, ...] | None
) -> gpd.GeoDataFrame:
    # Without a walk/drive `network` every line bounds blocks: a city's own centrelines
    # are its streets, and their `highway` is then the import's default class for all of
    # them, which says nothing about which ones a car uses (filtering on it left a city's
    # grids without a single street inside them).
    if highways is None or "network" not in streets.columns:
        return streets
    keep = (streets["network"] == "drive").to_numpy(copy=True)
    if "highway" in streets.columns:
        keep |= streets["highway"].isin(highways).to_numpy()
    return streets[keep]


def street_blocks(
    streets: gpd.GeoDataFrame,
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    barriers: gpd.GeoDataFrame | None = None,
    highways: tuple[str, ...] | None = BLOCK_EDGE_HIGHWAYS,
    min_area: float = MIN_BLOCK_AREA,
    min_width: float = MIN_BLOCK_WIDTH,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Blocks: the faces of the street network inside `area`.

    Streets (and `barriers`: rivers, railways, walls) are noded and polygonized together
    with the outline of `area`, so the blocks cover `area` exactly (their union is `area`).
    Faces smaller than `min_area` or thinner than `min_width` (slivers between carriageways,
    traffic islands) join the neighbouring block with which they share the longest edge.

    Parameters
    ----------
    streets : GeoDataFrame
        Street centre lines (the ``streets`` layer). With a ``network`` column (walk/drive)
        and `highways` given, only the driving network and these highway classes bound
        blocks; otherwise every line does.
    area : shapely geometry or GeoDataFrame or GeoSeries
        The community or street to cut into blocks. A bare geometry is in `crs`; frames are
        projected to it.
    barriers : GeoDataFrame, optional
        Further lines or polygons blocks must not cross (rivers, railways).
    highways : tuple of str or None
        Highway classes bounding blocks besides the driving network; None keeps all lines.
    min_area : float, default 200
        Smallest block, m².
    min_width : float, default 3
        Smallest mean width of a block (2·area/perimeter), m.
    crs : CRS, optional
        Metric CRS to work in; default the streets' own if projected, else the working CRS.

    Returns
    -------
    GeoDataFrame
        One row per block in `crs`: ``block_id`` (0, 1, … in reading order of creation),
        ``area_m2``.
    """
    if not isinstance(streets, gpd.GeoDataFrame):
        msg = "`streets` must be a GeoDataFrame of street lines"
        raise ValidationError(msg)
    crs = crs if crs is not None else metric_crs_of(streets)
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        area_geom = shapely.union_all(_to(gpd.GeoDataFrame(geometry=area.geometry), crs).geometry)
    else:
        area_geom = area
    if area_geom is None or shapely.is_empty(area_geom) or area_geom.geom_type not in _POLYGONAL:
        msg = "`area` must be a polygon (the community or street to cut into blocks)"
        raise ValidationError(msg)
    area_geom = shapely.make_valid(area_geom)
    lines = _to(_boundary_lines(streets, highways=highways), crs).geometry.to_numpy()
    if barriers is not None:
        extra = _to(barriers, crs).geometry.to_numpy()
        polygonal = np.isin(shapely.get_type_id(extra), (3, 6))
        extra = np.where(polygonal, shapely.boundary(extra), extra)
        lines = np.concatenate([lines, extra])
    near = lines[shapely.intersects(lines, area_geom)] if len(lines) else lines
    clipped = shapely.intersection(near, area_geom) if len(near) else near
    noded = shapely.union_all([*clipped, shapely.boundary(area_geom)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    # polygonize returns the faces of the linework; keep those inside the area.
    inside = shapely.contains_properly(area_geom, shapely.point_on_surface(faces)) | shapely.within(
        shapely.point_on_surface(faces), area_geom
    )
    faces = faces[inside & (shapely.area(faces) > 0)]
    faces, _ = absorb_small_faces(faces, min_area=min_area, min_width=min_width)
    return gpd.GeoDataFrame(
        {"block_id": np.arange(len(faces)), "area_m2": shapely.area(faces)},
        geometry=faces,
        crs=crs,
    )


def _small(faces: np.ndarray, min_area: float, min_width: float) -> np.ndarray:
    area = shapely.area(faces)
    width = 2.0 * area / np.maximum(shapely.length(faces), 1e-12)
    return (area < min_area) | (width < min_width)


def shared_lengths(
    geoms: np.ndarray, *, tolerance: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of polygons sharing a boundary and the length they share (m).

    Returns ``(i, j, length)`` with ``i < j`` and ``length > 0``. With `tolerance` 0 the
    neighbours must share their boundary's vertices exactly, as faces of one polygonize,
    one Voronoi diagram or one split do: ring segments are matched by their end points
    (to 1 µm), which is linear in the number of vertices. A positive `tolerance` measures
    each boundary within that distance of the neighbour instead (data of other tools).
    Polygons touching in a single point are not neighbours (rook contiguity).
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = np.array([], dtype=int), np.array([], dtype=int), np.array([], dtype=float)
    if len(geoms) < 2:
        return empty
    if tolerance > 0:
        tree = shapely.STRtree(geoms)
        i, j = tree.query(shapely.buffer(geoms, tolerance), predicate="intersects")
        keep = i < j
        i, j = i[keep], j[keep]
        shared = shapely.intersection(
            shapely.boundary(geoms)[i], shapely.buffer(geoms[j], tolerance)
        )
        length = shapely.length(shared)
        keep = length > 4 * tolerance  # a corner touch measures about 2·tolerance
        return i[keep], j[keep], length[keep]
    a, b, owner = _ring_segments(geoms)
    length = np.hypot(*(b - a).T)
    keys = _segment_keys(a, b)
    real = length > 0
    keys, owner, length = keys[real], owner[real], length[real]
    if not len(keys):
        return empty
    segment, counts = _row_groups(keys)
    twice = counts[segment] == 2
    order = np.argsort(segment[twice], kind="stable")
    paired_owner = owner[twice][order].reshape(-1, 2)
    paired_length = length[twice][order].reshape(-1, 2)[:, 0]
    i, j = paired_owner.min(axis=1), paired_owner.max(axis=1)
    differ = i != j
    code = i[differ] * len(geoms) + j[differ]
    pairs, inverse = np.unique(code, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=paired_length[differ])
    return pairs // len(geoms), pairs % len(geoms), total


def _ring_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end points of every ring segment of `geoms` and the geometry owning it."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    owner = part_owner[ring_part[ring_of[:-1][same]]]
    return coords[:-1][same], coords[1:][same], owner


def _row_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, axis=0, return_inverse=True, return_counts=True)[1:]``, faster.

    Rows are ranked in the same (lexicographic) order; a lexsort of the columns takes a
    fraction of the time of the structured sort ``np.unique`` makes of 2-D integer rows.
    """
    order = np.lexsort(keys.T[::-1])
    ranked = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    rank = np.cumsum(new) - 1
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = rank
    return inverse, np.bincount(rank)


def _segment_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A key per segment, equal for the same segment in either direction (ends to 1 µm)."""
    qa, qb = np.round(a * 1e6).astype(np.int64), np.round(b * 1e6).astype(np.int64)
    swap = (qa[:, 0] > qb[:, 0]) | ((qa[:, 0] == qb[:, 0]) & (qa[:, 1] > qb[:, 1]))
    lo = np.where(swap[:, None], qb, qa)
    hi = np.where(swap[:, None], qa, qb)
    return np.column_stack([lo, hi])


def _segment_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs of ring segments (their positions, shape ``(k, 2)``) that are the same segment.

    A segment in exactly two rings is an edge two faces share; of zero length, none.
    """
    real = np.flatnonzero(np.any(a != b, axis=1))
    which, counts = _row_groups(_segment_keys(a[real], b[real]))
    twice = counts[which] == 2
    return real[twice][np.argsort(which[twice], kind="stable")].reshape(-1, 2)


def _neighbours(
    p: np.ndarray, q: np.ndarray, weight: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each of `n` faces' neighbours from pairs `p`–`q`: face k's are ``[cut[k]:cut[k+1]]``."""
    ends = np.concatenate([p, q])
    order = np.argsort(ends, kind="stable")
    cut = np.searchsorted(ends[order], np.arange(n + 1))
    return np.concatenate([q, p])[order], np.concatenate([weight, weight])[order], cut


def absorb_small_faces(
    faces: np.ndarray,
    *,
    min_area: float = MIN_BLOCK_AREA,
    min_width: float = MIN_BLOCK_WIDTH,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge each small or thin face into the neighbour sharing its longest edge.

    Faces are merged smallest first. With `labels` (e.g. the grid of each face), a face
    joins a neighbour of its own label; a face labelled -1 (in no grid: a gap) joins any
    neighbour. A small face with no such neighbour is kept. The union of the faces does not
    change.

    Returns
    -------
    (faces, labels)
        The remaining faces and their labels (all 0 without `labels`).
    """
    faces, labels, _ = _absorb(faces, min_area=min_area, min_width=min_width, labels=labels)
    return faces, labels


def _absorb(
    faces: np.ndarray,
    *,
    min_area: float,
    min_width: float,
    labels: np.ndarray | None,
    also: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`absorb_small_faces`, and where the remaining faces were.

    Faces flagged in `also` are merged as if small. The positions of the remaining faces
    in `faces` are returned too: a face that takes others in keeps its position.
    """
    faces = np.asarray(faces, dtype=object).copy()
    labels = np.zeros(len(faces), dtype=int) if labels is None else np.asarray(labels).copy()
    also = np.zeros(len(faces), dtype=bool) if also is None else also
    alive = np.ones(len(faces), dtype=bool)
    while True:
        idx = np.flatnonzero(alive)
        small = idx[_small(faces[idx], min_area, min_width) | (labels[idx] < 0) | also[idx]]
        if not len(small):
            break
        i, j, length = shared_lengths(faces[idx])
        i, j = idx[i], idx[j]
        merged_any = False
        taken: set[int] = set()
        for s in small[np.argsort(shapely.area(faces[small]))]:
            if s in taken:
                continue
            mine = (i == s) | (j == s)
            other = np.where(i[mine] == s, j[mine], i[mine])
            order = np.argsort(-length[mine])
            candidates = [
                int(o)
                for o in other[order]
                if o not in taken and (labels[s] < 0 or labels[o] == labels[s])
            ]
            if not candidates:
                continue
            target = candidates[0]
            faces[target] = _clean_union([faces[target], faces[s]])
            alive[s] = False
            taken.update((int(s), target))
            merged_any = True
        if not merged_any:
            break
    keep = alive & (labels >= 0)
    return faces[keep], labels[keep], np.flatnonzero(keep)


def _off_street(
    a: np.ndarray, b: np.ndarray, owner: np.ndarray, which: np.ndarray, tree: shapely.STRtree
) -> np.ndarray:
    """Which ring segments of the faces flagged in `which` lie off the street lines.

    Segments run from `a` to `b` around face `owner`; `tree` holds the street lines. A
    street along a face's edge is noded into it, so its segments lie on the street line
    but for rounding.
    """
    off = np.zeros(len(a), dtype=bool)
    mine = np.flatnonzero(which[owner])
    on = tree.query(
        shapely.points((a[mine] + b[mine]) / 2), predicate="dwithin", distance=_ON_STREET
    )[0]
    off[mine] = True
    off[mine[on]] = False
    return off


def _strip_like(faces: np.ndarray, tree: shapely.STRtree, tolerance: float) -> np.ndarray:
    """Which `faces` run beside a street as a strip between a grid edge and it does.

    The face is no wider on average than `tolerance` (2·area/perimeter); a quarter of its
    outline or more lies off the street lines in `tree` (the grid edge along one side of
    a strip is about half of it); and all of that lies within `tolerance` of a street.
    """
    area, perimeter = shapely.area(faces), shapely.length(faces)
    like = 2.0 * area <= tolerance * perimeter
    if not like.any():
        return like
    a, b, owner = _ring_segments(faces)
    off = _off_street(a, b, owner, like, tree)
    length = np.hypot(*(b - a).T)
    off_length = np.bincount(owner[off], weights=length[off], minlength=len(faces))
    like &= off_length >= _STRIP_OFF_STREET * perimeter
    # Sampled a quarter tolerance apart, so no stretch between samples strays much beyond.
    edge = np.flatnonzero(off & like[owner])
    if edge.size:
        samples, of = shapely.get_coordinates(
            shapely.segmentize(
                shapely.linestrings(np.stack([a[edge], b[edge]], axis=1)), tolerance / 4
            ),
            return_index=True,
        )
        near = tree.query(shapely.points(samples), predicate="dwithin", distance=tolerance)[0]
        far = np.ones(len(samples), dtype=bool)
        far[near] = False
        like[owner[edge[of[far]]]] = False
    return like


def _strips_among(faces: np.ndarray, tree: shapely.STRtree, tolerance: float) -> np.ndarray:
    """:func:`_strip_like` for all `faces`, testing only those thin enough to be strips."""
    like = np.zeros(len(faces), dtype=bool)
    thin = np.flatnonzero(2.0 * shapely.area(faces) <= tolerance * shapely.length(faces))
    like[thin] = _strip_like(faces[thin], tree, tolerance)
    return like


def _join_strips(
    faces: np.ndarray,
    labels: np.ndarray,
    like: np.ndarray,
    strip: np.ndarray,
    tree: shapely.STRtree,
    tolerance: float,
    min_area: float | None = None,
    min_width: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join the strips between grid edges and the streets they were meant to follow.

    `like` flags the strip-like faces (:func:`_strip_like`), `strip` those of them the size
    of a block in a grid or a gap between grids: what a grid edge traced within
    `tolerance` of a street leaves. Strip-like faces meeting across edges off the streets
    lie in one street block (faces meeting across a street do not meet so), the rest of
    which is the faces there that are no strips. Where such a chain of strip-like faces
    holds a strip, or with `min_area` given is in the grids a block together (not smaller
    than `min_area` nor thinner than `min_width` on average: a narrow street block that
    edges traced through it cut into slivers), its faces join the rest of their street
    block, each the group it shares the longest edge with, and take the grid covering
    most of the joined face: the grid edges have in effect been moved onto the street. A
    chain with no rest to join (its street block is all strips, or it lies beyond the
    last street) is one block, but faces outside the grids in it are left out.
    Strip-like faces in no such chain (slivers, which merge within their grid) are left
    alone.

    `labels` are grid positions, -1 for a gap and ``_OUTSIDE`` outside the grids; faces
    outside the grids and gaps that join nothing keep their label.

    Returns
    -------
    (faces, labels, left)
        The faces after joining, their labels, and which of a grid are strip-like still
        (a strip beyond the last street): they are to join their grid's neighbour with
        which they share the longest edge, as small faces do.
    """
    left = np.zeros(len(faces), dtype=bool)
    if not like.any():
        return faces, labels, left
    n = len(faces)
    area = shapely.area(faces)
    a, b, owner = _ring_segments(faces)
    off = _off_street(a, b, owner, like, tree)
    length = np.hypot(*(b - a).T)
    pair = _segment_pairs(a, b)
    p, q, shared = owner[pair[:, 0]], owner[pair[:, 1]], length[pair[:, 0]]
    across = (p != q) & (off[pair[:, 0]] | off[pair[:, 1]]) & (like[p] | like[q])
    p, q, shared = p[across], q[across], shared[across]
    chained = like[p] & like[q]
    chain = connected_components(
        coo_matrix((np.ones(chained.sum()), (p[chained], q[chained])), shape=(n, n)),
        directed=False,
    )[1]
    busy = np.zeros(n, dtype=bool)
    busy[chain[strip]] = True
    if min_area is not None:
        inside = like & (labels != _OUTSIDE)
        c_area = np.bincount(chain[inside], weights=area[inside], minlength=n)
        c_perim = np.bincount(chain[inside], weights=shapely.length(faces[inside]), minlength=n)
        both = chained & inside[p] & inside[q]
        c_perim -= 2 * np.bincount(chain[p[both]], weights=shared[both], minlength=n)
        c_count = np.bincount(chain[inside], minlength=n)
        busy |= (c_count >= 2) & (c_area >= min_area) & (2 * c_area >= min_width * c_perim)
    member = like & busy[chain]
    neighbour, neighbour_length, cut = _neighbours(p, q, shared, n)
    # Groups are led by faces of a grid that are no strips and grow by a ring of the
    # chains' faces a round, each joining the group it shares most edge with.
    root = np.arange(n)
    pending = set(np.flatnonzero(member).tolist())
    while pending:
        joined = []
        for k in sorted(pending):
            other = neighbour[cut[k] : cut[k + 1]]
            groups = root[other]
            usable = ~like[groups] & (labels[groups] >= 0)
            if usable.any():
                weights = neighbour_length[cut[k] : cut[k + 1]][usable]
                joined.append((k, int(np.argmax(np.bincount(groups[usable], weights=weights)))))
        if not joined:
            break
        for k, g in joined:
            root[k] = g
            pending.discard(k)
    # Chains with no rest to join are a block of their own, without faces outside.
    alone = np.array(sorted(pending), dtype=int)
    alone = alone[labels[alone] != _OUTSIDE]
    for c in np.unique(chain[alone]).tolist():
        together = alone[chain[alone] == c]
        root[together] = together[0]
    group = root
    moved = np.flatnonzero(group != np.arange(n))
    labels = labels.copy()
    faces = faces.copy()
    for r in np.unique(group[moved]).tolist():
        members = np.flatnonzero(group == r)
        faces[r] = _clean_union(faces[members])
        gridded = members[labels[members] >= 0]
        if gridded.size:
            codes, inverse = np.unique(labels[gridded], return_inverse=True)
            labels[r] = codes[np.argmax(np.bincount(inverse.ravel(), weights=area[gridded]))]
    alive = group == np.arange(n)
    # What is still a strip of a grid with nothing to join lies beyond the last street.
    rest = np.unique(group[alone]) if alone.size else np.array([], dtype=int)
    rest = rest[labels[rest] >= 0]
    left[rest] = _strip_like(faces[rest], tree, tolerance)
    return faces[alive], labels[alive], left[alive]


def _clean_union(parts: list[shapely.Geometry] | np.ndarray) -> shapely.Geometry:
    merged = shapely.union_all(np.asarray(parts, dtype=object))
    if merged.geom_type == "GeometryCollection":
        merged = shapely.union_all(
            [p for p in shapely.get_parts(merged) if p.geom_type in _POLYGONAL]
        )
    return merged


def block_households(
    blocks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    column: str = "households",
    method: str = "centroid",
) -> pd.Series:
    """Households per block from buildings.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks (metric CRS) as from :func:`street_blocks`.
    buildings : GeoDataFrame
        Building footprints with a `column` of households (the ``buildings`` layer).
    column : str, default "households"
        Buildings' count to sum.
    method : {"centroid", "area"}
        ``"centroid"``: a building's households go to the block holding its representative
        point (a building straddling a street counts once). ``"area"``: they are shared by
        the area of the footprint inside each block.

    Returns
    -------
    pandas.Series
        Float households indexed like `blocks`. Buildings outside every block count nowhere.
    """
    if column not in buildings.columns:
        msg = f"`buildings` must have a {column!r} column"
        raise ValidationError(msg)
    if method not in ("centroid", "area"):
        msg = f"`method` must be 'centroid' or 'area'; got {method!r}"
        raise ValidationError(msg)
    b = _to(buildings, blocks.crs)
    values = pd.to_numeric(b[column], errors="coerce").fillna(0).to_numpy(dtype=float)
    geoms = b.geometry.to_numpy()
    tree = shapely.STRtree(blocks.geometry.to_numpy())
    total = np.zeros(len(blocks))
    if method == "centroid":
        bi, ki = tree.query(shapely.point_on_surface(geoms), predicate="intersects")
        # A point on a shared edge counts once: in the first block found.
        _, first = np.unique(bi, return_index=True)
        np.add.at(total, ki[first], values[bi[first]])
    else:
        bi, ki = tree.query(geoms, predicate="intersects")
        inter = shapely.area(shapely.intersection(geoms[bi], blocks.geometry.to_numpy()[ki]))
        share = inter / np.maximum(shapely.area(geoms[bi]), 1e-12)
        np.add.at(total, ki, values[bi] * share)
    return pd.Series(total, index=blocks.index, name=column)


def cut_lines_between_buildings(
    blocks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    max_households: float,
    column: str = "households",
    overshoot: float = 0.5,
) -> gpd.GeoDataFrame:
    """Straight cut lines dividing blocks too heavy for a grid's tolerance between buildings.

    A block holding more than `max_households` cannot be balanced to a tight tolerance
    (one block of the sample held 519 households, a grid's target 280 ± 5 %). Such a block
    is divided by recursive bisection of its buildings: its buildings' representative
    points are sorted along the longer extent of the points, cut where the households on
    either side come closest to their share of the pieces the block needs
    (⌈households / `max_households`⌉), and the cut line runs across the block midway
    between the two buildings on either side of it, perpendicular to that extent. Each half
    is cut again until it holds at most `max_households` or a single building (a building
    is never divided: its households count by its representative point, as in
    :func:`block_households`). The outer edges of the pieces still follow streets; only
    the cut lines do not.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks in a metric CRS (from :func:`street_blocks`).
    buildings : GeoDataFrame
        Buildings with a `column` of households, any CRS.
    max_households : float
        Heaviest block kept whole (> 0).
    column : str, default "households"
        The buildings' count.
    overshoot : float, default 0.5
        Metres each cut line runs past its block's edge, so noding with the streets never
        misses the edge by rounding (the overshoot dangles and bounds no face).

    Returns
    -------
    GeoDataFrame
        The cut lines (LineString) in the blocks' CRS; pass them as ``barriers`` to
        :func:`street_blocks` to get the divided blocks.
    """
    if not max_households > 0:
        msg = f"`max_households` must be positive; got {max_households!r}"
        raise ValidationError(msg)
    if column not in buildings.columns:
        msg = f"`buildings` must have a {column!r} column"
        raise ValidationError(msg)
    b = _to(buildings, blocks.crs)
    values = pd.to_numeric(b[column], errors="coerce").fillna(0).to_numpy(dtype=float)
    points = shapely.point_on_surface(b.geometry.to_numpy())
    xy = shapely.get_coordinates(points)
    geoms = blocks.geometry.to_numpy()
    bi, ki = shapely.STRtree(geoms).query(points, predicate="intersects")
    _, first = np.unique(bi, return_index=True)
    bi, ki = bi[first], ki[first]
    cuts: list[shapely.Geometry] = []

    def bisect(piece: shapely.Geometry, members: np.ndarray) -> None:
        weight = values[members].sum()
        if weight <= max_households or len(members) < 2:
            return
        pieces = int(np.ceil(weight / max_households))
        pts = xy[members]
        axis = int(np.argmax(np.ptp(pts, axis=0)))
        order = members[np.argsort(pts[:, axis], kind="stable")]
        coord = xy[order, axis]
        cumulative = np.cumsum(values[order])[:-1]
        apart = np.diff(coord) > 0.5  # a line fits between the two buildings
        if not apart.any():
            return
        share = weight * (pieces // 2) / pieces
        gap = np.where(apart, np.abs(cumulative - share), np.inf)
        at = int(np.argmin(gap))
        c = (coord[at] + coord[at + 1]) / 2
        x0, y0, x1, y1 = shapely.bounds(piece)
        pad = 10.0
        if axis == 0:
            line = shapely.LineString([(c, y0 - pad), (c, y1 + pad)])
            low = shapely.box(x0 - pad, y0 - pad, c, y1 + pad)
        else:
            line = shapely.LineString([(x0 - pad, c), (x1 + pad, c)])
            low = shapely.box(x0 - pad, y0 - pad, x1 + pad, c)
        cuts.append(shapely.intersection(line, shapely.buffer(piece, overshoot)))
        below = xy[order, axis] < c
        bisect(shapely.intersection(piece, low), order[below])
        bisect(shapely.difference(piece, low), order[~below])

    totals = np.bincount(ki, weights=values[bi], minlength=len(blocks))
    for k in np.flatnonzero(totals > max_households).tolist():
        bisect(geoms[k], bi[ki == k])
    lines = shapely.get_parts(np.array(cuts, dtype=object)) if cuts else np.array([])
    lines = lines[~shapely.is_empty(lines)] if len(lines) else lines
    return gpd.GeoDataFrame(geometry=list(lines), crs=blocks.crs)


def spread_households(
    blocks: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *, column: str = "households"
) -> pd.Series:
    """Households per block spread from the grids' own counts by area share.

    For grids without buildings data: each grid's `column` is shared among the blocks it
    covers in proportion to the overlapping area.
    """
    if column not in grids.columns:
        msg = f"`grids` must have a {column!r} column"
        raise ValidationError(msg)
    g = _to(grids, blocks.crs)
    values = pd.to_numeric(g[column], errors="coerce").fillna(0).to_numpy(dtype=float)
    gg = g.geometry.to_numpy()
    tree = shapely.STRtree(blocks.geometry.to_numpy())
    gi, ki = tree.query(gg, predicate="intersects")
    inter = shapely.area(shapely.intersection(gg[gi], blocks.geometry.to_numpy()[ki]))
    share = inter / np.maximum(shapely.area(gg[gi]), 1e-12)
    total = np.zeros(len(blocks))
    np.add.at(total, ki, values[gi] * share)
    return pd.Series(total, index=blocks.index, name=column)


def grid_blocks(
    grids: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    highways: tuple[str, ...] | None = BLOCK_EDGE_HIGHWAYS,
    min_area: float = MIN_BLOCK_AREA,
    min_width: float = MIN_BLOCK_WIDTH,
    snap_tolerance: float = SNAP_TOLERANCE,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """The blocks of an existing grids layer, each tagged with the grid it lies in.

    Streets are polygonized together with the grid boundaries, so every block lies in one
    grid and the blocks of a grid make up the grid (a grid boundary that leaves the streets
    cuts blocks). Small faces merge with a neighbour of the same grid only. A grid edge
    traced within `snap_tolerance` of a street, as boundaries digitised over imagery are,
    was meant to follow it: the strip between edge and street joins the rest of its
    street block, in the grid holding most of the block, as if the edge had been snapped
    onto the street; a strip beyond the last street, with no rest to join, joins its own
    grid's block across the street. Grid edges farther than that from every street stay
    as drawn. This is what edits and rebuilds work on.

    Parameters
    ----------
    grids : GeoDataFrame
        The grids layer (``grid_code``; optional ``households``), any CRS.
    streets : GeoDataFrame or None
        The streets layer. Without one (a workspace that has none yet) each grid is its
        own block, or blocks in pieces where grids leave gaps: merges and line splits
        still work, moves and plans have whole grids to work with.
    buildings : GeoDataFrame, optional
        Buildings with ``households``: blocks get households by building centroid. Without
        them each grid's ``households`` are spread over its blocks by area.
    highways, min_area, min_width, crs
        As for :func:`street_blocks`.
    snap_tolerance : float, default 8
        Metres within which a grid edge running beside a street is taken to follow the
        street; 0 takes every grid edge as drawn.

    Returns
    -------
    GeoDataFrame
        ``block_id``, ``grid_code``, ``households`` (float), ``area_m2``, in the metric CRS.
    """
    if "grid_code" not in grids.columns:
        msg = "`grids` must have a grid_code column"
        raise ValidationError(msg)
    if not snap_tolerance >= 0:
        msg = f"`snap_tolerance` must be 0 or more metres; got {snap_tolerance!r}"
        raise ValidationError(msg)
    crs = crs if crs is not None else metric_crs_of(grids)
    g = _to(grids, crs)
    g = g[~(g.geometry.isna() | g.geometry.is_empty)]
    if not len(g):
        msg = "`grids` has no polygons"
        raise ValidationError(msg)
    geoms = shapely.make_valid(g.geometry.to_numpy())
    codes = g["grid_code"].astype(str).to_numpy()
    extent = shapely.union_all(geoms)
    if streets is None or not len(streets):
        lines = np.array([], dtype=object)
    else:
        lines = _to(_boundary_lines(streets, highways=highways), crs).geometry.to_numpy()
    shapely.prepare(extent)
    # A street the grids' edges were traced beside may lie wholly in a gap between them.
    near = (
        shapely.dwithin(extent, lines, snap_tolerance)
        if snap_tolerance > 0
        else shapely.intersects(extent, lines)
    )
    lines = lines[near]
    noded = shapely.union_all([*lines, *shapely.boundary(geoms)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]
    points = shapely.point_on_surface(faces)
    # Each face lies in one grid (the first holding a point inside it), or in none: a gap
    # between grids from another tool, which joins its neighbour if small.
    fi, gi = shapely.STRtree(geoms).query(points, predicate="intersects")
    label = np.full(len(faces), -1)
    first = np.unique(fi, return_index=True)[1]
    label[fi[first]] = gi[first]
    # Faces outside the grids' outer rings are not theirs (streets run on beyond them),
    # unless in a gap open to the outside between strips and the rest of their street
    # block (see _join_strips).
    filled = shapely.union_all(
        shapely.polygons(shapely.get_exterior_ring(shapely.get_parts(extent)))
    )
    label[~shapely.within(points, filled)] = _OUTSIDE
    snapping = snap_tolerance > 0 and len(lines) > 0
    tree = shapely.STRtree(lines)
    left = np.zeros(len(faces), dtype=bool)
    if snapping:
        # Strips are told from the faces as drawn, each in one street block: once small
        # faces have merged into their grid's neighbours, across a street at times, a
        # narrow block that took one in would look like a strip too.
        like = _strips_among(faces, tree, snap_tolerance)
        strip = like & ~_small(faces, min_area, min_width) & (label != _OUTSIDE)
        faces, label, left = _join_strips(
            faces, label, like, strip, tree, snap_tolerance, min_area, min_width
        )
    out = label == _OUTSIDE
    beyond, faces, label, left = faces[out], faces[~out], label[~out], left[~out]
    # A gap between grids wider than a sliver is dropped (strips of gaps have joined their
    # street block above); strips beyond the last street merge within their grid as small
    # faces do.
    small = _small(faces, min_area, min_width)
    gap = (label < 0) & ~small
    faces, label, left, small = faces[~gap], label[~gap], left[~gap], small[~gap]
    faces, label, kept = _absorb(
        faces, min_area=min_area, min_width=min_width, labels=label, also=left
    )
    # Small faces of a grid merged into one another may make a strip only now, and a small
    # face left with no neighbour in its grid (its grid's strips beside it having joined
    # their street blocks) joins its street block too, unless it is all of its grid.
    small_now = _small(faces, min_area, min_width)
    shared = np.bincount(label, minlength=len(codes))[label] > 1
    late = np.flatnonzero((small[kept] & ~small_now) | (small_now & shared))
    if snapping and late.size:
        like = np.concatenate(
            [np.zeros(len(faces), dtype=bool), _strips_among(beyond, tree, snap_tolerance)]
        )
        like[late] = _strip_like(faces[late], tree, snap_tolerance)
        strip = like.copy()
        strip[len(faces) :] = False
        faces, label, left = _join_strips(
            np.concatenate([faces, beyond]),
            np.concatenate([label, np.full(len(beyond), _OUTSIDE)]),
            like,
            strip,
            tree,
            snap_tolerance,
        )
        inside = label >= 0
        faces, label, left = faces[inside], label[inside], left[inside]
        if left.any():
            faces, label, _ = _absorb(
                faces, min_area=min_area, min_width=min_width, labels=label, also=left
            )
    blocks = gpd.GeoDataFrame(
        {
            "block_id": np.arange(len(faces)),
            "grid_code": codes[label],
            "area_m2": shapely.area(faces),
        },
        geometry=faces,
        crs=crs,
    )
    if buildings is not None and "households" in buildings.columns:
        blocks["households"] = block_households(blocks, buildings).to_numpy()
    elif "households" in grids.columns:
        blocks["households"] = spread_households(blocks, g).to_numpy()
    else:
        blocks["households"] = 0.0
    return blocks[["block_id", "grid_code", "households", "area_m2", "geometry"]]


def block_adjacency(
    blocks: gpd.GeoDataFrame, *, tolerance: float = 0.0, weight: str = "households"
) -> nx.Graph:
    """Rook-contiguity graph of `blocks`.

    Nodes are the blocks' positions (0 … n-1) with attributes ``block_id``, ``area``
    (m²), ``perimeter`` (m) and `weight` (0 without that column); an edge joins two
    blocks sharing a boundary of positive length, with attribute ``length`` (m).
    Blocks touching at a corner only are not joined.
    """
    geoms = blocks.geometry.to_numpy()
    i, j, length = shared_lengths(geoms, tolerance=tolerance)
    graph = nx.Graph()
    w = (
        pd.to_numeric(blocks[weight], errors="coerce").fillna(0).to_numpy(dtype=float)
        if weight in blocks.columns
        else np.zeros(len(blocks))
    )
    ids = blocks["block_id"].to_numpy() if "block_id" in blocks.columns else np.arange(len(blocks))
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    graph.add_nodes_from(
        (k, {"block_id": ids[k], "area": area[k], "perimeter": perim[k], weight: w[k]})
        for k in range(len(blocks))
    )
    graph.add_edges_from(
        (int(a), int(b), {"length": float(c)}) for a, b, c in zip(i, j, length, strict=True)
    )
    return graph
