"""Patrol routes (巡逻路线): routes between posts, line patrols, schedules, planned vs actual.

A form over :mod:`gridmap.patrol.route_views`, :mod:`~gridmap.patrol.route_maps` and
:mod:`~gridmap.patrol.route_checks`. The street graph is built once per streets version
and mode (``st.cache_resource``); every answer is cached on its inputs and the inputs are
kept under plain session keys, so switching language redraws the same answer.
"""

from __future__ import annotations

import datetime
from typing import Any

import geopandas as gpd
import streamlit as st

from app_pages._common import (
    audited,
    basemap_options,
    choice,
    lang,
    layer,
    may,
    say,
    store,
    tr,
    upload_folder,
)
from app_pages._data_forms import uploader_in_chinese
from app_pages._maps import show_folium
from app_pages._patrol_form import download_name, keep, labels, multi, solve_form
from app_pages._patrol_stops import in_language, stop_inputs, stops_frame
from app_pages._street_office import map_credit
from gridmap import GridmapError, ValidationError
from gridmap.io import csv_bytes
from gridmap.patrol import exports, route_checks, route_maps, route_views
from gridmap.patrol.network import street_graph
from gridmap.patrol.tracks import read_track
from gridmap.uploads import safe_file_name

VIEWS = ("routes", "line", "schedule", "actual")
MODES = ("walk", "bike", "car")
MAP_HEIGHT = 560


def _version(name: str) -> int:
    return store().current_version(name) or 0


def _versions() -> tuple[Any, ...]:
    return (
        str(store().location),
        *(_version(n) for n in ("streets", "posts", "sites", "hotspots", "grids")),
    )


@st.cache_resource(max_entries=6, show_spinner=False)
def _graph(workspace: str, streets: int, mode: str) -> Any:
    return street_graph(layer("streets"), mode=mode, crs=store().working_crs())


def graph(mode: str) -> Any:
    return _graph(str(store().location), _version("streets"), mode)


@st.cache_resource(max_entries=8, show_spinner=False)
def _routes(versions: tuple, mode: str, stops: tuple, args: tuple) -> route_views.RoutePlan:
    starts, ends, units, shift, dwell, begin, required, limit, balance = args
    return route_views.plan_routes(
        graph(mode),
        layer("posts"),
        stops_frame(stops),
        start_posts=starts,
        end_posts=ends,
        units=units,
        shift_minutes=shift,
        dwell_minutes=dwell,
        shift_start=begin,
        required=required,
        time_limit=limit,
        balance=balance,
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _route_map(versions: tuple, mode: str, stops: tuple, args: tuple, options: tuple) -> Any:
    result = _routes(versions, mode, stops, args)
    return route_maps.route_map(
        result,
        streets=layer("streets"),
        buildings=layer("buildings"),
        height=MAP_HEIGHT,
        **dict(options),
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _line(versions: tuple, mode: str, grid: str) -> route_checks.LinePatrol:
    return route_checks.line_patrol(graph(mode), layer("grids"), grid)


@st.cache_resource(max_entries=8, show_spinner=False)
def _line_map(versions: tuple, mode: str, grid: str, options: tuple) -> Any:
    grids = layer("grids")
    return route_maps.line_map(
        _line(versions, mode, grid).path,
        streets=layer("streets"),
        outline=grids[grids["grid_code"].astype(str) == grid],
        height=MAP_HEIGHT,
        **dict(options),
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _schedule(versions: tuple, mode: str, stops: tuple, args: tuple) -> route_checks.Schedule:
    post, days, shift, begin, every_2h, seed = args
    return route_checks.schedule(
        graph(mode),
        layer("posts"),
        stops_frame(stops),
        post=post,
        days=days,
        shift_minutes=shift,
        shift_start=begin,
        every_two_hours=every_2h,
        seed=seed,
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _schedule_map(versions: tuple, mode: str, stops: tuple, args: tuple, options: tuple) -> Any:
    result = _schedule(versions, mode, stops, args)
    return route_maps.schedule_map(
        result.places, result.visits, streets=layer("streets"), height=MAP_HEIGHT, **dict(options)
    )


def show_map(fmap: Any, key: str) -> None:
    # The maps are cached for every session: rendered by one session at a time, drawn in
    # the page itself (they report nothing back).
    show_folium(fmap, key=key, height=MAP_HEIGHT)


def _map_options() -> tuple:
    return tuple({"lang": lang(), **basemap_options(), "credit": map_credit()}.items())


def draw(make: Any, *args: Any) -> Any:
    """The map from `make` with the sidebar's basemap; a basemap that cannot be used (a
    missing key, a bad URL) is said, and the offline vector basemap drawn instead."""
    try:
        return make(_versions(), *args, _map_options())
    except ValidationError as exc:
        st.error(tr("basemap_error", error=say(exc)))
        return make(_versions(), *args, (("lang", lang()), ("credit", map_credit())))


def _error(exc: GridmapError) -> None:
    st.error(say(exc))


# --------------------------------------------------------------------------- the form

st.title(tr("pr_title"))
st.caption(tr("pr_intro"))
streets, posts = layer("streets"), layer("posts")
missing = [
    tr(key)
    for key, frame in (("pr_no_streets", streets), ("pr_no_posts", posts))
    if frame is None or not len(frame)
]
if missing:
    for text in missing:
        st.info(text)
    st.stop()
sites, hotspots, grids = layer("sites"), layer("hotspots"), layer("grids")

view = choice(
    tr("pr_view"),
    VIEWS,
    key="pr_view",
    format_func=labels(lambda v: f"pr_view_{v}"),
    widget=st.radio,
    horizontal=True,
)
mode = choice(
    tr("pp_mode"),
    MODES,
    key="pr_mode",
    format_func=labels(lambda v: f"pp_mode_{v}"),
    widget=st.radio,
    horizontal=True,
)
post_ids = posts["post_id"].astype(str).tolist()
post_label = {  # a post named by a kind word ("metro 守望岗") reads in the page's language
    i: route_views.readable_name(n, kind=None, ident=i, lang=lang())
    for i, n in zip(post_ids, posts.get("name", post_ids), strict=True)
}


def shift_inputs(cols: list, *, start_key: str, length_key: str) -> tuple[str, float]:
    """A shift's start (HH:MM) and length (minutes) in the first two of `cols`."""
    begin = keep(cols[0].text_input, tr("pr_shift_start"), key=start_key, default="08:00")
    shift = keep(
        cols[1].number_input,
        tr("pr_shift"),
        key=length_key,
        default=240,
        min_value=30,
        max_value=720,
        step=30,
    )
    return begin, shift


def route_inputs() -> tuple:
    """The routes form: posts, units, the shift and how to plan; its values, hashable."""
    cols = st.columns(3)
    starts = multi(
        tr("pr_start_posts"),
        post_ids,
        key="pr_starts",
        default=post_ids[:1],
        where=cols[0],
        format_func=post_label.get,
    )
    ends = multi(
        tr("pr_end_posts"),
        post_ids,
        key="pr_ends",
        default=[],
        where=cols[1],
        format_func=post_label.get,
    )
    units = keep(
        cols[2].number_input, tr("pr_units"), key="pr_units", default=1, min_value=1, max_value=20
    )
    cols = st.columns(4)
    begin, shift = shift_inputs(cols, start_key="pr_shift_start", length_key="pr_shift")
    dwell = keep(
        cols[2].number_input,
        tr("pr_dwell"),
        key="pr_dwell",
        default=12,
        min_value=0,
        max_value=60,
        help=tr("pr_dwell_help"),
    )
    limit = keep(
        cols[3].number_input,
        tr("pr_time_limit"),
        key="pr_time_limit",
        default=2,
        min_value=1,
        max_value=30,
    )
    cols = st.columns(2)
    required = keep(
        cols[0].checkbox,
        tr("pr_required"),
        key="pr_required",
        default=False,
        help=tr("pr_required_help"),
    )
    balance = keep(
        cols[1].checkbox,
        tr("pr_balance"),
        key="pr_balance",
        default=False,
        help=tr("pr_balance_help"),
    )
    return (
        tuple(starts),
        tuple(ends),
        int(units),
        float(shift),
        float(dwell),
        begin,
        bool(required),
        float(limit),
        bool(balance),
    )


def _same_inputs(values: tuple) -> tuple:
    """A solver form's (mode, stops, form) values without the language of the stops'
    names: switching the language keeps the answer, changing a stop does not."""
    return (values[0], in_language(values[1]), values[2])


def sheet_options(stops: tuple) -> dict[str, Any]:
    """The route sheet's language, date, stop names in that language and where each stop
    is (nearest named street, grid), from inputs above the downloads."""
    cols = st.columns(2)
    with cols[0]:
        language = choice(
            tr("pr_sheet_lang"),
            ("zh", "en"),
            key="pr_sheet_lang",
            format_func=labels(lambda v: f"pr_sheet_lang_{v}"),
            widget=st.radio,
            horizontal=True,
        )
    day = keep(
        cols[1].date_input,
        tr("pr_sheet_date_input"),
        key="pr_sheet_date",
        default=datetime.date.today(),
    )
    named = stops_frame((*stops[:-1], language))  # the hot spots named in the sheet's language
    return {
        "date": f"{day:%Y-%m-%d}" if day else None,
        "lang": language,
        "names": dict(zip(named["stop"], named["name"], strict=True)),
        "where": route_views.stop_places(named, streets=streets, grids=grids, lang=language),
    }


def routes_view() -> None:
    stops = stop_inputs(hotspots, sites)
    chosen = solve_form(
        "routes", lambda: (mode, stops, route_inputs()), submit="pr_solve", same=_same_inputs
    )
    if chosen is None:
        return
    chosen = (chosen[0], in_language(chosen[1]), chosen[2])  # stops named in today's language
    try:
        with st.spinner(tr("pr_solving")):
            result = _routes(_versions(), *chosen)
            fmap = draw(_route_map, *chosen)
    except GridmapError as exc:
        _error(exc)
        return
    figures = route_views.totals(result)
    cols = st.columns(5)
    cols[0].metric(tr("pr_m_visited"), f"{figures['visited']:.0f}")
    cols[1].metric(tr("pr_m_dropped"), f"{figures['dropped']:.0f}")
    cols[2].metric(tr("pr_m_km"), f"{figures['km']:.2f}")
    cols[3].metric(tr("pr_m_travel"), f"{figures['travel_min']:.0f}")
    cols[4].metric(tr("pr_m_longest"), f"{figures['longest_min']:.0f}")
    if figures["dropped"]:
        _, _, units, shift, dwell, *_ = chosen[2]
        st.info(
            tr(
                "pr_dropped_why",
                dropped=f"{figures['dropped']:.0f}",
                units=units,
                shift=f"{shift:.0f}",
                dwell=f"{dwell:.0f}",
                most=int(units * shift // max(dwell, 1)),
            )
        )
    show_map(fmap, "pr_routes_map")
    st.subheader(tr("pr_summary"))
    st.dataframe(route_views.summary_table(result, lang=lang()), hide_index=True)
    st.subheader(tr("pr_timetable"))
    st.dataframe(route_views.timetable(result, lang=lang()), hide_index=True)
    if len(result.dropped):
        st.subheader(tr("pr_dropped"))
        st.dataframe(route_views.dropped_table(result, lang=lang()), hide_index=True)
    units = [r.unit for r in result.plan.routes if r.stops]
    if units and not may("export"):
        st.info(tr("export_not_allowed"))
    elif units:
        unit = choice(tr("pr_download_unit"), units, key="pr_download_unit")
        files = route_views.downloads(result, unit, **sheet_options(chosen[1]))
        cols = st.columns(4 if len(result.dropped) else 3)
        cols[0].download_button(
            "GPX",
            audited(files["gpx"], None, "route GPX"),
            download_name(unit, "gpx"),
            "application/gpx+xml",
            key="pr_gpx",
            on_click="ignore",
        )
        cols[1].download_button(
            "GeoJSON",
            audited(files["geojson"], None, "route GeoJSON"),
            download_name(unit, "geojson"),
            "application/geo+json",
            key="pr_geojson",
            on_click="ignore",
        )
        cols[2].download_button(
            tr("pr_sheet"),
            audited(files["html"], None, "route sheet"),
            download_name(unit, "html"),
            "text/html",
            key="pr_sheet",
            on_click="ignore",
        )
        if len(result.dropped):  # the list the sheets count, once for all units
            cols[3].download_button(
                tr("pr_dropped_csv"),
                audited(
                    csv_bytes(route_views.dropped_table(result, lang=lang())),
                    None,
                    "stops left out CSV",
                ),
                "dropped.csv",
                "text/csv",
                key="pr_dropped_csv",
                on_click="ignore",
            )
    with st.expander(tr("pr_help")):
        st.markdown(tr("pr_help_routes"))


def line_view() -> None:
    if grids is None or not len(grids):
        st.info(tr("pr_no_grids"))
        return
    codes = grids["grid_code"].astype(str).tolist()
    names = dict(zip(codes, grids["name"].astype(str) if "name" in grids else codes, strict=True))
    grid = choice(tr("grid"), codes, key="pr_grid", format_func=lambda c: f"{names[c]} ({c})")
    if st.button(tr("pr_line_go"), key="pr_line_go"):
        st.session_state["pr_line_args"] = (mode, grid)
    chosen = st.session_state.get("pr_line_args")
    if chosen is None:
        st.caption(tr("pr_press_solve"))
    elif chosen != (mode, grid):  # a line patrol is shown only for the grid and mode chosen
        st.warning(tr("pr_inputs_changed", button=tr("pr_line_go")))
    else:
        try:
            with st.spinner(tr("pr_solving")):
                result = _line(_versions(), *chosen)
                fmap = draw(_line_map, *chosen)
        except GridmapError as exc:
            _error(exc)
            return
        cols = st.columns(4)
        cols[0].metric(tr("pr_m_line_km"), f"{result.length / 1000:.2f}")
        cols[1].metric(tr("pr_m_street_km"), f"{result.street_length / 1000:.2f}")
        cols[2].metric(tr("pr_m_line_min"), f"{result.time / 60:.0f}")
        cols[3].metric(tr("pr_m_repeated"), f"{(result.length - result.street_length) / 1000:.2f}")
        if result.left_out:
            st.warning(tr("pr_left_out", n=result.left_out))
        show_map(fmap, "pr_line_map")
        line_downloads(result, *chosen)
    with st.expander(tr("pr_help")):
        st.markdown(tr("pr_help_line"))


def line_downloads(result: route_checks.LinePatrol, mode: str, grid: str) -> None:
    """The line patrol as GPX and GeoJSON (the files ``gridmap patrol postman`` writes)."""
    if not may("export"):
        st.info(tr("export_not_allowed"))
        return
    files = exports.line_patrol_files(
        result.path.geometry.iloc[0],
        grid=grid,
        mode=mode,
        length=result.length,
        street_length=result.street_length,
        seconds=result.time,
    )
    cols = st.columns(2)
    for col, kind, mime in (
        (cols[0], "gpx", "application/gpx+xml"),
        (cols[1], "geojson", "application/geo+json"),
    ):
        col.download_button(
            "GPX" if kind == "gpx" else "GeoJSON",
            audited(files[kind], None, f"line patrol {kind}"),
            safe_file_name(f"line_{grid}.{kind}"),
            mime,
            key=f"pr_line_{kind}",
            on_click="ignore",
        )


def schedule_downloads(days_table: Any, visits: Any) -> None:
    """The schedule's visits as CSV (formulas neutralised) and both tables as Excel."""
    if not may("export"):
        st.info(tr("export_not_allowed"))
        return
    cols = st.columns(2)
    cols[0].download_button(
        tr("pr_schedule_csv"),
        audited(csv_bytes(visits), None, "schedule CSV"),
        "schedule.csv",
        "text/csv",
        key="pr_schedule_csv",
        on_click="ignore",
    )
    cols[1].download_button(
        tr("pr_schedule_xlsx"),
        audited(
            exports.xlsx_bytes(
                {tr("pr_schedule_sheet_visits"): visits, tr("pr_schedule_sheet_days"): days_table}
            ),
            None,
            "schedule Excel",
        ),
        "schedule.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="pr_schedule_xlsx",
        on_click="ignore",
    )


def schedule_inputs() -> tuple:
    """The schedule form: post, days, seed and the shift; its values, hashable."""
    cols = st.columns(3)
    with cols[0]:
        post = choice(tr("pr_post"), post_ids, key="pr_schedule_post", format_func=post_label.get)
    days = keep(
        cols[1].number_input, tr("pr_days"), key="pr_days", default=7, min_value=1, max_value=31
    )
    seed = keep(cols[2].number_input, tr("pr_seed"), key="pr_seed", default=0, min_value=0)
    cols = st.columns(3)
    begin, shift = shift_inputs(cols, start_key="pr_schedule_start", length_key="pr_schedule_shift")
    every = keep(
        cols[2].checkbox,
        tr("pr_every_2h"),
        key="pr_every_2h",
        default=False,
        help=tr("pr_every_2h_help"),
    )
    return (post, int(days), float(shift), begin, bool(every), int(seed))


def schedule_view() -> None:
    stops = stop_inputs(hotspots, sites)
    chosen = solve_form(
        "schedule",
        lambda: (mode, stops, schedule_inputs()),
        submit="pr_schedule_go",
        same=_same_inputs,
    )
    if chosen is not None:
        chosen = (chosen[0], in_language(chosen[1]), chosen[2])
        try:
            result = _schedule(_versions(), *chosen)
        except GridmapError as exc:
            _error(exc)
            return
        days_table, visits = route_checks.schedule_tables(result, lang=lang())
        st.metric(
            tr("pr_m_predictability"), f"{result.score:.2f}", help=tr("pr_predictability_help")
        )
        show_map(draw(_schedule_map, *chosen), "pr_schedule_map")
        st.dataframe(days_table, hide_index=True)
        st.dataframe(visits, hide_index=True)
        schedule_downloads(days_table, visits)
    with st.expander(tr("pr_help")):
        st.markdown(tr("pr_help_schedule"))


def _track_source() -> gpd.GeoDataFrame | None:
    sources = ["upload", "synthetic"] + (["layer"] if "tracks" in store().layers() else [])
    source = choice(
        tr("pr_track_source"),
        sources,
        key="pr_track_source",
        format_func=labels(lambda v: f"pr_track_{v}"),
        widget=st.radio,
        horizontal=True,
    )
    if source == "layer":
        return layer("tracks")
    if source == "synthetic":
        st.caption(tr("pr_synthetic_note"))
        return None
    types = ["gpx", "csv", "txt"]
    # the Data page's uploader words in Chinese (Streamlit's own are English only)
    uploader_in_chinese(int(st.get_option("server.maxUploadSize")), types=types)
    uploaded = st.file_uploader(tr("pr_track_file"), type=types, key="pr_track_file")
    if uploaded is None:
        return None
    with upload_folder().copy(uploaded.name, uploaded.getbuffer()) as path:
        return read_track(path)


def actual_view() -> None:
    stops = stop_inputs(hotspots, sites)
    try:
        track = _track_source()
        planned = stops_frame(stops)
        if st.session_state.get("pr_track_source") == "synthetic":
            track = route_checks.synthetic_tracks(posts, planned)
        if track is None:
            st.caption(tr("pr_track_wait"))
            return
        units = route_checks.track_units(track)
        unit = choice(tr("pr_col_unit"), units, key="pr_track_unit") if len(units) > 1 else None
        if unit is not None:
            track = track[track["unit"].astype(str) == unit]
        result = route_checks.planned_vs_actual(
            track, streets=streets, stops=planned, hotspots=hotspots, sites=sites, mode=mode
        )
    except GridmapError as exc:
        _error(exc)
        return
    if result.synthetic:
        st.caption(tr("pr_synthetic_label"))
    f = result.figures
    cols = st.columns(5)
    cols[0].metric(tr("pr_m_koper"), f"{f['koper_share']:.0%}")
    cols[1].metric(tr("pr_m_per2h"), f"{f['visits_per_2h']:.2f}")
    cols[2].metric(tr("pr_m_streets"), f"{f['streets_share']:.0%}")
    cols[3].metric(tr("pr_m_stops"), f"{f['stops_share']:.0%}")
    cols[4].metric(tr("pr_m_sites"), f"{f['sites_visited']:.0f}")
    for note in result.notes:
        st.caption(say(note))
    st.dataframe(route_checks.dosage_table(result, lang=lang()), hide_index=True)
    with st.expander(tr("pr_help")):
        st.markdown(tr("pr_help_actual"))


{"routes": routes_view, "line": line_view, "schedule": schedule_view, "actual": actual_view}[view]()
