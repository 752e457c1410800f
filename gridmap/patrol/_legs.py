"""Each leg of a patrol route traced along the streets, for the map and the route's length.

Private to :mod:`gridmap.patrol.route_views`: the travel-time matrix says how long a leg
takes; this finds the street path that takes that long.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import csgraph
from shapely import ops

from gridmap.patrol.network import StreetGraph
from gridmap.patrol.routing import PatrolPlan

if TYPE_CHECKING:
    from gridmap.patrol.route_views import Places


def _edge_lookup(graph: StreetGraph) -> dict[tuple[int, int], tuple[int, bool]]:
    """(tail, head) -> (segment, along its geometry) of the fastest edge between them."""
    order = np.argsort(graph.edge_time, kind="stable")[::-1]
    return {
        (int(graph.edge_u[i]), int(graph.edge_v[i])): (
            int(graph.edge_segment[i]),
            bool(graph.edge_forward[i]),
        )
        for i in order
    }


def _ends(graph: StreetGraph, seg: int, pos: float, *, leaving: bool) -> list[tuple[int, float]]:
    """(node, seconds) from a snapped place to its segment's ends (`leaving`) or back."""
    length = float(graph.segments["length"].iat[seg])
    frac = pos / length if length > 0 else 0.0
    u, v = int(graph.segments["u"].iat[seg]), int(graph.segments["v"].iat[seg])
    fwd, bwd = graph.forward_time[seg], graph.backward_time[seg]
    if leaving:  # place -> v runs along the geometry, place -> u against it
        return [(v, (1 - frac) * fwd), (u, frac * bwd)]
    return [(u, frac * fwd), (v, (1 - frac) * bwd)]


def _piece(graph: StreetGraph, seg: int, a: float, b: float) -> list[tuple[float, float]]:
    """Coordinates of segment `seg` from position `a` to `b` (metres; reversed if b < a)."""
    line = graph.segments.geometry.iat[seg]
    part = ops.substring(line, min(a, b), max(a, b))
    coords = list(shapely.get_coordinates(part).tolist())
    return coords if a <= b else coords[::-1]


def trace_legs(places: Places, plan: PatrolPlan) -> gpd.GeoDataFrame:
    """Each leg of each route as a path along the streets (fastest, as the matrix timed it).

    Dijkstra (``scipy.sparse.csgraph``) from the end nodes of the snapped places, then the
    fastest combination of (place → end node → … → end node → place), or the direct piece
    when both places lie on one segment and the mode may go that way.
    """
    graph, table = places.graph, places.table
    lookup = _edge_lookup(graph)
    seg = table["segment"].to_numpy(int)
    pos = table["position"].to_numpy(float)
    rows = sorted({n for r in plan.routes for n in r.nodes})
    sources = sorted({n for r in rows for n, _ in _ends(graph, seg[r], pos[r], leaving=True)})
    dist, pred = csgraph.dijkstra(graph.csr, indices=sources, return_predecessors=True)
    at = {s: i for i, s in enumerate(sources)}
    records = []
    for route in plan.routes:
        for k, (a, b) in enumerate(zip(route.nodes[:-1], route.nodes[1:], strict=True), start=1):
            coords = _leg(graph, lookup, dist, pred, at, seg, pos, a, b)
            line = (
                shapely.LineString(coords)
                if len(coords) >= 2
                else shapely.LineString(
                    [coords[0], coords[0]] if coords else [(table.at[a, "x"], table.at[a, "y"])] * 2
                )
            )
            records.append({"unit": route.unit, "leg": k, "geometry": line})
    legs = gpd.GeoDataFrame(records, columns=["unit", "leg", "geometry"], crs=graph.crs)
    legs["length"] = legs.geometry.length
    return legs.to_crs("EPSG:4326")[["unit", "leg", "length", "geometry"]]


def _leg(graph, lookup, dist, pred, at, seg, pos, a: int, b: int) -> list[tuple[float, float]]:
    if a == b or (seg[a] == seg[b] and pos[a] == pos[b]):
        return [tuple(graph.segments.geometry.iat[seg[a]].interpolate(pos[a]).coords[0])] * 2
    best: tuple[float, list[tuple[float, float]]] = (np.inf, [])
    if seg[a] == seg[b]:
        s = seg[a]
        per = graph.forward_time[s] if pos[b] >= pos[a] else graph.backward_time[s]
        length = float(graph.segments["length"].iat[s])
        direct = abs(pos[b] - pos[a]) / length * per if length > 0 else 0.0
        if np.isfinite(direct):
            best = (direct, _piece(graph, s, pos[a], pos[b]))
    length_a = float(graph.segments["length"].iat[seg[a]])
    length_b = float(graph.segments["length"].iat[seg[b]])
    for na, ta in _ends(graph, seg[a], pos[a], leaving=True):
        if not np.isfinite(ta):
            continue
        row = at[na]
        for nb, tb in _ends(graph, seg[b], pos[b], leaving=False):
            total = ta + dist[row, nb] + tb
            if total < best[0]:
                nodes = [nb]
                while nodes[-1] != na and pred[row, nodes[-1]] >= 0:
                    nodes.append(int(pred[row, nodes[-1]]))
                nodes.reverse()
                coords = _piece(
                    graph,
                    seg[a],
                    pos[a],
                    length_a if na == int(graph.segments["v"].iat[seg[a]]) else 0.0,
                )
                for x, y in itertools.pairwise(nodes):
                    s, along = lookup[(x, y)]
                    full = _piece(graph, s, 0.0, float(graph.segments["length"].iat[s]))
                    coords += full if along else full[::-1]
                coords += _piece(
                    graph,
                    seg[b],
                    length_b if nb == int(graph.segments["v"].iat[seg[b]]) else 0.0,
                    pos[b],
                )
                best = (total, coords)
    return best[1]
