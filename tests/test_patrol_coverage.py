"""1-3-5 minute coverage, recomputed by hand on a small network with known lengths."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.patrol.coverage import (
    changed_posts,
    coverage_change,
    coverage_report,
    reached_pieces,
    service_area_polygons,
    service_areas,
    snap_to_modes,
    unvisited_sites,
)
from gridmap.patrol.network import WALK_KMH, street_graphs

CRS = "EPSG:32650"
M_PER_MIN = WALK_KMH / 3.6 * 60  # 83.33 m of walking per minute


@pytest.fixture(scope="module")
def graphs():
    # A(0,0)——B(100,0)——C(200,0), and B——D(100,50): 250 m of street
    streets = gpd.GeoDataFrame(
        {"highway": ["residential"] * 3, "name": ["ab", "bc", "bd"]},
        geometry=[
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(100, 0), (200, 0)]),
            shapely.LineString([(100, 0), (100, 50)]),
        ],
        crs=CRS,
    )
    return street_graphs(streets, crs=CRS, modes=("walk", "car"))


def posts_at(*xy, mode="walk"):
    return gpd.GeoDataFrame(
        {"post_id": [f"P{i}" for i in range(len(xy))], "mode": mode},
        geometry=[shapely.Point(p) for p in xy],
        crs=CRS,
    )


def test_street_shares_by_hand(graphs):
    report = coverage_report(graphs, posts_at((0, 0)), minutes=(1, 2))
    one, two = report.summary["street_share"].iloc[:2]
    assert one == pytest.approx(M_PER_MIN / 250)
    # 2 min = 166.7 m: all of AB, 66.7 m of BC, all 50 m of BD
    assert two == pytest.approx((100 + (2 * M_PER_MIN - 100) + 50) / 250)
    gaps = report.gap_streets.set_index("name")["length"]
    assert gaps["bc"] == pytest.approx(200 - 2 * M_PER_MIN)


def test_post_inside_an_edge_reaches_both_ways(graphs):
    pieces = reached_pieces(graphs, posts_at((50, 3)), minutes=(1,))
    reached = pieces.loc[pieces["minutes"] == 1, "length"].sum()
    # 83.3 m each way: all of AB, and 33.3 m onto both BC and BD
    assert reached == pytest.approx(100 + 2 * (M_PER_MIN - 50))
    # pieces tile each segment exactly once
    per_seg = pieces.groupby("segment")["length"].sum()
    np.testing.assert_allclose(per_seg.sort_index(), [100, 100, 50])


def test_sites_within_their_own_class(graphs):
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3"], "response_class": [1, 3, 1]},
        geometry=[shapely.Point(150, 5), shapely.Point(150, 5), shapely.Point(20, 0)],
        crs=CRS,
    )
    report = coverage_report(graphs, posts_at((0, 0)), sites=sites)
    t = report.sites.set_index("site_id")["time"]
    assert t["S1"] == pytest.approx(150 / M_PER_MIN * 60)
    assert report.sites["within_class"].tolist() == [False, True, True]
    assert report.summary.set_index("minutes").loc["class", "site_share"] == pytest.approx(2 / 3)
    assert report.gap_sites["site_id"].tolist() == ["S1"]


def test_incident_weights_and_grids(graphs):
    incidents = gpd.GeoDataFrame(
        {"w": [1.0, 3.0]}, geometry=[shapely.Point(10, 1), shapely.Point(190, 1)], crs=CRS
    )
    grids = gpd.GeoDataFrame(
        {"grid_code": ["G1", "G2"]},
        geometry=[shapely.box(-10, -10, 99.9, 60), shapely.box(99.9, -10, 210, 60)],
        crs=CRS,
    )
    report = coverage_report(
        graphs, posts_at((0, 0)), incidents=incidents, grids=grids, weight="w", minutes=(1, 3)
    )
    shares = report.summary.set_index("minutes")["incident_share"]
    assert shares[1] == pytest.approx(0.25)  # the 1-weight incident at 10 m
    assert shares[3] == pytest.approx(1.0)
    g = report.by_grid.set_index(["grid_code", "minutes"])
    assert g.loc[("G1", 1), "street_share"] == pytest.approx(M_PER_MIN / 100, rel=1e-3)
    assert g.loc[("G2", 3), "street_share"] == pytest.approx(1.0)


def test_one_way_binds_cars_only(graphs):
    streets = gpd.GeoDataFrame(
        {"highway": ["residential"], "oneway": ["yes"], "maxspeed": ["36"]},
        geometry=[shapely.LineString([(0, 0), (1000, 0)])],
        crs=CRS,
    )
    from gridmap.patrol.network import street_graphs as build

    g = build(streets, crs=CRS, modes=("car",))
    at_end = coverage_report(g, posts_at((1000, 0), mode="car"), minutes=(1,))
    at_start = coverage_report(g, posts_at((0, 0), mode="car"), minutes=(1,))
    assert at_end.summary["street_share"].iat[0] == pytest.approx(0.0)
    assert at_start.summary["street_share"].iat[0] == pytest.approx(0.6)  # 600 m at 36 km/h


def test_modes_combined_on_one_street_table(graphs):
    both = pd.concat([posts_at((0, 0)), posts_at((200, 0), mode="car").assign(post_id="C")])
    report = coverage_report(graphs, both, minutes=(1,))
    assert report.summary["street_share"].iat[0] == pytest.approx(1.0)  # the car reaches all
    assert set(report.streets["post_id"].dropna()) <= {"P0", "C"}


def test_service_areas_and_polygons(graphs):
    areas = service_areas(graphs, posts_at((0, 0), (200, 0)), minutes=(1, 3))
    assert set(areas["post_id"]) == {"P0", "P1"}
    p0 = areas[areas["post_id"] == "P0"].groupby("minutes")["length"].sum()
    assert p0[1] == pytest.approx(M_PER_MIN)
    assert p0[1] + p0[3] == pytest.approx(250)
    np.testing.assert_allclose(areas.geometry.length, areas["length"])
    polys = service_area_polygons(areas, buffer_m=10)
    assert polys.geometry.area.gt(0).all()
    one = polys[(polys["post_id"] == "P0") & (polys["minutes"] == 1)].geometry.iat[0]
    assert one.contains(shapely.Point(40, 5))
    assert not one.contains(shapely.Point(150, 0))


def test_what_if_changes_nothing_saved(graphs):
    posts = posts_at((0, 0))
    change = coverage_change(
        graphs, posts, add=posts_at((200, 0)).assign(post_id="NEW"), minutes=(1,)
    )
    row = change.table.set_index(["minutes", "figure"]).loc[(1.0, "street_share")]
    assert row["after"] > row["before"]
    assert len(posts) == 1  # input untouched
    moved = coverage_change(graphs, posts, move={"P0": shapely.Point(100, 0)}, minutes=(1,))
    assert moved.after.summary["street_share"].iat[0] == pytest.approx((2 * M_PER_MIN + 50) / 250)
    removed = coverage_change(graphs, posts, remove=["P0"], minutes=(1,))
    assert removed.after.summary["street_share"].iat[0] == 0
    with pytest.raises(ValidationError, match="`remove` names unknown"):
        coverage_change(graphs, posts, remove=["X"])


def test_snapped_once_gives_the_same_report(graphs):
    incidents = gpd.GeoDataFrame(
        {"w": [1.0, 3.0]}, geometry=[shapely.Point(10, 1), shapely.Point(190, 1)], crs=CRS
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1"], "response_class": [1]}, geometry=[shapely.Point(100, 40)], crs=CRS
    )
    posts = posts_at((0, 0), (200, 0)).assign(mode=["walk", "car"])
    options = {"incidents": incidents, "sites": sites, "weight": "w"}
    plain = coverage_report(graphs, posts, **options)
    snapped = coverage_report(
        graphs,
        posts,
        incident_snaps=snap_to_modes(graphs, incidents),
        site_snaps=snap_to_modes(graphs, sites),
        **options,
    )
    pd.testing.assert_frame_equal(plain.summary, snapped.summary)
    pd.testing.assert_frame_equal(plain.incidents, snapped.incidents)
    pd.testing.assert_frame_equal(plain.sites, snapped.sites)


def test_what_if_reuses_the_report_before(graphs):
    posts = posts_at((0, 0))
    before = coverage_report(graphs, posts, minutes=(1,))
    change = coverage_change(graphs, posts, remove=["P0"], before=before, minutes=(1,))
    assert change.before is before
    after = changed_posts(posts, move={"P0": shapely.Point(100, 0)})
    assert after.geometry.iat[0] == shapely.Point(100, 0)
    assert posts.geometry.iat[0] == shapely.Point(0, 0)


def test_far_post_is_an_error(graphs):
    with pytest.raises(ValidationError, match=r"post\(s\) P0 .* farther than 100 m"):
        coverage_report(graphs, posts_at((0, 500)))
    with pytest.raises(ValidationError, match=r"`posts` has mode\(s\) bike"):
        coverage_report(graphs, posts_at((0, 0), mode="bike"))


def test_unvisited_sites():
    sites = pd.DataFrame({"site_id": ["S1", "S2", "S3"]})
    visits = pd.DataFrame(
        {
            "site_id": ["S1", "S2", "S1"],
            "time": pd.to_datetime(["2025-01-10", "2025-01-01", "2025-01-03"]),
        }
    )
    overdue = unvisited_sites(sites, visits, days=7)
    assert overdue["site_id"].tolist() == ["S3", "S2"]
    assert overdue["days_since"].iat[1] == pytest.approx(9)
    with pytest.raises(ValidationError, match="`visits` must have column"):
        unvisited_sites(sites, pd.DataFrame({"site_id": []}), days=7)
