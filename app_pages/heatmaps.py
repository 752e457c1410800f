"""Heatmaps (热力分析): where and when incidents concentrate, for the street office."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import streamlit as st

from app_pages._common import basemap_options, lang, layer, md, say, store, tr
from app_pages._street_office import (
    WEEKDAYS,
    _versions,
    compute,
    filter_form,
    kept,
    map_credit,
    method_help,
    office,
    show_map,
    view_map,
)
from gridmap import ValidationError
from gridmap.hotspots import views
from gridmap.hotspots.trends import MIN_WEEKLY_MEAN
from gridmap.hotspots.warnings import category_label
from gridmap.overview_store import counts_in_database

VIEWS = ("density", "grids", "gi", "emerging", "time", "repeats", "streets")
BANDWIDTHS = ("auto", 25, 50, 75, 100, 150, 200, 300, 400, 600, 800)
CELL_SIZES = ("auto", 25, 50, 75, 100, 150, 200, 250, 300, 400, 500)


# -- a PostGIS workspace: the first view from the store's counts, not its rows ------------
@st.cache_data(max_entries=64, show_spinner=False)
def _counted(name: str, versions: tuple, args: tuple, kwargs: dict) -> Any:
    # Keyed on the layers' versions (immutable) and the filters, like the row views.
    if name == "density_in_store":
        return views.density_in_store(store(), *args, grids=layer("grids"), **kwargs)
    return getattr(views, name)(store(), *args, **kwargs)


def _count(selection: views.Selection) -> int:
    counted = _counted("store_count_selected", _versions(), (selection,), {})
    return counted if counted is not None else compute(views.count_selected, selection)


def _light_office() -> views.StreetOffice:
    """The workspace's basemap layers for drawing, without the incidents' rows; the
    workspace's bounds stand in for them where a map without grids needs its extent."""
    current = store()
    west, south, east, north = current.settings().get("bounds") or (0.0, 0.0, 1.0, 1.0)
    corners = gpd.GeoDataFrame(geometry=gpd.points_from_xy([west, east], [south, north]), crs=4326)
    return views.StreetOffice(
        incidents=corners,
        grids=layer("grids"),
        crs=current.working_crs(),
        streets=layer("streets"),
        buildings=layer("buildings"),
        synthetic=bool(current.settings().get("synthetic_incidents")),
    )


@st.cache_resource(max_entries=16, show_spinner=False)
def _counted_map(versions: tuple, args: tuple, kwargs: dict, options: dict) -> Any:
    result = _counted("density_in_store", versions, args, kwargs)
    return views.density_map(result, _light_office(), *args[:1], **options)


st.title(tr("page_heatmaps"))
in_database = counts_in_database(store())
workspace: views.StreetOffice | None = None
if in_database:
    choices = (
        _counted("store_filter_choices", _versions(), (), {})
        if store().current_version("incidents")
        else None
    )
    if choices is None or choices.first_day is None:  # no incidents (with a time)
        st.info(tr("hs_no_incident_layer"))
        st.stop()
    if store().current_version("grids") is None:
        st.warning(tr("hs_no_grids"))
    if store().settings().get("synthetic_incidents"):
        st.caption("⚠️ " + tr("synthetic_notice"))
    selection = filter_form(None, choices=choices, count=_count)
else:
    workspace = office()
    if workspace is None:
        st.stop()
    selection = filter_form(workspace)
if selection is None:
    st.stop()
language = lang()
credit = map_credit()
basemap = {**basemap_options(), "credit": credit}
# Words the widgets' format_func shows, fixed for this run (it also runs after the run).
ALL, AUTO, PICK = tr("all"), tr("hs_auto"), tr("hs_knox_pick")
NETWORKS = {"walk": tr("hs_network_walk"), "drive": tr("hs_network_drive")}
view = kept(
    st.radio,
    "hs_view",
    "density",
    label=tr("hs_view"),
    options=VIEWS,
    format_func={v: tr(f"hs_view_{v}") for v in VIEWS}.get,
    horizontal=True,
)


def _bandwidth(auto_result: Any) -> float | None:
    """The bandwidth slider, its "auto" labelled with the rule's value; None for auto."""
    rule = auto_result.rule_bandwidth
    auto = tr("hs_auto_bandwidth", metres=f"{rule:.0f}" if math.isfinite(rule) else "—")
    bandwidth = kept(
        st.select_slider,
        "hs_bandwidth",
        "auto",
        label=tr("hs_bandwidth"),
        options=BANDWIDTHS,
        format_func=lambda b, a=auto: a if b == "auto" else f"{b} m",
    )
    return None if bandwidth == "auto" else float(bandwidth)


left, right = st.columns([3, 2])

if view == "density" and in_database and views.density_served(selection):
    with right:
        chosen = _bandwidth(_counted("density_in_store", _versions(), (selection,), {}))
        args = {} if chosen is None else {"bandwidth": chosen}
        result = _counted("density_in_store", _versions(), (selection,), args)
        st.metric(tr("hs_incidents_used"), f"{result.n:,}")
        st.metric(tr("hs_used_bandwidth"), f"{result.bandwidth:.0f}")
        st.metric(tr("hs_peak"), f"{result.peak:,.1f}")
        method_help("hs_help_density")
    with left:
        show_map(
            _counted_map(_versions(), (selection,), args, {"lang": language, **basemap}),
            "hs_density_map",
        )
    if credit:
        st.caption(md(credit))
    st.stop()
if workspace is None:  # a view the store's counts cannot answer: the rows after all
    workspace = office()
    if workspace is None:
        st.stop()

if view == "density":
    with right:
        args = {"bandwidth": _bandwidth(compute(views.density, selection))}
        result = compute(views.density, selection, **args)
        st.metric(tr("hs_incidents_used"), f"{result.n:,}")
        st.metric(tr("hs_used_bandwidth"), f"{result.bandwidth:.0f}")
        st.metric(tr("hs_peak"), f"{result.peak:,.1f}")
        method_help("hs_help_density")
    with left:
        show_map(
            view_map(
                views.density, (selection,), args, views.density_map, lang=language, **basemap
            ),
            "hs_density_map",
        )

elif view == "grids":
    if workspace.grids is None:
        st.info(tr("hs_no_grids"))
        st.stop()
    result = compute(views.grid_changes, selection)
    measures = ("count", "rate", "change") if result.has_households else ("count", "change")
    with right:
        measure = kept(
            st.radio,
            "hs_measure",
            "count",
            label=tr("hs_measure"),
            options=measures,
            format_func={m: tr(f"hs_measure_{m}") for m in measures}.get,
            horizontal=True,
        )
        if not result.has_households:
            st.caption(tr("hs_rate_unavailable"))
        st.caption(tr("hs_ranking"))
        table = views.grid_table(result, lang=language)
        picked = st.dataframe(
            table,
            hide_index=True,
            height=views.table_height(len(table)),
            on_select="rerun",
            selection_mode="single-row",
            key="hs_grid_ranking",
        )
        rows = picked.selection.rows if picked is not None else []
        highlight = str(table.iloc[rows[0], 0]) if rows else None
        method_help("hs_help_grids")
    with left:
        show_map(
            view_map(
                views.grid_changes,
                (selection,),
                {},
                views.grid_map,
                measure=measure,
                lang=language,
                highlight=highlight,
                **basemap,
            ),
            "hs_grid_map",
        )

elif view in ("gi", "emerging"):
    with right:
        size = kept(
            st.select_slider,
            "hs_cell_size",
            "auto",
            label=tr("hs_cell_size"),
            options=CELL_SIZES,
            format_func=lambda s: AUTO if s == "auto" else f"{s} m",
        )
        shape = kept(
            st.radio,
            "hs_shape",
            "square",
            label=tr("hs_cell_shape"),
            options=("square", "hexagon"),
            format_func={s: tr(f"hs_shape_{s}") for s in ("square", "hexagon")}.get,
            horizontal=True,
        )
    args = {"cell_size": None if size == "auto" else float(size), "shape": shape}
    if view == "gi":
        result = compute(views.gi_hotspots, selection, **args)
        if result is None:
            st.info(tr("hs_gi_none"))
            st.stop()
        with right:
            st.caption(tr("hs_gi_counts"))
            st.dataframe(
                {
                    tr(f"hs_gi_{c}"): [result.counts.get(c, 0)]
                    for c in (3, 2, 1, 0, -1, -2, -3)
                    if result.counts.get(c, 0)
                },
                hide_index=True,
            )
            st.subheader(tr("hs_forecast"))
            figures = views.forecast_figures(result.accuracy)
            if figures["weeks"]:
                cols = st.columns(3)
                cols[0].metric(tr("hs_pai"), f"{figures['pai']:.2f}")
                cols[1].metric(tr("hs_hit_rate"), f"{figures['hit_rate']:.0%}")
                cols[2].metric(tr("hs_forecast_weeks"), figures["weeks"])
            else:
                st.caption(tr("hs_forecast_none"))
            method_help("hs_help_gi")
        with left:
            show_map(
                view_map(
                    views.gi_hotspots, (selection,), args, views.gi_map, lang=language, **basemap
                ),
                "hs_gi_map",
            )
    else:
        result = compute(views.emerging, selection, **args)
        if result is None:
            st.info(tr("hs_emerging_none"))
            st.stop()
        with right:
            if size == "auto":
                st.caption(
                    tr(
                        "hs_emerging_cell_rule",
                        size=f"{result.cell_size:.0f}",
                        n=f"{MIN_WEEKLY_MEAN:g}",
                    )
                )
            st.caption(tr("hs_pattern_counts"))
            st.dataframe(
                {
                    tr("hs_view_emerging"): [
                        views.pattern_label(p, language) for p in result.counts.index
                    ],
                    tr("hs_col_count"): result.counts.to_numpy(),
                },
                hide_index=True,
            )
            method_help("hs_help_emerging")
        with left:
            show_map(
                view_map(
                    views.emerging, (selection,), args, views.emerging_map, lang=language, **basemap
                ),
                "hs_emerging_map",
            )

elif view == "time":
    chosen = (
        list(selection.categories)
        if selection.categories
        else sorted(workspace.incidents["category"].dropna().astype(str).unique())
    )
    with right:
        category = kept(
            st.selectbox,
            "hs_time_category",
            "",
            label=tr("hs_time_category"),
            options=["", *chosen],
            format_func=lambda c, lg=language: ALL if c == "" else category_label(c, lg),
        )
        chart = compute(views.hour_weekday, selection, category=category or None, lang=language)
        if chart is None:
            st.info(tr("hs_no_incidents"))
        else:
            st.pyplot(chart[1], clear_figure=False)
        pick = st.columns(2)
        with pick[0]:
            weekday = kept(
                st.selectbox,
                "hs_time_weekday",
                -1,
                label=tr("hs_time_weekday"),
                options=[-1, *range(7)],
                format_func=lambda d, lg=language: ALL if d < 0 else WEEKDAYS[lg][d],
            )
        with pick[1]:
            hour = kept(
                st.selectbox,
                "hs_time_hour",
                -1,
                label=tr("hs_time_hour"),
                options=[-1, *range(24)],
                format_func=lambda h: ALL if h < 0 else f"{h:02d}:00–{h:02d}:59",
            )
        method_help("hs_help_time")
    args = {
        "weekday": None if weekday < 0 else weekday,
        "hours": None if hour < 0 else (hour, hour + 1),
    }
    with left:
        st.caption(tr("hs_time_cell_map"))
        show_map(
            view_map(
                views.density, (selection,), args, views.density_map, lang=language, **basemap
            ),
            "hs_time_map",
        )

elif view == "repeats":
    with right:
        tolerance = kept(
            st.select_slider,
            "hs_tolerance",
            10,
            label=tr("hs_tolerance"),
            options=(5, 10, 20, 30, 50),
        )
        places = compute(views.repeat_places, selection, tolerance=float(tolerance))
        if len(places):
            st.dataframe(views.repeats_table(places, lang=language), hide_index=True, height=260)
        else:
            st.info(tr("hs_repeats_none"))
        st.subheader(tr("hs_knox"))
        chosen = (
            list(selection.categories)
            if selection.categories
            else sorted(workspace.incidents["category"].dropna().astype(str).unique())
        )
        knox_category = kept(
            st.selectbox,
            "hs_knox_category",
            "",
            label=tr("hs_knox_category"),
            options=["", *chosen],
            format_func=lambda c, lg=language: PICK if c == "" else category_label(c, lg),
        )
        if knox_category:
            try:
                knox = compute(views.knox, selection, category=knox_category)
            except ValidationError as exc:
                st.warning(tr("hs_knox_refused", error=say(exc)))
            else:
                st.caption(tr("hs_knox_ratio"))
                st.dataframe(knox.ratio.round(2))
                st.caption(tr("hs_knox_p", n=knox.permutations))
                st.dataframe(knox.p_value.round(3))
        method_help("hs_help_repeats")
    with left:
        show_map(
            view_map(
                views.repeat_places,
                (selection,),
                {"tolerance": float(tolerance)},
                views.repeats_map,
                lang=language,
                **basemap,
            ),
            "hs_repeats_map",
        )

elif view == "streets":
    streets = workspace.streets
    if streets is None or not len(streets):
        st.info(tr("hs_no_streets"))
        st.stop()
    networks = (
        sorted(streets["network"].dropna().astype(str).unique()) if "network" in streets else []
    )
    with right:
        network = (
            kept(
                st.radio,
                "hs_network",
                "walk" if "walk" in networks else networks[0],
                label=tr("hs_network"),
                options=networks,
                format_func=lambda n: NETWORKS.get(n, n),
                horizontal=True,
            )
            if networks
            else None
        )
        result = compute(views.street_concentration, selection, network=network)
        if result is None:
            st.info(tr("hs_no_incidents"))
            st.stop()
        summary = result.summary
        cols = st.columns(2)
        cols[0].metric(tr("hs_share_50"), f"{summary['share_for_50']:.1%}")
        cols[1].metric(tr("hs_share_25"), f"{summary['share_for_25']:.1%}")
        cols = st.columns(2)
        cols[0].metric(tr("hs_share_any"), f"{summary['share_with_any']:.1%}")
        cols[1].metric(tr("hs_gini"), f"{summary['gini']:.2f}")
        st.pyplot(compute(views.concentration_figure, selection, network=network, lang=language))
        method_help("hs_help_streets")
    with left:
        show_map(
            view_map(
                views.street_concentration,
                (selection,),
                {"network": network},
                views.concentration_map,
                lang=language,
                **basemap,
            ),
            "hs_streets_map",
        )
if credit:
    st.caption(md(credit))
