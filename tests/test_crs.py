"""CRS conversions: GCJ-02/BD-09 round trips, an independent implementation, zones, axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from gridmap import ValidationError
from gridmap import crs as C

rng = np.random.default_rng(42)
_box_lon, _box_lat = rng.uniform(75, 134, 40_000), rng.uniform(18, 53, 40_000)
# Away from the outline's edge, where a shifted point may cross it (see gcj02_to_wgs84).
_inner = shapely.buffer(C.china_outline(), -0.02)
_china = shapely.contains_xy(_inner, _box_lon, _box_lat)
# Points all over mainland China, plus a few outside where GCJ-02 applies no shift.
LON = np.concatenate([_box_lon[_china][:20_000], [24.94, -74.0]])
LAT = np.concatenate([_box_lat[_china][:20_000], [60.17, 40.7]])


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


# ------------------------------------------------------------------ where GCJ-02 applies

CITIES_IN_CHINA = {
    "Beijing": (116.397428, 39.90923),
    "Urumqi": (87.617, 43.826),
    "Harbin": (126.63, 45.75),
    "Sanya": (109.51, 18.25),
    "Kashgar": (75.99, 39.47),
    "Zhoushan": (122.2, 30.0),  # islands the 1:110m coastline leaves out
    "Hekou": (103.94, 22.51),  # where the 1:110m border runs 27 km inside China
    "Shenzhen Luohu": (114.117, 22.545),  # across the river from Hong Kong
    "Zhuhai Gongbei": (113.55, 22.225),  # across the border from Macao
}
NOT_SHIFTED = {
    "Seoul": (126.978, 37.5665),
    "Hanoi": (105.8342, 21.0278),
    "Osaka": (135.50, 34.69),
    "Hong Kong Central": (114.158, 22.28),
    "Hong Kong Sheung Shui": (114.128, 22.50),
    "Macao": (113.543, 22.19),
    "Taipei": (121.56, 25.03),
    "Kinmen": (118.32, 24.44),
}


@pytest.mark.parametrize("name", list(CITIES_IN_CHINA))
def test_gcj02_shifts_points_in_mainland_china(name: str) -> None:
    lon, lat = CITIES_IN_CHINA[name]
    glon, glat = C.wgs84_to_gcj02(lon, lat)
    assert 100 < metres(lon, lat, glon, glat) < 1000
    back = C.gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, *back) < 0.01


@pytest.mark.parametrize("name", list(NOT_SHIFTED))
def test_gcj02_leaves_points_abroad_and_in_hk_macao_taiwan(name: str) -> None:
    lon, lat = NOT_SHIFTED[name]
    np.testing.assert_array_equal(C.wgs84_to_gcj02([lon], [lat]), [[lon], [lat]])
    np.testing.assert_array_equal(C.gcj02_to_wgs84([lon], [lat]), [[lon], [lat]])
    back = C.bd09_to_wgs84(*C.wgs84_to_bd09([lon], [lat]))
    np.testing.assert_allclose(back, [[lon], [lat]], atol=1e-9)


def test_the_rough_bounding_box_would_have_shifted_seoul_hanoi_osaka() -> None:
    # What the common formula's box does (and this module no longer does): 450-550 m.
    for name in ("Seoul", "Hanoi", "Osaka"):
        lon, lat = NOT_SHIFTED[name]
        x0, y0, x1, y1 = C.CHINA_BBOX
        assert x0 <= lon <= x1
        assert y0 <= lat <= y1
        shifted = C._shift_everywhere(np.array([lon]), np.array([lat]))
        assert 300 < metres(lon, lat, *shifted)[0] < 700


def test_outline_is_package_data_with_its_source_named() -> None:
    outline = C.china_outline()
    assert outline.is_valid
    assert 300 < shapely.get_num_coordinates(outline) < 2000
    from importlib import resources

    readme = resources.files("gridmap.data").joinpath("README.md").read_text()
    assert "Natural Earth" in readme
    assert "public domain" in readme


# ------------------------------------------------------------ which system fits the streets


@pytest.fixture(scope="module")
def beijing_streets():  # type: ignore[no-untyped-def]
    """The sample's real Helsinki street network moved to central Beijing (where GCJ-02
    applies), so the test has a real, irregular network rather than a tidy grid."""
    import geopandas as gpd

    from gridmap.datasets import get_path
    from gridmap.store import open_workspace

    streets = open_workspace(get_path("helsinki"), create=False).read("streets").geometry
    streets = streets.translate(xoff=116.40 - 24.94, yoff=39.91 - 60.17)
    # Tiled 3 × 3 (about 3 × 5 km, a street office's size): GCJ-02 and BD-09 move points
    # 0.6-1.2 km, more than the sample's 1 × 1.7 km is wide.
    west, south, east, north = streets.total_bounds
    tiles = [
        streets.translate(xoff=i * (east - west), yoff=j * (north - south))
        for i in (-1, 0, 1)
        for j in (-1, 0, 1)
    ]
    return gpd.GeoSeries(pd.concat(tiles, ignore_index=True), crs=4326)


def _points_on(streets, n: int = 400):  # type: ignore[no-untyped-def]
    import geopandas as gpd

    rng = np.random.default_rng(7)
    lines = streets.iloc[rng.integers(0, len(streets), n)].to_numpy()
    points = shapely.line_interpolate_point(lines, rng.uniform(0, 1, n), normalized=True)
    # A little GPS noise (≈ 5 m) so nothing lies exactly on a line.
    x = shapely.get_x(points) + rng.normal(0, 5e-5, n)
    y = shapely.get_y(points) + rng.normal(0, 5e-5, n)
    return x, y, gpd


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_best_fitting_system_finds_the_shift(beijing_streets, system: str) -> None:  # type: ignore[no-untyped-def]
    x, y, gpd = _points_on(beijing_streets)
    assert C.in_china(x, y).all()
    written = C.from_wgs84(x, y, system)
    points = gpd.GeoSeries(shapely.points(*written), crs=4326)
    fit = C.best_fitting_system(points, gpd.GeoDataFrame(geometry=beijing_streets, crs=4326))
    assert fit.best == system
    assert fit.median_m[system] < 15
    assert min(v for k, v in fit.median_m.items() if k != system) > 2 * fit.median_m[system]
    assert fit.message.key == "crs_best_fit"
    assert system in str(fit.message)


def test_best_fitting_system_says_when_it_cannot_tell(beijing_streets) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    rng = np.random.default_rng(3)
    west, south, east, north = beijing_streets.total_bounds
    width, height = (east - west) / 3, (north - south) / 3  # the middle tile
    west, south, east, north = west + width, south + height, east - width, north - height
    points = gpd.GeoSeries(
        shapely.points(rng.uniform(west, east, 300), rng.uniform(south, north, 300)), crs=4326
    )
    fit = C.best_fitting_system(points, beijing_streets)
    assert fit.best is None
    assert fit.message.key == "crs_best_fit_unclear"


def test_in_china_fast_path_agrees_with_the_polygon() -> None:
    x, y = rng.uniform(70, 140, 100_000), rng.uniform(0, 57, 100_000)
    expected = shapely.contains_xy(C.china_outline(), x, y)
    np.testing.assert_array_equal(C.in_china(x, y), expected)


def test_utm_zone_agrees_with_geopandas_estimate_utm_crs() -> None:
    import geopandas as gpd
    import shapely

    from gridmap.crs import utm_epsg

    for lon, lat in ((24.94, 60.17), (-73.98, 40.75), (151.2, -33.87), (2.35, 48.86)):
        points = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326)
        assert utm_epsg(lon, lat) == points.estimate_utm_crs().to_epsg()
