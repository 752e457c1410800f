"""The Heatmaps page from the store's aggregations gives the row path's numbers, on both
backends: selected counts under every filter the page offers, counts per grid, category
and day, the density raster and the filter form's choices."""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap.hotspots import views
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore
from tests.test_store import postgres_url


def grids() -> gpd.GeoDataFrame:
    """4 × 3 grids edge to edge in a Beijing district (two communities)."""
    xs, ys = np.linspace(116.32, 116.48, 5), np.linspace(39.86, 39.94, 4)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(4) for j in range(3)]
    codes = [f"11010500100{1 + k // 6}{k + 1:03d}" for k in range(len(cells))]
    return gpd.GeoDataFrame({"grid_code": codes}, geometry=cells, crs=4326)


def incidents(n: int = 4000) -> gpd.GeoDataFrame:
    """Clustered incidents over 120 days, some at midnight, some outside the grids."""
    rng = np.random.default_rng(7)
    centres = rng.random((6, 2)) * [0.18, 0.09] + [116.31, 39.855]
    which = rng.integers(0, len(centres), n)
    xy = centres[which] + rng.normal(0, 0.006, (n, 2))
    when = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 120, n), unit="s")
    when = when.where(rng.random(n) > 0.03, when.normalize())
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"I{i}" for i in range(n)],
            "category": rng.choice(["theft", "fraud", "dispute"], n),
            "occurred_at": when,
            "source": rng.choice(["110", "12345"], n),
        },
        geometry=shapely.points(xy[:, 0], xy[:, 1]),
        crs=4326,
    )


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkspaceStore]:
    if request.param == "gpkg":
        store: WorkspaceStore = GeoPackageStore(tmp_path_factory.mktemp("hm") / "hm.gpkg")
    else:
        store = PostGISStore(postgres_url())
    store.write("grids", grids(), message="grids")
    store.write("incidents", incidents(), message="incidents")
    yield store
    if isinstance(store, PostGISStore):
        store.drop()


@pytest.fixture(scope="module")
def office(workspace: WorkspaceStore) -> views.StreetOffice:
    """The row path, as the page prepares it."""
    area = workspace.read("grids")
    return views.StreetOffice(
        incidents=views.prepare_incidents(
            workspace.read("incidents"), area, crs=workspace.working_crs()
        ),
        grids=area,
        crs=workspace.working_crs(),
    )


END = pd.Timestamp("2026-04-30")
SELECTIONS = {
    "first view": views.Selection(start=END - pd.Timedelta(weeks=12), end=END),
    "categories": views.Selection(
        start=END - pd.Timedelta(weeks=12), end=END, categories=("theft", "dispute")
    ),
    "dates": views.Selection(start=pd.Timestamp("2026-02-03"), end=pd.Timestamp("2026-02-20")),
    "weekdays": views.Selection(start=END - pd.Timedelta(weeks=8), end=END, weekdays=(0, 5, 6)),
    "grid": views.Selection(
        start=END - pd.Timedelta(weeks=12), end=END, area_prefix="110105001002"
    ),
    "one grid": views.Selection(
        start=END - pd.Timedelta(weeks=12), end=END, area_prefix="110105001001003"
    ),
    "night hours": views.Selection(start=END - pd.Timedelta(weeks=12), end=END, hours=(22, 2)),
    "hours and weekdays": views.Selection(
        start=END - pd.Timedelta(weeks=6), end=END, hours=(8, 18), weekdays=(1, 2)
    ),
}


@pytest.mark.parametrize("name", SELECTIONS)
def test_selected_counts_equal_the_rows(workspace, office, name) -> None:  # type: ignore[no-untyped-def]
    selection = SELECTIONS[name]
    expected = views.count_selected(office, selection)
    assert expected > 50
    assert views.store_count_selected(workspace, selection) == expected
    if selection.hours != (0, 24):
        return
    rows = views.select(office, selection)
    got = views.selected_summary(workspace.incident_summary(), selection)
    per_grid = got.groupby("grid_code")["count"].sum()
    assert per_grid.to_dict() == rows["grid_code"].value_counts().sort_index().to_dict()
    per_category = got.groupby("category")["count"].sum()
    assert per_category.to_dict() == rows["category"].value_counts().sort_index().to_dict()
    per_day = got.groupby("day")["count"].sum()
    days = rows["occurred_at"].dt.floor("D").value_counts().sort_index()
    assert per_day.to_dict() == days.to_dict()


def test_what_only_the_rows_can_tell_falls_back(workspace) -> None:  # type: ignore[no-untyped-def]
    by_source = views.Selection(start=END - pd.Timedelta(weeks=4), end=END, sources=("110",))
    assert views.store_count_selected(workspace, by_source) is None
    hours_in_area = views.Selection(
        start=END - pd.Timedelta(weeks=4), end=END, hours=(8, 18), area_prefix="110105001001"
    )
    assert views.store_count_selected(workspace, hours_in_area) is None
    for selection in (by_source, hours_in_area, SELECTIONS["weekdays"], SELECTIONS["grid"]):
        assert not views.density_served(selection)
        assert views.density_in_store(workspace, selection, grids=None) is None


@pytest.mark.parametrize("name", ["first view", "categories", "dates"])
@pytest.mark.parametrize("bandwidth", [None, 150.0])
def test_density_equals_the_rows(workspace, office, name, bandwidth) -> None:  # type: ignore[no-untyped-def]
    selection = SELECTIONS[name]
    expected = views.density(office, selection, bandwidth=bandwidth)
    got = views.density_in_store(workspace, selection, grids=office.grids, bandwidth=bandwidth)
    assert got.n == expected.n
    assert got.rule_bandwidth == pytest.approx(expected.rule_bandwidth, rel=1e-9)
    assert got.bandwidth == pytest.approx(expected.bandwidth, rel=1e-9)
    assert got.raster.bounds == pytest.approx(expected.raster.bounds, rel=1e-12)
    assert got.raster.values.shape == expected.raster.values.shape
    np.testing.assert_allclose(
        got.raster.values, expected.raster.values, rtol=1e-6, atol=1e-9 * expected.peak
    )
    assert got.peak == pytest.approx(expected.peak, rel=1e-6)
    # the raster holds the selection's incidents per week, but for the kernel's spill
    # outside the grids' area (the image is masked to it)
    total = got.raster.values.sum() * (got.raster.cell_size**2) / 1e6
    assert 0.6 * got.n * 7 / selection.days < total <= got.n * 7 / selection.days


def test_density_without_grids_equals_the_rows(workspace, office) -> None:  # type: ignore[no-untyped-def]
    selection = SELECTIONS["first view"]
    bare = views.StreetOffice(incidents=office.incidents, grids=None, crs=office.crs)
    expected = views.density(bare, selection)
    got = views.density_in_store(workspace, selection, grids=None)
    assert got.n == expected.n
    np.testing.assert_allclose(
        got.raster.values, expected.raster.values, rtol=1e-6, atol=1e-9 * expected.peak
    )


def test_filter_choices_equal_the_rows(workspace, office) -> None:  # type: ignore[no-untyped-def]
    assert views.store_filter_choices(workspace) == views.filter_choices(
        workspace.read("incidents")
    )
    choices = views.store_filter_choices(workspace)
    assert choices.categories == ("theft", "fraud", "dispute")
    assert choices.sources == ("110", "12345")


def test_postgis_first_view_reads_no_incident_rows(workspace, office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if not isinstance(workspace, PostGISStore):
        pytest.skip("the GeoPackage store counts from its rows by design")
    real = PostGISStore.read

    def read(self, layer, **kwargs):  # type: ignore[no-untyped-def]
        assert layer != "incidents" or kwargs.get("max_features") == 0, "read incident rows"
        return real(self, layer, **kwargs)

    monkeypatch.setattr(PostGISStore, "read", read)
    selection = SELECTIONS["first view"]
    views.store_filter_choices(workspace)
    assert views.store_count_selected(workspace, selection) > 0
    assert views.density_in_store(workspace, selection, grids=office.grids).raster is not None


def test_heatmaps_page_first_view_from_the_database(
    workspace, office, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The page through AppTest on PostGIS: the first view (density, default filters)
    never reads the incidents' rows and shows the row path's figures; a view the counts
    cannot answer reads the rows."""
    if not isinstance(workspace, PostGISStore):
        pytest.skip("a GeoPackage workspace's page reads its rows by design")
    from streamlit.testing.v1 import AppTest

    import app_pages._access
    from gridmap.access import access_storage
    from gridmap.overview import reference_time

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(workspace.location))
    accounts = access_storage(GeoPackageStore(tmp_path / "accounts.gpkg"))
    monkeypatch.setattr(app_pages._access, "access_storage", lambda store: accounts)
    real, rows_read = PostGISStore.read, []

    def read(self, layer, **kwargs):  # type: ignore[no-untyped-def]
        if layer == "incidents" and kwargs.get("max_features") != 0:
            rows_read.append(kwargs)
        return real(self, layer, **kwargs)

    monkeypatch.setattr(PostGISStore, "read", read)
    app = AppTest.from_file("../streamlit_app.py", default_timeout=120)
    app.session_state["lang"] = "en"
    app.run()
    app.switch_page("app_pages/heatmaps.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not rows_read
    end = reference_time(office.incidents)
    selection = views.Selection(start=end - pd.Timedelta(weeks=12), end=end)
    expected = views.density(office, selection)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Incidents used"] == f"{expected.n:,}"
    assert metrics["Peak (per km² per week)"] == f"{expected.peak:,.1f}"
    selected = f"{views.count_selected(office, selection):,} incidents selected"
    assert any(selected in c.value for c in app.caption)
    app.radio(key="hs_view.en").set_value("time").run()
    assert not app.exception, [e.value for e in app.exception]
    assert rows_read  # the hour × weekday view needs each incident
