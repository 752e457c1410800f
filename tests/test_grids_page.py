"""The Grids page (网格调整): views, previews, commits with an editor name, plans, history."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.grids import dissolve_level, views
from gridmap.grids.blocks import grid_blocks
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

PAGE = "app_pages/grids.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    path = tmp_path_factory.mktemp("sample") / "sample.gpkg"
    install_sample_workspace(path)
    return GeoPackageStore(path)


def _errors(app: object) -> list[str]:
    return [e.value for e in app.error]  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", views.VIEWS)
def test_every_view_draws_in_both_languages(home: Path, view: str, lang: str) -> None:
    app = run_app(PAGE, grids_view=view, lang=lang)
    assert app.title[0].value == ("网格调整" if lang == "zh" else "Grids")
    assert not _errors(app)
    assert len(app.expander) >= 1  # the view's help


def test_the_table_has_the_workload_index(home: Path) -> None:
    app = run_app(PAGE, lang="en")
    table = next(d.value for d in app.dataframe if "Workload index" in d.value.columns)
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    street = grids[grids["grid_code"].str.startswith(table["Grid code"].iloc[0][:9])]
    assert len(table) == len(street)
    assert table["Workload index"].mean() == pytest.approx(100, abs=0.5)
    assert {"Households", "Incidents, last 12 months", "Key sites", "Grid worker"} <= set(
        table.columns
    )


def _merge(app, codes: list[str]) -> None:  # type: ignore[no-untyped-def]
    app.multiselect(key="grids_merge_codes.zh").set_value(codes)
    app.button(key="grids_edit_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]


def test_a_merge_is_previewed_then_committed_with_the_editor_name(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    a, b = grids["grid_code"].iloc[0], grids["grid_code"].iloc[2]  # adjacent in the sample
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge")
    _merge(app, [a, b])
    assert not _errors(app)
    codes = next(d.value for d in app.dataframe if "原编码" in d.value.columns)
    assert set(codes["原编码"]) >= {a, b}
    assert store.current_version("grids") == 1  # a preview writes nothing
    # Without an editor name the commit is refused, with the reason.
    app.button(key="grids_edit_commit").click().run()
    assert any("编辑人" in e for e in _errors(app))
    assert store.current_version("grids") == 1
    # With one, it is a new version by that editor; households are conserved.
    app.session_state["editor"] = "李四"
    app.button(key="grids_edit_commit").click().run()
    assert not app.exception
    assert store.current_version("grids") == 2
    last = store.history("grids")[-1]
    assert last.author == "李四"
    assert a in last.message
    after = store.read("grids")
    assert len(after) == len(grids) - 1
    assert after["households"].sum() == grids["households"].sum()
    assert any("第 2 版" in s.value for s in app.success)


def test_a_refused_merge_says_why(home: Path) -> None:
    grids = GeoPackageStore(home / "sample.gpkg").read("grids")
    app = run_app(PAGE, grids_view="edit", grids_edit_kind="merge")
    _merge(app, [grids["grid_code"].iloc[0], grids["grid_code"].iloc[1]])  # not adjacent
    assert any("无法调整" in e and "不相邻" in e for e in _errors(app)), _errors(app)
    _merge(app, [grids["grid_code"].iloc[0]])
    assert any("至少需要两个" in e for e in _errors(app))


def test_an_automatic_plan_is_compared_and_committed(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    community = dissolve_level(grids, "community")["code"].iloc[0]
    app = run_app(
        PAGE,
        grids_view="auto",
        grids_auto_community=community,
        grids_auto_plans=2,
        editor="王五",
    )
    app.button(key="grids_auto_run").click().run()
    assert not app.exception
    assert not _errors(app)
    compared = next(d.value for d in app.dataframe if "现状" in d.value.columns)
    assert list(compared.columns) == ["现状", "方案 1", "方案 2"]
    assert "最大户数偏差（%）" in compared.index
    app.button(key="grids_auto_take").click().run()
    app.button(key="grids_auto_commit").click().run()
    assert not app.exception
    after = store.read("grids")
    assert store.current_version("grids") == 2
    assert after["households"].sum() == pytest.approx(grids["households"].sum(), abs=5)
    assert after["grid_code"].is_unique


def test_history_highlights_changes_and_reverts(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    grids = store.read("grids")
    store.write("grids", grids.iloc[:20], message="a planner's mistake")
    app = run_app(PAGE, grids_view="history", editor="张三", grids_history_version=1)
    app.button(key="grids_restore").click().run()
    assert not app.exception
    assert len(store.read("grids")) == 30
    last = store.history("grids")[-1]
    assert (last.action, last.based_on, last.author) == ("restore", 1, "张三")


def test_a_merge_previews_within_300_ms(sample: GeoPackageStore) -> None:
    grids = sample.read("grids")
    blocks = grid_blocks(grids, sample.read("streets"), buildings=sample.read("buildings"))
    codes = list(grids["grid_code"].iloc[[0, 2]])  # adjacent in the sample
    best = min(_timed(lambda: views.edit("merge", grids, blocks, codes=codes)) for _ in range(3))
    assert best < 0.3


def _timed(function) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def test_workload_index_is_100_on_average() -> None:
    table = pd.DataFrame({"households": [100, 300], "incidents": [0, 0], "sites": [1, 3]})
    index = views.workload_index(table, {"households": 0.5, "incidents": 0.3, "sites": 0.2})
    assert index.tolist() == [50.0, 150.0]  # incidents all zero: not counted
    assert views.workload_index(table, {"households": 0}).tolist() == [100.0, 100.0]


def test_a_typed_line_is_read_or_refused() -> None:
    line = views.parse_line("24.93,60.16\n24.94 60.17;", "EPSG:4326")
    assert line.equals(shapely.LineString([(24.93, 60.16), (24.94, 60.17)]))
    with pytest.raises(ValidationError, match="two points"):
        views.parse_line("24.93,60.16", "EPSG:4326")
    with pytest.raises(ValidationError, match="cannot read"):
        views.parse_line("24.93,north; 1,2", "EPSG:4326")


def test_area_code_and_changed_grids() -> None:
    codes = ["990101002001001", "990101001001001", "990101001002001"]
    assert views.area_code("", codes) == "990101001"
    assert views.area_code("990101001002", codes) == "990101001002"
    assert views.area_code("990101001002001", codes) == "990101001002"
    square = shapely.box(0, 0, 100, 100)
    before = gpd.GeoDataFrame(
        {"grid_code": ["a", "b"]}, geometry=[square, shapely.box(100, 0, 200, 100)], crs=32635
    )
    after = gpd.GeoDataFrame(
        {"grid_code": ["a", "c"]}, geometry=[square, shapely.box(100, 0, 210, 100)], crs=32635
    )
    assert views.changed_grids(before, after) == ["c"]
