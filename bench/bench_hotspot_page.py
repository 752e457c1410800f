"""Time the Heatmaps page's refresh after a filter change, and the bytes sent to the browser.

On the bundled sample (24,000 incidents) and on a seeded 1,000,000-incident street office
written at run time into a real GeoPackage workspace through :mod:`gridmap.store` (the
sample's grids, streets and buildings, and its incidents resampled with a few metres of
jitter, times spread over the same year). The workspace is then opened as the page opens
it: layers read through the store, incidents located in grids once per layer version
(cached by the app, timed apart). A refresh after a filter change is what the page runs
for one view: counting the selection, the view's compute step, drawing the folium map
and rendering its HTML (what ``st_folium`` sends; its size is the "to browser" figure).

The filter is wide: every category, every source, the whole date range of the data. The
naive peer is a folium ``HeatMap`` of every selected incident as a point.

Targets (issue "Street office …"): a refresh ≤ 2 s on the sample and ≤ 5 s on a million
incidents, with ≤ 5 MB sent to the browser.

    .venv/bin/python bench/bench_hotspot_page.py [--incidents 1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import maps
from gridmap.datasets import get_path
from gridmap.hotspots import views
from gridmap.overview import reference_time
from gridmap.stats import PolygonLocator
from gridmap.store import GeoPackageStore

#: The page's views, as the Heatmaps and Warnings pages call them.
VIEWS: dict[str, tuple[Callable[..., Any], Callable[..., Any], dict[str, Any]]] = {
    "density": (views.density, views.density_map, {}),
    "grids": (views.grid_changes, views.grid_map, {"measure": "change"}),
    "gi": (views.gi_hotspots, views.gi_map, {}),
    "emerging": (views.emerging, views.emerging_map, {}),
    "warnings": (views.warning_list, views.warnings_map, {}),
    "requests": (views.request_deadlines, views.requests_map, {}),
}


def scaled(incidents: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` incidents resampled from `incidents`, moved up to ~5 m, times kept in range."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(incidents), n)
    out = incidents.iloc[pick].reset_index(drop=True)
    x = out.geometry.x.to_numpy() + rng.normal(0, 5e-5, n)
    y = out.geometry.y.to_numpy() + rng.normal(0, 2.5e-5, n)
    shift = pd.to_timedelta(rng.integers(-3 * 3600, 3 * 3600, n), unit="s")
    out["occurred_at"] = out["occurred_at"] + shift
    if "handled_at" in out:
        out["handled_at"] = out["handled_at"] + shift
    out["incident_id"] = [f"B{i:07d}" for i in range(n)]
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs=incidents.crs)


def build_workspace(path: Path, n: int, *, seed: int = 0) -> GeoPackageStore:
    """A workspace at `path`: the sample's layers with `n` resampled incidents."""
    sample = GeoPackageStore(get_path("helsinki"), create=False)
    store = GeoPackageStore(path)
    for name in ("grids", "streets", "buildings"):
        if sample.current_version(name) is not None:
            store.write(name, sample.read(name), author="bench", message="bench copy")
    incidents = scaled(sample.read("incidents"), n, seed)
    store.write("incidents", incidents, author="bench", message=f"bench: {n:,} incidents")
    store.update_settings(synthetic_incidents=True, credit="bench data")
    return store


def open_office(store: GeoPackageStore) -> views.StreetOffice:
    """The workspace's layers as the page prepares them (``_street_office._prepared``)."""
    grids = store.read("grids")
    locator = PolygonLocator(grids.geometry)
    located = views.prepare_incidents(
        store.read("incidents"), grids, locator=locator, crs=store.working_crs()
    )
    return views.StreetOffice(
        incidents=located,
        grids=grids,
        crs=store.working_crs(),
        streets=store.read("streets"),
        buildings=store.read("buildings"),
        synthetic=True,
        locator=locator,
    )


def wide_selection(office: views.StreetOffice) -> views.Selection:
    """Every category and source over the whole date range of the data."""
    first = pd.Timestamp(office.incidents["occurred_at"].min()).normalize()
    return views.Selection(first, reference_time(office.incidents))


def refresh(office: views.StreetOffice, selection: views.Selection, view: str) -> tuple[float, int]:
    """Seconds and bytes of one page refresh of `view` after a filter change."""
    compute, draw, options = VIEWS[view]
    start = time.perf_counter()
    views.count_selected(office, selection)
    result = compute(office, selection)
    html = ""
    if result is not None:
        html = draw(result, office, selection, lang="zh", credit="bench", **options)
        html = html.get_root().render()
    return time.perf_counter() - start, len(html.encode())


def run(name: str, store: GeoPackageStore) -> None:
    start = time.perf_counter()
    office = open_office(store)
    print(f"\n{name}: {len(office.incidents):,} incidents")
    print(f"  {'open + grid codes (cached)':<34} {time.perf_counter() - start:7.2f} s")
    selection = wide_selection(office)
    print(f"  wide filter: {selection.period}, all categories and sources")
    for view in VIEWS:
        took, size = refresh(office, selection, view)
        flag = "" if took <= 5 and size <= 5 * 2**20 else "  MISSES TARGET"
        print(f"  view {view:<29} {took:7.2f} s  {size / 2**20:5.2f} MB to browser{flag}")
    chosen = views.select(office, selection)
    start = time.perf_counter()
    naive = maps.make_map(bounds=office.bounds)
    points = np.column_stack([chosen.geometry.y, chosen.geometry.x]).tolist()
    folium.plugins.HeatMap(points).add_to(naive)
    page = naive.get_root().render()
    took = time.perf_counter() - start
    print(
        f"  peer: folium HeatMap, all points    {took:7.2f} s  "
        f"{len(page.encode()) / 2**20:5.2f} MB to browser ({len(points):,} points)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run("sample", GeoPackageStore(get_path("helsinki"), create=False))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        store = build_workspace(Path(tmp) / "bench.gpkg", args.incidents, seed=args.seed)
        print(f"\nwrote {args.incidents:,} incidents in {time.perf_counter() - start:.1f} s")
        run("generated workspace", store)


if __name__ == "__main__":
    main()
