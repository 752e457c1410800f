"""Hostile and malformed GIS files: each import ends in a clear error or the right rows.

Runs every case of :mod:`tests.fuzz.cases_vector` (until the shared ``tests/test_fuzz.py``
runs the whole corpus) and pins the faults of the issue each with its own test: a VRT
disguised as GeoJSON must not make GDAL read a server file, zip headers must not be
trusted, GBK member names must read as Chinese.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from gridmap._errors import GridmapError, ImportFileError
from gridmap.i18n import Message
from gridmap.io import import_file, list_parts
from tests.fuzz import cases_vector
from tests.fuzz.corpus import SEED, Case

REALWORLD = Path("/work/shared/cases/realworld")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    folder = tmp_path_factory.mktemp("hostile")
    return cases_vector.cases(folder, random.Random(SEED))


def _import(case: Case) -> object:
    """Import `case` in a thread, so a hang fails the test instead of stalling it."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = import_file(case.path, case.layer, **case.options)  # type: ignore[arg-type]
        except BaseException as exc:  # judged below, whatever it is
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(case.timeout)
    assert not worker.is_alive(), f"{case.name}: no answer after {case.timeout} s"
    return outcome


def test_corpus_has_enough_distinct_cases(corpus):
    assert len(corpus) >= 50
    assert len({c.name for c in corpus}) == len(corpus)


def test_every_case_has_its_stated_outcome(corpus):
    failures = []
    for case in corpus:
        outcome = _import(case)
        error = outcome.get("error")
        if case.expect == "error":
            if not isinstance(error, GridmapError) or not isinstance(error.args[0], Message):
                failures.append(f"{case.name}: expected a clear error, got {error!r} {outcome}")
            elif case.error_contains and case.error_contains.lower() not in str(error).lower():
                failures.append(f"{case.name}: {error} lacks {case.error_contains!r}")
            continue
        if error is not None:
            failures.append(f"{case.name}: expected rows, got {type(error).__name__}: {error}")
            continue
        result = outcome["result"]
        if case.n_good is not None and len(result.data) != case.n_good:
            failures.append(f"{case.name}: {len(result.data)} good rows, not {case.n_good}")
        if case.n_rejected is not None and len(result.rejected) != case.n_rejected:
            failures.append(f"{case.name}: {len(result.rejected)} rejected, not {case.n_rejected}")
        if case.check is not None:
            try:
                case.check(result)
            except AssertionError as exc:
                failures.append(f"{case.name}: check failed: {exc}")
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------- the faults of the issue


def _secret_vrt(tmp_path: Path) -> bytes:
    """An OGR VRT that reads a server file (a CSV standing in for /etc/passwd) as points."""
    secret = tmp_path / "server_secret.csv"
    secret.write_text("name,x,y\nSECRET-ROOT-PASSWORD,116.4,39.9\n")
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="server_secret">'
        f"<SrcDataSource>{secret}</SrcDataSource>"
        '<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" '
        'x="x" y="y"/></OGRVRTLayer></OGRVRTDataSource>'
    ).encode()


@pytest.mark.parametrize("name", ["data.json", "incidents.geojson"])
@pytest.mark.parametrize("zipped", [False, True], ids=["plain", "zipped"])
def test_vrt_disguised_as_geojson_reads_no_server_file(tmp_path, name, zipped):
    vrt = _secret_vrt(tmp_path)
    if zipped:
        path = tmp_path / "upload.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"data/{name}", vrt)
    else:
        path = tmp_path / name
        path.write_bytes(vrt)
    with pytest.raises(ImportFileError) as caught:
        import_file(path, "posts")
    # Refused on its first bytes, before GDAL saw it: no driver could open the CSV.
    assert caught.value.args[0].key == "geojson_invalid"
    assert "SECRET" not in str(caught.value)


def _lying_zip(path: Path, n: int) -> Path:
    """A zip of `n` GeoJSON points whose headers say the member is 1 KB."""
    rng = random.Random(SEED)
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"p{i}"},
            "geometry": {"type": "Point", "coordinates": [116 + rng.random(), 39 + rng.random()]},
        }
        for i in range(n)
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("incidents.geojson", body)
    cases_vector._patch_headers(path, size=1024)
    return path


def test_zip_sizes_that_lie_are_not_trusted(tmp_path, monkeypatch):
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    path = _lying_zip(tmp_path / "lying.zip", 30_000)
    unpacked = 30_000 * 100  # bytes the member really inflates to, about
    assert path.stat().st_size < 1_000_000 < unpacked
    with pytest.raises(ImportFileError) as caught:
        import_file(path, "posts", max_bytes=1_000_000)
    assert caught.value.args[0].key in ("zip_too_large", "zip_member_unreadable")
    assert list(private.iterdir()) == []  # the private folder is gone, also after an error


@pytest.mark.parametrize(
    ("member", "key"),
    [
        ("../../etc/cron.d/x.geojson", "zip_unsafe_member"),
        ("/etc/x.geojson", "zip_unsafe_member"),
        ("C:\\Windows\\x.geojson", "zip_unsafe_member"),
        ("a/..\\..\\x.geojson", "zip_unsafe_member"),
    ],
)
def test_zip_member_names_leaving_the_folder_are_refused(tmp_path, member, key):
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, b'{"type":"FeatureCollection","features":[]}')
    with pytest.raises(ImportFileError) as caught:
        import_file(path, "posts")
    assert caught.value.args[0].key == key
    with pytest.raises(ImportFileError):
        list_parts(path)


def test_windows_zip_with_gbk_member_names_lists_and_reads_chinese_names():
    path = REALWORLD / "windows_zip_gbk_member_names.zip"
    assert list_parts(path) == ["社区", "网格"]
    result = import_file(path, "grids", source_layer="网格")
    assert result.data["name"].tolist() == ["朝阳门第一网格", "朝阳门第二网格"]
    with pytest.raises(GridmapError, match=r"社区, 网格"):
        import_file(path, "grids", source_layer="街道")


def test_gbk_member_names_choose_the_right_shapefile(corpus):
    case = next(c for c in corpus if c.name == "zip_gbk_member_names")
    assert list_parts(case.path) == ["网格", "社区"]
    assert len(import_file(case.path, "posts", source_layer="网格").data) == 3
    assert len(import_file(case.path, "posts", source_layer="社区").data) == 2


def test_utf8_cpg_over_gbk_dbf_whose_first_megabyte_is_ascii(tmp_path):
    # Tools that write one .cpg for every export: the first rows' names are ASCII, the
    # Chinese ones come after the first megabyte, so the table's head cannot tell.
    n = 20_000
    names = [f"post{i}" for i in range(n)]
    names[-2:] = ["朝阳门守望岗", "东直门守望岗"]
    frame = gpd.GeoDataFrame(
        {"name": names},
        geometry=gpd.points_from_xy(np.full(n, 116.4), np.full(n, 39.9)),
        crs=4326,
    )
    path = tmp_path / "posts.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    assert path.with_suffix(".dbf").stat().st_size > 1 << 20
    result = import_file(path, "posts")
    assert result.data["name"].tolist()[-2:] == ["朝阳门守望岗", "东直门守望岗"]
    assert result.encoding == "gbk"
    assert "dbf_read_as_detected" in [w.key for w in result.warnings]
