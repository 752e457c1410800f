"""When incidents happen: the hour-of-day × weekday matrix, aoristic for time ranges.

Many incidents are known only to have happened *between* two times (a bicycle left in the
evening and found gone in the morning). Counting them at the start of the range piles them
on the hour the owner last looked. Aoristic analysis (Ratcliffe 2002, "Aoristic signatures
and the spatio-temporal analysis of high volume crime patterns", J. Quant. Criminol.
18(1):23-43) spreads each incident's single unit of weight evenly over the time it may have
happened: an incident between 22:00 and 02:00 adds 0.25 to each of the four hours. Here
the spread is exact to the millisecond: an hour receives the share of the range that falls
in it (so a range 22:30-01:30 gives 1/6, 1/3, 1/3, 1/6), which equals Ratcliffe's
1/(hours spanned) for ranges on whole hours. Ranges over a week or more wrap around the
week, each hour-of-week cell receiving its share of the range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure

from gridmap._errors import ValidationError
from gridmap.hotspots.filters import _occurred
from gridmap.schema import CATEGORIES, category_key

__all__ = ["aoristic_weights", "hour_weekday_matrix", "plot_hour_weekday"]

_HOUR_MS = 3_600_000
_WEEK_MS = 7 * 24 * _HOUR_MS
_CELLS = 7 * 24
# 1970-01-05 was a Monday: times are counted from there so that cell 0 is Monday 00:00.
_MONDAY_MS = 4 * 24 * _HOUR_MS
# Rows of ranged incidents handled at once (rows × 168 float64 cells ≈ 27 MB).
_CHUNK = 20_000

_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_TEXT = {
    "hour": ("小时", "Hour of day"),
    "weekday": ("星期", "Day of week"),
    "weight": ("事件数（时段加权）", "Incidents (aoristic weight)"),
    "title": ("事件时段分布", "When incidents happen"),
}
#: Families tried, in order, for Chinese text in charts (Debian's fonts-noto-cjk first).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Serif CJK SC",
)


def aoristic_weights(
    incidents: pd.DataFrame, *, start_column: str = "occurred_at", end_column: str = "occurred_to"
) -> pd.DataFrame:
    """Each incident's weight in each of the 168 hours of the week.

    Parameters
    ----------
    incidents : DataFrame
        Incidents with `start_column` and, optionally, `end_column` (date-times).
    start_column, end_column : str
        The range each incident may have happened in. Rows without an end (or an end not
        after the start) are point events: their whole weight goes to the hour of the start.

    Returns
    -------
    pandas.DataFrame
        Shape ``(len(incidents), 168)``, indexed like `incidents`, columns a MultiIndex
        (``weekday`` 0 = Monday … 6, ``hour`` 0 … 23). Each row sums to 1 (0 for rows
        without a start time).

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {
    ...         "occurred_at": pd.to_datetime(["2024-05-06 22:30"]),  # a Monday
    ...         "occurred_to": pd.to_datetime(["2024-05-07 01:30"]),
    ...     }
    ... )
    >>> w = aoristic_weights(frame).iloc[0]
    >>> w[w > 0].round(4).to_dict()
    {(0, 22): 0.1667, (0, 23): 0.3333, (1, 0): 0.3333, (1, 1): 0.1667}
    """
    start, end = _ranges(incidents, start_column, end_column)
    weights = np.zeros((len(incidents), _CELLS))
    valid = ~np.isnan(start)
    ranged = valid & (end > start)
    point = valid & ~ranged
    weights[np.flatnonzero(point), _cell(start[point])] = 1.0
    rows = np.flatnonzero(ranged)
    for first in range(0, len(rows), _CHUNK):
        chunk = rows[first : first + _CHUNK]
        weights[chunk] = _spread(start[chunk], end[chunk])
    columns = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    return pd.DataFrame(weights, index=incidents.index, columns=columns)


def hour_weekday_matrix(
    incidents: pd.DataFrame,
    *,
    by: str | None = None,
    aoristic: bool = True,
    start_column: str = "occurred_at",
    end_column: str = "occurred_to",
) -> pd.DataFrame:
    """Count incidents by weekday and hour of day, spreading time ranges aoristically.

    Times are wall-clock times (aware times in their own zone). Rows without a start time
    are left out.

    Parameters
    ----------
    incidents : DataFrame
        Incidents with ``occurred_at`` and, optionally, ``occurred_to``.
    by : str, optional
        A column (e.g. ``"category"``) to give one 7 × 24 block per value.
    aoristic : bool, default True
        Spread incidents with a range ``occurred_at`` - ``occurred_to`` over the hours it
        spans (see the module notes). False counts every incident at ``occurred_at``.
    start_column, end_column : str
        Columns holding the start and the end of the range.

    Returns
    -------
    pandas.DataFrame
        Without `by`: 7 rows (index ``weekday``, 0 = Monday) × 24 columns (``hour``), float
        (expected incidents). With `by`: rows indexed by (value, weekday), so
        ``matrix.loc["theft"]`` is the 7 × 24 block of thefts; values in categorical order,
        else sorted. The total equals the number of incidents with a start time.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {
    ...         "category": ["theft", "theft", "fight"],
    ...         "occurred_at": pd.to_datetime(
    ...             ["2024-05-06 22:00", "2024-05-07 09:15", "2024-05-11 01:00"]
    ...         ),
    ...         "occurred_to": pd.to_datetime(["2024-05-07 00:00", None, None]),
    ...     }
    ... )
    >>> m = hour_weekday_matrix(frame, by="category")
    >>> m.loc["theft"].loc[0, [22, 23]].tolist(), float(m.loc["theft"].loc[1, 9])
    ([0.5, 0.5], 1.0)
    >>> float(m.to_numpy().sum())
    3.0
    """
    if not isinstance(aoristic, bool):
        msg = f"`aoristic` must be True or False; got {aoristic!r}"
        raise ValidationError(msg)
    if by is not None and by not in incidents.columns:
        msg = f"`by` must be a column of `incidents`; got {by!r}"
        raise ValidationError(msg)
    start, end = _ranges(incidents, start_column, end_column if aoristic else None)
    valid = ~np.isnan(start)
    ranged = valid & (end > start)
    point = valid & ~ranged
    if by is None:
        groups = np.zeros(len(incidents), dtype=np.intp)
        labels: list[Any] = [None]
    else:
        values = pd.Categorical(incidents[by])
        groups = np.asarray(values.codes, dtype=np.intp)
        labels = list(values.categories)
        point &= groups >= 0
        ranged &= groups >= 0
    n_groups = len(labels)
    table = np.bincount(
        groups[point] * _CELLS + _cell(start[point]), minlength=n_groups * _CELLS
    ).astype(np.float64)
    rows = np.flatnonzero(ranged)
    for first in range(0, len(rows), _CHUNK):
        chunk = rows[first : first + _CHUNK]
        spread = _spread(start[chunk], end[chunk])
        sums = np.zeros((n_groups, _CELLS))
        np.add.at(sums, groups[chunk], spread)
        table += sums.ravel()
    hours = pd.Index(range(24), name="hour")
    if by is None:
        return pd.DataFrame(
            table.reshape(7, 24), index=pd.Index(range(7), name="weekday"), columns=hours
        )
    index = pd.MultiIndex.from_product([labels, range(7)], names=[by, "weekday"])
    return pd.DataFrame(table.reshape(n_groups * 7, 24), index=index, columns=hours)


def plot_hour_weekday(
    matrix: pd.DataFrame,
    *,
    lang: str = "zh",
    title: str | None = None,
    category: str | None = None,
) -> Figure:
    """Draw a 7 × 24 matrix of :func:`hour_weekday_matrix` as a heat map.

    Parameters
    ----------
    matrix : DataFrame
        7 rows (weekday, Monday first) × 24 columns (hour).
    lang : {"zh", "en"}, default "zh"
        Language of the labels. Chinese needs a CJK font (Debian ``fonts-noto-cjk``); when
        none is installed the labels fall back to English rather than empty boxes.
    title : str, optional
        The chart's title; by default "When incidents happen", with `category`'s label.
    category : str, optional
        A category key (or label) named in the default title.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot (no global state); save it with ``fig.savefig(path)``.
    """
    _check_lang(lang)
    if not isinstance(matrix, pd.DataFrame) or matrix.shape != (7, 24):
        shape = getattr(matrix, "shape", None)
        msg = f"`matrix` must be a 7 × 24 DataFrame (weekday × hour); got shape {shape}"
        raise ValidationError(msg)
    lang, families = chart_fonts(lang)
    zh = lang == "zh"
    if title is None:
        title = _TEXT["title"][0 if zh else 1]
        if category is not None:
            key = category_key(category)
            label = CATEGORIES[key].label(lang) if key else str(category)
            title = f"{title} · {label}"
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    with _font_context(families):
        ax = fig.add_subplot()
        image = ax.imshow(
            matrix.to_numpy(dtype=float), aspect="auto", cmap="YlOrRd", origin="upper"
        )
        ax.set_xticks(range(24), [str(h) for h in range(24)])
        ax.set_yticks(range(7), _WEEKDAYS[lang])
        ax.set_xlabel(_TEXT["hour"][0 if zh else 1])
        ax.set_ylabel(_TEXT["weekday"][0 if zh else 1])
        ax.set_title(title)
        bar = fig.colorbar(image, ax=ax, fraction=0.03)
        bar.set_label(_TEXT["weight"][0 if zh else 1])
    return fig


# --- fonts for charts (shared by the street office's charts) --------------------------------


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in names:
            return family
    others = sorted(n for n in names if "CJK" in n and ("SC" in n or "CN" in n))
    return others[0] if others else None


def chart_fonts(lang: str) -> tuple[str, list[str]]:
    """The language charts can be drawn in and the font families to draw them with.

    Chinese asks for a CJK font; without one the chart falls back to English.
    """
    family = cjk_font()
    if family is None:
        return "en", ["DejaVu Sans"]
    return lang, [family, "DejaVu Sans"]


def _font_context(families: list[str]) -> Any:
    import matplotlib as mpl

    # Concrete family names (not "sans-serif"): text resolves them when drawn, after the
    # context is gone.
    return mpl.rc_context({"font.family": families})


def _check_lang(lang: Any) -> None:
    if lang not in ("zh", "en"):
        msg = f"`lang` must be 'zh' or 'en'; got {lang!r}"
        raise ValidationError(msg)


# --- the arithmetic -------------------------------------------------------------------------


def _ranges(
    incidents: Any, start_column: str, end_column: str | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Start and end of each incident in ms of wall-clock time since Monday 1970-01-05."""
    if not isinstance(incidents, pd.DataFrame):
        msg = f"`incidents` must be a DataFrame; got {type(incidents).__name__}"
        raise ValidationError(msg)
    start = _wall_ms(_occurred(incidents, start_column))
    if end_column is None or end_column not in incidents.columns:
        return start, np.full(len(start), np.nan)
    return start, _wall_ms(_occurred(incidents, end_column))


def _wall_ms(times: pd.Series) -> npt.NDArray[np.float64]:
    if getattr(times.dtype, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    ms = times.to_numpy(dtype="datetime64[ms]").astype(np.int64).astype(np.float64)
    ms[times.isna().to_numpy()] = np.nan
    return ms - _MONDAY_MS


def _cell(ms: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Hour-of-week cell (0 = Monday 00:00-01:00 … 167) of each time."""
    return (np.mod(ms, _WEEK_MS) // _HOUR_MS).astype(np.intp)


def _spread(
    start: npt.NDArray[np.float64], end: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """(n, 168) share of each range [start, end) falling in each hour-of-week cell.

    ``F_c(t)``, the time before `t` spent in cell ``c`` (counting from the epoch), is
    ``floor(t / week) * hour + clip(t mod week - c * hour, 0, hour)``; the range's time in
    the cell is ``F_c(end) - F_c(start)``.
    """
    offsets = np.arange(_CELLS, dtype=np.float64) * _HOUR_MS

    def before(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        weeks, rest = np.divmod(t, _WEEK_MS)
        return weeks[:, None] * _HOUR_MS + np.clip(rest[:, None] - offsets, 0.0, _HOUR_MS)

    return (before(end) - before(start)) / (end - start)[:, None]
