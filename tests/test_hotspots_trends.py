"""Tests of gridmap.hotspots.trends: Mann-Kendall against pymannkendall and brute force,
the emerging hot spot rules on constructed histories, and the weekly cube."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pymannkendall
import pytest

from gridmap._errors import ValidationError
from gridmap.hotspots.trends import (
    EMERGING_PATTERNS,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    space_time_cube,
)

UTM50N = "EPSG:32650"
X0, Y0 = 500_000.0, 2_560_000.0


# --- Mann-Kendall --------------------------------------------------------------------------


def test_mann_kendall_equals_pymannkendall_and_brute_force():
    rng = np.random.default_rng(0)
    series = np.vstack(
        [
            rng.poisson(2.0, (40, 26)),  # many ties
            rng.poisson(np.linspace(1, 6, 26), (20, 26)),  # upward trends, ties
            rng.normal(0, 1, (20, 26)) - np.linspace(0, 2, 26),  # downward, no ties
            np.zeros((1, 26)),  # all tied
        ]
    ).astype(float)
    ours = mann_kendall(series)
    for i, x in enumerate(series):
        brute = sum(np.sign(x[j] - x[k]) for k in range(len(x)) for j in range(k + 1, len(x)))
        assert ours["s"][i] == brute
        if np.ptp(x) == 0:
            assert ours["z"][i] == 0
            assert ours["p"][i] == 1
            continue
        ref = pymannkendall.original_test(x)
        assert ours["var_s"][i] == pytest.approx(ref.var_s, rel=1e-12)
        assert ours["z"][i] == pytest.approx(ref.z, rel=1e-12, abs=1e-12)
        assert ours["p"][i] == pytest.approx(ref.p, rel=1e-9, abs=1e-12)
        assert ours["tau"][i] == pytest.approx(ref.Tau, rel=1e-12)
        assert ours["trend"][i] == {"increasing": 1, "decreasing": -1, "no trend": 0}[ref.trend]


def test_mann_kendall_validation():
    with pytest.raises(ValidationError, match="T ≥ 3"):
        mann_kendall([1.0, 2.0])


# --- the rules -----------------------------------------------------------------------------

T = 20
H, C, N = 1, -1, 0  # hot, cold, neither


def history(*parts: tuple[int, int]) -> list[int]:
    """A weekly history from (state, weeks) runs."""
    out: list[int] = []
    for state, weeks in parts:
        out += [state] * weeks
    assert len(out) == T
    return out


CASES = {
    "new hot spot": (history((N, 19), (H, 1)), 0),
    "consecutive hot spot": (history((N, 16), (H, 4)), 0),
    "intensifying hot spot": (history((N, 1), (H, 19)), 1),
    "persistent hot spot": (history((H, 20)), 0),
    "diminishing hot spot": (history((H, 18), (N, 1), (H, 1)), -1),
    "sporadic hot spot": (history((H, 2), (N, 10), (H, 1), (N, 6), (H, 1)), 0),
    "oscillating hot spot": (history((C, 3), (N, 15), (H, 2)), 0),
    "historical hot spot": (history((H, 19), (N, 1)), 0),
    "new cold spot": (history((N, 19), (C, 1)), 0),
    "consecutive cold spot": (history((N, 17), (C, 3)), 0),
    "intensifying cold spot": (history((C, 20)), -1),
    "persistent cold spot": (history((C, 18), (N, 1), (C, 1)), 0),
    "diminishing cold spot": (history((C, 20)), 1),
    "sporadic cold spot": (history((N, 5), (C, 1), (N, 13), (C, 1)), 0),
    "oscillating cold spot": (history((H, 1), (N, 18), (C, 1)), 0),
    "historical cold spot": (history((C, 18), (N, 2)), 0),
    "no pattern": (history((H, 5), (N, 10), (C, 2), (N, 3)), 0),
}


def test_every_pattern_from_a_constructed_history():
    assert set(CASES) == set(EMERGING_PATTERNS)
    states = np.array([h for h, _ in CASES.values()])
    trend = np.array([t for _, t in CASES.values()])
    got = classify_emerging(states == H, states == C, trend)
    assert dict(zip(CASES, got, strict=True)) == {k: k for k in CASES}


def test_rule_boundaries():
    # 18 of 20 weeks hot is 90 %: persistent; 17 is not: sporadic (hot on and off)
    ninety = history((N, 1), (H, 9), (N, 1), (H, 9))
    eighty_five = history((N, 2), (H, 8), (N, 1), (H, 9))
    # a single final run after a cold spot: oscillating wins over consecutive
    cold_then_run = history((C, 1), (N, 15), (H, 4))
    states = np.array([ninety, eighty_five, cold_then_run])
    got = classify_emerging(states == H, states == C, [0, 0, 0]).tolist()
    assert got == ["persistent hot spot", "sporadic hot spot", "oscillating hot spot"]


# --- the cube and the analysis -------------------------------------------------------------


def weekly_incidents(seed: int) -> gpd.GeoDataFrame:
    """20 weeks from Monday 2024-01-01: uniform background, a cluster growing from week 10."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for week in range(20):
        n_bg = 150
        xy = rng.uniform((X0, Y0), (X0 + 2000, Y0 + 2000), (n_bg, 2))
        if week >= 10:
            xy = np.vstack([xy, rng.normal((X0 + 1500, Y0 + 500), 60, (40 + 10 * week, 2))])
        t = start + pd.to_timedelta(week * 7 + rng.uniform(0, 7, len(xy)), unit="D")
        rows.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "occurred_at": t}))
    df = pd.concat(rows, ignore_index=True)
    return gpd.GeoDataFrame(
        {"occurred_at": df["occurred_at"]},
        geometry=gpd.points_from_xy(df["x"], df["y"]),
        crs=UTM50N,
    ).to_crs("EPSG:4326")


def test_space_time_cube_counts_every_incident_once():
    inc = weekly_incidents(1)
    cube = space_time_cube(inc, crs=UTM50N, cell_size=200)
    assert len(cube.week_starts) == 20
    assert cube.week_starts[0] == pd.Timestamp("2024-01-01")
    assert (cube.week_starts.day_of_week == 0).all()
    assert cube.counts.sum() == len(inc)
    per_week = inc.groupby((inc["occurred_at"] - pd.Timestamp("2024-01-01")).dt.days // 7).size()
    np.testing.assert_array_equal(cube.counts.sum(axis=0), per_week.to_numpy())
    assert cube.counts.shape == (len(cube.cells), 20)
    assert cube.weights.shape == (len(cube.cells), len(cube.cells))


def test_default_end_drops_a_partial_final_week():
    inc = weekly_incidents(2)
    # cut the last week after Wednesday
    cut = inc[inc["occurred_at"] < pd.Timestamp("2024-05-16")]
    cube = space_time_cube(cut, crs=UTM50N, cell_size=200)
    assert len(cube.week_starts) == 19
    sunday_short = inc[inc["occurred_at"] < pd.Timestamp("2024-05-19 12:00")]
    assert len(space_time_cube(sunday_short, crs=UTM50N, cell_size=200).week_starts) == 20


def test_growing_cluster_is_an_emerging_hot_spot():
    inc = weekly_incidents(3)
    cells = emerging_hotspots(inc, crs=UTM50N, cell_size=200)
    assert cells.crs == "EPSG:4326"
    assert len(cells.attrs["week_starts"]) == 20
    centre = np.hypot(cells["x"] - (X0 + 1500), cells["y"] - (Y0 + 500)).idxmin()
    hit = cells.loc[centre]
    assert hit["pattern"] == "consecutive hot spot"
    assert hit["weeks_hot"] == 10
    assert hit["count_trend_z"] > 3
    assert cells["count"].sum() == len(inc)
    # the reusable cube gives the same answer
    cube = space_time_cube(inc, crs=UTM50N, cell_size=200)
    again = emerging_hotspots(cube)
    pd.testing.assert_series_equal(again["pattern"], cells["pattern"])


def test_validation():
    inc = weekly_incidents(4)
    with pytest.raises(ValidationError, match="`alpha` must be one of"):
        emerging_hotspots(inc, crs=UTM50N, alpha=0.2)
    with pytest.raises(ValidationError, match="`crs` is required"):
        emerging_hotspots(inc)
    with pytest.raises(ValidationError, match="occurred_at"):
        space_time_cube(inc.drop(columns="occurred_at"), crs=UTM50N)
    with pytest.raises(ValidationError, match="no whole week"):
        space_time_cube(inc, crs=UTM50N, start="2024-01-01", end="2024-01-05")


# --- the default cell size for weekly counts ----------------------------------------------


def _weekly_incidents(weeks: int, per_week: int, seed: int) -> gpd.GeoDataFrame:
    """Clustered incidents over `weeks` whole weeks from Monday 2024-01-01, in UTM 50N."""
    rng = np.random.default_rng(seed)
    n = weeks * per_week
    centres = rng.uniform(0, 4000, (12, 2))
    pick = rng.integers(0, len(centres), n)
    xy = centres[pick] + rng.normal(0, 250, (n, 2)) + 500_000
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, weeks * 7 * 86400, n), unit="s"
    )
    return gpd.GeoDataFrame(
        {"occurred_at": times}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM50N
    )


def _weekly_mean(cube) -> float:  # type: ignore[no-untyped-def]
    totals = cube.counts.sum(axis=1)
    return float(totals[totals > 0].mean()) / cube.counts.shape[1]


@pytest.mark.parametrize(("weeks", "per_week"), [(12, 400), (26, 150), (8, 2000)])
def test_default_cell_size_gives_enough_weekly_counts(weeks, per_week):
    from gridmap.hotspots._cells import MIN_CELLS, NICE_SIZES
    from gridmap.hotspots.local_stats import gi_star_hotspots
    from gridmap.hotspots.trends import MIN_WEEKLY_MEAN

    inc = _weekly_incidents(weeks, per_week, seed=weeks)
    cube = space_time_cube(inc, crs=UTM50N)
    size = cube.cells.attrs["cell_size"]
    assert cube.counts.shape[1] == weeks
    assert cube.cells.attrs["cell_size_rule"] == "weekly"
    # the rule holds: cells with incidents average at least MIN_WEEKLY_MEAN a week ...
    assert _weekly_mean(cube) >= MIN_WEEKLY_MEAN
    assert len(cube.cells) >= MIN_CELLS
    # ... and the next smaller round size would not (the smallest such size is taken)
    smaller = [s for s in NICE_SIZES if s < size]
    if smaller:
        finer = space_time_cube(inc, crs=UTM50N, cell_size=float(smaller[-1]))
        assert _weekly_mean(finer) < MIN_WEEKLY_MEAN or len(finer.cells) < MIN_CELLS
    # coarser than Gi*'s own rule for the whole period (5 per cell, not 2 per week)
    assert size > gi_star_hotspots(inc, crs=UTM50N).attrs["cell_size"]
    # a size the user gives overrides the rule
    given = space_time_cube(inc, crs=UTM50N, cell_size=75)
    assert given.cells.attrs["cell_size"] == 75
    assert given.cells.attrs["cell_size_rule"] == "given"


def test_weekly_rule_is_checked():
    inc = _weekly_incidents(4, 50, seed=1)
    with pytest.raises(ValidationError, match="`min_weekly_mean`"):
        space_time_cube(inc, crs=UTM50N, min_weekly_mean=0)
