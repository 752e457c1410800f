"""Time counting incidents per grid: gridmap.stats.count_by_polygon against geopandas.sjoin.

Run from the repository root::

    python bench/bench_count.py [--points 1000000] [--seed 0] [--repeat 3]

Grids come from the ``grids`` layer of ``data/sample.gpkg`` when that file has one; otherwise
30 street-block-like polygons are made up: Voronoi cells of 30 seeded points over a ~1.5 km box
in central Helsinki (lon 24.94, lat 60.17), shrunk by half a street width so that streets are
gaps between grids. Points are uniform over the grids' bounds. Both methods get the same
GeoDataFrame of points; ours includes building the locator. Prints the best of `--repeat` runs
(after one warm-up run).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridmap.stats import PolygonLocator, count_by_polygon

SAMPLE = os.path.join("data", "sample.gpkg")
CENTRE = (24.94, 60.17)  # central Helsinki, the area of the bundled sample
SIDE_M = 1500.0
STREET_HALF_WIDTH_M = 6.0
N_GRIDS = 30
M_PER_DEG_LAT = 111_320.0

T = TypeVar("T")


def synthetic_grids(seed: int) -> gpd.GeoDataFrame:
    """Thirty Voronoi street blocks over a ~1.5 km box, with streets as gaps."""
    rng = np.random.default_rng(seed)
    m_per_deg_lon = M_PER_DEG_LAT * np.cos(np.radians(CENTRE[1]))
    half_x = SIDE_M / 2 / m_per_deg_lon
    half_y = SIDE_M / 2 / M_PER_DEG_LAT
    frame = shapely.box(
        CENTRE[0] - half_x, CENTRE[1] - half_y, CENTRE[0] + half_x, CENTRE[1] + half_y
    )
    seeds = shapely.multipoints(
        np.column_stack(
            [
                rng.uniform(CENTRE[0] - half_x, CENTRE[0] + half_x, N_GRIDS),
                rng.uniform(CENTRE[1] - half_y, CENTRE[1] + half_y, N_GRIDS),
            ]
        )
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    # Shrink in metres-ish: scale longitude so that the buffer is round on the ground.
    scale = m_per_deg_lon / M_PER_DEG_LAT
    ground = shapely.transform(cells, lambda xy: xy * [scale, 1.0])
    ground = shapely.buffer(ground, -STREET_HALF_WIDTH_M / M_PER_DEG_LAT, quad_segs=4)
    blocks = shapely.transform(ground, lambda xy: xy / [scale, 1.0])
    codes = [f"110101001001{i + 1:03d}" for i in range(len(blocks))]
    return gpd.GeoDataFrame({"grid_code": codes}, geometry=blocks, crs="EPSG:4326")


def load_grids(seed: int) -> tuple[gpd.GeoDataFrame, str]:
    if os.path.exists(SAMPLE):
        try:
            layers = {name for name, _ in pyogrio.list_layers(SAMPLE)}
        except (pyogrio.errors.DataSourceError, OSError):  # unreadable: use synthetic grids
            layers = set()
        if "grids" in layers:
            grids = gpd.read_file(SAMPLE, layer="grids").to_crs("EPSG:4326")
            if "grid_code" not in grids.columns:
                grids["grid_code"] = [f"g{i}" for i in range(len(grids))]
            return grids.reset_index(drop=True), f"{SAMPLE} (layer grids)"
    return synthetic_grids(seed), "synthetic Voronoi street blocks"


def best_of(repeat: int, func: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result = func()
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    grids, source = load_grids(args.seed)
    rng = np.random.default_rng(args.seed + 1)
    xmin, ymin, xmax, ymax = grids.total_bounds
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            rng.uniform(xmin, xmax, args.points), rng.uniform(ymin, ymax, args.points)
        ),
        crs=grids.crs,
    )
    ids = pd.Index(grids["grid_code"], name="grid_code")

    def ours() -> pd.Series:
        return count_by_polygon(points, grids)["count"]

    def with_sjoin() -> pd.Series:
        joined = gpd.sjoin(points, grids[["grid_code", "geometry"]], predicate="within")
        counts = joined["grid_code"].value_counts()
        return counts.reindex(ids, fill_value=0).astype("int64").rename("count")

    t_ours, c_ours = best_of(args.repeat, ours)
    t_sjoin, c_sjoin = best_of(args.repeat, with_sjoin)
    pd.testing.assert_series_equal(c_ours, c_sjoin, check_names=False)

    t_build, locator = best_of(args.repeat, lambda: PolygonLocator(grids))
    t_cached, _ = best_of(args.repeat, lambda: count_by_polygon(points, grids, locator=locator))
    print(f"grids:  {len(grids)} from {source}; {locator!r}")
    print(
        f"points: {args.points:,} uniform over the grids' bounds, {int(c_ours.sum()):,} in a grid"
    )
    print(f"count_by_polygon (incl. locator build {t_build * 1000:.0f} ms): {t_ours:.3f} s")
    print(f"count_by_polygon with a cached locator: {t_cached:.3f} s")
    print(f"geopandas.sjoin(predicate='within') + value_counts: {t_sjoin:.3f} s")
    print(f"ratio sjoin / ours: {t_sjoin / t_ours:.1f}x   (counts equal: yes)")


if __name__ == "__main__":
    main()
