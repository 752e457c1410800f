"""How well did last weeks' hot spots predict next week? Hit rate and PAI.

For every held-out week, the cells ranked highest over the preceding `lookback_weeks`
weeks (by incident count, or by the Gi* z-score of those counts) are taken until they cover
`area_share` of the analysed area; the *hit rate* is the share of the held-out week's
incidents that fell in them, and the **Predictive Accuracy Index**

    PAI = (n / N) / (a / A) = hit rate / area share

(Chainey, Tompson & Uhlig 2008, "The utility of hotspot mapping for predicting spatial
patterns of crime", *Security Journal* 21, 4-28). A PAI of 1 is no better than picking
cells at random; patrol hot spots worth the name score well above 1. Cells are equal in area
(the lattice's), so the area share is the share of cells; cells clipped to a study area
still count whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridmap._errors import ValidationError
from gridmap.hotspots.local_stats import gi_star
from gridmap.hotspots.trends import as_cube

__all__ = ["ForecastAccuracy", "forecast_accuracy"]


@dataclass(frozen=True)
class ForecastAccuracy:
    """Per-week and mean forecast accuracy.

    Attributes
    ----------
    weekly : pandas.DataFrame
        Indexed by the held-out ``week_start``: ``incidents`` (that week), ``hits`` (in the
        selected cells), ``hit_rate`` (hits ÷ incidents, NaN for a week without incidents),
        ``cells`` (selected), ``area_share`` (selected ÷ all cells) and ``pai``.
    hit_rate : float
        Mean of the weekly hit rates (weeks with incidents).
    pai : float
        Mean of the weekly PAIs (weeks with incidents and a selection).
    """

    weekly: pd.DataFrame
    hit_rate: float
    pai: float


def forecast_accuracy(
    incidents: Any,
    *,
    crs: Any = None,
    lookback_weeks: int = 4,
    area_share: float = 0.05,
    rank_by: str = "count",
    **cube_options: Any,
) -> ForecastAccuracy:
    """Hit rate and PAI of "last `lookback_weeks` weeks' hot spots" for each next week.

    Parameters
    ----------
    incidents : GeoDataFrame or SpaceTimeCube
        Incidents with ``occurred_at`` (then `crs` and :func:`space_time_cube` options), or
        a cube already built.
    crs : CRS-like
        The metric CRS, when `incidents` is a GeoDataFrame.
    lookback_weeks : int, default 4
        Weeks whose counts are summed to rank the cells.
    area_share : float, default 0.05
        Share of the cells to select, in (0, 1]: ``ceil(area_share × cells)`` cells. Only
        cells with a positive score (count, or Gi* z) are selected, so a quiet period may
        select fewer (the PAI uses the share actually selected). Ties at the cut go to the
        earlier cell.
    rank_by : {"count", "gi_star"}
        Rank by the summed counts, or by their Gi* z-score (a cell with busy neighbours
        ranks higher).
    **cube_options
        ``cell_size``, ``shape``, ``distance_band``, ``study_area``, ``start``, ``end``.

    Returns
    -------
    ForecastAccuracy
        The per-week table and the means; see :class:`ForecastAccuracy`.
    """
    if (
        isinstance(lookback_weeks, bool)
        or not isinstance(lookback_weeks, int)
        or lookback_weeks < 1
    ):
        msg = f"`lookback_weeks` must be a positive whole number of weeks; got {lookback_weeks!r}"
        raise ValidationError(msg)
    if (
        isinstance(area_share, bool)
        or not isinstance(area_share, int | float)
        or not 0 < area_share <= 1
    ):
        msg = f"`area_share` must be in (0, 1]; got {area_share!r}"
        raise ValidationError(msg)
    if rank_by not in ("count", "gi_star"):
        msg = f'`rank_by` must be "count" or "gi_star"; got {rank_by!r}'
        raise ValidationError(msg)
    cube = as_cube(incidents, crs=crs, **cube_options)
    counts = np.asarray(cube.counts, dtype=np.int64)
    n_cells, n_weeks = counts.shape
    if n_weeks <= lookback_weeks:
        msg = (
            f"`lookback_weeks` ({lookback_weeks}) must be shorter than the period "
            f"({n_weeks} weeks), leaving weeks to test"
        )
        raise ValidationError(msg)

    # scores[:, k] ranks the cells for held-out week lookback + k: vectorised over weeks
    csum = np.concatenate([np.zeros((n_cells, 1), dtype=np.int64), counts.cumsum(axis=1)], 1)
    held = np.arange(lookback_weeks, n_weeks)
    scores = (csum[:, held] - csum[:, held - lookback_weeks]).astype(float)
    if rank_by == "gi_star":
        scores, _ = gi_star(scores, cube.weights)
    scores = np.where(scores > 0, scores, -np.inf)  # only cells with something to show
    k = max(1, math.ceil(area_share * n_cells - 1e-9))
    order = np.argsort(-scores, axis=0, kind="stable")[:k]  # (k, weeks)
    cols = np.arange(len(held))
    chosen = np.isfinite(scores[order, cols[None, :]])
    hits = (counts[order, held[None, :]] * chosen).sum(axis=0)
    selected = chosen.sum(axis=0)
    incidents_week = counts[:, held].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hit_rate = np.where(incidents_week > 0, hits / incidents_week, np.nan)
        share = selected / n_cells
        pai = np.where(selected > 0, hit_rate / share, np.nan)
    weekly = pd.DataFrame(
        {
            "incidents": incidents_week,
            "hits": hits,
            "hit_rate": hit_rate,
            "cells": selected,
            "area_share": share,
            "pai": pai,
        },
        index=pd.DatetimeIndex(cube.week_starts[held], name="week_start"),
    )
    mean_hit = float(np.nanmean(hit_rate)) if np.isfinite(hit_rate).any() else math.nan
    mean_pai = float(np.nanmean(pai)) if np.isfinite(pai).any() else math.nan
    return ForecastAccuracy(weekly, mean_hit, mean_pai)
