"""Overview page: key figures and the map of the chosen area, from whatever layers exist."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._common import (
    area_prefix,
    basemap_options,
    choice,
    lang,
    layer,
    md,
    say,
    store,
    tr,
    workspace_name,
)
from app_pages._maps import show_map
from gridmap import ValidationError
from gridmap.overview import (
    build_overview,
    counting_end,
    grid_table,
    kpi_table,
    last_counted_day,
    overview_map,
    workspace_credit,
)
from gridmap.overview_store import (
    counts_in_database,
    overview_from_store,
    reference_time_from_store,
)
from gridmap.stats import PolygonLocator
from gridmap.store import WorkspaceStore


@st.cache_resource(max_entries=8)
def _locator(workspace: str, version: int) -> PolygonLocator:
    return PolygonLocator(layer("grids").geometry)


# Keyed on the workspace (with its scope) and the layers' versions: a new import recounts.
@st.cache_resource(max_entries=16, show_spinner=False)
def _counted(location: str, versions: tuple, prefix: str, now: object, _store: WorkspaceStore):  # type: ignore[no-untyped-def]
    return overview_from_store(_store, area_prefix=prefix, now=now)


# The same for the GeoPackage: every session on the same area and day shares one count.
@st.cache_resource(max_entries=16, show_spinner=False)
def _built(location: str, versions: tuple, prefix: str, now: object, _metric_crs: object):  # type: ignore[no-untyped-def]
    grids, incidents = layer("grids"), layer("incidents")
    return build_overview(
        grids,
        incidents,
        metric_crs=_metric_crs,
        area_prefix=prefix,
        now=now,
        locator=(
            _locator(location, versions[0] or 0) if grids is not None and len(grids) else None
        ),
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _last_day(location: str, version: int | None, _store: WorkspaceStore):  # type: ignore[no-untyped-def]
    return (reference_time_from_store(_store) - pd.Timedelta(days=1)).date()


st.title(tr("page_overview"))
workspace = store()
# A PostGIS workspace counts in the database: its incidents' rows are never fetched.
in_database = counts_in_database(workspace)
grids = layer("grids")
incidents = None if in_database else layer("incidents")
has_incidents = workspace.current_version("incidents") is not None
map_layers = {name: layer(name) for name in ("sites", "posts", "streets", "buildings")}
if not has_incidents and all(x is None or not len(x) for x in (grids, *map_layers.values())):
    st.info(tr("empty_workspace"))
    st.stop()
settings = workspace.settings()
synthetic = bool(settings.get("synthetic_incidents"))
if synthetic:
    st.caption("⚠️ " + tr("synthetic_notice"))

controls = st.columns([1, 3])
versions = (workspace.current_version("grids"), workspace.current_version("incidents"))
default_day = (
    _last_day(workspace.location, versions[1], workspace)
    if in_database
    else last_counted_day(incidents)
)
end_day = controls[0].date_input(tr("reference_date"), value=default_day, key="overview_now")
now = counting_end(end_day)
prefix = area_prefix() if grids is not None and len(grids) else ""

with st.spinner(tr("loading_map")):
    if in_database:
        overview = _counted(workspace.location, versions, prefix, now, workspace)
    else:
        overview = _built(workspace.location, versions, prefix, now, workspace.working_crs())
for missing in overview.missing:
    st.info(say(missing))

colour_labels = {
    "households": tr("households"),
    "population": tr("population"),
    "incidents": tr("incidents_30d"),
    "cells": tr("colour_cells"),
}
choices = overview.colour_choices
colour_by = None
if len(choices) > 1:
    # choice(): the value stays a key when the language changes (see app_pages/_common.py).
    colour_by = choice(
        tr("colour_by"),
        choices,
        format_func=colour_labels.get,
        horizontal=True,
        key="overview_colour",
        widget=controls[1].radio,
    )

# Only the figures the data holds: no "0 households" for grids that do not say.
cards: list[tuple[str, str, str | None]] = []
if overview.households is not None:
    cards.append((tr("households"), f"{overview.households:,}", None))
if overview.population is not None:
    cards.append((tr("population"), f"{overview.population:,}", None))
if overview.has_grids:
    cards.append((tr("grids"), f"{len(overview.grids)}", None))
if overview.has_incidents and "total" in overview.kpis.index:
    total = overview.kpis.loc["total"]
    cards.append(
        (
            tr("incidents_30d"),
            f"{int(total['current']):,}",
            f"{int(total['change']):+,} {tr('vs_previous')}",
        )
    )
for column, (label, value, delta) in zip(st.columns(max(len(cards), 1)), cards, strict=False):
    column.metric(label, value, delta=delta, delta_color="inverse")

credit = workspace_credit(settings, lang(), name=workspace_name())
left, right = st.columns([4, 3])
with left:
    options = {"lang": lang(), "colour_by": colour_by, "synthetic": synthetic, "credit": credit}
    # Everything the map depends on: one map per area, day, options and layer versions,
    # drawn once for every session (app_pages/_maps.py).
    drawn = (
        workspace.location,
        tuple(
            workspace.current_version(name)
            for name in ("grids", "incidents", "sites", "posts", "streets", "buildings")
        ),
        prefix,
        now,
        tuple(sorted(options.items())),
    )
    basemap = basemap_options()
    try:
        show_map(
            lambda: overview_map(overview, **options, **map_layers, **basemap),
            cache_key=(*drawn, tuple(sorted(basemap.items()))),
            key="overview_map",
            height=620,
        )
    except ValidationError as exc:
        st.error(tr("basemap_error", error=say(exc)))
        if basemap["basemap"] != "vector":  # retry only what can differ
            show_map(
                lambda: overview_map(overview, **options, **map_layers),
                cache_key=drawn,
                key="overview_map",
                height=620,
            )
with right:
    if overview.has_incidents:
        st.subheader(tr("by_category"))
        st.dataframe(
            kpi_table(overview, lang()),
            hide_index=True,
            # Narrow number columns, so all five fit beside the map in either language.
            column_config={
                tr("current"): st.column_config.NumberColumn(width="small"),
                tr("previous"): st.column_config.NumberColumn(width="small"),
                tr("change"): st.column_config.NumberColumn(width="small"),
                tr("change") + " %": st.column_config.TextColumn(width="small"),
            },
        )
    if overview.has_grids:
        st.subheader(tr("grid_table"))
        st.dataframe(grid_table(overview, lang()), hide_index=True, height=300)
if credit:
    st.caption(md(credit))
