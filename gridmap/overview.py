"""The overview of a street office: key figures and the grid map, for any area.

:func:`build_overview` computes everything the Overview page shows, :func:`overview_map`
draws it; both are plain functions, so the same figures come out of Python, tests and the
app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.i18n import t
from gridmap.schema import CATEGORIES, SITE_KINDS
from gridmap.stats import PolygonLocator, assign_grid, count_by_polygon, window_kpis

ColourBy = Literal["households", "incidents", "cells"]

#: Size of the square cells incidents are counted in for the map (server-side
#: aggregation: the browser never receives raw incident points).
CELL_SIZE_M = 100.0
WINDOW_DAYS = 30
#: Marker colours of key sites and sentinel posts (the legend uses the same).
SITE_COLOUR = "#6a3d9a"
POST_COLOUR = "#e31a1c"


@dataclass(frozen=True)
class Overview:
    """Figures for one area: its grids with counts, the KPI table and incident cells."""

    grids: gpd.GeoDataFrame  # area's grids, with an `incidents` column for the window
    kpis: pd.DataFrame  # window_kpis(): current / previous / change per category + total
    cells: gpd.GeoDataFrame  # incident counts per CELL_SIZE_M cell in the window
    now: pd.Timestamp
    days: int

    @property
    def households(self) -> int:
        return int(self.grids["households"].sum()) if "households" in self.grids else 0

    @property
    def population(self) -> int:
        return int(self.grids["population"].sum()) if "population" in self.grids else 0


def select_area(grids: gpd.GeoDataFrame, prefix: str = "") -> gpd.GeoDataFrame:
    """The grids whose code starts with `prefix` (a street, community or grid code)."""
    if prefix and not prefix.isdigit():
        msg = f"`prefix` must be digits of a grid code; got {prefix!r}"
        raise ValidationError(msg)
    chosen = grids[grids["grid_code"].astype(str).str.startswith(prefix)]
    if prefix and not len(chosen):
        msg = f"no grid code starts with {prefix}"
        raise ValidationError(msg)
    return chosen


def reference_time(incidents: pd.DataFrame) -> pd.Timestamp:
    """The end of the day of the latest incident: the default "now" for counting windows.

    A ledger imported on Monday usually ends on Sunday, so counting up to the latest
    record rather than the wall clock keeps the last window full.
    """
    if not len(incidents):
        return pd.Timestamp.now().normalize()
    return pd.Timestamp(incidents["occurred_at"].max()).normalize() + pd.Timedelta(days=1)


def build_overview(
    grids: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame | None,
    *,
    metric_crs: pyproj.CRS | str,
    area_prefix: str = "",
    now: pd.Timestamp | None = None,
    days: int = WINDOW_DAYS,
    locator: PolygonLocator | None = None,
) -> Overview:
    """Compute the overview of the grids under `area_prefix`.

    Incidents are assigned to grids by location; the KPI table compares the last `days`
    days before `now` (default :func:`reference_time`) with the `days` before those.
    Pass a cached `locator` built on all `grids` to skip rebuilding it.
    """
    if days <= 0:
        msg = f"`days` must be positive; got {days}"
        raise ValidationError(msg)
    area = select_area(grids, area_prefix)
    if incidents is None:
        incidents = gpd.GeoDataFrame(
            {"category": pd.Series(dtype=str), "occurred_at": pd.Series(dtype="datetime64[ms]")},
            geometry=gpd.GeoSeries([], crs=grids.crs),
        )
    now = pd.Timestamp(now) if now is not None else reference_time(incidents)
    window = incidents[
        (incidents["occurred_at"] > now - pd.Timedelta(days=2 * days))
        & (incidents["occurred_at"] <= now)
    ]
    codes = assign_grid(window, grids, locator=locator)
    in_area = codes.notna() & codes.astype(str).str.startswith(area_prefix)
    if not area_prefix:
        in_area = pd.Series(True, index=window.index)
    window = window[in_area.to_numpy()]
    kpis = window_kpis(window, now=now, days=days)
    current = window[window["occurred_at"] > now - pd.Timedelta(days=days)]
    counts = count_by_polygon(current, area, locator=None)
    area = area.copy()
    area["incidents"] = counts["count"].reindex(area["grid_code"]).fillna(0).astype(int).to_numpy()
    cells = maps.aggregate_to_cells(current, cell_size_m=CELL_SIZE_M, crs=metric_crs)
    return Overview(grids=area, kpis=kpis, cells=cells, now=now, days=days)


def category_label(key: object, lang: str) -> str:
    """A category's label in `lang` (unknown categories are shown as they are)."""
    cat = CATEGORIES.get(str(key))
    return cat.label(lang) if cat else str(key)


def kpi_table(overview: Overview, lang: str) -> pd.DataFrame:
    """The KPI table with translated category names and column headers."""
    table = overview.kpis.reset_index()
    first = table.columns[0]
    table[first] = [
        t("total", lang) if str(k) == "total" else category_label(k, lang) for k in table[first]
    ]
    return table.rename(
        columns={
            first: t("category", lang),
            "current": t("current", lang),
            "previous": t("previous", lang),
            "change": t("change", lang),
            "change_pct": t("change", lang) + " %",
        }
    )


def overview_map(
    overview: Overview,
    *,
    lang: str,
    colour_by: ColourBy = "households",
    sites: gpd.GeoDataFrame | None = None,
    posts: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    synthetic: bool = False,
    height: int = 620,
) -> maps.OfflineMap:
    """The overview map: grids coloured by households or incidents, or incident cells.

    ``colour_by="cells"`` draws grid outlines over incident counts per
    :data:`CELL_SIZE_M` cell. With `synthetic`, incident legends say the data is generated.
    """
    if colour_by not in ("households", "incidents", "cells"):
        msg = f"`colour_by` must be 'households', 'incidents' or 'cells'; got {colour_by!r}"
        raise ValidationError(msg)
    note = t("synthetic_short", lang) if synthetic else None
    grids = overview.grids
    bounds = tuple(float(v) for v in grids.total_bounds)
    m = maps.make_map(
        bounds=bounds,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        attribution=t("map_credit", lang),
    )
    if streets is not None and basemap == "vector":
        maps.add_vector_basemap(m, streets=streets, buildings=buildings, name=t("streets", lang))
    value = "households" if colour_by == "households" else "incidents"
    title = t("legend_households" if colour_by == "households" else "legend_incidents", lang)
    tooltip = {
        "grid_code": t("grid", lang),
        "households": t("households", lang),
        "incidents": t("incidents_30d", lang),
    }
    if "worker" in grids.columns:
        tooltip["worker"] = "网格员" if lang == "zh" else "Grid worker"
    if colour_by == "cells" and len(overview.cells):
        maps.add_cell_counts(
            m,
            overview.cells,
            title=t("legend_cells", lang),
            name=t("incident_cells", lang),
            note=note,
        )
    maps.add_choropleth(
        m,
        grids,
        value_column=value,
        title=title,
        label_column="name",
        tooltip_columns=tooltip,
        id_column="grid_code",
        name=t("grid", lang),
        fill_opacity=0.0 if colour_by == "cells" else 0.65,
        legend=colour_by != "cells",
        note=note if colour_by == "incidents" else None,
    )
    points_legend = []
    if sites is not None and len(sites):
        area_sites = sites[_inside(sites, grids)]
        kind_label = {k: (zh if lang == "zh" else en) for k, (zh, en) in SITE_KINDS.items()}
        shown = area_sites.assign(
            kind_label=area_sites["kind"].map(kind_label).fillna(area_sites["kind"])
        )
        maps.add_points(
            m,
            shown,
            label_column="name",
            color=SITE_COLOUR,
            radius=4,
            tooltip_columns={"kind_label": t("category", lang), "response_class": "min"},
            name=t("sites", lang),
        )
        points_legend.append((SITE_COLOUR, t("sites", lang)))
    if posts is not None and len(posts):
        maps.add_points(
            m,
            posts[_inside(posts, grids)],
            label_column="name",
            color=POST_COLOUR,
            radius=8,
            tooltip_columns={"kind": t("category", lang)},
            name=t("posts", lang),
        )
        points_legend.append((POST_COLOUR, t("posts", lang)))
    if points_legend:
        maps.add_legend(
            m,
            title=t("sites_and_posts", lang),
            entries=points_legend,
            position="bottomleft",
            shape="circle",
        )
    maps.layer_control(m)
    return m


def _inside(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> np.ndarray:
    hull = grids.geometry.union_all().buffer(0.0005)
    return points.geometry.within(hull).to_numpy()
