"""The street office's views: the workspace, the filters and the shared basemap."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from gridmap import maps
from gridmap._errors import ValidationError
from gridmap.hotspots import filters
from gridmap.i18n import t
from gridmap.stats import PolygonLocator

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
#: Incident sources known by name (as written in data, lower case) -> their text key. 110
#: police, 122 traffic police, 12345 the government service hotline (政务服务便民热线),
#: grid workers' own reports (网格员上报).
SOURCE_TEXT_KEYS: dict[str, str] = {
    "110": "hs_source_110",
    "110报警": "hs_source_110",
    "122": "hs_source_122",
    "122报警": "hs_source_122",
    "12345": "hs_source_12345",
    "12345热线": "hs_source_12345",
    "12345 hotline": "hs_source_12345",
    "网格员": "hs_source_grid_worker",
    "网格员上报": "hs_source_grid_worker",
    "grid worker": "hs_source_grid_worker",
    "grid_worker": "hs_source_grid_worker",
}
#: Pixels per row of a Streamlit table (its default row height), and of the header.
TABLE_ROW_PX = 35


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
        if shapes.crs is None or pyproj.CRS(shapes.crs).is_geographic:
            w, s, e, n = shapes.total_bounds
        else:  # a million projected points: transform their box, not every point
            to_wgs84 = pyproj.Transformer.from_crs(shapes.crs, "EPSG:4326", always_xy=True)
            w, s, e, n = to_wgs84.transform_bounds(*shapes.total_bounds, densify_pts=21)
        return float(w), float(s), float(e), float(n)


def prepare_incidents(
    incidents: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None,
    *,
    locator: PolygonLocator | None = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """`incidents` ready for every view: located in grids, projected, quick to filter.

    The one expensive step that does not depend on the filters (a page caches it per
    version of the layers), so that a refresh after a filter change never repeats it:

    * a ``grid_code`` column (missing outside every grid;
      :func:`gridmap.hotspots.filters.incident_grids`), unless there is one already;
    * points in `crs` (the workspace's metric CRS) when given: the views' densities,
      cells and trends read metres without projecting a million points each time;
    * text columns as Python objects: selecting rows of Arrow-backed strings copies every
      string (about 0.5 s per column for a million rows), of object columns only pointers.

    Parameters
    ----------
    incidents : GeoDataFrame
        The incidents layer, any CRS.
    grids : GeoDataFrame or None
        The grids layer, to locate incidents in.
    locator : PolygonLocator, optional
        Built from `grids`, to reuse.
    crs : pyproj.CRS or str, optional
        The CRS to hold the points in (the workspace's working CRS).

    Returns
    -------
    GeoDataFrame
        A new frame; `incidents` is not changed.
    """
    out = incidents
    if grids is not None and len(grids) and "grid_code" not in incidents.columns:
        codes = filters.incident_grids(incidents, grids=grids, locator=locator)
        out = out.assign(grid_code=codes.to_numpy())
    text = [
        c
        for c in out.columns
        if c != out.geometry.name
        and (pd.api.types.is_string_dtype(out[c]) and out[c].dtype != object)
    ]
    if text:
        out = out.astype(dict.fromkeys(text, object))
    if crs is not None and out.crs is not None and pyproj.CRS(crs) != pyproj.CRS(out.crs):
        out = out.to_crs(crs)
    return out


@dataclass(frozen=True)
class Selection:
    """The page's filters. ``end`` is the midnight after the last day shown.

    ``hours`` is ``(from, to)``, whole hours 0-24, ``from <= hour < to``; ``from > to``
    wraps past midnight (``(22, 2)``: a night shift, 22:00-01:59), as
    :func:`~gridmap.hotspots.filters.filter_incidents` reads it. :func:`hour_span` turns
    the page's two hour pickers into it.

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
        low, high = self.hours
        if not (0 <= low <= 24 and 0 <= high <= 24) or (low, high) == (24, 0):
            msg = f"`hours` must be a (from, to) pair of whole hours 0-24; got {self.hours!r}"
            raise ValidationError(msg)
        object.__setattr__(self, "hours", (int(low) % 24, int(high) if high else 24))
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

    @property
    def wraps_midnight(self) -> bool:
        """True when the hours run past midnight (``(22, 2)``)."""
        return self.hours[0] > self.hours[1]

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


def hour_span(start: int, end: int) -> tuple[int, int]:
    """The :attr:`Selection.hours` of "from `start` o'clock to `end` o'clock".

    `end` before `start` runs past midnight (22 to 2: 22:00-01:59); `end` equal to
    `start` is the whole day (from that hour round to it again).

    >>> hour_span(22, 2), hour_span(8, 18), hour_span(6, 6), hour_span(0, 24)
    ((22, 2), (8, 18), (0, 24), (0, 24))
    """
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24:
            msg = f"`{name}` must be a whole hour from 0 to 24; got {value!r}"
            raise ValidationError(msg)
    start, end = start % 24, end % 24
    return (0, 24) if start == end else (start, end or 24)


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


def source_label(source: Any, lang: str) -> str:
    """An incident source as the user reads it in `lang` (``"网格员"`` → "Grid worker").

    Sources not in :data:`SOURCE_TEXT_KEYS` are shown as written in the data.
    """
    written = str(source)
    key = SOURCE_TEXT_KEYS.get(written.strip().lower())
    return t(key, lang) if key else written


def table_height(rows: int, *, most: int = 380) -> int:
    """Pixels for a Streamlit table of `rows` rows: all of them, with no empty rows below,
    up to `most` (then it scrolls)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        msg = f"`rows` must be a non-negative integer; got {rows!r}"
        raise ValidationError(msg)
    return min(most, TABLE_ROW_PX * (rows + 1) + 3)


def _area_grids(office: StreetOffice, selection: Selection) -> gpd.GeoDataFrame | None:
    if office.grids is None:
        return None
    codes = office.grids["grid_code"].astype(str)
    return office.grids[codes.str.startswith(selection.area_prefix).to_numpy()]


# ---------------------------------------------------------------------------------------
# the basemap every view draws on, and small formatting helpers


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
    shapes = area if area is not None and len(area) else None
    bounds = (
        tuple(float(v) for v in shapes.to_crs("EPSG:4326").total_bounds)
        if shapes is not None
        else office.bounds
    )
    m = maps.page_map(
        bounds=bounds,
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=office.streets,
        buildings=office.buildings,
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


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _highlight(m: Any, grids: gpd.GeoDataFrame | None, codes: Any, lang: str) -> None:
    if grids is None or codes is None:
        return
    wanted = {codes} if isinstance(codes, str) else set(map(str, codes))
    picked = grids[grids["grid_code"].astype(str).isin(wanted).to_numpy()]
    if len(picked):
        maps.add_styled_features(
            m, picked, fill=None, line=HIGHLIGHT_COLOUR, weight=5, name=t("hs_highlight", lang)
        )
