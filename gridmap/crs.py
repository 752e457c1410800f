"""Coordinate systems: WGS-84 ⇄ GCJ-02 ⇄ BD-09, CGCS2000 zones and the working CRS.

Chinese web maps publish coordinates in two obfuscated systems: GCJ-02 (Amap, Tencent,
Google China) and BD-09 (Baidu, a further distortion of GCJ-02). Their forward formulas
are public; their inverses are not closed-form, so :func:`gcj02_to_wgs84` and
:func:`bd09_to_gcj02` solve the forward formula iteratively (fixed-point on the offset),
vectorised over numpy arrays, to well below a millimetre.

Surveyed data in China is usually CGCS2000 (EPSG:4490, practically WGS-84 at map scale)
or one of its Gauss-Krüger projections (EPSG:4513–4554), whose axis order is northing
first: surveyors' *X* is the northing and *Y* the easting.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pyproj

from gridmap._errors import ValidationError

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

#: Web-map systems with no EPSG code, handled by formula.
WEB_SYSTEMS = ("wgs84", "gcj02", "bd09")
WebSystem = Literal["wgs84", "gcj02", "bd09"]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

# The bounding box inside which GCJ-02 shifts coordinates. Outside it the published
# formula is not applied (Amap and Tencent return WGS-84 abroad).
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)

_ALIASES: dict[str, str] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "tencent": "gcj02",
    "腾讯": "gcj02",
    "火星坐标": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
    "cgcs2000": "EPSG:4490",
    "国家2000": "EPSG:4490",
}


def in_china(lon: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """Return a mask of points inside the box where GCJ-02 applies its offset.

    >>> in_china([116.39, 24.94], [39.9, 60.17]).tolist()
    [True, False]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BBOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_arr = np.asarray(lon, dtype=float)
    lat_arr = np.asarray(lat, dtype=float)
    if lon_arr.shape != lat_arr.shape:
        msg = "`lon` and `lat` must have the same shape"
        raise ValidationError(msg)
    return lon_arr, lat_arr


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS-84 coordinates into GCJ-02 (the published forward formula).

    >>> lon, lat = wgs84_to_gcj02(116.397428, 39.90923)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.403672, 39.910634)
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_arr, lat_arr)
    return lon_arr + dlon, lat_arr + dlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift GCJ-02 coordinates into Baidu's BD-09 (the published forward formula)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(
    forward, lon: FloatArray, lat: FloatArray, *, tol: float, max_iter: int
) -> tuple[FloatArray, FloatArray]:
    # Both forward maps are the identity plus an offset that varies slowly in space, so the
    # fixed-point iteration x <- x - (f(x) - target) contracts fast (about 1e-5 per step).
    x, y = lon.copy(), lat.copy()
    for _ in range(max_iter):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x -= ex
        y -= ey
        if not len(np.atleast_1d(ex)) or max(np.nanmax(np.abs(ex)), np.nanmax(np.abs(ey))) < tol:
            break
    return x, y


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-11, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 coordinates to WGS-84 by inverting the forward formula iteratively.

    `tol` is in degrees (1e-11° ≈ 1 µm); the round trip through :func:`wgs84_to_gcj02`
    agrees to that tolerance.

    >>> lon, lat = gcj02_to_wgs84(116.403672, 39.910634)
    >>> round(float(lon), 5), round(float(lat), 5)
    (116.39743, 39.90923)
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon_arr, lat_arr, tol=tol, max_iter=max_iter)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-11, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 coordinates to GCJ-02 by inverting the forward formula iteratively."""
    lon_arr, lat_arr = _as_arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon_arr, lat_arr, tol=tol, max_iter=max_iter)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 coordinates to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 coordinates to WGS-84 (via GCJ-02), both steps inverted iteratively."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def parse_crs(value: object) -> WebSystem | pyproj.CRS:
    """Interpret a user's coordinate-system choice.

    Accepts the web-map systems by name (``"gcj02"``, ``"高德"``, ``"bd09"``, ``"百度"``,
    ``"wgs84"``), an EPSG code (``4490``, ``"EPSG:4549"``), WKT from a ``.prj`` file or
    anything else :class:`pyproj.CRS` understands.

    >>> parse_crs("高德"), parse_crs(4326)
    ('gcj02', 'wgs84')
    >>> parse_crs("EPSG:4549").name
    'CGCS2000 / 3-degree Gauss-Kruger CM 120E'
    """
    if isinstance(value, pyproj.CRS):
        return "wgs84" if value.to_epsg() == 4326 else value
    text = str(value).strip()
    alias = _ALIASES.get(text.lower())
    if alias in WEB_SYSTEMS:
        return alias  # type: ignore[return-value]
    try:
        crs = pyproj.CRS.from_user_input(alias or (int(text) if text.isdigit() else text))
    except pyproj.exceptions.CRSError:
        msg = (
            f"`crs` {text[:60]!r} is not a coordinate system gridmap knows: use wgs84, "
            "gcj02, bd09, an EPSG code or the WKT of a .prj file"
        )
        raise ValidationError(msg) from None
    return "wgs84" if crs.to_epsg() == 4326 else crs


def to_wgs84(x: ArrayLike, y: ArrayLike, source: object) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates in `source` to WGS-84 longitude and latitude.

    `x` is the easting or longitude and `y` the northing or latitude, whatever axis order
    the CRS declares (see :func:`guess_northing_first` for surveyors' X/Y columns).
    """
    system = parse_crs(source)
    x_arr, y_arr = _as_arrays(x, y)
    if system == "wgs84":
        return x_arr, y_arr
    if system == "gcj02":
        return gcj02_to_wgs84(x_arr, y_arr)
    if system == "bd09":
        return bd09_to_wgs84(x_arr, y_arr)
    transformer = pyproj.Transformer.from_crs(system, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(x_arr, y_arr)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, target: object) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 longitude and latitude into `target` (the inverse of :func:`to_wgs84`)."""
    system = parse_crs(target)
    lon_arr, lat_arr = _as_arrays(lon, lat)
    if system == "wgs84":
        return lon_arr, lat_arr
    if system == "gcj02":
        return wgs84_to_gcj02(lon_arr, lat_arr)
    if system == "bd09":
        return wgs84_to_bd09(lon_arr, lat_arr)
    transformer = pyproj.Transformer.from_crs("EPSG:4326", system, always_xy=True)
    x, y = transformer.transform(lon_arr, lat_arr)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def cgcs2000_gk_epsg(lon: float, *, zone_prefix: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone containing longitude `lon`.

    With `zone_prefix` the code of the variant whose eastings carry the zone number
    (EPSG:4513–4533, e.g. 39 500 000 m) instead of the central-meridian variant
    (EPSG:4534–4554).

    >>> cgcs2000_gk_epsg(116.4), cgcs2000_gk_epsg(116.4, zone_prefix=True)
    (4548, 4527)
    """
    central = 3 * round(lon / 3)
    if not 75 <= central <= 135:
        msg = f"`lon` {lon} is outside the CGCS2000 3-degree zones (75°E–135°E)"
        raise ValidationError(msg)
    index = (central - 75) // 3
    return (4513 if zone_prefix else 4534) + index


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone containing a point.

    >>> utm_epsg(24.94, 60.17)
    32635
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def working_crs(bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    """Choose a metric CRS for analysis of data within lon/lat `bounds`.

    Data in China gets its CGCS2000 3-degree Gauss-Krüger zone (what Chinese surveys and
    planning departments use); anywhere else the local UTM zone.

    >>> working_crs((24.93, 60.16, 24.96, 60.18)).to_epsg()
    32635
    >>> working_crs((116.3, 39.8, 116.5, 40.0)).to_epsg()
    4548
    """
    west, south, east, north = bounds
    if not all(np.isfinite(bounds)) or west > east or south > north:
        msg = f"`bounds` must be finite (west, south, east, north); got {bounds}"
        raise ValidationError(msg)
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    if bool(in_china(lon, lat)) and 73.5 <= lon <= 136.5:
        return pyproj.CRS.from_epsg(cgcs2000_gk_epsg(lon))
    return pyproj.CRS.from_epsg(utm_epsg(lon, lat))


def is_northing_first(crs: pyproj.CRS) -> bool:
    """Whether `crs` declares its first axis as northing (as CGCS2000 GK zones do)."""
    axes = crs.axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


def guess_northing_first(first: ArrayLike, second: ArrayLike, crs: pyproj.CRS) -> bool | None:
    """Guess whether two projected coordinate columns hold (northing, easting).

    Surveyors' X is the northing in Gauss-Krüger systems. Given columns in the order the
    user named them (``X``, ``Y``), return True when `first` looks like the northing,
    False when it looks like the easting, None when the values cannot tell.
    """
    first_arr = np.asarray(first, dtype=float)
    second_arr = np.asarray(second, dtype=float)
    if not crs.is_projected or not len(first_arr):
        return None
    probe_lon, probe_lat = 0.0, 0.0
    if crs.area_of_use is not None:
        w, s, e, n = crs.area_of_use.bounds
        probe_lon, probe_lat = (w + e) / 2, (s + n) / 2
    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    easting, northing = transformer.transform(probe_lon, probe_lat)

    def distance(e: FloatArray, n: FloatArray) -> float:
        return float(np.nanmedian(np.hypot(e - easting, n - northing)))

    as_given = distance(first_arr, second_arr)
    swapped = distance(second_arr, first_arr)
    if not np.isfinite(as_given) or not np.isfinite(swapped):
        return None
    if swapped < as_given / 4:
        return True
    if as_given < swapped / 4:
        return False
    return None
