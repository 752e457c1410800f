"""Hostile and malformed GIS files: disguised VRTs, lying zips, GeoPackages reaching outside.

Each builder writes real files the way an attacker or a broken tool would (bytes patched
where no library writes such a file: lying zip headers, symbolic-link members, virtual
tables of modules SQLite does not have) and states the one outcome its import may have.
Everything is made from a seeded :class:`random.Random`, so the corpus is the same on
every run. See :mod:`tests.fuzz.corpus` for the case format.
"""

from __future__ import annotations

import codecs
import json
import random
import sqlite3
import stat
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from tests.fuzz.corpus import Case

#: An OGR VRT that, opened by GDAL's sniffing, reads the server's /etc/passwd as a CSV.
VRT = (
    '<OGRVRTDataSource><OGRVRTLayer name="passwd">'
    "<SrcDataSource>CSV:/etc/passwd</SrcDataSource><SrcLayer>passwd</SrcLayer>"
    '<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" '
    'x="field_3" y="field_4"/></OGRVRTLayer></OGRVRTDataSource>'
)
LON, LAT = 116.397428, 39.909230  # Tian'anmen, the reference point of the real-world cases


# --------------------------------------------------------------------------- builders


def _points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    return [(LON + rng.uniform(-0.05, 0.05), LAT + rng.uniform(-0.05, 0.05)) for _ in range(n)]


def _feature(lon: float, lat: float, **properties: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def _collection(features: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {"type": "FeatureCollection", **extra, "features": features}


def _posts(rng: random.Random, n: int) -> dict[str, object]:
    return _collection(
        [_feature(x, y, name=f"守望岗{i}") for i, (x, y) in enumerate(_points(rng, n))]
    )


def _write_json(path: Path, data: object, *, prefix: bytes = b"", suffix: bytes = b"") -> Path:
    path.write_bytes(prefix + json.dumps(data, ensure_ascii=False).encode() + suffix)
    return path


def _frame(rng: random.Random, n: int, **columns: list[object]) -> gpd.GeoDataFrame:
    xy = np.array(_points(rng, n))
    data = {"name": [f"岗{i}" for i in range(n)], **columns}
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326)


def _shapefile(
    folder: Path, rng: random.Random, n: int = 3, *, encoding: str = "GBK", **columns: list[object]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "posts.shp"
    pyogrio.write_dataframe(_frame(rng, n, **columns), path, encoding=encoding)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def _gpkg(path: Path, rng: random.Random, n: int = 3, layer: str = "posts") -> Path:
    pyogrio.write_dataframe(_frame(rng, n), path, layer=layer, driver="GPKG")
    return path


def _schema_write(path: Path, *statements: str) -> None:
    """Write rows into sqlite_master directly: objects SQLite itself would refuse to create."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA writable_schema=ON")
    for sql in statements:
        connection.execute(sql)
    connection.commit()
    connection.close()


def _zip(path: Path, members: dict[str, bytes], *, flag_utf8: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    if not flag_utf8:
        _patch_headers(path, flag_clear=0x800)
    return path


def _patch_headers(
    path: Path,
    *,
    size: int | None = None,
    flag_set: int = 0,
    flag_clear: int = 0,
    method: int | None = None,
) -> None:
    """Rewrite fields of every local and central header of a zip in place."""
    data = bytearray(path.read_bytes())
    for signature, flags_at, method_at, size_at in (
        (b"PK\x03\x04", 6, 8, 22),
        (b"PK\x01\x02", 8, 10, 24),
    ):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, at + flags_at)[0]
            struct.pack_into("<H", data, at + flags_at, (flags | flag_set) & ~flag_clear)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            if size is not None:
                struct.pack_into("<I", data, at + size_at, size)
            start = at + 4
    path.write_bytes(bytes(data))


def _gbk_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip as Chinese Windows writes it: member names in GBK, no UTF-8 flag.

    :mod:`zipfile` writes any non-ASCII name as flagged UTF-8, so the members are
    written under ASCII names of the same byte length, which are then replaced.
    """
    names = {f"{i:0{len(n.encode('gbk'))}d}": n for i, n in enumerate(members)}
    with zipfile.ZipFile(path, "w") as archive:
        for placeholder, name in names.items():
            archive.writestr(zipfile.ZipInfo(placeholder), members[name])
    data = path.read_bytes()
    for placeholder, name in names.items():
        data = data.replace(placeholder.encode(), name.encode("gbk"))
    path.write_bytes(data)
    return path


def _shapefile_members(folder: Path, rng: random.Random, stem: str, n: int = 3) -> dict[str, bytes]:
    shp = _shapefile(folder, rng, n)
    return {f"{stem}{ext}": shp.with_suffix(ext).read_bytes() for ext in (".shp", ".shx", ".dbf")}


# ------------------------------------------------------------------------------ cases


def _disguised(folder: Path) -> list[Case]:
    vrt = VRT.encode()
    cases = [
        Case(
            "vrt_named_geojson",
            folder / "incidents.geojson",
            "incidents",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "vrt_named_json",
            folder / "data.json",
            "incidents",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "vrt_bom_whitespace_geojson",
            folder / "bom.geojson",
            "incidents",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "vrt_named_gpkg",
            folder / "vrt.gpkg",
            "posts",
            "error",
            error_contains="not a valid GeoPackage",
        ),
        Case(
            "vrt_in_zip_geojson",
            folder / "vrt_geojson.zip",
            "incidents",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "vrt_in_zip_json",
            folder / "vrt_json.zip",
            "incidents",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "vrt_in_zip_gpkg",
            folder / "vrt_gpkg.zip",
            "posts",
            "error",
            error_contains="not a valid GeoPackage",
        ),
        Case(
            "kml_named_geojson",
            folder / "kml.geojson",
            "posts",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "csv_named_geojson",
            folder / "csv.geojson",
            "posts",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "zip_named_geojson",
            folder / "zip.geojson",
            "posts",
            "error",
            error_contains="not GeoJSON",
        ),
        Case(
            "utf16_geojson",
            folder / "utf16.geojson",
            "posts",
            "error",
            error_contains="not GeoJSON",
        ),
    ]
    (folder / "incidents.geojson").write_bytes(vrt)
    (folder / "data.json").write_bytes(vrt)
    (folder / "bom.geojson").write_bytes(codecs.BOM_UTF8 + b"  \r\n\t" + vrt)
    (folder / "vrt.gpkg").write_bytes(vrt)
    _zip(folder / "vrt_geojson.zip", {"data/incidents.geojson": vrt})
    _zip(folder / "vrt_json.zip", {"data.json": vrt})
    _zip(folder / "vrt_gpkg.zip", {"layer.gpkg": vrt})
    (folder / "kml.geojson").write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark>'
        "<Point><coordinates>116.4,39.9</coordinates></Point></Placemark></kml>"
    )
    (folder / "csv.geojson").write_text(f"name,lon,lat\n岗,{LON},{LAT}\n")
    _zip(folder / "zip.geojson", {"a.geojson": b"{}"})
    (folder / "utf16.geojson").write_bytes(
        json.dumps(_collection([_feature(LON, LAT, name="a")])).encode("utf-16")
    )
    return cases


def _geopackages(folder: Path, rng: random.Random) -> list[Case]:
    cases = [
        Case(
            "gpkg_plain", _gpkg(folder / "plain.gpkg", rng), "posts", "rows", n_good=3, n_rejected=0
        )
    ]
    for name, module in (
        ("virtualogr", "VirtualOGR('/etc/passwd')"),
        ("virtualshape", "VirtualShape('/etc/passwd', 'UTF-8', 4326)"),
        ("virtualtext", "VirtualText('/etc/passwd', 'UTF-8', 0)"),
    ):
        path = _gpkg(folder / f"{name}.gpkg", rng)
        quoted = module.replace("'", "''")
        _schema_write(
            path,
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
            f"('table', 'x', 'x', 0, 'CREATE VIRTUAL TABLE x USING {quoted}')",
        )
        cases.append(Case(f"gpkg_{name}", path, "posts", "error", error_contains="outside itself"))
    path = _gpkg(folder / "view_gdal.gpkg", rng)
    _schema_write(
        path,
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('view', 'v', "
        "'v', 0, 'CREATE VIEW v AS SELECT gdal_get_pixel_value(''/etc/passwd'', 1, ''pixel'', "
        "0, 0) AS x')",
    )
    cases.append(
        Case("gpkg_view_gdal_call", path, "posts", "error", error_contains="outside itself")
    )
    path = _gpkg(folder / "trigger_load.gpkg", rng)
    _schema_write(
        path,
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('trigger', "
        "'t', 'posts', 0, 'CREATE TRIGGER t AFTER INSERT ON posts BEGIN SELECT "
        "load_extension(''/tmp/evil.so''); END')",
    )
    cases.append(
        Case("gpkg_trigger_load_extension", path, "posts", "error", error_contains="outside itself")
    )
    path = _gpkg(folder / "view_layer.gpkg", rng)
    connection = sqlite3.connect(path)
    connection.execute("CREATE VIEW posts_view AS SELECT * FROM posts")
    connection.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        "VALUES ('posts_view', 'features', 'posts_view', 4326)"
    )
    connection.execute(
        "INSERT INTO gpkg_geometry_columns VALUES ('posts_view', 'geom', 'POINT', 4326, 0, 0)"
    )
    connection.commit()
    connection.close()
    cases.append(
        Case(
            "gpkg_view_as_layer",
            path,
            "posts",
            "error",
            options={"source_layer": "posts_view"},
            error_contains="is a view",
        )
    )
    cases.append(Case("gpkg_view_beside_table", path, "posts", "rows", n_good=3, n_rejected=0))
    # SQLite names ignore case: contents naming "cases" reach the view "Cases" all the same.
    path = _gpkg(folder / "view_other_case.gpkg", rng)
    connection = sqlite3.connect(path)
    connection.execute('CREATE VIEW "Cases" AS SELECT fid, geom, sqlite_version() AS n FROM posts')
    connection.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        "VALUES ('cases', 'features', 'cases', 4326)"
    )
    connection.execute(
        "INSERT INTO gpkg_geometry_columns VALUES ('cases', 'geom', 'POINT', 4326, 0, 0)"
    )
    connection.commit()
    connection.close()
    cases.append(
        Case(
            "gpkg_view_in_another_case",
            path,
            "posts",
            "error",
            options={"source_layer": "cases"},
            error_contains="is a view",
        )
    )
    path = _gpkg(folder / "no_contents.gpkg", rng)
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE gpkg_contents")
    connection.commit()
    connection.close()
    cases.append(
        Case("gpkg_no_contents", path, "posts", "error", error_contains="not a valid GeoPackage")
    )
    path = _gpkg(folder / "mbtiles.gpkg", rng)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA application_id = 0x4D504258")  # "MPBX": MBTiles
    connection.commit()
    connection.close()
    cases.append(
        Case(
            "gpkg_other_application_id",
            path,
            "posts",
            "error",
            error_contains="not a valid GeoPackage",
        )
    )
    plain_sqlite = folder / "plain_sqlite.gpkg"
    connection = sqlite3.connect(plain_sqlite)
    connection.execute("CREATE TABLE t (a)")
    connection.commit()
    connection.close()
    cases.append(
        Case(
            "gpkg_plain_sqlite",
            plain_sqlite,
            "posts",
            "error",
            error_contains="not a valid GeoPackage",
        )
    )
    whole = _gpkg(folder / "whole.gpkg", rng, 50).read_bytes()
    (folder / "truncated.gpkg").write_bytes(whole[: len(whole) // 3])
    cases.append(Case("gpkg_truncated", folder / "truncated.gpkg", "posts", "error"))
    (folder / "header_only.gpkg").write_bytes(whole[:100])
    cases.append(Case("gpkg_header_only", folder / "header_only.gpkg", "posts", "error"))
    (folder / "empty.gpkg").write_bytes(b"")
    cases.append(
        Case("gpkg_zero_bytes", folder / "empty.gpkg", "posts", "error", error_contains="empty")
    )
    path = _gpkg(folder / "bad_blob.gpkg", rng)
    connection = sqlite3.connect(path)
    for name in (
        "rtree_posts_geom_update1",
        "rtree_posts_geom_update2",
        "rtree_posts_geom_update3",
        "rtree_posts_geom_update4",
        "rtree_posts_geom_update5",
        "rtree_posts_geom_update6",
        "rtree_posts_geom_update7",
    ):
        connection.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    garbage = bytes(rng.randrange(256) for _ in range(21))
    connection.execute("UPDATE posts SET geom = ? WHERE fid = 2", (b"GP\x00\x01" + garbage,))
    connection.commit()
    connection.close()
    cases.append(
        Case(
            "gpkg_undecodable_blob",
            path,
            "posts",
            "rows",
            n_good=2,
            n_rejected=1,
            check=_rejected_as("invalid_geometry"),
        )
    )
    return cases


def _rejected_as(reason: str):
    def check(result: object) -> None:
        reasons = set(result.rejected["reason"])  # type: ignore[attr-defined]
        assert reasons == {reason}, reasons

    return check


def _warned(key: str):
    def check(result: object) -> None:
        keys = [getattr(w, "key", None) for w in result.warnings]  # type: ignore[attr-defined]
        assert key in keys, keys

    return check


def _zips(folder: Path, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    big = _posts(rng, 20_000)
    body = json.dumps(big, ensure_ascii=False).encode()
    for name, limit in (("zip_lying_sizes_over_limit", 1_000_000), ("zip_lying_sizes", None)):
        path = _zip(folder / f"{name}.zip", {"incidents.geojson": body})
        _patch_headers(path, size=1024)
        options = {"max_bytes": limit} if limit else {}
        cases.append(Case(name, path, "posts", "error", options=options))
    path = _zip(folder / "honest_big.zip", {"posts.geojson": body})
    cases.append(
        Case(
            "zip_declared_over_limit",
            path,
            "posts",
            "error",
            options={"max_bytes": 1_000_000},
            error_contains="more than the limit",
        )
    )
    good = json.dumps(_posts(rng, 2), ensure_ascii=False).encode()
    for name, member in (
        ("dotdot", "../../x.geojson"),
        ("absolute", "/etc/x.geojson"),
        ("drive", "C:\\x.geojson"),
        ("backslash", "..\\..\\x.geojson"),
        ("vsi", "/vsicurl/http://127.0.0.1/x.geojson"),
    ):
        path = _zip(folder / f"traversal_{name}.zip", {member: good})
        cases.append(
            Case(
                f"zip_traversal_{name}",
                path,
                "posts",
                "error",
                error_contains="outside the archive",
            )
        )
    path = folder / "symlink.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("posts.geojson")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    cases.append(Case("zip_symlink_member", path, "posts", "error", error_contains="symbolic link"))
    path = folder / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(5000):
            archive.writestr(f"m{i}.txt", b"")
    cases.append(
        Case(
            "zip_5000_members", path, "posts", "error", error_contains="more than the limit of 1000"
        )
    )
    inner = _zip(folder / "inner.zip", {"posts.geojson": good}).read_bytes()
    path = _zip(folder / "nested.zip", {"inner.zip": inner})
    cases.append(Case("zip_nested_only", path, "posts", "error", error_contains="other zip"))
    path = _zip(folder / "nested_with_data.zip", {"inner.zip": inner, "posts.geojson": good})
    cases.append(Case("zip_nested_beside_data", path, "posts", "rows", n_good=2, n_rejected=0))
    path = folder / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    cases.append(Case("zip_empty", path, "posts", "error", error_contains="holds nothing"))
    path = folder / "dirs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("a/"), b"")
        archive.writestr(zipfile.ZipInfo("a/b/"), b"")
    cases.append(Case("zip_only_folders", path, "posts", "error", error_contains="holds nothing"))
    whole = _zip(folder / "whole.zip", {"posts.geojson": body}).read_bytes()
    (folder / "truncated.zip").write_bytes(whole[: len(whole) // 2])
    cases.append(
        Case(
            "zip_truncated",
            folder / "truncated.zip",
            "posts",
            "error",
            error_contains="not a valid zip",
        )
    )
    path = _zip(folder / "no_gis.zip", {"readme.txt": b"hi", "photo.jpg": b"\xff\xd8\xff"})
    cases.append(
        Case("zip_without_gis_files", path, "posts", "error", error_contains="holds no Shapefile")
    )
    path = _zip(folder / "encrypted.zip", {"posts.geojson": good})
    _patch_headers(path, flag_set=0x1)
    cases.append(Case("zip_encrypted_member", path, "posts", "error", error_contains="password"))
    path = _zip(folder / "method99.zip", {"posts.geojson": good})
    _patch_headers(path, method=99)
    cases.append(
        Case("zip_unknown_compression", path, "posts", "error", error_contains="cannot be unpacked")
    )
    data = bytearray(_zip(folder / "crc.zip", {"posts.geojson": body}).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(rng.randrange(256) for _ in range(16))
    (folder / "crc.zip").write_bytes(bytes(data))
    cases.append(Case("zip_corrupt_data", folder / "crc.zip", "posts", "error"))
    members = _shapefile_members(folder / "gbk_src", rng, "朝阳区/网格", 3)
    members.update(_shapefile_members(folder / "gbk_src2", rng, "朝阳区/社区", 2))
    path = _gbk_zip(folder / "gbk_names.zip", members)
    cases.append(
        Case(
            "zip_gbk_member_names",
            path,
            "posts",
            "rows",
            n_good=2,
            n_rejected=0,
            options={"source_layer": "社区"},
        )
    )
    path = _zip(
        folder / "no_dbf.zip",
        {
            k: v
            for k, v in _shapefile_members(folder / "nd", rng, "a").items()
            if not k.endswith(".dbf")
        },
    )
    cases.append(
        Case("zip_shapefile_without_dbf", path, "posts", "error", error_contains="has no .dbf")
    )
    path = _zip(
        folder / "no_shx.zip",
        {
            k: v
            for k, v in _shapefile_members(folder / "ns", rng, "a").items()
            if not k.endswith(".shx")
        },
    )
    cases.append(
        Case("zip_shapefile_without_shx", path, "posts", "error", error_contains="has no .shx")
    )
    return cases


def _geojson(folder: Path, rng: random.Random) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, data: bytes, layer: str = "posts", **kw: object) -> None:
        path = folder / f"{name}.geojson"
        path.write_bytes(data)
        cases.append(Case(f"geojson_{name}", path, layer, **kw))  # type: ignore[arg-type]

    good = json.dumps(_posts(rng, 3), ensure_ascii=False).encode()
    add("bom", codecs.BOM_UTF8 + good, expect="rows", n_good=3, n_rejected=0)
    add("trailing_garbage", good + b"\x00\xffgarbage", expect="error")
    add("invalid_json", good[: len(good) // 2], expect="error")
    add("zero_bytes", b"", expect="error", error_contains="empty")
    add("whitespace_only", b"  \n\t ", expect="error", error_contains="not GeoJSON")
    add("features_not_a_list", b'{"type":"FeatureCollection","features":"abc"}', expect="error")
    add("empty_collection", b'{"type":"FeatureCollection","features":[]}', expect="error")
    add("bare_array", b"[1, 2, 3]", expect="error", error_contains="not GeoJSON")
    wrong = _posts(rng, 3)
    wrong["features"][0]["geometry"] = "POINT (116.4 39.9)"  # type: ignore[index]
    wrong["features"][1]["properties"] = {"name": {"nested": [1, {"x": None}]}}  # type: ignore[index]
    add(
        "wrong_member_types",
        json.dumps(wrong, ensure_ascii=False).encode(),
        expect="rows",
        n_good=2,
        n_rejected=1,
    )
    points = _points(rng, 2)
    text = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point",'
        '"coordinates":[NaN, 39.9]}},'
        '{"type":"Feature","properties":{"name":"b"},"geometry":{"type":"Point",'
        f'"coordinates":[{points[0][0]}, {points[0][1]}]}}}}]}}'
    )
    add("nan_coordinate", text.encode(), expect="rows", n_good=1, n_rejected=1)
    text = text.replace("NaN", "1e400")
    add("overflowing_coordinate", text.encode(), expect="error", error_contains="1e400")
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    add(
        "deep_nesting",
        f'{{"type":"FeatureCollection","features":[{{"type":"Feature",'
        f'"properties":{{"name":"x","deep":{deep}}},"geometry":{{"type":"Point",'
        f'"coordinates":[{LON},{LAT}]}}}}]}}'.encode(),
        expect="error",
    )
    huge = _posts(rng, 1)
    huge["features"][0]["properties"]["photo"] = "A" * 10_500_000  # type: ignore[index]
    add("huge_property", json.dumps(huge).encode(), expect="error", error_contains="10,000,000")
    large = _posts(rng, 1)
    large["features"][0]["properties"]["photo"] = "照" * 2_000_000  # type: ignore[index]
    add(
        "large_property",
        json.dumps(large, ensure_ascii=False).encode(),
        expect="rows",
        n_good=1,
        n_rejected=0,
    )
    gk = [
        (448475.815 + rng.uniform(-500, 500), 4419624.325 + rng.uniform(-500, 500))
        for _ in range(3)
    ]
    at_end = {
        "type": "FeatureCollection",
        "features": [_feature(x, y, name=f"p{i}") for i, (x, y) in enumerate(gk)],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4548"}},
    }
    add(
        "crs_member_last",
        json.dumps(at_end).encode(),
        expect="rows",
        n_good=3,
        n_rejected=0,
        check=_near_beijing,
    )
    # GDAL fetches a "link" or "url" crs over HTTP (importFromUrl) from wherever it
    # points: a request from the server into the intranet. Refused, in every spelling
    # GDAL accepts (any case, escapes, a "crs" on a geometry).
    link = _posts(rng, 1)
    link["crs"] = {"type": "link", "properties": {"href": "/etc/passwd", "type": "proj4"}}
    add("crs_link_to_server_file", json.dumps(link).encode(), expect="error", error_contains="crs")
    link["crs"] = {"type": "link", "properties": {"href": "http://127.0.0.1:9/x", "type": "wkt"}}
    add("crs_link_http", json.dumps(link).encode(), expect="error", error_contains="crs")
    link["crs"] = {"type": "URL", "properties": {"url": "http://127.0.0.1:9/x"}}
    add("crs_url_http", json.dumps(link).encode(), expect="error", error_contains="crs")
    escaped = json.dumps(link).replace('"type": "URL"', '"\\u0074ype": "\\u0055rl-x"')
    add("crs_url_escaped", escaped.encode(), expect="error", error_contains="crs")
    on_geometry = _posts(rng, 1)
    on_geometry["features"][0]["geometry"]["CRS"] = {  # type: ignore[index]
        "type": "Link",
        "properties": {"href": "http://127.0.0.1:9/x"},
    }
    add("crs_link_on_geometry", json.dumps(on_geometry).encode(), expect="error")
    harmless = _posts(rng, 2)
    harmless["features"][0]["properties"]["type"] = "link"  # type: ignore[index]
    add("property_type_link", json.dumps(harmless).encode(), expect="rows", n_good=2)
    gbk = _posts(rng, 2)
    add(
        "gbk_text",
        json.dumps(gbk, ensure_ascii=False).encode("gbk"),
        expect="error",
        error_contains="not UTF-8",
    )
    nulls = _posts(rng, 3)
    nulls["features"][2]["geometry"] = None  # type: ignore[index]
    add(
        "null_geometry",
        json.dumps(nulls, ensure_ascii=False).encode(),
        expect="rows",
        n_good=2,
        n_rejected=1,
    )
    ring = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"n": 1},
                "geometry": {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 0.01, LAT]]]},
            },
            {
                "type": "Feature",
                "properties": {"n": 2},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[LON, LAT], [LON + 0.01, LAT], [LON + 0.01, LAT + 0.01], [LON, LAT]]
                    ],
                },
            },
        ],
    }
    add(
        "unclosed_ring",
        json.dumps(ring).encode(),
        layer="buildings",
        expect="rows",
        n_good=1,
        n_rejected=1,
        check=_rejected_as("invalid_geometry"),
    )
    coords = _posts(rng, 2)
    for i, feature in enumerate(coords["features"]):  # type: ignore[union-attr]
        feature["properties"].update({"lon": 1.0 + i, "lat": 2.0, "经度": 3, "Y": 4})
    add(
        "coordinate_named_attributes",
        json.dumps(coords, ensure_ascii=False).encode(),
        expect="rows",
        n_good=2,
        n_rejected=0,
        check=_coordinates_kept,
    )
    return cases


def _near_beijing(result: object) -> None:
    data = result.data  # type: ignore[attr-defined]
    assert np.allclose(data.geometry.x, LON, atol=0.01), data.geometry.x.tolist()
    assert np.allclose(data.geometry.y, LAT, atol=0.01), data.geometry.y.tolist()


def _coordinates_kept(result: object) -> None:
    data = result.data  # type: ignore[attr-defined]
    assert {"lon_source", "lat_source", "经度_source", "Y_source"} <= set(data.columns)
    assert data["lon_source"].tolist() == [1.0, 2.0]
    data.drop(columns="geometry").insert(0, "lat", data.geometry.y)  # the Data page's table


def _shapefiles(folder: Path, rng: random.Random) -> list[Case]:
    cases: list[Case] = []

    def case(name: str, **kw: object) -> Path:
        shp = _shapefile(folder / name, rng)
        cases.append(Case(f"shp_{name}", shp, "posts", **kw))  # type: ignore[arg-type]
        return shp

    case("gbk_no_cpg", expect="rows", n_good=3, n_rejected=0, check=_names_chinese)
    case("missing_dbf", expect="error", error_contains="no .dbf").with_suffix(".dbf").unlink()
    case("missing_shx", expect="error", error_contains="no .shx").with_suffix(".shx").unlink()
    shp = case("bad_magic", expect="error", error_contains=".shp is not")
    shp.write_bytes(b"\x00" * 100 + shp.read_bytes()[100:])
    shp = case("bad_shx_magic", expect="error", error_contains=".shx is not")
    shp.with_suffix(".shx").write_bytes(b"\xff" * 100)
    shp = case("vrt_as_shp", expect="error", error_contains=".shp is not")
    shp.write_bytes(VRT.encode())
    shp = case("zero_byte_dbf", expect="error", error_contains=".dbf is not")
    shp.with_suffix(".dbf").write_bytes(b"")
    shp = case("garbage_prj", expect="rows", n_good=3, check=_warned("crs_unreadable"))
    shp.with_suffix(".prj").write_bytes(bytes(rng.randrange(256) for _ in range(300)))
    shp = case(
        "binary_cpg", expect="rows", n_good=3, check=_both(_names_chinese, _warned("cpg_ignored"))
    )
    shp.with_suffix(".cpg").write_bytes(b"\x00\x9f" + bytes(rng.randrange(256) for _ in range(64)))
    shp = case(
        "base64_cpg", expect="rows", n_good=3, check=_both(_names_chinese, _warned("cpg_ignored"))
    )
    shp.with_suffix(".cpg").write_text("base64")
    shp = case(
        "utf8_cpg_over_gbk",
        expect="rows",
        n_good=3,
        n_rejected=0,
        check=_both(_names_chinese, _warned("dbf_read_as_detected")),
    )
    shp.with_suffix(".cpg").write_text("UTF-8")
    shp = case("huge_cpg", expect="rows", n_good=3, check=_warned("shapefile_part_ignored"))
    shp.with_suffix(".cpg").write_bytes(b"UTF-8" + b" " * 100_000)
    shp = case("truncated_shp", expect="error", error_contains="no feature's geometry")
    shp.write_bytes(shp.read_bytes()[:110])
    shp = case(
        "half_shp", expect="rows", n_good=1, n_rejected=2, check=_rejected_as("invalid_geometry")
    )
    shp.write_bytes(shp.read_bytes()[: 100 + 28 + 10])
    shp = case("geojson_named_shp", expect="error", error_contains=".shp is not")
    shp.write_text(json.dumps(_posts(rng, 1)))
    lonlat = _shapefile(folder / "lonlat", rng, 2, lon=[1.0, 2.0], lat=[3.0, 4.0])
    cases.append(
        Case(
            "shp_coordinate_named_attributes",
            lonlat,
            "posts",
            "rows",
            n_good=2,
            n_rejected=0,
            check=_warned("coordinate_attributes_renamed"),
        )
    )
    upper = folder / "upper"
    shp = _shapefile(upper, rng)
    for ext in (".shp", ".shx", ".dbf"):
        shp.with_suffix(ext).rename(shp.with_suffix(ext.upper()))
    cases.append(
        Case(
            "shp_uppercase_parts", shp.with_suffix(".SHP"), "posts", "rows", n_good=3, n_rejected=0
        )
    )
    return cases


def _names_chinese(result: object) -> None:
    names = result.data["name"].tolist()  # type: ignore[attr-defined]
    assert all(n.startswith("岗") for n in names), names


def _both(*checks):
    def check(result: object) -> None:
        for each in checks:
            each(result)

    return check


def cases(folder: Path, rng: random.Random) -> list[Case]:
    """Every hostile GIS case, its files written under `folder`."""
    made: list[Case] = []
    for name, build in (
        ("disguised", lambda f: _disguised(f)),
        ("gpkg", lambda f: _geopackages(f, rng)),
        ("zip", lambda f: _zips(f, rng)),
        ("geojson", lambda f: _geojson(f, rng)),
        ("shp", lambda f: _shapefiles(f, rng)),
    ):
        sub = folder / name
        sub.mkdir(parents=True, exist_ok=True)
        made += build(sub)
    return made
