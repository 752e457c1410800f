"""1-3-5 minute response coverage of sentinel posts along the street network.

A post covers the street places it reaches within 1, 3 or 5 minutes of travel *along the
streets* in its own mode (``walk``, ``bike`` or ``car``; :mod:`gridmap.patrol.network`).
Arrival time at a place ``x`` metres along a segment ``u → v`` of length ``L`` is::

    T(x) = min( t(u) + x/L · t_fwd,  t(v) + (L - x)/L · t_bwd,  |x - o|/L · t_dir )

over every mode's graph (``t`` the nearest-post times of the nodes, the last term for a post
snapped on the segment itself at ``o``). ``T`` is piecewise linear, so the places reached
within ``c`` seconds are intervals whose ends are where one of those terms equals ``c``:
edges are cut there, and a partly reached edge counts only its reached length. The pieces
are coloured by the smallest of the ``minutes`` within which they are reached.

Figures (:func:`coverage_report`):

- street length: share of the ``streets`` layer (every segment, of any mode, counted once)
  reached within each number of minutes; per grid by the grid holding each piece's midpoint;
- key sites: share reached within *their own* ``response_class`` (a class-1 site must be
  reached within 1 minute), and within each number of minutes;
- incidents: share of (optionally weighted) incidents reached within each number of minutes.

Sites and incidents are snapped to the nearest street of each mode; the snap distance is
reported (and flagged ``far`` beyond :data:`~gridmap.patrol.network.FAR_SNAP_M`) but not
timed. A post farther than that from every street of its mode is an error.

Service-area *polygons* (:func:`service_area_polygons`) are a drawing aid: the union of the
reached street pieces buffered by a walking distance from the street (default 50 m, about
a block's frontage depth), not an isochrone of open space.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from gridmap._errors import ValidationError
from gridmap.patrol._graph import FloatArray, IntArray, check_frame, check_positive, to_crs
from gridmap.patrol.network import (
    FAR_SNAP_M,
    StreetGraph,
    TravelTimes,
    snap_points,
    travel_times_from,
    travel_times_to,
)
from gridmap.schema import RESPONSE_CLASSES

__all__ = [
    "DEFAULT_MINUTES",
    "CoverageChange",
    "CoverageReport",
    "changed_posts",
    "coverage_change",
    "coverage_report",
    "reached_pieces",
    "service_area_polygons",
    "service_areas",
    "snap_to_modes",
    "unvisited_sites",
]

#: The 1-3-5 minute rapid-response circles (schema.RESPONSE_CLASSES).
DEFAULT_MINUTES: tuple[int, ...] = RESPONSE_CLASSES
#: Buffer of reached street pieces drawn as service-area polygons, metres.
POLYGON_BUFFER_M = 50.0


# --- arguments ----------------------------------------------------------------------------


def _check_minutes(minutes: Any) -> tuple[float, ...]:
    try:
        values = tuple(sorted({check_positive(m, "minutes") for m in minutes}))  # type: ignore[misc]
    except TypeError:
        msg = f"`minutes` must be a sequence of positive numbers; got {minutes!r}"
        raise ValidationError(msg) from None
    if not values:
        msg = "`minutes` must not be empty"
        raise ValidationError(msg)
    return values  # type: ignore[return-value]


def _graphs(graphs: Any) -> dict[str, StreetGraph]:
    if isinstance(graphs, StreetGraph):
        return {graphs.mode: graphs}
    if not isinstance(graphs, Mapping) or not graphs:
        msg = "`graphs` must be a StreetGraph or a non-empty mapping of mode to StreetGraph"
        raise ValidationError(msg)
    out = dict(graphs)
    first = next(iter(out.values()))
    for mode, g in out.items():
        if not isinstance(g, StreetGraph) or g.mode != mode:
            msg = f"`graphs[{mode!r}]` must be the StreetGraph of mode {mode!r}"
            raise ValidationError(msg)
        if g.segments is not first.segments and not (
            len(g.segments) == len(first.segments)
            and np.array_equal(g.segments["u"].to_numpy(), first.segments["u"].to_numpy())
        ):
            msg = "`graphs` must all be built from the same streets (street_graphs does so)"
            raise ValidationError(msg)
    return out


def _post_modes(posts: gpd.GeoDataFrame, graphs: Mapping[str, StreetGraph]) -> np.ndarray:
    if "mode" in posts.columns:
        modes = posts["mode"].fillna("walk").astype(str).str.strip().str.lower().to_numpy()
    else:
        modes = np.full(len(posts), "walk", dtype=object)
    missing = sorted(set(modes) - set(graphs))
    if missing:
        msg = (
            f"`posts` has mode(s) {', '.join(missing)} but `graphs` has only "
            f"{', '.join(graphs)}: build those graphs too"
        )
        raise ValidationError(msg)
    return modes


def _ids_of(ids: np.ndarray, post: Any) -> np.ndarray:
    """post_id of each post position (None for -1: no post)."""
    return np.append(np.asarray(ids, dtype=object), None)[np.asarray(post, dtype=np.intp)]


def _post_ids(posts: gpd.GeoDataFrame) -> np.ndarray:
    if "post_id" in posts.columns:
        return posts["post_id"].astype(str).to_numpy()
    return np.asarray([str(i) for i in posts.index], dtype=object)


@dataclass(frozen=True)
class _ModeReach:
    """Nearest-post times of one mode's graph."""

    graph: StreetGraph
    snapped: pd.DataFrame  # this mode's posts, snapped
    post_index: IntArray  # position of each snapped post among all posts
    reach: TravelTimes  # nearest refers to positions in `snapped`

    def post_of(self, nearest: Any) -> Any:
        """Position among all posts of snapped positions `nearest` (-1 stays -1)."""
        return np.r_[self.post_index, -1][nearest]


def _reach(
    graphs: Mapping[str, StreetGraph],
    posts: gpd.GeoDataFrame,
    *,
    max_snap: float,
    cutoff: float | None,
) -> list[_ModeReach]:
    modes = _post_modes(posts, graphs)
    ids = _post_ids(posts)
    out = []
    for mode, graph in graphs.items():
        pos = np.flatnonzero(modes == mode)
        snapped = snap_points(graph, posts.iloc[pos], max_distance=max_snap)
        far = snapped["far"].to_numpy(dtype=bool)
        if far.any():
            bad = ", ".join(
                f"{ids[p]} ({d:.0f} m)"
                for p, d in zip(pos[far], snapped["distance"].to_numpy()[far], strict=True)
            )
            msg = (
                f"`posts`: post(s) {bad} are farther than {max_snap:.0f} m from every "
                f"{mode} street; move them or raise `max_snap`"
            )
            raise ValidationError(msg)
        reach = travel_times_from(graph, snapped, cutoff=cutoff)
        out.append(_ModeReach(graph, snapped, pos, reach))
    return out


# --- reached pieces of segments ------------------------------------------------------------


def reached_pieces(
    graphs: StreetGraph | Mapping[str, StreetGraph],
    posts: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    max_snap: float = FAR_SNAP_M,
) -> pd.DataFrame:
    """Cut every street segment where the nearest post's travel time crosses a cutoff.

    Parameters
    ----------
    graphs : StreetGraph or mapping of mode to StreetGraph
        One graph per travel mode of the posts (built from the same streets).
    posts : geopandas.GeoDataFrame
        Points with ``post_id`` and ``mode`` (default ``walk``).
    minutes : sequence of float
        The cutoffs, minutes.
    max_snap : float
        A post farther than this (m) from its mode's streets is an error.

    Returns
    -------
    pandas.DataFrame
        One row per piece: ``segment``, ``start``, ``end`` (m along the segment's
        geometry), ``length`` (m), ``time`` (s at the piece's middle; ``inf`` unreached),
        ``minutes`` (the smallest cutoff reaching it; NaN beyond all), ``post`` (position
        of the nearest post in `posts`; -1 unreached). Pieces cover every segment once.
    """
    graphs = _graphs(graphs)
    cuts = _check_minutes(minutes)
    check_frame(posts, "posts", ("Point",))
    reaches = _reach(graphs, posts, max_snap=max_snap, cutoff=max(cuts) * 60.0)
    return _pieces(reaches, cuts)


def _pieces(reaches: list[_ModeReach], cuts: tuple[float, ...]) -> pd.DataFrame:
    seg_table = reaches[0].graph.segments
    n = len(seg_table)
    length = seg_table["length"].to_numpy()
    u, v = seg_table["u"].to_numpy(), seg_table["v"].to_numpy()
    secs = np.asarray(cuts) * 60.0
    # breakpoints where a through-node term crosses a cutoff
    cols = [np.zeros(n), length]
    terms = []
    for r in reaches:
        g, t = r.graph, r.reach.time
        tu, tv = t[u], t[v]
        tf, tb = g.forward_time, g.backward_time
        nu = np.where(tu < np.inf, r.post_of(r.reach.nearest[u]), -1)
        nv = np.where(tv < np.inf, r.post_of(r.reach.nearest[v]), -1)
        terms.append((tu, tv, tf, tb, nu, nv))
        with np.errstate(invalid="ignore", divide="ignore"):
            for c in secs:
                cols.append(np.clip(length * (c - tu) / tf, 0, length))
                cols.append(np.clip(length - length * (c - tv) / tb, 0, length))
    x = np.sort(np.nan_to_num(np.column_stack(cols), nan=0.0, posinf=0.0, neginf=0.0), axis=1)
    start, end = x[:, :-1], x[:, 1:]
    mid = (start + end) / 2.0
    frac = np.divide(mid, length[:, None], out=np.zeros_like(mid), where=length[:, None] > 0)
    best = np.full(mid.shape, np.inf)
    post = np.full(mid.shape, -1, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        for tu, tv, tf, tb, nu, nv in terms:
            a = tu[:, None] + frac * tf[:, None]
            b = tv[:, None] + (1.0 - frac) * tb[:, None]
            for val, who in ((a, nu), (b, nv)):
                val = np.where(np.isnan(val), np.inf, val)
                better = val < best
                best = np.where(better, val, best)
                post = np.where(better, who[:, None], post)
    seg = np.repeat(np.arange(n), start.shape[1])
    frame = pd.DataFrame(
        {
            "segment": seg,
            "start": start.ravel(),
            "end": end.ravel(),
            "time": best.ravel(),
            "post": post.ravel(),
        }
    )
    frame = frame[frame["end"] > frame["start"]]
    # segments holding a post: recut with the along-the-segment terms
    own = _own_segment_pieces(reaches, secs, frame)
    if own is not None:
        frame = pd.concat([frame[~frame["segment"].isin(own["segment"])], own])
    frame = frame.sort_values(["segment", "start"], kind="stable")
    band = np.searchsorted(secs, frame["time"].to_numpy(), side="left")
    minutes = np.where(band < len(secs), np.asarray(cuts)[np.minimum(band, len(secs) - 1)], np.nan)
    frame["minutes"] = minutes
    frame.loc[~np.isfinite(frame["time"]), "post"] = -1
    return _merge_runs(frame.reset_index(drop=True))


def _own_segment_pieces(
    reaches: list[_ModeReach], secs: FloatArray, frame: pd.DataFrame
) -> pd.DataFrame | None:
    """Pieces of the segments on which posts stand (few; one small loop each)."""
    rows = []
    seg_table = reaches[0].graph.segments
    length = seg_table["length"].to_numpy()
    segs = np.unique(
        np.concatenate([r.snapped["segment"].to_numpy(dtype=np.intp) for r in reaches])
    )
    if not len(segs):
        return None
    for s in segs:
        L = float(length[s])
        here = frame[frame["segment"] == s]
        xs = {0.0, L, *here["start"], *here["end"]}  # through-node breakpoints
        own: list[tuple[float, float, float, int]] = []  # (offset, s/m fwd, s/m bwd, post)
        for r in reaches:
            on = r.snapped["segment"].to_numpy() == s
            if not on.any() or L <= 0:
                continue
            f = r.graph.forward_time[s] / L
            b = r.graph.backward_time[s] / L
            for o, p in zip(r.snapped["position"].to_numpy()[on], r.post_index[on], strict=True):
                own.append((float(o), f, b, int(p)))
                xs.add(float(o))
                for c in secs:
                    xs.update({o + c / f if f > 0 else L, o - c / b if b > 0 else 0.0})
        cuts = np.clip(np.sort(np.fromiter(xs, float)), 0, L)
        cuts = np.unique(cuts)
        for a, e in itertools.pairwise(cuts):
            m = (a + e) / 2
            t, who = _through_nodes_at(reaches, int(s), m)
            for o, f, b, p in own:
                val = (m - o) * f if m >= o else (o - m) * b
                if val < t:
                    t, who = val, p
            rows.append((s, a, e, t, who))
    return pd.DataFrame(rows, columns=["segment", "start", "end", "time", "post"])


def _through_nodes_at(reaches: list[_ModeReach], s: int, x: float) -> tuple[float, int]:
    """Fastest time (and post) to `x` m along segment `s` through its end nodes."""
    seg = reaches[0].graph.segments
    L = float(seg["length"].iat[s])
    u, v = int(seg["u"].iat[s]), int(seg["v"].iat[s])
    frac = x / L if L > 0 else 0.0
    best, who = np.inf, -1
    for r in reaches:
        t = r.reach.time
        for node, part, per in (
            (u, frac, r.graph.forward_time[s]),
            (v, 1.0 - frac, r.graph.backward_time[s]),
        ):
            val = t[node] + (part * per if part > 0 else 0.0)
            if val < best:
                best, who = float(val), int(r.post_of(r.reach.nearest[node]))
    return best, who


def _merge_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Join neighbouring pieces of one segment with the same band and post."""
    seg = frame["segment"].to_numpy()
    band = frame["minutes"].fillna(-1).to_numpy()
    post = frame["post"].to_numpy()
    new = np.r_[True, (seg[1:] != seg[:-1]) | (band[1:] != band[:-1]) | (post[1:] != post[:-1])]
    group = np.cumsum(new) - 1
    out = frame.groupby(group, sort=False).agg(
        segment=("segment", "first"),
        start=("start", "first"),
        end=("end", "last"),
        time=("time", "min"),
        minutes=("minutes", "first"),
        post=("post", "first"),
    )
    out["length"] = out["end"] - out["start"]
    return out.reset_index(drop=True)[
        ["segment", "start", "end", "length", "time", "minutes", "post"]
    ]


def _piece_geometries(segments: gpd.GeoDataFrame, pieces: pd.DataFrame) -> np.ndarray:
    geoms = segments.geometry.to_numpy()[pieces["segment"].to_numpy()]
    length = segments["length"].to_numpy()[pieces["segment"].to_numpy()]
    start, end = pieces["start"].to_numpy(), pieces["end"].to_numpy()
    whole = (start <= 1e-9) & (end >= length - 1e-9)
    out = geoms.copy()
    for i in np.flatnonzero(~whole):
        out[i] = shapely.ops.substring(geoms[i], start[i], end[i])
    return out


# --- service areas -------------------------------------------------------------------------


def service_areas(
    graphs: StreetGraph | Mapping[str, StreetGraph],
    posts: gpd.GeoDataFrame,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    by_post: bool = True,
    max_snap: float = FAR_SNAP_M,
) -> gpd.GeoDataFrame:
    """The street pieces each post reaches within each number of minutes.

    Parameters
    ----------
    graphs, posts, minutes, max_snap
        As in :func:`reached_pieces`.
    by_post : bool
        True: each post's own service area (pieces overlap where posts' areas do).
        False: one map, each piece coloured by its nearest post.

    Returns
    -------
    geopandas.GeoDataFrame
        In the graphs' CRS: ``post_id``, ``mode``, ``minutes`` (1, 3, 5 …: the smallest
        cutoff within which the piece is reached), ``time`` (s, at the piece's middle),
        ``length`` (m), ``segment``, ``geometry`` (the piece of street). Unreached pieces
        are left out.
    """
    graphs = _graphs(graphs)
    cuts = _check_minutes(minutes)
    check_frame(posts, "posts", ("Point",))
    first = next(iter(graphs.values()))
    ids = _post_ids(posts)
    modes = _post_modes(posts, graphs)
    frames = []
    if by_post:
        for i in range(len(posts)):
            one = posts.iloc[[i]]
            reaches = _reach({modes[i]: graphs[modes[i]]}, one, max_snap=max_snap,
                             cutoff=max(cuts) * 60.0)  # fmt: skip
            pieces = _pieces(reaches, cuts)
            pieces = pieces[pieces["post"] >= 0].assign(post=i)
            frames.append(pieces)
    else:
        reaches = _reach(graphs, posts, max_snap=max_snap, cutoff=max(cuts) * 60.0)
        pieces = _pieces(reaches, cuts)
        frames.append(pieces[pieces["post"] >= 0])
    pieces = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    pieces = pieces[pieces["minutes"].notna()].reset_index(drop=True)
    post = pieces["post"].to_numpy(dtype=np.intp)
    return gpd.GeoDataFrame(
        {
            "post_id": ids[post],
            "mode": modes[post],
            "minutes": pieces["minutes"].to_numpy(),
            "time": pieces["time"].to_numpy(),
            "length": pieces["length"].to_numpy(),
            "segment": pieces["segment"].to_numpy(),
        },
        geometry=_piece_geometries(first.segments, pieces),
        crs=first.crs,
    )


def service_area_polygons(
    areas: gpd.GeoDataFrame, *, buffer_m: float = POLYGON_BUFFER_M
) -> gpd.GeoDataFrame:
    """Polygons of service areas: reached street pieces buffered by `buffer_m`.

    Cumulative: the polygon of ``minutes == 3`` holds everything reached within 3 minutes.
    A drawing aid (see the module's notes), not an isochrone of open space.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The result of :func:`service_areas`.
    buffer_m : float
        Distance from the street, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``post_id``, ``minutes``, ``geometry`` (one (Multi)Polygon per post and cutoff).
    """
    buffer_m = check_positive(buffer_m, "buffer_m")  # type: ignore[assignment]
    rows = []
    for post_id, group in areas.groupby("post_id", sort=True):
        for c in sorted(group["minutes"].unique()):
            parts = group.geometry.to_numpy()[group["minutes"].to_numpy() <= c]
            rows.append(
                (post_id, c, shapely.union_all(shapely.buffer(parts, buffer_m, quad_segs=4)))
            )
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["post_id", "minutes", "geometry"]),
        geometry="geometry",
        crs=areas.crs,
    )


# --- times to points -----------------------------------------------------------------------


def _point_times(
    reaches: list[_ModeReach],
    points: gpd.GeoDataFrame,
    *,
    max_snap: float,
    cutoff: float,
    snaps: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Fastest time from any post (any mode) to each point, with the post and snap."""
    n = len(points)
    best = np.full(n, np.inf)
    post = np.full(n, -1, dtype=np.intp)
    distance = np.full(n, np.inf)
    for r in reaches:
        snapped = (snaps or {}).get(r.graph.mode)
        if snapped is None or len(snapped) != n:
            snapped = snap_points(r.graph, points, max_distance=max_snap)
        distance = np.minimum(distance, snapped["distance"].to_numpy())
        if not len(r.snapped):
            continue
        tt = travel_times_to(r.graph, r.snapped, snapped, cutoff=cutoff)
        better = tt.time < best
        best = np.where(better, tt.time, best)
        post = np.where(better, r.post_of(tt.nearest), post)
    return pd.DataFrame(
        {"time": best, "post": post, "distance": distance, "far": distance > max_snap},
        index=points.index,
    )


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageReport:
    """Coverage figures of a set of posts.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per cutoff (``minutes``): ``street_km``, ``street_share``, ``site_share``
        (any class), ``incident_share``; the row ``minutes == "class"`` holds the share of
        key sites reached within their own response class.
    streets : geopandas.GeoDataFrame
        Every street piece: ``minutes`` (NaN beyond the largest cutoff: a gap), ``time`` (s),
        ``post_id`` (nearest), ``length``, ``grid_code`` (grid of its midpoint, if grids).
    sites : pandas.DataFrame
        Per site: ``site_id``, ``response_class``, ``time`` (s), ``post_id`` (fastest),
        ``within_class`` (bool), ``distance`` (snap, m), ``far``.
    incidents : pandas.DataFrame
        Per incident: ``time`` (s), ``post_id``, ``weight``, ``grid_code``.
    by_grid : pandas.DataFrame
        Per grid and cutoff: street, site and incident shares.
    gap_streets, gap_sites, gap_grids : DataFrame
        Streets beyond the largest cutoff (by street name), sites outside their response
        class, grids by uncovered street share (worst first).
    notes : tuple of str
    """

    summary: pd.DataFrame
    streets: gpd.GeoDataFrame
    sites: pd.DataFrame
    incidents: pd.DataFrame
    by_grid: pd.DataFrame
    gap_streets: pd.DataFrame
    gap_sites: pd.DataFrame
    gap_grids: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


def coverage_report(
    graphs: StreetGraph | Mapping[str, StreetGraph],
    posts: gpd.GeoDataFrame,
    *,
    sites: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    grids: gpd.GeoDataFrame | None = None,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    weight: str | None = None,
    max_snap: float = FAR_SNAP_M,
    site_snaps: Mapping[str, pd.DataFrame] | None = None,
    incident_snaps: Mapping[str, pd.DataFrame] | None = None,
) -> CoverageReport:
    """Coverage of streets, key sites and incidents within 1, 3 and 5 minutes of the posts.

    Parameters
    ----------
    graphs : StreetGraph or mapping of mode to StreetGraph
        A graph per mode the posts use (:func:`~gridmap.patrol.network.street_graphs`).
    posts : geopandas.GeoDataFrame
        ``post_id``, ``mode`` (``walk``/``bike``/``car``; ``walk`` when absent), any CRS.
    sites : geopandas.GeoDataFrame, optional
        ``site_id``, ``response_class`` (minutes; the largest cutoff when absent).
    incidents : geopandas.GeoDataFrame, optional
        Points; `weight` names a column of weights (default: 1 each).
    grids : geopandas.GeoDataFrame, optional
        Polygons with ``grid_code``, for the figures per grid.
    minutes : sequence of float
        Cutoffs, minutes.
    weight : str, optional
        Incident weight column.
    max_snap : float
        Posts farther from their streets are an error; sites/incidents farther are flagged.
    site_snaps, incident_snaps : mapping of mode to pandas.DataFrame, optional
        `sites` / `incidents` already snapped to each mode's streets
        (:func:`snap_to_modes`, same rows and `max_snap`): snapping is most of a report's
        time, and the points do not change when posts do (a what-if). Modes not given
        are snapped here.

    Returns
    -------
    CoverageReport
    """
    graphs = _graphs(graphs)
    cuts = _check_minutes(minutes)
    max_snap = check_positive(max_snap, "max_snap")  # type: ignore[assignment]
    check_frame(posts, "posts", ("Point",))
    first = next(iter(graphs.values()))
    crs = first.crs
    notes: list[str] = []
    ids = _post_ids(posts)
    limit = max(cuts) * 60.0
    reaches = _reach(graphs, posts, max_snap=max_snap, cutoff=limit)
    pieces = _pieces(reaches, cuts)
    seg = first.segments
    street_geoms = _piece_geometries(seg, pieces)
    streets = gpd.GeoDataFrame(
        {
            "segment": pieces["segment"].to_numpy(),
            "name": seg["name"].to_numpy()[pieces["segment"].to_numpy()],
            "minutes": pieces["minutes"].to_numpy(),
            "time": pieces["time"].to_numpy(),
            "post_id": _ids_of(ids, pieces["post"]),
            "length": pieces["length"].to_numpy(),
        },
        geometry=street_geoms,
        crs=crs,
    )
    grids_m = None
    if grids is not None:
        check_frame(grids, "grids", ("Polygon", "MultiPolygon"))
        if "grid_code" not in grids.columns:
            msg = "`grids` must have a grid_code column"
            raise ValidationError(msg)
        grids_m = to_crs(grids, crs)
        mids = shapely.line_interpolate_point(street_geoms, 0.5, normalized=True)
        streets["grid_code"] = _grid_of(mids, grids_m)

    site_frame = _sites_frame(
        reaches, sites, cuts, ids, crs, max_snap, limit, notes, snaps=site_snaps
    )
    inc_frame = _incidents_frame(
        reaches, incidents, weight, ids, crs, max_snap, limit, grids_m, snaps=incident_snaps
    )
    if grids_m is not None and len(site_frame):
        site_frame["grid_code"] = _grid_of(
            to_crs(sites, crs).geometry.to_numpy(),
            grids_m,  # type: ignore[arg-type]
        )

    summary = _summary(streets, site_frame, inc_frame, cuts)
    by_grid = _by_grid(streets, site_frame, inc_frame, cuts, grids_m)
    gaps = streets[streets["minutes"].isna()]
    gap_streets = (
        gaps.assign(name=gaps["name"].replace("", "(unnamed)"))
        .groupby("name", as_index=False)["length"]
        .sum()
        .sort_values("length", ascending=False, ignore_index=True)
    )
    gap_sites = (
        site_frame[~site_frame["within_class"]].sort_values(["response_class", "time"])
        if len(site_frame)
        else site_frame
    )
    gap_grids = (
        by_grid[by_grid["minutes"] == max(cuts)]
        .assign(uncovered_share=lambda f: 1.0 - f["street_share"])
        .sort_values("uncovered_share", ascending=False, ignore_index=True)
        if len(by_grid)
        else by_grid
    )
    for r in reaches:
        notes.extend(n for n in r.graph.notes if n not in notes)
    return CoverageReport(
        summary=summary,
        streets=streets,
        sites=site_frame,
        incidents=inc_frame,
        by_grid=by_grid,
        gap_streets=gap_streets,
        gap_sites=gap_sites.reset_index(drop=True),
        gap_grids=gap_grids,
        notes=tuple(notes),
    )


def _grid_of(points: np.ndarray, grids: gpd.GeoDataFrame) -> np.ndarray:
    tree = shapely.STRtree(grids.geometry.to_numpy())
    pi, gi = tree.query(points, predicate="intersects")
    out = np.full(len(points), None, dtype=object)
    order = np.argsort(gi, kind="stable")  # lowest grid position wins on shared edges
    pi, gi = pi[order][::-1], gi[order][::-1]
    out[pi] = grids["grid_code"].to_numpy()[gi]
    return out


def _sites_frame(
    reaches: list[_ModeReach],
    sites: gpd.GeoDataFrame | None,
    cuts: tuple[float, ...],
    ids: np.ndarray,
    crs: Any,
    max_snap: float,
    limit: float,
    notes: list[str],
    *,
    snaps: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    cols = ["site_id", "name", "kind", "response_class", "time", "post_id", "within_class",
            "distance", "far"]  # fmt: skip
    if sites is None or not len(sites):
        return pd.DataFrame(columns=cols)
    check_frame(sites, "sites", ("Point",))
    if "response_class" in sites.columns:
        rc = pd.to_numeric(sites["response_class"], errors="coerce")
        if rc.isna().any():
            notes.append(
                f"{int(rc.isna().sum())} site(s) without response_class: {max(cuts):g} min"
            )
        rc = rc.fillna(max(cuts)).to_numpy(dtype=float)
    else:
        notes.append(f"`sites` has no response_class: every site held to {max(cuts):g} min")
        rc = np.full(len(sites), max(cuts), dtype=float)
    limit = max(limit, float(rc.max()) * 60.0)
    times = _point_times(reaches, to_crs(sites, crs), max_snap=max_snap, cutoff=limit, snaps=snaps)
    t = times["time"].to_numpy()
    post = times["post"].to_numpy()
    return pd.DataFrame(
        {
            "site_id": sites["site_id"].to_numpy() if "site_id" in sites else sites.index,
            "name": sites["name"].to_numpy() if "name" in sites else "",
            "kind": sites["kind"].to_numpy() if "kind" in sites else "",
            "response_class": rc,
            "time": t,
            "post_id": _ids_of(ids, post),
            "within_class": t <= rc * 60.0,
            "distance": times["distance"].to_numpy(),
            "far": times["far"].to_numpy(),
        }
    )


def _incidents_frame(
    reaches: list[_ModeReach],
    incidents: gpd.GeoDataFrame | None,
    weight: str | None,
    ids: np.ndarray,
    crs: Any,
    max_snap: float,
    limit: float,
    grids: gpd.GeoDataFrame | None,
    *,
    snaps: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    if incidents is None or not len(incidents):
        return pd.DataFrame(columns=["time", "post_id", "weight", "grid_code"])
    check_frame(incidents, "incidents", ("Point",))
    if weight is not None:
        if weight not in incidents.columns:
            msg = f"`weight` names no column of `incidents`: {weight!r}"
            raise ValidationError(msg)
        w = pd.to_numeric(incidents[weight], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        if (w < 0).any():
            msg = f"`weight` column {weight!r} has negative values"
            raise ValidationError(msg)
    else:
        w = np.ones(len(incidents))
    pts = to_crs(incidents, crs)
    times = _point_times(reaches, pts, max_snap=max_snap, cutoff=limit, snaps=snaps)
    post = times["post"].to_numpy()
    out = pd.DataFrame(
        {
            "time": times["time"].to_numpy(),
            "post_id": _ids_of(ids, post),
            "weight": w,
        },
        index=incidents.index,
    )
    if grids is not None:
        out["grid_code"] = _grid_of(pts.geometry.to_numpy(), grids)
    return out


def _shares(
    streets: pd.DataFrame, sites: pd.DataFrame, incidents: pd.DataFrame, cuts: tuple[float, ...]
) -> list[dict[str, Any]]:
    total = float(streets["length"].sum())
    w_total = float(incidents["weight"].sum()) if len(incidents) else 0.0
    rows = []
    for c in cuts:
        reached = float(streets.loc[streets["minutes"] <= c, "length"].sum())
        rows.append(
            {
                "minutes": c,
                "street_km": reached / 1000.0,
                "street_share": reached / total if total > 0 else np.nan,
                "site_share": float((sites["time"] <= c * 60.0).mean()) if len(sites) else np.nan,
                "incident_share": (
                    float(incidents.loc[incidents["time"] <= c * 60.0, "weight"].sum()) / w_total
                    if w_total > 0
                    else np.nan
                ),
            }
        )
    return rows


def _summary(
    streets: pd.DataFrame, sites: pd.DataFrame, incidents: pd.DataFrame, cuts: tuple[float, ...]
) -> pd.DataFrame:
    rows = _shares(streets, sites, incidents, cuts)
    rows.append(
        {
            "minutes": "class",
            "street_km": np.nan,
            "street_share": np.nan,
            "site_share": float(sites["within_class"].mean()) if len(sites) else np.nan,
            "incident_share": np.nan,
        }
    )
    return pd.DataFrame(rows)


def _by_grid(
    streets: pd.DataFrame,
    sites: pd.DataFrame,
    incidents: pd.DataFrame,
    cuts: tuple[float, ...],
    grids: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    if grids is None:
        return pd.DataFrame(columns=["grid_code", "minutes", "street_km", "street_share"])
    # One pass with bincount per figure (a loop over grids took most of a report's time).
    codes = grids["grid_code"].to_numpy()
    unique = pd.Index(pd.unique(codes))
    n = len(unique)

    def slots(frame: pd.DataFrame) -> np.ndarray:
        if not len(frame) or "grid_code" not in frame:
            return np.empty(0, dtype=np.intp)
        return unique.get_indexer(frame["grid_code"])

    def sums(where: np.ndarray, values: np.ndarray) -> np.ndarray:
        ok = where >= 0
        return np.bincount(where[ok], weights=values[ok], minlength=n)

    s_at = slots(streets)
    length = streets["length"].to_numpy(dtype=float)
    reach = streets["minutes"].to_numpy(dtype=float)
    total = sums(s_at, length)
    i_at = slots(incidents)
    weight = incidents["weight"].to_numpy(dtype=float) if len(incidents) else np.empty(0)
    itime = incidents["time"].to_numpy(dtype=float) if len(incidents) else np.empty(0)
    w_total = sums(i_at, weight)
    t_at = slots(sites)
    stime = sites["time"].to_numpy(dtype=float) if len(t_at) else np.empty(0)
    n_sites = sums(t_at, np.ones(len(t_at)))
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(
            n_sites > 0,
            sums(t_at, sites["within_class"].to_numpy(dtype=float) if len(t_at) else np.empty(0))
            / n_sites,
            np.nan,
        )
        per_cut = {}
        for c in cuts:
            reached = sums(s_at, np.where(reach <= c, length, 0.0))
            per_cut[c] = (
                reached / 1000.0,
                np.where(total > 0, reached / total, np.nan),
                np.where(
                    n_sites > 0, sums(t_at, (stime <= c * 60.0).astype(float)) / n_sites, np.nan
                ),
                np.where(
                    w_total > 0,
                    sums(i_at, np.where(itime <= c * 60.0, weight, 0.0)) / w_total,
                    np.nan,
                ),
            )
    frames = []
    for code, g in zip(codes, unique.get_indexer(codes), strict=True):
        for c in cuts:
            km, street, site, incident = (v[g] for v in per_cut[c])
            frames.append(
                {
                    "grid_code": code,
                    "minutes": c,
                    "street_km": float(km),
                    "street_share": float(street),
                    "site_share": float(site),
                    "incident_share": float(incident),
                    "sites_within_class": float(within[g]),
                    "sites": int(n_sites[g]),
                }
            )
    return pd.DataFrame(frames)


# --- what-if -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageChange:
    """Coverage before and after a change of posts (nothing saved)."""

    before: CoverageReport
    after: CoverageReport
    table: pd.DataFrame  # summary before/after/change, one row per figure
    posts: gpd.GeoDataFrame  # the posts after the change


def snap_to_modes(
    graphs: StreetGraph | Mapping[str, StreetGraph],
    points: gpd.GeoDataFrame,
    *,
    max_snap: float = FAR_SNAP_M,
) -> dict[str, pd.DataFrame]:
    """`points` snapped to each mode's streets, for :func:`coverage_report`'s
    ``site_snaps`` / ``incident_snaps``: snap once, report many times (a what-if)."""
    graphs = _graphs(graphs)
    if points is None or not len(points):
        return {}
    crs = next(iter(graphs.values())).crs
    pts = to_crs(points, crs)
    return {mode: snap_points(graph, pts, max_distance=max_snap) for mode, graph in graphs.items()}


def changed_posts(
    posts: gpd.GeoDataFrame,
    *,
    add: gpd.GeoDataFrame | None = None,
    move: Mapping[str, Any] | gpd.GeoDataFrame | None = None,
    remove: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """`posts` with `remove` taken away, `move` applied and `add` appended (in that order).

    See :func:`coverage_change` for the arguments. Returns a new frame in `posts`' CRS.
    """
    check_frame(posts, "posts", ("Point",))
    ids = pd.Series(_post_ids(posts), index=posts.index)
    after = posts.copy()
    if remove is not None:
        remove = {str(r) for r in ([remove] if isinstance(remove, str) else remove)}
        unknown = sorted(remove - set(ids))
        if unknown:
            msg = f"`remove` names unknown post(s): {', '.join(unknown)}"
            raise ValidationError(msg)
        after = after[~ids.isin(remove)]
    if move is not None:
        if isinstance(move, gpd.GeoDataFrame):
            moved = to_crs(move, posts.crs)
            move = dict(zip(moved["post_id"].astype(str), moved.geometry, strict=True))
        after_ids = pd.Series(_post_ids(after), index=after.index)
        unknown = sorted(set(map(str, move)) - set(after_ids))
        if unknown:
            msg = f"`move` names unknown or removed post(s): {', '.join(unknown)}"
            raise ValidationError(msg)
        geoms = after.geometry.copy()
        for pid, point in move.items():
            if not isinstance(point, shapely.Point):
                msg = f"`move[{pid!r}]` must be a shapely Point; got {type(point).__name__}"
                raise ValidationError(msg)
            geoms[after_ids == str(pid)] = point
        after = after.set_geometry(geoms)
    if add is not None and len(add):
        check_frame(add, "add", ("Point",))
        clash = sorted(set(_post_ids(add)) & set(_post_ids(after)))
        if clash:
            msg = f"`add` repeats existing post_id(s): {', '.join(clash)}"
            raise ValidationError(msg)
        after = pd.concat([after, to_crs(add, posts.crs)], ignore_index=True)
    return after


def coverage_change(
    graphs: StreetGraph | Mapping[str, StreetGraph],
    posts: gpd.GeoDataFrame,
    *,
    add: gpd.GeoDataFrame | None = None,
    move: Mapping[str, Any] | gpd.GeoDataFrame | None = None,
    remove: Iterable[str] | None = None,
    before: CoverageReport | None = None,
    **report_options: Any,
) -> CoverageChange:
    """What if posts were added, moved or removed? Before/after figures, nothing saved.

    Parameters
    ----------
    graphs, posts
        As in :func:`coverage_report`.
    add : geopandas.GeoDataFrame, optional
        New posts (``post_id``, ``mode``).
    move : mapping of post_id to shapely Point, or GeoDataFrame with ``post_id``
        New places of existing posts (points in `posts`' CRS for a mapping).
    remove : iterable of str
        post_ids to take away.
    before : CoverageReport, optional
        The report of `posts` with the same `report_options`, if already at hand (a page
        caches it): only the changed posts are computed then.
    **report_options
        Passed to :func:`coverage_report` (``sites``, ``incidents``, ``grids``, ``minutes``…).

    Returns
    -------
    CoverageChange
    """
    after = changed_posts(posts, add=add, move=move, remove=remove)
    before_report = (
        before if before is not None else coverage_report(graphs, posts, **report_options)
    )
    after_report = coverage_report(graphs, after, **report_options)
    b = before_report.summary.set_index("minutes")
    a = after_report.summary.set_index("minutes")
    table = (
        pd.concat({"before": b.stack(), "after": a.stack()}, axis=1)
        .assign(change=lambda f: f["after"] - f["before"])
        .rename_axis(["minutes", "figure"])
        .reset_index()
    )
    return CoverageChange(before_report, after_report, table, after)


# --- key-site inspections ------------------------------------------------------------------


def unvisited_sites(
    sites: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    days: float,
    now: Any = None,
) -> pd.DataFrame:
    """Key sites no patrol visited within the last `days` days.

    Parameters
    ----------
    sites : pandas.DataFrame
        With ``site_id`` (and any other columns, kept).
    visits : pandas.DataFrame
        ``site_id`` and ``time`` (date-times), e.g. from GPS tracks passing the site.
    days : float
        The inspection interval.
    now : datetime-like, optional
        The moment to count back from (default: the latest visit, so results are
        reproducible; pass ``pd.Timestamp.now()`` for live use).

    Returns
    -------
    pandas.DataFrame
        The overdue sites: their columns plus ``last_visit`` (NaT: never) and
        ``days_since`` (inf: never), most overdue first.
    """
    days = check_positive(days, "days")  # type: ignore[assignment]
    for name, frame, cols in (
        ("sites", sites, ("site_id",)),
        ("visits", visits, ("site_id", "time")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            msg = f"`{name}` must have column(s) {', '.join(missing)}"
            raise ValidationError(msg)
    times = pd.to_datetime(visits["time"], errors="coerce")
    if times.isna().any():
        msg = f"`visits`: {int(times.isna().sum())} row(s) have no readable time"
        raise ValidationError(msg)
    if now is None:
        now = times.max() if len(times) else pd.Timestamp.now()
    now = pd.Timestamp(now)
    last = pd.Series(times.to_numpy(), index=visits["site_id"].astype(str)).groupby(level=0).max()
    out = pd.DataFrame(sites).copy()
    if isinstance(out, gpd.GeoDataFrame):
        out = pd.DataFrame(out.drop(columns=out.geometry.name))
    out["last_visit"] = out["site_id"].astype(str).map(last)
    since = (now - out["last_visit"]).dt.total_seconds() / 86400.0
    out["days_since"] = since.fillna(np.inf)
    overdue = out[out["days_since"] > days]
    return overdue.sort_values("days_since", ascending=False, ignore_index=True)
