"""Tests of gridmap.io: real files in every format, encoding and coordinate system.

Every file is built in ``tmp_path`` the way users' tools write them: Excel-in-China GBK CSV,
UTF-8 with a byte-order mark, workbooks with real date cells and serial numbers, Shapefiles
whose .dbf is GBK without a .cpg, surveyors' Gauss-Krüger tables with X as the northing.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from gridmap._errors import ImportFileError, ValidationError
from gridmap.crs import from_wgs84
from gridmap.i18n import Message, localize
from gridmap.io import (
    DEFAULT_MAX_BYTES,
    REASONS,
    ImportResult,
    detect_columns,
    detect_encoding,
    export_layer,
    import_file,
    list_parts,
    read_table,
)
from gridmap.schema import validate_layer

HELSINKI = (24.90, 60.15, 24.98, 60.19)  # workspace bounds of the sample street office
HEADER = "事件编号,类别,发生时间,经度,纬度,描述"


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def incident_frame(n: int = 20, *, seed: int = 7, lon0: float = 24.94, lat0: float = 60.17):
    rng = np.random.default_rng(seed)
    labels = np.array(["盗窃", "诈骗", "打架斗殴", "噪音扰民"])
    start = pd.Timestamp("2026-03-01 08:00")
    times = start + pd.to_timedelta(rng.integers(0, 30 * 24 * 60, n), unit="min")
    return pd.DataFrame(
        {
            "事件编号": [f"INC{i:05d}" for i in range(1, n + 1)],
            "类别": labels[rng.integers(0, len(labels), n)],
            "发生时间": times.strftime("%Y-%m-%d %H:%M:%S"),
            "经度": np.round(lon0 + rng.uniform(-0.02, 0.02, n), 7),
            "纬度": np.round(lat0 + rng.uniform(-0.01, 0.01, n), 7),
            "描述": [f"某小区{i}号楼下电动车被盗" for i in range(n)],
        }
    )


def write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8") -> Path:
    path.write_bytes(frame.to_csv(index=False).encode(encoding))
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def reasons_by_row(result: ImportResult) -> dict[int, str]:
    return dict(zip(result.rejected["row"].astype(int), result.rejected["reason"], strict=True))


# ------------------------------------------------------------------------- encodings


def test_detect_encoding_tells_utf8_bom_gbk_and_gb18030():
    assert detect_encoding("经度,纬度\n".encode()) == "utf-8"
    assert detect_encoding("经度,纬度\n".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("经度,纬度\n盗窃".encode("gbk")) == "gbk"
    assert detect_encoding("名称\n𠀀".encode("gb18030")) == "gb18030"  # outside GBK
    assert detect_encoding(b"plain ascii") == "utf-8"
    # a sample cut in the middle of a character is still UTF-8
    assert detect_encoding("经度".encode()[:4]) == "utf-8"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_imports_chinese_text(tmp_path, encoding):
    frame = incident_frame(12)
    path = write_csv(tmp_path / "警情.csv", frame, encoding)
    result = import_file(path, "incidents")
    assert result.encoding == encoding
    assert result.rejected.empty
    assert result.warnings == []
    data = result.data
    assert len(data) == 12
    assert data.crs.to_epsg() == 4326
    assert list(data["incident_id"]) == list(frame["事件编号"])
    assert list(data["description"]) == list(frame["描述"])
    assert set(data["category"]) <= {"theft", "fraud", "fight", "noise"}
    assert str(data["occurred_at"].dtype) == "datetime64[ms]"
    assert data["occurred_at"].iloc[0] == pd.Timestamp(frame["发生时间"].iloc[0])
    np.testing.assert_allclose(data.geometry.x, frame["经度"])
    np.testing.assert_allclose(data.geometry.y, frame["纬度"])
    assert result.columns == {
        "lon": "经度",
        "lat": "纬度",
        "incident_id": "事件编号",
        "category": "类别",
        "occurred_at": "发生时间",
        "description": "描述",
    }
    assert result.source_crs == "EPSG:4326"
    validate_layer(data, "incidents")


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path):
    frame = incident_frame(5)
    path = tmp_path / "unicode.txt"
    path.write_bytes(frame.to_csv(index=False, sep="\t").encode("utf-16"))
    result = import_file(path, "incidents")
    assert result.encoding == "utf-16"
    assert list(result.data["description"]) == list(frame["描述"])


def test_gbk_text_after_the_first_megabyte_is_still_detected(tmp_path):
    english = {
        "事件编号": "id",
        "类别": "category",
        "发生时间": "time",
        "经度": "lon",
        "纬度": "lat",
    }
    ascii_rows = incident_frame(15_000).assign(类别="theft", 描述="plain ascii text")
    chinese = incident_frame(5, seed=1).assign(事件编号=[f"ZH{i}" for i in range(5)])
    frame = pd.concat([ascii_rows, chinese]).rename(columns=english | {"描述": "description"})
    raw = frame.to_csv(index=False).encode("gbk")
    assert np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) > 127)[0] > 1 << 20
    path = tmp_path / "big.csv"
    path.write_bytes(raw)
    result = import_file(path, "incidents")
    assert result.encoding == "gbk"
    assert len(result.data) == 15_005
    assert list(result.data["description"].iloc[-5:]) == list(chinese["描述"])


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Hämeentie Käpylän koulu", "cp1252"),  # also valid GBK: 0xE4 0x6D is 鋗
        ("Hämeentie Töölö Åbo", "cp1252"),
        ("Töölön kisahalli – “Kallio”", "cp1252"),  # cp1252's own punctuation
        ("Hämeentie Käpylän koulu", "latin-1"),
    ],
)
def test_western_8bit_csv_is_read_as_cp1252_with_a_warning(tmp_path, text, encoding):
    raw = f"id,time,lon,lat,category,description\nE1,2026-03-01,24.94,60.17,theft,{text}\n"
    path = write_text(tmp_path / "fi.csv", raw, encoding)
    result = import_file(path, "incidents")
    assert result.encoding == "cp1252"
    assert result.data["description"].iloc[0] == text
    assert any("cp1252" in w and "`encoding`" in w for w in result.warnings)
    assert detect_encoding(path.read_bytes()) == "cp1252"


def test_explicit_encoding_that_does_not_fit_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", incident_frame(3), "gbk")
    with pytest.raises(ImportFileError, match="not valid utf-8"):
        import_file(path, "incidents", encoding="utf-8")
    with pytest.raises(ValidationError, match="`encoding`"):
        import_file(path, "incidents", encoding="no-such-codec")


# -------------------------------------------------------------------- table layouts


def test_title_rows_semicolons_and_blank_lines_keep_row_numbers(tmp_path):
    text = (
        "XX派出所2026年3月警情统计表\n"
        "\n"
        "事件编号;类别;发生时间;经度;纬度\n"  # header on line 3
        "A1;盗窃;2026-03-01 10:00;24.94;60.17\n"
        "\n"
        "A2;诈骗;2026-03-01 11:00;24.95;oops\n"  # line 6
        "A3;诈骗;2026-03-01 12:00;24.95;60.18;extra\n"  # line 7: one value too many
        "A4;诈骗;2026-03-01 13:00;24.95;60.18\n"
    )
    result = import_file(write_text(tmp_path / "t.csv", text), "incidents")
    assert list(result.data["incident_id"]) == ["A1", "A4"]
    assert reasons_by_row(result) == {6: "non_numeric_coordinate", 7: "malformed_row"}
    assert result.rejected.loc[result.rejected["row"] == 7, "line"].item().endswith("extra")


def test_read_table_previews_strings_as_import_sees_them(tmp_path):
    frame = incident_frame(30)
    path = write_csv(tmp_path / "p.csv", frame, "gbk")
    preview = read_table(path, nrows=5)
    assert list(preview.columns) == HEADER.split(",")
    assert len(preview) == 5
    assert all(pd.api.types.is_string_dtype(preview[c]) for c in preview.columns)
    assert preview["经度"].iloc[0] == str(frame["经度"].iloc[0])
    assert len(read_table(path)) == 30


def test_detect_columns_in_chinese_english_and_with_units():
    found = detect_columns(["ID", "Type", "Date", "LNG", "Lat", "内容"], "incidents")
    assert found == {
        "lon": "LNG",
        "lat": "Lat",
        "incident_id": "ID",
        "category": "Type",
        "occurred_at": "Date",
        "description": "内容",
    }
    sites = detect_columns(["名称", "类型", "经度（WGS84）", "纬度(°)", "编号"], "sites")
    assert sites == {
        "lon": "经度（WGS84）",
        "lat": "纬度(°)",
        "site_id": "编号",
        "name": "名称",
        "kind": "类型",
    }
    grids = detect_columns(["WGBM", "WGMC", "户数", "网格员"], "grids")
    assert grids == {"grid_code": "WGBM", "name": "WGMC", "households": "户数", "worker": "网格员"}


def test_missing_required_column_names_it_and_lists_the_columns(tmp_path):
    frame = incident_frame(3).drop(columns=["发生时间"])
    path = write_csv(tmp_path / "no_time.csv", frame)
    with pytest.raises(ValidationError) as info:
        import_file(path, "incidents")
    message = str(info.value)
    assert "`incidents`" in message
    assert "occurred_at" in message
    assert "事件编号, 类别, 经度, 纬度, 描述" in message


def test_columns_override_maps_unusual_names(tmp_path):
    frame = incident_frame(4).rename(columns={"发生时间": "受理日期", "类别": "警情性质"})
    path = write_csv(tmp_path / "odd.csv", frame)
    result = import_file(
        path, "incidents", columns={"occurred_at": "受理日期", "category": "警情性质"}
    )
    assert result.columns["occurred_at"] == "受理日期"
    assert len(result.data) == 4
    with pytest.raises(ValidationError, match="`columns` key 'when'"):
        import_file(path, "incidents", columns={"when": "受理日期"})
    with pytest.raises(ValidationError, match="not in the file"):
        import_file(path, "incidents", columns={"occurred_at": "nope"})


def test_ids_are_generated_when_the_file_has_none(tmp_path):
    path = write_csv(tmp_path / "calls.csv", incident_frame(3).drop(columns=["事件编号"]))
    result = import_file(path, "incidents")
    assert list(result.data["incident_id"]) == ["calls-2", "calls-3", "calls-4"]
    assert any("no incident_id column" in w and "calls-2" in w for w in result.warnings)
    book = openpyxl.Workbook()
    book.active.append(["报警时间", "经度", "纬度", "警情类别"])
    book.active.append([dt.datetime(2026, 3, 1, 10), 116.397, 39.908, "盗窃"])
    book.save(tmp_path / "警情.xlsx")
    workbook = import_file(tmp_path / "警情.xlsx", "incidents")
    assert list(workbook.data["incident_id"]) == ["警情-2"]
    assert any("generated ids" in w and "警情-2" in w for w in workbook.warnings)
    again = import_file(path, "incidents", existing_ids=result.data["incident_id"])
    assert again.data.empty
    assert set(again.rejected["reason"]) == {"duplicate_id"}


def test_unknown_categories_are_kept_with_a_warning_and_default_category(tmp_path):
    frame = incident_frame(6)
    frame.loc[[0, 1], "类别"] = "抢劫"
    frame.loc[2, "类别"] = "Fraud"
    frame.loc[3, "类别"] = None
    path = write_csv(tmp_path / "c.csv", frame)
    result = import_file(path, "incidents", default_category="其他")
    assert list(result.data["category"].iloc[:4]) == ["抢劫", "抢劫", "fraud", "其他"]
    assert any("抢劫 (2)" in w for w in result.warnings)
    assert not any("其他" in w for w in result.warnings)  # the user's own default
    no_column = write_csv(tmp_path / "n.csv", frame.drop(columns=["类别"]))
    assert set(import_file(no_column, "incidents", default_category="盗窃").data["category"]) == {
        "theft"
    }


def test_html_in_user_text_is_kept_verbatim(tmp_path):
    frame = incident_frame(2)
    frame.loc[0, "描述"] = '<script>alert("x")</script> & <b>门口</b>'
    path = write_csv(tmp_path / "html.csv", frame)
    result = import_file(path, "incidents")
    assert result.data["description"].iloc[0] == '<script>alert("x")</script> & <b>门口</b>'


def test_columns_a_geopackage_cannot_store_are_renamed_and_the_layer_writes(tmp_path):
    from gridmap.store import GeoPackageStore

    text = (
        "FID,id,time,lon,lat,category,fid_1,geom,Name,name,Category\n"
        "0,Q1,2026-10-01 10:00,24.94,60.17,theft,a,hello,x,y,z\n"
        "1,Q2,2026-10-01 10:00,24.94,60.17,theft,b,world,x,y,z\n"
    )
    result = import_file(write_text(tmp_path / "arcgis.csv", text), "incidents")
    assert len(result.data) == 2
    columns = [c for c in result.data.columns if c != "geometry"]
    assert len({c.lower() for c in columns}) == len(columns)
    assert {"FID_source", "geom_source", "Name", "name_2", "Category_2"} <= set(columns)
    assert list(result.data["FID_source"]) == ["0", "1"]
    assert list(result.data["name_2"]) == ["y", "y"]
    assert list(result.data["category"]) == ["theft", "theft"]
    assert any("FID → FID_source" in w and "name → name_2" in w for w in result.warnings)
    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write("incidents", result.data, message="import")
    back = store.read("incidents")
    assert list(back["geom_source"]) == ["hello", "world"]
    assert list(back["Category_2"]) == ["z", "z"]


# ------------------------------------------------------------------------------ times


def test_time_formats_users_write(tmp_path):
    forms = {
        "2026-03-01T10:00:00": "2026-03-01 10:00",
        "2026/03/01 10:00": "2026-03-01 10:00",
        "2026-3-1": "2026-03-01 00:00",
        "2026年3月1日 10时": "2026-03-01 10:00",
        "2026年3月1日 10时30分": "2026-03-01 10:30",
        "2026.03.01": "2026-03-01 00:00",
        "46082.4375": "2026-03-01 10:30",
        "20260301": "2026-03-01 00:00",
        "2026年3月1日下午3点": "2026-03-01 15:00",
    }
    frame = incident_frame(len(forms)).assign(发生时间=list(forms))
    result = import_file(write_csv(tmp_path / "t.csv", frame), "incidents")
    assert result.rejected.empty
    expected = pd.to_datetime(pd.Series(list(forms.values())))
    assert list(result.data["occurred_at"]) == list(expected)


def test_times_with_offsets_are_put_on_one_local_clock(tmp_path):
    text = "\n".join(
        [
            "id,time,lon,lat,category,处理时间",
            "T1,2026-10-01T10:00:00+08:00,116.4,39.9,theft,2026-10-01T11:00+08:00",
            "T2,2026-10-01T02:00:00Z,116.4,39.9,theft,",
            "T3,2026-10-01 10:00,116.4,39.9,theft,",  # no offset: kept as written
            "T4,2026-10-01T05:00:00+03:00,116.4,39.9,theft,",
        ]
    )
    path = write_text(tmp_path / "tz.csv", text)
    result = import_file(path, "incidents")
    assert list(result.data["occurred_at"]) == [pd.Timestamp("2026-10-01 10:00")] * 4
    assert result.data["handled_at"].iloc[0] == pd.Timestamp("2026-10-01 11:00")
    assert any(
        "4 date-time(s) carry a time-zone offset" in w and "converted to UTC+08:00" in w
        for w in result.warnings
    )
    helsinki = import_file(path, "incidents", timezone="Europe/Helsinki")
    assert list(helsinki.data["occurred_at"]) == [
        pd.Timestamp("2026-10-01 05:00"),
        pd.Timestamp("2026-10-01 05:00"),
        pd.Timestamp("2026-10-01 10:00"),
        pd.Timestamp("2026-10-01 05:00"),
    ]
    assert any("local time in Europe/Helsinki" in w for w in helsinki.warnings)
    same = write_text(
        tmp_path / "same.csv", text.replace("Z,", "+08:00,").replace("+03:00", "+08:00")
    )
    assert import_file(same, "incidents").data["occurred_at"].iloc[3] == pd.Timestamp(
        "2026-10-01 05:00"
    )
    with pytest.raises(ValidationError, match="`timezone`"):
        import_file(path, "incidents", timezone="Mars/Olympus")


def test_unix_timestamps_are_read_as_utc(tmp_path):
    text = "\n".join(
        [
            "id,time,lon,lat,category",
            "U1,1772330400,116.4,39.9,theft",  # 2026-03-01 02:00 UTC
            "U2,1772330400000,116.4,39.9,theft",  # the same in milliseconds
        ]
    )
    path = write_text(tmp_path / "app.csv", text)
    result = import_file(path, "incidents")
    assert list(result.data["occurred_at"]) == [pd.Timestamp("2026-03-01 02:00")] * 2
    assert any("2 date-time(s) are Unix timestamps" in w for w in result.warnings)
    local = import_file(path, "incidents", timezone="Asia/Shanghai")
    assert list(local.data["occurred_at"]) == [pd.Timestamp("2026-03-01 10:00")] * 2
    mixed = write_text(
        tmp_path / "mixed.csv", text + "\nU3,2026-03-01T09:00+08:00,116.4,39.9,theft"
    )
    assert list(import_file(mixed, "incidents").data["occurred_at"]) == [
        pd.Timestamp("2026-03-01 10:00"),
        pd.Timestamp("2026-03-01 10:00"),
        pd.Timestamp("2026-03-01 09:00"),
    ]
    book = openpyxl.Workbook()
    book.active.append(["id", "time", "lon", "lat", "category"])
    book.active.append(["X1", 1772330400, 116.4, 39.9, "theft"])
    book.save(tmp_path / "app.xlsx")
    excel = import_file(tmp_path / "app.xlsx", "incidents")
    assert excel.data["occurred_at"].iloc[0] == pd.Timestamp("2026-03-01 02:00")


def test_bad_and_missing_times_are_rejected(tmp_path):
    frame = incident_frame(4)
    frame.loc[1, "发生时间"] = "昨天晚上"
    frame.loc[2, "发生时间"] = None
    frame["办结时间"] = ["2026-03-02", "", "", "not a time"]
    result = import_file(write_csv(tmp_path / "t.csv", frame), "incidents")
    assert reasons_by_row(result) == {3: "bad_time", 4: "missing_value", 5: "bad_time"}
    row3 = result.rejected.set_index("row").loc[3]
    assert row3["发生时间"] == "昨天晚上"
    assert "occurred_at (发生时间) '昨天晚上'" in row3["message"]
    assert result.data["handled_at"].iloc[0] == pd.Timestamp("2026-03-02")


def test_xlsx_with_date_cells_serial_numbers_and_a_title_row(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "3月"
    sheet.append(["XX街道3月事件台账"])
    sheet.append(["编号", "类别", "发生时间", "经度", "纬度", "内容"])  # row 2
    sheet.append([1001, "盗窃", dt.datetime(2026, 3, 1, 10, 0), 24.94, 60.17, "门口"])
    sheet.append([1002, "诈骗", 46082.4375, 24.95, 60.18, None])
    sheet.append([1003, "诈骗", "2026年3月1日 10时30分", "24.95", "60.18", "x"])
    sheet.append([None, None, None, None, None, None])  # an empty row in between
    sheet.append([1004, "诈骗", "？", 24.95, 60.18, "x"])  # row 7
    path = tmp_path / "台账.xlsx"
    book.save(path)
    result = import_file(path, "incidents", sheet="3月")
    assert list(result.data["incident_id"]) == ["1001", "1002", "1003"]
    assert list(result.data["occurred_at"]) == [
        pd.Timestamp("2026-03-01 10:00"),
        pd.Timestamp("2026-03-01 10:30"),
        pd.Timestamp("2026-03-01 10:30"),
    ]
    assert reasons_by_row(result) == {7: "bad_time"}
    assert result.encoding is None
    preview = read_table(path, sheet=0)
    assert list(preview.columns) == ["编号", "类别", "发生时间", "经度", "纬度", "内容"]
    assert list(preview["编号"]) == ["1001", "1002", "1003", "1004"]
    assert preview["发生时间"].iloc[0] == "2026-03-01 10:00:00"
    with pytest.raises(ValidationError, match="`sheet` 'April'"):
        import_file(path, "incidents", sheet="April")


# -------------------------------------------------------------------------- bad rows


def test_every_bad_row_reason_for_point_tables(tmp_path):
    text = "\n".join(
        [
            HEADER,
            "A1,盗窃,2026-03-01 10:00,24.94,60.17,ok",  # row 2
            "A2,盗窃,2026-03-01 10:00,,60.17,missing lon",  # 3
            "A3,盗窃,2026-03-01 10:00,24.94,北纬六十度,not a number",  # 4
            "A4,盗窃,2026-03-01 10:00,24.94,95.5,out of range",  # 5
            "A5,盗窃,2026-03-01 10:00,116.39,39.9,Beijing is far from Helsinki",  # 6
            "A6,盗窃,2026-03-32 10:00,24.94,60.17,bad time",  # 7
            "A1,盗窃,2026-03-01 11:00,24.94,60.17,repeats A1",  # 8
            "A7,盗窃,2026-03-01 11:00,24.94,60.17,already in the workspace",  # 9
            "A8,,2026-03-01 11:00,24.94,60.17,no category",  # 10
            "A9,盗窃,2026-03-01 11:00,24.94,60.17,too,many",  # 11
            "A10,盗窃,2026-03-01 11:00,24°56′24″E,60°10′12″N,degrees",  # 12
        ]
    )
    result = import_file(
        write_text(tmp_path / "bad.csv", text),
        "incidents",
        workspace_bounds=HELSINKI,
        existing_ids=["A7"],
    )
    assert reasons_by_row(result) == {
        3: "missing_coordinate",
        4: "non_numeric_coordinate",
        5: "out_of_range",
        6: "far_outside_workspace",
        7: "bad_time",
        8: "duplicate_id",
        9: "duplicate_id",
        10: "missing_value",
        11: "malformed_row",
    }
    assert set(result.rejected["reason"]) <= set(REASONS)
    assert list(result.data["incident_id"]) == ["A1", "A10"]
    assert result.data.geometry.iloc[1].x == pytest.approx(24.94)
    assert result.data.geometry.iloc[1].y == pytest.approx(60.17)
    rejected = result.rejected.set_index("row")
    assert rejected.loc[4, "纬度"] == "北纬六十度"  # the raw value, as written
    assert "repeats row 2" in rejected.loc[8, "message"]
    assert "already in the workspace" in rejected.loc[9, "message"]
    assert "km outside the workspace" in rejected.loc[6, "message"]
    assert all(rejected["message"].str.len() > 5)


def test_coordinates_with_hemisphere_letters_and_chinese_prefixes(tmp_path):
    forms = [
        ("116.404E", "39.926N"),
        ("E116.404", "N39.926"),
        ("116.404°E", "39.926°N"),
        ("东经116.404", "北纬39.926"),
        ("E 116.404", "39.926 n"),
        ("ｅ１１６．４０４", "Ｎ３９．９２６"),
    ]
    rows = [f"A{i},2026-03-02,{x},{y},盗窃" for i, (x, y) in enumerate(forms)]
    rows += ["W1,2026-03-02,73.5W,40.7N,盗窃", "X1,2026-03-02,E116.4E,39.9,盗窃"]
    text = "\n".join(["编号,时间,经度,纬度,类别", *rows])
    result = import_file(write_text(tmp_path / "en.csv", text, "gbk"), "incidents")
    assert reasons_by_row(result) == {len(forms) + 3: "non_numeric_coordinate"}
    data = result.data.set_index("incident_id")
    np.testing.assert_allclose(data.geometry.x.iloc[: len(forms)], 116.404)
    np.testing.assert_allclose(data.geometry.y.iloc[: len(forms)], 39.926)
    assert (data.geometry.x["W1"], data.geometry.y["W1"]) == (-73.5, 40.7)


def test_null_island_rows_are_rejected(tmp_path):
    text = "\n".join(
        [
            "编号,时间,经度,纬度,类别",
            "B1,2026-03-01 10:00,116.40,39.90,盗窃",
            "B2,2026-03-01 10:00,0,0,盗窃",  # row 3: a GPS without a fix
            "B3,2026-03-01 10:00,0.0,39.90,盗窃",  # only one zero: a real meridian
        ]
    )
    result = import_file(write_text(tmp_path / "bj.csv", text), "incidents")
    assert reasons_by_row(result) == {3: "zero_coordinate"}
    assert "(0, 0)" in result.rejected["message"].iloc[0]
    assert list(result.data["incident_id"]) == ["B1", "B3"]
    sites = sites_gdf().assign(geometry=gpd.points_from_xy([24.94, 0, 24.95], [60.17, 0, 60.17]))
    path = tmp_path / "sites.geojson"
    pyogrio.write_dataframe(sites.set_crs(4326, allow_override=True), path, driver="GeoJSON")
    assert reasons_by_row(import_file(path, "sites")) == {2: "zero_coordinate"}


def test_swapped_columns_are_swapped_back(tmp_path):
    frame = incident_frame(10, lon0=116.39, lat0=39.91)
    swapped = frame.rename(columns={"经度": "纬度", "纬度": "经度"})
    result = import_file(write_csv(tmp_path / "s.csv", swapped), "incidents")
    assert any("look swapped" in w and "beyond ±90" in w for w in result.warnings)
    np.testing.assert_allclose(result.data.geometry.x, frame["经度"])
    assert result.columns["lon"] == "纬度"


def test_swapped_columns_detected_from_the_workspace(tmp_path):
    frame = incident_frame(10)  # Helsinki: both readings are valid degrees
    swapped = frame.rename(columns={"经度": "纬度", "纬度": "经度"})
    path = write_csv(tmp_path / "s.csv", swapped)
    result = import_file(path, "incidents", workspace_bounds=HELSINKI)
    assert any("inside the workspace" in w for w in result.warnings)
    np.testing.assert_allclose(result.data.geometry.y, frame["纬度"])
    unchecked = import_file(path, "incidents")
    assert unchecked.warnings == []
    np.testing.assert_allclose(unchecked.data.geometry.y, frame["经度"])


def test_single_swapped_rows_are_swapped_back(tmp_path):
    rows = [f"S{i},2026-10-01,{39.9 + i * 1e-3},{116.4 + i * 1e-3},盗窃" for i in range(10)]
    rows.append("T1,2026-10-01,116.4,39.9,盗窃")  # the one row written the right way
    text = "\n".join(["编号,时间,经度,纬度,类别", *rows])
    result = import_file(write_text(tmp_path / "bj.csv", text), "incidents")
    assert result.rejected.empty
    assert any("columns look swapped" in w for w in result.warnings)
    assert any("1 row(s) had latitude and longitude" in w for w in result.warnings)
    np.testing.assert_allclose(
        result.data.geometry.x, [116.4 + i * 1e-3 for i in range(10)] + [116.4]
    )
    one = "\n".join(
        [
            "编号,时间,经度,纬度,类别",
            "A1,2026-03-01,116.397,39.908,盗窃",
            "A2,2026-03-01,39.912,116.401,盗窃",
        ]
    )
    single = import_file(write_text(tmp_path / "one.csv", one), "incidents")
    assert single.rejected.empty
    assert (single.data.geometry.x.iloc[1], single.data.geometry.y.iloc[1]) == (116.401, 39.912)
    inside = "\n".join(
        [
            "id,time,lon,lat,category",
            "H1,2026-10-01,24.94,60.17,theft",
            "H2,2026-10-01,60.17,24.95,theft",  # valid both ways; only swapped in Helsinki
            "H3,2026-10-01,116.39,39.9,theft",  # Beijing: far either way
        ]
    )
    near = import_file(
        write_text(tmp_path / "h.csv", inside), "incidents", workspace_bounds=HELSINKI
    )
    assert reasons_by_row(near) == {4: "far_outside_workspace"}
    assert (near.data.geometry.x.iloc[1], near.data.geometry.y.iloc[1]) == (24.95, 60.17)
    assert any("1 row(s)" in w for w in near.warnings)


def test_projected_coordinates_without_crs_are_rejected_with_a_hint(tmp_path):
    frame = incident_frame(4).assign(经度=512345.6, 纬度=4412345.6)
    result = import_file(write_csv(tmp_path / "gk.csv", frame), "incidents")
    assert result.data.empty
    assert set(result.rejected["reason"]) == {"out_of_range"}
    assert any("look projected" in w for w in result.warnings)


# ---------------------------------------------------------------------- coordinates


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_gcj02_and_bd09_tables_come_back_to_wgs84(tmp_path, system):
    frame = incident_frame(50, lon0=116.39, lat0=39.91)
    lon, lat = from_wgs84(frame["经度"], frame["纬度"], system)
    shifted = frame.assign(经度=lon, 纬度=lat)
    assert haversine_m(lon, lat, frame["经度"], frame["纬度"]).min() > 100  # really shifted
    result = import_file(write_csv(tmp_path / f"{system}.csv", shifted), "incidents", crs=system)
    assert result.source_crs == system
    error = haversine_m(
        result.data.geometry.x, result.data.geometry.y, frame["经度"], frame["纬度"]
    )
    assert error.max() < 0.01


def test_gauss_kruger_table_with_surveyors_x_as_northing(tmp_path):
    frame = incident_frame(20, lon0=120.15, lat0=30.27)  # Hangzhou, CGCS2000 zone CM 120E
    easting, northing = from_wgs84(frame["经度"], frame["纬度"], "EPSG:4549")
    survey = frame.drop(columns=["经度", "纬度"]).assign(X=northing, Y=easting)
    result = import_file(write_csv(tmp_path / "gk.csv", survey), "incidents", crs=4549)
    assert result.source_crs == "EPSG:4549"
    assert any("northing" in w for w in result.warnings)
    assert result.columns["lon"] == "Y"
    assert result.columns["lat"] == "X"
    error = haversine_m(
        result.data.geometry.x, result.data.geometry.y, frame["经度"], frame["纬度"]
    )
    assert error.max() < 0.01
    named = frame.drop(columns=["经度", "纬度"]).assign(北坐标=northing, 东坐标=easting)
    plain = import_file(write_csv(tmp_path / "named.csv", named), "incidents", crs="EPSG:4549")
    assert plain.warnings == []
    np.testing.assert_allclose(plain.data.geometry.x, frame["经度"], atol=1e-7)


# ---------------------------------------------------------------------- vector files


def sites_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "编号": ["S1", "S2", "S3"],
            "名称": ["赫尔辛基中央车站", "康比购物中心", "<i>银行</i>"],
            "类型": ["车站", "mall", "Bank"],
        },
        geometry=gpd.points_from_xy([24.941, 24.933, 24.95], [60.171, 60.169, 60.17]),
        crs=4326,
    )


def buildings_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": ["一号楼", "二号楼", "三号楼"], "层数": [6, 12, 3]},
        geometry=[
            shapely.box(24.940, 60.170, 24.941, 60.171),
            shapely.Polygon(
                [(24.942, 60.170), (24.943, 60.171), (24.943, 60.170), (24.942, 60.171)]
            ),
            shapely.box(24.944, 60.170, 24.945, 60.171),
        ],
        crs=4326,
    )


def test_geojson_sites_with_chinese_names_and_kinds(tmp_path):
    path = tmp_path / "sites.geojson"
    pyogrio.write_dataframe(sites_gdf(), path, driver="GeoJSON")
    result = import_file(path, "sites")
    assert list(result.data["name"]) == ["赫尔辛基中央车站", "康比购物中心", "<i>银行</i>"]
    assert list(result.data["kind"]) == ["station", "mall", "bank"]
    assert list(result.data["site_id"]) == ["S1", "S2", "S3"]
    assert result.data.geom_type.unique().tolist() == ["Point"]
    assert result.encoding is None


def test_geopackage_layers_and_bow_tie_repair(tmp_path):
    path = tmp_path / "buildings.gpkg"
    pyogrio.write_dataframe(buildings_gdf(), path, layer="楼栋", driver="GPKG")
    pyogrio.write_dataframe(sites_gdf(), path, layer="sites", driver="GPKG", append=True)
    result = import_file(path, "buildings")
    assert any("read the first, 楼栋" in w for w in result.warnings)
    assert any("1 polygons were invalid and repaired with make_valid" in w for w in result.warnings)
    assert result.data.is_valid.all()
    assert result.data.geometry.iloc[1].geom_type == "MultiPolygon"
    assert result.data.geometry.iloc[1].area == pytest.approx(0.000001 / 2, rel=1e-6)
    assert list(result.data["levels"]) == [6, 12, 3]
    assert str(result.data["levels"].dtype) == "Int64"
    named = import_file(path, "sites", source_layer="sites")
    assert len(named.data) == 3
    with pytest.raises(ValidationError, match="`source_layer` 'nope'"):
        import_file(path, "sites", source_layer="nope")


def test_wrong_geometry_type_is_a_file_error_or_a_rejected_row(tmp_path):
    path = tmp_path / "sites.geojson"
    pyogrio.write_dataframe(sites_gdf(), path, driver="GeoJSON")
    with pytest.raises(ImportFileError, match=r"`buildings` needs Polygon geometries.*Point"):
        import_file(path, "buildings")
    mixed = pd.concat([buildings_gdf(), sites_gdf().iloc[:1]], ignore_index=True)
    mixed_path = tmp_path / "mixed.geojson"
    pyogrio.write_dataframe(mixed, mixed_path, driver="GeoJSON", geometry_type="Unknown")
    result = import_file(mixed_path, "buildings")
    assert reasons_by_row(result) == {4: "wrong_geometry_type"}
    assert result.rejected["geometry"].iloc[0].startswith("POINT")


def test_polygon_csv_with_wkt_empty_and_unreadable_geometries(tmp_path):
    text = "\n".join(
        [
            "名称,层数,wkt",
            '一号楼,6,"POLYGON ((24.94 60.17, 24.941 60.17, 24.941 60.171, 24.94 60.17))"',
            '二号楼,5,"POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"',
            "三号楼,4,",
            "四号楼,3,not wkt",
            "五号楼,2,POLYGON EMPTY",
        ]
    )
    result = import_file(write_text(tmp_path / "b.csv", text), "buildings")
    assert reasons_by_row(result) == {
        4: "empty_geometry",
        5: "invalid_geometry",
        6: "empty_geometry",
    }
    assert list(result.data["name"]) == ["一号楼", "二号楼"]
    assert any("repaired" in w for w in result.warnings)


def write_shapefile_zip(tmp_path: Path, gdf, *, encoding: str, keep_cpg: bool) -> Path:
    folder = tmp_path / f"shp-{encoding}-{keep_cpg}"
    folder.mkdir()
    pyogrio.write_dataframe(gdf, folder / "网格.shp", encoding=encoding)
    if not keep_cpg:
        (folder / "网格.cpg").unlink()
    path = tmp_path / f"{folder.name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"data/{part.name}")
    return path


@pytest.mark.parametrize(("encoding", "keep_cpg"), [("UTF-8", True), ("GBK", False), ("GBK", True)])
def test_zipped_shapefile_decodes_chinese_with_or_without_cpg(tmp_path, encoding, keep_cpg):
    gdf = buildings_gdf().to_crs(3067)  # a .prj in a metric CRS, reprojected on import
    path = write_shapefile_zip(tmp_path, gdf, encoding=encoding, keep_cpg=keep_cpg)
    if not keep_cpg:
        dbf = zipfile.ZipFile(path).read("data/网格.dbf")
        assert "一号楼".encode("gbk") in dbf
    result = import_file(path, "buildings")
    assert list(result.data["name"]) == ["一号楼", "二号楼", "三号楼"]
    assert result.encoding == encoding.lower()
    assert result.source_crs == "EPSG:3067"
    expected = buildings_gdf().geometry.iloc[0]
    assert result.data.geometry.iloc[0].symmetric_difference(expected).area < 1e-12


@pytest.mark.filterwarnings("ignore:Could not decode error message:RuntimeWarning")
def test_shapefile_text_not_in_its_declared_encoding_is_still_read(tmp_path):
    grids = gpd.GeoDataFrame(
        {"网格编码": ["110101001001001", "110101001001002"], "网格名称": ["东华门", "王府井"]},
        geometry=[
            shapely.box(116.40, 39.90, 116.41, 39.91),
            shapely.box(116.41, 39.90, 116.42, 39.91),
        ],
        crs=4326,
    )
    # UTF-8 names of 12 bytes cut at dBASE's 10: "网格编" and the first byte of "码"
    utf8 = write_shapefile_zip(tmp_path, grids, encoding="UTF-8", keep_cpg=True)
    result = import_file(utf8, "grids")
    assert list(result.data["grid_code"]) == ["110101001001001", "110101001001002"]
    assert list(result.data["name"]) == ["东华门", "王府井"]
    assert any("2 field name(s) cut mid-character" in w for w in result.warnings)
    # a GBK table beside a .cpg that says UTF-8
    wrong = write_shapefile_zip(tmp_path, grids, encoding="GBK", keep_cpg=False)
    with zipfile.ZipFile(wrong, "a") as archive:
        archive.writestr("data/网格.cpg", "UTF-8")
    result = import_file(wrong, "grids")
    assert result.encoding == "gbk"
    assert list(result.data["name"]) == ["东华门", "王府井"]
    assert any(".cpg says" in w and "gbk" in w for w in result.warnings)
    with pytest.raises(ImportFileError, match=r"shp-GBK-False\.zip.*not valid utf-8.*`encoding`"):
        import_file(wrong, "grids", encoding="utf-8")


def test_vector_file_in_gcj02_is_deshifted_after_reprojection(tmp_path):
    wgs = sites_gdf().assign(
        geometry=gpd.points_from_xy([116.39, 116.40, 116.41], [39.90, 39.91, 39.92])
    )
    lon, lat = from_wgs84(wgs.geometry.x, wgs.geometry.y, "gcj02")
    shifted = wgs.set_geometry(gpd.points_from_xy(lon, lat, crs=4326)).to_crs(4548)
    path = tmp_path / "amap.gpkg"
    pyogrio.write_dataframe(shifted, path, driver="GPKG")
    result = import_file(path, "sites", crs="gcj02")
    error = haversine_m(
        result.data.geometry.x, result.data.geometry.y, wgs.geometry.x, wgs.geometry.y
    )
    assert error.max() < 0.01
    assert result.source_crs == "gcj02"


def test_grid_codes_must_be_fifteen_digits(tmp_path):
    grids = gpd.GeoDataFrame(
        {
            "网格编码": ["110105001001001", "11010500100100", "110105001001003"],
            "网格名称": ["一", "二", "三"],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        crs=4326,
    )
    path = tmp_path / "grids.geojson"
    pyogrio.write_dataframe(grids, path, driver="GeoJSON")
    result = import_file(path, "grids")
    assert reasons_by_row(result) == {2: "bad_grid_code"}
    assert list(result.data["grid_code"]) == ["110105001001001", "110105001001003"]


# -------------------------------------------------------------------------- bad files


def test_empty_and_header_only_files_have_no_rows(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="the file has no rows"):
        import_file(empty, "incidents")
    header = write_text(tmp_path / "header.csv", HEADER + "\n", "gbk")
    with pytest.raises(ImportFileError, match="the file has no rows"):
        import_file(header, "incidents")
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.save(tmp_path / "header.xlsx")
    with pytest.raises(ImportFileError, match="the file has no rows"):
        import_file(tmp_path / "header.xlsx", "incidents")
    collection = tmp_path / "none.geojson"
    collection.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ImportFileError, match="the file has no rows"):
        import_file(collection, "sites")


def test_binary_junk_and_disguised_files_are_refused(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ImportFileError, match="binary data"):
        import_file(junk, "incidents")
    book = openpyxl.Workbook()
    book.save(tmp_path / "book.xlsx")
    disguised = tmp_path / "book.csv"
    disguised.write_bytes((tmp_path / "book.xlsx").read_bytes())
    with pytest.raises(ImportFileError, match="Excel workbook"):
        import_file(disguised, "incidents")
    not_excel = write_text(tmp_path / "fake.xlsx", HEADER)
    with pytest.raises(ImportFileError, match="not a valid Excel"):
        import_file(not_excel, "incidents")
    not_json = write_text(tmp_path / "fake.geojson", HEADER)
    with pytest.raises(ImportFileError, match="not GeoJSON"):
        import_file(not_json, "sites")
    not_zip = write_text(tmp_path / "fake.zip", HEADER)
    with pytest.raises(ImportFileError, match="not a valid zip"):
        import_file(not_zip, "sites")


def test_wrong_extensions_and_missing_files(tmp_path):
    doc = write_text(tmp_path / "report.docx", "hello")
    with pytest.raises(ImportFileError, match=r"files of type \.docx cannot be imported"):
        import_file(doc, "incidents")
    old = write_text(tmp_path / "old.xls", "hello")
    with pytest.raises(ImportFileError, match=r"save it as \.xlsx or CSV"):
        import_file(old, "incidents")
    with pytest.raises(ImportFileError, match="does not exist"):
        import_file(tmp_path / "missing.csv", "incidents")
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "not a shapefile")
    with pytest.raises(ImportFileError, match="holds no Shapefile"):
        import_file(archive, "sites")
    with pytest.raises(ValidationError, match="`layer` must be one of"):
        import_file(doc, "people")


def test_files_larger_than_the_limit(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "big.csv", incident_frame(200))
    with pytest.raises(ImportFileError, match="larger than the import limit"):
        import_file(path, "incidents", max_bytes=1000)
    monkeypatch.setenv("GRIDMAP_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(ImportFileError, match="GRIDMAP_MAX_UPLOAD_MB"):
        import_file(path, "incidents")
    monkeypatch.setenv("GRIDMAP_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ValidationError, match="GRIDMAP_MAX_UPLOAD_MB"):
        import_file(path, "incidents")
    monkeypatch.delenv("GRIDMAP_MAX_UPLOAD_MB")
    assert len(import_file(path, "incidents").data) == 200
    assert DEFAULT_MAX_BYTES == 200 * 1024 * 1024
    with pytest.raises(ValidationError, match="`max_bytes`"):
        import_file(path, "incidents", max_bytes=-1)


def test_argument_validation_names_the_argument(tmp_path):
    path = write_csv(tmp_path / "a.csv", incident_frame(2))
    with pytest.raises(ValidationError, match="`workspace_bounds`"):
        import_file(path, "incidents", workspace_bounds=(25, 60, 24, 61))
    with pytest.raises(ValidationError, match="`max_distance_km`"):
        import_file(path, "incidents", max_distance_km=-5)
    with pytest.raises(ValidationError, match="`crs`"):
        import_file(path, "incidents", crs="martian")


# -------------------------------------------------------------------------- languages


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_warnings_and_file_errors_can_be_shown_in_chinese(tmp_path):
    # Excel-in-China GBK: latitude and longitude headers swapped, no id column, an
    # unknown category, times with two offsets and an ArcGIS FID column.
    rows = [
        f"2026-03-01T10:0{i}+08:00,{116.4 + i * 1e-3},{39.9 + i * 1e-3},{label},{i}"
        for i, label in enumerate(["盗窃", "抢劫", "诈骗", "盗窃"])
    ]
    rows.append("2026-03-01T02:05Z,116.405,39.905,盗窃,4")
    gbk = write_text(
        tmp_path / "警情.csv", "\n".join(["发生时间,纬度,经度,类别,FID", *rows]), "gbk"
    )
    # A Western 8-bit export with Unix timestamps.
    western = write_text(
        tmp_path / "fi.csv",
        "id,time,lon,lat,category,description\nE1,1772330400,24.94,60.17,theft,Hämeentie\n",
        "cp1252",
    )
    keys = set()
    for path in (gbk, western):
        result = import_file(path, "incidents")
        assert result.warnings
        for warning in result.warnings:
            assert isinstance(warning, Message)
            assert localize(warning, "en") == warning
            assert has_chinese(localize(warning, "zh")), warning
            keys.add(warning.key)
    assert {
        "columns_swapped_range",
        "ids_generated_no_column",
        "unknown_categories",
        "times_offsets_to_common",
        "columns_renamed_reserved",
        "encoding_cp1252_not_chinese",
        "unix_times_in_offset",
    } <= keys

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="is empty") as info:
        import_file(empty, "incidents")
    assert localize(info.value, "zh") == "文件 empty.csv 是空的（0 字节），没有任何数据"
    with pytest.raises(ValidationError, match="required column") as missing:
        import_file(write_text(tmp_path / "x.csv", "名称,备注\n甲,乙\n"), "incidents")
    assert has_chinese(localize(missing.value, "zh").replace("名称", "").replace("备注", ""))
    with pytest.raises(ValidationError, match="`crs`") as crs:
        import_file(gbk, "incidents", crs="EPSG:99999")
    assert has_chinese(localize(crs.value, "zh"))


# ----------------------------------------------------------------------------- export


def imported_incidents(tmp_path) -> gpd.GeoDataFrame:
    frame = incident_frame(8)
    frame["来源"] = "110"
    frame["状态"] = ["已处置", "处置中"] * 4
    frame.loc[0, "描述"] = '<b>"引号", 逗号</b>'
    return import_file(write_csv(tmp_path / "src.csv", frame, "gbk"), "incidents").data


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("geojson", ".geojson"), ("gpkg", ".gpkg"), ("shp", ".zip"), ("csv", ".csv")],
)
def test_export_round_trips(tmp_path, fmt, suffix):
    data = imported_incidents(tmp_path)
    (tmp_path / "out").mkdir()
    path = export_layer(data, tmp_path / "out" / f"incidents{suffix}", fmt=fmt)
    assert path.exists()
    assert path.suffix == suffix
    back = import_file(path, "incidents")
    assert back.rejected.empty
    for column in ("incident_id", "category", "description", "source", "status"):
        assert list(back.data[column]) == list(data[column]), column
    assert list(back.data["occurred_at"]) == list(data["occurred_at"])
    np.testing.assert_allclose(back.data.geometry.x, data.geometry.x, atol=1e-9)
    np.testing.assert_allclose(back.data.geometry.y, data.geometry.y, atol=1e-9)


def test_csv_export_is_excel_friendly(tmp_path):
    data = imported_incidents(tmp_path)
    path = export_layer(data, tmp_path / "incidents.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["lon", "lat"]
    assert data["occurred_at"].iloc[0].strftime("%Y-%m-%d %H:%M:%S") in text


def test_csv_export_keeps_a_user_column_named_like_the_coordinates(tmp_path):
    data = imported_incidents(tmp_path).assign(lon="user lon", lat_1="kept")
    path = export_layer(data, tmp_path / "incidents.csv")
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert list(exported["lon_1"]) == ["user lon"] * len(data)
    assert list(exported["lat_1"]) == ["kept"] * len(data)
    np.testing.assert_allclose(exported["lon"], data.geometry.x)
    np.testing.assert_allclose(exported["lat"], data.geometry.y)
    polygons = gpd.GeoDataFrame(
        {"geometry": ["drawn by hand"], "geom": [shapely.box(0, 0, 1, 1)]},
        geometry="geom",
        crs=4326,
    )
    written = pd.read_csv(export_layer(polygons, tmp_path / "p.csv"), encoding="utf-8-sig")
    assert written["geometry_1"].iloc[0] == "drawn by hand"
    assert written["geometry"].iloc[0].startswith("POLYGON")


def test_export_to_a_missing_or_unwritable_folder_names_the_target(tmp_path):
    data = imported_incidents(tmp_path)
    missing = tmp_path / "no-such-folder" / "incidents.csv"
    with pytest.raises(ValidationError, match=r"no-such-folder.*does not exist"):
        export_layer(data, missing)
    assert not missing.parent.exists()
    target = Path("/proc/incidents.csv")  # a folder nobody can create files in, even root
    with pytest.raises(ValidationError) as info:
        export_layer(data, target)
    assert "`path` /proc/incidents.csv cannot be written" in str(info.value)
    assert ".export-" not in str(info.value)


def test_shapefile_export_has_utf8_cpg_and_short_field_names(tmp_path):
    data = imported_incidents(tmp_path).assign(一个很长的中文字段名=1, 一个很长的中文字段名称=2)
    path = export_layer(data, tmp_path / "incidents.shp", fmt="shp")
    assert path.name == "incidents.zip"
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        assert archive.read("incidents.cpg").decode() == "UTF-8"
    assert names == [f"incidents.{e}" for e in ("cpg", "dbf", "prj", "shp", "shx")]
    fields = pyogrio.read_info(f"/vsizip/{path}/incidents.shp")["fields"]
    assert all(len(f.encode()) <= 10 for f in fields)
    assert len(set(fields)) == len(fields)
    assert {"一个很", "一个_1"} <= set(fields)  # 3-byte characters: 9 of 10 bytes used
    assert "incident_i" in fields


def test_polygon_csv_export_uses_wkt(tmp_path):
    source = tmp_path / "b.gpkg"
    pyogrio.write_dataframe(buildings_gdf(), source)
    buildings = import_file(source, "buildings").data
    path = export_layer(buildings, tmp_path / "b.csv")
    assert "MULTIPOLYGON" in path.read_text("utf-8-sig")
    back = import_file(path, "buildings")
    assert back.data.geometry.geom_equals_exact(buildings.geometry, 1e-9).all()
    assert list(back.data["name"]) == list(buildings["name"])


def test_gcj02_export_shifts_coordinates_and_reimports(tmp_path):
    data = imported_incidents(tmp_path)
    # move the Helsinki points to Beijing, where GCJ-02 shifts coordinates
    data = data.set_geometry(
        gpd.points_from_xy(data.geometry.x + 91.45, data.geometry.y - 20.26, crs=4326)
    )
    path = export_layer(data, tmp_path / "amap.csv", crs="gcj02")
    exported = pd.read_csv(path, encoding="utf-8-sig")
    lon, lat = from_wgs84(data.geometry.x, data.geometry.y, "gcj02")
    np.testing.assert_allclose(exported["lon"], lon, atol=1e-12)
    np.testing.assert_allclose(exported["lat"], lat, atol=1e-12)
    back = import_file(path, "incidents", crs="gcj02")
    error = haversine_m(
        back.data.geometry.x, back.data.geometry.y, data.geometry.x, data.geometry.y
    )
    assert error.max() < 0.01
    projected = export_layer(data, tmp_path / "gk.geojson", crs=4548)
    assert pyogrio.read_info(projected)["crs"] == "EPSG:4548"


def test_export_validates_its_arguments(tmp_path):
    data = imported_incidents(tmp_path)
    with pytest.raises(ValidationError, match="`fmt` must be one of"):
        export_layer(data, tmp_path / "x.kml", fmt="kml")
    with pytest.raises(ValidationError, match="`fmt` not given"):
        export_layer(data, tmp_path / "x.kml")
    with pytest.raises(ValidationError, match="`gdf` must be a GeoDataFrame"):
        export_layer(pd.DataFrame(data.drop(columns="geometry")), tmp_path / "x.csv")


def test_workbooks_and_geopackages_with_several_parts(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "说明"
    first.append(["本表为某街道一周警情"])
    second = book.create_sheet("警情")
    second.append(["编号", "类别", "发生时间", "经度", "纬度"])
    second.append(["S-1", "盗窃", "2026-10-03 10:00", 24.945, 60.170])
    workbook = tmp_path / "周报.xlsx"
    book.save(workbook)
    assert list_parts(workbook) == ["说明", "警情"]
    result = import_file(workbook, "incidents", sheet="警情")
    assert list(result.data["incident_id"]) == ["S-1"]

    package = tmp_path / "two.gpkg"
    points = gpd.GeoDataFrame(
        {"site_id": ["a"], "name": ["站"], "kind": ["metro"]},
        geometry=[shapely.Point(24.94, 60.17)],
        crs=4326,
    )
    points.to_file(package, layer="old_sites")
    points.assign(site_id=["b"]).to_file(package, layer="new_sites")
    assert list_parts(package) == ["old_sites", "new_sites"]
    chosen = import_file(package, "sites", source_layer="new_sites")
    assert list(chosen.data["site_id"]) == ["b"]

    csv = tmp_path / "one.csv"
    csv.write_text("编号,类别,发生时间,经度,纬度\n", encoding="utf-8")
    assert list_parts(csv) == []
    junk = tmp_path / "photo.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ImportFileError, match=r"photo\.xlsx"):
        list_parts(junk)


def test_rejection_details_read_in_chinese_and_stay_english_as_text(tmp_path: Path) -> None:
    csv = tmp_path / "警情.csv"
    csv.write_bytes(
        "编号,类别,发生时间,经度,纬度\n"
        "R-1,盗窃,昨天晚上,24.945,60.170\n"
        "R-2,盗窃,2026-10-03 10:00,abc,60.171\n"
        "R-3,盗窃,2026-10-03 11:00,24.946,60.172\n"
        "R-3,盗窃,2026-10-03 11:30,24.947,60.173\n"
        "R-4,盗窃,2026-10-03 12:00,0,0\n"
        "R-5,盗窃,2026-10-03 12:00,1,2,3\n".encode("gbk")
    )
    rejected = import_file(csv, "incidents").rejected
    assert set(rejected["reason"]) == {
        "bad_time",
        "non_numeric_coordinate",
        "duplicate_id",
        "zero_coordinate",
        "malformed_row",
    }
    for message in rejected["message"]:
        assert isinstance(message, Message)
        chinese = localize(message, "zh")
        assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
        assert localize(message, "en") == str(message) != chinese
    by_reason = rejected.set_index("reason")["message"]
    assert str(by_reason["duplicate_id"]) == "incident_id R-3 repeats row 4"
    assert localize(by_reason["duplicate_id"], "zh") == "编号 R-3（incident_id）与第 4 行重复"
    assert "不是数字" in localize(by_reason["non_numeric_coordinate"], "zh")


def test_missing_columns_are_named_in_chinese_in_the_chinese_message(tmp_path):
    # A new user read 导入到图层 incidents 缺少必需的列：category (…): English keys in Chinese.
    path = tmp_path / "台账.csv"
    path.write_text("名称,经度,纬度\n一,24.9,60.1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_file(path, "incidents")
    zh, en = localize(caught.value, "zh"), localize(caught.value, "en")
    assert "“事件”" in zh
    assert "类别（如" in zh
    assert "发生时间（如" in zh
    assert "incidents" not in zh
    assert "category (" not in zh
    assert "layer `incidents`" in en
    assert "columns={'category'" in en
    path.write_text("类别,经度,纬度\n盗窃,24.9,60.1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_file(path, "incidents")
    assert "没有“发生时间”时间列" in localize(caught.value, "zh")
