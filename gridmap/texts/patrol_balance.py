"""Patrol routes page: sharing the stops among the units (balanced routes)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "pr_balance": ("均衡分配各组任务", "Share the work among the units"),
    "pr_balance_help": (
        "默认只求总路程最短：班次时间足够时，一个组可能包揽所有停留点，其他组留在岗位。"
        "勾选后尽量缩短最长的一条路线（最后一组回岗的时间），不会因此少去任何停留点；"
        "总路程可能略长。",
        "By default the plan only minimises total travel: when a shift has room, one unit "
        "may take every stop while the others stay at their posts. Checked, the longest "
        "route (when the last unit is back) is made as short as possible without leaving "
        "out any stop; total travel may grow a little.",
    ),
}
