"""Which GDAL driver opens a user's GIS file: chosen from its extension, checked on its bytes.

GDAL picks a driver by sniffing a file's content, and some of its drivers read *other*
files named inside the one they are given: an OGR VRT (``<OGRVRTDataSource>``) renamed
``incidents.geojson`` makes GDAL open ``/etc/passwd`` with its CSV driver and hand the
server's file back as features. So gridmap never lets GDAL choose. The extension says
which of three drivers may open a file (:data:`DRIVERS`), the file's first bytes must be
what that format starts with (:func:`check_content`), and the path given to GDAL names the
driver wherever GDAL allows it (``GeoJSON:``, ``GPKG:`` prefixes; a Shapefile has no
prefix, but nothing other than the Shapefile driver claims a file starting with its magic
number). pyogrio has no argument restricting the drivers GDAL tries when reading (its
issue #310), hence these checks.

A GeoPackage is a SQLite database, and SQLite can itself reach outside the file: a
*virtual table* (``VirtualOGR``, ``VirtualShape``, ``VirtualText``) reads other files, and a
view or trigger may call functions the host registers (GDAL's ``gdal_*`` and ``ogr_*``
among them). :func:`inspect_geopackage` reads the schema through a read-only SQLite
connection before GDAL sees the file and refuses any of these; GeoPackage's own R*Tree
spatial index is the only virtual table allowed.
"""

from __future__ import annotations

import codecs
import json
import mmap
import re
import sqlite3
from pathlib import Path

import numpy as np

from gridmap._errors import ImportFileError
from gridmap.i18n import Message

#: The only GDAL drivers gridmap opens users' files with, by gridmap format.
DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile"}
#: Path prefixes that make GDAL use one driver and no other.
_PREFIXES = {"geojson": "GeoJSON:", "gpkg": "GPKG:"}

_SQLITE_MAGIC = b"SQLite format 3\x00"
#: ``PRAGMA application_id`` of GeoPackage 1.2+ ("GPKG"), 1.0 ("GP10"), 1.1 ("GP11"); 0
#: when a tool left it unset (the file must then still have ``gpkg_contents``).
_GPKG_APPLICATION_IDS = (0x47504B47, 0x47503130, 0x47503131, 0)
_SHAPEFILE_MAGIC = 9994  # big-endian int at byte 0 of .shp and .shx
_SHAPEFILE_VERSION = 1000  # little-endian int at byte 28
_SHAPE_TYPES = frozenset({0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31})
#: Functions in a view or trigger that can read or write outside the database: GDAL's
#: and SpatiaLite's file functions, SQLite's own extension loading and page access.
_EXTERNAL_CALL = re.compile(
    r"\b(gdal_\w*|ogr_\w*|load_extension|readfile|writefile|edit|fts3_tokenizer|"
    r"import\w*|export\w*|blobfromfile|blobtofile|xb_\w*|sqlite_dbpage|fsdir|"
    r"virtual\w*)\s*\(",
    re.IGNORECASE,
)
_VIRTUAL_MODULE = re.compile(r"\bUSING\s+[\"'`\[]?(\w+)", re.IGNORECASE)


def gdal_path(path: Path, fmt: str) -> str:
    """The string to give GDAL for `path`, naming the driver where GDAL allows it."""
    return _PREFIXES.get(fmt, "") + str(path)


def _head(path: Path, n: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(n)


def check_content(path: Path, fmt: str, name: str) -> None:
    """Refuse `path` unless its first bytes are those of `fmt` (``geojson``, ``gpkg``, ``shp``).

    A GeoJSON file must start with ``{`` after an optional byte-order mark and white
    space (UTF-16 or UTF-32 GeoJSON would start with a zero byte: refused, as GDAL would
    read it as something else). A GeoPackage must start with SQLite's 16-byte header; a
    Shapefile's ``.shp`` with the magic number 9994, version 1000 and a known shape type.

    Raises
    ------
    ImportFileError
        naming the file `name` and the format it does not look like.
    """
    if fmt == "geojson":
        head = _head(path, 4096).lstrip(codecs.BOM_UTF8).lstrip(b" \t\r\n")
        if not head.startswith(b"{"):
            raise ImportFileError(Message("geojson_invalid", name=name))
    elif fmt == "gpkg":
        if not _head(path, 16) == _SQLITE_MAGIC:
            raise ImportFileError(Message("gpkg_invalid", name=name))
    elif fmt == "shp":
        head = _head(path, 100)
        if (
            len(head) < 100
            or int.from_bytes(head[:4], "big") != _SHAPEFILE_MAGIC
            or int.from_bytes(head[28:32], "little") != _SHAPEFILE_VERSION
            or int.from_bytes(head[32:36], "little") not in _SHAPE_TYPES
        ):
            raise ImportFileError(Message("shapefile_invalid", name=name, part=".shp"))
    else:  # pragma: no cover - callers pass one of DRIVERS
        msg = f"no driver is allowed for {fmt!r}"
        raise ValueError(msg)


def _json_text(word: str) -> bytes:
    """A regex for `word` inside a JSON string, in any case, each letter maybe ``\\uXXXX``."""
    parts = [
        b"(?:%s|\\\\u%04x|\\\\u%04x)" % (re.escape(ch.encode()), ord(ch.lower()), ord(ch.upper()))
        for ch in word
    ]
    return b"".join(parts)


#: JSON white space, or a comment (json-c, GDAL's parser, skips them).
_JSON_GAP = rb"(?:\s|/\*.*?\*/|//[^\n]*)*"
#: ``"type": "link…"`` or ``"type": "url…"``, as GDAL matches a crs type: any case,
#: escapes, and only the start of the value (``STARTS_WITH_CI``).
_LINK_TYPE = re.compile(
    b'"'
    + _json_text("type")
    + b'"'
    + _JSON_GAP
    + b":"
    + _JSON_GAP
    + b'"(?:'
    + _json_text("link")
    + b"|"
    + _json_text("url")
    + b")",
    re.IGNORECASE | re.DOTALL,
)


def check_geojson_crs(path: Path, name: str) -> None:
    """Refuse a GeoJSON whose ``crs`` (of the file or of any geometry) is a link.

    GDAL reads a crs of type ``link`` or ``url`` by downloading what its ``href`` names
    (``OGRSpatialReference::importFromUrl``): a request from the server to any host of
    the intranet, made by whoever uploads a file. No GDAL option stops it, so the file
    is checked first: a fast scan of its bytes for such a type, and only on a hit a full
    parse telling a crs link from, say, a property ``"type": "link"``. A file the scan
    flags but Python cannot parse (json-c also accepts comments) is refused.

    Raises
    ------
    ImportFileError
        with ``geojson_crs_link``.
    """
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if _LINK_TYPE.search(data) is None:
                return
            text = bytes(data)
    found = []

    class _Link(dict):  # an object whose "type" is a link
        pass

    def pairs(items: list[tuple[str, object]]) -> dict:
        made: dict = (
            _Link(items)
            if any(
                k.lower() == "type" and isinstance(v, str) and v.lower().startswith(("link", "url"))
                for k, v in items
            )
            else dict(items)
        )
        found.extend(k for k, v in items if k.lower() == "crs" and isinstance(v, _Link))
        return made

    try:
        json.loads(text.decode("utf-8-sig"), object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        found.append("?")
    if found:
        raise ImportFileError(Message("geojson_crs_link", name=name))


def check_shapefile_parts(shx: Path, dbf: Path, name: str) -> None:
    """Refuse a Shapefile whose ``.shx`` or ``.dbf`` is not one (wrong magic, too short)."""
    head = _head(shx, 100)
    if len(head) < 100 or int.from_bytes(head[:4], "big") != _SHAPEFILE_MAGIC:
        raise ImportFileError(Message("shapefile_invalid", name=name, part=".shx"))
    head = _head(dbf, 32)
    header_length = int.from_bytes(head[8:10], "little") if len(head) >= 32 else 0
    if header_length < 33 or header_length > dbf.stat().st_size:
        raise ImportFileError(Message("shapefile_invalid", name=name, part=".dbf"))


def inspect_geopackage(path: Path, name: str) -> set[str]:
    """Refuse a GeoPackage that reaches outside itself; return its views' names, lowercase.

    The schema (``sqlite_master``) is read through a connection opened read-only by URI,
    so nothing in the file can change it and no SQL of the file's runs. Refused: an
    ``application_id`` of another SQLite format (MBTiles, a SpatiaLite database), no
    ``gpkg_contents`` table, a virtual table other than GeoPackage's R*Tree index, and
    a view or trigger calling a function that can read files (:data:`_EXTERNAL_CALL`).
    Views themselves are allowed (the GeoPackage standard lists them as layers); the
    caller refuses to read one as a layer all the same, see :func:`check_layer`.

    Raises
    ------
    ImportFileError
        with ``gpkg_invalid`` or ``gpkg_external``.
    """
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        raise ImportFileError(Message("gpkg_invalid", name=name)) from None
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        schema = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    except sqlite3.Error:
        raise ImportFileError(Message("gpkg_invalid", name=name)) from None
    finally:
        connection.close()
    tables = {str(n).lower() for kind, n, _ in schema if kind == "table"}
    if application_id not in _GPKG_APPLICATION_IDS or "gpkg_contents" not in tables:
        raise ImportFileError(Message("gpkg_invalid", name=name))
    views: set[str] = set()
    for kind, object_name, sql in schema:
        text = str(sql or "")
        if kind == "table" and text.lstrip()[:14].upper() == "CREATE VIRTUAL":
            module = _VIRTUAL_MODULE.search(text)
            if module is None or module.group(1).lower() != "rtree":
                what = module.group(1) if module else "?"
                msg = Message("gpkg_external", name=name, what=f"{object_name} ({what})")
                raise ImportFileError(msg)
        elif kind in ("view", "trigger") and _EXTERNAL_CALL.search(text):
            call = _EXTERNAL_CALL.search(text)
            what = f"{object_name} ({call.group(1) if call else '?'})"
            raise ImportFileError(Message("gpkg_external", name=name, what=what))
        if kind == "view":
            views.add(str(object_name).lower())  # SQLite's names ignore case
    return views


def check_layer(layer: str, views: set[str], name: str) -> None:
    """Refuse reading a GeoPackage view as a layer.

    A view is SQL the file's author wrote, run by GDAL's SQLite connection with GDAL's
    functions registered; :func:`inspect_geopackage` refuses the known dangerous calls,
    but a table of features is all an import needs, so views are not read at all.
    """
    if layer.lower() in views:  # "cases" reads the view "Cases": SQLite ignores case
        raise ImportFileError(Message("gpkg_view_layer", name=name, layer=layer))


def geopackage_geometry_present(path: Path, layer: str) -> np.ndarray | None:
    """Whether each feature of `layer` has a geometry blob, in GDAL's reading order.

    GDAL reads a GeoPackage blob it cannot decode as no geometry at all, so only the
    file can tell a damaged geometry from a missing one. None when the table cannot be
    read this way (the caller then cannot tell either).
    """
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
        ).fetchone()
        if row is None:
            return None
        column = '"' + str(row[0]).replace('"', '""') + '"'
        table = '"' + layer.replace('"', '""') + '"'
        flags = connection.execute(
            f"SELECT {column} IS NOT NULL AND length({column}) > 0 FROM {table} ORDER BY rowid"
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return np.array([bool(flag) for (flag,) in flags], dtype=bool)


def shapefile_geometry_present(shx: Path) -> np.ndarray | None:
    """Whether each record of a Shapefile has a shape, from its index (``.shx``).

    A ``.shp`` cut short (a copy stopped half-way) reads in GDAL as features without
    geometry; the index still says each record had one (a null shape is 2 words long,
    any other more), which tells damaged from empty. None when the index is unreadable.
    """
    data = shx.read_bytes()
    if len(data) < 100 or (len(data) - 100) % 8:
        return None
    records = np.frombuffer(data, dtype=">i4", offset=100).reshape(-1, 2)
    return records[:, 1] > 2
