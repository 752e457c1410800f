"""Field gaps of first real use: two-row headers, split date and time columns, and points
in China imported with no coordinate system chosen (library, CLI and Data page)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gridmap.io import import_file, read_table
from tests.test_field_inputs import case, metres

TRUTH = {"JQ001": (116.397428, 39.90923), "JQ002": (116.46, 39.95)}
TIMES = {"JQ001": "2023-05-01 09:10", "JQ002": "2023-05-01 22:20"}


def check(result) -> None:  # type: ignore[no-untyped-def]
    data = result.data.set_index("incident_id")
    assert sorted(data.index) == sorted(TRUTH)
    for incident, (lon, lat) in TRUTH.items():
        point = data.loc[incident, "geometry"]
        assert metres(lon, lat, point.x, point.y) < 0.05
        assert data.loc[incident, "occurred_at"] == pd.Timestamp(TIMES[incident])
    assert len(result.rejected) == 0


# ----------------------------------------------------------------------- two-row headers


def test_real_excel_ledger_with_a_two_row_header() -> None:
    result = import_file(case("excel_two_row_header.xlsx"), "incidents")
    check(result)
    assert result.columns["lon"] == "经度"
    assert result.columns["lat"] == "纬度"
    assert result.columns["incident_id"] == "编号"


HEADER = [["编号", "发生时间", "类别", "坐标", None], [None, None, None, "经度", "纬度"]]
ROWS = [
    ["JQ001", "2023-05-01 09:10", "盗窃", 116.397428, 39.90923],
    ["JQ002", "2023-05-01 22:20", "盗窃", 116.46, 39.95],
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    path.write_bytes((text + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_with_a_two_row_header(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "台账.csv", HEADER + ROWS, encoding)
    result = import_file(path, "incidents")
    check(result)
    assert result.rejected.empty
    assert list(result.data.index) == [0, 1]


def test_two_row_header_below_a_title_row_and_row_numbers(tmp_path: Path) -> None:
    rows = [
        ["朝阳区警情台账 2023年5月"],
        *HEADER,
        ROWS[0],
        ["JQ002", "不是时间", "盗窃", 116.46, 39.95],
    ]
    for path in (write_csv(tmp_path / "t.csv", rows), write_xlsx(tmp_path / "t.xlsx", rows)):
        result = import_file(path, "incidents")
        assert list(result.data["incident_id"]) == ["JQ001"]
        assert result.rejected["row"].tolist() == [5]  # title, two header rows, JQ001


def test_xlsx_two_row_header_where_the_names_are_in_the_second_row_first(tmp_path: Path) -> None:
    # The second row answers more roles than the first: still one header with the first.
    header = [["编号", "发生时间", "位置", None, None], [None, None, "类别", "经度", "纬度"]]
    path = write_xlsx(tmp_path / "t.xlsx", header + ROWS)
    result = import_file(path, "incidents")
    assert result.columns["incident_id"] == "编号"
    assert result.columns["category"] == "类别"
    assert len(result.data) == 2


def test_one_row_header_unchanged(tmp_path: Path) -> None:
    # A first data row of text under a header with a blank name is data, not a header.
    rows = [
        ["编号", "类别", "发生时间", "经度", "纬度", None],
        *[[*r[:1], r[2], r[1], *r[3:]] for r in ROWS],
    ]
    rows[1], rows[2] = [*rows[1], "x"], [*rows[2], ""]
    path = write_csv(tmp_path / "t.csv", rows)
    result = import_file(path, "incidents")
    assert len(result.data) == 2
    assert read_table(path).columns[:3].tolist() == ["编号", "类别", "发生时间"]


def test_preview_shows_the_combined_header(tmp_path: Path) -> None:
    for path in (
        write_csv(tmp_path / "t.csv", HEADER + ROWS),
        write_xlsx(tmp_path / "t.xlsx", HEADER + ROWS),
    ):
        assert read_table(path).columns.tolist() == ["编号", "发生时间", "类别", "经度", "纬度"]


# ------------------------------------------------------------- date and time side by side


SPLIT = [
    ["编号", "类别", "日期", "时间", "经度", "纬度"],
    ["JQ001", "盗窃", "2023-05-01", "09:10", 116.397428, 39.90923],
    ["JQ002", "盗窃", "2023/5/1", "22:20:00", 116.46, 39.95],
]


def test_csv_split_date_and_time_columns(tmp_path: Path) -> None:
    result = import_file(write_csv(tmp_path / "t.csv", SPLIT), "incidents")
    check(result)
    assert "date_time_joined" in [getattr(w, "key", None) for w in result.warnings]


def test_xlsx_split_date_and_time_cells(tmp_path: Path) -> None:
    import datetime as dt

    rows = [
        ["编号", "类别", "发生日期", "发生时间", "经度", "纬度"],
        ["JQ001", "盗窃", dt.date(2023, 5, 1), dt.time(9, 10), 116.397428, 39.90923],
        ["JQ002", "盗窃", dt.datetime(2023, 5, 1), dt.time(22, 20), 116.46, 39.95],
    ]
    check(import_file(write_xlsx(tmp_path / "t.xlsx", rows), "incidents"))


def test_split_date_and_time_in_a_two_row_header(tmp_path: Path) -> None:
    rows = [
        ["编号", "类别", "发生时间", None, "坐标", None],
        [None, None, "日期", "时间", "经度", "纬度"],
        ["JQ001", "盗窃", "2023年5月1日", "上午9:10", 116.397428, 39.90923],
        ["JQ002", "盗窃", "2023年5月1日", "下午10:20", 116.46, 39.95],
    ]
    for path in (write_csv(tmp_path / "t.csv", rows), write_xlsx(tmp_path / "t.xlsx", rows)):
        check(import_file(path, "incidents"))


def test_a_full_date_time_column_is_not_joined(tmp_path: Path) -> None:
    rows = [["编号", "类别", "发生时间", "时刻", "经度", "纬度"]] + [
        [r[0], "盗窃", TIMES[r[0]], "08:00", r[3], r[4]] for r in ROWS
    ]
    result = import_file(write_csv(tmp_path / "t.csv", rows), "incidents")
    check(result)
    assert "date_time_joined" not in [getattr(w, "key", None) for w in result.warnings]
    assert np.all(result.data["时刻"] == "08:00")


# ----------------------------------------------- points in China with no system chosen


@pytest.fixture
def beijing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A workspace in central Beijing with a street layer, and a CSV of GCJ-02 points on
    its streets (as Amap writes them) naming no coordinate system."""
    import geopandas as gpd
    import shapely

    from gridmap import crs as C
    from gridmap.datasets import get_path
    from gridmap.store import GeoPackageStore, open_workspace

    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    streets = open_workspace(get_path("helsinki"), create=False).read("streets")
    moved = streets.geometry.translate(xoff=116.40 - 24.94, yoff=39.91 - 60.17)
    west, south, east, north = moved.total_bounds
    tiles = [
        streets.set_geometry(moved.translate(xoff=i * (east - west), yoff=j * (north - south)))
        for i in (-1, 0, 1)
        for j in (-1, 0, 1)
    ]
    network = gpd.GeoDataFrame(pd.concat(tiles, ignore_index=True), crs=4326)
    id_column = next((c for c in network.columns if c.endswith("_id")), None)
    if id_column:
        network[id_column] = [f"S{i}" for i in range(len(network))]
    path = tmp_path / "北京.gpkg"
    GeoPackageStore(path).write("streets", network, author="测试", message="streets")
    rng = np.random.default_rng(7)
    lines = moved.iloc[rng.integers(0, len(moved), 60)].to_numpy()
    points = shapely.line_interpolate_point(lines, rng.uniform(0, 1, 60), normalized=True)
    lon, lat = C.from_wgs84(shapely.get_x(points), shapely.get_y(points), "gcj02")
    text = "编号,类别,发生时间,经度,纬度\n" + "".join(
        f"G-{i},盗窃,2026-10-01 10:00,{x:.6f},{y:.6f}\n"
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    )
    return path, text


def test_cli_names_the_system_the_streets_suggest(
    beijing: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gridmap.cli import main

    path, text = beijing
    csv = tmp_path / "高德.csv"
    csv.write_text(text, encoding="utf-8")
    args = ["-w", str(path), "import", str(csv), "--layer", "incidents", "--dry-run"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "WARNING: coordinate system not chosen" in err
    assert "streets say --crs gcj02" in err, err
    assert main([*args, "--crs", "gcj02"]) == 0
    assert "coordinate system not chosen" not in capsys.readouterr().err


def test_data_page_asks_for_the_system_of_points_in_china(beijing: tuple[Path, str]) -> None:
    from tests.test_app import run_app

    path, text = beijing
    app = run_app("app_pages/data.py", editor="张三", workspace=str(path))
    app.file_uploader(key="upload_file").set_value(("高德.csv", text.encode(), "text/csv")).run()
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    pick = app.radio(key="upload_crs_china_pick.zh")
    assert pick.value is None  # nothing pre-selected
    assert app.button(key="upload_commit").disabled
    assert any("没有选择坐标系" in w.value for w in app.warning), [w.value for w in app.warning]
    assert any("建议" in i.value and "gcj02" in i.value for i in app.info), [
        i.value for i in app.info
    ]
    pick.set_value("gcj02").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.button(key="upload_commit").disabled
    assert not [r for r in app.radio if r.key == "upload_crs_china_pick.zh"]
    app.button(key="upload_commit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    from gridmap import crs as C
    from gridmap.store import GeoPackageStore

    data = GeoPackageStore(path, create=False).read("incidents")
    assert len(data) == 60
    # Stored in WGS-84: the GCJ-02 shift (hundreds of metres) undone.
    first = text.splitlines()[1].split(",")
    wgs = C.to_wgs84(np.array([float(first[3])]), np.array([float(first[4])]), "gcj02")
    got = data.set_index("incident_id").loc["G-0", "geometry"]
    assert metres(wgs[0][0], wgs[1][0], got.x, got.y) < 1
