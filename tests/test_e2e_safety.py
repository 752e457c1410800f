"""In a real Chromium: hostile names stay text and fetch nothing; the editor's name is
remembered by the browser. Enabled with GRIDMAP_BROWSER_TESTS=1 (Debian's chromium)."""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmap.store import GeoPackageStore
from tests.browser import (
    CHROMIUM_ARGS,
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

CATEGORY = "![p](http://example.invalid/p.png)<img src=http://example.invalid/i.png>"
COLUMN = "![c](http://example.invalid/c.png)"
LOCAL = ("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gridmap-safety-home")


@pytest.fixture(scope="module")
def app_url(home: Path) -> Iterator[str]:
    with running_app(home) as url:
        yield url


def hostile_csv(folder: Path) -> Path:
    path = folder / "警情-hostile.csv"
    path.write_text(
        f"事件编号,类别,发生时间,经度,纬度,{COLUMN},{COLUMN.upper()}\n"
        f"B-1,{CATEGORY},2026-10-30 10:00,24.9415,60.1690,a,a\n"
        "B-2,盗窃,2026-10-30 11:00,24.9440,60.1702,b,b\n",
        encoding="utf-8",
    )
    return path


def test_hostile_names_fetch_nothing_and_the_editor_is_remembered(
    app_url: str, home: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    requested: list[str] = []
    blocked: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        block_outside_requests(context, blocked)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{app_url}/data")
        page.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        wait_until_idle(page)

        # The editor's name, typed once, is kept by this browser across a reload.
        name_box = page.get_by_role("textbox", name="编辑人（您的姓名）")
        name_box.fill("王五")
        name_box.press("Enter")
        wait_until_idle(page)
        page.wait_for_function("() => document.cookie.includes('gridmap_editor=')", timeout=10_000)
        page.reload()
        page.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        wait_until_idle(page)
        expect(page.get_by_role("textbox", name="编辑人（您的姓名）")).to_have_value(
            "王五", timeout=15_000
        )
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert urllib.parse.unquote(cookies["gridmap_editor"]) == "王五"

        # A file whose category and column names are Markdown images and HTML.
        page.locator("input[type=file]").set_input_files(str(hostile_csv(tmp_path)))
        page.get_by_text("字段对应").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.get_by_role("button", name="检查").click()
        alerts = page.locator("[data-testid='stAlert']")
        alerts.filter(has_text="example.invalid").first.wait_for(timeout=30_000)
        wait_until_idle(page)
        # Shown literally, as text (with an invisible word joiner inside the addresses).
        shown = [text.replace("\u2060", "") for text in alerts.all_inner_texts()]
        assert any(CATEGORY in text for text in shown), shown
        assert any(COLUMN.upper() in text for text in shown), shown
        wait_until_idle(page)
        page.wait_for_timeout(1000)  # give any image a chance to be requested
        assert page.locator("img[src*='example.invalid']").count() == 0
        links = page.locator("a[href*='example.invalid']")
        assert links.count() == 0, links.evaluate_all("ls => ls.map(l => l.outerHTML)")
        outside = [u for u in requested if urllib.parse.urlsplit(u).hostname not in LOCAL]
        outside = [u for u in outside if not u.startswith(("data:", "blob:"))]
        assert outside == [], outside
        assert blocked == [], blocked

        page.get_by_role("button", name="提交到工作空间").click()
        page.get_by_text("已保存为").wait_for(timeout=30_000)
        browser.close()
    last = GeoPackageStore(home / "sample.gpkg", create=False).history("incidents")[-1]
    assert last.author == "王五"


def test_a_session_upload_folder_is_removed_when_the_session_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Streamlit forgets a closed tab's session after server.disconnectedSessionTTL
    # (120 s by default; 2 s here); its upload folder must go with it. (Without the
    # sweep, the folder was still there a minute later: Streamlit keeps an expired
    # session until its store is next written.)
    from playwright.sync_api import sync_playwright

    uploads = tmp_path / "uploads"
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(uploads))
    monkeypatch.setenv("STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL", "2")
    with running_app(tmp_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{url}/data")
        page.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.locator("input[type=file]").set_input_files(str(hostile_csv(tmp_path)))
        page.get_by_text("字段对应").wait_for(timeout=30_000)
        sessions = list(uploads.glob("session-*"))
        assert len(sessions) == 1
        assert [p for p in sessions[0].rglob("*") if p.is_file()] == []  # read, removed
        page.close()  # the tab is closed: its session ends after the TTL
        time.sleep(8)  # the TTL, and the sweep's grace for young folders
        # Streamlit has no session-end hook: the next page run anywhere sweeps.
        other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        other.goto(f"{url}/data")
        other.get_by_role("heading", name="上传文件").wait_for(timeout=30_000)
        wait_until_idle(other)
        deadline = time.monotonic() + 20
        while sessions[0].exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        browser.close()
        assert not sessions[0].exists()
