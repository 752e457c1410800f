"""The base of gridmap's offline web maps: vendored assets, the map object, basemaps.

Private: import these names from :mod:`gridmap.maps`, which re-exports them. folium's
:class:`~folium.Map` and its plugins link Leaflet and its plugins from CDNs;
:class:`OfflineMap` and the ``Local*`` plugin classes point them at the copies under
``static/vendor/`` instead. :func:`make_map` creates such a map with a basemap preset
(:data:`BASEMAPS`) or none at all (``"vector"``, the default).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import branca
import folium
import folium.plugins
from branca.element import MacroElement
from folium.template import Template

from gridmap import crs as gcrs
from gridmap._errors import ValidationError
from gridmap._validate import check_lonlat_bounds

Bounds = tuple[float, float, float, float]
Shift = Literal["gcj02"] | None
PluginT = TypeVar("PluginT")

#: URL prefix under which the browser fetches ``static/vendor/``. Streamlit serves the app's
#: ``./static/`` folder at ``/app/static/`` when ``enableStaticServing`` is on; set the
#: environment variable ``GRIDMAP_ASSET_BASE`` when the app runs behind a path prefix.
ASSET_BASE: str = os.environ.get("GRIDMAP_ASSET_BASE", "/app/static/vendor").rstrip("/")

#: Where the vendored files live in the source tree (used by checks and tests).
VENDOR_DIR: Path = Path(__file__).resolve().parents[2] / "static" / "vendor"

#: Attribution of OpenStreetMap data (streets, buildings, the sample street office).
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

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


def _asset_base() -> str:
    """The current :data:`ASSET_BASE`.

    :mod:`gridmap.maps` is the public home of the setting: an application (or a test) may
    reassign ``gridmap.maps.ASSET_BASE`` after import, and links made afterwards follow it.
    """
    base: str = getattr(sys.modules.get("gridmap.maps"), "ASSET_BASE", ASSET_BASE)
    return base


def asset_url(relative: str, *, base: str | None = None) -> str:
    """Return the URL at which the browser fetches a vendored file.

    >>> asset_url("leaflet/leaflet.js", base="/app/static/vendor")
    '/app/static/vendor/leaflet/leaflet.js'
    """
    return f"{(base if base is not None else _asset_base()).rstrip('/')}/{relative.lstrip('/')}"


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
    """Show only our (plain-text) credit in the map's Leaflet attribution control.

    Leaflet's control starts with a prefix, a flag and a link to leaflet.js's website;
    ``setPrefix(false)`` removes it, so the control shows the credits of the map's data
    (this one and the tile layers') and nothing else. With `text` None only the prefix goes.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
            {%- if this.text_js %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_js }});
            {%- endif %}
        }
        {% endmacro %}
        """
    )

    def __init__(self, text: str | None):
        super().__init__()
        self._name = "Attribution"
        self.text_js = _js(html.escape(text)) if text else ""


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's also shows feet/miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class OfflineMap(folium.Map):
    """A :class:`folium.Map` that loads only the vendored Leaflet and shows no tiles.

    folium's own ``Map`` links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; this
    subclass links only ``leaflet.js``/``leaflet.css`` under `asset_base` (default
    :data:`ASSET_BASE`). Vector layers draw on a canvas (``prefer_canvas``) for speed.
    `attribution` is shown in Leaflet's attribution control (plain text, escaped), without
    Leaflet's own prefix (its flag and link): the control credits the map's data only.
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
            control_scale=False,  # folium's scale shows feet and miles too: ours below
            **kwargs,
        )
        if control_scale:
            self.add_child(_MetricScale())
        # folium passes max_zoom only to its tile layer; without tiles Leaflet's map has no
        # maximum zoom and Leaflet.markercluster refuses to start ("Map has no maxZoom").
        self.options["max_zoom"] = max_zoom
        # Instance copies: folium's (and this class's) lists are shared by every map.
        self.default_js = _local_links([("leaflet", "leaflet.js")], base=asset_base)
        self.default_css = _local_links([("leaflet_css", "leaflet.css")], base=asset_base)
        self.gridmap_shift: Shift = None
        self.add_child(_Attribution(attribution or None))

    def render(self, **kwargs: Any) -> None:
        """Render the map, the same way however often it is rendered.

        ``st_folium`` renames every element of the map it shows (``_id`` becomes ``div``,
        ``div_0`` …) and folium's layers add, at each render, a child that adds them to the
        map under their current name. A map drawn once and shown again (the pages cache
        their maps) would then carry children naming layers by ids that no longer exist
        (``geo_json_… is not defined`` in the browser; the script stops before
        ``window.map`` is set, so the next rerun runs it again and its ``let`` layer control
        is "already declared"). So before each render every element of the map gets its
        first id back and the children the previous render added are dropped.
        """
        added: list[tuple[Any, str]] = getattr(self, "_gridmap_rendered", [])
        for parent, name in added:
            parent._children.pop(name, None)
        before = {}
        for element in _walk(self):
            if not hasattr(element, "_gridmap_id"):
                element._gridmap_id = element._id
            element._id = element._gridmap_id
            before[id(element)] = set(getattr(element, "_children", {}))
        super().render(**kwargs)
        self._gridmap_rendered = [
            (element, name)
            for element in _walk(self)
            if id(element) in before
            for name in getattr(element, "_children", {})
            if name not in before[id(element)]
        ]


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

_KEY_RE = re.compile(r"[0-9A-Za-z]{8,64}")


#: Zoom step of maps without tiles (Leaflet's ``zoomSnap``).
VECTOR_ZOOM_SNAP = 0.25


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
        Credit of the map's vector data (default OpenStreetMap's; pass the workspace's
        own). Leaflet's attribution prefix is always off.
    asset_base : str, optional
        URL prefix of the vendored Leaflet (default :data:`ASSET_BASE`).

    Returns
    -------
    OfflineMap
        with ``gridmap_shift`` set to ``"gcj02"`` for GCJ-02 tiles, else None.
    """
    west, south, east, north = check_lonlat_bounds(bounds, "bounds")
    preset = _resolve_basemap(basemap, tile_url, tile_attribution, tile_key, tile_system)
    shift: Shift = "gcj02" if preset is not None and preset.system == "gcj02" else None
    if shift == "gcj02":
        (west, east), (south, north) = gcrs.wgs84_to_gcj02([west, east], [south, north])
        west, east, south, north = float(west), float(east), float(south), float(north)
    extra: dict[str, Any] = {} if height is None else {"height": height}
    if preset is None:
        # Without tiles nothing blurs at fractional zooms, and whole-level snapping leaves a
        # small street office filling as little as a quarter of the map.
        extra["zoom_snap"] = VECTOR_ZOOM_SNAP
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


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


#: Stands for the d3 script ``st_folium`` fetches from a CDN when a map holds a branca
#: colormap (gridmap draws its own legends, so no map should need it).
COLORMAP_CDN_SCRIPT = "d3 for branca colormaps (st_folium loads it from a CDN)"


def asset_links(m: folium.Map) -> tuple[list[str], list[str]]:
    """The (JavaScript, CSS) links the map's elements declare, as ``st_folium`` collects them.

    A branca colormap makes ``st_folium`` add d3 from a CDN; it is reported as
    :data:`COLORMAP_CDN_SCRIPT`, which :func:`external_assets` counts as external.
    """
    js: list[str] = []
    css: list[str] = []
    for element in _walk(m):
        if isinstance(element, branca.colormap.ColorMap):
            js.insert(0, COLORMAP_CDN_SCRIPT)
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return list(dict.fromkeys(js)), list(dict.fromkeys(css))


def external_assets(m: folium.Map) -> list[str]:
    """Links of the map that would be fetched from another host (should be empty)."""
    js, css = asset_links(m)
    return [
        url
        for url in [*js, *css]
        if url == COLORMAP_CDN_SCRIPT or urlsplit(url).netloc or url.startswith("//")
    ]
