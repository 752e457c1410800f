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
