"""Kernel density of a workspace's incidents from cell counts made in the store.

:func:`gridmap.hotspots.density.kde_raster` bins points to raster cells and smooths the
counts with a Gaussian. On a PostGIS workspace of millions of incidents the binning is
done in the database (:meth:`gridmap.store.WorkspaceStore.aggregate_points`, on the
working-CRS coordinates the store keeps with each point) and only the non-empty cells
travel; :func:`kde_from_counts` then smooths them exactly as :func:`kde_raster` does
(:func:`scipy.ndimage.gaussian_filter`, ``mode="constant"``, truncated at
:data:`~gridmap.hotspots.density.TRUNCATE` bandwidths). With the raster aligned on
multiples of the cell size, both give the same densities (``tests/test_scale_pages.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyproj
from scipy import ndimage

from gridmap._errors import ValidationError
from gridmap._validate import check_positive
from gridmap.hotspots._cells import check_metric_crs
from gridmap.hotspots.density import (
    MAX_RASTER_SIDE,
    TRUNCATE,
    DensityRaster,
    silverman_from_spread,
)
from gridmap.store import WorkspaceStore
from gridmap.store._base import Between, Where

_M2_PER_KM2 = 1e6


def aligned_bounds(
    ix: np.ndarray, iy: np.ndarray, *, cell: float, bandwidth: float
) -> tuple[float, float, float, float]:
    """The raster extent :func:`kde_from_counts` uses for cells ``ix``, ``iy``: the
    occupied cells padded by ``TRUNCATE × bandwidth`` and one cell, on multiples of `cell`
    (pass it as ``bounds`` to :func:`~gridmap.hotspots.density.kde_raster` to get the same
    raster from the rows)."""
    pad = math.ceil(TRUNCATE * bandwidth / cell) + 1
    return (
        float((ix.min() - pad) * cell),
        float((iy.min() - pad) * cell),
        float((ix.max() + 1 + pad) * cell),
        float((iy.max() + 1 + pad) * cell),
    )


def kde_from_counts(
    counts: pd.DataFrame, *, cell: float, crs: pyproj.CRS | str | int, bandwidth: float
) -> DensityRaster:
    """Gaussian kernel density (incidents per km²) from cell counts.

    Parameters
    ----------
    counts : DataFrame
        ``ix``, ``iy``, ``count``: points in cell ``ix*cell <= x < (ix+1)*cell`` (same in
        y), as :meth:`~gridmap.store.WorkspaceStore.aggregate_points` returns; non-empty.
    cell : float
        The cell side the counts were made with, metres of `crs`.
    crs : CRS-like
        The metric CRS the counts were made in (the working CRS).
    bandwidth : float
        Kernel standard deviation, metres.

    Returns
    -------
    DensityRaster
        Bounds :func:`aligned_bounds`; values as :func:`~gridmap.hotspots.density.kde_raster`.

    Raises
    ------
    ValidationError
        when `counts` is empty or lacks its columns, `cell` or `bandwidth` is not
        positive, or the raster would be too large.
    """
    metric = check_metric_crs(crs)
    cell = check_positive(cell, "cell", allow_none=False)
    bandwidth = check_positive(bandwidth, "bandwidth", allow_none=False)
    if not {"ix", "iy", "count"} <= set(counts.columns) or not len(counts):
        msg = "`counts` must be non-empty with columns ix, iy and count"
        raise ValidationError(msg)
    ix, iy = counts["ix"].to_numpy(np.int64), counts["iy"].to_numpy(np.int64)
    minx, miny, maxx, maxy = aligned_bounds(ix, iy, cell=cell, bandwidth=bandwidth)
    ncols, nrows = round((maxx - minx) / cell), round((maxy - miny) / cell)
    if ncols * nrows > MAX_RASTER_SIDE * MAX_RASTER_SIDE * 4:
        msg = f"`cell` {cell:g} m gives a {nrows} × {ncols} raster; choose a larger cell"
        raise ValidationError(msg)
    col = ix - round(minx / cell)
    row = round(maxy / cell) - 1 - iy  # row 0 is the northern edge
    grid = np.bincount(
        row * ncols + col, weights=counts["count"].to_numpy(np.float64), minlength=nrows * ncols
    ).reshape(nrows, ncols)
    sigma = bandwidth / cell
    ndimage.gaussian_filter(grid, sigma=sigma, mode="constant", truncate=TRUNCATE, output=grid)
    grid *= _M2_PER_KM2 / (cell * cell)
    return DensityRaster(grid, (minx, miny, maxx, maxy), metric, float(cell), float(bandwidth))


def store_density(
    store: WorkspaceStore,
    *,
    bandwidth: float,
    cell: float | None = None,
    where: Where | None = None,
    between: Between | None = None,
) -> DensityRaster | None:
    """The heat map of `store`'s incidents, binned by the store (in the database on
    PostGIS) and smoothed here.

    Parameters
    ----------
    store : WorkspaceStore
        The workspace; its working CRS is the raster's.
    bandwidth : float
        Kernel standard deviation, metres.
    cell : float, optional
        Cell side in metres; default ``bandwidth / 5``
        (:data:`~gridmap.hotspots.density.DEFAULT_CELLS_PER_BANDWIDTH`).
    where, between : mapping, optional
        Filters on the incidents, as in :meth:`~gridmap.store.WorkspaceStore.count_by`.

    Returns
    -------
    DensityRaster or None
        None when no incident passes the filters.
    """
    from gridmap.hotspots.density import DEFAULT_CELLS_PER_BANDWIDTH

    bandwidth = check_positive(bandwidth, "bandwidth", allow_none=False)
    cell = check_positive(cell, "cell", allow_none=True) or bandwidth / DEFAULT_CELLS_PER_BANDWIDTH
    crs = store.working_crs()
    counts = store.aggregate_points(
        "incidents", cell=float(cell), crs=crs, where=where, between=between
    )
    if not len(counts):
        return None
    return kde_from_counts(counts, cell=float(cell), crs=crs, bandwidth=bandwidth)


# ---------------------------------------------------------------------------------------
# the Heatmaps page's raster, the same from the rows and from the store's counts


def silverman_from_statistics(stats: dict[str, float]) -> float:
    """:func:`~gridmap.hotspots.density.silverman_bandwidth` from the points' spread
    (:meth:`~gridmap.store.WorkspaceStore.point_statistics`) instead of the points: the
    same rule, term by term (``σ`` with ``ddof=1``, linear quartiles)."""
    n = int(stats["n"])
    if n < 2:
        return 1.0
    return silverman_from_spread(
        [stats["std_x"], stats["std_y"]],
        [stats["q25_x"], stats["q25_y"]],
        [stats["q75_x"], stats["q75_y"]],
        n,
    )


def raster_box(
    stats: dict[str, float],
    *,
    cell: float,
    bandwidth: float,
    area: tuple[float, float, float, float] | None = None,
) -> tuple[int, int, int, int]:
    """The Heatmaps raster's extent in whole cells ``(col0, row0, col1, row1)``: cell
    ``i`` spans ``i*cell <= x < (i+1)*cell``, the raster ``col0 … col1 - 1``.

    With an `area` (the chosen grids' box), the area and the points' extent plus a cell
    each side (the kernel spills outside, the image is masked to the area); without one,
    the points' extent padded by :data:`~gridmap.hotspots.density.TRUNCATE` bandwidths
    and a cell, as :func:`~gridmap.hotspots.density.kde_raster` pads. On whole cells so
    that counts binned by ``floor(x / cell)`` (in the database or in numpy) fall in the
    same raster cells.
    """
    lo_x, lo_y, hi_x, hi_y = stats["min_x"], stats["min_y"], stats["max_x"], stats["max_y"]
    if area is None:
        pad = TRUNCATE * bandwidth
        lo_x, lo_y, hi_x, hi_y = lo_x - pad, lo_y - pad, hi_x + pad, hi_y + pad
    else:
        lo_x, lo_y = min(lo_x, area[0]), min(lo_y, area[1])
        hi_x, hi_y = max(hi_x, area[2]), max(hi_y, area[3])
    return (
        math.floor(lo_x / cell) - 1,
        math.floor(lo_y / cell) - 1,
        math.floor(hi_x / cell) + 2,
        math.floor(hi_y / cell) + 2,
    )


def raster_from_counts(
    counts: pd.DataFrame,
    box: tuple[int, int, int, int],
    *,
    cell: float,
    bandwidth: float,
    crs: pyproj.CRS | str | int,
    weight: float = 1.0,
) -> DensityRaster:
    """The density raster over `box` (:func:`raster_box`) from cell counts (``ix``,
    ``iy``, ``count`` as :meth:`~gridmap.store.WorkspaceStore.aggregate_points` returns),
    each incident weighing `weight`; smoothed as
    :func:`~gridmap.hotspots.density.kde_raster` smooths. Counts outside `box` are left
    out (as points outside its bounds).

    Raises
    ------
    ValidationError
        when the raster would be too large for `cell`.
    """
    metric = check_metric_crs(crs)
    col0, row0, col1, row1 = box
    ncols, nrows = col1 - col0, row1 - row0
    if ncols * nrows > MAX_RASTER_SIDE * MAX_RASTER_SIDE * 4:
        msg = f"`cell` {cell:g} m gives a {nrows} × {ncols} raster; choose a larger cell"
        raise ValidationError(msg)
    ix, iy = counts["ix"].to_numpy(np.int64), counts["iy"].to_numpy(np.int64)
    inside = (ix >= col0) & (ix < col1) & (iy >= row0) & (iy < row1)
    col, row = ix[inside] - col0, row1 - 1 - iy[inside]  # row 0 is the northern edge
    grid = np.bincount(
        row * ncols + col,
        weights=counts["count"].to_numpy(np.float64)[inside],
        minlength=nrows * ncols,
    ).reshape(nrows, ncols)
    grid *= weight
    ndimage.gaussian_filter(
        grid, sigma=bandwidth / cell, mode="constant", truncate=TRUNCATE, output=grid
    )
    grid *= _M2_PER_KM2 / (cell * cell)
    bounds = (col0 * cell, row0 * cell, col1 * cell, row1 * cell)
    return DensityRaster(grid, bounds, metric, float(cell), float(bandwidth))
