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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from gridmap._errors import ValidationError
from gridmap.patrol._coverage_figures import (
    _by_grid,
    _grid_of,
    _incidents_frame,
    _sites_frame,
    _summary,
)
from gridmap.patrol._coverage_reach import (
    DEFAULT_MINUTES,
    _check_minutes,
    _graphs,
    _ids_of,
    _piece_geometries,
    _pieces,
    _post_ids,
    _reach,
    reached_pieces,
    service_area_polygons,
    service_areas,
)
from gridmap.patrol._coverage_reach import POLYGON_BUFFER_M as POLYGON_BUFFER_M
from gridmap.patrol._graph import check_frame, check_positive, to_crs
from gridmap.patrol.network import (
    FAR_SNAP_M,
    StreetGraph,
    snap_points,
)

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
