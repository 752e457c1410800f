"""The street office's pages (Heatmaps, Warnings & report) through AppTest, the hand-off
layer and the ``gridmap report`` / ``gridmap hotspots save`` commands."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gridmap.hotspots import views
from gridmap.hotspots.handoff import hotspot_features, save_hotspots
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


HEATMAPS = "app_pages/heatmaps.py"
WARNINGS = "app_pages/warnings_report.py"


def texts(app: AppTest) -> str:
    parts = [
        e.value for kind in ("info", "warning", "caption", "success") for e in getattr(app, kind)
    ]
    return "\n".join(map(str, parts))


def K(app: AppTest, name: str) -> str:
    """The key of the widget showing session value `name` in the app's current language."""
    language = app.session_state["lang"] if "lang" in app.session_state else "zh"  # noqa: SIM401
    return f"{name}.{language}"


def choose(app: AppTest, key: str, value: object) -> AppTest:
    radio = key in {"hs_view_w", "hs_report_view_w"}
    key = K(app, key.removesuffix("_w"))
    widget = app.radio(key=key) if radio else None
    (widget if widget is not None else app.selectbox(key=key)).set_value(value).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize(
    "view", ["density", "grids", "gi", "emerging", "time", "repeats", "streets"]
)
def test_every_heatmap_view_draws_in_both_languages(home: Path, view: str) -> None:
    app = run_app(HEATMAPS, hs_view=view)
    assert app.title[0].value == "热力分析"
    assert app.radio(key=K(app, "hs_view")).value == view
    assert any("已选" in c.value for c in app.caption)
    if view == "emerging":  # the cell size's rule is said, with the size the view used
        assert any("平均每周至少 2 起" in c.value for c in app.caption)
    app.session_state["lang"] = "en"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Heatmaps"
    assert app.radio(key=K(app, "hs_view")).value == view  # the view survives the switch


def test_filters_survive_language_switches_and_narrow_the_figures(home: Path) -> None:
    app = run_app(HEATMAPS)
    app.multiselect(key=K(app, "hs_categories")).set_value(["theft"]).run()
    app.selectbox(key=K(app, "hs_hour_from")).set_value(18).run()
    assert not app.exception
    caption = next(c.value for c in app.caption if "已选" in c.value)
    for language in ("en", "zh", "en"):
        app.session_state["lang"] = language
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert app.multiselect(key=K(app, "hs_categories")).value == ["theft"]
        assert app.selectbox(key=K(app, "hs_hour_from")).value == 18
        assert app.selectbox(key=K(app, "hs_hour_to")).value == 24
    # The count shown is the library's count of the same selection.
    store = GeoPackageStore(home / "sample.gpkg")
    incidents = store.read("incidents")
    shown = int(caption.split("已选 ")[1].split(" ")[0].replace(",", ""))
    start, end = app.session_state["hs_dates"]
    office = views.StreetOffice(incidents, store.read("grids"), store.working_crs())
    selection = views.Selection(
        pd.Timestamp(start),
        pd.Timestamp(end) + pd.Timedelta(days=1),
        categories=("theft",),
        hours=(18, 24),
    )
    assert shown == views.count_selected(office, selection)


def test_a_night_shift_past_midnight_is_selected_and_said(home: Path) -> None:
    app = run_app(HEATMAPS)
    app.selectbox(key=K(app, "hs_hour_from")).set_value(22).run()
    app.selectbox(key=K(app, "hs_hour_to")).set_value(2).run()
    assert not app.exception, [e.value for e in app.exception]
    caption = next(c.value for c in app.caption if "已选" in c.value)
    assert "22:00–次日 02:00（跨午夜）" in caption
    shown = int(caption.split("已选 ")[1].split(" ")[0].replace(",", ""))
    # brute force on the workspace file: the hours 22, 23, 0 and 1 of the chosen days
    incidents = GeoPackageStore(home / "sample.gpkg").read("incidents")
    start, end = app.session_state["hs_dates"]
    times = incidents["occurred_at"]
    days = (times >= pd.Timestamp(start)) & (times < pd.Timestamp(end) + pd.Timedelta(days=1))
    assert shown == int((days & times.dt.hour.isin([22, 23, 0, 1])).sum())
    assert 0 < shown < int(days.sum())
    for language in ("en", "zh"):
        app.session_state["lang"] = language
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert app.selectbox(key=K(app, "hs_hour_from")).value == 22
        assert app.selectbox(key=K(app, "hs_hour_to")).value == 2
    app.session_state["lang"] = "en"
    app.run()
    caption = next(c.value for c in app.caption if "selected" in c.value.lower())
    assert "22:00–02:00 next day (past midnight)" in caption


def test_empty_selections_say_so(home: Path) -> None:
    app = run_app(HEATMAPS)
    app.multiselect(key=K(app, "hs_categories")).set_value([]).run()
    assert not app.exception
    assert "没有选中" in texts(app)
    app.multiselect(key=K(app, "hs_categories")).set_value(["fraud"]).run()
    app.multiselect(key=K(app, "hs_weekdays")).set_value([]).run()
    assert "没有选中" in texts(app)
    app.multiselect(key=K(app, "hs_weekdays")).set_value([0]).run()
    # A window with no incidents at all (before the sample starts).
    app.date_input(key=K(app, "hs_dates")).set_value(
        (pd.Timestamp("2025-01-01").date(), pd.Timestamp("2025-01-31").date())
    ).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "没有事件" in texts(app)


def test_a_workspace_without_grids_or_incidents_says_what_to_do(home: Path) -> None:
    GeoPackageStore(home / "empty.gpkg")
    for page in (HEATMAPS, WARNINGS):
        app = run_app(page, workspace=str(home / "empty.gpkg"))
        assert "导入" in texts(app)
    sample = GeoPackageStore(home / "sample.gpkg")
    nogrids = GeoPackageStore(home / "nogrids.gpkg")
    nogrids.write("incidents", sample.read("incidents"), message="only incidents")
    app = run_app(HEATMAPS, workspace=str(home / "nogrids.gpkg"), hs_view="gi")
    assert "网格" in texts(app)
    app = run_app(WARNINGS, workspace=str(home / "nogrids.gpkg"))
    assert "网格" in texts(app)


@pytest.mark.parametrize("view", ["warnings", "requests", "report"])
def test_warnings_page_views_in_both_languages(home: Path, view: str) -> None:
    app = run_app(WARNINGS, hs_report_view=view)
    assert app.title[0].value == "预警与周报"
    app.session_state["lang"] = "en"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Warnings & report"
    assert app.radio(key=K(app, "hs_report_view")).value == view


def test_weekly_report_download_and_hand_off(home: Path) -> None:
    app = run_app(WARNINGS, hs_report_view="report")
    app.button(key="hs_report_prepare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["hs_report"][2][:2] == b"PK"
    # No editor name: the page refuses to write.
    assert app.button(key="hs_handoff_save").disabled
    app = run_app(WARNINGS, hs_report_view="report", editor="李四")
    app.button(key="hs_handoff_save").click().run()
    assert not app.exception, [e.value for e in app.exception]
    store = GeoPackageStore(home / "sample.gpkg")
    saved = store.read("hotspots")
    assert set(saved["kind"]) >= {"gi_star", "warning"}
    assert store.history("hotspots")[-1].author == "李四"
    assert "hotspots" in texts(app)


def test_hand_off_layer_is_written_and_read_back(tmp_path: Path) -> None:
    from gridmap.datasets import get_path

    sample = GeoPackageStore(get_path("helsinki"), create=False)
    grids = sample.read("grids")
    office = views.StreetOffice(
        views.prepare_incidents(sample.read("incidents"), grids), grids, sample.working_crs()
    )
    selection = views.Selection(pd.Timestamp("2026-08-10"), pd.Timestamp("2026-11-02"))
    layer = views.handoff_features(office, selection)
    assert list(layer.columns) == ["kind", "level", "category", "period", "weight", "geometry"]
    assert set(layer.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(layer.loc[layer["kind"] == "gi_star", "level"]) <= {"99", "95", "90"}
    assert (layer["period"] == "2026-08-10/2026-11-01").all()
    target = GeoPackageStore(tmp_path / "w.gpkg")
    version = save_hotspots(target, layer, author="王五")
    back = target.read("hotspots")
    assert version.version == 1
    assert len(back) == len(layer)
    pd.testing.assert_series_equal(back["weight"], layer["weight"], check_names=False)
    # Nothing hot: an empty layer, never an error, and saving it is refused.
    empty = hotspot_features(period="2026-01-01/2026-01-07")
    assert len(empty) == 0
    with pytest.raises(Exception, match="nothing to hand over"):
        save_hotspots(target, empty, author="王五")


def test_cli_report_and_hotspots_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridmap.cli import main
    from gridmap.datasets import get_path

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    workspace = tmp_path / "w.gpkg"
    install_sample_workspace(workspace)
    out = tmp_path / "week.xlsx"
    assert (
        main(
            [
                "-w",
                str(workspace),
                "report",
                "--week-end",
                "2026-10-31",
                "--output",
                str(out),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    assert zipfile.is_zipfile(out)
    names = zipfile.ZipFile(out).namelist()
    assert any("sheet" in n for n in names)
    code = main(
        [
            "-w",
            str(workspace),
            "hotspots",
            "save",
            "--start",
            "2026-08-10",
            "--end",
            "2026-10-31",
            "--author",
            "cli",
        ]
    )
    assert code == 0
    assert len(GeoPackageStore(workspace).read("hotspots")) > 0
    assert get_path("helsinki").exists()


def _overlay_bounds(html: str) -> list[list[float]]:
    import json
    import re

    found = re.search(r'L\.imageOverlay\(\s*"data:image/png;base64,[^"]*",\s*(\[\[.*?\]\])', html)
    assert found, "no image overlay in the page"
    return json.loads(found.group(1))


def test_density_overlay_is_shifted_on_a_gcj02_basemap() -> None:
    import geopandas as gpd
    import numpy as np
    import pyproj

    from gridmap.crs import wgs84_to_gcj02

    # a street office in Beijing, its incidents around one corner (WGS-84, as stored)
    rng = np.random.default_rng(5)
    n = 400
    lon, lat = 116.3974 + rng.normal(0, 0.004, n), 39.9092 + rng.normal(0, 0.003, n)
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": [f"B{i}" for i in range(n)],
            "category": "theft",
            "occurred_at": pd.Timestamp("2026-03-02")
            + pd.to_timedelta(rng.integers(0, 60, n), "D"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    utm = pyproj.CRS("EPSG:32650")
    office = views.StreetOffice(views.prepare_incidents(incidents, None, crs=utm), None, utm)
    selection = views.Selection(pd.Timestamp("2026-03-02"), pd.Timestamp("2026-05-04"))
    result = views.density(office, selection)
    drawn = {}
    for basemap in ("vector", "amap"):
        fmap = views.density_map(result, office, selection, lang="zh", basemap=basemap)
        drawn[basemap] = _overlay_bounds(fmap.get_root().render())
    assert drawn["vector"] == result.image(shift=None).bounds
    assert drawn["amap"] == result.image(shift="gcj02").bounds
    # the GCJ-02 image sits where GCJ-02 puts the place: ~0.006° east, ~0.0014° north
    (s0, w0), (n0, e0) = drawn["vector"]
    (s1, w1), (n1, e1) = drawn["amap"]
    glon, glat = wgs84_to_gcj02((w0 + e0) / 2, (s0 + n0) / 2)
    assert (w1 + e1) / 2 == pytest.approx(float(glon), abs=1e-4)
    assert (s1 + n1) / 2 == pytest.approx(float(glat), abs=1e-4)
    assert (w1 + e1) / 2 - (w0 + e0) / 2 > 0.005


# ---------------------------------------------------------------------------------------
# what a new user found on the page (issue #7 walk): a community's grid ranking, the
# sources in English, the widgets' placeholders


def _community(home: Path) -> tuple[str, str, int]:
    from gridmap.grids import dissolve_level

    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    street = dissolve_level(grids, "street")["code"].iloc[0]
    community = dissolve_level(grids, "community").iloc[0]
    return street, community["code"], int(community["n_grids"])


def test_grid_ranking_fits_the_grids_of_a_community(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    # AppTest keeps no element's height: note what the page asks st.dataframe for
    heights: dict[str, object] = {}
    original = st.dataframe

    def dataframe(*args: object, **kwargs: object) -> object:
        heights[str(kwargs.get("key"))] = kwargs.get("height")
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "dataframe", dataframe)
    street, community, n_grids = _community(home)
    app = run_app(
        HEATMAPS,
        hs_view="grids",
        **{"area_street_": street, f"area_community_{street}": community},
    )
    table = app.dataframe[0]
    assert len(table.value) == n_grids < 10
    # every row shown, no empty rows below: header + rows of 35 px (+ the border)
    assert views.table_height(n_grids) == 35 * (n_grids + 1) + 3
    assert heights["hs_grid_ranking"] == views.table_height(n_grids)
    assert views.table_height(500) == 380  # a whole street's table scrolls


def test_sources_read_in_both_languages_and_keep_their_values(home: Path) -> None:
    app = run_app(HEATMAPS)
    widget = app.multiselect(key=K(app, "hs_sources"))
    values = list(widget.options)
    assert "网格员" in app.session_state["hs_sources"]
    widget.set_value(["网格员", "12345"]).run()
    assert not app.exception
    for language, worker, hotline in (
        ("en", "Grid worker", "12345 hotline"),
        ("zh", "网格员", "12345 热线"),
        ("en", "Grid worker", "12345 hotline"),
    ):
        app.session_state["lang"] = language
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        widget = app.multiselect(key=K(app, "hs_sources"))
        assert worker in widget.options
        assert hotline in widget.options
        assert sorted(widget.value) == ["12345", "网格员"]  # the data's values, not labels
        assert len(widget.options) == len(values)
    # a source not known by name is shown as written
    assert views.source_label("街道巡查", "en") == "街道巡查"
    assert views.source_label("Grid worker", "zh") == "网格员"


def test_selects_show_a_translated_placeholder(home: Path) -> None:
    app = run_app(HEATMAPS, hs_view="time")
    for language, placeholder in (("zh", "请选择"), ("en", "Choose")):
        app.session_state["lang"] = language
        app.run()
        assert not app.exception
        widgets = [*app.multiselect, *app.selectbox]
        page = [w for w in widgets if str(w.key).startswith("hs_")]
        assert len(page) >= 6
        assert {w.proto.placeholder for w in page} == {placeholder}


def test_density_of_a_community_stays_inside_it(home: Path) -> None:
    import shapely

    street, community, _ = _community(home)
    app = run_app(HEATMAPS, **{"area_street_": street, f"area_community_{street}": community})
    assert app.session_state["area_prefix"] == community
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    office = views.StreetOffice(
        views.prepare_incidents(store.read("incidents"), grids, crs=store.working_crs()),
        grids,
        store.working_crs(),
    )
    start, end = app.session_state["hs_dates"]
    selection = views.Selection(
        pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1), area_prefix=community
    )
    result = views.density(office, selection)
    outline = grids[grids["grid_code"].astype(str).str.startswith(community)]
    outline = shapely.union_all(outline.to_crs(store.working_crs()).geometry.to_numpy())
    assert result.area is not None
    assert result.area.equals(outline)
    # the raster spans the community (plus a cell), in about 512 cells across it
    minx, miny, maxx, maxy = result.raster.bounds
    ominx, ominy, omaxx, omaxy = outline.bounds
    assert minx <= ominx
    assert miny <= ominy
    assert maxx >= omaxx
    assert maxy >= omaxy
    assert max(result.raster.shape) <= 520
    assert result.raster.cell_size <= result.bandwidth / 5
    extent = max(omaxx - ominx, omaxy - ominy)
    assert result.raster.cell_size == pytest.approx(
        min(result.bandwidth / 5, max(result.bandwidth / 32, extent / 512))
    )
    image = result.image()
    assert image is not None
    assert image.png.startswith(b"\x89PNG")
