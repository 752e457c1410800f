"""Street graphs, snapping and travel times, cross-checked against networkx and brute force."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.datasets import get_path
from gridmap.patrol.network import (
    WALK_KMH,
    components,
    node_components,
    snap_points,
    street_graph,
    street_graphs,
    travel_time_matrix,
    travel_times_from,
    travel_times_to,
)
from gridmap.store import GeoPackageStore

CRS = "EPSG:32650"


@pytest.fixture(scope="module")
def sample():
    store = GeoPackageStore(get_path("helsinki"), create=False)
    crs = store.working_crs()
    graphs = street_graphs(store.read("streets"), crs=crs)
    return graphs, store.read("posts"), crs


def lines(coords, **columns):
    geoms = [shapely.LineString(c) for c in coords]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS)


def random_streets(seed, n=60):
    """Random straight streets between jittered lattice points, some one-way."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1000, (25, 2)).round(1)
    a = rng.integers(0, 25, n)
    b = rng.integers(0, 25, n)
    keep = a != b
    coords = [[tuple(pts[i]), tuple(pts[j])] for i, j in zip(a[keep], b[keep], strict=True)]
    oneway = rng.choice(["yes", "no", "-1", None], keep.sum())
    return lines(coords, highway=["residential"] * len(coords), oneway=oneway)


def nx_times(graph, sources):
    g = graph.graph
    present = [int(s) for s in sources if int(s) in g]
    ref = nx.multi_source_dijkstra_path_length(g, present, weight="time")
    out = np.full(graph.n_nodes, np.inf)
    out[np.fromiter(ref, dtype=np.intp)] = np.fromiter(ref.values(), dtype=float)
    return out


@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_sample_times_equal_networkx(sample, mode):
    graphs, _, _ = sample
    graph = graphs[mode]
    rng = np.random.default_rng(1)
    sources = rng.choice(graph.nodes, 5, replace=False)
    ours = travel_times_from(graph, sources)
    np.testing.assert_allclose(ours.time, nx_times(graph, sources), rtol=1e-12)
    reached = np.isfinite(ours.time)
    # the nearest source really is at that time
    for k, s in enumerate(sources):
        alone = travel_times_from(graph, [s]).time
        hit = ours.nearest == k
        np.testing.assert_allclose(alone[hit], ours.time[hit])
    assert (ours.nearest[~reached] == -1).all()


@pytest.mark.parametrize("seed", range(5))
def test_random_graphs_equal_networkx(seed):
    streets = random_streets(seed)
    for mode in ("walk", "car"):
        graph = street_graph(streets, mode=mode, crs=CRS)
        sources = np.random.default_rng(seed).choice(graph.nodes, 3, replace=False)
        np.testing.assert_allclose(
            travel_times_from(graph, sources).time, nx_times(graph, sources), rtol=1e-12
        )
        cut = travel_times_from(graph, sources, cutoff=60.0).time
        full = travel_times_from(graph, sources).time
        np.testing.assert_array_equal(cut[full <= 60], full[full <= 60])
        assert np.isinf(cut[full > 60]).all()


def test_snapped_sources_equal_networkx_with_split_edges(sample):
    graphs, posts, _ = sample
    for mode in ("walk", "car"):
        graph = graphs[mode]
        snapped = snap_points(graph, posts)
        g = graph.graph.copy()
        seg = graph.segments
        for k, row in enumerate(snapped.itertuples()):
            s, pos = row.segment, row.position
            length = seg["length"].iat[s]
            if np.isfinite(graph.forward_time[s]):
                g.add_edge(("p", k), int(seg["v"].iat[s]),
                           time=(1 - pos / length) * graph.forward_time[s])  # fmt: skip
            if np.isfinite(graph.backward_time[s]):
                g.add_edge(("p", k), int(seg["u"].iat[s]),
                           time=pos / length * graph.backward_time[s])  # fmt: skip
        ref = nx.multi_source_dijkstra_path_length(
            g, [("p", k) for k in range(len(snapped))], weight="time"
        )
        expected = np.full(graph.n_nodes, np.inf)
        for node, t in ref.items():
            if not isinstance(node, tuple):
                expected[node] = t
        np.testing.assert_allclose(travel_times_from(graph, snapped).time, expected, rtol=1e-12)


def test_snapping_matches_brute_force_nearest_edge(sample):
    graphs, _, crs = sample
    graph = graphs["car"]
    rng = np.random.default_rng(2)
    x0, y0 = graph.node_x.min(), graph.node_y.min()
    pts = shapely.points(rng.uniform(x0, graph.node_x.max(), 300),
                         rng.uniform(y0, graph.node_y.max(), 300))  # fmt: skip
    snapped = snap_points(graph, gpd.GeoSeries(pts, crs=crs), max_distance=100)
    usable = graph.segments.geometry.to_numpy()[graph.in_mode]
    brute = shapely.distance(pts[:, None], usable[None, :]).min(axis=1)
    np.testing.assert_allclose(snapped["distance"], brute, atol=1e-6)
    np.testing.assert_array_equal(snapped["far"], brute > 100)
    lines_ = graph.segments.geometry.to_numpy()[snapped["segment"]]
    back = shapely.line_interpolate_point(lines_, snapped["position"])
    np.testing.assert_allclose(shapely.distance(back, pts), brute, atol=1e-6)
    assert graph.in_mode[snapped["segment"]].all()
    # u, v, key name a real edge of the networkx graph, offset along it
    g = graph.graph
    for row in snapped.head(30).itertuples():
        assert g.has_edge(row.u, row.v, row.key)
        assert 0 <= row.offset <= g.edges[row.u, row.v, row.key]["length"] + 1e-9


def test_walk_speed_and_targets_on_one_line():
    # A——B——C straight, 100 m each; walking 5 km/h
    streets = lines([[(0, 0), (100, 0)], [(100, 0), (200, 0)]], highway=["footway"] * 2)
    graph = street_graph(streets, mode="walk", crs=CRS)
    per_m = 3.6 / WALK_KMH
    post = snap_points(graph, gpd.GeoSeries([shapely.Point(30, 4)], crs=CRS))
    targets = snap_points(
        graph,
        gpd.GeoSeries([shapely.Point(10, 0), shapely.Point(60, 0), shapely.Point(180, 0)], crs=CRS),
    )
    got = travel_times_to(graph, post, targets)
    np.testing.assert_allclose(got.time, np.array([20, 30, 150]) * per_m)
    matrix = travel_time_matrix(graph, post, targets)
    np.testing.assert_allclose(matrix[0], got.time)
    assert post["distance"].iat[0] == pytest.approx(4)


def test_car_one_way_and_maxspeed():
    streets = lines(
        [[(0, 0), (100, 0)], [(100, 0), (200, 0)], [(200, 0), (300, 0)]],
        highway=["primary", "primary", "residential"],
        oneway=["yes", "-1", None],
        maxspeed=["36", None, "20 mph"],
    )
    car = street_graph(streets, mode="car", crs=CRS)
    walk = street_graph(streets, mode="walk", crs=CRS)
    a = car.segments.index[car.segments["u"] == 0][0]
    assert car.forward_time[a] == pytest.approx(10.0)  # 100 m at 36 km/h
    assert np.isinf(car.backward_time[a])
    assert np.isfinite(walk.backward_time).all()
    speeds = car.speed_kmh
    assert sorted(np.round(speeds, 3)) == sorted([36.0, 40.0, round(20 * 1.609344, 3)])


def test_noding_splits_at_shared_interior_vertex_and_drops_duplicates():
    streets = lines(
        [[(0, 0), (100, 0), (200, 0)], [(100, 0), (100, 100)], [(200, 0), (100, 0), (0, 0)]],
        highway=["residential"] * 3,
        network=["walk", "walk", "drive"],
    )
    walk = street_graph(streets, mode="walk", crs=CRS)
    car = street_graph(streets, mode="car", crs=CRS)
    assert len(walk.segments) == 3  # the T junction split the long line; the copy kept once
    assert walk.in_mode.sum() == 3
    assert car.in_mode.sum() == 2  # only the drive copy's two pieces
    assert any("repeated" in n for n in walk.notes)


def test_missing_columns_get_defaults_with_notes():
    streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (50, 0)])], crs=CRS)
    graph = street_graph(streets, mode="car", crs=CRS)
    assert any("highway" in n for n in graph.notes)
    assert any("maxspeed" in n for n in graph.notes)
    assert np.isfinite(graph.forward_time).all()


def test_components_reported():
    streets = lines([[(0, 0), (100, 0)], [(100, 0), (100, 100)], [(500, 0), (600, 0)]],
                    highway=["residential"] * 3)  # fmt: skip
    graph = street_graph(streets, mode="walk", crs=CRS)
    table = components(graph)
    assert list(table["segments"]) == [2, 1]
    assert table["main"].tolist() == [True, False]
    assert table["share"].sum() == pytest.approx(1.0)
    labels = node_components(graph)
    assert set(labels[graph.nodes]) == {0, 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "boat"}, "`mode` must be one of"),
        ({"crs": "EPSG:4326"}, "`crs` must be a projected CRS"),
        ({"speeds": {"primary": -5}}, "`speeds"),
    ],
)
def test_validation_messages(kwargs, message):
    streets = lines([[(0, 0), (1, 0)]], highway=["primary"])
    options = {"mode": "walk", "crs": CRS} | kwargs
    with pytest.raises(ValidationError, match=message):
        street_graph(streets, **options)


def test_validation_of_inputs():
    with pytest.raises(ValidationError, match="`streets` is empty"):
        street_graph(lines([]), mode="walk", crs=CRS)
    points = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=CRS)
    with pytest.raises(ValidationError, match="`streets` must hold LineString"):
        street_graph(points, mode="walk", crs=CRS)
    graph = street_graph(lines([[(0, 0), (1, 0)]], highway=["primary"]), mode="walk", crs=CRS)
    with pytest.raises(ValidationError, match="`sources` must be node ids"):
        travel_times_from(graph, [99])
    with pytest.raises(ValidationError, match="`sources` must be node ids or the frame"):
        travel_times_from(graph, pd.DataFrame({"x": [1]}))
    assert np.isinf(travel_times_from(graph, []).time).all()
