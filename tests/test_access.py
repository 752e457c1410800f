"""gridmap.access on a real copy of the sample workspace: scope, scoped reads and writes,
masking, accounts, the throttle and the append-only audit log."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import argon2
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import GridmapError
from gridmap.access import (
    AccessDeniedError,
    Scope,
    Session,
    SignInError,
    SignInThrottle,
    access_storage,
    accounts_configured,
    add_account,
    copy_access,
    export_audit,
    filter_to_scope,
    for_command_line,
    get_account,
    id_card_check_digit,
    list_accounts,
    mask_personal_data,
    read_audit,
    record,
    record_export,
    scope_area,
    scoped,
    session_from_header,
    set_password,
    sign_in,
    update_account,
)
from gridmap.store import (
    GeoPackageStore,
    PostGISStore,
    WorkspaceStore,
    copy_workspace,
    install_sample_workspace,
)

COMMUNITY = "990101001002"  # one of the sample's six communities (5 grids)
OTHER = "990101001005"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_sample_workspace(tmp_path_factory.mktemp("ws") / "sample.gpkg")


@pytest.fixture
def workspace(tmp_path: Path, sample: Path) -> GeoPackageStore:
    copy = tmp_path / "office.gpkg"
    copy.write_bytes(sample.read_bytes())
    return GeoPackageStore(copy)


#: The PostgreSQL database (with PostGIS) the PostGIS cases run on (``make postgis``).
POSTGRES_ENV = "GRIDMAP_TEST_POSTGRES"


def postgres_url() -> str:
    """A URL for a fresh schema on the test server; skips the test when there is none."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostGIS backend not tested: set {POSTGRES_ENV}=postgresql://… "
            "(`make postgis` starts a throw-away PostgreSQL with PostGIS)"
        )
    return f"{base}{'&' if '?' in base else '?'}schema=t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["gpkg", "postgis"])
def office(
    request: pytest.FixtureRequest, tmp_path: Path, sample: Path
) -> Iterator[WorkspaceStore]:
    """A workspace of each backend holding the sample's grids (version 1), for the
    accounts, audit and scoped-write tests; PostGIS schemas are dropped afterwards."""
    if request.param == "gpkg":
        store: WorkspaceStore = GeoPackageStore(tmp_path / "office.gpkg")
    else:
        store = PostGISStore(postgres_url())
    store.write("grids", GeoPackageStore(sample).read("grids"), message="the sample's grids")
    yield store
    if isinstance(store, PostGISStore):
        store.drop()


def raw_sql(store: WorkspaceStore, statement: str) -> list[tuple]:
    """Run `statement` on `store`'s database directly (sqlite3 or psycopg), as a person
    with a database client would; table names are the unqualified ones."""
    if isinstance(store, PostGISStore):
        import psycopg

        with psycopg.connect(store.conninfo, autocommit=True) as con:
            con.execute(f'SET search_path TO "{store.schema}"')
            cursor = con.execute(statement)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(store.path) as con:
        return con.execute(statement).fetchall()


def table_names(store: WorkspaceStore) -> set[str]:
    if isinstance(store, PostGISStore):
        return {
            r[0]
            for r in raw_sql(
                store,
                "SELECT table_name FROM information_schema.tables"
                f" WHERE table_schema = '{store.schema}'",
            )
        }
    return {r[0] for r in raw_sql(store, "SELECT name FROM sqlite_master")}


def viewer(prefix: str = COMMUNITY, role: str = "viewer") -> Session:
    return Session("wang", role, Scope(prefix), "王网格员", "10.0.0.7")


# -- scope ------------------------------------------------------------------------------
def test_scope_accepts_level_prefixes_only() -> None:
    for prefix in ("", "990101", "990101001", COMMUNITY, COMMUNITY + "003"):
        assert Scope(prefix).prefix == prefix
    for bad in ("9901", "99010100100", "99a101", "990101001002003004", " 990101"):
        with pytest.raises(GridmapError, match="scope"):
            Scope(bad)
    assert Scope(COMMUNITY).within(Scope("990101001"))
    assert not Scope("990101001").within(Scope(COMMUNITY))


def test_incidents_in_a_community_match_a_spatial_join(workspace: GeoPackageStore) -> None:
    grids = workspace.read("grids")
    incidents = workspace.read("incidents")
    area = scope_area(grids, Scope(COMMUNITY))
    kept = filter_to_scope(incidents, Scope(COMMUNITY), area=area)
    # Independent: geopandas' spatial join against the community's grids one by one.
    mine = grids[grids["grid_code"].str.startswith(COMMUNITY)]
    joined = gpd.sjoin(incidents, mine, predicate="intersects", how="inner")
    expected = set(joined["incident_id"])
    assert 0 < len(kept) < len(incidents)
    assert set(kept["incident_id"]) == expected
    assert kept.attrs["gridmap_version"] == incidents.attrs["gridmap_version"]


def test_streets_are_clipped_and_buildings_kept_by_their_inside_point(
    workspace: GeoPackageStore,
) -> None:
    grids = workspace.read("grids")
    area = scope_area(grids, Scope(COMMUNITY))
    streets = workspace.read("streets")
    clipped = filter_to_scope(streets, Scope(COMMUNITY), area=area)
    reference = gpd.clip(streets, area, keep_geom_type=True)
    reference = reference[~reference.geometry.is_empty]
    assert set(clipped.geom_type) <= {"LineString", "MultiLineString"}
    assert shapely.length(clipped.geometry.to_numpy()).sum() == pytest.approx(
        shapely.length(reference.geometry.to_numpy()).sum(), rel=1e-9
    )
    assert 0 < len(clipped) < len(streets)
    assert shapely.covers(area.buffer(1e-9), shapely.union_all(clipped.geometry.to_numpy()))
    buildings = workspace.read("buildings")
    kept = filter_to_scope(buildings, Scope(COMMUNITY), area=area)
    inside = [area.covers(g.point_on_surface()) for g in buildings.geometry]
    assert len(kept) == sum(inside) > 0


# -- the scoped store -------------------------------------------------------------------
def test_scoped_reads_show_only_the_community(workspace: GeoPackageStore) -> None:
    seen = scoped(workspace, viewer())
    grids = seen.read("grids")
    assert set(grids["grid_code"].str[:12]) == {COMMUNITY}
    assert len(grids) == 5
    incidents = seen.read("incidents")
    whole = workspace.read("incidents")
    assert 0 < len(incidents) < len(whole) / 3
    other = scoped(workspace, viewer(OTHER)).read("incidents")
    assert not set(incidents["incident_id"]) & set(other["incident_id"])
    # a grid-code-only read still filters on the code, and drops it again
    names = seen.read("grids", columns=["name"])
    assert list(names.columns) == ["name", "geometry"]
    assert len(names) == 5
    assert len(seen.read("incidents", max_features=3)) == 3
    # caches keyed on the location keep one entry per scope
    assert seen.location != workspace.location
    assert Path(seen.location).stem == "office"
    assert scoped(workspace, None) is workspace


class _CountedReads(GeoPackageStore):
    """The real store, counting the layers it reads from its file."""

    reads = 0

    def read(self, layer: str, **options: object) -> gpd.GeoDataFrame:  # type: ignore[override]
        type(self).reads += 1
        return super().read(layer, **options)


def test_the_pages_keep_every_scopes_layers_until_a_new_version(
    workspace: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import OrderedDict

    from app_pages import _common

    monkeypatch.setattr(_common, "_LAYERS", OrderedDict())  # this test's entries only
    store = _CountedReads(workspace.location)
    # An office's accounts: the street, its six communities and some grids, each with
    # and without the right to personal data (what bench/bench_load.py --accounts signs
    # in as); every page reads several layers (the small ones here, to be quick).
    grids = store.read("grids")["grid_code"].astype(str)
    prefixes = ["990101001", *sorted(set(grids.str[:12])), *sorted(grids)[:5]]
    views = [
        scoped(store, viewer(prefix, role)) for prefix in prefixes for role in ("viewer", "police")
    ]
    layers = ["grids", "posts"]
    version = {name: store.current_version(name) for name in layers}

    def page_run() -> list[gpd.GeoDataFrame]:
        return [
            _common._read(str(v.location), name, version[name], v) for v in views for name in layers
        ]

    first = page_run()
    read = _CountedReads.reads
    again = page_run()
    assert all(a is b for a, b in zip(again, first, strict=True))
    assert _CountedReads.reads == read  # nothing read again: every frame kept
    # Rows of one area are never served to another.
    street, community = views[0].location, views[2].location
    assert len(_common._LAYERS[(street, "grids")][1]) == len(grids)
    assert set(_common._LAYERS[(community, "grids")][1]["grid_code"].str[:12]) == {prefixes[1]}
    # The old bound of 32 entries (st.cache_resource's max_entries) read every layer again.
    monkeypatch.setattr(_common, "MAX_LAYERS", 32)
    monkeypatch.setattr(_common, "_LAYERS", OrderedDict())
    page_run()
    read = _CountedReads.reads
    page_run()
    assert _CountedReads.reads - read == len(views) * len(layers)
    # A new version replaces the frame of the old one (not kept beside it).
    store.write("posts", store.read("posts").iloc[:3], message="three posts")
    new = store.current_version("posts")
    frame = _common._read(street, "posts", new, views[0])
    assert len(frame) == 3
    assert _common._LAYERS[(street, "posts")][0] == (new, None)
    assert sum(key == (street, "posts") for key in _common._LAYERS) == 1


def test_descriptions_are_masked_for_roles_without_the_right(
    workspace: GeoPackageStore,
) -> None:
    incidents = workspace.read("incidents")
    incidents["description"] = "报警人李娜，手机13912345678，称电动车被盗"
    incidents["报警人电话"] = "13912345678"
    workspace.write("incidents", incidents, message="descriptions with callers")
    seen = scoped(workspace, viewer()).read("incidents")
    assert set(seen["description"]) == {"报警人李*，手机139****5678，称电动车被盗"}
    assert set(seen["报警人电话"]) == {"139****5678"}
    police = scoped(workspace, viewer(role="police")).read("incidents")
    assert set(police["description"]) == {"报警人李娜，手机13912345678，称电动车被盗"}


def test_scoped_write_keeps_other_areas_and_is_audited(office: WorkspaceStore) -> None:
    planner = scoped(office, viewer(role="planner"))
    before = office.read("grids")
    mine = planner.read("grids")
    mine["name"] = mine["name"] + "（改）"
    made = planner.write("grids", mine, message="rename", based_on=office.current_version("grids"))
    after = office.read("grids")
    assert made.author == "王网格员"
    assert len(after) == len(before)
    changed = after[after["name"].str.endswith("（改）")]
    assert set(changed["grid_code"]) == set(mine["grid_code"])
    untouched = after[~after["grid_code"].str.startswith(COMMUNITY)].set_index("grid_code")
    expected = before[~before["grid_code"].str.startswith(COMMUNITY)].set_index("grid_code")
    pd.testing.assert_series_equal(
        untouched["name"].sort_index(), expected["name"].sort_index(), check_dtype=False
    )
    # rows outside the scope are refused, and nothing is written
    foreign = before[before["grid_code"].str.startswith(OTHER)]
    with pytest.raises(AccessDeniedError, match="outside your scope"):
        planner.write("grids", foreign, message="take over")
    with pytest.raises(AccessDeniedError, match="whole workspace"):
        planner.restore("grids", 1)
    with pytest.raises(AccessDeniedError, match="Edit and restore"):
        scoped(office, viewer()).write("grids", mine, message="viewer edits")
    assert office.current_version("grids") == made.version
    rows = read_audit(access_storage(office), action="write")
    assert rows[["user", "layer", "version", "scope", "client", "detail"]].values.tolist() == [
        ["wang", "grids", made.version, COMMUNITY, "10.0.0.7", "rename"]
    ]


def test_exports_need_the_right_and_are_audited(office: WorkspaceStore) -> None:
    with pytest.raises(AccessDeniedError):
        record_export(scoped(office, viewer()), layer="incidents", version=1)
    record_export(scoped(office, viewer(role="analyst")), layer="incidents", version=1)
    record_export(office, layer="incidents")  # laptop mode: nothing to record
    rows = read_audit(access_storage(office))
    assert rows[["action", "role", "layer"]].values.tolist() == [["export", "analyst", "incidents"]]


# -- masking ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("报警人张伟，电话13812345678，称电动车被盗", "报警人张*，电话138****5678，称电动车被盗"),
        ("联系人：欧阳娜娜 电话 138-1234-5678", "联系人：欧*** 电话 138****5678"),
        (
            "来电人王建国先生反映楼上噪音，座机010-62345678转123",
            "来电人王**先生反映楼上噪音，座机010-******78转123",
        ),
        ("当事人身份证号11010519491231002X，已登记", "当事人身份证号110105********002X，已登记"),
        ("求助人姓名是赵敏，手机+86 15900001111", "求助人姓名是赵*，手机+86 159****1111"),
        ("身份证 110105491231002 遗失", "身份证 110105*****1002 遗失"),
        # left alone: dates, times, grid codes, case numbers, amounts, an 18-digit number
        # with a wrong check digit, a bare surname with a title
        ("2026-10-03 21:00 网格990101001002003 案件号J2026100300012 损失2000元", None),
        ("流水号110105194912310021", None),
        ("李先生称门锁被撬", None),
    ],
)
def test_masking_realistic_descriptions(text: str, masked: str | None) -> None:
    assert mask_personal_data(text) == (masked or text)


def test_id_card_check_digits_match_gb_11643() -> None:
    # Independent: the check digit computed from the standard's definition,
    # sum(a_i * 2^(17 - i) mod 11) with (12 - sum mod 11) mod 11, 10 written X.
    def reference(first17: str) -> str:
        total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
        value = (12 - total % 11) % 11
        return "X" if value == 10 else str(value)

    for number in ("11010519491231002", "44030419900101123", "32010219800229451"):
        assert id_card_check_digit(number) == reference(number)
    assert mask_personal_data(None) is None


# -- accounts and sign-in ---------------------------------------------------------------
def test_no_accounts_is_the_laptop_mode(office: WorkspaceStore) -> None:
    storage = access_storage(office)
    assert not accounts_configured(storage)
    assert list_accounts(storage) == []
    assert "gridmap_accounts" not in table_names(office)  # reading created nothing


def test_accounts_sign_in_and_audit(office: WorkspaceStore) -> None:
    storage = access_storage(office)
    add_account(storage, "admin", password="correct horse", role="administrator")
    add_account(
        storage,
        "wang",
        password="grid-worker-1",
        role="viewer",
        scope=COMMUNITY,
        display_name="王网格员",
    )
    assert accounts_configured(storage)
    [(hashed,)] = raw_sql(
        office, "SELECT password_hash FROM gridmap_accounts WHERE \"user\"='wang'"
    )
    assert hashed.startswith("$argon2id$")
    assert "grid-worker-1" not in hashed
    assert argon2.PasswordHasher().verify(hashed, "grid-worker-1")  # independent check
    throttle = SignInThrottle()
    session = sign_in(storage, "wang", "grid-worker-1", client="10.0.0.7", throttle=throttle)
    assert (session.role, session.scope, session.display_name) == (
        "viewer",
        Scope(COMMUNITY),
        "王网格员",
    )
    for user, password in (("wang", "wrong password"), ("nobody", "grid-worker-1")):
        with pytest.raises(SignInError, match="wrong account name or password"):
            sign_in(storage, user, password, client="10.0.0.7", throttle=throttle)
    update_account(storage, "wang", disabled=True)
    with pytest.raises(SignInError):
        sign_in(storage, "wang", "grid-worker-1", throttle=throttle)
    update_account(storage, "wang", disabled=False, scope=OTHER, role="planner")
    set_password(storage, "wang", "new password 2")
    assert sign_in(storage, "wang", "new password 2", throttle=throttle).scope == Scope(OTHER)
    with pytest.raises(GridmapError, match="already exists"):
        add_account(storage, "wang", password="whatever1", role="viewer")
    with pytest.raises(GridmapError, match="at least 8"):
        add_account(storage, "li", password="short", role="viewer")
    with pytest.raises(GridmapError, match="unknown role"):
        add_account(storage, "li", password="long enough", role="superuser")
    audit = read_audit(storage)
    assert audit["action"].tolist() == [
        "account_add",
        "account_add",
        "sign_in",
        "sign_in_failed",
        "sign_in_failed",
        "account_change",
        "sign_in_failed",
        "account_change",
        "account_password",
        "sign_in",
    ]
    failed = audit[audit["action"] == "sign_in_failed"]
    assert failed["detail"].tolist() == ["wrong password", "unknown user", "disabled"]
    assert "grid-worker-1" not in audit.to_string()


def test_an_administrator_manages_only_inside_their_scope(office: WorkspaceStore) -> None:
    storage = access_storage(office)
    local = Session("chen", "administrator", Scope("990101001"), "陈", "10.0.0.9")
    add_account(
        storage, "zhao", password="password one", role="police", scope=COMMUNITY, actor=local
    )
    with pytest.raises(AccessDeniedError, match="outside your own scope"):
        add_account(storage, "qian", password="password one", role="police", actor=local)
    with pytest.raises(AccessDeniedError):
        add_account(storage, "sun", password="password one", role="viewer", actor=viewer())
    assert get_account(storage, "zhao").role == "police"
    assert read_audit(storage)["user"].tolist() == ["chen"]


def test_failed_sign_ins_back_off_per_user_and_per_client(office: WorkspaceStore) -> None:
    storage = access_storage(office)
    add_account(storage, "wang", password="grid-worker-1", role="viewer")
    now = [1000.0]
    throttle = SignInThrottle(free_attempts=3, base_delay=2.0, clock=lambda: now[0])
    for _ in range(3):
        with pytest.raises(SignInError, match="wrong"):
            sign_in(storage, "wang", "guess", client="a", throttle=throttle)
    assert throttle.wait_seconds("wang", "a") == 2.0  # 2 * 2**(3 - 3)
    with pytest.raises(SignInError, match="try again in 2 s"):
        sign_in(storage, "wang", "guess", client="a", throttle=throttle)
    now[0] += 2.0
    with pytest.raises(SignInError, match="wrong"):  # allowed again, then waits longer
        sign_in(storage, "wang", "guess", client="a", throttle=throttle)
    assert throttle.wait_seconds("wang", "b") == 4.0  # 2 * 2**(4 - 3), by the name
    # even the right password is refused while waiting, without being checked
    with pytest.raises(SignInError, match="try again in 4 s"):
        sign_in(storage, "wang", "grid-worker-1", client="b", throttle=throttle)
    now[0] += 4.0
    assert sign_in(storage, "wang", "grid-worker-1", client="b", throttle=throttle).user == "wang"
    assert throttle.wait_seconds("wang", "c") == 0.0  # success cleared the name
    # one client spraying many names is slowed by its address
    for name in ("li", "zhang", "zhao"):
        with pytest.raises(SignInError, match="wrong"):
            sign_in(storage, name, "guess", client="e", throttle=throttle)
    with pytest.raises(SignInError, match="try again in 2 s"):
        sign_in(storage, "qian", "guess", client="e", throttle=throttle)
    assert throttle.wait_seconds("qian", "f") == 0  # the name itself is fine
    now[0] += 3601  # forgotten after an hour without failures
    assert throttle.wait_seconds("zhou", "e") == 0
    throttled = read_audit(storage, action="sign_in_failed")["detail"].tolist()
    assert throttled.count("throttled") == 3


def test_trusted_proxy_header(office: WorkspaceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = access_storage(office)
    add_account(storage, "wang", password=None, role="viewer", scope=COMMUNITY)
    headers = {"x-remote-user": "wang", "Host": "gridmap"}
    assert session_from_header(storage, headers) is None  # not trusted unless configured
    monkeypatch.setenv("GRIDMAP_TRUSTED_USER_HEADER", "X-Remote-User")
    assert session_from_header(storage, headers, client="10.1.1.1").scope == Scope(COMMUNITY)
    assert session_from_header(storage, {"Host": "gridmap"}) is None
    with pytest.raises(SignInError, match="single sign-on user mallory"):
        session_from_header(storage, {"X-Remote-User": "mallory"})
    # no password: cannot sign in by password, not even with the dummy hash's secret
    for typed in ("", "not a password of anyone"):
        with pytest.raises(SignInError):
            sign_in(storage, "wang", typed, throttle=SignInThrottle())


# -- the audit log ----------------------------------------------------------------------
def test_the_audit_log_is_append_only(office: WorkspaceStore) -> None:
    storage = access_storage(office)
    record(storage, user="wang", role="viewer", action="export", layer="incidents")
    statements = ["UPDATE gridmap_audit SET \"user\" = 'someone else'", "DELETE FROM gridmap_audit"]
    if isinstance(office, PostGISStore):
        statements.append("TRUNCATE gridmap_audit")
    for statement in statements:
        with pytest.raises(Exception, match="append-only") as refused:
            raw_sql(office, statement)
        assert type(refused.value).__name__ in {"IntegrityError", "RaiseException"}
    assert read_audit(storage)["user"].tolist() == ["wang"]
    with pytest.raises(GridmapError, match="unknown audit action"):
        record(storage, user="wang", role="viewer", action="drop_tables")
    assert office.integrity_ok()
    assert office.orphan_tables() == []  # vacuum never takes the two tables for leftovers


def test_audit_export_neutralises_formulas(office: WorkspaceStore, tmp_path: Path) -> None:
    storage = access_storage(office)
    throttle = SignInThrottle()
    add_account(storage, "admin", password="correct horse", role="administrator")
    with pytest.raises(SignInError):
        sign_in(storage, '=HYPERLINK("http://x.invalid","y")', "x", throttle=throttle)
    frame = read_audit(storage, action="sign_in_failed")
    out = export_audit(frame, tmp_path / "audit.csv")
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert back["user"].tolist() == ['\'=HYPERLINK("http://x.invalid","y")']
    since = read_audit(storage, since=pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1))
    assert since.empty


def test_the_command_line_is_audited_once_accounts_exist(office: WorkspaceStore) -> None:
    assert for_command_line(office) is office  # laptop mode: untouched
    storage = access_storage(office)
    add_account(storage, "admin", password="correct horse", role="administrator")
    audited = for_command_line(office)
    grids = audited.read("grids")
    assert len(grids) == 30  # not scoped
    made = audited.restore("grids", 1)
    rows = read_audit(storage, action="restore")
    assert rows[["layer", "version", "client"]].values.tolist() == [["grids", made.version, "cli"]]


# -- verified authors -------------------------------------------------------------------
def test_scoped_writes_are_recorded_with_the_account_verified(office: WorkspaceStore) -> None:
    add_account(access_storage(office), "admin", password="correct horse", role="administrator")
    typed = office.write(
        "grids", office.read("grids"), author="someone typed this", message="laptop edit"
    )
    assert (typed.author, typed.author_verified) == ("someone typed this", False)
    planner = scoped(office, viewer(role="planner"))
    mine = planner.read("grids")
    mine["name"] = mine["name"] + "（改）"
    made = planner.write("grids", mine, message="rename", based_on=typed.version)
    assert (made.author, made.author_verified) == ("王网格员", True)
    admin = scoped(office, Session("admin", "administrator", Scope(""), "管理员", "10.0.0.1"))
    back = admin.restore("grids", 1, author="spoofed name")
    assert (back.author, back.author_verified) == ("管理员", True)
    # independent of the store's Python objects: the version rows as the database holds them
    rows = raw_sql(office, "SELECT version, author, author_verified FROM gridmap_versions")
    stored = {int(v): (a, bool(ok)) for v, a, ok in rows}
    assert stored[typed.version] == ("someone typed this", False)
    assert stored[made.version] == ("王网格员", True)
    assert stored[back.version] == ("管理员", True)
    assert stored[1][1] is True  # written by the operating-system account


# -- copying a workspace carries its accounts and audit log -----------------------------
def test_copy_carries_accounts_and_the_audit_log(tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "a.gpkg")
    source.write(
        "grids",
        GeoPackageStore(install_sample_workspace(tmp_path / "s.gpkg")).read("grids"),
        message="grids",
    )
    storage = access_storage(source)
    add_account(storage, "admin", password="correct horse", role="administrator")
    add_account(storage, "wang", password="grid-worker-1", role="viewer", scope=COMMUNITY)
    with pytest.raises(SignInError):
        sign_in(storage, "wang", "wrong password", client="10.0.0.7", throttle=SignInThrottle())
    middle = PostGISStore(postgres_url())
    try:
        copy_workspace(source, middle)
        assert copy_access(source, middle) == {"accounts": 2, "audit": 3}
        back = GeoPackageStore(tmp_path / "b.gpkg")
        copy_workspace(middle, back)
        assert copy_access(middle, back) == {"accounts": 2, "audit": 3}
        with pytest.raises(GridmapError, match="already has accounts"):
            copy_access(source, middle)
    finally:
        middle.drop()
    for copy in (back,):
        copied = access_storage(copy)
        assert list_accounts(copied) == list_accounts(storage)
        pd.testing.assert_frame_equal(read_audit(copied), read_audit(storage))
        assert sign_in(copied, "wang", "grid-worker-1", throttle=SignInThrottle()).scope == Scope(
            COMMUNITY
        )
