"""Patrol routes page: how hot spots are named as stops."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "pr_spot_gi": ("热点（Gi*，置信度 {level}%）", "hot spot (Gi*, {level} % confidence)"),
    "pr_spot_emerging": ("时空热点：{pattern}", "emerging: {pattern}"),
    "pr_spot_warning": ("预警网格：{level}", "warning grid: {level}"),
    "pr_spot_other": ("热点", "hot spot"),
    "pr_dropped_why": (
        "{dropped} 个点位未安排：{units} 个巡逻单元、班次 {shift} 分钟、每点停留 {dwell} 分钟，"
        "即使不算路途也最多只能安排约 {most} 个点位。可以增加巡逻单元、延长班次、缩短停留，"
        "或少选点位；时间不够时先舍去优先级低的点位（见下方“未安排的点位及原因”）。",
        "{dropped} stops are not planned: {units} unit(s), a {shift}-minute shift and "
        "{dwell} minutes at each stop leave room for about {most} stops even without "
        "walking between them. Add units, lengthen the shift, shorten the stay, or choose "
        "fewer stops; when time runs out the lowest priorities are left out first (see "
        '"Stops left out, and why" below).',
    ),
}
