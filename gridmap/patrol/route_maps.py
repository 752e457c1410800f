"""Maps of the Patrol routes page: routes with order numbers and direction arrows.

Offline: Leaflet.PolylineDecorator is not among the vendored assets (``static/vendor/``),
so direction arrows are computed here on the server: points every :data:`ARROW_EVERY`
metres along each path (and at the middle of every leg), each with the path's bearing on
the Web Mercator map, drawn as small rotated ``L.divIcon`` markers. Order numbers are
``L.divIcon`` markers too (class ``gm-order``; arrows ``gm-arrow``), so end-to-end tests
find them in the page. Lines are drawn on the map's canvas like every other layer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from gridmap import maps
from gridmap.i18n import t
from gridmap.patrol.route_views import RoutePlan

#: One colour per unit (ColorBrewer Set1 without yellow), repeated beyond eight units.
UNIT_COLOURS = (
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#666666",
)
POST_COLOUR = "#000000"
DROPPED_COLOUR = "#999999"
#: Metres between direction arrows along a path.
ARROW_EVERY = 250.0


def _bounds(frames: Sequence[gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    boxes = np.array([f.to_crs("EPSG:4326").total_bounds for f in frames if len(f)])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    pad_x, pad_y = max((east - west) * 0.05, 1e-3), max((north - south) * 0.05, 1e-3)
    return west - pad_x, south - pad_y, east + pad_x, north + pad_y


def _shown(m: Any, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.to_crs("EPSG:4326")
    if getattr(m, "gridmap_shift", None) == "gcj02":
        out = out.set_geometry(maps.shift_to_gcj02(out.geometry.array), crs="EPSG:4326")
    return out


def arrow_points(
    lines: gpd.GeoSeries, *, every: float = ARROW_EVERY
) -> list[tuple[float, float, float]]:
    """(lon, lat, bearing°) of direction arrows along `lines` (EPSG:4326 paths).

    One arrow at the middle of each line and one every `every` metres along longer lines.
    Bearings are clockwise from north as the map shows them (Web Mercator is conformal).
    """
    merc = lines.to_crs("EPSG:3857").to_numpy()
    metric = lines.to_crs(lines.estimate_utm_crs()).length.to_numpy() if len(lines) else []
    out = []
    for line, length in zip(merc, metric, strict=True):
        if line is None or line.is_empty or line.length == 0:
            continue
        count = max(int(length // every), 1)
        scale = line.length / length if length > 0 else 1.0
        for k in range(count):
            at = (k + 0.5) / count * line.length
            a = line.interpolate(max(at - 2 * scale, 0))
            b = line.interpolate(min(at + 2 * scale, line.length))
            bearing = float(np.degrees(np.arctan2(b.x - a.x, b.y - a.y)))
            p = line.interpolate(at)
            out.append((p.x, p.y, bearing))
    if not out:
        return []
    xy = gpd.GeoSeries(gpd.points_from_xy([o[0] for o in out], [o[1] for o in out]), crs=3857)
    ll = xy.to_crs("EPSG:4326")
    return [(float(p.x), float(p.y), o[2]) for p, o in zip(ll, out, strict=True)]


def _arrow(m: Any, lon: float, lat: float, bearing: float, colour: str) -> None:
    folium.Marker(
        [lat, lon],
        icon=folium.DivIcon(
            html=(
                f'<div class="gm-arrow" style="transform:rotate({bearing:.0f}deg);color:{colour};'
                "font-size:14px;line-height:14px;width:14px;text-align:center;"
                'text-shadow:0 0 2px #fff;">&#9650;</div>'
            ),
            icon_size=(14, 14),
            icon_anchor=(7, 7),
            class_name="gm-arrow-icon",
        ),
        interactive=False,
    ).add_to(m)


def _order(m: Any, lon: float, lat: float, label: str, colour: str, tip: str) -> None:
    folium.Marker(
        [lat, lon],
        icon=folium.DivIcon(
            html=(
                f'<div class="gm-order" style="background:{colour};color:#fff;border:2px solid '
                "#fff;border-radius:11px;min-width:22px;height:22px;font:bold 12px/18px "
                'sans-serif;text-align:center;box-shadow:0 0 3px rgba(0,0,0,.5);">'
                f"{html.escape(label)}</div>"
            ),
            icon_size=(22, 22),
            icon_anchor=(11, 11),
            class_name="gm-order-icon",
        ),
        tooltip=html.escape(tip),
    ).add_to(m)


def route_map(
    result: RoutePlan,
    *,
    streets: gpd.GeoDataFrame,
    lang: str,
    buildings: gpd.GeoDataFrame | None = None,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 600,
    credit: str = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """Each unit's route along the streets with numbered stops and arrows, posts, a legend.

    Stops left out are grey circles; every user text (names) is escaped.
    """
    places = result.places.table
    points = gpd.GeoDataFrame(
        places, geometry=gpd.points_from_xy(places["lon"], places["lat"]), crs="EPSG:4326"
    )
    m = maps.page_map(
        bounds=_bounds([points, result.legs]),
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets,
        buildings=buildings,
    )
    legs = _shown(m, result.legs)
    shown = _shown(m, points)
    entries = []
    for k, route in enumerate(result.plan.routes):
        colour = UNIT_COLOURS[k % len(UNIT_COLOURS)]
        group = folium.FeatureGroup(name=f"{t('pr_col_unit', lang)} {route.unit}")
        mine = legs[legs["unit"] == route.unit].sort_values("leg")
        for line in mine.geometry:
            coords = shapely.get_coordinates(line)
            folium.PolyLine(
                [[float(y), float(x)] for x, y in coords],
                color=colour,
                weight=5,
                opacity=0.85,
                tooltip=html.escape(f"{route.unit}"),
            ).add_to(group)
        for lon, lat, bearing in arrow_points(mine.geometry):
            _arrow(group, lon, lat, bearing, colour)
        timetable = route.timetable
        for row in timetable.iloc[1:-1].itertuples():
            place = shown.iloc[int(row.node)]
            _order(
                group,
                place.geometry.x,
                place.geometry.y,
                str(int(row.order)),
                colour,
                f"{route.unit} {int(row.order)}: {place['name']}",
            )
        group.add_to(m)
        km = result.distance.get(route.unit, 0.0) / 1000
        entries.append(
            (colour, t("pr_legend_unit", lang, unit=route.unit, n=len(route.stops), km=f"{km:.1f}"))
        )
    posts = shown[shown["kind"] == "post"]
    maps.add_points(
        m,
        posts[["name", "geometry"]],
        label_column="name",
        color=POST_COLOUR,
        radius=8,
        name=t("pp_posts_layer", lang),
    )
    marks = [(POST_COLOUR, t("pp_posts_layer", lang))]
    if len(result.dropped):
        left = shown[shown["place"].isin(result.dropped["stop"])]
        maps.add_points(
            m,
            left[["name", "geometry"]],
            label_column="name",
            color=DROPPED_COLOUR,
            radius=6,
            name=t("pr_dropped_layer", lang),
        )
        marks.append((DROPPED_COLOUR, t("pr_dropped_layer", lang)))
    maps.add_legend(
        m,
        title=t("pr_legend", lang),
        entries=entries,
        shape="line",
        note=t("pr_legend_note", lang),
    )
    maps.add_legend(
        m, title=t("pp_points", lang), entries=marks, shape="circle", position="bottomleft"
    )
    maps.layer_control(m)
    return m


def line_map(
    path: gpd.GeoDataFrame,
    *,
    streets: gpd.GeoDataFrame,
    lang: str,
    outline: gpd.GeoDataFrame | None = None,
    marks: int = 12,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 600,
    credit: str = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """A line patrol's closed walk (`path`: one LineString, EPSG:4326) with arrows and
    `marks` numbered points in walking order (1 = the start), the grid's `outline`."""
    frames = [path] if outline is None else [path, outline]
    m = maps.page_map(
        bounds=_bounds(frames),
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets,
    )
    if outline is not None:
        folium.GeoJson(
            _shown(m, outline[["geometry"]]).__geo_interface__,
            name=t("grid", lang),
            style_function=lambda _f: {"color": "#555555", "weight": 2, "fillOpacity": 0.03},
        ).add_to(m)
    line = _shown(m, path).geometry.iloc[0]
    colour = UNIT_COLOURS[1]
    group = folium.FeatureGroup(name=t("pr_line_layer", lang))
    folium.PolyLine(
        [[float(y), float(x)] for x, y in shapely.get_coordinates(line)],
        color=colour,
        weight=4,
        opacity=0.8,
    ).add_to(group)
    series = gpd.GeoSeries([line], crs="EPSG:4326")
    for lon, lat, bearing in arrow_points(series, every=ARROW_EVERY / 2):
        _arrow(group, lon, lat, bearing, colour)
    for k in range(marks):
        p = line.interpolate(k / marks, normalized=True)
        _order(group, p.x, p.y, str(k + 1), colour, t("pr_line_mark", lang, k=k + 1))
    group.add_to(m)
    maps.add_legend(
        m,
        title=t("pr_legend", lang),
        entries=[(colour, t("pr_line_layer", lang))],
        shape="line",
        note=t("pr_line_note", lang),
    )
    maps.layer_control(m)
    return m


def schedule_map(
    places: Any,
    visits: Any,
    *,
    streets: gpd.GeoDataFrame,
    lang: str,
    basemap: str = "vector",
    tile_url: str | None = None,
    tile_key: str | None = None,
    height: int = 600,
    credit: str = maps.OSM_ATTRIBUTION,
) -> maps.OfflineMap:
    """A schedule's stops (numbered by how often they are visited) and the unit's post.

    `places` is the schedule's :class:`~gridmap.patrol.route_views.Places` (row 0 the
    post), `visits` its visits table (``stop``, one row per visit)."""
    table = places.table
    counts = visits["stop"].value_counts()
    points = gpd.GeoDataFrame(
        {
            "place": table["place"].astype(str).to_numpy(),
            "name": table["name"].astype(str).to_numpy(),
            "kind": table["kind"].astype(str).to_numpy(),
            "visits": [int(counts.get(p, 0)) for p in table["place"]],
        },
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    )
    m = maps.page_map(
        bounds=_bounds([points]),
        lang=lang,
        basemap=basemap,
        tile_url=tile_url,
        tile_key=tile_key,
        height=height,
        credit=credit,
        streets=streets,
    )
    stops = points[points["kind"] != "post"]
    colour = UNIT_COLOURS[0]
    group = folium.FeatureGroup(name=t("pr_schedule_layer", lang))
    for row in _shown(m, stops).itertuples():
        tip = t("pr_schedule_tip", lang, name=row.name, n=row.visits)
        _order(group, row.geometry.x, row.geometry.y, str(row.visits), colour, tip)
    group.add_to(m)
    maps.add_points(
        m,
        points[points["kind"] == "post"],
        color="#222222",
        radius=8,
        tooltip_columns={"name": t("pr_kind_post", lang)},
        name=t("pr_kind_post", lang),
    )
    maps.add_legend(
        m,
        title=t("pr_legend", lang),
        entries=[(colour, t("pr_schedule_layer", lang)), ("#222222", t("pr_kind_post", lang))],
        note=t("pr_schedule_map_note", lang),
    )
    maps.layer_control(m)
    return m
