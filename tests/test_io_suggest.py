"""The layer a chosen file most likely fills (the Data page's default), on real files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from gridmap.io import suggest_layer
from tests.test_app import run_app

POLYGONS = gpd.GeoDataFrame(
    {"名称": ["一网格"]}, geometry=[box(24.9, 60.1, 24.91, 60.11)], crs=4326
)
LINES = gpd.GeoDataFrame(
    {"名称": ["一路"]}, geometry=[LineString([(24.9, 60.1), (24.91, 60.1)])], crs=4326
)
POINTS = gpd.GeoDataFrame({"名称": ["一号"]}, geometry=[Point(24.9, 60.1)], crs=4326)


@pytest.mark.parametrize(
    ("frame", "name", "layer"),
    [
        (POLYGONS, "boundaries.geojson", "grids"),  # the geometry decides
        (POLYGONS, "建筑轮廓.geojson", "buildings"),  # the name decides among polygons
        (LINES, "centrelines.geojson", "streets"),
        (POINTS, "points.geojson", "incidents"),
        (POINTS, "守望岗位.gpkg", "posts"),
        (POINTS, "schools.gpkg", "sites"),
        (LINES, "网格.gpkg", "streets"),  # a name that contradicts the geometry is ignored
    ],
)
def test_the_geometry_then_the_name_decides(tmp_path: Path, frame, name, layer) -> None:
    path = tmp_path / name
    frame.to_file(path)
    assert suggest_layer(path) == layer


def test_a_zipped_shapefile_of_polygons_fills_the_grids(tmp_path: Path) -> None:
    POLYGONS.to_file(tmp_path / "划分.shp", encoding="UTF-8")
    zipped = tmp_path / "划分.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in tmp_path.glob("划分.*"):
            if part.suffix != ".zip":
                archive.write(part, part.name)
    assert suggest_layer(zipped) == "grids"


@pytest.mark.parametrize(
    ("name", "layer"),
    [("重点目标.csv", "sites"), ("2026年10月警情.csv", "incidents"), ("ledger.xlsx", "incidents")],
)
def test_a_table_is_points_and_its_name_decides(tmp_path: Path, name: str, layer: str) -> None:
    path = tmp_path / name
    path.write_text("名称,经度,纬度\n一号,24.9,60.1\n", encoding="utf-8")
    assert suggest_layer(path) == layer


def test_the_data_page_preselects_the_suggested_layer_once(tmp_path, monkeypatch) -> None:
    from gridmap.store import install_sample_workspace

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    path = tmp_path / "boundaries.geojson"
    POLYGONS.to_file(path)
    app = run_app("app_pages/data.py", editor="张三")
    app.file_uploader(key="upload_file").set_value(
        ("boundaries.geojson", path.read_bytes(), "application/geo+json")
    ).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["upload_layer"] == "grids"
    # The user's own choice is kept over later reruns of the same file.
    app.selectbox(key="upload_layer.zh").set_value("buildings").run()
    app.button(key="upload_check").click().run()
    assert app.session_state["upload_layer"] == "buildings"
