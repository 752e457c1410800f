"""Cached access to the Coverage & posts page's data: graphs, snaps, reports, maps, tracks.

UI glue for ``app_pages/coverage.py`` (no widgets): the street graphs are built once per
streets version and sites/incidents snapped once per version of theirs
(``st.cache_resource``, shared read-only like the layers); a report is cached per posts
version and mode, so a what-if costs one report of the changed posts; maps are drawn once
per answer, language and basemap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import _maps
from app_pages._common import layer, store, upload_folder
from app_pages._maps import (
    show_shared_map,  # noqa: F401 - coverage.py shows its maps by it
)
from gridmap.patrol import tracks, views

#: Session key of the kept component arguments of the layered maps, one entry per map key.
KEPT = "pp_maps"


def layer_versions() -> tuple[Any, ...]:
    workspace = store()
    return (
        str(workspace.location),
        *(workspace.current_version(n) or 0 for n in ("streets", "sites", "incidents", "grids")),
        workspace.current_version("buildings") or 0,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def street_graphs(workspace: str, streets: int) -> dict:
    return views.build_graphs(layer("streets"), crs=store().working_crs())


@st.cache_resource(max_entries=4, show_spinner=False)
def prepared_patrol(
    workspace: str, streets: int, sites: int, incidents: int, grids: int, buildings: int
) -> views.Patrol:
    # Sites and incidents snapped to every mode's streets once per version of the layers.
    return views.prepare(
        street_graphs(workspace, streets),
        streets=layer("streets"),
        sites=layer("sites"),
        incidents=layer("incidents"),
        grids=layer("grids"),
        buildings=layer("buildings"),
        synthetic=bool(store().settings().get("synthetic_incidents")),
    )


def current_posts() -> gpd.GeoDataFrame:
    posts = layer("posts")
    if posts is None:
        return gpd.GeoDataFrame(
            {"post_id": [], "name": [], "mode": []}, geometry=[], crs="EPSG:4326"
        )
    return posts


def version_of(name: str) -> int:
    return store().current_version(name) or 0


def patrol() -> views.Patrol:
    posts = current_posts()
    return dataclasses.replace(
        prepared_patrol(*layer_versions()), posts=posts if len(posts) else None
    )


@st.cache_resource(max_entries=16, show_spinner=False)
def coverage_report(versions: tuple, posts: int, mode: str) -> Any:
    return views.coverage(patrol(), current_posts(), mode)


@st.cache_resource(max_entries=16, show_spinner=False)
def what_if(versions: tuple, posts: int, mode: str, edit: views.Edit) -> views.WhatIf:
    before = coverage_report(versions, posts, mode)
    return views.edit_what_if(patrol(), current_posts(), mode, edit, before=before)


@st.cache_resource(max_entries=8, show_spinner=False)
def intersections(versions: tuple) -> gpd.GeoDataFrame:
    return views.intersections(patrol()).to_crs("EPSG:4326")


@st.cache_resource(max_entries=8, show_spinner=False)
def siting_answer(versions: tuple, posts: int, kind: str, args: tuple) -> tuple:
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


@st.cache_resource(max_entries=16, show_spinner=False)
def coverage_map(
    versions: tuple,
    posts: int,
    mode: str,
    edit: views.Edit | None,
    siting: tuple | None,
    options: tuple,
) -> Any:
    # Drawn once per what-if / siting answer, language and basemap: a rerun that changes
    # none of them (a click on "save", a table selection) redraws nothing. Shared
    # read-only like the heat maps: st_folium only renders it.
    extra: dict[str, Any] = {}
    if edit is not None:
        result = what_if(versions, posts, mode, edit)
        report, extra["changed"] = result.change.after, result.posts
        extra["touched"] = result.touched
        extra["sites"] = result.sites
    else:
        report = coverage_report(versions, posts, mode)
    if siting is not None:
        chosen, _result, greedy = siting_answer(*siting)
        extra |= {"proposed": chosen, "greedy": greedy}
    return views.coverage_map(patrol(), report, current_posts(), **dict(options), **extra)


@st.cache_data(max_entries=4, show_spinner=False)
def uploaded_tracks(files: tuple[tuple[str, bytes], ...]) -> tuple[gpd.GeoDataFrame, list]:
    frames, notes = [], []
    folder = upload_folder()
    for name, data in files:
        with folder.copy(name, data) as path:
            frames.append(tracks.read_track(path, unit=path.stem))
    fixes, dropped = tracks.clean_track(
        gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326"), mode="car"
    )
    notes.extend(dropped)
    return fixes, notes


@st.cache_resource(max_entries=4, show_spinner=False)
def synthetic_tracks(versions: tuple, posts: int) -> gpd.GeoDataFrame:
    week = tracks.synthetic_week(current_posts(), patrol().sites, units=2, days=7, seed=0)
    return tracks.clean_track(week, mode="walk")[0]


@st.cache_resource(max_entries=8, show_spinner=False)
def inspection_map(versions: tuple, source: tuple, days: float, options: tuple) -> Any:
    track = track_of(source)
    status = inspection_status(versions, source, days)
    return views.inspection_map(patrol(), status, days=days, track=track, **dict(options))


@st.cache_resource(max_entries=4, show_spinner=False)
def workspace_tracks(workspace: str, tracks_version: int) -> tuple[gpd.GeoDataFrame, list]:
    # The workspace's tracks layer (imported on the Data page), cleaned as an upload is.
    fixes, dropped = tracks.clean_track(layer("tracks"), mode="car")
    return fixes, dropped


def track_of(source: tuple) -> gpd.GeoDataFrame:
    if source[0] == "synthetic":
        return synthetic_tracks(layer_versions(), version_of("posts"))
    if source[0] == "layer":
        return workspace_tracks(str(store().location), source[1])[0]
    return st.session_state["pp_tracks"][0]


@st.cache_resource(max_entries=8, show_spinner=False)
def inspection_status(versions: tuple, source: tuple, days: float) -> gpd.GeoDataFrame:
    sites = patrol().sites
    visits = views.site_visits(track_of(source), sites)
    return views.inspections(sites, visits, days=days)


def show_layered_map(
    key: str,
    make: Callable[[], Any],
    *,
    shows: Hashable,
    overlay: Callable[[str | None], folium.FeatureGroup | None] | None = None,
    overlay_shows: Hashable = None,
    height: int,
    returned_objects: list[str],
    on_change: Callable[[], None] | None = None,
) -> None:
    """Show the map `make` builds under `key`, with a layer laid over it in the browser.

    :func:`app_pages._maps.show_layered_map` with this page's session key: the map is
    built and rendered once per `shows` (versions, mode, language, basemap) and kept in
    the browser; the layer (`overlay`, given the map's coordinate shift) is built once per
    `overlay_shows` and swapped on the map the browser shows.
    """
    _maps.show_layered_map(
        key,
        make,
        shows=shows,
        session_key=KEPT,
        height=height,
        returned=returned_objects,
        overlay=None if overlay is None else lambda shift: [overlay(shift)],
        overlay_shows=overlay_shows,
        on_change=on_change,
    )
