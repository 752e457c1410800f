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
