"""How concentrated incidents are on street segments (the law of crime concentration).

Weisburd (2015, "The law of crime concentration and the criminology of place",
Criminology 53(2):133-157) found, city after city, that about 50 % of crime falls on
2-6 % of street segments and 25 % on 0.4-1.6 %. :func:`segment_counts` snaps incidents to
their nearest street segment, :func:`concentration_summary` gives those two shares for the
workspace, :func:`concentration_curve` the whole Lorenz-style curve (segments sorted from
most to fewest incidents, zero-count segments included, as Weisburd counts them), and
:func:`plot_concentration` draws it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import _metric_crs, _metric_xy, _positive
from gridmap.hotspots.temporal import _check_lang, _font_context, chart_fonts

__all__ = [
    "concentration_curve",
    "concentration_summary",
    "plot_concentration",
    "segment_counts",
    "share_of_segments_holding",
]

_TEXT = {
    "x": ("街段占比（按事件数从多到少）", "Share of street segments (most incidents first)"),
    "y": ("事件累计占比", "Cumulative share of incidents"),
    "title": ("事件在街段上的集中度", "Concentration of incidents on street segments"),
    "equal": ("均匀分布", "Even spread"),
    "half": ("{p:.1%} 的街段集中了 50% 的事件", "{p:.1%} of segments hold 50% of incidents"),
}


def segment_counts(
    incidents: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    max_distance: float | None = 50.0,
) -> pd.Series:
    """Count incidents on each street segment, snapping each to its nearest segment.

    Parameters
    ----------
    incidents : GeoDataFrame
        Point incidents, any CRS.
    streets : GeoDataFrame
        Street segments (LineStrings), any CRS; one row per segment. (A workspace's streets
        layer may hold a walking and a driving network over each other: pick one first,
        e.g. ``streets[streets["network"] == "drive"]``, or incidents split between twins.)
    max_distance : float or None, default 50
        Metres: incidents farther than this from every segment are not counted (in parks,
        off the map). None counts every incident.

    Returns
    -------
    pandas.Series
        Indexed like `streets`, named ``incidents``, int64; zero for segments without any.
        Ties between equally near segments go to one of them.
    """
    if not isinstance(streets, gpd.GeoDataFrame):
        msg = f"`streets` must be a GeoDataFrame of lines; got {type(streets).__name__}"
        raise ValidationError(msg)
    if max_distance is not None:
        max_distance = _positive(max_distance, "max_distance")
    result = pd.Series(0, index=streets.index, name="incidents", dtype=np.int64)
    if len(streets) == 0 or len(incidents) == 0:
        return result
    crs = _metric_crs(streets, "streets")
    xy = _metric_xy(incidents, "incidents", crs)
    xy = xy[np.isfinite(xy).all(axis=1)]
    lines = np.asarray(streets.geometry.to_crs(crs).array, dtype=object)
    tree = shapely.STRtree(lines)
    found = tree.query_nearest(
        shapely.points(xy), max_distance=max_distance, all_matches=False
    )  # (2, k): point position, segment position
    counts = np.bincount(found[1], minlength=len(streets))
    result[:] = counts
    return result


def concentration_curve(counts: pd.Series) -> pd.DataFrame:
    """The cumulative share of incidents held by the busiest share of segments.

    Parameters
    ----------
    counts : Series
        Incidents per segment (:func:`segment_counts`), zero-count segments included.

    Returns
    -------
    pandas.DataFrame
        ``len(counts) + 1`` rows from (0, 0) to (1, 1): ``share_of_segments`` and
        ``share_of_incidents``, segments sorted from most to fewest incidents; ``segment``
        holds the segment's label in `counts` (missing on the first row).

    Examples
    --------
    >>> concentration_curve(pd.Series([0, 6, 2, 0])).round(3).to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'segment': [nan, 1.0, 2.0, 0.0, 3.0], 'share_of_segments': [0.0, 0.25, 0.5, 0.75, 1.0],
     'share_of_incidents': [0.0, 0.75, 1.0, 1.0, 1.0]}
    """
    values = _counts(counts)
    order = np.argsort(-values, kind="stable")
    total = values.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(values[order]) / (total if total else 1)])
    n = len(values)
    return pd.DataFrame(
        {
            "segment": pd.Series([np.nan, *counts.index[order]], dtype=object).infer_objects(),
            "share_of_segments": np.arange(n + 1) / max(n, 1),
            "share_of_incidents": cumulative,
        }
    )


def share_of_segments_holding(counts: pd.Series, share: float) -> float:
    """The smallest share of segments that together hold `share` of the incidents.

    Segments are taken from most to fewest incidents until they hold at least `share` of
    all incidents; the answer is their number over all segments (zero-count ones included).
    NaN when there is no incident.

    >>> share_of_segments_holding(pd.Series([5, 3, 1, 1, 0, 0, 0, 0, 0, 0]), 0.5)
    0.1
    """
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        msg = f"`share` must be a number in (0, 1]; got {share!r}"
        raise ValidationError(msg)
    values = _counts(counts)
    total = values.sum()
    if total == 0:
        return float("nan")
    cumulative = np.cumsum(np.sort(values)[::-1])
    needed = int(np.searchsorted(cumulative, share * total - 1e-9 * total)) + 1
    return needed / len(values)


def concentration_summary(counts: pd.Series) -> pd.Series:
    """Weisburd's measures of concentration for incidents per segment.

    Returns
    -------
    pandas.Series
        Named ``concentration``: ``segments``, ``incidents``, ``share_for_50`` and
        ``share_for_25`` (share of segments holding 50 % / 25 % of incidents),
        ``share_with_any`` (segments with at least one incident) and ``gini`` (0: even,
        near 1: all on one segment).
    """
    values = _counts(counts)
    n, total = len(values), values.sum()
    if total:
        ascending = np.sort(values)
        gini = float((2 * np.arange(1, n + 1) - n - 1).dot(ascending) / (n * ascending.sum()))
    else:
        gini = float("nan")
    return pd.Series(
        {
            "segments": n,
            "incidents": int(total),
            "share_for_50": share_of_segments_holding(counts, 0.5),
            "share_for_25": share_of_segments_holding(counts, 0.25),
            "share_with_any": float((values > 0).mean()) if n else float("nan"),
            "gini": gini,
        },
        name="concentration",
    )


def plot_concentration(counts: pd.Series, *, lang: str = "zh") -> Figure:
    """Draw the concentration curve of incidents per segment, with the 50 % share marked.

    Parameters
    ----------
    counts : Series
        Incidents per segment (:func:`segment_counts`).
    lang : {"zh", "en"}, default "zh"
        Language of the labels (English when no CJK font is installed).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_lang(lang)
    curve = concentration_curve(counts)
    half = share_of_segments_holding(counts, 0.5) if _counts(counts).sum() else float("nan")
    lang, families = chart_fonts(lang)
    k = 0 if lang == "zh" else 1
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    with _font_context(families):
        ax = fig.add_subplot()
        ax.plot(curve["share_of_segments"], curve["share_of_incidents"], color="#c0392b", lw=2)
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label=_TEXT["equal"][k])
        if np.isfinite(half):
            ax.axvline(half, color="#34495e", lw=1)
            ax.axhline(0.5, color="#34495e", lw=1)
            ax.annotate(
                _TEXT["half"][k].format(p=half),
                (half, 0.5),
                xytext=(0.3, 0.25),
                textcoords="axes fraction",
                arrowprops={"arrowstyle": "->"},
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.set_xlabel(_TEXT["x"][k])
        ax.set_ylabel(_TEXT["y"][k])
        ax.set_title(_TEXT["title"][k])
        ax.legend(loc="lower right")
    return fig


def _counts(counts: pd.Series) -> np.ndarray:
    if not isinstance(counts, pd.Series):
        msg = f"`counts` must be a Series of incidents per segment; got {type(counts).__name__}"
        raise ValidationError(msg)
    values = counts.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        msg = "`counts` must hold non-negative numbers"
        raise ValidationError(msg)
    return values
