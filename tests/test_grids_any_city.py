"""Issue #9: the planners' journey on a city's own workspace, not Helsinki.

The workspace is built as a Chinese city's first files would be: street centrelines with
only a Chinese ``name``, grids with only ``grid_code`` (and ``households`` or not), an
incident table with an id, a time and a category, a table of schools, all in CGCS2000 /
3-degree Gauss-Krüger CM 114E (EPSG:4547, around Guangzhou: false easting 500,000 m, no
zone prefix), and imported through :mod:`gridmap.ingest` the way the Data page and
``gridmap import`` do. The Grids page (Streamlit AppTest) and ``gridmap grids`` then run
on it; figures are checked independently with shapely, networkx and pandas.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap.cli import main
from gridmap.grids import views
from gridmap.grids.blocks import grid_blocks
from gridmap.ingest import commit_import, read_into_workspace
from gridmap.store import GeoPackageStore
from tests.test_app import run_app

PAGE = "app_pages/grids.py"
CRS = "EPSG:4547"
STREET = "440106001"  # one street office (街道) of Tianhe, Guangzhou
COMMUNITIES = ("440106001001", "440106001002")
#: South-west corner of the street grid: 113.30°E 23.12°N in EPSG:4547.
X0, Y0 = 428_300.0, 2_558_000.0
#: Street lines: 13 north-south, 11 east-west, 110-190 m apart; 6 columns of blocks per
#: community, grids of 3 × 2 blocks.
N_X, N_Y = 13, 11
ROAD_NAMES = ("天河路", "体育东路", "天河北路", "林和西路", "龙口西路", "华强路", "中山大道")


def _city(seed: int = 9) -> dict[str, object]:
    """The city's street lines, grids, incidents and schools (EPSG:4547 metres)."""
    rng = np.random.default_rng(seed)
    xs = X0 + np.concatenate([[0.0], np.cumsum(rng.uniform(110, 190, N_X - 1))])
    ys = Y0 + np.concatenate([[0.0], np.cumsum(rng.uniform(110, 190, N_Y - 1))])
    lines = [shapely.LineString([(x, ys[0] - 40), (x, ys[-1] + 40)]) for x in xs]
    lines += [shapely.LineString([(xs[0] - 40, y), (xs[-1] + 40, y)]) for y in ys]
    # A diagonal avenue through the middle, as real cities have.
    lines.append(shapely.LineString([(xs[1], ys[1]), (xs[5], ys[5])]))
    noded = shapely.get_parts(shapely.node(shapely.MultiLineString(lines)))
    names = rng.choice(ROAD_NAMES, len(noded))
    names[rng.random(len(noded)) < 0.3] = ""  # unnamed lanes
    streets = gpd.GeoDataFrame({"name": names}, geometry=noded, crs=CRS)
    # Grids: each community 6 block columns × 10 block rows, grids of 3 × 2 blocks, so
    # every grid boundary runs along a street line.
    codes, boxes = [], []
    for c, community in enumerate(COMMUNITIES):
        n = 0
        for j in range(0, N_Y - 1, 2):
            for i in range(c * 6, c * 6 + 6, 3):
                n += 1
                codes.append(f"{community}{n:03d}")
                boxes.append(shapely.box(xs[i], ys[j], xs[i + 3], ys[j + 2]))
    grids = gpd.GeoDataFrame(
        {"grid_code": codes, "households": rng.integers(250, 650, len(codes))},
        geometry=boxes,
        crs=CRS,
    )
    n = 600
    px = rng.uniform(xs[0] + 5, xs[-1] - 5, n)
    py = rng.uniform(ys[0] + 5, ys[-1] - 5, n)
    times = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), "min")
    incidents = pd.DataFrame(
        {
            "编号": [f"GZ{i:05d}" for i in range(n)],
            "X": px.round(2),
            "Y": py.round(2),
            "发生时间": times.strftime("%Y-%m-%d %H:%M"),
            "类别": rng.choice(["盗窃", "诈骗", "纠纷", "抢夺"], n),
        }
    )
    schools = pd.DataFrame(
        {
            "编号": [f"XX{i:02d}" for i in range(8)],
            "名称": [f"第{i + 1}小学" for i in range(8)],
            "X": rng.uniform(xs[0] + 20, xs[-1] - 20, 8).round(2),
            "Y": rng.uniform(ys[0] + 20, ys[-1] - 20, 8).round(2),
        }
    )
    blocks = [
        shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(N_X - 1) for j in range(N_Y - 1)
    ]
    buildings = gpd.GeoDataFrame(
        geometry=[b.centroid.buffer(25, cap_style="square") for b in blocks], crs=CRS
    )
    return {
        "streets": streets,
        "grids": grids,
        "incidents": incidents,
        "schools": schools,
        "buildings": buildings,
    }


def own_city(
    path: Path, *, streets: bool = True, buildings: bool = True, households: bool = True
) -> GeoPackageStore:
    """A workspace from the city's own files, imported as a user would (:mod:`gridmap.ingest`)."""
    city = _city()
    folder = path.parent / f"{path.stem}_files"
    folder.mkdir()
    grids = city["grids"] if households else city["grids"].drop(columns="households")
    # Grids as a zipped Shapefile (the usual hand-over), streets and buildings GeoPackages.
    shp = folder / "网格.shp"
    grids.to_file(shp, encoding="utf-8")
    archive = folder / "网格.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.glob("网格.*"):
            if part != archive:
                zf.write(part, part.name)
    files: list[tuple[Path, str, dict]] = [(archive, "grids", {})]
    if streets:
        city["streets"].to_file(folder / "道路中心线.gpkg")
        files.append((folder / "道路中心线.gpkg", "streets", {}))
    if buildings:
        city["buildings"].to_file(folder / "建筑.gpkg")
        files.append((folder / "建筑.gpkg", "buildings", {}))
    city["incidents"].to_csv(folder / "警情.csv", index=False, encoding="utf-8-sig")
    city["schools"].to_csv(folder / "学校.csv", index=False, encoding="gbk")
    files += [(folder / "警情.csv", "incidents", {"crs": CRS}), (folder / "学校.csv", "sites", {"crs": CRS})]
    store = GeoPackageStore(path)
    for file, layer, options in files:
        result = read_into_workspace(store, file, layer, **options)
        assert not len(result.rejected), (layer, result.rejected)
        commit_import(store, result, author="test")
    return store


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageStore:
    store = own_city(tmp_path / "city.gpkg")
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(store.path))
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    return store


def test_the_workspace_is_the_citys(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    assert len(grids) == 20
    assert len(city.read("incidents")) == 600
    assert len(city.read("sites")) == 8
    print(city.working_crs(), city.layers())
