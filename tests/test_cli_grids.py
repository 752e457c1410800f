"""``gridmap grids check|plan|split|merge|export`` on real workspace files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gridmap import ValidationError
from gridmap.cli import main
from gridmap.grids import views
from gridmap.grids.blocks import grid_blocks
from gridmap.store import GeoPackageStore, install_sample_workspace

COMMUNITY = "990101001001"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return install_sample_workspace(tmp_path / "ws.gpkg")


@pytest.fixture(scope="module")
def sample_blocks(tmp_path_factory: pytest.TempPathFactory) -> tuple[gpd.GeoDataFrame, ...]:
    store = GeoPackageStore(install_sample_workspace(tmp_path_factory.mktemp("s") / "s.gpkg"))
    grids = store.read("grids")
    return grids, grid_blocks(grids, store.read("streets"), buildings=store.read("buildings"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "gridmap.cli", *args], capture_output=True, text=True, timeout=600
    )


def _grids(codes: list[str], boxes: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"grid_code": codes, "households": [300] * len(codes)}, geometry=boxes, crs=4326
    )


def test_check_reports_problems_and_exits_1(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "own.gpkg")
    a, b = "110101001001001", "110101001001002"
    left, right = (
        shapely.box(116.40, 39.90, 116.41, 39.91),
        shapely.box(116.41, 39.90, 116.42, 39.91),
    )
    store.write("grids", _grids([a, b], [left, right]), message="two clean grids")
    clean = _run("-w", str(store.path), "grids", "check")
    assert clean.returncode == 0, clean.stderr
    assert "2 grids: no topology problems" in clean.stdout
    # Grid b pushed 0.001° into a: one overlap of ~0.001 x 0.01 degrees, named by both codes.
    store.write(
        "grids", _grids([a, b], [left, shapely.box(116.409, 39.90, 116.42, 39.91)]), message="bad"
    )
    report = tmp_path / "problems.csv"
    found = _run("-w", str(store.path), "grids", "check", "--output", str(report))
    assert found.returncode == 1, found.stderr
    assert "overlap" in found.stdout
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    overlap = table[table["Problem"] == "overlap"]
    assert len(overlap) == 1
    assert set(overlap["Grid code"].iloc[0].split(",")) == {a, b}
    expected = gpd.GeoSeries([shapely.box(116.409, 39.90, 116.41, 39.91)], crs=4326)
    area = float(expected.to_crs(32650).area.iloc[0])  # independent: the strip's area
    assert float(overlap["Area (m²)"].iloc[0]) == pytest.approx(area, rel=0.01)


def test_merge_previews_then_commits(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = GeoPackageStore(workspace)
    grids = store.read("grids")
    # Grids 001 and 003 border each other in the sample (001 and 002 do not since its grids
    # were rebuilt from blocks).
    a, b = f"{COMMUNITY}001", f"{COMMUNITY}003"
    assert main(["-w", str(workspace), "grids", "merge", a, b]) == 0
    out = capsys.readouterr().out
    assert "merged" in out
    assert "preview only" in out
    assert store.current_version("grids") == 1
    args = ["-w", str(workspace), "grids", "merge", a, b, "--commit", "--author", "李四"]
    assert main(args) == 0
    assert store.current_version("grids") == 2
    assert store.history("grids")[-1].author == "李四"
    after = store.read("grids")
    assert len(after) == len(grids) - 1
    assert after["households"].sum() == grids["households"].sum()
    # The merged grid (the new grid overlapping old grid `a` most) covers both old grids.
    metric = 32635
    new = after.to_crs(metric)
    old_a = grids.to_crs(metric).set_index("grid_code").geometry[a]
    merged = new.geometry.iloc[int(np.argmax(new.geometry.intersection(old_a).area))]
    both = shapely.union_all(
        grids.to_crs(metric).set_index("grid_code").geometry[[a, b]].to_numpy()
    )
    assert both.difference(merged).area < 1
    # Grids that are not adjacent are refused with the reason, and nothing is written.
    far = grids["grid_code"].iloc[-1]
    assert main(["-w", str(workspace), "grids", "merge", a, far, "--commit"]) == 2
    assert "gridmap:" in capsys.readouterr().err
    assert store.current_version("grids") == 2


def test_split_along_a_line_and_along_streets(
    workspace: Path, sample_blocks: tuple[gpd.GeoDataFrame, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    grids, blocks = sample_blocks
    store = GeoPackageStore(workspace)
    # A line that splits some grid: found with the library, then typed on the command line.
    found = None
    for code, geom in zip(grids["grid_code"], grids.geometry, strict=True):
        west, south, east, north = geom.bounds
        x = (west + east) / 2
        text = f"{x},{south - 0.0004}; {x},{north + 0.0004}"
        try:
            views.edit(
                "split_line", grids, blocks, codes=[code], line=views.parse_line(text, blocks.crs)
            )
        except ValidationError:
            continue
        found = code, text
        break
    assert found is not None
    code, text = found
    assert main(["-w", str(workspace), "grids", "split", code, "--line", text, "--commit"]) == 0
    assert "split" in capsys.readouterr().out
    after = store.read("grids")
    assert len(after) == len(grids) + 1
    assert after["households"].sum() == grids["households"].sum()
    # Along streets: a grid and street names that divide it, typed as --street options.
    found = None
    for code in after["grid_code"]:
        row = views.area_grids(after, code)
        names = views.street_names(store.read("streets"), row)
        for name in names:
            segments = views.street_segments(store.read("streets"), [name], row, blocks.crs)
            try:
                expected = views.edit(
                    "split_streets",
                    after,
                    grid_blocks(after, store.read("streets"), buildings=store.read("buildings")),
                    codes=[code],
                    segments=segments,
                )
            except ValidationError:
                continue
            found = code, name
            break
        if found:
            break
    assert found is not None
    code, name = found
    args = ["-w", str(workspace), "grids", "split", code, "--street", name, "--commit"]
    assert main([*args, "--message", "split along a street"]) == 0
    # As many grids as the library's preview had (a street may cut a grid in three).
    assert len(store.read("grids")) == len(expected.grids) > len(after)
    assert store.history("grids")[-1].message == "split along a street"
    # Neither or both of --line and --street: a user error.
    assert main(["-w", str(workspace), "grids", "split", code]) == 2
    assert "exactly one of `--line`" in capsys.readouterr().err


def test_plan_exports_the_best_plan_with_its_code_mapping(workspace: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(workspace)
    grids = store.read("grids")
    area = views.area_grids(grids, COMMUNITY)
    output = tmp_path / "plan.gpkg"
    proc = _run(
        "-w", str(workspace), "grids", "plan", "--community", COMMUNITY, "--k", "4",
        "--plans", "2", "--output", str(output), "--commit", "--author", "王五",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Largest household deviation (%)" in proc.stdout
    assert "best: plan" in proc.stdout
    assert set(pyogrio.list_layers(output)[:, 0]) == {"plan", "code_mapping"}
    plan = gpd.read_file(output, layer="plan")
    mapping = pyogrio.read_dataframe(output, layer="code_mapping")
    assert len(plan) == 4
    assert plan["households"].sum() == pytest.approx(area["households"].sum(), abs=4)
    # Independently: overlaps of old and new grids by shapely, in metres.
    old = area.to_crs(32635).set_index("grid_code").geometry
    new = plan.to_crs(32635).set_index("grid_code").geometry
    for row in mapping.itertuples():
        overlap = old[row.old_code].intersection(new[row.new_code]).area
        assert row.area_m2 == pytest.approx(overlap, abs=0.1)
    # Every bit of a new grid that lay in an old grid is mapped (the rest filled gaps).
    union = shapely.union_all(old.to_numpy())
    mapped = mapping.groupby("new_code")["area_m2"].sum()
    covered = [new[c].intersection(union).area for c in mapped.index]
    assert np.allclose(mapped, covered, rtol=1e-3)
    first = mapping.groupby("new_code")["old_code"].first()
    assert (plan.set_index("grid_code")["old_code"] == first.reindex(plan["grid_code"])).all()
    # Committed: the community's grids are the plan's, the others untouched.
    after = store.read("grids")
    assert store.history("grids")[-1].author == "王五"
    assert sorted(views.area_grids(after, COMMUNITY)["grid_code"]) == sorted(plan["grid_code"])
    rest = after[~after["grid_code"].str.startswith(COMMUNITY)]
    assert len(rest) == len(grids) - len(area)


def test_plan_options_are_checked(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["-w", str(workspace), "grids", "plan", "--community", COMMUNITY]
    assert main([*base, "--k", "4", "--households", "300-500"]) == 2
    assert "exactly one of `--k`" in capsys.readouterr().err
    assert main([*base, "--households", "500-300"]) == 2
    assert "`--households` must be LOW-HIGH" in capsys.readouterr().err
    assert main([*base[:-1], "9901", "--k", "2"]) == 2
    assert "12-digit code" in capsys.readouterr().err


def test_export_a_version_as_geojson_and_shapefile(workspace: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(workspace)
    a, b = f"{COMMUNITY}001", f"{COMMUNITY}003"  # adjacent in the sample
    assert main(["-w", str(workspace), "grids", "merge", a, b, "--commit"]) == 0
    out = tmp_path / "grids.geojson"
    assert main(["-w", str(workspace), "grids", "export", str(out)]) == 0
    exported = gpd.read_file(out)
    assert len(exported) == len(store.read("grids"))
    # In reading order the merged grid is the community's third: 003.
    merged = exported.set_index("grid_code").loc[b]
    assert set(merged["old_codes"].split(";")) == {a, b}
    table = pd.read_csv(tmp_path / "grids_code_mapping.csv", dtype=str, encoding="utf-8-sig")
    assert set(table.loc[table["new_code"] == b, "old_code"]) == {a, b}
    # Renumbered grids map from their old code: 002 is now 001.
    assert exported.set_index("grid_code").loc[a, "old_code"] == f"{COMMUNITY}002"
    zipped = tmp_path / "grids.zip"
    assert main(["-w", str(workspace), "grids", "export", str(zipped), "--version", "1"]) == 0
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        assert "code_mapping.csv" in names
        assert any(n.endswith(".shp") for n in names)
    assert main(["-w", str(workspace), "grids", "export", str(zipped), "--version", "9"]) == 2
