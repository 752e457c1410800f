"""Texts of the Grids page's automatic plans on divided blocks, and its pickers' placeholders."""

from __future__ import annotations

TEXT = {
    "grids_auto_divide": ("在建筑之间再分过大的街区", "Divide heavy blocks between buildings"),
    "grids_auto_divide_auto": ("街区过大时自动再分", "When blocks are too coarse"),
    "grids_auto_divide_on": ("总是", "Always"),
    "grids_auto_divide_off": ("从不（只用整个街区）", "Never (whole blocks only)"),
    "grids_auto_divide_help": (
        "户数超过目标 × 容差的街区在建筑之间用直线切开（与示例网格的重建规则相同），"
        "使方案能达到容差；建筑本身不会被切开。“自动”只在街区过大、无法达到容差时再分。",
        "Blocks holding more than the target × the tolerance are cut by straight lines"
        " between their buildings (the rule the sample's grids were rebuilt with), so plans"
        " can reach the tolerance; a building is never cut. 'When blocks are too coarse'"
        " divides only when whole blocks cannot reach the tolerance.",
    ),
    "grids_help_auto_more": (
        "**再分过大的街区**：整个街区无法达到容差时（最大街区超过目标 × 容差），"
        "户数超过目标 × 容差的街区按示例网格的重建规则在建筑之间用直线切开，建筑本身不切开；"
        "警告中的“最均衡的方案偏差”指所用街区下本方案达到的偏差，方案不如现状网格均衡时会注明。"
        "默认起始方案为生成树切分：在再分后的街区上，示例 6 个社区的最佳方案均达到 ±5%，"
        "METIS 起始为 4 个。"
        "\n\n**每名网格员户数** = 总户数 ÷ 不同网格员人数（一人负责两个网格只算一次；"
        "未指定网格员的网格只计户数）。方案中的网格员按重叠面积一对一沿用现状网格的网格员"
        "（SciPy linear_sum_assignment），多出的新网格暂无网格员。",
        "**Dividing heavy blocks**: when whole blocks cannot reach the tolerance (the largest"
        " holds more than the target × the tolerance), blocks over the target × the tolerance"
        " are cut by straight lines between their buildings, the rule the sample's grids were"
        " rebuilt with; buildings are never cut. The balance a warning states is the one the"
        " plan reached with the blocks it used; a plan less even than today's grids says so."
        " Plans start from spanning-tree cuts by default: on divided blocks the best plan"
        " reached ±5 % in all 6 sample communities, from METIS's start in 4."
        "\n\n**Households per grid worker** = households ÷ distinct grid workers (a worker"
        " of two grids counts once; a grid without a worker adds households only). A plan's"
        " grids take today's workers one to one by overlap area (SciPy's"
        " linear_sum_assignment); new grids beyond today's number have no worker yet.",
    ),
    "grids_placeholder_many": ("选择一项或多项", "Choose one or more"),
    "grids_placeholder_one": ("请选择", "Choose one"),
}

MESSAGES = {
    "grids_blocks_divided": (
        "过大的街区已在建筑之间再分：本方案使用 {blocks} 个街区，其中 {n} 个为再分所得",
        "heavy blocks were divided between buildings: this plan uses {blocks} blocks,"
        " {n} of them pieces of divided blocks",
    ),
    "grids_current_better": (
        "现状网格更均衡：现状最大户数偏差 ±{current}，本方案 ±{achieved}",
        "the current grids are more even: their largest deviation is ±{current}, this"
        " plan's ±{achieved}",
    ),
}
