"""The Overview counted in the store (:mod:`gridmap.overview_store`) against the Overview
over the incidents' rows (:func:`gridmap.overview.build_overview`), on a GeoPackage and a
PostGIS workspace of 50,000 seeded incidents; the PostGIS store's stored working-CRS
coordinates against ``ST_Transform``; aggregations through an access-scoped store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridmap.access import Scope, ScopedStore, Session
from gridmap.access._storage import access_storage
from gridmap.overview import build_overview, reference_time
from gridmap.overview_store import overview_from_store, reference_time_from_store
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore
from tests.test_store import postgres_url

END = pd.Timestamp("2026-12-31")
N = 50_000


def incidents(n: int = N, seed: int = 0) -> gpd.GeoDataFrame:
    """Seeded incidents over a year in a 12 × 9 km district of Beijing; some exactly at
    midnight (window edges), some without a category."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack([116.38 + rng.random(20) * 0.14, 39.86 + rng.random(20) * 0.08])
    which = rng.integers(0, len(centres), n)
    spread = rng.normal(0, 0.004, (n, 2))
    seconds = rng.integers(0, 86400 * 365, n)
    seconds[::50] -= seconds[::50] % 86400  # on the midnight between two days
    category = rng.choice(["theft", "fraud", "dispute", "noise"], n).astype(object)
    category[::997] = None
    return gpd.GeoDataFrame(
        {
            "incident_id": np.char.add("I", np.arange(n).astype(str)),
            "category": category,
            "occurred_at": END - pd.to_timedelta(seconds, unit="s"),
        },
        geometry=shapely.points(centres[which, 0] + spread[:, 0], centres[which, 1] + spread[:, 1]),
        crs=4326,
    )


def grids() -> gpd.GeoDataFrame:
    """12 × 9 square grids of about 1 km, edge to edge (a few incidents fall outside)."""
    xs, ys = np.linspace(116.39, 116.51, 13), np.linspace(39.86, 39.94, 10)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(12) for j in range(9)]
    codes = [f"110105{1 + k // 36:03d}{1 + k // 12 % 3:03d}{1 + k % 12:03d}" for k in range(108)]
    return gpd.GeoDataFrame(
        {"grid_code": codes, "households": np.arange(108) * 10 + 300}, geometry=cells, crs=4326
    )


@pytest.fixture(scope="module")
def data() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    return grids(), incidents()


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def workspace(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
) -> Iterator[WorkspaceStore]:
    if request.param == "gpkg":
        store: WorkspaceStore = GeoPackageStore(tmp_path_factory.mktemp("ws") / "scale.gpkg")
    else:
        store = PostGISStore(postgres_url())
    store.write("grids", data[0], message="grids")
    store.write("incidents", data[1], message="incidents")
    yield store
    if isinstance(store, PostGISStore):
        store.drop()


def test_reference_time_counted_in_store(workspace: WorkspaceStore, data) -> None:
    assert reference_time_from_store(workspace) == reference_time(data[1])


@pytest.mark.parametrize("prefix", ["", "110105002"])
def test_overview_from_store_equals_row_overview(workspace: WorkspaceStore, data, prefix) -> None:
    area_grids, rows = data
    expected = build_overview(
        area_grids, rows, metric_crs=workspace.working_crs(), area_prefix=prefix
    )
    got = overview_from_store(workspace, area_prefix=prefix)
    assert got.now == expected.now
    pd.testing.assert_frame_equal(got.kpis, expected.kpis, check_index_type=False)
    # Independent count: incidents of the last 30 days inside each grid (shapely, covers).
    current = rows[(rows["occurred_at"] > got.now - pd.Timedelta(days=30))]
    assert int(got.kpis.loc["total", "current"]) == len(current) or prefix
    assert got.grids["grid_code"].tolist() == expected.grids["grid_code"].tolist()
    assert got.grids["incidents"].tolist() == expected.grids["incidents"].tolist()
    assert got.grids["incidents"].sum() > 500
    if not prefix:
        assert got.cell_size_m == expected.cell_size_m
        assert_geodataframe_equal(
            got.cells, expected.cells, check_dtype=False, check_less_precise=True
        )
        assert got.cells["count"].sum() == len(current)


def test_pages_take_the_aggregation_path_on_postgis(workspace, monkeypatch) -> None:
    """overview_from_store never reads the incidents layer's rows."""
    real = type(workspace).read

    def read(self, layer, **kwargs):  # type: ignore[no-untyped-def]
        assert layer != "incidents" or isinstance(self, GeoPackageStore), "read incidents"
        return real(self, layer, **kwargs)

    monkeypatch.setattr(type(workspace), "read", read)
    assert overview_from_store(workspace).has_incidents


def test_stored_coordinates_bin_like_st_transform(data, monkeypatch) -> None:
    """Binning on the coordinates projected when written (the working CRS, EPSG:4548)
    equals ``ST_Transform`` in PostGIS and pyproj + numpy."""
    from gridmap.store import _pgagg

    store = PostGISStore(postgres_url())
    try:
        store.write("incidents", data[1], message="incidents")
        assert store.working_crs().to_epsg() == 4548
        with store._connect() as con:
            table = store._version_row("incidents", None).table
            assert _pgagg._stored_projection(con, store.schema, table, 4548) is not None
            assert _pgagg._stored_projection(con, store.schema, table, 32650) is None
        stored = store.aggregate_points("incidents", cell=100.0)
        monkeypatch.setattr(_pgagg, "_stored_projection", lambda *args: None)
        transformed = store.aggregate_points("incidents", cell=100.0)
        projected = data[1].to_crs(4548).geometry
        ix = np.floor(projected.x.to_numpy() / 100.0).astype("int64")
        iy = np.floor(projected.y.to_numpy() / 100.0).astype("int64")
        expected = (
            pd.DataFrame({"ix": ix, "iy": iy}).groupby(["ix", "iy"]).size().rename("count")
        ).reset_index()
        pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
        pd.testing.assert_frame_equal(transformed, expected, check_dtype=False)
        assert len(store.read("incidents").columns) == len(data[1].columns)  # not read back
    finally:
        store.drop()


def test_scoped_aggregation_equals_scoped_read(workspace: WorkspaceStore, tmp_path: Path) -> None:
    """Counted through an account's scope, the figures are those of the rows it may read
    (accounts live in a GeoPackage beside a PostGIS workspace so far)."""
    session = Session("wang", "analyst", Scope("110105002"), "王", "10.0.0.7")
    storage = access_storage(GeoPackageStore(tmp_path / "accounts.gpkg"))
    scoped = ScopedStore(workspace, session, storage=storage)
    window = {"occurred_at": (END - pd.Timedelta(days=30), END)}
    rows = scoped.read("incidents")
    rows = rows[(rows["occurred_at"] >= window["occurred_at"][0])]
    got = scoped.count_by("incidents", ["category"], between=window)
    expected = rows["category"].fillna("<none>").value_counts().sort_index()
    got = got.assign(category=got["category"].fillna("<none>")).set_index("category")["count"]
    pd.testing.assert_series_equal(got.sort_index(), expected, check_names=False)
    assert 0 < len(rows) < len(workspace.read("incidents", columns=["category"]))
    per_grid = scoped.count_in_polygons("incidents", "grids", "grid_code", between=window)
    assert per_grid["grid_code"].str.startswith("110105002").all()
    assert per_grid["count"].sum() == len(rows)


def test_overview_page_same_figures_on_both_backends(
    workspace: WorkspaceStore, data, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Overview page through AppTest: on PostGIS it counts in the database (the
    incidents' rows are never read) and shows the figures of the rows."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(workspace.location))
    real = PostGISStore.read

    def read(self, layer, **kwargs):  # type: ignore[no-untyped-def]
        assert layer != "incidents", "the page read the incidents' rows"
        return real(self, layer, **kwargs)

    monkeypatch.setattr(PostGISStore, "read", read)
    # Accounts are kept in GeoPackage workspaces only so far: none, beside this one.
    import app_pages._access

    accounts = access_storage(GeoPackageStore(tmp_path / "accounts.gpkg"))
    monkeypatch.setattr(app_pages._access, "access_storage", lambda store: accounts)
    app = AppTest.from_file(str(Path(__file__).parent.parent / "streamlit_app.py"))
    app.session_state["lang"] = "en"
    app.run(timeout=120)
    assert not app.exception, [e.value for e in app.exception]
    metrics = {m.label: m.value for m in app.metric}
    expected = build_overview(data[0], data[1], metric_crs=workspace.working_crs())
    current = int(expected.kpis.loc["total", "current"])
    assert metrics["Incidents, last 30 days"] == f"{current:,}"
    assert metrics["Grids"] == "108"
    assert metrics["Households"] == f"{int(data[0]['households'].sum()):,}"


@pytest.mark.parametrize(("bandwidth", "cell"), [(150.0, 30.0), (400.0, None)])
def test_store_density_equals_row_kde(workspace: WorkspaceStore, data, bandwidth, cell) -> None:
    """The heat map from the store's cell counts is the heat map of the rows
    (:func:`kde_raster` over the same aligned extent) to 0.5 % of the peak — in fact to
    rounding — on both backends, and integrates to the incidents counted."""
    from gridmap.hotspots.density import kde_raster
    from gridmap.hotspots.density_store import aligned_bounds, store_density

    window = {"occurred_at": (END - pd.Timedelta(weeks=12), END)}
    got = store_density(workspace, bandwidth=bandwidth, cell=cell, between=window)
    low, high = window["occurred_at"]
    rows = data[1][(data[1]["occurred_at"] >= low) & (data[1]["occurred_at"] < high)]
    crs = workspace.working_crs()
    size = cell or bandwidth / 5
    xy = rows.to_crs(crs).geometry
    ix = np.floor(xy.x.to_numpy() / size).astype("int64")
    iy = np.floor(xy.y.to_numpy() / size).astype("int64")
    bounds = aligned_bounds(ix, iy, cell=size, bandwidth=bandwidth)
    assert got is not None
    assert got.bounds == pytest.approx(bounds)
    expected = kde_raster(rows, crs=crs, bandwidth=bandwidth, cell_size=size, bounds=bounds)
    assert got.shape == expected.shape
    peak = expected.values.max()
    assert np.abs(got.values - expected.values).max() <= 0.005 * peak
    assert got.total() == pytest.approx(len(rows), rel=1e-3)
