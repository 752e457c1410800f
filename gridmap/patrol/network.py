"""Street graphs per travel mode, snapping points to streets, fast travel times.

The ``streets`` layer becomes, per travel mode (``walk``, ``bike``, ``car``), a
:class:`StreetGraph`: directed edges with a length (m) and a travel time (s) over the nodes
where streets meet, in the workspace's metric CRS. The graph is built straight from arrays
(no networkx on the hot path): lines are noded where they share a vertex (endpoints, and
interior vertices shared with another line, as in OpenStreetMap ways), identical segments
(the sample's ``walk`` and ``drive`` rows repeat the drivable streets) are kept once, and
a :class:`scipy.sparse.csr_matrix` of edge times feeds
:func:`scipy.sparse.csgraph.dijkstra`. The networkx :class:`~networkx.MultiDiGraph`
(OSMnx-style: node ``x``/``y``, edge ``length``, ``time``, ``geometry``) is built lazily,
on first access to :attr:`StreetGraph.graph`.

Every mode's graph shares the same nodes and *segments* (undirected street pieces between
nodes) when built from the same streets: node ``i`` is the same place in the walking and
the driving graph, so coverage can combine posts of several modes on one street map.

Lines crossing without a shared vertex (bridges, tunnels) are not joined, as in OSM.

Speeds (km/h; configurable with ``speeds=``):

- walking :data:`WALK_KMH` = 5 km/h on every street (a common planning pace, ≈1.4 m/s;
  e.g. the U.S. MUTCD §4E.06 uses 3.5 ft/s ≈ 3.8 km/h for crossing *slow* walkers, typical
  free walking is 4.5–5.4 km/h);
- bicycle :data:`BIKE_KMH` = 15 km/h (urban cycling; e-bikes are capped at 25 km/h in
  China by GB 17761-2018), walking pace on ``steps``, ``elevator`` and ``corridor``;
- car: the ``maxspeed`` tag when present (``"30"``, ``"30 mph"``), otherwise
  :data:`CAR_KMH_BY_HIGHWAY`: the *lower* bound of the design speeds of China's urban road
  classes (CJJ 37-2012 《城市道路工程设计规范》 §3.1: expressway 快速路 60–100,
  arterial 主干路 40–60, secondary arterial 次干路 30–50, branch 支路 20–40 km/h), a
  conservative stand-in for urban traffic at response time.

One-way streets (``oneway`` = ``yes``/``true``/``1``, or ``-1``/``reverse``) bind only cars.
When the layer has a ``network`` column, ``walk`` and ``bike`` use its ``walk`` rows (``bike``
rows if there are any, for ``bike``) and ``car`` its ``drive`` rows; otherwise the
``highway`` class decides (:data:`NOT_WALKABLE`, :data:`DRIVABLE`). Missing columns fall
back to defaults, each recorded in :attr:`StreetGraph.notes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from gridmap._errors import ValidationError
from gridmap.patrol._graph import (
    MODES,
    BoolArray,
    FloatArray,
    IntArray,
    check_frame,
    check_metric_crs,
    check_mode,
    check_positive,
    to_crs,
)
from gridmap.patrol._network_build import _Layer, _mode_graph, _speeds_per_mode
from gridmap.patrol._street_graph import (
    BIKE_KMH,
    CAR_DEFAULT_KMH,
    CAR_KMH_BY_HIGHWAY,
    DRIVABLE,
    FAR_SNAP_M,
    NOT_WALKABLE,
    WALK_KMH,
    StreetGraph,
    TravelTimes,
)
from gridmap.patrol._street_graph import DISMOUNT as DISMOUNT
from gridmap.patrol._street_graph import NODE_PRECISION_M as NODE_PRECISION_M

__all__ = [
    "BIKE_KMH",
    "CAR_DEFAULT_KMH",
    "CAR_KMH_BY_HIGHWAY",
    "DRIVABLE",
    "FAR_SNAP_M",
    "NOT_WALKABLE",
    "WALK_KMH",
    "StreetGraph",
    "TravelTimes",
    "components",
    "node_components",
    "snap_points",
    "street_graph",
    "street_graphs",
    "travel_time_matrix",
    "travel_times_from",
    "travel_times_to",
]


def street_graph(
    streets: gpd.GeoDataFrame,
    *,
    mode: str = "walk",
    crs: Any,
    speeds: Mapping[str, float] | None = None,
    use_maxspeed: bool = True,
) -> StreetGraph:
    """Build the street graph of one travel mode from the ``streets`` layer.

    A pure function of its arguments: callers cache it keyed on (workspace, streets
    version, mode, speeds). 100,000 nodes build in well under a second
    (``bench/bench_network.py``).

    Parameters
    ----------
    streets : geopandas.GeoDataFrame
        LineString/MultiLineString rows, any CRS; optional columns ``highway``, ``oneway``,
        ``maxspeed``, ``network`` (``walk``/``drive``/``bike``), ``name``.
    mode : {"walk", "bike", "car"}
        The travel mode.
    crs : CRS-like
        The metric CRS to work in (the workspace's working CRS); streets are reprojected.
    speeds : mapping of str to float, optional
        km/h by ``highway`` class, overriding this mode's defaults; the key ``"default"``
        sets the speed of every other class.
    use_maxspeed : bool
        For cars, take the ``maxspeed`` tag over the class table when it is present.

    Returns
    -------
    StreetGraph
    """
    mode = check_mode(mode)
    return street_graphs(streets, crs=crs, modes=(mode,), speeds=speeds, use_maxspeed=use_maxspeed)[
        mode
    ]


def street_graphs(
    streets: gpd.GeoDataFrame,
    *,
    crs: Any,
    modes: Sequence[str] = MODES,
    speeds: Mapping[str, Mapping[str, float]] | Mapping[str, float] | None = None,
    use_maxspeed: bool = True,
) -> dict[str, StreetGraph]:
    """Build the graphs of several modes at once, noding the streets only once.

    `speeds` is either one mapping for every mode (as in :func:`street_graph`) or a mapping
    from mode to such a mapping. See :func:`street_graph` for the other parameters.
    """
    crs = check_metric_crs(crs)
    check_frame(streets, "streets", ("LineString", "MultiLineString"))
    modes = tuple(check_mode(m, "modes") for m in modes)
    if not len(streets):
        msg = "`streets` is empty: a street network is needed"
        raise ValidationError(msg)
    per_mode = _speeds_per_mode(speeds, modes)
    layer = _Layer.build(to_crs(streets, crs))
    return {m: _mode_graph(layer, m, crs, per_mode[m], use_maxspeed=use_maxspeed) for m in modes}


# --- snapping ------------------------------------------------------------------------------


def snap_points(
    graph: StreetGraph,
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_distance: float = FAR_SNAP_M,
) -> pd.DataFrame:
    """Snap points to the nearest street edge of `graph`'s mode.

    Each point is projected on its nearest segment (shapely ``STRtree.query_nearest``, then
    ``line_locate_point``); the snapped place acts as a virtual node between the edge's ends.

    Parameters
    ----------
    graph : StreetGraph
    points : geopandas.GeoDataFrame or GeoSeries
        Points (any CRS; reprojected to ``graph.crs``).
    max_distance : float
        Snaps farther than this (m) are flagged ``far`` (not dropped).

    Returns
    -------
    pandas.DataFrame
        Indexed like `points`: ``u``, ``v``, ``key`` (the networkx edge the point lies on;
        one-way streets by car give the edge in its driving direction), ``offset`` (m from
        ``u`` along the edge), ``distance`` (snap distance, m), ``far`` (bool), ``segment``,
        ``position`` (m from the segment's start along its geometry), ``x``, ``y`` (the
        snapped place in ``graph.crs``).
    """
    max_distance = check_positive(max_distance, "max_distance")  # type: ignore[assignment]
    if isinstance(points, gpd.GeoSeries):
        points = gpd.GeoDataFrame(geometry=points)
    check_frame(points, "points", ("Point",))
    points = to_crs(points, graph.crs)
    geoms = points.geometry.to_numpy()
    tree, usable = graph._tree
    cols = ["u", "v", "key", "offset", "distance", "far", "segment", "position", "x", "y"]
    if not len(geoms):
        kinds = {"u": np.intp, "v": np.intp, "key": np.intp, "far": bool, "segment": np.intp}
        return pd.DataFrame(
            {c: pd.Series(dtype=kinds.get(c, float)) for c in cols}, index=points.index
        )
    (pi, ti), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    seg = np.empty(len(geoms), dtype=np.intp)
    distance = np.empty(len(geoms))
    seg[pi], distance[pi] = usable[ti], dist
    lines = graph.segments.geometry.to_numpy()[seg]
    position = shapely.line_locate_point(lines, geoms)
    snapped = shapely.line_interpolate_point(lines, position)
    length = graph.segments["length"].to_numpy()[seg]
    su, sv = graph.segments["u"].to_numpy()[seg], graph.segments["v"].to_numpy()[seg]
    along = np.isfinite(graph.forward_time[seg])
    u = np.where(along, su, sv)
    v = np.where(along, sv, su)
    offset = np.where(along, position, length - position)
    key = _edge_keys(graph, along, seg)
    xy = shapely.get_coordinates(snapped)
    return pd.DataFrame(
        {
            "u": u,
            "v": v,
            "key": key,
            "offset": offset,
            "distance": distance,
            "far": distance > max_distance,
            "segment": seg,
            "position": position,
            "x": xy[:, 0],
            "y": xy[:, 1],
        },
        index=points.index,
    )


def _edge_keys(graph: StreetGraph, along: BoolArray, seg: IntArray) -> IntArray:
    """networkx key of the edge on `seg` (forward where `along`, else backward)."""
    fkey, bkey = graph._segment_keys
    return np.where(along, fkey[seg], bkey[seg])


# --- travel times --------------------------------------------------------------------------


def _sources(graph: StreetGraph, sources: Any) -> tuple[pd.DataFrame | None, IntArray]:
    """(snapped frame, None) or (None, node ids) from what a caller passes as sources."""
    if isinstance(sources, pd.DataFrame):
        missing = {"segment", "position"} - set(sources.columns)
        if missing:
            msg = (
                "`sources` must be node ids or the frame of snap_points; "
                f"missing column(s) {', '.join(sorted(missing))}"
            )
            raise ValidationError(msg)
        return sources, np.empty(0, dtype=np.intp)
    nodes = np.atleast_1d(np.asarray(sources))
    if nodes.size and (
        not np.issubdtype(nodes.dtype, np.integer)
        or nodes.min() < 0
        or nodes.max() >= graph.n_nodes
    ):
        msg = f"`sources` must be node ids between 0 and {graph.n_nodes - 1}"
        raise ValidationError(msg)
    return None, nodes.astype(np.intp)


def _with_virtual(graph: StreetGraph, snapped: pd.DataFrame) -> tuple[sp.csr_matrix, IntArray]:
    """`graph.csr` plus one virtual node per snapped point with edges to its edge's ends."""
    n, k = graph.n_nodes, len(snapped)
    seg = snapped["segment"].to_numpy(dtype=np.intp)
    pos = snapped["position"].to_numpy(dtype=np.float64)
    length = graph.segments["length"].to_numpy()[seg]
    frac = np.divide(pos, length, out=np.zeros_like(pos), where=length > 0)
    with np.errstate(invalid="ignore"):  # 0 × inf: a point on a node is at that node
        to_v = np.where(frac < 1, (1.0 - frac) * graph.forward_time[seg], 0.0)
        to_u = np.where(frac > 0, frac * graph.backward_time[seg], 0.0)
    rows = np.concatenate([np.arange(k), np.arange(k)])
    cols = np.concatenate(
        [graph.segments["v"].to_numpy()[seg], graph.segments["u"].to_numpy()[seg]]
    )
    vals = np.concatenate([to_v, to_u])
    ok = np.isfinite(vals)
    rows, cols, vals = rows[ok], cols[ok], vals[ok]
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    base = graph.csr
    extra_ptr = base.indptr[-1] + np.cumsum(np.bincount(rows, minlength=k))
    indptr = np.concatenate([base.indptr, extra_ptr]).astype(np.int64)
    indices = np.concatenate([base.indices, cols]).astype(np.int64)
    data = np.concatenate([base.data, vals])
    big = sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))
    return big, np.arange(n, n + k)


def travel_times_from(
    graph: StreetGraph, sources: Any, *, cutoff: float | None = None
) -> TravelTimes:
    """Travel time from the nearest of several sources to every node.

    One multi-source Dijkstra (:func:`scipy.sparse.csgraph.dijkstra` with ``min_only``) on
    the CSR matrix; snapped sources enter as virtual nodes joined to their edge's ends by
    the time of the part of the edge between (Okabe & Sugihara 2012, *Spatial Analysis
    along Networks*, §3.2: points on edges).

    Parameters
    ----------
    graph : StreetGraph
    sources : array-like of int or pandas.DataFrame
        Node ids, or the frame :func:`snap_points` returns.
    cutoff : float, optional
        Stop at this many seconds (nodes beyond get ``inf``).

    Returns
    -------
    TravelTimes
        ``time`` (s) and ``nearest`` (position in `sources`) per node.
    """
    cutoff = check_positive(cutoff, "cutoff", allow_none=True)
    snapped, nodes = _sources(graph, sources)
    n = graph.n_nodes
    count = len(snapped) if snapped is not None else len(nodes)
    if count == 0:
        return TravelTimes(np.full(n, np.inf), np.full(n, -1, dtype=np.intp))
    if snapped is not None:
        matrix, indices = _with_virtual(graph, snapped)
    else:
        matrix, indices = graph.csr, nodes
    limit = np.inf if cutoff is None else cutoff
    dist, _, src = csgraph.dijkstra(
        matrix, indices=indices, min_only=True, limit=limit, return_predecessors=True
    )
    dist, src = dist[:n], src[:n]
    # map the source node back to its position in `sources` (first position for repeats)
    lookup = np.full(matrix.shape[0], -1, dtype=np.intp)
    lookup[indices[::-1]] = np.arange(count)[::-1]
    nearest = np.where(src >= 0, lookup[np.maximum(src, 0)], -1)
    return TravelTimes(dist, nearest)


def travel_times_to(
    graph: StreetGraph,
    sources: Any,
    targets: pd.DataFrame,
    *,
    cutoff: float | None = None,
) -> TravelTimes:
    """Travel time from the nearest source to each snapped target point.

    A target on edge ``u → v`` at ``offset`` is reached through ``u`` (plus the part of the
    edge up to it) or through ``v`` (against the edge, where the mode may), or directly
    along its own edge from a source on the same segment.

    Parameters
    ----------
    graph : StreetGraph
    sources : array-like of int or pandas.DataFrame
        As in :func:`travel_times_from`.
    targets : pandas.DataFrame
        The frame :func:`snap_points` returns.
    cutoff : float, optional
        Seconds; targets beyond get ``inf``.

    Returns
    -------
    TravelTimes
        Indexed by position in `targets`.
    """
    if not isinstance(targets, pd.DataFrame) or not {"segment", "position"} <= set(targets):
        msg = "`targets` must be the frame returned by snap_points"
        raise ValidationError(msg)
    reach = travel_times_from(graph, sources, cutoff=cutoff)
    seg = targets["segment"].to_numpy(dtype=np.intp)
    pos = targets["position"].to_numpy(dtype=np.float64)
    time, nearest = _time_on_segments(graph, reach, seg, pos)
    snapped, _ = _sources(graph, sources)
    if snapped is not None and len(snapped) and len(targets):
        t2, n2 = _same_segment(graph, snapped, seg, pos)
        better = t2 < time
        time = np.where(better, t2, time)
        nearest = np.where(better, n2, nearest)
    if cutoff is not None:
        over = time > cutoff
        time = np.where(over, np.inf, time)
        nearest = np.where(over, -1, nearest)
    return TravelTimes(time, nearest)


def _time_on_segments(
    graph: StreetGraph, reach: TravelTimes, seg: IntArray, pos: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Time to a place on a segment through either of its end nodes."""
    length = graph.segments["length"].to_numpy()[seg]
    frac = np.divide(pos, length, out=np.zeros_like(pos), where=length > 0)
    u = graph.segments["u"].to_numpy()[seg]
    v = graph.segments["v"].to_numpy()[seg]
    with np.errstate(invalid="ignore"):
        via_u = reach.time[u] + frac * graph.forward_time[seg]
        via_v = reach.time[v] + (1.0 - frac) * graph.backward_time[seg]
    via_u = np.where(np.isnan(via_u), np.inf, via_u)
    via_v = np.where(np.isnan(via_v), np.inf, via_v)
    use_v = via_v < via_u
    time = np.where(use_v, via_v, via_u)
    nearest = np.where(use_v, reach.nearest[v], reach.nearest[u])
    return time, np.where(np.isfinite(time), nearest, -1)


def _same_segment(
    graph: StreetGraph, snapped: pd.DataFrame, seg: IntArray, pos: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Time along their own segment from sources sharing it with the targets."""
    src = pd.DataFrame(
        {
            "segment": snapped["segment"].to_numpy(dtype=np.intp),
            "spos": snapped["position"].to_numpy(dtype=np.float64),
            "source": np.arange(len(snapped)),
        }
    )
    tgt = pd.DataFrame({"segment": seg, "tpos": pos, "target": np.arange(len(seg))})
    pairs = tgt.merge(src, on="segment")
    time = np.full(len(seg), np.inf)
    nearest = np.full(len(seg), -1, dtype=np.intp)
    if pairs.empty:
        return time, nearest
    s = pairs["segment"].to_numpy()
    length = graph.segments["length"].to_numpy()[s]
    d = pairs["tpos"].to_numpy() - pairs["spos"].to_numpy()
    per_m = np.where(d >= 0, graph.forward_time[s], graph.backward_time[s])
    per_m = np.divide(per_m, length, out=np.zeros_like(per_m), where=length > 0)
    with np.errstate(invalid="ignore"):
        t = np.abs(d) * per_m
    t = np.where(np.isnan(t), np.inf, t)
    pairs = pairs.assign(t=t).sort_values(["target", "t", "source"])
    best = pairs.drop_duplicates("target")
    best = best[np.isfinite(best["t"])]
    time[best["target"].to_numpy()] = best["t"].to_numpy()
    nearest[best["target"].to_numpy()] = best["source"].to_numpy()
    return time, nearest


def travel_time_matrix(
    graph: StreetGraph,
    origins: Any,
    destinations: pd.DataFrame,
    *,
    cutoff: float | None = None,
    chunk: int = 64,
) -> FloatArray:
    """Seconds from each origin to each snapped destination (``inf``: unreached).

    Parameters
    ----------
    graph : StreetGraph
    origins : array-like of int or pandas.DataFrame
        Node ids or the frame of :func:`snap_points`.
    destinations : pandas.DataFrame
        The frame of :func:`snap_points`.
    cutoff : float, optional
        Seconds; times beyond become ``inf`` (and Dijkstra stops there: much faster).
    chunk : int
        Origins per Dijkstra call (memory: ``chunk × n_nodes`` floats).

    Returns
    -------
    numpy.ndarray
        ``(len(origins), len(destinations))`` float64.
    """
    cutoff = check_positive(cutoff, "cutoff", allow_none=True)
    snapped, nodes = _sources(graph, origins)
    if not isinstance(destinations, pd.DataFrame) or not {"segment", "position"} <= set(
        destinations
    ):
        msg = "`destinations` must be the frame returned by snap_points"
        raise ValidationError(msg)
    count = len(snapped) if snapped is not None else len(nodes)
    seg = destinations["segment"].to_numpy(dtype=np.intp)
    pos = destinations["position"].to_numpy(dtype=np.float64)
    out = np.full((count, len(seg)), np.inf)
    if count == 0 or not len(seg):
        return out
    if snapped is not None:
        matrix, indices = _with_virtual(graph, snapped)
    else:
        matrix, indices = graph.csr, nodes
    n = graph.n_nodes
    limit = np.inf if cutoff is None else cutoff
    length = graph.segments["length"].to_numpy()[seg]
    frac = np.divide(pos, length, out=np.zeros_like(pos), where=length > 0)
    tu, tv = graph.segments["u"].to_numpy()[seg], graph.segments["v"].to_numpy()[seg]
    part_f = np.where(frac > 0, frac * graph.forward_time[seg], 0.0)
    part_b = np.where(frac < 1, (1.0 - frac) * graph.backward_time[seg], 0.0)
    chunk = max(1, int(chunk))
    for start in range(0, count, chunk):
        idx = indices[start : start + chunk]
        dist = csgraph.dijkstra(matrix, indices=idx, limit=limit)[:, :n]
        out[start : start + len(idx)] = np.minimum(
            dist[:, tu] + part_f[None, :], dist[:, tv] + part_b[None, :]
        )
    if snapped is not None:
        src = pd.DataFrame(
            {
                "segment": snapped["segment"].to_numpy(dtype=np.intp),
                "spos": snapped["position"].to_numpy(dtype=np.float64),
                "source": np.arange(count),
            }
        )
        tgt = pd.DataFrame({"segment": seg, "tpos": pos, "target": np.arange(len(seg))})
        pairs = tgt.merge(src, on="segment")
        if len(pairs):
            s = pairs["segment"].to_numpy()
            d = pairs["tpos"].to_numpy() - pairs["spos"].to_numpy()
            seg_len = graph.segments["length"].to_numpy()[s]
            per_m = np.where(d >= 0, graph.forward_time[s], graph.backward_time[s])
            per_m = np.divide(per_m, seg_len, out=np.zeros_like(per_m), where=seg_len > 0)
            with np.errstate(invalid="ignore"):
                t2 = np.abs(d) * per_m
            t2 = np.where(np.isnan(t2), np.inf, t2)
            i, j = pairs["source"].to_numpy(), pairs["target"].to_numpy()
            np.minimum.at(out, (i, j), t2)
    if cutoff is not None:
        out[out > cutoff] = np.inf
    return out


# --- connectivity --------------------------------------------------------------------------


def node_components(graph: StreetGraph, *, connection: str | None = None) -> IntArray:
    """Component label of each node (``-1`` for nodes this mode does not use).

    `connection` is ``"weak"`` (ignore directions) or ``"strong"`` (each node reaches each
    other); the default is strong for cars (one-way streets can trap them) and weak
    otherwise. Labels are numbered from the longest piece (0) down.
    """
    connection = connection or ("strong" if graph.mode == "car" else "weak")
    if connection not in ("weak", "strong"):
        msg = f"`connection` must be 'weak' or 'strong'; got {connection!r}"
        raise ValidationError(msg)
    _, labels = csgraph.connected_components(graph.csr, directed=True, connection=connection)
    used = np.zeros(graph.n_nodes, dtype=bool)
    used[graph.nodes] = True
    # rank pieces by their street length (edges inside one piece)
    seg = graph.segments
    su, sv = seg["u"].to_numpy(), seg["v"].to_numpy()
    inside = graph.in_mode & (labels[su] == labels[sv])
    length = np.bincount(
        labels[su][inside], weights=seg["length"].to_numpy()[inside], minlength=labels.max() + 1
    )
    present = np.unique(labels[used])
    order = present[np.lexsort((present, -length[present]))]
    rank = np.full(labels.max() + 1, -1, dtype=np.intp)
    rank[order] = np.arange(len(order))
    return np.where(used, rank[labels], -1)


def components(graph: StreetGraph, *, connection: str | None = None) -> pd.DataFrame:
    """The disconnected pieces of `graph`, longest first.

    Parameters
    ----------
    graph : StreetGraph
    connection : {"weak", "strong"}, optional
        See :func:`node_components`.

    Returns
    -------
    pandas.DataFrame
        One row per piece: ``component`` (0 = the main network), ``nodes``, ``segments``
        (inside the piece), ``length`` (m), ``share`` (of this mode's street length),
        ``main`` (bool). A single row means the network is connected.
    """
    labels = node_components(graph, connection=connection)
    seg = graph.segments
    su, sv = seg["u"].to_numpy(), seg["v"].to_numpy()
    inside = graph.in_mode & (labels[su] == labels[sv]) & (labels[su] >= 0)
    k = int(labels.max()) + 1
    nodes = np.bincount(labels[labels >= 0], minlength=k)
    segs = np.bincount(labels[su][inside], minlength=k)
    length = np.bincount(labels[su][inside], weights=seg["length"].to_numpy()[inside], minlength=k)
    total = float(seg["length"].to_numpy()[graph.in_mode].sum())
    return pd.DataFrame(
        {
            "component": np.arange(k),
            "nodes": nodes,
            "segments": segs,
            "length": length,
            "share": length / total if total > 0 else 0.0,
            "main": np.arange(k) == 0,
        }
    )
