"""Time the KDE heat map: gridmap.hotspots.density.kde_raster against the alternatives.

Run from the repository root::

    python bench/bench_kde.py [--points 1000000] [--size 512] [--seed 0] [--repeat 7]

A million synthetic incidents (twenty Gaussian clusters of 30-300 m plus a uniform background,
seeded) in UTM zone 50N (EPSG:32650, around Guangzhou; nothing depends on the place) on a
512 × 512 raster of 10 m cells with a 50 m bandwidth, all methods with the same cells and
bandwidth, in the same run:

* ``ours``: :func:`kde_raster` given the projected x/y array;
* ``ours (GeoSeries)``: the same given a GeoSeries already in the metric CRS;
* ``bound``: the bare minimum of the method: cell indices, ``numpy.bincount``,
  ``scipy.ndimage.gaussian_filter`` — no checks, no result object;
* ``histogram2d``: ``numpy.histogram2d`` binning, the same filter;
* ``KDEpy FFTKDE``: linear binning and FFT convolution on the cells' centres.

Prints the best of `--repeat` interleaved rounds (after a warm-up), ratios to ours, and the largest
density difference from ours relative to ours' peak (all cells, and the largest relative
difference over cells above 1 % of the peak). scikit-learn's ``KernelDensity`` (an exact sum
of kernels, a KD-tree) is too slow for a million points: it is the exact reference on a
subsample, evaluated on every 4th cell, and its error against ours on the same subsample is
printed.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
from KDEpy import FFTKDE
from scipy import ndimage
from sklearn.neighbors import KernelDensity

from gridmap.hotspots.density import TRUNCATE, kde_raster

CRS = "EPSG:32650"
ORIGIN = (500_000.0, 2_560_000.0)  # UTM 50N, Guangzhou
CELL = 10.0
BANDWIDTH = 50.0


def synthetic_points(n: int, size: int, seed: int) -> np.ndarray:
    """`n` points in clusters plus background, inside the raster less a 5-bandwidth margin."""
    rng = np.random.default_rng(seed)
    side = size * CELL
    margin = 5 * BANDWIDTH
    lo = np.array(ORIGIN) + margin
    hi = np.array(ORIGIN) + side - margin
    n_bg = n // 5
    centres = rng.uniform(lo + 300, hi - 300, (20, 2))
    spreads = rng.uniform(30, 300, 20)
    which = rng.integers(0, 20, n - n_bg)
    clustered = centres[which] + rng.normal(size=(n - n_bg, 2)) * spreads[which, None]
    xy = np.vstack([clustered, rng.uniform(lo, hi, (n_bg, 2))])
    keep = ((xy > lo) & (xy < hi)).all(axis=1)
    return np.ascontiguousarray(xy[keep])


def bound(xy: np.ndarray, bounds: tuple[float, ...], size: int) -> np.ndarray:
    """The method's bare minimum: indices, bincount, filter."""
    minx, _, _, maxy = bounds
    col = ((xy[:, 0] - minx) / CELL).astype(np.intp)
    row = ((maxy - xy[:, 1]) / CELL).astype(np.intp)
    grid = np.bincount(row * size + col, minlength=size * size).astype(float)
    grid = grid.reshape(size, size)
    return ndimage.gaussian_filter(grid, BANDWIDTH / CELL, mode="constant", truncate=TRUNCATE) * (
        1e6 / CELL**2
    )


def histogram2d(xy: np.ndarray, bounds: tuple[float, ...], size: int) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    hist, _, _ = np.histogram2d(
        xy[:, 1], xy[:, 0], bins=[size, size], range=[[miny, maxy], [minx, maxx]]
    )
    hist = hist[::-1]  # rows north to south like ours
    return ndimage.gaussian_filter(hist, BANDWIDTH / CELL, mode="constant", truncate=TRUNCATE) * (
        1e6 / CELL**2
    )


def fftkde(xy: np.ndarray, grid_points: np.ndarray, size: int) -> np.ndarray:
    dens = FFTKDE(kernel="gaussian", bw=BANDWIDTH).fit(xy).evaluate(grid_points)
    # grid_points are x-major (itertools.product(xs, ys)): reshape to (x, y), then to image
    img = dens.reshape(size, size).T[::-1]
    return img * len(xy) * 1e6


def differences(other: np.ndarray, ours: np.ndarray) -> tuple[float, float]:
    peak = ours.max()
    of_peak = float(np.abs(other - ours).max() / peak)
    big = ours > 0.01 * peak
    rel = float((np.abs(other - ours)[big] / ours[big]).max())
    return of_peak, rel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sample", type=int, default=5_000, help="points for scikit-learn")
    args = parser.parse_args()

    size = args.size
    xy = synthetic_points(args.points, size, args.seed)
    bounds = (ORIGIN[0], ORIGIN[1], ORIGIN[0] + size * CELL, ORIGIN[1] + size * CELL)
    series = gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=CRS)
    xs = bounds[0] + (np.arange(size) + 0.5) * CELL
    ys = bounds[1] + (np.arange(size) + 0.5) * CELL
    grid_points = np.array(list(itertools.product(xs, ys)))
    print(
        f"{len(xy):,} points, {size}×{size} raster of {CELL:g} m cells, "
        f"bandwidth {BANDWIDTH:g} m, {CRS}"
    )

    def ours_fn(pts: Any) -> Callable[[], np.ndarray]:
        return lambda: (
            kde_raster(pts, crs=CRS, cell_size=CELL, bandwidth=BANDWIDTH, bounds=bounds).values
        )

    runs = {
        "ours": ours_fn(xy),
        "ours (GeoSeries)": ours_fn(series),
        "bound": lambda: bound(xy, bounds, size),
        "histogram2d": lambda: histogram2d(xy, bounds, size),
        "KDEpy FFTKDE": lambda: fftkde(xy, grid_points, size),
    }
    # interleaved (one run of each method per round) so a busy machine slows all alike
    outputs = {name: fn() for name, fn in runs.items()}  # warm-up
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeat):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    results = {name: (best[name], outputs[name]) for name in runs}
    t_ours, ours = results["ours"]
    print(f"{'method':<18}{'time':>10}{'÷ ours':>9}{'max|Δ|/peak':>14}{'max rel Δ >1%':>15}")
    for name, (t, img) in results.items():
        of_peak, rel = differences(img, ours)
        print(f"{name:<18}{t * 1e3:>8.1f}ms{t / t_ours:>9.2f}{of_peak:>14.2e}{rel:>15.2e}")
    print(f"ours ÷ bound = {t_ours / results['bound'][0]:.2f} (target ≤ 1.5)")

    # exact reference on a subsample
    rng = np.random.default_rng(args.seed + 1)
    sub = xy[rng.choice(len(xy), args.sample, replace=False)]
    small = kde_raster(sub, crs=CRS, cell_size=CELL, bandwidth=BANDWIDTH, bounds=bounds)
    rows = np.arange(0, size, 4)
    cx, cy = np.meshgrid(xs, ys[::-1][rows])
    cx = cx[:, ::4]
    cy = cy[:, ::4]
    query = np.column_stack([cx.ravel(), cy.ravel()])
    t0 = time.perf_counter()
    kd = KernelDensity(kernel="gaussian", bandwidth=BANDWIDTH).fit(sub)
    exact = np.exp(kd.score_samples(query)) * len(sub) * 1e6
    t_sk = time.perf_counter() - t0
    mine = small.values[rows][:, ::4].ravel()
    err = np.abs(mine - exact).max() / exact.max()
    print(
        f"scikit-learn KernelDensity (exact), {len(sub):,} points × {len(query):,} cells: "
        f"{t_sk:.2f} s; ours' max |Δ| = {err:.2%} of the peak (simple-binning error)"
    )


if __name__ == "__main__":
    main()
