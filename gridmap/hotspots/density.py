"""Kernel density (KDE) rasters of incidents: the street office's heat map.

A heat map of incidents is a Gaussian kernel density estimate on a regular raster in the
workspace's metric CRS. We bin the points to the raster's cells with :func:`numpy.bincount`
and smooth the counts with :func:`scipy.ndimage.gaussian_filter`, a separable convolution:
``O(n + cells × kernel width)`` instead of ``O(n × cells)`` for the exact sum of kernels.
Binning moves each point to its cell's centre, which widens the kernel's variance by about
``cell_size² / 12`` per axis; with the default cell of a fifth of the bandwidth densities
differ from the exact estimate (:class:`sklearn.neighbors.KernelDensity`) by well under 1 %
of the peak (``tests/test_hotspots_density.py`` checks). The same "bin then convolve"
approximation is behind :class:`KDEpy.FFTKDE` and Wand & Jones (1995, *Kernel Smoothing*,
§D) — they use linear binning; ours, simple binning, is several times faster and the
difference is below the binning error at these cell sizes.

Values are **incidents per km²** over whatever period the points given cover (pass one
month's incidents for a per-month density): the raster sums (× cell area) to the number of
points inside its bounds, less the little kernel mass that falls beyond them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
from scipy import ndimage

from gridmap._errors import ValidationError
from gridmap.hotspots._cells import check_metric_crs, check_positive, projected_xy

__all__ = [
    "DEFAULT_CELLS_PER_BANDWIDTH",
    "MAX_RASTER_SIDE",
    "TRUNCATE",
    "DensityRaster",
    "kde_raster",
    "silverman_bandwidth",
]

#: Raster cells per bandwidth when `cell_size` is not given: binning error ≈ (1/5)²/12 of the
#: kernel variance, under 1 % of the peak density.
DEFAULT_CELLS_PER_BANDWIDTH = 5

#: Longest raster side (cells) when `cell_size` is not given; coarser cells beyond that.
MAX_RASTER_SIDE = 2048

#: Kernel cut-off in bandwidths (scipy's default): the Gaussian beyond 4 σ holds 3e-5 of its
#: mass (in 1-D), and the default bounds are padded by as much so no mass is lost.
TRUNCATE = 4.0

_M2_PER_KM2 = 1e6


@dataclass(frozen=True)
class DensityRaster:
    """A kernel density raster in a metric CRS.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float64 array ``(rows, cols)``, incidents per km² over the period of the points
        given. Row 0 is the *northern* edge, column 0 the western (image order): the centre of
        ``values[i, j]`` is ``(minx + (j + 0.5) * cell_size, maxy - (i + 0.5) * cell_size)``.
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` of the raster's outer edges, metres in `crs`.
    crs : pyproj.CRS
        The metric CRS (the workspace's working CRS).
    cell_size : float
        Side of a (square) cell, metres.
    bandwidth : float
        Standard deviation of the Gaussian kernel, metres.
    """

    values: npt.NDArray[np.float64]
    bounds: tuple[float, float, float, float]
    crs: pyproj.CRS
    cell_size: float
    bandwidth: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_size * self.cell_size / _M2_PER_KM2

    def total(self) -> float:
        """The integral of the density over the raster: a number of incidents."""
        return float(self.values.sum() * self.cell_area_km2)

    def centres(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """1-D x of the columns' and y of the rows' centres (metres; y decreasing)."""
        minx, _, _, maxy = self.bounds
        rows, cols = self.shape
        xs = minx + (np.arange(cols) + 0.5) * self.cell_size
        ys = maxy - (np.arange(rows) + 0.5) * self.cell_size
        return xs, ys


def silverman_bandwidth(xy: npt.ArrayLike) -> float:
    """Gaussian kernel bandwidth (m) by Silverman's robust normal-reference rule in 2-D.

    ``h = A · n^(-1/6)`` with ``A = min(σ, IQR / 1.349)`` per axis (Silverman 1986,
    *Density Estimation for Statistics and Data Analysis*, eqs. 3.31 and 4.14; in two
    dimensions the normal-reference constant is 1), combined over the axes by the geometric
    mean for an isotropic kernel. The IQR guards against the long tails of incident data
    (one stray point far away would inflate σ). Falls back to σ when the IQR is 0, and to
    1 m when every point is at the same place.

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Projected coordinates in metres.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(silverman_bandwidth(rng.normal(0, 100, (64, 2))), -1)  # 100 · 64^(-1/6) = 50
    50.0
    """
    pts = np.asarray(xy, dtype=float)
    n = len(pts)
    if n < 2:
        return 1.0
    q75, q25 = np.percentile(pts, [75, 25], axis=0)
    return silverman_from_spread(pts.std(axis=0, ddof=1), q25, q75, n)


def silverman_from_spread(sigma: Any, q25: Any, q75: Any, n: int) -> float:
    """Silverman's rule from the points' spread per axis (``σ`` with ``ddof=1``, linear
    quartiles) and their number: :func:`silverman_bandwidth` without the points, so a
    database's statistics give the same bandwidth (:mod:`gridmap.hotspots.density_store`)."""
    sigma, iqr = np.asarray(sigma, float), (np.asarray(q75, float) - np.asarray(q25, float)) / 1.349
    spread = np.where(iqr > 0, np.minimum(sigma, iqr), sigma)
    a = math.sqrt(float(spread[0]) * float(spread[1]))
    if not a > 0:
        a = float(spread.max())
    if not a > 0:
        return 1.0
    return a * n ** (-1.0 / 6.0)


def kde_raster(
    points: Any,
    *,
    crs: Any,
    cell_size: float | None = None,
    bandwidth: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    weights: npt.ArrayLike | None = None,
) -> DensityRaster:
    """Gaussian kernel density of incidents on a raster, in incidents per km².

    Points are binned to the raster's cells (:func:`numpy.bincount`) and the counts smoothed
    with a Gaussian of standard deviation `bandwidth` (:func:`scipy.ndimage.gaussian_filter`,
    ``mode="constant"``, truncated at :data:`TRUNCATE` bandwidths). See the module docstring
    for the accuracy of the binning.

    Parameters
    ----------
    points : GeoSeries, GeoDataFrame or array of shape (n, 2)
        Incident points. A GeoSeries/GeoDataFrame may be in any CRS (projected to `crs`);
        an array is taken as x, y already in `crs`. Missing/empty geometries and non-finite
        coordinates are skipped.
    crs : CRS-like
        The metric CRS to compute in (the workspace's ``working_crs()``), metres.
    cell_size : float, optional
        Raster cell side in metres. Default: ``bandwidth / 5``, enlarged if needed so the
        raster's longer side has at most :data:`MAX_RASTER_SIDE` cells.
    bandwidth : float, optional
        Kernel standard deviation in metres. Default: :func:`silverman_bandwidth` of the
        points (unweighted).
    bounds : (minx, miny, maxx, maxy), optional
        Raster extent in `crs` (metres). The raster starts at ``(minx, maxy)`` and covers
        whole cells, so its east/south edges may lie up to one cell beyond. Points outside
        are ignored. Default: the points' extent padded by ``TRUNCATE × bandwidth`` and one
        cell, so the raster holds the whole kernel mass.
    weights : array-like, optional
        One non-negative weight per row of `points` (e.g. severity); the raster then sums to
        the total weight instead of the count.

    Returns
    -------
    DensityRaster
        ``values`` in incidents (or weight) per km² over the period the points cover.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [100.0, 0.0]])
    >>> r = kde_raster(xy, crs="EPSG:32650", bandwidth=50, cell_size=10)
    >>> r.shape, round(r.total(), 6)
    ((42, 52), 2.0)
    """
    metric = check_metric_crs(crs)
    cell = check_positive(cell_size, "cell_size", allow_none=True)
    bw = check_positive(bandwidth, "bandwidth", allow_none=True)
    if bounds is not None:
        bounds = _check_bounds(bounds)
    xy, kept = projected_xy(points, metric, "points", return_index=True)
    w: npt.NDArray[np.float64] | None = None
    if weights is not None:
        w = _check_weights(weights, points)[kept]
    if bw is None:
        if len(xy) == 0:
            msg = "`points` is empty: give `bandwidth` to get an all-zero raster"
            raise ValidationError(msg)
        bw = silverman_bandwidth(xy)
    padded = bounds is None
    if bounds is None:
        if len(xy) == 0:
            msg = "`points` is empty: give `bounds` to get an all-zero raster"
            raise ValidationError(msg)
        pad = TRUNCATE * bw
        bounds = (
            float(xy[:, 0].min()) - pad,
            float(xy[:, 1].min()) - pad,
            float(xy[:, 0].max()) + pad,
            float(xy[:, 1].max()) + pad,
        )
    minx, miny, maxx, maxy = bounds
    if cell is None:
        longer = max(maxx - minx, maxy - miny)
        cell = max(bw / DEFAULT_CELLS_PER_BANDWIDTH, longer / (MAX_RASTER_SIDE - 2))
    if padded:
        # one more cell each side: binning moves a point up to half a cell
        minx, miny, maxx, maxy = minx - cell, miny - cell, maxx + cell, maxy + cell
    ncols = max(1, math.ceil((maxx - minx) / cell - 1e-9))
    nrows = max(1, math.ceil((maxy - miny) / cell - 1e-9))
    if ncols * nrows > MAX_RASTER_SIDE * MAX_RASTER_SIDE * 4:
        msg = (
            f"`cell_size` {cell:g} m gives a {nrows} × {ncols} raster over the bounds; "
            "choose a larger cell size"
        )
        raise ValidationError(msg)

    # -- hot path: bin, smooth, scale
    inv = 1.0 / cell
    fx = xy[:, 0] - minx
    fx *= inv
    fy = maxy - xy[:, 1]
    fy *= inv
    if len(fx) and not (fx.min() >= 0 and fx.max() < ncols and fy.min() >= 0 and fy.max() < nrows):
        inside = (fx >= 0) & (fx < ncols) & (fy >= 0) & (fy < nrows)
        fx, fy = fx[inside], fy[inside]
        if w is not None:
            w = w[inside]
    flat = fy.astype(np.intp) * ncols + fx.astype(np.intp)
    grid = np.bincount(flat, weights=w, minlength=nrows * ncols).astype(np.float64, copy=False)
    grid = grid.reshape(nrows, ncols)
    ndimage.gaussian_filter(grid, sigma=bw / cell, mode="constant", truncate=TRUNCATE, output=grid)
    grid *= _M2_PER_KM2 / (cell * cell)
    out_bounds = (minx, maxy - nrows * cell, minx + ncols * cell, maxy)
    return DensityRaster(grid, out_bounds, metric, float(cell), float(bw))


def _check_bounds(bounds: Any) -> tuple[float, float, float, float]:
    try:
        b = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        msg = f"`bounds` must be (minx, miny, maxx, maxy); got {bounds!r}"
        raise ValidationError(msg) from None
    if len(b) != 4 or not all(math.isfinite(v) for v in b) or b[0] >= b[2] or b[1] >= b[3]:
        msg = f"`bounds` must be finite (minx, miny, maxx, maxy) with min < max; got {bounds!r}"
        raise ValidationError(msg)
    return b  # type: ignore[return-value]


def _check_weights(weights: Any, points: Any) -> npt.NDArray[np.float64]:
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != len(points):
        msg = f"`weights` must have one value per point ({len(points)}); got {len(w)}"
        raise ValidationError(msg)
    if not np.isfinite(w).all() or (w < 0).any():
        msg = "`weights` must be finite and non-negative"
        raise ValidationError(msg)
    return w
