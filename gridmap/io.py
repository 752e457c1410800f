"""Read and write users' files: encodings, column detection, coordinates and rejection reports.

:func:`import_file` turns a user's CSV, Excel workbook, GeoJSON, GeoPackage or zipped
Shapefile into a layer of the data model (:mod:`gridmap.schema`) in EPSG:4326. It never
silently drops data: every source row either becomes a feature or appears in
:attr:`ImportResult.rejected` with its row number as the user sees it, a stable reason key
and a message. Problems with the file as a whole (empty, binary, too large, wrong type)
raise :class:`~gridmap._errors.ImportFileError` before anything is returned.

Chinese office files come in GBK as often as in UTF-8, name their columns in Chinese, and
carry coordinates in WGS-84, the shifted web-map systems GCJ-02 and BD-09, or a CGCS2000
Gauss-Krüger zone whose surveyors' *X* is the northing; all of that is detected here.
The hot path (a million-row incident CSV) is vectorised: pyarrow parses the text, numpy
masks check the rows, and dates go through one ISO pass before any slower format.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import mmap
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyogrio
import pyproj
import shapely
from geopandas.array import GeometryArray

from gridmap._errors import ImportFileError, ValidationError
from gridmap._io_columns import (
    AXIS_NAMES,
    Rejections,
    as_text,
    attributes,
    header_score,
    join_text,
    layer_roles,
    normalise_name,
    parse_numbers,
    reject_duplicates,
    resolve_columns,
)
from gridmap._io_columns import dedupe_names as _dedupe_names
from gridmap._io_times import blank_mask
from gridmap.crs import from_wgs84, guess_northing_first, in_china, parse_crs, to_wgs84
from gridmap.schema import LAYERS, STORAGE_CRS, LayerSpec, category_key, layer_spec, validate_layer

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
}
#: Export formats and the extension each writes.
EXPORT_FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "csv": ".csv"}
_EXPORT_SUFFIXES = {".json": "geojson", ".shp": "shp"} | {e: f for f, e in EXPORT_FORMATS.items()}

#: Reasons a source row is rejected, with what they mean.
REASONS = {
    "missing_coordinate": "the longitude or latitude is empty",
    "non_numeric_coordinate": "a coordinate is not a number",
    "out_of_range": "the coordinates are outside ±180° longitude / ±90° latitude",
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

_GEOMETRY_TYPE_IDS = {"Point": (0, 4), "LineString": (1, 5), "Polygon": (3, 6)}
#: Raw file contents: bytes, or a read-only memory map of the file.
Buffer: TypeAlias = bytes | mmap.mmap
_SAMPLE_BYTES = 1 << 20
_VALIDATE_ROWS = 100_000
_NOT_SPACE = re.compile(rb"\S")
_HEADER_SCAN_ROWS = 20
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or Word .doc) file; save it as .xlsx or CSV",
    b"%PDF": "a PDF document",
    b"SQLite format 3\x00": "a SQLite database or GeoPackage",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}


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
        Decisions the user should know about (swapped columns, repaired polygons, unknown
        categories, generated ids).
    encoding : str or None
        Text encoding detected or used (CSV files and Shapefile ``.dbf`` tables).
    columns : dict
        Schema role (``lon``, ``lat``, ``wkt`` or a schema column) -> source column used.
    source_crs : str
        The coordinate system the coordinates were read in (``EPSG:4549``, ``gcj02`` ...).
    """

    layer: str
    data: gpd.GeoDataFrame
    rejected: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    source_crs: str = STORAGE_CRS


@dataclass
class _Source:
    """A file as read, before any checking: raw values and where each row came from."""

    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str | None = None
    geometry: np.ndarray | None = None
    crs: pyproj.CRS | None = None
    malformed: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- encodings


def detect_encoding(raw: bytes | mmap.mmap) -> str:
    """Detect the text encoding of `raw` bytes from a user's file.

    Byte-order marks decide first; then a strict UTF-8 decode, then GB18030 (reported as
    ``"gbk"`` when the text stays within GBK, which is what Excel in China writes), and only
    then charset-normalizer's guess. `raw` may be a leading sample of a file: a character cut
    at its end is ignored.

    >>> detect_encoding("经度,纬度".encode("gbk")), detect_encoding("经度".encode())
    ('gbk', 'utf-8')

    Raises
    ------
    ImportFileError
        when no encoding decodes the bytes as text.
    """
    head = bytes(raw[:4])
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "gbk", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(raw, final=False)
        except UnicodeDecodeError:
            continue
        return candidate
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:_SAMPLE_BYTES]).best()
    if best is None:
        msg = "the file is not text in any encoding gridmap can detect (UTF-8, GBK, GB18030)"
        raise ImportFileError(msg)
    return codecs.lookup(best.encoding).name


def _check_text(head: bytes, name: str) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            msg = f"`path` {name} looks like {what}, not a CSV text file"
            raise ImportFileError(msg)
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in head:
        msg = f"`path` {name} is not a CSV text file: it holds binary data (NUL bytes)"
        raise ImportFileError(msg)


def _to_utf8(raw: Buffer, encoding: str, name: str) -> tuple[Buffer, int]:
    """UTF-8 bytes of `raw` and where the text starts (after a byte-order mark)."""
    if encoding in ("utf-8", "ascii"):
        return raw, 0
    if encoding == "utf-8-sig":
        return raw, len(codecs.BOM_UTF8) if raw[:3] == codecs.BOM_UTF8 else 0
    codec = "gb18030" if encoding == "gbk" else encoding  # GB18030 is GBK's superset
    try:
        return str(raw, codec).encode("utf-8"), 0
    except UnicodeDecodeError as exc:
        msg = (
            f"`path` {name} is not valid {encoding} text (byte {raw[exc.start]:#04x} at "
            f"position {exc.start}); pass `encoding` if you know the file's encoding"
        )
        raise ImportFileError(msg) from None


def _codec_name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        msg = f"`encoding` {encoding!r} is not a known text encoding (try utf-8 or gbk)"
        raise ValidationError(msg) from None
    return {"utf-8": "utf-8", "gb2312": "gbk", "cp936": "gbk"}.get(name, name)


# ------------------------------------------------------------------------------ tables


def _head_lines(data: Buffer, start: int) -> list[str]:
    head = data[start : start + 256 * 1024]
    lines = bytes(head).decode("utf-8", errors="replace").split("\n")
    if start + len(head) < len(data):
        lines = lines[:-1]  # the sample cut the last line
    return [line.rstrip("\r") for line in lines[: _HEADER_SCAN_ROWS + 5]]


def _sniff(lines: list[str], roles: Sequence[str]) -> tuple[str, int, list[str]]:
    """Delimiter, index of the header line and its cells."""
    best: tuple[int, str] = (0, ",")
    for delimiter in (",", "\t", ";", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if len(r) > 1]
        if counts:
            common = max(set(counts), key=counts.count)
            if counts.count(common) * common > best[0]:
                best = (counts.count(common) * common, delimiter)
    delimiter = best[1]
    parsed = list(csv.reader(lines, delimiter=delimiter))
    scores = [header_score(r, roles) for r in parsed[:_HEADER_SCAN_ROWS]]
    start = next((i for i, r in enumerate(parsed) if any(c.strip() for c in r)), None)
    if start is None:
        return delimiter, 0, []
    top = max(scores) if scores else 0
    index = scores.index(top) if top > scores[start] else start
    return delimiter, index, parsed[index]


def _read_csv(
    raw: Buffer,
    name: str,
    *,
    encoding: str | None,
    roles: Sequence[str],
    numeric: Iterable[str] | Callable[[list[str]], Iterable[str]] = (),
    nrows: int | None = None,
) -> _Source:
    """Parse CSV bytes with pyarrow; every column a string except the `numeric` ones."""
    _check_text(raw[:65536], name)
    chosen = _codec_name(encoding) if encoding else detect_encoding(raw[:_SAMPLE_BYTES])
    data, offset = _to_utf8(raw, chosen, name)
    lines = _head_lines(data, offset)
    delimiter, header_index, header = _sniff(lines, roles)
    names = _dedupe_names(header)
    for _ in range(header_index + 1):
        found = data.find(b"\n", offset)
        offset = len(data) if found < 0 else found + 1
    if nrows is not None:
        data = data[:offset] + b"\n".join(data[offset:].split(b"\n", nrows)[:nrows])  # type: ignore[operator]
    if not names or _NOT_SPACE.search(data, offset) is None:
        msg = f"`path` {name}: the file has no rows (only a header, or nothing at all)"
        raise ImportFileError(msg)
    quoted = data.find(b'"', offset) >= 0
    wanted = numeric(names) if callable(numeric) else numeric
    table, malformed, error = _arrow_csv(data, offset, names, delimiter, wanted, quoted=quoted)
    if table is None:
        if "UTF8" in error.upper() and chosen in ("utf-8", "utf-8-sig"):
            if encoding is None:  # the sample was UTF-8, the rest of the file is not
                full = detect_encoding(raw)
                return _read_csv(
                    raw, name, encoding=full, roles=roles, numeric=numeric, nrows=nrows
                )
            msg = f"`path` {name} is not valid {chosen} text; pass the file's `encoding` (gbk?)"
            raise ImportFileError(msg)
        msg = f"`path` {name} cannot be read as CSV: {error}"
        raise ImportFileError(msg)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    rows = np.arange(len(frame), dtype=np.int64) + header_index + 2
    source = _Source(frame, rows, encoding=chosen)
    # One line per record unless blank lines, malformed rows or quoted line breaks.
    lines = _count_newlines(data, offset) + (data[-1:] != b"\n")
    if malformed or lines != len(frame):
        _renumber(source, data, offset, delimiter, len(names), header_index + 1, malformed)
    if len(frame) == 0 and not malformed:
        msg = f"`path` {name}: the file has no rows (only a header, or nothing at all)"
        raise ImportFileError(msg)
    if len(frame) == 0:
        msg = f"`path` {name}: no row has the {len(names)} columns of the header"
        raise ImportFileError(msg)
    return source


def _count_newlines(data: Buffer, offset: int, *, chunk: int = 1 << 24) -> int:
    arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
    return sum(int(np.count_nonzero(arr[i : i + chunk] == 10)) for i in range(0, len(arr), chunk))


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file memory-mapped read-only: parsed in place, without a copy in memory."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        yield m


def _arrow_csv(
    data: Buffer,
    offset: int,
    names: list[str],
    delimiter: str,
    numeric: Iterable[str],
    *,
    quoted: bool,
) -> tuple[pa.Table | None, list[tuple[str, int]], str]:
    """The parsed table (None on error), malformed rows skipped and the error text."""
    malformed: list[tuple[str, int]] = []

    def skip(row: pa_csv.InvalidRow) -> str:
        malformed.append((row.text, row.actual_columns))
        return "skip"

    numeric = set(numeric)
    body = pa.py_buffer(data)[offset:]  # zero-copy, also over a memory-mapped file
    try:
        table = pa_csv.read_csv(
            body,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=quoted, invalid_row_handler=skip
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in names if c not in numeric},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        # Only the text leaves: a live exception would pin `body`, and a memory map
        # cannot close while a buffer over it exists.
        return None, malformed, str(exc)
    finally:
        del body
    return table, malformed, ""


def _renumber(
    source: _Source,
    data: Buffer,
    offset: int,
    delimiter: str,
    n_columns: int,
    lines_before: int,
    malformed: list[tuple[str, int]],
) -> None:
    """Exact row numbers when blank or malformed lines were skipped (no quoted newlines)."""
    numbers = None
    if data.find(b'"', offset) < 0:
        arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
        breaks = np.flatnonzero(arr == 10)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(arr)]))
        length = ends - starts
        length -= (length > 0) & (arr[np.maximum(ends - 1, 0)] == 13) if len(arr) else 0
        sep = np.concatenate(([0], np.cumsum(arr == ord(delimiter))))
        fields = sep[ends] - sep[starts] + 1
        line_no = np.arange(len(starts)) + lines_before + 1
        good = (length > 0) & (fields == n_columns)
        bad = (length > 0) & (fields != n_columns)
        if good.sum() == len(source.frame) and bad.sum() == len(malformed):
            source.rows = line_no[good]
            numbers = line_no[bad]
    if malformed:
        texts, counts = zip(*malformed, strict=True)
        source.malformed = pd.DataFrame(
            {
                "row": pd.array(numbers if numbers is not None else [None] * len(texts), "Int64"),
                "reason": "malformed_row",
                "message": [
                    f"the row has {c} values; the header has {n_columns} columns" for c in counts
                ],
                "line": list(texts),
            }
        )


def _read_xlsx(path: Path, *, sheet: str | int | None, roles: Sequence[str]) -> _Source:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            msg = f"`path` {path.name} is not a valid Excel .xlsx workbook"
            raise ImportFileError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl's style complaints
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        msg = f"`path` {path.name} is not a valid Excel .xlsx workbook: {exc}"
        raise ImportFileError(msg) from None
    try:
        sheets = book.sheetnames
        if sheet is None:
            chosen = sheets[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(sheets):
            chosen = sheets[sheet]
        elif sheet in sheets:
            chosen = str(sheet)
        else:
            msg = f"`sheet` {sheet!r} is not in the workbook; sheets: {', '.join(sheets)}"
            raise ValidationError(msg)
        values: list[tuple] = []
        numbers: list[int] = []
        for number, row in enumerate(book[chosen].iter_rows(values_only=True), start=1):
            if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in row):
                values.append(row)
                numbers.append(number)
    finally:
        book.close()
    scores = [header_score(r, roles) for r in values[:_HEADER_SCAN_ROWS]]
    index = scores.index(max(scores)) if scores and max(scores) > scores[0] else 0
    if len(values) <= index + 1:
        msg = f"`path` {path.name} (sheet {chosen}): the file has no rows"
        raise ImportFileError(msg)
    names = _dedupe_names(values[index])
    width = len(names)
    body = [tuple(r[:width]) + (None,) * (width - len(r)) for r in values[index + 1 :]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    for column in frame.columns:
        inferred = frame[column].infer_objects()
        if inferred.dtype != object:
            frame[column] = inferred
    return _Source(frame, np.asarray(numbers[index + 1 :], dtype=np.int64))


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
    limit = _max_bytes(max_bytes)
    p = _check_path(path, limit)
    fmt = TABLE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        msg = f"`path` {p.name}: read_table reads .csv, .txt, .tsv and .xlsx files"
        raise ImportFileError(msg)
    roles = sorted({r for spec in LAYERS.values() for r in layer_roles(spec, table=True)})
    if fmt == "xlsx":
        frame = _read_xlsx(p, sheet=sheet, roles=roles).frame
        frame = frame.head(nrows) if nrows is not None else frame
        return frame.apply(as_text)
    with _mapped(p) as raw:
        return _read_csv(raw, p.name, encoding=encoding, roles=roles, nrows=nrows).frame


# ----------------------------------------------------------------------------- vectors

_CPG_CODECS = {
    "utf8": "utf-8",
    "65001": "utf-8",
    "936": "gbk",
    "cp936": "gbk",
    "gbk": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "88591": "latin-1",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "1252": "cp1252",
    "ansi1252": "cp1252",
}
#: dBASE language-driver ids meaning GBK (code page 936).
_GBK_LDIDS = (0x4D, 0x7A)


def _dbf_encoding(head: bytes, cpg: str | None) -> str:
    """Encoding of a Shapefile's .dbf: its .cpg, its language-driver id, else its bytes."""
    text = (cpg or "").strip().lower()
    if text:
        key = "".join(c for c in text if c.isalnum())
        if key in _CPG_CODECS:
            return _CPG_CODECS[key]
        try:
            return _codec_name(f"cp{key}" if key.isdigit() else text)
        except ValidationError:
            pass  # an unknown .cpg: detect from the bytes instead
    if len(head) < 32:
        return "utf-8"
    if head[29] in _GBK_LDIDS:
        return "gbk"
    header_length = int.from_bytes(head[8:10], "little")
    try:
        return detect_encoding(head[32:header_length] + head[header_length:])
    except ImportFileError:
        return "latin-1"


def _open_zip(path: Path, max_bytes: int) -> tuple[zipfile.ZipFile, list[str]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        msg = f"`path` {path.name} is not a valid zip archive"
        raise ImportFileError(msg) from None
    infos = [
        i
        for i in archive.infolist()
        if not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not Path(i.filename).name.startswith("._")
    ]
    if sum(i.file_size for i in infos) > max_bytes:
        archive.close()
        msg = f"`path` {path.name} unpacks to more than the limit of {max_bytes / 2**20:.0f} MB"
        raise ImportFileError(msg)
    return archive, [i.filename for i in infos]


def _pick(members: list[str], wanted: str | None, what: str, notes: list[str]) -> str:
    if wanted is not None:
        hit = [m for m in members if Path(m).stem == wanted or m == wanted]
        if not hit:
            names = ", ".join(Path(m).stem for m in members)
            msg = f"`source_layer` {wanted!r} is not in the file; {what}: {names}"
            raise ValidationError(msg)
        return hit[0]
    if len(members) > 1:
        names = ", ".join(Path(m).stem for m in members)
        notes.append(
            f"the file holds {len(members)} {what} ({names}); read the first, "
            f"{Path(members[0]).stem} (pass `source_layer` to choose)"
        )
    return members[0]


def _vector_source(
    path: Path, fmt: str, *, source_layer: str | None, encoding: str | None, max_bytes: int
) -> tuple[str, str | None, str | None, bool, list[str]]:
    """The GDAL path to read, its layer, the .dbf encoding, whether a CRS is declared."""
    notes: list[str] = []
    declared = True
    if fmt == "zip":
        archive, members = _open_zip(path, max_bytes)
        with archive:
            shps = [m for m in members if m.lower().endswith(".shp")]
            others = [m for m in members if m.lower().endswith((".geojson", ".json", ".gpkg"))]
            if not shps and not others:
                listing = ", ".join(members[:10]) or "nothing"
                msg = (
                    f"`path` {path.name} holds no Shapefile (.shp with .dbf and .shx), "
                    f"GeoJSON or GeoPackage; it holds {listing}"
                )
                raise ImportFileError(msg)
            member = _pick(shps or others, source_layer, "shapefiles" if shps else "files", notes)
            gdal_path = f"/vsizip/{path.resolve()}/{member}"
            if not shps:
                return gdal_path, None, None, True, notes
            stem = member[: -len(".shp")]
            siblings = {m.lower(): m for m in members}
            for ext in (".dbf", ".shx"):
                if (stem + ext).lower() not in siblings:
                    msg = f"`path` {path.name}: the Shapefile {Path(member).name} has no {ext}"
                    raise ImportFileError(msg)
            cpg_name = siblings.get((stem + ".cpg").lower())
            cpg = archive.read(cpg_name).decode("ascii", "replace") if cpg_name else None
            with archive.open(siblings[(stem + ".dbf").lower()]) as dbf:
                head = dbf.read(_SAMPLE_BYTES)
            declared = (stem + ".prj").lower() in siblings
        dbf_encoding = _codec_name(encoding) if encoding else _dbf_encoding(head, cpg)
        return gdal_path, None, dbf_encoding, declared, notes
    if fmt == "shp":
        for ext in (".dbf", ".shx"):
            if not path.with_suffix(ext).exists():
                msg = f"`path` {path.name}: the Shapefile has no {ext} beside it"
                raise ImportFileError(msg)
        cpg_path = path.with_suffix(".cpg")
        cpg = cpg_path.read_text("ascii", "replace") if cpg_path.exists() else None
        with path.with_suffix(".dbf").open("rb") as dbf:
            head = dbf.read(_SAMPLE_BYTES)
        dbf_encoding = _codec_name(encoding) if encoding else _dbf_encoding(head, cpg)
        return str(path), None, dbf_encoding, path.with_suffix(".prj").exists(), notes
    with path.open("rb") as handle:
        head = handle.read(65536)
    if fmt == "gpkg" and not head.startswith(b"SQLite format 3\x00"):
        msg = f"`path` {path.name} is not a valid GeoPackage (SQLite) file"
        raise ImportFileError(msg)
    if fmt == "geojson":
        text = head.lstrip(codecs.BOM_UTF8).lstrip()
        if not text.startswith(b"{"):
            msg = f"`path` {path.name} is not GeoJSON (it does not start with a JSON object)"
            raise ImportFileError(msg)
        declared = b'"crs"' in head
    layer = None
    if fmt == "gpkg":
        layers = _list_layers(str(path), path.name)
        spatial = [str(name) for name, kind in layers if kind]
        if not spatial:
            msg = f"`path` {path.name} holds no layer with geometries"
            raise ImportFileError(msg)
        layer = _pick(spatial, source_layer, "layers", notes)
    return str(path), layer, None, declared, notes


def _list_layers(gdal_path: str, name: str) -> list[tuple[str, str | None]]:
    try:
        return [(str(n), k) for n, k in pyogrio.list_layers(gdal_path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"`path` {name} cannot be read: {exc}"
        raise ImportFileError(msg) from None


def _read_vector(
    path: Path, fmt: str, *, source_layer: str | None, encoding: str | None, max_bytes: int
) -> _Source:
    gdal_path, layer, dbf_encoding, declared, notes = _vector_source(
        path, fmt, source_layer=source_layer, encoding=encoding, max_bytes=max_bytes
    )
    options: dict[str, object] = {"layer": layer} if layer else {}
    if dbf_encoding:
        options["encoding"] = "gb18030" if dbf_encoding == "gbk" else dbf_encoding
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                gdf = pyogrio.read_dataframe(gdal_path, use_arrow=True, **options)
            except pyogrio.errors.DataSourceError as exc:
                if "use_arrow" not in str(exc):
                    raise
                gdf = pyogrio.read_dataframe(gdal_path, use_arrow=False, **options)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            msg = f"`path` {path.name} cannot be read as {fmt}: {exc}"
            raise ImportFileError(msg) from None
        except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
            msg = f"`path` {path.name} has unreadable content: {exc}"
            raise ImportFileError(msg) from None
    notes += [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)]
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"`path` {path.name} holds a table without geometries"
        raise ImportFileError(msg)
    if len(gdf) == 0:
        msg = f"`path` {path.name}: the file has no rows (no features)"
        raise ImportFileError(msg)
    geometry = np.asarray(gdf.geometry.array, dtype=object)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    rows = np.arange(1, len(gdf) + 1, dtype=np.int64)
    crs = gdf.crs if declared else None
    return _Source(frame, rows, dbf_encoding, geometry, crs, notes=notes)


# --------------------------------------------------------------------------- geometry


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
            notes.append(f"the file declares {_crs_label(declared)}; used it instead of `crs`")
        return (None if _is_wgs84(declared) else declared), None, _crs_label(declared or "wgs84")
    if isinstance(user, str):  # gcj02 / bd09, applied after any reprojection to WGS-84
        return (None if _is_wgs84(declared) else declared), user, user
    if _is_wgs84(declared) or declared == user:
        return (None if _is_wgs84(user) else user), None, _crs_label(user)
    notes.append(f"the file declares {_crs_label(declared)}; `crs` {_crs_label(user)} was ignored")
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
    """Why the longitude and latitude columns look swapped, or None if they do not."""
    xs, ys = x[ok], y[ok]
    if not len(xs):
        return None
    if (
        np.mean(np.abs(ys) > 90) > 0.5
        and np.mean(np.abs(xs) <= 90) > 0.9
        and np.mean(np.abs(ys) <= 180) > 0.9
    ):
        return "the latitude column holds values beyond ±90"
    if workspace is not None:
        given = np.mean(_km_outside(np.column_stack([xs, ys, xs, ys]), workspace) <= max_km)
        swapped = np.mean(_km_outside(np.column_stack([ys, xs, ys, xs]), workspace) <= max_km)
        if swapped > 0.5 and given < 0.1:
            return "read the other way round they fall inside the workspace"
    elif (
        system in ("gcj02", "bd09")
        and np.mean(in_china(ys, xs)) > 0.5
        and np.mean(in_china(xs, ys)) < 0.1
    ):
        return f"{system} coordinates must lie in China, and only swapped do they"
    return None


def _projected_hint(x: np.ndarray, y: np.ndarray, bad: np.ndarray, notes: list[str]) -> None:
    if bad.mean() > 0.5 and np.nanmedian(np.abs(np.concatenate([x[bad], y[bad]]))) > 1000:
        notes.append(
            "the coordinates look projected (metres, not degrees): set `crs` to their "
            "system, e.g. a CGCS2000 Gauss-Krüger zone EPSG:4513–4554"
        )


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
        lambda i: np.where(
            x_blank[i] & y_blank[i],
            f"{xcol} and {ycol} are empty",
            np.where(x_blank[i], f"{xcol} is empty", f"{ycol} is empty"),
        ),
    )
    raw_x, raw_y = frame[xcol], frame[ycol]
    rej.add(
        x_bad | y_bad,
        "non_numeric_coordinate",
        lambda i: join_text(
            f"{xcol}='", raw_x.iloc[i], f"', {ycol}='", raw_y.iloc[i], "': not a number"
        ),
    )
    system = user or "wgs84"
    label = _crs_label(system)
    ok = rej.good
    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    if isinstance(system, pyproj.CRS) and system.is_projected:
        named = {normalise_name(xcol), normalise_name(ycol)} & AXIS_NAMES
        order = None if named else guess_northing_first(x[ok], y[ok], system)
        if order:
            x, y = y, x
            mapping["lon"], mapping["lat"] = ycol, xcol
            notes.append(
                f"{xcol} holds northings and {ycol} eastings (surveyors' X is the northing "
                f"in {label}): read them that way round"
            )
        elif order is None and not named and ok.any():
            notes.append(
                f"could not tell the axis order; read {xcol} as easting, {ycol} as northing"
            )
        lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], system)
        bad = ok & ~(
            np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        )
        rej.add(
            bad,
            "out_of_range",
            lambda i: join_text(
                f"{xcol}=", x[i], f", {ycol}=", y[i], f" is outside the area of {label}"
            ),
        )
        return lon, lat, label
    why = _unswap(x, y, ok, system, workspace, max_km)
    if why:
        x, y = y, x
        mapping["lon"], mapping["lat"] = ycol, xcol
        notes.append(f"latitude and longitude columns look swapped ({why}): swapped back")
    bad = ok & ~(np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90))
    rej.add(
        bad,
        "out_of_range",
        lambda i: join_text("longitude ", x[i], ", latitude ", y[i], " is outside ±180°, ±90°"),
    )
    if bad.any():
        _projected_hint(x, y, bad, notes)
    ok = rej.good
    if system == "wgs84":
        lon[ok], lat[ok] = x[ok], y[ok]
    else:
        lon[ok], lat[ok] = to_wgs84(x[ok], y[ok], system)
    return lon, lat, label


def _wkt(frame: pd.DataFrame, column: str, rej: Rejections) -> np.ndarray:
    text = as_text(frame[column])
    blank = blank_mask(text)
    geoms = shapely.from_wkt(text.to_numpy(dtype=object, na_value=None), on_invalid="ignore")
    unread = ~blank & shapely.is_missing(geoms)
    rej.add(unread, "invalid_geometry", f"{column} is not a WKT geometry")
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
    rej.add(empty, "empty_geometry", "the geometry is empty")
    type_ids = shapely.get_type_id(geoms)
    wrong = ~empty & ~np.isin(type_ids, _GEOMETRY_TYPE_IDS[spec.geometry])
    if wrong.any() and not (~empty & ~wrong).any():
        found = ", ".join(sorted(gpd.GeoSeries(geoms[wrong]).geom_type.unique()))
        msg = (
            f"layer `{spec.name}` needs {spec.geometry} geometries, but `path` {name} holds {found}"
        )
        raise ImportFileError(msg)
    rej.add(
        wrong,
        "wrong_geometry_type",
        lambda i: join_text(
            "the geometry is a ",
            gpd.GeoSeries(geoms[i]).geom_type.to_numpy(),
            f"; layer `{spec.name}` needs {spec.geometry}",
        ),
    )
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
    rej.add(bad, "out_of_range", f"the geometry lies outside ±180°, ±90° once read as {label}")
    if bad.any():
        _projected_hint(bounds[:, 0], bounds[:, 1], bad, notes)
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
    rej.add(failed, "invalid_geometry", "the polygon is invalid and could not be repaired")
    repaired = int(invalid.sum() - failed.sum())
    if repaired:
        notes.append(f"{repaired} polygons were invalid and repaired with make_valid")


# ---------------------------------------------------------------------------- import


def _max_bytes(value: float | None) -> int:
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


def _check_path(path: object, limit: int) -> Path:
    if not isinstance(path, str | os.PathLike):
        msg = f"`path` must be a file path; got {type(path).__name__}"
        raise ValidationError(msg)
    p = Path(path)
    if not p.is_file():
        msg = f"`path` {p} does not exist or is not a file"
        raise ImportFileError(msg)
    suffix = p.suffix.lower()
    if suffix not in TABLE_FORMATS and suffix not in VECTOR_FORMATS:
        hint = " (old Excel format: save it as .xlsx or CSV)" if suffix == ".xls" else ""
        msg = (
            f"`path` {p.name}: files of type {suffix or '(no extension)'} cannot be "
            f"imported{hint}; use CSV (.csv, .txt, .tsv), Excel (.xlsx), GeoJSON (.geojson, "
            ".json), GeoPackage (.gpkg) or a zipped Shapefile (.zip)"
        )
        raise ImportFileError(msg)
    size = p.stat().st_size
    if size == 0:
        msg = f"`path` {p.name} is empty (0 bytes): the file has no rows"
        raise ImportFileError(msg)
    if size > limit:
        msg = (
            f"`path` {p.name} is {size / 2**20:.1f} MB, larger than the import limit of "
            f"{limit / 2**20:.1f} MB (raise it with `max_bytes` or {MAX_UPLOAD_ENV})"
        )
        raise ImportFileError(msg)
    return p


def _check_bounds(bounds: object) -> tuple[float, float, float, float] | None:
    if bounds is None:
        return None
    try:
        west, south, east, north = (float(b) for b in bounds)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        west = south = east = north = np.nan
    if not (
        np.all(np.isfinite([west, south, east, north]))
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        msg = (
            "`workspace_bounds` must be (west, south, east, north) in degrees of longitude "
            f"and latitude; got {bounds!r}"
        )
        raise ValidationError(msg)
    return west, south, east, north


def _require(
    mapping: dict[str, str],
    spec: LayerSpec,
    columns: Sequence[str],
    *,
    table: bool,
    default_category: str | None,
) -> None:
    from gridmap._io_columns import SYNONYMS

    needed: list[str] = []
    if table:
        if spec.geometry == "Point" and "wkt" not in mapping:
            needed += ["lon", "lat"]
        elif spec.geometry != "Point":
            needed.append("wkt")
    needed += [c for c in spec.required if c != spec.id_column or c == "grid_code"]
    if default_category is not None and "category" in needed:
        needed.remove("category")
    missing = [role for role in needed if role not in mapping]
    if missing:
        described = "; ".join(
            f"{role} (e.g. {', '.join(SYNONYMS.get(role, (role,))[:3])})" for role in missing
        )
        msg = (
            f"layer `{spec.name}`: required column(s) not found: {described}. Columns in "
            f"the file: {', '.join(map(str, columns))}. Rename the column or map it with "
            f"`columns={{'{missing[0]}': '<column name>'}}`"
        )
        raise ValidationError(msg)


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
        lambda i: join_text(
            "", np.round(distance[i], 1), f" km outside the workspace (limit {max_km} km)"
        ),
    )


def _assemble(
    source: _Source,
    attrs: dict[str, pd.Series],
    mapping: dict[str, str],
    spec: LayerSpec,
    good: np.ndarray,
    geometry: np.ndarray | _Points,
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
    if not good.all():
        data = data[good]
    data = data.reset_index(drop=True)
    if isinstance(geometry, _Points):
        geoms = geometry.take(good)
    else:
        geoms = gpd.GeoSeries(geometry[good], crs=STORAGE_CRS).array
    return gpd.GeoDataFrame(data, geometry=geoms, crs=STORAGE_CRS)


def _rejected_frame(source: _Source, rej: Rejections, original: np.ndarray | None) -> pd.DataFrame:
    bad = np.flatnonzero(rej.code)
    reasons = np.asarray(rej.reasons, dtype=object)[rej.code[bad]]
    out = pd.DataFrame(
        {
            "row": source.rows[bad],
            "reason": pd.array(reasons, dtype="str"),
            "message": pd.array(rej.messages(bad), dtype="str"),
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
) -> ImportResult:
    """Import a user's file into a gridmap layer, reporting every row it cannot use.

    The file type comes from the extension: CSV (``.csv``, ``.txt``, ``.tsv``) and Excel
    (``.xlsx``) tables with coordinate columns (or a WKT column), GeoJSON, GeoPackage and
    zipped Shapefiles. Text encodings (UTF-8, UTF-8 with BOM, GBK/GB18030), delimiters,
    title rows above the header and column names are detected; dates in ISO, Chinese and
    Excel forms are parsed. Coordinates are converted to WGS-84 from `crs`, from the file's
    declared CRS, or from GCJ-02/BD-09, with swapped latitude/longitude columns and
    surveyors' northing-first X/Y columns put right (each such decision is reported in
    :attr:`ImportResult.warnings`).

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
    spec = layer_spec(layer)
    user_crs = None if crs is None else parse_crs(crs)
    workspace = _check_bounds(workspace_bounds)
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
    limit = _max_bytes(max_bytes)
    p = _check_path(path, limit)
    fmt = TABLE_FORMATS.get(p.suffix.lower()) or VECTOR_FORMATS[p.suffix.lower()]
    table = fmt in ("csv", "xlsx")
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
        source = _read_xlsx(p, sheet=sheet, roles=roles)
    else:
        source = _read_vector(p, fmt, source_layer=source_layer, encoding=encoding, max_bytes=limit)
    notes = list(source.notes)
    mapping = resolve_columns(list(source.frame.columns), spec, columns, table=table)
    _require(
        mapping, spec, list(source.frame.columns), table=table, default_category=default_category
    )
    rej = Rejections(len(source.frame))
    original = None
    geometry: np.ndarray | _Points
    with ThreadPoolExecutor(max_workers=1) as pool:
        if table and spec.geometry == "Point" and "lon" in mapping and "lat" in mapping:
            mapping.pop("wkt", None)
            lon, lat, label = _points(
                source.frame, mapping, user_crs, workspace, max_distance_km, rej, notes
            )
            geometry = _Points(lon, lat)
        else:
            for role in ("lon", "lat"):
                mapping.pop(role, None)
            if table or source.geometry is None:
                original = _wkt(source.frame, mapping["wkt"], rej)
            else:
                original = source.geometry
            geometry, label = _shapes(original, source.crs, user_crs, spec, rej, notes, p.name)
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
        )
        if spec.id_column is not None:
            ids = attrs[spec.id_column]
            reject_duplicates(ids, source.rows, rej, existing_ids, spec.id_column)
        data = _assemble(source, attrs, mapping, spec, rej.good, geometry)
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


# ---------------------------------------------------------------------------- export


def _shapefile_names(columns: Sequence[str]) -> dict[str, str]:
    """Field names of at most 10 bytes (dBASE), cut on character boundaries, unique."""
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = _cut(str(column), 10)
        n = 0
        while name.lower() in taken:
            n += 1
            name = _cut(str(column), 10 - len(f"_{n}")) + f"_{n}"
        taken.add(name.lower())
        renamed[column] = name
    return renamed


def _cut(text: str, size: int) -> str:
    encoded = text.encode("utf-8")[:size]
    return encoded.decode("utf-8", errors="ignore")


def _to_target(gdf: gpd.GeoDataFrame, crs: object) -> tuple[gpd.GeoDataFrame, bool]:
    """`gdf` in the export CRS; also whether its coordinates are degrees."""
    if gdf.crs is None:
        msg = "`gdf` has no coordinate reference system; set it (gridmap stores EPSG:4326)"
        raise ValidationError(msg)
    target = parse_crs(crs)
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
        in a projected CRS) and a WKT ``geometry`` column otherwise; date-times are written
        as ISO strings (``2026-03-01 10:00:00``).
    crs : str, int or pyproj.CRS, default "wgs84"
        Coordinates to write: ``"wgs84"``, ``"gcj02"``/``"bd09"`` (shifted for Amap/Baidu;
        the file still declares WGS-84, as those systems have no EPSG code) or an EPSG code.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"`gdf` must be a GeoDataFrame; got {type(gdf).__name__}"
        raise ValidationError(msg)
    p = Path(path)
    if fmt is None:
        fmt = _EXPORT_SUFFIXES.get(p.suffix.lower())
        if fmt is None:
            msg = f"`fmt` not given and `path` {p.name} has no known extension"
            raise ValidationError(msg)
    if fmt not in EXPORT_FORMATS:
        msg = f"`fmt` must be one of {', '.join(EXPORT_FORMATS)}; got {fmt!r}"
        raise ValidationError(msg)
    if fmt == "shp" and p.suffix.lower() != ".zip":
        p = p.with_suffix(".zip")
    out, degrees = _to_target(gdf, crs)
    p.parent.mkdir(parents=True, exist_ok=True)
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
    if len(gdf) and types == {0}:
        names = ("lon", "lat") if degrees else ("x", "y")
        frame[names[0]] = shapely.get_x(np.asarray(geoms, dtype=object))
        frame[names[1]] = shapely.get_y(np.asarray(geoms, dtype=object))
    else:
        frame["geometry"] = shapely.to_wkt(np.asarray(geoms, dtype=object), rounding_precision=-1)
    frame.to_csv(path, index=False, encoding="utf-8-sig")


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
