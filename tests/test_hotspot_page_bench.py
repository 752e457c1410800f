"""The short form of ``bench/bench_hotspot_page.py``: a real 50,000-incident workspace.

The benchmark writes a seeded workspace through the store, opens it as the page does and
refreshes every view with a wide filter. Here the same code runs on 50,000 incidents: each
refresh sends at most 5 MB to the browser (the issue's bound for a million) and takes a
loose 20 s on a shared CI machine; the figures are printed (``pytest -s``).
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
N = 50_000


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_hotspot_page", ROOT / "bench" / "bench_hotspot_page.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    bench = _bench()
    path = tmp_path_factory.mktemp("bench") / "bench.gpkg"
    store = bench.build_workspace(path, N, seed=3)
    return bench, path, bench.open_office(store)


def test_generated_workspace_is_a_real_geopackage(workspace) -> None:  # type: ignore[no-untyped-def]
    bench, path, office = workspace
    # counted by SQLite on the plain `incidents` view, not through gridmap
    with sqlite3.connect(path) as con:
        (rows,) = con.execute("SELECT COUNT(*) FROM incidents").fetchone()
        (ids,) = con.execute("SELECT COUNT(DISTINCT incident_id) FROM incidents").fetchone()
    assert rows == ids == N
    # every incident is in the wide filter (whole date range, every category)
    selection = bench.wide_selection(office)
    times = pd.to_datetime(office.incidents["occurred_at"]).to_numpy()
    inside = (times >= np.datetime64(selection.start)) & (times < np.datetime64(selection.end))
    assert inside.all()
    assert selection.categories is None
    assert bench.views.count_selected(office, selection) == N
    # points held in metres, text columns as objects (quick to select)
    assert office.incidents.crs == office.crs
    assert office.incidents["category"].dtype == object


@pytest.mark.parametrize("view", ["density", "grids", "gi", "emerging", "warnings", "requests"])
def test_page_refresh_with_a_wide_filter(workspace, view: str) -> None:  # type: ignore[no-untyped-def]
    bench, _, office = workspace
    selection = bench.wide_selection(office)
    seconds, size = bench.refresh(office, selection, view)
    print(f"\n{view}: {seconds:.2f} s, {size / 2**20:.2f} MB to the browser ({N:,} incidents)")
    assert size > 100_000  # a map was drawn (the basemap alone is larger than this)
    assert size <= 5 * 2**20
    assert seconds <= 20.0


def test_density_sends_an_image_not_the_points(workspace) -> None:  # type: ignore[no-untyped-def]
    bench, _, office = workspace
    selection = bench.wide_selection(office)
    result = bench.views.density(office, selection)
    assert result.n == N
    html = bench.views.density_map(result, office, selection, lang="en").get_root().render()
    assert html.count("data:image/png;base64,") == 1
    # the points' coordinates are not in the page (a HeatMap of them would hold them all)
    points = office.incidents.to_crs(4326).geometry.iloc[:200]
    pairs = [(f"{p.x:.5f}", f"{p.y:.5f}") for p in points]
    assert not any(f"[{x}, {y}]" in html or f"[{y}, {x}]" in html for x, y in pairs)
    assert len(html.encode()) < 2**20  # a HeatMap of 50,000 points alone is ~2 MB
