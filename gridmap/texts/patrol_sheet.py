"""The printable route sheet (巡逻路线单), one language per sheet, and the schedule's map."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "pr_sheet_title": ("巡逻路线单", "Patrol route sheet"),
    "pr_sheet_unit": ("巡逻单元", "Unit"),
    "pr_sheet_start_post": ("出发岗", "Start post"),
    "pr_sheet_end_post": ("返回岗", "End post"),
    "pr_sheet_date": ("日期", "Date"),
    "pr_sheet_travel": ("路途：{n} 分钟", "travel: {n} min"),
    "pr_sheet_duration": ("总时长：{n} 分钟", "duration: {n} min"),
    "pr_sheet_stops": ("点位：{n} 个", "stops: {n}"),
    "pr_sheet_col_order": ("顺序", "No."),
    "pr_sheet_col_place": ("点位", "Stop"),
    "pr_sheet_col_where": ("位置", "Where"),
    "pr_sheet_col_arrive": ("到达", "Arrive"),
    "pr_sheet_col_leave": ("离开", "Leave"),
    "pr_sheet_col_dwell": ("停留(分)", "Stay (min)"),
    "pr_sheet_col_sign": ("签到", "Signed"),
    "pr_sheet_depart": ("出发", "start"),
    "pr_sheet_return": ("返回", "return"),
    "pr_sheet_dropped": (
        "另有 {n} 个点位本班次未安排，清单见“未安排的点位”（页面表格或 dropped.csv），不在每张"
        "路线单上重复。",
        "{n} more stops are not planned in this shift; their list is under “Stops left out” "
        "(the page's table or dropped.csv), not repeated on every sheet.",
    ),
    "pr_sheet_signature": (
        "带班民警签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿",
        "Officer in charge: ____________    Date: ____________",
    ),
    "pr_sheet_note": (
        "热点停留 10–15 分钟（Koper 1995）；时间为计划时间，以现场为准。",
        "10–15 minutes at each hot spot (Koper 1995); times are planned, the street decides.",
    ),
    "pr_sheet_street_grid": ("{street}，{grid}", "{street}, {grid}"),
    "pr_sheet_lang": ("路线单语言", "Route sheet language"),
    "pr_sheet_lang_zh": ("中文", "Chinese"),
    "pr_sheet_lang_en": ("英文", "English"),
    "pr_sheet_date_input": ("路线单日期", "Date on the route sheet"),
    "pr_dropped_csv": ("未安排的点位（CSV）", "Stops left out (CSV)"),
    "pr_every_2h_help": (
        "默认不要求。勾选后每个点位两次到访相隔不超过 2 小时；点位多时一个巡逻组做不到，"
        "会说明原因（可减少点位，如不含热点）。",
        "Off by default. Ticked, no stop waits more than 2 hours between visits; with many "
        "stops one unit cannot, and the reason is given (choose fewer stops, e.g. without "
        "the hot spots).",
    ),
    "pr_schedule_layer": ("排班点位（数字 = 到访次数）", "Scheduled stops (number = visits)"),
    "pr_schedule_tip": ("{name}：到访 {n} 次", "{name}: {n} visits"),
    "pr_schedule_map_note": (
        "整个排班期间每个点位的到访次数；每天的顺序和时间见下表。",
        "Visits to each stop over the whole schedule; each day's order and times are in the table.",
    ),
}
