"""End to end in a real Chromium, offline: on the Coverage & posts page a click on the map
adds a sentinel post, the what-if preview shows, saving writes a version, and the map
redraws the coverage with the new post and its legend. Enabled with GRIDMAP_BROWSER_TESTS=1;
with GRIDMAP_SCREENSHOTS=1 it also saves docs/coverage.png for the README."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gridmap.store import GeoPackageStore
from tests.browser import (
    CHROMIUM_ARGS,
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
#: What the Leaflet map holds: posts (circle markers of radius 7), added or moved posts
#: (radius 9), street pieces drawn per response class (line colours), and the legends.
MAP_STATE_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  if (!map) return null;
  const layers = Object.values(map._layers);
  const markers = r => layers.filter(l => l instanceof L.CircleMarker && l.options.radius === r);
  const colours = new Set(layers.filter(l => l instanceof L.Polyline && !(l instanceof L.Polygon))
    .map(l => l.options.color));
  const legends = [...document.querySelectorAll('.gridmap-legend')].map(e => e.innerText);
  return {posts: markers(7).length, changed: markers(9).length,
          colours: [...colours].sort(), legends: legends};
}"""


def map_state(page, condition: str, what: str):  # type: ignore[no-untyped-def]
    """The map's state once `condition` (JS over ``s``, the state) holds in its frame."""
    check = f"() => {{ const s = ({MAP_STATE_JS})(); return !!(s && ({condition})); }}"
    frame = _map_frame_when(page, check, None, 150_000, what)
    return frame, frame.evaluate(MAP_STATE_JS)


def test_a_post_added_by_clicking_the_map_is_previewed_saved_and_drawn(
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"
    home.mkdir()
    with running_app(home) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{url}/coverage")
        page.get_by_role("heading", name="覆盖与站点").wait_for(timeout=150_000)
        # The coverage as it is: 8 posts, streets in the three minute colours, the legend.
        _, first = map_state(page, "s.posts === 8 && s.legends.length", "the posts")
        legends = " ".join(first["legends"])
        assert "出警时间" in legends
        assert all(f"{m} 分钟内" in legends for m in (1, 3, 5))
        wait_until_idle(page)
        if os.environ.get("GRIDMAP_SCREENSHOTS") == "1":
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "coverage.png"))
        editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
        editor.fill("赵六")
        editor.press("Enter")
        wait_until_idle(page)
        page.get_by_text("假设调整岗位", exact=True).click()
        page.get_by_text("在左侧地图上点击新位置").wait_for(timeout=60_000)
        wait_until_idle(page)
        # A click in the map, left of its centre: a new post there.
        map_state(page, "s.posts === 8", "the editing map")
        box = page.locator("iframe[title='streamlit_folium.st_folium']").first.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.55)
        # The preview: before/after, and the map with the added post highlighted.
        page.get_by_text("调整前后对比（未保存）").wait_for(timeout=150_000)
        # The what-if is laid over the map already shown: its 8 posts, and the added one
        # large on top (the map's frame is not reloaded).
        _, preview = map_state(page, "s.posts === 8 && s.changed === 1", "the previewed post")
        assert "新增或移动的岗位" in " ".join(preview["legends"])
        wait_until_idle(page)
        store = GeoPackageStore(home / "sample.gpkg")
        assert len(store.history("posts")) == 1  # nothing saved by a preview
        page.get_by_role("button", name="保存为守望岗图层新版本").click()
        page.get_by_text("已保存为守望岗第 2 版（9 个岗位）").wait_for(timeout=150_000)
        # The saved coverage redrawn: nine posts, none pending, and the legend.
        _, saved = map_state(page, "s.posts === 9 && s.changed === 0", "the saved post")
        assert "出警时间" in " ".join(saved["legends"])
        assert len(saved["colours"]) >= 4  # 1, 3, 5 minutes and gaps
        posts = store.read("posts")
        assert len(posts) == 9
        assert store.history("posts")[-1].author == "赵六"
        west, south, east, north = store.read("streets").total_bounds
        new = posts.set_index("post_id").geometry["P09"]
        assert west < new.x < east
        assert south < new.y < north
        browser.close()
        assert not outside, outside
