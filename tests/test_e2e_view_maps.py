"""End to end in a real Chromium, offline: a map that only shows is drawn in the page itself
(app_pages/_maps.py, app_pages/_edit_map.py), sends the app nothing, and keeps what the
st_folium map showed. Enabled with GRIDMAP_BROWSER_TESTS=1.

Every message a display map sent would rerun the whole page (issue #10 "Load": 20
browsers on one small server), so the browser's own messages are counted: one script run
per arrival, page change or widget, none from the map.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely

from gridmap import crs as gcrs
from gridmap.overview import workspace_credit
from tests.browser import (
    CHROMIUM_ARGS,
    FIND_MAP_JS,
    GRID_POLYGONS_JS,
    MAP_IFRAME,
    OWN_MAP,
    block_outside_requests,
    chromium_path,
    map_frame,
    running_app,
    wait_for_map_text,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("GRIDMAP_BROWSER_TESTS") != "1" or chromium_path() is None,
        reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
    ),
]

#: Marks the Leaflet map now on the page, so a map built anew is told from the same one.
MARK_JS = f"() => {{ {FIND_MAP_JS}.gridmapMark = 1; }}"
MARKED_JS = f"() => !!({FIND_MAP_JS} || {{}}).gridmapMark"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("gridmap-home")) as url:
        yield url


def _record_back_messages(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The kind of every message the page sends the app from now on (``rerun_script`` …)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    kinds: list[str] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            message = BackMsg()
            message.ParseFromString(payload)
            kinds.append(str(message.WhichOneof("type")))

    def on_websocket(ws) -> None:  # type: ignore[no-untyped-def]
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framesent", on_frame)

    page.on("websocket", on_websocket)
    return kinds


def _settled(page) -> None:  # type: ignore[no-untyped-def]
    """The run is over, and a map that would send something has had time to."""
    wait_until_idle(page)
    page.wait_for_timeout(1500)
    wait_until_idle(page)


def _runs(kinds: list[str]) -> int:
    return kinds.count("rerun_script")


def test_the_overview_map_sends_nothing_and_is_built_once_per_map(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        kinds = _record_back_messages(page)
        page.goto(app_url)
        frame = map_frame(page)
        assert frame == page.main_frame  # in the page itself, no iframe
        assert frame.evaluate(GRID_POLYGONS_JS) == 30
        _settled(page)
        assert page.locator(MAP_IFRAME).count() == 0
        assert page.locator(OWN_MAP).count() == 1
        assert _runs(kinds) == 1, kinds  # the arrival's run, and nothing from the map

        # A rerun that shows the same map (a name typed in the sidebar) keeps it as it is.
        page.evaluate(MARK_JS)
        editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
        editor.fill("赵六")
        editor.press("Enter")
        _settled(page)
        assert _runs(kinds) == 2, kinds
        assert page.evaluate(MARKED_JS), "the same map was built again"
        assert page.locator(OWN_MAP).count() == 1

        # Away and back: one run each; the map comes back as the tab kept it, not built
        # again (a page change costs the browser no new map).
        page.evaluate(MARK_JS)
        page.get_by_role("link", name="数据").click()
        page.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        _settled(page)
        assert page.locator(OWN_MAP).count() == 0
        page.get_by_role("link", name="总览").click()
        assert map_frame(page).evaluate(GRID_POLYGONS_JS) == 30
        _settled(page)
        assert _runs(kinds) == 4, kinds
        assert page.locator(OWN_MAP).count() == 1
        assert page.evaluate(MARKED_JS), "the map was built again on the way back"
        assert page.evaluate(f"() => {FIND_MAP_JS}.getSize().x") > 300  # sized, not 0×0

        # Another map (the language) replaces the one shown, in the same element's place.
        page.evaluate(MARK_JS)
        page.get_by_text("English", exact=True).click()
        wait_for_map_text(page, "Households per grid")
        _settled(page)
        assert not page.evaluate(MARKED_JS), "the old map stayed"
        assert page.locator(OWN_MAP).count() == 1
        assert page.evaluate(GRID_POLYGONS_JS) == 30
        assert _runs(kinds) == 5, kinds
        assert set(kinds) <= {"rerun_script", "app_heartbeat", "load_git_info"}, kinds
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"


#: What the map in the page shows: its grid polygons' corners (as Leaflet holds them, in
#: the basemap's coordinates), its tile layers, its legends and its credit.
SHOWN_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  const layers = Object.values(map._layers);
  const grids = layers.filter(l => l.feature && l.feature.properties
    && l.feature.properties.key && l.getBounds && l._parts && l._parts.length);
  return {{
    corners: grids.map(l => [l.feature.properties.key,
                             l.getBounds().getWest(), l.getBounds().getSouth()]),
    tiles: layers.filter(l => l._url).map(l => l._url),
    legends: [...document.querySelectorAll('.gridmap-map .gridmap-legend')]
      .map(e => e.innerText),
    credit: document.querySelector('.gridmap-map .leaflet-control-attribution').innerText,
  }};
}}"""


def test_gcj02_legend_and_credit_show_on_the_map_in_the_page(tmp_path: Path) -> None:
    # A city's own grids in Beijing on Amap's tiles: the overlays shifted to GCJ-02, as
    # gridmap.maps shifts them for st_folium's map.
    from playwright.sync_api import sync_playwright

    from tests.own_city_workspace import grids_without_households

    workspace = tmp_path / "city.gpkg"
    store = grids_without_households(workspace)
    grids = store.read("grids").to_crs(4326)
    with running_app(tmp_path, workspace=workspace) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        tiles: list[str] = []
        outside: list[str] = []

        def handle(route) -> None:  # type: ignore[no-untyped-def]
            # Amap's tiles are asked for (the basemap chosen), answered empty: offline.
            address = route.request.url
            if "autonavi.com" in address:
                tiles.append(address)
                route.fulfill(status=204, body=b"")
            elif address.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                outside.append(address)
                route.abort()

        context.route("**/*", handle)
        page = context.new_page()
        page.goto(url)
        map_frame(page)
        wait_until_idle(page)
        page.get_by_text("底图", exact=True).first.click()
        picker = page.get_by_role("combobox", name="底图")
        picker.wait_for()
        amap = page.get_by_role("option", name="高德地图（GCJ-02，数据自动偏移）")
        for _ in range(20):  # the expander still opening may swallow a click
            picker.click()
            try:
                amap.wait_for(timeout=1000)
                break
            except Exception:
                page.keyboard.press("Escape")
        amap.click()
        page.wait_for_function(
            f"() => {{ const m = {FIND_MAP_JS}; return !!m && Object.values(m._layers)"
            ".some(l => l._url && l._url.includes('autonavi')); }",
            timeout=60_000,
        )
        frame = map_frame(page)
        assert frame == page.main_frame
        shown = page.evaluate(SHOWN_JS)
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()
    assert outside == [], f"the app tried to reach outside: {outside[:5]}"
    assert tiles, "no Amap tile was asked for"
    assert len(shown["corners"]) == len(grids) == 5
    grids = grids.set_index("grid_code")
    for key, west, south in shown["corners"]:
        # The grid as gridmap.crs shifts it, vertex by vertex (the map rounds to 1e-6°).
        xy = shapely.get_coordinates(grids.geometry.loc[key])
        lon, lat = gcrs.wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        assert abs(west - min(lon)) < 2e-6, (key, west, min(lon))
        assert abs(south - min(lat)) < 2e-6, (key, south, min(lat))
        # GCJ-02 lies some hundred metres from WGS-84 in Beijing: the shift is there.
        assert abs(west - xy[:, 0].min()) > 1e-3
    assert any("网格事件数" in legend for legend in shown["legends"]), shown["legends"]
    credit = workspace_credit(store.settings(), "zh", name="city")
    assert credit
    assert credit in shown["credit"], shown["credit"]
    assert "高德" in shown["credit"], shown["credit"]
    assert "Leaflet" not in shown["credit"], shown["credit"]
