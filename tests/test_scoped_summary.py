"""An account's scope over a PostGIS workspace counts from the summary kept in the
database (the Overview's and Heatmaps' counts at summary speed), with the numbers the
scope's own rows give; on a GeoPackage, and where incidents carry their own grid codes,
from the rows the scope may read."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from gridmap.access import Scope, Session
from gridmap.access._scoped import ScopedStore
from gridmap.overview_store import counts_in_database
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore
from tests.test_heatmap_store import grids, incidents, workspace  # noqa: F401 - a fixture
from tests.test_store import postgres_url

COMMUNITY = "110105001002"


def scoped(store: WorkspaceStore, prefix: str, role: str = "analyst") -> ScopedStore:
    return ScopedStore(store, Session("u", role, Scope(prefix)), storage=object())  # type: ignore[arg-type]


def from_rows(store: ScopedStore) -> pd.DataFrame:
    """The summary made from the rows the scope may read (the default of every store)."""
    return WorkspaceStore.incident_summary(store)


@pytest.mark.parametrize("prefix", ["", "110105001", COMMUNITY, COMMUNITY + "008"])
def test_a_scopes_summary_is_its_rows_summary(
    workspace: WorkspaceStore,  # noqa: F811 - the fixture
    prefix: str,
) -> None:
    store = scoped(workspace, prefix)
    assert counts_in_database(store) == isinstance(workspace, PostGISStore)
    got = store.incident_summary()
    expected = from_rows(store)
    assert len(expected) > 5
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    if prefix:  # a scope holds no incident outside every grid
        assert got["grid_code"].notna().all()
        assert got["grid_code"].str.startswith(prefix).all()


def test_incidents_with_their_own_codes_are_counted_from_the_rows(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """An incident recorded in one community's grid but lying in another's belongs to the
    one it names (the scope reads it so): the database's summary, by location, would
    count it in the other community."""
    store = PostGISStore(postgres_url())
    try:
        area = grids()
        rows = incidents(300)
        # every incident names the first grid of the other community
        rows["grid_code"] = "110105001002007"
        store.write("grids", area, message="grids")
        store.write("incidents", rows, message="incidents")
        mine = scoped(store, "110105001001")
        got = mine.incident_summary()
        assert got["count"].sum() == 0  # none is recorded in community 001
        assert got.equals(from_rows(mine))
        # the summary by location would have counted some
        inside = shapely.covers(
            area[area["grid_code"].str.startswith("110105001001")].union_all(),
            rows.geometry.to_numpy(),
        )
        assert inside.sum() > 0
    finally:
        store.drop()


def test_a_community_viewer_on_postgis_sees_the_figures_the_geopackage_gives(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Overview and the Heatmaps page of a community's viewer: counted from the
    database's summary on a PostGIS copy of the sample, from the rows on the sample's
    GeoPackage; the same figures, and nothing of the other communities."""
    from gridmap.access import access_storage, add_account
    from gridmap.store import copy_workspace, install_sample_workspace
    from tests.test_access_pages import sign_in_as, start

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GRIDMAP_HOME", str(home))
    sample = install_sample_workspace(home / "sample.gpkg")
    target = PostGISStore(postgres_url())
    try:
        copy_workspace(GeoPackageStore(sample, create=False), target)
        figures = {}
        for where, store in (("gpkg", GeoPackageStore(sample)), ("postgis", target)):
            add_account(
                access_storage(store),
                "wang",
                password="grid worker 1",
                role="viewer",
                scope="990101001002",
            )
            monkeypatch.setenv("GRIDMAP_WORKSPACE", str(store.location))
            app = sign_in_as(start(), "wang", "grid worker 1")
            figures[where] = {m.label: m.value for m in app.metric}
            app.switch_page("app_pages/heatmaps.py").run()
            assert not app.exception, [e.value for e in app.exception]
            figures[where + " heatmaps"] = {m.label: m.value for m in app.metric}
        assert figures["gpkg"] == figures["postgis"]
        assert figures["gpkg heatmaps"] == figures["postgis heatmaps"]
        assert "近30天事件" in figures["postgis"]
        assert figures["postgis"]["网格数"] == "5"  # one community's grids
    finally:
        target.drop()


WINDOW = {"occurred_at": (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-04-01"))}


@pytest.mark.parametrize("prefix", ["", "110105001", COMMUNITY, COMMUNITY + "008"])
def test_a_scopes_counts_are_its_rows_counts(
    workspace: WorkspaceStore,  # noqa: F811 - the fixture
    prefix: str,
) -> None:
    """count_by, aggregate_points and point_statistics of a scope: on PostGIS counted in
    the database within the scope's area, against the same methods over the rows the
    scope reads (the default every store has)."""
    store = scoped(workspace, prefix)
    got = store.count_by(
        "incidents", ["category"], between=WINDOW, time_bin=("occurred_at", "week")
    )
    want = WorkspaceStore.count_by(
        store, "incidents", ["category"], between=WINDOW, time_bin=("occurred_at", "week")
    )
    assert want["count"].sum() > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    got = store.aggregate_points("incidents", cell=250.0, between=WINDOW)
    want = WorkspaceStore.aggregate_points(store, "incidents", cell=250.0, between=WINDOW)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    got_stats = store.point_statistics("incidents", where={"category": ["theft", "fraud"]})
    want_stats = WorkspaceStore.point_statistics(
        store, "incidents", where={"category": ["theft", "fraud"]}
    )
    assert got_stats.keys() == want_stats.keys()
    for key, value in want_stats.items():
        assert got_stats[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key


def test_a_masked_column_is_never_grouped_in_the_database() -> None:
    """Grouping by a column the account may not see counts the masked rows it reads."""
    store = PostGISStore(postgres_url())
    try:
        rows = incidents(300)
        rows["description"] = [f"张三 1380013{i:04d}" for i in range(len(rows))]
        store.write("grids", grids(), message="grids")
        store.write("incidents", rows, message="incidents")
        mine = scoped(store, COMMUNITY, "viewer")  # no personal-data right
        assert not mine.session.can("personal_data")
        got = mine.count_by("incidents", ["description"])
        want = WorkspaceStore.count_by(mine, "incidents", ["description"])
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert not got["description"].astype(str).str.contains("1380013").any()
    finally:
        store.drop()
