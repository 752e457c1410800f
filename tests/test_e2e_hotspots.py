"""End to end in a real Chromium, offline: the Heatmaps page draws the density overlay and
its legend, and redraws both when a filter changes. Enabled with GRIDMAP_BROWSER_TESTS=1;
with GRIDMAP_SCREENSHOTS=1 it also saves docs/heatmaps.png for the README."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
#: The overlay's image (a data: URL, so the browser fetched nothing) and the legend text.
OVERLAY_JS = """() => {
  const img = document.querySelector('.leaflet-image-layer');
  const legend = document.querySelector('.gridmap-legend');
  if (!(img && legend && img.complete)) return null;
  return [img.src.length, img.src.slice(-64), legend.innerText];
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("gridmap-home")) as url:
        yield url


def overlay(page, previous: object = None):  # type: ignore[no-untyped-def]
    """The overlay's fingerprint once drawn (and different from `previous`, if given)."""
    condition = (
        f"(prev) => {{ const now = ({OVERLAY_JS})(); return now && JSON.stringify(now) !== prev; }}"
    )
    for _ in range(5):
        # Generous: the first density of a cold server on a loaded 2-core machine is slow.
        frame = _map_frame_when(page, condition, str(previous), 150_000, "the density overlay")
        try:
            value = frame.evaluate(OVERLAY_JS)
        except Exception as exc:  # the map was re-mounted between the wait and the read
            if "detached" not in str(exc):
                raise
            continue
        if value is not None:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False), value
    msg = "the density overlay kept being re-mounted"
    raise TimeoutError(msg)


def test_heatmap_overlay_and_legend_redraw_when_a_filter_changes(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{app_url}/heatmaps")
        page.get_by_role("heading", name="热力分析").wait_for(timeout=120_000)
        first, value = overlay(page)
        assert "每周每平方公里事件数" in value[2]
        wait_until_idle(page)
        if os.environ.get("GRIDMAP_SCREENSHOTS") == "1":
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ROOT / "docs" / "heatmaps.png"))
        # Remove one category from the filter (Backspace drops the last chosen one): the
        # raster and its classes change.
        page.locator("[data-testid='stMultiSelect']").first.locator("input").click()
        page.keyboard.press("Backspace")
        page.keyboard.press("Escape")
        second, value = overlay(page, first)
        assert second != first
        assert "每周每平方公里事件数" in value[2]
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"
