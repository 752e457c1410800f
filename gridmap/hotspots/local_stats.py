"""Hot and cold spots of incidents: Getis-Ord Gi* on regular cells, FDR-corrected.

The street office's "where is it significantly worse than around it": incidents are counted
on square or hexagonal cells laid over the area in the metric CRS, and each cell gets the
Getis-Ord Gi* z-score of its neighbourhood (the cell *and* its neighbours) — Getis & Ord
(1992), "The analysis of spatial association by use of distance statistics", *Geographical
Analysis* 24(3); Ord & Getis (1995), *Geographical Analysis* 27(4), eq. (6)/(9)::

    z_i = (Σ_j w_ij x_j - x̄ W_i) / (S √((n S1_i - W_i²) / (n - 1)))

with ``W_i = Σ_j w_ij``, ``S1_i = Σ_j w_ij²``, ``x̄`` the mean and ``S² = Σ x² / n - x̄²``,
over all ``n`` cells, ``j`` including ``i``. This is the statistic of Esri's "Hot Spot
Analysis (Getis-Ord Gi*)" (Esri, "How Hot Spot Analysis (Getis-Ord Gi*) works"); it is
invariant to scaling the weights, so row-standardising binary weights changes nothing. P-values
are two-sided from the normal approximation; classes follow Esri's seven bins
(hot/cold at 99/95/90 % confidence: ±3, ±2, ±1; 0 not significant), by default with the
Benjamini & Hochberg (1995) false-discovery-rate correction applied at each confidence level
(Esri's "Apply False Discovery Rate (FDR) Correction").

A note on esda: ``esda.G_Local`` computes the variance with ``S1_i = W_i``, true for binary
weights only. With its *default* ``transform="R"`` (row-standardised) its z-scores are
therefore not Ord & Getis': they shrink by about ``√(k)`` for ``k`` neighbours. We match
``esda.G_Local(star=True, transform="B")`` to 1e-9 (``tests/test_hotspots_local_stats.py``),
which is the same statistic as ours for any scaling of binary weights.

Cell size, when not given, is the smallest round size at which non-empty cells hold on
average five incidents (keeping at least 30 cells); see
:func:`~gridmap.hotspots._cells.suggest_cell_size`. Neighbours are the queen-contiguous cells
(8 around a square, 6 around a hexagon) unless a distance band is given.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy import special

from gridmap._errors import ValidationError
from gridmap.hotspots._cells import (
    Lattice,
    cells_frame,
    check_metric_crs,
    check_positive,
    keep_cells,
    project_geometry,
    projected_xy,
    suggest_cell_size,
)

__all__ = [
    "CONFIDENCE_LEVELS",
    "DEFAULT_MIN_MEAN_COUNT",
    "GI_LABELS",
    "gi_star",
    "gi_star_hotspots",
    "hotspot_classes",
]

#: Class magnitude → significance level, Esri's hot-spot bins (99, 95, 90 % confidence).
CONFIDENCE_LEVELS = {3: 0.01, 2: 0.05, 1: 0.10}

#: Default target mean incidents per non-empty cell when choosing the cell size.
DEFAULT_MIN_MEAN_COUNT = 5.0

#: Text of each class, Esri's wording.
GI_LABELS = {
    3: "Hot spot - 99% confidence",
    2: "Hot spot - 95% confidence",
    1: "Hot spot - 90% confidence",
    0: "Not significant",
    -1: "Cold spot - 90% confidence",
    -2: "Cold spot - 95% confidence",
    -3: "Cold spot - 99% confidence",
}


def gi_star(
    values: npt.ArrayLike, weights: sp.spmatrix | sp.sparray
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Getis-Ord Gi* z-scores and two-sided normal p-values, vectorised over columns.

    Parameters
    ----------
    values : array-like, shape (n,) or (n, t)
        Counts (or any values) per cell; each column (e.g. a week) is analysed on its own.
    weights : scipy.sparse matrix, shape (n, n)
        Non-negative spatial weights *including the focal cell* (non-zero diagonal), e.g.
        binary distance-band or contiguity weights plus the identity.

    Returns
    -------
    z, p : numpy.ndarray
        Shaped like `values`. Where a column is constant (no variation) z is 0 and p is 1.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> w = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1.0]]))
    >>> z, p = gi_star([0, 0, 1, 5], w)
    >>> z.round(3).tolist()
    [-1.26, -1.698, 0.728, 1.26]
    """
    x = np.asarray(values, dtype=float)
    one_d = x.ndim == 1
    if one_d:
        x = x[:, None]
    if x.ndim != 2 or not np.isfinite(x).all():
        msg = "`values` must be a finite 1-D or 2-D array"
        raise ValidationError(msg)
    n = x.shape[0]
    if not sp.issparse(weights) or weights.shape != (n, n):
        got = getattr(weights, "shape", weights)
        msg = f"`weights` must be a sparse ({n}, {n}) matrix; got {got!r}"
        raise ValidationError(msg)
    if n < 2:
        msg = "`values` must have at least two cells"
        raise ValidationError(msg)
    w = sp.csr_matrix(weights, dtype=float)
    w_sum = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    mean = x.mean(axis=0)
    s = np.sqrt(np.maximum((x * x).mean(axis=0) - mean * mean, 0.0))
    lag = w @ x
    denom = np.sqrt(np.maximum(n * s1 - w_sum * w_sum, 0.0) / (n - 1))
    num = lag - w_sum[:, None] * mean[None, :]
    scale = denom[:, None] * s[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, num / np.where(scale > 0, scale, 1.0), 0.0)
    p = special.erfc(np.abs(z) / np.sqrt(2.0))  # = 2 * norm.sf(|z|)
    if one_d:
        return z[:, 0], p[:, 0]
    return z, p


def hotspot_classes(
    z: npt.ArrayLike, p: npt.ArrayLike, *, fdr: bool = True
) -> npt.NDArray[np.int8]:
    """Esri's seven hot/cold-spot classes (−3..3) from Gi* z-scores and p-values.

    ``±3`` significant at 99 %, ``±2`` at 95 %, ``±1`` at 90 %, sign of ``z``; 0 otherwise.
    With `fdr`, "significant at level α" means rejected by the Benjamini-Hochberg procedure
    at α among all cells of the column (reject ``p_(i)`` for ``i ≤ k``, the largest ``k``
    with ``p_(k) ≤ k α / n``); without it, ``p ≤ α``.

    Parameters
    ----------
    z, p : array-like, shape (n,) or (n, t)
        From :func:`gi_star`; each column is corrected on its own.
    fdr : bool, default True
        Apply the false-discovery-rate correction.

    Returns
    -------
    numpy.ndarray of int8, shaped like `z`.

    Examples
    --------
    >>> hotspot_classes([3.0, -2.0, 0.5], [0.002, 0.04, 0.6], fdr=False).tolist()
    [3, -2, 0]
    """
    zz = np.asarray(z, dtype=float)
    pp = np.asarray(p, dtype=float)
    if zz.shape != pp.shape:
        msg = f"`z` and `p` must have the same shape; got {zz.shape} and {pp.shape}"
        raise ValidationError(msg)
    one_d = zz.ndim == 1
    if one_d:
        zz, pp = zz[:, None], pp[:, None]
    n = pp.shape[0]
    magnitude = np.zeros(pp.shape, dtype=np.int8)
    ordered = np.sort(pp, axis=0) if fdr else None
    for level in (1, 2, 3):  # looser to stricter: stricter levels overwrite
        alpha = CONFIDENCE_LEVELS[level]
        if fdr:
            assert ordered is not None
            line = alpha * np.arange(1, n + 1) / n
            below = ordered <= line[:, None]
            any_below = below.any(axis=0)
            k = n - np.argmax(below[::-1], axis=0)  # largest i (1-based) with p_(i) <= line
            threshold = np.where(any_below, ordered[k - 1, np.arange(pp.shape[1])], -1.0)
            significant = pp <= threshold[None, :]
        else:
            significant = pp <= alpha
        magnitude[significant] = level
    out = (np.sign(zz).astype(np.int8) * magnitude).astype(np.int8)
    return out[:, 0] if one_d else out


def gi_star_hotspots(
    incidents: Any,
    *,
    crs: Any,
    cell_size: float | None = None,
    shape: str = "square",
    distance_band: float | None = None,
    study_area: Any = None,
    fdr: bool = True,
    min_mean_count: float = DEFAULT_MIN_MEAN_COUNT,
) -> gpd.GeoDataFrame:
    """Count incidents on cells and find significant hot and cold spots with Gi*.

    Parameters
    ----------
    incidents : GeoDataFrame or GeoSeries of points
        Any CRS (projected to `crs`); missing/empty geometries are skipped.
    crs : CRS-like
        The metric CRS of the analysis (the workspace's ``working_crs()``).
    cell_size : float, optional
        Cell size in metres (a hexagon of this size has the area of the square). Default:
        the smallest round size with a mean of `min_mean_count` incidents per non-empty
        cell and at least 30 cells (see the module docstring).
    shape : {"square", "hexagon"}
        Cell shape.
    distance_band : float, optional
        Neighbours are the cells whose centres lie within this many metres. Default: queen
        contiguity (cells sharing an edge or a corner). The focal cell is always included.
    study_area : GeoDataFrame, GeoSeries or shapely geometry, optional
        Only cells meeting this area (e.g. the ``grids`` layer) are analysed, so empty sea
        or fields around the street office do not make every street a hot spot. A shapely
        geometry must be in `crs`. Default: every cell over the incidents' extent.
    fdr : bool, default True
        Benjamini-Hochberg correction of each confidence level (see
        :func:`hotspot_classes`).
    min_mean_count : float, default 5
        Target for the default cell size.

    Returns
    -------
    GeoDataFrame
        One row per cell, indexed by ``cell_id`` (``"r<row>c<col>"``), geometry in
        EPSG:4326; columns ``row``, ``col``, ``x``, ``y`` (metric centre), ``count``,
        ``gi_z``, ``gi_p`` (two-sided), ``gi_class`` (int8, −3..3) and ``gi_label``.
        ``attrs`` record ``metric_crs``, ``cell_size``, ``cell_shape``, ``distance_band``
        (metres; the contiguity distance by default) and ``fdr``. ``to_crs(attrs["metric_crs"])``
        gives the cells' metric geometry back.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.uniform(0, 2000, (800, 2)), rng.normal(1000, 60, (200, 2))])
    >>> pts = gpd.GeoSeries.from_xy(xy[:, 0] + 500_000, xy[:, 1], crs="EPSG:32650")
    >>> cells = gi_star_hotspots(pts, crs="EPSG:32650", cell_size=200)
    >>> top = cells.loc[cells["gi_z"].idxmax()]
    >>> int(top["count"]), int(top["gi_class"]), top["gi_label"]
    (52, 3, 'Hot spot - 99% confidence')
    """
    metric = check_metric_crs(crs)
    size = check_positive(cell_size, "cell_size", allow_none=True)
    band = check_positive(distance_band, "distance_band", allow_none=True)
    mean_target = check_positive(min_mean_count, "min_mean_count")
    if shape not in ("square", "hexagon"):
        msg = f'`shape` must be "square" or "hexagon"; got {shape!r}'
        raise ValidationError(msg)
    xy = projected_xy(incidents, metric, "incidents")
    area = None if study_area is None else project_geometry(study_area, metric, "study_area")
    lattice, cells, weights = build_cells(
        xy, shape=shape, size=size, band=band, area=area, min_mean_count=mean_target
    )
    counts = lattice.counts(xy)[cells]
    z, p = gi_star(counts, weights)
    classes = hotspot_classes(z, p, fdr=fdr)
    labels = pd.Categorical.from_codes(classes + 3, [GI_LABELS[k] for k in range(-3, 4)])
    out = cells_frame(
        lattice,
        cells,
        metric,
        {
            "count": counts.astype(np.int64),
            "gi_z": z,
            "gi_p": p,
            "gi_class": classes,
            "gi_label": np.asarray(labels.astype(str)),
        },
    )
    out.attrs.update(
        distance_band=band if band is not None else lattice.contiguity_distance, fdr=fdr
    )
    return out


def build_cells(
    xy: npt.NDArray[np.float64],
    *,
    shape: Any,
    size: float | None,
    band: float | None,
    area: Any,
    min_mean_count: float,
) -> tuple[Lattice, npt.NDArray[np.intp], sp.csr_matrix]:
    """The lattice, the analysed cells (flat indices) and their Gi* weights."""
    if len(xy) == 0:
        msg = "`incidents` has no points with coordinates; nothing to count"
        raise ValidationError(msg)
    if area is not None:
        if area.is_empty:
            msg = "`study_area` is empty"
            raise ValidationError(msg)
        extent = tuple(float(v) for v in area.bounds)
    else:
        extent = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    if size is None:
        size = suggest_cell_size(xy, shape=shape, min_mean_count=min_mean_count, bounds=extent)
    lattice = Lattice.covering(extent, size, shape)  # type: ignore[arg-type]
    distance = lattice.contiguity_distance if band is None else band
    nearest = min(lattice.width, lattice.row_height if shape == "square" else lattice.width)
    if distance < nearest * (1 - 1e-9):
        msg = (
            f"`distance_band` ({distance:g} m) is shorter than the distance between "
            f"neighbouring cell centres ({nearest:g} m): no cell would have a neighbour"
        )
        raise ValidationError(msg)
    cells = keep_cells(lattice, area)
    if len(cells) < 2:
        msg = "the study area holds fewer than two cells; choose a smaller `cell_size`"
        raise ValidationError(msg)
    return lattice, cells, lattice.neighbours(cells, distance)
