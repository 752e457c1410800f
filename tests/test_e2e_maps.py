"""End to end in a real Chromium, offline: the maps of every page run without JavaScript
errors, also when a page draws its (cached) map again, and credit only the data.

A map drawn a second time by ``st_folium`` used to name layers by ids that no longer
existed (``geo_json_… is not defined``, then ``Identifier 'layer_control_…' has already
been declared`` when the script ran again, and an empty layer switcher). Leaflet's own
attribution prefix (a flag and a link to its website) must not show: the control holds our
credit and nothing else. Enabled with GRIDMAP_BROWSER_TESTS=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmap.overview import workspace_credit
from gridmap.store import GeoPackageStore
from tests.browser import (
    CHROMIUM_ARGS,
    FIND_MAP_JS,
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

#: The map's attribution control and layer switcher as the user sees them.
CONTROLS_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  const credit = document.querySelector('.leaflet-control-attribution');
  const layers = document.querySelector('.leaflet-control-layers');
  if (!map || !credit) return null;
  return {{
    credit: credit.innerText.trim(),
    credit_html: credit.innerHTML,
    credit_links: [...credit.querySelectorAll('a')].map(a => a.getAttribute('href')),
    switcher: layers ? layers.querySelectorAll('.leaflet-control-layers-list label').length : -1,
    layers: Object.keys(map._layers).length,
  }};
}}"""

STREAMLIT_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[a-z_]+/_stcore/(health|host-config)$")
URL_RE = re.compile(r"(?:https?:)?//|www\.|\.(?:com|org|net|cn)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("gridmap-home")
    with running_app(home, timeout=120) as url:
        yield url, home


@pytest.fixture
def browser_page(app: tuple[str, Path]):  # type: ignore[no-untyped-def]
    """A Chinese page of the app and the JavaScript errors of all its frames."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1200}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        errors: list[str] = []

        def console(msg) -> None:  # type: ignore[no-untyped-def]
            # a failed load is reported below with its address
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                errors.append(f"console: {msg.text}")

        def response(resp) -> None:  # type: ignore[no-untyped-def]
            # Streamlit's frontend first asks for its endpoints under the page's own path
            # (/coverage/_stcore/health) and falls back to the root: not an error of ours.
            if resp.status >= 400 and not STREAMLIT_PROBE.search(resp.url):
                errors.append(f"HTTP {resp.status}: {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on("response", response)
        yield page, errors
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"


def controls(page, what: str, condition: str = "true", *, errors: list[str]) -> dict:  # type: ignore[no-untyped-def]
    """The map's controls once the map is drawn and `condition` (JS over ``c``) holds.

    A map whose script stopped never gets there: the errors seen so far say why.
    """
    check = f"() => {{ const c = ({CONTROLS_JS})(); return !!(c && c.layers && ({condition})); }}"
    try:
        frame = _map_frame_when(page, check, None, 150_000, what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; errors: {errors}") from exc
    return frame.evaluate(CONTROLS_JS)


def sample_credit(home: Path) -> str:
    """The credit the sample workspace's maps should show in Chinese."""
    credit = workspace_credit(GeoPackageStore(home / "sample.gpkg").settings(), "zh", name="sample")
    assert credit
    return credit


def assert_only_our_credit(shown: dict) -> None:
    assert "Leaflet" not in shown["credit_html"], shown
    assert "🇺🇦" not in shown["credit"], shown
    assert shown["credit_links"] == [], shown
    assert not URL_RE.search(shown["credit_html"]), shown


@pytest.mark.parametrize(
    ("path", "heading"),
    [("", "总览"), ("heatmaps", "热力分析"), ("grids", "网格调整")],
)
def test_street_office_pages_draw_their_maps_without_errors_and_credit_the_data(
    app: tuple[str, Path], browser_page, path: str, heading: str
) -> None:
    url, home = app
    page, errors = browser_page
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=150_000)
    first = controls(page, f"the {path or 'overview'} map", errors=errors)
    wait_until_idle(page, timeout_ms=120_000)
    # A rerun that draws the same cached map again (the language switch reruns the page).
    page.reload()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=150_000)
    again = controls(page, f"the {path or 'overview'} map drawn again", errors=errors)
    wait_until_idle(page, timeout_ms=120_000)
    page.wait_for_timeout(500)
    assert errors == [], errors
    for shown in (first, again):
        assert_only_our_credit(shown)
        assert sample_credit(home) in shown["credit"]
        assert shown["switcher"] != 0  # a layer switcher, if any, lists layers


def test_coverage_what_if_click_and_save_raise_no_script_errors(
    app: tuple[str, Path], browser_page
) -> None:
    url, _home = app
    page, errors = browser_page
    page.goto(f"{url}/coverage")
    page.get_by_role("heading", name="覆盖与站点").wait_for(timeout=150_000)
    first = controls(page, "the coverage map", "c.switcher > 0", errors=errors)
    wait_until_idle(page, timeout_ms=120_000)
    editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
    editor.fill("赵六")
    editor.press("Enter")
    wait_until_idle(page, timeout_ms=120_000)
    page.get_by_text("假设调整岗位", exact=True).click()
    page.get_by_text("在左侧地图上点击新位置").wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)
    controls(page, "the editing map", errors=errors)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.55)
    page.get_by_text("调整前后对比（未保存）").wait_for(timeout=150_000)
    preview = controls(page, "the previewed post", "c.switcher > 0", errors=errors)
    wait_until_idle(page, timeout_ms=120_000)
    page.get_by_role("button", name="保存为守望岗图层新版本").click()
    page.get_by_text("已保存为守望岗第 2 版（9 个岗位）").wait_for(timeout=150_000)
    wait_until_idle(page, timeout_ms=120_000)
    # The map after saving: its layer switcher lists its layers (it was an empty box).
    saved = controls(page, "the saved coverage", "c.switcher > 0", errors=errors)
    # The saved coverage's map, already drawn once, drawn again in a new frame.
    page.reload()
    page.get_by_role("heading", name="覆盖与站点").wait_for(timeout=150_000)
    again = controls(page, "the saved coverage drawn again", "c.switcher > 0", errors=errors)
    page.wait_for_timeout(1000)
    assert errors == [], errors
    for shown in (first, preview, saved, again):
        assert_only_our_credit(shown)
        assert shown["switcher"] >= 3  # streets, grids, minute classes …


def test_planning_a_patrol_route_raises_no_script_errors(
    app: tuple[str, Path], browser_page
) -> None:
    url, _home = app
    page, errors = browser_page
    page.goto(f"{url}/patrol_routes")
    page.get_by_role("heading", name="巡逻路线").first.wait_for(timeout=150_000)
    wait_until_idle(page, timeout_ms=150_000)
    page.get_by_role("button", name="规划路线").click()
    planned = controls(
        page, "the planned routes", "document.querySelector('.gm-order')", errors=errors
    )
    wait_until_idle(page, timeout_ms=150_000)
    # Planning again with the same answer draws the same (cached) map a second time.
    page.get_by_role("button", name="规划路线").click()
    wait_until_idle(page, timeout_ms=150_000)
    again = controls(
        page, "the routes drawn again", "document.querySelector('.gm-order')", errors=errors
    )
    page.wait_for_timeout(1000)
    assert errors == [], errors
    for shown in (planned, again):
        assert_only_our_credit(shown)
        assert shown["switcher"] > 0


@pytest.mark.parametrize(
    ("path", "heading"), [("coverage", "覆盖与站点"), ("patrol_routes", "巡逻路线")]
)
def test_coverage_and_route_maps_credit_the_workspace(
    app: tuple[str, Path], browser_page, path: str, heading: str
) -> None:
    url, home = app
    page, errors = browser_page
    page.goto(f"{url}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=150_000)
    if path == "patrol_routes":
        wait_until_idle(page, timeout_ms=150_000)
        page.get_by_role("button", name="规划路线").click()
    shown = controls(page, f"the {path} map", errors=errors)
    assert_only_our_credit(shown)
    assert sample_credit(home) in shown["credit"]
