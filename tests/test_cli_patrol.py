"""``gridmap patrol route|postman|schedule|coverage``: the real command on a copy of the sample.

Each command runs as a user would (a new Python process); its files and printed figures
are checked against the library's functions called here on the same inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gpxpy
import pandas as pd
import pytest
import shapely

from gridmap.patrol import route_checks, route_views, views
from gridmap.patrol.network import street_graph
from gridmap.store import GeoPackageStore, install_sample_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = install_sample_workspace(tmp_path_factory.mktemp("ws") / "ws.gpkg")
    store = GeoPackageStore(path)
    sites = store.read("sites")
    # hostile names: HTML in the route sheet, a formula in the CSV timetable
    malls = sites.index[sites["kind"] == "mall"]
    sites.loc[malls[0], "name"] = "<script>alert(1)</script>"
    sites.loc[malls[1], "name"] = '=HYPERLINK("http://example.invalid")'
    store.write("sites", sites, message="names that must stay text")
    return path


def gridmap(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridmap.cli", "--workspace", str(workspace), "patrol", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def layers(workspace: Path) -> dict:
    store = GeoPackageStore(workspace)
    out = {n: store.read(n) for n in ("streets", "posts", "sites", "grids")}
    out["walk"] = street_graph(out["streets"], mode="walk", crs=store.working_crs())
    return out


def test_route_writes_gpx_geojson_sheet_and_timetable(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "route"
    proc = gridmap(
        workspace,
        "route",
        "--start",
        "P07",
        "--site-kind",
        "mall",
        "--no-hotspots",  # the sample's hot spots are chosen by default
        "-o",
        str(out),
        "--date",
        "2026-12-01",
    )
    assert proc.returncode == 0, proc.stderr
    data = layers(workspace)
    stops = route_views.candidate_stops(sites=data["sites"], site_kinds=["mall"])
    result = route_views.plan_routes(data["walk"], data["posts"], stops, start_posts=["P07"])
    figures = route_views.totals(result)
    assert f"{int(figures['visited'])} stops visited" in proc.stdout
    assert f"{figures['km']:.2f} km" in proc.stdout
    route = result.plan.routes[0]
    gpx = gpxpy.parse((out / "route_U1.gpx").read_text(encoding="utf-8"))
    assert len(gpx.routes[0].points) == len(route.nodes)
    assert gpx.tracks
    assert len(gpx.tracks[0].segments[0].points) > len(route.nodes)
    collection = json.loads((out / "route_U1.geojson").read_text(encoding="utf-8"))
    line = shapely.geometry.shape(collection["features"][0]["geometry"])
    assert line.geom_type == "LineString"
    assert len(collection["features"]) == len(route.nodes) + 1
    sheet = (out / "route_U1.html").read_text(encoding="utf-8")
    assert "<script>alert" not in sheet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sheet
    assert "2026-12-01" in sheet
    assert "巡逻路线单" in sheet
    table = pd.read_csv(out / "timetable.csv", encoding="utf-8-sig", dtype=str)
    assert len(table) == len(route.nodes)
    assert '\'=HYPERLINK("http://example.invalid")' in set(table["点位"])


def test_postman_schedule_and_coverage_print_the_library_figures(
    workspace: Path, tmp_path: Path
) -> None:
    data = layers(workspace)
    code = str(data["grids"]["grid_code"].iloc[3])
    proc = gridmap(workspace, "postman", "--grid", code, "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    line = route_checks.line_patrol(data["walk"], data["grids"], code)
    feature = json.loads((tmp_path / f"line_{code}.geojson").read_text(encoding="utf-8"))
    assert feature["features"][0]["properties"]["length_m"] == round(line.length, 1)
    assert f"{line.length / 1000:.2f} km walked" in proc.stdout
    assert gpxpy.parse((tmp_path / f"line_{code}.gpx").read_text(encoding="utf-8")).tracks

    ids = ["S0077", "S0078", "S0079"]
    proc = gridmap(
        workspace,
        "schedule",
        "--post",
        "P07",
        "--no-hotspots",
        *[a for s in ids for a in ("--site", s)],
        "--days",
        "3",
        "-o",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    stops = route_views.candidate_stops(sites=data["sites"], site_ids=ids)
    plan = route_checks.schedule(data["walk"], data["posts"], stops, post="P07", days=3)
    assert f"predictability {plan.score:.2f}" in proc.stdout
    written = pd.read_csv(tmp_path / "schedule.csv", encoding="utf-8-sig")
    assert len(written) == len(plan.visits)
    # the 2-hour rule is opt-in: asked for with all the malls and schools, one unit cannot
    proc = gridmap(
        workspace,
        "schedule",
        "--post",
        "P07",
        "--no-hotspots",
        "--site-kind",
        "mall",
        "--site-kind",
        "school",
        "--days",
        "1",
        "--every-2h",
        "-o",
        str(tmp_path),
    )
    assert proc.returncode == 2
    assert "every 120 minutes" in proc.stderr
    assert "(P07)" in proc.stderr  # the post by its id, not a row of a matrix

    proc = gridmap(workspace, "coverage", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    store = GeoPackageStore(workspace)
    patrol = views.prepare(
        views.build_graphs(data["streets"], crs=store.working_crs()),
        streets=data["streets"],
        posts=data["posts"],
        sites=data["sites"],
        incidents=store.read("incidents"),
        grids=data["grids"],
    )
    figures = views.figures(views.coverage(patrol, data["posts"], "posts"))
    assert f"{figures['street_share']:.1%} of street length" in proc.stdout
    pieces = json.loads((tmp_path / "coverage_streets.geojson").read_text(encoding="utf-8"))
    assert {"minutes", "post_id"} <= set(pieces["features"][0]["properties"])


def test_mistakes_are_user_errors_naming_what_is_wrong(workspace: Path, tmp_path: Path) -> None:
    proc = gridmap(workspace, "route", "--start", "P99", "--site-kind", "mall", "-o", str(tmp_path))
    assert proc.returncode == 2
    assert "P99" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = gridmap(workspace, "postman", "--grid", "123", "-o", str(tmp_path))
    assert proc.returncode == 2
    assert "123" in proc.stderr
    proc = gridmap(
        workspace,
        "route",
        "--start",
        "P07",
        "--site",
        "S0077",
        "--priority",
        "S0077",
        "-o",
        str(tmp_path),
    )
    assert proc.returncode == 2
    assert "--priority" in proc.stderr
    proc = gridmap(workspace, "route", "--start", "P07", "--no-hotspots", "-o", str(tmp_path))
    assert proc.returncode == 2
    assert "no stops" in proc.stderr
