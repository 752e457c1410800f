"""Writing layers for the programs users open them in: QGIS, ArcGIS, Excel, web maps.

Each format has a trap for Chinese data. Excel reads a CSV file in the system code page
unless it starts with a byte-order mark. Shapefile field names hold at most 10 bytes, so
UTF-8 Chinese names must be cut on character boundaries and kept unique, and the ``.dbf``
needs a ``.cpg`` saying UTF-8. Amap and Baidu expect GCJ-02/BD-09 coordinates, which no
EPSG code describes. Files are written in a temporary folder beside the target and then
moved into place, so a failed export never leaves a half-written file where the user
expects a good one.

Every table the product writes for a spreadsheet goes through :func:`neutralise_formulas`
(CSV) or :func:`write_xlsx` (Excel): imported files are anyone's text, and a cell such as
``=HYPERLINK("http://…")`` or ``=cmd|' /C calc'!A0`` would otherwise run as a formula on
the desk of whoever opens the export (OWASP "CSV injection").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridmap._errors import ValidationError
from gridmap.crs import from_wgs84
from gridmap.i18n import Message
from gridmap.io._columns import unique_name
from gridmap.io._geometry import _is_wgs84, user_crs
from gridmap.io._numbers import as_text
from gridmap.schema import STORAGE_CRS

#: Export formats and the extension each writes.
EXPORT_FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "csv": ".csv"}
_EXPORT_SUFFIXES = {".json": "geojson", ".shp": "shp"} | {e: f for f, e in EXPORT_FORMATS.items()}


def _shapefile_names(columns: Sequence[str]) -> dict[str, str]:
    """Field names of at most 10 bytes (dBASE), cut on character boundaries, unique."""
    taken: set[str] = set()
    return {
        column: unique_name(
            _cut(str(column), 10),
            taken,
            fold_case=True,
            fit=lambda name, room: _cut(name, 10 - room),
        )
        for column in columns
    }


def _cut(text: str, size: int) -> str:
    encoded = text.encode("utf-8")[:size]
    return encoded.decode("utf-8", errors="ignore")


def _to_target(gdf: gpd.GeoDataFrame, crs: object) -> tuple[gpd.GeoDataFrame, bool]:
    """`gdf` in the export CRS; also whether its coordinates are degrees."""
    if gdf.crs is None:
        msg = "`gdf` has no coordinate reference system; set it (gridmap stores EPSG:4326)"
        raise ValidationError(msg)
    target = user_crs(crs)
    out = gdf if _is_wgs84(gdf.crs) else gdf.to_crs(STORAGE_CRS)
    if target == "wgs84":
        return out, True
    if isinstance(target, str):
        shifted = shapely.transform(
            out.geometry.array, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], target))
        )
        out = out.set_geometry(gpd.GeoSeries(shifted, index=out.index, crs=STORAGE_CRS))
        return out, True
    return out.to_crs(target), bool(target.is_geographic)


def export_layer(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    crs: object = "wgs84",
) -> Path:
    """Write a layer to a file users can open in QGIS, ArcGIS, Excel or a web map.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (any CRS; gridmap layers are EPSG:4326).
    path : path-like
        Where to write. A Shapefile is written as a ``.zip`` holding ``.shp``, ``.shx``,
        ``.dbf``, ``.prj`` and a ``.cpg`` declaring UTF-8.
    fmt : {"geojson", "gpkg", "shp", "csv"}, optional
        The format; by default from the extension of `path`. CSV is UTF-8 with a byte-order
        mark (so Excel shows Chinese), with ``lon``/``lat`` columns for point layers (``x``/``y``
        in a projected CRS) and a WKT ``geometry`` column otherwise (a column of the layer
        already so named is written as ``lon_1`` …); date-times are written as ISO strings
        (``2026-03-01 10:00:00``).
    crs : str, int or pyproj.CRS, default "wgs84"
        Coordinates to write: ``"wgs84"``, ``"gcj02"``/``"bd09"`` (shifted for Amap/Baidu;
        the file still declares WGS-84, as those systems have no EPSG code) or an EPSG code.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValidationError
        for invalid arguments, when the folder of `path` does not exist (it is not
        created) and when `path` cannot be written there.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`gdf` must be a GeoDataFrame; got {type(gdf).__name__}"
        raise ValidationError(msg)
    p = Path(path)
    if fmt is None:
        fmt = _EXPORT_SUFFIXES.get(p.suffix.lower())
        if fmt is None:
            raise ValidationError(Message("export_no_format", name=p.name))
    if fmt not in EXPORT_FORMATS:
        msg = Message("export_bad_format", fmt=repr(fmt), formats=", ".join(EXPORT_FORMATS))
        raise ValidationError(msg)
    if fmt == "shp" and p.suffix.lower() != ".zip":
        p = p.with_suffix(".zip")
    # A missing folder is usually a typing mistake: creating it would hide the file where
    # the user will not look for it.
    if not p.parent.is_dir():
        msg = Message("export_folder_missing", path=str(p), folder=str(p.parent))
        raise ValidationError(msg)
    out, degrees = _to_target(gdf, crs)
    try:
        with tempfile.TemporaryDirectory(dir=p.parent, prefix=".export-") as tmp:
            written = Path(tmp) / f"{p.stem}{EXPORT_FORMATS[fmt]}"
            if fmt == "csv":
                _write_csv(out, written, degrees=degrees)
            elif fmt == "shp":
                _write_shapefile(out, written, p.stem)
            else:
                frame = _plain_columns(out)
                driver = "GeoJSON" if fmt == "geojson" else "GPKG"
                options = {"layer": p.stem} if fmt == "gpkg" else {}
                pyogrio.write_dataframe(frame, written, driver=driver, **options)
            os.replace(written, p)
    except OSError as exc:
        # The temporary folder is ours, not the user's: name the file they asked for.
        msg = Message("export_unwritable", path=str(p), detail=str(exc.strerror or exc))
        raise ValidationError(msg) from None
    return p


def _plain_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns every driver can write: mixed-type object columns become text."""
    out = gdf.copy()
    for column in out.columns:
        if column != out.geometry.name and out[column].dtype == object:
            out[column] = as_text(out[column])
    return out


def _iso_times(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column].dtype):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M:%S").astype("str")
    return out


def _write_csv(gdf: gpd.GeoDataFrame, path: Path, *, degrees: bool) -> None:
    frame = _iso_times(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
    geoms = gdf.geometry.array
    types = set(shapely.get_type_id(np.asarray(geoms, dtype=object)).tolist())
    points = bool(len(gdf)) and types == {0}
    names = (("lon", "lat") if degrees else ("x", "y")) if points else ("geometry",)
    frame = frame.rename(columns=_free_names(list(frame.columns), names))
    if points:
        frame[names[0]] = shapely.get_x(np.asarray(geoms, dtype=object))
        frame[names[1]] = shapely.get_y(np.asarray(geoms, dtype=object))
    else:
        frame["geometry"] = shapely.to_wkt(np.asarray(geoms, dtype=object), rounding_precision=-1)
    write_csv(frame, path)


def _free_names(columns: list[str], wanted: Sequence[str]) -> dict[str, str]:
    """Renames (``lon`` -> ``lon_1``) that free `wanted` names for the coordinates."""
    taken = {str(c) for c in columns} | set(wanted)
    return {column: unique_name(column, taken) for column in columns if column in wanted}


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path, stem: str) -> None:
    frame = _iso_times(_plain_columns(gdf))
    for column in frame.columns:
        if pd.api.types.is_bool_dtype(frame[column].dtype):
            frame[column] = frame[column].astype("Int64")
    names = _shapefile_names([c for c in frame.columns if c != frame.geometry.name])
    frame = frame.rename(columns=names)
    folder = path.parent / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(
        frame, folder / f"{stem}.shp", driver="ESRI Shapefile", encoding="UTF-8"
    )
    (folder / f"{stem}.cpg").write_text("UTF-8", encoding="ascii")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)


# -- spreadsheet safety -----------------------------------------------------------------

#: First characters that make Excel, LibreOffice or WPS read a cell as a formula (OWASP:
#: ``=``, ``+``, ``-``, ``@``, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text that is nothing but a number (``-12.5``, ``+86``): a spreadsheet reads it as that
#: number, never as a formula, so it is written unchanged.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_text(value: object) -> object:
    """`value` with a ``'`` in front if it is text a spreadsheet would run as a formula.

    Anything that is not a ``str`` (numbers, dates, missing values) is returned as it is.

    >>> print(neutralise_text("=1+2"), neutralise_text("@SUM(A1)"))
    '=1+2 '@SUM(A1)
    >>> neutralise_text("-12.5"), neutralise_text(-3), neutralise_text("朝阳")
    ('-12.5', -3, '朝阳')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot run as formulas.

    OWASP's advice for CSV injection: prefix ``'`` to every text cell that starts with
    ``=``, ``+``, ``-``, ``@``, tab or carriage return, so Excel shows it as text. Only
    text is touched: numeric, boolean and date-time columns (coordinates, counts, negative
    numbers) are written as they are, and so are numbers kept as text. Column names are
    cells of the header row, and imported files name them, so they are treated the same.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if (
            pd.api.types.is_numeric_dtype(values.dtype)
            or pd.api.types.is_bool_dtype(values.dtype)
            or pd.api.types.is_datetime64_any_dtype(values.dtype)
        ):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        out[column] = values.map(neutralise_text, na_action="ignore")
    return out.rename(columns=lambda c: neutralise_text(c) if isinstance(c, str) else c)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV for Excel: UTF-8 with a byte-order mark, formulas neutralised.

    Lines end in CRLF (RFC 4180), which also makes the writer quote any cell holding a
    carriage return: with ``\\n`` endings a bare CR in a description went out unquoted
    and Excel broke the row there. For downloads (the rejected-rows report);
    :func:`write_csv` writes a file.
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write `frame` as CSV for Excel (see :func:`csv_bytes`) and return the path."""
    p = Path(path)
    p.write_bytes(csv_bytes(frame))
    return p


#: Characters Excel refuses in a worksheet name, and its length limit.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_SHEET_LIMIT = 31


def _sheet_title(name: object, taken: set[str]) -> str:
    title = _SHEET_FORBIDDEN.sub("_", str(name)).strip("'") or "Sheet"
    title = title[:_SHEET_LIMIT]
    n = 1
    while title.lower() in taken:
        n += 1
        title = f"{title[: _SHEET_LIMIT - len(str(n)) - 1]}_{n}"
    taken.add(title.lower())
    return title


def _xlsx_value(value: object) -> object:
    """A cell value openpyxl writes as data: missing as empty, time zones as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: write the time as the user reads it, offset included.
        return value.isoformat(sep=" ")
    if isinstance(value, (bool, int, float, dt.date, dt.time)):
        return value
    return str(value)


def write_xlsx(
    sheets: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | os.PathLike[str]
) -> Path:
    """Write one table or several (worksheet name → table) to an Excel ``.xlsx`` file.

    Text is written as text cells (``data_type = "s"``), never parsed: openpyxl, like
    Excel, would otherwise store any string starting with ``=`` as a formula, and a
    report built from imported files must not run a cell such as ``=HYPERLINK(…)``.
    Numbers, booleans and dates stay numbers, booleans and dates; column names are text
    cells too; worksheet names are cut to Excel's 31 characters without ``[]:*?/\\``.
    The file is written beside `path` and then moved into place.
    """
    from openpyxl import Workbook

    tables = {"Sheet": sheets} if isinstance(sheets, pd.DataFrame) else dict(sheets)
    p = Path(path)
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, table in tables.items():
        sheet = book.create_sheet(_sheet_title(name, taken))
        rows = [list(map(str, table.columns))]
        rows += table.astype(object).itertuples(index=False, name=None)
        for r, row in enumerate(rows, start=1):
            for c, raw in enumerate(row, start=1):
                value = _xlsx_value(raw)
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text, even when it starts with "="
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        book.save(tmp)
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)
    return p
