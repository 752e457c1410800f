"""Early warnings per grid and category, and the CompStat change table.

:func:`early_warnings` compares each grid's count in the recent window (7 days by default)
with that grid's own baseline (the 8 windows before it): under the baseline's mean rate
``λ``, how surprising is the count? The upper-tail probability ``P(X >= observed)`` comes
from a Poisson model, or a negative binomial fitted by the method of moments when the
baseline varies more than a Poisson would (over-dispersion: bursty grids need more to
alarm). Levels (red/orange/yellow) and their minimum counts are the policy constants of
:mod:`gridmap.hotspots.filters`. Each warning says why, in Chinese and English.

:func:`change_table` is CompStat's weekly table (Bratton's NYPD, 1994): this period against
the previous one of equal length, per grid, with an exact conditional test (given
``n = current + previous`` incidents, ``current ~ Binomial(n, 1/2)`` when the rate did not
change; Przyborowski & Wilenski 1940) so that 2 → 4 is not called a doubling of crime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import (
    BASELINE_DAYS,
    MIN_WARNING_COUNT,
    WARNING_LEVELS,
    WINDOW_DAYS,
    _occurred,
    _positive,
    _timestamp,
    incident_grids,
)
from gridmap.schema import CATEGORIES
from gridmap.stats import PolygonLocator

__all__ = [
    "LEVEL_LABELS",
    "category_label",
    "change_table",
    "early_warnings",
    "poisson_binomial_p",
    "upper_tail",
]

#: Names of the warning levels shown to users.
LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "red": ("红色预警", "Red"),
    "orange": ("橙色预警", "Orange"),
    "yellow": ("黄色预警", "Yellow"),
}
_ALL = ("全部", "All incidents")

_COLUMNS = [
    "grid_code",
    "category",
    "observed",
    "expected",
    "baseline_var",
    "change_pct",
    "model",
    "p_value",
    "level",
    "reason_zh",
    "reason_en",
]


def early_warnings(
    incidents: pd.DataFrame,
    *,
    now: Any,
    grids: gpd.GeoDataFrame | None = None,
    locator: PolygonLocator | None = None,
    by: str | None = "category",
    window_days: float = WINDOW_DAYS,
    baseline_days: float = BASELINE_DAYS,
    model: str = "auto",
    levels: Sequence[tuple[str, float, int]] = WARNING_LEVELS,
    min_count: int = MIN_WARNING_COUNT,
    include_all: bool = False,
) -> pd.DataFrame:
    """Warn where a grid's recent count is improbably high against its own baseline.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        Incidents with ``occurred_at``, and a ``grid_code`` column or points to place in
        `grids`.
    now : datetime-like
        End of the recent window ``(now - window_days, now]``. The baseline is the
        ``baseline_days`` before it, cut into windows of the same length.
    grids : GeoDataFrame, optional
        The grids layer, when `incidents` has no ``grid_code`` column.
    locator : PolygonLocator, optional
        A locator built from `grids`, to reuse.
    by : str or None, default "category"
        Column to warn per value of; None warns on all incidents of a grid together.
    window_days : float, default 7
        Length of the recent window.
    baseline_days : float, default 56
        Length of the baseline, a whole number of windows (56 days = 8 weekly windows).
    model : {"auto", "poisson", "negbin"}, default "auto"
        ``"poisson"``: ``X ~ Poisson(λ)``, ``λ`` the baseline's mean per window.
        ``"negbin"``: a negative binomial with the baseline's mean ``m`` and variance
        ``v`` (method of moments: ``r = m² / (v - m)``, ``p = r / (r + m)``), Poisson where
        ``v <= m``. ``"auto"``: ``"negbin"`` where the baseline is over-dispersed
        (``v > m``), else Poisson. A baseline without any incident is taken as one incident
        in the whole baseline (``λ = 1 / windows``), so that the first incidents in a quiet
        grid are judged, not infinitely surprising.
    levels : sequence of (level, p below, minimum count), default WARNING_LEVELS
        Most severe first; a row gets the first level whose p-value and count it meets.
    min_count : int, default 3
        No warning below this many incidents in the window.
    include_all : bool, default False
        Also return the rows without a warning (every grid and value with an incident in the
        window or baseline).

    Returns
    -------
    pandas.DataFrame
        One row per warning (grid, value), most severe and most improbable first:
        ``grid_code``, ``category``, ``observed``, ``expected`` (baseline mean per window),
        ``baseline_var``, ``change_pct`` (NaN when the baseline is 0), ``model``,
        ``p_value``, ``level`` (``"red"``, ``"orange"``, ``"yellow"``, or None) and the
        reason in words, ``reason_zh`` and ``reason_en``
        (``"Dispute +180% vs 8-week baseline, p<0.01"``).
    """
    window = _positive(window_days, "window_days")
    baseline = _positive(baseline_days, "baseline_days")
    n_windows = baseline / window
    if abs(n_windows - round(n_windows)) > 1e-9:
        msg = (
            f"`baseline_days` must be a whole number of windows of `window_days`; "
            f"got {baseline_days!r} and {window_days!r}"
        )
        raise ValidationError(msg)
    k = round(n_windows)
    if model not in ("auto", "poisson", "negbin"):
        msg = f"`model` must be 'auto', 'poisson' or 'negbin'; got {model!r}"
        raise ValidationError(msg)
    levels = _check_levels(levels)
    min_count = int(_positive(min_count, "min_count", integer=True))
    if by is not None and by not in incidents.columns:
        msg = f"`by` must be a column of `incidents`; got {by!r}"
        raise ValidationError(msg)
    occurred = _occurred(incidents)
    end = _timestamp(now, "now", occurred)

    # Window 0 is the recent one, 1 … k the baseline.
    age_days = (end - occurred).dt.total_seconds().to_numpy() / 86400.0
    with np.errstate(invalid="ignore"):
        period = np.floor(age_days / window)
    frame = pd.DataFrame(
        {
            "grid_code": incident_grids(incidents, grids=grids, locator=locator).to_numpy(),
            "category": incidents[by].to_numpy() if by is not None else "all",
            "period": period,
        }
    )
    frame = frame[(frame["period"] >= 0) & (frame["period"] <= k)].dropna()
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    table = (
        frame.groupby(["grid_code", "category", "period"])
        .size()
        .unstack("period", fill_value=0)
        .reindex(columns=np.arange(k + 1, dtype=float), fill_value=0)
    )
    observed = table[0.0].to_numpy()
    history = table.drop(columns=0.0).to_numpy(dtype=float)
    mean = history.mean(axis=1)
    var = history.var(axis=1, ddof=1) if k > 1 else np.zeros(len(mean))
    lam = np.maximum(mean, 1.0 / k)
    p_value, used = upper_tail(observed, lam, var, model=model)

    level = np.full(len(observed), None, dtype=object)
    threshold = np.full(len(observed), np.nan)
    for name, below, least in reversed(levels):  # most severe last, so it wins
        hit = (p_value < below) & (observed >= max(least, min_count))
        level[hit] = name
        threshold[hit] = below
    with np.errstate(divide="ignore", invalid="ignore"):
        change_pct = np.where(
            mean > 0, 100.0 * (observed - mean) / np.where(mean > 0, mean, 1), np.nan
        )
    result = pd.DataFrame(
        {
            "grid_code": table.index.get_level_values("grid_code"),
            "category": table.index.get_level_values("category"),
            "observed": observed.astype(np.int64),
            "expected": mean,
            "baseline_var": var,
            "change_pct": change_pct,
            "model": used,
            "p_value": p_value,
            "level": pd.Series(level, dtype=object),
        }
    )
    baseline_words = _baseline_words(baseline)
    reasons = [
        _reason(cat, obs, pct, thr, baseline_words, by is None)
        for cat, obs, pct, thr in zip(
            result["category"], observed, change_pct, threshold, strict=True
        )
    ]
    result["reason_zh"] = [r[0] for r in reasons]
    result["reason_en"] = [r[1] for r in reasons]
    if not include_all:
        result = result[result["level"].notna()]
    severity = result["level"].map({name: i for i, (name, _, _) in enumerate(levels)})
    order = np.lexsort((result["p_value"].to_numpy(), severity.fillna(len(levels)).to_numpy()))
    return result.iloc[order].reset_index(drop=True)


def upper_tail(
    observed: np.ndarray, mean: np.ndarray, var: np.ndarray, *, model: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """``P(X >= observed)`` per row, and the model used (``"poisson"`` or ``"negbin"``).

    See :func:`early_warnings` for the models; `mean` must be positive.

    >>> p, used = upper_tail(np.array([5]), np.array([1.0]), np.array([1.0]))
    >>> round(float(p[0]), 5), used.tolist()
    (0.00366, ['poisson'])
    """
    observed = np.asarray(observed, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    negbin = (var > mean) if model in ("auto", "negbin") else np.zeros(len(mean), dtype=bool)
    p = stats.poisson.sf(observed - 1, mean)
    if negbin.any():
        m, v = mean[negbin], var[negbin]
        r = m * m / (v - m)
        p[negbin] = stats.nbinom.sf(observed[negbin] - 1, r, r / (r + m))
    p = np.where(observed <= 0, 1.0, p)
    return p, np.where(negbin, "negbin", "poisson")


def poisson_binomial_p(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Two-sided exact p-value that two equal-length periods share one Poisson rate.

    Conditional on ``n = current + previous``, ``current ~ Binomial(n, 1/2)``; the
    two-sided p-value (as :func:`scipy.stats.binomtest`) is, by symmetry,
    ``min(1, 2 P(X <= min(current, previous)))``; 1 when n = 0.

    >>> poisson_binomial_p(np.array([4, 20]), np.array([2, 5])).round(4).tolist()
    [0.6875, 0.0041]
    """
    current = np.asarray(current, dtype=np.int64)
    previous = np.asarray(previous, dtype=np.int64)
    n = current + previous
    low = np.minimum(current, previous)
    p = np.minimum(1.0, 2.0 * stats.binom.cdf(low, n, 0.5))
    return np.where((n == 0) | (current == previous), 1.0, p)


def change_table(
    incidents: pd.DataFrame,
    *,
    now: Any,
    days: float = WINDOW_DAYS,
    grids: gpd.GeoDataFrame | None = None,
    locator: PolygonLocator | None = None,
    by: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """CompStat's table: this period against the previous one, per grid, with significance.

    Parameters
    ----------
    incidents : DataFrame or GeoDataFrame
        Incidents with ``occurred_at`` and a ``grid_code`` column or points in `grids`.
    now : datetime-like
        End of the current period ``(now - days, now]``; the previous is
        ``(now - 2 days, now - days]`` (as :func:`gridmap.stats.window_kpis`).
    days : float, default 7
        Length of each period.
    grids : GeoDataFrame, optional
        The grids layer: to place incidents, and to list every grid (zeros included).
    locator : PolygonLocator, optional
        A locator built from `grids`, to reuse.
    by : str, optional
        A column (``"category"``) to split each grid's row by.
    alpha : float, default 0.05
        A change is ``significant`` when its p-value is below this.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``grid_code`` (and `by`): ``current``, ``previous``, ``change``,
        ``change_pct`` (NaN when previous is 0), ``p_value`` (:func:`poisson_binomial_p`),
        ``significant`` (bool) and ``direction`` (``"up"``, ``"down"`` or ``""``: only
        significant changes have a direction).
    """
    span = _positive(days, "days")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        msg = f"`alpha` must be a number between 0 and 1; got {alpha!r}"
        raise ValidationError(msg)
    if by is not None and by not in incidents.columns:
        msg = f"`by` must be a column of `incidents`; got {by!r}"
        raise ValidationError(msg)
    occurred = _occurred(incidents)
    end = _timestamp(now, "now", occurred)
    age = (end - occurred).dt.total_seconds().to_numpy() / 86400.0
    with np.errstate(invalid="ignore"):
        period = np.floor(age / span)
    keys = ["grid_code"] + ([by] if by is not None else [])
    frame = pd.DataFrame(
        {"grid_code": incident_grids(incidents, grids=grids, locator=locator).to_numpy()}
    )
    if by is not None:
        frame[by] = incidents[by].to_numpy()
    frame["period"] = period
    frame = frame[(frame["period"] == 0) | (frame["period"] == 1)].dropna()
    table = frame.groupby([*keys, "period"]).size().unstack("period", fill_value=0)
    table = table.reindex(columns=[0.0, 1.0], fill_value=0)
    if grids is not None and "grid_code" in grids.columns and by is None:
        table = table.reindex(pd.Index(grids["grid_code"], name="grid_code"), fill_value=0)
    current = table[0.0].to_numpy(dtype=np.int64)
    previous = table[1.0].to_numpy(dtype=np.int64)
    p = poisson_binomial_p(current, previous)
    significant = p < alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(previous > 0, 100.0 * (current - previous) / np.maximum(previous, 1), np.nan)
    direction = np.where(significant & (current > previous), "up", "")
    direction = np.where(significant & (current < previous), "down", direction)
    result = pd.DataFrame(
        {
            "current": current,
            "previous": previous,
            "change": current - previous,
            "change_pct": pct,
            "p_value": p,
            "significant": significant,
            "direction": direction,
        },
        index=table.index,
    )
    result.columns.name = None
    return result


# --- words -----------------------------------------------------------------------------------


def category_label(value: Any, lang: str) -> str:
    """A category's label in `lang` ("zh"/"en"); other values as they are."""
    cat = CATEGORIES.get(str(value))
    if cat is None:
        return str(value)
    return cat.label(lang)


def _baseline_words(days: float) -> tuple[str, str]:
    if days % 7 == 0:
        weeks = int(days // 7)
        return f"前{weeks}周基线", f"{weeks}-week baseline"
    return f"前{days:g}天基线", f"{days:g}-day baseline"


def _reason(
    category: Any,
    observed: int,
    pct: float,
    threshold: float,
    baseline: tuple[str, str],
    total: bool,
) -> tuple[str, str]:
    zh_label = _ALL[0] if total else category_label(category, "zh")
    en_label = _ALL[1] if total else category_label(category, "en")
    p_text = f"p<{threshold:.2f}" if math.isfinite(threshold) else "p≥0.10"
    if math.isfinite(pct):
        sign = "+" if pct >= 0 else ""
        return (
            f"{zh_label} 较{baseline[0]} {sign}{pct:.0f}%，{p_text}",
            f"{en_label} {sign}{pct:.0f}% vs {baseline[1]}, {p_text}",
        )
    return (
        f"{zh_label} 本期{observed}起，{baseline[0]}为0，{p_text}",
        f"{en_label} {observed} vs none in {baseline[1]}, {p_text}",
    )


def _check_levels(levels: Any) -> list[tuple[str, float, int]]:
    try:
        checked = [(str(n), float(p), int(c)) for n, p, c in levels]
    except (TypeError, ValueError):
        msg = f"`levels` must be (name, p-value, minimum count) triples; got {levels!r}"
        raise ValidationError(msg) from None
    if not checked or any(not 0 < p <= 1 for _, p, _ in checked):
        msg = f"`levels` must be non-empty with p-values in (0, 1]; got {levels!r}"
        raise ValidationError(msg)
    return checked
