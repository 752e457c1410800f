"""The Patrol routes page (巡逻路线) on the bundled sample: what the sample brings for it.

The sample's schools carry their own gate times, its ``hotspots`` layer gives stops out of
the box and its ``tracks`` layer feeds planned versus actual. Each figure the page shows is
recomputed with the library, and the schools' windows are checked against the sample's
``sites`` layer directly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridmap.patrol import route_checks, route_views
from gridmap.patrol.network import street_graph
from gridmap.schema import clock_minutes
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

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
    layers = {n: store.read(n) for n in ("streets", "posts", "sites", "hotspots", "tracks")}
    layers["walk"] = street_graph(layers["streets"], mode="walk", crs=store.working_crs())
    return layers


def metrics(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in app.metric}


def test_the_page_plans_the_samples_schools_within_their_own_gate_times(
    home: Path, sample: dict
) -> None:
    # The page's school-hours boxes are for schools without times: set to the night here,
    # they would make every school impossible, so a plan shows the sample's own times won.
    night = ("03:00", "04:00")
    app = run_app(
        PAGE,
        pr_site_kinds=["school"],
        pr_school_opens=night[0],
        pr_school_closes=night[1],
        pr_starts=["P01", "P04"],
        pr_units=2,
        pr_shift_start="15:00",
    )
    # The hand-off is offered and chosen by default: all the sample's hot spots.
    box = next(c for c in app.checkbox if c.key.startswith("pr_use_hotspots"))
    assert str(len(sample["hotspots"])) in box.label
    assert box.value
    box.uncheck().run()
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    stops = route_views.candidate_stops(
        sites=sample["sites"], site_kinds=["school"], school_hours=night
    )
    result = route_views.plan_routes(
        sample["walk"],
        sample["posts"],
        stops,
        start_posts=["P01", "P04"],
        units=2,
        shift_start="15:00",
        time_limit=2,
    )
    figures = route_views.totals(result)
    assert metrics(app)["安排的点位"] == f"{figures['visited']:.0f}"
    assert figures["visited"] >= 4  # most schools are still open after 15:00
    shown = next(d.value for d in app.dataframe if "离开" in d.value.columns)
    pd.testing.assert_frame_equal(
        shown.reset_index(drop=True), route_views.timetable(result, lang="zh")
    )
    # Independently of the planner: each school is left by its own dismissal + 30 min,
    # read from the sample's sites layer.
    closes = sample["sites"].set_index("site_id")["closes"].map(clock_minutes)
    for route in result.plan.routes:
        left = route.timetable.dropna(subset=["stop"]).set_index("stop")["leave"]
        for stop, leave in left.items():
            assert 15 * 60 + leave / 60 <= closes[stop] + 30 + 1e-6, stop


def test_planned_versus_actual_reads_the_samples_tracks(home: Path, sample: dict) -> None:
    ids = ["S0077", "S0078", "S0079"]
    app = run_app(
        PAGE,
        pr_view="actual",
        pr_use_hotspots=False,
        pr_sites=ids,
        pr_site_kinds=[],
        pr_track_source="layer",
        lang="en",
    )
    assert not app.exception, [e.value for e in app.exception]
    unit = next(s for s in app.selectbox if s.key.startswith("pr_track_unit"))
    assert list(unit.options) == ["U1", "U2"]
    for name in ("U1", "U2"):
        unit = next(s for s in app.selectbox if s.key.startswith("pr_track_unit"))
        unit.set_value(name).run()
        assert not app.exception, [e.value for e in app.exception]
        stops = route_views.candidate_stops(sites=sample["sites"], site_ids=ids)
        tracks = sample["tracks"]
        actual = route_checks.planned_vs_actual(
            tracks[tracks["unit"] == name],
            streets=sample["streets"],
            stops=stops,
            hotspots=sample["hotspots"],
            sites=sample["sites"],
        )
        shown = metrics(app)
        figures = actual.figures
        assert shown["Planned stops visited"] == f"{figures['stops_share']:.0%}"
        assert shown["Streets covered (by length)"] == f"{figures['streets_share']:.0%}"
        assert shown["Visits of 10–15 min"] == f"{figures['koper_share']:.0%}"
        assert float(figures["sites_visited"]) > 0  # the units walk between key sites
    assert any("ynthetic" in c.value for c in app.caption)  # the layer is labelled synthetic


def test_a_gps_track_csv_goes_into_the_tracks_layer_from_the_data_page(home: Path) -> None:
    from gridmap.datasets import get_path
    from gridmap.patrol.tracks import read_track

    times = pd.date_range("2026-10-26 08:00", periods=5, freq="10s")
    text = pd.DataFrame(
        {
            "警号": ["A12"] * 5,
            "定位时间": times.strftime("%Y-%m-%d %H:%M:%S"),
            "经度": [24.9400, 24.9401, 24.9402, 24.9403, 24.9404],
            "纬度": [60.1700] * 5,
        }
    ).to_csv(index=False)
    app = run_app("app_pages/data.py", editor="张三")
    app.file_uploader(key="upload_file").set_value(("巡逻轨迹.csv", text.encode(), "text/csv"))
    app.run()
    target = app.selectbox(key="upload_layer.zh")
    assert target.value == "tracks"  # the file's name says what it is
    assert "巡逻轨迹" in target.format_func(target.value)
    assert app.radio(key="upload_mode_tracks.zh").value == "append"
    app.button(key="upload_check").click().run()
    app.button(key="upload_commit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    store = GeoPackageStore(home / "sample.gpkg")
    layer = store.read("tracks")
    # appended to the sample's synthetic week, flagged as real
    added = layer[layer["unit"] == "A12"]
    assert len(added) == 5
    assert len(layer) == len(added) + len(GeoPackageStore(get_path("helsinki")).read("tracks"))
    assert not added["synthetic"].any()
    assert layer.loc[layer["unit"] != "A12", "synthetic"].all()
    assert store.history("tracks")[-1].author == "张三"
    path = home / "track.csv"
    path.write_text(text, encoding="utf-8")
    direct = read_track(path)  # the patrol journey's own reader agrees
    assert (added["time"].to_numpy() == direct["time"].to_numpy()).all()
