"""Overview page: key figures and the grid map of the chosen area."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages._common import (
    area_prefix,
    basemap_options,
    choice,
    lang,
    layer,
    say,
    store,
    tr,
)
from gridmap import ValidationError
from gridmap.i18n import column_label
from gridmap.overview import build_overview, kpi_table, overview_map, reference_time
from gridmap.stats import PolygonLocator


@st.cache_resource(max_entries=8)
def _locator(workspace: str, version: int) -> PolygonLocator:
    return PolygonLocator(layer("grids").geometry)


st.title(tr("page_overview"))
grids = layer("grids")
if grids is None:
    st.info(tr("empty_workspace"))
    st.stop()
incidents = layer("incidents")
workspace = store()
synthetic = bool(workspace.settings().get("synthetic_incidents"))
if synthetic:
    st.caption("⚠️ " + tr("synthetic_notice"))

default_now = reference_time(incidents) if incidents is not None else pd.Timestamp.now()
controls = st.columns([1, 3])
end_day = controls[0].date_input(
    tr("reference_date"), value=(default_now - pd.Timedelta(days=1)).date(), key="overview_now"
)
colour_labels = {
    "households": tr("households"),
    "incidents": tr("incidents_30d"),
    "cells": tr("colour_cells"),
}
# choice(): the value stays a key when the language changes (see app_pages/_common.py).
colour_by = choice(
    tr("colour_by"),
    list(colour_labels),
    format_func=colour_labels.get,
    horizontal=True,
    key="overview_colour",
    widget=controls[1].radio,
)
now = pd.Timestamp(end_day) + pd.Timedelta(days=1)

with st.spinner(tr("loading_map")):
    overview = build_overview(
        grids,
        incidents,
        metric_crs=workspace.working_crs(),
        area_prefix=area_prefix(),
        now=now,
        locator=_locator(workspace.location, workspace.current_version("grids") or 0),
    )

total = overview.kpis.loc["total"] if "total" in overview.kpis.index else None
kpi = st.columns(4)
kpi[0].metric(tr("households"), f"{overview.households:,}")
kpi[1].metric(tr("population"), f"{overview.population:,}")
kpi[2].metric(tr("grids"), len(overview.grids))
if total is not None:
    kpi[3].metric(
        tr("incidents_30d"),
        f"{int(total['current']):,}",
        delta=f"{int(total['change']):+,} {tr('vs_previous')}",
        delta_color="inverse",
    )

left, right = st.columns([4, 3])
with left:
    map_layers = {name: layer(name) for name in ("sites", "posts", "streets", "buildings")}
    try:
        fmap = overview_map(
            overview,
            lang=lang(),
            colour_by=colour_by,
            synthetic=synthetic,
            **map_layers,
            **basemap_options(),
        )
    except ValidationError as exc:
        st.error(tr("basemap_error", error=say(exc)))
        fmap = overview_map(
            overview, lang=lang(), colour_by=colour_by, synthetic=synthetic, **map_layers
        )
    st_folium(fmap, height=620, use_container_width=True, returned_objects=[], key="overview_map")
with right:
    st.subheader(tr("by_category"))
    st.dataframe(
        kpi_table(overview, lang()),
        hide_index=True,
        # Narrow number columns, so all five fit beside the map in either language.
        column_config={
            tr("current"): st.column_config.NumberColumn(width="small"),
            tr("previous"): st.column_config.NumberColumn(width="small"),
            tr("change"): st.column_config.NumberColumn(width="small"),
            tr("change") + " %": st.column_config.NumberColumn(format="%.0f%%", width="small"),
        },
    )
    st.subheader(tr("grid_table"))
    table = overview.grids.drop(columns="geometry")
    shown = [c for c in ("grid_code", "name", "households", "incidents", "worker") if c in table]
    st.dataframe(
        table[shown].rename(columns=lambda c: column_label(c, lang())), hide_index=True, height=300
    )
st.caption(tr("attribution"))
