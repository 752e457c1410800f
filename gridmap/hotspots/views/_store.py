"""The Heatmaps page's first view from the workspace store's aggregations, not its rows.

On a PostGIS workspace of millions of incidents, reading the layer (what
:func:`~gridmap.hotspots.views.prepare_incidents` starts from) takes a minute. The
filter form's choices and counts come from
:meth:`~gridmap.store.WorkspaceStore.incident_summary` (incidents per grid × day ×
category), and the density raster from
:meth:`~gridmap.store.WorkspaceStore.point_statistics` (Silverman's rule and the extent)
and :meth:`~gridmap.store.WorkspaceStore.aggregate_points` (cell counts), through the
same :func:`~gridmap.hotspots.views.density_from_counts` the row path uses, so the page
shows the same numbers either way (``tests/test_heatmap_store.py``).

What the aggregations cannot answer returns None, and the page falls back to the rows:
counts filtered by source, or by hour of the day within an area; the density filtered by
source, hour, weekday or area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridmap.hotspots import filters
from gridmap.hotspots.views._base import Selection
from gridmap.hotspots.views._places import DensityResult, density_from_counts
from gridmap.overview_store import reference_time_from_store
from gridmap.schema import CATEGORIES
from gridmap.store import WorkspaceStore
from gridmap.store._summary import in_window


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers: the span of the data and its categories and sources."""

    end: pd.Timestamp  # the midnight after the latest incident's day
    first_day: pd.Timestamp | None  # the earliest incident's day; None without times
    categories: tuple[str, ...]  # the schema's order first, then a city's own, sorted
    sources: tuple[str, ...]


def filter_choices(incidents: pd.DataFrame) -> FilterChoices:
    """:class:`FilterChoices` of the incidents' rows."""
    from gridmap.overview import reference_time

    times = incidents["occurred_at"].dropna()
    first = pd.Timestamp(times.min()).normalize() if len(times) else None
    sources = (
        sorted(incidents["source"].dropna().astype(str).unique()) if "source" in incidents else []
    )
    return FilterChoices(
        end=reference_time(incidents),
        first_day=first,
        categories=_ordered(set(incidents["category"].dropna().astype(str))),
        sources=tuple(sources),
    )


def store_filter_choices(store: WorkspaceStore) -> FilterChoices:
    """:class:`FilterChoices` of `store`'s incidents, from its summary (and, when the layer
    has a ``source`` column, one count by source)."""
    summary = store.incident_summary()
    days = summary["day"].dropna()
    columns = store.read("incidents", max_features=0).columns
    sources: list[str] = []
    if "source" in columns:
        found = store.count_by("incidents", ["source"])["source"].dropna()
        sources = sorted(found.astype(str).unique())
    return FilterChoices(
        end=reference_time_from_store(store, summary=summary),
        first_day=pd.Timestamp(days.min()) if len(days) else None,
        categories=_ordered(set(summary["category"].dropna().astype(str))),
        sources=tuple(sources),
    )


def _ordered(present: set[str]) -> tuple[str, ...]:
    return tuple([c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES)))


def selected_summary(summary: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The rows of an :meth:`~gridmap.store.WorkspaceStore.incident_summary` that
    `selection`'s dates, categories, weekdays and area keep (not its hours or sources).

    Its ``count`` column sums to the selected incidents; grouped by ``grid_code``,
    ``category`` or ``day`` it gives the counts per grid, category or day.
    """
    keep = in_window(summary, selection.start.normalize(), selection.end.normalize())
    if selection.categories is not None:
        wanted = filters._category_set(selection.categories)
        keep &= summary["category"].isin(wanted).to_numpy()
    if len(set(selection.weekdays)) < 7:
        keep &= np.isin(summary["day"].dt.day_of_week.to_numpy(), list(selection.weekdays))
    if selection.area_prefix:
        codes = summary["grid_code"].fillna("").astype(str)
        keep &= codes.str.startswith(selection.area_prefix).to_numpy()
    return summary[keep]


def _whole_days(selection: Selection) -> bool:
    start, end = selection.start, selection.end
    return start == start.normalize() and end == end.normalize()


def _filters(selection: Selection) -> tuple[dict | None, dict]:
    where = (
        {"category": sorted(filters._category_set(selection.categories))}
        if selection.categories is not None
        else None
    )
    return where, {"occurred_at": (selection.start, selection.end)}


def store_count_selected(
    store: WorkspaceStore, selection: Selection, *, summary: pd.DataFrame | None = None
) -> int | None:
    """How many incidents `selection` holds, counted by `store`; None when only the rows
    can tell (a source filter, hours within an area, a span not of whole days).

    Without an hour filter, summed from the summary; with one, from counts per hour
    (:meth:`~gridmap.store.WorkspaceStore.count_by`) filtered here by hour and weekday.
    """
    if selection.sources is not None or not _whole_days(selection):
        return None
    if selection.hours == (0, 24):
        rows = selected_summary(store.incident_summary() if summary is None else summary, selection)
        return int(rows["count"].sum())
    if selection.area_prefix:
        return None
    where, between = _filters(selection)
    hourly = store.count_by(
        "incidents", where=where, between=between, time_bin=("occurred_at", "hour")
    )
    when = pd.to_datetime(hourly["occurred_at"])
    hour = when.dt.hour.to_numpy()
    low, high = selection.hours
    keep = (hour >= low) & (hour < high) if low < high else (hour >= low) | (hour < high)
    keep &= np.isin(when.dt.day_of_week.to_numpy(), list(selection.weekdays))
    return int(hourly["count"].to_numpy()[keep].sum())


def density_served(selection: Selection) -> bool:
    """Whether :func:`density_in_store` can answer `selection` (dates and categories
    only: hours, weekdays, sources and areas need each incident's row)."""
    return (
        selection.sources is None
        and selection.hours == (0, 24)
        and len(set(selection.weekdays)) == 7
        and not selection.area_prefix
    )


def density_in_store(
    store: WorkspaceStore,
    selection: Selection,
    *,
    grids: gpd.GeoDataFrame | None,
    bandwidth: float | None = None,
    max_size: int = 900,
) -> DensityResult | None:
    """:func:`~gridmap.hotspots.views.density` of `selection`, measured and binned by
    `store` (in the database on PostGIS); None when :func:`density_served` says no.

    Parameters
    ----------
    store : WorkspaceStore
        The workspace; the raster is in its working CRS.
    selection : Selection
        The page's filters.
    grids : GeoDataFrame or None
        The grids layer (the raster covers them, as on the row path).
    bandwidth : float, optional
        Metres; None for Silverman's rule.
    max_size : int, default 900
        Largest side of the image drawn, pixels.
    """
    if not density_served(selection):
        return None
    crs = pyproj.CRS(store.working_crs())
    where, between = _filters(selection)
    stats = store.point_statistics("incidents", crs=crs, where=where, between=between)
    if stats["n"] < 2:
        return DensityResult(int(stats["n"]), math.nan, math.nan, None, 0.0, max_size)

    def counts(cell: float) -> pd.DataFrame:
        return store.aggregate_points("incidents", cell=cell, crs=crs, where=where, between=between)

    return density_from_counts(
        stats,
        counts,
        grids=grids,
        crs=crs,
        days=selection.days,
        bandwidth=bandwidth,
        max_size=max_size,
    )
