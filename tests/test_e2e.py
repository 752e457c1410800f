"""End to end in a real Chromium: the app opens offline on the sample, switches language and
imports a CSV through the Data page. Enabled with GRIDMAP_BROWSER_TESTS=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmap.store import GeoPackageStore
from tests.browser import (
    CHROMIUM_ARGS,
    GRID_EXTENT_JS,
    GRID_POLYGONS_JS,
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


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gridmap-home")


@pytest.fixture(scope="module")
def app_url(home: Path) -> Iterator[str]:
    with running_app(home) as url:
        yield url


@pytest.fixture
def page(app_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(app_url)
        yield page
        browser.close()
        assert outside == [], f"the app tried to reach outside: {outside[:5]}"


def test_opens_on_the_sample_with_grid_polygons_and_legend(page) -> None:  # type: ignore[no-untyped-def]
    frame = map_frame(page)
    assert frame.evaluate(GRID_POLYGONS_JS) == 30
    # The street office fills the map: fitted on one axis, inside it on the other.
    width, height = frame.evaluate(GRID_EXTENT_JS)
    assert max(width, height) > 0.75, (width, height)
    assert max(width, height) <= 1.0, (width, height)
    legends = frame.locator(".gridmap-legend")
    assert legends.first.is_visible()
    assert any("网格户数" in text for text in legends.all_inner_texts())
    page.get_by_text("户数").first.wait_for()


def test_switches_language(page) -> None:  # type: ignore[no-untyped-def]
    map_frame(page)
    wait_until_idle(page)
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
    frame = wait_for_map_text(page, "Households per grid")
    assert frame.evaluate(GRID_POLYGONS_JS) == 30
    assert page.get_by_text("By category").is_visible()
    # The navigation is translated in the same run, not one click later.
    assert page.get_by_role("link", name="Data").is_visible()


def test_imports_a_csv_through_the_data_page(page, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "警情.csv"
    csv.write_bytes(
        "事件编号,类别,发生时间,经度,纬度,描述\n"
        "E2E-1,盗窃,2026/10/30 10:00,24.9415,60.1690,<b>手机被盗</b>\n"
        "E2E-2,诈骗,2026-10-30 11:30,24.9440,60.1702,电话诈骗\n"
        "E2E-3,盗窃,not a date,24.9440,60.1702,坏时间\n".encode("gbk")
    )
    map_frame(page)
    wait_until_idle(page)
    page.get_by_role("link", name="数据").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text("字段对应").wait_for(timeout=30_000)  # the file was read and previewed
    page.get_by_role("button", name="检查").click()
    try:
        page.get_by_text("拒绝原因").wait_for(timeout=30_000)
    except Exception:
        page.screenshot(path=str(tmp_path / "data-page.png"), full_page=True)
        raise
    page.get_by_text("无法识别的时间 (bad_time)").first.wait_for(timeout=10_000)
    page.get_by_text("可导入行预览（前20行）").wait_for(timeout=10_000)
    # Without an editor's name the page refuses to write; with one, it is the author.
    page.get_by_role("button", name="提交到工作空间").click()
    page.get_by_text("请先在侧边栏填写编辑人姓名").wait_for(timeout=30_000)
    editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
    editor.fill("赵六")
    editor.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="提交到工作空间").click()
    page.get_by_text("已保存为").wait_for(timeout=30_000)
    store = GeoPackageStore(home / "sample.gpkg", create=False)
    incidents = store.read("incidents")
    added = incidents[incidents["incident_id"].astype(str).str.startswith("E2E-")]
    assert sorted(added["incident_id"]) == ["E2E-1", "E2E-2"]
    assert added.set_index("incident_id").loc["E2E-1", "description"] == "<b>手机被盗</b>"
    assert store.history("incidents")[-1].author == "赵六"  # versioned, by its editor


def test_a_deep_link_on_a_fresh_server_opens_the_page_with_its_sidebar(tmp_path: Path) -> None:
    # Streamlit runs a `pages/` folder as an old-style app until st.navigation first runs;
    # a link straight to /data on a fresh server then crashed without the sidebar.
    from playwright.sync_api import sync_playwright

    with running_app(tmp_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{url}/data")
        page.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.get_by_text("语言 / Language").wait_for(timeout=10_000)  # the shared sidebar
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()


def test_a_citys_grids_without_households_draw_on_the_map(tmp_path: Path) -> None:
    # The real-world case that crashed the Overview (and its retry without a basemap).
    from playwright.sync_api import sync_playwright

    from tests.own_city_workspace import grids_without_households

    workspace = tmp_path / "city.gpkg"
    grids_without_households(workspace)
    with running_app(tmp_path, workspace=workspace) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(url)
        frame = map_frame(page)
        assert frame.evaluate(GRID_POLYGONS_JS) == 5
        legends = " ".join(frame.locator(".gridmap-legend").all_inner_texts())
        assert "网格事件数" in legends  # coloured by incidents: there are no households
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()
        assert outside == []


#: What the uploader shows: its visible text nodes and the CSS-generated texts.
DROPZONE_TEXT_JS = """() => {
  const zone = document.querySelector('[data-testid=stFileUploaderDropzone]');
  const generated = [];
  const walk = el => {
    const c = getComputedStyle(el, '::after').content;
    if (c && c !== 'none' && c !== 'normal') generated.push(c);
    for (const child of el.children) walk(child);
  };
  walk(zone);
  const shown = [];
  const texts = document.createTreeWalker(zone, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const el = texts.currentNode.parentElement;
    if (texts.currentNode.textContent.trim() && el.checkVisibility()) {
      shown.push(texts.currentNode.textContent.trim());
    }
  }
  return {generated, shown};
}"""


def test_the_uploader_speaks_chinese(page) -> None:  # type: ignore[no-untyped-def]
    # Streamlit's dropzone says "Upload", "200MB per file" and, while a file is dragged
    # over it, "Drag and drop a file here" in English whatever the page's language.
    wait_until_idle(page)
    page.get_by_role("link", name="数据").click()
    page.locator("[data-testid='stFileUploaderDropzone']").wait_for(timeout=30_000)
    wait_until_idle(page)
    page.evaluate(
        """() => {
          const dt = new DataTransfer();
          dt.items.add(new File(['a'], 'a.csv', {type: 'text/csv'}));
          document.querySelector('[data-testid=stFileUploaderDropzone]')
            .dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true}));
        }"""
    )
    page.get_by_text("Drag and drop a file here").wait_for(state="attached", timeout=10_000)
    texts = page.evaluate(DROPZONE_TEXT_JS)
    assert texts["shown"] == [], texts  # no English left visible
    generated = " ".join(texts["generated"])
    for words in ("选择文件", "每个文件不超过 200 MB", "将文件拖放到此处"):
        assert words in generated, texts
    # Once a file is chosen, its name and remove button stay in view (the drag overlay's
    # rule once covered them with "将文件拖放到此处").
    page.reload()
    wait_until_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": "警情.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}]
    )
    page.locator("[data-testid='stFileChipName']").wait_for(timeout=30_000)
    texts = page.evaluate(DROPZONE_TEXT_JS)
    assert "警情.csv" in texts["shown"], texts
    assert "将文件拖放到此处" not in " ".join(texts["generated"]), texts
    assert page.locator("[data-testid='stFileChipDeleteBtn'] svg").first.is_visible()
