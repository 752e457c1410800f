"""In a real Chromium, on one app server for the module: accounts scoped to one community
sign in and no page, tab, map, table or download shows them anything of the other
communities. Enabled with GRIDMAP_BROWSER_TESTS=1; ``GRIDMAP_FULL_SWEEP=1`` sweeps every
page of both scoped roles (CI sweeps the police role's pages and the planner's own)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest

from gridmap.access import access_storage, add_account, rights
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.browser import (
    ANY_MAP,
    CHROMIUM_ARGS,
    FIND_MAP_JS,
    GRID_POLYGONS_JS,
    block_outside_requests,
    chromium_path,
    file_text,
    map_frame,
    record_server_messages,
    running_app,
    server_text,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("GRIDMAP_BROWSER_TESTS") != "1" or chromium_path() is None,
        reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
    ),
]

COMMUNITY = "990101001002"
FULL_SWEEP = os.environ.get("GRIDMAP_FULL_SWEEP") == "1"
#: name -> (role, password, scope: "" is the whole workspace)
ACCOUNTS = {
    "admin": ("administrator", "correct horse", ""),
    "wang": ("viewer", "grid worker 1", COMMUNITY),
    "li": ("police", "scoped user 1", COMMUNITY),
    "zhao": ("planner", "scoped user 2", COMMUNITY),
}
#: Page file name -> its title (Chinese, the browser's language here).
PAGE_TITLES = {
    "overview": "总览",
    "heatmaps": "热力分析",
    "warnings_report": "预警与周报",
    "coverage": "覆盖与站点",
    "patrol_routes": "巡逻路线",
    "grids": "网格调整",
    "data": "数据",
    "accounts": "账号与审计",
}
#: Deep links and query strings a signed-out browser tries (CI: a page each role has, one
#: only administrators have, and a query string).
DEEP_LINKS = (
    [*PAGE_TITLES, "?page=data", "data?workspace=sample", "accounts?x=1"]
    if FULL_SWEEP
    else ["data", "accounts?x=1", "?page=data"]
)
#: Incident ids and grid codes as the sample writes them.
_TOKENS = re.compile(r"SYN-\d{6}|\d{15}")

#: The bounds of everything Leaflet drew (every layer with a position or bounds).
DRAWN_BOUNDS_JS = f"""() => {{
  const map = {FIND_MAP_JS};
  const b = L.latLngBounds([]);
  let n = 0;
  for (const l of Object.values(map._layers)) {{
    if (l.getLatLng) {{ b.extend(l.getLatLng()); n++; }}
    else if (l.getBounds && l.feature) {{ b.extend(l.getBounds()); n++; }}
  }}
  return [n, b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}}"""
#: What the map's features carry (a map drawn in the page has no script in the DOM).
DRAWN_PROPERTIES_JS = f"""() => JSON.stringify(Object.values({FIND_MAP_JS}._layers)
  .filter(l => l.feature).map(l => l.feature.properties))"""


def community_tokens(store: GeoPackageStore, prefix: str) -> tuple[set[str], set[str]]:
    """Incident ids and grid codes of other communities, and those of the community itself
    (computed here with a spatial join, independent of gridmap.access)."""
    grids = store.read("grids")
    incidents = store.read("incidents")
    mine = grids[grids["grid_code"].str.startswith(prefix)]
    joined = gpd.sjoin(incidents, mine[["grid_code", "geometry"]], predicate="intersects")
    inside = set(joined["incident_id"])
    others = set(incidents["incident_id"]) - inside
    other_codes = set(grids["grid_code"]) - set(mine["grid_code"])
    return others | other_codes, inside | set(mine["grid_code"])


@dataclass
class App:
    """The module's app server, its browser and what the checks compare against."""

    url: str
    browser: object
    store: GeoPackageStore
    forbidden: set[str]
    allowed: set[str]
    outside: list[str] = field(default_factory=list)

    def new_page(self):  # type: ignore[no-untyped-def]
        context = self.browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1400, "height": 1000}, locale="zh-CN"
        )
        block_outside_requests(context, self.outside)
        return context.new_page()

    def sign_in(self, name: str):  # type: ignore[no-untyped-def]
        """A page signed in as `name`, recording what the server sends it from the start."""
        page = self.new_page()
        page.frames_received = record_server_messages(page)
        page.goto(self.url)
        page.get_by_label("账号").fill(name, timeout=60_000)
        page.get_by_label("密码").fill(ACCOUNTS[name][1])
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="总览", exact=True).wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)
        return page


def open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open the page titled `title` from the navigation and wait for its run to finish."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first.click()
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=120_000)
    wait_until_idle(page, timeout_ms=120_000)


def _press(button: str, then: str):  # type: ignore[no-untyped-def]
    """A step: press `button`, wait for `then` (a selector) and the run's end."""

    def step(page) -> None:  # type: ignore[no-untyped-def]
        page.get_by_role("button", name=button, exact=True).click()
        page.locator(then).first.wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)

    return step


def _pick(view: str, then: str):  # type: ignore[no-untyped-def]
    """A step: pick `view` (a radio's label), wait for the button `then` and the run's end."""

    def step(page) -> None:  # type: ignore[no-untyped-def]
        page.get_by_text(view, exact=True).click()
        page.get_by_role("button", name=then, exact=True).wait_for(timeout=120_000)
        wait_until_idle(page, timeout_ms=120_000)

    return step


_DOWNLOAD = "[data-testid='stDownloadButton']"
#: What a page needs picked before it shows a community's rows: the patrol page shows
#: grids (its line patrol's grid picker) only in that view.
VIEWS = {"patrol_routes": [_pick("线巡", "计算线巡路线")]}
#: What a page needs pressed before it offers a file: the weekly report (in its view)
#: and the layer export are prepared on request.
FILES = {
    "warnings_report": [_pick("周报与移交巡防", "生成周报"), _press("生成周报", _DOWNLOAD)],
    "data": [_press("导出", _DOWNLOAD)],
}


def sweep(app: App, page, name: str, *, files: bool = True) -> tuple[set[str], int]:  # type: ignore[no-untyped-def]
    """Incident ids and grid codes in everything the server sent while page `name` ran
    (tables, maps, texts, every tab: Streamlit sends them all; its :data:`VIEWS` and,
    with `files`, its :data:`FILES` too), in the page's HTML and in each file its
    download buttons serve; and how many files."""
    if name == "overview":  # where signing in lands: what it was sent since the start
        start = 0
    else:
        start = len(page.frames_received)
        open_page(page, PAGE_TITLES[name])
    for step in [*VIEWS.get(name, []), *(FILES.get(name, []) if files else [])]:
        step(page)
    sent, urls = server_text(page.frames_received[start:])
    # A file is made and handed over only when its button is clicked (and that is
    # audited): no download's bytes or URL come with the page.
    assert urls == [], (name, urls)
    texts = [sent, page.content()]
    buttons = page.locator(f"{_DOWNLOAD} button")
    for i in range(buttons.count()):
        with page.expect_download(timeout=120_000) as taken:
            buttons.nth(i).click()
        texts.append(file_text(Path(taken.value.path()).read_bytes()))
    return {t for text in texts for t in _TOKENS.findall(text)}, buttons.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The sample with four accounts, served once; an administrator (the whole workspace)
    has opened every work page, so whatever the server caches across sessions is there
    before a scoped account comes."""
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("access")
    store = GeoPackageStore(install_sample_workspace(home / "sample.gpkg"))
    storage = access_storage(store)
    for name, (role, password, scope) in ACCOUNTS.items():
        add_account(storage, name, password=password, role=role, scope=scope)
    forbidden, allowed = community_tokens(store, COMMUNITY)
    with running_app(home, workspace=store.path, timeout=120) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        app = App(url, browser, store, forbidden, allowed)
        admin = app.sign_in("admin")
        for name in PAGE_TITLES:  # the overview first: where signing in lands
            seen, _ = sweep(app, admin, name, files=False)
            # The sweep's eyes work: the whole workspace shows other communities' rows
            # on every page that shows rows at all (the audit page shows accounts).
            assert name == "accounts" or seen & app.forbidden, name
        admin.context.close()
        yield app
        browser.close()


def test_a_community_viewer_sees_nothing_of_other_communities(app: App) -> None:
    grids = app.store.read("grids")
    mine = grids[grids["grid_code"].str.startswith(COMMUNITY)]
    # Nothing but the sign-in page before signing in: no map, no page of the app.
    page = app.new_page()
    page.goto(app.url)
    page.get_by_role("heading", name="登录").wait_for(timeout=60_000)
    assert page.locator(ANY_MAP).count() == 0
    page.context.close()
    page = app.sign_in("wang")
    frame = map_frame(page, timeout_ms=60_000)
    assert frame.evaluate(GRID_POLYGONS_JS) == len(mine) == 5
    # Everything drawn lies in the community (its grids' bounds, a metre of slack).
    n, west, south, east, north = frame.evaluate(DRAWN_BOUNDS_JS)
    x0, y0, x1, y1 = mine.total_bounds
    slack = 1e-5
    assert n > 0
    assert (west, south) >= (x0 - slack, y0 - slack), (west, south, x0, y0)
    assert (east, north) <= (x1 + slack, y1 + slack), (east, north, x1, y1)
    # The map's HTML holds every grid code of the community and none of another's, and
    # so does all the server sent the page (the grid table is drawn on a canvas).
    html = frame.content() + page.content() + frame.evaluate(DRAWN_PROPERTIES_JS)
    assert all(code in html for code in mine["grid_code"])
    sent, _ = server_text(page.frames_received)
    tokens = set(_TOKENS.findall(html + sent))
    assert tokens & app.allowed
    assert not tokens & app.forbidden, sorted(tokens & app.forbidden)[:5]
    # The navigation offers the viewer's pages only.
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "数据" not in nav
    assert "账号" not in nav
    page.context.close()
    assert app.outside == [], f"the app tried to reach outside: {app.outside[:5]}"


#: CI sweeps every page of the police role and the planner's one page the police lack
#: (the grids page); GRIDMAP_FULL_SWEEP=1 every page of both.
def _pages(role: str) -> list[str]:
    pages = [p for p in PAGE_TITLES if p in rights(role).pages]
    if role == "planner" and not FULL_SWEEP:
        pages = [p for p in pages if p not in rights("police").pages]
    return pages


@pytest.mark.parametrize(("name", "role"), [("li", "police"), ("zhao", "planner")])
def test_a_scoped_account_sees_no_other_community_on_any_page(
    app: App, name: str, role: str
) -> None:
    """Every page `role` may open, each tab, the maps and tables in them and every
    download hold no incident id or grid code of another community, and do hold the
    community's own (on every page: a sweep of empty pages would pass)."""
    assert ACCOUNTS[name][0] == role
    page = app.sign_in(name)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    for page_name, title in PAGE_TITLES.items():
        assert (title in nav) == (page_name in rights(role).pages), (page_name, nav)
    seen: dict[str, set[str]] = {}
    files = 0
    for page_name in _pages(role):
        seen[page_name], n = sweep(app, page, page_name)
        files += n
    page.context.close()
    leaks = {p: sorted(tokens & app.forbidden)[:5] for p, tokens in seen.items()}
    assert all(not v for v in leaks.values()), leaks
    blind = [p for p, tokens in seen.items() if not tokens & app.allowed]
    assert blind == [], f"the sweep saw none of the community's rows on {blind}"
    if "data" in seen:  # the layer export, prepared and downloaded
        assert files > 0
    assert app.outside == [], f"the app tried to reach outside: {app.outside[:5]}"


def test_deep_links_show_only_the_sign_in_page(app: App) -> None:
    """A deep link or query string (to pages allowed or not) is a new session: the
    sign-in page, and nothing of the workspace sent."""
    page = app.new_page()
    for path in DEEP_LINKS:
        frames = record_server_messages(page)
        page.goto(f"{app.url}/{path}")
        page.get_by_role("heading", name="登录").wait_for(timeout=60_000)
        wait_until_idle(page, timeout_ms=60_000)
        sent, urls = server_text(frames)
        assert not _TOKENS.findall(sent + page.content()), path
        assert urls == [], path
    page.context.close()
