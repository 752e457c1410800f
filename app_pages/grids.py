"""Grids (网格调整): planners redraw grid boundaries — UI glue over gridmap.grids.views.

Every change is previewed first and committed as a new version of ``grids`` with the
sidebar's editor name; nothing is written without one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages._common import (
    area_prefix,
    basemap_options,
    editor,
    lang,
    layer,
    may,
    md,
    record_download,
    say,
    store,
    tr,
)
from app_pages._street_office import kept
from gridmap import GridmapError, ValidationError
from gridmap.grids import dissolve_level, views
from gridmap.grids.blocks import grid_blocks
from gridmap.grids.exports import PLAN_FORMATS, plan_file
from gridmap.grids.topology import check_topology, fix_topology
from gridmap.i18n import Message

MAP_HEIGHT = 520
PREVIEW = "grids_preview"
PLANS = "grids_plans"
FLASH = "grids_flash"
DRAWN = "grids_drawn"
CLICKED = "grids_clicked"


def _version(name: str) -> int:
    return store().current_version(name) or 0


@st.cache_resource(max_entries=4, show_spinner=False)
def _blocks(location: str, grids_v: int, streets_v: int, buildings_v: int) -> gpd.GeoDataFrame:
    # grid_blocks takes ~1.5 s on the sample: once per version of its layers, shared.
    return grid_blocks(layer("grids"), layer("streets"), buildings=layer("buildings"))


def blocks() -> gpd.GeoDataFrame:
    """The blocks of the current grids (cached per grids, streets and buildings versions)."""
    key = (_version("grids"), _version("streets"), _version("buildings"))
    return _blocks(str(store().location), *key)


@st.cache_data(max_entries=16, show_spinner=False)
def _table(location: str, versions: tuple, code: str, weights: tuple) -> pd.DataFrame:
    area = views.area_grids(layer("grids"), code)
    return views.grid_table(
        area,
        incidents=views.recent_incidents(layer("incidents")),
        sites=layer("sites"),
        weights=dict(weights),
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _problems(location: str, grids_v: int, code: str) -> gpd.GeoDataFrame:
    return check_topology(views.area_grids(layer("grids"), code))


def show_map(fmap: Any, name: str) -> None:
    st_folium(fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=name)


def draw(frame: gpd.GeoDataFrame, name: str, **options: Any) -> None:
    try:
        fmap = views.grids_map(frame, lang=language, streets=streets, **options, **basemap)
    except ValidationError as exc:
        st.error(say(exc))
        return
    show_map(fmap, name)


def map_events(make: Callable[[], Any], name: str, returned: list[str]) -> dict[str, Any]:
    """Draw the map `make` builds and return what ``st_folium`` reports (`returned` only)."""
    try:
        fmap = make()
    except ValidationError as exc:
        st.error(say(exc))
        return {}
    out = st_folium(
        fmap, height=MAP_HEIGHT, use_container_width=True, returned_objects=returned, key=name
    )
    return out if isinstance(out, dict) else {}


def export_box(plan: gpd.GeoDataFrame, before: gpd.GeoDataFrame, name: str, key: str) -> None:
    """A download of `plan` with its old → new code mapping from `before`."""
    if not may("export"):
        return
    with st.expander(tr("grids_export")):
        fmt = kept(
            st.radio,
            f"{key}_export_format",
            "gpkg",
            label=tr("grids_export_format"),
            options=list(PLAN_FORMATS),
            format_func={"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile (zip)"}.get,
            horizontal=True,
        )
        file_name, data = plan_file(plan, before=before, fmt=fmt, name=name)
        st.download_button(
            tr("grids_export_download", name=md(file_name)),
            data,
            file_name=file_name,
            key=f"{key}_export_download",
            on_click=record_download("grids", f"plan {fmt}"),
        )


def pick_blocks(blocks: list[int]) -> None:
    """Make `blocks` the picked blocks, in the session and in the browser's multiselect.

    Assigning the widget's key (before it is drawn) makes Streamlit send the value to the
    browser; dropping the key instead left the browser showing, and submitting, its old
    choice.
    """
    st.session_state["grids_move_blocks"] = blocks
    st.session_state[f"grids_move_blocks.{lang()}"] = blocks


def method_help(view: str) -> None:
    with st.expander(tr("grids_help")):
        st.markdown(say(Message(f"grids_help_{view}")))
        if view == "edit":
            st.markdown(md(tr("grids_help_map")))
        if view == "auto":
            st.markdown(tr("grids_help_auto_more"))


def set_preview(preview: views.Preview) -> None:
    st.session_state[PREVIEW] = {"version": grids_version, "code": code, "preview": preview}


def current_preview() -> views.Preview | None:
    held = st.session_state.get(PREVIEW)
    if not held or held["version"] != grids_version or held["code"] != code:
        return None
    return held["preview"]


def commit_box(name: str) -> None:
    """The held preview: changed grids on the map, old → new codes, notes and the commit."""
    preview = current_preview()
    if preview is None:
        return
    st.subheader(tr("grids_preview"))
    for note in preview.notes:
        st.warning(say(note))
    left, right = st.columns([3, 2])
    with left:
        draw(views.area_grids(preview.grids, code), f"{name}_preview_map", changed=preview.changed)
    with right:
        if len(preview.codes):
            st.caption(tr("grids_codes_table"))
            st.dataframe(views.codes_table(preview.codes, language), hide_index=True)
        message = st.text_input(
            tr("grids_commit_message"), value=preview.message, key=f"{name}_msg"
        )
        if st.button(tr("grids_commit"), key=f"{name}_commit", type="primary"):
            author = editor()
            if author is None:
                st.error(tr("grids_need_editor"))
                return
            try:
                saved = store().write(
                    "grids",
                    preview.grids,
                    author=author,
                    message=message.strip() or preview.message,
                    based_on=grids_version,
                )
            except GridmapError as exc:
                st.error(say(exc))
                return
            st.session_state.pop(PREVIEW, None)
            st.session_state.pop(PLANS, None)
            st.session_state[FLASH] = tr("grids_committed", version=saved.version)
            st.rerun()


st.title(tr("page_grids"))
grids = layer("grids")
if grids is None or not len(grids):
    st.info(tr("grids_none"))
    st.stop()
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
language = lang()
basemap = basemap_options()
streets = layer("streets")
grids_version = _version("grids")
code = views.area_code(area_prefix(), grids["grid_code"])
area = views.area_grids(grids, code)
if len(area_prefix()) < 9:
    st.caption(tr("grids_area_default", code=code))
view = kept(
    st.radio,
    "grids_view",
    "table",
    label=tr("grids_view"),
    options=views.VIEWS,
    format_func={v: tr(f"grids_view_{v}") for v in views.VIEWS}.get,
    horizontal=True,
)

if view == "table":
    with st.form("grids_weights_form", border=True):
        st.caption(tr("grids_weights"))
        cols = st.columns(3)
        weights = {}
        for col, (column, default) in zip(cols, views.WORKLOAD_WEIGHTS.items(), strict=True):
            with col:
                weights[column] = kept(
                    st.slider,
                    f"grids_w_{column}",
                    default,
                    label=tr(f"grids_w_{column}"),
                    min_value=0.0,
                    max_value=1.0,
                    step=0.05,
                )
        st.form_submit_button(tr("grids_apply"), key="grids_weights_apply")
    versions = tuple(_version(n) for n in ("grids", "incidents", "sites"))
    table = _table(str(store().location), versions, code, tuple(sorted(weights.items())))
    left, right = st.columns([3, 2])
    with left:
        draw(
            area.assign(workload=table["workload"].to_numpy()),
            "grids_table_map",
            value_column="workload",
            title=tr("grids_workload"),
        )
    with right:
        st.dataframe(views.labelled(table, language), hide_index=True, height=MAP_HEIGHT)
    method_help("table")

elif view == "topology":
    problems = _problems(str(store().location), grids_version, code)
    st.metric(tr("grids_problems"), len(problems))
    left, right = st.columns([3, 2])
    with left:
        draw(area, "grids_topology_map", problems=problems)
    with right:
        if len(problems):
            st.dataframe(views.problem_table(problems, language), hide_index=True, height=360)
            if st.button(tr("grids_fix_preview"), key="grids_fix_preview"):
                fixed, log = fix_topology(area)
                fixed = fixed.to_crs(grids.crs)
                left_over = len(check_topology(fixed))
                set_preview(
                    views.Preview(
                        grids=views.splice(grids, code, fixed),
                        codes=pd.DataFrame(columns=["old_code", "new_code", "change"]),
                        changed=sorted(set(log["grid_code"].astype(str))),
                        message=tr("grids_message_fix", n=len(log), code=code),
                        notes=[Message("grids_fix_left", n=left_over)] if left_over else [],
                    )
                )
        else:
            st.success(tr("grids_no_problems"))
    method_help("topology")
    commit_box("grids_fix")

elif view == "edit":
    kind = kept(
        st.radio,
        "grids_edit_kind",
        "merge",
        label=tr("grids_edit_kind"),
        options=views.EDITS,
        format_func={k: tr(f"grids_edit_{k}") for k in views.EDITS}.get,
        horizontal=True,
    )
    all_blocks = blocks()
    codes = area["grid_code"].astype(str).tolist()
    names = dict(zip(codes, area.get("name", pd.Series(codes)), strict=True))
    mine = all_blocks[all_blocks["grid_code"].astype(str).str.startswith(code).to_numpy()]

    def grid_label(c: str, n: dict = names) -> str:
        return f"{n.get(c, c)} ({c[-6:]})"

    if kind == "draw":
        # Draw → preview at once: the line's GeoJSON comes back from Leaflet.draw.
        st.caption(tr("grids_draw_hint"))
        drawings = map_events(
            lambda: views.grids_map(
                area, lang=language, streets=streets, draw_line=True, **basemap
            ),
            "grids_draw_map",
            ["all_drawings"],
        ).get("all_drawings")
        seen = json.dumps(drawings, sort_keys=True) if drawings else None
        held = st.session_state.get(DRAWN)
        if seen and (held is None or held["line"] != seen or held["version"] != grids_version):
            started = time.perf_counter()
            refused = None
            try:
                preview = views.drawn_split(grids, all_blocks, drawings, code=code, lang=language)
            except ValidationError as exc:
                st.session_state.pop(PREVIEW, None)
                refused = exc
            else:
                if preview is not None:
                    set_preview(preview)
            ms = (time.perf_counter() - started) * 1000
            held = {"line": seen, "version": grids_version, "refused": refused, "ms": ms}
            st.session_state[DRAWN] = held
        if not seen:
            st.info(tr("grids_draw_waiting"))
        elif held is not None and held["line"] == seen:
            if held["refused"] is not None:
                st.error(tr("grids_refused", reason=say(held["refused"])))
            elif current_preview() is not None:
                split = current_preview().codes.query("change == 'split'")["old_code"]
                st.caption(
                    tr("grids_draw_grid", code=", ".join(dict.fromkeys(split.astype(str))))
                    + " · "
                    + tr("grids_preview_time", ms=f"{held['ms']:.0f}")
                )
    if kind == "move":
        # Click blocks to pick or drop them; the picked ones are drawn red.
        picked = [
            b for b in st.session_state.get("grids_move_blocks", []) if b in set(mine["block_id"])
        ]
        st.caption(tr("grids_move_click_hint") + " " + tr("grids_blocks_hint"))
        clicked = map_events(
            lambda: views.blocks_map(
                all_blocks, area, picked=picked, lang=language, streets=streets, **basemap
            ),
            "grids_blocks_map",
            ["last_active_drawing", "last_object_clicked"],
        )
        event = json.dumps(
            [clicked.get("last_active_drawing"), clicked.get("last_object_clicked")],
            sort_keys=True,
        )
        if st.session_state.get(CLICKED, event) != event:
            block = views.clicked_block(
                mine, clicked.get("last_active_drawing"), clicked.get("last_object_clicked")
            )
            if block is not None:
                pick_blocks(views.toggle(picked, block))
                st.session_state[CLICKED] = event
                st.rerun()
        st.session_state[CLICKED] = event
        st.caption(tr("grids_move_picked", n=len(picked)))
        if picked and st.button(tr("grids_move_clear"), key="grids_move_clear"):
            pick_blocks([])
            st.rerun()
    target = None
    if kind in ("split_streets", "split_line"):
        target = kept(
            st.selectbox,
            "grids_split_grid",
            codes[0],
            label=tr("grids_split_grid"),
            options=codes,
            format_func=grid_label,
            placeholder=tr("grids_placeholder_one"),
        )
    submitted = False
    if kind != "draw":
        with st.form("grids_edit_form", border=True):
            args: dict[str, Any] = {}
            if kind == "merge":
                args["codes"] = kept(
                    st.multiselect,
                    "grids_merge_codes",
                    [],
                    label=tr("grids_merge_codes"),
                    options=codes,
                    format_func=grid_label,
                    select_all=False,  # picking "Select all" merged the whole community
                    placeholder=tr("grids_placeholder_many"),
                )
            elif kind == "move":
                ids = [int(b) for b in mine["block_id"]]
                where = dict(zip(ids, mine["grid_code"].astype(str), strict=True))
                # Set through the widget's own key (see pick_blocks), so the browser shows
                # the blocks clicked on the map and sends them back with the form.
                shown = f"grids_move_blocks.{language}"
                if shown not in st.session_state:
                    held = st.session_state.get("grids_move_blocks", [])
                    st.session_state[shown] = [b for b in held if b in set(ids)]
                args["block_ids"] = st.multiselect(
                    tr("grids_move_blocks"),
                    options=ids,
                    format_func=lambda b, w=where: f"{b} ({w[b][-3:]})",
                    key=shown,
                    select_all=False,
                    placeholder=tr("grids_placeholder_many"),
                )
                st.session_state["grids_move_blocks"] = args["block_ids"]
                for other in ("zh", "en"):  # the other language's widget starts afresh
                    if other != language:
                        st.session_state.pop(f"grids_move_blocks.{other}", None)
                # Blocks move only to a grid bordering them.
                targets = (
                    views.neighbour_grids(mine, args["block_ids"]) if args["block_ids"] else codes
                )
                if not targets:
                    st.warning(tr("grids_move_no_neighbour"))
                args["to_code"] = kept(
                    st.selectbox,
                    "grids_move_to",
                    (targets or codes)[0],
                    label=tr("grids_move_to"),
                    options=targets or codes,
                    format_func=grid_label,
                    placeholder=tr("grids_placeholder_one"),
                )
            elif kind == "split_streets":
                grid_row = area[area["grid_code"].astype(str) == target]
                options = views.street_names(streets, grid_row)
                picked_streets = kept(
                    st.multiselect,
                    "grids_split_streets",
                    [],
                    label=tr("grids_split_streets"),
                    options=options,
                    select_all=False,
                    placeholder=tr("grids_placeholder_many"),
                )
                args["codes"] = [target]
                args["names"] = picked_streets
            else:
                args["codes"] = [target]
                args["line_text"] = kept(
                    st.text_area,
                    "grids_split_line",
                    "",
                    label=tr("grids_split_line"),
                    help=tr("grids_split_line_help"),
                )
            submitted = st.form_submit_button(tr("grids_preview_button"), key="grids_edit_submit")
    if submitted:
        started = time.perf_counter()
        try:
            crs = all_blocks.crs
            if kind == "split_streets":
                grid_row = area[area["grid_code"].astype(str) == target]
                args["segments"] = views.street_segments(streets, args.pop("names"), grid_row, crs)
            if kind == "split_line":
                args["line"] = views.parse_line(args.pop("line_text"), crs)
            preview = views.edit(kind, grids, all_blocks, lang=language, **args)
        except ValidationError as exc:
            st.session_state.pop(PREVIEW, None)
            st.error(tr("grids_refused", reason=say(exc)))
        else:
            set_preview(preview)
            st.caption(tr("grids_preview_time", ms=f"{(time.perf_counter() - started) * 1000:.0f}"))
    if current_preview() is None and kind not in ("draw", "move"):
        draw(area, "grids_edit_map")
    method_help("edit")
    commit_box("grids_edit")

elif view == "auto":
    if len(code) != 12:
        # A street: plans are per community, so pick one of its communities here.
        communities = sorted({c[:12] for c in area["grid_code"].astype(str)})
        units = dissolve_level(area, "community")
        titles = dict(zip(units["code"], units["name"], strict=True))
        st.caption(tr("grids_auto_community_only"))
        code = kept(
            st.selectbox,
            "grids_auto_community",
            communities[0],
            label=tr("community"),
            options=communities,
            format_func=lambda c, n=titles: f"{n.get(c, c)} ({c[-3:]})",
            placeholder=tr("grids_placeholder_one"),
        )
        area = views.area_grids(grids, code)
    with st.form("grids_auto_form", border=True):
        row = st.columns(4)
        with row[0]:
            by = kept(
                st.radio,
                "grids_auto_by",
                "k",
                label=tr("grids_auto_by"),
                options=("k", "range"),
                format_func={"k": tr("grids_auto_k"), "range": tr("grids_auto_range")}.get,
            )
            k = kept(
                st.number_input,
                "grids_auto_k_value",
                max(len(area), 2),
                label=tr("grids_auto_k"),
                min_value=1,
                max_value=99,
                step=1,
            )
        with row[1]:
            low = kept(
                st.number_input,
                "grids_auto_low",
                300,
                label=tr("grids_auto_low"),
                min_value=1,
                step=10,
            )
            high = kept(
                st.number_input,
                "grids_auto_high",
                500,
                label=tr("grids_auto_high"),
                min_value=1,
                step=10,
            )
        with row[2]:
            tolerance = kept(
                st.slider,
                "grids_auto_tolerance",
                5,
                label=tr("grids_auto_tolerance"),
                min_value=1,
                max_value=30,
                step=1,
            )
            method = kept(
                st.selectbox,
                "grids_auto_method",
                # The spanning-tree start, as the sample's rebuild: on divided blocks its best
                # plan came within ±5 % in all 6 sample communities, METIS's in 4 of 6.
                "tree",
                label=tr("grids_auto_method"),
                options=views.METHODS,
                format_func={m: tr(f"grids_method_{m}") for m in views.METHODS}.get,
                help=tr("grids_method_help"),
                placeholder=tr("grids_placeholder_one"),
            )
        with row[3]:
            n_plans = kept(
                st.number_input,
                "grids_auto_plans",
                3,
                label=tr("grids_auto_plans"),
                min_value=1,
                max_value=5,
                step=1,
            )
            divide = kept(
                st.selectbox,
                "grids_auto_divide",
                "auto",
                label=tr("grids_auto_divide"),
                options=views.DIVIDE_CHOICES,
                format_func={d: tr(f"grids_auto_divide_{d}") for d in views.DIVIDE_CHOICES}.get,
                help=tr("grids_auto_divide_help"),
                placeholder=tr("grids_placeholder_one"),
            )
            first_seed = kept(
                st.number_input,
                "grids_auto_seed",
                0,
                label=tr("grids_auto_seed"),
                min_value=0,
                step=1,
            )
        run = st.form_submit_button(tr("grids_auto_run"), key="grids_auto_run")
    if run:
        bar = st.progress(0.0, text=tr("grids_auto_running"))

        def progress(fraction: float, text: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=tr("grids_auto_running"))

        try:
            plans = views.plans_for(
                blocks(),
                code,
                k=int(k) if by == "k" else None,
                households=(float(low), float(high)) if by == "range" else None,
                tolerance=tolerance / 100,
                method=method,
                seeds=range(int(first_seed), int(first_seed) + int(n_plans)),
                buildings=layer("buildings"),
                divide={"auto": None, "on": True, "off": False}[divide],
                progress=progress,
            )
        except ValidationError as exc:
            st.error(tr("grids_refused", reason=say(exc)))
            plans = []
        bar.empty()
        layers = [views.plan_layer(p, area) for p in plans]
        st.session_state[PLANS] = {
            "version": grids_version,
            "code": code,
            "plans": plans,
            "layers": layers,
        }
    held = st.session_state.get(PLANS)
    if held and held["version"] == grids_version and held["code"] == code and held["plans"]:
        plans, layers = held["plans"], held["layers"]
        st.subheader(tr("grids_compare"))
        recent = views.recent_incidents(layer("incidents"))
        st.dataframe(
            views.compare_table(area, layers, language, incidents=recent, sites=layer("sites"))
        )
        for note in dict.fromkeys(n for p in plans for n in p.notes):
            st.warning(say(note))
        chosen = kept(
            st.radio,
            "grids_auto_chosen",
            1,
            label=tr("grids_auto_chosen"),
            options=list(range(1, len(plans) + 1)),
            format_func={n: tr("grids_plan_n", n=n) for n in range(1, len(plans) + 1)}.get,
            horizontal=True,
        )
        plan = layers[chosen - 1]
        before, after = st.columns(2)
        with before:
            st.caption(tr("grids_before_map"))
            draw(area, "grids_auto_before")
        with after:
            st.caption(tr("grids_after_map"))
            draw(plan, "grids_auto_after")
        st.caption(tr("grids_reassignment"))
        st.dataframe(
            views.reassignment_table(
                area,
                plan,
                {"buildings": layer("buildings"), "incidents": recent}
                | {n: layer(n) for n in ("sites", "posts")},
                language,
            ),
            hide_index=True,
            height=240,
        )
        export_box(plan, area, f"grids_plan_{code}_{chosen}", "grids_auto")
        if st.button(tr("grids_auto_take"), key="grids_auto_take"):
            after_codes = plan["grid_code"].astype(str).tolist()
            set_preview(
                views.Preview(
                    grids=views.splice(grids, code, plan),
                    codes=pd.DataFrame(columns=["old_code", "new_code", "change"]),
                    changed=after_codes,
                    message=tr("grids_message_plan", n=chosen, code=code, k=len(plan)),
                    notes=list(plans[chosen - 1].notes),
                )
            )
    method_help("auto")
    commit_box("grids_auto")

else:  # history
    history = store().history("grids")
    numbers = [v.version for v in history]
    table = pd.DataFrame(
        {
            tr("grids_version"): numbers,
            tr("grids_when"): [v.created_at.strftime("%Y-%m-%d %H:%M") for v in history],
            tr("grids_author"): [v.author for v in history],
            tr("grids_message"): [v.message for v in history],
            tr("grids_features"): [v.n_features for v in history],
        }
    )
    st.dataframe(table.iloc[::-1], hide_index=True, height=240)
    picked = kept(
        st.selectbox,
        "grids_history_version",
        numbers[-1],
        label=tr("grids_history_version"),
        options=numbers[::-1],
        placeholder=tr("grids_placeholder_one"),
    )
    shown = store().read("grids", version=picked)
    position = numbers.index(picked)
    previous = store().read("grids", version=numbers[position - 1]) if position else None
    changed = views.changed_grids(previous, shown)
    st.caption(tr("grids_history_changed", n=len(changed)))
    draw(views.area_grids(shown, code), "grids_history_map", changed=changed)
    if previous is not None:
        export_box(shown, previous, f"grids_v{picked}", "grids_history")
    if picked != numbers[-1] and st.button(tr("grids_restore"), key="grids_restore"):
        author = editor()
        if author is None:
            st.error(tr("grids_need_editor"))
        else:
            try:
                saved = store().restore(
                    "grids", picked, author=author, message=tr("grids_message_restore", v=picked)
                )
            except GridmapError as exc:
                st.error(say(exc))
            else:
                st.session_state[FLASH] = tr("grids_committed", version=saved.version)
                st.rerun()
    method_help("history")
