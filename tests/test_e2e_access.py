"""In a real Chromium: a grid worker scoped to one community signs in and the Overview's
map and page hold nothing of the other communities. Enabled with GRIDMAP_BROWSER_TESTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gridmap.access import access_storage, add_account
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.browser import (
    CHROMIUM_ARGS,
    GRID_POLYGONS_JS,
    block_outside_requests,
    chromium_path,
    map_frame,
    running_app,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("GRIDMAP_BROWSER_TESTS") != "1" or chromium_path() is None,
        reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
    ),
]

COMMUNITY = "990101001002"

#: The bounds of everything Leaflet drew (every layer with a position or bounds).
DRAWN_BOUNDS_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  const b = L.latLngBounds([]);
  let n = 0;
  for (const l of Object.values(map._layers)) {
    if (l.getLatLng) { b.extend(l.getLatLng()); n++; }
    else if (l.getBounds && l.feature) { b.extend(l.getBounds()); n++; }
  }
  return [n, b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}"""


def test_a_community_viewer_sees_nothing_of_other_communities(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    workspace = install_sample_workspace(tmp_path / "sample.gpkg")
    store = GeoPackageStore(workspace)
    grids = store.read("grids")
    mine = grids[grids["grid_code"].str.startswith(COMMUNITY)]
    others = grids[~grids["grid_code"].str.startswith(COMMUNITY)]
    incidents = store.read("incidents")
    storage = access_storage(store)
    add_account(storage, "admin", password="correct horse", role="administrator")
    add_account(storage, "wang", password="grid worker 1", role="viewer", scope=COMMUNITY)

    with running_app(tmp_path, workspace=workspace) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(url)
        # Nothing but the sign-in page before signing in: no map, no page of the app.
        page.get_by_role("heading", name="登录").wait_for(timeout=60_000)
        assert page.locator("iframe[title='streamlit_folium.st_folium']").count() == 0
        page.get_by_label("账号").fill("wang")
        page.get_by_label("密码").fill("grid worker 1")
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="总览").wait_for(timeout=60_000)
        frame = map_frame(page, timeout_ms=60_000)
        assert frame.evaluate(GRID_POLYGONS_JS) == len(mine) == 5
        # Everything drawn lies in the community (its grids' bounds, a metre of slack).
        n, west, south, east, north = frame.evaluate(DRAWN_BOUNDS_JS)
        x0, y0, x1, y1 = mine.total_bounds
        slack = 1e-5
        assert n > 0
        assert (west, south) >= (x0 - slack, y0 - slack), (west, south, x0, y0)
        assert (east, north) <= (x1 + slack, y1 + slack), (east, north, x1, y1)
        # The map's HTML and the page's hold no other community's grid codes or names.
        html = frame.content() + page.content()
        assert all(code in html for code in mine["grid_code"])
        leaked = [c for c in others["grid_code"] if c in html]
        assert leaked == []
        # The navigation offers the viewer's pages only.
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "数据" not in nav
        assert "账号" not in nav
        # A deep link is a new session: the sign-in page again, not the Data page.
        page.goto(f"{url}/data")
        page.get_by_role("heading", name="登录").wait_for(timeout=60_000)
        browser.close()
    assert outside == [], f"the app tried to reach outside: {outside[:5]}"
    assert len(incidents) > 0
