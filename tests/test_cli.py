"""The `gridmap` command on a real workspace file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

from gridmap.cli import main
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
    assert "sample grids built from OSM" in capsys.readouterr().out


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
