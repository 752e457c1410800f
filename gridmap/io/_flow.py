"""The flow of an import: a user's file in, a layer and a rejection report out.

:func:`import_file` checks its arguments, reads the file (:mod:`gridmap.io._text`,
:mod:`gridmap.io._vector`), finds the columns' roles (:mod:`gridmap.io._columns`), reads
coordinates and geometries (:mod:`gridmap.io._geometry`) while the attribute values are
checked (:mod:`gridmap.io._attributes`), and assembles the good rows and the rejected
ones (:mod:`gridmap.io._rejections`) into an :class:`ImportResult`.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ImportFileError, ValidationError
from gridmap._validate import check_lonlat_bounds
from gridmap.i18n import Message, Words, column_label, layer_label
from gridmap.io._attributes import attributes
from gridmap.io._columns import SYNONYMS, layer_roles, resolve_columns, unique_name
from gridmap.io._files import TABLE_FORMATS, VECTOR_FORMATS, check_path, upload_limit
from gridmap.io._geometry import (
    CRS_AMBIGUOUS_CHINA,
    _Points,
    _points,
    _reject_far,
    _shapes,
    _wkt,
    user_crs,
)
from gridmap.io._gpx import read_gpx
from gridmap.io._header import combine_date_time
from gridmap.io._numbers import as_text
from gridmap.io._rejections import Rejections, reject_duplicates
from gridmap.io._text import _mapped, _read_csv, _read_xlsx, _Source
from gridmap.io._times import parse_times
from gridmap.io._vector import _read_vector
from gridmap.schema import LAYERS, STORAGE_CRS, LayerSpec, category_key, layer_spec, validate_layer

#: Reasons a source row is rejected, with what they mean.
REASONS = {
    "missing_coordinate": "the longitude or latitude is empty",
    "non_numeric_coordinate": "a coordinate is not a number",
    "out_of_range": "the coordinates are outside ±180° longitude / ±90° latitude",
    "outside_crs_area": "read in their coordinate system, the coordinates lie outside its area",
    "zero_coordinate": "the coordinates are exactly (0, 0): a GPS without a fix, not a place",
    "far_outside_workspace": "the feature lies farther than `max_distance_km` outside the area",
    "bad_time": "a date-time cannot be read",
    "missing_value": "a required value is empty",
    "duplicate_id": "the id repeats an earlier row or one already in the workspace",
    "bad_grid_code": "the grid code is not 15 digits",
    "empty_geometry": "the geometry is empty",
    "invalid_geometry": "the geometry cannot be read or repaired",
    "wrong_geometry_type": "the geometry type does not fit the layer",
    "malformed_row": "the row has a different number of values than the header",
}

#: Share of a file's rows that, rejected as ``far_outside_workspace``, means the file is
#: about another place (the user's own city, not the workspace's): the import then
#: offers a new workspace of its own instead of a report of thousands of rejected rows.
#: 80 % leaves room for a few stray GPS points in a file that does belong elsewhere.
FAR_OUTSIDE_SHARE = 0.8

_VALIDATE_ROWS = 100_000
#: Column names a GeoPackage table already uses (GDAL's feature id and geometry columns),
#: compared without case as SQLite does.
_GPKG_RESERVED = frozenset({"fid", "geom", "geometry"})


@dataclass
class ImportResult:
    """What :func:`import_file` read: the good rows, the rejected ones and what it decided.

    Attributes
    ----------
    layer : str
        The gridmap layer the rows were read into.
    data : geopandas.GeoDataFrame
        Good rows only, in EPSG:4326, columns renamed to the layer's schema names; columns
        the layer does not know are kept as the file named them.
    rejected : pandas.DataFrame
        One row per rejected source row: ``row`` (1-based, the header being row 1 in CSV
        and Excel files; the feature number in vector files), ``reason`` (a key of
        :data:`REASONS`), ``message`` and the row's original values.
    warnings : list of str
        Decisions the user should know about (swapped columns or rows, repaired polygons,
        unknown categories, generated ids, renamed columns, an uncertain encoding, times
        converted from other offsets), as :class:`~gridmap.i18n.Message` strings: English
        when printed, Chinese through :func:`~gridmap.i18n.localize`.
    encoding : str or None
        Text encoding detected or used (CSV files and Shapefile ``.dbf`` tables).
    columns : dict
        Schema role (``lon``, ``lat``, ``wkt`` or a schema column) -> source column used.
    source_crs : str
        The coordinate system the coordinates were read in (``EPSG:4549``, ``gcj02`` ...).
    crs_ambiguous : bool
        True when most features lie in China but neither `crs` nor the file said what
        system they are in: they were read as WGS-84, and may be GCJ-02 or BD-09 (300-700 m
        off). The Data page asks for a choice; the CLI warns. See
        :func:`gridmap.crs.best_fitting_system` to decide with a street layer.
    """

    layer: str
    data: gpd.GeoDataFrame
    rejected: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    source_crs: str = STORAGE_CRS

    @property
    def crs_ambiguous(self) -> bool:
        return any(getattr(w, "key", None) == CRS_AMBIGUOUS_CHINA for w in self.warnings)

    @property
    def n_far_outside(self) -> int:
        """Rows rejected because they lie far outside the workspace."""
        if not len(self.rejected):
            return 0
        return int((self.rejected["reason"] == "far_outside_workspace").sum())

    @property
    def mostly_far_outside(self) -> bool:
        """True when at least :data:`FAR_OUTSIDE_SHARE` of the rows lie far outside the workspace.

        The file then describes another place: a user whose data is not in the
        workspace's city should start a workspace of their own from it (the Data page
        offers to, ``gridmap import`` prints the command) rather than read a rejection
        report of every row.
        """
        total = len(self.data) + len(self.rejected)
        return total > 0 and self.n_far_outside >= FAR_OUTSIDE_SHARE * total


def _check_timezone(timezone: object) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)  # type: ignore[arg-type]
    except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValidationError(Message("bad_timezone", timezone=repr(timezone))) from None


def _check_default_time(value: object) -> pd.Timestamp:
    parsed = parse_times(pd.Series([value], dtype=object)).values.iloc[0]
    if pd.isna(parsed):
        msg = f"`default_time` {value!r} is not a date-time; write it like 2026-03-01 08:00"
        raise ValidationError(msg)
    return pd.Timestamp(parsed)


def _require(
    mapping: dict[str, str],
    spec: LayerSpec,
    columns: Sequence[str],
    *,
    table: bool,
    default_category: str | None,
    default_time: object = None,
) -> None:
    needed: list[str] = []
    if table:
        if spec.geometry == "Point" and "wkt" not in mapping:
            needed += ["lon", "lat"]
        elif spec.geometry != "Point":
            needed.append("wkt")
    needed += [c for c in spec.required if c != spec.id_column or c == "grid_code"]
    if default_category is not None and "category" in needed:
        needed.remove("category")
    times = [role for role in needed if spec.dtypes.get(role) == "datetime"]
    if default_time is not None:
        needed = [role for role in needed if role not in times]
    missing = [role for role in needed if role not in mapping]
    layer = Words(spec.name, layer_label(spec.name, "zh"))
    if len(missing) == 1 and missing[0] in times:
        found = ", ".join(map(str, columns))
        role = missing[0]
        msg = Message(
            "time_column_missing",
            layer=layer,
            role=role,
            role_name=Words(role, column_label(role, "zh")),
            columns=found,
        )
        raise ValidationError(msg)
    if missing:

        def examples(role: str, *, chinese: bool = False) -> str:
            words = SYNONYMS.get(role, (role,))
            if chinese:  # the names a Chinese ledger would use, where there are some
                words = tuple(w for w in words if not w.isascii()) or words
            return ", ".join(words[:3])

        described = Words(
            "; ".join(f"{role} ({examples(role)} …)" for role in missing),
            "；".join(
                f"{column_label(role, 'zh')}（如 {examples(role, chinese=True)} …）"
                for role in missing
            ),
        )
        msg = Message(
            "required_columns_missing",
            layer=layer,
            missing=described,
            columns=", ".join(map(str, columns)),
            first=Words(missing[0], column_label(missing[0], "zh")),
        )
        raise ValidationError(msg)


def _assemble(
    source: _Source,
    attrs: dict[str, pd.Series],
    mapping: dict[str, str],
    spec: LayerSpec,
    good: np.ndarray,
    geometry: np.ndarray | _Points,
    notes: list[str],
) -> gpd.GeoDataFrame:
    frame = source.frame
    columns = {c: attrs[c] for c in spec.columns if c in attrs}
    used = set(mapping.values())
    reserved = set(spec.columns) | {"geometry"}
    for column in frame.columns:
        if column in used:
            continue
        values = frame[column]
        if values.dtype == object:
            values = as_text(values)
        name = f"{column}_source" if column in reserved else column
        columns[name] = values
    data = pd.DataFrame(columns, index=frame.index)
    data.columns = _storable_names(list(data.columns), notes)
    if not good.all():
        data = data[good]
    data = data.reset_index(drop=True)
    if isinstance(geometry, _Points):
        geoms = geometry.take(good)
    else:
        geoms = gpd.GeoSeries(geometry[good], crs=STORAGE_CRS).array
    return gpd.GeoDataFrame(data, geometry=geoms, crs=STORAGE_CRS)


def _storable_names(names: list[str], notes: list[str]) -> list[str]:
    """`names` renamed where a GeoPackage could not store them, with a note saying so.

    A GeoPackage table (the workspace) already has the columns ``fid`` and ``geom``, and
    SQLite compares column names without regard to case, so an ArcGIS ``FID`` column or a
    file with both ``Name`` and ``name`` would pass the import and then fail the write.
    """
    taken: set[str] = set()
    out: list[str] = []
    reserved: list[str] = []  # names a GeoPackage table already has
    repeated: list[str] = []  # names repeating another in a different case
    for name in names:
        is_reserved = name.lower() in _GPKG_RESERVED
        plain = f"{name}_source" if is_reserved else name
        # FID -> FID_source; should that be taken too, FID_2 (the suffix goes on the name)
        new = unique_name(plain, taken, start=2, fold_case=True, fit=lambda _, __, name=name: name)
        if new != name:
            (reserved if is_reserved else repeated).append(f"{name} → {new}")
        out.append(new)
    if reserved and repeated:
        notes.append(
            Message(
                "columns_renamed_both", reserved=", ".join(reserved), repeated=", ".join(repeated)
            )
        )
    elif reserved or repeated:
        key = "columns_renamed_reserved" if reserved else "columns_renamed_case"
        notes.append(Message(key, renamed=", ".join(reserved or repeated)))
    return out


def _rejected_frame(source: _Source, rej: Rejections, original: np.ndarray | None) -> pd.DataFrame:
    bad = np.flatnonzero(rej.code)
    reasons = np.asarray(rej.reasons, dtype=object)[rej.code[bad]]
    out = pd.DataFrame(
        {
            "row": source.rows[bad],
            "reason": pd.array(reasons, dtype="str"),
            # Message objects: English as text, shown in Chinese by the app (localize).
            "message": pd.Series(rej.messages(bad), dtype=object),
        }
    )
    raw = source.frame.iloc[bad].reset_index(drop=True)
    raw.columns = [f"{c} (source)" if c in ("row", "reason", "message") else c for c in raw]
    if original is not None:
        wkt = shapely.to_wkt(original[bad], rounding_precision=-1)
        raw["geometry"] = pd.array([None if w is None else w[:1000] for w in wkt], dtype="str")
    out = pd.concat([out, raw], axis=1)
    if source.malformed is not None:
        out = pd.concat([out, source.malformed], ignore_index=True)
        out = out.sort_values("row", na_position="last", kind="stable").reset_index(drop=True)
    return out


def _read_gpx_source(p: os.PathLike[str], spec: LayerSpec, limit: int) -> _Source:
    """A GPX file's track points as a table (unit, time, lon, lat), numbered from 1.

    Only track points are recorded fixes: waypoints and a route's points are counted and
    left out with a note, and a file of nothing else is refused, saying what it holds.
    """
    gpx = read_gpx(p, max_bytes=limit)
    frame, name = gpx.frame, os.path.basename(p)
    if not len(frame):
        raise ImportFileError(
            Message(
                "gpx_no_track_points",
                name=name,
                waypoints=gpx.waypoints,
                route_points=gpx.route_points,
            )
        )
    timed = [c for c in spec.required if spec.dtypes.get(c) == "datetime"]
    if timed and frame["time"].isna().all():
        # Without a time per fix a track cannot be set against the plan; one default
        # time for every fix (`default_time`) would only make them all the same moment.
        raise ImportFileError(Message("gpx_no_times", name=name, n=len(frame)))
    if frame["speed"].isna().all():
        frame = frame.drop(columns="speed")
    notes: list[str] = []
    if gpx.waypoints or gpx.route_points:
        notes.append(
            Message(
                "gpx_points_not_imported", waypoints=gpx.waypoints, route_points=gpx.route_points
            )
        )
    return _Source(frame, np.arange(1, len(frame) + 1), notes=notes)


def detect_columns(columns: Sequence[str], layer: str) -> dict[str, str]:
    """Detect which column of a table plays which role of `layer`.

    Names are matched in Chinese or English, ignoring case, spaces, underscores,
    full-width forms and bracketed units; a column serves at most one role.

    Parameters
    ----------
    columns : sequence of str
        Column names as found in the file.
    layer : str
        A layer of :data:`gridmap.schema.LAYERS`.

    Returns
    -------
    dict
        Role -> column, for the roles found: ``lon``/``lat`` (point coordinates), ``wkt``
        (geometry as text) and the layer's schema columns.

    Examples
    --------
    >>> found = detect_columns(["事件编号", "案发时间", "Longitude", "纬度(°)"], "incidents")
    >>> found["lon"], found["lat"], found["incident_id"], found["occurred_at"]
    ('Longitude', '纬度(°)', '事件编号', '案发时间')
    """
    return resolve_columns(list(columns), layer_spec(layer), None, table=True)


def import_file(
    path: str | os.PathLike[str],
    layer: str,
    *,
    crs: object = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    source_layer: str | None = None,
    workspace_bounds: tuple[float, float, float, float] | None = None,
    max_distance_km: float = 50.0,
    existing_ids: Iterable[object] | None = None,
    max_bytes: int | None = None,
    default_category: str | None = None,
    timezone: str | None = None,
    default_time: object = None,
) -> ImportResult:
    """Import a user's file into a gridmap layer, reporting every row it cannot use.

    The file type comes from the extension: CSV (``.csv``, ``.txt``, ``.tsv``) and Excel
    (``.xlsx``) tables with coordinate columns (or a WKT column), GeoJSON, GeoPackage,
    zipped Shapefiles and GPX files (their track points, with the track's name as the unit,
    WGS-84 unless `crs` says otherwise; see :func:`gridmap.io.read_gpx`). Text encodings
    (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030 and cp1252 for Western files),
    delimiters, title rows above the header and column names are detected; dates in ISO,
    Chinese, Excel and Unix-timestamp forms are parsed. Coordinates are converted to WGS-84
    from `crs`, from the file's declared CRS, or from GCJ-02/BD-09, with swapped
    latitude/longitude columns (or single rows) and surveyors' northing-first X/Y columns
    put right (each such decision is reported in :attr:`ImportResult.warnings`). Columns a
    GeoPackage could not store (``FID``, ``geom``, names repeating another in a different
    case) are renamed.

    Parameters
    ----------
    path : path-like
        The file to import.
    layer : str
        Target layer: ``incidents``, ``sites``, ``posts``, ``grids``, ``streets`` or
        ``buildings``.
    crs : str, int or pyproj.CRS, optional
        What the coordinates are in: ``"wgs84"``, ``"gcj02"``, ``"bd09"``, an EPSG code or
        WKT (see :func:`gridmap.crs.parse_crs`). By default a vector file's declared CRS,
        else WGS-84. For vector files GCJ-02/BD-09 are undone after reprojecting to WGS-84.
    columns : mapping, optional
        Role -> source column, overriding detection, e.g. ``{"occurred_at": "受理时间"}``.
        Roles are the layer's schema columns plus ``lon``, ``lat`` and ``wkt``.
    encoding : str, optional
        Text encoding of a CSV file or Shapefile ``.dbf``; detected when omitted.
    sheet : str or int, optional
        Worksheet of an Excel file (the first by default).
    source_layer : str, optional
        Layer of a GeoPackage, or Shapefile inside a zip (the first by default).
    workspace_bounds : tuple, optional
        (west, south, east, north) of the workspace in degrees; rows farther than
        `max_distance_km` outside it are rejected, and it helps detect swapped columns.
    max_distance_km : float, default 50
        How far outside `workspace_bounds` a row may lie.
    existing_ids : iterable, optional
        Ids already in the workspace; rows repeating them are rejected as ``duplicate_id``.
    max_bytes : int, optional
        Size limit of the file (default :data:`DEFAULT_MAX_BYTES`, or
        ``GRIDMAP_MAX_UPLOAD_MB`` megabytes when that environment variable is set).
    default_category : str, optional
        Category of incidents whose category is empty, or of all incidents when the file
        has no category column.
    timezone : str, optional
        IANA time zone (``"Asia/Shanghai"``) of the local times to store. Date-times are
        stored naive, as local wall-clock times: values written with a UTC offset
        (``2026-03-01T10:00+08:00``, ``…02:00Z``) and Unix timestamps (read in UTC) are
        converted to this zone. By default they are converted to the offset most values
        written with one use (Unix timestamps alone stay in UTC), with a warning. Values
        without an offset are kept as written.
    default_time : str or datetime, optional
        Time of every incident when the file has no time column (``"2026-03-01"``,
        ``"2026-03-01 08:00"``): e.g. a day's patrol log. Without it such a file is refused
        with a message naming this option and the `columns` override.

    Returns
    -------
    ImportResult
        The good rows as a layer (EPSG:4326, passing :func:`gridmap.schema.validate_layer`),
        the rejected rows with reasons, warnings and what was detected.

    Raises
    ------
    ImportFileError
        when the file cannot be read at all: missing, empty, header only, binary, of an
        unsupported type, larger than `max_bytes`, or holding the wrong geometry type.
    ValidationError
        for invalid arguments, and when a required column is missing (the message names it
        and lists the columns found).
    """
    if layer not in LAYERS:
        raise ValidationError(Message("unknown_layer", layer=repr(layer), layers=", ".join(LAYERS)))
    spec = layer_spec(layer)
    source_crs = None if crs is None else user_crs(crs)
    workspace = (
        None
        if workspace_bounds is None
        else check_lonlat_bounds(workspace_bounds, "workspace_bounds")
    )
    if isinstance(max_distance_km, bool) or not (
        isinstance(max_distance_km, int | float) and max_distance_km >= 0
    ):
        msg = f"`max_distance_km` must be a number ≥ 0; got {max_distance_km!r}"
        raise ValidationError(msg)
    if columns is not None and not isinstance(columns, Mapping):
        msg = "`columns` must be a mapping of role -> column name"
        raise ValidationError(msg)
    if default_category is not None:
        default_category = category_key(default_category) or str(default_category).strip()
    if timezone is not None:
        _check_timezone(timezone)
    if default_time is not None:
        default_time = _check_default_time(default_time)
    limit = upload_limit(max_bytes)
    p = check_path(path, limit)
    fmt = TABLE_FORMATS.get(p.suffix.lower()) or VECTOR_FORMATS[p.suffix.lower()]
    table = fmt in ("csv", "xlsx", "gpx")  # a GPX file's points come as lon/lat columns
    if fmt == "gpx" and source_crs is None:
        source_crs = user_crs("wgs84")  # what the GPX standard prescribes
    roles = layer_roles(spec, table=table)

    def coordinate_columns(names: Sequence[str]) -> set[str]:
        found = resolve_columns(names, spec, columns, table=True)
        return {found[r] for r in ("lon", "lat") if r in found}

    if fmt == "csv":
        with _mapped(p) as raw:
            source = _read_csv(
                raw, p.name, encoding=encoding, roles=roles, numeric=coordinate_columns
            )
    elif fmt == "xlsx":
        source = _read_xlsx(p, sheet=sheet, roles=roles, max_bytes=limit)
    elif fmt == "gpx":
        source = _read_gpx_source(p, spec, limit)
    else:
        source = _read_vector(p, fmt, source_layer=source_layer, encoding=encoding, max_bytes=limit)
    notes = list(source.notes)
    mapping = resolve_columns(list(source.frame.columns), spec, columns, table=table)
    joined = combine_date_time(source.frame, mapping) if table else None  # 日期 | 时间
    notes += [joined] if joined else []
    _require(
        mapping,
        spec,
        list(source.frame.columns),
        table=table,
        default_category=default_category,
        default_time=default_time,
    )
    rej = Rejections(len(source.frame))
    original = None
    geometry: np.ndarray | _Points
    with ThreadPoolExecutor(max_workers=1) as pool:
        if table and spec.geometry == "Point" and "lon" in mapping and "lat" in mapping:
            mapping.pop("wkt", None)
            lon, lat, label = _points(
                source.frame, mapping, source_crs, workspace, max_distance_km, rej, notes
            )
            geometry = _Points(lon, lat)
        else:
            for role in ("lon", "lat"):
                mapping.pop(role, None)
            if table or source.geometry is None:
                original = _wkt(source.frame, mapping["wkt"], rej)
            else:
                original = source.geometry
            geometry, label = _shapes(original, source.crs, source_crs, spec, rej, notes, p.name)
        if workspace is not None:
            _reject_far(geometry, rej, workspace, max_distance_km)
        if isinstance(geometry, _Points):
            geometry.start(pool, rej.good)  # GEOS builds them while the values are checked
        attrs = attributes(
            source.frame,
            source.rows,
            mapping,
            spec,
            rej,
            notes,
            stem=p.stem,
            default_category=default_category,
            timezone=timezone,
            default_time=default_time,
        )
        if spec.id_column is not None:
            ids = attrs[spec.id_column]
            reject_duplicates(ids, source.rows, rej, existing_ids, spec.id_column)
        data = _assemble(source, attrs, mapping, spec, rej.good, geometry, notes)
    rejected = _rejected_frame(source, rej, original)
    # Every row was checked above, so this is a safety net on how the frame was built; on
    # big files it looks at the first rows only (the store validates it all on write).
    validate_layer(data.iloc[:_VALIDATE_ROWS] if len(data) > _VALIDATE_ROWS else data, layer)
    return ImportResult(
        layer=layer,
        data=data,
        rejected=rejected,
        warnings=notes,
        encoding=source.encoding,
        columns=dict(mapping),
        source_crs=label,
    )
