"""A city's own first data: optional columns, documented defaults, its own categories.

Issue "Real-world first use": a street centreline file without ``highway``, a schools
layer without ``kind``, grids without households, categories not in the built-in list.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gridmap.io import import_file
from gridmap.schema import (
    DEFAULT_RESPONSE_CLASS,
    LAYERS,
    RESPONSE_CLASS_BY_KIND,
    validate_layer,
    value_label,
    with_labels,
)
from tests.own_city_workspace import grids_without_households, without_grids


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    return path


def _keys(result: object) -> list[str]:
    return [getattr(w, "key", "") for w in result.warnings]  # type: ignore[attr-defined]


def test_street_centrelines_without_a_road_class(tmp_path: Path) -> None:
    lines = gpd.GeoDataFrame(
        {"名称": ["长安街", "无名路"]},
        geometry=[shapely.LineString([(116.39, 39.90), (116.40, 39.90)])] * 2,
        crs=4326,
    )
    result = import_file(_write(lines, tmp_path / "centrelines.geojson"), "streets")
    assert result.data["highway"].tolist() == ["unclassified", "unclassified"]
    assert result.data["name"].tolist() == ["长安街", "无名路"]
    assert "column_defaulted_value" in _keys(result)
    assert any("highway" in w and "unclassified" in w for w in result.warnings)


def test_schools_without_kind_or_names(tmp_path: Path) -> None:
    csv = tmp_path / "schools.csv"
    csv.write_text("编号,经度,纬度\nX1,116.39,39.90\nX2,116.40,39.91\n", encoding="utf-8")
    result = import_file(csv, "sites")
    data = result.data
    assert data["kind"].tolist() == ["other", "other"]
    assert data["name"].tolist() == ["X1", "X2"]  # the id stands in for the name
    assert data["response_class"].tolist() == [DEFAULT_RESPONSE_CLASS] * 2
    assert {"column_defaulted_value", "column_defaulted_copy", "column_defaulted_table"} <= set(
        _keys(result)
    )
    validate_layer(data, "sites")


def test_response_class_follows_the_kind_and_a_given_one_wins(tmp_path: Path) -> None:
    csv = tmp_path / "sites.csv"
    csv.write_text(
        "编号,名称,类型,响应等级,经度,纬度\n"
        "A,一小,学校,,116.39,39.90\n"
        "B,农贸,市场,,116.39,39.90\n"
        "C,自家,养老院,,116.39,39.90\n"
        "D,银行,bank,1,116.39,39.90\n",
        encoding="utf-8",
    )
    data = import_file(csv, "sites").data
    assert data["kind"].tolist() == ["school", "market", "养老院", "bank"]  # own kind kept
    assert data["response_class"].tolist() == [
        RESPONSE_CLASS_BY_KIND["school"],
        RESPONSE_CLASS_BY_KIND["market"],
        DEFAULT_RESPONSE_CLASS,
        1,
    ]


def test_posts_and_grids_need_only_their_ids(tmp_path: Path) -> None:
    csv = tmp_path / "posts.csv"
    csv.write_text("岗位编号,经度,纬度\nP1,116.39,39.90\n", encoding="utf-8")
    posts = import_file(csv, "posts").data
    assert (posts["name"].iloc[0], posts["mode"].iloc[0]) == ("P1", "walk")
    grids = gpd.GeoDataFrame(
        {"网格编码": ["110105001001001"]}, geometry=[shapely.box(116.3, 39.9, 116.4, 40)], crs=4326
    )
    data = import_file(_write(grids, tmp_path / "grids.geojson"), "grids").data
    assert data["name"].tolist() == ["110105001001001"]


def test_every_required_column_is_one_that_cannot_be_defaulted() -> None:
    for spec in LAYERS.values():
        assert not set(spec.required) & set(spec.defaults), spec.name
        assert set(spec.defaults) <= set(spec.optional), spec.name
    assert LAYERS["streets"].required == ()
    assert LAYERS["grids"].required == ("grid_code",)
    assert set(LAYERS["incidents"].required) == {"incident_id", "category", "occurred_at"}


def test_own_categories_are_labelled_as_written_and_keys_kept_beside_labels() -> None:
    frame = gpd.GeoDataFrame(
        {"incident_id": ["1", "2", "3"], "category": ["theft", "纠纷", None]},
        geometry=[shapely.Point(0, 0)] * 3,
        crs=4326,
    )
    for lang, theft in (("zh", "盗窃"), ("en", "Theft")):
        shown = with_labels(frame, "incidents", lang)
        assert shown["category"].tolist()[:2] == [theft, "纠纷"]
        assert shown["category_key"].tolist()[:2] == ["theft", "纠纷"]
        assert list(shown.columns).index("category_key") == 2
    assert frame["category"].tolist()[0] == "theft"  # the input is not changed
    assert value_label("posts", "mode", "bike", "zh") == "骑巡"
    assert value_label("sites", "kind", "养老院", "en") == "养老院"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_export_carries_labels_and_keys(tmp_path: Path, lang: str) -> None:
    from gridmap.io import export_layer

    frame = gpd.GeoDataFrame(
        {"incident_id": ["1", "2"], "category": ["theft", "纠纷"]},
        geometry=[shapely.Point(116.39, 39.9)] * 2,
        crs=4326,
    )
    out = export_layer(with_labels(frame, "incidents", lang), tmp_path / "x.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("incident_id,category,category_key")
    assert ("盗窃" if lang == "zh" else "Theft") in text
    assert "纠纷" in text
    back = import_file(out, "incidents", default_time="2026-03-01")
    assert back.data["category"].tolist() == ["theft", "纠纷"]


# -- the Overview page on a city's own workspace ----------------------------------------


def _run_overview(home: Path, workspace: Path, **state: object):  # type: ignore[no-untyped-def]
    from tests.test_app import run_app

    return run_app(workspace=str(workspace), **state)


@pytest.fixture
def city_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_WORKSPACE", str(tmp_path / "city.gpkg"))
    return tmp_path


def test_realworld_grids_without_households_render_on_the_overview(city_home: Path) -> None:
    store = grids_without_households(city_home / "city.gpkg")
    assert len(store.read("grids")) == 5  # the bow-tie repaired; null and line rejected
    app = _run_overview(city_home, city_home / "city.gpkg")
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["网格数"] == "5"
    assert "户数" not in metrics  # no "0 households" for grids that do not say
    assert metrics["近30天事件"] == "3"
    assert any("户数" in i.value for i in app.info)  # says what is missing and how
    tables = [d.value for d in app.dataframe]
    categories = tables[0].iloc[:, 0].tolist()
    assert categories == ["盗窃", "纠纷", "合计"]  # labels, the city's own category as written
    assert list(tables[1].columns) == ["网格编码", "名称", "近30天事件"]
    assert any("数据：city" in c.value for c in app.caption)  # its own credit, not OSM's
    assert not any("OpenStreetMap" in c.value for c in app.caption)
    en = _run_overview(city_home, city_home / "city.gpkg", lang="en")
    assert en.dataframe[0].value.iloc[:, 0].tolist() == ["Theft", "纠纷", "Total"]


@pytest.mark.parametrize("page", ["app_pages/heatmaps.py", "app_pages/warnings_report.py"])
def test_street_office_pages_credit_the_city_not_openstreetmap(city_home: Path, page: str) -> None:
    from tests.test_app import run_app

    grids_without_households(city_home / "city.gpkg")
    app = run_app(page, workspace=str(city_home / "city.gpkg"))
    captions = [c.value for c in app.caption]
    assert any("数据：city" in c for c in captions), captions
    assert not any("OpenStreetMap" in c for c in captions), captions


def test_the_grids_page_maps_credit_the_city_not_openstreetmap(city_home: Path) -> None:
    from app_pages._grids_maps import KEPT
    from tests.test_app import run_app

    grids_without_households(city_home / "city.gpkg")
    app = run_app("app_pages/grids.py", workspace=str(city_home / "city.gpkg"))
    assert not app.exception, [e.value for e in app.exception]
    kept = app.session_state[KEPT]
    assert kept, "the grids page kept no map"
    for held in kept.values():  # what the browser is sent to draw the map
        assert "数据：city" in str(held)
        assert "OpenStreetMap" not in str(held)


def test_a_workspace_without_grids_is_no_dead_end(city_home: Path) -> None:
    store = without_grids(city_home / "city.gpkg")
    store.update_settings(credit="朝阳区综治中心 2026")
    app = _run_overview(city_home, city_home / "city.gpkg")
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    infos = " ".join(i.value for i in app.info)
    assert "--layer grids" in infos
    assert "数据" in infos
    assert "还没有数据" not in infos
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"近30天事件": "3"}
    assert "抢夺" in app.dataframe[0].value.iloc[:, 0].tolist()
    captions = [c.value for c in app.caption]
    assert any("朝阳区综治中心 2026" in c for c in captions)
    assert any("朝阳区综治中心 2026" in c.value for c in app.sidebar.caption)


def test_data_page_tables_show_category_labels(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gridmap.store import install_sample_workspace
    from tests.test_app import run_app

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    app = run_app("app_pages/data.py")
    app.selectbox(key="table_layer.zh").set_value("incidents").run()
    table = next(d.value for d in app.dataframe if "类别代码" in d.value.columns)
    assert set(table["类别"]) <= {
        "盗窃",
        "诈骗",
        "打架斗殴",
        "矛盾纠纷",
        "噪音扰民",
        "交通事故",
        "民生诉求-投诉",
        "民生诉求-咨询",
    }
    assert "theft" in set(table["类别代码"]) or "fraud" in set(table["类别代码"])
