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
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from folium.utilities import JsCode

from gridmap._errors import ValidationError
from gridmap.i18n import t

# Asset handling, the map object and basemaps live in gridmap.maps._base, the helpers the
# add_* functions share in gridmap.maps._layers, class edges and palettes in
# gridmap.maps._classes, legends in gridmap.maps._legends; the public names are re-exported
# here, so `gridmap.maps` stays the one module to import.
from gridmap.maps._base import (
    _VENDOR_FILES as _VENDOR_FILES,  # checked by tests/test_maps.py against static/vendor
)
from gridmap.maps._base import (
    ASSET_BASE,
    BASEMAPS,
    COLORMAP_CDN_SCRIPT,
    OSM_ATTRIBUTION,
    VECTOR_ZOOM_SNAP,
    Basemap,
    LocalDraw,
    LocalHeatMap,
    LocalMarkerCluster,
    OfflineMap,
    _js,
    asset_links,
    asset_url,
    external_assets,
    localize_plugin,
    make_map,
)
from gridmap.maps._base import VENDOR_DIR as VENDOR_DIR
from gridmap.maps._base import Bounds as Bounds  # type aliases of the signatures
from gridmap.maps._base import PluginT as PluginT
from gridmap.maps._base import Shift as Shift
from gridmap.maps._classes import (
    NO_DATA_COLOR,
    YLORRD,
    Scheme,
    _palette,
    _range_label,
    class_breaks,
)
from gridmap.maps._layers import (
    _check_color,
    _ensure_pane,
    _feature_collection,
    _geojson_layer,
    _map_of,
    _require_columns,
    _shift_of,
    _tooltip_rows,
    _tooltips,
    aggregate_to_cells,
    shift_to_gcj02,
)
from gridmap.maps._legends import Legend, Position, add_legend, legend_html
from gridmap.maps._legends import LegendShape as LegendShape  # a type alias of add_legend

Parent = folium.Map | folium.FeatureGroup

#: Most features one layer may send to the browser. Leaflet slows down noticeably past a few
#: tens of thousands of vector features; aggregate to cells on the server beyond this.
MAX_BROWSER_FEATURES = 50_000


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


def feature_group(m: folium.Map, *, name: str, show: bool = True) -> folium.FeatureGroup:
    """A FeatureGroup the ``add_*`` helpers can fill, inheriting `m`'s coordinate shift.

    It is not added to `m`: add it yourself, or hand it to ``st_folium`` as
    ``feature_group_to_add`` to update a map without re-mounting it.
    """
    group = folium.FeatureGroup(name=name, show=show)
    group.gridmap_shift = getattr(m, "gridmap_shift", None)  # type: ignore[attr-defined]
    return group


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


def page_map(
    *,
    bounds: Sequence[float],
    lang: str,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int | str | None = None,
    credit: str | None = OSM_ATTRIBUTION,
    streets: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    streets_margin: float | None = None,
) -> OfflineMap:
    """The map a page draws on: fitted to `bounds`, on the chosen basemap, with the
    workspace's streets (and buildings) beneath when that basemap is ``"vector"``.

    Parameters
    ----------
    bounds : (west, south, east, north)
        WGS-84 longitude/latitude of the area to show.
    lang : {"zh", "en"}
        Language of the streets layer's name and of OpenStreetMap's credit.
    basemap, tile_url, tile_key, height
        As for :func:`make_map`.
    credit : str, optional
        The workspace's credit (:func:`gridmap.overview.workspace_credit`).
        :data:`OSM_ATTRIBUTION` is shown in `lang`; a workspace's own credit as it is
        set, since a city's own survey data is not OpenStreetMap's.
    streets, buildings : GeoDataFrame, optional
        The vector basemap (:func:`add_vector_basemap`); ignored with tiles.
    streets_margin : float, optional
        Degrees: only streets within this margin of `bounds` are drawn (a page showing
        a few grids of a large office); all of them when None.

    Returns
    -------
    OfflineMap
        as :func:`make_map` returns it.
    """
    m = make_map(
        bounds=bounds,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        attribution=t("attribution", lang) if credit == OSM_ATTRIBUTION else credit,
    )
    if streets is None or not len(streets) or basemap != "vector":
        return m
    if streets_margin is not None:
        box = shapely.box(*bounds).buffer(streets_margin)
        streets = streets[streets.to_crs(4326).intersects(box).to_numpy()]
        if not len(streets):
            return m
    add_vector_basemap(m, streets=streets, buildings=buildings, name=t("streets", lang))
    return m


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
    colors: Sequence[str] | str | None = None,
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
        # Whole-number classes are [low, next low - 1]; only the last includes its top.
        whole = np.array_equal(edges, np.round(edges)) and np.array_equal(
            values[finite], np.round(values[finite])
        )
        tops = [edges[i + 1] - 1 if whole and i < k - 1 else edges[i + 1] for i in range(k)]
        entries = [(palette[i], _range_label(edges[i], tops[i])) for i in range(k)]
        if not finite.all():
            entries.append((NO_DATA_COLOR, no_data_label))
        add_legend(legend_map, title=title, entries=entries, position=legend_position, note=note)
    return layer


def add_points(
    m: Parent,
    gdf: gpd.GeoDataFrame,
    *,
    label_column: str | None = None,
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
    objects.

    Parameters
    ----------
    m : folium.Map or folium.FeatureGroup
        Where to add the layer.
    gdf : GeoDataFrame
        Points in any CRS, at most :data:`MAX_BROWSER_FEATURES` of them (aggregate more
        with :func:`aggregate_to_cells`); empty geometries are skipped.
    label_column : str, optional
        Column shown in bold at the top of each tooltip (a site's name); none if omitted.
    color : str, default "#2166ac"
        CSS fill colour of the markers.
    radius : float, default 6
        Marker radius in screen pixels.
    tooltip_columns : sequence of column names, or mapping column -> label
        Further tooltip rows (labels already translated).
    color_column, color_map
        With both, each point takes the colour ``color_map[value]`` of its value in
        `color_column` (others `color`).
    id_column : str, optional
        Column stored as the ``key`` property (what ``st_folium`` reports on click).
    name : str, optional
        Name in the layer switcher; the layer is not listed without one.
    show : bool, default True
        Whether the layer is shown at first.

    Returns
    -------
    folium.GeoJson

    Raises
    ------
    ValidationError
        for a named column missing from `gdf`, a colour that is not a CSS colour, a
        geometry other than points, or more points than :data:`MAX_BROWSER_FEATURES`.
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


def add_styled_features(
    m: Parent,
    gdf: gpd.GeoDataFrame,
    *,
    fill: str | Sequence[str | None] | None = None,
    line: str | Sequence[str] = "#333333",
    weight: float | Sequence[float] = 1.0,
    fill_opacity: float = 0.7,
    tips: Sequence[str] | None = None,
    keys: Sequence[Any] | None = None,
    name: str | None = None,
) -> folium.GeoJson:
    """Draw polygons or lines whose colours and widths are chosen per feature by the caller.

    For classes a choropleth of one value does not show: Gi* confidence, emerging-trend
    patterns, warning levels, outlines. The styles go into each feature's properties on
    the server; the browser only reads them.

    Parameters
    ----------
    m : folium.Map or folium.FeatureGroup
        Where to add the layer.
    gdf : GeoDataFrame
        Polygons or lines in any CRS; empty geometries are skipped.
    fill : CSS colour, one per feature, or None
        Fill colour; a feature without one is drawn unfilled.
    line : CSS colour or one per feature
        Outline (or line) colour.
    weight : float or one per feature
        Outline (or line) width in pixels.
    fill_opacity : float, default 0.7
        Opacity of the fills.
    tips : sequence of str, optional
        One tooltip per feature, as HTML the caller has already escaped.
    keys : sequence, optional
        One value per feature stored (escaped) as the ``key`` property, what ``st_folium``
        reports on click.
    name : str, optional
        Name in the layer switcher; the layer is not listed without one.

    Returns
    -------
    folium.GeoJson
    """
    data = _prepare(m, gdf, argument="gdf")
    n = len(data)

    def each(value: Any) -> list[Any]:
        return [value] * n if value is None or isinstance(value, str | float | int) else list(value)

    properties: dict[str, Sequence[Any]] = {
        "fill": each(fill),
        "line": each(line),
        "w": each(float(weight) if isinstance(weight, int | float) else weight),
    }
    if tips is not None:
        properties["tip"] = list(tips)
    if keys is not None:
        properties["key"] = [html.escape(str(k)) for k in keys]
    collection = _feature_collection(data.geometry.array, properties)
    style = JsCode(
        "function (f) { var p = f.properties; return {fillColor: p.fill || '#000000', "
        f"fillOpacity: p.fill ? {float(fill_opacity)} : 0, color: p.line, weight: p.w, "
        "opacity: 0.9}; }"
    )
    return _geojson_layer(m, collection, name=name, style=style)


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


def add_cell_counts(
    m: Parent,
    counts_gdf: gpd.GeoDataFrame,
    *,
    title: str,
    value_column: str = "count",
    tooltip_columns: Sequence[str] | Mapping[str, str] = (),
    bins: int = 5,
    scheme: Scheme = "quantiles",
    colors: Sequence[str] | str | None = None,
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


__all__ = [
    "ASSET_BASE",
    "BASEMAPS",
    "COLORMAP_CDN_SCRIPT",
    "MAX_BROWSER_FEATURES",
    "OSM_ATTRIBUTION",
    "VECTOR_ZOOM_SNAP",
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
    "add_styled_features",
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
    "page_map",
    "shift_to_gcj02",
]
