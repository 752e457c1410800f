"""Grids (网格调整): planners redraw grid boundaries — UI glue over gridmap.grids.views.

Every change is previewed first and committed as a new version of ``grids`` with the
sidebar's editor name; nothing is written without one. The manual edits and the automatic
plans have modules of their own (``_grids_edit``, ``_grids_auto``); what the views share,
the preview and its commit, is in ``_grids_common``; the maps, built once per what they
show, in ``_grids_maps``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages._common import (
    area_prefix,
    basemap_options,
    editor,
    lang,
    layer,
    say,
    store,
    tr,
)
from app_pages._grids_auto import auto_view
from app_pages._grids_common import FLASH, GridsPage, export_box, method_help, version
from app_pages._grids_edit import edit_view
from app_pages._grids_maps import MAP_HEIGHT
from app_pages._street_office import kept, map_credit
from gridmap import GridmapError
from gridmap.grids import views
from gridmap.grids.topology import check_topology, fix_topology
from gridmap.i18n import Message


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


def table_view(page: GridsPage) -> None:
    """The grids' workload table and map, under weights the planner sets."""
    with st.form("grids_weights_form", border=True):
        st.caption(tr("grids_weights"))
        weights = {}
        for col, (column, default) in zip(
            st.columns(3), views.WORKLOAD_WEIGHTS.items(), strict=True
        ):
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
    versions = tuple(version(n) for n in ("grids", "incidents", "sites"))
    chosen = tuple(sorted(weights.items()))
    table = _table(str(store().location), versions, page.code, chosen)
    left, right = st.columns([3, 2])
    with left:
        page.map(
            page.area.assign(workload=table["workload"].to_numpy()),
            "grids_table_map",
            shows=(versions, chosen),
            value_column="workload",
            title=tr("grids_workload"),
        )
    with right:
        st.dataframe(views.labelled(table, page.language), hide_index=True, height=MAP_HEIGHT)
    method_help("table")


def topology_view(page: GridsPage) -> None:
    """Topology problems of the area, and a fix previewed over their map."""
    problems = _problems(str(store().location), page.grids_version, page.code)
    st.metric(tr("grids_problems"), len(problems))
    left, right = st.columns([3, 2])
    with right:
        if len(problems):
            st.dataframe(views.problem_table(problems, page.language), hide_index=True, height=360)
            if st.button(tr("grids_fix_preview"), key="grids_fix_preview"):
                fixed, log = fix_topology(page.area)
                fixed = fixed.to_crs(page.grids.crs)
                left_over = len(check_topology(fixed))
                page.set_preview(
                    views.replacement(
                        page.grids,
                        page.code,
                        fixed,
                        changed=log["grid_code"].astype(str),
                        message=tr("grids_message_fix", n=len(log), code=page.code),
                        notes=[Message("grids_fix_left", n=left_over)] if left_over else [],
                    )
                )
        else:
            st.success(tr("grids_no_problems"))
    with left:
        page.map(
            page.area,
            "grids_topology_map",
            shows="topology",
            overlay=lambda shift: [page.preview_layer(shift)],
            overlay_shows=page.preview_shows(),
            problems=problems,
        )
    method_help("topology")
    page.commit_box("grids_fix")


def history_view(page: GridsPage) -> None:
    """The versions of ``grids``: who changed what, each drawn, exported or restored."""
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
    page.map(views.area_grids(shown, page.code), "grids_history_map", shows=picked, changed=changed)
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


st.title(tr("page_grids"))
grids = layer("grids")
if grids is None or not len(grids):
    st.info(tr("grids_none"))
    st.stop()
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
code = views.area_code(area_prefix(), grids["grid_code"])
page = GridsPage(
    grids=grids,
    code=code,
    area=views.area_grids(grids, code),
    language=lang(),
    basemap={**basemap_options(), "credit": map_credit()},
    streets=layer("streets"),
    grids_version=version("grids"),
    streets_version=version("streets"),
    location=str(store().location),
)
if len(area_prefix()) < 9:
    st.caption(tr("grids_area_default", code=code))
for missing in views.missing_inputs(grids, streets=page.streets, buildings=layer("buildings")):
    st.warning(say(missing))
view = kept(
    st.radio,
    "grids_view",
    "table",
    label=tr("grids_view"),
    options=views.VIEWS,
    format_func={v: tr(f"grids_view_{v}") for v in views.VIEWS}.get,
    horizontal=True,
)
{
    "table": table_view,
    "topology": topology_view,
    "edit": edit_view,
    "auto": auto_view,
    "history": history_view,
}[view](page)
