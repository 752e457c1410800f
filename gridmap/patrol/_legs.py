"""Each leg of a patrol route traced along the streets, for the map and the route's length.

Private to :mod:`gridmap.patrol.route_views`: the travel-time matrix says how long a leg
takes; this finds the street path that takes that long.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Streets:
    """The graph's segments as plain arrays (pandas lookups per piece were most of the time)."""

    geoms: np.ndarray
    length: np.ndarray
    u: np.ndarray
    v: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    keys: np.ndarray  # tail * n_nodes + head of the fastest edge per pair, sorted
    key_segment: np.ndarray
    key_along: np.ndarray
    n_nodes: int

    @classmethod
    def of(cls, graph: StreetGraph) -> _Streets:
        seg = graph.segments
        n = graph.n_nodes
        keys = graph.edge_u.astype(np.int64) * n + graph.edge_v
        order = np.lexsort((graph.edge_time, keys))  # by pair, fastest first
        keys = keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = keys[1:] != keys[:-1]
        return cls(
            seg.geometry.to_numpy(),
            seg["length"].to_numpy(float),
            seg["u"].to_numpy(),
            seg["v"].to_numpy(),
            graph.forward_time,
            graph.backward_time,
            keys[first],
            graph.edge_segment[order][first],
            graph.edge_forward[order][first],
            n,
        )

    def edges(self, nodes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Segment and direction (along its geometry) of each step of the node path."""
        path = np.asarray(nodes, dtype=np.int64)
        at = np.searchsorted(self.keys, path[:-1] * self.n_nodes + path[1:])
        return self.key_segment[at], self.key_along[at]

    def ends(self, seg: int, pos: float, *, leaving: bool) -> list[tuple[int, float]]:
        """(node, seconds) from a snapped place to its segment's ends (`leaving`) or back."""
        length = self.length[seg]
        frac = pos / length if length > 0 else 0.0
        u, v = int(self.u[seg]), int(self.v[seg])
        fwd, bwd = self.forward[seg], self.backward[seg]
        if leaving:  # place -> v runs along the geometry, place -> u against it
            return [(v, (1 - frac) * fwd), (u, frac * bwd)]
        return [(u, frac * fwd), (v, (1 - frac) * bwd)]

    def piece(self, seg: int, a: float, b: float) -> list[list[float]]:
        """Coordinates of segment `seg` from position `a` to `b` (m; reversed if b < a)."""
        lo, hi = min(a, b), max(a, b)
        if lo <= 0 and hi >= self.length[seg]:
            coords = shapely.get_coordinates(self.geoms[seg]).tolist()
        else:
            coords = shapely.get_coordinates(ops.substring(self.geoms[seg], lo, hi)).tolist()
        return coords if a <= b else coords[::-1]


def trace_legs(places: Places, plan: PatrolPlan) -> gpd.GeoDataFrame:
    """Each leg of each route as a path along the streets (fastest, as the matrix timed it).

    Dijkstra (``scipy.sparse.csgraph``) from the end nodes of the snapped places, then the
    fastest combination of (place → end node → … → end node → place), or the direct piece
    when both places lie on one segment and the mode may go that way.
    """
    graph, table = places.graph, places.table
    streets = _Streets.of(graph)
    seg = table["segment"].to_numpy(int)
    pos = table["position"].to_numpy(float)
    rows = sorted({n for r in plan.routes for n in r.nodes})
    sources = sorted({n for r in rows for n, _ in streets.ends(seg[r], pos[r], leaving=True)})
    dist, pred = csgraph.dijkstra(graph.csr, indices=sources, return_predecessors=True)
    at = {s: i for i, s in enumerate(sources)}
    records = []
    for route in plan.routes:
        for k, (a, b) in enumerate(itertools.pairwise(route.nodes), start=1):
            coords = _leg(streets, dist, pred, at, seg, pos, a, b)
            if len(coords) < 2:
                here = coords[0] if coords else [table.at[a, "x"], table.at[a, "y"]]
                coords = [here, here]
            line = shapely.linestrings(np.asarray(coords, dtype=float))
            records.append({"unit": route.unit, "leg": k, "geometry": line})
    legs = gpd.GeoDataFrame(records, columns=["unit", "leg", "geometry"], crs=graph.crs)
    legs["length"] = legs.geometry.length
    return legs.to_crs("EPSG:4326")[["unit", "leg", "length", "geometry"]]


def _leg(streets: _Streets, dist, pred, at, seg, pos, a: int, b: int) -> list[list[float]]:  # type: ignore[no-untyped-def]
    sa, sb = int(seg[a]), int(seg[b])
    if a == b or (sa == sb and pos[a] == pos[b]):
        point = streets.geoms[sa].interpolate(pos[a])
        return [[point.x, point.y]] * 2
    best, how = np.inf, None
    if sa == sb:
        per = streets.forward[sa] if pos[b] >= pos[a] else streets.backward[sa]
        length = streets.length[sa]
        direct = abs(pos[b] - pos[a]) / length * per if length > 0 else 0.0
        if np.isfinite(direct):
            best, how = direct, "direct"
    for na, ta in streets.ends(sa, pos[a], leaving=True):
        if not np.isfinite(ta):
            continue
        for nb, tb in streets.ends(sb, pos[b], leaving=False):
            total = ta + dist[at[na], nb] + tb
            if total < best:
                best, how = total, (na, nb)
    if how is None:
        return []
    if how == "direct":
        return streets.piece(sa, pos[a], pos[b])
    na, nb = how
    row = at[na]
    nodes = [nb]
    while nodes[-1] != na and pred[row, nodes[-1]] >= 0:
        nodes.append(int(pred[row, nodes[-1]]))
    nodes.reverse()
    coords = streets.piece(sa, pos[a], streets.length[sa] if na == int(streets.v[sa]) else 0.0)
    for s, along in zip(*streets.edges(nodes), strict=True):
        full = streets.piece(int(s), 0.0, streets.length[s])
        coords += full if along else full[::-1]
    coords += streets.piece(sb, streets.length[sb] if nb == int(streets.v[sb]) else 0.0, pos[b])
    return coords
