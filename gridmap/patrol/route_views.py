"""The Patrol routes page (巡逻路线) as plain functions: stops, routes, legs along the streets.

The page (``app_pages/patrol_routes.py``) gathers widget values, calls one function per
view and shows what it returns; the ``gridmap patrol`` commands and the tests call the
same functions, so a figure on the page is the library's figure. No Streamlit here.

- :func:`candidate_stops` — the stops a route may visit: the street office's ``hotspots``
  layer (one stop per area, at a point inside it) and chosen key ``sites``, with a priority
  (:data:`HOTSPOT_PRIORITY`, :data:`SITE_PRIORITY`) and school time windows;
- :func:`plan_routes` — snaps posts and stops to one mode's streets, builds the travel-time
  matrix (:func:`~gridmap.patrol.network.travel_time_matrix`, exact Dijkstra from the
  snapped places) and solves with :func:`~gridmap.patrol.routing.plan_patrol_routes`
  (PyVRP prize-collecting VRP with time windows, LKH-3 reordering); every leg is then
  traced along the streets for the map and the lengths;
- :func:`summary_table`, :func:`timetable`, :func:`dropped_table`, :func:`downloads`;
- :func:`readable_name` (sites named only by their kind read as 学校 S0077) and
  :func:`stop_places` (where a stop is: nearest named street, grid), from ``_route_places``.

Maps, line patrols, schedules and planned-versus-actual are in
:mod:`gridmap.patrol.route_maps` and :mod:`gridmap.patrol.route_checks`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.i18n import Message, t
from gridmap.patrol import exports
from gridmap.patrol._legs import trace_legs
from gridmap.patrol._route_places import WHERE_STREET_M as WHERE_STREET_M  # re-exported
from gridmap.patrol._route_places import readable_name as readable_name
from gridmap.patrol._route_places import stop_places as stop_places
from gridmap.patrol.network import FAR_SNAP_M, StreetGraph, snap_points, travel_time_matrix
from gridmap.patrol.routing import DWELL_HOTSPOT, SHIFT, PatrolPlan, plan_patrol_routes

#: A hot spot's priority by the level the street office gave it (gridmap.hotspots.handoff):
#: Gi* confidence 99/95/90 % and warning levels red/orange/yellow. Other levels (emerging
#: patterns): :data:`DEFAULT_PRIORITY`.
HOTSPOT_PRIORITY: Mapping[str, int] = {
    "99": 3,
    "95": 2,
    "90": 1,
    "red": 3,
    "orange": 2,
    "yellow": 1,
}
#: A key site's priority by its response class (minutes): a 1-minute site matters most.
SITE_PRIORITY: Mapping[int, int] = {1: 3, 3: 2, 5: 1}
DEFAULT_PRIORITY = 2
#: School gates: from 30 minutes before classes start to 30 minutes after dismissal
#: (the issue's rule, as 护学岗 duty is organised around the gate times).
SCHOOL_MARGIN = 30 * 60
#: Columns that may hold a site's opening and closing (class start, dismissal) times.
OPENS_COLUMNS = ("opens", "open", "opening", "open_time", "上课时间", "开门时间")
CLOSES_COLUMNS = ("closes", "close", "closing", "close_time", "放学时间", "关门时间")
DROP_REASONS = ("far", "unreachable", "window", "budget", "priority")

FloatArray = npt.NDArray[np.float64]


def _column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _minutes_of_day(value: Any) -> float:
    """`value` (``"08:00"``, ``"8:30:00"``, a time or timestamp) as minutes after midnight;
    NaN when it is missing or not a clock time."""
    if isinstance(value, (datetime.time, datetime.datetime)):
        return value.hour * 60 + value.minute + value.second / 60
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    match = _CLOCK.fullmatch(str(value).strip())
    if match is None:
        return float("nan")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    if hours > 24 or minutes > 59 or seconds > 59:
        return float("nan")
    return hours * 60 + minutes + seconds / 60


_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})(?::(\d{2}))?")


def check_clock(value: str, name: str) -> float:
    """Minutes after midnight of a ``HH:MM`` clock time; ValidationError naming `name`."""
    minutes = _minutes_of_day(value)
    if np.isnan(minutes):
        raise ValidationError(Message("pr_bad_clock", name=name, value=str(value)))
    return minutes


def _hotspot_name(kind: str, level: str, lang: str) -> str:
    """A hot spot's name in words a patrol officer reads (the ``hotspots`` layer's kind and
    level, :mod:`gridmap.hotspots.handoff`), not the statistic's key."""
    from gridmap.hotspots.warnings import LEVEL_LABELS
    from gridmap.i18n import TEXT, t

    if kind == "gi_star":
        return t("pr_spot_gi", lang, level=level)
    if kind == "emerging":
        key = "hs_pattern_" + level.strip().replace(" ", "_")
        return t("pr_spot_emerging", lang, pattern=t(key, lang) if key in TEXT else level)
    if kind == "warning":
        label = LEVEL_LABELS.get(level, (level, level))[0 if lang == "zh" else 1]
        return t("pr_spot_warning", lang, level=label)
    return t("pr_spot_other", lang)


def candidate_stops(
    *,
    hotspots: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    site_ids: Sequence[Any] = (),
    site_kinds: Sequence[str] = (),
    school_hours: tuple[str, str] | None = None,
    priorities: Mapping[str, float] | None = None,
    lang: str = "zh",
) -> gpd.GeoDataFrame:
    """The stops a route may visit: every hot spot and the chosen key sites.

    Parameters
    ----------
    hotspots : the ``hotspots`` layer (polygons), optional. Each area is one stop at a point
        inside it (``representative_point``), named by its kind and level.
    sites : the ``sites`` layer, optional.
    site_ids : ``site_id`` values to visit.
    site_kinds : site kinds (``school``, ``metro`` …) whose every site is visited.
    school_hours : ``(classes start, dismissal)`` clock times for schools whose row has no
        opening/closing column (:data:`OPENS_COLUMNS`, :data:`CLOSES_COLUMNS`); ``None``:
        schools without times get no window.
    priorities : a priority (> 0) per stop id, replacing the default of its level or class.
    lang : {"zh", "en"}, the language of hot spots' names (``H1 热点（Gi*，置信度 99%）``)
        and of sites named only by their kind (:func:`readable_name`).

    Returns
    -------
    GeoDataFrame (EPSG:4326) with ``stop`` (``H1``… for hot spots, the ``site_id`` for
    sites), ``kind`` (``hotspot``/``site``), ``site_kind``, ``name``, ``priority`` (1-3),
    ``opens``/``closes`` (minutes after midnight of the window, NaN for none).
    """
    frames = []
    if hotspots is not None and len(hotspots):
        spots = hotspots.to_crs("EPSG:4326")
        level = spots["level"].astype(str) if "level" in spots else pd.Series("", index=spots.index)
        kind = spots["kind"].astype(str) if "kind" in spots else pd.Series("", index=spots.index)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "stop": [f"H{i + 1}" for i in range(len(spots))],
                    "kind": "hotspot",
                    "site_kind": kind.to_numpy(),
                    "name": [
                        f"H{i + 1} {_hotspot_name(k, lv, lang)}"
                        for i, (k, lv) in enumerate(zip(kind, level, strict=True))
                    ],
                    "priority": [HOTSPOT_PRIORITY.get(v, DEFAULT_PRIORITY) for v in level],
                    "opens": np.nan,
                    "closes": np.nan,
                },
                geometry=spots.geometry.representative_point().to_numpy(),
                crs="EPSG:4326",
            )
        )
    if sites is not None and len(sites) and (len(site_ids) or len(site_kinds)):
        ids = sites["site_id"].astype(str)
        kinds = sites["kind"].astype(str) if "kind" in sites else pd.Series("", index=sites.index)
        chosen = sites[ids.isin([str(s) for s in site_ids]) | kinds.isin(list(site_kinds))]
        chosen = chosen.to_crs("EPSG:4326")
        opens_col, closes_col = _column(chosen, OPENS_COLUMNS), _column(chosen, CLOSES_COLUMNS)
        opens = [
            _minutes_of_day(v) for v in (chosen[opens_col] if opens_col else [None] * len(chosen))
        ]
        closes = [
            _minutes_of_day(v) for v in (chosen[closes_col] if closes_col else [None] * len(chosen))
        ]
        ckind = kinds.loc[chosen.index].to_numpy()
        if school_hours is not None:
            start = check_clock(school_hours[0], "school_hours")
            end = check_clock(school_hours[1], "school_hours")
            for i, k in enumerate(ckind):
                if k == "school" and np.isnan(opens[i]) and np.isnan(closes[i]):
                    opens[i], closes[i] = start, end
        response = (
            pd.to_numeric(chosen["response_class"], errors="coerce")
            if "response_class" in chosen
            else pd.Series(np.nan, index=chosen.index)
        )
        frames.append(
            gpd.GeoDataFrame(
                {
                    "stop": chosen["site_id"].astype(str).to_numpy(),
                    "kind": "site",
                    "site_kind": ckind,
                    "name": [
                        readable_name(n, kind=k, ident=i, lang=lang)
                        for n, k, i in zip(
                            chosen["name"] if "name" in chosen else [None] * len(chosen),
                            ckind,
                            chosen["site_id"].astype(str),
                            strict=True,
                        )
                    ],
                    "priority": [
                        SITE_PRIORITY.get(int(r), DEFAULT_PRIORITY)
                        if pd.notna(r)
                        else DEFAULT_PRIORITY
                        for r in response
                    ],
                    "opens": np.asarray(opens, float) - SCHOOL_MARGIN / 60,
                    "closes": np.asarray(closes, float) + SCHOOL_MARGIN / 60,
                },
                geometry=chosen.geometry.to_numpy(),
                crs="EPSG:4326",
            )
        )
    if not frames:
        return gpd.GeoDataFrame(
            {c: [] for c in ("stop", "kind", "site_kind", "name", "priority", "opens", "closes")},
            geometry=[],
            crs="EPSG:4326",
        )
    out = pd.concat(frames, ignore_index=True).drop_duplicates("stop").reset_index(drop=True)
    for stop, value in (priorities or {}).items():
        number = pd.to_numeric(value, errors="coerce")
        if not np.isfinite(number) or number <= 0:
            raise ValidationError(Message("pr_bad_priority", stop=str(stop), value=str(value)))
        out.loc[out["stop"] == str(stop), "priority"] = float(number)
    return out


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Places:
    """Posts and stops snapped to one mode's streets, and the travel times between them.

    ``table`` has one row per place (row ``i`` is row ``i`` of ``times``): ``place`` (post id
    or stop id), ``kind`` (``post``/``hotspot``/``site``), ``name``, ``snap_m`` (metres to
    the street), ``far`` (over :data:`~gridmap.patrol.network.FAR_SNAP_M`), the snap
    (``segment``, ``position``, ``x``, ``y`` in the graph's CRS) and ``lon``/``lat`` of the
    snapped place. ``times`` are seconds (``inf``: no way), exact Dijkstra on the graph.
    """

    graph: StreetGraph
    table: pd.DataFrame
    times: FloatArray

    @property
    def coords(self) -> FloatArray:
        return self.table[["lon", "lat"]].to_numpy(float)


def snap_places(graph: StreetGraph, posts: gpd.GeoDataFrame, stops: gpd.GeoDataFrame) -> Places:
    """Snap `posts` (``post_id``, ``name``) and `stops` (:func:`candidate_stops`) to `graph`."""
    post_names = posts["name"].astype(str) if "name" in posts else posts["post_id"].astype(str)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "place": posts["post_id"].astype(str).to_numpy(),
                    "kind": "post",
                    "name": post_names.to_numpy(),
                    "geometry": posts.to_crs("EPSG:4326").geometry.to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "place": stops["stop"].astype(str).to_numpy(),
                    "kind": stops["kind"].to_numpy(),
                    "name": stops["name"].astype(str).to_numpy(),
                    "geometry": stops.to_crs("EPSG:4326").geometry.to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    points = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    snapped = snap_points(graph, points, max_distance=FAR_SNAP_M)
    snapped_xy = gpd.GeoSeries(
        gpd.points_from_xy(snapped["x"], snapped["y"]), crs=graph.crs
    ).to_crs("EPSG:4326")
    table = frame.drop(columns="geometry").assign(
        snap_m=snapped["distance"].to_numpy(),
        far=snapped["far"].to_numpy(),
        segment=snapped["segment"].to_numpy(),
        position=snapped["position"].to_numpy(),
        x=snapped["x"].to_numpy(),
        y=snapped["y"].to_numpy(),
        lon=snapped_xy.x.to_numpy(),
        lat=snapped_xy.y.to_numpy(),
    )
    times = travel_time_matrix(graph, snapped, snapped)
    np.fill_diagonal(times, 0.0)
    return Places(graph, table, times)


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class RoutePlan:
    """What the Routes view shows: the solver's plan and everything drawn from it.

    Attributes
    ----------
    plan : the :class:`~gridmap.patrol.routing.PatrolPlan` (rows = rows of ``places``).
    places : the snapped posts and stops (:class:`Places`).
    stops : the stops asked for (:func:`candidate_stops`).
    legs : GeoDataFrame (EPSG:4326): ``unit``, ``leg`` (1 = from the start post), ``length``
        (m), the street path of each leg.
    distance : metres walked or driven per unit (sum of its legs).
    dropped : ``stop``, ``name``, ``reason`` (one of :data:`DROP_REASONS`).
    mode, shift_start (``HH:MM``), shift, dwell : the inputs (seconds).
    """

    plan: PatrolPlan
    places: Places
    stops: gpd.GeoDataFrame
    legs: gpd.GeoDataFrame
    distance: dict[str, float]
    dropped: pd.DataFrame
    mode: str
    shift_start: str
    shift: float
    dwell: float

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.places.table["place"], self.places.table["name"], strict=True))

    @property
    def post_names(self) -> dict[int, str]:
        posts = self.places.table[self.places.table["kind"] == "post"]
        return dict(zip(posts.index, posts["name"], strict=True))


def _positions(table: pd.DataFrame, ids: Sequence[Any], name: str) -> list[int]:
    posts = table.index[table["kind"] == "post"]
    by_id = dict(zip(table.loc[posts, "place"], posts, strict=True))
    out = []
    for i in ids:
        if str(i) not in by_id:
            raise ValidationError(Message("pr_unknown_post", name=name, post=str(i)))
        out.append(int(by_id[str(i)]))
    return out


def plan_routes(
    graph: StreetGraph,
    posts: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    *,
    start_posts: Sequence[Any],
    end_posts: Sequence[Any] | None = None,
    units: int = 1,
    shift_minutes: float = SHIFT / 60,
    dwell_minutes: float = DWELL_HOTSPOT / 60,
    shift_start: str = "08:00",
    required: bool = False,
    time_limit: float = 2.0,
    seed: int = 0,
    balance: bool = False,
) -> RoutePlan:
    """Patrol routes for `units` units from `start_posts` through `stops`.

    Parameters
    ----------
    graph : one travel mode's street graph (:func:`~gridmap.patrol.network.street_graph`).
    posts : the ``posts`` layer (``post_id``, optional ``name``).
    stops : :func:`candidate_stops`.
    start_posts, end_posts : post ids; unit ``k`` starts at ``start_posts[k % len]`` and ends
        at ``end_posts[k % len]`` (default: where it started).
    units : number of units (≥ 1).
    shift_minutes : the shift budget: every unit is back at its end post by then.
    dwell_minutes : minutes at each stop (default 12, inside Koper's 10-15 minute window).
    shift_start : clock time the shift starts (``HH:MM``): time windows are relative to it.
    required : every stop must be visited (an error when they cannot all be); otherwise stops
        are optional with their ``priority`` (low priorities dropped when time runs out).
    time_limit, seed : of the solver (seconds; same seed and inputs, same plan).
    balance : share the stops among the units, making the last one back as early as
        possible (:func:`~gridmap.patrol.routing.plan_patrol_routes`).

    Raises
    ------
    ValidationError
        With a :class:`~gridmap.i18n.Message`: no start post, an unknown post, a post far
        from the streets, no stop, a required stop unreachable or with an impossible window.
    """
    if not len(start_posts):
        raise ValidationError(Message("pr_no_start"))
    if int(units) < 1:
        raise ValidationError(Message("pr_bad_units", units=units))
    if not len(stops):
        raise ValidationError(Message("pr_no_stops"))
    shift = float(shift_minutes) * 60
    dwell = float(dwell_minutes) * 60
    if not 0 < shift <= 24 * 3600 or not 0 <= dwell < shift:
        raise ValidationError(
            Message("pr_bad_shift", shift=f"{shift_minutes:g}", dwell=f"{dwell_minutes:g}")
        )
    begin = check_clock(shift_start, "shift_start")
    ends = list(end_posts) if end_posts else list(start_posts)
    used = {str(p) for p in (*start_posts, *ends)}
    chosen = posts[posts["post_id"].astype(str).isin(used)]
    places = snap_places(graph, chosen, stops)
    table = places.table
    start_rows = _positions(table, start_posts, "start_posts")
    end_rows = _positions(table, ends, "end_posts")
    for row in sorted(set(start_rows + end_rows)):
        if table.at[row, "far"]:
            raise ValidationError(
                Message(
                    "pr_post_far",
                    post=table.at[row, "name"],
                    m=f"{table.at[row, 'snap_m']:.0f}",
                    limit=f"{FAR_SNAP_M:.0f}",
                )
            )
    n_units = int(units)
    unit_start = [start_rows[k % len(start_rows)] for k in range(n_units)]
    unit_end = [end_rows[k % len(end_rows)] for k in range(n_units)]
    stop_rows = table.index[table["kind"] != "post"].to_numpy()
    opens = (stops["opens"].to_numpy(float) - begin) * 60
    closes = (stops["closes"].to_numpy(float) - begin) * 60
    opens = np.where(np.isnan(opens), 0.0, np.maximum(opens, 0.0))
    closes = np.where(np.isnan(closes), shift, np.minimum(closes, shift))
    tt = places.times
    go = tt[np.ix_(unit_start, stop_rows)].min(axis=0)
    back = tt[np.ix_(stop_rows, unit_end)].min(axis=1)
    reason = np.full(len(stop_rows), "", dtype=object)
    reason[table.loc[stop_rows, "far"].to_numpy(bool)] = "far"
    reason[(reason == "") & ~(np.isfinite(go) & np.isfinite(back))] = "unreachable"
    reason[(reason == "") & (closes - np.maximum(opens, go) < dwell)] = "window"
    reason[(reason == "") & (np.maximum(opens, go) + dwell + back > shift)] = "budget"
    names = table.loc[stop_rows, "name"].to_numpy()
    if required and (reason != "").any():
        i = int(np.flatnonzero(reason != "")[0])
        raise ValidationError(
            Message(
                f"pr_required_{reason[i]}",
                stop=names[i],
                window=_window_text(stops["opens"].iloc[i], stops["closes"].iloc[i]),
                shift=f"{shift_minutes:g}",
            )
        )
    keep = reason == ""
    frame = pd.DataFrame(
        {
            "stop": stops["stop"].astype(str).to_numpy()[keep],
            "node": stop_rows[keep],
            "dwell": dwell,
            "priority": np.nan if required else stops["priority"].to_numpy(float)[keep],
            "open": opens[keep],
            "close": closes[keep],
        }
    )
    unit_frame = pd.DataFrame(
        {"unit": [f"U{k + 1}" for k in range(n_units)], "start": unit_start, "end": unit_end}
    )
    if len(frame):
        plan = plan_patrol_routes(
            tt,
            frame,
            unit_frame,
            shift=shift,
            dwell=dwell,
            time_limit=time_limit,
            seed=seed,
            balance=balance,
        )
    else:
        plan = plan_patrol_routes(
            tt, frame, unit_frame, shift=shift, dwell=dwell, time_limit=0.1, seed=seed
        )
    dropped_ids = {str(s) for s in plan.dropped}
    reason[keep] = ["priority" if s in dropped_ids else "" for s in frame["stop"]]
    out = np.flatnonzero(reason != "")
    dropped = pd.DataFrame(
        {
            "stop": stops["stop"].astype(str).to_numpy()[out],
            "name": names[out],
            "reason": reason[out].astype(str),
        }
    )
    legs = trace_legs(places, plan)
    distance = {
        r.unit: float(legs.loc[legs["unit"] == r.unit, "length"].sum()) for r in plan.routes
    }
    return RoutePlan(
        plan, places, stops, legs, distance, dropped, graph.mode, shift_start, shift, dwell
    )


def _window_text(opens: float, closes: float) -> str:
    def clock(m: float) -> str:
        return "-" if np.isnan(m) else f"{int(m // 60) % 24:02d}:{int(m % 60):02d}"

    return f"{clock(opens)}–{clock(closes)}"


# --------------------------------------------------------------------------- tables


def _clock(seconds: float, start_minutes: float) -> str:
    total = round(start_minutes * 60 + seconds) // 60
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def summary_table(result: RoutePlan, *, lang: str) -> pd.DataFrame:
    """Per unit: start and end post, stops, distance (km), travel and total time (min)."""
    names = result.post_names
    rows = [
        {
            t("pr_col_unit", lang): r.unit,
            t("pr_col_start", lang): names.get(r.start, str(r.start)),
            t("pr_col_end", lang): names.get(r.end, str(r.end)),
            t("pr_col_stops", lang): len(r.stops),
            t("pr_col_km", lang): round(result.distance.get(r.unit, 0.0) / 1000, 2),
            t("pr_col_travel", lang): round(r.travel_time / 60, 1),
            t("pr_col_duration", lang): round(r.duration / 60, 1),
        }
        for r in result.plan.routes
    ]
    return pd.DataFrame(rows)


def totals(result: RoutePlan) -> dict[str, float]:
    """The figures above the map: stops visited and dropped, km, travel and longest minutes."""
    routes = result.plan.routes
    return {
        "visited": float(sum(len(r.stops) for r in routes)),
        "dropped": float(len(result.dropped)),
        "km": sum(result.distance.values()) / 1000,
        "travel_min": result.plan.travel_time / 60,
        "longest_min": max((r.duration for r in routes), default=0.0) / 60,
    }


def timetable(result: RoutePlan, *, lang: str) -> pd.DataFrame:
    """Every unit's places in order with arrive / leave clock times, wait and dwell (min)."""
    begin = check_clock(result.shift_start, "shift_start")
    names = result.names
    kinds = dict(zip(result.places.table["place"], result.places.table["kind"], strict=True))
    post_names = result.post_names
    rows = []
    for r in result.plan.routes:
        last = len(r.timetable) - 1
        for k, row in enumerate(r.timetable.itertuples()):
            if row.stop is None or (isinstance(row.stop, float) and np.isnan(row.stop)):
                place = post_names.get(int(row.node), "")
                kind = t("pr_start_post" if k == 0 else "pr_end_post", lang)
            else:
                place = names.get(str(row.stop), str(row.stop))
                kind = t(f"pr_kind_{kinds.get(str(row.stop), 'site')}", lang)
            rows.append(
                {
                    t("pr_col_unit", lang): r.unit,
                    t("pr_col_order", lang): int(row.order),
                    t("pr_col_place", lang): place,
                    t("pr_col_kind", lang): kind,
                    t("pr_col_arrive", lang): "" if k == 0 else _clock(row.arrive, begin),
                    t("pr_col_leave", lang): "" if k == last else _clock(row.leave, begin),
                    t("pr_col_wait", lang): round(float(row.wait) / 60, 1),
                    t("pr_col_dwell", lang): round(float(row.dwell) / 60, 1),
                }
            )
    return pd.DataFrame(rows)


def dropped_table(result: RoutePlan, *, lang: str) -> pd.DataFrame:
    """The stops left out, each with why."""
    return pd.DataFrame(
        {
            t("pr_col_place", lang): result.dropped["name"].to_numpy(),
            t("pr_col_why", lang): [t(f"pr_why_{r}", lang) for r in result.dropped["reason"]],
        }
    )


def downloads(
    result: RoutePlan,
    unit: str,
    *,
    date: str | None = None,
    lang: str = "zh",
    names: Mapping[str, str] | None = None,
    where: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One unit's route as GPX, GeoJSON (the street path) and the route sheet (HTML).

    `date` (``YYYY-MM-DD``) prints clock times with the date; default today's times only.
    `lang` is the route sheet's language (Chinese by default) and `names` the stops' names
    in it (default: the names the plan was made with, in the language of its stops);
    `where` (:func:`stop_places`) adds where each stop is. The sheet counts the stops
    left out; their list is :func:`dropped_table`.
    """
    route = next((r for r in result.plan.routes if r.unit == unit), None)
    if route is None:
        raise ValidationError(Message("pr_unknown_unit", unit=unit))
    start = pd.Timestamp(f"{date or '2000-01-01'} {result.shift_start}")
    legs = result.legs[result.legs["unit"] == unit].sort_values("leg")
    path = [c for g in legs.geometry for c in shapely.get_coordinates(g).tolist()]
    options: dict[str, Any] = {"names": result.names, "shift_start": start}
    return {
        "gpx": exports.route_gpx(route, result.places.coords, path=path, **options),
        "geojson": json.dumps(
            exports.route_geojson(route, result.places.coords, path=path, **options),
            ensure_ascii=False,
        ),
        "html": exports.route_sheet_html(
            route,
            names={**result.names, **(names or {})},
            post_names=result.post_names,
            shift_start=start,
            dropped=list(result.dropped["stop"]),
            date_shown=date is not None,
            lang=lang,
            where=where,
        ),
    }
