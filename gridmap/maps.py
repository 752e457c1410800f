"""Folium building blocks for gridmap's web maps: offline assets, basemaps, layers, legends.

Every map gridmap draws must work on an intranet without internet access. folium's
:class:`~folium.Map` and its plugins link Leaflet, jQuery, Bootstrap and their plugins from
CDNs; :class:`OfflineMap` and the ``Local*`` plugin classes point them at the copies under
``static/vendor/`` instead, which Streamlit serves at ``/app/static/vendor/`` (see
``.streamlit/config.toml`` and ``static/vendor/README.md``). The default basemap is
``"vector"``: no tiles at all, the workspace's own OpenStreetMap streets and buildings drawn
with :func:`add_vector_basemap`.

The helpers are plain functions over a map and a GeoDataFrame in any CRS. They

- convert to WGS-84 and, when the map shows GCJ-02 tiles (``basemap="amap"``), shift every
  overlay into GCJ-02 so it lines up (``m.gridmap_shift``);
- build styles, colours and tooltips on the server and store them in the GeoJSON
  properties, so the browser gets only what it draws;
- escape every user text (names, descriptions) with :func:`html.escape`;
- refuse layers of more than :data:`MAX_BROWSER_FEATURES` features: aggregate them first
  with :func:`aggregate_to_cells`.

Legend titles and labels arrive already translated; this module does not translate.
This module never imports Streamlit; pages pass the map to ``st_folium``.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import branca
import folium
import folium.elements
import folium.plugins
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from gridmap import crs as gcrs
from gridmap._errors import ValidationError

Bounds = tuple[float, float, float, float]
Shift = Literal["gcj02"] | None
Scheme = Literal["quantiles", "equal"]
LegendShape = Literal["square", "circle", "line"]
Position = Literal["topleft", "topright", "bottomleft", "bottomright"]
Parent = folium.Map | folium.FeatureGroup
PluginT = TypeVar("PluginT")

#: URL prefix under which the browser fetches ``static/vendor/``. Streamlit serves the app's
#: ``./static/`` folder at ``/app/static/`` when ``enableStaticServing`` is on; set the
#: environment variable ``GRIDMAP_ASSET_BASE`` when the app runs behind a path prefix.
ASSET_BASE: str = os.environ.get("GRIDMAP_ASSET_BASE", "/app/static/vendor").rstrip("/")

#: Where the vendored files live in the source tree (used by checks and tests).
VENDOR_DIR: Path = Path(__file__).resolve().parent.parent / "static" / "vendor"

#: Attribution of OpenStreetMap data (streets, buildings, the sample street office).
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

#: Most features one layer may send to the browser. Leaflet slows down noticeably past a few
#: tens of thousands of vector features; aggregate to cells on the server beyond this.
MAX_BROWSER_FEATURES = 50_000

# folium's names for the links its classes declare -> the vendored file that replaces them.
# Keep in step with static/vendor/README.md.
_VENDOR_FILES: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
    "leaflet_draw_js": "leaflet-draw/leaflet.draw.js",
    "leaflet_draw_css": "leaflet-draw/leaflet.draw.css",
}

# ColorBrewer 2.0 "YlOrRd", 9 classes (Cynthia A. Brewer, colorbrewer2.org, Apache-2.0):
# a sequential palette that stays readable in grey print and for colour-blind readers.
YLORRD: tuple[str, ...] = (
    "#ffffcc",
    "#ffeda0",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#fc4e2a",
    "#e31a1c",
    "#bd0026",
    "#800026",
)
NO_DATA_COLOR = "#d9d9d9"

# Line widths (px) of OpenStreetMap `highway` classes on the light vector basemap; `*_link`
# roads are drawn one step thinner than their class. Unknown classes get _DEFAULT_WEIGHT.
_STREET_WEIGHTS: dict[str, float] = {
    "motorway": 4.0,
    "trunk": 4.0,
    "primary": 3.5,
    "secondary": 3.0,
    "tertiary": 2.5,
    "residential": 1.6,
    "unclassified": 1.6,
    "living_street": 1.3,
    "pedestrian": 1.3,
    "service": 1.0,
    "track": 0.8,
    "footway": 0.6,
    "cycleway": 0.6,
    "path": 0.6,
    "steps": 0.6,
}
_DEFAULT_WEIGHT = 1.0
# Leaflet panes gridmap adds (Leaflet's own: tiles 200, overlays 400, markers 600,
# tooltips 650). Both ignore the mouse so the overlays below or above stay clickable.
_BASEMAP_PANE = ("gridmapBasemap", 250)  # the light streets/buildings, under every overlay
_HEAT_PANE = ("gridmapHeat", 450)  # heat canvas: over polygons, never swallowing hovers


def asset_url(relative: str, *, base: str | None = None) -> str:
    """Return the URL at which the browser fetches a vendored file.

    >>> asset_url("leaflet/leaflet.js", base="/app/static/vendor")
    '/app/static/vendor/leaflet/leaflet.js'
    """
    return f"{(base if base is not None else ASSET_BASE).rstrip('/')}/{relative.lstrip('/')}"


def _local_links(
    links: Iterable[tuple[str, str]], *, base: str | None = None
) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if name not in _VENDOR_FILES:
            msg = (
                f"`{name}` ({url}) is not bundled in static/vendor; add the file and an "
                "entry to gridmap.maps._VENDOR_FILES before using this plugin offline"
            )
            raise ValidationError(msg)
        out.append((name, asset_url(_VENDOR_FILES[name], base=base)))
    return out


def localize_plugin(plugin: PluginT, *, asset_base: str | None = None) -> PluginT:
    """Point a folium plugin's JavaScript and CSS links at the vendored copies.

    Given a class, return a subclass whose ``default_js``/``default_css`` are local; given
    an instance, give it its own local lists. folium's class-level lists are never mutated.

    Raises
    ------
    ValidationError
        when the plugin needs a file that is not vendored.
    """
    if isinstance(plugin, type):
        attrs = {
            "default_js": _local_links(getattr(plugin, "default_js", []), base=asset_base),
            "default_css": _local_links(getattr(plugin, "default_css", []), base=asset_base),
            "__module__": __name__,
        }
        return type(f"Local{plugin.__name__}", (plugin,), attrs)  # type: ignore[return-value]
    plugin.default_js = _local_links(getattr(plugin, "default_js", []), base=asset_base)  # type: ignore[attr-defined]
    plugin.default_css = _local_links(getattr(plugin, "default_css", []), base=asset_base)  # type: ignore[attr-defined]
    return plugin


class LocalMarkerCluster(folium.plugins.MarkerCluster):
    """:class:`folium.plugins.MarkerCluster` loading Leaflet.markercluster locally."""

    default_js = _local_links(folium.plugins.MarkerCluster.default_js)
    default_css = _local_links(folium.plugins.MarkerCluster.default_css)


class LocalHeatMap(folium.plugins.HeatMap):
    """:class:`folium.plugins.HeatMap` loading Leaflet.heat locally."""

    default_js = _local_links(folium.plugins.HeatMap.default_js)
    default_css = _local_links(folium.plugins.HeatMap.default_css)


class LocalDraw(folium.plugins.Draw):
    """:class:`folium.plugins.Draw` loading Leaflet.draw locally."""

    default_js = _local_links(folium.plugins.Draw.default_js)
    default_css = _local_links(folium.plugins.Draw.default_css)


def _js(value: Any) -> str:
    """JSON for a JavaScript literal, safe inside an HTML ``<script>`` element."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class _Attribution(MacroElement):
    """Add a (plain-text) credit to the map's Leaflet attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_js }});
        }
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text_js = _js(html.escape(text))


class OfflineMap(folium.Map):
    """A :class:`folium.Map` that loads only the vendored Leaflet and shows no tiles.

    folium's own ``Map`` links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; this
    subclass links only ``leaflet.js``/``leaflet.css`` under `asset_base` (default
    :data:`ASSET_BASE`). Vector layers draw on a canvas (``prefer_canvas``) for speed.
    `attribution` is shown in Leaflet's attribution control (plain text, escaped).
    `max_zoom` is set on the Leaflet map itself (folium sets it only on tile layers).

    Attributes
    ----------
    gridmap_shift : {"gcj02", None}
        Coordinate shift every ``add_*`` helper applies to overlays (set by
        :func:`make_map` for GCJ-02 basemaps).
    """

    default_js = _local_links([("leaflet", "leaflet.js")])
    default_css = _local_links([("leaflet_css", "leaflet.css")])

    def __init__(
        self,
        location: Sequence[float] | None = None,
        *,
        tiles: Any = None,
        attribution: str | None = OSM_ATTRIBUTION,
        asset_base: str | None = None,
        max_zoom: int = 20,
        prefer_canvas: bool = True,
        control_scale: bool = True,
        **kwargs: Any,
    ):
        super().__init__(
            location=location,
            tiles=tiles,
            max_zoom=max_zoom,
            prefer_canvas=prefer_canvas,
            control_scale=control_scale,
            **kwargs,
        )
        # folium passes max_zoom only to its tile layer; without tiles Leaflet's map has no
        # maximum zoom and Leaflet.markercluster refuses to start ("Map has no maxZoom").
        self.options["max_zoom"] = max_zoom
        # Instance copies: folium's (and this class's) lists are shared by every map.
        self.default_js = _local_links([("leaflet", "leaflet.js")], base=asset_base)
        self.default_css = _local_links([("leaflet_css", "leaflet.css")], base=asset_base)
        self.gridmap_shift: Shift = None
        if attribution:
            self.add_child(_Attribution(attribution))


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL templates drawn bottom to top, credit and coordinate system."""

    tiles: tuple[str, ...]
    attribution: str
    system: Literal["wgs84", "gcj02"]
    subdomains: str = "abc"
    max_zoom: int = 18


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)

#: Basemap presets. "vector" (the default) is offline: no tiles, the caller draws the
#: workspace's streets and buildings with :func:`add_vector_basemap`. The others fetch tiles
#: from the internet (or from an intranet mirror given as ``tile_url``).
BASEMAPS: dict[str, Basemap | None] = {
    "vector": None,
    # OpenStreetMap Carto standard tiles; tile usage policy:
    # https://operations.osmfoundation.org/policies/tiles/
    "osm": Basemap(
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        OSM_ATTRIBUTION,
        "wgs84",
        max_zoom=19,
    ),
    # 天地图 Tianditu, 国家地理信息公共服务平台 (http://lbs.tianditu.gov.cn/server/MapService.html):
    # WMTS in Web Mercator (TILEMATRIXSET=w), vec = vector map, cva = Chinese annotation.
    # Needs a developer key (tk). CGCS2000 equals WGS-84 at map scale, so no shift.
    "tianditu": Basemap(
        (_TIANDITU % ("vec", "vec"), _TIANDITU % ("cva", "cva")),
        "© 天地图 Tianditu",
        "wgs84",
        subdomains="01234567",
        max_zoom=18,
    ),
    # 高德 Amap road map (style=8) as its own web SDK loads it; GCJ-02 coordinates, so
    # overlays are shifted with gridmap.crs.wgs84_to_gcj02.
    "amap": Basemap(
        (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
            "&style=8&x={x}&y={y}&z={z}",
        ),
        "© 高德地图 AutoNavi",
        "gcj02",
        subdomains="1234",
        max_zoom=18,
    ),
}

_COLOR_RE = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9.,%\s]+\)")
_KEY_RE = re.compile(r"[0-9A-Za-z]{8,64}")


def _check_color(color: str, argument: str) -> str:
    if not isinstance(color, str) or not _COLOR_RE.fullmatch(color.strip()):
        msg = f"`{argument}` must be a CSS colour such as '#e31a1c'; got {color!r}"
        raise ValidationError(msg)
    return color.strip()


def _check_bounds(bounds: Sequence[float]) -> Bounds:
    try:
        west, south, east, north = (float(v) for v in bounds)
    except (TypeError, ValueError):
        msg = f"`bounds` must be four numbers (west, south, east, north); got {bounds!r}"
        raise ValidationError(msg) from None
    if not (
        all(map(math.isfinite, (west, south, east, north)))
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        msg = f"`bounds` must be longitude/latitude (west, south, east, north); got {bounds!r}"
        raise ValidationError(msg)
    return west, south, east, north


def _zoom_for_bounds(bounds: Bounds, *, width_px: int = 800, height_px: int = 600) -> int:
    """The largest web-map zoom at which `bounds` fit a map of the given pixel size."""
    west, south, east, north = bounds

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zx = math.log2(width_px / 256 * 360 / max(east - west, 1e-9))
    zy = math.log2(height_px / 256 * 2 * math.pi / max(merc(north) - merc(south), 1e-9))
    return int(max(1, min(18, math.floor(min(zx, zy)))))


def _resolve_basemap(
    basemap: str,
    tile_url: str | None,
    tile_attribution: str | None,
    tile_key: str | None,
    tile_system: Literal["wgs84", "gcj02"] | None,
) -> Basemap | None:
    if "{z}" in basemap:
        basemap, tile_url = "custom", basemap
    if basemap == "custom":
        if not tile_url:
            msg = "`tile_url` is required with `basemap='custom'`"
            raise ValidationError(msg)
        preset = Basemap((tile_url,), "", tile_system or "wgs84", subdomains="abc", max_zoom=19)
    elif basemap in BASEMAPS:
        found = BASEMAPS[basemap]
        if found is None:
            if tile_url:
                msg = "`tile_url` needs a tile `basemap` ('custom', 'osm', 'amap' …), not 'vector'"
                raise ValidationError(msg)
            return None
        preset = found
    else:
        msg = f"`basemap` must be one of {', '.join([*BASEMAPS, 'custom'])} or a tile URL"
        raise ValidationError(msg)
    tiles = (tile_url,) if tile_url else preset.tiles
    for url in tiles:
        if not all(part in url for part in ("{z}", "{x}")) or not re.search(r"\{-?y\}", url):
            msg = f"`tile_url` must contain {{z}}, {{x}} and {{y}}; got {url!r}"
            raise ValidationError(msg)
        if not url.startswith(("https://", "http://", "/")):
            msg = f"`tile_url` must be an http(s) URL or a path on this server; got {url!r}"
            raise ValidationError(msg)
    if any("{key}" in url for url in tiles):
        if not tile_key or not _KEY_RE.fullmatch(tile_key):
            msg = f"basemap `{basemap}` needs `tile_key`, the provider's developer key"
            raise ValidationError(msg)
        tiles = tuple(url.replace("{key}", tile_key) for url in tiles)
    attribution = tile_attribution or preset.attribution or (urlsplit(tiles[0]).netloc or "tiles")
    system = tile_system or preset.system
    return Basemap(tiles, attribution, system, preset.subdomains, preset.max_zoom)


def make_map(
    *,
    bounds: Sequence[float],
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_attribution: str | None = None,
    tile_key: str | None = None,
    tile_system: Literal["wgs84", "gcj02"] | None = None,
    height: int | str | None = None,
    attribution: str | None = OSM_ATTRIBUTION,
    asset_base: str | None = None,
) -> OfflineMap:
    """Create an offline map fitted to `bounds`.

    Parameters
    ----------
    bounds : (west, south, east, north)
        WGS-84 longitude/latitude of the area to show.
    basemap : str
        ``"vector"`` (default; no tiles, nothing fetched from outside — add streets with
        :func:`add_vector_basemap`), ``"osm"``, ``"tianditu"`` (needs `tile_key`),
        ``"amap"`` (GCJ-02: overlays are shifted), ``"custom"`` with `tile_url`, or a
        ``{z}/{x}/{y}`` URL template.
    tile_url : str, optional
        Tile URL template; with a preset it replaces the preset's URL (an intranet mirror)
        and keeps its coordinate system and credit.
    tile_attribution : str, optional
        Credit of the tiles (plain text); defaults to the preset's or the tile host.
    tile_key : str, optional
        Developer key of providers that need one (Tianditu ``tk``).
    tile_system : {"wgs84", "gcj02"}, optional
        Coordinate system of the tiles, for custom URLs (default WGS-84).
    height : int or str, optional
        Map height in pixels or a CSS length; folium's default (100%) when None.
    attribution : str, optional
        Credit of the map's vector data (default OpenStreetMap's).
    asset_base : str, optional
        URL prefix of the vendored Leaflet (default :data:`ASSET_BASE`).

    Returns
    -------
    OfflineMap
        with ``gridmap_shift`` set to ``"gcj02"`` for GCJ-02 tiles, else None.
    """
    west, south, east, north = _check_bounds(bounds)
    preset = _resolve_basemap(basemap, tile_url, tile_attribution, tile_key, tile_system)
    shift: Shift = "gcj02" if preset is not None and preset.system == "gcj02" else None
    if shift == "gcj02":
        (west, east), (south, north) = gcrs.wgs84_to_gcj02([west, east], [south, north])
        west, east, south, north = float(west), float(east), float(south), float(north)
    extra: dict[str, Any] = {} if height is None else {"height": height}
    m = OfflineMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=_zoom_for_bounds((west, south, east, north)),
        max_zoom=20 if preset is None else preset.max_zoom,
        attribution=attribution,
        asset_base=asset_base,
        **extra,
    )
    m.gridmap_shift = shift
    if preset is not None:
        for i, url in enumerate(preset.tiles):
            folium.TileLayer(
                tiles=url,
                attr=html.escape(preset.attribution),
                name=basemap if i == 0 else f"{basemap} ({i + 1})",
                overlay=i > 0,
                control=i == 0,
                max_zoom=preset.max_zoom,
                subdomains=preset.subdomains,
            ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def feature_group(m: folium.Map, *, name: str, show: bool = True) -> folium.FeatureGroup:
    """A FeatureGroup the ``add_*`` helpers can fill, inheriting `m`'s coordinate shift.

    It is not added to `m`: add it yourself, or hand it to ``st_folium`` as
    ``feature_group_to_add`` to update a map without re-mounting it.
    """
    group = folium.FeatureGroup(name=name, show=show)
    group.gridmap_shift = getattr(m, "gridmap_shift", None)  # type: ignore[attr-defined]
    return group


def _shift_of(parent: Any) -> Shift:
    node = parent
    while node is not None:
        shift = getattr(node, "gridmap_shift", None)
        if shift is not None:
            return shift  # type: ignore[no-any-return]
        node = getattr(node, "_parent", None)
    return None


def _map_of(parent: Any) -> folium.Map:
    node = parent
    while node is not None and not isinstance(node, folium.Map):
        node = getattr(node, "_parent", None)
    if node is None:
        msg = (
            "`m` must be a folium map or a layer already added to one (a legend or layer "
            "control needs the map: add the group to the map first, or pass legend=False)"
        )
        raise ValidationError(msg)
    return node


def check_browser_budget(n_features: int, *, layer: str) -> None:
    """Raise when a layer would send more than :data:`MAX_BROWSER_FEATURES` features."""
    if n_features > MAX_BROWSER_FEATURES:
        msg = (
            f"layer `{layer}` has {n_features:,} features, more than the "
            f"{MAX_BROWSER_FEATURES:,} a browser draws smoothly; aggregate it on the server "
            "first (gridmap.maps.aggregate_to_cells)"
        )
        raise ValidationError(msg)


def _prepare(parent: Any, gdf: gpd.GeoDataFrame, *, argument: str) -> gpd.GeoDataFrame:
    """`gdf` in WGS-84 (shifted to the map's system), without empty geometries."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`{argument}` must be a GeoDataFrame"
        raise ValidationError(msg)
    if gdf.crs is None:
        msg = f"`{argument}` has no coordinate reference system"
        raise ValidationError(msg)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    check_browser_budget(len(gdf), layer=argument)
    gdf = gdf.to_crs("EPSG:4326")
    if _shift_of(parent) == "gcj02":
        gdf = gdf.set_geometry(shift_to_gcj02(gdf.geometry.array))
    return gdf


def shift_to_gcj02(geometries: Any) -> npt.NDArray[np.object_]:
    """Shift WGS-84 geometries into GCJ-02 (vectorised over all coordinates)."""

    def shift(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = gcrs.wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geometries, dtype=object), shift)  # type: ignore[no-any-return]


def _geometries_json(
    geoms: Any, *, precision: int = 6, simplify: float = 0.0
) -> list[dict[str, Any]]:
    arr = np.asarray(geoms, dtype=object)
    if simplify > 0:
        arr = shapely.simplify(arr, simplify, preserve_topology=True)
    arr = shapely.transform(arr, lambda c: np.round(c, precision))
    if not len(arr):
        return []
    return json.loads("[" + ",".join(shapely.to_geojson(arr).tolist()) + "]")  # type: ignore[no-any-return]


def _feature_collection(
    geoms: Any, properties: Mapping[str, Sequence[Any]], **kwargs: Any
) -> dict[str, Any]:
    geometries = _geometries_json(geoms, **kwargs)
    keys = list(properties)
    columns = [list(properties[k]) for k in keys]
    features = [
        {"type": "Feature", "geometry": g, "properties": dict(zip(keys, row, strict=True))}
        for g, *row in zip(geometries, *columns, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _format_number(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not math.isfinite(v):
        return "—"
    if v.is_integer():
        return str(int(v))
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _cell_texts(values: pd.Series) -> list[str]:
    """Escaped display text of each value (numbers formatted, missing as a dash)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return [_format_number(v) for v in values.tolist()]
    return ["—" if pd.isna(v) else html.escape(str(v)) for v in values.tolist()]


def _tooltips(
    gdf: pd.DataFrame,
    *,
    label_column: str | None,
    rows: Sequence[tuple[str, pd.Series]],
) -> list[str]:
    parts: list[list[str]] = [[] for _ in range(len(gdf))]
    if label_column is not None:
        for part, text in zip(parts, _cell_texts(gdf[label_column]), strict=True):
            part.append(f"<b>{text}</b>")
    for label, values in rows:
        head = html.escape(label)
        for part, text in zip(parts, _cell_texts(values), strict=True):
            part.append(f"{head}: {text}")
    return ["<br>".join(p) for p in parts]


def _tooltip_rows(
    gdf: pd.DataFrame, tooltip_columns: Sequence[str] | Mapping[str, str]
) -> list[tuple[str, pd.Series]]:
    pairs = (
        list(tooltip_columns.items())
        if isinstance(tooltip_columns, Mapping)
        else [(c, c) for c in tooltip_columns]
    )
    _require_columns(gdf, [c for c, _ in pairs], "tooltip_columns")
    return [(label, gdf[column]) for column, label in pairs]


def _require_columns(gdf: pd.DataFrame, columns: Iterable[str | None], argument: str) -> None:
    missing = [c for c in columns if c is not None and c not in gdf.columns]
    if missing:
        msg = f"`{argument}`: column(s) {', '.join(map(str, missing))} not in the data"
        raise ValidationError(msg)


def _geojson_layer(
    parent: Any,
    data: dict[str, Any],
    *,
    name: str | None,
    show: bool = True,
    **options: Any,
) -> folium.GeoJson:
    tooltip_js = JsCode(
        "function (feature, layer) {\n"
        "    if (feature.properties.tip) {\n"
        "        layer.bindTooltip(feature.properties.tip, {sticky: true});\n"
        "    }\n"
        "}"
    )
    layer = folium.GeoJson(
        data,
        name=name,
        control=name is not None,
        show=show,
        on_each_feature=None if options.get("interactive") is False else tooltip_js,
        **options,
    )
    layer.add_to(parent)
    return layer


def _ensure_pane(m: folium.Map, pane: tuple[str, int]) -> str:
    name, z_index = pane
    if not any(
        isinstance(c, folium.map.CustomPane) and c.name == name for c in m._children.values()
    ):
        folium.map.CustomPane(name, z_index=z_index, pointer_events=False).add_to(m)
    return name


def _street_weights(highway: pd.Series) -> npt.NDArray[np.float64]:
    first = highway.map(lambda v: v[0] if isinstance(v, list | tuple) and v else v)
    text = first.astype("string").fillna("")
    is_link = text.str.endswith("_link").to_numpy(dtype=bool)
    base = text.str.removesuffix("_link").map(_STREET_WEIGHTS).astype(float)
    weights = base.fillna(_DEFAULT_WEIGHT).to_numpy(dtype=float)
    return np.where(is_link, np.maximum(weights - 1.0, 0.8), weights)


def add_vector_basemap(
    m: folium.Map,
    *,
    streets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    name: str | None = None,
    simplify: float = 5e-6,
) -> list[folium.GeoJson]:
    """Draw streets (and buildings) as a light, non-interactive offline basemap.

    Streets are light grey lines whose width follows the OpenStreetMap ``highway`` class;
    buildings very light grey fills. Both sit in a pane below every overlay and ignore the
    mouse. Geometries are simplified by `simplify` degrees (5e-6° ≈ 0.5 m) and coordinates
    rounded to 1e-6° to keep the page small.

    Returns
    -------
    list of folium.GeoJson
        the buildings layer (if any) and the streets layer.
    """
    pane = _ensure_pane(_map_of(m), _BASEMAP_PANE)
    layers = []
    common = {"interactive": False, "pane": pane, "name": name, "show": True}
    if buildings is not None and len(buildings):
        b = _prepare(m, buildings, argument="buildings")
        data = _feature_collection(b.geometry.array, {}, simplify=simplify)
        style = JsCode(
            "function () { return {color: '#d4d4d4', weight: 0.5, fillColor: '#e8e8e8',"
            " fillOpacity: 0.7}; }"
        )
        layers.append(_geojson_layer(m, data, style=style, **common))
    s = _prepare(m, streets, argument="streets")
    highway = s["highway"] if "highway" in s.columns else pd.Series("", index=s.index)
    weights = _street_weights(highway)
    # One multi-line per line width, each way once (walk and drive networks share ways):
    # a few features instead of thousands keeps the page small and Leaflet fast.
    lines = shapely.get_parts(s.geometry.to_numpy())
    line_weights = np.repeat(weights, shapely.get_num_geometries(s.geometry.to_numpy()))
    _, first = np.unique(shapely.to_wkb(shapely.normalize(lines)), return_index=True)
    lines, line_weights = lines[first], line_weights[first]
    classes = np.unique(line_weights)
    merged = [shapely.multilinestrings(lines[line_weights == w]) for w in classes]
    data = _feature_collection(
        np.asarray(merged, dtype=object), {"w": classes.tolist()}, simplify=simplify
    )
    style = JsCode(
        "function (feature) { var w = feature.properties.w;"
        " return {color: w >= 3 ? '#a8a8a8' : '#c4c4c4', weight: w, opacity: 0.9}; }"
    )
    layers.append(_geojson_layer(m, data, style=style, **common))
    return layers


def class_breaks(
    values: Any, *, bins: int = 5, scheme: Scheme = "quantiles"
) -> npt.NDArray[np.float64]:
    """Class edges of `values` (NaN ignored), lowest to highest, at most ``bins + 1``.

    ``"quantiles"`` puts about as many values in each class; ``"equal"`` splits the range
    into classes of equal width. Coinciding edges are merged, so there may be fewer classes.

    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8], bins=4, scheme="equal").tolist()
    [1.0, 2.75, 4.5, 6.25, 8.0]
    >>> class_breaks([3, 3, 3]).tolist()
    [3.0, 3.0]
    """
    if bins < 1:
        msg = f"`bins` must be at least 1; got {bins}"
        raise ValidationError(msg)
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return np.array([], dtype=float)
    if scheme == "quantiles":
        edges = np.quantile(arr, np.linspace(0.0, 1.0, bins + 1))
    elif scheme == "equal":
        edges = np.linspace(arr.min(), arr.max(), bins + 1)
    else:
        msg = f"`scheme` must be 'quantiles' or 'equal'; got {scheme!r}"
        raise ValidationError(msg)
    edges = np.unique(edges)
    return edges if len(edges) > 1 else np.repeat(edges, 2)


def _palette(colors: Sequence[str] | None, k: int) -> list[str]:
    """`k` colours spread evenly over `colors` (default YlOrRd without its near-white)."""
    if colors is None:
        if k > len(YLORRD):
            msg = f"{k} classes need `colors`: the default palette has {len(YLORRD)}"
            raise ValidationError(msg)
        if k == 1:
            return [YLORRD[5]]
        low = 1 if k < len(YLORRD) else 0
        return [YLORRD[i] for i in np.round(np.linspace(low, len(YLORRD) - 1, k)).astype(int)]
    checked = [_check_color(c, "colors") for c in colors]
    if len(checked) < k:
        msg = f"`colors` has {len(checked)} colours but {k} classes are needed"
        raise ValidationError(msg)
    return [checked[i] for i in np.round(np.linspace(0, len(checked) - 1, k)).astype(int)]


def add_choropleth(
    m: Parent,
    gdf: gpd.GeoDataFrame,
    *,
    value_column: str,
    title: str,
    label_column: str | None = None,
    tooltip_columns: Sequence[str] | Mapping[str, str] = (),
    id_column: str | None = None,
    bins: int = 5,
    scheme: Scheme = "quantiles",
    colors: Sequence[str] | None = None,
    fill_opacity: float = 0.65,
    name: str | None = None,
    show: bool = True,
    legend: bool = True,
    legend_position: Position = "bottomright",
    no_data_label: str = "—",
    note: str | None = None,
) -> folium.GeoJson:
    """Draw polygons coloured by classes of `value_column`, with tooltips and a legend.

    Colours, tooltips and class labels are computed here; the browser only reads each
    feature's ``fill`` and ``tip`` properties. Every text from the data is escaped.

    Parameters
    ----------
    m : folium.Map or folium.FeatureGroup
        Where to add the layer (the legend always goes to the map).
    gdf : GeoDataFrame
        Polygons in any CRS.
    value_column : str
        Numeric column to classify; missing values get a grey "no data" class.
    title : str
        Legend title and the tooltip's label of the value (already translated).
    label_column : str, optional
        Column shown in bold at the top of each tooltip (a grid's name).
    tooltip_columns : sequence of column names, or mapping column -> label
        Further tooltip rows.
    id_column : str, optional
        Column stored as the ``key`` property (what ``st_folium`` reports on click).
    bins, scheme, colors
        Classification (see :func:`class_breaks`) and palette (default ColorBrewer YlOrRd).
    note : str, optional
        A line under the legend (e.g. that incidents are synthetic).

    Returns
    -------
    folium.GeoJson
    """
    _require_columns(gdf, [value_column, label_column, id_column], "gdf")
    _tooltip_rows(gdf, tooltip_columns)  # validate before the work
    legend_map = _map_of(m) if legend else None  # fail before adding anything
    data_gdf = _prepare(m, gdf, argument="gdf")
    rows = [(title, data_gdf[value_column]), *_tooltip_rows(data_gdf, tooltip_columns)]
    values = pd.to_numeric(data_gdf[value_column], errors="coerce").to_numpy(dtype=float)
    edges = class_breaks(values, bins=bins, scheme=scheme)
    k = max(len(edges) - 1, 1)
    palette = _palette(colors, k)
    finite = np.isfinite(values)
    cls = np.clip(np.searchsorted(edges[1:-1], values, side="right"), 0, k - 1)
    fills = np.where(finite, np.asarray(palette, dtype=object)[cls], NO_DATA_COLOR)
    properties: dict[str, Sequence[Any]] = {
        "fill": fills.tolist(),
        "value": [float(v) if ok else None for v, ok in zip(values, finite, strict=True)],
        "tip": _tooltips(data_gdf, label_column=label_column, rows=rows),
    }
    if id_column is not None:
        properties["key"] = [html.escape(str(v)) for v in data_gdf[id_column].tolist()]
    data = _feature_collection(data_gdf.geometry.array, properties)
    style = JsCode(
        "function (feature) { return {fillColor: feature.properties.fill, fillOpacity: "
        f"{float(fill_opacity)}, color: '#666666', weight: 1, opacity: 0.8}}; }}"
    )
    layer = _geojson_layer(m, data, name=name, show=show, style=style)
    if legend_map is not None and len(edges):
        entries = [(palette[i], _range_label(edges[i], edges[i + 1])) for i in range(k)]
        if not finite.all():
            entries.append((NO_DATA_COLOR, no_data_label))
        add_legend(legend_map, title=title, entries=entries, position=legend_position, note=note)
    return layer


def _range_label(low: float, high: float) -> str:
    if low == high:
        return _format_number(low)
    return f"{_format_number(low)} – {_format_number(high)}"


class Legend(MacroElement):
    """A legend drawn as a Leaflet control (``L.control``) from escaped HTML.

    Being part of the map's script, it appears both in folium's HTML and in what
    ``st_folium`` sends to the browser. It needs no outside CSS or JavaScript.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_js }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "gridmap-legend");
            div.innerHTML = {{ this.html_js }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: Position = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.html_text = html_text
        self.position_js = _js(position)
        self.html_js = _js(html_text)


_SWATCH_STYLE = {
    "square": "width:14px;height:14px;border:1px solid #888;",
    "circle": "width:12px;height:12px;border:1px solid #555;border-radius:50%;",
    "line": "width:18px;height:0;border-top:3px solid {color};",
}


def legend_html(
    *,
    title: str,
    entries: Sequence[tuple[str, str]],
    shape: LegendShape = "square",
    note: str | None = None,
) -> str:
    """The legend's HTML: escaped title, one swatch and escaped label per entry, a note."""
    if shape not in _SWATCH_STYLE:
        msg = f"`shape` must be one of {', '.join(_SWATCH_STYLE)}; got {shape!r}"
        raise ValidationError(msg)
    lines = [
        '<div style="background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;'
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif;color:#222;"
        'max-width:260px;">',
        f'<div style="font-weight:bold;margin-bottom:3px;">{html.escape(title)}</div>',
    ]
    for color, label in entries:
        color = _check_color(color, "entries")
        swatch = _SWATCH_STYLE[shape].format(color=color)
        background = "" if shape == "line" else f"background:{color};"
        lines.append(
            '<div style="display:flex;align-items:center;gap:6px;">'
            f'<span style="display:inline-block;flex:none;{swatch}{background}"></span>'
            f"<span>{html.escape(str(label))}</span></div>"
        )
    if note:
        lines.append(
            f'<div style="margin-top:4px;color:#555;font-size:11px;">{html.escape(note)}</div>'
        )
    lines.append("</div>")
    return "".join(lines)


def add_legend(
    m: folium.Map,
    *,
    title: str,
    entries: Sequence[tuple[str, str]],
    position: Position = "bottomright",
    shape: LegendShape = "square",
    note: str | None = None,
) -> Legend:
    """Add a legend control to the map: `entries` are (CSS colour, label) pairs.

    Title, labels and note are plain text (escaped here); colours are checked to be CSS
    colours. Works inside ``st_folium`` because it is drawn by the map's own script.
    """
    if position not in ("topleft", "topright", "bottomleft", "bottomright"):
        msg = f"`position` must be a Leaflet control corner; got {position!r}"
        raise ValidationError(msg)
    legend = Legend(
        legend_html(title=title, entries=entries, shape=shape, note=note), position=position
    )
    legend.add_to(_map_of(m))
    return legend


def add_points(
    m: Parent,
    gdf: gpd.GeoDataFrame,
    *,
    label_column: str,
    color: str = "#2166ac",
    radius: float = 6,
    tooltip_columns: Sequence[str] | Mapping[str, str] = (),
    color_column: str | None = None,
    color_map: Mapping[Any, str] | None = None,
    id_column: str | None = None,
    name: str | None = None,
    show: bool = True,
) -> folium.GeoJson:
    """Draw points as circle markers in a single GeoJSON layer, with escaped tooltips.

    One layer with ``pointToLayer`` is far lighter than thousands of folium ``Marker``
    objects. With `color_column` and `color_map` each point takes the colour of its value
    (others `color`). More than :data:`MAX_BROWSER_FEATURES` points raise: aggregate them.
    """
    _require_columns(gdf, [label_column, color_column, id_column], "gdf")
    color = _check_color(color, "color")
    _tooltip_rows(gdf, tooltip_columns)  # validate before the work
    data_gdf = _prepare(m, gdf, argument="gdf")
    rows = _tooltip_rows(data_gdf, tooltip_columns)
    geom_types = set(data_gdf.geom_type.unique())
    if not geom_types <= {"Point"}:
        msg = f"`gdf` must hold points; found {', '.join(sorted(geom_types))}"
        raise ValidationError(msg)
    properties: dict[str, Sequence[Any]] = {
        "tip": _tooltips(data_gdf, label_column=label_column, rows=rows)
    }
    if color_column is not None and color_map:
        checked = {k: _check_color(v, "color_map") for k, v in color_map.items()}
        properties["fill"] = [checked.get(v, color) for v in data_gdf[color_column].tolist()]
    if id_column is not None:
        properties["key"] = [html.escape(str(v)) for v in data_gdf[id_column].tolist()]
    data = _feature_collection(data_gdf.geometry.array, properties)
    point_to_layer = JsCode(
        "function (feature, latlng) {\n"
        f"    return L.circleMarker(latlng, {{radius: {float(radius)}, color: '#333333',"
        f" weight: 1, fillColor: feature.properties.fill || {_js(color)},"
        " fillOpacity: 0.85});\n"
        "}"
    )
    return _geojson_layer(m, data, name=name, show=show, point_to_layer=point_to_layer)


def add_heatmap(
    m: Parent,
    gdf: gpd.GeoDataFrame,
    *,
    weights: str | None = None,
    radius: int = 18,
    blur: int = 14,
    min_opacity: float = 0.3,
    name: str | None = None,
    show: bool = True,
) -> LocalHeatMap:
    """Add a Leaflet.heat layer of points (optionally weighted by column `weights`).

    The heat canvas lies in its own pane above the polygons that ignores the mouse, so
    tooltips and clicks still reach the layers below it (Leaflet.heat's canvas would
    otherwise cover them).
    """
    _require_columns(gdf, [weights], "gdf")
    pane = _ensure_pane(_map_of(m), _HEAT_PANE)
    data_gdf = _prepare(m, gdf, argument="gdf")
    xy = shapely.get_coordinates(data_gdf.geometry.array)
    if len(xy) != len(data_gdf):
        msg = "`gdf` must hold points"
        raise ValidationError(msg)
    columns = [np.round(xy[:, 1], 6), np.round(xy[:, 0], 6)]
    if weights is not None:
        columns.append(pd.to_numeric(data_gdf[weights], errors="coerce").fillna(0).to_numpy())
    layer = LocalHeatMap(
        np.column_stack(columns).tolist(),
        name=name,
        control=name is not None,
        show=show,
        radius=radius,
        blur=blur,
        min_opacity=min_opacity,
        pane=pane,
    )
    layer.add_to(m)
    return layer


def aggregate_to_cells(
    points_gdf: gpd.GeoDataFrame,
    *,
    cell_size_m: float,
    crs: Any,
    weights: str | Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Count points in square cells of a metric CRS; return the non-empty cells in WGS-84.

    Cells are aligned on multiples of `cell_size_m` from the CRS origin, so counts of
    different layers or periods in the same CRS share the same cells. Vectorised: the cell
    of each point is a floor division, the counts come from :func:`numpy.unique`.

    Parameters
    ----------
    points_gdf : GeoDataFrame
        Points in any CRS (empty and missing geometries are ignored).
    cell_size_m : float
        Cell side in metres.
    crs : anything pyproj understands
        Projected CRS in metres to draw the cells in (e.g. :func:`gridmap.crs.working_crs`).
    weights : column name or sequence, optional
        Per-point weights summed into a ``weight`` column.

    Returns
    -------
    GeoDataFrame
        ``cell_id`` ("col_row"), ``col``, ``row``, ``count`` (and ``weight``), square cell
        polygons in EPSG:4326, one row per non-empty cell, ordered by column then row.
    """
    if not isinstance(points_gdf, gpd.GeoDataFrame) or points_gdf.crs is None:
        msg = "`points_gdf` must be a GeoDataFrame with a coordinate reference system"
        raise ValidationError(msg)
    try:
        cell = float(cell_size_m)
    except (TypeError, ValueError):
        cell = math.nan
    if not (math.isfinite(cell) and cell > 0):
        msg = f"`cell_size_m` must be a positive number of metres; got {cell_size_m!r}"
        raise ValidationError(msg)
    target = pyproj.CRS.from_user_input(crs)
    units = {a.unit_name for a in target.axis_info}
    if not target.is_projected or not units <= {"metre"}:
        msg = f"`crs` must be a projected CRS in metres; got {target.name}"
        raise ValidationError(msg)
    w: npt.NDArray[np.float64] | None = None
    if weights is not None:
        if isinstance(weights, str):
            _require_columns(points_gdf, [weights], "weights")
            w = pd.to_numeric(points_gdf[weights], errors="coerce").to_numpy(dtype=float)
        else:
            w = np.asarray(weights, dtype=float)
        if w.shape != (len(points_gdf),) or not np.isfinite(w).all():
            msg = "`weights` must give one finite number per point"
            raise ValidationError(msg)
    geoms = points_gdf.geometry
    keep = ~(geoms.isna() | geoms.is_empty).to_numpy()
    if (geoms[keep].geom_type != "Point").any():
        msg = "`points_gdf` must hold points"
        raise ValidationError(msg)
    projected = points_gdf.loc[keep].to_crs(target).geometry
    x = shapely.get_x(projected.array)
    y = shapely.get_y(projected.array)
    finite = np.isfinite(x) & np.isfinite(y)
    col = np.floor_divide(x[finite], cell).astype(np.int64)
    row = np.floor_divide(y[finite], cell).astype(np.int64)
    cells, inverse, counts = np.unique(
        np.column_stack([col, row]).reshape(-1, 2), axis=0, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    result = pd.DataFrame(
        {
            "cell_id": [f"{c}_{r}" for c, r in cells.tolist()],
            "col": cells[:, 0],
            "row": cells[:, 1],
            "count": counts.astype(np.int64),
        }
    )
    if w is not None:
        result["weight"] = np.bincount(inverse, weights=w[keep][finite], minlength=len(cells))
    boxes = shapely.box(
        cells[:, 0] * cell, cells[:, 1] * cell, (cells[:, 0] + 1) * cell, (cells[:, 1] + 1) * cell
    )
    return gpd.GeoDataFrame(result, geometry=boxes, crs=target).to_crs("EPSG:4326")


def add_cell_counts(
    m: Parent,
    counts_gdf: gpd.GeoDataFrame,
    *,
    title: str,
    value_column: str = "count",
    tooltip_columns: Sequence[str] | Mapping[str, str] = (),
    bins: int = 5,
    scheme: Scheme = "quantiles",
    colors: Sequence[str] | None = None,
    fill_opacity: float = 0.6,
    name: str | None = None,
    show: bool = True,
    note: str | None = None,
) -> folium.GeoJson:
    """Draw pre-aggregated cells (from :func:`aggregate_to_cells`) as a choropleth + legend."""
    return add_choropleth(
        m,
        counts_gdf,
        value_column=value_column,
        title=title,
        tooltip_columns=tooltip_columns,
        id_column="cell_id" if "cell_id" in counts_gdf.columns else None,
        bins=bins,
        scheme=scheme,
        colors=colors,
        fill_opacity=fill_opacity,
        name=name,
        show=show,
        note=note,
    )


def layer_control(
    m: folium.Map, *, collapsed: bool = True, position: Position = "topright"
) -> folium.LayerControl:
    """Add Leaflet's layer switcher (named layers only) and return it."""
    control = folium.LayerControl(collapsed=collapsed, position=position)
    control.add_to(_map_of(m))
    return control


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def asset_links(m: folium.Map) -> tuple[list[str], list[str]]:
    """The (JavaScript, CSS) links the map's elements declare, as ``st_folium`` collects them.

    A branca colormap makes ``st_folium`` add d3 from a CDN; it is reported as such.
    """
    js: list[str] = []
    css: list[str] = []
    for element in _walk(m):
        if isinstance(element, branca.colormap.ColorMap):
            js.insert(0, "https://d3js.org/d3.v4.min.js")
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return list(dict.fromkeys(js)), list(dict.fromkeys(css))


def external_assets(m: folium.Map) -> list[str]:
    """Links of the map that would be fetched from another host (should be empty)."""
    js, css = asset_links(m)
    return [url for url in [*js, *css] if urlsplit(url).netloc or url.startswith("//")]


__all__ = [
    "ASSET_BASE",
    "BASEMAPS",
    "MAX_BROWSER_FEATURES",
    "OSM_ATTRIBUTION",
    "YLORRD",
    "Basemap",
    "Legend",
    "LocalDraw",
    "LocalHeatMap",
    "LocalMarkerCluster",
    "OfflineMap",
    "add_cell_counts",
    "add_choropleth",
    "add_heatmap",
    "add_legend",
    "add_points",
    "add_vector_basemap",
    "aggregate_to_cells",
    "asset_links",
    "asset_url",
    "check_browser_budget",
    "class_breaks",
    "external_assets",
    "feature_group",
    "layer_control",
    "legend_html",
    "localize_plugin",
    "make_map",
    "shift_to_gcj02",
]
