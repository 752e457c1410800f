"""Tests of gridmap.maps: offline assets, escaping, the GCJ-02 shift and cell aggregation."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import branca
import folium
import folium.elements
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import crs as gcrs
from gridmap import maps
from gridmap._errors import ValidationError

HELSINKI = (24.93, 60.16, 24.96, 60.18)
BEIJING = (116.38, 39.90, 116.41, 39.92)
EVIL = "<script>alert(1)</script>"

# Hosts a map must never load from by default: CDNs folium and its plugins use, and tiles.
FORBIDDEN_HOSTS = (
    "jsdelivr.net",
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "code.jquery.com",
    "netdna.bootstrapcdn.com",
    "maxcdn.bootstrapcdn.com",
    "bootstrapcdn.com",
    "d3js.org",
    "googleapis.com",
    "openstreetmap.org",
    "tianditu.gov.cn",
    "autonavi.com",
    "cartocdn.com",
    "arcgisonline.com",
)
URL_RE = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>)]*")


def _decode_js(text: str) -> str:
    """Undo JSON/JavaScript \\uXXXX escapes: what the browser's JavaScript sees."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _urls(text: str) -> list[str]:
    return [u for u in URL_RE.findall(text) if u.startswith(("http", "//"))]


def _vendor_file(url: str) -> Path:
    prefix = maps.ASSET_BASE + "/"
    assert url.startswith(prefix), url
    return maps.VENDOR_DIR / url.removeprefix(prefix)


def _grids(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    west, south = HELSINKI[0], HELSINKI[1]
    boxes = [
        shapely.box(
            west + i * 0.005, south + j * 0.005, west + (i + 1) * 0.005, south + (j + 1) * 0.005
        )
        for i in range(3)
        for j in range(2)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "grid_code": [f"1101010010010{k:02d}" for k in range(6)],
            "name": [EVIL, "网格 B", "C & D", "E", "F", "G"],
            "population": [120, 340, np.nan, 560, 90, 410],
            "worker": ["王 <b>五</b>", "李四", "", "赵六", "钱七", "孙八"],
        },
        geometry=boxes,
        crs="EPSG:4326",
    )
    return gdf.to_crs(crs)


def _points(n: int = 50, *, bounds=HELSINKI, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    west, south, east, north = bounds
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"i{k}" for k in range(n)],
            "category": rng.choice(["theft", "fraud"], n),
            "description": [EVIL if k == 0 else f"case {k}" for k in range(n)],
            "weight": rng.integers(1, 5, n).astype(float),
        },
        geometry=gpd.points_from_xy(rng.uniform(west, east, n), rng.uniform(south, north, n)),
        crs="EPSG:4326",
    )


def _streets() -> gpd.GeoDataFrame:
    west, south, east, north = HELSINKI
    lines = [
        shapely.LineString([(west, south), (east, north)]),
        shapely.LineString([(west, north), (east, south)]),
        shapely.LineString([(west, (south + north) / 2), (east, (south + north) / 2)]),
        shapely.LineString([((west + east) / 2, south), ((west + east) / 2, north)]),
    ]
    return gpd.GeoDataFrame(
        {"highway": ["primary", "residential", ["footway", "path"], "secondary_link"]},
        geometry=lines,
        crs="EPSG:4326",
    )


def _full_map(basemap: str = "vector") -> maps.OfflineMap:
    """A map with every kind of layer the pages use."""
    m = maps.make_map(bounds=HELSINKI, basemap=basemap)
    buildings = gpd.GeoDataFrame(
        geometry=[shapely.box(24.94, 60.165, 24.9405, 60.1655)], crs="EPSG:4326"
    )
    maps.add_vector_basemap(m, streets=_streets(), buildings=buildings)
    maps.add_choropleth(
        m,
        _grids(),
        value_column="population",
        title="人口 <Population>",
        label_column="name",
        tooltip_columns={"worker": "网格员", "grid_code": "编码"},
        id_column="grid_code",
        name="网格",
        note="合成数据 synthetic",
    )
    points = _points()
    maps.add_points(
        m,
        points,
        label_column="description",
        tooltip_columns=["category"],
        color_column="category",
        color_map={"theft": "#e31a1c", "fraud": "#1f78b4"},
        name="事件",
    )
    maps.add_heatmap(m, points, weights="weight", name="热力")
    maps.add_legend(
        m, title="类别", entries=[("#e31a1c", "盗窃"), ("#1f78b4", EVIL)], shape="circle"
    )
    cluster = maps.LocalMarkerCluster(name="cluster").add_to(m)
    folium.CircleMarker([60.17, 24.94], radius=3).add_to(cluster)
    maps.LocalDraw(export=False).add_to(m)
    maps.layer_control(m)
    return m


def _st_folium_links(fig: folium.Map) -> tuple[list[str], list[str]]:
    """The css/js link collection of streamlit_folium.st_folium, reproduced line by line."""

    def walk(fig):
        if isinstance(fig, branca.colormap.ColorMap):
            yield fig
        if isinstance(fig, folium.plugins.DualMap):
            yield from walk(fig.m1)
            yield from walk(fig.m2)
        if isinstance(fig, folium.elements.JSCSSMixin):
            yield fig
        if hasattr(fig, "_children"):
            for child in fig._children.values():
                yield from walk(child)

    css_links: list[str] = []
    js_links: list[str] = []
    for elem in walk(fig):
        if isinstance(elem, branca.colormap.ColorMap):
            # st_folium inserts two d3 builds from CDNs here; one marker stands for both.
            js_links.insert(0, maps.COLORMAP_CDN_SCRIPT)
        css_links.extend([href for _, href in getattr(elem, "default_css", [])])
        js_links.extend([src for _, src in getattr(elem, "default_js", [])])
    return list(dict.fromkeys(js_links)), list(dict.fromkeys(css_links))


# --- offline assets ----------------------------------------------------------------------


def test_default_vector_map_fetches_nothing_from_outside():
    m = _full_map()
    page = m.get_root().render()
    assert _urls(page) == [], _urls(page)
    for host in FORBIDDEN_HOSTS:
        assert host not in page.lower(), host
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())
    js, css = maps.asset_links(m)
    assert js[0] == f"{maps.ASSET_BASE}/leaflet/leaflet.js"
    for url in js:
        assert f'<script src="{url}"></script>' in page
    for url in css:
        assert f'href="{url}"' in page
    assert maps.external_assets(m) == []
    # A branca colormap would make st_folium fetch d3 from a CDN: reported as external.
    branca.colormap.LinearColormap(["#ffffff", "#000000"]).add_to(m)
    assert maps.external_assets(m) == [maps.COLORMAP_CDN_SCRIPT]
    assert _st_folium_links(m)[0][0] == maps.COLORMAP_CDN_SCRIPT


def test_every_referenced_local_file_exists():
    m = _full_map()
    page = m.get_root().render()
    referenced = re.findall(r'(?:src|href)="(/[^"]+)"', page)
    assert len(referenced) == 8
    for url in referenced:
        assert _vendor_file(url).is_file(), url
    # Images the vendored stylesheets load relatively must be there too.
    for url in referenced:
        if url.endswith(".css"):
            path = _vendor_file(url)
            for image in re.findall(r"url\(['\"]?(images/[^'\")]+)", path.read_text()):
                assert (path.parent / image).is_file(), image


def test_vendor_folder_is_small_and_licensed():
    files = [p for p in maps.VENDOR_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000
    for package in ("leaflet", "leaflet.markercluster", "leaflet.heat", "leaflet-draw"):
        assert (maps.VENDOR_DIR / package / "LICENSE").is_file(), package
    readme = (maps.VENDOR_DIR / "README.md").read_text()
    for name in ("1.9.4", "1.5.3", "0.2.0", "1.0.4", "BSD-2-Clause", "MIT"):
        assert name in readme
    for relative in maps._VENDOR_FILES.values():
        assert (maps.VENDOR_DIR / relative).is_file(), relative


def test_streamlit_folium_receives_only_local_assets_and_the_legend():
    streamlit_folium = pytest.importorskip("streamlit_folium")
    m = _full_map()
    # What st_folium does before sending: render, then extract html, header and script.
    m.get_root().render()
    m.render()
    html_part = streamlit_folium._get_html(m)
    header = streamlit_folium._get_header(m)
    js_links, css_links = _st_folium_links(m)
    script = streamlit_folium._get_map_string(m)

    assert js_links[0].endswith("/leaflet/leaflet.js")
    assert {link.rsplit("/", 1)[-1] for link in js_links} == {
        "leaflet.js",
        "leaflet-heat.js",
        "leaflet.markercluster.js",
        "leaflet.draw.js",
    }
    assert len(css_links) == 4
    for link in [*js_links, *css_links]:
        assert link.startswith(maps.ASSET_BASE + "/"), link
        assert _vendor_file(link).is_file(), link
    for sent in (html_part, header, script):
        assert _urls(sent) == [], _urls(sent)
    # The legends are part of the map script st_folium runs, as Leaflet controls.
    decoded = _decode_js(script)
    assert decoded.count('L.DomUtil.create("div", "gridmap-legend")') == 2
    assert ".addTo(map_div)" in script
    assert "人口 &lt;Population&gt;" in decoded
    assert "合成数据 synthetic" in decoded
    assert "盗窃" in decoded
    assert "attributionControl.addAttribution" in script
    assert "© OpenStreetMap contributors, ODbL" in decoded
    assert "L.heatLayer" in script
    assert "L.Control.Draw" in script
    assert "L.markerClusterGroup" in script
    # the heat canvas sits in a pane that lets the mouse through to the layers below
    assert re.search(r'createPane\(\s*"gridmapHeat"\)', script)
    assert '"pane": "gridmapHeat"' in script
    assert "pointerEvents = 'none'" in script


def test_folium_class_level_links_are_not_mutated():
    before = {
        cls: (list(cls.default_js), list(cls.default_css))
        for cls in (
            folium.Map,
            folium.plugins.HeatMap,
            folium.plugins.Draw,
            folium.plugins.MarkerCluster,
        )
    }
    _full_map().get_root().render()
    maps.localize_plugin(folium.plugins.HeatMap([[60.17, 24.94]]))
    for cls, (js, css) in before.items():
        assert cls.default_js == js
        assert cls.default_css == css
    assert "cdn" in folium.Map.default_js[0][1]


def test_localize_plugin_class_and_instance():
    local_cls = maps.localize_plugin(folium.plugins.Draw)
    assert issubclass(local_cls, folium.plugins.Draw)
    assert all(url.startswith(maps.ASSET_BASE) for _, url in local_cls.default_js)
    heat = maps.localize_plugin(folium.plugins.HeatMap([[60.17, 24.94]]), asset_base="/x")
    assert heat.default_js == [("leaflet-heat.js", "/x/leaflet.heat/leaflet-heat.js")]
    with pytest.raises(ValidationError, match="not bundled"):
        maps.localize_plugin(folium.plugins.Fullscreen)


def test_asset_base_from_environment_and_argument():
    code = (
        "from gridmap import maps; m = maps.make_map(bounds=(24.9, 60.1, 25.0, 60.2)); "
        "print(maps.ASSET_BASE, maps.asset_links(m)[0][0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"GRIDMAP_ASSET_BASE": "/gridmap/app/static/vendor/", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    base, leaflet = out.stdout.split()
    assert base == "/gridmap/app/static/vendor"
    assert leaflet == "/gridmap/app/static/vendor/leaflet/leaflet.js"
    m = maps.make_map(bounds=HELSINKI, asset_base="/other")
    assert maps.asset_links(m)[0] == ["/other/leaflet/leaflet.js"]


# --- escaping ----------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere():
    m = _full_map()
    page = m.get_root().render()
    decoded = _decode_js(page)
    assert EVIL not in page
    assert EVIL not in decoded  # not even once the JavaScript strings are decoded
    assert "<b>五</b>" not in decoded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in decoded
    assert "王 &lt;b&gt;五&lt;/b&gt;" in decoded
    assert "C &amp; D" in decoded
    assert decoded.count("alert(1)") == decoded.count("&lt;script&gt;alert(1)")


def test_tooltips_and_properties_hold_no_raw_columns():
    m = maps.make_map(bounds=HELSINKI)
    layer = maps.add_choropleth(
        m,
        _grids(),
        value_column="population",
        title="人口",
        label_column="name",
        id_column="grid_code",
    )
    features = layer.data["features"]
    assert set(features[0]["properties"]) == {"fill", "value", "tip", "key"}
    assert features[0]["properties"]["tip"] == (
        "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b><br>人口: 120"
    )
    assert features[2]["properties"]["value"] is None
    assert features[2]["properties"]["fill"] == maps.NO_DATA_COLOR


def test_styled_features_carry_the_callers_colours_widths_and_keys():
    grids = _grids()
    fills = ["#d62f27", None, "#4575b5", None, "#f7f7f7", "#ed7551"]
    m = maps.make_map(bounds=HELSINKI)
    layer = maps.add_styled_features(
        m,
        grids,
        fill=fills,
        line="#555555",
        weight=[1, 2, 1, 2, 1, 2],
        tips=["<b>a</b>", "b", "c", "d", "e", "f"],
        keys=grids["name"],
        name="classes",
    )
    properties = [f["properties"] for f in layer.data["features"]]
    assert [p["fill"] for p in properties] == fills
    assert {p["line"] for p in properties} == {"#555555"}
    assert [p["w"] for p in properties] == [1, 2, 1, 2, 1, 2]
    assert properties[0]["tip"] == "<b>a</b>"  # the caller's HTML, as given
    assert properties[0]["key"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    html = m.get_root().render()
    assert "p.fill ? 0.7 : 0" in html  # features without a fill are drawn unfilled


# --- GCJ-02 shift ------------------------------------------------------------------------


def test_amap_basemap_shifts_overlays_to_gcj02():
    m = maps.make_map(bounds=BEIJING, basemap="amap")
    assert m.gridmap_shift == "gcj02"
    points = _points(20, bounds=BEIJING)
    layer = maps.add_points(m, points, label_column="incident_id")
    got = np.array([f["geometry"]["coordinates"] for f in layer.data["features"]])
    lon, lat = gcrs.wgs84_to_gcj02(points.geometry.x, points.geometry.y)
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-6)
    # the shift in Beijing is several hundred metres, far more than the rounding
    assert np.abs(got - points.get_coordinates().to_numpy()).max() > 1e-3

    grid = gpd.GeoDataFrame(
        {"v": [1]}, geometry=[shapely.box(116.39, 39.905, 116.40, 39.91)], crs="EPSG:4326"
    )
    poly = maps.add_choropleth(m, grid.to_crs(32650), value_column="v", title="v")
    ring = np.array(poly.data["features"][0]["geometry"]["coordinates"][0])
    expected = np.array(grid.geometry[0].exterior.coords)
    np.testing.assert_allclose(
        ring, np.column_stack(gcrs.wgs84_to_gcj02(expected[:, 0], expected[:, 1])), atol=2e-6
    )
    heat = maps.add_heatmap(m, points)
    np.testing.assert_allclose(np.array(heat.data)[:, [1, 0]], got, atol=1e-6)
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1
    assert "autonavi" in tiles[0].tiles
    # the map is centred on the shifted area
    centre = gcrs.wgs84_to_gcj02((BEIJING[0] + BEIJING[2]) / 2, (BEIJING[1] + BEIJING[3]) / 2)
    np.testing.assert_allclose(m.location, [float(centre[1]), float(centre[0])], atol=1e-5)


def test_wgs84_basemaps_do_not_shift_and_groups_inherit_the_shift():
    points = _points(5, bounds=BEIJING)
    for basemap in ("vector", "osm"):
        m = maps.make_map(bounds=BEIJING, basemap=basemap)
        layer = maps.add_points(m, points, label_column="incident_id")
        got = np.array([f["geometry"]["coordinates"] for f in layer.data["features"]])
        np.testing.assert_allclose(got, points.get_coordinates().to_numpy(), atol=1e-6)
    m = maps.make_map(bounds=BEIJING, basemap="amap")
    group = maps.feature_group(m, name="dynamic")
    layer = maps.add_points(group, points, label_column="incident_id")
    got = np.array([f["geometry"]["coordinates"] for f in layer.data["features"]])
    lon, lat = gcrs.wgs84_to_gcj02(points.geometry.x, points.geometry.y)
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-6)


# --- basemaps ----------------------------------------------------------------------------


def test_basemap_presets_and_validation():
    m = maps.make_map(bounds=BEIJING, basemap="tianditu", tile_key="0123456789abcdef" * 2)
    urls = [c.tiles for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert ["vec_w" in urls[0], "cva_w" in urls[1]] == [True, True]
    assert all("tk=0123456789abcdef" in u and "{key}" not in u for u in urls)
    assert m.gridmap_shift is None
    with pytest.raises(ValidationError, match="tile_key"):
        maps.make_map(bounds=BEIJING, basemap="tianditu")
    custom = maps.make_map(bounds=HELSINKI, basemap="/tiles/{z}/{x}/{y}.png")
    (tile,) = [c for c in custom._children.values() if isinstance(c, folium.TileLayer)]
    assert tile.tiles == "/tiles/{z}/{x}/{y}.png"
    assert _urls(custom.get_root().render()) == []
    mirror = maps.make_map(
        bounds=BEIJING, basemap="amap", tile_url="http://10.0.0.5/amap/{z}/{x}/{y}.png"
    )
    assert mirror.gridmap_shift == "gcj02"
    gcj_custom = maps.make_map(
        bounds=BEIJING, basemap="custom", tile_url="/t/{z}/{x}/{y}.png", tile_system="gcj02"
    )
    assert gcj_custom.gridmap_shift == "gcj02"
    with pytest.raises(ValidationError, match="basemap"):
        maps.make_map(bounds=HELSINKI, basemap="google")
    with pytest.raises(ValidationError, match="tile_url"):
        maps.make_map(bounds=HELSINKI, basemap="custom")
    with pytest.raises(ValidationError, match="tile_url"):
        maps.make_map(bounds=HELSINKI, tile_url="/t/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError, match="bounds"):
        maps.make_map(bounds=(25.0, 60.1, 24.9, 60.2))
    osm = maps.make_map(bounds=HELSINKI, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in osm  # online only when asked for


def test_make_map_fits_bounds_and_height():
    m = maps.make_map(bounds=HELSINKI, height=500)
    assert m.height == (500.0, "px")
    fits = [c for c in m._children.values() if isinstance(c, folium.map.FitBounds)]
    assert fits[0].bounds == [[60.16, 24.93], [60.18, 24.96]]
    assert 12 <= m.options["zoom"] <= 16
    assert m.options["max_zoom"] == 20  # Leaflet.markercluster needs the map's maxZoom
    assert '"maxZoom": 20' in m.get_root().render()
    assert maps.make_map(bounds=BEIJING, basemap="amap").options["max_zoom"] == 18
    # Fractional zoom only without tiles (tiles blur between levels).
    assert m.options["zoom_snap"] == maps.VECTOR_ZOOM_SNAP
    assert "zoom_snap" not in maps.make_map(bounds=HELSINKI, basemap="osm").options


def test_vector_basemap_is_light_and_non_interactive():
    m = maps.make_map(bounds=HELSINKI)
    buildings, streets = maps.add_vector_basemap(
        m,
        streets=_streets().to_crs(32635),
        buildings=gpd.GeoDataFrame(
            geometry=[shapely.box(24.94, 60.165, 24.9405, 60.1655)], crs="EPSG:4326"
        ),
    )
    assert streets.options["interactive"] is False
    assert streets.options["pane"] == buildings.options["pane"]
    # One multi-line per line width, thinnest first.
    weights = [f["properties"]["w"] for f in streets.data["features"]]
    assert weights == [0.6, 1.6, 2.0, 3.5]
    assert len(streets.data["features"]) == 4  # merged per width, not one per way
    for feature in streets.data["features"]:
        coords = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
        np.testing.assert_array_equal(coords, np.round(coords, 6))
    page = m.get_root().render()
    assert "createPane" in page
    assert "bindTooltip" not in page


# --- legends and classes -----------------------------------------------------------------


def test_legend_escapes_and_checks_colours():
    text = maps.legend_html(title=EVIL, entries=[("#abc", "<i>x</i>")], note="a & b")
    assert "<script>" not in text
    assert "&lt;i&gt;x&lt;/i&gt;" in text
    assert "a &amp; b" in text
    m = maps.make_map(bounds=HELSINKI)
    with pytest.raises(ValidationError, match="colour"):
        maps.add_legend(m, title="t", entries=[("red;background:url(x)", "bad")])
    with pytest.raises(ValidationError, match="position"):
        maps.add_legend(m, title="t", entries=[], position="middle")  # type: ignore[arg-type]


def test_choropleth_classes_follow_the_breaks():
    gdf = _grids().assign(population=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    m = maps.make_map(bounds=HELSINKI)
    colors = ["#000001", "#000002", "#000003"]
    layer = maps.add_choropleth(
        m, gdf, value_column="population", title="p", bins=3, scheme="equal", colors=colors
    )
    fills = [f["properties"]["fill"] for f in layer.data["features"]]
    assert fills == ["#000001", "#000001", "#000002", "#000002", "#000003", "#000003"]
    constant = maps.add_choropleth(
        m, gdf.assign(population=7), value_column="population", title="p"
    )
    assert {f["properties"]["fill"] for f in constant.data["features"]} == {maps.YLORRD[5]}
    np.testing.assert_allclose(maps.class_breaks([0, 10, 20, 30, 40], bins=2), [0, 20, 40])
    # Whole-number data gets whole-number classes whose labels do not overlap.
    counts = gdf.assign(population=[22, 35, 39, 46, 47, 335])
    m2 = maps.make_map(bounds=HELSINKI)
    layer = maps.add_choropleth(m2, counts, value_column="population", title="n", bins=3)
    edges = maps.class_breaks(counts["population"], bins=3)
    np.testing.assert_array_equal(
        edges, np.ceil(np.quantile(counts["population"], [0, 1 / 3, 2 / 3, 1]))
    )
    html_text = m2.get_root().render()
    labels = [f"{int(edges[0])} – {int(edges[1]) - 1}", f"{int(edges[1])} – {int(edges[2]) - 1}"]
    assert all(label in html_text for label in labels), labels
    assert f"{int(edges[2])} – 335" in html_text
    # Each value sits in the class whose label range holds it.
    tops = [edges[1] - 1, edges[2] - 1, edges[3]]
    fills = {}
    for feature in layer.data["features"]:
        value = feature["properties"]["value"]
        cls = next(i for i, top in enumerate(tops) if value <= top)
        assert edges[cls] <= value
        fills.setdefault(cls, set()).add(feature["properties"]["fill"])
    assert all(len(f) == 1 for f in fills.values())
    assert len(set.union(*fills.values())) == len(fills) == 3
    edge_value = maps.add_choropleth(
        m2,
        counts.assign(population=[1, 2, 3, 4, 5, 6]),
        value_column="population",
        title="n",
        bins=2,
        scheme="equal",
    )  # edges 1, 4, 6: the value 4 starts the upper class
    edge_fills = [f["properties"]["fill"] for f in edge_value.data["features"]]
    assert edge_fills[2] != edge_fills[3] == edge_fills[5]
    with pytest.raises(ValidationError, match="scheme"):
        maps.class_breaks([1, 2], scheme="jenks")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="colours"):
        maps.add_choropleth(m, gdf, value_column="population", title="p", colors=["#000"])


# --- cells and the browser budget --------------------------------------------------------


def test_aggregate_to_cells_matches_independent_counts():
    points = _points(3000, seed=7)
    metric = gcrs.working_crs(HELSINKI)
    cells = maps.aggregate_to_cells(points, cell_size_m=200, crs=metric, weights="weight")
    assert cells.crs.to_epsg() == 4326
    assert cells["count"].sum() == len(points)
    assert (cells["count"] > 0).all()
    assert cells["weight"].sum() == pytest.approx(points["weight"].sum())
    assert cells["cell_id"].is_unique

    # 1. pandas groupby on cell indices computed with integer division of rounded-down
    #    coordinates (math.floor per point rather than numpy floor-division).
    projected = points.to_crs(metric)
    frame = pd.DataFrame(
        {
            "col": [int(np.floor(x / 200)) for x in projected.geometry.x],
            "row": [int(np.floor(y / 200)) for y in projected.geometry.y],
            "weight": points["weight"].to_numpy(),
        }
    )
    grouped = frame.groupby(["col", "row"]).agg(count=("weight", "size"), weight=("weight", "sum"))
    mine = cells.set_index(["col", "row"])[["count", "weight"]].sort_index()
    pd.testing.assert_frame_equal(mine, grouped.sort_index(), check_dtype=False)

    # 2. a spatial join of the points against the returned cell polygons.
    joined = gpd.sjoin(projected, cells.to_crs(metric)[["cell_id", "geometry"]], predicate="within")
    by_join = joined.groupby("cell_id").size()
    assert by_join.sum() == len(points)
    assert (
        by_join.sort_index().tolist() == cells.set_index("cell_id")["count"].sort_index().tolist()
    )

    # cells are squares of the requested size in the metric CRS
    areas = cells.to_crs(metric).area.to_numpy()
    np.testing.assert_allclose(areas, 200 * 200, rtol=1e-6)


def test_aggregate_to_cells_validates_and_handles_empty():
    empty = gpd.GeoDataFrame({"a": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    out = maps.aggregate_to_cells(empty, cell_size_m=100, crs=32635)
    assert len(out) == 0
    assert out.crs.to_epsg() == 4326
    with pytest.raises(ValidationError, match="metres"):
        maps.aggregate_to_cells(_points(3), cell_size_m=100, crs=4326)
    with pytest.raises(ValidationError, match="cell_size_m"):
        maps.aggregate_to_cells(_points(3), cell_size_m=0, crs=32635)
    with pytest.raises(ValidationError, match="weights"):
        maps.aggregate_to_cells(_points(3), cell_size_m=100, crs=32635, weights=[1.0])


def test_cell_counts_layer_and_budget(monkeypatch):
    points = _points(400)
    cells = maps.aggregate_to_cells(points, cell_size_m=250, crs=32635)
    m = maps.make_map(bounds=HELSINKI)
    layer = maps.add_cell_counts(m, cells, title="事件数", note="合成数据")
    assert len(layer.data["features"]) == len(cells)
    assert layer.data["features"][0]["properties"]["key"] == cells["cell_id"].iloc[0]
    monkeypatch.setattr(maps, "MAX_BROWSER_FEATURES", 100)
    with pytest.raises(ValidationError, match="aggregate_to_cells"):
        maps.add_points(m, points, label_column="incident_id")
    with pytest.raises(ValidationError, match="aggregate"):
        maps.add_heatmap(m, points)
    maps.add_cell_counts(m, cells[:100], title="ok")  # at the limit is fine


def test_points_reject_other_geometries_and_missing_columns():
    m = maps.make_map(bounds=HELSINKI)
    with pytest.raises(ValidationError, match="points"):
        maps.add_points(m, _grids(), label_column="name")
    with pytest.raises(ValidationError, match="nope"):
        maps.add_points(m, _points(3), label_column="nope")
    with pytest.raises(ValidationError, match="coordinate reference system"):
        maps.add_points(m, _points(3).set_crs(None, allow_override=True), label_column="category")


def test_geojson_payload_is_valid_json():
    m = _full_map()
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) >= 3  # basemap, grids, points
    grids = next(c for c in layers if any(f["properties"].get("key") for f in c.data["features"]))
    # The grid without a population (NaN) is sent as null: JSON has no NaN, and a browser's
    # JSON.parse would reject the whole layer.
    values = [f["properties"]["value"] for f in grids.data["features"]]
    assert values.count(None) == 1
    for layer in layers:
        text = json.dumps(layer.data, allow_nan=False)
        assert json.loads(text) == layer.data


def test_a_cached_map_draws_again_with_st_folium():
    # The street-office pages share one drawn map between reruns and sessions; a second
    # st_folium of it named layers the page no longer defined (blank map, JS error).
    streamlit_folium = pytest.importorskip("streamlit_folium")
    from app_pages._street_office import forget_rendered_names

    m = _full_map()
    for _ in range(3):
        forget_rendered_names(m)
        m.get_root().render()
        m.render()
        script = streamlit_folium._get_map_string(m)
        assert re.findall(r"\b[a-z_]+_[0-9a-f]{32}\b", script) == []
        assert ".addTo(map_div)" in script


#: Runs a map script in Node with Leaflet, ``window`` and ``document`` replaced by a stub
#: that accepts any use; prints the first error (a name used but never declared, a name
#: declared twice) or "ok". What Chromium reports, without a browser.
_NODE_RUN = r"""
const vm = require('vm');
const stub = new Proxy(function () {}, {
  get: (target, prop) => (prop === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub, construct: () => stub, set: () => true,
});
const context = vm.createContext({L: stub, window: stub, document: stub});
const script = require('fs').readFileSync(0, 'utf8');
try { vm.runInContext(script, context); console.log('ok'); }
catch (e) { console.log(e.name + ': ' + e.message); }
"""


def _st_folium_scripts(m: folium.Map, times: int, monkeypatch) -> list[str]:
    """The map scripts ``st_folium`` sends the browser when it draws `m` `times` times."""
    streamlit_folium = pytest.importorskip("streamlit_folium")
    sent: list[str] = []
    monkeypatch.setattr(
        streamlit_folium, "_component_func", lambda **kwargs: sent.append(kwargs["script"])
    )
    for _ in range(times):
        streamlit_folium.st_folium(m, key="map", returned_objects=[])
    return sent


def _run_in_node(script: str) -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("needs Node.js to run the map script")
    out = subprocess.run(
        [node, "-e", _NODE_RUN], input=script, capture_output=True, text=True, timeout=60
    )
    return out.stdout.strip() or out.stderr.strip()


def test_a_map_drawn_again_by_st_folium_sends_the_same_script(monkeypatch):
    # The pages cache their maps; st_folium renames the elements of the map it draws, and
    # folium's layers add a child naming them at each render: the second draw of the same
    # map used to name layers by ids that no longer existed (`geo_json_… is not defined`).
    scripts = _st_folium_scripts(_full_map(), 3, monkeypatch)
    assert scripts[0] == scripts[1] == scripts[2]
    assert re.findall(r"\b[a-z_]+_[0-9a-f]{32}\b", scripts[0]) == []
    assert scripts[0].count("L.control.layers(") == 1
    assert _run_in_node(scripts[2]) == "ok"


def test_the_node_check_catches_an_undeclared_layer(monkeypatch):
    # folium's own render, as before the fix: the second script names a layer it never
    # declares, and the check in Node says so (it is not a check that always passes).
    monkeypatch.setattr(maps.OfflineMap, "render", folium.Map.render)
    first, second = _st_folium_scripts(_full_map(), 2, monkeypatch)
    assert _run_in_node(first) == "ok"
    assert re.fullmatch(r"ReferenceError: \w+_[0-9a-f]{32} is not defined", _run_in_node(second))


@pytest.mark.parametrize("attribution", ["数据：某街道办 <测试>", None])
def test_leaflet_prefix_is_off_and_only_our_credit_is_added(attribution, monkeypatch):
    m = maps.make_map(bounds=BEIJING, attribution=attribution)
    (script,) = _st_folium_scripts(m, 1, monkeypatch)
    assert "attributionControl.setPrefix(false)" in script
    added = re.findall(r"addAttribution\((.*?)\);", script)
    assert [json.loads(text) for text in added] == (
        ["数据：某街道办 &lt;测试&gt;"] if attribution else []
    )
    assert _run_in_node(script) == "ok"


def test_a_value_filling_most_quantiles_gets_a_class_of_its_own():
    """82 % of the sample's city blocks hold no household: quantiles alone made one class
    (0 – 273, every block one colour). The zeros get their own class and the other
    blocks are told apart by quantiles of their own (numpy's, independently)."""
    rng = np.random.default_rng(3)
    households = np.concatenate([np.zeros(500), rng.integers(1, 274, 110)])
    edges = maps.class_breaks(households, bins=5)
    assert edges[0] == 0
    assert edges[1] == 1  # the class "0"
    rest = households[households > 0]
    np.testing.assert_array_equal(edges[1:], np.ceil(np.quantile(rest, [0, 0.25, 0.5, 0.75, 1])))
    classes = np.clip(np.searchsorted(edges[1:-1], households, side="right"), 0, len(edges) - 2)
    assert (classes == 0).sum() == 500  # exactly the zeros
    assert len(np.unique(classes)) == 5  # every class holds blocks


def _basemap_lines(m: maps.OfflineMap) -> int:
    """How many street lines the map's vector basemap draws (0 without one)."""
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    return sum(
        len(shapely.get_parts(shapely.from_geojson(json.dumps(f["geometry"]))))
        for layer in layers
        for f in layer.data["features"]
    )


def test_a_page_map_credits_the_workspace_and_draws_only_the_streets_asked_for():
    streets = _streets()
    # OpenStreetMap's credit reads in the page's language; a workspace's own as set.
    osm = maps.page_map(bounds=HELSINKI, lang="zh", streets=streets)
    assert osm.get_root().render().count("OpenStreetMap 贡献者") == 1
    own = maps.page_map(bounds=HELSINKI, lang="en", credit="数据：某街道办", streets=streets)
    page = own.get_root().render()
    assert "数据：某街道办" in page
    assert "OpenStreetMap" not in page
    assert _basemap_lines(own) == 4
    # Tiles: no vector basemap under them.
    assert (
        _basemap_lines(maps.page_map(bounds=HELSINKI, lang="en", basemap="osm", streets=streets))
        == 0
    )
    # A small area of a large office: only the streets near it.
    far = streets.assign(geometry=streets.geometry.translate(xoff=0.5))
    both = pd.concat([streets, far], ignore_index=True)
    near = maps.page_map(bounds=HELSINKI, lang="en", streets=both, streets_margin=0.003)
    assert _basemap_lines(near) == 4
    assert _basemap_lines(maps.page_map(bounds=HELSINKI, lang="en", streets=both)) == 8
    # Nothing near: no basemap layer at all (not an empty one).
    alone = maps.page_map(bounds=HELSINKI, lang="en", streets=far, streets_margin=0.003)
    assert _basemap_lines(alone) == 0
