"""GPS tracks: reading, cleaning, dosage, streets and stops — on the sample and small cases."""

from __future__ import annotations

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.datasets import get_path
from gridmap.patrol.network import street_graph
from gridmap.patrol.tracks import (
    _StreetLegs,
    clean_track,
    hotspot_dosage,
    read_track,
    stops_visited,
    streets_covered,
    synthetic_week,
)
from gridmap.store import GeoPackageStore

CRS = "EPSG:32635"  # UTM 35N, Helsinki


def fixes(xy, seconds, unit="U1"):
    gdf = gpd.GeoDataFrame(
        {
            "unit": unit,
            "time": pd.Timestamp("2025-11-03 08:00") + pd.to_timedelta(seconds, unit="s"),
        },
        geometry=gpd.points_from_xy(*np.asarray(xy, float).T),
        crs=CRS,
    )
    return gdf.to_crs("EPSG:4326")


def test_clean_drops_jumps_and_missing_times():
    x0, y0 = 385000.0, 6672000.0
    xy = [(x0 + 10 * i, y0) for i in range(20)]
    xy[7] = (x0 + 3000, y0)  # a jump
    track = fixes(xy, np.arange(20) * 10.0)
    track.loc[3, "time"] = pd.NaT
    clean, messages = clean_track(track)
    assert len(clean) == 18
    assert any("1 fixes without a timestamp" in m for m in messages)
    assert any("1 jumps faster than 4 m/s" in m for m in messages)


def test_clean_errors():
    track = fixes([(385000.0, 6672000.0)] * 3, [0, 10, 20])
    with pytest.raises(ValidationError, match="no timestamps"):
        clean_track(track.assign(time=pd.NaT))
    with pytest.raises(ValidationError, match="`mode`"):
        clean_track(track, mode="horse")
    wild = fixes([(385000.0 + 5000 * (i > 0), 6672000.0) for i in range(6)], np.arange(6) * 10.0)
    with pytest.raises(ValidationError, match="jump faster"):
        clean_track(wild)


def test_dosage_counts_dwell_and_visits():
    x0, y0 = 385000.0, 6672000.0
    zone = gpd.GeoDataFrame(
        {"hid": ["H1"]}, geometry=[shapely.box(x0 - 50, y0 - 50, x0 + 50, y0 + 50)], crs=CRS
    ).to_crs("EPSG:4326")
    # 12 min inside (fixes every 60 s), walk away 10 min, 5 min inside again
    inside1 = [(x0, y0)] * 13
    away = [(x0 + 200 + 10 * i, y0) for i in range(10)]
    inside2 = [(x0 + 5, y0)] * 6
    secs = np.arange(13 + 10 + 6) * 60.0
    track = fixes(inside1 + away + inside2, secs)
    out = hotspot_dosage(track, zone, id_column="hid").iloc[0]
    assert out["hotspot"] == "H1"
    assert out["visits"] == 2
    assert out["dwell"] == pytest.approx(12 * 60 + 5 * 60)
    assert out["koper_visits"] == 1
    assert out["short_visits"] == 1


def test_read_gpx_and_gbk_csv(tmp_path):
    gpx = gpxpy.gpx.GPX()
    trk = gpxpy.gpx.GPXTrack(name="巡逻1组")
    seg = gpxpy.gpx.GPXTrackSegment()
    for i in range(3):
        seg.points.append(
            gpxpy.gpx.GPXTrackPoint(
                60.17 + i * 1e-4,
                24.94,
                time=pd.Timestamp("2025-11-03T08:00Z") + pd.Timedelta(seconds=10 * i),
            )
        )
    trk.segments.append(seg)
    gpx.tracks.append(trk)
    (tmp_path / "t.gpx").write_text(gpx.to_xml(), encoding="utf-8")
    g = read_track(tmp_path / "t.gpx")
    assert list(g["unit"].unique()) == ["巡逻1组"]
    assert g["time"].notna().all()
    csv = (
        "时间,经度,纬度,单位\n2025-11-03 08:00:00,24.94,60.17,一组\n"
        "2025-11-03 08:00:10,24.9401,60.17,一组\n"
    )
    (tmp_path / "t.csv").write_bytes(csv.encode("gbk"))
    c = read_track(tmp_path / "t.csv")
    assert len(c) == 2
    assert c["unit"].iloc[0] == "一组"
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="longitude and latitude"):
        read_track(tmp_path / "bad.csv")


@pytest.fixture(scope="module")
def sample_walk():
    store = GeoPackageStore(get_path("helsinki"), create=False)
    streets = store.read("streets")
    streets = streets[streets["network"] == "walk"]
    graph = street_graph(streets, mode="walk", crs=CRS)
    return store, streets, graph


def test_synthetic_tracks_follow_the_streets(sample_walk):
    store, streets, graph = sample_walk
    posts = store.read("posts").iloc[:2]
    sites = store.read("sites").iloc[:12]
    exact = synthetic_week(posts, sites, graph=graph, days=1, noise=0.0, faults=False)
    tree = shapely.STRtree(streets.to_crs(CRS).geometry.to_numpy())

    def off_street(track):
        points = track.to_crs(CRS).geometry.to_numpy()
        (_i, _j), metres = tree.query_nearest(points, return_distance=True, all_matches=False)
        return metres

    assert off_street(exact).max() < 0.5  # every noiseless fix lies on a walking street
    straight = synthetic_week(posts, sites, days=1, noise=0.0, faults=False)
    assert (off_street(straight) > 2).mean() > 0.2  # what the straight-line walks did (35 %)
    noisy = synthetic_week(posts, sites, graph=graph, days=1, faults=False)
    assert (off_street(noisy) < 20).mean() > 0.99  # 5 m GPS noise: fixes stay by the street
    for _unit, fixes_ in exact.groupby("unit"):  # a fix every ~10 s, at walking pace
        steps = fixes_["time"].diff().dt.total_seconds().dropna()
        assert steps.median() == pytest.approx(10.0, abs=0.5)
        assert steps.max() < 20.0
        xy = shapely.get_coordinates(fixes_.to_crs(CRS).geometry)
        metres = np.hypot(*np.diff(xy, axis=0).T)
        assert (metres / steps.to_numpy()).max() < 1.3 * 1.01  # straight chord ≤ path walked


def test_synthetic_legs_are_networkx_shortest_paths(sample_walk):
    _store, _streets, graph = sample_walk
    rng = np.random.default_rng(2)
    xy = np.column_stack([rng.uniform(*np.percentile(graph.node_x, [20, 80]), 6),
                          rng.uniform(*np.percentile(graph.node_y, [20, 80]), 6)])  # fmt: skip
    legs = _StreetLegs(graph, xy)
    g = graph.graph
    for i, j in [(0, 1), (2, 3), (4, 5), (5, 0)]:
        ref = nx.shortest_path_length(g, int(legs.node[i]), int(legs.node[j]), weight="length")
        assert legs.metres(i, j) == pytest.approx(ref, rel=1e-9)
        line = legs.line(i, j)
        assert line.length == pytest.approx(ref, rel=1e-6)
        start = shapely.Point(graph.node_x[legs.node[i]], graph.node_y[legs.node[i]])
        assert shapely.distance(shapely.get_point(line, 0), start) < 1e-6


def test_synthetic_week_on_the_sample(sample_walk):
    store, _streets, graph = sample_walk
    posts = store.read("posts").iloc[:2]
    sites = store.read("sites").iloc[:12]
    week = synthetic_week(posts, sites, graph=graph, days=2, seed=1)
    assert week["synthetic"].all()
    assert set(week["unit"]) == {"U1", "U2"}
    again = synthetic_week(posts, sites, graph=graph, days=2, seed=1)
    assert week.geometry.equals(again.geometry)
    clean, messages = clean_track(week)
    assert messages  # the injected faults are found
    streets = store.read("streets")
    streets = streets[streets["network"] == "walk"]
    covered = streets_covered(clean, streets)
    assert covered.index.equals(streets.index)
    assert 0 < covered.mean() < 1
    visited = stops_visited(clean, sites)
    assert visited.mean() > 0.5
    zones = sites.to_crs(CRS).buffer(40).to_frame("geometry").assign(hid=sites["site_id"])
    dose = hotspot_dosage(clean, gpd.GeoDataFrame(zones, crs=CRS), id_column="hid")
    assert (dose["dwell"] >= 0).all()
    assert dose["visits"].sum() > 0


def test_track_messages_read_in_chinese_too():
    x0, y0 = 385000.0, 6672000.0
    track = fixes([(x0, y0), (x0 + 10, y0)], [0, 10])
    track["time"] = pd.NaT
    with pytest.raises(ValidationError) as err:
        clean_track(track)
    assert "时间戳" in err.value.args[0].text("zh")
    far = fixes([(x0 + 5000 * i, y0) for i in range(6)], np.arange(6) * 10.0)
    with pytest.raises(ValidationError, match="5 of 6 fixes jump faster than 4 m/s") as err:
        clean_track(far)
    assert "5 / 6" in err.value.args[0].text("zh")


def test_cli_writes_the_samples_synthetic_week(tmp_path, capsys):
    from gridmap.cli import main

    out = tmp_path / "week.csv"
    sample = str(get_path("helsinki"))
    assert main(["-w", sample, "synthetic-tracks", "--out", str(out), "--days", "1"]) == 0
    assert "synthetic fixes of 2 units" in capsys.readouterr().out
    back = read_track(out)  # the CSV reads back through the import path of real tracks
    assert set(back["unit"]) == {"U1", "U2"}
    clean, _messages = clean_track(back)
    assert clean["time"].dt.normalize().nunique() == 1
    assert len(clean) > 1000  # two 4-hour shifts, a fix every ~10 s
