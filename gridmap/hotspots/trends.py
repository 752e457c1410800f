"""Trends in space and time: weekly counts per cell, Mann-Kendall, emerging hot spots.

:func:`space_time_cube` counts incidents per cell (as :mod:`~gridmap.hotspots.local_stats`)
per week. :func:`mann_kendall` tests every cell's series for a monotonic trend at once.
:func:`emerging_hotspots` runs Gi* on every week and classifies each cell's history by the
rules of Esri's Emerging Hot Spot Analysis (Esri, "How Emerging Hot Spot Analysis works",
ArcGIS Pro documentation), written out here because the documentation leaves the order of
overlapping rules open. With ``T`` weekly steps, "hot" meaning a significant Gi* hot spot in
that week (class ≥ the level of `alpha`, FDR-corrected per week by default), and ``trend``
the Mann-Kendall test of the cell's weekly Gi* z-scores at `trend_alpha`:

* **intensifying hot spot** — hot in at least 90 % of the weeks, including the final week,
  with a significant *upward* trend;
* **diminishing hot spot** — hot in at least 90 % of the weeks, including the final week,
  with a significant *downward* trend;
* **persistent hot spot** — hot in at least 90 % of the weeks, including the final week,
  with no significant trend;
* **historical hot spot** — hot in at least 90 % of the weeks but *not* the final week;
* **oscillating hot spot** — hot in the final week, fewer than 90 % hot, and a significant
  *cold* spot in some earlier week (this takes precedence over "new" and "consecutive");
* **new hot spot** — hot in the final week and in no earlier week;
* **consecutive hot spot** — hot in a single uninterrupted run of at least two weeks
  ending with the final week, never before it, fewer than 90 % hot;
* **sporadic hot spot** — hot in the final week, hot on and off before it, fewer than
  90 % hot, never a cold spot;
* the same eight **cold spot** patterns with hot and cold (and the trend's sign) swapped;
* **no pattern** — none of the above (e.g. hot on and off but not in the final week).

Mann-Kendall: Mann (1945), Kendall (1975); ``S = Σ_{i<j} sign(x_j − x_i)``, variance with
the ties correction ``[n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18``, ``Z = (S − sign S) / √Var``
(continuity correction), two-sided normal p — as :func:`pymannkendall.original_test`
(Hussain & Mahmud 2019), which the tests check against.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    project_geometry,
    projected_xy,
)
from gridmap.hotspots.local_stats import (
    CONFIDENCE_LEVELS,
    DEFAULT_MIN_MEAN_COUNT,
    build_cells,
    gi_star,
    hotspot_classes,
)

__all__ = [
    "EMERGING_PATTERNS",
    "MIN_WEEKLY_MEAN",
    "PERSISTENT_SHARE",
    "SpaceTimeCube",
    "classify_emerging",
    "emerging_hotspots",
    "mann_kendall",
    "space_time_cube",
]

#: Share of weeks a cell must be a hot (cold) spot to count as persistent, intensifying,
#: diminishing or historical (Esri, "How Emerging Hot Spot Analysis works": 90 percent).
PERSISTENT_SHARE = 0.9

_KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
#: Every pattern label, in a stable order (hot, then cold, then no pattern).
EMERGING_PATTERNS = (
    *(f"{k} hot spot" for k in _KINDS),
    *(f"{k} cold spot" for k in _KINDS),
    "no pattern",
)

_WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class SpaceTimeCube:
    """Weekly incident counts per cell.

    Attributes
    ----------
    cells : GeoDataFrame
        The cells (EPSG:4326, indexed by ``cell_id``; ``row``, ``col``, ``x``, ``y`` metric
        centres), as in :func:`~gridmap.hotspots.local_stats.gi_star_hotspots`.
    counts : numpy.ndarray
        ``(n_cells, n_weeks)`` int64 counts.
    week_starts : pandas.DatetimeIndex
        Start (Monday 00:00 by default) of each week; week ``k`` is
        ``[week_starts[k], week_starts[k] + 7 days)``.
    weights : scipy.sparse.csr_matrix
        Binary Gi* weights among the cells, focal cell included.
    """

    cells: gpd.GeoDataFrame
    counts: npt.NDArray[np.int64]
    week_starts: pd.DatetimeIndex
    weights: sp.csr_matrix


#: Emerging hot spots count incidents per cell per *week*. Mann-Kendall ranks the weekly
#: values; on counts that are mostly 0 and 1 nearly every pair ties and no trend can be
#: significant (with a Poisson mean of 2 per week, 86 % of weeks are non-zero). So when no
#: cell size is given, :func:`space_time_cube` picks the smallest round size at which cells
#: with incidents hold at least this many incidents per week on average (over the weeks
#: analysed), keeping at least 30 cells (Esri's minimum for Gi*). Our rule, after Esri's
#: advice that the space-time cube's bins hold enough points per time step ("Create Space
#: Time Cube By Aggregating Points": bins should not be mostly empty); a cell size given
#: by the user overrides it.
MIN_WEEKLY_MEAN = 2.0


def space_time_cube(
    incidents: gpd.GeoDataFrame,
    *,
    crs: Any,
    cell_size: float | None = None,
    shape: str = "square",
    distance_band: float | None = None,
    study_area: Any = None,
    start: Any = None,
    end: Any = None,
    min_mean_count: float = DEFAULT_MIN_MEAN_COUNT,
    min_weekly_mean: float = MIN_WEEKLY_MEAN,
) -> SpaceTimeCube:
    """Count incidents per cell per week (a space-time cube).

    The default cell size follows the weekly rule of :data:`MIN_WEEKLY_MEAN`: the
    smallest round size (:func:`~gridmap.hotspots.local_stats.gi_star_hotspots`' sizes) at
    which cells with incidents average at least ``min_weekly_mean × weeks`` incidents over
    the period (and `min_mean_count` at least), keeping at least 30 cells. Twelve weeks at
    2 a week ask for 24 incidents per cell, where Gi* alone would take 5.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points with an ``occurred_at`` date-time column; rows without a time or a
        location are left out.
    crs, cell_size, shape, distance_band, study_area, min_mean_count
        As :func:`~gridmap.hotspots.local_stats.gi_star_hotspots` (the cell size is chosen
        from all incidents in the period, see above).
    min_weekly_mean : float, default :data:`MIN_WEEKLY_MEAN`
        Incidents per week that cells with incidents should average when the cell size
        is chosen from the data; ignored when `cell_size` is given.
    start : datetime-like, optional
        Start of the first week. Default: Monday 00:00 of the first incident's week.
    end : datetime-like, optional
        End of the last week (exclusive); the period is cut to whole weeks from `start`.
        Default: the last Monday 00:00 no later than one day after the last incident, so a
        final week missing more than its Sunday is left out rather than read as a drop.

    Returns
    -------
    SpaceTimeCube
    """
    metric = check_metric_crs(crs)
    size = check_positive(cell_size, "cell_size", allow_none=True)
    band = check_positive(distance_band, "distance_band", allow_none=True)
    mean_target = check_positive(min_mean_count, "min_mean_count")
    weekly_target = check_positive(min_weekly_mean, "min_weekly_mean")
    if shape not in ("square", "hexagon"):
        msg = f'`shape` must be "square" or "hexagon"; got {shape!r}'
        raise ValidationError(msg)
    times = _occurred(incidents)
    week, week_starts = _weeks(times, start, end)
    keep = (week >= 0) & (week < len(week_starts))
    frame = incidents.loc[keep]
    xy, kept = projected_xy(frame, metric, "incidents", return_index=True)
    week = week[keep][kept]
    area = None if study_area is None else project_geometry(study_area, metric, "study_area")
    assert mean_target is not None
    assert weekly_target is not None
    lattice, cells, weights = build_cells(
        xy,
        shape=shape,
        size=size,
        band=band,
        area=area,
        min_mean_count=max(mean_target, weekly_target * len(week_starts)),
    )
    counts = _cube_counts(lattice, cells, xy, week, len(week_starts))
    out_cells = cells_frame(lattice, cells, metric, {})
    out_cells.attrs.update(distance_band=band if band is not None else lattice.contiguity_distance)
    out_cells.attrs["cell_size_rule"] = "given" if size is not None else "weekly"
    return SpaceTimeCube(out_cells, counts, week_starts, weights)


def as_cube(incidents: Any, *, crs: Any = None, **cube_options: Any) -> SpaceTimeCube:
    """`incidents` if it already is a :class:`SpaceTimeCube`, else its weekly cube.

    A cube was built with its own CRS and options, so giving them again is refused.
    """
    if isinstance(incidents, SpaceTimeCube):
        if cube_options or crs is not None:
            msg = "`crs` and cube options cannot be given with a SpaceTimeCube"
            raise ValidationError(msg)
        return incidents
    if crs is None:
        msg = "`crs` is required when `incidents` is a GeoDataFrame"
        raise ValidationError(msg)
    return space_time_cube(incidents, crs=crs, **cube_options)


def mann_kendall(series: npt.ArrayLike) -> pd.DataFrame:
    """Mann-Kendall trend test of every row of `series` at once.

    Parameters
    ----------
    series : array-like, shape (n_series, T) or (T,)
        Equally spaced observations, oldest first (e.g. weekly counts per cell); ``T ≥ 3``.

    Returns
    -------
    pandas.DataFrame
        One row per series: ``s`` (Kendall's S), ``var_s`` (ties-corrected), ``z``
        (continuity-corrected), ``p`` (two-sided), ``tau`` (``S / (T(T−1)/2)``) and
        ``trend`` (+1, −1 or 0 at the 5 % level).

    Examples
    --------
    >>> mann_kendall([1, 2, 2, 3, 5, 4, 6]).round(4).iloc[0].tolist()
    [18.0, 43.3333, 2.5825, 0.0098, 0.8571, 1.0]
    """
    x = np.asarray(series, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 3 or not np.isfinite(x).all():
        msg = "`series` must be a finite (n, T) array with T ≥ 3 observations"
        raise ValidationError(msg)
    n_rows, t = x.shape
    s = np.zeros(n_rows)
    for lag in range(1, t):  # T−1 vectorised passes, not T² pairs in Python
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    # ties: lengths of runs of equal values in each sorted row
    ordered = np.sort(x, axis=1)
    new_run = np.ones_like(ordered, dtype=bool)
    new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run_id = np.cumsum(new_run, axis=1) - 1 + (np.arange(n_rows) * t)[:, None]
    lengths = np.bincount(run_id.ravel(), minlength=n_rows * t).reshape(n_rows, t)
    ties = (lengths * (lengths - 1) * (2 * lengths + 5)).sum(axis=1)
    var_s = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(np.where(var_s > 0, var_s, 1)), 0.0)
    p = special.erfc(np.abs(z) / np.sqrt(2.0))
    tau = s / (t * (t - 1) / 2)
    trend = np.where(p <= 0.05, np.sign(s), 0).astype(np.int8)
    return pd.DataFrame({"s": s, "var_s": var_s, "z": z, "p": p, "tau": tau, "trend": trend})


def classify_emerging(
    hot: npt.ArrayLike, cold: npt.ArrayLike, trend: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """Esri's emerging hot/cold spot pattern of each cell (rules in the module docstring).

    Parameters
    ----------
    hot, cold : array-like of bool, shape (n_cells, T)
        Whether the cell was a significant hot (cold) spot in each week, oldest first.
    trend : array-like of int, shape (n_cells,)
        Sign of a significant Mann-Kendall trend in the cell's Gi* z-scores, 0 if none.

    Returns
    -------
    numpy.ndarray of str, one of :data:`EMERGING_PATTERNS` per cell.

    Examples
    --------
    >>> classify_emerging([[0, 0, 0, 1], [1, 1, 1, 1]], [[0] * 4, [0] * 4], [0, 1]).tolist()
    ['new hot spot', 'intensifying hot spot']
    """
    h = np.asarray(hot, dtype=bool)
    c = np.asarray(cold, dtype=bool)
    tr = np.asarray(trend, dtype=int).ravel()
    if h.ndim != 2 or h.shape != c.shape or tr.shape != (h.shape[0],):
        msg = "`hot` and `cold` must be (n_cells, T) and `trend` (n_cells,)"
        raise ValidationError(msg)
    out = np.full(h.shape[0], "no pattern", dtype=object)
    # cold first, then hot: a cell cannot be both in the final week
    for kind, this, other, sign in (("cold", c, h, -1), ("hot", h, c, 1)):
        pattern = _patterns(this, other, tr * sign)
        named = pattern >= 0
        out[named] = np.array([f"{k} {kind} spot" for k in _KINDS], dtype=object)[pattern[named]]
    return out


def emerging_hotspots(
    incidents: gpd.GeoDataFrame | SpaceTimeCube,
    *,
    crs: Any = None,
    alpha: float = 0.05,
    trend_alpha: float = 0.05,
    fdr: bool = True,
    **cube_options: Any,
) -> gpd.GeoDataFrame:
    """Emerging hot spot analysis: each cell's weekly Gi* history, classified.

    Parameters
    ----------
    incidents : GeoDataFrame or SpaceTimeCube
        Incidents (then `crs` and any :func:`space_time_cube` option are needed / allowed),
        or a cube already built.
    crs : CRS-like
        The metric CRS, when `incidents` is a GeoDataFrame.
    alpha : {0.01, 0.05, 0.10}, default 0.05
        Significance of a weekly hot/cold spot (Esri's 99/95/90 % bins).
    trend_alpha : float, default 0.05
        Significance of the Mann-Kendall trend of the weekly Gi* z-scores.
    fdr : bool, default True
        False-discovery-rate correction of each week's Gi* (see
        :func:`~gridmap.hotspots.local_stats.hotspot_classes`).
    **cube_options
        ``cell_size``, ``shape``, ``distance_band``, ``study_area``, ``start``, ``end``.

    Returns
    -------
    GeoDataFrame
        The cube's cells with ``count`` (all weeks), ``weeks_hot``, ``weeks_cold``,
        ``final_class`` (Gi* class of the last week, −3..3), ``trend_z``, ``trend_p``
        (Mann-Kendall of the weekly Gi* z), ``count_trend_z``, ``count_trend_p``
        (Mann-Kendall of the weekly counts) and ``pattern`` (one of
        :data:`EMERGING_PATTERNS`). ``attrs["week_starts"]`` lists the weeks.
    """
    levels = {v: k for k, v in CONFIDENCE_LEVELS.items()}
    if alpha not in levels:
        msg = f"`alpha` must be one of 0.01, 0.05, 0.10 (Esri's bins); got {alpha!r}"
        raise ValidationError(msg)
    trend_level = check_positive(trend_alpha, "trend_alpha")
    assert trend_level is not None
    cube = as_cube(incidents, crs=crs, **cube_options)
    n_weeks = cube.counts.shape[1]
    if n_weeks < 3:
        msg = f"the period holds {n_weeks} whole week(s); emerging hot spots need at least 3"
        raise ValidationError(msg)
    z, p = gi_star(cube.counts, cube.weights)
    classes = hotspot_classes(z, p, fdr=fdr)
    level = levels[alpha]
    hot = classes >= level
    cold = classes <= -level
    mk = mann_kendall(z)
    trend = np.where(mk["p"].to_numpy() <= trend_level, np.sign(mk["s"].to_numpy()), 0)
    mk_counts = mann_kendall(cube.counts)
    out = cube.cells.copy()
    out["count"] = cube.counts.sum(axis=1)
    out["weeks_hot"] = hot.sum(axis=1)
    out["weeks_cold"] = cold.sum(axis=1)
    out["final_class"] = classes[:, -1]
    out["trend_z"] = mk["z"].to_numpy()
    out["trend_p"] = mk["p"].to_numpy()
    out["count_trend_z"] = mk_counts["z"].to_numpy()
    out["count_trend_p"] = mk_counts["p"].to_numpy()
    out["pattern"] = pd.Categorical(classify_emerging(hot, cold, trend), EMERGING_PATTERNS)
    geometry = out.pop("geometry")
    out = gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
    out.attrs.update(cube.cells.attrs, week_starts=list(cube.week_starts), alpha=alpha, fdr=fdr)
    return out


# --- private helpers -----------------------------------------------------------------------


def _patterns(
    this: npt.NDArray[np.bool_], other: npt.NDArray[np.bool_], trend: npt.NDArray[np.int_]
) -> npt.NDArray[np.intp]:
    """Index into _KINDS of each cell's pattern for `this` (hot or cold), -1 for none."""
    t = this.shape[1]
    final = this[:, -1]
    n_this = this.sum(axis=1)
    share = n_this / t
    run = np.cumprod(this[:, ::-1], axis=1).sum(axis=1)  # trailing run length
    other_before = other[:, :-1].any(axis=1)
    mostly = share >= PERSISTENT_SHARE - 1e-12
    k = {name: i for i, name in enumerate(_KINDS)}
    rules = [
        (mostly & final & (trend > 0), k["intensifying"]),
        (mostly & final & (trend < 0), k["diminishing"]),
        (mostly & final, k["persistent"]),
        (mostly & ~final, k["historical"]),
        (final & other_before, k["oscillating"]),
        (final & (n_this == 1), k["new"]),
        (final & (run >= 2) & (n_this == run), k["consecutive"]),
        (final, k["sporadic"]),
    ]
    return np.select([r for r, _ in rules], [v for _, v in rules], default=-1).astype(np.intp)


def _occurred(incidents: Any) -> pd.Series:
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = f"`incidents` must be a GeoDataFrame; got {type(incidents).__name__}"
        raise ValidationError(msg)
    if "occurred_at" not in incidents.columns:
        msg = "`incidents` must have an occurred_at column"
        raise ValidationError(msg)
    times = incidents["occurred_at"]
    if not pd.api.types.is_datetime64_any_dtype(times):
        msg = "`incidents` column occurred_at must hold date-times"
        raise ValidationError(msg)
    if times.notna().sum() == 0:
        msg = "`incidents` has no occurred_at times"
        raise ValidationError(msg)
    return times


def _timestamp(value: Any, name: str, like: pd.Series) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        msg = f"`{name}` must be a date-time; got {value!r}"
        raise ValidationError(msg) from None
    aware = getattr(like.dtype, "tz", None) is not None
    if pd.isna(ts) or aware != (ts.tz is not None):
        msg = f"`{name}` must be a date-time, time-zone aware exactly when occurred_at is"
        raise ValidationError(msg)
    return ts


def _monday(ts: pd.Timestamp) -> pd.Timestamp:
    day = ts.normalize()
    return day - pd.Timedelta(days=day.day_of_week)


def _weeks(
    times: pd.Series, start: Any, end: Any
) -> tuple[npt.NDArray[np.int64], pd.DatetimeIndex]:
    first = _monday(times.min()) if start is None else _timestamp(start, "start", times)
    last = (
        _monday(times.max() + pd.Timedelta(days=1))
        if end is None
        else _timestamp(end, "end", times)
    )
    n_weeks = int((last - first) // _WEEK)
    if n_weeks < 1:
        msg = f"the period from {first} to {last} holds no whole week"
        raise ValidationError(msg)
    offset = (times - first) / _WEEK
    week = np.floor(offset.to_numpy(dtype=float, na_value=np.nan))
    week = np.where(np.isfinite(week), week, -1).astype(np.int64)
    starts = pd.DatetimeIndex([first + k * _WEEK for k in range(n_weeks)], name="week_start")
    return week, starts


def _cube_counts(
    lattice: Lattice,
    cells: npt.NDArray[np.intp],
    xy: npt.NDArray[np.float64],
    week: npt.NDArray[np.int64],
    n_weeks: int,
) -> npt.NDArray[np.int64]:
    position = np.full(lattice.n_cells, -1, dtype=np.intp)
    position[cells] = np.arange(len(cells))
    flat = lattice.locate(xy)
    cell = np.where(flat >= 0, position[np.maximum(flat, 0)], -1)
    ok = cell >= 0
    counts = np.bincount(cell[ok] * n_weeks + week[ok], minlength=len(cells) * n_weeks)
    return counts.reshape(len(cells), n_weeks).astype(np.int64)
