"""Tests of gridmap.hotspots.forecast: PAI and hit rate on a hand-made cube and simulations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from gridmap._errors import ValidationError
from gridmap.hotspots.forecast import forecast_accuracy
from gridmap.hotspots.trends import SpaceTimeCube

UTM50N = "EPSG:32650"
X0, Y0 = 500_000.0, 2_560_000.0


def hand_made_cube() -> SpaceTimeCube:
    counts = np.zeros((10, 4), dtype=np.int64)
    counts[[0, 1, 2], 0] = [5, 3, 1]
    counts[[0, 1, 3], 1] = [2, 4, 2]
    counts[[0, 2, 5, 9], 2] = [3, 1, 4, 2]
    counts[[1, 5], 3] = [2, 2]
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D", name="week_start")
    cells = gpd.GeoDataFrame(geometry=gpd.points_from_xy(range(10), [0] * 10), crs="EPSG:4326")
    return SpaceTimeCube(cells, counts, weeks, sp.identity(10, format="csr"))


def test_known_pai_on_a_hand_made_cube():
    result = forecast_accuracy(hand_made_cube(), lookback_weeks=2, area_share=0.2)
    weekly = result.weekly
    # week 3: weeks 1-2 rank cells 0 and 1 (7 each); 3 of week 3's 10 incidents are in them
    # week 4: weeks 2-3 rank cell 0 (5), then cells 1 and 5 tie at 4: the earlier, 1, wins;
    #         2 of 4 incidents are in cells 0 and 1
    assert weekly.index.tolist() == [pd.Timestamp("2024-01-15"), pd.Timestamp("2024-01-22")]
    assert weekly["incidents"].tolist() == [10, 4]
    assert weekly["hits"].tolist() == [3, 2]
    assert weekly["cells"].tolist() == [2, 2]
    np.testing.assert_allclose(weekly["hit_rate"], [0.3, 0.5])
    np.testing.assert_allclose(weekly["area_share"], [0.2, 0.2])
    np.testing.assert_allclose(weekly["pai"], [1.5, 2.5])
    assert result.pai == pytest.approx(2.0)
    assert result.hit_rate == pytest.approx(0.4)


def test_only_cells_with_incidents_are_selected():
    # half the cells asked for, but only 4 cells had incidents in the look-back weeks
    result = forecast_accuracy(hand_made_cube(), lookback_weeks=1, area_share=0.5)
    first = result.weekly.iloc[0]
    assert first["cells"] == 3
    assert first["area_share"] == pytest.approx(0.3)
    assert first["hit_rate"] == pytest.approx(6 / 8)
    assert first["pai"] == pytest.approx((6 / 8) / 0.3)


def simulated(seed: int, clustered: bool) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n_weeks, per_week = 12, 300
    xy = rng.uniform((X0, Y0), (X0 + 2000, Y0 + 2000), (n_weeks * per_week, 2))
    if clustered:  # a third of incidents at three stable places
        k = n_weeks * per_week // 3
        spots = np.array([[X0 + 300, Y0 + 300], [X0 + 1500, Y0 + 900], [X0 + 800, Y0 + 1700]])
        xy[:k] = spots[rng.integers(0, 3, k)] + rng.normal(0, 40, (k, 2))
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 7 * n_weeks, len(xy)), "D")
    return gpd.GeoDataFrame(
        {"occurred_at": t}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM50N
    )


@pytest.mark.parametrize("rank_by", ["count", "gi_star"])
def test_stable_hot_spots_predict_and_noise_does_not(rank_by):
    hot = forecast_accuracy(simulated(1, True), crs=UTM50N, cell_size=100, rank_by=rank_by)
    noise = forecast_accuracy(simulated(2, False), crs=UTM50N, cell_size=100, rank_by=rank_by)
    assert len(hot.weekly) == 8
    assert hot.pai > 4
    assert 0.5 < noise.pai < 2
    assert (hot.weekly["area_share"] <= 0.05 + 1e-9).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lookback_weeks": 0}, "`lookback_weeks` must be a positive whole number"),
        ({"lookback_weeks": 4}, "must be shorter than the period"),
        ({"area_share": 1.5}, "`area_share` must be in \\(0, 1\\]"),
        ({"rank_by": "kde"}, '`rank_by` must be "count" or "gi_star"'),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        forecast_accuracy(hand_made_cube(), **kwargs)
