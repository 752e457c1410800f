"""Time the Heatmaps page's functions after a filter change, and the map sent to the browser.

On the bundled sample (24,000 incidents) and on a seeded 1,000,000-incident street office
made at run time (the sample's incidents resampled with a few metres of jitter, times
spread over the same year; nothing is written to disk). For each: the filter-independent
preparation (grid codes, once per layer version, cached by the app), then per view the
compute step plus drawing the folium map and rendering its HTML (what ``st_folium`` sends).
The naive peer is a folium ``HeatMap`` of every selected incident as a point.

Targets (issue "Street office …"): a refresh after a filter change ≤ 2 s on the sample and
≤ 5 s on a million incidents, with ≤ 5 MB sent to the browser.

    .venv/bin/python bench/bench_hotspot_page.py [--incidents 1000000]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap import maps
from gridmap.datasets import get_path
from gridmap.hotspots import views
from gridmap.stats import PolygonLocator
from gridmap.store import GeoPackageStore


def scaled(incidents: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` incidents resampled from `incidents`, moved up to ~5 m, times kept in range."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(incidents), n)
    out = incidents.iloc[pick].reset_index(drop=True)
    x = out.geometry.x.to_numpy() + rng.normal(0, 5e-5, n)
    y = out.geometry.y.to_numpy() + rng.normal(0, 2.5e-5, n)
    shift = pd.to_timedelta(rng.integers(-3 * 3600, 3 * 3600, n), unit="s")
    out["occurred_at"] = out["occurred_at"] + shift
    out["incident_id"] = [f"B{i:07d}" for i in range(n)]
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs=incidents.crs)


def timed(label: str, func):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func()
    print(f"  {label:<34} {time.perf_counter() - start:7.2f} s")
    return value, time.perf_counter() - start


def run(name: str, incidents: gpd.GeoDataFrame, store: GeoPackageStore) -> None:
    print(f"\n{name}: {len(incidents):,} incidents")
    grids = store.read("grids")
    locator = PolygonLocator(grids.geometry)
    located, _ = timed(
        "prepare (grid codes, cached)",
        lambda: views.prepare_incidents(incidents, grids, locator=locator),
    )
    office = views.StreetOffice(
        located,
        grids,
        store.working_crs(),
        store.read("streets"),
        store.read("buildings"),
        True,
        locator,
    )
    end = pd.Timestamp("2026-11-01")
    # A filter change: theft and fights in the evening, last 12 weeks.
    selection = views.Selection(
        end - pd.Timedelta(weeks=12), end, categories=("theft", "fight"), hours=(16, 24)
    )
    steps = {
        "density": (views.density, views.density_map, {}),
        "grids": (views.grid_changes, views.grid_map, {"measure": "change"}),
        "gi": (views.gi_hotspots, views.gi_map, {}),
        "emerging": (views.emerging, views.emerging_map, {}),
        "warnings": (views.warning_list, views.warnings_map, {}),
        "requests": (views.request_deadlines, views.requests_map, {}),
    }
    timed("select", lambda: views.count_selected(office, selection))
    for label, (compute, draw, options) in steps.items():
        start = time.perf_counter()
        result = compute(office, selection)
        fmap = draw(result, office, selection, lang="zh", **options)
        page = fmap.get_root().render()
        took = time.perf_counter() - start
        print(f"  view {label:<29} {took:7.2f} s  {len(page.encode()) / 2**20:5.2f} MB to browser")
    chosen = views.select(office, selection)
    start = time.perf_counter()
    naive = maps.make_map(bounds=office.bounds)
    import folium.plugins

    points = np.column_stack([chosen.geometry.y, chosen.geometry.x]).tolist()
    folium.plugins.HeatMap(points).add_to(naive)
    page = naive.get_root().render()
    print(
        f"  peer: folium HeatMap, all points    {time.perf_counter() - start:7.2f} s  "
        f"{len(page.encode()) / 2**20:5.2f} MB to browser ({len(points):,} points)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    args = parser.parse_args()
    store = GeoPackageStore(get_path("helsinki"), create=False)
    sample = store.read("incidents")
    run("sample", sample, store)
    run("generated", scaled(sample, args.incidents), store)


if __name__ == "__main__":
    main()
