"""CRS conversions: GCJ-02/BD-09 round trips, an independent implementation, zones, axes."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from gridmap import ValidationError
from gridmap import crs as C

rng = np.random.default_rng(42)
# Points all over mainland China, plus a few outside where GCJ-02 applies no shift.
LON = np.concatenate([rng.uniform(75, 134, 20_000), [24.94, -74.0]])
LAT = np.concatenate([rng.uniform(18, 53, 20_000), [60.17, 40.7]])


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:  # type: ignore[no-untyped-def]
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def test_gcj02_round_trip_below_a_centimetre() -> None:
    glon, glat = C.wgs84_to_gcj02(LON, LAT)
    back_lon, back_lat = C.gcj02_to_wgs84(glon, glat)
    assert metres(LON, LAT, back_lon, back_lat).max() < 0.01
    shift = metres(LON, LAT, glon, glat)
    assert shift[:-2].min() > 10  # inside China the offset is real (hundreds of metres)
    assert shift[-2:].max() == 0  # outside China nothing moves


def test_bd09_round_trip_below_a_centimetre() -> None:
    blon, blat = C.wgs84_to_bd09(LON[:-2], LAT[:-2])
    back_lon, back_lat = C.bd09_to_wgs84(blon, blat)
    assert metres(LON[:-2], LAT[:-2], back_lon, back_lat).max() < 0.01


def test_forward_formulas_agree_with_an_independent_implementation() -> None:
    eviltransform = pytest.importorskip("eviltransform")
    sample = slice(0, 300)
    ours_lon, ours_lat = C.wgs84_to_gcj02(LON[sample], LAT[sample])
    theirs = np.array(
        [eviltransform.wgs2gcj(la, lo) for lo, la in zip(LON[sample], LAT[sample], strict=True)]
    )
    # The two codes use slightly different constants; they agree far below map accuracy.
    assert metres(ours_lon, ours_lat, theirs[:, 1], theirs[:, 0]).max() < 0.5
    bd_lon, bd_lat = C.gcj02_to_bd09(ours_lon, ours_lat)
    theirs_bd = np.array(
        [eviltransform.gcj2bd(la, lo) for lo, la in zip(ours_lon, ours_lat, strict=True)]
    )
    assert metres(bd_lon, bd_lat, theirs_bd[:, 1], theirs_bd[:, 0]).max() < 0.5


def test_known_point_tiananmen() -> None:
    lon, lat = C.wgs84_to_gcj02(116.397428, 39.90923)
    # Amap shows Tiananmen about 600 m east-north-east of its WGS-84 position.
    assert 500 < metres(116.397428, 39.90923, lon, lat) < 700


def test_to_and_from_wgs84_dispatch_on_the_named_system() -> None:
    x, y = C.from_wgs84(LON[:100], LAT[:100], "百度")
    lon, lat = C.to_wgs84(x, y, "bd09")
    assert metres(LON[:100], LAT[:100], lon, lat).max() < 0.01
    e, n = C.from_wgs84([116.4], [39.9], 4548)  # CGCS2000 GK CM 117E
    assert 400_000 < e[0] < 600_000
    assert 4_000_000 < n[0] < 4_500_000
    lon2, lat2 = C.to_wgs84(e, n, "EPSG:4548")
    assert metres([116.4], [39.9], lon2, lat2)[0] < 0.001


def test_parse_crs_errors_name_the_argument() -> None:
    with pytest.raises(ValidationError, match="`crs`"):
        C.parse_crs("not-a-crs")
    with pytest.raises(ValidationError, match="same shape"):
        C.wgs84_to_gcj02([1, 2], [3])


def test_working_crs_and_zones() -> None:
    assert C.working_crs((24.93, 60.16, 24.96, 60.18)).to_epsg() == 32635
    assert C.working_crs((-74.1, 40.6, -73.9, 40.8)).to_epsg() == 32618
    assert C.working_crs((121.4, 31.1, 121.6, 31.3)).to_epsg() == 4549  # Shanghai, CM 120E
    assert C.working_crs((113.2, 23.0, 113.4, 23.2)).to_epsg() == 4547  # Guangzhou, CM 114E
    assert C.cgcs2000_gk_epsg(75.0) == 4534
    assert C.cgcs2000_gk_epsg(135.0) == 4554
    assert C.cgcs2000_gk_epsg(75.0, zone_prefix=True) == 4513
    with pytest.raises(ValidationError, match="`lon`"):
        C.cgcs2000_gk_epsg(10.0)
    with pytest.raises(ValidationError, match="`bounds`"):
        C.working_crs((1.0, 2.0, 0.0, 1.0))


def test_gauss_kruger_axis_order() -> None:
    gk = pyproj.CRS.from_epsg(4549)
    assert C.is_northing_first(gk)
    assert not C.is_northing_first(pyproj.CRS.from_epsg(32650))
    e, n = C.from_wgs84(rng.uniform(118.6, 121.4, 50), rng.uniform(30, 32, 50), gk)
    assert C.guess_northing_first(n, e, gk) is True  # surveyors' X (northing) first
    assert C.guess_northing_first(e, n, gk) is False
