"""Line patrols, randomised schedules and planned versus actual, for the Patrol routes page.

Plain functions the page (``app_pages/patrol_routes.py``) and ``gridmap patrol`` call:

- :func:`line_patrol` — the streets of one grid, the Chinese postman closed walk over them
  (:func:`~gridmap.patrol.postman.postman_route`: Edmonds & Johnson 1973; the directed
  version for cars on one-way streets), its length and time;
- :func:`schedule` — randomised shifts for one post's unit over `days` days
  (:func:`~gridmap.patrol.schedules.randomised_week`) with each day's predictability
  (entropy of visit times, :func:`~gridmap.patrol.schedules.predictability`) and the
  visits-every-2-hours check (:func:`~gridmap.patrol.schedules.schedule_gaps`);
- :func:`planned_vs_actual` — a GPS track against the hot spots (dosage, Koper 1995),
  the streets, the planned stops and the key sites (:mod:`gridmap.patrol.tracks`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import csgraph

from gridmap._errors import ValidationError
from gridmap.i18n import Message, t
from gridmap.patrol import schedules as sched
from gridmap.patrol import tracks
from gridmap.patrol.network import StreetGraph
from gridmap.patrol.postman import PostmanRoute, postman_route
from gridmap.patrol.route_views import Places, check_clock, snap_places

#: A stop's zone when the workspace has no hot-spot polygons: a circle of this radius (m)
#: around it counts as "at the stop" for dosage.
STOP_RADIUS = 50.0


# --------------------------------------------------------------------------- line patrol


@dataclass(frozen=True)
class LinePatrol:
    """A grid's line patrol: the walk, its length (m) and time (s), the grid's streets (m),
    the walk as one LineString (``path``, EPSG:4326) and parts of the grid's network left
    out because they do not connect to the largest (``left_out``)."""

    route: PostmanRoute
    length: float
    time: float
    street_length: float
    path: gpd.GeoDataFrame
    left_out: int


def line_patrol(graph: StreetGraph, grids: gpd.GeoDataFrame, grid_code: str) -> LinePatrol:
    """The shortest closed walk over every street of grid `grid_code` in `graph`'s mode.

    Streets that touch the grid count. They rarely form one connected piece on their own
    (a footway meets the rest outside the grid), so the pieces are joined first by the
    shortest street paths between them, chosen as a minimum spanning tree over the pieces
    (the usual rural-postman construction, Frederickson 1979); then the Chinese postman walk
    (:func:`~gridmap.patrol.postman.postman_route`; Edmonds & Johnson 1973) covers streets
    and joins. Walking and cycling: undirected; cars: directed, one-way streets respected
    (joins both ways). Pieces the network does not join at all are counted in ``left_out``.

    Raises
    ------
    ValidationError
        Unknown grid, or no street of this mode in it.
    """
    chosen = grids[grids["grid_code"].astype(str) == str(grid_code)]
    if chosen.empty:
        raise ValidationError(Message("pr_unknown_grid", grid=str(grid_code)))
    area = chosen.to_crs(graph.crs).geometry.union_all()
    seg = graph.segments
    inside = np.flatnonzero(shapely.intersects(area, seg.geometry.to_numpy()) & graph.in_mode)
    if not len(inside):
        raise ValidationError(Message("pr_grid_no_streets", grid=str(grid_code), mode=graph.mode))
    directed = graph.mode == "car"
    u, _v = seg["u"].to_numpy(), seg["v"].to_numpy()
    edges = set(inside.tolist()) | _joins(graph, inside)
    g = _edge_graph(graph, sorted(edges), directed=directed)
    parts = (
        list(nx.strongly_connected_components(g)) if directed else list(nx.connected_components(g))
    )
    parts = [p for p in parts if g.subgraph(p).number_of_edges()]
    biggest = max(parts, key=lambda p: g.subgraph(p).size(weight="length"))
    sub = g.subgraph(biggest).copy()
    route = postman_route(sub, weight="length")
    coords: list[list[float]] = []
    total_time = 0.0
    geoms = seg.geometry.to_numpy()
    for a, b, key in route.edges:
        piece = shapely.get_coordinates(geoms[int(key)]).tolist()
        if int(u[int(key)]) != int(a):
            piece = piece[::-1]
        coords += piece if not coords else piece[1:]
        total_time += sub.edges[a, b, key]["time"]
    path = gpd.GeoDataFrame(
        {"length": [route.length]}, geometry=[shapely.LineString(coords)], crs=graph.crs
    ).to_crs("EPSG:4326")
    street = float(seg["length"].to_numpy()[inside].sum())
    return LinePatrol(route, route.length, total_time, street, path, len(parts) - 1)


def _edge_graph(graph: StreetGraph, segments: Sequence[int], *, directed: bool) -> nx.MultiGraph:
    seg = graph.segments
    u, v, length = seg["u"].to_numpy(), seg["v"].to_numpy(), seg["length"].to_numpy()
    g: nx.MultiGraph = nx.MultiDiGraph() if directed else nx.MultiGraph()
    for s in segments:
        a, b, m = int(u[s]), int(v[s]), float(length[s])
        fwd, bwd = float(graph.forward_time[s]), float(graph.backward_time[s])
        if not directed:
            g.add_edge(a, b, key=int(s), length=m, time=min(fwd, bwd))
            continue
        if np.isfinite(fwd):
            g.add_edge(a, b, key=int(s), length=m, time=fwd)
        if np.isfinite(bwd):
            g.add_edge(b, a, key=int(s), length=m, time=bwd)
    return g


def _joins(graph: StreetGraph, inside: npt.NDArray[np.intp]) -> set[int]:
    """Segments of the shortest paths joining the pieces of `inside` (a spanning tree)."""
    directed = graph.mode == "car"
    pieces = _edge_graph(graph, inside.tolist(), directed=False)
    parts = [sorted(p) for p in nx.connected_components(pieces)]
    if len(parts) < 2:
        return set()
    lookup = {}
    for i in np.argsort(graph.edge_time)[::-1]:
        lookup[(int(graph.edge_u[i]), int(graph.edge_v[i]))] = int(graph.edge_segment[i])
    part_of = np.full(graph.n_nodes, -1)
    for k, p in enumerate(parts):
        part_of[p] = k
    tree = nx.Graph()
    paths: dict[tuple[int, int], list[int]] = {}
    for k, p in enumerate(parts):
        dist, pred, _source = csgraph.dijkstra(
            graph.csr, indices=p, min_only=True, return_predecessors=True
        )
        for j in range(len(parts)):
            if j == k:
                continue
            mine = np.flatnonzero(part_of == j)
            best = mine[np.argmin(dist[mine])]
            if not np.isfinite(dist[best]):
                continue
            nodes = [int(best)]
            while pred[nodes[-1]] >= 0:
                nodes.append(int(pred[nodes[-1]]))
            nodes.reverse()
            paths[(k, j)] = [lookup[(a, b)] for a, b in itertools.pairwise(nodes)]
            w = float(dist[best])
            if not tree.has_edge(k, j) or tree.edges[k, j]["w"] > w:
                tree.add_edge(k, j, w=w)
    out: set[int] = set()
    for a, b in nx.minimum_spanning_edges(tree, weight="w", data=False):
        # a car must also get back: its joins are driven both ways (paths k→j and j→k)
        for pair in ((a, b), (b, a)) if directed else ((a, b) if (a, b) in paths else (b, a),):
            out |= set(paths.get(pair, []))
    return out


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule:
    """Randomised shifts of one unit: ``visits`` (``day``, ``visit``, ``stop``, ``name``,
    ``arrive``/``leave`` clock times, ``dwell`` min), ``days`` (per day: visits,
    predictability, whether every hot spot was visited every 2 hours) and ``score`` (the
    whole schedule's predictability, 0 = least predictable, 1 = always the same time)."""

    visits: pd.DataFrame
    days: pd.DataFrame
    score: float
    places: Places = field(repr=False)


def schedule(
    graph: StreetGraph,
    posts: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    *,
    post: Any,
    days: int = 7,
    shift_minutes: float = 240,
    shift_start: str = "08:00",
    every_two_hours: bool = False,
    seed: int = 0,
) -> Schedule:
    """`days` randomised shifts from `post` through `stops`, visits in proportion to risk.

    Risk is the stop's ``priority``; each dwell is drawn in the Koper window (10-15 min);
    with `every_two_hours` (asked for, not the default: one unit cannot keep it for the
    sample's 112 hot spots) every stop is visited at least every 2 hours
    (:data:`~gridmap.patrol.schedules.MAX_GAP`; an error naming the reason when it cannot be).
    """
    if not len(stops):
        raise ValidationError(Message("pr_no_stops"))
    if int(days) < 1:
        raise ValidationError(Message("pr_bad_days", days=days))
    begin = check_clock(shift_start, "shift_start")
    chosen = posts[posts["post_id"].astype(str) == str(post)]
    if chosen.empty:
        raise ValidationError(Message("pr_unknown_post", name="post", post=str(post)))
    places = snap_places(graph, chosen, stops)
    table = places.table
    stop_rows = table.index[table["kind"] != "post"].to_numpy()
    frame = pd.DataFrame(
        {
            "stop": table.loc[stop_rows, "place"].to_numpy(),
            "node": stop_rows,
            "risk": stops["priority"].to_numpy(float),
        }
    )
    shift = float(shift_minutes) * 60
    gap = sched.MAX_GAP if every_two_hours else None
    try:
        visits = sched.randomised_week(
            places.times, frame, 0, days=int(days), seed=seed, shift=shift, max_gap=gap
        )
    except ValidationError as exc:
        reason = exc.args[0] if exc.args else None
        if gap is None or getattr(reason, "key", None) != "schedule_gap_unkept":
            raise
        # the schedule's reason, said with the post's id (the library names a matrix row)
        # and the stop's id (its name is in one language only)
        raise ValidationError(
            Message(
                "pr_gap_impossible",
                post=table.at[0, "name"],
                post_id=str(post),
                n=len(frame),
                gap=reason.values["gap"],
                shift=reason.values["shift"],
                stop=reason.values["stop"],
                wait=reason.values["wait"],
            )
        ) from exc
    rows = []
    for day, group in visits.groupby("day"):
        score, _ = sched.predictability(group, shift=shift)
        problems = sched.schedule_gaps(group, frame["stop"], shift=shift, max_gap=sched.MAX_GAP)
        rows.append(
            {"day": int(day) + 1, "visits": len(group), "score": score, "every_2h": not problems}
        )
    score, _ = sched.predictability(visits, shift=shift)
    names = dict(zip(table["place"], table["name"], strict=True))

    def clock(seconds: float) -> str:
        total = round(begin * 60 + seconds) // 60
        return f"{total // 60 % 24:02d}:{total % 60:02d}"

    shown = pd.DataFrame(
        {
            "day": visits["day"].to_numpy() + 1,
            "visit": visits["visit"].to_numpy(),
            "stop": visits["stop"].to_numpy(),
            "name": [names.get(s, s) for s in visits["stop"]],
            "arrive": [clock(s) for s in visits["arrive"]],
            "leave": [clock(s) for s in visits["leave"]],
            "dwell": np.round(visits["dwell"].to_numpy(float) / 60, 1),
        }
    )
    return Schedule(shown, pd.DataFrame(rows), score, places)


def schedule_tables(result: Schedule, *, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-day table and the visits table with translated headers."""
    days = pd.DataFrame(
        {
            t("pr_col_day", lang): result.days["day"],
            t("pr_col_visits", lang): result.days["visits"],
            t("pr_col_score", lang): result.days["score"].round(2),
            t("pr_col_every2h", lang): [
                t("pr_ok" if ok else "pr_not_ok", lang) for ok in result.days["every_2h"]
            ],
        }
    )
    visits = result.visits.rename(
        columns={
            "day": t("pr_col_day", lang),
            "visit": t("pr_col_order", lang),
            "stop": t("pr_col_stop_id", lang),
            "name": t("pr_col_place", lang),
            "arrive": t("pr_col_arrive", lang),
            "leave": t("pr_col_leave", lang),
            "dwell": t("pr_col_dwell", lang),
        }
    )
    return days, visits


# --------------------------------------------------------------------------- planned vs actual


@dataclass(frozen=True)
class Actual:
    """Planned versus actual: ``dosage`` per hot spot (tracks.hotspot_dosage with a ``name``),
    ``figures`` (shares and counts), ``notes`` (what cleaning dropped), ``synthetic``."""

    dosage: pd.DataFrame
    figures: dict[str, float]
    notes: list[str]
    synthetic: bool


def planned_vs_actual(
    track: gpd.GeoDataFrame,
    *,
    streets: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    hotspots: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    mode: str = "walk",
    crs: Any = None,
) -> Actual:
    """What a GPS `track` did against the plan.

    Parameters
    ----------
    track : fixes (:func:`~gridmap.patrol.tracks.read_track` or a ``tracks`` layer:
        ``unit``, ``time``, points).
    streets : the ``streets`` layer (share of streets with a fix within 25 m).
    stops : the planned stops (:func:`~gridmap.patrol.route_views.candidate_stops`).
    hotspots : the ``hotspots`` layer; without it each planned stop's
        :data:`STOP_RADIUS` m circle is its zone for dosage.
    sites : the ``sites`` layer (how many key sites were passed within 30 m).
    mode : the unit's travel mode (its plausible top speed finds GPS jumps).
    crs : metric CRS (default the local UTM zone).

    Raises
    ------
    ValidationError
        The track has no fixes or no timestamps, or mostly jumps.
    """
    if track is None or not len(track):
        raise ValidationError(Message("pr_track_empty"))
    if "time" not in track or pd.to_datetime(track["time"], errors="coerce").isna().all():
        raise ValidationError(Message("pr_track_no_time"))
    clean, notes = tracks.clean_track(track, mode=mode)
    if len(clean) < 2:
        raise ValidationError(Message("pr_track_empty"))
    metric_crs = crs if crs is not None else clean.estimate_utm_crs()
    if hotspots is not None and len(hotspots):
        zones = hotspots.to_crs("EPSG:4326").reset_index(drop=True)
        zone_names = [f"H{i + 1}" for i in range(len(zones))]
    else:
        zones = gpd.GeoDataFrame(
            geometry=stops.to_crs(metric_crs).buffer(STOP_RADIUS).to_crs("EPSG:4326").to_numpy(),
            crs="EPSG:4326",
        )
        zone_names = list(stops["name"].astype(str))
    dosage = tracks.hotspot_dosage(clean, zones, crs=metric_crs)
    dosage.insert(0, "name", zone_names)
    covered = tracks.streets_covered(clean, streets, crs=metric_crs)
    lengths = streets.to_crs(metric_crs).length
    visited = (
        tracks.stops_visited(clean, stops, crs=metric_crs)
        if len(stops)
        else pd.Series([], dtype=bool)
    )
    figures = {
        "fixes": float(len(clean)),
        "dropped_fixes": float(len(track) - len(clean)),
        "koper_share": float(dosage["koper_visits"].sum() / max(dosage["visits"].sum(), 1)),
        "visits_per_2h": float(dosage["visits_per_2h"].mean()) if len(dosage) else 0.0,
        "streets_share": float(lengths[covered].sum() / lengths.sum()) if lengths.sum() else 0.0,
        "stops_share": float(visited.mean()) if len(visited) else 0.0,
        "sites_visited": float(
            tracks.stops_visited(clean, sites, crs=metric_crs).sum()
            if sites is not None and len(sites)
            else 0
        ),
    }
    synthetic = bool("synthetic" in track and track["synthetic"].fillna(False).astype(bool).any())
    return Actual(dosage, figures, notes, synthetic)


def dosage_table(result: Actual, *, lang: str) -> pd.DataFrame:
    """Per hot spot: minutes inside, visits, mean visit, visits in the Koper window."""
    d = result.dosage
    return pd.DataFrame(
        {
            t("pr_col_place", lang): d["name"],
            t("pr_col_minutes_in", lang): (d["dwell"] / 60).round(1),
            t("pr_col_visits", lang): d["visits"],
            t("pr_col_mean_visit", lang): (d["mean_visit"] / 60).round(1),
            t("pr_col_koper", lang): d["koper_visits"],
            t("pr_col_short", lang): d["short_visits"],
            t("pr_col_per2h", lang): d["visits_per_2h"].round(2),
        }
    )


def synthetic_tracks(
    posts: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, *, seed: int = 0, days: int = 7
) -> gpd.GeoDataFrame:
    """A seeded synthetic week for two units (``synthetic`` True), for a workspace without
    tracks: :func:`~gridmap.patrol.tracks.synthetic_week` between the posts and `stops`."""
    if not len(stops):
        raise ValidationError(Message("pr_no_stops"))
    return tracks.synthetic_week(posts, stops, units=2, days=days, seed=seed)


def track_units(track: gpd.GeoDataFrame) -> Sequence[str]:
    """The units in a track, sorted."""
    return sorted(str(u) for u in pd.unique(track["unit"])) if "unit" in track else []
