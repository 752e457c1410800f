"""An account's scope over a PostGIS workspace counts from the summary kept in the
database (the Overview's and Heatmaps' counts at summary speed), with the numbers the
scope's own rows give; on a GeoPackage, and where incidents carry their own grid codes,
from the rows the scope may read."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import shapely

from gridmap.access import Scope, Session
from gridmap.access._scoped import ScopedStore
from gridmap.overview_store import counts_in_database
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore
from tests.test_heatmap_store import grids, incidents
from tests.test_store import postgres_url

COMMUNITY = "110105001002"


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkspaceStore]:
    if request.param == "gpkg":
        store: WorkspaceStore = GeoPackageStore(tmp_path_factory.mktemp("sc") / "sc.gpkg")
    else:
        store = PostGISStore(postgres_url())
    store.write("grids", grids(), message="grids")
    store.write("incidents", incidents(), message="incidents")
    yield store
    if isinstance(store, PostGISStore):
        store.drop()


def scoped(store: WorkspaceStore, prefix: str) -> ScopedStore:
    return ScopedStore(store, Session("u", "analyst", Scope(prefix)), storage=object())  # type: ignore[arg-type]


def from_rows(store: ScopedStore) -> pd.DataFrame:
    """The summary made from the rows the scope may read (the default of every store)."""
    return WorkspaceStore.incident_summary(store)


@pytest.mark.parametrize("prefix", ["", "110105001", COMMUNITY, COMMUNITY + "008"])
def test_a_scopes_summary_is_its_rows_summary(workspace: WorkspaceStore, prefix: str) -> None:
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
