"""Which incidents a view looks at, and the street office's policy numbers.

Every view of the "Heatmaps & warnings" page (hour × weekday, repeats, concentration,
warnings, citizen requests, the weekly report) starts from the same selection:
:func:`filter_incidents` by time span, category, source, hours of the day (wrapping past
midnight), weekdays and area (a grid-code prefix: street, community or grid).

The policy constants of the temporal views live here, in one place, each with its source,
so that a street office that works to other rules changes them once.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from gridmap._errors import ValidationError
from gridmap.crs import working_crs
from gridmap.schema import category_key
from gridmap.stats import PolygonLocator, assign_grid

__all__ = [
    "BASELINE_DAYS",
    "CALLBACK_MINUTES",
    "COMPLEX_DAYS",
    "MIN_WARNING_COUNT",
    "REPEAT_REQUEST_DAYS",
    "REPEAT_REQUEST_METRES",
    "REQUEST_SOURCES",
    "SIMPLE_HOURS",
    "WARNING_LEVELS",
    "WINDOW_DAYS",
    "filter_incidents",
    "incident_grids",
]

# --- policy ---------------------------------------------------------------------------------
# Citizen requests (民生诉求) through the 12345 hotline. Source: the State Council General
# Office's guidance on the 12345 hotlines (国办发〔2020〕53号, 《关于进一步优化地方政务服务便民
# 热线的指导意见》) and the "接诉即办" practice it spread (Beijing: contact the caller within
# 15 minutes of receiving the order, settle simple matters within 24 hours, answer complex
# ones within 3 working days; we count calendar days). Change here for local rules.

#: Sources whose incidents are citizen requests (12345 hotline and its local names).
REQUEST_SOURCES: tuple[str, ...] = ("12345",)
#: Minutes within which the caller must be contacted back (先行联系).
CALLBACK_MINUTES = 15
#: Hours within which a simple request must be closed.
SIMPLE_HOURS = 24
#: Days within which a complex request must be answered.
COMPLEX_DAYS = 3
#: A citizen request repeats an earlier one (重复诉求) when it comes from the same place or
#: with the same text within this many days. Our default (a month, the period 12345 centres
#: commonly report repeat calls over); not a national rule.
REPEAT_REQUEST_DAYS = 30
#: Metres within which two requests count as coming from the same place.
REPEAT_REQUEST_METRES = 30.0

# Early warnings. Source: our policy, following the shape of outbreak-detection rules
# (Farrington et al. 1996, "A statistical algorithm for the early detection of outbreaks of
# infectious disease", J. R. Stat. Soc. A 159:547-563: an upper-tail probability against the
# unit's own recent baseline, and no alarm on very small counts) and CompStat's weekly rhythm
# (a 7-day window compared with the weeks before).

#: Length of the recent window, in days.
WINDOW_DAYS = 7
#: Length of the baseline before the window, in days (8 weeks of 7-day windows).
BASELINE_DAYS = 56
#: Warning levels, most severe first: (level, p-value below which, minimum incidents in the
#: window). Red needs p < 0.01 and at least 5 incidents, orange p < 0.05, yellow p < 0.10.
WARNING_LEVELS: tuple[tuple[str, float, int], ...] = (
    ("red", 0.01, 5),
    ("orange", 0.05, 3),
    ("yellow", 0.10, 3),
)
#: No warning below this many incidents in the window, whatever the p-value (so a grid going
#: from 0 to 1 or 2 incidents is never a warning).
MIN_WARNING_COUNT = 3


# --- the selection --------------------------------------------------------------------------


def filter_incidents(
    incidents: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    categories: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    hours: tuple[int, int] | None = None,
    weekdays: Iterable[int] | None = None,
    area_prefix: str = "",
    grids: gpd.GeoDataFrame | None = None,
    locator: PolygonLocator | None = None,
) -> pd.DataFrame:
    """Return the incidents a view should show, as rows of `incidents`.

    All conditions given must hold. Times are the wall-clock times of ``occurred_at``
    (time-zone aware times are read in their own zone). An empty selection is an empty frame
    with the columns of `incidents`, never an error.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        Incidents with ``occurred_at`` (date-times), and ``category`` / ``source`` when
        filtering on them.
    start, end : datetime-like, optional
        The half-open span ``start <= occurred_at < end``; time-zone aware exactly when
        ``occurred_at`` is. Incidents without a time are left out when either is given.
    categories : iterable of str, optional
        Category keys (``"theft"``), or their Chinese or English labels.
    sources : iterable of str, optional
        Values of ``source`` to keep (``"110"``, ``"12345"``, ``"网格员"`` …).
    hours : (int, int), optional
        ``(from, to)``: hours of the day ``from <= hour < to``, each 0-24. ``from > to``
        wraps past midnight: ``(22, 6)`` keeps 22:00-05:59. ``(0, 24)`` is the whole day.
    weekdays : iterable of int, optional
        Days of the week to keep, 0 = Monday … 6 = Sunday.
    area_prefix : str, default ""
        Keep incidents in grids whose 15-digit code starts with this (6 digits: district,
        9: street, 12: community, 15: one grid). Incidents outside every grid are left out.
    grids : GeoDataFrame, optional
        The grids layer (``grid_code`` and polygons), to place incidents in grids when
        `area_prefix` is given. Not needed when `incidents` already has a ``grid_code``
        column, which is then used as it is.
    locator : PolygonLocator, optional
        A locator built from `grids`, to reuse (see :func:`gridmap.stats.assign_grid`).

    Returns
    -------
    DataFrame or GeoDataFrame
        The selected rows of `incidents` (a copy), in their order, with their index.

    Examples
    --------
    >>> incidents = pd.DataFrame(
    ...     {
    ...         "category": ["theft", "fight", "fight"],
    ...         "source": ["110", "110", "网格员"],
    ...         "occurred_at": pd.to_datetime(
    ...             ["2024-05-06 23:30", "2024-05-07 02:00", "2024-05-07 12:00"]
    ...         ),
    ...     }
    ... )
    >>> filter_incidents(incidents, hours=(22, 6)).index.tolist()
    [0, 1]
    >>> filter_incidents(incidents, categories=["打架斗殴"], sources=["110"]).index.tolist()
    [1]
    >>> len(filter_incidents(incidents, weekdays=[6]))
    0
    """
    if not isinstance(incidents, pd.DataFrame):
        msg = f"`incidents` must be a DataFrame; got {type(incidents).__name__}"
        raise ValidationError(msg)
    needs_time = start is not None or end is not None or hours is not None or weekdays is not None
    occurred = _occurred(incidents) if needs_time else None
    start_ts = _timestamp(start, "start", occurred) if start is not None else None
    end_ts = _timestamp(end, "end", occurred) if end is not None else None
    hour_range = _hour_range(hours) if hours is not None else None
    days = _weekdays(weekdays) if weekdays is not None else None
    wanted_categories = _category_set(categories) if categories is not None else None
    wanted_sources = _text_set(sources, "sources") if sources is not None else None
    if not isinstance(area_prefix, str) or (area_prefix and not area_prefix.isdigit()):
        msg = f"`area_prefix` must be a string of digits (a grid-code prefix); got {area_prefix!r}"
        raise ValidationError(msg)
    if len(area_prefix) > 15:
        msg = f"`area_prefix` must have at most 15 digits; got {area_prefix!r}"
        raise ValidationError(msg)

    keep = np.ones(len(incidents), dtype=bool)
    if occurred is not None:
        keep &= occurred.notna().to_numpy()
        if start_ts is not None:
            keep &= (occurred >= start_ts).to_numpy()
        if end_ts is not None:
            keep &= (occurred < end_ts).to_numpy()
        if hour_range is not None and hour_range != (0, 24):
            hour = occurred.dt.hour.to_numpy()
            low, high = hour_range
            keep &= (hour >= low) & (hour < high) if low < high else (hour >= low) | (hour < high)
        if days is not None:
            keep &= np.isin(occurred.dt.day_of_week.to_numpy(), list(days))
    if wanted_categories is not None:
        keep &= _column(incidents, "category", "categories").isin(wanted_categories).to_numpy()
    if wanted_sources is not None:
        source = _column(incidents, "source", "sources").astype("string")
        keep &= source.isin(wanted_sources).fillna(False).to_numpy(dtype=bool)
    if area_prefix:
        codes = incident_grids(incidents, grids=grids, locator=locator).astype("string")
        keep &= codes.str.startswith(area_prefix).fillna(False).to_numpy(dtype=bool)
    return incidents.loc[keep].copy()


def incident_grids(
    incidents: pd.DataFrame,
    *,
    grids: gpd.GeoDataFrame | None = None,
    locator: PolygonLocator | None = None,
) -> pd.Series:
    """The grid code of each incident: its ``grid_code`` column, else located in `grids`.

    A ``grid_code`` column is used as it is even when `grids` is given (as
    :func:`filter_incidents` documents): the views locate a million incidents once per
    version of the layers, not on every refresh.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        Incidents with a ``grid_code`` column, or points in the CRS of `grids`.
    grids : GeoDataFrame, optional
        The grids layer; needed when `incidents` has no ``grid_code`` column.
    locator : PolygonLocator, optional
        A locator built from `grids`, to reuse.

    Returns
    -------
    pandas.Series
        Indexed like `incidents`, named ``grid_code``; missing outside every grid.
    """
    if "grid_code" in incidents.columns:
        return incidents["grid_code"].rename("grid_code")
    if grids is None:
        msg = "`grids` must be given when `incidents` has no grid_code column"
        raise ValidationError(msg)
    if not isinstance(incidents, gpd.GeoDataFrame):
        msg = "`incidents` must be a GeoDataFrame (points) to be placed in `grids`"
        raise ValidationError(msg)
    if len(incidents) == 0:
        return pd.Series([], index=incidents.index, name="grid_code", dtype="string")
    return assign_grid(incidents, grids, locator=locator)


# --- helpers shared by the temporal views (private) ----------------------------------------


def _occurred(incidents: pd.DataFrame, column: str = "occurred_at") -> pd.Series:
    """The date-time column `column` of `incidents`, checked."""
    if column not in incidents.columns:
        msg = f"`incidents` must have an {column} column"
        raise ValidationError(msg)
    values = incidents[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        if len(values) == 0 or values.isna().all():
            return pd.Series(pd.NaT, index=incidents.index, dtype="datetime64[ns]", name=column)
        msg = f"`incidents` column {column} must hold date-times"
        raise ValidationError(msg)
    return values


def _timestamp(value: Any, name: str, like: pd.Series | None = None) -> pd.Timestamp:
    """`value` as a Timestamp, time-zone aware exactly when `like` is."""
    if isinstance(value, bool):
        msg = f"`{name}` must be a date-time; got {value!r}"
        raise ValidationError(msg)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        msg = f"`{name}` must be a date-time; got {value!r}"
        raise ValidationError(msg) from None
    if pd.isna(ts):
        msg = f"`{name}` must be a date-time, not NaT"
        raise ValidationError(msg)
    if like is not None:
        aware = getattr(like.dtype, "tz", None) is not None
        if aware != (ts.tz is not None):
            msg = (
                f"`{name}` must be time-zone aware exactly when the incidents' times are "
                f"(times: {like.dtype}, {name}: {ts})"
            )
            raise ValidationError(msg)
    return ts


def _positive(value: Any, name: str, *, integer: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
        or (integer and int(value) != value)
    ):
        kind = "a positive whole number" if integer else "a positive number"
        msg = f"`{name}` must be {kind}; got {value!r}"
        raise ValidationError(msg)
    return float(value)


def _hour_range(hours: Any) -> tuple[int, int]:
    try:
        low, high = hours
    except (TypeError, ValueError):
        msg = f"`hours` must be a (from, to) pair of hours; got {hours!r}"
        raise ValidationError(msg) from None
    for value in (low, high):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or not 0 <= value <= 24
        ):
            msg = f"`hours` must hold whole hours from 0 to 24; got {hours!r}"
            raise ValidationError(msg)
    if low == high or (low, high) == (24, 0):
        msg = f"`hours` must span some time; use (0, 24) for the whole day; got {hours!r}"
        raise ValidationError(msg)
    return int(low) % 24, int(high)


def _weekdays(weekdays: Any) -> set[int]:
    if isinstance(weekdays, str | bytes) or not isinstance(weekdays, Iterable):
        msg = f"`weekdays` must be an iterable of day numbers 0-6 (Monday = 0); got {weekdays!r}"
        raise ValidationError(msg)
    days = list(weekdays)
    for day in days:
        if isinstance(day, bool) or not isinstance(day, numbers.Integral) or not 0 <= day <= 6:
            msg = f"`weekdays` must hold day numbers 0-6 (Monday = 0); got {day!r}"
            raise ValidationError(msg)
    return {int(d) for d in days}


def _text_set(values: Any, name: str) -> set[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        msg = f"`{name}` must be an iterable of strings (a list), not {type(values).__name__}"
        raise ValidationError(msg)
    return {str(v) for v in values}


def _category_set(categories: Any) -> set[str]:
    given = _text_set(categories, "categories")
    keys = {category_key(v) for v in given}
    return given | {k for k in keys if k is not None}


def _column(frame: pd.DataFrame, column: str, argument: str) -> pd.Series:
    if column not in frame.columns:
        msg = f"`{argument}` was given but `incidents` has no {column} column"
        raise ValidationError(msg)
    return frame[column]


def _metric_crs(frame: gpd.GeoDataFrame, name: str) -> pyproj.CRS:
    """A metric CRS for `frame`: its own when projected, else the local UTM/CGCS2000 zone."""
    if frame.crs is None:
        msg = f"`{name}` has no coordinate reference system; set one (e.g. EPSG:4326)"
        raise ValidationError(msg)
    crs = pyproj.CRS.from_user_input(frame.crs)
    if crs.is_projected:
        return crs
    bounds = frame.to_crs(4326).total_bounds if len(frame) else None
    if bounds is None or not np.isfinite(bounds).all():
        return pyproj.CRS.from_epsg(3857)
    return working_crs(tuple(float(b) for b in bounds))  # type: ignore[arg-type]


def _metric_xy(
    frame: gpd.GeoDataFrame, name: str, crs: pyproj.CRS | None = None
) -> npt.NDArray[np.float64]:
    """(n, 2) metre coordinates of the points of `frame` (NaN for missing or empty)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"`{name}` must be a GeoDataFrame of points; got {type(frame).__name__}"
        raise ValidationError(msg)
    if len(frame) == 0:
        return np.empty((0, 2))
    crs = crs or _metric_crs(frame, name)
    geom = frame.geometry.to_crs(crs)
    kinds = set(geom.geom_type.dropna().unique())
    if kinds - {"Point"}:
        msg = f"`{name}` must hold points; found {', '.join(sorted(kinds - {'Point'}))}"
        raise ValidationError(msg)
    values = np.asarray(geom.array, dtype=object)
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    xy = np.full((len(frame), 2), np.nan)
    xy[present] = shapely.get_coordinates(values[present])
    return xy
