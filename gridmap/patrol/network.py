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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
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


def _speeds_per_mode(
    speeds: Mapping[str, Any] | None, modes: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    if speeds is None:
        return {m: {} for m in modes}
    if not isinstance(speeds, Mapping):
        msg = f"`speeds` must be a mapping of highway class to km/h; got {speeds!r}"
        raise ValidationError(msg)
    nested = any(isinstance(v, Mapping) for v in speeds.values())
    out = {}
    for m in modes:
        table = speeds.get(m, {}) if nested else speeds
        if not isinstance(table, Mapping):
            msg = f"`speeds[{m!r}]` must be a mapping of highway class to km/h"
            raise ValidationError(msg)
        out[m] = {str(k): check_positive(v, f"speeds[{k!r}]") for k, v in table.items()}
    return out  # type: ignore[return-value]


@dataclass(frozen=True)
class _Layer:
    """The noded, de-duplicated segments of a streets layer (mode-independent)."""

    node_x: FloatArray
    node_y: FloatArray
    segments: gpd.GeoDataFrame
    walk_rows: BoolArray  # per segment: in the walk (or all) network
    bike_rows: BoolArray
    drive_rows: BoolArray
    oneway: IntArray  # +1 forward only, -1 reverse only, 0 both
    maxspeed: FloatArray
    has_network: bool
    notes: tuple[str, ...]

    @classmethod
    def build(cls, streets: gpd.GeoDataFrame) -> _Layer:
        notes: list[str] = []
        geoms_in = streets.geometry.to_numpy()
        if (shapely.get_type_id(geoms_in) == 1).all():  # plain LineStrings: no explode
            parts, row = geoms_in, np.arange(len(geoms_in))
        else:
            parts, row = shapely.get_parts(geoms_in, return_index=True)
        coords, part = shapely.get_coordinates(parts, return_index=True)
        # Nodes: vertices on a 1 cm lattice.
        node = _vertex_nodes(coords)
        n_nodes = int(node.max()) + 1
        first = np.r_[True, part[1:] != part[:-1]]
        last = np.r_[part[1:] != part[:-1], True]
        # Parts repeating the same line (walk and drive copies) must not node each other's
        # interior vertices: count distinct (start, end, vertex count) lines per node.
        n_vert = np.bincount(part, minlength=len(parts))
        ends = np.sort(np.column_stack([node[first], node[last]]), axis=1)
        line_key = _group_ids(ends[:, 0], ends[:, 1], n_vert)
        per_vertex_line = line_key[part]
        first_line = np.full(n_nodes, -1, dtype=np.intp)
        first_line[node[::-1]] = per_vertex_line[::-1]  # the first write of a node wins
        shared = np.zeros(n_nodes, dtype=bool)
        shared[node[per_vertex_line != first_line[node]]] = True
        split = ~first & ~last & shared[node]
        if split.any():
            rep = 1 + split.astype(np.intp)
            coords = np.repeat(coords, rep, axis=0)
            node = np.repeat(node, rep)
            part_x = np.repeat(part, rep)
            starts = np.repeat(first, rep)
            # the second copy of a split vertex starts a new segment
            second = np.zeros(len(coords), dtype=bool)
            second[np.cumsum(rep)[split] - 1] = True
            seg_of_vertex = np.cumsum(starts | second) - 1
            geoms = shapely.linestrings(coords, indices=seg_of_vertex)
            seg_first = np.r_[True, seg_of_vertex[1:] != seg_of_vertex[:-1]]
            seg_last = np.r_[seg_of_vertex[1:] != seg_of_vertex[:-1], True]
            u, v = node[seg_first], node[seg_last]
            seg_part = part_x[seg_first]
            n_vert = np.bincount(seg_of_vertex)
        else:
            geoms = parts
            u, v = node[first], node[last]
            seg_part = np.arange(len(parts))
        seg_row = row[seg_part]
        length = shapely.length(geoms)
        attrs = _row_attributes(streets, notes)
        network = attrs["network"][seg_row]
        # De-duplicate identical segments (either direction), keeping the driving row's
        # attributes (its oneway/maxspeed bind cars).
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        order = np.argsort(network != "drive", kind="stable")
        key = _group_ids(lo[order], hi[order], np.round(length[order] * 10), n_vert[order])
        keep_pos = _first_of_groups(key)
        keep = order[np.sort(keep_pos)]
        group_of_seg = np.empty(len(u), dtype=np.intp)
        group_of_seg[order] = key
        kept_group = group_of_seg[keep]
        remap = np.empty(int(key.max()) + 1, dtype=np.intp)
        remap[kept_group] = np.arange(len(keep))
        seg_group = remap[group_of_seg]
        if len(keep) < len(u):
            notes.append(f"{len(u) - len(keep)} repeated street segment(s) kept once")
        n = len(keep)

        def any_of(mask: BoolArray) -> BoolArray:
            return np.bincount(seg_group, weights=mask, minlength=n) > 0

        has_network = attrs["has_network"]
        walk = any_of(np.isin(network, ("walk", "all"))) if has_network else np.ones(n, bool)
        bike = any_of(np.isin(network, ("bike", "all"))) if has_network else np.ones(n, bool)
        drive = any_of(np.isin(network, ("drive", "all"))) if has_network else np.ones(n, bool)
        if has_network and not bike.any():
            bike = walk
        if has_network and not drive.any():
            notes.append("`network` column has no 'drive' rows: cars use the highway classes")
            has_network = False
        src = seg_row[keep]
        segments = gpd.GeoDataFrame(
            {
                "u": u[keep],
                "v": v[keep],
                "length": length[keep],
                "highway": attrs["highway"][src],
                "name": attrs["name"][src],
                "street": streets.index.to_numpy()[src],
            },
            geometry=gpd.GeoSeries(geoms[keep], crs=streets.crs).to_numpy(),
            crs=streets.crs,
        )
        return cls(
            node_x=_node_xy(coords, node, 0),
            node_y=_node_xy(coords, node, 1),
            segments=segments,
            walk_rows=walk,
            bike_rows=bike,
            drive_rows=drive,
            oneway=attrs["oneway"][src],
            maxspeed=attrs["maxspeed"][src],
            has_network=bool(has_network),
            notes=tuple(notes),
        )


def _node_xy(coords: FloatArray, node: IntArray, axis: int) -> FloatArray:
    out = np.empty(int(node.max()) + 1)
    out[node] = coords[:, axis]
    return out


def _vertex_nodes(coords: FloatArray) -> IntArray:
    """Node id of each vertex (vertices on one NODE_PRECISION_M lattice point share one)."""
    q = np.round(coords / NODE_PRECISION_M).astype(np.int64)
    q -= q.min(axis=0)
    span = int(q[:, 1].max()) + 1
    if int(q[:, 0].max()) < (2**62) // span:
        inv, _ = pd.factorize(q[:, 0] * span + q[:, 1])
    else:  # pragma: no cover - continental extents at 1 cm
        _, inv = np.unique(q, axis=0, return_inverse=True)
    return inv.ravel().astype(np.intp)


def _group_ids(*columns: Any) -> IntArray:
    """Dense ids (in order of first appearance) of the distinct rows of `columns`.

    The columns hold non-negative integers (one hash pass per column after the first).
    """
    ids = np.asarray(columns[0], dtype=np.int64)
    for col in columns[1:]:
        col = np.asarray(col, dtype=np.int64)
        ids, _ = pd.factorize(ids)
        ids = ids.astype(np.int64) * (int(col.max(initial=0)) + 1) + col
    ids, _ = pd.factorize(ids)
    return ids.astype(np.intp)


def _first_of_groups(ids: IntArray) -> IntArray:
    """Position of the first row of each group (ids numbered in order of first appearance)."""
    if not len(ids):
        return np.empty(0, dtype=np.intp)
    seen = np.maximum.accumulate(ids)
    return np.flatnonzero(np.r_[True, ids[1:] > seen[:-1]])


def _text_column(streets: gpd.GeoDataFrame, name: str, default: str) -> np.ndarray:
    """A tag column as clean strings: NaN → `default`, lists (OSMnx) → their first value."""
    if name not in streets.columns:
        return np.full(len(streets), default, dtype=object)
    values = streets[name].to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists): clean each
        codes, uniques = np.arange(len(values)), values
    clean = [_clean_tag(v, name, default) for v in uniques] + [default]
    return np.asarray(clean, dtype=object)[codes]


def _clean_tag(val: Any, name: str, default: str) -> str:
    if isinstance(val, list | tuple | np.ndarray):
        val = val[0] if len(val) else None
    if val is None or (isinstance(val, float) and np.isnan(val)) or val is pd.NA:
        return default
    text = str(val).strip()
    if text.startswith("[") and text.endswith("]"):  # "['residential', 'service']"
        text = text.strip("[]").split(",")[0].strip().strip("'\"")
    return text if name == "name" else text.lower()


def _row_attributes(streets: gpd.GeoDataFrame, notes: list[str]) -> dict[str, Any]:
    for column, default in (("highway", "unclassified"), ("oneway", "no"), ("maxspeed", "")):
        if column not in streets.columns:
            notes.append(f"no `{column}` column: every street taken as {default or 'untagged'}")
    highway = _text_column(streets, "highway", "unclassified")
    oneway_text = _text_column(streets, "oneway", "no")
    oneway = np.zeros(len(streets), dtype=np.int8)
    oneway[np.isin(oneway_text, list(_ONEWAY_FORWARD))] = 1
    oneway[np.isin(oneway_text, list(_ONEWAY_REVERSE))] = -1
    maxspeed = _parse_maxspeed(_text_column(streets, "maxspeed", ""))
    has_network = "network" in streets.columns
    network = _text_column(streets, "network", "all")
    if has_network and not np.isin(network, ("walk", "bike", "drive", "all")).all():
        bad = sorted(set(network) - {"walk", "bike", "drive", "all"})[:5]
        notes.append(f"`network` values {bad} not understood: those rows serve every mode")
        network = np.where(np.isin(network, ("walk", "bike", "drive")), network, "all")
    return {
        "highway": highway,
        "oneway": oneway,
        "maxspeed": maxspeed,
        "network": network,
        "has_network": has_network,
        "name": _text_column(streets, "name", ""),
    }


_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?")


def _parse_maxspeed(values: np.ndarray) -> FloatArray:
    """km/h from OSM ``maxspeed`` strings (``"30"``, ``"30 mph"``); nan when not a number."""
    codes, uniques = pd.factorize(values)
    kmh = np.full(len(uniques) + 1, np.nan)
    for i, text in enumerate(uniques):
        m = _SPEED.match(str(text))
        if m and float(m.group(1)) > 0:
            kmh[i] = float(m.group(1)) * (_MPH if m.group(2) == "mph" else 1.0)
    return kmh[codes]


def _mode_graph(
    layer: _Layer,
    mode: str,
    crs: pyproj.CRS,
    speeds: Mapping[str, float],
    *,
    use_maxspeed: bool,
) -> StreetGraph:
    seg = layer.segments
    highway = seg["highway"].to_numpy()
    n = len(seg)
    notes = list(layer.notes)
    if mode == "car":
        if layer.has_network:
            member = layer.drive_rows
        else:
            member = np.isin(highway, list(DRIVABLE | (set(speeds) - {"default"})))
        table = dict(CAR_KMH_BY_HIGHWAY) | dict(speeds)
        default = speeds.get("default", CAR_DEFAULT_KMH)
        kmh = _lookup(highway, table, default)
        if use_maxspeed:
            kmh = np.where(np.isfinite(layer.maxspeed), layer.maxspeed, kmh)
        fwd_ok = member & (layer.oneway >= 0)
        bwd_ok = member & (layer.oneway <= 0)
    else:
        if layer.has_network:
            member = layer.walk_rows if mode == "walk" else layer.bike_rows
        else:
            member = ~np.isin(highway, list(NOT_WALKABLE))
        base = WALK_KMH if mode == "walk" else BIKE_KMH
        table = dict.fromkeys(DISMOUNT, WALK_KMH) if mode == "bike" else {}
        table |= dict(speeds)
        kmh = _lookup(highway, table, speeds.get("default", base))
        fwd_ok = bwd_ok = member
    if not member.any():
        msg = f"`streets` has no street usable by mode {mode!r}"
        raise ValidationError(msg)
    kmh = np.where(member, kmh, np.nan)
    seconds = seg["length"].to_numpy() / (kmh / 3.6)
    forward = np.where(fwd_ok, seconds, np.inf)
    backward = np.where(bwd_ok, seconds, np.inf)
    # Directed edges, ordered by segment; keys number parallel edges per (u, v).
    s_idx = np.arange(n)
    f, b = s_idx[fwd_ok], s_idx[bwd_ok]
    u_all, v_all = seg["u"].to_numpy(), seg["v"].to_numpy()
    edge_segment = np.concatenate([f, b])
    edge_forward = np.concatenate([np.ones(len(f), bool), np.zeros(len(b), bool)])
    edge_u = np.concatenate([u_all[f], v_all[b]])
    edge_v = np.concatenate([v_all[f], u_all[b]])
    order = np.argsort(edge_u.astype(np.int64) * len(layer.node_x) + edge_v, kind="stable")
    edge_u, edge_v = edge_u[order], edge_v[order]
    edge_segment, edge_forward = edge_segment[order], edge_forward[order]
    new_pair = np.r_[True, (edge_u[1:] != edge_u[:-1]) | (edge_v[1:] != edge_v[:-1])]
    run_start = np.maximum.accumulate(np.where(new_pair, np.arange(len(edge_u)), 0))
    edge_key = np.arange(len(edge_u)) - run_start
    edge_time = np.where(edge_forward, forward[edge_segment], backward[edge_segment])
    csr = _csr(len(layer.node_x), edge_u, edge_v, edge_time, new_pair)
    return StreetGraph(
        mode=mode,
        crs=crs,
        node_x=layer.node_x,
        node_y=layer.node_y,
        segments=seg,
        forward_time=forward,
        backward_time=backward,
        speed_kmh=kmh,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_key=edge_key,
        edge_segment=edge_segment,
        edge_forward=edge_forward,
        csr=csr,
        notes=tuple(notes),
    )


def _lookup(highway: np.ndarray, table: Mapping[str, float], default: float) -> FloatArray:
    inv, classes = pd.factorize(highway)
    values = np.array([float(table.get(str(c), default)) for c in classes] + [default])
    return values[inv]


def _csr(n: int, u: IntArray, v: IntArray, t: FloatArray, new_pair: BoolArray) -> sp.csr_matrix:
    """CSR of the fastest edge per (u, v), self-loops dropped, from edges sorted by (u, v)."""
    starts = np.flatnonzero(new_pair)
    if len(starts):
        t = np.minimum.reduceat(t, starts)
        u, v = u[starts], v[starts]
    keep = u != v
    u, v, t = u[keep], v[keep], t[keep]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return sp.csr_matrix((t, v.astype(np.int32), indptr), shape=(n, n))


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
