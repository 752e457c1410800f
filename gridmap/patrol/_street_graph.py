"""The street graph of one travel mode and its speeds (private; public in :mod:`.network`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely

from gridmap.patrol._graph import (
    BoolArray,
    FloatArray,
    IntArray,
)

#: Walking speed, km/h (≈1.4 m/s, a common planning pace).
WALK_KMH = 5.0
#: Bicycle (and e-bike in urban traffic) speed, km/h.
BIKE_KMH = 15.0
#: Where a cyclist dismounts and goes at walking pace.
DISMOUNT = frozenset({"steps", "elevator", "corridor"})
#: Car speed by OSM ``highway`` class when ``maxspeed`` is missing, km/h: lower bounds of the
#: design-speed ranges of CJJ 37-2012 §3.1 (快速路 60, 主干路 40, 次干路 30, 支路 20), links
#: one class lower, service roads and living streets below branch roads.
CAR_KMH_BY_HIGHWAY: Mapping[str, float] = {
    "motorway": 60.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 40.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 30.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 20.0,
    "unclassified": 20.0,
    "residential": 20.0,
    "road": 20.0,
    "service": 15.0,
    "living_street": 10.0,
}
#: Car speed for a class not in :data:`CAR_KMH_BY_HIGHWAY`, km/h (a branch road, 支路).
CAR_DEFAULT_KMH = 20.0
#: Classes closed to walking and cycling when the layer has no ``network`` column.
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
#: Classes open to cars when the layer has no ``network`` column.
DRIVABLE = frozenset(CAR_KMH_BY_HIGHWAY)
#: Snaps farther than this from any street (m) are flagged ``far``.
FAR_SNAP_M = 100.0
#: Vertices closer than this (m, per axis) are the same node.
NODE_PRECISION_M = 0.01

_ONEWAY_FORWARD = frozenset({"yes", "true", "1", "t", "y"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_MPH = 1.609344


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """One travel mode's street network, as arrays (and a lazy networkx graph).

    Nodes are ``0 … n_nodes-1`` and shared by every mode built from the same streets
    (nodes no edge of this mode touches are isolated). A *segment* is an undirected street
    piece between two nodes; each mode has a forward edge (along the segment's geometry,
    ``u → v``) and/or a backward edge (``v → u``) on the segments it may use.

    Attributes
    ----------
    mode : str
        ``"walk"``, ``"bike"`` or ``"car"``.
    crs : pyproj.CRS
        The metric CRS of every coordinate and length.
    node_x, node_y : numpy.ndarray
        Node coordinates, metres in `crs`.
    segments : geopandas.GeoDataFrame
        Every segment of the streets (all modes), indexed ``0 … n-1``: ``u``, ``v`` (nodes at
        the geometry's start and end), ``length`` (m), ``highway``, ``name``, ``street`` (the
        label of its row in the streets layer), ``geometry`` (in `crs`).
    forward_time, backward_time : numpy.ndarray
        Per segment, seconds to traverse it ``u → v`` / ``v → u`` in this mode; ``inf``
        where this mode may not (not in its network, or against a one-way street by car).
    speed_kmh : numpy.ndarray
        Per segment, this mode's speed (km/h; ``nan`` off its network).
    edge_u, edge_v, edge_key, edge_segment : numpy.ndarray
        The directed edges: tail, head, networkx key, segment; ``edge_forward`` says whether
        the edge runs along the segment's geometry.
    csr : scipy.sparse.csr_matrix
        ``n_nodes × n_nodes`` edge times (s), the fastest of parallel edges, no self-loops.
    notes : tuple of str
        Defaults used (missing columns, unknown values) and what was dropped.
    """

    mode: str
    crs: pyproj.CRS
    node_x: FloatArray
    node_y: FloatArray
    segments: gpd.GeoDataFrame
    forward_time: FloatArray
    backward_time: FloatArray
    speed_kmh: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_key: IntArray
    edge_segment: IntArray
    edge_forward: BoolArray
    csr: sp.csr_matrix
    notes: tuple[str, ...] = field(default=())

    @property
    def n_nodes(self) -> int:
        """Number of nodes (of all modes)."""
        return len(self.node_x)

    @property
    def edge_time(self) -> FloatArray:
        """Seconds to traverse each directed edge."""
        return np.where(
            self.edge_forward,
            self.forward_time[self.edge_segment],
            self.backward_time[self.edge_segment],
        )

    @property
    def edge_length(self) -> FloatArray:
        """Length of each directed edge, metres."""
        return self.segments["length"].to_numpy()[self.edge_segment]

    @cached_property
    def in_mode(self) -> BoolArray:
        """Per segment, True when this mode can use it in at least one direction."""
        return np.isfinite(self.forward_time) | np.isfinite(self.backward_time)

    @cached_property
    def nodes(self) -> IntArray:
        """The nodes an edge of this mode touches."""
        return np.unique(np.concatenate([self.edge_u, self.edge_v]))

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The networkx MultiDiGraph (OSMnx attributes), built on first access."""
        g = nx.MultiDiGraph(crs=self.crs, mode=self.mode)
        nodes = self.nodes
        g.add_nodes_from(
            (int(n), {"x": float(x), "y": float(y)})
            for n, x, y in zip(nodes, self.node_x[nodes], self.node_y[nodes], strict=True)
        )
        seg = self.segments
        geoms = seg.geometry.to_numpy()
        length = seg["length"].to_numpy()
        highway = seg["highway"].to_numpy()
        name = seg["name"].to_numpy()
        times = self.edge_time
        rev = shapely.reverse(geoms[self.edge_segment[~self.edge_forward]])
        edge_geoms = geoms[self.edge_segment].copy()
        edge_geoms[~self.edge_forward] = rev
        g.add_edges_from(
            (
                int(u),
                int(v),
                int(k),
                {
                    "length": float(length[s]),
                    "time": float(t),
                    "geometry": gm,
                    "segment": int(s),
                    "highway": highway[s],
                    "name": name[s],
                },
            )
            for u, v, k, s, t, gm in zip(
                self.edge_u,
                self.edge_v,
                self.edge_key,
                self.edge_segment,
                times,
                edge_geoms,
                strict=True,
            )
        )
        return g

    @cached_property
    def _segment_keys(self) -> tuple[IntArray, IntArray]:
        """networkx key of each segment's forward and backward edge (-1: none)."""
        fkey = np.full(len(self.segments), -1, dtype=np.intp)
        bkey = np.full(len(self.segments), -1, dtype=np.intp)
        f = self.edge_forward
        fkey[self.edge_segment[f]] = self.edge_key[f]
        bkey[self.edge_segment[~f]] = self.edge_key[~f]
        return fkey, bkey

    @cached_property
    def _tree(self) -> tuple[shapely.STRtree, IntArray]:
        usable = np.flatnonzero(self.in_mode)
        return shapely.STRtree(self.segments.geometry.to_numpy()[usable]), usable


@dataclass(frozen=True)
class TravelTimes:
    """Nearest-source travel times.

    Attributes
    ----------
    time : numpy.ndarray
        Seconds from the nearest source (``inf``: not reached, or beyond the cutoff).
    nearest : numpy.ndarray
        Position (in the `sources` given) of that source, ``-1`` where not reached.
    """

    time: FloatArray
    nearest: IntArray


# --- building ------------------------------------------------------------------------------
