"""Texts of the planners' automatic plans (:mod:`gridmap.grids.partition`, ``rebuild``)."""

from __future__ import annotations

MESSAGES = {
    "grids_balance_bound": (
        "任何方案都无法优于 ±{bound}：单个街区 {largest} 户，超过目标 {target} 户；"
        "可放宽容差、减少网格数，或按建筑拆分该街区",
        "no plan can be more even than ±{bound}: one block alone holds {largest} households"
        " against a target of {target}; widen the tolerance, ask for fewer grids, or divide"
        " that block between its buildings",
    ),
}
