"""Texts of the Grids page (网格调整) added with issue #9's last items: plans from today's
grids, the preview's timing."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}

MESSAGES = {
    "grids_plan_from_current": (
        "本方案从现状网格出发，沿边界移动街区（网格保持连片）使户数更均衡、边界更短，"
        "不会比现状网格更不均衡",
        "this plan starts from the current grids and moves boundary blocks (every grid stays"
        " in one piece) to even out households and shorten boundaries; it is never less even"
        " than the current grids",
    ),
}
