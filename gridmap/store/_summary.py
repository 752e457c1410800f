"""Incidents per grid, calendar day and category: the summary the Overview and the
Heatmaps page's counts read instead of millions of rows.

A summary belongs to one pair of layer versions (the incidents' table and the grids'
table), both immutable, so it never goes stale: a write, restore or copy that makes
another pair current makes (or finds) that pair's summary. At 5,000,000 incidents a
year it holds about 200,000 rows (108 grids × 365 days × 5 categories).

Days are calendar days ``[D, D + 1 day)`` of the stored wall time; ``midnight`` marks
the incidents at exactly ``D 00:00``. Both the page filters' windows
``start <= t < end`` and the Overview's ``(start, end]`` (whole days) are then exact
sums of summary rows (:func:`in_window`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

#: The summary's columns, in order (``count`` last).
SUMMARY_COLUMNS = ("grid_code", "day", "midnight", "category", "count")


def empty_summary() -> pd.DataFrame:
    """A summary with no rows, typed as :func:`summarise` returns them."""
    return pd.DataFrame(
        {
            "grid_code": pd.Series([], dtype=object),
            "day": pd.Series([], dtype="datetime64[ns]"),
            "midnight": pd.Series([], dtype=bool),
            "category": pd.Series([], dtype=object),
            "count": pd.Series([], dtype="int64"),
        }
    )


def wall_time(series: pd.Series) -> pd.Series:
    """Date-times as the wall time they were written in (time zone dropped), ns."""
    values = pd.to_datetime(series)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def summarise(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Count `points` (incidents) per grid, calendar day, midnight flag and category.

    A point's grid is the first grid (in the order written) covering it, as in
    :func:`gridmap.stats.assign_grid` and
    :meth:`~gridmap.store.WorkspaceStore.count_in_polygons`; missing outside every grid
    (and without grids). Incidents without a time have a missing day.

    Parameters
    ----------
    points : GeoDataFrame
        The incidents (``category``, ``occurred_at``), EPSG:4326.
    grids : GeoDataFrame or None
        The grids (``grid_code``), EPSG:4326.

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS`; grid codes and categories as text (object), one row per
        group present, sorted.
    """
    if not len(points):
        return empty_summary()
    if grids is not None and len(grids):
        from gridmap.stats import assign_grid

        codes = assign_grid(points, grids.to_crs(points.crs), id_column="grid_code")
    else:
        codes = pd.Series(np.full(len(points), None, dtype=object), index=points.index)
    when = wall_time(points["occurred_at"])
    day = when.dt.floor("D")
    category = points["category"]
    frame = pd.DataFrame(
        {
            "grid_code": _text(codes),
            "day": day.to_numpy(),
            "midnight": (when == day).fillna(False).to_numpy(dtype=bool),
            "category": _text(category),
        }
    )
    groups = list(SUMMARY_COLUMNS[:-1])
    counts = frame.groupby(groups, dropna=False, sort=True).size().rename("count")
    out = counts.astype("int64").reset_index()
    for column in ("grid_code", "category"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out[list(SUMMARY_COLUMNS)]


def _text(values: pd.Series) -> np.ndarray:
    """`values` as text (object array), None where missing."""
    out = values.astype(object).to_numpy(copy=True)
    missing = pd.isna(out)
    out[~missing] = [str(v) for v in out[~missing]]
    out[missing] = None
    return out


def in_window(
    summary: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    *,
    closed: str = "left",
) -> np.ndarray:
    """Rows of `summary` inside a window of whole days.

    `closed` ``"left"`` is ``start <= t < end`` (the page filters), ``"right"`` is
    ``start < t <= end`` (the Overview's windows). `start` and `end` must be midnights
    (None: open), as wall times.

    Raises
    ------
    ValueError
        when a bound is not a midnight or `closed` is neither.
    """
    if closed not in ("left", "right"):
        msg = f"`closed` must be 'left' or 'right'; got {closed!r}"
        raise ValueError(msg)
    day, midnight = summary["day"], summary["midnight"].to_numpy(dtype=bool)
    keep = day.notna().to_numpy(copy=True)
    for name, bound in (("start", start), ("end", end)):
        if bound is None:
            continue
        bound = pd.Timestamp(bound)
        if bound.tzinfo is not None:
            bound = bound.tz_localize(None)
        if bound != bound.normalize():
            msg = f"`{name}` must be a midnight to be summed from days; got {bound}"
            raise ValueError(msg)
        values = day.to_numpy()
        bound64 = np.datetime64(bound.to_datetime64())
        if closed == "left":
            # plain days [D, D+1) and midnights t = D: both need start <= D < end
            keep &= (values >= bound64) if name == "start" else (values < bound64)
        elif name == "start":  # start < t: a plain day D >= start, a midnight D > start
            keep &= np.where(midnight, values > bound64, values >= bound64)
        else:  # t <= end: a plain day D < end, a midnight D <= end
            keep &= np.where(midnight, values <= bound64, values < bound64)
    return keep
