"""Time a versioned write into a workspace against GDAL writing the same layer directly.

Run from the repository root::

    python bench/bench_store.py [--rows 1000000] [--seed 0] [--repeat 3]

Ours (:meth:`gridmap.store.GeoPackageStore.write`) writes the layer with GDAL into a
private sidecar GeoPackage and copies the table, its R-tree and metadata into the
workspace by SQL under the write lock (so a concurrent writer can never make GDAL
recreate the workspace). The obvious alternative is what the store did before: GDAL
(pyogrio, Arrow) writing the new table straight into the workspace file. Both write the
same seeded incidents. Prints the best of `--repeat` runs of each and their ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridmap.store import GeoPackageStore


def incidents(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"I{i}" for i in range(n)],
            "category": rng.choice(["theft", "dispute", "noise"], n),
            "occurred_at": pd.Timestamp("2026-03-01")
            + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
        },
        geometry=shapely.points(24.9 + rng.random(n) * 0.1, 60.15 + rng.random(n) * 0.05),
        crs=4326,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = incidents(args.rows, args.seed)
    ours, direct = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "w.gpkg")
        for i in range(args.repeat):
            t0 = time.perf_counter()
            store.write("incidents", frame, message=f"run {i}")
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pyogrio.write_dataframe(
                frame, store.path, layer=f"direct_{i}", driver="GPKG", use_arrow=True
            )
            direct.append(time.perf_counter() - t0)
        assert store.integrity_ok()
    print(f"versioned write of {args.rows:,} incidents (best of {args.repeat})")
    print(f"  gridmap store.write (sidecar + SQL copy, locked): {min(ours):.2f} s")
    print(f"  GDAL writing into the workspace directly:        {min(direct):.2f} s")
    print(f"  ratio ours / direct: {min(ours) / min(direct):.2f}")


if __name__ == "__main__":
    main()
