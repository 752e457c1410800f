"""Between backends: ``gridmap copy`` both ways with the whole history, and the store's
aggregations (counts by column and time bin, KDE cell counts) giving the same numbers on
GeoPackage and PostGIS, checked against independent computations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from geopandas.testing import assert_geodataframe_equal

from gridmap import StoreError
from gridmap.cli import main
from gridmap.store import (
    GeoPackageStore,
    PostGISStore,
    WorkspaceStore,
    copy_workspace,
    install_sample_workspace,
    open_workspace,
)
from tests.test_store import beijing, incidents, postgres_url, posts_at


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = postgres_url()
    yield url
    PostGISStore(url).drop()


def with_history(path: Path) -> GeoPackageStore:
    """A workspace whose history has several authors, a restore and a user's CRS."""
    store = GeoPackageStore(path)
    store.write("incidents", incidents(40), author="张三", message="first import")
    store.write("incidents", incidents(25, seed=1), message="second import")  # verified
    store.write("posts", posts_at([24.941, 24.945], [60.171, 60.172]), message="posts")
    current = store.current_version("incidents")
    store.write("incidents", incidents(10, seed=2), message="bad file", based_on=current)
    store.restore("incidents", 2, author="李四", message="undo the bad file")
    store.update_settings(name="街道 A", working_crs="EPSG:3067", synthetic_incidents=True)
    return store


def assert_same_workspace(a: WorkspaceStore, b: WorkspaceStore) -> None:
    assert a.layers() == b.layers()
    for layer in a.layers():
        old, new = a.history(layer), b.history(layer)
        fields = ("version", "created_at", "author", "author_verified", "message")
        more = ("n_features", "action", "based_on")
        assert [[getattr(v, f) for f in fields + more] for v in old] == [
            [getattr(v, f) for f in fields + more] for v in new
        ]
        for version in old:
            left = a.read(layer, version=version.version)
            right = b.read(layer, version=version.version)
            for frame in (left, right):
                for column in frame.columns:  # the time unit differs (ms / µs): compare values
                    if pd.api.types.is_datetime64_any_dtype(frame[column]):
                        frame[column] = frame[column].astype("datetime64[ns]")
            assert_geodataframe_equal(left, right, check_dtype=False)
    assert a.settings().get("bounds") == pytest.approx(b.settings().get("bounds"))
    for key in set(a.settings()) - {"bounds", "created_at"}:
        assert a.settings()[key] == b.settings()[key], key


def test_copy_gpkg_to_postgis_and_back_keeps_every_version(tmp_path: Path, pg_url: str) -> None:
    source = with_history(tmp_path / "a.gpkg")
    assert main(["copy", str(source.path), pg_url]) == 0
    middle = open_workspace(pg_url, create=False)
    assert_same_workspace(source, middle)
    # The restore is a restore in PostGIS too, pointing at the copied table of version 2.
    copied = middle.history("incidents")
    assert copied[-1].action == "restore"
    assert copied[-1].table == copied[1].table
    assert middle.working_crs().to_epsg() == 3067  # the user's choice came along
    back = tmp_path / "back.gpkg"
    assert main(["copy", pg_url, str(back)]) == 0
    assert_same_workspace(source, GeoPackageStore(back))
    # Into a workspace that has data: refused, nothing changed.
    assert main(["copy", str(source.path), str(back)]) == 2
    with pytest.raises(StoreError, match="already holds layers"):
        copy_workspace(source, middle)
    assert len(middle.history("incidents")) == 4


@pytest.mark.slow
def test_copy_the_sample_street_office_to_postgis(tmp_path: Path, pg_url: str) -> None:
    sample = open_workspace(install_sample_workspace(tmp_path / "sample.gpkg"))
    copy_workspace(sample, open_workspace(pg_url))
    assert_same_workspace(sample, open_workspace(pg_url, create=False))


# -- aggregation -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calls() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    n = 20_000
    frame = beijing(list(116.30 + rng.random(n) * 0.2), list(39.85 + rng.random(n) * 0.1))
    frame["category"] = rng.choice(["theft", "fraud", "fight"], n)
    frame["occurred_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        rng.integers(0, 86400 * 90, n), unit="s"
    )
    frame["grid_code"] = rng.choice(["110105001001001", "110105001001002", None], n)
    return frame


@pytest.fixture(params=["gpkg", "postgis"])
def both(request: pytest.FixtureRequest, tmp_path: Path, calls: gpd.GeoDataFrame):  # type: ignore[no-untyped-def]
    if request.param == "gpkg":
        store: WorkspaceStore = GeoPackageStore(tmp_path / "w.gpkg")
    else:
        store = PostGISStore(postgres_url())
    store.write("incidents", calls, message="calls")
    yield store
    if isinstance(store, PostGISStore):
        store.drop()


def test_count_by_category_and_week_matches_pandas(both: WorkspaceStore, calls) -> None:  # type: ignore[no-untyped-def]
    window = (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01"))
    got = both.count_by(
        "incidents",
        ["category"],
        where={"category": ["theft", "fraud"]},
        between={"occurred_at": window},
        time_bin=("occurred_at", "week"),
    )
    keep = calls["category"].isin(["theft", "fraud"]) & calls["occurred_at"].between(
        *window, inclusive="left"
    )
    kept = calls[keep]
    monday = kept["occurred_at"].dt.normalize() - pd.to_timedelta(
        kept["occurred_at"].dt.day_of_week, unit="D"
    )
    expected = kept.assign(occurred_at=monday).groupby(["category", "occurred_at"]).size()
    assert got.set_index(["category", "occurred_at"])["count"].to_dict() == expected.to_dict()
    assert int(got["count"].sum()) == int(keep.sum())
    total = both.count_by("incidents")
    assert total["count"].tolist() == [len(calls)]
    grids = both.count_by("incidents", ["grid_code"]).set_index("grid_code")["count"]
    assert grids.sum() == len(calls)  # the rows with no grid code are a group of their own
    assert grids.loc["110105001001001"] == (calls["grid_code"] == "110105001001001").sum()
    with pytest.raises(StoreError, match="`time_bin`"):
        both.count_by("incidents", time_bin=("occurred_at", "fortnight"))


def test_kde_cell_counts_match_an_independent_histogram(both: WorkspaceStore, calls) -> None:  # type: ignore[no-untyped-def]
    box = (116.35, 39.86, 116.45, 39.92)
    got = both.aggregate_points("incidents", cell=250.0, bounds=box, where={"category": "theft"})
    assert both.working_crs().to_epsg() == 4548
    # Independently: pyproj's transformer, numpy's 2-D histogram on the cell edges.
    inside = calls.cx[box[0] : box[2], box[1] : box[3]]
    inside = inside[inside["category"] == "theft"]
    to_gk = pyproj.Transformer.from_crs(4326, 4548, always_xy=True)
    x, y = to_gk.transform(inside.geometry.x.to_numpy(), inside.geometry.y.to_numpy())
    x0, y0 = np.floor(x.min() / 250) * 250, np.floor(y.min() / 250) * 250
    nx, ny = int((x.max() - x0) // 250) + 1, int((y.max() - y0) // 250) + 1
    hist, _, _ = np.histogram2d(
        x, y, bins=[x0 + 250 * np.arange(nx + 1), y0 + 250 * np.arange(ny + 1)]
    )
    ix, iy = np.nonzero(hist)
    expected = {
        (int(x0 // 250) + i, int(y0 // 250) + j): int(hist[i, j])
        for i, j in zip(ix, iy, strict=True)
    }
    assert dict(zip(zip(got["ix"], got["iy"], strict=True), got["count"], strict=True)) == (
        expected
    )
    assert got["count"].sum() == len(inside) > 1000
    with pytest.raises(StoreError, match="`cell` must be a positive"):
        both.aggregate_points("incidents", cell=0)


def test_incidents_per_grid_match_assign_grid_with_shared_edges(
    both: WorkspaceStore, calls
) -> None:  # type: ignore[no-untyped-def]
    import shapely

    from gridmap.stats import assign_grid

    # 4 × 3 grids tiling part of the district, edge to edge, and two points exactly on a
    # shared edge and corner: each is counted once, in the grid written first.
    xs, ys = np.linspace(116.32, 116.48, 5), np.linspace(39.86, 39.94, 4)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(4) for j in range(3)]
    grids = gpd.GeoDataFrame(
        {"grid_code": [f"110105001001{k + 1:03d}" for k in range(len(cells))]},
        geometry=cells,
        crs=4326,
    )
    grids["category"] = "residential"  # a column both layers have: filters name the incidents'
    both.write("grids", grids, message="grids")
    on_edges = calls.iloc[:2].copy()
    on_edges["incident_id"] = ["EDGE", "CORNER"]
    on_edges["category"] = "theft"
    on_edges["occurred_at"] = pd.Timestamp("2026-03-01")
    on_edges["geometry"] = shapely.points([xs[1], xs[2]], [39.90, ys[1]])
    both.write("incidents", pd.concat([calls, on_edges], ignore_index=True), message="+2")
    window = (pd.Timestamp("2026-02-01"), None)
    got = both.count_in_polygons(
        "incidents",
        "grids",
        "grid_code",
        where={"category": ["theft"]},
        between={"occurred_at": window},
    )
    rows = both.read("incidents")
    rows = rows[(rows["category"] == "theft") & (rows["occurred_at"] >= window[0])]
    expected = assign_grid(rows, grids).value_counts().sort_index()
    assert dict(zip(got["grid_code"], got["count"], strict=True)) == expected.to_dict()
    assert got["count"].sum() < len(rows)  # points outside every grid are not counted
    codes = assign_grid(rows[rows["incident_id"].isin(["EDGE", "CORNER"])], grids)
    assert codes.notna().all()  # the edge points are counted, once each
