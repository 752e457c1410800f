"""Texts of the Grids page's map editing (draw a split line, click blocks) and of
``gridmap grids`` on the command line."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "grids_edit_draw": ("在地图上画线拆分", "Split with a line drawn on the map"),
    "grids_draw_hint": (
        "点击地图左上角的折线工具，从网格一侧画到另一侧（单击加点，再次单击最后一点结束）；"
        "松开即预览。可用垃圾桶工具删除后重画。",
        "Pick the line tool at the map's top left and draw from one side of a grid to "
        "another (click to add points, click the last point again to finish); the preview "
        "follows at once. Remove it with the bin tool to draw again.",
    ),
    "grids_draw_waiting": (
        "尚未画线：请在地图上画一条拆分线。",
        "No line yet: draw a split line on the map.",
    ),
    "grids_draw_grid": ("拆分网格 {code}", "Splitting grid {code}"),
    "grids_move_click_hint": (
        "点击街区选中或取消（红色为已选）：所选街区移入下方目标网格（默认为第一个相邻网格）"
        "的预览随即显示在地图上；改选目标网格，预览随之更新。",
        "Click blocks to pick or drop them (red: picked): the preview of their move to the "
        "grid chosen below (at first the first neighbouring grid) shows on the map at once; "
        "choose another grid and the preview follows.",
    ),
    "grids_move_picked": ("已选街区：{n} 个", "Blocks picked: {n}"),
    "grids_move_clear": ("清除选择", "Clear the choice"),
    "grids_move_no_neighbour": (
        "所选街区没有相邻的其他网格可移入。",
        "No other grid borders the blocks picked.",
    ),
    "grids_help_map": (
        "在地图上画线拆分：用 Leaflet.draw 的折线工具（随本应用离线提供）画线，线经过的网格中"
        "被线分成两部分以上、且线段最长的那个网格被拆分；被切开的街区按面积分摊户数。"
        "移动街区：点击街区选中（红色），再次点击取消；目标只列出与所选街区有共同边的网格"
        "（只有一个公共点不算相邻），选中即预览。预览用时为服务器计算预览所需时间。",
        "Split with a line drawn on the map: draw with Leaflet.draw's line tool (served by "
        "this app, offline); of the grids the line runs through, the one it divides into two "
        "or more parts over the longest stretch is split; cut blocks share their households "
        "by area. Move blocks: click a block to pick it (red), click again to drop it; only "
        "grids sharing an edge with the picked blocks are offered as targets (a shared corner "
        "is not enough), and the move is previewed as soon as blocks are picked. The preview "
        "time is the server's time to compute the preview.",
    ),
    "grids_blocks_layer": ("街区", "Blocks"),
    "grids_blocks_picked": ("已选街区", "Picked blocks"),
    "grids_metric_incidents_per_worker": (
        "每名网格员事件数（近 12 个月）",
        "Incidents per grid worker (last 12 months)",
    ),
    "grids_metric_sites_per_grid": ("每个网格重点目标数", "Key sites per grid"),
    "grids_export": ("导出此方案", "Export this plan"),
    "grids_export_format": ("格式", "Format"),
    "grids_export_download": ("下载 {name}", "Download {name}"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    "cli_grids_missing_layer": (
        "工作区没有 {layer} 图层（或为空）：请先导入",
        "the workspace has no {layer} layer (or it is empty): import one first",
    ),
    "grids_line_outside": (
        "画的线没有经过本区域的任何网格",
        "the line drawn runs through none of the area's grids",
    ),
    "grids_no_blocks": (
        "这些网格没有街区（缺少道路图层？）",
        "these grids have no blocks (is the streets layer missing?)",
    ),
}
