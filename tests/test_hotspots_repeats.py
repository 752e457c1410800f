"""Tests of gridmap.hotspots.repeats: places against brute-force pair graphs, repeated requests
on a hand-made table, and the Knox table against a brute-force count of every pair."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from gridmap._errors import ValidationError
from gridmap.hotspots.repeats import (
    knox_test,
    location_labels,
    repeat_addresses,
    repeat_locations,
    repeat_requests,
)

BEIJING_UTM = "EPSG:32650"  # any metric CRS; no test assumes Helsinki


def points(xy, times=None, crs=BEIJING_UTM, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float)
    data = dict(columns)
    if times is not None:
        data["occurred_at"] = pd.to_datetime(times)
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def random_events(n, seed, *, side=1500.0, days=120.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, (n, 2)) + np.array([440_000, 4_420_000])
    t = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, days * 86400, n), "s")
    return points(xy, t)


# --- repeat locations -----------------------------------------------------------------------


def test_kdtree_places_are_the_connected_components_of_close_pairs():
    rng = np.random.default_rng(1)
    xy = np.round(rng.uniform(0, 300, (250, 2)), 1)
    labels = location_labels(points(xy), tolerance=12).to_numpy()
    graph = nx.Graph()
    graph.add_nodes_from(range(len(xy)))
    for i, j in itertools.combinations(range(len(xy)), 2):
        if np.hypot(*(xy[i] - xy[j])) <= 12:
            graph.add_edge(i, j)
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    got = {frozenset(np.flatnonzero(labels == k)) for k in np.unique(labels)}
    assert got == expected
    assert labels[0] == 0  # numbered by first incident


def test_snap_places_are_lattice_cells():
    xy = [[1, 1], [9, 9], [11, 1], [25, 25], [29, 21]]
    labels = location_labels(points(xy), tolerance=10, method="snap").tolist()
    assert labels == [0, 0, 1, 2, 2]


def test_repeat_locations_in_lon_lat_use_metres_and_keep_the_crs():
    # Three incidents within ~4 m of each other in Beijing, one 200 m away, one without place.
    lon, lat = 116.40, 39.90
    dlon = 1 / (111_320 * np.cos(np.radians(lat)))  # degrees per metre east
    xy = [[lon, lat], [lon + 2 * dlon, lat], [lon + 4 * dlon, lat], [lon + 200 * dlon, lat]]
    frame = points(
        xy,
        ["2025-01-01", "2025-01-05", "2025-01-03", "2025-01-02"],
        crs="EPSG:4326",
        category=["theft", "fight", "theft", "theft"],
        incident_id=["a", "b", "c", "d"],
    )
    got = repeat_locations(frame, tolerance=3)
    assert len(got) == 1
    row = got.iloc[0]
    assert row["count"] == 3
    assert row["top_category"] == "theft"
    assert row["incident_ids"] == ["a", "b", "c"]
    assert row["first"] == pd.Timestamp("2025-01-01")
    assert row["last"] == pd.Timestamp("2025-01-05")
    assert got.crs == frame.crs
    assert row.geometry.x == pytest.approx(lon + 2 * dlon, abs=1e-7)
    assert repeat_locations(frame, tolerance=1).empty
    assert repeat_locations(frame.iloc[:0]).empty


def test_repeat_addresses_match_normalised_text():
    frame = pd.DataFrame(
        {
            "address": [
                "解放路 12 号",
                "解放路１２号",
                "解放路12号",
                "Main St. 5",
                "main st 5",
                None,
            ],
            "occurred_at": pd.date_range("2025-01-01", periods=6, freq="D"),
        }
    )
    got = repeat_addresses(frame)
    assert got["count"].tolist() == [3, 2]
    assert got.index.tolist() == ["解放路12号", "mainst5"]
    with pytest.raises(ValidationError, match="`column`"):
        repeat_addresses(frame, column="地址")


# --- repeated requests ----------------------------------------------------------------------


def test_repeat_requests_hand_made():
    frame = points(
        [[0, 0], [10, 0], [500, 0], [5, 5], [900, 900], [2000, 0]],
        ["2025-03-01", "2025-03-10", "2025-03-11", "2025-05-01", "2025-03-12", "2025-03-20"],
        incident_id=["r1", "r2", "r3", "r4", "p1", "r5"],
        source=["12345", "12345", "12345", "12345", "110", "12345"],
        address=["A路1号", None, "B路2号", None, "B路2号", "B路 2 号"],
    )
    got = repeat_requests(frame, days=30, tolerance=30, text_column="address")
    # r2 repeats r1 (10 m, 9 days); r4 is 61 days after r1: no; p1 is not a request;
    # r5 repeats r3 by text (9 days), not p1.
    assert got.index.tolist() == [1, 5]
    assert got["repeat_of"].tolist() == ["r1", "r3"]
    assert got["match"].tolist() == ["place", "text"]
    np.testing.assert_allclose(got["days_since"], [9, 9])
    np.testing.assert_allclose(got["distance_m"], [10, 1500])
    assert repeat_requests(frame, days=100, tolerance=30)["repeat_of"].tolist() == ["r1", "r2"]


# --- Knox -----------------------------------------------------------------------------------


def brute_force_knox(frame, d_edges, t_edges) -> np.ndarray:
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    days = (frame["occurred_at"] - pd.Timestamp("2000-01-01")).dt.total_seconds().to_numpy()
    days = days / 86400

    def band(value, edges):
        for k in range(len(edges) - 1):
            if value <= edges[k + 1] and (k == 0 or value > edges[k]):
                return k
        return None

    table = np.zeros((len(d_edges) - 1, len(t_edges) - 1), dtype=int)
    for i, j in itertools.combinations(range(len(frame)), 2):
        d = band(np.hypot(*(xy[i] - xy[j])), d_edges)
        t = band(abs(days[i] - days[j]), t_edges)
        if d is not None and t is not None:
            table[d, t] += 1
    return table


def test_knox_observed_counts_equal_brute_force_pair_count():
    frame = random_events(300, 2)
    # Whole-metre, whole-day coordinates put many pairs exactly on band edges.
    frame = points(
        np.round(np.column_stack([frame.geometry.x, frame.geometry.y]) / 10) * 10,
        frame["occurred_at"].dt.floor("D"),
    )
    for d_edges, t_edges in [((0, 100, 200, 300), (0, 7, 14)), ((0, 0, 50, 150), (0, 0, 3, 10))]:
        got = knox_test(frame, distance_bands=d_edges, time_bands=t_edges, permutations=9, seed=1)
        np.testing.assert_array_equal(got.observed, brute_force_knox(frame, d_edges, t_edges))
    assert got.observed.index[0] == "0 m"
    assert got.observed.columns.tolist() == ["0 d", "0-3 d", "3-10 d"]


def test_knox_finds_a_constructed_near_repeat_pattern_and_not_a_random_one():
    rng = np.random.default_rng(3)
    base = random_events(600, 4)
    parents = rng.integers(0, 600, 150)
    xy = np.column_stack([base.geometry.x, base.geometry.y])
    near = xy[parents] + rng.normal(0, 25, (150, 2))
    later = base["occurred_at"].to_numpy()[parents] + pd.to_timedelta(rng.uniform(0.2, 5, 150), "D")
    repeats = pd.concat([base, points(near, later)], ignore_index=True)
    kwargs = {"distance_bands": (0, 100, 200, 400), "time_bands": (0, 7, 14, 28)}
    found = knox_test(repeats, permutations=99, seed=5, **kwargs)
    assert found.p_value.iloc[0, 0] == pytest.approx(0.01)  # the smallest possible
    assert found.ratio.iloc[0, 0] > 1.2
    assert found.n_events == 750
    chance = knox_test(random_events(750, 6), permutations=99, seed=5, **kwargs)
    assert chance.p_value.iloc[0, 0] > 0.05
    assert 0.5 < chance.ratio.iloc[0, 0] < 1.5
    assert ((chance.p_value > 0) & (chance.p_value <= 1)).all().all()
    # Same seed, same answer.
    again = knox_test(repeats, permutations=99, seed=5, **kwargs)
    pd.testing.assert_frame_equal(again.p_value, found.p_value)


def test_knox_guards():
    frame = random_events(200, 7)
    with pytest.raises(ValidationError, match="`max_pairs`"):
        knox_test(frame, max_pairs=10)
    with pytest.raises(ValidationError, match="`distance_bands`"):
        knox_test(frame, distance_bands=(100, 200))
    with pytest.raises(ValidationError, match="`time_bands`"):
        knox_test(frame, time_bands=(0, 7, 7))
    with pytest.raises(ValidationError, match="`permutations`"):
        knox_test(frame, permutations=0)
    empty = knox_test(frame.iloc[:1], permutations=9)
    assert empty.n_pairs == 0
    assert empty.observed.to_numpy().sum() == 0
