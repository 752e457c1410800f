"""Coordinate systems: WGS-84 ⇄ GCJ-02 ⇄ BD-09, CGCS2000 zones and the working CRS.

Chinese web maps publish coordinates in two obfuscated systems: GCJ-02 (Amap, Tencent,
Google China) and BD-09 (Baidu, a further distortion of GCJ-02). Their forward formulas
are public; their inverses are not closed-form, so :func:`gcj02_to_wgs84` and
:func:`bd09_to_gcj02` solve the forward formula iteratively (fixed-point on the offset),
vectorised over numpy arrays, to well below a millimetre.

The transforms are written here by hand rather than taken from a library: the packages
that carry them (``eviltransform``, ``coordTransform_py``, ``prcoords``) are small,
unmaintained or scalar-only (a Python loop per point, too slow for a million incidents),
and they decide "in China" with a rough bounding box that also shifts Seoul, Hanoi and
Osaka by 450-550 m. ``eviltransform`` is kept as a test dependency to cross-check the
formula inside China.

GCJ-02 shifts only inside mainland China: Amap and Tencent serve WGS-84 abroad and in
Hong Kong, Macao and Taiwan. :func:`in_china` decides that with a simplified outline of
mainland China shipped in ``gridmap/data/china_gcj02_area.wkt`` (built from Natural
Earth, public domain, by ``tools/build_china_outline.py``, which documents the steps).

Surveyed data in China is usually CGCS2000 (EPSG:4490, practically WGS-84 at map scale)
or one of its Gauss-Krüger projections (EPSG:4491–4554), whose axis order is northing
first: surveyors' *X* is the northing and *Y* the easting. Eastings often carry the zone
number in front (39 448 475 m: zone 39, 448 475 m); :func:`zone_prefix` recognises it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.database import query_utm_crs_info

from gridmap._errors import ValidationError
from gridmap.i18n import Message

if TYPE_CHECKING:
    import geopandas as gpd

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

#: Web-map systems with no EPSG code, handled by formula.
WEB_SYSTEMS = ("wgs84", "gcj02", "bd09")
WebSystem = Literal["wgs84", "gcj02", "bd09"]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

#: Bounding box of the outline in :func:`in_china` (a quick test before the polygon). It is
#: *not* where GCJ-02 applies: it also holds Seoul, Hanoi, Osaka and Ulaanbaatar.
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)
#: Package data file with the outline of where GCJ-02 shifts coordinates (WKT, degrees).
CHINA_OUTLINE_FILE = "china_gcj02_area.wkt"


@functools.cache
def china_outline() -> shapely.MultiPolygon:
    """Where GCJ-02 web maps shift coordinates: mainland China, as a (prepared) polygon.

    Natural Earth's 1:110m outline of China (public domain), grown 0.35° out to sea so
    coastal islands are inside and 0.3° across land borders (the 1:110m line runs up to
    27 km inside China), with Hong Kong, Macao, Taiwan, Kinmen and Matsu cut out. Its
    edges are therefore right to about 30 km at land borders: towns just across a border
    (Lao Cai, Mong Cai, Sinuiju) count as inside. ``tools/build_china_outline.py`` builds
    it and says how.
    """
    text = resources.files("gridmap.data").joinpath(CHINA_OUTLINE_FILE).read_text()
    outline = shapely.from_wkt(text)
    shapely.prepare(outline)
    return outline


def in_china(lon: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """Return a mask of points where GCJ-02 applies its offset (mainland China).

    Hong Kong, Macao and Taiwan are outside, as they are for Amap and Tencent.

    >>> in_china([116.39, 24.94, 126.978, 114.17], [39.9, 60.17, 37.5665, 22.30]).tolist()
    [True, False, False, False]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BBOX
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    if not inside.any():
        return inside
    if inside.ndim == 0:
        return np.asarray(shapely.contains_xy(china_outline(), lon, lat))
    # Points in a cell wholly inside the outline need no polygon test (most of them, for
    # data from a Chinese city): a lookup in a raster of such cells.
    x, y = lon[inside], lat[inside]
    cells = _inner_cells()
    col = ((x - west) / _CELL_DEG).astype(np.intp)
    row = ((y - south) / _CELL_DEG).astype(np.intp)
    np.clip(col, 0, cells.shape[1] - 1, out=col)
    np.clip(row, 0, cells.shape[0] - 1, out=row)
    sure = cells[row, col]
    answer = sure.copy()
    if not sure.all():
        answer[~sure] = shapely.contains_xy(china_outline(), x[~sure], y[~sure])
    inside[inside] = answer
    return inside


_CELL_DEG = 0.25


@functools.cache
def _inner_cells() -> npt.NDArray[np.bool_]:
    """Raster over :data:`CHINA_BBOX` of the 0.25° cells wholly inside the outline."""
    west, south, east, north = CHINA_BBOX
    cols = int(np.ceil((east - west) / _CELL_DEG))
    rows = int(np.ceil((north - south) / _CELL_DEG))
    x0 = west + np.arange(cols) * _CELL_DEG
    y0 = south + np.arange(rows) * _CELL_DEG
    gx, gy = np.meshgrid(x0, y0)
    boxes = shapely.box(gx, gy, gx + _CELL_DEG, gy + _CELL_DEG)
    return np.asarray(shapely.contains(china_outline(), boxes), dtype=bool)


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
    return dlon, dlat


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_arr = np.asarray(lon, dtype=float)
    lat_arr = np.asarray(lat, dtype=float)
    if lon_arr.shape != lat_arr.shape:
        msg = "`lon` and `lat` must have the same shape"
        raise ValidationError(msg)
    return lon_arr, lat_arr


def _shift_everywhere(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 forward formula applied wherever the points are (tests use it abroad)."""
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS-84 coordinates into GCJ-02 (the published forward formula).

    Points outside mainland China (:func:`in_china`) are returned unchanged, as Amap and
    Tencent serve them.

    >>> lon, lat = wgs84_to_gcj02(116.397428, 39.90923)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.403672, 39.910634)
    >>> wgs84_to_gcj02(126.978, 37.5665)  # Seoul: not shifted
    (array(126.978), array(37.5665))
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    inside = in_china(lon_arr, lat_arr)
    if inside.all():
        return _shift_everywhere(lon_arr, lat_arr)
    out_lon, out_lat = lon_arr.copy(), lat_arr.copy()
    if inside.any():
        out_lon[inside], out_lat[inside] = _shift_everywhere(lon_arr[inside], lat_arr[inside])
    return out_lon, out_lat


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
    # Which points are in China is decided once, on the GCJ-02 position (at most ~700 m
    # from the WGS-84 one: the outline is coarser than that).
    inside = in_china(lon_arr, lat_arr)
    if inside.all():
        return _invert(_shift_everywhere, lon_arr, lat_arr, tol=tol, max_iter=max_iter)
    out_lon, out_lat = lon_arr.copy(), lat_arr.copy()
    if inside.any():
        out_lon[inside], out_lat[inside] = _invert(
            _shift_everywhere, lon_arr[inside], lat_arr[inside], tol=tol, max_iter=max_iter
        )
    return out_lon, out_lat


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
    """EPSG code of the WGS-84 UTM zone containing a point, from PROJ's database.

    Asks :func:`pyproj.database.query_utm_crs_info` (what
    :meth:`geopandas.GeoDataFrame.estimate_utm_crs` does) rather than computing the code
    by hand: PROJ's areas of use decide which zones fit, and the hemisphere.

    >>> utm_epsg(24.94, 60.17)
    32635
    >>> utm_epsg(115.86, -31.95)  # Perth: southern hemisphere
    32750
    """
    zones = [
        code
        for code, (west, south, east, north) in _utm_zones()
        if west <= lon <= east and south <= lat <= north
    ]
    # On a zone edge (or the equator) two zones contain the point; prefer the one of the
    # standard 6-degree grid and the northern hemisphere at 0°, so the choice is stable.
    # Beyond UTM's latitudes (84°N, 80°S) PROJ has none: the nearest zone still gives
    # metres for the odd stray point.
    standard = (32600 if lat >= 0 else 32700) + int((lon + 180.0) // 6.0) % 60 + 1
    return standard if standard in zones or not zones else zones[0]


@functools.cache
def _utm_zones() -> tuple[tuple[int, tuple[float, float, float, float]], ...]:
    """The WGS-84 UTM zones of PROJ's database with their areas of use (read once: a
    query per point takes ~0.2 s)."""
    return tuple(
        (int(info.code), tuple(info.area_of_use.bounds))  # type: ignore[misc]
        for info in query_utm_crs_info(datum_name="WGS 84")
        if info.auth_name == "EPSG" and info.area_of_use is not None
    )


def working_crs(bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    """Choose a metric CRS for analysis of data within lon/lat `bounds`.

    Data in China gets its CGCS2000 3-degree Gauss-Krüger zone (what Chinese surveys and
    planning departments use; PROJ has no query for "the zone of a point" among those, so
    :func:`cgcs2000_gk_epsg` computes it); anywhere else the UTM zone PROJ's database gives
    for the centre (:func:`utm_epsg`).

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


# ------------------------------------------------------------- Gauss-Krüger zone prefixes

#: Zone numbers written in front of Gauss-Krüger eastings in China: 6-degree zones 13-23
#: (central meridians 75°E-135°E) and 3-degree zones 25-45 (75°E-135°E). The two ranges
#: do not overlap, so a prefix also says the zone width. Source: GB/T 17798-2007 and the
#: EPSG definitions of CGCS2000 / Xian 1980 / Beijing 1954 Gauss-Krüger zones.
SIX_DEGREE_ZONES = range(13, 24)
THREE_DEGREE_ZONES = range(25, 46)
#: CGCS2000 Gauss-Krüger EPSG codes, (with zone number, without) by zone width; the first
#: code is of the first zone (13 or 25), the rest follow in order.
_CGCS2000_GK = {6: (4491, 4502), 3: (4513, 4534)}
#: Eastings of one zone lie within this of the false easting (500 000 m): a 6-degree zone
#: is at most ~340 km wide either side of its meridian at China's latitudes.
_EASTING_RANGE = (100_000.0, 900_000.0)


def zone_prefixes(easting: ArrayLike) -> FloatArray:
    """The Gauss-Krüger zone number written in front of each easting, NaN where none.

    ``39448475.8`` is zone 39 (3-degree, central meridian 117°E), 448 475.8 m; ``20448475``
    zone 20 (6-degree, 117°E). A value is read as prefixed only when the zone is one of
    China's (:data:`SIX_DEGREE_ZONES`, :data:`THREE_DEGREE_ZONES`) and the rest is a
    plausible easting (100-900 km), so northings (7 digits) never are.

    >>> zone_prefixes([39448475.815, 448475.815, 4419624.3, 20448475.0]).tolist()
    [39.0, nan, nan, 20.0]
    """
    e = np.asarray(easting, dtype=float)
    with np.errstate(invalid="ignore"):
        zone = np.floor(e / 1e6)
        rest = e - zone * 1e6
    known = np.isin(zone, list(SIX_DEGREE_ZONES)) | np.isin(zone, list(THREE_DEGREE_ZONES))
    plausible = (rest >= _EASTING_RANGE[0]) & (rest <= _EASTING_RANGE[1])
    return np.where(known & plausible, zone, np.nan)


def _transverse_mercator(crs: pyproj.CRS) -> dict[str, float] | None:
    """Parameters of a Transverse Mercator projection (Gauss-Krüger is one), else None."""
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    operation = crs.coordinate_operation
    if "transverse mercator" not in operation.method_name.lower():
        return None
    return {p.name: p.value for p in operation.params}


def gauss_kruger_zone_crs(crs: pyproj.CRS, zone: int) -> pyproj.CRS:
    """The Gauss-Krüger projection of `crs`'s datum for `zone`, zone number in the eastings.

    Surveyors write 3-degree zone 39 eastings as 39 448 475 m; read with a CRS whose
    false easting is 500 000 m (EPSG:4548) they land thousands of kilometres away. For
    CGCS2000 this returns the EPSG code of the prefixed zone (EPSG:4491-4501 for 6-degree
    zones, 4513-4533 for 3-degree ones); for other datums (Xian 1980, Beijing 1954) the
    same datum and ellipsoid with the zone's central meridian and a false easting of
    zone × 1 000 000 + 500 000 m.

    >>> gauss_kruger_zone_crs(pyproj.CRS.from_epsg(4548), 39).to_epsg()
    4527
    >>> gauss_kruger_zone_crs(pyproj.CRS.from_epsg(4548), 20).to_epsg()
    4498
    """
    if zone in THREE_DEGREE_ZONES:
        width, first, meridian = 3, THREE_DEGREE_ZONES[0], 3.0 * zone
    elif zone in SIX_DEGREE_ZONES:
        width, first, meridian = 6, SIX_DEGREE_ZONES[0], 6.0 * zone - 3.0
    else:
        msg = f"`zone` {zone} is not a Chinese Gauss-Krüger zone (13-23 or 25-45)"
        raise ValidationError(msg)
    if _transverse_mercator(crs) is None:
        msg = f"`crs` {crs.name!r} is not a Gauss-Krüger (Transverse Mercator) projection"
        raise ValidationError(msg)
    if "2000" in (crs.datum.name if crs.datum else ""):
        return pyproj.CRS.from_epsg(_CGCS2000_GK[width][0] + zone - first)
    spec = crs.to_json_dict()
    for key in ("id", "area", "bbox", "scope", "usages"):
        spec.pop(key, None)
    base = crs.geodetic_crs.name if crs.geodetic_crs else crs.name
    spec["name"] = f"{base} / {width}-degree Gauss-Kruger zone {zone} (zone number in easting)"
    for parameter in spec["conversion"]["parameters"]:
        if parameter["name"] == "Longitude of natural origin":
            parameter["value"] = meridian
        elif parameter["name"] == "False easting":
            parameter["value"] = zone * 1_000_000 + 500_000
        parameter.pop("id", None)
    spec["conversion"].pop("id", None)
    spec["conversion"]["name"] = f"Gauss-Kruger zone {zone}"
    return pyproj.CRS.from_json_dict(spec)


def without_zone_prefix(crs: pyproj.CRS) -> pyproj.CRS | None:
    """The same zone as `crs` with plain eastings (false easting 500 000 m), or None.

    For a CRS whose eastings carry the zone number (EPSG:4527) when the data's do not.

    >>> without_zone_prefix(pyproj.CRS.from_epsg(4527)).to_epsg()
    4548
    """
    params = _transverse_mercator(crs)
    if params is None or params.get("False easting", 0.0) < 1_000_000:
        return None
    if "2000" in (crs.datum.name if crs.datum else ""):
        meridian = params.get("Longitude of natural origin", 0.0)
        zone = int(params["False easting"] // 1_000_000)
        if zone in THREE_DEGREE_ZONES:
            return pyproj.CRS.from_epsg(_CGCS2000_GK[3][1] + int(meridian // 3) - 25)
        if zone in SIX_DEGREE_ZONES:
            return pyproj.CRS.from_epsg(_CGCS2000_GK[6][1] + zone - SIX_DEGREE_ZONES[0])
    spec = crs.to_json_dict()
    for key in ("id", "area", "bbox", "scope", "usages"):
        spec.pop(key, None)
    spec["name"] = f"{crs.name} (eastings without zone number)"
    for parameter in spec["conversion"]["parameters"]:
        if parameter["name"] == "False easting":
            parameter["value"] = 500_000
        parameter.pop("id", None)
    spec["conversion"].pop("id", None)
    return pyproj.CRS.from_json_dict(spec)


#: How far outside a CRS's published area of use (pyproj ``area_of_use``) a point may lie
#: before it is refused: Gauss-Krüger zones are used a little beyond their 3° strip by
#: cities that straddle a zone edge, but a wrong zone or a zone number read as metres puts
#: points 3° to thousands of kilometres away.
AREA_OF_USE_MARGIN_DEG = 1.0


def area_bounds(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) where `crs` is meant to be used, in degrees, or None.

    From pyproj's ``area_of_use``; for a Gauss-Krüger CRS built by
    :func:`gauss_kruger_zone_crs` without one, the zone's strip over China's latitudes.
    """
    if crs.area_of_use is not None:
        return crs.area_of_use.bounds
    params = _transverse_mercator(crs)
    if params is None:
        return None
    meridian = params.get("Longitude of natural origin", 0.0)
    zone = int(params.get("False easting", 0.0) // 1_000_000)
    half = 1.5 if zone in THREE_DEGREE_ZONES else 3.0
    return meridian - half, 17.0, meridian + half, 54.0


def outside_area_of_use(
    lon: ArrayLike, lat: ArrayLike, crs: pyproj.CRS, *, margin: float = AREA_OF_USE_MARGIN_DEG
) -> npt.NDArray[np.bool_]:
    """Mask of points (WGS-84) farther than `margin` degrees outside `crs`'s area of use.

    Non-finite points count as outside. A CRS without a published area is used anywhere.

    >>> outside_area_of_use([116.4, 150.27], [39.9, -4.23], pyproj.CRS.from_epsg(4548)).tolist()
    [False, True]
    """
    lon_arr, lat_arr = _as_arrays(lon, lat)
    bounds = area_bounds(crs)
    finite = np.isfinite(lon_arr) & np.isfinite(lat_arr)
    if bounds is None:
        return ~finite
    west, south, east, north = bounds
    if west > east:  # an area crossing the antimeridian
        in_lon = (lon_arr >= west - margin) | (lon_arr <= east + margin)
    else:
        in_lon = (lon_arr >= west - margin) & (lon_arr <= east + margin)
    in_lat = (lat_arr >= south - margin) & (lat_arr <= north + margin)
    return ~(finite & in_lon & in_lat)


# ------------------------------------------------------- which web-map system fits streets

#: A system is named the best fit only when its median distance to the streets is at most
#: this fraction of the runner-up's: GCJ-02 moves points 300-700 m and BD-09 another
#: ~500 m, while GPS and geocoding put points within tens of metres of their street.
BEST_FIT_RATIO = 0.6
# Points within this of the street layer's edge (in any reading) are left out, unless
# fewer than _MIN_POINTS would be left.
_EDGE_M = 300.0
_MIN_POINTS = 20


@dataclass(frozen=True)
class SystemFit:
    """Which web-map system lines points up with a street network.

    Attributes
    ----------
    best : {"wgs84", "gcj02", "bd09"} or None
        The clear best fit, or None when the medians are too alike to tell.
    median_m : dict
        System -> median distance (metres) from the converted points to the nearest street.
    message : Message
        What to tell the user (``crs_best_fit`` or ``crs_best_fit_unclear``).
    """

    best: WebSystem | None
    median_m: dict[str, float]
    message: Message


def best_fitting_system(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    streets: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    ratio: float = BEST_FIT_RATIO,
) -> SystemFit:
    """Tell from a street network whether points are WGS-84, GCJ-02 or BD-09.

    Coordinates from Chinese business systems carry no label, and a wrong guess moves
    them 300-700 m. Each candidate system's conversion to WGS-84 is applied to the points
    as written, and the one whose points lie closest to the streets (median distance to
    the nearest street, in the local metric CRS from :func:`working_crs`) wins if it is
    clearly closer than the others (`ratio`). The streets must be true WGS-84 positions,
    e.g. OpenStreetMap's, which are traced from GPS and aerial imagery.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Points with their coordinates as written (read as WGS-84 longitude/latitude,
        i.e. imported without `crs`). A few hundred are plenty.
    streets : GeoSeries or GeoDataFrame
        Street lines covering the points' area, in any CRS (reprojected to WGS-84).
    ratio : float, default :data:`BEST_FIT_RATIO`
        How much closer the best system must be than the runner-up.

    Returns
    -------
    SystemFit
        The best system (or None) with each system's median distance and a message.
    """
    import geopandas as gpd

    if not 0 < ratio <= 1:
        msg = f"`ratio` must be in (0, 1]; got {ratio!r}"
        raise ValidationError(msg)
    point_geoms = gpd.GeoSeries(getattr(points, "geometry", points))
    point_geoms = point_geoms[~(point_geoms.is_empty | point_geoms.isna())]
    lines = gpd.GeoSeries(getattr(streets, "geometry", streets))
    if lines.crs is not None and lines.crs.to_epsg() != 4326:
        lines = lines.to_crs(4326)
    lines = lines[~(lines.is_empty | lines.isna())]
    if not len(point_geoms) or not len(lines):
        msg = "`points` and `streets` must each hold at least one geometry"
        raise ValidationError(msg)
    x, y = shapely.get_x(point_geoms.to_numpy()), shapely.get_y(point_geoms.to_numpy())
    west, south, east, north = lines.total_bounds
    metric = working_crs((float(west), float(south), float(east), float(north)))
    tree = shapely.STRtree(lines.to_crs(metric).to_numpy())
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True)
    candidates = {}
    for system in WEB_SYSTEMS:
        lon, lat = to_wgs84(x, y, system)
        candidates[system] = to_metric.transform(lon, lat)
    # Only points whose every reading lies well inside the network count: one that a
    # shift moves past the edge of the street layer is far from streets for that reason.
    sx0, sy0, sx1, sy1 = shapely.total_bounds(tree.geometries)
    inner = np.ones(len(x), dtype=bool)
    for mx, my in candidates.values():
        inner &= (mx > sx0 + _EDGE_M) & (mx < sx1 - _EDGE_M)
        inner &= (my > sy0 + _EDGE_M) & (my < sy1 - _EDGE_M)
    if inner.sum() < _MIN_POINTS:
        inner[:] = True
    median_m: dict[str, float] = {}
    for system, (mx, my) in candidates.items():
        _, distance = tree.query_nearest(
            shapely.points(mx[inner], my[inner]), return_distance=True, all_matches=False
        )
        median_m[system] = float(np.median(distance))
    ranked = sorted(median_m, key=median_m.__getitem__)
    described = ", ".join(f"{s} {median_m[s]:.0f} m" for s in ranked)
    best, second = ranked[0], ranked[1]
    if median_m[best] <= ratio * median_m[second]:
        others = ", ".join(f"{s} {median_m[s]:.0f} m" for s in ranked[1:])
        message = Message(
            "crs_best_fit", system=best, metres=f"{median_m[best]:.0f}", others=others
        )
        return SystemFit(best, median_m, message)  # type: ignore[arg-type]
    return SystemFit(None, median_m, Message("crs_best_fit_unclear", all=described))
