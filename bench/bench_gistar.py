"""Time Gi* on 100,000 cells: gridmap.hotspots.local_stats against esda.G_Local.

Run from the repository root::

    python bench/bench_gistar.py [--rows 316] [--cols 317] [--seed 0] [--repeat 3]

A 316 × 317 lattice of square cells (100,172 cells) with seeded counts (Poisson with a
gamma-distributed, spatially smoothed intensity), queen-contiguity weights plus the focal
cell. Both get the *same* weights: libpysal's ``lat2W(rows, cols, rook=False)`` (built once,
outside the timings). Timed, best of `--repeat` after a warm-up:

* ``esda``: ``esda.G_Local(y, w, transform="B", star=True, permutations=0)`` — binary
  weights, the transform under which esda's z is Ord & Getis' (its default "R" is not; see
  :mod:`gridmap.hotspots.local_stats`);
* ``ours``: :func:`gi_star` + :func:`hotspot_classes` (FDR) given ``w.sparse + I``;
* ``ours incl. weights``: the same plus building the weights from our lattice
  (:meth:`Lattice.neighbours`) instead of libpysal's.

Prints times, the ratio esda ÷ ours, and the largest |Δz|.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import esda
import libpysal
import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from gridmap.hotspots._cells import Lattice
from gridmap.hotspots.local_stats import gi_star, hotspot_classes


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=316)
    parser.add_argument("--cols", type=int, default=317)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows, cols = args.rows, args.cols
    n = rows * cols
    rng = np.random.default_rng(args.seed)
    intensity = ndimage.gaussian_filter(rng.gamma(0.5, 4.0, (rows, cols)), 3) * 3
    y = rng.poisson(intensity).ravel().astype(float)
    t0 = time.perf_counter()
    w = libpysal.weights.lat2W(rows, cols, rook=False)
    t_w = time.perf_counter() - t0
    wstar = (w.sparse + sp.identity(n)).tocsr()
    print(f"{n:,} cells, {w.s0:,.0f} neighbour pairs; libpysal lat2W took {t_w:.2f} s (untimed)")

    def run_esda() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return esda.G_Local(y, w, transform="B", star=True, permutations=0).Zs

    def run_ours() -> np.ndarray:
        z, p = gi_star(y, wstar)
        hotspot_classes(z, p, fdr=True)
        return z

    lattice = Lattice("square", 100.0, 0.0, 0.0, rows, cols)
    cells = np.arange(n)

    def run_ours_weights() -> np.ndarray:
        weights = lattice.neighbours(cells, lattice.contiguity_distance)
        z, p = gi_star(y, weights)
        hotspot_classes(z, p, fdr=True)
        return z

    t_esda, z_esda = best_of(run_esda, args.repeat)
    t_ours, z_ours = best_of(run_ours, args.repeat)
    t_ours_w, z_ours_w = best_of(run_ours_weights, args.repeat)
    print(f"{'esda G_Local(star, B)':<26}{t_esda * 1e3:>10.1f} ms")
    print(f"{'ours':<26}{t_ours * 1e3:>10.1f} ms   esda ÷ ours = {t_esda / t_ours:.0f}×")
    print(
        f"{'ours incl. weights':<26}{t_ours_w * 1e3:>10.1f} ms   "
        f"esda ÷ ours = {t_esda / t_ours_w:.0f}× (target ≥ 50×)"
    )
    print(
        f"max |Δz| vs esda: {np.abs(z_ours - z_esda).max():.2e} (libpysal weights), "
        f"{np.abs(z_ours_w - z_esda).max():.2e} (our lattice weights)"
    )


if __name__ == "__main__":
    main()
