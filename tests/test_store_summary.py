"""Incident summaries (per grid × day × category): equal to counting the rows, on both
backends, through restores, ``gridmap copy`` both ways and an account's scope."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore, copy_workspace
from gridmap.store._summary import empty_summary, in_window, summarise
from tests import test_store
from tests.test_store import beijing, postgres_url

# the two backends' fresh workspaces, as the store's own tests make them
backend, new_store = test_store.backend, test_store.new_store


def calls(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` incidents over 60 days in a Beijing district, some at exactly midnight, some
    without a time or category, some outside every grid."""
    rng = np.random.default_rng(seed)
    frame = beijing(list(116.30 + rng.random(n) * 0.2), list(39.85 + rng.random(n) * 0.1))
    frame["category"] = rng.choice(["theft", "fraud", "fight"], n)
    when = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 60, n), unit="s")
    when = when.where(rng.random(n) > 0.05, when.normalize())  # 5 % at midnight
    frame["occurred_at"] = when
    frame.loc[frame.index[:3], "occurred_at"] = pd.NaT
    frame.loc[frame.index[3:5], "category"] = None
    return frame


def grids(prefix: str = "110105001001") -> gpd.GeoDataFrame:
    """4 × 3 grids edge to edge over part of the district (two communities)."""
    xs, ys = np.linspace(116.32, 116.48, 5), np.linspace(39.86, 39.94, 4)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(4) for j in range(3)]
    codes = [f"11010500100{1 + k // 6}{k + 1:03d}" for k in range(len(cells))]
    return gpd.GeoDataFrame({"grid_code": codes}, geometry=cells, crs=4326)


def expected(store: WorkspaceStore) -> pd.DataFrame:
    """The summary counted independently from the rows, as written."""
    rows = store.read("incidents")
    area = store.read("grids") if store.current_version("grids") is not None else None
    return summarise(rows, area)


def test_summary_counts_the_rows(new_store: Callable[..., WorkspaceStore]) -> None:
    store = new_store()
    assert store.incident_summary().equals(empty_summary())
    frame = calls(3000)
    store.write("incidents", frame, message="calls")
    got = store.incident_summary()
    assert got["grid_code"].isna().all()  # no grids yet
    assert int(got["count"].sum()) == len(frame)
    store.write("grids", grids(), message="grids")
    got = store.incident_summary()
    pd.testing.assert_frame_equal(got, expected(store))
    # independent check of one window: (Jan 10, Jan 20] per category
    start, end = pd.Timestamp("2026-01-10"), pd.Timestamp("2026-01-20")
    t = frame["occurred_at"]
    want = frame[(t > start) & (t <= end)]["category"].value_counts()
    window = got[in_window(got, start, end, closed="right")]
    assert window.groupby("category")["count"].sum().to_dict() == want.to_dict()
    left = got[in_window(got, start, end)]
    assert int(left["count"].sum()) == int(((t >= start) & (t < end)).sum())


def test_summary_follows_restores_and_grid_changes(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    store = new_store()
    store.write("grids", grids(), message="grids")
    store.write("incidents", calls(800), message="first")
    first = store.incident_summary()
    store.write("incidents", calls(500, seed=1), message="second")
    assert int(store.incident_summary()["count"].sum()) == 500
    store.restore("incidents", 1, message="undo")
    pd.testing.assert_frame_equal(store.incident_summary(), first)
    fewer = grids().iloc[:6]
    store.write("grids", fewer, message="one community")
    pd.testing.assert_frame_equal(store.incident_summary(), expected(store))
    assert set(store.incident_summary()["grid_code"].dropna()) <= set(fewer["grid_code"])
    store.restore("grids", 1, message="both again")
    pd.testing.assert_frame_equal(store.incident_summary(), first)


def test_postgis_keeps_one_summary_per_pair_of_versions(tmp_path: Path) -> None:
    store = PostGISStore(postgres_url())
    try:
        store.write("incidents", calls(400), message="calls")
        store.write("grids", grids(), message="grids")
        store.restore("grids", 1, message="same grids again")  # a pair already summarised
        with store._connect() as con:
            pairs = con.execute(
                f"SELECT count(*) FROM {store.schema}.gridmap_summary_pairs"
            ).fetchone()[0]
            # a summary missing (an older release's workspace) is made on first use
            con.execute(f"DELETE FROM {store.schema}.gridmap_summary")
            con.execute(f"DELETE FROM {store.schema}.gridmap_summary_pairs")
        assert pairs == 2  # (incidents, none) and (incidents, grids)
        pd.testing.assert_frame_equal(store.incident_summary(), expected(store))
    finally:
        store.drop()


def test_copy_keeps_summaries_both_ways(tmp_path: Path) -> None:
    source = GeoPackageStore(tmp_path / "a.gpkg")
    source.write("incidents", calls(600), message="first")
    source.write("grids", grids(), message="grids")
    source.write("incidents", calls(700, seed=2), message="second")
    source.restore("incidents", 1, message="undo")
    middle = PostGISStore(postgres_url())
    try:
        copy_workspace(source, middle)
        pd.testing.assert_frame_equal(middle.incident_summary(), source.incident_summary())
        back = GeoPackageStore(tmp_path / "b.gpkg")
        copy_workspace(middle, back)
        pd.testing.assert_frame_equal(back.incident_summary(), middle.incident_summary())
        middle.restore("incidents", 2, message="the second again")
        pd.testing.assert_frame_equal(middle.incident_summary(), expected(middle))
    finally:
        middle.drop()


def test_a_scoped_store_summarises_only_its_area(
    new_store: Callable[..., WorkspaceStore],
) -> None:
    from gridmap.access import Scope, Session, scoped

    store = new_store()
    store.write("grids", grids(), message="grids")
    store.write("incidents", calls(2000), message="calls")
    whole = store.incident_summary()
    community = "110105001001"
    session = Session(user="grid1", role="viewer", scope=Scope(community))
    view = scoped(store, session)
    got = view.incident_summary()
    mine = whole[whole["grid_code"].fillna("").str.startswith(community).to_numpy()]
    assert len(mine)
    assert int(mine["count"].sum()) < int(whole["count"].sum())
    assert set(got["grid_code"].dropna()) <= set(mine["grid_code"])
    inside = got[got["grid_code"].notna()].reset_index(drop=True)
    pd.testing.assert_frame_equal(inside, mine.reset_index(drop=True))


def test_in_window_refuses_times_that_are_not_midnights() -> None:
    with pytest.raises(ValueError, match="`end` must be a midnight"):
        in_window(empty_summary(), None, pd.Timestamp("2026-01-01 12:00"))
