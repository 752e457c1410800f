"""End to end in a real Chromium, offline: on the Patrol routes page a route is planned and
drawn (route lines, numbered stops, direction arrows) with its legend. Enabled with
GRIDMAP_BROWSER_TESTS=1; with GRIDMAP_SCREENSHOTS=1 it also saves docs/patrol.png for the
README."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import (
    CHROMIUM_ARGS,
    FIND_MAP_JS,
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
#: Route lines Leaflet has drawn (plain polylines, not the basemap's GeoJSON), the numbered
#: stops and arrows (divIcons), and the legends' text.
ROUTE_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  if (!map) return null;
  const lines = Object.values(map._layers).filter(
    l => l instanceof L.Polyline && !(l instanceof L.Polygon) && !l.feature
         && l._parts && l._parts.length).length;
  const orders = [...document.querySelectorAll('.gm-order')].map(e => e.innerText);
  const arrows = document.querySelectorAll('.gm-arrow').length;
  const legend = [...document.querySelectorAll('.gridmap-legend')].map(e => e.innerText);
  return {{lines, orders, arrows, legend: legend.join(' | ')}};
}}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("gridmap-home")) as url:
        yield url


def test_a_planned_route_is_drawn_with_numbers_arrows_and_legend(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1250}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{app_url}/patrol_routes")
        page.get_by_role("heading", name="巡逻路线").first.wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_role("button", name="规划路线").click()
        condition = (
            f"() => {{ const r = ({ROUTE_JS})(); return r && r.lines > 0 && r.orders.length > 0; }}"
        )
        frame = _map_frame_when(page, condition, None, 180_000, "the planned routes")
        drawn = frame.evaluate(ROUTE_JS)
        # one line per leg of each unit, a number per stop visited (1, 2, … per unit), arrows
        visited = int(page.get_by_test_id("stMetricValue").first.inner_text())
        assert len(drawn["orders"]) == visited
        assert "1" in drawn["orders"]
        assert drawn["lines"] >= visited
        assert drawn["arrows"] >= drawn["lines"] // 2
        assert "巡逻路线" in drawn["legend"]
        assert "U1" in drawn["legend"]
        assert "守望岗" in drawn["legend"]
        wait_until_idle(page, timeout_ms=60_000)
        if os.environ.get("GRIDMAP_SCREENSHOTS") == "1":
            # the figures, the map and the tables, below the form
            page.get_by_role("button", name="规划路线").evaluate(
                "e => e.scrollIntoView({block: 'start'})"
            )
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "patrol.png"))
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"


def test_the_track_uploader_speaks_chinese(app_url: str) -> None:
    # Streamlit's dropzone says "Upload" and "200MB per file" in English: the page puts the
    # Data page's Chinese words there, with its own file types
    from playwright.sync_api import sync_playwright

    from tests.test_e2e import DROPZONE_TEXT_JS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        block_outside_requests(context, [])
        page = context.new_page()
        page.goto(f"{app_url}/patrol_routes")
        page.get_by_role("heading", name="巡逻路线").first.wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_text("计划与实际", exact=True).click()
        page.locator("[data-testid='stFileUploaderDropzone']").wait_for(timeout=60_000)
        wait_until_idle(page, timeout_ms=60_000)
        texts = page.evaluate(DROPZONE_TEXT_JS)
        browser.close()
    assert texts["shown"] == [], texts  # no English left visible
    generated = " ".join(texts["generated"])
    assert "选择文件" in generated, texts
    assert "每个文件不超过 200 MB • GPX, CSV, TXT" in generated, texts
