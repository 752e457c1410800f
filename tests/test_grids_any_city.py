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

import json
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.cli import main
from gridmap.grids import views
from gridmap.grids.blocks import SNAP_TOLERANCE, grid_blocks
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
    # A name per street line (its segments between crossings share it); some unnamed.
    line_names = np.where(rng.random(len(lines)) < 0.2, "", rng.choice(ROAD_NAMES, len(lines)))
    seg, line = shapely.STRtree(lines).query(
        shapely.line_interpolate_point(noded, 0.5, normalized=True),
        predicate="dwithin",
        distance=0.01,
    )
    names = np.empty(len(noded), dtype=object)
    names[seg] = line_names[line]
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
        shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])
        for i in range(N_X - 1)
        for j in range(N_Y - 1)
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
    # Grids as a zipped Shapefile in GBK (the usual hand-over), their codes numbers and
    # their columns Chinese; streets and buildings GeoPackages, the streets' names "名称".
    grids = grids.rename(columns={"grid_code": "网格编码", "households": "户数"})
    grids["网格编码"] = grids["网格编码"].astype("int64")
    shp = folder / "网格.shp"
    grids.to_file(shp, encoding="gbk")
    archive = folder / "网格.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.glob("网格.*"):
            if part != archive:
                zf.write(part, part.name)
    files: list[tuple[Path, str, dict]] = [(archive, "grids", {})]
    if streets:
        city["streets"].rename(columns={"name": "名称"}).to_file(folder / "道路中心线.gpkg")
        files.append((folder / "道路中心线.gpkg", "streets", {}))
    if buildings:
        city["buildings"].to_file(folder / "建筑.gpkg")
        files.append((folder / "建筑.gpkg", "buildings", {}))
    city["incidents"].to_csv(folder / "警情.csv", index=False, encoding="utf-8-sig")
    city["schools"].to_csv(folder / "学校.csv", index=False, encoding="gbk")
    files += [
        (folder / "警情.csv", "incidents", {"crs": CRS}),
        (folder / "学校.csv", "sites", {"crs": CRS}),
    ]
    store = GeoPackageStore(path)
    for file, layer, options in files:
        result = read_into_workspace(store, file, layer, **options)
        assert not len(result.rejected), (layer, result.rejected)
        commit_import(store, result, author="test")
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three workspaces, imported once per module (each test works on a copy)."""
    folder = tmp_path_factory.mktemp("cities")
    return {
        "full": own_city(folder / "full.gpkg").path,
        "bare": own_city(folder / "bare.gpkg", buildings=False, households=False).path,
        "no_streets": own_city(folder / "no_streets.gpkg", streets=False).path,
    }


def _use(
    built: dict[str, Path], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GeoPackageStore:
    path = tmp_path / "city.gpkg"
    shutil.copyfile(built[name], path)
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(path))
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    return GeoPackageStore(path)


@pytest.fixture
def city(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GeoPackageStore:
    return _use(built, "full", tmp_path, monkeypatch)


@pytest.fixture
def bare(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GeoPackageStore:
    """No buildings, no households."""
    return _use(built, "bare", tmp_path, monkeypatch)


@pytest.fixture
def no_streets(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GeoPackageStore:
    return _use(built, "no_streets", tmp_path, monkeypatch)


def test_the_workspace_is_the_citys(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    assert len(grids) == 20
    assert len(city.read("incidents")) == 600
    assert len(city.read("sites")) == 8
    assert city.working_crs() == CRS


def _problems(app: object) -> list[str]:
    shown = [e.value for e in app.exception]  # type: ignore[attr-defined]
    return shown + [e.value for e in app.error]  # type: ignore[attr-defined]


#: Every view in both languages on the full workspace; on the two that lack layers every
#: view once, the languages alternating (each run takes ~1.5 s).
DRAWN = [
    *((w, v, lang) for w in ["city"] for v in views.VIEWS for lang in ("zh", "en")),
    *((w, v, ("zh", "en")[(i + j) % 2]) for j, w in enumerate(["bare", "no_streets"])
      for i, v in enumerate(views.VIEWS)),
]  # fmt: skip


@pytest.mark.parametrize(("workspace", "view", "lang"), DRAWN)
def test_every_view_draws_in_both_languages(
    request: pytest.FixtureRequest, workspace: str, view: str, lang: str
) -> None:
    request.getfixturevalue(workspace)
    app = run_app(PAGE, grids_view=view, lang=lang)
    assert app.title[0].value == ("网格调整" if lang == "zh" else "Grids")
    assert not _problems(app), _problems(app)
    # What the workspace lacks is said on every view, in the page's language.
    warnings = [w.value for w in app.warning]
    lacks = {
        "city": [],
        "bare": ["户数" if lang == "zh" else "no households column"],
        "no_streets": ["没有道路图层" if lang == "zh" else "no streets layer"],
    }[workspace]
    assert all(any(words in w for w in warnings) for words in lacks), warnings
    assert len(warnings) == len(lacks), warnings


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(CRS)


def _contiguous(grids: gpd.GeoDataFrame) -> bool:
    """Every grid in one piece, and the grids' rook-contiguity graph connected (networkx)."""
    geoms = _metric(grids).geometry.to_numpy()
    if any(len(shapely.get_parts(g)) != 1 for g in geoms):
        return False
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    for a in range(len(geoms)):
        for b in range(a + 1, len(geoms)):
            if geoms[a].intersection(geoms[b]).length > 1:
                graph.add_edge(a, b)
    return nx.is_connected(graph)


def _numbered(grids: gpd.GeoDataFrame) -> None:
    """Codes follow the numbering rule: 15 digits, the community's 12, then 001, 002 … with
    no gaps in each community."""
    codes = grids["grid_code"].astype(str)
    assert codes.str.fullmatch(r"\d{15}").all(), codes.tolist()
    assert codes.is_unique
    for community, group in codes.groupby(codes.str[:12]):
        assert community in COMMUNITIES
        assert sorted(group.str[12:].astype(int)) == list(range(1, len(group) + 1))


def test_the_table_counts_the_citys_incidents_and_sites(city: GeoPackageStore) -> None:
    app = run_app(PAGE, lang="en")
    assert not _problems(app), _problems(app)
    table = next(d.value for d in app.dataframe if "Workload index" in d.value.columns)
    grids = _metric(city.read("grids"))
    assert sorted(table["Grid code"]) == sorted(grids["grid_code"])
    # Independently: incidents of the last 12 months and schools per grid, by a spatial
    # join in the city's own CRS (the grids tile the area: every point in one grid).
    incidents = _metric(city.read("incidents"))
    recent = incidents[
        incidents["occurred_at"] > incidents["occurred_at"].max() - pd.Timedelta(days=365)
    ]
    per_grid = recent.sjoin(grids[["grid_code", "geometry"]], predicate="within")["grid_code"]
    shown = table.set_index("Grid code")
    expected = per_grid.value_counts().reindex(shown.index, fill_value=0)
    assert (shown["Incidents, last 12 months"] == expected).all()
    sites = _metric(city.read("sites")).sjoin(grids[["grid_code", "geometry"]], predicate="within")
    assert shown["Key sites"].sum() == len(sites)
    assert shown["Households"].sum() == grids["households"].sum()


def test_a_merge_is_previewed_and_committed(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    a, b = f"{COMMUNITIES[0]}001", f"{COMMUNITIES[0]}002"  # side by side
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge", editor="李四")
    app.multiselect(key="grids_merge_codes.zh").set_value([a, b])
    app.button(key="grids_edit_submit").click().run()
    assert not _problems(app), _problems(app)
    assert city.current_version("grids") == 1
    app.button(key="grids_edit_commit").click().run()
    assert not _problems(app), _problems(app)
    assert city.current_version("grids") == 2
    after = city.read("grids")
    assert len(after) == len(grids) - 1
    assert after["households"].sum() == grids["households"].sum()
    _numbered(after)
    # The city's codes ran south → north; the rule numbers in reading order (north →
    # south), so the community is renumbered: the merged grid is found by its shape.
    both = shapely.union_all(_metric(grids).set_index("grid_code").geometry[[a, b]].to_numpy())
    merged = _metric(after).geometry
    assert (merged.symmetric_difference(both).area < 1).sum() == 1
    assert _contiguous(after)


def test_the_grids_maps_credit_the_city_not_openstreetmap(city: GeoPackageStore) -> None:
    grids, streets = city.read("grids"), city.read("streets")
    blocks = grid_blocks(grids, streets)
    credit = "数据：city <测绘>"
    for m in (
        views.grids_map(grids, lang="zh", streets=streets, credit=credit),
        views.blocks_map(blocks, grids.iloc[:2], lang="zh", streets=streets, credit=credit),
    ):
        page = m.get_root().render()
        added = re.findall(r"addAttribution\((.*?)\);", page)
        assert [json.loads(text) for text in added] == ["数据：city &lt;测绘&gt;"]
        assert "OpenStreetMap" not in page


def test_blocks_move_to_a_neighbouring_grid(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    blocks = grid_blocks(grids, city.read("streets"), buildings=city.read("buildings"))
    assert blocks.crs == CRS
    # The city's blocks are its street blocks (grid edges run along streets): the faces of
    # its street lines, counted by shapely alone.
    extent = shapely.union_all(_metric(grids).geometry.to_numpy())
    lines = shapely.intersection(_metric(city.read("streets")).geometry.to_numpy(), extent)
    faces = shapely.get_parts(
        shapely.polygonize(shapely.get_parts(shapely.union_all([*lines, extent.boundary])))
    )
    assert len(blocks) == (shapely.area(faces) > 200).sum() > 12 * 10
    a, b = f"{COMMUNITIES[0]}001", f"{COMMUNITIES[0]}002"
    mine = blocks[blocks["grid_code"] == a]
    # a block of `a` on its edge with `b` (sharing a boundary with b's blocks)
    other = shapely.union_all(blocks.loc[blocks["grid_code"] == b].geometry.to_numpy())
    edge = mine[mine.geometry.intersection(other).length.to_numpy() > 1]
    block = int(edge.sort_values("block_id")["block_id"].iloc[0])
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="move", editor="王五", lang="en")
    app.multiselect(key="grids_move_blocks.en").set_value([block]).run()
    app.selectbox(key="grids_move_to.en").set_value(b).run()
    assert not _problems(app), _problems(app)
    assert app.session_state["grids_preview"]["preview"].message.endswith(f"1 → {b}")
    app.button(key="grids_edit_commit").click().run()
    assert not _problems(app), _problems(app)
    after = city.read("grids")
    assert city.current_version("grids") == 2
    assert len(after) == len(grids)
    assert after["households"].sum() == pytest.approx(grids["households"].sum(), abs=1)
    inside = gpd.GeoSeries(
        [blocks.loc[blocks["block_id"] == block].geometry.iloc[0].representative_point()],
        crs=CRS,
    ).to_crs(after.crs)
    holder = after[after.contains(inside.iloc[0])]
    assert len(holder) == 1  # (codes renumbered in reading order: found by shape)
    target = grids.loc[grids["grid_code"] == b].geometry.iloc[0]
    assert (
        _metric(holder)
        .geometry.iloc[0]
        .intersection(_metric(gpd.GeoSeries([target], crs=grids.crs)).iloc[0])
        .area
        > 1000
    )
    assert _contiguous(after)


def test_a_grid_is_split_along_a_street(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    code = f"{COMMUNITIES[1]}003"
    row = views.area_grids(grids, code)
    names = views.street_names(city.read("streets"), row)
    assert names  # the streets inside the grid, by their Chinese names
    app = run_app(
        PAGE,
        grids_view="edit",
        grids_edit_kind="split_streets",
        grids_split_grid=code,
        editor="赵六",
    )
    chosen = None
    for name in names:
        app.multiselect(key="grids_split_streets.zh").set_value([name])
        app.button(key="grids_edit_submit").click().run()
        assert not app.exception, [e.value for e in app.exception]
        if not app.error:
            chosen = name
            break
    assert chosen is not None, _problems(app)
    app.button(key="grids_edit_commit").click().run()
    assert not _problems(app), _problems(app)
    after = city.read("grids")
    assert len(after) > len(grids)
    assert after["households"].sum() == grids["households"].sum()
    _numbered(after)
    # The new grids cover the old one exactly, and the street runs along their boundary.
    old = _metric(row).geometry.iloc[0]
    new = _metric(after)
    pieces = new[new.geometry.intersection(old).area.to_numpy() > 1]
    assert shapely.union_all(pieces.geometry.to_numpy()).symmetric_difference(old).area < 1
    assert _contiguous(after)


def test_an_automatic_plan_is_compared_committed_and_exported(city: GeoPackageStore) -> None:
    grids = city.read("grids")
    community = COMMUNITIES[0]
    area = views.area_grids(grids, community)
    app = run_app(
        PAGE,
        grids_view="auto",
        grids_auto_community=community,
        grids_auto_by="k",
        grids_auto_k_value=8,
        grids_auto_plans=2,
        editor="王五",
        lang="en",
    )
    app.button(key="grids_auto_run").click().run()
    assert not _problems(app), _problems(app)
    compared = next(d.value for d in app.dataframe if "Current" in d.value.columns)
    assert list(compared.columns) == ["Current", "Plan 1", "Plan 2"]
    assert any(e.label == "Export this plan" for e in app.expander)
    app.button(key="grids_auto_take").click().run()
    app.button(key="grids_auto_commit").click().run()
    assert not _problems(app), _problems(app)
    after = city.read("grids")
    plan = views.area_grids(after, community)
    assert len(plan) == 8
    assert plan["households"].sum() == pytest.approx(area["households"].sum(), abs=8)
    _numbered(after)
    assert _contiguous(plan)
    # The community's outline is kept, the other community untouched.
    outline = shapely.union_all(_metric(area).geometry.to_numpy())
    assert (
        shapely.union_all(_metric(plan).geometry.to_numpy()).symmetric_difference(outline).area < 10
    )
    rest = after[~after["grid_code"].str.startswith(community)]
    assert len(rest) == len(grids) - len(area)


@pytest.mark.parametrize("workspace", ["bare", "no_streets"])
def test_an_automatic_plan_on_a_workspace_that_lacks_layers(
    request: pytest.FixtureRequest, workspace: str
) -> None:
    store = request.getfixturevalue(workspace)
    app = run_app(
        PAGE,
        grids_view="auto",
        grids_auto_community=COMMUNITIES[1],
        grids_auto_by="k",
        grids_auto_k_value=5,
        grids_auto_plans=1,
        editor="王五",
        lang="en",
    )
    app.button(key="grids_auto_run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    # Refused, naming what is missing: plans balance households and are made of street
    # blocks.
    missing = {"bare": "hold no households", "no_streets": "has no streets layer"}[workspace]
    assert any("Refused" in e.value and missing in e.value for e in app.error), _problems(app)
    assert not any(d for d in app.dataframe if "Current" in d.value.columns)
    assert store.current_version("grids") == 1


def test_the_cli_says_what_a_workspace_lacks(
    bare: GeoPackageStore,
    built: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = ["grids", "plan", "--community", COMMUNITIES[0], "--k", "4"]
    assert main(["-w", str(bare.path), *plan]) == 2
    assert "hold no households" in capsys.readouterr().err
    (tmp_path / "x").mkdir()
    no_streets = _use(built, "no_streets", tmp_path / "x", monkeypatch)
    ws = ["-w", str(no_streets.path)]
    assert main([*ws, *plan]) == 2
    assert "no streets layer" in capsys.readouterr().err
    code = f"{COMMUNITIES[0]}001"
    assert main([*ws, "grids", "split", code, "--street", "天河路"]) == 2
    assert "no streets layer" in capsys.readouterr().err
    # Without streets a merge still works: each grid is one block.
    grids = no_streets.read("grids")
    assert main([*ws, "grids", "merge", code, f"{COMMUNITIES[0]}002", "--commit"]) == 0
    after = no_streets.read("grids")
    assert len(after) == len(grids) - 1
    assert after["households"].sum() == grids["households"].sum()
    _numbered(after)
    # And a split along a line typed in longitude/latitude, across the middle of a grid.
    row = _metric(views.area_grids(after, f"{COMMUNITIES[1]}001")).geometry.iloc[0]
    west, south, east, north = row.bounds
    x = (west + east) / 2
    ends = gpd.GeoSeries(
        [shapely.Point(x, south - 30), shapely.Point(x, north + 30)], crs=CRS
    ).to_crs(4326)
    text = "; ".join(f"{p.x:.7f},{p.y:.7f}" for p in ends)
    split = [*ws, "grids", "split", f"{COMMUNITIES[1]}001", "--line", text, "--commit"]
    assert main(split) == 0, capsys.readouterr().err
    parts = _metric(no_streets.read("grids"))
    halves = parts[parts.geometry.intersection(row).area.to_numpy() > 1]
    assert len(halves) == 2
    assert sorted(halves.area) == pytest.approx(sorted([row.area / 2] * 2), rel=0.01)


def test_the_cli_on_the_citys_workspace(
    city: GeoPackageStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = ["-w", str(city.path), "grids"]
    grids = city.read("grids")
    assert main([*ws, "check"]) == 0
    assert "20 grids: no topology problems" in capsys.readouterr().out
    # merge, committed
    a, b = f"{COMMUNITIES[1]}001", f"{COMMUNITIES[1]}002"
    assert main([*ws, "merge", a, b, "--commit", "--author", "李四"]) == 0
    merged = city.read("grids")
    assert len(merged) == 19
    assert merged["households"].sum() == grids["households"].sum()
    _numbered(merged)
    # split along a street by its Chinese name
    code = next(
        c
        for c in merged["grid_code"]
        if views.street_names(city.read("streets"), views.area_grids(merged, c))
    )
    row = views.area_grids(merged, code)
    done = None
    for name in views.street_names(city.read("streets"), row):
        if main([*ws, "split", code, "--street", name, "--commit"]) == 0:
            done = name
            break
    capsys.readouterr()
    assert done is not None
    split = city.read("grids")
    assert len(split) > len(merged)
    assert split["households"].sum() == grids["households"].sum()
    _numbered(split)
    # a plan of k grids, exported with its code mapping and committed
    output = tmp_path / "plan.gpkg"
    community = COMMUNITIES[0]
    args = [
        *ws,
        "plan",
        "--community",
        community,
        "--k",
        "6",
        "--plans",
        "1",
        "--output",
        str(output),
        "--commit",
    ]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "best: plan 1" in out
    plan = gpd.read_file(output, layer="plan")
    assert len(plan) == 6
    before = views.area_grids(split, community)
    assert plan["households"].sum() == pytest.approx(before["households"].sum(), abs=6)
    assert _contiguous(plan)
    # The code mapping's overlaps, against shapely's in the city's CRS.
    mapping = gpd.read_file(output, layer="code_mapping")
    old = _metric(before).set_index("grid_code").geometry
    new = _metric(plan).set_index("grid_code").geometry
    for row in mapping.itertuples():
        overlap = old[row.old_code].intersection(new[row.new_code]).area
        assert row.area_m2 == pytest.approx(overlap, rel=1e-3, abs=1)
    assert mapping["area_m2"].sum() == pytest.approx(old.area.sum(), rel=1e-3)
    after = city.read("grids")
    _numbered(after)
    # export: GeoJSON in WGS-84 and a zipped Shapefile in the city's CRS
    geojson = tmp_path / "grids.geojson"
    assert main([*ws, "export", str(geojson)]) == 0
    exported = gpd.read_file(geojson)
    assert sorted(exported["grid_code"]) == sorted(after["grid_code"])
    zipped = tmp_path / "grids.zip"
    assert main([*ws, "export", str(zipped), "--crs", CRS]) == 0
    shp = gpd.read_file(f"zip://{zipped}")
    assert shp.crs == CRS
    assert shp.total_bounds[0] == pytest.approx(X0, abs=1)
    assert shp.area.sum() == pytest.approx(_metric(after).area.sum(), rel=1e-6)


def test_what_a_workspace_lacks_is_named() -> None:
    city = _city()
    grids, streets = city["grids"], city["streets"]
    assert views.missing_inputs(grids, streets=streets, buildings=None) == []
    keys = [
        m.key
        for m in views.missing_inputs(
            grids.drop(columns="households"), streets=streets.drop(columns="name"), buildings=None
        )
    ]
    assert keys == ["grids_missing_households", "grids_missing_street_names"]
    # Households carried by buildings are enough; an empty streets layer is no streets.
    counted = city["buildings"].assign(households=10)
    keys = [
        m.key
        for m in views.missing_inputs(
            grids.drop(columns="households"), streets=streets.iloc[:0], buildings=counted
        )
    ]
    assert keys == ["grids_missing_streets"]


def test_a_line_drawn_on_the_map_splits_a_grid(city: GeoPackageStore) -> None:
    """The draw map sends WGS-84 GeoJSON; the split is made in the city's CRS."""
    grids = city.read("grids")
    code = f"{COMMUNITIES[0]}005"
    grid = _metric(views.area_grids(grids, code)).geometry.iloc[0]
    west, south, east, north = grid.bounds
    # East-west, a third of the way up: through the grid's blocks, along no street.
    y = south + (north - south) / 3
    ends = gpd.GeoSeries(
        [shapely.Point(west - 20, y), shapely.Point(east + 20, y)], crs=CRS
    ).to_crs(4326)
    drawing = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[p.x, p.y] for p in ends]},
        }
    ]
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="draw", editor="赵六", lang="en")
    app.session_state["grids_draw_map"] = {"drawings": drawing}
    app.run()
    assert not _problems(app), _problems(app)
    assert any(c.value.startswith(f"Splitting grid {code}") for c in app.caption)
    app.button(key="grids_edit_commit").click().run()
    assert not _problems(app), _problems(app)
    after = _metric(city.read("grids"))
    assert len(after) == len(grids) + 1
    assert after["households"].sum() == grids["households"].sum()
    halves = after[after.geometry.intersection(grid).area.to_numpy() > 1]
    assert len(halves) == 2
    assert shapely.union_all(halves.geometry.to_numpy()).symmetric_difference(grid).area < 1
    # One half south of the line, one north (the line cuts blocks: a split along a line).
    assert sorted(g.centroid.y < y for g in halves.geometry) == [False, True]
    _numbered(after)


def test_grid_edges_a_few_metres_off_the_streets_make_no_sliver_blocks() -> None:
    city = _city()
    grids, streets = city["grids"], city["streets"]
    exact = len(grid_blocks(grids, streets))
    # Each grid's corners moved by up to 6 m, as when boundaries are traced over imagery.
    rng = np.random.default_rng(1)
    traced = grids.set_geometry(
        [shapely.box(*(np.asarray(g.bounds) + rng.uniform(-6, 6, 4))) for g in grids.geometry]
    )
    assert len(grid_blocks(traced, streets)) <= exact + 5


def _street_lines_at(streets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The x of the city's north-south street lines and the y of its east-west ones."""
    xy = shapely.get_coordinates(streets.geometry.to_numpy()).reshape(-1, 2, 2)
    start, end = xy[:, 0], xy[:, 1]
    xs = np.unique(start[start[:, 0] == end[:, 0], 0])
    ys = np.unique(start[start[:, 1] == end[:, 1], 1])
    return xs, ys


def _wiggle(xy: np.ndarray) -> np.ndarray:
    """A smooth displacement of up to about 6 m, the same wherever a point lies."""
    x, y = xy[:, 0], xy[:, 1]
    dx = 4 * np.sin(x / 37.0) + 2 * np.sin(y / 53.0 + 1)
    dy = 4 * np.cos(y / 29.0) + 2 * np.sin(x / 41.0)
    return xy + np.column_stack([dx, dy])


@pytest.mark.parametrize("tracing", ["shifted", "wiggly"])
def test_grid_edges_traced_beside_the_streets_give_the_street_blocks(tracing: str) -> None:
    """A layer traced as a whole a few metres off (no gaps, no overlaps) keeps its blocks.

    ``shifted``: every edge 5 m east and 4 m south of its street. ``wiggly``: every edge
    traced with a vertex each 20 m, each off the street by a different few metres (up to
    about 6), as a hand on imagery draws, so the edge winds along its street.
    """
    city = _city()
    grids, streets = city["grids"], city["streets"]
    exact = grid_blocks(grids, streets)
    if tracing == "shifted":
        traced = grids.set_geometry(grids.geometry.translate(5, -4))
    else:
        wound = shapely.transform(shapely.segmentize(grids.geometry.to_numpy(), 20), _wiggle)
        traced = grids.set_geometry(wound)
    assert shapely.is_valid(traced.geometry.to_numpy()).all()
    assert len(grid_blocks(traced, streets, snap_tolerance=0)) > len(exact) + 20
    blocks = grid_blocks(traced, streets)
    assert len(blocks) == len(exact)
    # Each block is one street block (the one it overlaps most, a different one for each)
    # and in that street block's grid.
    b, e = blocks.geometry.to_numpy(), exact.geometry.to_numpy()
    bi, ei = shapely.STRtree(e).query(b, predicate="intersects")
    overlap = shapely.area(shapely.intersection(b[bi], e[ei]))
    best = pd.Series(overlap).groupby(bi).idxmax().to_numpy()
    match = ei[best]
    assert len(np.unique(match)) == len(exact)
    assert (blocks["grid_code"].to_numpy() == exact["grid_code"].to_numpy()[match]).all()
    # A block differs from its street block only beside the streets: by the slivers a
    # winding edge leaves across a street, which stay in their grid as slivers do.
    beside = shapely.buffer(shapely.union_all(streets.geometry.to_numpy()), SNAP_TOLERANCE)
    differ = shapely.symmetric_difference(b, e[match])
    assert (shapely.area(shapely.difference(differ, beside)) < 1e-3).all()


@pytest.mark.parametrize(("edge", "extra"), [("parallel", 2), ("diverging", 1)])
def test_grid_edges_farther_than_the_tolerance_from_a_street_stay(edge: str, extra: int) -> None:
    """The edge between two grids 12 m off its street, or leaving it for 12 m, is kept.

    Grids 001 and 002 share the street at x = xs[3] over two block rows. ``parallel``: the
    edge runs 12 m east of that street (a strip of 12 m in each row). ``diverging``: it
    follows the street through the first row, then leaves it for a point 12 m east at the
    top (a long triangle, thin on average, though part of its edge is within the
    tolerance). Either way the strips are 001's blocks of their own, and every grid is
    exactly its blocks; 5 m off, the edge is moved onto the street.
    """
    city = _city()
    grids, streets = city["grids"], city["streets"]
    xs, ys = _street_lines_at(streets)
    codes = grids["grid_code"].to_numpy()
    west, east = f"{COMMUNITIES[0]}001", f"{COMMUNITIES[0]}002"
    assert grids.geometry[codes == west].iloc[0].equals(shapely.box(xs[0], ys[0], xs[3], ys[2]))
    assert grids.geometry[codes == east].iloc[0].equals(shapely.box(xs[3], ys[0], xs[6], ys[2]))

    def drawn(line: list[tuple[float, float]]) -> gpd.GeoDataFrame:
        ring_w = [(xs[0], ys[0]), *line, (xs[0], ys[2])]
        ring_e = [*line, (xs[6], ys[2]), (xs[6], ys[0])]
        out = grids.copy()
        out.loc[codes == west, "geometry"] = shapely.Polygon(ring_w)
        out.loc[codes == east, "geometry"] = shapely.Polygon(ring_e)
        return out

    exact = grid_blocks(grids, streets)
    off = 12.0
    assert off > SNAP_TOLERANCE
    if edge == "parallel":
        line = [(xs[3] + off, ys[0]), (xs[3] + off, ys[2])]
    else:
        line = [(xs[3], ys[0]), (xs[3], ys[1]), (xs[3] + off, ys[2])]
    traced = drawn(line)
    blocks = grid_blocks(traced, streets)
    assert len(blocks) == len(exact) + extra
    for code, grid in zip(traced["grid_code"], traced.geometry, strict=True):
        own = shapely.union_all(blocks.geometry[blocks["grid_code"] == code].to_numpy())
        assert shapely.symmetric_difference(own, grid).area < 1e-3, code
    # Within the tolerance the same edge follows the street: 001's blocks are its own.
    near = grid_blocks(drawn([(xs[3] + 5, ys[0]), (xs[3] + 5, ys[2])]), streets)
    assert len(near) == len(exact)
    own = shapely.union_all(near.geometry[near["grid_code"] == west].to_numpy())
    assert shapely.symmetric_difference(own, grids.geometry[codes == west].iloc[0]).area < 1e-3


def test_grids_on_the_streets_are_left_as_they_are() -> None:
    """Grids whose edges follow the streets give the same blocks with snapping as without."""
    city = _city()
    grids, streets = city["grids"], city["streets"]
    snapped = grid_blocks(grids, streets)
    drawn = grid_blocks(grids, streets, snap_tolerance=0)
    assert snapped["grid_code"].tolist() == drawn["grid_code"].tolist()
    assert shapely.equals_exact(snapped.geometry.to_numpy(), drawn.geometry.to_numpy(), 0).all()
    with pytest.raises(ValidationError, match="snap_tolerance"):
        grid_blocks(grids, streets, snap_tolerance=-1)
