"""Two browser sessions edit the ``posts`` layer at once on one server, in a real
Chromium, offline, on a GeoPackage and on a PostGIS workspace: both preview an added post,
A saves, then B saves. B is refused with the conflict message naming A and when, B's
edit stays and is re-applied on A's version with one more click, and A's post is still
there. Enabled with GRIDMAP_BROWSER_TESTS=1; the PostGIS case needs GRIDMAP_TEST_POSTGRES
(``make postgis``).

Both sessions show the page's cached maps (one folium object for every session); the
first test checks, without a browser, that sessions rendering one at once get the script
a lone session gets."""

from __future__ import annotations

import os
import re
import threading
import uuid
from pathlib import Path

import pytest

from gridmap.store import (
    GeoPackageStore,
    PostGISStore,
    WorkspaceStore,
    copy_workspace,
    install_sample_workspace,
)
from tests.browser import (
    CHROMIUM_ARGS,
    MAP_IFRAME,
    _map_frame_when,
    block_outside_requests,
    chromium_path,
    running_app,
    wait_until_idle,
)

needs_browser = pytest.mark.skipif(
    os.environ.get("GRIDMAP_BROWSER_TESTS") != "1" or chromium_path() is None,
    reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
)

POSTGRES_ENV = "GRIDMAP_TEST_POSTGRES"
#: Circle markers of radius 7 are posts, of radius 9 the added or moved post.
POSTS_JS = """() => {
  const map = Object.values(window).find(v => v && v._layers && v.getZoom && v._loaded);
  if (!map) return null;
  const layers = Object.values(map._layers).filter(l => l instanceof L.CircleMarker);
  return [layers.filter(l => l.options.radius === 7).length,
          layers.filter(l => l.options.radius === 9).length];
}"""


def wait_posts(page, posts: int, changed: int) -> None:  # type: ignore[no-untyped-def]
    test = f"!!s && s[0] === {posts} && s[1] === {changed}"
    check = f"() => {{ const s = ({POSTS_JS})(); return {test}; }}"
    _map_frame_when(page, check, None, 240_000, f"{posts} posts, {changed} changed")


def open_editor(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The Coverage page (already asked for) in post-editing mode, `name` the editor."""
    page.get_by_role("heading", name="覆盖与站点").wait_for(timeout=240_000)
    wait_posts(page, 8, 0)
    wait_until_idle(page, timeout_ms=240_000)
    editor = page.get_by_role("textbox", name="编辑人（您的姓名）")
    editor.fill(name)
    editor.press("Enter")
    wait_until_idle(page, timeout_ms=240_000)
    page.get_by_text("假设调整岗位", exact=True).click()
    page.get_by_text("在左侧地图上点击新位置").wait_for(timeout=240_000)
    wait_until_idle(page, timeout_ms=240_000)
    wait_posts(page, 8, 0)


def click_map(page, fx: float, fy: float) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.get_by_text("调整前后对比（未保存）").wait_for(timeout=240_000)
    wait_until_idle(page, timeout_ms=240_000)


def test_sessions_showing_one_cached_map_at_once_send_the_same_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import streamlit_folium

    from app_pages import _coverage_data as data
    from gridmap import maps
    from gridmap.datasets import get_path

    incidents = GeoPackageStore(get_path("helsinki")).read("incidents").head(300)
    fmap = maps.make_map(bounds=incidents.total_bounds)
    for i in range(3):
        maps.add_points(fmap, incidents, name=f"incidents {i}")
    sent: list[str] = []
    monkeypatch.setattr(
        streamlit_folium, "_component_func", lambda **args: sent.append(args["script"])
    )
    data.show_shared_map(fmap, key="map", returned_objects=[])
    alone = sent.pop()
    failed: list[Exception] = []

    def session() -> None:
        try:
            for _ in range(3):
                data.show_shared_map(fmap, key="map", returned_objects=[])
        except Exception as exc:  # e.g. branca's "OrderedDict mutated during iteration"
            failed.append(exc)

    # Without turns 4 sessions x 3 renders all differ from the lone one, or fail.
    sessions = [threading.Thread(target=session) for _ in range(4)]
    for thread in sessions:
        thread.start()
    for thread in sessions:
        thread.join()
    assert failed == []
    assert len(sent) == 12
    assert all(script == alone for script in sent)


@pytest.fixture(params=["gpkg", "postgis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The sample as a GeoPackage, or copied into a fresh PostGIS schema (dropped after)."""
    sample = install_sample_workspace(tmp_path / "sample.gpkg")
    if request.param == "gpkg":
        yield GeoPackageStore(sample)
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostGIS case not run: set {POSTGRES_ENV} (`make postgis` starts one)")
    url = f"{base}{'&' if '?' in base else '?'}schema=e2e_{uuid.uuid4().hex[:10]}"
    store = PostGISStore(url)
    copy_workspace(GeoPackageStore(sample), store)
    yield store
    store.drop()


@pytest.mark.browser
@needs_browser
def test_two_sessions_saving_the_same_layer_never_overwrite_each_other(
    tmp_path: Path, shared: WorkspaceStore
) -> None:
    from playwright.sync_api import sync_playwright

    home = tmp_path / "home"
    home.mkdir()
    location = shared.location if isinstance(shared, PostGISStore) else shared.path
    with running_app(home, workspace=location, timeout=120) as url, sync_playwright() as pw:  # type: ignore[arg-type]
        # Two contexts of one browser: two people, two Streamlit sessions.
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        outside: list[str] = []
        pages = []
        for _ in range(2):
            context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
            block_outside_requests(context, outside)
            pages.append(context.new_page())
        a, b = pages
        a.goto(f"{url}/coverage")
        b.goto(f"{url}/coverage")  # both sessions show the page's cached maps at once
        open_editor(a, "甲编辑")
        open_editor(b, "乙编辑")
        # Both preview an added post, at different places, on version 1: the map of the
        # 8 saved posts keeps them, the added post is laid over it.
        click_map(a, 0.35, 0.55)
        wait_posts(a, 8, 1)
        click_map(b, 0.65, 0.45)
        wait_posts(b, 8, 1)
        assert len(shared.history("posts")) == 1  # previews save nothing
        # A saves first.
        a.get_by_role("button", name="保存为守望岗图层新版本").click()
        a.get_by_text("已保存为守望岗第 2 版（9 个岗位）").wait_for(timeout=240_000)
        saved_a = shared.history("posts")[-1]
        assert (saved_a.version, saved_a.author) == (2, "甲编辑")
        # B saves on version 1: refused, naming A and when, and B's edit is kept.
        b.get_by_role("button", name="保存为守望岗图层新版本").click()
        refused = b.get_by_text(re.compile("posts 图层已被他人更改"))
        refused.wait_for(timeout=240_000)
        message = refused.inner_text()
        assert "甲编辑" in message
        assert "基于第 1 版" in message
        assert "当前是第 2 版" in message
        assert saved_a.created_at.isoformat(sep=" ") in message  # when A saved
        b.get_by_text("您的修改仍保留").first.wait_for(timeout=240_000)
        assert len(shared.history("posts")) == 2  # nothing of B's written
        # The preview is recomputed on A's version: the map of its 9 posts (A's among
        # them) with B's pending one laid over it.
        wait_posts(b, 9, 1)
        wait_until_idle(b, timeout_ms=240_000)
        b.get_by_role("button", name="保存为守望岗图层新版本").click()
        b.get_by_text("已保存为守望岗第 3 版（10 个岗位）").wait_for(timeout=240_000)
        browser.close()
    history = shared.history("posts")
    assert [(v.version, v.author) for v in history[1:]] == [(2, "甲编辑"), (3, "乙编辑")]
    posts = shared.read("posts").set_index("post_id")
    first = shared.read("posts", version=1).set_index("post_id")
    after_a = shared.read("posts", version=2).set_index("post_id")
    added_a = after_a.index.difference(first.index)
    added_b = posts.index.difference(after_a.index)
    assert len(added_a) == len(added_b) == 1
    assert added_a[0] in posts.index  # A's post survived B's save
    a_point = posts.geometry[added_a[0]]
    b_point = posts.geometry[added_b[0]]
    assert a_point.x < b_point.x  # A clicked left of B
    assert a_point.equals(after_a.geometry[added_a[0]])
    assert set(first.index) <= set(posts.index)
    assert not outside, outside
