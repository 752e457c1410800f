"""Citizen requests (民生诉求, 12345 hotline): deadlines, closure and callback rates.

A request is received at ``occurred_at``. Policy (:mod:`gridmap.hotspots.filters`): the
caller is contacted back within 15 minutes, a simple request is closed within 24 hours, a
complex one answered within 3 days. Which columns say what is detected by name:

* closing time: ``handled_at`` (the data model's column), ``closed_at`` or ``办结时间``;
  a request also counts as closed, at an unknown time, when its ``status`` says so
  (``办结``, ``closed``, ``完成``);
* callback time: ``callback_at``, ``contacted_at``, ``first_contact_at``, ``回访时间``,
  ``联系时间`` or ``首次联系时间``; without one, callback figures are missing (NaN), not
  zero — the bundled sample has none;
* simple or complex: ``complexity``, ``类型`` or ``复杂程度``; a value containing
  ``complex`` or ``复杂`` is complex, anything else simple. Without the column every request
  is simple (the stricter deadline), so that no lateness is hidden.

:func:`request_sla` gives one row per request as of a reference time, :func:`sla_by_grid`
the rates per grid, :func:`overdue_requests` the open ones past their deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import (
    CALLBACK_MINUTES,
    COMPLEX_DAYS,
    REQUEST_SOURCES,
    SIMPLE_HOURS,
    _occurred,
    _positive,
    _timestamp,
    incident_grids,
)
from gridmap.stats import PolygonLocator

__all__ = [
    "CALLBACK_COLUMNS",
    "CLOSED_COLUMNS",
    "COMPLEXITY_COLUMNS",
    "overdue_requests",
    "request_sla",
    "sla_by_grid",
]

#: Columns that may hold the time a request was closed, first found wins.
CLOSED_COLUMNS = ("handled_at", "closed_at", "办结时间")
#: Columns that may hold the time the caller was contacted back.
CALLBACK_COLUMNS = (
    "callback_at",
    "contacted_at",
    "first_contact_at",
    "回访时间",
    "联系时间",
    "首次联系时间",
)
#: Columns that may say whether a request is simple or complex.
COMPLEXITY_COLUMNS = ("complexity", "类型", "复杂程度")
_CLOSED_STATUS = r"办结|closed|完成|已结"
_COMPLEX_VALUE = r"complex|复杂"


def request_sla(
    incidents: pd.DataFrame,
    *,
    as_of: Any,
    sources: Sequence[str] = REQUEST_SOURCES,
    callback_minutes: float = CALLBACK_MINUTES,
    simple_hours: float = SIMPLE_HOURS,
    complex_days: float = COMPLEX_DAYS,
    grids: gpd.GeoDataFrame | None = None,
    locator: PolygonLocator | None = None,
) -> pd.DataFrame:
    """Each citizen request's deadline and whether it was met, as of `as_of`.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        Incidents with ``occurred_at`` and ``source``; see the module notes for the columns
        read when present.
    as_of : datetime-like
        The reference time: requests received later are left out, closures and callbacks
        later are not yet known (so a past week can be judged as it stood).
    sources : sequence of str, default ("12345",)
        Values of ``source`` that mark citizen requests.
    callback_minutes, simple_hours, complex_days : float
        The deadlines (defaults: the policy constants, 15 min / 24 h / 3 days).
    grids : GeoDataFrame, optional
        The grids layer, to give each request its ``grid_code`` (when `incidents` has none).
    locator : PolygonLocator, optional
        A locator built from `grids`, to reuse.

    Returns
    -------
    pandas.DataFrame
        One row per request, indexed like `incidents`: ``grid_code`` (when known),
        ``received_at``, ``complex`` (bool), ``deadline``, ``closed_at`` (NaT if not closed
        or closed at an unknown time), ``closed`` (bool), ``closed_on_time`` (bool; NA when
        closed at an unknown time, False when open past the deadline, NA while open and not
        yet due), ``overdue`` (open and past the deadline), ``hours_overdue``,
        ``callback_at``, ``callback_on_time`` (bool; NA without callback data or while not
        yet due).
    """
    callback = pd.Timedelta(minutes=_positive(callback_minutes, "callback_minutes"))
    simple = pd.Timedelta(hours=_positive(simple_hours, "simple_hours"))
    complex_ = pd.Timedelta(days=_positive(complex_days, "complex_days"))
    received = _occurred(incidents)
    now = _timestamp(as_of, "as_of", received)
    # A city's own incident file often has no source column: then nothing in it is known
    # to be a citizen request, and the result is empty rather than an error (the weekly
    # report still has its other sheets).
    is_request = (
        incidents["source"].astype("string").isin([str(s) for s in sources])
        if "source" in incidents.columns
        else pd.Series(False, index=incidents.index)
    )
    keep = (is_request.fillna(False) & received.notna() & (received <= now)).to_numpy(bool)
    requests = incidents.loc[keep]
    received = received[keep]

    result = pd.DataFrame(index=requests.index)
    if "grid_code" in requests.columns or grids is not None:
        result["grid_code"] = incident_grids(requests, grids=grids, locator=locator)
    result["received_at"] = received
    complexity = _first_column(requests, COMPLEXITY_COLUMNS)
    is_complex = (
        requests[complexity].astype("string").str.contains(_COMPLEX_VALUE, case=False, regex=True)
        if complexity
        else pd.Series(False, index=requests.index)
    )
    result["complex"] = is_complex.fillna(False).astype(bool)
    allowed = np.where(result["complex"].to_numpy(), complex_.value, simple.value)
    result["deadline"] = received + pd.to_timedelta(allowed, unit="ns")

    closed_column = _first_column(requests, CLOSED_COLUMNS)
    closed_at = _times(requests, closed_column, received)
    closed_at = closed_at.where(closed_at <= now)  # closed after as_of: still open then
    status_closed = pd.Series(False, index=requests.index)
    if "status" in requests.columns and closed_column is None:
        status_closed = (
            requests["status"].astype("string").str.contains(_CLOSED_STATUS, case=False)
        ).fillna(False)
    closed = closed_at.notna() | status_closed
    due = result["deadline"] <= now
    on_time = pd.array(np.full(len(requests), pd.NA), dtype="boolean")
    known = closed_at.notna().to_numpy()
    on_time[known] = (closed_at <= result["deadline"]).to_numpy()[known]
    late_open = (~closed & due).to_numpy()
    on_time[late_open] = False
    result["closed_at"] = closed_at
    result["closed"] = closed.to_numpy(bool)
    result["closed_on_time"] = on_time
    result["overdue"] = late_open
    result["hours_overdue"] = np.where(
        late_open, (now - result["deadline"]).dt.total_seconds() / 3600.0, 0.0
    )

    callback_column = _first_column(requests, CALLBACK_COLUMNS)
    callback_at = _times(requests, callback_column, received)
    callback_at = callback_at.where(callback_at <= now)
    callback_due = received + callback
    callback_ok = pd.array(np.full(len(requests), pd.NA), dtype="boolean")
    if callback_column is not None:
        made = callback_at.notna().to_numpy()
        callback_ok[made] = (callback_at <= callback_due).to_numpy()[made]
        missed = (~callback_at.notna() & (callback_due <= now)).to_numpy()
        callback_ok[missed] = False
    result["callback_at"] = callback_at
    result["callback_on_time"] = callback_ok
    return result


def sla_by_grid(table: pd.DataFrame) -> pd.DataFrame:
    """Closure, timeliness and callback rates per grid from :func:`request_sla`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``grid_code`` (sorted): ``requests``, ``closed``, ``closure_rate``
        (closed / requests), ``on_time_rate`` (closed on time / requests whose outcome is
        known: closed at a known time, or open past the deadline), ``overdue`` (open past
        the deadline), ``callback_rate`` (called back in time / requests whose callback was
        due; NaN without callback data).
    """
    if not isinstance(table, pd.DataFrame) or "grid_code" not in table.columns:
        msg = "`table` must be the output of request_sla with a grid_code column"
        raise ValidationError(msg)
    frame = pd.DataFrame(
        {
            "grid_code": table["grid_code"].to_numpy(),
            "requests": 1,
            "closed": table["closed"].astype(int).to_numpy(),
            "on_time": table["closed_on_time"].fillna(False).astype(int).to_numpy(),
            "decided": table["closed_on_time"].notna().astype(int).to_numpy(),
            "overdue": table["overdue"].astype(int).to_numpy(),
            "called": table["callback_on_time"].fillna(False).astype(int).to_numpy(),
            "call_due": table["callback_on_time"].notna().astype(int).to_numpy(),
        }
    ).dropna(subset=["grid_code"])
    sums = frame.groupby("grid_code").sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(
            {
                "requests": sums["requests"],
                "closed": sums["closed"],
                "closure_rate": sums["closed"] / sums["requests"],
                "on_time_rate": sums["on_time"] / sums["decided"].where(sums["decided"] > 0),
                "overdue": sums["overdue"],
                "callback_rate": sums["called"] / sums["call_due"].where(sums["call_due"] > 0),
            }
        )
    return out.astype({"on_time_rate": float, "callback_rate": float})


def overdue_requests(table: pd.DataFrame) -> pd.DataFrame:
    """The open requests past their deadline, longest overdue first (rows of `table`)."""
    if not isinstance(table, pd.DataFrame) or "overdue" not in table.columns:
        msg = "`table` must be the output of request_sla"
        raise ValidationError(msg)
    late = table[table["overdue"]]
    return late.sort_values("hours_overdue", ascending=False, kind="stable")


def _first_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    for name in names:
        if name in frame.columns:
            return name
    return None


def _times(frame: pd.DataFrame, column: str | None, like: pd.Series) -> pd.Series:
    """Times of `column` (NaT without it), in the time zone convention of `like`."""
    if column is None:
        return pd.Series(pd.NaT, index=frame.index, dtype=like.dtype)
    values = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        if values.isna().all():
            return pd.Series(pd.NaT, index=frame.index, dtype=like.dtype)
        msg = f"`incidents` column {column} must hold date-times"
        raise ValidationError(msg)
    if (getattr(values.dtype, "tz", None) is None) != (getattr(like.dtype, "tz", None) is None):
        msg = f"`incidents` column {column} must be time-zone aware exactly when occurred_at is"
        raise ValidationError(msg)
    return values
