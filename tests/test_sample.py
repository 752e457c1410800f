"""The bundled sample street office: complete, consistent and reproducible from OSM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gridmap import sample
from gridmap.datasets import get_path
from gridmap.grids import dissolve_level, invalid_grid_codes
from gridmap.schema import CATEGORIES, LAYERS, SITE_KINDS, validate_layer
from gridmap.store import GeoPackageStore


@pytest.fixture(scope="module")
def bundled() -> GeoPackageStore:
    return GeoPackageStore(get_path("helsinki"), create=False)


def test_every_layer_is_there_and_valid(bundled: GeoPackageStore) -> None:
    # Every layer but the street office's saved analyses (hotspots), which users make.
    assert bundled.layers() == [name for name in LAYERS if name != "hotspots"]
    for name in bundled.layers():
        validate_layer(bundled.read(name), name)
    assert get_path("helsinki").stat().st_size < 10_000_000  # data/ stays small


def test_grids_follow_the_hierarchy_and_are_balanced(bundled: GeoPackageStore) -> None:
    grids = bundled.read("grids")
    assert 25 <= len(grids) <= 35
    assert invalid_grid_codes(grids["grid_code"]) == []
    communities = dissolve_level(grids, "community")
    assert len(communities) == sample.N_COMMUNITIES
    assert communities["name"].str.endswith(tuple(sample.NEIGHBOURHOODS)).all()
    households = grids["households"]
    assert households.sum() == pytest.approx(
        bundled.read("buildings")["households"].sum(), rel=0.02
    )
    assert households.std() / households.mean() < 0.6  # balanced, not equal
    # Grids do not overlap: the union's area equals the sum of areas.
    metric = grids.to_crs(bundled.working_crs())
    assert shapely.union_all(metric.geometry.to_numpy()).area == pytest.approx(
        metric.area.sum(), rel=1e-6
    )


def test_sites_posts_and_incidents(bundled: GeoPackageStore) -> None:
    sites = bundled.read("sites")
    assert set(sites["kind"]) <= set(SITE_KINDS)
    assert {"station", "metro", "school", "bank"} <= set(sites["kind"])
    assert set(sites["response_class"]) <= {1, 3, 5}
    assert len(bundled.read("posts")) == sample.N_POSTS
    incidents = bundled.read("incidents")
    assert incidents["synthetic"].all()
    assert "SYNTHETIC" in bundled.history("incidents")[-1].message  # the Data page shows it
    assert len(incidents) >= 20_000
    assert incidents["synthetic"].all()
    assert incidents["description"].str.contains("synthetic").all()
    assert set(incidents["category"]) == set(CATEGORIES)
    span = incidents["occurred_at"].max() - incidents["occurred_at"].min()
    assert pd.Timedelta(days=360) < span <= pd.Timedelta(days=366)
    requests = incidents[incidents["category"].str.startswith("request")]
    assert requests["handled_at"].notna().mean() > 0.9
    assert (
        requests["handled_at"].dropna()
        > requests.loc[requests["handled_at"].notna(), "occurred_at"]
    ).all()


def test_the_generator_follows_its_model(bundled: GeoPackageStore) -> None:
    incidents = bundled.read("incidents")
    hours = incidents["occurred_at"].dt.hour
    fights = hours[incidents["category"] == "fight"]
    assert fights.isin([22, 23, 0, 1, 2, 3]).mean() > 0.5  # night-time violence
    requests = hours[incidents["category"] == "request-consultation"]
    assert requests.between(8, 17).mean() > 0.7  # office hours
    weekend = incidents["occurred_at"].dt.day_of_week >= 5
    assert (
        weekend[incidents["category"] == "fight"].mean()
        > weekend[incidents["category"] == "fraud"].mean()
    )
    # Emerging hot spots: the last 3 months hold more theft than the 3 before them.
    end = pd.Timestamp(sample.PERIOD_END)
    theft = incidents[incidents["category"] == "theft"]["occurred_at"]
    last = theft.between(end - pd.DateOffset(months=3), end).sum()
    before = theft.between(end - pd.DateOffset(months=6), end - pd.DateOffset(months=3)).sum()
    assert last > before * 1.1


def test_household_rule() -> None:
    households = sample.estimate_households(
        np.array([900.0, 900.0, 900.0]),
        np.array([6, 6, 6]),
        np.array(["apartments", "yes", "church"]),
    )
    assert households.tolist() == [54, 24, 0]


def test_balanced_partition_cross_checked_by_brute_force() -> None:
    rng = np.random.default_rng(3)
    xy = rng.random((40, 2))
    weights = rng.integers(1, 10, 40).astype(float)
    labels = sample.balanced_partition(xy, weights, 2)
    totals = np.bincount(labels, weights=weights)
    # Brute force: every straight cut between consecutive points, along x and along y.
    best: dict[int, float] = {}
    for axis in (0, 1):
        ordered = weights[np.argsort(xy[:, axis], kind="stable")]
        best[axis] = min(
            abs(ordered[:cut].sum() - ordered[cut:].sum()) for cut in range(1, len(xy))
        )
    axis = int(np.argmax(np.ptp(xy, axis=0)))  # the longer extent, as documented
    # Ours is the best straight cut along that axis, exactly …
    assert abs(totals[0] - totals[1]) == best[axis]
    # … and a straight cut: every point of group 0 lies before every point of group 1.
    assert xy[labels == 0, axis].max() <= xy[labels == 1, axis].min()
    # The other axis cannot beat it by more than one item's weight.
    assert abs(totals[0] - totals[1]) <= min(best.values()) + weights.max()


@pytest.mark.slow
def test_the_bundled_file_is_what_the_builder_makes(
    tmp_path: Path, bundled: GeoPackageStore
) -> None:
    rebuilt = GeoPackageStore(sample.build(tmp_path / "rebuilt.gpkg"))
    for name in bundled.layers():
        assert_geodataframe_equal(
            rebuilt.read(name), bundled.read(name), check_less_precise=True, check_like=True
        )
