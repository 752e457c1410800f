"""The PostGIS store against the GeoPackage store: writes, and the pages' aggregations.

Run from the repository root, with a PostgreSQL + PostGIS server (``make postgis``)::

    GRIDMAP_TEST_POSTGRES=$(cat .postgis/url) python bench/bench_postgis.py \
        [--write-rows 1000000] [--rows 5000000] [--seed 0]

1. **Write**: one versioned write of `--write-rows` seeded incidents into each store
   (GeoPackage: GDAL sidecar + SQL copy; PostGIS: ``COPY`` + GiST index, one
   transaction).
2. **Pages** on `--rows` incidents (default 5,000,000, a year of a city district):
   the Overview's figures (incidents per category in the last 30 days and the 30 before,
   and the total, through :meth:`~gridmap.store.WorkspaceStore.count_by`; per grid of
   108, through :meth:`~gridmap.store.WorkspaceStore.count_in_polygons`), and the heatmap
   page's aggregation (100 m KDE cell counts of the last 12 weeks in the working CRS,
   plus the weekly series by category) through
   :meth:`~gridmap.store.WorkspaceStore.aggregate_points`. PostGIS counts in the
   database; the GeoPackage store reads the columns it needs and counts with
   pandas/numpy; the third line is what the pages do today, reading the whole layer.
   Both stores must return the same numbers (checked). Target: PostGIS ≤ 5 s.

Prints seconds and the ratios GeoPackage / PostGIS.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.hotspots.density import kde_raster
from gridmap.hotspots.density_store import aligned_bounds, store_density
from gridmap.overview import build_overview
from gridmap.overview_store import overview_from_store
from gridmap.store import GeoPackageStore, PostGISStore, WorkspaceStore

END = pd.Timestamp("2026-12-31")


def incidents(n: int, seed: int) -> gpd.GeoDataFrame:
    """`n` seeded incidents over a year, clustered in a 12 × 9 km district of Beijing."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack([116.38 + rng.random(40) * 0.14, 39.86 + rng.random(40) * 0.08])
    which = rng.integers(0, len(centres), n)
    spread = rng.normal(0, 0.004, (n, 2))
    lon, lat = centres[which, 0] + spread[:, 0], centres[which, 1] + spread[:, 1]
    return gpd.GeoDataFrame(
        {
            "incident_id": np.char.add("I", np.arange(n).astype(str)),
            "category": rng.choice(["theft", "fraud", "dispute", "noise", "fight"], n),
            "occurred_at": END - pd.to_timedelta(rng.integers(0, 86400 * 365, n), unit="s"),
        },
        geometry=shapely.points(lon, lat),
        crs=4326,
    )


def grids() -> gpd.GeoDataFrame:
    """12 × 9 square grids of about 1 km tiling the district, edge to edge."""
    xs, ys = np.linspace(116.37, 116.53, 13), np.linspace(39.85, 39.95, 10)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(12) for j in range(9)]
    codes = [f"110105{1 + k // 36:03d}{1 + k // 12 % 3:03d}{1 + k % 12:03d}" for k in range(108)]
    return gpd.GeoDataFrame({"grid_code": codes}, geometry=cells, crs=4326)


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def overview(store: WorkspaceStore) -> pd.DataFrame:
    """The Overview's key figures: per category, last 30 days and the 30 before, and the
    incidents of the last 30 days per grid (the map's colours)."""
    current = store.count_by(
        "incidents", ["category"], between={"occurred_at": (END - pd.Timedelta(days=30), END)}
    )
    previous = store.count_by(
        "incidents",
        ["category"],
        between={"occurred_at": (END - pd.Timedelta(days=60), END - pd.Timedelta(days=30))},
    )
    table = current.merge(previous, on="category", suffixes=("_current", "_previous"))
    table["total"] = int(store.count_by("incidents")["count"].iloc[0])
    per_grid = store.count_in_polygons(
        "incidents",
        "grids",
        "grid_code",
        between={"occurred_at": (END - pd.Timedelta(days=30), END)},
    )
    return table, per_grid


def heatmap(store: WorkspaceStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The heatmap page: 100 m KDE cell counts and the weekly series, last 12 weeks."""
    window = {"occurred_at": (END - pd.Timedelta(weeks=12), END)}
    cells = store.aggregate_points("incidents", cell=100.0, between=window)
    weekly = store.count_by(
        "incidents", ["category"], between=window, time_bin=("occurred_at", "week")
    )
    return cells, weekly


def overview_page(store: WorkspaceStore):  # type: ignore[no-untyped-def]
    """What the Overview page computes on each backend: on PostGIS the figures counted in
    the database (:func:`gridmap.overview_store.overview_from_store`), on GeoPackage
    :func:`gridmap.overview.build_overview` over the layers read whole (as today)."""
    if isinstance(store, PostGISStore):
        return overview_from_store(store)
    return build_overview(
        store.read("grids"), store.read("incidents"), metric_crs=store.working_crs()
    )


def heatmap_page(store: WorkspaceStore):  # type: ignore[no-untyped-def]
    """The heat map's density raster (150 m bandwidth, 30 m cells, last 12 weeks): on
    PostGIS from the database's cell counts (:func:`store_density`), on GeoPackage
    :func:`kde_raster` over the incidents read whole (as the page does today)."""
    window = {"occurred_at": (END - pd.Timedelta(weeks=12), END)}
    if isinstance(store, PostGISStore):
        return store_density(store, bandwidth=150.0, cell=30.0, between=window)
    rows = store.read("incidents")
    rows = rows[(rows["occurred_at"] >= window["occurred_at"][0]) & (rows["occurred_at"] < END)]
    xy = rows.to_crs(store.working_crs()).geometry
    ix, iy = (np.floor(v.to_numpy() / 30.0).astype("int64") for v in (xy.x, xy.y))
    bounds = aligned_bounds(ix, iy, cell=30.0, bandwidth=150.0)
    return kde_raster(rows, crs=store.working_crs(), bandwidth=150.0, cell_size=30.0, bounds=bounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-rows", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-gpkg-counts",
        action="store_true",
        help="skip the store's Overview counts on GeoPackage (233 s at 5M rows)",
    )
    args = parser.parse_args()
    base = os.environ.get("GRIDMAP_TEST_POSTGRES")
    if not base:
        print("set GRIDMAP_TEST_POSTGRES=postgresql://… (make postgis)", file=sys.stderr)
        return 2
    url = f"{base}{'&' if '?' in base else '?'}schema=bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = GeoPackageStore(Path(tmp) / "bench.gpkg")
        pg = PostGISStore(url)
        try:
            small = incidents(args.write_rows, args.seed)
            t_gpkg, _ = timed(lambda: gpkg.write("incidents", small, message="write bench"))
            t_pg, _ = timed(lambda: pg.write("incidents", small, message="write bench"))
            print(f"write {args.write_rows:,} incidents (one versioned write)")
            print(f"  GeoPackage store: {t_gpkg:6.2f} s")
            print(
                f"  PostGIS store:    {t_pg:6.2f} s   ratio GeoPackage/PostGIS {t_gpkg / t_pg:.2f}"
            )

            for store in (gpkg, pg):
                store.write("grids", grids(), message="grids")
            big = incidents(args.rows, args.seed + 1)
            t_gpkg, _ = timed(lambda: gpkg.write("incidents", big, message="pages bench"))
            t_pg, _ = timed(lambda: pg.write("incidents", big, message="pages bench"))
            print(f"write {args.rows:,} incidents: GeoPackage {t_gpkg:.1f} s, PostGIS {t_pg:.1f} s")

            print(f"pages on {args.rows:,} incidents")
            jobs = [("heatmap aggregation", heatmap)]
            if not args.skip_gpkg_counts:
                jobs.insert(0, ("Overview figures", overview))
            for name, job in jobs:
                t_g, got_g = timed(lambda job=job: job(gpkg))
                t_p, got_p = timed(lambda job=job: job(pg))
                for left, right in zip(
                    got_g if isinstance(got_g, tuple) else [got_g],
                    got_p if isinstance(got_p, tuple) else [got_p],
                    strict=True,
                ):
                    pd.testing.assert_frame_equal(
                        left.reset_index(drop=True),
                        right.reset_index(drop=True),
                        check_dtype=False,
                    )
                print(f"  {name}:")
                print(f"    GeoPackage (read columns, pandas): {t_g:6.2f} s")
                print(
                    f"    PostGIS (in the database):          {t_p:6.2f} s"
                    f"   ratio {t_g / t_p:.1f}   target ≤ 5 s: {'met' if t_p <= 5 else 'MISSED'}"
                )
            t_g, got_g = timed(lambda: overview_page(gpkg))
            t_p, got_p = timed(lambda: overview_page(pg))
            pd.testing.assert_frame_equal(got_g.kpis, got_p.kpis, check_index_type=False)
            assert got_g.grids["incidents"].tolist() == got_p.grids["incidents"].tolist()
            assert got_g.cells["count"].tolist() == got_p.cells["count"].tolist()
            print("  the Overview page's figures, KPIs + grid counts + map cells (same on both):")
            print(f"    GeoPackage (read the layers, build_overview): {t_g:6.2f} s")
            print(
                f"    PostGIS (overview_from_store):               {t_p:6.2f} s"
                f"   ratio {t_g / t_p:.1f}   target ≤ 5 s: {'met' if t_p <= 5 else 'MISSED'}"
            )
            t_g, got_g = timed(lambda: heatmap_page(gpkg))
            t_p, got_p = timed(lambda: heatmap_page(pg))
            worst = float(np.abs(got_g.values - got_p.values).max() / got_g.values.max())
            assert worst <= 0.005, worst
            print(f"  the heat map raster (same to {worst:.1e} of the peak on both):")
            print(f"    GeoPackage (read the layer, kde_raster):  {t_g:6.2f} s")
            print(
                f"    PostGIS (store_density):                  {t_p:6.2f} s"
                f"   ratio {t_g / t_p:.1f}   target ≤ 5 s: {'met' if t_p <= 5 else 'MISSED'}"
            )
            t_g, _ = timed(lambda: gpkg.read("incidents"))
            t_p, _ = timed(lambda: pg.read("incidents"))
            print("  the whole layer read (what the pages do today):")
            print(f"    GeoPackage: {t_g:6.2f} s   PostGIS: {t_p:6.2f} s   ratio {t_g / t_p:.2f}")
        finally:
            pg.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
