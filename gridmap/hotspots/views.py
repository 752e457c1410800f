"""What the street office's pages show: one function per view, no Streamlit.

The pages "Heatmaps" (热力分析) and "Warnings & report" (预警与周报) are forms: they gather
the filters into a :class:`Selection`, call one function here per view and show what it
returns. Each view comes in two steps so that a page can cache the expensive one:

* a *compute* function (``density``, ``grid_changes``, ``gi_hotspots``, ``emerging`` …)
  returning a small frozen result of plain data (frames, PNG bytes, numbers) from the
  library's own functions — nothing here recomputes a figure the library gives;
* a *draw* function (``density_map``, ``grid_map`` …) building the folium map of a result,
  in the user's language, on the workspace's offline basemap.

Every view starts from :func:`select` (:func:`gridmap.hotspots.filters.filter_incidents`
with the page's filters). Views that compare with the past (changes, warnings, the weekly
report) take the earlier weeks they need from before the chosen span, filtered alike.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from matplotlib.figure import Figure

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.hotspots import (
    concentration,
    filters,
    forecast,
    local_stats,
    overlay,
    repeats,
    requests,
    temporal,
    trends,
    warnings,
)
from gridmap.hotspots import density as kde
from gridmap.hotspots._cells import projected_xy
from gridmap.hotspots.handoff import hotspot_features
from gridmap.i18n import t
from gridmap.stats import PolygonLocator

__all__ = [
    "GI_COLOURS",
    "LEVEL_COLOURS",
    "PATTERN_COLOURS",
    "Selection",
    "StreetOffice",
    "concentration_figure",
    "concentration_map",
    "count_selected",
    "density",
    "density_map",
    "emerging",
    "emerging_map",
    "gi_hotspots",
    "gi_map",
    "grid_changes",
    "grid_map",
    "handoff_features",
    "hour_weekday",
    "knox",
    "prepare_incidents",
    "repeat_places",
    "request_deadlines",
    "requests_map",
    "select",
    "street_concentration",
    "warning_list",
    "warnings_map",
]

#: Esri's hot-spot colours (ArcGIS "Hot Spot Analysis" renderer): reds for hot spots at
#: 99/95/90 % confidence, blues for cold spots, a light grey for "not significant".
GI_COLOURS: dict[int, str] = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#f7f7f7",
    -1: "#c0ccbe",
    -2: "#849eba",
    -3: "#4575b5",
}
#: Emerging hot/cold spot patterns (Esri's renderer order), hot first.
PATTERN_COLOURS: dict[str, str] = {
    "new hot spot": "#f2a7a0",
    "consecutive hot spot": "#e57f6c",
    "intensifying hot spot": "#b2182b",
    "persistent hot spot": "#d6604d",
    "diminishing hot spot": "#f4a582",
    "sporadic hot spot": "#fddbc7",
    "oscillating hot spot": "#e7a98f",
    "historical hot spot": "#bababa",
    "new cold spot": "#c6dbef",
    "consecutive cold spot": "#9ecae1",
    "intensifying cold spot": "#2166ac",
    "persistent cold spot": "#4393c3",
    "diminishing cold spot": "#92c5de",
    "sporadic cold spot": "#d1e5f0",
    "oscillating cold spot": "#a6bddb",
    "historical cold spot": "#d9d9d9",
}
#: Warning levels (GB/T 27921 colour order, as Chinese early-warning practice uses).
LEVEL_COLOURS: dict[str, str] = {"red": "#d7191c", "orange": "#fd8d3c", "yellow": "#fed976"}
HIGHLIGHT_COLOUR = "#00e5ff"
#: Densities are shown per week, so spans of different lengths compare.
DENSITY_PERIOD_DAYS = 7.0
#: Most places shown in the repeats list and on its map.
MAX_REPEAT_PLACES = 200


# ---------------------------------------------------------------------------------------
# the workspace and the filters


@dataclass(frozen=True)
class StreetOffice:
    """A workspace's layers as the views need them.

    ``incidents`` must carry a ``grid_code`` column (:func:`prepare_incidents`), so that
    filtering by area and counting per grid never locate points again.
    """

    incidents: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame | None
    crs: pyproj.CRS
    streets: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    synthetic: bool = False
    locator: PolygonLocator | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the grids (else the incidents), WGS-84."""
        shapes = self.grids if self.grids is not None and len(self.grids) else self.incidents
        w, s, e, n = shapes.to_crs("EPSG:4326").total_bounds
        return float(w), float(s), float(e), float(n)


def prepare_incidents(
    incidents: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None,
    *,
    locator: PolygonLocator | None = None,
) -> gpd.GeoDataFrame:
    """`incidents` with a ``grid_code`` column (missing outside every grid).

    The one expensive step that does not depend on the filters (a page caches it per
    version of the two layers): :func:`gridmap.hotspots.filters.incident_grids`.
    """
    if grids is None or not len(grids) or "grid_code" in incidents.columns:
        return incidents
    codes = filters.incident_grids(incidents, grids=grids, locator=locator)
    return incidents.assign(grid_code=codes.to_numpy())


@dataclass(frozen=True)
class Selection:
    """The page's filters. ``end`` is the midnight after the last day shown.

    ``categories``/``sources`` None mean "all"; an empty tuple selects nothing (the user
    cleared the list), which :meth:`nothing_chosen` reports.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    categories: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    hours: tuple[int, int] = (0, 24)
    weekdays: tuple[int, ...] = tuple(range(7))
    area_prefix: str = ""

    def __post_init__(self) -> None:
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        if not end > start:
            msg = f"`end` ({end:%Y-%m-%d}) must come after `start` ({start:%Y-%m-%d})"
            raise ValidationError(msg)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def days(self) -> float:
        """Length of the span in days."""
        return (self.end - self.start) / pd.Timedelta(days=1)

    @property
    def period(self) -> str:
        """The span as an ISO 8601 interval of days, end inclusive."""
        last = self.end - pd.Timedelta(days=1)
        return f"{self.start:%Y-%m-%d}/{last:%Y-%m-%d}"

    def nothing_chosen(self) -> bool:
        """True when a list filter was emptied: no incident can match."""
        return (
            self.categories == ()
            or self.sources == ()
            or not self.weekdays
            or self.hours[0] == self.hours[1]
        )

    def options(self, *, start: Any = None, end: Any = None) -> dict[str, Any]:
        """Keyword arguments of :func:`~gridmap.hotspots.filters.filter_incidents`."""
        return {
            "start": self.start if start is None else start,
            "end": self.end if end is None else end,
            "categories": self.categories,
            "sources": self.sources,
            "hours": None if self.hours == (0, 24) else self.hours,
            "weekdays": None if len(set(self.weekdays)) == 7 else self.weekdays,
            "area_prefix": self.area_prefix,
        }


def select(office: StreetOffice, selection: Selection, *, history_days: float = 0) -> Any:
    """The incidents of `selection`, with `history_days` more before its start."""
    start = selection.start - pd.Timedelta(days=history_days)
    return filters.filter_incidents(
        office.incidents,
        **selection.options(start=start),
        grids=office.grids,
        locator=office.locator,
    )


def count_selected(office: StreetOffice, selection: Selection) -> int:
    """How many incidents `selection` holds."""
    return len(select(office, selection))


def _area_grids(office: StreetOffice, selection: Selection) -> gpd.GeoDataFrame | None:
    if office.grids is None:
        return None
    codes = office.grids["grid_code"].astype(str)
    return office.grids[codes.str.startswith(selection.area_prefix).to_numpy()]


# ---------------------------------------------------------------------------------------
# (1) kernel density as an image overlay


@dataclass(frozen=True)
class DensityResult:
    """A KDE raster warped to Web Mercator, ready for an image overlay."""

    n: int
    bandwidth: float  # metres, as used
    rule_bandwidth: float  # Silverman's, for the slider's "auto"
    png: bytes | None
    bounds: list[list[float]] | None
    legend: list[tuple[str, str]]  # (colour, "low – high") per class
    peak: float  # incidents per km² per week


def density(
    office: StreetOffice,
    selection: Selection,
    *,
    bandwidth: float | None = None,
    hours: tuple[int, int] | None = None,
    weekday: int | None = None,
    max_size: int = 900,
) -> DensityResult:
    """Kernel density of the selected incidents in incidents per km² per week.

    `bandwidth` None uses Silverman's rule (:func:`~gridmap.hotspots.density.silverman_bandwidth`).
    `hours`/`weekday` narrow the selection further (the hour × weekday view's chosen
    cell). Each incident weighs ``7 / days`` of the span, so the raster
    (:func:`~gridmap.hotspots.density.kde_raster`) reads per week.
    """
    chosen = select(office, selection)
    if weekday is not None:
        chosen = chosen[chosen["occurred_at"].dt.weekday.to_numpy() == weekday]
    if hours is not None:
        hour = chosen["occurred_at"].dt.hour.to_numpy()
        chosen = chosen[(hour >= hours[0]) & (hour < hours[1])]
    xy = projected_xy(chosen.geometry, pyproj.CRS(office.crs)) if len(chosen) else None
    if xy is None or len(xy) < 2:
        return DensityResult(len(chosen), math.nan, math.nan, None, None, [], 0.0)
    rule = kde.silverman_bandwidth(xy)
    weights = np.full(len(xy), DENSITY_PERIOD_DAYS / selection.days)
    raster = kde.kde_raster(xy, crs=office.crs, bandwidth=bandwidth or rule, weights=weights)
    image = overlay.to_web_mercator_image(raster, classes=5, png=True, max_size=max_size)
    breaks = [0.0, *(float(b) for b in (image.breaks if image.breaks is not None else []))]
    colours = [image.colormap.rgb_hex_str((lo + hi) / 2) for lo, hi in itertools.pairwise(breaks)]
    legend = [
        (c, f"{_number(lo)} – {_number(hi)}")
        for c, lo, hi in zip(colours, breaks[:-1], breaks[1:], strict=True)
    ]
    return DensityResult(
        n=len(xy),
        bandwidth=float(raster.bandwidth),
        rule_bandwidth=float(rule),
        png=bytes(image.image),
        bounds=[[float(v) for v in corner] for corner in image.bounds],
        legend=legend,
        peak=float(raster.values.max()),
    )


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _base_map(
    office: StreetOffice,
    *,
    lang: str,
    height: int = 600,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    area: gpd.GeoDataFrame | None = None,
    outlines: bool = True,
    credit: str | None = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    # `credit`: the workspace's (gridmap.overview.workspace_credit); a user's own data is
    # not OpenStreetMap's. OpenStreetMap's credit reads in `lang`.
    shapes = area if area is not None and len(area) else None
    bounds = (
        tuple(float(v) for v in shapes.to_crs("EPSG:4326").total_bounds)
        if shapes is not None
        else office.bounds
    )
    m = maps.make_map(
        bounds=bounds,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        attribution=t("attribution", lang) if credit == maps.OSM_ATTRIBUTION else credit,
    )
    if office.streets is not None and basemap == "vector":
        maps.add_vector_basemap(
            m, streets=office.streets, buildings=office.buildings, name=t("streets", lang)
        )
    if outlines and shapes is not None:
        maps.add_styled_features(
            m,
            shapes,
            fill=None,
            line="#555555",
            weight=1.0,
            tips=_grid_tips(shapes, lang),
            name=t("grid", lang),
        )
    return m


def _grid_tips(grids: gpd.GeoDataFrame, lang: str, rows: Sequence[tuple[str, Any]] = ()) -> list:
    names = grids["name"] if "name" in grids else grids["grid_code"]
    tips = []
    for i, (name, code) in enumerate(zip(names, grids["grid_code"], strict=True)):
        parts = [f"<b>{html.escape(str(name))}</b>", html.escape(str(code))]
        parts += [f"{html.escape(label)}: {html.escape(str(values[i]))}" for label, values in rows]
        tips.append("<br>".join(parts))
    return tips


def _note(office: StreetOffice, lang: str) -> str | None:
    return t("synthetic_short", lang) if office.synthetic else None


def density_map(
    result: DensityResult,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    opacity: float = 0.75,
    **basemap: Any,
) -> maps.OfflineMap:
    """The density raster as a Leaflet ``ImageOverlay`` with its legend."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    if result.png is not None and result.bounds is not None:
        url = "data:image/png;base64," + base64.b64encode(result.png).decode("ascii")
        folium.raster_layers.ImageOverlay(
            image=url,
            bounds=result.bounds,
            opacity=opacity,
            name=t("hs_density_layer", lang),
            interactive=False,
            zindex=2,
        ).add_to(m)
        maps.add_legend(
            m,
            title=t("hs_density_legend", lang),
            entries=result.legend,
            note=_join(
                t("hs_bandwidth_note", lang, metres=f"{result.bandwidth:.0f}"),
                _note(office, lang),
            ),
        )
    maps.layer_control(m)
    return m


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------
# (2) grids: counts, rates, change against the previous equal span


@dataclass(frozen=True)
class GridChanges:
    """Per grid: counts in the span and the one before, rate, significance (CompStat)."""

    table: pd.DataFrame  # indexed by grid_code: name, households, current, previous, ...
    has_households: bool


def grid_changes(office: StreetOffice, selection: Selection) -> GridChanges:
    """:func:`~gridmap.hotspots.warnings.change_table` of the span against the one before.

    ``rate`` is incidents per 1,000 households in the span (only when the grids record
    households).
    """
    grids = _area_grids(office, selection)
    if grids is None or not len(grids):
        return GridChanges(pd.DataFrame(), False)
    chosen = select(office, selection, history_days=selection.days)
    table = warnings.change_table(
        chosen, now=selection.end, days=selection.days, grids=grids, locator=None
    )
    info = grids.set_index(grids["grid_code"].astype(str))
    table = table.reindex(info.index)
    table.insert(0, "name", info.get("name", info.index))
    has_households = "households" in info and bool((info["households"].fillna(0) > 0).any())
    if has_households:
        hh = pd.to_numeric(info["households"], errors="coerce")
        table.insert(1, "households", hh)
        table["rate"] = np.where(hh > 0, table["current"] / hh * 1000.0, np.nan)
    return GridChanges(table.sort_values("current", ascending=False), has_households)


def grid_table(result: GridChanges, *, lang: str) -> pd.DataFrame:
    """The ranking table with headers in `lang` (grid code kept as the first column)."""
    table = result.table.reset_index()
    flag = {"up": "▲", "down": "▼", "": ""}
    table["direction"] = table["direction"].map(flag).fillna("")
    columns = {
        "grid_code": t("hs_col_grid_code", lang),
        "name": t("hs_col_name", lang),
        "current": t("hs_col_current", lang),
        "previous": t("hs_col_previous", lang),
        "change": t("hs_col_change", lang),
        "change_pct": t("hs_col_change_pct", lang),
        "rate": t("hs_col_rate", lang),
        "p_value": t("hs_col_p", lang),
        "direction": t("hs_col_significant", lang),
    }
    return table[[c for c in columns if c in table]].rename(columns=columns)


def grid_map(
    result: GridChanges,
    office: StreetOffice,
    selection: Selection,
    *,
    measure: str,
    lang: str,
    highlight: str | None = None,
    **basemap: Any,
) -> maps.OfflineMap:
    """Grids coloured by ``count``, ``rate`` or ``change``; significant changes outlined."""
    if measure not in ("count", "rate", "change"):
        msg = f"`measure` must be 'count', 'rate' or 'change'; got {measure!r}"
        raise ValidationError(msg)
    grids = _area_grids(office, selection)
    m = _base_map(office, lang=lang, area=grids, outlines=False, **basemap)
    if grids is None or not len(result.table):
        maps.layer_control(m)
        return m
    table = result.table.reindex(grids["grid_code"].astype(str))
    shown = grids.assign(
        current=table["current"].to_numpy(),
        previous=table["previous"].to_numpy(),
        change=table["change"].to_numpy(),
        rate=table["rate"].to_numpy() if "rate" in table else np.nan,
    )
    column = {"count": "current", "rate": "rate", "change": "change"}[measure]
    if measure == "rate" and not result.has_households:
        column = "current"
    title = t(f"hs_measure_{measure}", lang)
    maps.add_choropleth(
        m,
        shown,
        value_column=column,
        title=title,
        label_column="name" if "name" in shown else None,
        tooltip_columns={
            "grid_code": t("hs_col_grid_code", lang),
            "current": t("hs_col_current", lang),
            "previous": t("hs_col_previous", lang),
        },
        id_column="grid_code",
        colors=["#2166ac", "#67a9cf", "#f7f7f7", "#ef8a62", "#b2182b"]
        if measure == "change"
        else None,
        scheme="equal" if measure == "change" else "quantiles",
        name=t("grid", lang),
        note=_note(office, lang),
    )
    significant = table["significant"].fillna(False).to_numpy(dtype=bool)
    if significant.any():
        up = (table["direction"] == "up").to_numpy()[significant]
        maps.add_styled_features(
            m,
            shown[significant],
            fill=None,
            line=["#b2182b" if u else "#2166ac" for u in up],
            weight=3.5,
            name=t("hs_significant_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("hs_significant_layer", lang),
            entries=[("#b2182b", t("hs_sig_up", lang)), ("#2166ac", t("hs_sig_down", lang))],
            position="bottomleft",
            shape="line",
        )
    _highlight(m, grids, highlight, lang)
    maps.layer_control(m)
    return m


def _highlight(m: Any, grids: gpd.GeoDataFrame | None, codes: Any, lang: str) -> None:
    if grids is None or codes is None:
        return
    wanted = {codes} if isinstance(codes, str) else set(map(str, codes))
    picked = grids[grids["grid_code"].astype(str).isin(wanted).to_numpy()]
    if len(picked):
        maps.add_styled_features(
            m, picked, fill=None, line=HIGHLIGHT_COLOUR, weight=5, name=t("hs_highlight", lang)
        )


# ---------------------------------------------------------------------------------------
# (3) Gi* hot spots and (9) forecast accuracy beside them


@dataclass(frozen=True)
class GiResult:
    """Gi* cells (only those with incidents or significance, for the map) and PAI."""

    cells: gpd.GeoDataFrame
    cell_size: float
    shape: str
    counts: dict[int, int]  # cells per Gi* class
    accuracy: forecast.ForecastAccuracy | None
    accuracy_error: str | None = None


def _cell_options(office: StreetOffice, selection: Selection, cell_size: Any, shape: str) -> dict:
    area = _area_grids(office, selection)
    return {
        "cell_size": cell_size,
        "shape": shape,
        "study_area": area if area is not None and len(area) else None,
    }


def gi_hotspots(
    office: StreetOffice,
    selection: Selection,
    *,
    cell_size: float | None = None,
    shape: str = "square",
    area_share: float = 0.05,
) -> GiResult | None:
    """Gi* hot spots (:func:`~gridmap.hotspots.local_stats.gi_star_hotspots`, FDR) of
    the selection, and how well each week's hot spots predicted the next
    (:func:`~gridmap.hotspots.forecast.forecast_accuracy`) on the same cells.

    None when there are too few incidents to analyse.
    """
    chosen = select(office, selection)
    if len(chosen) < 3:
        return None
    options = _cell_options(office, selection, cell_size, shape)
    cells = local_stats.gi_star_hotspots(chosen, crs=office.crs, fdr=True, **options)
    size = float(cells.attrs["cell_size"])
    accuracy: forecast.ForecastAccuracy | None = None
    error = None
    try:
        accuracy = forecast.forecast_accuracy(
            chosen,
            crs=office.crs,
            area_share=area_share,
            start=selection.start,
            end=selection.end,
            **{**options, "cell_size": size},
        )
    except ValidationError as exc:  # fewer weeks than the look-back needs
        error = str(exc)
    counts = {int(k): int(v) for k, v in cells["gi_class"].value_counts().items()}
    shown = cells[(cells["count"] > 0) | (cells["gi_class"] != 0)]
    return GiResult(shown, size, shape, counts, accuracy, error)


def gi_map(
    result: GiResult, office: StreetOffice, selection: Selection, *, lang: str, **basemap: Any
) -> maps.OfflineMap:
    """Gi* cells coloured by confidence class, with Esri's seven-class legend."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    cells = result.cells
    significant = cells[cells["gi_class"] != 0]
    if len(significant):
        classes = significant["gi_class"].astype(int)
        maps.add_styled_features(
            m,
            significant,
            fill=[GI_COLOURS[c] for c in classes],
            line="#ffffff",
            weight=0.5,
            fill_opacity=0.75,
            tips=[
                f"{html.escape(t(f'hs_gi_{c}', lang))}<br>"
                f"{html.escape(t('incidents', lang))}: {n}<br>z = {z:.2f}"
                for c, n, z in zip(classes, significant["count"], significant["gi_z"], strict=True)
            ],
            keys=significant.index.astype(str),
            name=t("hs_gi_layer", lang),
        )
    entries = [(GI_COLOURS[c], t(f"hs_gi_{c}", lang)) for c in (3, 2, 1, 0, -1, -2, -3)]
    maps.add_legend(
        m,
        title=t("hs_gi_legend", lang, size=f"{result.cell_size:.0f}"),
        entries=entries,
        note=_note(office, lang),
    )
    maps.layer_control(m)
    return m


# ---------------------------------------------------------------------------------------
# (4) emerging hot spots


@dataclass(frozen=True)
class EmergingResult:
    cells: gpd.GeoDataFrame  # cells with a pattern other than "no pattern"
    counts: pd.Series  # cells per pattern (patterns present)
    weeks: int
    cell_size: float


def emerging(
    office: StreetOffice,
    selection: Selection,
    *,
    cell_size: float | None = None,
    shape: str = "square",
) -> EmergingResult | None:
    """Esri's emerging hot spot classes over the weeks of the span
    (:func:`~gridmap.hotspots.trends.emerging_hotspots`). None with fewer than 3 weeks."""
    chosen = select(office, selection)
    if selection.days < 21 or len(chosen) < 3:
        return None
    options = _cell_options(office, selection, cell_size, shape)
    cells = trends.emerging_hotspots(
        chosen, crs=office.crs, start=selection.start, end=selection.end, **options
    )
    counts = cells["pattern"].value_counts()
    counts = counts[counts > 0]
    return EmergingResult(
        cells[cells["pattern"] != "no pattern"],
        counts,
        len(cells.attrs.get("week_starts", [])),
        float(cells.attrs.get("cell_size", math.nan)),
    )


def emerging_map(
    result: EmergingResult,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """Cells coloured by emerging pattern; the legend lists the patterns present."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    cells = result.cells
    if len(cells):
        patterns = cells["pattern"].astype(str)
        maps.add_styled_features(
            m,
            cells,
            fill=[PATTERN_COLOURS.get(p, "#999999") for p in patterns],
            line="#ffffff",
            weight=0.5,
            fill_opacity=0.8,
            tips=[
                f"{html.escape(pattern_label(p, lang))}<br>{html.escape(t('incidents', lang))}: {n}"
                for p, n in zip(patterns, cells["count"], strict=True)
            ],
            keys=cells.index.astype(str),
            name=t("hs_emerging_layer", lang),
        )
    present = [p for p in PATTERN_COLOURS if p in set(cells["pattern"])]
    maps.add_legend(
        m,
        title=t("hs_emerging_legend", lang, weeks=result.weeks),
        entries=[(PATTERN_COLOURS[p], pattern_label(p, lang)) for p in present]
        or [("#f7f7f7", pattern_label("no pattern", lang))],
        note=_note(office, lang),
    )
    maps.layer_control(m)
    return m


def pattern_label(pattern: str, lang: str) -> str:
    """An emerging pattern ("new hot spot") in `lang`."""
    return t("hs_pattern_" + pattern.replace(" ", "_"), lang)


# ---------------------------------------------------------------------------------------
# (5) hour × weekday


def hour_weekday(
    office: StreetOffice, selection: Selection, *, category: str | None, lang: str
) -> tuple[pd.DataFrame, Figure] | None:
    """The aoristic hour × weekday matrix (:func:`~gridmap.hotspots.temporal.hour_weekday_matrix`)
    of the selection (one category, or all chosen) and its chart. None when empty."""
    chosen = select(office, selection)
    if category is not None:
        chosen = chosen[chosen["category"].astype(str) == category]
    if not len(chosen):
        return None
    matrix = temporal.hour_weekday_matrix(chosen, aoristic=True)
    label = warnings.category_label(category, lang) if category else t("all", lang)
    figure = temporal.plot_hour_weekday(
        matrix, lang=lang, title=t("hs_time_title", lang, category=label)
    )
    return matrix, figure


# ---------------------------------------------------------------------------------------
# (6) repeats and Knox


def repeat_places(
    office: StreetOffice, selection: Selection, *, tolerance: float = 10.0
) -> gpd.GeoDataFrame:
    """Places with repeated incidents (:func:`~gridmap.hotspots.repeats.repeat_locations`),
    the :data:`MAX_REPEAT_PLACES` busiest."""
    chosen = select(office, selection)
    if len(chosen) < 2:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    places = repeats.repeat_locations(chosen, tolerance=tolerance)
    return places.head(MAX_REPEAT_PLACES)


def repeats_table(places: gpd.GeoDataFrame, *, lang: str) -> pd.DataFrame:
    """The repeats list with headers in `lang`."""
    if not len(places):
        return pd.DataFrame()
    return pd.DataFrame(
        {
            t("hs_col_count", lang): places["count"].to_numpy(),
            t("hs_col_top_category", lang): [
                warnings.category_label(c, lang) for c in places["top_category"]
            ]
            if "top_category" in places
            else "",
            t("hs_col_first", lang): places["first"].to_numpy(),
            t("hs_col_last", lang): places["last"].to_numpy(),
        }
    )


def repeats_map(
    places: gpd.GeoDataFrame,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """Repeat places as circles, darker with more incidents."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    if len(places):
        shown = places.assign(
            label=[warnings.category_label(c, lang) for c in places["top_category"]]
        )
        maps.add_points(
            m,
            shown,
            label_column="label",
            color="#bd0026",
            radius=5,
            tooltip_columns={"count": t("hs_col_count", lang)},
            name=t("hs_repeats_layer", lang),
        )
    maps.layer_control(m)
    return m


def knox(
    office: StreetOffice,
    selection: Selection,
    *,
    category: str,
    permutations: int = 99,
    max_pairs: int = 5_000_000,
) -> repeats.KnoxResult:
    """Knox near-repeat test (:func:`~gridmap.hotspots.repeats.knox_test`) of one category.

    Raises the library's :class:`~gridmap.ValidationError` when more than `max_pairs`
    pairs would be compared (the page shows its message).
    """
    chosen = select(office, selection)
    chosen = chosen[chosen["category"].astype(str) == category]
    return repeats.knox_test(chosen, permutations=permutations, seed=0, max_pairs=max_pairs)


# ---------------------------------------------------------------------------------------
# (7) street-segment concentration


@dataclass(frozen=True)
class ConcentrationResult:
    summary: pd.Series
    counts: pd.Series
    segments: gpd.GeoDataFrame  # the busiest segments holding half the incidents


def street_concentration(
    office: StreetOffice, selection: Selection, *, network: str | None = None
) -> ConcentrationResult | None:
    """Incidents per street segment (:func:`~gridmap.hotspots.concentration.segment_counts`)
    and Weisburd's shares. `network` picks ``walk``/``drive`` when the layer has both."""
    if office.streets is None or not len(office.streets):
        return None
    streets = office.streets
    if network is not None and "network" in streets:
        streets = streets[streets["network"] == network]
    chosen = select(office, selection)
    if not len(chosen) or not len(streets):
        return None
    counts = concentration.segment_counts(chosen, streets)
    summary = concentration.concentration_summary(counts)
    top = counts.sort_values(ascending=False)
    top = top[top.cumsum() <= max(top.sum() / 2, top.iloc[0])]
    top = top[top > 0].head(maps.MAX_BROWSER_FEATURES // 10)
    segments = streets.loc[top.index].assign(incidents=top.to_numpy())
    return ConcentrationResult(summary, counts, segments)


def concentration_figure(
    office: StreetOffice, selection: Selection, *, network: str | None = None, lang: str
) -> Figure | None:
    """The concentration curve (:func:`~gridmap.hotspots.concentration.plot_concentration`)."""
    result = street_concentration(office, selection, network=network)
    return None if result is None else concentration.plot_concentration(result.counts, lang=lang)


def concentration_map(
    result: ConcentrationResult,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """The segments that hold half the incidents, drawn thick and red."""
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    segments = result.segments
    if len(segments):
        drawn = segments[["incidents", "geometry"]]
        drawn = drawn[~(drawn.geometry.isna() | drawn.geometry.is_empty)]
        maps.add_styled_features(
            m,
            drawn,
            line="#d7301f",
            weight=4.0,
            tips=[f"{html.escape(t('incidents', lang))}: {n}" for n in drawn["incidents"]],
            name=t("hs_segments_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("hs_segments_layer", lang),
            entries=[("#d7301f", t("hs_segments_entry", lang, n=len(segments)))],
            shape="line",
            note=_note(office, lang),
        )
    maps.layer_control(m)
    return m


# ---------------------------------------------------------------------------------------
# (8) early warnings and (10) citizen requests


def warning_list(office: StreetOffice, selection: Selection) -> pd.DataFrame:
    """Early warnings (:func:`~gridmap.hotspots.warnings.early_warnings`) for the last
    window of the span against the 8 windows before it, per category."""
    if office.grids is None:
        return pd.DataFrame()
    chosen = select(
        office, selection, history_days=max(filters.BASELINE_DAYS - selection.days, 0) + 1
    )
    return warnings.early_warnings(chosen, now=selection.end, grids=office.grids)


def warnings_table(table: pd.DataFrame, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """The warnings with level, grid name and reason in `lang`."""
    if not len(table):
        return pd.DataFrame()
    names = {}
    if office.grids is not None and "name" in office.grids:
        names = dict(zip(office.grids["grid_code"].astype(str), office.grids["name"], strict=True))
    return pd.DataFrame(
        {
            t("hs_col_level", lang): [
                warnings.LEVEL_LABELS[str(v)][0 if lang == "zh" else 1] for v in table["level"]
            ],
            t("hs_col_grid_code", lang): table["grid_code"].astype(str).to_numpy(),
            t("hs_col_name", lang): [names.get(str(c), "") for c in table["grid_code"]],
            t("hs_col_reason", lang): table["reason_zh" if lang == "zh" else "reason_en"],
            t("hs_col_observed", lang): table["observed"].to_numpy(),
            t("hs_col_expected", lang): table["expected"].round(1).to_numpy(),
        }
    )


def warnings_map(
    table: pd.DataFrame,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    highlight: str | None = None,
    **basemap: Any,
) -> maps.OfflineMap:
    """Grids with warnings filled in their (most severe) level's colour."""
    grids = _area_grids(office, selection)
    m = _base_map(office, lang=lang, area=grids, **basemap)
    if grids is not None and len(table):
        order = {"red": 0, "orange": 1, "yellow": 2}
        worst = (
            table.assign(rank=table["level"].map(order))
            .sort_values("rank")
            .drop_duplicates("grid_code")
            .set_index("grid_code")
        )
        reasons = table.groupby("grid_code")["reason_zh" if lang == "zh" else "reason_en"].agg(
            lambda r: "; ".join(map(str, r))
        )
        warned = grids[grids["grid_code"].astype(str).isin(worst.index).to_numpy()]
        codes = warned["grid_code"].astype(str)
        maps.add_styled_features(
            m,
            warned,
            fill=[LEVEL_COLOURS[worst.loc[c, "level"]] for c in codes],
            line="#7f0000",
            weight=2,
            fill_opacity=0.6,
            tips=_grid_tips(warned, lang, [(t("hs_col_reason", lang), list(reasons.loc[codes]))]),
            keys=codes,
            name=t("hs_warnings_layer", lang),
        )
        maps.add_legend(
            m,
            title=t("hs_warnings_layer", lang),
            entries=[
                (LEVEL_COLOURS[k], warnings.LEVEL_LABELS[k][0 if lang == "zh" else 1])
                for k in ("red", "orange", "yellow")
            ],
            note=_note(office, lang),
        )
    _highlight(m, grids, highlight, lang)
    maps.layer_control(m)
    return m


@dataclass(frozen=True)
class RequestDeadlines:
    by_grid: pd.DataFrame
    overdue: pd.DataFrame
    requests: int
    extra: dict[str, Any] = field(default_factory=dict)


def request_deadlines(office: StreetOffice, selection: Selection) -> RequestDeadlines:
    """Citizen requests received in the span, judged as of its end
    (:func:`~gridmap.hotspots.requests.request_sla`, ``sla_by_grid``, ``overdue_requests``)."""
    chosen = select(office, selection)
    table = requests.request_sla(chosen, as_of=selection.end, grids=office.grids)
    return RequestDeadlines(
        requests.sla_by_grid(table), requests.overdue_requests(table), len(table)
    )


def sla_table(result: RequestDeadlines, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """Rates per grid with headers in `lang` (rates in %)."""
    table = result.by_grid.copy()
    for column in ("closure_rate", "on_time_rate", "callback_rate"):
        table[column] = table[column] * 100.0
    columns = {
        "grid_code": t("hs_col_grid_code", lang),
        "requests": t("hs_col_requests", lang),
        "closed": t("hs_col_closed", lang),
        "closure_rate": t("hs_col_closure_rate", lang),
        "on_time_rate": t("hs_col_on_time_rate", lang),
        "overdue": t("hs_col_overdue", lang),
        "callback_rate": t("hs_col_callback_rate", lang),
    }
    return table.reset_index()[list(columns)].rename(columns=columns)


def overdue_table(result: RequestDeadlines, office: StreetOffice, *, lang: str) -> pd.DataFrame:
    """The overdue requests, longest first, with headers in `lang`."""
    overdue = result.overdue
    if not len(overdue):
        return pd.DataFrame()
    incidents = office.incidents.loc[overdue.index]
    return pd.DataFrame(
        {
            t("hs_col_incident", lang): incidents["incident_id"].astype(str).to_numpy(),
            t("hs_col_grid_code", lang): overdue.get("grid_code", pd.Series(index=overdue.index))
            .astype(str)
            .to_numpy(),
            t("hs_col_category", lang): [
                warnings.category_label(c, lang) for c in incidents["category"]
            ],
            t("hs_col_received", lang): overdue["received_at"].to_numpy(),
            t("hs_col_deadline", lang): overdue["deadline"].to_numpy(),
            t("hs_col_hours_overdue", lang): overdue["hours_overdue"].round(1).to_numpy(),
        }
    )


def requests_map(
    result: RequestDeadlines,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    **basemap: Any,
) -> maps.OfflineMap:
    """Grids coloured by overdue requests; overdue requests as red points."""
    grids = _area_grids(office, selection)
    m = _base_map(office, lang=lang, area=grids, outlines=False, **basemap)
    if grids is not None and len(grids):
        by_grid = result.by_grid.reindex(grids["grid_code"].astype(str))
        shown = grids.assign(
            overdue=by_grid["overdue"].fillna(0).to_numpy(),
            requests=by_grid["requests"].fillna(0).to_numpy(),
            on_time=(by_grid["on_time_rate"] * 100).round(0).to_numpy(),
        )
        maps.add_choropleth(
            m,
            shown,
            value_column="overdue",
            title=t("hs_col_overdue", lang),
            label_column="name" if "name" in shown else None,
            tooltip_columns={
                "requests": t("hs_col_requests", lang),
                "on_time": t("hs_col_on_time_rate", lang),
            },
            id_column="grid_code",
            name=t("grid", lang),
            note=_note(office, lang),
        )
    if len(result.overdue):
        points = office.incidents.loc[result.overdue.index].head(maps.MAX_BROWSER_FEATURES)
        points = points.assign(
            hours=result.overdue["hours_overdue"].round(1).to_numpy()[: len(points)],
            label=[warnings.category_label(c, lang) for c in points["category"]],
        )
        maps.add_points(
            m,
            points[["label", "hours", "geometry"]],
            label_column="label",
            color="#d7191c",
            radius=5,
            tooltip_columns={"hours": t("hs_col_hours_overdue", lang)},
            name=t("hs_overdue_layer", lang),
        )
    maps.layer_control(m)
    return m


# ---------------------------------------------------------------------------------------
# (11) weekly report and (12) the hand-off


def report_source(office: StreetOffice, selection: Selection) -> dict[str, Any]:
    """The layers :func:`~gridmap.hotspots.report.weekly_report` reads, filtered like the
    page except for the span (the report takes its weeks and baseline itself)."""
    chosen = filters.filter_incidents(
        office.incidents,
        **{**selection.options(), "start": None, "end": None},
        grids=office.grids,
        locator=office.locator,
    )
    source = {"incidents": chosen, "grids": _area_grids(office, selection)}
    if office.streets is not None:
        source["streets"] = office.streets
    return source


def report_zip(workbook: Any) -> bytes:
    """The workbook and its ``<stem>_maps/`` PNGs as one zip, for a download button."""
    import zipfile
    from pathlib import Path

    path = Path(workbook)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
        folder = path.with_name(f"{path.stem}_maps")
        for png in sorted(folder.glob("*.png")) if folder.is_dir() else []:
            archive.write(png, f"{folder.name}/{png.name}")
    return buffer.getvalue()


def handoff_features(
    office: StreetOffice,
    selection: Selection,
    *,
    cell_size: float | None = None,
    shape: str = "square",
    include_emerging: bool = True,
) -> gpd.GeoDataFrame:
    """The ``hotspots`` layer for the selection: Gi* hot cells, emerging hot spots and
    warning grids (:func:`gridmap.hotspots.handoff.hotspot_features`)."""
    if selection.nothing_chosen():
        return hotspot_features(period=selection.period)
    gi = gi_hotspots(office, selection, cell_size=cell_size, shape=shape)
    trend = (
        emerging(office, selection, cell_size=gi.cell_size if gi else cell_size, shape=shape)
        if include_emerging
        else None
    )
    category = (
        selection.categories[0]
        if selection.categories is not None and len(selection.categories) == 1
        else "all"
    )
    return hotspot_features(
        period=selection.period,
        category=category,
        gi_cells=gi.cells if gi else None,
        emerging=trend.cells if trend else None,
        warnings=warning_list(office, selection),
        grids=office.grids,
    )


def forecast_figures(accuracy: forecast.ForecastAccuracy | None) -> Mapping[str, float]:
    """Mean PAI and hit rate (NaN when not computed)."""
    if accuracy is None:
        return {"pai": math.nan, "hit_rate": math.nan, "weeks": 0}
    return {
        "pai": float(accuracy.pai),
        "hit_rate": float(accuracy.hit_rate),
        "weeks": len(accuracy.weekly),
    }
