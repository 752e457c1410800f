"""GIS files as users receive them: GeoJSON, GeoPackage and (zipped) Shapefiles.

GDAL reads the geometries; what it cannot be trusted with is the attribute table of a
Shapefile from a Chinese GIS platform, whose ``.dbf`` is GBK more often than not and says
so in a ``.cpg`` file, in the dBASE language-driver byte, or nowhere. That encoding is
settled here before pyogrio reads the file, or every Chinese name would come out garbled.

Zip archives are checked before anything is unpacked (the limit applies to what they hold,
not only to the upload), and when a file holds several layers or Shapefiles the first is
read and a note says which, rather than choosing silently. Whether the file *declares* a
coordinate system is recorded too: a GeoJSON without ``"crs"`` or a Shapefile without
``.prj`` leaves the user's `crs` in charge.
"""

from __future__ import annotations

import codecs
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gridmap._errors import ImportFileError, ValidationError
from gridmap._io_columns import dedupe_names
from gridmap._io_text import _SAMPLE_BYTES, _codec_name, _guess_encoding, _Source, detect_encoding
from gridmap.i18n import Message

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
        raise ImportFileError(Message("zip_invalid", name=path.name)) from None
    infos = [
        i
        for i in archive.infolist()
        if not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not Path(i.filename).name.startswith("._")
    ]
    if sum(i.file_size for i in infos) > max_bytes:
        archive.close()
        raise ImportFileError(Message("zip_too_large", name=path.name, limit=max_bytes / 2**20))
    return archive, [i.filename for i in infos]


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


def _records_encoding(head: bytes) -> str | None:
    """Encoding detected from a .dbf's records alone, None when they cannot tell.

    The field names are left out: a UTF-8 name cut at the 10-byte dBASE limit ends in
    half a character, which would make any text look like something other than UTF-8.
    """
    if len(head) < 32:
        return None
    header_length = int.from_bytes(head[8:10], "little")
    try:
        return _guess_encoding(head[header_length:])[0]
    except ImportFileError:
        return None


def _vector_source(
    path: Path, fmt: str, *, source_layer: str | None, encoding: str | None, max_bytes: int
) -> tuple[str, str | None, str | None, bool, list[str], bytes]:
    """The GDAL path to read, its layer, the .dbf encoding, whether a CRS is declared."""
    notes: list[str] = []
    declared = True
    if fmt == "zip":
        archive, members = _open_zip(path, max_bytes)
        with archive:
            shps = [m for m in members if m.lower().endswith(".shp")]
            others = [m for m in members if m.lower().endswith((".geojson", ".json", ".gpkg"))]
            if not shps and not others:
                if not members:
                    raise ImportFileError(Message("zip_empty", name=path.name))
                listing = ", ".join(members[:10])
                raise ImportFileError(Message("zip_no_data", name=path.name, listing=listing))
            member = _pick(shps or others, source_layer, "shapefiles" if shps else "files", notes)
            gdal_path = f"/vsizip/{path.resolve()}/{member}"
            if not shps:
                return gdal_path, None, None, True, notes, b""
            stem = member[: -len(".shp")]
            siblings = {m.lower(): m for m in members}
            for ext in (".dbf", ".shx"):
                if (stem + ext).lower() not in siblings:
                    msg = Message(
                        "shapefile_part_missing_in_zip",
                        name=path.name,
                        shapefile=Path(member).name,
                        ext=ext,
                    )
                    raise ImportFileError(msg)
            cpg_name = siblings.get((stem + ".cpg").lower())
            cpg = archive.read(cpg_name).decode("ascii", "replace") if cpg_name else None
            with archive.open(siblings[(stem + ".dbf").lower()]) as dbf:
                head = dbf.read(_SAMPLE_BYTES)
            declared = (stem + ".prj").lower() in siblings
        dbf_encoding = _codec_name(encoding) if encoding else _dbf_encoding(head, cpg)
        return gdal_path, None, dbf_encoding, declared, notes, head
    if fmt == "shp":
        for ext in (".dbf", ".shx"):
            if not path.with_suffix(ext).exists():
                raise ImportFileError(Message("shapefile_part_missing", name=path.name, ext=ext))
        cpg_path = path.with_suffix(".cpg")
        cpg = cpg_path.read_text("ascii", "replace") if cpg_path.exists() else None
        with path.with_suffix(".dbf").open("rb") as dbf:
            head = dbf.read(_SAMPLE_BYTES)
        dbf_encoding = _codec_name(encoding) if encoding else _dbf_encoding(head, cpg)
        return str(path), None, dbf_encoding, path.with_suffix(".prj").exists(), notes, head
    with path.open("rb") as handle:
        head = handle.read(65536)
    if fmt == "gpkg" and not head.startswith(b"SQLite format 3\x00"):
        raise ImportFileError(Message("gpkg_invalid", name=path.name))
    if fmt == "geojson":
        text = head.lstrip(codecs.BOM_UTF8).lstrip()
        if not text.startswith(b"{"):
            raise ImportFileError(Message("geojson_invalid", name=path.name))
        # GDAL reads a "crs" member wherever it is (after the features too) and in every
        # legacy spelling; without one it reports CRS84, which counts as undeclared.
        declared = True
    layer = None
    if fmt == "gpkg":
        layers = _list_layers(str(path), path.name)
        spatial = [str(name) for name, kind in layers if kind]
        if not spatial:
            raise ImportFileError(Message("gpkg_no_layers", name=path.name))
        layer = _pick(spatial, source_layer, "layers", notes)
    return str(path), layer, None, declared, notes, b""


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
    detected = _records_encoding(head)
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


def _read_gdal(
    gdal_path: str, options: dict[str, object], name: str, fmt: str
) -> gpd.GeoDataFrame | pd.DataFrame:
    try:
        try:
            return pyogrio.read_dataframe(gdal_path, use_arrow=True, **options)
        except pyogrio.errors.DataSourceError as exc:
            if "use_arrow" not in str(exc):
                raise
            return pyogrio.read_dataframe(gdal_path, use_arrow=False, **options)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = Message("vector_unreadable_as", name=name, fmt=fmt, detail=str(exc))
        raise ImportFileError(msg) from None
    except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise ImportFileError(Message("vector_bad_content", name=name, detail=str(exc))) from None


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


def _read_vector(
    path: Path, fmt: str, *, source_layer: str | None, encoding: str | None, max_bytes: int
) -> _Source:
    gdal_path, layer, dbf_encoding, declared, notes, head = _vector_source(
        path, fmt, source_layer=source_layer, encoding=encoding, max_bytes=max_bytes
    )
    options: dict[str, object] = {"layer": layer} if layer else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if dbf_encoding:
                options["encoding"] = _GDAL_CODECS.get(dbf_encoding, dbf_encoding)
            gdf = _read_gdal(gdal_path, options, path.name, fmt)
        except UnicodeDecodeError:
            if encoding is not None or not dbf_encoding:
                msg = Message(
                    "dbf_not_in_encoding", name=path.name, encoding=dbf_encoding or "UTF-8"
                )
                raise ImportFileError(msg) from None
            gdf, dbf_encoding = _read_dbf_again(
                gdal_path, options, path, fmt, dbf_encoding, head, notes
            )
    # What GDAL or pyogrio warned about, in their words (which we cannot translate).
    notes += [
        Message("gdal_warning", detail=str(w.message))
        for w in caught
        if not issubclass(w.category, ResourceWarning)
    ]
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise ImportFileError(Message("vector_no_geometry", name=path.name))
    if len(gdf) == 0:
        raise ImportFileError(Message("vector_no_features", name=path.name))
    geometry = np.asarray(gdf.geometry.array, dtype=object)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    rows = np.arange(1, len(gdf) + 1, dtype=np.int64)
    crs = gdf.crs if declared else None
    return _Source(frame, rows, dbf_encoding, geometry, crs, notes=notes)
