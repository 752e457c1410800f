"""Reached street pieces, service areas, times to points (private; public in `.coverage`)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.patrol._graph import FloatArray, IntArray, check_frame, check_positive
from gridmap.patrol.network import (
    FAR_SNAP_M,
    StreetGraph,
    TravelTimes,
    snap_points,
    travel_times_from,
    travel_times_to,
)
from gridmap.schema import RESPONSE_CLASSES

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
            raise ValidationError(
                Message("patrol_posts_far", posts=bad, limit=f"{max_snap:.0f}", mode=mode)
            )
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
