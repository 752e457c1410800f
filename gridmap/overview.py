"""The overview of a street office: key figures and the grid map, for any area.

:func:`build_overview` computes everything the Overview page shows, :func:`overview_map`
draws it; both are plain functions, so the same figures come out of Python, tests and the
app.

A workspace need not have every layer: a city's first import is often its incidents,
sites and streets before anyone has drawn grid boundaries. Without grids the overview
counts every incident, draws them as cells, frames the map on whatever layers exist and
says (:attr:`Overview.missing`) what is missing and how to get it. Optional columns
(households, population, names, worker …) are shown where present and left out where not.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.i18n import Message, column_label, t
from gridmap.schema import value_label
from gridmap.stats import PolygonLocator, assign_grid, count_by_polygon, window_kpis

ColourBy = Literal["households", "population", "incidents", "cells"]
COLOUR_BY: tuple[ColourBy, ...] = ("households", "population", "incidents", "cells")

#: Size of the square cells incidents are counted in for the map (server-side
#: aggregation: the browser never receives raw incident points). Doubled until the cells
#: fit :data:`gridmap.maps.MAX_BROWSER_FEATURES`.
CELL_SIZE_M = 100.0
WINDOW_DAYS = 30
#: Marker colours of key sites and sentinel posts (the legend uses the same).
SITE_COLOUR = "#6a3d9a"
POST_COLOUR = "#e31a1c"
#: Grid columns shown in the grid table and tooltips, in this order, when present.
GRID_COLUMNS = ("grid_code", "name", "households", "population", "incidents", "worker")


@dataclass(frozen=True)
class Overview:
    """Figures for one area: its grids with counts, the KPI table and incident cells.

    Attributes
    ----------
    grids : GeoDataFrame
        The area's grids with an ``incidents`` column (count in the current window);
        empty when the workspace has no grids.
    kpis : DataFrame
        :func:`gridmap.stats.window_kpis`: current / previous / change per category + total.
    cells : GeoDataFrame
        Incident counts per ``cell_size_m`` square in the current window (EPSG:4326).
    now : Timestamp
        End of the current window.
    days : int
        Length of each window in days.
    cell_size_m : float
        Side of the cells in metres.
    has_grids, has_incidents : bool
        Whether the workspace gave these layers (with rows).
    missing : tuple of Message
        What the workspace lacks for a full overview and how to get it, for the page to say.
    """

    grids: gpd.GeoDataFrame
    kpis: pd.DataFrame
    cells: gpd.GeoDataFrame
    now: pd.Timestamp
    days: int
    cell_size_m: float = CELL_SIZE_M
    has_grids: bool = True
    has_incidents: bool = True
    missing: tuple[Message, ...] = field(default=())

    def _sum(self, column: str) -> int | None:
        if column not in self.grids or self.grids[column].isna().all():
            return None
        return int(pd.to_numeric(self.grids[column], errors="coerce").sum())

    @property
    def households(self) -> int | None:
        """Households of the area's grids; None when the grids do not say."""
        return self._sum("households")

    @property
    def population(self) -> int | None:
        """Population of the area's grids; None when the grids do not say."""
        return self._sum("population")

    @property
    def colour_choices(self) -> list[ColourBy]:
        """What the map can colour by with this data, the first being the default."""
        choices: list[ColourBy] = []
        if self.has_grids:
            choices += [c for c in ("households", "population") if self._sum(c) is not None]  # type: ignore[misc]
            if self.has_incidents:
                choices.append("incidents")
        if self.has_incidents:
            choices.append("cells")
        return choices


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


def reference_time(incidents: pd.DataFrame | None) -> pd.Timestamp:
    """The end of the day of the latest incident: the default "now" for counting windows.

    A ledger imported on Monday usually ends on Sunday, so counting up to the latest
    record rather than the wall clock keeps the last window full. Without incidents (or
    times), the start of today.
    """
    if incidents is None or not len(incidents) or incidents["occurred_at"].isna().all():
        return pd.Timestamp.now().normalize()
    return pd.Timestamp(incidents["occurred_at"].max()).normalize() + pd.Timedelta(days=1)


def last_counted_day(incidents: pd.DataFrame | None) -> datetime.date:
    """The calendar day a user sees as "count up to" by default: the latest incident's day.

    :func:`reference_time` is the exclusive end (the midnight after that day);
    :func:`counting_end` turns a chosen day back into it.

    >>> import pandas as pd
    >>> last_counted_day(pd.DataFrame({"occurred_at": [pd.Timestamp("2026-10-31 22:15")]}))
    datetime.date(2026, 10, 31)
    """
    return (reference_time(incidents) - pd.Timedelta(days=1)).date()


def counting_end(day: datetime.date) -> pd.Timestamp:
    """The exclusive end of the windows that count up to and including `day`.

    >>> import datetime
    >>> counting_end(datetime.date(2026, 10, 31))
    Timestamp('2026-11-01 00:00:00')
    """
    return pd.Timestamp(day) + pd.Timedelta(days=1)


def _present(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is not None and len(gdf) > 0


def _no_grids(crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_code": pd.Series(dtype="str"), "incidents": pd.Series(dtype="int64")},
        geometry=gpd.GeoSeries([], crs=crs),
    )


def _cells(current: gpd.GeoDataFrame, crs: pyproj.CRS | str) -> tuple[gpd.GeoDataFrame, float]:
    """Incident cells, the cell size doubled until they fit the browser's budget."""
    size = CELL_SIZE_M
    cells = maps.aggregate_to_cells(current, cell_size_m=size, crs=crs)
    while len(cells) > maps.MAX_BROWSER_FEATURES:
        size *= 2
        cells = maps.aggregate_to_cells(current, cell_size_m=size, crs=crs)
    return cells, size


def build_overview(
    grids: gpd.GeoDataFrame | None,
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
    days before `now` with the `days` before those. Without grids every incident counts
    (there is no area to restrict to) and :attr:`Overview.missing` says how to add them.

    Parameters
    ----------
    grids : GeoDataFrame or None
        The ``grids`` layer (polygons, ``grid_code``; any optional columns); None or empty
        when the workspace has none.
    incidents : GeoDataFrame or None
        The ``incidents`` layer (points, ``category``, ``occurred_at``), in the CRS of
        `grids`; None or empty when there are none.
    metric_crs : pyproj.CRS or str
        Projected CRS in metres in which incident cells are laid (the workspace's working
        CRS).
    area_prefix : str, default ""
        Grid-code prefix of the area (street, community or grid); "" for everything.
    now : Timestamp, optional
        End of the current window; default :func:`reference_time` of `incidents`.
    days : int, default 30
        Length of each window in days.
    locator : PolygonLocator, optional
        Built on all `grids` (same rows, same order) and cached by the caller.

    Returns
    -------
    Overview

    Raises
    ------
    ValidationError
        when `days` is not positive, `area_prefix` is not digits or matches no grid, or
        an area is asked for without grids.
    """
    if days <= 0:
        msg = f"`days` must be positive; got {days}"
        raise ValidationError(msg)
    has_grids = _present(grids)
    has_incidents = _present(incidents)
    crs = (
        grids.crs if grids is not None else incidents.crs if incidents is not None else 4326  # type: ignore[union-attr]
    )
    if not has_grids and area_prefix:
        msg = f"`area_prefix` {area_prefix!r} needs grids; the workspace has none"
        raise ValidationError(msg)
    area = select_area(grids, area_prefix) if has_grids else _no_grids(crs)  # type: ignore[arg-type]
    if incidents is None:
        incidents = gpd.GeoDataFrame(
            {"category": pd.Series(dtype=str), "occurred_at": pd.Series(dtype="datetime64[ms]")},
            geometry=gpd.GeoSeries([], crs=crs),
        )
    now = pd.Timestamp(now) if now is not None else reference_time(incidents)
    window = incidents[
        (incidents["occurred_at"] > now - pd.Timedelta(days=2 * days))
        & (incidents["occurred_at"] <= now)
    ]
    if has_grids and area_prefix:
        codes = assign_grid(window, grids, locator=locator)  # type: ignore[arg-type]
        in_area = codes.notna() & codes.astype(str).str.startswith(area_prefix)
        window = window[in_area.to_numpy()]
    kpis = window_kpis(window, now=now, days=days)
    current = window[window["occurred_at"] > now - pd.Timedelta(days=days)]
    area = area.copy()
    if has_grids:
        counts = count_by_polygon(current, area, locator=None)
        area["incidents"] = (
            counts["count"].reindex(area["grid_code"]).fillna(0).astype(int).to_numpy()
        )
    cells, size = _cells(current, metric_crs)
    return assemble_overview(
        area,
        kpis,
        cells,
        now=now,
        days=days,
        cell_size_m=size,
        has_grids=has_grids,
        has_incidents=has_incidents,
    )


def assemble_overview(
    area: gpd.GeoDataFrame,
    kpis: pd.DataFrame,
    cells: gpd.GeoDataFrame,
    *,
    now: pd.Timestamp,
    days: int,
    cell_size_m: float,
    has_grids: bool,
    has_incidents: bool,
) -> Overview:
    """The :class:`Overview` of figures counted from rows or from a store's summary, with
    the notes on what the workspace lacks (no grids, no households, no incidents)."""
    missing: list[Message] = []
    if not has_grids:
        missing.append(Message("overview_no_grids"))
    elif "households" not in area.columns or area["households"].isna().all():
        missing.append(Message("overview_no_households"))
    if not has_incidents:
        missing.append(Message("overview_no_incidents"))
    return Overview(
        grids=area,
        kpis=kpis,
        cells=cells,
        now=now,
        days=days,
        cell_size_m=cell_size_m,
        has_grids=has_grids,
        has_incidents=has_incidents,
        missing=tuple(missing),
    )


def category_label(key: object, lang: str) -> str:
    """A category's label in `lang` (a user's own categories are shown as written)."""
    return value_label("incidents", "category", key, lang)


def change_text(current: float, previous: float, lang: str) -> str:
    """A change in per cent as shown in a table: "+25%", "新增" / "new", or "—".

    Against an empty previous period a per cent means nothing: a category that appears is
    "new", one with nothing in either period has no change ("—"). Never None, NaN or inf.

    >>> change_text(5, 4, "en"), change_text(3, 0, "en"), change_text(0, 0, "zh")
    ('+25%', 'new', '—')
    """
    if not (math.isfinite(current) and math.isfinite(previous)):
        return "—"
    if previous == 0:
        return t("change_new", lang) if current > 0 else "—"
    return f"{100.0 * (current - previous) / previous:+.0f}%"


def kpi_table(overview: Overview, lang: str) -> pd.DataFrame:
    """The KPI table with translated category names and column headers.

    The per-cent change is text (:func:`change_text`), so an empty previous period reads
    "新增" / "new" or "—" instead of an empty cell.
    """
    table = overview.kpis.reset_index()
    first = table.columns[0]
    table[first] = [
        t("total", lang) if str(k) == "total" else category_label(k, lang) for k in table[first]
    ]
    if "change_pct" in table:
        table["change_pct"] = [
            change_text(float(c), float(p), lang)
            for c, p in zip(table["current"], table["previous"], strict=True)
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


def grid_table(overview: Overview, lang: str) -> pd.DataFrame:
    """The area's grids as a table: the :data:`GRID_COLUMNS` present, headers in `lang`."""
    table = pd.DataFrame(overview.grids.drop(columns=overview.grids.geometry.name))
    shown = [c for c in GRID_COLUMNS if c in table.columns]
    return table[shown].rename(columns=lambda c: column_label(c, lang))


def workspace_credit(
    settings: Mapping[str, object], lang: str, *, name: str | None = None
) -> str | None:
    """The credit of a workspace's data for the map and the sidebar.

    What the user set as the ``credit`` setting; else the ``attribution`` the sample
    street office records (OpenStreetMap's, shown in `lang`); else "data: <name>" from
    the ``name`` setting or `name` (the workspace file's stem); else None. A user's own
    data is never credited to OpenStreetMap unless they say so.
    """
    for key in ("credit", "attribution"):
        value = settings.get(key)
        if isinstance(value, str) and value.strip():
            return t("attribution", lang) if value == maps.OSM_ATTRIBUTION else value.strip()
    label = settings.get("name") or name
    return t("data_credit", lang, name=label) if label else None


def _extent(layers: list[gpd.GeoDataFrame | None]) -> tuple[float, float, float, float]:
    boxes = []
    for gdf in layers:
        if _present(gdf) and gdf.crs is not None:  # type: ignore[union-attr]
            bounds = gdf.to_crs(4326).total_bounds  # type: ignore[union-attr]
            if np.isfinite(bounds).all():
                boxes.append(bounds)
    if not boxes:
        raise ValidationError(Message("overview_nothing_to_draw"))
    arr = np.asarray(boxes)
    west, south = arr[:, 0].min(), arr[:, 1].min()
    east, north = arr[:, 2].max(), arr[:, 3].max()
    return float(west), float(south), float(east), float(north)


def _labelled(gdf: gpd.GeoDataFrame, layer: str, column: str, lang: str) -> pd.Series:
    return gdf[column].map(lambda v: value_label(layer, column, v, lang))


def _label_column(gdf: gpd.GeoDataFrame, *candidates: str) -> str | None:
    return next((c for c in candidates if c in gdf.columns), None)


def overview_map(
    overview: Overview,
    *,
    lang: str,
    colour_by: ColourBy | None = None,
    sites: gpd.GeoDataFrame | None = None,
    posts: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    synthetic: bool = False,
    credit: str | None = maps.OSM_ATTRIBUTION,
    height: int = 620,
) -> maps.OfflineMap:
    """The overview map: grids coloured by a figure, or incident cells, with sites and posts.

    Whatever layers exist are drawn and the map is framed on them: the grids when there
    are any, else the union of incident cells, sites, posts and streets. Incidents reach
    the browser only as counts per cell (:attr:`Overview.cell_size_m`), never as points.

    Parameters
    ----------
    overview : Overview
        From :func:`build_overview`.
    lang : {"zh", "en"}
        Language of legends, layer names and tooltips.
    colour_by : {"households", "population", "incidents", "cells"}, optional
        What colours the grids (``"cells"``: grid outlines over incident cells); one of
        :attr:`Overview.colour_choices`, whose first is the default.
    sites, posts : GeoDataFrame, optional
        Key sites and sentinel posts (points, any CRS); with grids, only those in the
        area are drawn. Their optional columns (``name``, ``kind``, ``response_class``,
        ``mode``, ``staff``) appear in the tooltips when present.
    streets, buildings : GeoDataFrame, optional
        Drawn as the light offline basemap when `basemap` is ``"vector"``.
    basemap, tile_url, tile_key
        See :func:`gridmap.maps.make_map`.
    synthetic : bool, default False
        Incident legends say the data is generated.
    credit : str or None
        Credit of the workspace's data in the map's attribution (plain text), e.g.
        :func:`workspace_credit`; None for none.
    height : int, default 620
        Map height in pixels.

    Returns
    -------
    gridmap.maps.OfflineMap

    Raises
    ------
    ValidationError
        for a `colour_by` the data cannot give, a wrong basemap setting, or when there is
        nothing at all to draw.
    """
    choices = overview.colour_choices
    if colour_by is None:
        colour_by = choices[0] if choices else "cells"
    if colour_by not in COLOUR_BY:
        msg = f"`colour_by` must be one of {', '.join(COLOUR_BY)}; got {colour_by!r}"
        raise ValidationError(msg)
    if choices and colour_by not in choices:
        msg = f"`colour_by` {colour_by!r} is not in this data; choose one of {', '.join(choices)}"
        raise ValidationError(msg)
    note = t("synthetic_short", lang) if synthetic else None
    grids = overview.grids
    has_grids = overview.has_grids and len(grids) > 0
    framed = [grids] if has_grids else [overview.cells, sites, posts, streets]
    m = maps.page_map(
        bounds=_extent(framed),
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets if _present(streets) else None,
        buildings=buildings,
    )
    draw_cells = len(overview.cells) > 0 and (colour_by == "cells" or not has_grids)
    if draw_cells:
        title = t("legend_cells", lang)
        if not math.isclose(overview.cell_size_m, CELL_SIZE_M):
            title += f" ({overview.cell_size_m:,.0f} m)"
        maps.add_cell_counts(
            m, overview.cells, title=title, name=t("incident_cells", lang), note=note
        )
    if has_grids:
        _add_grids(m, grids, colour_by=colour_by, lang=lang, note=note)
    points_legend = []
    if _present(sites):
        shown = sites[_inside(sites, grids)] if has_grids else sites  # type: ignore[index]
        tooltip: dict[str, str] = {}
        if "kind" in shown.columns:
            shown = shown.assign(kind_label=_labelled(shown, "sites", "kind", lang))
            tooltip["kind_label"] = column_label("kind", lang)
        if "response_class" in shown.columns:
            tooltip["response_class"] = column_label("response_class", lang)
        maps.add_points(
            m,
            shown,
            label_column=_label_column(shown, "name", "site_id"),
            color=SITE_COLOUR,
            radius=4,
            tooltip_columns=tooltip,
            name=t("sites", lang),
        )
        points_legend.append((SITE_COLOUR, t("sites", lang)))
    if _present(posts):
        shown = posts[_inside(posts, grids)] if has_grids else posts  # type: ignore[index]
        tooltip = {}
        if "kind" in shown.columns:
            tooltip["kind"] = column_label("kind", lang)
        if "mode" in shown.columns:
            shown = shown.assign(mode_label=_labelled(shown, "posts", "mode", lang))
            tooltip["mode_label"] = column_label("mode", lang)
        if "staff" in shown.columns:
            tooltip["staff"] = column_label("staff", lang)
        maps.add_points(
            m,
            shown,
            label_column=_label_column(shown, "name", "post_id"),
            color=POST_COLOUR,
            radius=8,
            tooltip_columns=tooltip,
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


_LEGEND_TITLES = {
    "households": "legend_households",
    "population": "legend_population",
    "incidents": "legend_incidents",
}


def _add_grids(
    m: maps.OfflineMap, grids: gpd.GeoDataFrame, *, colour_by: str, lang: str, note: str | None
) -> None:
    """Grid polygons: coloured by `colour_by`, or outlines only over incident cells."""
    value = colour_by if colour_by in _LEGEND_TITLES else "incidents"
    tooltip = {
        c: t("incidents_30d", lang) if c == "incidents" else column_label(c, lang)
        for c in GRID_COLUMNS
        if c in grids.columns and c not in ("name", value)
    }
    maps.add_choropleth(
        m,
        grids,
        value_column=value,
        title=t(_LEGEND_TITLES[value], lang),
        label_column=_label_column(grids, "name", "grid_code"),
        tooltip_columns=tooltip,
        id_column="grid_code",
        name=t("grid", lang),
        fill_opacity=0.0 if colour_by == "cells" else 0.65,
        legend=colour_by != "cells",
        note=note if colour_by == "incidents" else None,
    )


def _inside(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> np.ndarray:
    hull = grids.to_crs(points.crs).geometry.union_all().buffer(0.0005)
    return points.geometry.within(hull).to_numpy()
