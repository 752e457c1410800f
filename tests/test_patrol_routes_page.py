"""The Patrol routes page (巡逻路线) and its functions, on a private copy of the sample.

The page's figures are checked against the library's for the same inputs, and the library's
routes against independent computations: each leg traced along the streets is as long as
walking speed × the matrix's time for it, and the timetable passes the separate simulator
(:func:`gridmap.patrol.simulate.check_plan`).
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.patrol import route_checks, route_maps, route_views
from gridmap.patrol.network import WALK_KMH, street_graph
from gridmap.patrol.simulate import check_plan
from gridmap.schema import clock_minutes
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app
from tests.test_app_languages import switch_language

PAGE = "app_pages/patrol_routes.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


@pytest.fixture(scope="module")
def sample() -> dict:
    from gridmap import datasets

    store = GeoPackageStore(datasets.get_path("helsinki"))
    layers = {n: store.read(n) for n in ("streets", "posts", "sites", "grids", "hotspots")}
    layers["crs"] = store.working_crs()
    layers["walk"] = street_graph(layers["streets"], mode="walk", crs=layers["crs"])
    return layers


def metrics(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in app.metric}


# --------------------------------------------------------------------------- library


def test_routes_follow_the_streets_and_pass_the_independent_simulator(sample: dict) -> None:
    stops = route_views.candidate_stops(
        sites=sample["sites"], site_kinds=["school", "mall"], school_hours=("08:00", "16:00")
    )
    result = route_views.plan_routes(
        sample["walk"],
        sample["posts"],
        stops,
        start_posts=["P01", "P04"],
        units=2,
        shift_minutes=240,
        shift_start="15:00",
        time_limit=2,
    )
    plan, times = result.plan, result.places.times
    # the separate simulator agrees with every timetable, window and the shift
    frame = pd.DataFrame(
        {
            "stop": stops["stop"],
            "node": np.flatnonzero(result.places.table["kind"] != "post"),
            "open": np.maximum((stops["opens"] - 15 * 60) * 60, 0),
            "close": np.minimum((stops["closes"] - 15 * 60) * 60, 240 * 60),
        }
    ).fillna({"open": 0.0, "close": 240 * 60.0})
    frame = frame[~frame["stop"].isin(result.dropped["stop"])]
    assert check_plan(plan, times, frame, shift=240 * 60, dwell=12 * 60) == []
    # the sample's schools close at their own times (its `closes` column) + 30 min
    closes = sample["sites"].set_index("site_id")["closes"].map(clock_minutes) + 30
    assert closes[stops.loc[stops["site_kind"] == "school", "stop"]].notna().all()
    for route in plan.routes:
        left = route.timetable.set_index("stop")["leave"]
        for stop in set(route.stops) & set(stops.loc[stops["site_kind"] == "school", "stop"]):
            assert left[stop] <= (closes[stop] - 15 * 60) * 60 + 1e-6
    # legs along the streets: their length at walking speed is the matrix's travel time
    speed = WALK_KMH / 3.6
    for route in plan.routes:
        legs = result.legs[result.legs["unit"] == route.unit].sort_values("leg")
        expected = [times[a, b] for a, b in zip(route.nodes[:-1], route.nodes[1:], strict=True)]
        np.testing.assert_allclose(legs["length"] / speed, expected, atol=1.0)
        assert route.travel_time == pytest.approx(sum(expected))
    # the legs join up: each ends where the next starts (the snapped places)
    coords = result.places.coords
    for route in plan.routes:
        legs = result.legs[result.legs["unit"] == route.unit].sort_values("leg")
        for line, node in zip(legs.geometry, route.nodes[1:], strict=True):
            end = shapely.get_coordinates(line)[-1]
            assert np.hypot(*(end - coords[node])) < 1e-6
    figures = route_views.totals(result)
    assert figures["visited"] + figures["dropped"] == len(stops)
    assert figures["km"] * 1000 == pytest.approx(sum(result.distance.values()))


def test_the_map_numbers_every_stop_and_draws_arrows_offline(sample: dict) -> None:
    stops = route_views.candidate_stops(sites=sample["sites"], site_kinds=["mall"])
    result = route_views.plan_routes(
        sample["walk"], sample["posts"], stops, start_posts=["P07"], time_limit=1
    )
    html = route_maps.route_map(result, streets=sample["streets"], lang="zh").get_root().render()
    assert html.count("gm-order\\") + html.count('gm-order"') == len(result.plan.routes[0].stops)
    assert "gm-arrow" in html
    assert "cdn" not in html.lower().replace("cdnjs", "cdn")  # nothing from outside
    assert "巡逻路线" in html  # the legend
    files = route_views.downloads(result, "U1")
    assert files["gpx"].count("<rtept") == len(result.plan.routes[0].nodes)
    assert "巡逻路线单" in files["html"]


def test_bad_input_gets_a_message_naming_what_is_wrong(sample: dict) -> None:
    posts = sample["posts"].copy()
    far = posts.to_crs(sample["crs"])
    far.loc[far.index[0], "geometry"] = shapely.Point(
        far.geometry.iloc[0].x + 3000, far.geometry.iloc[0].y
    )
    stops = route_views.candidate_stops(sites=sample["sites"], site_kinds=["mall"])
    with pytest.raises(ValidationError) as info:
        route_views.plan_routes(sample["walk"], far, stops, start_posts=[far["post_id"].iloc[0]])
    assert info.value.args[0].key == "pr_post_far"
    # the sample's schools close by 17:30 (with the margin): a shift from 18:00 cannot
    # meet their windows
    schools = route_views.candidate_stops(
        sites=sample["sites"], site_kinds=["school"], school_hours=("08:00", "16:00")
    )
    with pytest.raises(ValidationError) as info:
        route_views.plan_routes(
            sample["walk"],
            posts,
            schools,
            start_posts=["P01"],
            shift_start="18:00",
            required=True,
        )
    message = info.value.args[0]
    assert message.key == "pr_required_window"
    assert message.values["stop"] in set(schools["name"])
    optional = route_views.plan_routes(
        sample["walk"], posts, schools, start_posts=["P01"], shift_start="18:00", time_limit=0.5
    )
    assert set(optional.dropped["reason"]) == {"window"}
    assert len(optional.dropped) == len(schools)
    with pytest.raises(ValidationError) as info:
        route_views.plan_routes(sample["walk"], posts, stops, start_posts=["P01"], shift_start="8h")
    assert info.value.args[0].key == "pr_bad_clock"
    track = gpd.GeoDataFrame(
        {"unit": ["U1"] * 3, "time": [None] * 3},
        geometry=gpd.points_from_xy([24.94] * 3, [60.17] * 3),
        crs="EPSG:4326",
    )
    with pytest.raises(ValidationError) as info:
        route_checks.planned_vs_actual(track, streets=sample["streets"], stops=stops)
    assert info.value.args[0].key == "pr_track_no_time"


def test_line_patrol_walks_every_street_of_the_grid_once_at_least(sample: dict) -> None:
    grids = sample["grids"]
    # A grid whose streets the network joins into one piece (footways that meet nothing
    # else are counted in left_out, checked below for every grid).
    results = {
        str(c): route_checks.line_patrol(sample["walk"], grids, str(c)) for c in grids["grid_code"]
    }
    code = next(c for c, r in results.items() if r.left_out == 0)
    assert all(r.route.nodes[0] == r.route.nodes[-1] for r in results.values())
    result = results[code]
    route = result.route
    assert route.nodes[0] == route.nodes[-1]  # closed
    seg = sample["walk"].segments
    area = grids[grids["grid_code"] == code].to_crs(sample["crs"]).geometry.iloc[0]
    inside = set(np.flatnonzero(shapely.intersects(area, seg.geometry.to_numpy())))
    inside &= set(np.flatnonzero(sample["walk"].in_mode))
    walked = {int(k) for _, _, k in route.edges}
    assert inside <= walked  # no street of the grid is missed (left_out is 0 here)
    assert result.left_out == 0
    # the length is the walked pieces' length, and the path drawn is that long
    assert result.length == pytest.approx(
        seg["length"].to_numpy()[[int(k) for *_, k in route.edges]].sum()
    )
    drawn = result.path.to_crs(sample["crs"]).length.iloc[0]
    assert drawn == pytest.approx(result.length, rel=1e-6)
    assert result.time == pytest.approx(result.length / (WALK_KMH / 3.6), rel=1e-6)


def test_schedules_are_seeded_and_scored(sample: dict) -> None:
    stops = route_views.candidate_stops(sites=sample["sites"], site_ids=["S0077", "S0078", "S0079"])
    one = route_checks.schedule(
        sample["walk"], sample["posts"], stops, post="P07", days=3, every_two_hours=True
    )
    two = route_checks.schedule(
        sample["walk"], sample["posts"], stops, post="P07", days=3, every_two_hours=True
    )
    pd.testing.assert_frame_equal(one.visits, two.visits)
    assert one.days["every_2h"].all()
    assert 0 <= one.score <= 1
    # every stop visited, no visit shorter than Koper's 10 minutes or longer than 15
    assert set(one.visits["stop"]) == set(stops["stop"])
    assert one.visits["dwell"].between(10, 15).all()
    many = route_views.candidate_stops(sites=sample["sites"], site_kinds=["mall", "school"])
    with pytest.raises(ValidationError) as info:
        route_checks.schedule(
            sample["walk"], sample["posts"], many, post="P07", days=1, every_two_hours=True
        )
    assert info.value.args[0].key == "pr_gap_impossible"
    # said in Chinese through and through, naming the post by its id, not a matrix row
    zh = info.value.args[0].text("zh")
    assert "P07" in zh
    assert "max_gap" not in zh
    assert "post 0" not in str(info.value)
    assert "P07" in str(info.value)
    name = str(sample["posts"].set_index("post_id").at["P07", "name"])  # a proper name
    assert not re.search(r"[A-Za-z]{4,}", zh.replace(name, "")), zh
    # the 2-hour rule is asked for, not the default: the same stops get a schedule
    plain = route_checks.schedule(sample["walk"], sample["posts"], many, post="P07", days=1)
    assert len(plain.visits)


# --------------------------------------------------------------------------- page


def test_routes_view_shows_the_library_figures_in_both_languages(home: Path, sample: dict) -> None:
    app = run_app(
        PAGE, pr_use_hotspots=False, pr_site_kinds=["mall"], pr_starts=["P07"], pr_units=1
    )
    assert app.title[0].value == "巡逻路线"
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    stops = route_views.candidate_stops(
        sites=sample["sites"], site_kinds=["mall"], school_hours=("08:00", "16:00")
    )
    result = route_views.plan_routes(
        sample["walk"], sample["posts"], stops, start_posts=["P07"], units=1, time_limit=2
    )
    figures = route_views.totals(result)
    zh = metrics(app)
    assert zh["安排的点位"] == f"{figures['visited']:.0f}" == "6"
    assert zh["总里程（公里）"] == f"{figures['km']:.2f}"
    assert zh["总路途（分钟）"] == f"{figures['travel_min']:.0f}"
    assert zh["最长路线（分钟）"] == f"{figures['longest_min']:.0f}"
    timetable = route_views.timetable(result, lang="zh")
    assert any(len(d.value) == len(timetable) for d in app.dataframe)
    assert [b.label for b in app.get("download_button")][:2] == ["GPX", "GeoJSON"]
    assert not any("未安排" in i.value for i in app.info)  # every stop planned: no hint
    switch_language(app, "en")
    en = metrics(app)
    assert en["Stops visited"] == "6"
    assert en["Total distance (km)"] == zh["总里程（公里）"]
    assert app.session_state["pr_site_kinds"] == ["mall"]


def test_line_schedule_and_actual_views_show_the_library_figures(home: Path, sample: dict) -> None:
    grids = sample["grids"]
    code = str(grids["grid_code"].iloc[3])
    app = run_app(PAGE, pr_view="line", pr_grid=code, lang="en")
    app.button(key="pr_line_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    line = route_checks.line_patrol(sample["walk"], grids, code)
    shown = metrics(app)
    assert shown["Walk length (km)"] == f"{line.length / 1000:.2f}"
    assert shown["Time (min)"] == f"{line.time / 60:.0f}"
    # the walk as GPX and GeoJSON, the files `gridmap patrol postman` writes
    assert [b.label for b in app.get("download_button")] == ["GPX", "GeoJSON"]

    ids = ["S0077", "S0078", "S0079"]
    app = run_app(
        PAGE,
        pr_view="schedule",
        pr_use_hotspots=False,
        pr_sites=ids,
        pr_site_kinds=[],
        pr_schedule_post="P07",
    )
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    stops = route_views.candidate_stops(sites=sample["sites"], site_ids=ids)
    plan = route_checks.schedule(sample["walk"], sample["posts"], stops, post="P07", days=7)
    assert metrics(app)["可预测性（0 = 最难预测）"] == f"{plan.score:.2f}"
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["排班表（CSV）", "排班表（Excel）"]

    app = run_app(
        PAGE,
        pr_view="actual",
        pr_use_hotspots=False,
        pr_sites=ids,
        pr_site_kinds=[],
        pr_track_source="synthetic",
    )
    assert not app.exception, [e.value for e in app.exception]
    track = route_checks.synthetic_tracks(sample["posts"], stops)
    track = track[track["unit"] == "U1"]
    actual = route_checks.planned_vs_actual(  # the page measures dosage in the hot spots
        track,
        streets=sample["streets"],
        stops=stops,
        hotspots=sample["hotspots"],
        sites=sample["sites"],
    )
    shown = metrics(app)
    assert shown["到过的计划点位"] == f"{actual.figures['stops_share']:.0%}"
    assert shown["走过的道路（长度占比）"] == f"{actual.figures['streets_share']:.0%}"
    assert shown["10–15 分钟的到访占比"] == f"{actual.figures['koper_share']:.0%}"
    assert any("合成" in c.value for c in app.caption)  # labelled synthetic


def test_a_workspace_without_posts_says_so(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    posts = store.read("posts")
    store.write("posts", posts.iloc[:0], message="no posts yet")
    app = run_app(PAGE)
    assert not app.exception
    assert any("守望岗" in i.value for i in app.info)
    assert Message("pr_no_start").text("zh")  # the form's own check has a message too


def test_hot_spots_become_stops_with_the_street_offices_priority(sample: dict) -> None:
    grids = sample["grids"].iloc[:3]
    hotspots = gpd.GeoDataFrame(
        {"kind": ["gi_star", "warning", "emerging"], "level": ["99", "yellow", "new hot spot"]},
        geometry=grids.geometry.to_numpy(),
        crs=grids.crs,
    )
    stops = route_views.candidate_stops(
        hotspots=hotspots, sites=sample["sites"], site_ids=["S0077"]
    )
    assert list(stops["stop"]) == ["H1", "H2", "H3", "S0077"]
    # named in words, never by the statistic's key (a police officer reads these)
    assert list(stops["name"].iloc[:3]) == [
        "H1 热点（Gi*，置信度 99%）",
        "H2 预警网格：黄色预警",
        "H3 时空热点：新热点",
    ]
    english = route_views.candidate_stops(hotspots=hotspots, lang="en")
    assert english["name"].iloc[0] == "H1 hot spot (Gi*, 99 % confidence)"
    assert not stops["name"].str.contains("gi_star|emerging|warning").any()
    assert list(stops["priority"]) == [3, 1, route_views.DEFAULT_PRIORITY, 2]
    edited = route_views.candidate_stops(hotspots=hotspots, priorities={"H2": 5})
    assert list(edited["priority"]) == [3, 5, route_views.DEFAULT_PRIORITY]
    with pytest.raises(ValidationError) as info:
        route_views.candidate_stops(hotspots=hotspots, priorities={"H2": 0})
    assert info.value.args[0].key == "pr_bad_priority"
    inside = shapely.contains(grids.geometry.to_numpy(), stops.geometry.iloc[:3].to_numpy())
    assert inside.all()  # each hot spot's stop lies inside its area
    # a one-hour shift cannot hold all four with 12-minute dwells: the lowest priority goes
    result = route_views.plan_routes(
        sample["walk"],
        sample["posts"],
        stops,
        start_posts=["P01"],
        shift_minutes=45,
        time_limit=1,
    )
    kept = [s for r in result.plan.routes for s in r.stops]
    left = dict(zip(result.dropped["stop"], result.dropped["reason"], strict=True))
    assert set(kept) | set(left) == set(stops["stop"])
    assert "H1" in kept  # the 99 % Gi* hot spot is the last to be dropped
    assert set(left.values()) <= {"priority", "budget"}


def test_a_track_without_timestamps_is_refused_on_the_page(home: Path) -> None:
    app = run_app(PAGE, pr_view="actual", pr_sites=["S0077"], pr_site_kinds=[])
    csv = b"lon,lat\n24.94,60.170\n24.941,60.1701\n24.942,60.1702\n"
    app.file_uploader(key="pr_track_file").set_value(("track.csv", csv, "text/csv")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("时间戳" in e.value for e in app.error)


def own_city(path: Path) -> GeoPackageStore:
    """A city's own first layers: a 5 × 4 block street grid in CGCS2000 / 3° Gauss-Krüger
    (EPSG:4547, near Wuhan), streets with geometry only, posts and sites with ids only."""
    crs = "EPSG:4547"
    x0, y0, step = 500_000.0, 3_380_000.0, 150.0
    lines = [
        shapely.LineString([(x0 + i * step, y0), (x0 + i * step, y0 + 4 * step)]) for i in range(6)
    ] + [
        shapely.LineString([(x0, y0 + j * step), (x0 + 5 * step, y0 + j * step)]) for j in range(5)
    ]
    # lines cross without shared vertices: add the crossings as vertices (noded, as in OSM)
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    store = GeoPackageStore(path)
    store.write(
        "streets", gpd.GeoDataFrame(geometry=noded, crs=crs).to_crs(4326), message="centrelines"
    )
    posts = gpd.GeoDataFrame(
        {"post_id": ["A", "B"]},
        geometry=[shapely.Point(x0 + 5, y0 + 5), shapely.Point(x0 + 5 * step - 5, y0 + 4 * step)],
        crs=crs,
    )
    store.write("posts", posts.to_crs(4326), message="posts")
    sites = gpd.GeoDataFrame(
        {"site_id": [f"K{i}" for i in range(6)], "kind": ["school"] * 2 + ["mall"] * 4},
        geometry=[shapely.Point(x0 + i * step + 60, y0 + (i % 4) * step + 3) for i in range(6)],
        crs=crs,
    )
    store.write("sites", sites.to_crs(4326), message="sites")
    grids = gpd.GeoDataFrame(
        {"grid_code": ["420102001001001"]},
        geometry=[shapely.box(x0 - 10, y0 - 10, x0 + 2 * step + 10, y0 + 2 * step + 10)],
        crs=crs,
    )
    store.write("grids", grids.to_crs(4326), message="one grid")
    hotspots = gpd.GeoDataFrame(
        {"kind": ["gi_star"], "level": ["95"]},
        geometry=[shapely.box(x0 + 3 * step, y0 + step, x0 + 4 * step, y0 + 2 * step)],
        crs=crs,
    )
    store.write("hotspots", hotspots.to_crs(4326), message="a hot spot")
    return store


def test_a_citys_own_workspace_in_a_local_crs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = own_city(tmp_path / "city.gpkg")
    streets, posts, sites = store.read("streets"), store.read("posts"), store.read("sites")
    graph = street_graph(streets, mode="walk", crs=store.working_crs())
    stops = route_views.candidate_stops(
        hotspots=store.read("hotspots"), sites=sites, site_kinds=["school", "mall"]
    )
    assert len(stops) == 7
    result = route_views.plan_routes(
        graph, posts, stops, start_posts=["A"], end_posts=["B"], time_limit=1
    )
    route = result.plan.routes[0]
    assert len(route.stops) == 7
    # on a block grid the walk is at least the Manhattan distance from A to B
    assert result.distance["U1"] >= 5 * 150 + 4 * 150 - 20
    line = route_checks.line_patrol(graph, store.read("grids"), "420102001001001")
    assert line.left_out == 0
    # the 2 × 2 blocks' 12 streets, and the 6 that leave the grid's edge (it reaches 10 m
    # past the outer crossings, so they touch it): whole streets, 150 m each
    assert line.street_length == pytest.approx(18 * 150)
    assert line.length >= line.street_length
    # the page on that workspace: routes planned, no Helsinki assumptions
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(tmp_path / "city.gpkg"))
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    app = run_app(PAGE, pr_starts=["A"], pr_ends=["B"], lang="en")
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert metrics(app)["Stops visited"] == "7"


def test_an_uploaded_csv_track_is_measured_like_the_library_does(
    home: Path, sample: dict, tmp_path: Path
) -> None:
    from gridmap.patrol.tracks import read_track

    ids = ["S0077", "S0078", "S0079"]
    stops = route_views.candidate_stops(sites=sample["sites"], site_ids=ids)
    week = route_checks.synthetic_tracks(sample["posts"], stops, days=1)
    week = week[week["unit"] == "U2"]
    csv = pd.DataFrame(
        {
            "时间": week["time"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna(""),
            "经度": week.geometry.x.round(7),
            "纬度": week.geometry.y.round(7),
        }
    ).to_csv(index=False)
    path = tmp_path / "track.csv"
    path.write_text(csv, encoding="gbk")  # a Chinese Windows export
    app = run_app(PAGE, pr_view="actual", pr_use_hotspots=False, pr_sites=ids, pr_site_kinds=[])
    app.file_uploader(key="pr_track_file").set_value(
        ("track.csv", path.read_bytes(), "text/csv")
    ).run()
    assert not app.exception, [e.value for e in app.exception]
    actual = route_checks.planned_vs_actual(
        read_track(path),
        streets=sample["streets"],
        stops=stops,
        hotspots=sample["hotspots"],
        sites=sample["sites"],
    )
    shown = metrics(app)
    assert shown["到过的计划点位"] == f"{actual.figures['stops_share']:.0%}"
    assert shown["经过的重点目标"] == f"{actual.figures['sites_visited']:.0f}"
    assert shown["每点位每 2 小时到访"] == f"{actual.figures['visits_per_2h']:.2f}"
    assert not any("合成" in c.value for c in app.caption)  # an upload is not synthetic


def test_a_bad_basemap_is_said_and_the_route_still_drawn(home: Path) -> None:
    app = run_app(
        PAGE,
        basemap="custom",
        tile_url="javascript:alert(1)",
        pr_use_hotspots=False,
        pr_site_kinds=["mall"],
        pr_starts=["P07"],
    )
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("底图" in e.value for e in app.error)
    assert metrics(app)["安排的点位"] == "6"


def test_stops_left_out_are_explained_with_the_shift_arithmetic(home: Path) -> None:
    app = run_app(
        PAGE,
        pr_use_hotspots=False,
        pr_site_kinds=["mall"],
        pr_starts=["P07"],
        pr_units=1,
        pr_shift=30,
        pr_dwell=12,
    )
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    dropped = int(metrics(app)["未安排的点位"])
    assert dropped > 0
    hint = [i.value for i in app.info if "未安排" in i.value]
    assert hint == [
        f"{dropped} 个点位未安排：1 个巡逻单元、班次 30 分钟、每点停留 12 分钟，"
        "即使不算路途也最多只能安排约 2 个点位。可以增加巡逻单元、延长班次、缩短停留，"
        "或少选点位；时间不够时先舍去优先级低的点位（见下方“未安排的点位及原因”）。"
    ]


def test_a_result_is_shown_only_with_the_inputs_it_was_made_from(home: Path) -> None:
    app = run_app(
        PAGE, pr_use_hotspots=False, pr_site_kinds=["mall"], pr_starts=["P07"], pr_units=1
    )
    app.button[0].click().run()
    assert metrics(app)["安排的点位"] == "6"
    # the stops are shared: changed in the schedule view, then back to the routes
    app.radio(key="pr_view.zh").set_value("schedule").run()
    app.multiselect(key="pr_site_kinds.zh").set_value(["school"]).run()
    app.radio(key="pr_view.zh").set_value("routes").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.metric  # the old plan (the malls) is not shown under the schools
    assert any("输入已更改" in w.value for w in app.warning)
    app.button[0].click().run()
    assert not app.warning
    assert metrics(app)["安排的点位"] != "6"  # planned again, for the schools
    # switching the language is not a change of inputs: the same answer, in English
    switch_language(app, "en")
    assert not app.warning
    assert app.metric


def test_the_track_uploader_speaks_the_pages_language(home: Path) -> None:
    # Streamlit's uploader says "Upload" and "200MB per file" in English: the page puts
    # the Data page's Chinese words there (its own file types)
    app = run_app(
        PAGE,
        pr_view="actual",
        pr_track_source="upload",
        pr_use_hotspots=False,
        pr_site_kinds=["mall"],
    )
    styles = " ".join(str(e.proto.body) for e in app.get("html"))
    assert "选择文件" in styles
    assert "每个文件不超过 200 MB • GPX, CSV, TXT" in styles
    switch_language(app, "en")
    assert not any("选择文件" in str(e.proto.body) for e in app.get("html"))


def test_schedule_excel_and_line_patrol_files_hold_the_tables_and_the_walk(
    sample: dict, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from gridmap.patrol import exports

    stops = route_views.candidate_stops(sites=sample["sites"], site_ids=["S0077", "S0078"])
    plan = route_checks.schedule(sample["walk"], sample["posts"], stops, post="P07", days=2)
    days, visits = route_checks.schedule_tables(plan, lang="zh")
    visits.iloc[0, visits.columns.get_loc("点位")] = "=1+1"  # a name that looks like a formula
    (tmp_path / "s.xlsx").write_bytes(exports.xlsx_bytes({"到访": visits, "每天": days}))
    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["到访", "每天"]
    assert book["到访"].max_row == len(visits) + 1
    cell = book["到访"].cell(row=2, column=visits.columns.get_loc("点位") + 1)
    assert cell.value == "=1+1"
    assert cell.data_type == "s"  # text, not a formula

    code = str(sample["grids"]["grid_code"].iloc[3])
    line = route_checks.line_patrol(sample["walk"], sample["grids"], code)
    files = exports.line_patrol_files(
        line.path.geometry.iloc[0],
        grid=code,
        mode="walk",
        length=line.length,
        street_length=line.street_length,
        seconds=line.time,
    )
    import gpxpy

    points = gpxpy.parse(files["gpx"]).tracks[0].segments[0].points
    coords = shapely.get_coordinates(line.path.geometry.iloc[0])
    assert len(points) == len(coords)
    assert (points[0].longitude, points[0].latitude) == tuple(coords[0])
    assert '"length_m"' in files["geojson"]


def test_sites_named_only_by_their_kind_read_as_the_kind_and_id(sample: dict) -> None:
    sites = sample["sites"]
    unnamed = sites.loc[sites["name"] == "school", "site_id"].astype(str).tolist()
    assert len(unnamed) >= 2  # the sample has several sites OpenStreetMap left unnamed
    zh = route_views.candidate_stops(sites=sites, site_ids=unnamed, lang="zh")
    en = route_views.candidate_stops(sites=sites, site_ids=unnamed, lang="en")
    assert list(zh["name"]) == [f"学校 {s}" for s in zh["stop"]]
    assert list(en["name"]) == [f"School {s}" for s in en["stop"]]
    assert zh["name"].is_unique
    # proper names stay as written; a post named by a kind word gets it translated
    named = sites.loc[sites["name"] == "Metro Rautatientori A"].iloc[0]
    assert route_views.readable_name(named["name"], kind="metro", ident="x") == named["name"]
    assert route_views.readable_name("metro 守望岗", kind=None, ident="P03") == "地铁站 守望岗 P03"
    assert route_views.readable_name("metro 守望岗", kind=None, ident="P03", lang="en") == (
        "Metro station 守望岗 P03"
    )
    assert route_views.readable_name(None, kind="atm", ident="S9", lang="en") == "ATM S9"


def test_route_sheet_says_where_each_stop_is_in_one_language(sample: dict) -> None:
    def stops(language: str) -> gpd.GeoDataFrame:
        return route_views.candidate_stops(
            hotspots=sample["hotspots"], sites=sample["sites"], site_kinds=["mall"], lang=language
        )

    # planned from the English page, so the plan's own names are English
    result = route_views.plan_routes(
        sample["walk"], sample["posts"], stops("en"), start_posts=["P07"], units=2, time_limit=1
    )
    assert len(result.dropped) > 0  # more stops than two shifts hold
    zh = stops("zh")
    where = route_views.stop_places(zh, streets=sample["streets"], grids=sample["grids"], lang="zh")
    sheets = [
        route_views.downloads(
            result,
            unit,
            date="2026-12-01",
            lang="zh",
            names=dict(zip(zh["stop"], zh["name"], strict=True)),
            where=where,
        )["html"]
        for unit in ("U1", "U2")
    ]
    route = result.plan.routes[0]
    html = sheets[0]
    assert "出发" in html
    assert "返回" in html
    assert "start" not in html
    assert "return" not in html
    assert "hot spot" not in html  # the Chinese sheet, not the English page's names
    assert "2026-12-01" in html
    visited = [s for s in route.stops if s in where]
    assert visited
    for stop in visited:
        # where it is: the nearest named street and the grid, printed in the stop's row
        known = set(sample["streets"]["name"].dropna()) | set(sample["grids"]["name"])
        assert set(where[stop].split("，")) <= known
        assert f"<td>{where[stop]}</td>" in html
    assert sum("，" in where[s] for s in visited) > len(visited) / 2  # mostly both
    # the stops left out are counted, not listed on every unit's sheet
    for sheet in sheets:
        assert f"另有 {len(result.dropped)} 个点位" in sheet
        left_out = [str(n) for n in zh.set_index("stop").loc[result.dropped["stop"], "name"]]
        assert not any(f">{name}<" in sheet for name in left_out)
    english = route_views.downloads(result, "U1", lang="en")["html"]
    assert "Patrol route sheet" in english
    assert "出发" not in english
    assert "巡逻路线单" not in english


def test_the_schedule_map_numbers_each_stop_by_its_visits(sample: dict) -> None:
    ids = ["S0077", "S0078", "S0079"]
    stops = route_views.candidate_stops(sites=sample["sites"], site_ids=ids)
    plan = route_checks.schedule(sample["walk"], sample["posts"], stops, post="P07", days=3)
    fmap = route_maps.schedule_map(plan.places, plan.visits, streets=sample["streets"], lang="zh")
    html = fmap.get_root().render()
    counts = plan.visits["stop"].value_counts()
    for stop in ids:
        assert f"到访 {counts[stop]} 次" in html
    assert html.count("gm-order\\") + html.count('gm-order"') == len(ids)
    assert "排班点位" in html  # the legend


def test_the_schedule_view_plans_its_defaults(home: Path) -> None:
    # the hot spots and the default kinds: the 2-hour rule is asked for, not the default,
    # so the first press gives a schedule instead of a refusal
    app = run_app(PAGE, pr_view="schedule")
    assert app.checkbox(key="pr_every_2h.zh").value is False
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert "可预测性（0 = 最难预测）" in metrics(app)
