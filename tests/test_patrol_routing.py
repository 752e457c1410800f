"""Patrol routes: every plan is re-simulated by the independent timetable simulator."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from gridmap import ValidationError
from gridmap.patrol import routing
from gridmap.patrol.routing import DWELL_HOTSPOT, matrix_from_graph, plan_patrol_routes
from gridmap.patrol.simulate import check_plan, simulate_route

TSPLIB = Path(__file__).resolve().parents[1].parent / "shared" / "tsplib"
WALK = 1.3  # m/s


def city(n: int, seed: int = 0, side: float = 3000.0) -> tuple[np.ndarray, np.ndarray]:
    """`n` points in a square of `side` metres and their walking times (Manhattan, seconds)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, (n, 2))
    metres = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    return xy, metres / WALK


def assert_valid(plan, times, stops, *, shift, dwell=DWELL_HOTSPOT):
    assert check_plan(plan, times, stops, shift=shift, dwell=dwell) == []
    visited = [s for r in plan.routes for s in r.stops]
    assert sorted(visited + plan.dropped, key=str) == sorted(stops["stop"], key=str)
    assert plan.objective == pytest.approx(plan.travel_time + plan.dropped_value)


def test_two_posts_required_stops_no_lkh():
    _, times = city(14, seed=1)
    stops = pd.DataFrame({"stop": [f"H{i}" for i in range(2, 14)], "node": range(2, 14)})
    units = pd.DataFrame({"unit": ["A", "B"], "start": [0, 1]})
    plan = plan_patrol_routes(
        times, stops, units, shift=6 * 3600, time_limit=0.3, improve_order=False
    )
    assert_valid(plan, times, stops, shift=6 * 3600)
    assert plan.dropped == []
    assert plan.info["method"] == "pyvrp"
    for route in plan.routes:
        table = route.timetable
        assert table["node"].iloc[0] == route.start
        assert table["node"].iloc[-1] == route.end
        assert (table["dwell"].iloc[1:-1] == DWELL_HOTSPOT).all()


def test_start_and_end_at_different_posts():
    _, times = city(10, seed=2)
    stops = pd.DataFrame({"stop": range(2, 10), "node": range(2, 10), "dwell": 300})
    units = pd.DataFrame({"start": [0], "end": [1]})
    plan = plan_patrol_routes(times, stops, units, shift=8 * 3600, time_limit=0.3)
    assert_valid(plan, times, stops, shift=8 * 3600)
    assert plan.routes[0].nodes[0] == 0
    assert plan.routes[0].nodes[-1] == 1


def test_priorities_drop_the_low_ones_when_time_runs_out():
    _, times = city(30, seed=3)
    prio = np.where(np.arange(2, 30) % 2 == 0, 5.0, 0.5)
    stops = pd.DataFrame({"stop": range(2, 30), "node": range(2, 30), "priority": prio})
    units = pd.DataFrame({"start": [0, 1]})
    shift = 2 * 3600
    plan = plan_patrol_routes(times, stops, units, shift=shift, time_limit=0.5)
    assert_valid(plan, times, stops, shift=shift)
    assert plan.dropped  # 28 × 12 min cannot fit in 2 × 2 h
    kept = {s for r in plan.routes for s in r.stops}
    by = dict(zip(stops["stop"], prio, strict=True))
    assert np.mean([by[s] for s in kept]) > np.mean([by[s] for s in plan.dropped])


def test_time_windows_hold():
    _, times = city(16, seed=4)
    stops = pd.DataFrame({"stop": range(1, 16), "node": range(1, 16)})
    # a school gate: from 90 to 150 min into the shift; another 20-60 min
    stops["open"] = np.nan
    stops["close"] = np.nan
    stops.loc[0, ["open", "close"]] = [90 * 60, 150 * 60]
    stops.loc[1, ["open", "close"]] = [20 * 60, 60 * 60]
    units = pd.DataFrame({"start": [0, 0]})
    plan = plan_patrol_routes(times, stops, units, shift=5 * 3600, time_limit=0.5)
    assert_valid(plan, times, stops, shift=5 * 3600)
    table = plan.timetable()
    gate = table[table["stop"] == 1].iloc[0]
    assert gate["start"] >= 90 * 60
    assert gate["leave"] <= 150 * 60


def test_unreachable_stop_named():
    _, times = city(5, seed=5)
    times[:, 4] = np.inf
    times[4, 4] = 0
    stops = pd.DataFrame({"stop": ["a", "b", "far"], "node": [1, 2, 4]})
    with pytest.raises(ValidationError, match=r"stop 'far' cannot be reached"):
        plan_patrol_routes(times, stops, pd.DataFrame({"start": [0]}), time_limit=0.1)


def test_stop_outside_budget_named():
    _, times = city(5, seed=5)
    times[0, 3] = times[3, 0] = 3 * 3600
    stops = pd.DataFrame({"stop": ["a", "b", "far"], "node": [1, 2, 3]})
    with pytest.raises(ValidationError, match=r"'far'.*`shift` of 240 min"):
        plan_patrol_routes(times, stops, pd.DataFrame({"start": [0]}), time_limit=0.1)


def test_optional_unreachable_stop_is_dropped_not_an_error():
    _, times = city(5, seed=5)
    times[0, 3] = times[3, 0] = 5 * 3600
    stops = pd.DataFrame({"stop": ["a", "far"], "node": [1, 3], "priority": [20, 20]})
    plan = plan_patrol_routes(times, stops, pd.DataFrame({"start": [0]}), time_limit=0.1)
    assert plan.dropped == ["far"]


def test_infeasible_window_named():
    _, times = city(5, seed=6)
    times[0, 2] = times[2, 0] = 1800
    stops = pd.DataFrame(
        {"stop": ["gate", "x"], "node": [2, 1], "open": [0, 0], "close": [1900, 99999]}
    )
    with pytest.raises(ValidationError, match=r"window of stop 'gate' cannot be met"):
        plan_patrol_routes(times, stops, pd.DataFrame({"start": [0]}), time_limit=0.1)
    short = stops.assign(close=[300, 99999])
    with pytest.raises(ValidationError, match=r"'gate'.*shorter than its dwell"):
        plan_patrol_routes(times, short, pd.DataFrame({"start": [0]}), time_limit=0.1)


def test_required_stops_beyond_the_shift():
    _, times = city(20, seed=7)
    stops = pd.DataFrame({"stop": range(1, 20), "node": range(1, 20)})
    with pytest.raises(ValidationError, match=r"do not all fit in the `shift`"):
        plan_patrol_routes(
            times, stops, pd.DataFrame({"start": [0]}), shift=3 * 3600, time_limit=0.2
        )


def test_bad_inputs():
    _, times = city(4)
    units = pd.DataFrame({"start": [0]})
    with pytest.raises(ValidationError, match="`times` must be a square"):
        plan_patrol_routes(times[:3], pd.DataFrame({"stop": [1], "node": [1]}), units)
    with pytest.raises(ValidationError, match="`stops`: `node` must be a row"):
        plan_patrol_routes(times, pd.DataFrame({"stop": [1], "node": [9]}), units)
    with pytest.raises(ValidationError, match="`units`: post node 7"):
        plan_patrol_routes(
            times, pd.DataFrame({"stop": [1], "node": [1]}), pd.DataFrame({"start": [7]})
        )


def test_seeded_and_deterministic():
    _, times = city(20, seed=8)
    stops = pd.DataFrame({"stop": range(2, 20), "node": range(2, 20), "priority": 2.0})
    units = pd.DataFrame({"start": [0, 1]})
    kw = {"shift": 2.5 * 3600, "time_limit": 0.3, "improve_order": False}
    a = plan_patrol_routes(times, stops, units, **kw)
    assert_valid(a, times, stops, shift=2.5 * 3600)


def test_asymmetric_matrix_one_way_streets():
    _, times = city(12, seed=9)
    rng = np.random.default_rng(0)
    times = times * rng.uniform(1.0, 1.6, times.shape)
    np.fill_diagonal(times, 0)
    stops = pd.DataFrame({"stop": range(2, 12), "node": range(2, 12), "dwell": 0})
    units = pd.DataFrame({"start": [0], "end": [1]})
    plan = plan_patrol_routes(times, stops, units, shift=1e6, time_limit=0.5)
    assert_valid(plan, times, stops, shift=1e6, dwell=0)


@pytest.mark.skipif(not routing.lkh_available(), reason="elkai (LKH-3) not installed")
def test_lkh_reaches_kroa100_optimum():
    path = TSPLIB / "kroA100.tsp"
    if not path.exists():
        pytest.skip(f"{path} missing")
    lines = path.read_text().split("\n")
    n, best = int(lines[0]), int(lines[1])
    xy = np.array([[float(v) for v in line.split()[1:3]] for line in lines[2 : 2 + n]])
    dist = np.floor(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) + 0.5)
    stops = pd.DataFrame({"stop": range(1, n), "node": range(1, n), "dwell": 0})
    plan = plan_patrol_routes(dist, stops, pd.DataFrame({"start": [0]}), shift=1e9)
    assert plan.travel_time <= best * 1.005
    assert plan.info["seconds"] < 10


@pytest.mark.skipif(not routing.lkh_available(), reason="elkai (LKH-3) not installed")
def test_lkh_keeps_windows_and_posts():
    _, times = city(25, seed=10)
    stops = pd.DataFrame({"stop": range(2, 25), "node": range(2, 25), "dwell": 60})
    stops["open"] = np.where(stops["stop"] == 5, 3600, 0)
    stops["close"] = np.where(stops["stop"] == 5, 3 * 3600, 12 * 3600)
    units = pd.DataFrame({"start": [0, 1], "end": [1, 0]})
    plan = plan_patrol_routes(times, stops, units, shift=12 * 3600, time_limit=1.0)
    assert_valid(plan, times, stops, shift=12 * 3600, dwell=60)
    assert plan.info["method"] == "pyvrp+lkh"


def test_solve_tsp_lkh_fixed_end():
    if not routing.lkh_available():
        assert routing.solve_tsp_lkh(np.zeros((4, 4))) is None
        return
    _, times = city(9, seed=11)
    path = routing.solve_tsp_lkh(times, end=8, time_limit=0.2)
    assert path[0] == 0
    assert path[-1] == 8
    assert sorted(path) == list(range(9))


def test_matrix_from_graph_matches_networkx():
    g = nx.grid_2d_graph(6, 6)
    rng = np.random.default_rng(0)
    for u, v in g.edges:
        g.edges[u, v]["time"] = float(rng.uniform(10, 100))
    g.add_edge((0, 0), (0, 1), time=0.0)  # a zero-time edge stays an edge
    stops = [(0, 0), (5, 5), (2, 3), (0, 0)]
    got = matrix_from_graph(g, stops)
    for i, a in enumerate(stops):
        for j, b in enumerate(stops):
            assert got[i, j] == pytest.approx(nx.shortest_path_length(g, a, b, weight="time"))
    d = nx.MultiDiGraph()
    d.add_edge("a", "b", time=5.0)
    d.add_edge("a", "b", time=3.0)
    d.add_edge("b", "c", time=1.0)
    got = matrix_from_graph(d, ["a", "c"])
    assert got[0, 1] == 4.0
    assert np.isinf(got[1, 0])
    with pytest.raises(ValidationError, match="not in `graph`"):
        matrix_from_graph(g, ["nowhere"])


def test_simulator_flags_broken_rules():
    times = np.array([[0, 100, 200], [100, 0, 100], [200, 100, 0]], float)
    report = simulate_route(
        times,
        [0, 1, 2, 0],
        dwell=[0, 60, 60, 0],
        windows=[None, (0, 120), (400, 500), None],
        shift=600,
    )
    # waits at node 2 for its window (arrive 260, start 400), back at the post at 660
    assert report.timetable["start"].tolist() == [0, 100, 400, 660]
    assert report.travel_time == 400
    assert any("place 1 (node 1)" in v and "window closes at 120" in v for v in report.violations)
    assert any("after the shift budget of 600 s" in v for v in report.violations)
    assert len(report.violations) == 2


def test_exports_geojson_gpx_sheet():
    import gpxpy

    from gridmap.patrol.exports import (
        route_geojson,
        route_gpx,
        route_sheet_html,
        timetable_table,
    )

    xy, times = city(6, seed=12)
    lonlat = np.column_stack([24.93 + xy[:, 0] / 55000, 60.16 + xy[:, 1] / 111000])
    stops = pd.DataFrame({"stop": ["s1", "s2", "s3", "s4"], "node": [2, 3, 4, 5]})
    plan = plan_patrol_routes(
        times,
        stops,
        pd.DataFrame({"unit": ["巡逻一组"], "start": [0], "end": [1]}),
        shift=5 * 3600,
        time_limit=0.2,
    )
    route = plan.routes[0]
    names = {"s1": '<script>alert("x")</script>', "s2": "学校 & 门口"}
    geo = route_geojson(route, lonlat, names=names, shift_start="2025-11-03 08:00")
    line, *points = geo["features"]
    assert line["geometry"]["coordinates"] == lonlat[route.nodes].tolist()
    assert [p["properties"]["order"] for p in points] == list(range(len(route.nodes)))
    assert points[0]["properties"]["arrive"] == "08:00"
    gpx = gpxpy.parse(route_gpx(route, lonlat, names=names))
    assert len(gpx.routes[0].points) == len(route.nodes)
    assert len(gpx.waypoints) == 4
    table = timetable_table(route, names=names)
    assert table["place"].iloc[0].startswith("出发")
    html = route_sheet_html(route, names=names, shift_start="2025-11-03 08:00", dropped=["s9"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "学校 &amp; 门口" in html
    assert "@media print" in html
    assert "巡逻一组" in html
