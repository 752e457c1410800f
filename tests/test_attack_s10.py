"""Attack session 10: the shared layer cache (`_common._LAYERS`), scope changes, masking,
exports and sign-in throttling.

Every test uses a real store (a private copy of the sample GeoPackage) and, where pages
are involved, the app through Streamlit's AppTest, several sessions in one process (so
they share `_common._LAYERS`, the st.cache_* caches and `_maps._payloads`, as browsers on
one server do).
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from app_pages import _common
from gridmap import GridmapError
from gridmap.access import (
    Scope,
    Session,
    SignInError,
    SignInThrottle,
    access_storage,
    add_account,
    audit_csv,
    read_audit,
    scoped,
    sign_in,
    update_account,
)
from gridmap.access._masking import mask_personal_data
from gridmap.ingest import commit_import, read_into_workspace
from gridmap.io import csv_bytes
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore, check_workspace_name
from gridmap.uploads import safe_file_name
from tests.test_access_pages import sign_in_as, start
from tests.test_app import home  # noqa: F401 - a fixture
from tests.test_maps_cache import sent  # noqa: F401 - a fixture: the maps sent, in order

A, B = "990101001002", "990101001005"  # two communities of the sample's street
CODE = re.compile(r"9901010010\d\d\d{3}")
PASSWORDS = {
    "admin": "correct horse",
    "wang": "grid worker 1",  # viewer of A (no personal data)
    "li": "grid worker 2",  # viewer of B
    "zhao": "analyst pass 1",  # analyst of A (personal data)
    "sun": "planner pass 1",  # planner of A (no personal data, Grids and Data pages)
    "zhou": "police pass 1",  # police of A (personal data, export, Warnings & report)
    "kong": "community admin 1",  # administrator of community A only
}
ROLES = {
    "admin": ("administrator", ""),
    "wang": ("viewer", A),
    "li": ("viewer", B),
    "zhao": ("analyst", A),
    "sun": ("planner", A),
    "zhou": ("police", A),
    "kong": ("administrator", A),
}


@pytest.fixture
def office(home: Path) -> Path:  # noqa: F811
    storage = access_storage(GeoPackageStore(home / "sample.gpkg"))
    for user, (role, scope) in ROLES.items():
        add_account(storage, user, password=PASSWORDS[user], role=role, scope=scope)
    return home


#: The only PostGIS schema this session's tests use (dropped before and after).
PG_SCHEMA = "attack_s10"


@pytest.fixture(params=["gpkg", "postgis"])
def backend(request: pytest.FixtureRequest, home: Path) -> Iterator[WorkspaceStore]:  # noqa: F811
    """The sample's grids and incidents in a GeoPackage, or in PostGIS schema attack_s10
    (with ``$GRIDMAP_TEST_POSTGRES``; skipped without)."""
    sample = GeoPackageStore(home / "sample.gpkg")
    if request.param == "gpkg":
        yield sample
        return
    base = os.environ.get("GRIDMAP_TEST_POSTGRES")
    if not base:
        pytest.skip("PostGIS case: set GRIDMAP_TEST_POSTGRES")
    store = PostGISStore(f"{base}{'&' if '?' in base else '?'}schema={PG_SCHEMA}")
    store.drop()
    store = PostGISStore(f"{base}{'&' if '?' in base else '?'}schema={PG_SCHEMA}")
    for layer in ("grids", "incidents"):
        store.write(layer, sample.read(layer), message="the sample's " + layer)
    try:
        yield store
    finally:
        store.drop()


def _session(user: str) -> Session:
    role, scope = ROLES[user]
    return Session(user, role, Scope(scope))


def _login(user: str):
    return sign_in_as(start(), user, PASSWORDS[user])


def _codes(calls: list[dict]) -> set[str]:
    return {c[:12] for call in calls for c in CODE.findall(str(call.get("script", "")))}


def _cached(app, layer: str) -> gpd.GeoDataFrame:
    """The frame the shared layer cache holds for the app session's store and `layer`."""
    store = app.session_state["access_store"][1]
    return _common._LAYERS[(str(store.location), layer)][1]


# -- 1/2. the shared layer cache and a grid that changes community ------------------------------


def test_a_grid_moved_to_another_community_takes_its_incidents_out_of_the_cached_scope(
    office: Path,
) -> None:
    """A planner re-codes one of community A's grids into community B (a boundary change).
    Community A's viewer must no longer be served that grid's incidents: they are B's now.

    Hole: `_common._LAYERS` is keyed on (location, layer) and checked against the *layer's*
    version only, but a scoped store filters incidents (and sites, posts, streets,
    buildings, tracks) by location against the scope's grids: the frame cached before the
    grids changed is served for the unchanged incidents version to every later session of
    the scope, until the incidents layer itself gets a new version.
    """
    store = GeoPackageStore(office / "sample.gpkg")
    first = _login("wang")  # the Overview reads A's incidents into the shared cache
    before = _cached(first, "incidents")
    grids = store.read("grids")
    moved = sorted(c for c in grids["grid_code"] if c.startswith(A))[0]
    grids.loc[grids["grid_code"] == moved, "grid_code"] = B + "099"
    store.write("grids", grids, author="规划员", message="grid moved to community B")
    truth = scoped(store, _session("wang")).read("incidents")
    left = set(before["incident_id"]) - set(truth["incident_id"])
    assert left, "the moved grid held no incidents: the test would prove nothing"

    later = _login("wang")  # a later session of community A, after the change
    served = set(_cached(later, "incidents")["incident_id"])
    assert not served & left, (
        f"{len(served & left)} incidents of the grid now in community B are still served "
        "to community A's viewer from the shared layer cache"
    )
    # and community B's viewer gets them
    other = _login("li")
    assert left <= set(_cached(other, "incidents")["incident_id"])


def test_interleaved_sessions_of_two_scopes_and_two_masks_keep_their_own_rows(
    office: Path,
) -> None:
    """Viewer A, viewer B, analyst A (personal data), viewer A again, in one process: each
    session's pages are served only its own scope's rows, masked unless it has the right."""
    store = GeoPackageStore(office / "sample.gpkg")
    incidents = store.read("incidents")
    incidents.loc[::7, "description"] = "报警人张伟称电动车被盗，电话13812345678"
    store.write("incidents", incidents, message="descriptions with personal data")
    raw = incidents.set_index("incident_id")["description"]
    for user in ("wang", "li", "zhao", "wang"):
        app = _login(user)
        frame = _cached(app, "incidents")
        truth = scoped(store, _session(user)).read("incidents")
        assert set(frame["incident_id"]) == set(truth["incident_id"]), user
        shown = frame.set_index("incident_id")["description"]
        expected = raw.loc[shown.index]
        if not _session(user).can("personal_data"):
            expected = expected.map(mask_personal_data)
        assert (shown == expected).all(), user
        assert (shown.str.contains("13812345678").any()) == _session(user).can("personal_data")


# -- 1. a scope change by the administrator, in a running session ------------------------------


def test_the_grids_page_map_follows_a_scope_change_in_the_same_session(
    office: Path,
    sent: list[dict],  # noqa: F811
) -> None:
    """The administrator moves planner sun from community A to community B while sun has
    the Grids page open. At sun's next run the page must show B's grids, not A's.

    Hole: the Grids page keeps each map's component arguments in the session
    (`_maps.show_layered_map`, session key ``grids_maps``) under `GridsPage.shows`:
    grids/streets versions, area code (the *street* for a community scope), language,
    basemap — not the store's location (its scope). The table beside it is B's, the map
    sent is still A's grids.
    """
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    app = _login("sun")
    app.switch_page("app_pages/grids.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert _codes(sent) == {A}, sorted(_codes(sent))
    update_account(storage, "sun", scope=B)  # the administrator (command line)
    sent.clear()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["access_session"].scope == Scope(B)
    codes = _codes(sent)
    assert codes, "no map was sent after the scope change"
    assert codes == {B}, f"after the move to {B} the Grids map still shows {sorted(codes)}"


def test_a_weekly_report_of_the_old_scope_is_not_offered_after_a_scope_change(
    office: Path,
) -> None:
    """Police officer zhou (community A) prepares the weekly report (overdue requests with
    their unmasked descriptions); the administrator then moves zhou to community B. The
    report of A must not be offered for download any more.

    Hole: the prepared report is kept in the session under (selection, language), not the
    store's location (its scope): the same filters in B give the same key.
    """
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    app = _login("zhou")
    app.session_state["hs_report_view"] = "report"
    app.switch_page("app_pages/warnings_report.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.button(key="hs_report_prepare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [b for b in app.download_button if b.key == "hs_report_download"]
    update_account(storage, "zhou", scope=B)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["access_session"].scope == Scope(B)
    offered = [b for b in app.download_button if b.key == "hs_report_download"]
    assert not offered, "community A's weekly report is still offered after the move to B"


# -- 1. personal data in numeric columns -----------------------------------------------------


def _incidents_file(store: WorkspaceStore, folder: Path) -> Path:
    """A GeoJSON of two new incidents in community A with the caller's phone and ID-card
    numbers as JSON numbers (as a city's 110 system exports them)."""
    grids = store.read("grids")
    inside = grids[grids["grid_code"].str.startswith(A)].geometry.representative_point()
    category = str(store.read("incidents", max_features=1)["category"].iloc[0])
    rows = gpd.GeoDataFrame(
        {
            "incident_id": ["ATTACK-1", "ATTACK-2"],
            "category": [category, category],
            "occurred_at": ["2024-05-01 10:00:00", "2024-05-02 11:00:00"],
            "description": ["电动车被盗", "电动车被盗"],
            "报警电话": [13812345678, 13987654321],
            "身份证号": [110105198001011238, 110105198001011238],
        },
        geometry=list(inside.iloc[:2]),
        crs=4326,
    )
    path = folder / "警情.geojson"
    rows.to_file(path, driver="GeoJSON")
    return path


def test_phone_and_id_numbers_in_number_columns_are_masked_for_a_planner(
    backend: WorkspaceStore, tmp_path: Path
) -> None:
    """A city's incidents file carries the caller's mobile and ID-card number as numbers.
    A planner (no personal-data right) must not read them.

    Hole: `_scoped.personal_columns` masks only a city's extra columns of dtype object or
    string; a GeoJSON/GeoPackage/Shapefile number column stays int64 through the import
    and the store, and is handed out as it is (Data page table and export).
    """
    store = backend
    result = read_into_workspace(store, _incidents_file(store, tmp_path), "incidents")
    commit_import(store, result, mode="append", author="导入", message="110 export")
    seen = scoped(store, _session("sun")).read("incidents")
    mine = seen[seen["incident_id"].astype(str).str.startswith("ATTACK")]
    assert len(mine) == 2
    text = mine.drop(columns=mine.geometry.name).astype(str).to_csv()
    for secret in ("13812345678", "13987654321", "110105198001011238"):
        assert secret not in text, f"{secret} shown to a planner: {mine.dtypes.to_dict()}"


def test_full_width_mobile_numbers_are_masked() -> None:
    """Operators typing with a Chinese IME in full-width mode write １３８１２３４５６７８.

    Hole: `_MOBILE` and `_LANDLINE` start with an ASCII ``1`` / ``0``; ``\\d`` would match
    full-width digits, the literal does not.
    """
    for text in ("报警电话１３８１２３４５６７８", "座机０１０-６２３４５６７８"):
        masked = mask_personal_data(text)
        assert masked != text, f"not masked: {masked}"


# -- 1. a community account's write must not hide other communities' rows ---------------------


def test_a_community_analysts_import_with_grid_codes_keeps_other_communities_rows_visible(
    backend: WorkspaceStore, tmp_path: Path
) -> None:
    """Analyst zhao (community A) imports A's incidents from a file that has a grid_code
    column (every code A's), replacing A's part of the layer, as the Data page does.
    Community B's viewer must still see B's incidents.

    Hole: `ScopedStore.write` keeps the current rows outside the scope and stacks the
    new rows on them; the new rows bring a ``grid_code`` column, the kept rows get an
    empty code, and from then on every scoped read decides incidents by that code: every
    other community (and the street's scoped accounts) sees none of its incidents.
    """
    store = backend
    before_b = len(scoped(store, _session("li")).read("incidents"))
    assert before_b
    zhao = scoped(store, _session("zhao"))
    mine = zhao.read("incidents")
    grids = store.read("grids")
    coded = gpd.sjoin(mine, grids[["grid_code", "geometry"]], predicate="within")
    coded = coded.drop(columns=["index_right"])
    assert coded["grid_code"].str.startswith(A).all()
    path = tmp_path / "a_coded.geojson"
    coded.to_file(path, driver="GeoJSON")
    result = read_into_workspace(zhao, path, "incidents", mode="replace")
    commit_import(zhao, result, mode="replace", message="A's incidents, with grid codes")
    after_b = len(scoped(store, _session("li")).read("incidents"))
    assert after_b >= before_b, f"community B now sees {after_b} of its {before_b} incidents"


def test_a_community_administrator_reads_only_its_communitys_accounts_and_audit(
    office: Path,
) -> None:
    """An administrator scoped to community A manages only A's accounts (enforced). The
    accounts list and the audit log it reads should be A's too.

    Hole (policy): the Accounts page lists every account and the whole audit log (other
    communities' sign-ins, client addresses, exports, commit messages, names typed at
    failed sign-ins) to any administrator, whatever their scope.
    """
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    sign_in(storage, "li", PASSWORDS["li"], client="10.5.5.5", throttle=SignInThrottle())
    app = _login("kong")
    app.switch_page("app_pages/accounts.py").run()
    assert not app.exception, [e.value for e in app.exception]
    listed = app.dataframe[0].value
    users = set(listed.iloc[:, 0])
    assert "li" not in users, f"community A's administrator lists {sorted(users)}"
    app.radio(key="access_view.zh").set_value("audit").run()
    log = app.dataframe[0].value
    assert not (log == "10.5.5.5").any().any(), "B's sign-in (and address) in A's audit log"


# -- 3. URLs and query parameters ------------------------------------------------------------


def test_query_parameters_do_not_pick_a_workspace_or_an_area(office: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "x.gpkg"
    app = _login("wang")
    app.query_params["workspace"] = str(other)
    app.query_params["area"] = "990101"
    app.query_params["scope"] = ""
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["workspace"] == str(office / "sample.gpkg")
    assert app.session_state["access_session"].scope == Scope(A)
    assert not other.exists()


def test_a_signed_in_planner_cannot_leave_the_accounts_for_laptop_mode(office: Path) -> None:
    """Planner sun (community A) uploads a file about another city on the Data page and
    takes the offered "new workspace from this file".

    Hole: the page creates the workspace in the server's folder and switches the session
    to it; the gate signs the account out (an account belongs to its workspace) and the
    new workspace has no accounts, so the session runs in the single-user laptop mode:
    every right, no audit, the workspace picker and every workspace without accounts in
    the folder (here ``drafts``, the office's unprotected working copy).
    """
    from tests.test_cli import BEIJING

    drafts = GeoPackageStore(office / "drafts.gpkg")
    rows = GeoPackageStore(office / "sample.gpkg").read("incidents")
    drafts.write("incidents", rows, message="the office's working copy")
    app = _login("sun")
    app.switch_page("app_pages/data.py").run()
    app.file_uploader(key="upload_file").set_value(("北京警情.csv", BEIJING.encode(), "text/csv"))
    app.run()
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    offered = [t for t in app.text_input if t.key == "upload_new_workspace"]
    if offered:
        app.text_input(key="upload_new_workspace").input("mine").run()
        app.button(key="upload_new_workspace_go").click().run()
        app.run()
        assert not app.exception, [e.value for e in app.exception]
    pickers = [s for s in app.sidebar.selectbox if (s.key or "").startswith("workspace_picker")]
    assert "access_session" in app.session_state, (
        "the planner is signed out into the laptop mode of a workspace of their own; "
        f"workspaces offered: {pickers[0].options if pickers else None}"
    )
    assert not (office / "mine.gpkg").exists(), "a scoped account created a server workspace"


@pytest.mark.parametrize(
    "name", ["../x", "/tmp/x", "a.gpkg", "x\u202egpkg", "a\u200bb", "x/..", ".hidden", "-rf"]
)
def test_workspace_names_stay_plain(name: str) -> None:
    with pytest.raises(GridmapError):
        check_workspace_name(name)


@pytest.mark.parametrize(
    ("sent_name", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.csv", "x.csv"),
        ("/abs/path.xlsx", "path.xlsx"),
        ("a\x00b.csv", "a_b.csv"),
        ("..", "upload"),
        (".bashrc", "upload.bashrc"),
    ],
)
def test_uploaded_file_names_stay_in_their_folder(sent_name: str, kept: str) -> None:
    assert safe_file_name(sent_name) == kept


# -- 4. markup and formulas ------------------------------------------------------------------

HOSTILE = "![x](http://127.0.0.1:9/x.png)<img src=x onerror=alert(1)>[点我](http://evil.invalid)"


def _markup_leaks(app) -> list[str]:
    found = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title"):
        for element in getattr(app, kind):
            value = str(element.value)
            if re.search(r"(?<!\\)<img|(?<!\\)!\[|(?<!\\)\]\(http", value):
                found.append(f"{kind}: {value[:120]}")
    for element in app.sidebar.caption:
        value = str(element.value)
        if re.search(r"(?<!\\)<img|(?<!\\)!\[|(?<!\\)\]\(http", value):
            found.append(f"sidebar: {value[:120]}")
    return found


def test_markup_in_a_display_name_and_audit_details_stays_text(office: Path) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    update_account(storage, "admin", display_name=HOSTILE[:60])
    with pytest.raises(SignInError):  # a hostile name typed at the sign-in lands in the log
        sign_in(storage, HOSTILE, "wrong guess", client="10.9.9.9", throttle=SignInThrottle())
    app = _login("admin")
    assert not _markup_leaks(app), _markup_leaks(app)
    app.switch_page("app_pages/accounts.py").run()
    assert not app.exception, [e.value for e in app.exception]
    for view in ("list", "audit"):
        app.radio(key="access_view.zh").set_value(view).run()
        assert not app.exception, [e.value for e in app.exception]
        assert not _markup_leaks(app), (view, _markup_leaks(app))


def test_audit_and_data_csv_cells_cannot_run_as_formulas(office: Path) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    throttle = SignInThrottle(free_attempts=100)
    typed = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1"]
    for name in typed:
        with pytest.raises(SignInError):
            sign_in(storage, name, "wrong guess", client="10.9.9.8", throttle=throttle)
    text = audit_csv(read_audit(storage)).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any("HYPERLINK" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t") or c.startswith("-2+")]
    frame = pd.DataFrame({"=x": ["=1+1", "@A1", "-1+1", "-12.5"], "n": [1, -2, 3, 4]})
    data = csv_bytes(frame).decode("utf-8-sig")
    assert "'=x" in data
    assert "'=1+1" in data
    assert "'@A1" in data
    assert "'-1+1" in data
    assert "'-12.5" not in data  # a plain number stays a number


# -- 5. sign-in throttling ---------------------------------------------------------------------


def test_a_throttled_client_gets_one_guess_after_its_wait_not_a_parallel_batch(
    office: Path,
) -> None:
    """Password spraying from one address: once the address is in back-off, the end of its
    wait should let one guess through (whose failure doubles the wait), not as many as the
    guesser can send at that moment.

    Hole: `SignInThrottle.attempt` counts the client only when an attempt has *failed*
    (so a whole office behind one proxy can sign in at once); so when a throttled
    client's wait ends, every guess sent at once at different names passes the check
    before the first fails: an unbounded batch of guesses per back-off period.
    """
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    now = [1000.0]
    throttle = SignInThrottle(free_attempts=2, base_delay=1.0, max_delay=60.0, clock=lambda: now[0])
    client = "10.7.7.7"
    for name in ("guess1", "guess2", "guess3"):
        with pytest.raises(SignInError):
            sign_in(storage, name, "Password1!", client=client, throttle=throttle)
    assert throttle.wait_seconds("anyone", client) > 0
    now[0] += 120  # the wait is over (not forgotten)
    names = [f"spray{i:02d}" for i in range(12)]
    barrier = threading.Barrier(len(names))
    answers: list[str] = []

    def guess(name: str) -> None:
        barrier.wait()
        try:
            sign_in(storage, name, "Password1!", client=client, throttle=throttle)
        except SignInError as exc:
            answers.append(exc.args[0].key)

    threads = [threading.Thread(target=guess, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = answers.count("access_sign_in_failed")
    assert checked <= 2, f"{checked} parallel guesses from a throttled address were checked"


def test_parallel_guesses_at_one_name_from_many_addresses_are_throttled(office: Path) -> None:
    storage = access_storage(GeoPackageStore(office / "sample.gpkg"))
    throttle = SignInThrottle(free_attempts=2, base_delay=60)
    answers: list[str] = []
    barrier = threading.Barrier(10)

    def guess(i: int) -> None:
        barrier.wait()
        try:
            sign_in(storage, " ADMIN ", "wrong guess", client=f"10.0.0.{i}", throttle=throttle)
        except SignInError as exc:
            answers.append(exc.args[0].key)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count("access_sign_in_failed") <= 3
    with pytest.raises(SignInError, match="too many"):
        sign_in(storage, "admin", PASSWORDS["admin"], client="10.0.1.1", throttle=throttle)


# -- exports are audited: in a real browser --------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(
    os.environ.get("GRIDMAP_BROWSER_TESTS") != "1",
    reason="browser tests need GRIDMAP_BROWSER_TESTS=1 and Debian's chromium",
)
def test_an_exported_layer_cannot_be_taken_without_an_audit_record(office: Path) -> None:
    """Analyst zhao presses 导出 on the Data page, then takes the file.

    Hole (fixed): the file was registered with Streamlit's media store when the button
    was drawn and served to whoever asked for its URL, while the audit record was written
    by the button's ``on_click``: fetching the URL (devtools, a script) took the file
    unaudited. Now the file is made on the click itself (`app_pages._common.audited`), so
    the page carries no URL, and taking the file writes the record. The URL made on the
    click is still a capability: whoever is given it can fetch it once made (Streamlit's
    media store has no sign-in), as they could be given the file.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser import (
        CHROMIUM_ARGS,
        block_outside_requests,
        chromium_path,
        record_server_messages,
        running_app,
        server_text,
        wait_until_idle,
    )

    store = GeoPackageStore(office / "sample.gpkg")
    storage = access_storage(store)
    outside: list[str] = []
    with running_app(office, workspace=store.path, timeout=120) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            block_outside_requests(context, outside)
            page = context.new_page()
            frames = record_server_messages(page)
            page.goto(url)
            page.get_by_label("账号").fill("zhao", timeout=60_000)
            page.get_by_label("密码").fill(PASSWORDS["zhao"])
            page.get_by_role("button", name="登录").click()
            page.get_by_role("heading", name="总览", exact=True).wait_for(timeout=120_000)
            wait_until_idle(page, timeout_ms=120_000)
            page.locator("[data-testid='stSidebarNav'] a").filter(has_text="数据").first.click()
            page.get_by_role("heading", name="数据", exact=True).wait_for(timeout=120_000)
            wait_until_idle(page, timeout_ms=120_000)
            start = len(frames)
            page.get_by_role("button", name="导出", exact=True).click()
            page.locator("[data-testid='stDownloadButton']").first.wait_for(timeout=120_000)
            wait_until_idle(page, timeout_ms=120_000)
            _, urls = server_text(frames[start:])
            # The file is made only when its button is clicked: no URL to fetch unaudited.
            assert urls == [], f"the export's URL came with the page: {urls}"
            before = len(read_audit(storage, user="zhao", action="export"))
            with page.expect_download(timeout=120_000) as taken:
                page.locator("[data-testid='stDownloadButton'] button").first.click()
            assert Path(taken.value.path()).stat().st_size > 1000
        finally:
            browser.close()
    assert len(read_audit(storage, user="zhao", action="export")) == before + 1
    assert outside == []
