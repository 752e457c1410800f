"""Tests of gridmap.hotspots.concentration on a hand-made street network."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.figure import Figure
from shapely import LineString

from gridmap._errors import ValidationError
from gridmap.hotspots.concentration import (
    concentration_curve,
    concentration_summary,
    plot_concentration,
    segment_counts,
    share_of_segments_holding,
)

CRS = "EPSG:32650"
X0, Y0 = 440_000.0, 4_420_000.0


def ladder() -> gpd.GeoDataFrame:
    """Ten 100 m segments: a 5-segment east-west street and five north-south side streets."""
    main = [LineString([(X0 + 100 * i, Y0), (X0 + 100 * (i + 1), Y0)]) for i in range(5)]
    side = [
        LineString([(X0 + 100 * i + 50, Y0 + 20), (X0 + 100 * i + 50, Y0 + 120)]) for i in range(5)
    ]
    return gpd.GeoDataFrame(
        {"name": [f"main {i}" for i in range(5)] + [f"side {i}" for i in range(5)]},
        geometry=main + side,
        crs=CRS,
        index=pd.RangeIndex(10, 20),
    )


def incidents_near(streets, per_segment, *, offset=4.0, seed=0) -> gpd.GeoDataFrame:
    """`per_segment[k]` incidents `offset` metres beside the middle part of segment k."""
    rng = np.random.default_rng(seed)
    pts = []
    for line, n in zip(streets.geometry, per_segment, strict=True):
        for _ in range(n):
            p = line.interpolate(rng.uniform(0.3, 0.7), normalized=True)
            (x0, y0), (x1, y1) = line.coords
            nx_, ny_ = -(y1 - y0) / line.length, (x1 - x0) / line.length
            pts.append(shapely.Point(p.x + offset * nx_, p.y + offset * ny_))
    return gpd.GeoDataFrame(geometry=pts, crs=streets.crs)


PER_SEGMENT = [12, 0, 3, 1, 0, 2, 0, 0, 1, 1]  # 20 incidents


def test_counts_on_a_hand_made_network():
    streets = ladder()
    got = segment_counts(incidents_near(streets, PER_SEGMENT), streets)
    assert got.name == "incidents"
    assert got.index.equals(streets.index)
    assert got.tolist() == PER_SEGMENT


def test_counts_equal_a_brute_force_nearest_segment():
    streets = ladder()
    rng = np.random.default_rng(1)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            X0 + rng.uniform(-30, 530, 400), Y0 + rng.uniform(-30, 140, 400)
        ),
        crs=CRS,
    )
    got = segment_counts(pts, streets, max_distance=None)
    dist = np.array([[p.distance(line) for line in streets.geometry] for p in pts.geometry])
    expected = np.bincount(dist.argmin(axis=1), minlength=len(streets))
    np.testing.assert_array_equal(got.to_numpy(), expected)


def test_far_incidents_are_dropped_and_lon_lat_works():
    streets = ladder()
    inc = incidents_near(streets, PER_SEGMENT)
    far = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 250, Y0 - 500)], crs=CRS)
    both = pd.concat([inc, far], ignore_index=True)
    assert segment_counts(both, streets).sum() == 20
    assert segment_counts(both, streets, max_distance=None).sum() == 21
    # Same answer with both layers in longitude/latitude (metres from the local UTM zone).
    got = segment_counts(both.to_crs(4326), streets.to_crs(4326))
    assert got.tolist() == PER_SEGMENT


def test_shares_and_curve_by_hand():
    counts = pd.Series(PER_SEGMENT)
    # Sorted: 12, 3, 2, 1, 1, 1, 0 … : 1 segment of 10 holds 60 % ≥ 50 %; 1 holds ≥ 25 %.
    assert share_of_segments_holding(counts, 0.5) == pytest.approx(0.1)
    assert share_of_segments_holding(counts, 0.25) == pytest.approx(0.1)
    assert share_of_segments_holding(counts, 0.75) == pytest.approx(0.2)  # 12+3 = 15 = 75 %
    assert share_of_segments_holding(counts, 1.0) == pytest.approx(0.6)
    curve = concentration_curve(counts)
    assert len(curve) == 11
    np.testing.assert_allclose(curve["share_of_segments"], np.linspace(0, 1, 11))
    np.testing.assert_allclose(
        curve["share_of_incidents"],
        np.concatenate([[0], np.cumsum([12, 3, 2, 1, 1, 1, 0, 0, 0, 0]) / 20]),
    )
    assert curve["segment"].iloc[1] == 0
    summary = concentration_summary(counts)
    assert summary["segments"] == 10
    assert summary["incidents"] == 20
    assert summary["share_with_any"] == pytest.approx(0.6)
    values = np.sort(np.asarray(PER_SEGMENT, dtype=float))
    mean_abs_diff = np.abs(values[:, None] - values[None, :]).sum() / (2 * 10**2 * values.mean())
    assert summary["gini"] == pytest.approx(mean_abs_diff)


def test_empty_and_bad_inputs():
    streets = ladder()
    empty = segment_counts(incidents_near(streets, [0] * 10), streets)
    assert empty.sum() == 0
    assert np.isnan(concentration_summary(empty)["share_for_50"])
    with pytest.raises(ValidationError, match="`share`"):
        share_of_segments_holding(empty, 1.5)
    with pytest.raises(ValidationError, match="`max_distance`"):
        segment_counts(incidents_near(streets, PER_SEGMENT), streets, max_distance=-1)
    with pytest.raises(ValidationError, match="`streets`"):
        segment_counts(incidents_near(streets, PER_SEGMENT), None)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plot_concentration(lang, tmp_path):
    fig = plot_concentration(pd.Series(PER_SEGMENT), lang=lang)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_xlabel().startswith("街段" if lang == "zh" else "Share")
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 5000
