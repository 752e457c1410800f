"""The street office's weekly report: an Excel workbook and offline PNG maps.

:func:`weekly_report` gathers what the street office looks at on Monday morning: incidents
by category this week against last week, the per-grid change table with significance flags
(:func:`~gridmap.hotspots.warnings.change_table`), the early warnings
(:func:`~gridmap.hotspots.warnings.early_warnings`), and the citizen-request deadlines
(:mod:`~gridmap.hotspots.requests`); plus PNG maps drawn with matplotlib from the
workspace's own grids and streets (no online tiles, :mod:`gridmap.hotspots._report_maps`),
written beside the workbook and embedded in its last sheet. Chinese by default, English on
request: every word of the workbook is in its language (合计/Total, 是/否 or yes/no, never
Python's True/False); numbers are stored rounded to what their number format shows.

Every piece of user text (categories, grid names, descriptions) is written with
``write_string``, and the workbook is opened with xlsxwriter's automatic conversions off, so
a description like ``=HYPERLINK("http://x")`` stays text and never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xlsxwriter

from gridmap._errors import ValidationError
from gridmap.hotspots._report_maps import draw_maps
from gridmap.hotspots.filters import WINDOW_DAYS, _timestamp
from gridmap.hotspots.requests import overdue_requests, request_sla, sla_by_grid
from gridmap.hotspots.temporal import _check_lang, chart_fonts
from gridmap.hotspots.warnings import (
    LEVEL_LABELS,
    category_label,
    change_table,
    early_warnings,
    poisson_binomial_p,
)
from gridmap.i18n import t
from gridmap.stats import PolygonLocator, assign_grid

__all__ = ["REPORT_SHEETS", "weekly_report"]

#: Sheet names of the workbook, in order, per language.
REPORT_SHEETS: dict[str, tuple[str, ...]] = {
    "zh": ("概况", "变化", "预警", "诉求时效", "超期诉求", "地图"),
    "en": ("Summary", "Changes", "Warnings", "Request SLA", "Overdue requests", "Maps"),
}

_H: dict[str, tuple[str, str]] = {
    "title": ("网格事件周报 {start} 至 {end}", "Weekly incident report {start} to {end}"),
    "synthetic": ("含合成样例数据，非真实警情", "Contains synthetic sample data, not real"),
    "category": ("类别", "Category"),
    "key": ("代码", "Key"),
    "current": ("本周", "This week"),
    "previous": ("上周", "Last week"),
    "change": ("变化", "Change"),
    "change_pct": ("变化率(%)", "Change (%)"),
    "p_value": ("p值", "p-value"),
    "significant": ("显著", "Significant"),
    "direction": ("方向", "Direction"),
    "grid_code": ("网格编码", "Grid code"),
    "grid_name": ("网格名称", "Grid"),
    "observed": ("本期数", "Observed"),
    "expected": ("基线均值", "Baseline mean"),
    "level": ("级别", "Level"),
    "reason": ("原因", "Reason"),
    "requests": ("诉求数", "Requests"),
    "closed": ("已办结", "Closed"),
    "closure_rate": ("办结率", "Closure rate"),
    "on_time_rate": ("按时办结率", "On-time rate"),
    "overdue": ("超期", "Overdue"),
    "callback_rate": ("15分钟回访率", "15-min callback rate"),
    "incident_id": ("事件编号", "Incident id"),
    "received_at": ("受理时间", "Received"),
    "deadline": ("期限", "Deadline"),
    "hours_overdue": ("超期小时", "Hours overdue"),
    "description": ("描述", "Description"),
    "total": ("合计", "Total"),
    "up": ("上升", "up"),
    "down": ("下降", "down"),
    "yes": ("是", "yes"),
    "map_overview": ("本周各网格事件数", "Incidents per grid this week"),
    "no_warning": ("本周无预警", "No warnings this week"),
    "maps_note": (
        "地图由工作空间的网格与道路绘制（离线），PNG 文件另存于 {folder}",
        "Maps drawn from the workspace's grids and streets (offline); PNG files in {folder}",
    ),
}
#: Decimals a number column is stored and shown with (stored rounded, so what a formula
#: or a copy reads is what the sheet shows); other numbers get 2. Rates are fractions
#: shown as per cent.
_DECIMALS: dict[str, int] = {
    "change_pct": 1,
    "p_value": 3,
    "expected": 2,
    "closure_rate": 3,
    "on_time_rate": 3,
    "callback_rate": 3,
    "hours_overdue": 1,
}
_NUMBER_FORMATS: dict[str, str] = {
    "change_pct": "0.0",
    "p_value": "0.000",
    "closure_rate": "0.0%",
    "on_time_rate": "0.0%",
    "callback_rate": "0.0%",
    "hours_overdue": "0.0",
}
_MAX_CELL = 32_767  # Excel's limit on a cell's text


def weekly_report(
    source: Any,
    *,
    week_end: Any,
    path: str | Path,
    lang: str = "zh",
    top: int = 3,
    locator: PolygonLocator | None = None,
    credit: str | None = None,
    categories: Sequence[str] | None = None,
) -> Path:
    """Write the weekly report workbook and its maps.

    Parameters
    ----------
    source : WorkspaceStore or mapping
        A workspace (its ``incidents``, ``grids`` and, when present, ``streets`` are read),
        or a mapping with those layers as GeoDataFrames (streets optional).
    week_end : datetime-like
        End of the week ``(week_end - 7 days, week_end]``, as
        :func:`gridmap.stats.window_kpis` counts: pass the midnight after the week's last
        day. Time-zone aware exactly when ``occurred_at`` is. Titles name the week's seven
        days inclusive (``week_end`` 2026-09-01 00:00 is "2026-08-25 至 2026-08-31").
    path : str or Path
        The ``.xlsx`` file to write (replaced if it exists). The PNG maps go to a folder
        beside it, ``<stem>_maps/``.
    lang : {"zh", "en"}, default "zh"
        Language of the sheet names, headers, labels and maps.
    top : int, default 3
        Maps are drawn for this many of the most severe warnings (plus one overview).
    locator : PolygonLocator, optional
        A locator built from the grids, to reuse.
    credit : str, optional
        The data credit printed on every map. Default: for a workspace, its own
        (:func:`gridmap.overview.workspace_credit`: the ``credit`` setting, OpenStreetMap's
        only for the sample that records it, else "data: <name>"); for layers given as a
        mapping, none. A city's own data is never credited to OpenStreetMap.
    categories : sequence of str, optional
        The category keys the report is about (the page's category filter): each gets a
        row of the summary, in this order, with zeros when it had no incidents in either
        week. Default: every category of `source`'s incidents.

    Returns
    -------
    pathlib.Path
        The workbook written.
    """
    _check_lang(lang)
    categories = _check_categories(categories)
    if isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 0:
        msg = f"`top` must be a whole number >= 0; got {top!r}"
        raise ValidationError(msg)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        msg = f"`path` must name an .xlsx file; got {str(path)!r}"
        raise ValidationError(msg)
    incidents, grids, streets = _layers(source)
    if credit is None and not isinstance(source, Mapping) and hasattr(source, "settings"):
        from gridmap.overview import workspace_credit

        location = getattr(source, "location", None) or getattr(source, "path", "")
        credit = workspace_credit(source.settings(), lang, name=Path(str(location)).stem or None)
    end = _timestamp(week_end, "week_end", incidents["occurred_at"])
    start = end - pd.Timedelta(days=WINDOW_DAYS)
    k = 0 if lang == "zh" else 1

    def h(key: str, **values: Any) -> str:
        return _H[key][k].format(**values)

    if categories is None:
        categories = tuple(dict.fromkeys(incidents["category"].dropna().astype(str)))
    else:
        incidents = incidents[incidents["category"].astype(str).isin(categories).to_numpy()]
    placed = incidents.copy()
    placed["grid_code"] = assign_grid(incidents, grids, locator=locator).to_numpy()
    names = grids.set_index("grid_code")["name"] if "name" in grids.columns else None

    summary = _summary(placed, end, categories)
    changes = change_table(placed, now=end, grids=grids)
    warnings = early_warnings(placed, now=end)
    sla_table = request_sla(placed, as_of=end)
    week_requests = sla_table[sla_table["received_at"] > start]
    sla = sla_by_grid(week_requests) if len(week_requests) else None
    overdue = overdue_requests(sla_table)

    map_dir = path.parent / f"{path.stem}_maps"
    map_dir.mkdir(parents=True, exist_ok=True)
    chart_k = 0 if chart_fonts(lang)[0] == "zh" else 1
    pngs = draw_maps(
        placed,
        grids,
        streets,
        warnings,
        start,
        end,
        lang,
        top,
        map_dir,
        titles=(_H["map_overview"][chart_k], t("report_legend_incidents", ("zh", "en")[chart_k])),
        credit=credit,
    )

    sheets = REPORT_SHEETS[lang]
    with xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    ) as book:
        fmt = _Formats(book)
        # (start, end] in days: the day after `start` to the day before `end` when `end`
        # is a midnight, so seven days, as the page's "the week up to <last day>".
        first_day = (start + pd.Timedelta(nanoseconds=1)).date()
        last_day = (end - pd.Timedelta(nanoseconds=1)).date()
        title = h("title", start=first_day, end=last_day)
        if "synthetic" in incidents.columns and incidents["synthetic"].fillna(False).any():
            title = f"{title} ({h('synthetic')})"

        yes_no = (t("report_no", lang), h("yes"))
        rows = [
            [category_label(c, lang), str(c), *vals, yes_no[bool(significant)]]
            for c, *vals, significant in summary.itertuples(index=True, name=None)
        ]
        rows[-1][:2] = [h("total"), ""]  # the last row is the total (`_summary`)
        head = ["category", "key", "current", "previous", "change", "change_pct"]
        _sheet(book, fmt, sheets[0], title, [*head, "p_value", "significant"], rows, h)
        rows = [
            [
                code,
                _name(names, code),
                r.current,
                r.previous,
                r.change,
                r.change_pct,
                r.p_value,
                yes_no[bool(r.significant)],
                h(r.direction) if r.direction else "",
            ]
            for code, r in changes.iterrows()
        ]
        head = ["grid_code", "grid_name", "current", "previous", "change", "change_pct"]
        _sheet(book, fmt, sheets[1], title, [*head, "p_value", "significant", "direction"], rows, h)
        rows = [
            [
                LEVEL_LABELS[r.level][k],
                r.grid_code,
                _name(names, r.grid_code),
                category_label(r.category, lang),
                r.observed,
                r.expected,
                r.p_value,
                r.reason_zh if lang == "zh" else r.reason_en,
            ]
            for r in warnings.itertuples()
        ]
        head = ["level", "grid_code", "grid_name", "category", "observed", "expected"]
        _sheet(book, fmt, sheets[2], title, [*head, "p_value", "reason"], rows, h)
        rows = []
        if sla is not None:
            rows = [
                [code, _name(names, code), *r]
                for code, r in zip(sla.index, sla.to_numpy().tolist(), strict=True)
            ]
        head = ["grid_code", "grid_name", "requests", "closed", "closure_rate", "on_time_rate"]
        _sheet(book, fmt, sheets[3], title, [*head, "overdue", "callback_rate"], rows, h)
        description = incidents["description"] if "description" in incidents.columns else None
        ids = incidents["incident_id"] if "incident_id" in incidents.columns else None
        rows = [
            [
                ids.loc[i] if ids is not None else str(i),
                r.grid_code,
                _name(names, r.grid_code),
                r.received_at,
                r.deadline,
                r.hours_overdue,
                description.loc[i] if description is not None else "",
            ]
            for i, r in overdue.iterrows()
        ]
        head = ["incident_id", "grid_code", "grid_name", "received_at", "deadline"]
        _sheet(book, fmt, sheets[4], title, [*head, "hours_overdue", "description"], rows, h)
        maps = book.add_worksheet(sheets[5])
        maps.write_string(0, 0, title, fmt.title)
        maps.write_string(1, 0, h("maps_note", folder=map_dir.name))
        row = 3
        for png in pngs:
            maps.insert_image(row, 0, str(png), {"x_scale": 0.6, "y_scale": 0.6})
            row += 32
    return path


# --- tables ----------------------------------------------------------------------------------


def _summary(incidents: pd.DataFrame, end: pd.Timestamp, categories: Sequence[str]) -> pd.DataFrame:
    """Counts this week and last per category of `categories` (each a row, in order, zeros
    when it has none), then the ``total`` row, with the change's p-value and flag."""
    from gridmap.stats import window_kpis

    kpis = window_kpis(incidents, now=end, days=WINDOW_DAYS, by="category")
    counts = ["current", "previous", "change"]
    kpis = kpis.reindex([*categories, "total"])
    kpis[counts] = kpis[counts].fillna(0).astype(int)
    kpis["p_value"] = poisson_binomial_p(kpis["current"].to_numpy(), kpis["previous"].to_numpy())
    kpis["significant"] = kpis["p_value"] < 0.05
    return kpis[["current", "previous", "change", "change_pct", "p_value", "significant"]]


def _check_categories(categories: Any) -> tuple[str, ...] | None:
    if categories is None:
        return None
    if isinstance(categories, str) or not all(isinstance(c, str) for c in categories):
        msg = f"`categories` must be a sequence of category keys (str); got {categories!r}"
        raise ValidationError(msg)
    return tuple(dict.fromkeys(categories))


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.header = book.add_format({"bold": True, "bg_color": "#dde4ee", "border": 1})
        self.date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.numbers = {
            key: book.add_format({"num_format": code})
            for key, code in {**_NUMBER_FORMATS, "": "0.00"}.items()
        }


def _sheet(
    book: xlsxwriter.Workbook,
    fmt: _Formats,
    name: str,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    h: Any,
) -> None:
    """A sheet: `title`, then the columns named by the `header` keys (``_H`` keys, shown
    as ``h(key)``) and `rows`; numbers rounded and formatted by ``_DECIMALS``."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, title, fmt.title)
    for col, key in enumerate(header):
        text = h(key)
        sheet.write_string(2, col, text, fmt.header)
        sheet.set_column(col, col, max(10, min(40, 2 * len(text) + 4)))
    for r, values in enumerate(rows, start=3):
        for c, value in enumerate(values):
            _cell(sheet, fmt, r, c, value, column=header[c])
    sheet.freeze_panes(3, 0)


def _cell(sheet: Any, fmt: _Formats, row: int, col: int, value: Any, *, column: str) -> None:
    """Write one cell by its type; text always as a string, never a formula or URL."""
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return  # a blank cell
    if isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value))
    elif isinstance(value, numbers.Integral):
        sheet.write_number(row, col, int(value))
    elif isinstance(value, numbers.Real):
        if math.isfinite(float(value)):
            number = round(float(value), _DECIMALS.get(column, 2))
            style = fmt.numbers.get(column if column in _NUMBER_FORMATS else "")
            sheet.write_number(row, col, number, style)
    elif isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.tz is not None:
            ts = ts.tz_localize(None)
        sheet.write_datetime(row, col, ts.floor("s").to_pydatetime(), fmt.date)
    else:
        sheet.write_string(row, col, str(value)[:_MAX_CELL])


def _name(names: pd.Series | None, code: Any) -> str:
    if names is None or code not in names.index:
        return ""
    value = names.loc[code]
    return "" if pd.isna(value) else str(value)


def _layers(source: Any) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    if isinstance(source, Mapping):
        get = source.get
        has = source.__contains__
    elif hasattr(source, "read") and hasattr(source, "layers"):
        available = set(source.layers())

        def get(name: str) -> Any:
            return source.read(name) if name in available else None

        has = available.__contains__
    else:
        kind = type(source).__name__
        msg = f"`source` must be a workspace store or a mapping of layers; got {kind}"
        raise ValidationError(msg)
    for name in ("incidents", "grids"):
        if not has(name):
            msg = f"`source` has no {name} layer"
            raise ValidationError(msg)
    incidents, grids = get("incidents"), get("grids")
    streets = get("streets") if has("streets") else None
    for name, frame in (("incidents", incidents), ("grids", grids)):
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = f"`source` layer {name} must be a GeoDataFrame"
            raise ValidationError(msg)
    if "grid_code" not in grids.columns:
        msg = "`source` layer grids must have a grid_code column"
        raise ValidationError(msg)
    return incidents, grids, streets
