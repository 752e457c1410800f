"""Coordinates and geometries of imported rows: put into WGS-84, checked and repaired.

Users' coordinates go wrong in a few recurring ways, each of which would put a whole file
in the wrong place on the map: latitude and longitude columns swapped, surveyors'
northing-first X/Y in a CGCS2000 Gauss-Krüger zone, GCJ-02/BD-09 web-map shifts, or
projected metres given as degrees. Each is recognised from the values themselves and
reported as a note, never corrected silently. Rows that cannot be used are recorded in a
:class:`~gridmap.io._rejections.Rejections` with a reason; invalid polygons, common in
hand-drawn grid maps, are repaired with ``make_valid`` rather than rejected.

On the hot path the point geometries are built in a worker thread (:class:`_Points`), as
GEOS releases the GIL while :mod:`gridmap.io` checks the attribute values.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from geopandas.array import GeometryArray

from gridmap._errors import ImportFileError, ValidationError
from gridmap.crs import (
    WebSystem,
    area_bounds,
    gauss_kruger_zone_crs,
    guess_northing_first,
    in_china,
    outside_area_of_use,
    parse_crs,
    to_wgs84,
    without_zone_prefix,
    zone_prefixes,
)
from gridmap.i18n import Message
from gridmap.io._columns import AXIS_NAMES, normalise_name
from gridmap.io._numbers import as_text, parse_numbers
from gridmap.io._rejections import Rejections, row_messages
from gridmap.io._times import blank_mask
from gridmap.schema import STORAGE_CRS, LayerSpec

#: Key of the note saying points in China were read as WGS-84 with no system chosen.
CRS_AMBIGUOUS_CHINA = "crs_ambiguous_china"

_GEOMETRY_TYPE_IDS = {"Point": (0, 4), "LineString": (1, 5), "Polygon": (3, 6)}


# ------------------------------------------------------------------ coordinate systems


def user_crs(value: object) -> WebSystem | pyproj.CRS:
    """:func:`gridmap.crs.parse_crs` of a user's `crs`, refused with a message users can read."""
    try:
        return parse_crs(value)
    except ValidationError:
        text = str(value).strip()
        raise ValidationError(Message("bad_crs", crs=repr(text[:60]))) from None


def _crs_label(system: str | pyproj.CRS) -> str:
    if isinstance(system, str):
        return STORAGE_CRS if system == "wgs84" else system
    authority = system.to_authority(min_confidence=70)
    return ":".join(authority) if authority else system.name


def _is_wgs84(system: pyproj.CRS | None) -> bool:
    if system is None:
        return True
    return system.to_epsg() == 4326 or system.to_authority() == ("OGC", "CRS84")


def _plan_crs(
    declared: pyproj.CRS | None, user: str | pyproj.CRS | None, notes: list[str]
) -> tuple[pyproj.CRS | None, str | None, str]:
    """(CRS to reproject from, web-map shift to undo, label of what was used)."""
    if user is None or user == "wgs84":
        if user == "wgs84" and not _is_wgs84(declared):
            notes.append(Message("crs_declared_used", declared=_crs_label(declared)))
        return (None if _is_wgs84(declared) else declared), None, _crs_label(declared or "wgs84")
    if isinstance(user, str):  # gcj02 / bd09, applied after any reprojection to WGS-84
        return (None if _is_wgs84(declared) else declared), user, user
    if _is_wgs84(declared) or declared == user:
        return (None if _is_wgs84(user) else user), None, _crs_label(user)
    notes.append(
        Message("crs_declared_ignored", declared=_crs_label(declared), given=_crs_label(user))
    )
    return declared, None, _crs_label(declared)


def _km_outside(bounds: np.ndarray, workspace: tuple[float, float, float, float]) -> np.ndarray:
    """Distance in km from each (minx, miny, maxx, maxy) box to the workspace box."""
    west, south, east, north = workspace
    zero = np.zeros(len(bounds))
    dx = np.maximum.reduce([west - bounds[:, 2], bounds[:, 0] - east, zero])
    dy = np.maximum.reduce([south - bounds[:, 3], bounds[:, 1] - north, zero])
    lat = np.clip((bounds[:, 1] + bounds[:, 3]) / 2.0, -89.0, 89.0)
    return np.hypot(dx * 111.32 * np.cos(np.radians(lat)), dy * 110.57)


def _unswap(
    x: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    system: object,
    workspace: tuple[float, float, float, float] | None,
    max_km: float,
) -> str | None:
    """Why the longitude and latitude columns look swapped (a message key), or None."""
    xs, ys = x[ok], y[ok]
    if not len(xs):
        return None
    if (
        np.mean(np.abs(ys) > 90) > 0.5
        and np.mean(np.abs(xs) <= 90) > 0.9
        and np.mean(np.abs(ys) <= 180) > 0.9
    ):
        return "columns_swapped_range"
    if workspace is not None:
        given = np.mean(_km_outside(np.column_stack([xs, ys, xs, ys]), workspace) <= max_km)
        swapped = np.mean(_km_outside(np.column_stack([ys, xs, ys, xs]), workspace) <= max_km)
        if swapped > 0.5 and given < 0.1:
            return "columns_swapped_workspace"
    elif (
        system in ("gcj02", "bd09")
        and np.mean(in_china(ys, xs)) > 0.5
        and np.mean(in_china(xs, ys)) < 0.1
    ):
        return "columns_swapped_china"
    return None


def _swapped_rows(
    x: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    workspace: tuple[float, float, float, float] | None,
    max_km: float,
) -> np.ndarray:
    """Rows whose own longitude and latitude are the wrong way round.

    Hand-typed tables swap single rows, which the column test in :func:`_unswap` cannot
    see. Without a workspace a row is swapped back when only the other reading is within
    ±180°, ±90°. With one, when the given point is out of range or more than `max_km`
    outside it while the swapped point lies within `max_km`: a swap that still lands far
    away would only trade one rejection for a more confusing one.
    """
    valid = (np.abs(x) <= 180) & (np.abs(y) <= 90)  # False for NaN
    valid_swapped = (np.abs(y) <= 180) & (np.abs(x) <= 90)
    if workspace is None:
        return ok & ~valid & valid_swapped
    candidates = ok & valid_swapped
    given = candidates & valid
    far = np.zeros(len(x), dtype=bool)
    if given.any():
        xs, ys = x[given], y[given]
        far[given] = _km_outside(np.column_stack([xs, ys, xs, ys]), workspace) > max_km
    candidates &= far | ~valid
    if not candidates.any():
        return candidates
    xs, ys = x[candidates], y[candidates]
    near = _km_outside(np.column_stack([ys, xs, ys, xs]), workspace) <= max_km
    flip = np.zeros(len(x), dtype=bool)
    flip[np.flatnonzero(candidates)[near]] = True
    return flip


def _projected_hint(x: np.ndarray, y: np.ndarray, bad: np.ndarray, notes: list[str]) -> None:
    if bad.mean() > 0.5 and np.nanmedian(np.abs(np.concatenate([x[bad], y[bad]]))) > 1000:
        for values in (x[bad], y[bad]):
            zones = zone_prefixes(values)
            if np.mean(np.isfinite(zones)) > 0.5:
                zone = int(np.nanmedian(zones))
                epsg = gauss_kruger_zone_crs(pyproj.CRS.from_epsg(4548), zone).to_epsg()
                notes.append(Message("zone_prefix_hint", zone=zone, epsg=f"EPSG:{epsg}"))
                return
        notes.append(Message("coordinates_projected"))


def _points(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    user: str | pyproj.CRS | None,
    workspace: tuple[float, float, float, float] | None,
    max_km: float,
    rej: Rejections,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, str]:
    """Longitudes and latitudes (WGS-84) from coordinate columns; bad rows rejected."""
    xcol, ycol = mapping["lon"], mapping["lat"]
    x, x_blank, x_bad = parse_numbers(frame[xcol])
    y, y_blank, y_bad = parse_numbers(frame[ycol])
    rej.add(
        x_blank | y_blank,
        "missing_coordinate",
        lambda i: [
            Message("row_coordinates_empty", x=xcol, y=ycol)
            if both
            else Message("row_coordinate_empty", column=xcol if x_empty else ycol)
            for both, x_empty in zip(x_blank[i] & y_blank[i], x_blank[i], strict=True)
        ],
    )
    raw_x, raw_y = frame[xcol], frame[ycol]
    rej.add(
        x_bad | y_bad,
        "non_numeric_coordinate",
        row_messages(
            "row_not_a_number",
            x=xcol,
            y=ycol,
            x_value=lambda i: raw_x.iloc[i],
            y_value=lambda i: raw_y.iloc[i],
        ),
    )
    _reject_null_island(rej.good & (x == 0) & (y == 0), rej)
    system = user or "wgs84"
    label = _crs_label(system)
    ok = rej.good
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    if isinstance(system, pyproj.CRS) and system.is_projected:
        return _projected_points(x, y, xcol, ycol, system, mapping, rej, notes)
    why = _unswap(x, y, ok, system, workspace, max_km)
    if why:
        x, y = y, x
        mapping["lon"], mapping["lat"] = ycol, xcol
        notes.append(
            Message(why, system=system) if why == "columns_swapped_china" else Message(why)
        )
    flip = _swapped_rows(x, y, ok, workspace, max_km)
    if flip.any():
        x, y = np.where(flip, y, x), np.where(flip, x, y)
        notes.append(Message("rows_swapped", n=int(flip.sum())))
    bad = ok & ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
    rej.add(
        bad,
        "out_of_range",
        row_messages("row_out_of_range", lon=lambda i: x[i], lat=lambda i: y[i]),
    )
    if bad.any():
        _projected_hint(x, y, bad, notes)
    ok = rej.good
    if system == "wgs84":
        lon[ok], lat[ok] = x[ok], y[ok]
    else:
        lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], system)
    if user is None:
        _ambiguous_in_china(lon[ok], lat[ok], notes)
    return lon, lat, label


def _ambiguous_in_china(lon: np.ndarray, lat: np.ndarray, notes: list[str]) -> None:
    """Say so when most points lie in China and nobody said what system they are in.

    Chinese business data is mostly GCJ-02 or BD-09; read as WGS-84 it lies 300-700 m off
    with nothing looking wrong. The note's key (``crs_ambiguous_china``) is what
    :attr:`gridmap.io.ImportResult.crs_ambiguous` and the Data page look for.
    """
    if not len(lon):
        return
    china = int(in_china(lon, lat).sum())
    if china * 2 > len(lon):
        notes.append(Message(CRS_AMBIGUOUS_CHINA, n=china, total=len(lon)))


def _projected_points(
    x: np.ndarray,
    y: np.ndarray,
    xcol: str,
    ycol: str,
    system: pyproj.CRS,
    mapping: dict[str, str],
    rej: Rejections,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, str]:
    """Projected coordinates to WGS-84: axis order, zone numbers, area of use.

    Surveyors' X is the northing; a zone number in front of the eastings (39 448 475 m)
    says both which column is the easting and which zone (see
    :func:`gridmap.crs.zone_prefixes`). Each zone found is read in its own CRS of the same
    datum, with a note. Rows that still land farther than
    :data:`gridmap.crs.AREA_OF_USE_MARGIN_DEG` outside the area of use of the CRS they
    were read in are rejected: a wrong zone or datum must not put points on another
    continent silently.
    """
    label = _crs_label(system)
    ok = rej.good
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    named = {normalise_name(xcol), normalise_name(ycol)} & AXIS_NAMES
    in_x = np.mean(np.isfinite(zone_prefixes(x[ok]))) if ok.any() else 0.0
    in_y = np.mean(np.isfinite(zone_prefixes(y[ok]))) if ok.any() else 0.0
    if named:
        order = None
    elif in_y > 0.5 and in_x < 0.1:  # the zone-numbered column is the easting
        order = True
    elif in_x > 0.5 and in_y < 0.1:
        order = False
    else:
        order = guess_northing_first(x[ok], y[ok], system)
    if order:
        x, y = y, x
        xcol, ycol = ycol, xcol
        mapping["lon"], mapping["lat"] = xcol, ycol
        notes.append(Message("northing_first", x=ycol, y=xcol, crs=label))
    elif order is None and not named and ok.any():
        notes.append(Message("axis_order_unknown", x=xcol, y=ycol))
    systems = _zone_systems(x, ok, system, xcol, label, notes)
    labels = np.full(len(x), label, dtype=object)
    outside = np.zeros(len(x), dtype=bool)
    for crs, rows in systems:
        lon[rows], lat[rows] = to_wgs84(x[rows], y[rows], crs)
        outside[rows] = outside_area_of_use(lon[rows], lat[rows], crs)
        labels[rows] = _crs_label(crs)
    rej.add(
        outside,
        "outside_crs_area",
        row_messages(
            "row_outside_crs_area",
            x=xcol,
            y=ycol,
            x_value=lambda i: x[i],
            y_value=lambda i: y[i],
            crs=lambda i: labels[i],
        ),
    )
    used = {str(v) for v in labels[rej.good]}
    return lon, lat, used.pop() if len(used) == 1 else label


def _zone_systems(
    easting: np.ndarray,
    ok: np.ndarray,
    system: pyproj.CRS,
    column: str,
    label: str,
    notes: list[str],
) -> list[tuple[pyproj.CRS, np.ndarray]]:
    """The CRS to read each row's easting in, as (crs, row mask) pairs."""
    zones = np.full(len(easting), np.nan)
    zones[ok] = zone_prefixes(easting[ok])
    prefixed = ok & np.isfinite(zones)
    plain = ok & ~prefixed
    out: list[tuple[pyproj.CRS, np.ndarray]] = []
    if prefixed.any():
        for zone in np.unique(zones[prefixed]).astype(int):
            rows = prefixed & (zones == zone)
            try:
                crs = gauss_kruger_zone_crs(system, int(zone))
            except ValidationError:  # not a Gauss-Krüger CRS: the area check decides
                out.append((system, rows))
                continue
            if crs != system:
                notes.append(
                    Message(
                        "crs_zone_prefix",
                        column=column,
                        zone=int(zone),
                        used=_crs_label(crs),
                        given=label,
                    )
                )
            out.append((crs, rows))
    if plain.any():
        bare = without_zone_prefix(system)
        # Plain eastings with a zone-numbered CRS: read in the same zone without the number.
        if bare is not None and np.nanmedian(easting[plain]) < 1_000_000:
            notes.append(
                Message(
                    "crs_zone_prefix_missing", column=column, given=label, used=_crs_label(bare)
                )
            )
            out.append((bare, plain))
        else:
            out.append((system, plain))
    return out


def _reject_null_island(zero: np.ndarray, rej: Rejections) -> None:
    # GPS units without a fix and blank cells turned into numbers both write (0, 0); one
    # such row would stretch a new workspace's bounds to the Gulf of Guinea.
    rej.add(
        zero,
        "zero_coordinate",
        Message("row_zero_coordinate"),
    )


def _wkt(frame: pd.DataFrame, column: str, rej: Rejections) -> np.ndarray:
    text = as_text(frame[column])
    blank = blank_mask(text)
    geoms = shapely.from_wkt(text.to_numpy(dtype=object, na_value=None), on_invalid="ignore")
    unread = ~blank & shapely.is_missing(geoms)
    rej.add(unread, "invalid_geometry", Message("row_not_wkt", column=column))
    return np.asarray(geoms, dtype=object)


def _shapes(
    geoms: np.ndarray,
    declared: pyproj.CRS | None,
    user: str | pyproj.CRS | None,
    spec: LayerSpec,
    rej: Rejections,
    notes: list[str],
    name: str,
) -> tuple[np.ndarray, str]:
    """Geometries of a vector file (or WKT column) checked, repaired and in WGS-84."""
    geoms = geoms.copy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    rej.add(empty, "empty_geometry", Message("row_empty_geometry"))
    type_ids = shapely.get_type_id(geoms)
    wrong = ~empty & ~np.isin(type_ids, _GEOMETRY_TYPE_IDS[spec.geometry])
    if wrong.any() and not (~empty & ~wrong).any():
        found = ", ".join(sorted(gpd.GeoSeries(geoms[wrong]).geom_type.unique()))
        msg = Message(
            "wrong_geometry_type", layer=spec.name, geometry=spec.geometry, name=name, found=found
        )
        raise ImportFileError(msg)
    rej.add(
        wrong,
        "wrong_geometry_type",
        row_messages(
            "row_wrong_geometry_type",
            found=lambda i: gpd.GeoSeries(geoms[i]).geom_type.to_numpy(),
            layer=spec.name,
            geometry=spec.geometry,
        ),
    )
    if spec.geometry == "Point":
        ok = rej.good
        point = ok & (type_ids == 0)
        zero = np.zeros(len(geoms), dtype=bool)
        zero[point] = (shapely.get_x(geoms[point]) == 0) & (shapely.get_y(geoms[point]) == 0)
        _reject_null_island(zero, rej)
    project, shift, label = _plan_crs(declared, user, notes)
    ok = rej.good
    if project is not None and ok.any():
        geoms[ok] = gpd.GeoSeries(geoms[ok], crs=project).to_crs(STORAGE_CRS).to_numpy()
    if shift is not None and ok.any():
        geoms[ok] = shapely.transform(
            geoms[ok], lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1], shift))
        )
    bounds = shapely.bounds(geoms)
    inside = (
        np.isfinite(bounds).all(axis=1)
        & (bounds[:, 0] >= -180)
        & (bounds[:, 2] <= 180)
        & (bounds[:, 1] >= -90)
        & (bounds[:, 3] <= 90)
    )
    bad = ok & ~inside
    rej.add(bad, "out_of_range", Message("row_geometry_out_of_range", crs=label))
    if bad.any():
        _projected_hint(bounds[:, 0], bounds[:, 1], bad, notes)
    ok = rej.good
    centre_lon = (bounds[:, 0] + bounds[:, 2]) / 2.0
    centre_lat = (bounds[:, 1] + bounds[:, 3]) / 2.0
    if project is not None and project.is_projected and ok.any():
        area = area_bounds(project)
        far = np.zeros(len(geoms), dtype=bool)
        far[ok] = outside_area_of_use(centre_lon[ok], centre_lat[ok], project)
        described = "unknown" if area is None else ", ".join(f"{v:g}" for v in area)
        rej.add(
            far,
            "outside_crs_area",
            Message("row_geometry_outside_crs_area", crs=label, area=described),
        )
    elif declared is None and user is None and ok.any():
        _ambiguous_in_china(centre_lon[ok], centre_lat[ok], notes)
    if spec.geometry == "Polygon":
        _repair(geoms, rej, notes)
    elif spec.geometry == "Point":
        single = (
            rej.good & (shapely.get_type_id(geoms) == 4) & (shapely.get_num_geometries(geoms) == 1)
        )
        geoms[single] = shapely.get_geometry(geoms[single], 0)
    return geoms, label


def _repair(geoms: np.ndarray, rej: Rejections, notes: list[str]) -> None:
    """Repair invalid polygons in place with make_valid, keeping only polygonal parts."""
    invalid = rej.good & ~shapely.is_valid(geoms)
    if not invalid.any():
        return
    geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    failed = invalid & (
        shapely.is_empty(geoms)
        | ~np.isin(shapely.get_type_id(geoms), _GEOMETRY_TYPE_IDS["Polygon"])
    )
    rej.add(failed, "invalid_geometry", Message("row_unrepairable_polygon"))
    repaired = int(invalid.sum() - failed.sum())
    if repaired:
        notes.append(Message("polygons_repaired", n=repaired))


# ------------------------------------------------------------------------------ points


def _make_points(lon: np.ndarray, lat: np.ndarray, *, chunk: int = 16_384) -> np.ndarray:
    # In chunks, so the thread checking the values gets the GIL back between them.
    out = np.empty(len(lon), dtype=object)
    for start in range(0, len(lon), chunk):
        out[start : start + chunk] = shapely.points(
            lon[start : start + chunk], lat[start : start + chunk]
        )
    return out


@dataclass
class _Points:
    """Point coordinates in WGS-84, turned into geometries in a worker thread."""

    lon: np.ndarray
    lat: np.ndarray
    ok: np.ndarray | None = None
    future: Future[np.ndarray] | None = None

    def start(self, pool: ThreadPoolExecutor, ok: np.ndarray) -> None:
        """Build the points of rows `ok` (shapely releases the GIL while it does)."""
        self.ok = ok
        self.future = pool.submit(_make_points, self.lon[ok], self.lat[ok])

    def take(self, good: np.ndarray) -> GeometryArray:
        """The points of rows `good` (a subset of the rows started with)."""
        if self.future is None or self.ok is None:
            return GeometryArray(shapely.points(self.lon[good], self.lat[good]), crs=STORAGE_CRS)
        points = self.future.result()
        keep = good[self.ok]
        return GeometryArray(points if keep.all() else points[keep], crs=STORAGE_CRS)


def _reject_far(
    geometry: np.ndarray | _Points,
    rej: Rejections,
    workspace: tuple[float, float, float, float],
    max_km: float,
) -> None:
    ok = rej.good
    if isinstance(geometry, _Points):
        lon, lat = geometry.lon[ok], geometry.lat[ok]
        boxes = np.column_stack([lon, lat, lon, lat])
    else:
        boxes = shapely.bounds(geometry[ok])
    distance = np.zeros(len(ok))
    distance[ok] = _km_outside(boxes, workspace)
    rej.add(
        distance > max_km,
        "far_outside_workspace",
        row_messages("row_far_outside", km=lambda i: np.round(distance[i], 1), limit=str(max_km)),
    )
