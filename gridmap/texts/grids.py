"""Texts of the Grids page (网格调整) added with issue #9's last items: plans from today's
grids, the preview's timing, what a city's own workspace lacks."""

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
    "grids_missing_households": (
        "网格没有户数列（户数），也没有带户数的建筑：户数按 0 计，工作量指数和自动划分不按户数"
        "均衡。在“数据”页导入带户数列的网格（或带户数的建筑）即可。",
        "The grids have no households column (户数, households) and no buildings carry"
        " households: households count as 0, so the workload index and automatic plans do"
        " not balance them. Import grids with a households column (or buildings with"
        " households) on the Data page.",
    ),
    "grids_missing_streets": (
        "工作空间没有道路图层：每个网格只作为一个街区，合并和画线拆分可用；移动街区、沿街拆分和"
        "自动划分需要道路中心线。请在“数据”页把道路中心线导入“道路”图层。",
        "The workspace has no streets layer: each grid is a single block, so merges and"
        " splits along a drawn line work, but moving blocks, splitting along streets and"
        " automatic plans need street centrelines. Import them into the Streets layer on"
        " the Data page.",
    ),
    "grids_missing_street_names": (
        "道路没有名称（name、名称）：不能按街道名称拆分网格，请改用画线拆分。",
        "The streets have no names (name, 名称): grids cannot be split along streets by"
        " name; split them along a drawn line instead.",
    ),
    "grids_plan_needs_households": (
        "社区 {code} 的网格和建筑都没有户数：自动划分按户数均衡，无从均衡。请先导入带户数列的网格"
        "（或带户数的建筑）。",
        "The grids and buildings of community {code} hold no households: automatic plans"
        " balance households, so there is nothing to balance. Import grids with a"
        " households column (or buildings with households) first.",
    ),
    "grids_plan_needs_streets": (
        "自动划分沿道路把街区组成网格：工作空间没有道路图层。请先在“数据”页导入道路中心线。",
        "Automatic plans build grids from street blocks: the workspace has no streets"
        " layer. Import street centrelines on the Data page first.",
    ),
}
