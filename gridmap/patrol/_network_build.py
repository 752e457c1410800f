"""Building street graphs from the ``streets`` layer (private; used by :mod:`.network`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from gridmap._errors import ValidationError
from gridmap.patrol._graph import (
    BoolArray,
    FloatArray,
    IntArray,
    check_positive,
)
from gridmap.patrol._street_graph import (
    _MPH,
    _ONEWAY_FORWARD,
    _ONEWAY_REVERSE,
    BIKE_KMH,
    CAR_DEFAULT_KMH,
    CAR_KMH_BY_HIGHWAY,
    DISMOUNT,
    DRIVABLE,
    NODE_PRECISION_M,
    NOT_WALKABLE,
    WALK_KMH,
    StreetGraph,
)


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
