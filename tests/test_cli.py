"""The `gridmap` command on a real workspace file."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gridmap.cli import CLI_OPTIONS, main
from gridmap.store import GeoPackageStore, install_sample_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return install_sample_workspace(tmp_path / "ws.gpkg")


def test_layers_and_history(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workspace", str(workspace), "layers"]) == 0
    out = capsys.readouterr().out
    assert "grids" in out
    assert "24000 features" in out
    assert main(["-w", str(workspace), "history", "grids"]) == 0
    assert "sample grids: street blocks of OpenStreetMap" in capsys.readouterr().out


def test_import_reports_rejects_then_restore(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "calls.csv"
    csv.write_bytes(
        "编号,类别,发生时间,经度,纬度\n"
        "C-1,盗窃,2026年10月3日 21时,24.945,60.170\n"
        "C-2,打架斗殴,2026-10-03 23:10,abc,60.171\n"
        "C-3,噪音扰民,2026/10/04 01:00,24.946,60.172\n".encode("gbk")
    )
    rejects = tmp_path / "rejects.csv"
    args = ["-w", str(workspace), "import", str(csv), "--layer", "incidents"]
    assert main([*args, "--rejects", str(rejects), "--author", "王警官"]) == 0
    out = capsys.readouterr().out
    assert "2 good rows, 1 rejected" in out
    assert "non_numeric_coordinate" in out
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM
    store = GeoPackageStore(workspace)
    assert len(store.read("incidents")) == 24_002
    assert store.history("incidents")[-1].author == "王警官"
    # Importing the same file again rejects every row as a duplicate id.
    assert main(args) == 2
    assert "no good rows" in capsys.readouterr().err
    assert main(["-w", str(workspace), "restore", "incidents", "1"]) == 0
    assert len(store.read("incidents")) == 24_000


def test_export_to_gcj02_shapefile(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "grids.zip"
    cmd = ["-w", str(workspace), "export", "grids", str(out), "--format", "shp", "--crs", "gcj02"]
    assert main(cmd) == 0
    exported = gpd.read_file(f"zip://{out}")
    assert len(exported) == 30
    assert exported["name"].str.contains("网格").all()  # Chinese survives the .dbf


def test_user_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    ws = tmp_path / "new.gpkg"
    assert main(["-w", str(ws), "import", str(empty), "--layer", "incidents"]) == 2
    assert "gridmap:" in capsys.readouterr().err
    assert main(["-w", str(ws), "restore", "grids", "1"]) == 2


def test_console_script_is_installed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gridmap.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "import" in proc.stdout
    assert "export" in proc.stdout


CALLS = "编号,类别,发生时间,经度,纬度\nC-1,盗窃,2026-10-03 21:00,24.945,60.170\n"


def test_a_column_option_without_equals_is_a_user_error(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "calls.csv"
    csv.write_text(CALLS, encoding="utf-8")
    args = ["-w", str(workspace), "import", str(csv), "--layer", "incidents"]
    assert main([*args, "--column", "lon", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "gridmap: `--column` must be ROLE=COLUMN, e.g. --column lon=经度; got 'lon'"
    assert main([*args, "--column", "=经度", "--dry-run"]) == 2
    assert main([*args, "--column", "lon=经度", "--column", "lat=纬度", "--dry-run"]) == 0


def test_a_rejects_file_in_a_missing_folder_is_refused_before_the_import(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "calls.csv"
    csv.write_text(CALLS + "C-2,盗窃,2026-10-03 21:00,abc,60.170\n", encoding="utf-8")
    rejects = tmp_path / "missing" / "rejects.csv"
    args = ["-w", str(workspace), "import", str(csv), "--layer", "incidents"]
    assert main([*args, "--rejects", str(rejects)]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing was read, so no summary half-way through
    assert err.strip() == f"gridmap: `--rejects`: folder {rejects.parent} does not exist"
    assert GeoPackageStore(workspace).current_version("incidents") == 1
    assert main([*args, "--rejects", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_an_export_into_a_missing_folder_is_refused(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "grids.geojson"
    assert main(["-w", str(workspace), "export", "grids", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"gridmap: `output`: folder {out.parent} does not exist"
    )


@pytest.mark.parametrize(
    "command",
    [["layers"], ["history"], ["export", "grids", "out.geojson"], ["restore", "grids", "1"]],
)
def test_read_only_commands_refuse_a_missing_workspace(
    command: list[str],
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["-w", "typo-name", *command]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"gridmap: no workspace named 'typo-name' in {tmp_path}; available: ws"
    missing = tmp_path / "elsewhere" / "missing.gpkg"
    assert main(["-w", str(missing), *command]) == 2
    assert f"no workspace at {missing}" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.glob("*.gpkg")) == ["ws.gpkg"]
    assert not missing.parent.exists()


def test_import_into_a_new_workspace_says_it_creates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    csv = tmp_path / "calls.csv"
    csv.write_text(CALLS, encoding="utf-8")
    args = ["-w", "district-b", "import", str(csv), "--layer", "incidents"]
    assert main([*args, "--dry-run"]) == 0
    assert "does not exist yet" in capsys.readouterr().out
    assert not (tmp_path / "district-b.gpkg").exists()  # a dry run writes nothing
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "编号,类别,发生时间,经度,纬度\nC-9,盗窃,2026-10-03,abc,60.17\n", encoding="utf-8"
    )
    assert main(["-w", "district-b", "import", str(bad), "--layer", "incidents"]) == 2
    assert list(tmp_path.glob("*.gpkg")) == []  # a refused import leaves no empty workspace
    # Only the (empty, hidden) lock file a writer takes may stay behind.
    assert [p.name for p in tmp_path.glob(".*")] in ([], [".district-b.gpkg.lock"])
    assert main(args) == 0
    assert f"created workspace {tmp_path / 'district-b.gpkg'}" in capsys.readouterr().out
    store = GeoPackageStore(tmp_path / "district-b.gpkg", create=False)
    assert store.read("incidents")["incident_id"].tolist() == ["C-1"]
    assert main(["-w", "district-b", "layers"]) == 0
    assert "created workspace" not in capsys.readouterr().out


def test_import_converts_time_zones(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "app-export.csv"
    csv.write_text(
        "id,category,time,lng,lat\n"
        "TZ-1,theft,2026-10-03T10:00:00+08:00,24.945,60.170\n"
        "TZ-2,theft,2026-10-03T02:00:00Z,24.946,60.171\n",
        encoding="utf-8",
    )
    args = ["-w", str(workspace), "import", str(csv), "--layer", "incidents"]
    assert main([*args, "--timezone", "Mars/Olympus"]) == 2
    assert "timezone" in capsys.readouterr().err
    assert main([*args, "--timezone", "Europe/Helsinki"]) == 0
    incidents = GeoPackageStore(workspace).read("incidents").set_index("incident_id")
    # The same instant, 02:00 UTC, is 05:00 in Helsinki (EEST, UTC+3) in October.
    expected = pd.Timestamp("2026-10-03 05:00")
    assert incidents.loc["TZ-1", "occurred_at"] == incidents.loc["TZ-2", "occurred_at"] == expected


def test_import_from_a_chosen_worksheet(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("警情")
    sheet.append(["编号", "类别", "发生时间", "经度", "纬度"])
    sheet.append(["W-1", "盗窃", "2026-10-03 10:00", 24.945, 60.170])
    workbook = tmp_path / "周报.xlsx"
    book.save(workbook)
    args = ["-w", str(workspace), "import", str(workbook), "--layer", "incidents"]
    assert main([*args, "--sheet", "没有这张表"]) == 2
    assert "警情" in capsys.readouterr().err  # the error lists the sheets there are
    assert main([*args, "--sheet", "警情"]) == 0
    assert "W-1" in set(GeoPackageStore(workspace).read("incidents")["incident_id"])


# -- real-world first use: one's own city, every import option, CLI wording ----------------

#: Calls in Beijing: nowhere near the Helsinki sample workspace.
BEIJING = (
    "编号,类别,发生时间,经度,纬度\n"
    + "".join(
        f"B-{i},盗窃,2026-10-0{1 + i % 9} 10:00,{116.39 + i / 1000:.4f},{39.91 + i / 1000:.4f}\n"
        for i in range(20)
    )
    + "B-99,盗窃,2026-10-01 10:00,24.945,60.170\n"  # one stray row in the workspace
)


def test_a_file_about_another_city_suggests_a_workspace_of_its_own(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path / "home"))
    csv = tmp_path / "北京警情.csv"
    csv.write_text(BEIJING, encoding="utf-8")
    args = ["import", str(csv), "--layer", "incidents", "--crs", "wgs84"]
    assert main(["-w", str(workspace), *args, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "20 rows (95%) lie far outside workspace ws" in captured.err
    assert (
        f"gridmap -w NEW import {shlex.quote(str(csv))} --layer incidents --crs wgs84"
        in captured.err
    )
    # The hint's command works: a new workspace named by the user, every row in it.
    assert main(["-w", "beijing", *args]) == 0
    assert "created workspace" in capsys.readouterr().out
    created = GeoPackageStore(tmp_path / "home" / "beijing.gpkg")
    assert len(created.read("incidents")) == 21
    # A file that belongs here gets no such hint.
    assert main(["-w", "beijing", *args, "--dry-run"]) == 0
    assert "far outside" not in capsys.readouterr().err


def test_import_takes_every_option_of_the_library_and_says_what_it_found(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "patrol.csv"
    # No category column, GBK text, coordinates 60 km away.
    csv.write_bytes("编号,发生时间,经度,纬度\nP-1,2026-10-03 21:00,25.9,60.17\n".encode("gbk"))
    args = ["-w", str(workspace), "import", str(csv), "--layer", "incidents", "--dry-run"]
    assert main(args) == 2  # no category column
    assert main([*args, "--default-category", "theft"]) == 0
    out = capsys.readouterr().out
    assert "0 good rows, 1 rejected" in out  # 55 km outside the workspace
    assert main([*args, "--default-category", "theft", "--max-distance-km", "100"]) == 0
    out = capsys.readouterr().out
    assert "1 good rows, 0 rejected" in out
    assert "encoding: gb" in out
    assert "source CRS: EPSG:4326 (WGS 84)" in out
    assert "working CRS: EPSG:32635 (WGS 84 / UTM zone 35N)" in out
    assert "columns: lon=经度, lat=纬度, incident_id=编号, occurred_at=发生时间" in out
    assert main([*args, "--default-category", "theft", "--max-mb", "0.000001"]) == 2
    assert "larger than the import limit" in capsys.readouterr().err


def test_error_hints_name_command_line_options_not_python_arguments(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_time = tmp_path / "no_time.csv"
    no_time.write_text("编号,类别,经度,纬度\nC-1,盗窃,24.945,60.170\n", encoding="utf-8")
    no_lon = tmp_path / "no_lon.csv"
    no_lon.write_text("编号,类别,发生时间,东\nC-1,盗窃,2026-10-03,24.9\n", encoding="utf-8")
    base = ["-w", str(workspace), "import", "--layer", "incidents", "--dry-run"]
    messages = []
    for path in (no_time, no_lon):
        assert main([*base, str(path)]) == 2
        messages.append(capsys.readouterr().err)
    assert "--column occurred_at=<column>" in messages[0]
    assert "--default-time" in messages[0]
    assert "--column lon=<column name>" in messages[1]
    for err in messages:
        assert "columns=" not in err
        python_names = re.findall(r"`(\w+)`", err)  # values such as `incidents` may stay
        assert not set(python_names) & set(CLI_OPTIONS), err
    assert main([*base, str(no_time), "--encoding", "klingon"]) == 2
    assert "`encoding`" not in capsys.readouterr().err


def test_export_writes_category_labels_with_the_keys_beside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from gridmap.cli import main
    from gridmap.store import install_sample_workspace

    workspace = install_sample_workspace(tmp_path / "w.gpkg")
    out = tmp_path / "incidents.csv"
    assert main(["-w", str(workspace), "export", "incidents", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert "盗窃" in set(table["category"])
    assert "theft" in set(table["category_key"])
    assert main(["-w", str(workspace), "export", "incidents", str(out), "--lang", "en"]) == 0
    assert "Theft" in set(pd.read_csv(out, encoding="utf-8-sig")["category"])


def test_the_china_crs_warning_names_the_option_once() -> None:
    from gridmap.cli import cli_text
    from gridmap.i18n import Message

    text = cli_text(Message("crs_ambiguous_china", n=3, total=3).text("en"))
    assert text.endswith("choose the coordinate system (--crs)"), text
