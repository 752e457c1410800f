"""Warnings & report (预警与周报): early warnings, citizen-request deadlines, the weekly
report and the hand-off of hot spots to patrol planning."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages._common import (
    audited,
    basemap_options,
    editor,
    lang,
    may,
    md,
    say,
    store,
    tr,
)
from app_pages._street_office import (
    compute,
    filter_form,
    kept,
    map_credit,
    method_help,
    office,
    show_map,
    view_map,
)
from gridmap import GridmapError
from gridmap.hotspots import views
from gridmap.hotspots.handoff import save_hotspots
from gridmap.hotspots.report import weekly_report

VIEWS = ("warnings", "requests", "report")
CELL_SIZES_AUTO = "auto"


st.title(tr("page_warnings"))
workspace = office()
if workspace is None:
    st.stop()
if workspace.grids is None or not len(workspace.grids):
    st.stop()  # office() said why: warnings and deadlines are per grid
selection = filter_form(workspace)
if selection is None:
    st.stop()
language = lang()
credit = map_credit()
basemap = {**basemap_options(), "credit": credit}
view = kept(
    st.radio,
    "hs_report_view",
    "warnings",
    label=tr("hs_view"),
    options=VIEWS,
    format_func={v: tr(f"hs_view_{v}") for v in VIEWS}.get,
    horizontal=True,
)
last_day = selection.end - pd.Timedelta(days=1)

if view == "warnings":
    found = compute(views.warning_list, selection)
    left, right = st.columns([3, 2])
    with right:
        st.caption(tr("hs_warnings_caption", end=f"{last_day:%Y-%m-%d}"))
        highlight = None
        if len(found):
            table = views.warnings_table(found, workspace, lang=language)
            picked = st.dataframe(
                table,
                hide_index=True,
                height=380,
                on_select="rerun",
                selection_mode="single-row",
                key="hs_warning_rows",
            )
            rows = picked.selection.rows if picked is not None else []
            highlight = str(found["grid_code"].iloc[rows[0]]) if rows else None
        else:
            st.success(tr("hs_warnings_none"))
        method_help("hs_help_warnings")
    with left:
        show_map(
            view_map(
                views.warning_list,
                (selection,),
                {},
                views.warnings_map,
                lang=language,
                highlight=highlight,
                **basemap,
            ),
            "hs_warnings_map",
        )

elif view == "requests":
    result = compute(views.request_deadlines, selection)
    if not result.requests:
        st.info(tr("hs_requests_none"))
        st.stop()
    left, right = st.columns([3, 2])
    with right:
        st.metric(tr("hs_requests_total"), f"{result.requests:,}")
        st.dataframe(
            views.sla_table(result, workspace, lang=language),
            hide_index=True,
            height=300,
            column_config={
                tr(c): st.column_config.NumberColumn(format="%.0f")
                for c in ("hs_col_closure_rate", "hs_col_on_time_rate", "hs_col_callback_rate")
            },
        )
        st.subheader(tr("hs_overdue_list"))
        st.dataframe(views.overdue_table(result, workspace, lang=language), hide_index=True)
        method_help("hs_help_requests")
    with left:
        show_map(
            view_map(
                views.request_deadlines,
                (selection,),
                {},
                views.requests_map,
                lang=language,
                **basemap,
            ),
            "hs_requests_map",
        )

else:
    st.subheader(tr("hs_report"))
    st.caption(tr("hs_report_week", end=f"{last_day:%Y-%m-%d}"))
    # The store's location names a signed-in account's scope (and masking): a report made
    # before the account's scope or role changed is never offered after.
    report_key = (str(store().location), selection, language)
    if not may("export"):
        st.session_state.pop("hs_report", None)
        st.info(tr("export_not_allowed"))
    else:
        if st.button(tr("hs_report_prepare"), key="hs_report_prepare"):
            with st.spinner(tr("hs_report_prepare")), tempfile.TemporaryDirectory() as folder:
                source = views.report_source(workspace, selection)
                name = f"weekly-report-{last_day:%Y-%m-%d}.xlsx"
                book = weekly_report(
                    source,
                    week_end=selection.end,
                    path=Path(folder) / name,
                    lang=language,
                    locator=None,
                    credit=credit,
                    categories=selection.categories,
                )
                st.session_state["hs_report"] = (report_key, name, views.report_zip(book))
        prepared = st.session_state.get("hs_report")
        if prepared is not None and prepared[0] == report_key:
            st.download_button(
                tr("hs_report_download"),
                data=audited(prepared[2], "incidents", "weekly report"),
                file_name=prepared[1].replace(".xlsx", ".zip"),
                mime="application/zip",
                key="hs_report_download",
                on_click="ignore",
            )

    st.subheader(tr("hs_handoff"))
    size = st.session_state.get("hs_cell_size", "auto")
    args = {
        "cell_size": None if size == CELL_SIZES_AUTO else float(size),
        "shape": st.session_state.get("hs_shape", "square"),
    }
    features = compute(views.handoff_features, selection, **args)
    if not len(features):
        st.info(tr("hs_handoff_empty"))
    else:
        kinds = ", ".join(
            f"{tr('hs_kind_' + str(k))} {n}" for k, n in features["kind"].value_counts().items()
        )
        st.caption(tr("hs_handoff_preview", n=len(features), kinds=kinds))
        name = editor() if may("edit") else None
        if not may("edit"):
            st.info(tr("edit_not_allowed"))
        elif name is None:
            st.warning(tr("editor_needed"))
        if may("edit") and st.button(
            tr("hs_handoff_save"), key="hs_handoff_save", disabled=name is None
        ):
            try:
                version = save_hotspots(store(), features, author=name)
            except GridmapError as exc:
                st.error(say(exc))
            else:
                st.success(tr("hs_handoff_saved", version=version.version, n=len(features)))
    method_help("hs_help_report")
if credit:
    st.caption(md(credit))
