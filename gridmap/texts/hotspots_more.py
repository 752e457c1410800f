"""Interface texts of the street office's pages added after the first release of #7."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # app_pages/_street_office.py: the hours filter (views.hour_span)
    "hs_hour_from": ("从（时）", "From (hour)"),
    "hs_hour_to": ("到（时）", "To (hour)"),
    "hs_hours_help": (
        "结束早于开始表示跨午夜，例如 22:00 到 02:00 为夜班（22:00–01:59）；"
        "开始与结束相同表示全天。",
        "An end before the start runs past midnight: 22:00 to 02:00 is a night shift "
        "(22:00–01:59). The same start and end is the whole day.",
    ),
    "hs_hours_span": ("{start}–{end}", "{start}–{end}"),
    "hs_hours_wrapped": ("{start}–次日 {end}（跨午夜）", "{start}–{end} next day (past midnight)"),
    # app_pages/heatmaps.py: the emerging view's cell size (trends.MIN_WEEKLY_MEAN)
    "hs_emerging_cell_rule": (
        "单元格 {size} 米：按数据自动选取，使有事件的单元格平均每周至少 {n} 起"
        "（Mann-Kendall 趋势检验看的是每周计数，计数大多为 0 时无法判断趋势）；"
        "可在上方选择单元格大小覆盖。",
        "Cells of {size} m, chosen from the data so that cells with incidents average at "
        "least {n} incidents a week (the Mann-Kendall trend test reads weekly counts and "
        "cannot see a trend in counts that are mostly 0); pick a cell size above to "
        "override it.",
    ),
    # gridmap/overview.py change_text: a category absent in the previous period
    "change_new": ("新增", "new"),
}
