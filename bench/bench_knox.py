"""Time the Knox near-repeat test: gridmap.hotspots.repeats.knox_test on 20,000 events.

Run from the repository root::

    python bench/bench_knox.py [--events 20000] [--permutations 99] [--side-km 6] [--seed 0]
                               [--subset 1500] [--sample]

Events are spread uniformly over a square of `--side-km` (in UTM zone 50N, around Beijing:
the code never assumes the sample's Helsinki) over 365 days, and a tenth of them are near
repeats (5-60 m and 0.5-6 days after an earlier event), so the test has something to find.
Bands: 0-400 m by 100 m × 0-28 days by 7 days (the Near Repeat Calculator's usual shape).

Then, on the first `--subset` events, the same table is counted naively (all pairs from a full
distance matrix, each permutation recomputing every pair) to check the counts agree and show
what the k-d tree + permuted pair list saves. `--sample` also times the bundled sample's
incidents (24,000 in ~2 × 3 km: many more pairs per event).
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from gridmap.hotspots.repeats import knox_test

D_EDGES = (0, 100, 200, 300, 400)
T_EDGES = (0, 7, 14, 21, 28)


def synthetic(n: int, side_m: float, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n_repeat = n // 10
    n_base = n - n_repeat
    x = rng.uniform(0, side_m, n_base) + 440_000
    y = rng.uniform(0, side_m, n_base) + 4_420_000
    days = rng.uniform(0, 365, n_base)
    parent = rng.integers(0, n_base, n_repeat)
    angle = rng.uniform(0, 2 * np.pi, n_repeat)
    dist = rng.uniform(5, 60, n_repeat)
    x = np.concatenate([x, x[parent] + dist * np.cos(angle)])
    y = np.concatenate([y, y[parent] + dist * np.sin(angle)])
    days = np.concatenate([days, days[parent] + rng.uniform(0.5, 6, n_repeat)])
    occurred = pd.Timestamp("2025-01-01") + pd.to_timedelta(days * 86400, unit="s")
    return gpd.GeoDataFrame(
        {"occurred_at": occurred}, geometry=gpd.points_from_xy(x, y), crs="EPSG:32650"
    )


def naive_table(xy: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Observed counts from every pair (a condensed distance matrix), bands by digitize."""
    dist = pdist(xy)
    gap = pdist(days[:, None])
    d_band = np.digitize(dist, D_EDGES[1:-1], right=True)
    t_band = np.digitize(gap, T_EDGES[1:-1], right=True)
    keep = (dist <= D_EDGES[-1]) & (gap <= T_EDGES[-1])
    table = np.zeros((len(D_EDGES) - 1, len(T_EDGES) - 1), dtype=np.int64)
    np.add.at(table, (d_band[keep], t_band[keep]), 1)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--permutations", type=int, default=99)
    parser.add_argument("--side-km", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--subset", type=int, default=1500)
    parser.add_argument("--sample", action="store_true")
    args = parser.parse_args()

    events = synthetic(args.events, args.side_km * 1000, args.seed)
    start = time.perf_counter()
    result = knox_test(
        events,
        distance_bands=D_EDGES,
        time_bands=T_EDGES,
        permutations=args.permutations,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - start
    print(
        f"knox_test: {result.n_events} events, {result.n_pairs:,} pairs within "
        f"{D_EDGES[-1]} m, {args.permutations} permutations: {elapsed:.2f} s"
    )
    print("Knox ratios:\n" + result.ratio.round(2).to_string())
    print("p-values:\n" + result.p_value.round(3).to_string())

    subset = events.iloc[: args.subset]
    xy = np.column_stack([subset.geometry.x, subset.geometry.y])
    days = (subset["occurred_at"] - subset["occurred_at"].min()).dt.total_seconds() / 86400
    days = days.to_numpy()
    start = time.perf_counter()
    ours = knox_test(
        subset, distance_bands=D_EDGES, time_bands=T_EDGES, permutations=args.permutations
    )
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    naive = naive_table(xy, days)
    rng = np.random.default_rng(args.seed)
    for _ in range(args.permutations):
        naive_table(xy, rng.permutation(days))
    naive_s = time.perf_counter() - start
    same = np.array_equal(naive, ours.observed.to_numpy())
    print(
        f"subset of {args.subset}: observed counts equal the naive all-pairs count: {same}; "
        f"ours {ours_s:.2f} s, naive all-pairs {naive_s:.2f} s "
        f"({args.permutations} permutations each)"
    )
    if not same:
        raise SystemExit("observed counts differ from the naive count")

    if args.sample:
        from gridmap.datasets import get_path
        from gridmap.store import GeoPackageStore

        incidents = GeoPackageStore(get_path("helsinki"), create=False).read("incidents")
        start = time.perf_counter()
        result = knox_test(
            incidents,
            distance_bands=D_EDGES,
            time_bands=T_EDGES,
            permutations=args.permutations,
            seed=args.seed,
        )
        elapsed = time.perf_counter() - start
        print(
            f"sample: {result.n_events} events, {result.n_pairs:,} pairs within "
            f"{D_EDGES[-1]} m: {elapsed:.2f} s"
        )


if __name__ == "__main__":
    main()
