"""Real field inputs: the files in ``../shared/cases/realworld`` import to their true values.

Each case is a file of a kind grid offices, police and surveyors really send (see that
folder's README.md for the correct values, computed with pyproj). The folder sits beside
the clone in CI; the tests skip, saying so, when it is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest

from gridmap import crs as C
from gridmap.io import import_file

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "cases" / "realworld"


def case(name: str) -> Path:
    path = CASES / name
    if not path.exists():
        pytest.skip(f"real-world case {path} is missing (the shared/ folder beside the clone)")
    return path


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:  # type: ignore[no-untyped-def]
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def positions(result) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    data = result.data
    return pd.DataFrame(
        {"lon": data.geometry.x.to_numpy(), "lat": data.geometry.y.to_numpy()},
        index=data["incident_id"].to_numpy(),
    )


# ------------------------------------------------------- Gauss-Krüger zone in the easting

GK_TRUTH = {"JQ001": (116.397428, 39.909230), "JQ002": (116.46, 39.95), "JQ003": (116.30, 39.85)}


def test_gk_zone_prefix_recognised_with_the_no_prefix_code() -> None:
    result = import_file(case("gk_zone_prefix_in_easting.csv"), "incidents", crs=4548)
    got = positions(result)
    assert sorted(got.index) == sorted(GK_TRUTH)
    for incident, (lon, lat) in GK_TRUTH.items():
        assert metres(lon, lat, got.loc[incident, "lon"], got.loc[incident, "lat"]) < 0.05
    keys = [getattr(w, "key", None) for w in result.warnings]
    assert "crs_zone_prefix" in keys
    assert "northing_first" in keys
    assert result.source_crs == "EPSG:4527"


@pytest.mark.parametrize(
    ("given", "zone", "used"),
    [(4548, 39, 4527), (4509, 20, 4498), (4527, 39, 4527), (4549, 39, 4527)],
)
def test_zone_prefix_of_any_zone_and_width(
    tmp_path: Path, given: int, zone: int, used: int
) -> None:
    # Eastings of 3-degree zone 39 or 6-degree zone 20, both around Beijing, with the zone
    # number in front; the CRS given may be another zone (4549 is zone 40): the prefix wins.
    truth_lon, truth_lat = np.array([116.397428, 116.46]), np.array([39.90923, 39.95])
    east, north = C.from_wgs84(truth_lon, truth_lat, used)
    path = tmp_path / "gk.csv"
    pd.DataFrame(
        {"编号": ["A", "B"], "X": north, "Y": east, "发生时间": "2026-03-01 10:00", "类别": "盗窃"}
    ).to_csv(path, index=False)
    result = import_file(path, "incidents", crs=given)
    got = positions(result)
    assert metres(truth_lon, truth_lat, got["lon"], got["lat"]).max() < 0.05
    assert result.source_crs == f"EPSG:{used}"


def test_zone_prefix_kept_in_other_datums(tmp_path: Path) -> None:
    # Xian 1980 3-degree zone 39 without the number (EPSG:2383 is CM 114E: another zone).
    lon, lat = 116.397428, 39.90923
    zoned = C.gauss_kruger_zone_crs(pyproj.CRS.from_epsg(2383), 39)
    east, north = pyproj.Transformer.from_crs(4610, zoned, always_xy=True).transform(lon, lat)
    assert 39_000_000 < east < 40_000_000
    path = tmp_path / "xian80.csv"
    pd.DataFrame(
        {
            "编号": ["A"],
            "北坐标": [north],
            "东坐标": [east],
            "类别": ["盗窃"],
            "发生时间": ["2026-03-01"],
        }
    ).to_csv(path, index=False)
    result = import_file(path, "incidents", crs=2383, columns={"lon": "东坐标", "lat": "北坐标"})
    got = positions(result)
    # Xian 1980 and WGS-84 differ by a few metres here (no datum shift in PROJ's grid-free
    # pipeline); the point must be in Beijing, not 3° west or in the Pacific.
    assert metres(lon, lat, got["lon"].iloc[0], got["lat"].iloc[0]) < 200


def test_projected_rows_outside_the_crs_area_are_rejected_not_placed(tmp_path: Path) -> None:
    # Beijing's Gauss-Krüger metres declared as Singapore's SVY21 would land ~4 000 km
    # north of Singapore: outside the area EPSG:3414 is made for, so refused.
    path = tmp_path / "wrong_zone.csv"
    pd.DataFrame(
        {
            "编号": ["A", "B"],
            "东坐标": [448475.8, 448475.8],
            "北坐标": [4419624.3, 4419624.3],
            "类别": "盗窃",
            "发生时间": "2026-03-01",
        }
    ).to_csv(path, index=False)
    result = import_file(path, "incidents", crs=3414)  # SVY21 / Singapore TM
    assert len(result.data) == 0
    assert set(result.rejected["reason"]) == {"outside_crs_area"}
    assert "outside the area of EPSG:3414" in result.rejected["message"].iloc[0]


def test_zone_prefix_without_crs_names_the_code_to_use() -> None:
    result = import_file(case("gk_zone_prefix_in_easting.csv"), "incidents")
    assert len(result.data) == 0
    hint = [w for w in result.warnings if getattr(w, "key", None) == "zone_prefix_hint"]
    assert hint
    assert "EPSG:4527" in hint[0]


# --------------------------------------------------------------------- GCJ-02 abroad


def test_gcj02_declared_abroad_positions_unchanged() -> None:
    path = case("gcj02_declared_abroad.csv")
    raw = pd.read_csv(path)
    result = import_file(path, "incidents", crs="gcj02")
    got = positions(result)
    assert len(got) == len(raw)
    for _, row in raw.iterrows():
        assert got.loc[row["编号"], "lon"] == row["经度"]
        assert got.loc[row["编号"], "lat"] == row["纬度"]


# ------------------------------------------------------------------------------- times


def test_chinese_datetimes_all_fifteen_spellings() -> None:
    result = import_file(case("chinese_datetimes.csv"), "incidents", crs="wgs84")
    assert len(result.rejected) == 0
    truth = pd.to_datetime(result.data["正确时间"]).astype("datetime64[ms]")
    wrong = result.data.loc[result.data["occurred_at"] != truth, ["incident_id", "occurred_at"]]
    assert wrong.empty, wrong


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2023/5/1 上午 12:30", "2023-05-01 00:30"),
        ("2023/5/1 12:30:00 AM", "2023-05-01 00:30"),
        ("2023/5/1 12:05 a.m.", "2023-05-01 00:05"),
        ("2023/5/1 12:30 PM", "2023-05-01 12:30"),
        ("2023/5/1 3:20PM", "2023-05-01 15:20"),
        ("2023年5月1日 下午 15:20", "2023-05-01 15:20"),
        ("2023年5月1日 中午1点", "2023-05-01 13:00"),
        ("2023年5月1日 凌晨12点", "2023-05-01 00:00"),
        ("2023年5月1日 晚上12点", "2023-05-02 00:00"),
        ("2023年5月1日 傍晚6点半", None),  # 半 (half past) is not read: refused, not guessed
    ],
)
def test_twelve_hour_clock(written: str, expected: str | None) -> None:
    from gridmap.io._times import parse_times

    got = parse_times(pd.Series([written])).values.iloc[0]
    assert pd.isna(got) if expected is None else got == pd.Timestamp(expected), got


def test_excel_serials_epoch_and_phantom_leap_day() -> None:
    from gridmap.io._times import parse_times

    # A column of dates (its median is in 2023) with the first serials of 1900 in it.
    serials = pd.Series([1.0, 59.0, 60.0, 61.0, 45047.6388888889] + [45048.0] * 4)
    got = parse_times(serials).values
    assert got.iloc[0] == pd.Timestamp("1900-01-01")
    assert got.iloc[1] == pd.Timestamp("1900-02-28")
    assert pd.isna(got.iloc[2])  # 1900-02-29 never was
    assert got.iloc[3] == pd.Timestamp("1900-03-01")
    assert got.iloc[4] == pd.Timestamp("2023-05-01 15:20")


@pytest.mark.parametrize("values", [[1, 2, 45, 46, 47], [202603, 202604], [45, 202603]])
def test_ids_and_year_months_never_become_dates(values: list[int]) -> None:
    from gridmap.io._times import parse_times

    assert parse_times(pd.Series(values)).values.isna().all()
    assert parse_times(pd.Series([str(v) for v in values])).values.isna().all()


def test_id_column_mapped_as_time_is_rejected_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    pd.DataFrame(
        {
            "编号": ["A", "B", "C"],
            "经度": 116.4,
            "纬度": 39.9,
            "类别": "盗窃",
            "序号": [45, 202603, -1],
        }
    ).to_csv(path, index=False)
    result = import_file(path, "incidents", crs="wgs84", columns={"occurred_at": "序号"})
    assert len(result.data) == 0
    assert list(result.rejected["reason"]) == ["bad_time"] * 3
    assert "'-1' is not a date-time" in result.rejected["message"].iloc[2]


@pytest.mark.parametrize("minus_one", ["-1", -1, -1.0, "0001-01-01"])
def test_a_date_of_minus_one_is_rejected_not_crashing(tmp_path: Path, minus_one: object) -> None:
    path = tmp_path / "minus.csv"
    pd.DataFrame(
        {
            "编号": ["A", "B"],
            "经度": 116.4,
            "纬度": 39.9,
            "类别": "盗窃",
            "发生时间": [minus_one, "2026-03-01"],
        }
    ).to_csv(path, index=False)
    result = import_file(path, "incidents", crs="wgs84")
    assert list(result.data["incident_id"]) == ["B"]
    assert list(result.rejected["reason"]) == ["bad_time"]


def test_incidents_without_a_time_column(tmp_path: Path) -> None:
    from gridmap import ValidationError

    path = tmp_path / "no_time.csv"
    pd.DataFrame({"编号": ["A", "B"], "经度": 116.4, "纬度": 39.9, "类别": "盗窃"}).to_csv(
        path, index=False
    )
    with pytest.raises(ValidationError) as caught:
        import_file(path, "incidents", crs="wgs84")
    text = str(caught.value)
    assert "--default-time" in text
    assert "default_time" in text
    assert "--column occurred_at=" in text
    result = import_file(path, "incidents", crs="wgs84", default_time="2026-03-01 08:00")
    assert (result.data["occurred_at"] == pd.Timestamp("2026-03-01 08:00")).all()
    assert any(getattr(w, "key", None) == "default_time_used" for w in result.warnings)


# ------------------------------------------------------------------ coordinate spellings


def test_dms_spellings_file_all_at_the_same_place() -> None:
    result = import_file(case("dms_spellings.csv"), "incidents", crs="wgs84")
    assert len(result.rejected) == 0, result.rejected["message"].tolist()
    got = positions(result)
    assert len(got) == 5
    np.testing.assert_allclose(got["lon"], 116.396, atol=1e-9)
    np.testing.assert_allclose(got["lat"], 39.91, atol=1e-9)


LON_SPELLINGS = [
    "116°23'45.6\"E",
    "116°23′45.6″E",
    "116°23’45.6’’E",
    "116°23'45.6''E",
    "116º23'45.6\"E",
    "116˚23'45.6\"E",
    "116 23 45.6 E",
    "116 23 45.6",
    "116:23:45.6",
    "116:23:45.6E",
    "E116 23.76",
    "E116°23.76'",
    "116°23.76′E",
    "E 116°23'45.6\"",
    "116度23分45.6秒",
    "东经116度23分45.6秒",
    "东经116°23′45.6″",
    "116.396°E",
    "１１６°２３′４５.６″Ｅ",
]


@pytest.mark.parametrize("written", LON_SPELLINGS)
def test_longitude_spellings(written: str) -> None:
    from gridmap.io._numbers import parse_numbers

    value, _, bad = parse_numbers(pd.Series([written], dtype="str"))
    assert not bad[0]
    assert value[0] == pytest.approx(116.396, abs=1e-9)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("39°54'36\"S", -39.91),
        ("S39 54 36", -39.91),
        ("南纬39度54分36秒", -39.91),
        ("W116:23:45.6", -116.396),
        ("-116 23 45.6", -116.396),
        ("−116.396", -116.396),  # a Unicode minus sign
        ("4,419,624.325", 4419624.325),
        ("4,419,624", 4419624.0),
        ("448,475", 448475.0),
        ("39,448,475.815", 39448475.815),
        ("4 419 624", 4419624.0),
        ("4.419.624,325", 4419624.325),
        ("24,94", 24.94),  # a decimal comma
        ("116,396", 116.396),  # a decimal comma too: 116 can be degrees
    ],
)
def test_signed_and_separated_numbers(written: str, expected: float) -> None:
    from gridmap.io._numbers import parse_numbers

    value, _, bad = parse_numbers(pd.Series([written], dtype="str"))
    assert not bad[0]
    assert value[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "written", ["116°75'E", "116°23'75\"", "116.5°23'", "N116E", "116°23.5'45\"", "4,41,9624"]
)
def test_impossible_spellings_are_refused(written: str) -> None:
    from gridmap.io._numbers import parse_numbers

    _, _, bad = parse_numbers(pd.Series([written], dtype="str"))
    assert bad[0]


def test_projected_metres_with_thousands_separators(tmp_path: Path) -> None:
    path = tmp_path / "gk_commas.csv"
    path.write_text(
        '编号,X坐标,Y坐标,发生时间,类别\nJQ001,"4,419,624.325","39,448,475.815",2023-05-01,盗窃\n',
        encoding="utf-8",
    )
    result = import_file(path, "incidents", crs=4548)
    got = positions(result)
    assert metres(116.397428, 39.90923, got["lon"].iloc[0], got["lat"].iloc[0])[()] < 0.05


# ------------------------------------------------------- a CRS declared anywhere in a file


@pytest.mark.parametrize(
    "name", ["urn:ogc:def:crs:EPSG::4548", "EPSG:4548", "urn:ogc:def:crs:EPSG::4490"]
)
def test_geojson_crs_member_after_the_features_is_honoured(tmp_path: Path, name: str) -> None:
    import json

    projected = "4548" in name
    if projected:
        x, y = (float(v) for v in C.from_wgs84(116.397428, 39.90923, 4548))
        size = 50.0
    else:
        x, y, size = 116.397428, 39.90923, 0.0005
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y]]
    features = [
        {
            "type": "Feature",
            "properties": {
                "grid_code": f"110101001001{i + 1:03d}",
                "name": f"网格{i}",
                "note": "x" * 300,
            },
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for i in range(400)  # > 64 kB before the crs member: no peeking at the first bytes
    ]
    document = {"type": "FeatureCollection", "features": features}
    document["crs"] = {"type": "name", "properties": {"name": name}}
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert path.stat().st_size > 100_000
    result = import_file(path, "grids")
    assert len(result.data) == 400
    assert result.source_crs == ("EPSG:4548" if projected else "EPSG:4490")
    minx, miny, _, _ = result.data.geometry.iloc[0].bounds
    assert metres(116.397428, 39.90923, minx, miny) < 0.05
    assert not result.crs_ambiguous


# --------------------------------------------------- points in China with no CRS chosen


def test_points_in_china_without_crs_are_flagged(tmp_path: Path) -> None:
    path = case("dms_spellings.csv")
    result = import_file(path, "incidents")
    assert result.crs_ambiguous
    note = next(w for w in result.warnings if getattr(w, "key", None) == "crs_ambiguous_china")
    assert "GCJ-02" in note
    assert "GCJ-02" in note.text("zh")
    for crs in ("wgs84", "gcj02", "bd09"):
        assert not import_file(path, "incidents", crs=crs).crs_ambiguous


def test_points_abroad_without_crs_are_not_flagged() -> None:
    result = import_file(case("gcj02_declared_abroad.csv"), "incidents")
    assert not result.crs_ambiguous


def test_cli_warns_loudly_when_the_system_is_not_chosen(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from gridmap.cli import main

    workspace = tmp_path / "ws.gpkg"
    argv = ["-w", str(workspace), "import", str(case("dms_spellings.csv")), "-l", "incidents"]
    assert main([*argv, "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "--crs gcj02" in err
