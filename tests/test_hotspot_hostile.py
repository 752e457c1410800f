"""The street office's pages on a city's own hostile data, not the sample.

Incidents imported from a CSV in a local projected CRS (UTM 50N, Beijing) with five columns,
categories and grid names that are HTML, Markdown and spreadsheet formulas. Every view of
both pages runs without an exception; what is shown as Markdown is escaped, the maps
(what ``st_folium`` sends) carry the names only as escaped text, and the weekly report's
workbook holds them as text, not formulas. Without grids, the pages say what is missing.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
from shapely import box

from gridmap.hotspots import views
from gridmap.hotspots.report import weekly_report
from gridmap.ingest import commit_import, read_into_workspace
from gridmap.store import GeoPackageStore
from tests.test_app import run_app

SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "**md**"
FORMULA = "=cmd|' /C calc'!A0"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IN_JSON = ESCAPED.replace("&", "\\u0026")
HOSTILE = (SCRIPT, MARKDOWN, FORMULA)
UTM50N = "EPSG:32650"
X0, Y0 = 448_000.0, 4_417_000.0  # near Tiananmen, metres
LAST_DAY = pd.Timestamp("2026-05-31")


def _incident_csv(path: Path, n: int = 900, seed: int = 4) -> Path:
    rng = np.random.default_rng(seed)
    spots = rng.uniform(0, 2000, (5, 2))
    xy = spots[rng.integers(0, 5, n)] + rng.normal(0, 120, (n, 2))
    times = LAST_DAY + pd.Timedelta(days=1) - pd.to_timedelta(rng.uniform(0, 84, n), "D")
    # a burst of one hostile category in the last week, for a warning
    burst = 30
    xy = np.vstack([xy, spots[0] + rng.normal(0, 40, (burst, 2))])
    times = times.append(LAST_DAY - pd.to_timedelta(rng.uniform(0, 6, burst), "D"))
    category = [*rng.choice([*HOSTILE, "盗窃"], n), *[SCRIPT] * burst]
    frame = pd.DataFrame(
        {
            "编号": [f"C{i:05d}" for i in range(n + burst)],
            "X": np.round(X0 + xy[:, 0], 1),
            "Y": np.round(Y0 + xy[:, 1], 1),
            "发生时间": times.strftime("%Y-%m-%d %H:%M"),
            "类别": category,
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def _grids() -> gpd.GeoDataFrame:
    cells = [
        box(X0 - 300 + i * 1300, Y0 - 300 + j * 1300, X0 + 1000 + i * 1300, Y0 + 1000 + j * 1300)
        for j in range(2)
        for i in range(2)
    ]
    return gpd.GeoDataFrame(
        {
            "grid_code": [f"110101001001{k:03d}" for k in range(1, 5)],
            "name": [*HOSTILE, "四网格"],
        },
        geometry=cells,
        crs=UTM50N,
    ).to_crs(4326)


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageStore:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(tmp_path / "city.gpkg"))
    store = GeoPackageStore(tmp_path / "city.gpkg")
    found = read_into_workspace(
        store, _incident_csv(tmp_path / "警情.csv"), "incidents", crs=UTM50N
    )
    commit_import(store, found, author="test")
    return store


def _shown_markdown(app) -> list[str]:  # type: ignore[no-untyped-def]
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
    return [str(e.value) for kind in kinds for e in getattr(app, kind)]


def _check_escaped(app) -> None:  # type: ignore[no-untyped-def]
    assert not app.exception, [e.value for e in app.exception]
    for text in _shown_markdown(app):
        assert "<script>" not in text, text
        assert MARKDOWN not in text.replace("\\*", ""), text  # \*\*md\*\* is escaped


def test_only_incidents_in_a_projected_crs_say_what_is_missing(city: GeoPackageStore) -> None:
    incidents = city.read("incidents")
    assert len(incidents) == 930
    assert set(incidents.columns) >= {"incident_id", "category", "occurred_at"}
    # the points came back from UTM 50N to Beijing
    assert incidents.total_bounds[0] == pytest.approx(116.39, abs=0.02)
    for view in ("density", "grids", "gi", "emerging", "time", "repeats", "streets"):
        app = run_app("app_pages/heatmaps.py", hs_view=view)
        _check_escaped(app)
        if view in ("grids", "streets"):
            assert app.info, view  # no grids / no streets: said, not drawn
    app = run_app("app_pages/warnings_report.py")
    _check_escaped(app)
    assert app.warning  # warnings and deadlines are per grid: the page says grids are missing


@pytest.mark.parametrize(
    "view", ["density", "grids", "gi", "emerging", "time", "repeats", "streets"]
)
def test_hostile_names_in_every_heatmap_view(city: GeoPackageStore, view: str) -> None:
    city.write("grids", _grids(), author="test", message="grids with hostile names")
    for language in ("zh", "en"):
        app = run_app("app_pages/heatmaps.py", hs_view=view, lang=language)
        _check_escaped(app)


@pytest.mark.parametrize("view", ["warnings", "requests", "report"])
def test_hostile_names_on_the_warnings_page(city: GeoPackageStore, view: str) -> None:
    city.write("grids", _grids(), author="test", message="grids with hostile names")
    app = run_app("app_pages/warnings_report.py", hs_report_view=view)
    _check_escaped(app)
    if view == "warnings":
        tables = [d.value for d in app.dataframe]
        shown = {str(v) for table in tables for v in table.to_numpy().ravel()}
        assert any(SCRIPT in v for v in shown)  # as data in a table cell, not as HTML


def test_maps_and_report_carry_the_names_as_text(city: GeoPackageStore, tmp_path: Path) -> None:
    city.write("grids", _grids(), author="test", message="grids with hostile names")
    grids = city.read("grids")
    crs = city.working_crs()
    assert pyproj.CRS(crs).is_projected
    office = views.StreetOffice(
        views.prepare_incidents(city.read("incidents"), grids, crs=crs), grids, crs
    )
    selection = views.Selection(LAST_DAY - pd.Timedelta(weeks=12), LAST_DAY + pd.Timedelta(days=1))
    drawn = {
        "density": views.density_map(
            views.density(office, selection), office, selection, lang="zh"
        ),
        "grids": views.grid_map(
            views.grid_changes(office, selection), office, selection, measure="count", lang="zh"
        ),
        "warnings": views.warnings_map(
            views.warning_list(office, selection), office, selection, lang="en"
        ),
        "repeats": views.repeats_map(
            views.repeat_places(office, selection), office, selection, lang="zh"
        ),
    }
    assert len(views.warning_list(office, selection))  # the burst is a warning
    for name, fmap in drawn.items():
        html = fmap.get_root().render()
        assert SCRIPT not in html, name
        # the name occurs only HTML-escaped (inside GeoJSON strings also \u-escaped)
        rest = html.replace(ESCAPED, "").replace(ESCAPED_IN_JSON, "")
        assert "alert(1)" not in rest, name
    assert ESCAPED_IN_JSON in drawn["warnings"].get_root().render()

    book = weekly_report(
        views.report_source(office, selection),
        week_end=LAST_DAY + pd.Timedelta(days=1),
        path=tmp_path / "week.xlsx",
    )
    cells = [
        cell
        for sheet in openpyxl.load_workbook(book).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and any(h in cell.value for h in HOSTILE)
    ]
    assert any(c.value == FORMULA for c in cells)
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
