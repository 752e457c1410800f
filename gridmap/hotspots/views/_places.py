"""Where incidents concentrate: density (1), grid changes (2), Gi* with forecast accuracy
(3, 9), emerging hot spots (4)."""

from __future__ import annotations

import base64
import html
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.hotspots import density as kde
from gridmap.hotspots import (
    density_store,
    forecast,
    local_stats,
    overlay,
    trends,
    warnings,
)
from gridmap.hotspots._cells import projected_xy
from gridmap.hotspots.views._base import (
    DENSITY_PERIOD_DAYS,
    GI_COLOURS,
    PATTERN_COLOURS,
    Selection,
    StreetOffice,
    _area_grids,
    _base_map,
    _highlight,
    _join,
    _note,
    _number,
    select,
)
from gridmap.i18n import t
from gridmap.store._base import bin_counts, spread_of

# ---------------------------------------------------------------------------------------
# (1) kernel density as an image overlay


#: Raster cells across the shown area (street, community or grid): finer than the
#: image's pixels at the map's fitted zoom, so no cell shows as a step.
CELLS_ACROSS = 512
#: Finest cell as a share of the bandwidth (a kernel 8 × 32 = 256 cells wide at most).
MAX_CELLS_PER_BANDWIDTH = 32


class DensityImage(NamedTuple):
    """A density raster coloured for Leaflet: PNG bytes, corners and legend entries."""

    png: bytes
    bounds: list[list[float]]  # [[south, west], [north, east]] in the basemap's system
    legend: list[tuple[str, str]]  # (colour, "low – high") per class


@dataclass(frozen=True)
class DensityResult:
    """A KDE raster in the workspace's metric CRS, and the figures the page shows.

    The raster is warped for Leaflet when drawn (:meth:`image`), because where it lands
    depends on the basemap: WGS-84 tiles or the offline vector basemap, or GCJ-02 tiles
    (Amap), which need the overlay shifted like every vector layer.
    """

    n: int
    bandwidth: float  # metres, as used
    rule_bandwidth: float  # Silverman's, for the slider's "auto"
    raster: kde.DensityRaster | None
    peak: float  # incidents per km² per week
    max_size: int = 900
    area: Any = None  # the chosen area's outline in the raster's CRS; None: no grids

    def image(self, *, shift: str | None = None) -> DensityImage | None:
        """The raster warped to Web Mercator in five quantile classes; None when empty.

        Outside the chosen area (:attr:`area`) the image is transparent: the kernel spills
        density over the area's edge where no incident was counted.

        `shift` is the basemap's system (a map's ``gridmap_shift``: None or ``"gcj02"``;
        :func:`gridmap.hotspots.overlay.to_web_mercator_image`).
        """
        if self.raster is None:
            return None
        image = overlay.to_web_mercator_image(
            self.raster, classes=5, png=True, max_size=self.max_size, shift=shift, mask=self.area
        )
        breaks = [0.0, *(float(b) for b in (image.breaks if image.breaks is not None else []))]
        colours = [
            image.colormap.rgb_hex_str((lo + hi) / 2) for lo, hi in itertools.pairwise(breaks)
        ]
        legend = [
            (c, f"{_number(lo)} – {_number(hi)}")
            for c, lo, hi in zip(colours, breaks[:-1], breaks[1:], strict=True)
        ]
        return DensityImage(
            bytes(image.image), [[float(v) for v in corner] for corner in image.bounds], legend
        )


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

    With grids, the raster covers the chosen area (street, community or grid) only, its
    cells sized from the area (:func:`area_cell_size`, about :data:`CELLS_ACROSS` across
    it) so that a community is as smooth as a street; the result keeps the area's outline
    to mask the image. Incidents outside the area are filtered already, so densities
    inside equal those of a raster over the whole street.
    """
    chosen = select(office, selection)
    if weekday is not None:
        chosen = chosen[chosen["occurred_at"].dt.weekday.to_numpy() == weekday]
    if hours is not None:
        hour = chosen["occurred_at"].dt.hour.to_numpy()
        chosen = chosen[(hour >= hours[0]) & (hour < hours[1])]
    xy = projected_xy(chosen.geometry, pyproj.CRS(office.crs)) if len(chosen) else None
    if xy is None or len(xy) < 2:
        return DensityResult(len(chosen), math.nan, math.nan, None, 0.0, max_size)

    def counts(cell: float) -> pd.DataFrame:
        # floor(x / cell), as the PostGIS store bins in the database
        return bin_counts(
            np.floor(xy[:, 0] / cell).astype(np.int64), np.floor(xy[:, 1] / cell).astype(np.int64)
        )

    return density_from_counts(
        spread_of(xy[:, 0], xy[:, 1]),
        counts,
        grids=_area_grids(office, selection),
        crs=office.crs,
        days=selection.days,
        bandwidth=bandwidth,
        max_size=max_size,
    )


def density_from_counts(
    stats: dict[str, float],
    counts: Callable[[float], pd.DataFrame],
    *,
    grids: gpd.GeoDataFrame | None,
    crs: Any,
    days: float,
    bandwidth: float | None = None,
    max_size: int = 900,
) -> DensityResult:
    """:func:`density`'s result from the selected points' spread and cell counts.

    Shared by the row path (:func:`density`: numpy) and the store path
    (:func:`gridmap.hotspots.views.store_density`: the database), so both draw the same
    raster: Silverman's rule from `stats`
    (:meth:`~gridmap.store.WorkspaceStore.point_statistics`), the cell from the area, the
    extent on whole cells (:func:`~gridmap.hotspots.density_store.raster_box`), then
    ``counts(cell)`` (``ix``, ``iy``, ``count`` of ``floor(x / cell)``) smoothed, each
    incident weighing ``7 / days``.
    """
    rule = density_store.silverman_from_statistics(stats)
    used = bandwidth or rule
    outline, area_box = None, None
    if grids is not None and len(grids):
        outline = shapely.union_all(grids.to_crs(crs).geometry.to_numpy())
        area_box = outline.bounds
        width = max(area_box[2], stats["max_x"]) - min(area_box[0], stats["min_x"])
        height = max(area_box[3], stats["max_y"]) - min(area_box[1], stats["min_y"])
        cell = area_cell_size(max(width, height), used)
    else:  # as kde_raster picks it for the points' padded extent
        longer = max(stats["max_x"] - stats["min_x"], stats["max_y"] - stats["min_y"])
        longer += 2 * kde.TRUNCATE * used
        cell = max(used / kde.DEFAULT_CELLS_PER_BANDWIDTH, longer / (kde.MAX_RASTER_SIDE - 2))
    box = density_store.raster_box(stats, cell=cell, bandwidth=used, area=area_box)
    raster = density_store.raster_from_counts(
        counts(cell), box, cell=cell, bandwidth=used, crs=crs, weight=DENSITY_PERIOD_DAYS / days
    )
    return DensityResult(
        n=int(stats["n"]),
        bandwidth=float(raster.bandwidth),
        rule_bandwidth=float(rule),
        raster=raster,
        peak=float(raster.values.max()),
        max_size=max_size,
        area=outline,
    )


def area_cell_size(extent: float, bandwidth: float) -> float:
    """Raster cell side for a density shown over `extent` metres, in metres.

    About :data:`CELLS_ACROSS` cells across what is shown (so a community is drawn as
    finely as a street), never coarser than ``bandwidth / DEFAULT_CELLS_PER_BANDWIDTH``
    (the library's accuracy default) and never finer than ``bandwidth /``
    :data:`MAX_CELLS_PER_BANDWIDTH` (the Gaussian filter's cost grows with the kernel's
    width in cells; the density does not change within a fraction of the bandwidth).
    """
    extent = float(extent)
    finest = bandwidth / MAX_CELLS_PER_BANDWIDTH
    coarsest = bandwidth / kde.DEFAULT_CELLS_PER_BANDWIDTH
    wanted = extent / CELLS_ACROSS if extent > 0 else coarsest
    return float(min(coarsest, max(finest, wanted)))


def density_map(
    result: DensityResult,
    office: StreetOffice,
    selection: Selection,
    *,
    lang: str,
    opacity: float = 0.75,
    **basemap: Any,
) -> maps.OfflineMap:
    """The density raster as a Leaflet ``ImageOverlay`` with its legend.

    On a GCJ-02 basemap (``basemap="amap"``) the image is warped into GCJ-02, so the
    density lies on the tiles' streets as the grids and points do.
    """
    m = _base_map(office, lang=lang, area=_area_grids(office, selection), **basemap)
    image = result.image(shift=getattr(m, "gridmap_shift", None))
    if image is not None:
        url = "data:image/png;base64," + base64.b64encode(image.png).decode("ascii")
        folium.raster_layers.ImageOverlay(
            image=url,
            bounds=image.bounds,
            opacity=opacity,
            name=t("hs_density_layer", lang),
            interactive=False,
            zindex=2,
        ).add_to(m)
        maps.add_legend(
            m,
            title=t("hs_density_legend", lang),
            entries=image.legend,
            note=_join(
                t("hs_bandwidth_note", lang, metres=f"{result.bandwidth:.0f}"),
                _note(office, lang),
            ),
        )
    maps.layer_control(m)
    return m


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
    # the points' metres once (the forecast's cube reads them again with the times)
    xy = projected_xy(chosen, pyproj.CRS(office.crs))
    cells = local_stats.gi_star_hotspots(xy, crs=office.crs, fdr=True, **options)
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
