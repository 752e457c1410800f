"""Interface texts of the weekly report workbook and its maps (gridmap.hotspots.report)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # gridmap/hotspots/report.py: the 显著 / Significant column of a change that is not
    "report_no": ("否", "no"),
    # gridmap/hotspots/_report_maps.py: the title of the overview map's class legend
    "report_legend_incidents": ("本周事件数", "Incidents this week"),
}
