"""In a real Chromium, offline: the Grids page's merge picker opens on the grids, not on
Streamlit's "Select all", and shows its Chinese placeholder (issue #9's walk). Enabled with
GRIDMAP_BROWSER_TESTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def test_the_merge_picker_lists_grids_only_with_a_chinese_placeholder(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with running_app(tmp_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside: list[str] = []
        block_outside_requests(context, outside)
        page = context.new_page()
        page.goto(f"{url}/grids")
        page.get_by_role("heading", name="网格调整").wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)
        page.get_by_text("手动调整", exact=True).click()
        wait_until_idle(page, timeout_ms=120_000)
        picker = page.locator("[data-testid='stMultiSelect']").first
        picker.wait_for(timeout=60_000)
        shown = picker.inner_html()  # the placeholder is the input's attribute or a div
        assert "选择一项或多项" in shown
        assert "Choose options" not in shown
        picker.click()
        options = page.locator("[role='option']")
        options.first.wait_for(timeout=30_000)
        texts = options.all_inner_texts()
        assert texts[0].startswith("Kamppi 网格01"), texts[:3]
        assert not any("Select all" in t or "全选" in t for t in texts)
        page.screenshot(path=str(tmp_path / "merge_picker.png"))
        browser.close()
    assert not outside
