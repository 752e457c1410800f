"""Data model validators and the interface texts."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridmap import ValidationError
from gridmap.i18n import TEXT, t
from gridmap.schema import LAYERS, category_key, validate_layer

ROOT = Path(__file__).resolve().parent.parent


def grids(codes: list[str]) -> gpd.GeoDataFrame:
    boxes = [shapely.box(i, 0, i + 1, 1) for i in range(len(codes))]
    return gpd.GeoDataFrame({"grid_code": codes, "name": codes}, geometry=boxes, crs=4326)


def test_validation_names_layer_and_column() -> None:
    with pytest.raises(
        ValidationError, match=r"layer `grids`: missing required column\(s\) grid_code"
    ):
        validate_layer(grids(["110101001001001"]).drop(columns="grid_code"), "grids")
    # A name can be defaulted (to the code), so a layer without one is valid.
    validate_layer(grids(["110101001001001"]).drop(columns="name"), "grids")
    with pytest.raises(ValidationError, match=r"grid_code must be 15 digits.*12345"):
        validate_layer(grids(["12345"]), "grids")
    with pytest.raises(ValidationError, match=r"must be unique.*110101001001001"):
        validate_layer(grids(["110101001001001"] * 2), "grids")
    points = gpd.GeoDataFrame(
        {"grid_code": ["110101001001001"], "name": ["x"]}, geometry=[shapely.Point(0, 0)], crs=4326
    )
    with pytest.raises(ValidationError, match="geometry must be Polygon; found Point"):
        validate_layer(points, "grids")
    with pytest.raises(ValidationError, match="`layer` must be one of"):
        validate_layer(points, "roads")
    incidents = gpd.GeoDataFrame(
        {"incident_id": ["a"], "category": ["theft"], "occurred_at": ["2026-01-01"]},
        geometry=[shapely.Point(0, 0)],
        crs=4326,
    )
    with pytest.raises(ValidationError, match="occurred_at must hold date-times"):
        validate_layer(incidents, "incidents")
    incidents["occurred_at"] = pd.to_datetime(incidents["occurred_at"])
    assert validate_layer(incidents, "incidents") is incidents
    with pytest.raises(ValidationError, match="not set"):
        validate_layer(incidents.set_crs(None, allow_override=True), "incidents")


def test_category_labels_in_both_languages() -> None:
    assert category_key("民生诉求-投诉") == "request-complaint"
    assert category_key(" Traffic accident ") == "traffic"


def test_every_text_has_both_languages_and_every_used_key_exists() -> None:
    for key, (zh, en) in TEXT.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert re.findall(r"{\w+}", zh) == re.findall(r"{\w+}", en), key
    used = set()
    for path in [
        ROOT / "streamlit_app.py",
        *(ROOT / "app_pages").glob("*.py"),
        ROOT / "gridmap" / "overview.py",
    ]:
        used |= set(re.findall(r"\btr?\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert used, "no interface texts found"
    assert used <= set(TEXT), used - set(TEXT)
    with pytest.raises(KeyError, match="`key`"):
        t("no-such-key")


def test_every_rejection_reason_has_labels() -> None:
    from gridmap.i18n import REASON_LABELS
    from gridmap.io import REASONS

    assert set(REASONS) == set(REASON_LABELS)


def test_every_layer_and_column_has_labels_in_both_languages() -> None:
    from gridmap.i18n import COLUMN_LABELS, column_label, layer_label

    for name, spec in LAYERS.items():
        assert layer_label(name, "zh") == spec.label_zh != ""
        assert layer_label(name, "en") == spec.label_en != ""
        for column in spec.columns:
            assert column in COLUMN_LABELS, (name, column)
            assert column_label(column, "zh") != column_label(column, "en")


def test_messages_have_both_languages_and_survive_pickling() -> None:
    import pickle

    from gridmap.i18n import MESSAGES, Message, localize

    for key, (zh, en) in MESSAGES.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert sorted(re.findall(r"{(\w+)", zh)) == sorted(re.findall(r"{(\w+)", en)), key
    message = Message("generated_ids", n=2, column="incident_id")
    back = pickle.loads(pickle.dumps(message))
    assert (back, back.key, back.values) == (message, message.key, message.values)
    assert localize(back, "zh") != localize(back, "en") == str(message)
    with pytest.raises(KeyError, match="`key`"):
        Message("no-such-message")


# ---------------------------------------------------- sites' opening hours, patrol tracks


def sites(opens: list[object], closes: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(len(opens))], "opens": opens, "closes": closes},
        geometry=[shapely.Point(i, 0) for i in range(len(opens))],
        crs=4326,
    )


def test_site_opening_hours_must_be_clock_times() -> None:
    from gridmap.schema import clock_minutes

    good = sites(["08:00", "8:15:00", "０８：３０", None, ""], ["16:30", "24:00", None, None, ""])
    assert validate_layer(good, "sites") is good
    assert [clock_minutes(v) for v in good["opens"][:3]] == [480.0, 495.0, 510.0]
    with pytest.raises(ValidationError, match=r"layer `sites`: column opens .*not.*: 8点"):
        validate_layer(sites(["8点", "08:00"], ["16:00", "16:00"]), "sites")
    with pytest.raises(ValidationError, match=r"column closes .*: 25:00"):
        validate_layer(sites(["08:00"], ["25:00"]), "sites")


def test_the_tracks_layer_holds_timed_point_fixes() -> None:
    fixes = gpd.GeoDataFrame(
        {"time": ["2026-10-19 08:00:00", "2026-10-19 08:00:10"], "unit": ["U1", "U1"]},
        geometry=[shapely.Point(24.94, 60.17), shapely.Point(24.9401, 60.17)],
        crs=4326,
    )
    with pytest.raises(ValidationError, match="layer `tracks`: column time must hold date-times"):
        validate_layer(fixes, "tracks")
    fixes["time"] = pd.to_datetime(fixes["time"])
    assert validate_layer(fixes, "tracks") is fixes
    with pytest.raises(ValidationError, match=r"missing required column\(s\) time"):
        validate_layer(fixes.drop(columns="time"), "tracks")
    lines = fixes.set_geometry([shapely.LineString([(0, 0), (1, 1)])] * 2)
    with pytest.raises(ValidationError, match="geometry must be Point; found LineString"):
        validate_layer(lines, "tracks")
    spec = LAYERS["tracks"]
    assert (spec.label_zh, spec.label_en) == ("巡逻轨迹", "Patrol tracks")


def test_patrol_pages_read_the_columns_import_detects() -> None:
    from gridmap.io._columns import SYNONYMS, normalise_name
    from gridmap.patrol import _track_files as tracks  # where the track readers live
    from gridmap.patrol import route_views

    for role, names in (
        ("opens", route_views.OPENS_COLUMNS),
        ("closes", route_views.CLOSES_COLUMNS),
        ("time", tracks._TIME),
        ("unit", tracks._UNIT),
    ):
        known = {normalise_name(s) for s in SYNONYMS[role]}
        assert {normalise_name(n) for n in names} <= known, role


def test_a_csv_track_imports_into_the_tracks_layer_like_read_track_reads_it(
    tmp_path: Path,
) -> None:
    from gridmap.ingest import commit_import, read_into_workspace
    from gridmap.patrol.tracks import read_track
    from gridmap.store import GeoPackageStore

    times = pd.date_range("2026-10-19 08:00", periods=6, freq="10s")
    table = pd.DataFrame(
        {
            "警号": ["A12"] * 3 + ["B07"] * 3,
            "定位时间": times.strftime("%Y/%m/%d %H:%M:%S"),
            "经度": [24.9400, 24.9401, 24.9402, 24.9500, 24.9501, 24.9502],
            "纬度": [60.1700] * 6,
            "速度": ["1.2", "1.3", "1.1", "0.9", "1.0", "1.4"],
        }
    )
    path = tmp_path / "轨迹.csv"
    table.to_csv(path, index=False, encoding="gbk")  # a Chinese Windows export
    store = GeoPackageStore(tmp_path / "w.gpkg")
    result = read_into_workspace(store, path, "tracks")  # what the Data page does
    assert result.columns["time"] == "定位时间"
    assert result.columns["unit"] == "警号"
    assert result.rejected.empty
    commit_import(store, result)
    commit_import(store, read_into_workspace(store, path, "tracks"))  # a second day: appended
    layer = store.read("tracks")
    assert len(layer) == 12
    assert "synthetic" not in layer  # a file's fixes are real (see the sample's test)
    # The same file read by the patrol journey's own reader gives the same fixes.
    direct = read_track(path)
    stored = layer.iloc[:6]
    assert stored["unit"].tolist() == direct["unit"].tolist()
    assert (stored["time"].to_numpy() == direct["time"].to_numpy()).all()
    assert shapely.equals_exact(
        stored.geometry.to_numpy(), direct.geometry.to_numpy(), tolerance=1e-9
    ).all()
    assert pd.to_numeric(stored["speed"]).tolist() == [1.2, 1.3, 1.1, 0.9, 1.0, 1.4]


def test_school_gate_times_import_and_become_patrol_windows(tmp_path: Path) -> None:
    from gridmap.io import import_file
    from gridmap.patrol import route_views

    path = tmp_path / "学校.csv"
    pd.DataFrame(
        {
            "目标编号": ["X1", "X2", "X3"],
            "名称": ["一小", "二小", "商场"],
            "类型": ["学校", "学校", "商场"],
            "经度": [116.30, 116.31, 116.32],
            "纬度": [39.90, 39.91, 39.92],
            "上课时间": ["8:00", "07:50", ""],
            "放学时间": ["16:30", "15:40:00", ""],
        }
    ).to_csv(path, index=False)
    data = import_file(path, "sites").data
    assert data["opens"].tolist()[:2] == ["8:00", "07:50"]
    assert data["closes"].tolist()[:2] == ["16:30", "15:40:00"]
    validate_layer(data, "sites")
    stops = route_views.candidate_stops(sites=data, site_kinds=["school"])
    # School gates: 30 minutes before classes start to 30 minutes after dismissal.
    assert stops["opens"].tolist() == [8 * 60 - 30, 7 * 60 + 50 - 30]
    assert stops["closes"].tolist() == [16 * 60 + 30 + 30, 15 * 60 + 40 + 30]
