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
from gridmap._io_text import _SAMPLE_BYTES, _codec_name, _Source, detect_encoding

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
