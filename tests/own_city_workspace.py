"""Workspaces a city builds from its own first files (shared by the page and browser tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.ingest import commit_import, read_into_workspace
from gridmap.store import GeoPackageStore

ROOT = Path(__file__).resolve().parent.parent
#: The shared real-world cases, beside the clone (see their README).
REALWORLD = ROOT.parent / "shared" / "cases" / "realworld"


def realworld_case(name: str) -> Path:
    path = REALWORLD / name
    if not path.is_file():
        pytest.skip(f"real-world case {path} is missing (the shared/ folder beside the clone)")
    return path


def grids_without_households(path: Path) -> GeoPackageStore:
    """The README's case: 5 grids without households, 3 incidents in them."""
    store = GeoPackageStore(path)
    grids = read_into_workspace(store, realworld_case("grids_without_households.geojson"), "grids")
    commit_import(store, grids, author="test")
    incidents = read_into_workspace(
        store, realworld_case("incidents_in_those_grids.csv"), "incidents", crs="wgs84"
    )
    commit_import(store, incidents, author="test")
    return store


def without_grids(path: Path) -> GeoPackageStore:
    """Incidents and key sites, no grids yet (a city's usual first import)."""
    store = GeoPackageStore(path)
    incidents = path.parent / "警情.csv"
    incidents.write_text(
        "编号,经度,纬度,发生时间,类别\n"
        "A1,116.4425,39.9225,2023-05-01 09:00,盗窃\n"
        "A2,116.4325,39.9225,2023-05-02 09:00,抢夺\n"
        "A3,116.4375,39.9260,2023-05-03 09:00,盗窃\n",
        encoding="utf-8",
    )
    sites = path.parent / "学校.csv"
    sites.write_text("编号,经度,纬度\nX1,116.435,39.921\n", encoding="utf-8")
    for file, layer in ((incidents, "incidents"), (sites, "sites")):
        commit_import(store, read_into_workspace(store, file, layer, crs="wgs84"), author="test")
    return store
