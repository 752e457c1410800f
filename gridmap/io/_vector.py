"""GIS files as users receive them: GeoJSON, GeoPackage and (zipped) Shapefiles.

GDAL reads the geometries, but it is never given a user's file as it came: every file is
first put in a private temporary folder under a plain name (zip members inflated there by
:mod:`gridmap.io._archive`, which counts what is actually inflated; plain files linked),
checked against what its extension says it is, and opened with that one driver
(:mod:`gridmap.io._drivers`). Nothing in a file or its name can make GDAL read another
file on the server, follow ``/vsi…`` paths, or guess a format.

What GDAL cannot be trusted with is the attribute table of a Shapefile from a Chinese GIS
platform, whose ``.dbf`` is GBK more often than not and says so in a ``.cpg`` file, in the
dBASE language-driver byte, or nowhere (or, wrongly, says UTF-8). That encoding is settled
here before pyogrio reads the file, or every Chinese name would come out garbled.

When a file holds several layers or Shapefiles the first is read and a note says which,
rather than choosing silently. Whether the file *declares* a coordinate system is recorded
too: a GeoJSON without ``"crs"`` or a Shapefile without ``.prj`` (or with one GDAL cannot
read) leaves the user's `crs` in charge.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from gridmap._errors import ImportFileError, ValidationError
from gridmap.i18n import Message
from gridmap.io._archive import Member, extract, open_zip
from gridmap.io._columns import dedupe_names
from gridmap.io._drivers import (
    check_content,
    check_geojson_crs,
    check_layer,
    check_shapefile_parts,
    gdal_path,
    geopackage_geometry_present,
    inspect_geopackage,
    shapefile_geometry_present,
)
from gridmap.io._text import _SAMPLE_BYTES, _codec_name, _guess_encoding, _Source, detect_encoding

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


def _cpg_codec(cpg: str) -> str | None:
    """The Python codec a .cpg names, None when it names none a .dbf can be written in.

    A .cpg is one word (``UTF-8``, ``GBK``, ``936``); one holding binary bytes, a codec
    Python does not know or one that is not an ASCII-compatible text encoding (``base64``,
    ``utf-16``) cannot describe a dBASE table and is ignored.
    """
    text = cpg.strip().lower()
    key = "".join(c for c in text if c.isalnum())
    if key in _CPG_CODECS:
        return _CPG_CODECS[key]
    try:
        codec = _codec_name(f"cp{key}" if key.isdigit() else text)
        usable = codecs.lookup(codec)._is_text_encoding and "Az09".encode(codec) == b"Az09"
    except (ValueError, LookupError, UnicodeError, TypeError):
        return None  # ValidationError (unknown), ValueError (a NUL byte in the name)
    return codec if usable else None


def _dbf_encoding(head: bytes, cpg: str | None, notes: list[str] | None = None) -> str:
    """Encoding of a Shapefile's .dbf: its .cpg, its language-driver id, else its bytes."""
    if cpg is not None and cpg.strip():
        codec = _cpg_codec(cpg)
        if codec is not None:
            return codec
        if notes is not None:
            shown = "".join(c if c.isprintable() else "?" for c in cpg.strip()[:40])
            notes.append(Message("cpg_ignored", cpg=shown))
    if len(head) < 32:
        return "utf-8"
    if head[29] in _GBK_LDIDS:
        return "gbk"
    header_length = int.from_bytes(head[8:10], "little")
    try:
        return detect_encoding(head[32:header_length] + head[header_length:])
    except ImportFileError:
        return "latin-1"


def _pick(members: list[str], wanted: str | None, what: str, notes: list[str]) -> str:
    """The member `wanted`, else the first (with a note); `what`: shapefiles, files, layers."""
    names = ", ".join(Path(m).stem for m in members)
    if wanted is not None:
        hit = [m for m in members if Path(m).stem == wanted or m == wanted]
        if not hit:
            msg = Message(f"source_layer_missing_{what}", wanted=repr(wanted), names=names)
            raise ValidationError(msg)
        return hit[0]
    if len(members) > 1:
        first = Path(members[0]).stem
        notes.append(Message(f"several_{what}", n=len(members), names=names, first=first))
    return members[0]


#: Python codec names GDAL's iconv does not know, as it spells them.
_GDAL_CODECS = {"gbk": "gb18030", "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1"}
_BYTES_AS_TEXT = "ISO-8859-1"  # one character per byte: reads any .dbf without loss


def _records_encoding(dbf: Path) -> str | None:
    """Encoding detected from a .dbf's records alone, None when they cannot tell.

    The field names are left out: a UTF-8 name cut at the 10-byte dBASE limit ends in
    half a character, which would make any text look like something other than UTF-8.
    Only the non-ASCII runs of the records are looked at (each with the byte after it, a
    GBK character's second byte may be ASCII), gathered from the whole table: a table
    whose first megabyte is all ASCII names would otherwise tell nothing.
    """
    sample = bytearray()
    with dbf.open("rb") as handle:
        head = handle.read(32)
        if len(head) < 32:
            return None
        handle.seek(int.from_bytes(head[8:10], "little"))
        while len(sample) < _SAMPLE_BYTES and (chunk := handle.read(1 << 24)):
            for run in _NON_ASCII.finditer(chunk):
                sample += run.group() + b" "
    if not sample:
        return None
    try:
        return _guess_encoding(bytes(sample[:_SAMPLE_BYTES]))[0]
    except ImportFileError:
        return None


_NON_ASCII = re.compile(rb"[\x80-\xff]+[\x00-\x7f]?")


#: Parts of a Shapefile put beside it for GDAL; nothing else of a zip or folder is, so
#: GDAL cannot be pointed at any other file through the Shapefile's name.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_REQUIRED_PARTS = (".dbf", ".shx")
#: Largest .prj or .cpg used: each is one line of text, so anything bigger is not one.
_SMALL_PART_BYTES = 64 * 1024
_ZIP_DATA = (".geojson", ".json", ".gpkg")
_SUFFIXES = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp"}


def _link(source: Path, target: Path) -> None:
    """Put the file `source` at `target`: a symbolic link where allowed, else a copy."""
    try:
        os.symlink(source, target)
    except (OSError, NotImplementedError):  # Windows without the symlink privilege
        shutil.copyfile(source, target)


def _sibling(path: Path, ext: str) -> Path | None:
    """Part `ext` of the Shapefile `path` (``.dbf`` or ``.DBF``), if it is a regular file."""
    for candidate in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _drop_big_parts(shp: Path, name: str, notes: list[str]) -> None:
    for ext in (".prj", ".cpg"):
        part = shp.with_suffix(ext)
        if part.exists() and part.stat().st_size > _SMALL_PART_BYTES:
            part.unlink()
            notes.append(Message("shapefile_part_ignored", name=name, ext=ext))


def _stage_file(path: Path, fmt: str, folder: Path, notes: list[str]) -> Path:
    """Link a plain file (a Shapefile with its parts) into `folder` under a plain name."""
    target = folder / f"layer{_SUFFIXES[fmt]}"
    _link(path.resolve(), target)
    if fmt == "shp":
        for ext in _SHAPEFILE_PARTS[1:]:
            part = _sibling(path, ext)
            if part is None and ext in _REQUIRED_PARTS:
                raise ImportFileError(Message("shapefile_part_missing", name=path.name, ext=ext))
            if part is not None:
                _link(part, target.with_suffix(ext))
        _drop_big_parts(target, path.name, notes)
    return target


def _zip_data(path: Path, members: list[Member]) -> tuple[list[str], list[str]]:
    """The Shapefiles and the other GIS files in a zip; refused when it holds neither."""
    shps = [m.name for m in members if m.name.lower().endswith(".shp")]
    others = [m.name for m in members if m.name.lower().endswith(_ZIP_DATA)]
    if not shps and not others:
        if not members:
            raise ImportFileError(Message("zip_empty", name=path.name))
        if any(m.name.lower().endswith(".zip") for m in members):
            raise ImportFileError(Message("zip_nested", name=path.name))
        listing = ", ".join(m.name for m in members[:10])
        raise ImportFileError(Message("zip_no_data", name=path.name, listing=listing))
    return shps, others


def _stage_zip(
    path: Path, folder: Path, source_layer: str | None, max_bytes: int, notes: list[str]
) -> tuple[Path, str]:
    """Inflate the chosen layer's files from a zip into `folder`; (file to open, format).

    Only the members that make up the chosen layer are inflated, each counted against
    `max_bytes` as it is (:func:`gridmap.io._archive.extract`), so neither other members
    nor sizes that lie can fill the disk.
    """
    archive, members = open_zip(path, max_bytes)
    with archive:
        shps, others = _zip_data(path, members)
        by_name = {m.name.lower(): m for m in members}
        chosen = _pick(shps or others, source_layer, "shapefiles" if shps else "files", notes)
        budget = max_bytes
        if not shps:
            fmt = "gpkg" if chosen.lower().endswith(".gpkg") else "geojson"
            target = folder / f"layer{_SUFFIXES[fmt]}"
            extract(
                archive,
                by_name[chosen.lower()],
                target,
                budget=budget,
                limit=max_bytes,
                zip_name=path.name,
            )
            return target, fmt
        stem = chosen[: -len(".shp")]
        for ext in _REQUIRED_PARTS:
            if (stem + ext).lower() not in by_name:
                msg = Message(
                    "shapefile_part_missing_in_zip",
                    name=path.name,
                    shapefile=PurePosixPath(chosen).name,
                    ext=ext,
                )
                raise ImportFileError(msg)
        target = folder / "layer.shp"
        for ext in _SHAPEFILE_PARTS:
            member = by_name.get((stem + ext).lower())
            if member is not None:
                budget -= extract(
                    archive,
                    member,
                    target.with_suffix(ext),
                    budget=budget,
                    limit=max_bytes,
                    zip_name=path.name,
                )
    _drop_big_parts(target, path.name, notes)
    return target, "shp"


def _vector_source(
    staged: Path,
    fmt: str,
    name: str,
    *,
    source_layer: str | None,
    encoding: str | None,
    notes: list[str],
) -> tuple[str, str | None, str | None, bool, bytes]:
    """The GDAL path to read, its layer, the .dbf encoding, whether a CRS is declared.

    `staged` is the file in the private folder; `name` what messages call it. Its bytes
    are checked against `fmt` before GDAL sees it, with the one driver `fmt` allows.
    """
    check_content(staged, fmt, name)
    source = gdal_path(staged, fmt)
    if fmt == "shp":
        dbf = staged.with_suffix(".dbf")
        check_shapefile_parts(staged.with_suffix(".shx"), dbf, name)
        cpg_path = staged.with_suffix(".cpg")
        cpg = None
        if cpg_path.exists():
            with cpg_path.open("rb") as handle:
                cpg = handle.read(1024).decode("ascii", "replace")
        with dbf.open("rb") as handle:
            head = handle.read(_SAMPLE_BYTES)
        dbf_encoding = _codec_name(encoding) if encoding else _dbf_encoding(head, cpg, notes)
        return source, None, dbf_encoding, staged.with_suffix(".prj").exists(), head
    if fmt == "geojson":
        check_geojson_crs(staged, name)
        # GDAL reads a "crs" member wherever it is (after the features too) and in every
        # legacy spelling; without one it reports CRS84, which counts as undeclared.
        return source, None, None, True, b""
    views = inspect_geopackage(staged, name)
    if source_layer is not None:
        check_layer(source_layer, views, name)
    layers = _list_layers(source, name)
    spatial = [layer for layer, kind in layers if kind and layer.lower() not in views]
    if not spatial:
        for layer, kind in layers:
            if kind:
                check_layer(layer, views, name)
        raise ImportFileError(Message("gpkg_no_layers", name=name))
    return source, _pick(spatial, source_layer, "layers", notes), None, True, b""


def _read_dbf_again(
    gdal_path: str,
    options: dict[str, object],
    path: Path,
    fmt: str,
    declared: str,
    head: bytes,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, str]:
    """Read a .dbf whose text is not valid in the encoding its .cpg (or bytes) declared.

    Two things go wrong in practice: a .cpg saying UTF-8 beside a GBK table (tools that
    write one .cpg for every export), and UTF-8 field names cut mid-character at the
    10-byte dBASE limit. The first is read again in the encoding detected from the
    records; the second (or anything else) one character per byte and then decoded,
    dropping half characters, so the user gets the data and a note rather than a crash.
    """
    detected = _records_encoding(Path(gdal_path).with_suffix(".dbf"))
    if detected is not None and detected != declared:
        try:
            gdf = _read_gdal(
                gdal_path,
                options | {"encoding": _GDAL_CODECS.get(detected, detected)},
                path.name,
                fmt,
            )
        except UnicodeDecodeError:
            pass
        else:
            notes.append(Message("dbf_read_as_detected", declared=declared, detected=detected))
            return gdf, detected
    raw = _read_gdal(gdal_path, options | {"encoding": _BYTES_AS_TEXT}, path.name, fmt)
    if not isinstance(raw, gpd.GeoDataFrame):
        return raw, declared
    gdf, bad_names, bad_values = _recode(raw, "gb18030" if declared == "gbk" else declared)
    if bad_names and bad_values:
        key = "dbf_names_and_values_bad"
    elif bad_names or bad_values:
        key = "dbf_names_cut" if bad_names else "dbf_values_bad"
    else:
        key = "dbf_some_bytes_bad"
    notes.append(Message(key, encoding=declared, names=bad_names, values=bad_values))
    return gdf, declared


def _list_layers(gdal_path: str, name: str) -> list[tuple[str, str | None]]:
    try:
        return [(str(n), k) for n, k in pyogrio.list_layers(gdal_path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportFileError(Message("vector_unreadable", name=name, detail=str(exc))) from None


#: The longest string GDAL's GeoJSON parser reads (``CPLJSonStreamingParser``'s fixed
#: maximum, not a configuration option: ``OGR_GEOJSON_MAX_OBJ_SIZE`` does not change it).
GEOJSON_MAX_STRING = 10_000_000


def _read_gdal(
    gdal_path: str, options: dict[str, object], name: str, fmt: str
) -> gpd.GeoDataFrame | pd.DataFrame:
    """The file read by pyogrio, every failure a user's file can cause as a clear error.

    Geometries GEOS cannot decode become missing here (``on_invalid="ignore"``) and are
    told apart from really missing ones by :func:`_unreadable_geometries`. Text that is
    not in the encoding GDAL was told raises :class:`UnicodeDecodeError` (pyogrio's
    Arrow path reports it as ``ArrowInvalid``), so the caller can read it again.
    """
    try:
        try:
            gdf = pyogrio.read_dataframe(gdal_path, use_arrow=True, on_invalid="ignore", **options)
        except pyogrio.errors.DataSourceError as exc:
            if "use_arrow" not in str(exc):
                raise
            gdf = pyogrio.read_dataframe(gdal_path, use_arrow=False, on_invalid="ignore", **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        if "Too many characters" in str(exc):  # json-c's words for any over-long value
            limit = f"{GEOJSON_MAX_STRING:,}"
            raise ImportFileError(
                Message("geojson_value_too_long", name=name, limit=limit)
            ) from None
        msg = Message("vector_unreadable_as", name=name, fmt=fmt, detail=str(exc))
        raise ImportFileError(msg) from None
    except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise ImportFileError(Message("vector_bad_content", name=name, detail=str(exc))) from None
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower().replace("-", ""):
            raise UnicodeDecodeError("utf-8", b"", 0, 1, str(exc)) from None
        raise ImportFileError(Message("vector_bad_content", name=name, detail=str(exc))) from None
    except (pa.ArrowException, shapely.errors.GEOSException) as exc:
        raise ImportFileError(Message("vector_bad_content", name=name, detail=str(exc))) from None
    _check_utf8(gdf)
    return gdf


def _check_utf8(frame: pd.DataFrame) -> None:
    """Raise :class:`UnicodeDecodeError` when a text column holds bytes that are not UTF-8.

    Told a .dbf is UTF-8 (by its .cpg) when it is GBK, GDAL passes the bytes on and
    pyogrio's Arrow path keeps them unchecked; the failure would come later, from the
    first string operation, as an ``ArrowInvalid`` traceback. Checking here lets the
    caller read the table again in the encoding its bytes are in.
    """
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            continue
        try:
            pa.array(values.array).validate(full=True)
        except pa.ArrowInvalid as exc:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, str(exc)) from None
        except (TypeError, pa.ArrowException):
            continue  # not Arrow-backed: Python strings are valid text already


def _unreadable_geometries(gdal_path: str, layer: str | None, missing: np.ndarray) -> np.ndarray:
    """Which of the `missing` geometries were in the file but could not be decoded.

    A GeoJSON ring that does not close, a GeoPackage blob of garbage or a record past
    the end of a cut-short ``.shp`` reach us as features without a geometry. What the
    file says it holds tells the two apart, looked up only when a geometry is missing:
    the GeoPackage's blobs, the Shapefile's index, else the raw WKB read again.
    """
    if gdal_path.startswith("GPKG:") and layer is not None:
        present = geopackage_geometry_present(Path(gdal_path[len("GPKG:") :]), layer)
        if present is not None and len(present) == len(missing):
            return missing & present
    if gdal_path.lower().endswith(".shp"):
        present = shapefile_geometry_present(Path(gdal_path).with_suffix(".shx"))
        if present is not None and len(present) == len(missing):
            return missing & present
    options: dict[str, object] = {"layer": layer} if layer else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported by the first read
            wkb = pyogrio.raw.read(gdal_path, columns=[], **options)[2]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return np.zeros(len(missing), dtype=bool)
    if wkb is None or len(wkb) != len(missing):
        return np.zeros(len(missing), dtype=bool)
    present = np.array([value is not None and len(value) > 0 for value in wkb], dtype=bool)
    return missing & present


def _recode(gdf: gpd.GeoDataFrame, encoding: str) -> tuple[gpd.GeoDataFrame, int, int]:
    """Text read one character per byte, decoded as `encoding`; bad bytes dropped.

    Returns the frame, how many field names and how many values had bytes that are not
    `encoding` text (half characters dropped from names, replaced by U+FFFD in values).
    """
    names: dict[str, str] = {}
    bad_names = 0
    for column in gdf.columns:
        if column == gdf.geometry.name:
            continue
        raw = column.encode(_BYTES_AS_TEXT)
        names[column] = raw.decode(encoding, errors="ignore")
        bad_names += names[column] != raw.decode(encoding, errors="replace")
    bad_values = 0
    out = gdf.copy()
    for column in names:
        values = out[column]
        if not pd.api.types.is_string_dtype(values.dtype):
            continue
        raw = values.str.encode(_BYTES_AS_TEXT)
        strict = raw.str.decode(encoding, errors="ignore")
        decoded = raw.str.decode(encoding, errors="replace")
        bad_values += int((strict != decoded).fillna(False).sum())
        out[column] = decoded.astype("str")
    out = out.rename(columns=dict(zip(names, dedupe_names(list(names.values())), strict=True)))
    return out, bad_names, bad_values


#: Attribute names that are the coordinates of a point layer wherever gridmap shows or
#: writes one (the layer table, CSV exports), compared without case.
_COORDINATE_NAMES = frozenset({"lon", "lat", "lng", "x", "y", "经度", "纬度"})


def _coordinate_names_freed(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """`frame` with attributes named like coordinates (``lat``, ``经度``) renamed.

    The geometry holds a GIS file's coordinates; an attribute also called ``lat`` would
    be one of two different things with one name in the layer table, and in the CSV
    export, which writes the geometry's coordinates as ``lon``/``lat``.
    """
    taken = {str(c).lower() for c in frame.columns}
    renames: dict[str, str] = {}
    for column in frame.columns:
        if str(column).lower() in _COORDINATE_NAMES:
            new, n = f"{column}_source", 1
            while new.lower() in taken:
                n += 1
                new = f"{column}_source{n}"
            taken.add(new.lower())
            renames[column] = new
    if not renames:
        return frame
    notes.append(
        Message(
            "coordinate_attributes_renamed",
            renamed=", ".join(f"{a} → {b}" for a, b in renames.items()),
        )
    )
    return frame.rename(columns=renames)


def _unreadable_rows(
    frame: pd.DataFrame, rows: np.ndarray, bad: np.ndarray, name: str
) -> pd.DataFrame:
    """The rejection rows (``invalid_geometry``) of features whose geometry GEOS refused."""
    if bad.all():
        raise ImportFileError(Message("vector_geometries_unreadable", name=name))
    values = frame[bad].reset_index(drop=True)
    values.columns = [
        f"{c} (source)" if c in ("row", "reason", "message") else c for c in values.columns
    ]
    head = pd.DataFrame(
        {
            "row": pd.array(rows[bad], dtype="Int64"),
            "reason": "invalid_geometry",
            "message": pd.Series(
                [Message("row_geometry_unreadable")] * int(bad.sum()), dtype=object
            ),
        }
    )
    return pd.concat([head, values], axis=1)


def _read_vector(
    path: Path, fmt: str, *, source_layer: str | None, encoding: str | None, max_bytes: int
) -> _Source:
    """Read a GIS file (or the chosen layer of a zip) from a private copy, safely.

    The private folder, and everything inflated into it, is removed when reading ends,
    also when it fails.
    """
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gridmap-import-") as folder:
        if fmt == "zip":
            staged, inner = _stage_zip(path, Path(folder), source_layer, max_bytes, notes)
        else:
            staged, inner = _stage_file(path, fmt, Path(folder), notes), fmt
        gdal, layer, dbf_encoding, declared, head = _vector_source(
            staged, inner, path.name, source_layer=source_layer, encoding=encoding, notes=notes
        )
        gdf, dbf_encoding = _read_layer(
            gdal, layer, path, inner, encoding, dbf_encoding, head, notes
        )
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
            raise ImportFileError(Message("vector_no_geometry", name=path.name))
        if len(gdf) == 0:
            raise ImportFileError(Message("vector_no_features", name=path.name))
        geometry = np.asarray(gdf.geometry.array, dtype=object)
        missing = shapely.is_missing(geometry)
        unreadable = _unreadable_geometries(gdal, layer, missing) if missing.any() else missing
    if declared and gdf.crs is None:
        notes.append(Message("crs_unreadable", name=path.name))
        declared = False
    frame = _coordinate_names_freed(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), notes)
    rows = np.arange(1, len(gdf) + 1, dtype=np.int64)
    malformed = None
    if unreadable.any():
        malformed = _unreadable_rows(frame, rows, unreadable, path.name)
        keep = ~unreadable
        frame, rows, geometry = frame[keep].reset_index(drop=True), rows[keep], geometry[keep]
    crs = gdf.crs if declared else None
    return _Source(frame, rows, dbf_encoding, geometry, crs, malformed=malformed, notes=notes)


def _read_layer(
    gdal: str,
    layer: str | None,
    path: Path,
    fmt: str,
    encoding: str | None,
    dbf_encoding: str | None,
    head: bytes,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, str | None]:
    """The layer read by GDAL, a .dbf in the wrong encoding read again; GDAL's warnings noted."""
    options: dict[str, object] = {"layer": layer} if layer else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if dbf_encoding:
                options["encoding"] = _GDAL_CODECS.get(dbf_encoding, dbf_encoding)
            gdf = _read_gdal(gdal, options, path.name, fmt)
        except UnicodeDecodeError:
            if fmt == "geojson":
                raise ImportFileError(Message("geojson_not_utf8", name=path.name)) from None
            if encoding is not None or not dbf_encoding:
                msg = Message(
                    "dbf_not_in_encoding", name=path.name, encoding=dbf_encoding or "UTF-8"
                )
                raise ImportFileError(msg) from None
            gdf, dbf_encoding = _read_dbf_again(gdal, options, path, fmt, dbf_encoding, head, notes)
    # What GDAL or pyogrio warned about, in their words (which we cannot translate).
    notes += [
        Message("gdal_warning", detail=str(w.message))
        for w in caught
        if not issubclass(w.category, ResourceWarning)
    ]
    return gdf, dbf_encoding


def vector_parts(path: Path, fmt: str, max_bytes: int) -> list[str]:
    """The layers of a GeoPackage, or the Shapefiles (else GIS files) of a zip, by name.

    For :func:`gridmap.io.list_parts`: names as :func:`_read_vector` takes them back as
    `source_layer`, with zip member names decoded (GBK from Chinese Windows); a
    GeoPackage is checked as for an import before GDAL lists it. Other files: ``[]``.
    """
    if fmt == "zip":
        archive, members = open_zip(path, max_bytes)
        with archive:
            shps, others = _zip_data(path, members)
        return [PurePosixPath(m).stem for m in shps or others]
    if fmt != "gpkg":
        return []
    with tempfile.TemporaryDirectory(prefix="gridmap-import-") as folder:
        staged = _stage_file(path, fmt, Path(folder), [])
        check_content(staged, fmt, path.name)
        views = inspect_geopackage(staged, path.name)
        layers = _list_layers(gdal_path(staged, fmt), path.name)
    return [name for name, _ in layers if name.lower() not in views]
