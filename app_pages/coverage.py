"""Coverage & posts (覆盖与站点): 1-3-5 minute response coverage, gaps, map edits, siting,
key-site inspections.

A form over :mod:`gridmap.patrol.views`; the cached data (graphs once per streets version,
snaps once per version of the sites and incidents, a report per posts version and mode, so
a what-if costs one report of the changed posts) is in ``app_pages/_coverage_data.py``.

Editing: a click on the map places the post or key site (``st_folium``'s ``last_clicked``,
kept under the plain session key ``pp_click``); the form around it builds one
:class:`~gridmap.patrol.views.Edit`, previewed before it is saved. "Save" writes a new
version *based on the version the preview showed*: if someone saved meanwhile, the store's
``VersionConflictError`` is shown, the edit stays in the session, and the preview is
recomputed on their version, so saving again re-applies it there.

The what-if view is a fragment (a click or a change of its form reruns only it), and its
map is layered: the map of the current coverage is rendered once, and each what-if is a
layer the browser lays over it (``_coverage_data.show_layered_map``), so a click sends
~30 kB instead of a new ~0.9 MB map and its frame.
"""

from __future__ import annotations

import hashlib
from typing import Any

import geopandas as gpd
import numpy as np
import streamlit as st

from app_pages import _coverage_data as data
from app_pages._common import (
    basemap_options,
    choice,
    editor,
    lang,
    layer,
    say,
    store,
    tr,
)
from app_pages._data_forms import uploader_in_chinese
from app_pages._street_office import map_credit
from gridmap import GridmapError, ValidationError
from gridmap.i18n import Message
from gridmap.patrol import views
from gridmap.schema import RESPONSE_CLASS_BY_KIND, RESPONSE_CLASSES, SITE_KINDS
from gridmap.store import VersionConflictError

VIEWS = ("coverage", "gaps", "whatif", "siting", "inspect")
ACTIONS = ("add", "move", "remove")
PLACES = ("click", "node", "lonlat")
#: Kinds of sentinel posts offered for a new post (the layer's own kinds are added).
POST_KINDS = ("守望岗", "警务站", "平安驿站")
MAP_HEIGHT = 600
EDIT_MAP = "pp_edit_map"


def _remember_click() -> None:
    # st_folium's on_change: its value is under EDIT_MAP; keep the place under a plain key
    # (the map is mounted afresh once a save changes the map under the what-if, and its
    # own value starts empty).
    shift = st.session_state.get("pp_map_shift")
    try:
        place = views.place_from_click(st.session_state.get(EDIT_MAP), shift=shift)
    except ValidationError:
        return
    if place is not None:
        st.session_state["pp_click"] = place


def show_map(fmap: Any, key: str) -> None:
    data.show_shared_map(
        fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key
    )


def draw_map(key: str, *, siting: tuple | None = None, **options: Any) -> None:
    options = {"lang": lang(), **options, **basemap_options(), "credit": map_credit()}
    args = (
        data.layer_versions(),
        data.version_of("posts"),
        st.session_state["pp_mode"],
        None,
        siting,
    )
    try:
        fmap = data.coverage_map(*args, tuple(sorted(options.items())))
    except ValidationError as exc:
        st.error(tr("basemap_error", error=say(exc)))
        options |= {"basemap": "vector", "tile_url": None, "tile_key": None}
        fmap = data.coverage_map(*args, tuple(sorted(options.items())))
    show_map(fmap, key)


def draw_edit_map(
    edit: views.Edit | None, *, target: str, versions: tuple, posts_version: int
) -> None:
    """The current coverage, with the what-if of `edit` laid over it in the browser.

    The map under the layer depends only on the versions, mode, language and basemap:
    a click that moves the post again sends a new layer, not a new map.
    """
    options = {
        "lang": lang(),
        **basemap_options(),
        "credit": map_credit(),
        "all_sites": target == "sites",
        "what_if": True,
    }
    args = (versions, posts_version, st.session_state["pp_mode"])

    def make() -> Any:
        try:
            return data.coverage_map(*args, None, None, tuple(sorted(options.items())))
        except ValidationError as exc:
            st.error(tr("basemap_error", error=say(exc)))
            fallback = options | {"basemap": "vector", "tile_url": None, "tile_key": None}
            return data.coverage_map(*args, None, None, tuple(sorted(fallback.items())))

    def overlay(shift: str | None) -> Any:
        if edit is None:
            return None
        before = data.coverage_report(*args)
        result = data.what_if(*args, edit)
        return views.what_if_overlay(
            data.patrol(), before, result, edit, lang=language, shift=shift
        )

    data.show_layered_map(
        EDIT_MAP,
        make,
        shows=(args, tuple(sorted(options.items()))),
        overlay=overlay,
        overlay_shows=edit,
        height=MAP_HEIGHT,
        returned_objects=["last_clicked"],
        on_change=_remember_click,
    )


def method_help(key: str, *more: str) -> None:
    with st.expander(tr("pp_help")):
        for part in (key, *more):
            st.markdown(say(Message(part)))


def _rows_height(rows: int, *, most: int) -> int:
    """Pixels of a table showing `rows` rows (at most `most`, then it scrolls): no blank rows.

    Streamlit's rows are 35 px, the header one more, plus a 3 px border.
    """
    return 35 * (min(max(rows, 1), most) + 1) + 3


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _figure_metrics(result: views.WhatIf) -> None:
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
        # no change is grey and has no arrow: an arrow reads as a change
        same = float(delta) == 0
        col.metric(
            tr(label),
            _pct(after[key]),
            delta=delta,
            delta_color="off" if same else "normal",
            delta_arrow="off" if same else "auto",
        )


# --- views -----------------------------------------------------------------------------------


def coverage_view(report: Any, current: views.Patrol) -> None:
    figs = views.figures(report)
    with right:
        cols = st.columns(3)
        cols[0].metric(tr("pp_fig_streets"), _pct(figs["street_share"]))
        cols[1].metric(tr("pp_fig_sites"), _pct(figs["site_class_share"]))
        cols[2].metric(tr("pp_fig_incidents"), _pct(figs["incident_share"]))
        st.subheader(tr("pp_summary"))
        st.dataframe(views.summary_table(report, lang=language), hide_index=True)
        by_class = views.site_class_table(report, lang=language)
        if len(by_class):
            st.subheader(tr("pp_by_class"))
            st.dataframe(by_class, hide_index=True)
        grid_rows = views.grid_table(report, current.grids, lang=language)
        if len(grid_rows):
            st.subheader(tr("pp_by_grid"))
            st.dataframe(grid_rows, hide_index=True, height=_rows_height(len(grid_rows), most=8))
        method_help("pp_help_coverage", "pp_help_standard")
    with left:
        polygons = st.toggle(tr("pp_polygons"), key="pp_polygons")
        draw_map("pp_coverage_map", polygons=polygons)


def gaps_view(report: Any, current: views.Patrol) -> None:
    gaps = views.gap_tables(report, current.grids, lang=language)
    with right:
        for name, title in (
            ("streets", "pp_gap_streets"),
            ("sites", "pp_gap_sites"),
            ("grids", "pp_gap_grids"),
        ):
            st.subheader(tr(title))
            if len(gaps[name]):
                st.dataframe(
                    gaps[name], hide_index=True, height=_rows_height(len(gaps[name]), most=6)
                )
            else:
                st.caption(tr("pp_none"))
        method_help("pp_help_gaps", "pp_help_standard")
    with left:
        draw_map("pp_gaps_map")


def _place(current: views.Patrol, versions: tuple) -> tuple[float, float] | None:
    """Where the edited feature goes: the map click, an intersection or typed lon/lat."""
    how = choice(
        tr("pp_place"),
        PLACES,
        key="pp_place",
        format_func={
            "click": tr("pp_place_click"),
            "node": tr("pp_place_node"),
            "lonlat": tr("pp_place_lonlat"),
        }.get,
        widget=st.radio,
        horizontal=True,
    )
    if how == "click":
        clicked = st.session_state.get("pp_click")
        if clicked is None:
            st.info(tr("pp_click_hint"))
        else:
            st.caption(tr("pp_clicked", lon=f"{clicked[0]:.6f}", lat=f"{clicked[1]:.6f}"))
        return clicked
    if how == "node":
        nodes = data.intersections(versions)
        labels = dict(zip(nodes["candidate_id"], nodes["label"], strict=True))
        node = choice(tr("pp_intersection"), list(labels), key="pp_node", format_func=labels.get)
        point = nodes.geometry[nodes["candidate_id"] == node].iloc[0]
        return (round(point.x, 7), round(point.y, 7))
    west, south, east, north = current.bounds
    lon = st.number_input(
        tr("pp_lon"), value=round((west + east) / 2, 6), format="%.6f", key="pp_lon"
    )
    lat = st.number_input(
        tr("pp_lat"), value=round((south + north) / 2, 6), format="%.6f", key="pp_lat"
    )
    return (float(lon), float(lat))


def _attributes(target: str, frame: gpd.GeoDataFrame | None) -> tuple[tuple[str, Any], ...]:
    """The new feature's name, kind, mode and staff (posts) or kind and class (sites)."""
    if target == "posts":
        known = [str(k) for k in frame["kind"].dropna().unique()] if "kind" in frame else []
        kinds = list(dict.fromkeys([*POST_KINDS, *known]))
        name = st.text_input(
            tr("pp_new_name"), value=tr("pp_new_name_default"), key="pp_new_name", max_chars=60
        )
        cols = st.columns(3)
        kind = choice(tr("pp_new_kind"), kinds, key="pp_new_kind", widget=cols[0].selectbox)
        mode = choice(
            tr("pp_new_mode"),
            views.TRAVEL_MODES,
            key="pp_new_mode",
            format_func=MODE_NAMES.get,
            default=st.session_state["pp_mode"]
            if st.session_state["pp_mode"] in views.TRAVEL_MODES
            else "walk",
            widget=cols[1].selectbox,
        )
        staff = cols[2].number_input(tr("pp_staff"), 0, 200, 2, key="pp_staff")
        return (
            ("name", name.strip() or tr("pp_new_name_default")),
            ("kind", kind),
            ("mode", mode),
            ("staff", int(staff)),
        )
    name = st.text_input(
        tr("pp_new_site_name"), value=tr("pp_new_site_default"), key="pp_new_site", max_chars=60
    )
    cols = st.columns(2)
    kind = choice(
        tr("pp_site_kind"),
        list(SITE_KINDS),
        key="pp_site_kind",
        format_func=lambda k: SITE_KINDS[k][0 if language == "zh" else 1],
        widget=cols[0].selectbox,
    )
    response = choice(
        tr("pp_col_class"),
        RESPONSE_CLASSES,
        key="pp_site_class",
        default=RESPONSE_CLASS_BY_KIND.get(kind, max(RESPONSE_CLASSES)),
        widget=cols[1].selectbox,
    )
    return (
        ("name", name.strip() or tr("pp_new_site_default")),
        ("kind", kind),
        ("response_class", int(response)),
    )


def _save(result: views.WhatIf, edit: views.Edit, based_on: int) -> None:
    author = editor()
    if author is None:
        st.warning(tr("editor_needed"))
        return
    try:
        saved = store().write(
            edit.layer,
            result.saved,
            author=author,
            message=views.edit_message(edit, result.touched),
            based_on=based_on or None,
        )
    except VersionConflictError as exc:
        # The edit stays: the next run previews it on the version now current.
        st.session_state["pp_pending"] = edit
        st.error(tr("pp_conflict") + " " + say(exc))
        st.info(tr("pp_conflict_kept"))
    except GridmapError as exc:
        st.error(say(exc))
    else:
        for stale in ("pp_click", "pp_pending", "pp_shown"):
            st.session_state.pop(stale, None)
        st.session_state["pp_saved"] = (edit.layer, saved.version, len(result.saved))
        st.rerun()


@st.fragment
def edit_view(current: views.Patrol, posts: gpd.GeoDataFrame, versions: tuple) -> None:
    # A fragment: a click on the map or a change of the form reruns only this view, not
    # the page (its header, the report, the other views' data).
    edit: views.Edit | None = None
    posts_version = data.version_of("posts")  # once: each look-up reads the store
    left, right = st.columns([3, 2])
    with right:
        if "pp_saved" in st.session_state:
            target, version, n = st.session_state.pop("pp_saved")
            key = "pp_saved" if target == "posts" else "pp_saved_sites"
            st.success(tr(key, version=version, n=n))
        target = choice(
            tr("pp_edit_layer"),
            tuple(views.EDITABLE),
            key="pp_edit_layer",
            format_func={"posts": tr("pp_posts_layer"), "sites": tr("pp_sites_layer")}.get,
            widget=st.radio,
            horizontal=True,
        )
        frame = posts if target == "posts" else current.sites
        id_column = views.EDITABLE[target][0]
        ids = [str(p) for p in frame[id_column]] if frame is not None and len(frame) else []
        names = (
            dict(zip(ids, frame["name"].astype(str), strict=True))
            if ids and "name" in frame
            else {}
        )
        labels = (
            {a: tr(f"pp_action_{a}") for a in ACTIONS}
            if target == "posts"
            else {a: tr(f"pp_site_action_{a}") for a in ACTIONS}
        )
        action = choice(
            tr("pp_action"),
            ACTIONS if ids else ("add",),
            key="pp_action",
            format_func=labels.get,
            widget=st.radio,
            horizontal=True,
        )
        feature_id = None
        if action in ("move", "remove"):
            feature_id = choice(
                tr("pp_post") if target == "posts" else tr("pp_col_site"),
                ids,
                key="pp_post" if target == "posts" else "pp_site",
                format_func=lambda p: f"{p} · {names.get(p, '')}".rstrip(" ·"),
            )
        if action == "remove":  # the first is previewed at once: say which one
            st.caption(
                tr("pp_removing", name=f"{feature_id} · {names.get(feature_id, '')}".rstrip(" ·"))
            )
        place = _place(current, versions) if action in ("add", "move") else None
        attributes = _attributes(target, frame) if action == "add" else ()
        if action != "remove" and place is None:
            method_help("pp_help_whatif", "pp_help_whatif_click")
        else:
            edit = views.Edit(target, action, feature_id, place, attributes)
            shown = st.session_state.get("pp_shown")
            now = posts_version if target == "posts" else data.version_of(target)
            try:
                result = data.what_if(versions, posts_version, mode, edit)
            except (GridmapError, ValueError) as exc:
                st.error(say(exc))
                st.stop()
            _figure_metrics(result)
            st.subheader(tr("pp_before_after"))
            st.dataframe(views.change_table(result, lang=language), hide_index=True)
            if st.session_state.get("pp_pending") == edit:
                st.info(tr("pp_conflict_kept"))  # kept after a refused save
            save_key = "pp_save" if target == "posts" else "pp_save_sites"
            if st.button(tr(save_key), key=save_key):
                # Based on the version the preview the user saw was made on.
                based_on = shown[1] if shown and shown[0] == target else now
                _save(result, edit, based_on)
            st.session_state["pp_shown"] = (target, now)
            method_help("pp_help_whatif", "pp_help_whatif_click")
            st.caption(tr("pp_help_edit"))
    with left:
        draw_edit_map(edit, target=target, versions=versions, posts_version=posts_version)


def siting_view(versions: tuple) -> None:
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
        request = (versions, data.version_of("posts"), kind, args)
        if st.button(tr("pp_run"), key="pp_run"):
            st.session_state["pp_siting_request"] = request
        outcome = None
        if st.session_state.get("pp_siting_request") == request:
            with st.spinner(tr("pp_solving")):
                try:
                    outcome = data.siting_answer(*request)
                except (GridmapError, ValueError) as exc:
                    st.error(say(exc))
        if outcome is not None:
            chosen, result, greedy = outcome
            st.dataframe(views.siting_table(result, kind=kind, lang=language), hide_index=True)
            st.caption(tr(f"pp_siting_rows_{kind}"))
            st.subheader(tr("pp_proposed"))
            st.dataframe(
                views.proposed_table(
                    data.patrol(), chosen, greedy, mode=siting_mode, lang=language
                ),
                hide_index=True,
                height=_rows_height(len(chosen), most=8),
            )
            if kind == "lscp" and len(chosen) > 3:
                st.info(tr("pp_lscp_many", n=len(chosen)))
            _offer_proposals(chosen)
        method_help("pp_help_siting")
    with left:
        draw_map("pp_siting_map", siting=None if outcome is None else request)


def _try_proposal(lon: float, lat: float) -> None:
    # A button's callback runs before the widgets: it may set their values (under the
    # plain key `choice` reads and the widget's own, which carries the language).
    for key, value in (
        ("pp_view", "whatif"),
        ("pp_edit_layer", "posts"),
        ("pp_action", "add"),
        ("pp_place", "lonlat"),
    ):
        st.session_state[key] = value
        st.session_state[f"{key}.{lang()}"] = value
    st.session_state["pp_lon"], st.session_state["pp_lat"] = lon, lat


def _offer_proposals(chosen: gpd.GeoDataFrame) -> None:
    """A proposed post taken into the what-if (added there at its intersection)."""
    if not len(chosen):
        return
    points = chosen.to_crs("EPSG:4326").geometry
    places = {
        str(c): (round(p.x, 6), round(p.y, 6))
        for c, p in zip(chosen["candidate_id"], points, strict=True)
    }
    cols = st.columns([2, 3], vertical_alignment="bottom")
    picked = choice(tr("pp_try_pick"), list(places), key="pp_try_pick", widget=cols[0].selectbox)
    cols[1].button(tr("pp_try"), key="pp_try", on_click=_try_proposal, args=places[picked])


def inspect_view(current: views.Patrol, posts: gpd.GeoDataFrame, versions: tuple) -> None:
    source: tuple | None = None
    with right:
        if current.sites is None:
            st.info(say(Message("pp_no_sites")))
            st.stop()
        # The workspace's own tracks first, when it has them (as on the Patrol routes page).
        has_layer = "tracks" in store().layers()
        how = choice(
            tr("pp_tracks"),
            (
                *(("layer",) if has_layer else ()),
                "upload",
                *(("synthetic",) if len(posts) else ()),
            ),
            key="pp_tracks_source",
            format_func={
                "layer": tr("pp_tracks_layer"),
                "upload": tr("pp_tracks_upload"),
                "synthetic": tr("pp_tracks_demo"),
            }.get,
            widget=st.radio,
        )
        if how == "layer":
            tracks_version = data.version_of("tracks")
            try:
                notes = data.workspace_tracks(str(store().location), tracks_version)[1]
            except (GridmapError, ValueError) as exc:
                st.error(say(exc))
            else:
                source = ("layer", tracks_version)
                for note in notes:
                    st.caption(say(note))
        elif how == "upload":
            uploader_in_chinese(int(st.get_option("server.maxUploadSize")), types=("gpx", "csv"))
            files = st.file_uploader(
                tr("pp_tracks_files"),
                type=["gpx", "csv"],
                accept_multiple_files=True,
                key="pp_track_files",
            )
            if files:
                payload = tuple((f.name, bytes(f.getbuffer())) for f in files)
                digest = hashlib.sha256(b"".join(d for _, d in payload)).hexdigest()
                try:
                    st.session_state["pp_tracks"] = data.uploaded_tracks(payload)
                except (GridmapError, ValueError) as exc:
                    st.error(say(exc))
                else:
                    source = ("upload", digest)
                    for note in st.session_state["pp_tracks"][1]:
                        st.caption(say(note))
        else:
            st.caption("⚠️ " + tr("pp_tracks_synthetic"))
            source = ("synthetic", data.version_of("posts"))
        days = st.slider(tr("pp_inspect_days"), 1, 60, views.DEFAULT_DAYS, key="pp_inspect_days")
        if source is None:
            st.info(tr("pp_tracks_needed"))
        else:
            status = data.inspection_status(versions, source, float(days))
            overdue = status["overdue"]
            never = overdue & ~np.isfinite(status["days_since"].to_numpy(dtype=float))
            cols = st.columns(3)
            cols[0].metric(tr("pp_fig_overdue"), f"{int(overdue.sum())} / {len(status)}")
            cols[1].metric(tr("pp_never_visited"), int(never.sum()))
            cols[2].metric(tr("pp_fig_visited"), _pct(1 - overdue.mean()))
            st.subheader(tr("pp_overdue_list", days=days))
            table = views.inspection_table(status, lang=language)
            if len(table):
                st.dataframe(table, hide_index=True, height=_rows_height(len(table), most=8))
            else:
                st.caption(tr("pp_none"))
        method_help("pp_help_inspect")
    with left:
        if source is None:
            draw_map("pp_inspect_empty", all_sites=True)
        else:
            options = tuple(
                sorted({"lang": lang(), **basemap_options(), "credit": map_credit()}.items())
            )
            try:
                fmap = data.inspection_map(versions, source, float(days), options)
            except ValidationError as exc:
                st.error(tr("basemap_error", error=say(exc)))
                fallback = (("credit", map_credit()), ("lang", lang()))
                fmap = data.inspection_map(versions, source, float(days), fallback)
            show_map(fmap, "pp_inspect_map")


# --- the page --------------------------------------------------------------------------------

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
versions = data.layer_versions()
with st.spinner(tr("pp_loading")):
    current = data.patrol()
    try:
        report = data.coverage_report(versions, data.version_of("posts"), mode)
    except GridmapError as exc:
        st.error(say(exc))
        st.stop()
if current.synthetic and current.incidents is not None:
    st.caption("⚠️ " + say(Message("pp_synthetic")))
if view != "whatif":  # the what-if view is a fragment with columns of its own
    left, right = st.columns([3, 2])

if view == "coverage":
    coverage_view(report, current)
elif view == "gaps":
    gaps_view(report, current)
elif view == "whatif":
    edit_view(current, data.current_posts(), versions)
elif view == "siting":
    siting_view(versions)
else:
    inspect_view(current, data.current_posts(), versions)
