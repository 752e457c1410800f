"""Coverage & posts (覆盖与站点): 1-3-5 minute response coverage, gaps, what-if, siting.

A form over :mod:`gridmap.patrol.views`. The street graphs are built once per streets
version and sites/incidents snapped once per version of theirs (``st.cache_resource``,
shared read-only like the layers); a report is cached per posts version and mode, so a
what-if costs one report of the changed posts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from app_pages._common import basemap_options, choice, editor, lang, layer, say, store, tr
from gridmap import GridmapError, ValidationError
from gridmap.i18n import Message
from gridmap.patrol import views

VIEWS = ("coverage", "gaps", "whatif", "siting")
ACTIONS = ("add", "move", "remove")
MAP_HEIGHT = 600


def _versions() -> tuple[Any, ...]:
    workspace = store()
    return (
        str(workspace.location),
        *(workspace.current_version(n) or 0 for n in ("streets", "sites", "incidents", "grids")),
        workspace.current_version("buildings") or 0,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _graphs(workspace: str, streets: int) -> dict:
    return views.build_graphs(layer("streets"), crs=store().working_crs())


@st.cache_resource(max_entries=4, show_spinner=False)
def _prepared(
    workspace: str, streets: int, sites: int, incidents: int, grids: int, buildings: int
) -> views.Patrol:
    # Sites and incidents snapped to every mode's streets once per version of the layers.
    return views.prepare(
        _graphs(workspace, streets),
        streets=layer("streets"),
        sites=layer("sites"),
        incidents=layer("incidents"),
        grids=layer("grids"),
        buildings=layer("buildings"),
        synthetic=bool(store().settings().get("synthetic_incidents")),
    )


def _posts() -> gpd.GeoDataFrame:
    posts = layer("posts")
    if posts is None:
        return gpd.GeoDataFrame(
            {"post_id": [], "name": [], "mode": []}, geometry=[], crs="EPSG:4326"
        )
    return posts


def _posts_version() -> int:
    return store().current_version("posts") or 0


def patrol() -> views.Patrol:
    posts = _posts()
    return dataclasses.replace(_prepared(*_versions()), posts=posts if len(posts) else None)


@st.cache_resource(max_entries=16, show_spinner=False)
def _report(versions: tuple, posts: int, mode: str) -> Any:
    return views.coverage(patrol(), _posts(), mode)


@st.cache_resource(max_entries=16, show_spinner=False)
def _what_if(versions: tuple, posts: int, mode: str, edit: tuple) -> views.WhatIf:
    action, post_id, place, new_mode, name = edit
    current = _posts()
    point = None
    if place is not None:
        point = views.point_from_lonlat(place[0], place[1], current.crs)
    before = _report(versions, posts, mode)
    if action == "remove":
        return views.what_if(patrol(), current, mode, before=before, remove=[post_id])
    if action == "move":
        return views.what_if(patrol(), current, mode, before=before, move={post_id: point})
    add = views.new_post(current, point, mode=new_mode, name=name, crs=current.crs)
    return views.what_if(patrol(), current, mode, before=before, add=add)


@st.cache_resource(max_entries=8, show_spinner=False)
def _intersections(versions: tuple) -> gpd.GeoDataFrame:
    return views.intersections(patrol()).to_crs("EPSG:4326")


@st.cache_resource(max_entries=8, show_spinner=False)
def _siting(versions: tuple, posts: int, kind: str, args: tuple) -> tuple:
    current = patrol()
    if kind == "mclp":
        mode, k, minutes, days, limit = args
        chosen, result = views.site_new(
            current, mode=mode, k=k, minutes=minutes, days=days, time_limit=limit
        )
    else:
        mode, limit = args
        chosen, result = views.site_for_sites(current, mode=mode, time_limit=limit)
    return chosen, result, views.greedy_places(current, result, mode=mode)


def show_map(fmap: Any, key: str) -> None:
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key)


@st.cache_resource(max_entries=16, show_spinner=False)
def _map(
    versions: tuple, posts: int, mode: str, edit: tuple | None, siting: tuple | None, options: tuple
) -> Any:
    # Drawn once per what-if / siting answer, language and basemap: a rerun that changes
    # none of them (a click on "save", a table selection) redraws nothing. Shared
    # read-only like the heat maps: st_folium only renders it.
    extra: dict[str, Any] = {}
    if edit is not None:
        result = _what_if(versions, posts, mode, edit)
        report, extra["changed"] = result.change.after, result.posts
        extra["touched"] = result.touched
    else:
        report = _report(versions, posts, mode)
    if siting is not None:
        chosen, _result, greedy = _siting(*siting)
        extra |= {"proposed": chosen, "greedy": greedy}
    return views.coverage_map(patrol(), report, _posts(), **dict(options), **extra)


def draw_map(key: str, *, edit: tuple | None = None, siting: tuple | None = None) -> None:
    options = {"lang": lang(), **basemap_options()}
    args = (_versions(), _posts_version(), st.session_state["pp_mode"], edit, siting)
    try:
        fmap = _map(*args, tuple(options.items()))
    except ValidationError as exc:
        st.error(tr("basemap_error", error=say(exc)))
        fmap = _map(*args, (("lang", lang()),))
    show_map(fmap, key)


def method_help(key: str) -> None:
    with st.expander(tr("pp_help")):
        st.markdown(say(Message(key)))


def _pct(value: float) -> str:
    return f"{value:.1%}"


st.title(tr("page_coverage"))
missing = views.missing_layers(layer("posts"), layer("streets"))
for message in missing:
    st.info(say(message))
if layer("streets") is None or not len(layer("streets")):
    st.stop()

language = lang()
MODE_NAMES = {m: tr(f"pp_mode_{m}") for m in views.MODES}
top = st.columns([2, 3])
mode = choice(
    tr("pp_mode"), views.MODES, key="pp_mode", format_func=MODE_NAMES.get, widget=top[0].selectbox
)
view = choice(
    tr("pp_view"),
    VIEWS,
    key="pp_view",
    format_func={v: tr(f"pp_view_{v}") for v in VIEWS}.get,
    widget=top[1].radio,
    horizontal=True,
)
versions = _versions()
posts_version = _posts_version()
with st.spinner(tr("pp_loading")):
    current = patrol()
    try:
        report = _report(versions, posts_version, mode)
    except GridmapError as exc:
        st.error(say(exc))
        st.stop()
if current.synthetic and current.incidents is not None:
    st.caption("⚠️ " + say(Message("pp_synthetic")))
posts = _posts()
left, right = st.columns([3, 2])

if view == "coverage":
    figs = views.figures(report)
    with right:
        cols = st.columns(3)
        cols[0].metric(tr("pp_fig_streets"), _pct(figs["street_share"]))
        cols[1].metric(tr("pp_fig_sites"), _pct(figs["site_class_share"]))
        cols[2].metric(tr("pp_fig_incidents"), _pct(figs["incident_share"]))
        st.subheader(tr("pp_summary"))
        st.dataframe(views.summary_table(report, lang=language), hide_index=True)
        grid_rows = views.grid_table(report, current.grids, lang=language)
        if len(grid_rows):
            st.subheader(tr("pp_by_grid"))
            st.dataframe(grid_rows, hide_index=True, height=300)
        method_help("pp_help_coverage")
    with left:
        draw_map("pp_coverage_map")

elif view == "gaps":
    gaps = views.gap_tables(report, current.grids, lang=language)
    with right:
        for name, title in (
            ("streets", "pp_gap_streets"),
            ("sites", "pp_gap_sites"),
            ("grids", "pp_gap_grids"),
        ):
            st.subheader(tr(title))
            if len(gaps[name]):
                st.dataframe(gaps[name], hide_index=True, height=220)
            else:
                st.caption(tr("pp_none"))
        method_help("pp_help_gaps")
    with left:
        draw_map("pp_gaps_map")

elif view == "whatif":
    ids = [str(p) for p in posts["post_id"]] if len(posts) else []
    actions = ACTIONS if ids else ("add",)
    names = dict(zip(ids, posts["name"].astype(str), strict=True)) if "name" in posts else {}
    edit: tuple | None = None
    with right:
        action = choice(
            tr("pp_action"),
            actions,
            key="pp_action",
            format_func={a: tr(f"pp_action_{a}") for a in ACTIONS}.get,
            widget=st.radio,
            horizontal=True,
        )
        post_id = None
        if action in ("move", "remove"):
            post_id = choice(
                tr("pp_post"),
                ids,
                key="pp_post",
                format_func=lambda p: f"{p} · {names.get(p, '')}".rstrip(" ·"),
            )
        place = None
        if action in ("add", "move"):
            how = choice(
                tr("pp_place"),
                ("node", "lonlat"),
                key="pp_place",
                format_func={"node": tr("pp_place_node"), "lonlat": tr("pp_place_lonlat")}.get,
                widget=st.radio,
                horizontal=True,
            )
            if how == "node":
                nodes = _intersections(versions)
                labels = dict(zip(nodes["candidate_id"], nodes["label"], strict=True))
                node = choice(
                    tr("pp_intersection"), list(labels), key="pp_node", format_func=labels.get
                )
                point = nodes.geometry[nodes["candidate_id"] == node].iloc[0]
                place = (round(point.x, 7), round(point.y, 7))
            else:
                west, south, east, north = current.bounds
                lon = st.number_input(
                    tr("pp_lon"), value=round((west + east) / 2, 6), format="%.6f", key="pp_lon"
                )
                lat = st.number_input(
                    tr("pp_lat"), value=round((south + north) / 2, 6), format="%.6f", key="pp_lat"
                )
                place = (float(lon), float(lat))
        new_mode, name = "walk", ""
        if action == "add":
            new_mode = choice(
                tr("pp_new_mode"),
                views.TRAVEL_MODES,
                key="pp_new_mode",
                format_func=MODE_NAMES.get,
                default=mode if mode in views.TRAVEL_MODES else "walk",
            )
            name = st.text_input(
                tr("pp_new_name"), value=tr("pp_new_name_default"), key="pp_new_name", max_chars=60
            )
        edit = (action, post_id, place, new_mode, name.strip() or tr("pp_new_name_default"))
        try:
            result = _what_if(versions, posts_version, mode, edit)
        except (GridmapError, ValueError) as exc:
            st.error(say(exc))
            st.stop()
        after = views.figures(result.change.after)
        before = views.figures(result.change.before)
        cols = st.columns(3)
        for col, key, label in zip(
            cols,
            ("street_share", "site_class_share", "incident_share"),
            ("pp_fig_streets", "pp_fig_sites", "pp_fig_incidents"),
            strict=True,
        ):
            delta = views.change_points(after[key] - before[key])
            col.metric(tr(label), _pct(after[key]), delta=delta)
        st.subheader(tr("pp_before_after"))
        st.dataframe(views.change_table(result, lang=language), hide_index=True)
        if st.button(tr("pp_save"), key="pp_save"):
            author = editor()
            if author is None:
                st.warning(tr("editor_needed"))
            else:
                try:
                    saved = store().write(
                        "posts",
                        result.posts,
                        author=author,
                        message=f"what-if: {action} {post_id or result.posts['post_id'].iloc[-1]}",
                        based_on=posts_version or None,
                    )
                except GridmapError as exc:
                    st.error(say(exc))
                else:
                    st.success(tr("pp_saved", version=saved.version, n=len(result.posts)))
        method_help("pp_help_whatif")
    with left:
        draw_map("pp_whatif_map", edit=edit)

else:  # siting
    with right:
        siting_mode = choice(
            tr("pp_siting_mode"),
            views.TRAVEL_MODES,
            key="pp_siting_mode",
            format_func=MODE_NAMES.get,
            default=mode if mode in views.TRAVEL_MODES else "walk",
        )
        limit = st.slider(tr("pp_time_limit"), 2, 120, 20, key="pp_time_limit")
        kind = choice(
            tr("pp_view_siting"),
            ("mclp", "lscp"),
            key="pp_siting_kind",
            format_func={"mclp": tr("pp_mclp"), "lscp": tr("pp_lscp")}.get,
            widget=st.radio,
        )
        if kind == "mclp":
            k = st.slider(tr("pp_k"), 1, 10, 3, key="pp_k")
            minutes = choice(tr("pp_minutes"), (1, 3, 5), key="pp_minutes", default=3)
            days = st.slider(tr("pp_days"), 7, 365, 90, key="pp_days")
            args: tuple = (siting_mode, int(k), float(minutes), int(days), float(limit))
        else:
            args = (siting_mode, float(limit))
        request = (versions, posts_version, kind, args)
        if st.button(tr("pp_run"), key="pp_run"):
            st.session_state["pp_siting_request"] = request
        outcome = None
        if st.session_state.get("pp_siting_request") == request:
            with st.spinner(tr("pp_solving")):
                try:
                    outcome = _siting(*request)
                except (GridmapError, ValueError) as exc:
                    st.error(say(exc))
        if outcome is not None:
            chosen, result, greedy = outcome
            st.dataframe(views.siting_table(result, kind=kind, lang=language), hide_index=True)
            st.subheader(tr("pp_proposed"))
            st.dataframe(
                chosen.drop(columns=["geometry", "node"], errors="ignore"),
                hide_index=True,
                height=200,
            )
        method_help("pp_help_siting")
    with left:
        draw_map("pp_siting_map", siting=None if outcome is None else request)
