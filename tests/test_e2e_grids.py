"""End to end in a real Chromium, offline: on the Grids page a planner draws a split line on
the map with the mouse (Leaflet.draw, served by the app), sees the preview, commits it and
finds the new grids and the history entry. Enabled with GRIDMAP_BROWSER_TESTS=1; with
GRIDMAP_SCREENSHOTS=1 it also saves docs/grids.png for the README."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from gridmap import ValidationError
from gridmap.grids import views
from gridmap.grids.blocks import grid_blocks
from gridmap.store import GeoPackageStore
from tests.browser import (
    CHROMIUM_ARGS,
    GRID_POLYGONS_JS,
    MAP_IFRAME,
    _map_frame_when,
    block_outside_requests,
    chromium_path,
    running_app,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("GRIDMAP_BROWSER_TESTS") != "1" or chromium_path() is None,
        reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
    ),
]

ROOT = Path(__file__).resolve().parent.parent
#: The draw map is ready: Leaflet.draw's line button and the grid polygons are there.
DRAW_READY_JS = f"""() => !!document.querySelector('.leaflet-draw-draw-polyline')
  && ({GRID_POLYGONS_JS})() > 0"""
#: Page-independent pixel position (inside the map frame) of WGS-84 points.
TO_PIXELS_JS = """(points) => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  const box = map.getContainer().getBoundingClientRect();
  return points.map(([lng, lat]) => {
    const p = map.latLngToContainerPoint(L.latLng(lat, lng));
    return [box.left + p.x, box.top + p.y];
  });
}"""
#: The draw map shows the preview's two halves: red polygons Leaflet has drawn, in the
#: layer st_folium laid over the map (its feature group), next to the drawing tool.
TWO_RED_HALVES_JS = """() => !!document.querySelector('.leaflet-draw-draw-polyline')
  && (window.feature_group || []).some(g => g._map) && Object.values(
    Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded)._layers
  ).filter(l => l.feature && l.options && l.options.fillColor === '#d7301f'
               && l._parts && l._parts.length).length === 2"""
#: Every script and style sheet the map's page loads.
LINKS_JS = """() => [...document.querySelectorAll('script[src], link[href]')]
  .map(e => e.src || e.href)"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gridmap-home")


@pytest.fixture(scope="module")
def app_url(home: Path) -> Iterator[str]:
    with running_app(home) as url:
        yield url


def _split_line(store: GeoPackageStore) -> tuple[str, list[list[float]]]:
    """A grid of the first street and a north-south line through it that splits it.

    Chosen with the library on the same workspace, as the page will split it; the line is
    kept well inside the map so every click lands on the map.
    """
    grids = store.read("grids")
    blocks = grid_blocks(grids, store.read("streets"), buildings=store.read("buildings"))
    street = grids["grid_code"].iloc[0][:9]
    for geom in views.area_grids(grids, street).geometry:
        west, south, east, north = geom.bounds
        x = (west + east) / 2
        coords = [[x, south - 0.0003], [x, (south + north) / 2], [x, north + 0.0003]]
        drawing = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}}]
        try:
            preview = views.drawn_split(grids, blocks, drawing, code=street)
        except ValidationError:  # refused: try the next grid
            continue
        if preview is not None:
            split = preview.codes.loc[preview.codes["change"] == "split", "old_code"]
            return str(split.iloc[0]), coords
    raise AssertionError("no grid of the sample splits along a line through its middle")


def test_a_line_drawn_with_the_mouse_splits_a_grid_and_is_committed(
    app_url: str, home: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{app_url}/grids")
        page.get_by_role("heading", name="网格调整").wait_for(timeout=120_000)
        store = GeoPackageStore(home / "sample.gpkg")
        grids = store.read("grids")
        code, line = _split_line(store)
        editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
        editor.fill("测绘员")
        editor.press("Enter")
        wait_until_idle(page)
        page.get_by_text("手动调整", exact=True).click()
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_text("在地图上画线拆分", exact=True).click()
        page.get_by_text("尚未画线").wait_for(timeout=120_000)
        frame = _map_frame_when(page, DRAW_READY_JS, None, 120_000, "the draw control")
        # The map's page loads Leaflet and Leaflet.draw from the app, nothing from a CDN.
        links = frame.evaluate(LINKS_JS)
        assert any(
            link.endswith("/app/static/vendor/leaflet-draw/leaflet.draw.js") for link in links
        )
        assert all(link.startswith(app_url) for link in links), links
        html = frame.content()
        assert "cdn" not in html.lower()
        # Draw: the line tool, three clicks across the grid, a click on the last point ends it.
        page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
        frame.locator(".leaflet-draw-draw-polyline").click()
        box = page.locator(MAP_IFRAME).first.bounding_box()
        points = [(box["x"] + x, box["y"] + y) for x, y in frame.evaluate(TO_PIXELS_JS, line)]
        for x, y in points:
            page.mouse.click(x, y)
            page.wait_for_timeout(400)
        started = time.monotonic()
        page.mouse.click(*points[-1])
        # The preview is laid over the draw map itself: its two halves drawn red there.
        _map_frame_when(page, TWO_RED_HALVES_JS, None, 60_000, "the preview over the map")
        shown_after = time.monotonic() - started
        page.get_by_text(f"拆分网格 {code}").wait_for(timeout=60_000)
        caption = page.get_by_text("预览用时").first.inner_text()
        print(f"\nclick to preview on screen: {shown_after * 1000:.0f} ms; {caption}")
        page.get_by_role("heading", name="预览").wait_for()
        wait_until_idle(page)
        if os.environ.get("GRIDMAP_SCREENSHOTS") == "1":
            # Tall enough for the drawn line and the preview (changed grids, code table).
            page.set_viewport_size({"width": 1500, "height": 2000})
            page.wait_for_timeout(3000)
            page.screenshot(path=str(ROOT / "docs" / "grids.png"))
            page.set_viewport_size({"width": 1500, "height": 1100})
        assert store.current_version("grids") == 1  # a preview writes nothing
        page.get_by_role("button", name="提交为新版本").click()
        page.get_by_text("已保存为网格第 2 版").wait_for(timeout=60_000)
        after = store.read("grids")
        assert len(after) == len(grids) + 1
        assert after["households"].sum() == grids["households"].sum()
        assert store.history("grids")[-1].author == "测绘员"
        # History: the new version, its two changed grids highlighted on the map.
        wait_until_idle(page)
        page.get_by_text("版本历史", exact=True).click()
        page.get_by_text("与上一版相比改变的网格").wait_for(timeout=60_000)
        changed = page.get_by_text("与上一版相比改变的网格").inner_text()
        # At least the two halves (grids renumbered into another's place count too).
        assert int(re.search(r"(\d+) 个", changed).group(1)) >= 2, changed
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"


def test_a_block_clicked_on_the_map_is_picked(app_url: str, home: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{app_url}/grids")
        page.get_by_role("heading", name="网格调整").wait_for(timeout=120_000)
        store = GeoPackageStore(home / "sample.gpkg")
        grids = store.read("grids")
        blocks = grid_blocks(grids, store.read("streets"), buildings=store.read("buildings"))
        street = grids["grid_code"].iloc[0][:9]
        mine = blocks[blocks["grid_code"].str.startswith(street)]
        # The largest block of the street, clicked at a point inside it.
        biggest = mine.loc[mine.geometry.area.idxmax()]
        inside = gpd.GeoSeries([biggest.geometry.representative_point()], crs=blocks.crs).to_crs(
            4326
        )
        where = [[inside.iloc[0].x, inside.iloc[0].y]]
        page.get_by_text("手动调整", exact=True).click()
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_text("移动街区", exact=True).click()
        page.get_by_text("已选街区：0 个").wait_for(timeout=120_000)
        frame = _map_frame_when(page, f"() => ({GRID_POLYGONS_JS})() > 0", None, 120_000, "blocks")
        page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
        box = page.locator(MAP_IFRAME).first.bounding_box()
        ((x, y),) = frame.evaluate(TO_PIXELS_JS, where)
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.get_by_text("已选街区：1 个").wait_for(timeout=60_000)
        # The block the page picked is the one under the mouse.
        picked = page.locator("[data-testid='stMultiSelect']").first.inner_text()
        assert str(int(biggest["block_id"])) in picked, picked
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"
