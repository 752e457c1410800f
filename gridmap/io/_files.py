"""Which files gridmap reads, how large they may be, and previews of their parts.

The checks every reader runs before opening a file (its type by extension, its size
against the upload limit), and the two looks before an import: :func:`read_table` (a
table's first rows as strings) and :func:`list_parts` (sheets, GeoPackage layers, the
Shapefiles of a zip).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gridmap._errors import ImportFileError, ValidationError
from gridmap.i18n import Message
from gridmap.io._columns import layer_roles
from gridmap.io._numbers import as_text
from gridmap.io._text import _mapped, _read_csv, _read_xlsx, check_workbook
from gridmap.io._vector import vector_parts
from gridmap.schema import LAYERS

#: Largest file :func:`import_file` reads unless told otherwise (an upload limit, so a
#: mistaken upload cannot exhaust the server's memory). The environment variable
#: ``GRIDMAP_MAX_UPLOAD_MB`` overrides it for a deployment.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_UPLOAD_ENV = "GRIDMAP_MAX_UPLOAD_MB"

#: File types by extension.
TABLE_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
VECTOR_FORMATS = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "zip",  # a zipped Shapefile (or one GeoJSON/GeoPackage inside a zip)
    ".shp": "shp",  # with its .dbf, .shx (and .prj, .cpg) beside it
    # GPS tracks: read by gridmap.io._gpx (streamed, no document types), never by GDAL
    ".gpx": "gpx",
}


def read_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    max_bytes: int | None = None,
    nrows: int | None = None,
) -> pd.DataFrame:
    """Read a CSV or Excel file as strings, for a preview before import.

    The encoding, delimiter and header row (title rows above it are skipped) are detected
    as :func:`import_file` does, so the preview shows what the import will see.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.txt``/``.tsv`` or ``.xlsx`` file.
    encoding : str, optional
        Text encoding of a CSV file; detected when omitted.
    sheet : str or int, optional
        Worksheet name or 0-based index of an Excel file (the first by default).
    max_bytes : int, optional
        Size limit (default :data:`DEFAULT_MAX_BYTES` or ``GRIDMAP_MAX_UPLOAD_MB``).
    nrows : int, optional
        Read only the first `nrows` data rows.

    Returns
    -------
    pandas.DataFrame
        Every column as strings, missing values as NA.
    """
    limit = upload_limit(max_bytes)
    p = check_path(path, limit)
    fmt = TABLE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ImportFileError(Message("not_a_table_file", name=p.name))
    roles = sorted({r for spec in LAYERS.values() for r in layer_roles(spec, table=True)})
    if fmt == "xlsx":
        frame = _read_xlsx(p, sheet=sheet, roles=roles, max_bytes=limit).frame
        frame = frame.head(nrows) if nrows is not None else frame
        return frame.apply(as_text)
    with _mapped(p) as raw:
        return _read_csv(raw, p.name, encoding=encoding, roles=roles, nrows=nrows).frame


def upload_limit(value: float | None) -> int:
    """`value` checked as a size limit in bytes; None: ``GRIDMAP_MAX_UPLOAD_MB`` or the default."""
    if value is None:
        env = os.environ.get(MAX_UPLOAD_ENV, "").strip()
        if not env:
            return DEFAULT_MAX_BYTES
        try:
            value = float(env) * 2**20
        except ValueError:
            msg = f"environment variable {MAX_UPLOAD_ENV}={env!r} must be a number of megabytes"
            raise ValidationError(msg) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        msg = f"`max_bytes` must be a positive number of bytes; got {value!r}"
        raise ValidationError(msg)
    return int(value)


def check_path(path: object, limit: int) -> Path:
    """`path` as a readable file of a type gridmap reads, not empty, within `limit` bytes."""
    if not isinstance(path, str | os.PathLike):
        msg = f"`path` must be a file path; got {type(path).__name__}"
        raise ValidationError(msg)
    p = Path(path)
    if not p.is_file():
        raise ImportFileError(Message("file_missing", path=str(p)))
    suffix = p.suffix.lower()
    if suffix not in TABLE_FORMATS and suffix not in VECTOR_FORMATS:
        if not suffix:
            raise ImportFileError(Message("file_no_extension", name=p.name))
        key = "file_type_xls" if suffix == ".xls" else "file_type_unsupported"
        raise ImportFileError(Message(key, name=p.name, suffix=suffix))
    size = p.stat().st_size
    if size == 0:
        raise ImportFileError(Message("file_empty", name=p.name))
    if size > limit:
        raise ImportFileError(
            Message("file_too_large", name=p.name, size=size / 2**20, limit=limit / 2**20)
        )
    return p


def list_parts(path: str | os.PathLike[str]) -> list[str]:
    """The worksheets of an Excel workbook, the layers of a GeoPackage, the Shapefiles of a zip.

    Other files have one part and give an empty list. Pass a name back to
    :func:`import_file` as ``sheet`` (Excel) or ``source_layer`` (GeoPackage, zip).

    Raises
    ------
    ImportFileError
        when the file cannot be opened as what its extension says.
    """
    limit = upload_limit(None)
    checked = check_path(path, limit)
    suffix = checked.suffix.lower()
    if TABLE_FORMATS.get(suffix) == "xlsx":
        import openpyxl

        check_workbook(checked, limit)

        try:
            book = openpyxl.load_workbook(checked, read_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise ImportFileError(
                Message("xlsx_unreadable", name=checked.name, detail=str(exc))
            ) from None
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    if VECTOR_FORMATS.get(suffix) == "gpx":  # its track points: one part
        return []
    if suffix in VECTOR_FORMATS:  # GeoPackage layers, the Shapefiles of a zip
        return vector_parts(checked, VECTOR_FORMATS[suffix], upload_limit(None))
    return []
