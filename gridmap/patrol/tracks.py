"""GPS tracks: planned versus actual patrols (dosage at hot spots, streets walked, stops made).

Tracks live in the workspace's ``tracks`` layer (imported like any layer), or are read from
a file: :func:`read_track` reads a GPX file (streamed; no
document type allowed) or a CSV (through :func:`gridmap.io.read_table`; columns time/lon/lat
and optional unit, Chinese names accepted), within the upload limit, into a GeoDataFrame of
fixes in EPSG:4326. :func:`clean_track` drops fixes with impossible coordinates or times,
without a timestamp, repeated, or jumps faster than a plausible speed, saying how many
(in Chinese and English) and keeping the rest. Measures, all computed in a
metric CRS (the local UTM zone):

* :func:`hotspot_dosage`: per hot spot the time spent inside, the number of visits, visits
  per 2 hours and how many visits fell in the Koper window (10-15 min);
* :func:`streets_covered`: streets with a fix within 25 m;
* :func:`stops_visited`: planned stops or key sites passed within a radius.

:func:`synthetic_week` makes a seeded, clearly labelled synthetic week of tracks for tests and
demonstrations.
"""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.patrol._track_files import read_track as read_track  # public here
from gridmap.patrol.network import StreetGraph
from gridmap.patrol.routing import KOPER_WINDOW

#: Plausible top speeds, m/s, by travel mode: a fix implying more is a GPS jump. A running
#: officer ~4 m/s (14 km/h), a police bicycle ~10 m/s (36 km/h), a car in town ~35 m/s
#: (126 km/h, a pursuit). Our own plausibility limits, not from a standard.
MAX_SPEED = {"walk": 4.0, "bike": 10.0, "car": 35.0}
#: A street counts as patrolled when a fix lies within this distance, metres (GPS error in
#: streets between buildings is typically 5-20 m).
SNAP_DISTANCE = 25.0
#: Fixes before the GPS epoch (week 0 began 1980-01-06, IS-GPS-200) or after tomorrow
#: cannot be real: their times are dropped as impossible, not trusted.
GPS_EPOCH = pd.Timestamp("1980-01-06")
#: Fixes further apart in time than this are not joined: the unit may have been anywhere.
MAX_INTERVAL = 300.0


def _metric(gdf: gpd.GeoDataFrame, crs: object | None) -> gpd.GeoDataFrame:
    if crs is None:
        crs = gdf.estimate_utm_crs()
    return gdf.to_crs(crs)


def _jumps(
    xs: np.ndarray, ys: np.ndarray, secs: np.ndarray, units: np.ndarray, max_speed: float
) -> tuple[np.ndarray, list[int]]:
    """Which fixes to keep, and the jumps: each fix against the last *kept* fix of its unit.

    A jump can last several fixes, so the rule is sequential; but a fix that is no jump
    from the fix just before it (kept) needs no look back. Only the pairs that fail the
    vectorised check are walked in Python: 1,000,000 fixes took 20 s in a plain loop.
    """
    n = len(xs)
    keep = np.ones(n, bool)
    jumps: list[int] = []

    def jump(last: int, i: int) -> bool:
        d = float(np.hypot(xs[i] - xs[last], ys[i] - ys[last]))
        return d > max_speed * max(float(secs[i] - secs[last]), 1.0)

    if n < 2:
        return keep, jumps
    same = units[1:] == units[:-1]
    step = np.hypot(np.diff(xs), np.diff(ys))
    fast = step > max_speed * np.maximum(np.diff(secs), 1.0)
    resume = 0
    for s in (np.flatnonzero(same & fast) + 1).tolist():
        if s < resume:
            continue
        last, i = s - 1, s  # fix s - 1 is kept: nothing between `resume` and s was dropped
        while i < n and units[i] == units[last] and jump(last, i):
            keep[i] = False
            jumps.append(i)
            i += 1
        resume = i + 1  # fix i (if any) is kept: the vectorised check holds again after it
    return keep, jumps


def clean_track(
    track: gpd.GeoDataFrame, *, mode: str = "walk", max_speed: float | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Drop fixes without a timestamp and jumps; sort by unit and time.

    A fix is a jump when reaching it from the previous kept fix of the same unit needs more
    than `max_speed` (m/s; default :data:`MAX_SPEED` of `mode`). Returns the clean fixes and
    the messages saying what was dropped.

    Raises
    ------
    ValidationError
        No fix has a timestamp, or more than half the fixes are jumps (wrong coordinates?).
    """
    if not isinstance(track, gpd.GeoDataFrame) or "time" not in track.columns:
        msg = "`track` must be a GeoDataFrame of fixes with a `time` column"
        raise ValidationError(msg)
    if max_speed is None:
        if mode not in MAX_SPEED:
            msg = f"`mode` must be one of {', '.join(MAX_SPEED)}; got {mode!r}"
            raise ValidationError(msg)
        max_speed = MAX_SPEED[mode]
    messages: list[Message] = []
    geometry = track.geometry
    placed = np.array(geometry.notna() & ~geometry.is_empty, dtype=bool)
    if placed.any():
        placed[placed] = np.isfinite(shapely.get_coordinates(geometry[placed])).all(axis=1)
    if not placed.all():
        messages.append(Message("track_bad_coordinates", n=int((~placed).sum())))
        track = track[placed]
    t = pd.to_datetime(track["time"], errors="coerce")
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert(None)
    last = pd.Timestamp.now() + pd.Timedelta(days=1)
    absurd = t.notna() & ((t < GPS_EPOCH) | (t > last))
    if absurd.any():
        messages.append(
            Message(
                "track_absurd_time",
                n=int(absurd.sum()),
                first=GPS_EPOCH.date(),
                last=last.strftime("%Y-%m-%d %H:%M"),
            )
        )
        t = t.mask(absurd)
    t = t.astype("datetime64[ns]")  # what is left lies between 1980 and tomorrow
    missing = int((t.isna() & ~absurd).sum())
    if not t.notna().any():
        raise ValidationError(Message("patrol_track_no_times"))
    out = track.assign(time=t)
    if "unit" not in out:
        out["unit"] = "unit"
    if missing:
        messages.append(Message("track_no_time", n=missing))
    out = out[t.notna()]
    out = out.sort_values(["unit", "time"], kind="stable")
    dup = out.duplicated(["unit", "time"])
    if dup.any():
        messages.append(Message("track_repeated_time", n=int(dup.sum())))
        out = out[~dup]
    # coordinates only, through pyproj: GeoDataFrame.to_crs rebuilt a million points (3.6 s)
    to_metric = pyproj.Transformer.from_crs(out.crs, out.estimate_utm_crs(), always_xy=True)
    xs, ys = to_metric.transform(out.geometry.x.to_numpy(), out.geometry.y.to_numpy())
    secs = (out["time"] - out["time"].min()).dt.total_seconds().to_numpy()
    units = out["unit"].to_numpy()
    keep, jumps = _jumps(xs, ys, secs, units, max_speed)
    if len(jumps) * 2 > len(out):
        raise ValidationError(
            Message("patrol_track_jumps", jumps=len(jumps), n=len(out), speed=f"{max_speed:g}")
        )
    if jumps:
        first = out["time"].iloc[jumps[0]]
        messages.append(
            Message("track_jumps_dropped", n=len(jumps), speed=f"{max_speed:g}", first=first)
        )
    return out[keep].reset_index(drop=True), messages


def _intervals(track: gpd.GeoDataFrame, metric: gpd.GeoDataFrame):
    """Per consecutive pair of fixes of a unit: start index, seconds (gaps > MAX_INTERVAL: 0)."""
    same = track["unit"].to_numpy()[1:] == track["unit"].to_numpy()[:-1]
    dt = np.diff(track["time"].to_numpy()).astype("timedelta64[ms]").astype(float) / 1000
    return np.where(same & (dt <= MAX_INTERVAL), dt, 0.0)


def hotspot_dosage(
    track: gpd.GeoDataFrame,
    hotspots: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    crs: object | None = None,
) -> pd.DataFrame:
    """Police presence per hot spot from clean fixes (:func:`clean_track`).

    Time inside = the sum of intervals between consecutive fixes of a unit both inside the
    polygon. A visit = a run of consecutive fixes inside. Returns one row per hot spot:
    ``dwell`` (s), ``visits``, ``mean_visit`` (s), ``koper_visits`` (visits of 10-15 min),
    ``short_visits`` (< 10 min), ``visits_per_2h`` (over the track's time span).
    """
    if len(track) == 0:
        msg = "`track` has no fixes"
        raise ValidationError(msg)
    fixes = _metric(track, crs)
    zones = hotspots.to_crs(fixes.crs)
    ids = zones[id_column] if id_column else pd.Series(zones.index, index=zones.index)
    fix_i, zone_i = zones.sindex.query(fixes.geometry, predicate="intersects")
    inside = np.zeros((len(zones), len(fixes)), bool)
    inside[zone_i, fix_i] = True
    dt = _intervals(track, fixes)
    span = (track["time"].max() - track["time"].min()).total_seconds()
    rows = []
    for z in range(len(zones)):
        a = inside[z]
        both = a[:-1] & a[1:]
        dwell_pairs = np.where(both, dt, 0.0)
        # runs: a fix inside whose predecessor (same unit, joined) is not inside starts a visit
        starts = a.copy()
        starts[1:] &= ~(a[:-1] & (dt > 0))
        run_id = np.cumsum(starts) * a
        per_visit = np.bincount(run_id[1:], weights=dwell_pairs, minlength=run_id.max() + 1)[1:]
        rows.append(
            {
                "hotspot": ids.iloc[z],
                "dwell": float(dwell_pairs.sum()),
                "visits": len(per_visit),
                "mean_visit": float(per_visit.mean()) if len(per_visit) else 0.0,
                "koper_visits": int(
                    ((per_visit >= KOPER_WINDOW[0]) & (per_visit <= KOPER_WINDOW[1])).sum()
                ),
                "short_visits": int((per_visit < KOPER_WINDOW[0]).sum()),
                "visits_per_2h": len(per_visit) / (span / 7200) if span > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)


def streets_covered(
    track: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    within: float = SNAP_DISTANCE,
    crs: object | None = None,
) -> pd.Series:
    """Whether each street (indexed like `streets`) has a fix within `within` metres.

    Each fix is snapped to its nearest street segment (``STRtree.query_nearest`` with a
    maximum distance), so a fix at a crossing counts for one street, not all of them.
    """
    fixes = _metric(track, crs)
    lines = streets.to_crs(fixes.crs)
    tree = shapely.STRtree(lines.geometry.to_numpy())
    pairs = tree.query_nearest(fixes.geometry.to_numpy(), max_distance=within, all_matches=False)
    covered = np.zeros(len(lines), bool)
    covered[pairs[1]] = True
    return pd.Series(covered, index=streets.index, name="covered")


def stops_visited(
    track: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    *,
    within: float = 30.0,
    crs: object | None = None,
) -> pd.Series:
    """Whether each stop (planned stop, key site; indexed like `stops`) was passed within
    `within` metres by any fix. ``.mean()`` is the share of planned stops visited."""
    fixes = _metric(track, crs)
    places = stops.to_crs(fixes.crs)
    near = places.sindex.query(fixes.geometry.buffer(within), predicate="intersects")
    hit = np.zeros(len(places), bool)
    hit[near[1]] = True
    return pd.Series(hit, index=stops.index, name="visited")


class _StreetLegs:
    """Shortest walks along `graph`'s streets between places (posts, then stops).

    Each place starts from its nearest node of the main piece of the network (so every leg
    exists); a leg is the chain of street geometries of the shortest path by length
    (``scipy.sparse.csgraph.dijkstra``).
    """

    def __init__(self, graph: StreetGraph, xy: np.ndarray) -> None:
        from scipy.sparse import csgraph
        from scipy.spatial import cKDTree

        from gridmap.patrol.network import node_components

        main = np.flatnonzero(node_components(graph) == 0)
        if not len(main):
            msg = f"`graph` has no {graph.mode} streets to walk along"
            raise ValidationError(msg)
        node_xy = np.column_stack([graph.node_x[main], graph.node_y[main]])
        self.node = main[cKDTree(node_xy).query(xy)[1]]
        seg = graph.segments
        length = seg["length"].to_numpy()
        u, v = graph.edge_u, graph.edge_v
        w = length[graph.edge_segment]
        order = np.lexsort((w, v, u))  # the shortest of parallel edges first
        first = np.ones(len(order), bool)
        first[1:] = (u[order][1:] != u[order][:-1]) | (v[order][1:] != v[order][:-1])
        pick = order[first]
        ends = zip(u[pick].tolist(), v[pick].tolist(), pick.tolist(), strict=True)
        self.edge = {(a, b): e for a, b, e in ends}
        n = graph.n_nodes
        csr = sp.csr_matrix((np.maximum(w[pick], 1e-9), (u[pick], v[pick])), shape=(n, n))
        self.dist, self.pred = csgraph.dijkstra(
            csr, indices=np.unique(self.node), return_predecessors=True
        )
        self.row = {int(x): i for i, x in enumerate(np.unique(self.node))}
        self.graph = graph
        self.geoms = seg.geometry.to_numpy()

    def metres(self, i: int, j: int) -> float:
        return float(self.dist[self.row[int(self.node[i])], self.node[j]])

    def line(self, i: int, j: int) -> shapely.LineString | None:
        """The leg from place `i` to place `j` (None when they share a node)."""
        a, b = int(self.node[i]), int(self.node[j])
        pred = self.pred[self.row[a]]
        path = [b]
        while path[-1] != a:
            path.append(int(pred[path[-1]]))
        path.reverse()
        if len(path) < 2:
            return None
        parts = []
        for x, y in itertools.pairwise(path):
            e = self.edge[(x, y)]
            coords = shapely.get_coordinates(self.geoms[self.graph.edge_segment[e]])
            parts.append(coords if self.graph.edge_forward[e] else coords[::-1])
        return shapely.LineString(np.concatenate(parts))


def synthetic_week(
    posts: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    *,
    graph: StreetGraph | None = None,
    units: int = 2,
    days: int = 7,
    start: str = "2025-11-03 08:00",
    shift_hours: float = 4.0,
    seed: int = 0,
    every: float = 10.0,
    noise: float = 5.0,
    faults: bool = True,
) -> gpd.GeoDataFrame:
    """A seeded **synthetic** week of GPS tracks (``synthetic`` column True) for `units` units.

    Unit `k` starts at post ``k % len(posts)``, walks at 1.3 m/s to randomly drawn stops
    along the shortest street path of `graph` (a walking :class:`StreetGraph`; places start
    from their nearest intersection of the network's main piece), dwells 5-18 min at each
    (some visits too short, some in the Koper window), and returns before the shift ends; a
    fix every `every` seconds with `noise` metres of GPS error (normal, per axis). Without
    `graph` the legs are straight lines (only for places without streets). With `faults`,
    ~0.5 % of fixes lose their timestamp and ~0.3 % jump 1-3 km, so :func:`clean_track` has
    something to clean. Not real police data.

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit`` (``U1`` …), ``time``, ``synthetic`` (True), Point geometry in EPSG:4326.
    """
    if not len(posts) or not len(stops):
        msg = "`posts` and `stops` must each hold at least one point"
        raise ValidationError(msg)
    rng = np.random.default_rng(seed)
    crs = graph.crs if graph is not None else posts.estimate_utm_crs()
    p_xy = shapely.get_coordinates(posts.to_crs(crs).geometry)
    s_xy = shapely.get_coordinates(stops.to_crs(crs).geometry)
    places = np.vstack([p_xy, s_xy])
    legs_on = _StreetLegs(graph, places) if graph is not None else None
    if legs_on is not None:  # walk from the street, not from the building
        places = np.column_stack([graph.node_x[legs_on.node], graph.node_y[legs_on.node]])

    def metres(i: int, j: int) -> float:
        if legs_on is not None:
            return legs_on.metres(i, j)
        return float(np.hypot(*(places[j] - places[i])))

    def line(i: int, j: int) -> shapely.LineString | None:
        if legs_on is not None:
            return legs_on.line(i, j)
        return None if i == j else shapely.LineString([places[i], places[j]])

    speed = 1.3
    rows = []
    t0 = pd.Timestamp(start)
    for day in range(days):
        for k in range(units):
            home = k % len(p_xy)
            clock, here, limit = 0.0, home, shift_hours * 3600
            legs: list[tuple[int, int, float]] = []
            while True:
                nxt = len(p_xy) + int(rng.integers(len(s_xy)))
                walk = metres(here, nxt) / speed
                stay = rng.uniform(5 * 60, 18 * 60)
                if clock + walk + stay + metres(nxt, home) / speed > limit:
                    break
                legs += [(here, nxt, walk), (nxt, nxt, stay)]
                clock += walk + stay
                here = nxt
            legs.append((here, home, metres(here, home) / speed))
            clock = 0.0
            for a, b, secs in legs:
                if secs <= 0:  # a stop at the same intersection as the last place
                    continue
                n = max(int(secs // every), 1)
                f = np.arange(n) / n
                path = line(a, b) if a != b else None
                if path is None:
                    xy = np.repeat(places[a][None, :], n, axis=0)
                else:
                    xy = shapely.get_coordinates(
                        shapely.line_interpolate_point(path, f, normalized=True)
                    )
                xy = xy + rng.normal(0, noise, (n, 2))
                tt = clock + f * secs
                rows.append(
                    pd.DataFrame(
                        {
                            "unit": f"U{k + 1}",
                            "time": t0 + pd.Timedelta(days=day) + pd.to_timedelta(tt, unit="s"),
                            "x": xy[:, 0],
                            "y": xy[:, 1],
                        }
                    )
                )
                clock += secs
    frame = pd.concat(rows, ignore_index=True)
    if faults:
        lost = rng.random(len(frame)) < 0.005
        frame.loc[lost, "time"] = pd.NaT
        jump = rng.random(len(frame)) < 0.003
        angle = rng.uniform(0, 2 * np.pi, int(jump.sum()))
        dist = rng.uniform(1000, 3000, int(jump.sum()))
        frame.loc[jump, "x"] += dist * np.cos(angle)
        frame.loc[jump, "y"] += dist * np.sin(angle)
    out = gpd.GeoDataFrame(
        frame[["unit", "time"]].assign(synthetic=True),
        geometry=gpd.points_from_xy(frame["x"], frame["y"]),
        crs=crs,
    )
    return out.to_crs("EPSG:4326")


def workspace_synthetic_week(
    store: Any, *, units: int = 2, days: int = 7, seed: int = 0
) -> gpd.GeoDataFrame:
    """The synthetic week of :func:`synthetic_week` on a workspace's own posts and streets.

    Units start from the workspace's first `units` posts and visit its key sites along the
    walking network of its ``streets`` layer (built in the workspace's working CRS).

    Raises
    ------
    ValidationError
        The workspace lacks posts, sites or streets.
    """
    from gridmap.patrol.network import street_graph

    layers = set(store.layers())
    missing = [name for name in ("posts", "sites", "streets") if name not in layers]
    if missing:
        msg = f"the workspace has no {', '.join(missing)} layer: synthetic tracks need them"
        raise ValidationError(msg)
    # the layer's `network` column, when present, picks the walking streets
    graph = street_graph(store.read("streets"), mode="walk", crs=store.working_crs())
    posts, sites = store.read("posts"), store.read("sites")
    return synthetic_week(posts, sites, graph=graph, units=units, days=days, seed=seed)
