"""The grids and figures of an automatic plan: blocks dissolved and numbered, balance bound.

Private to :mod:`gridmap.grids.partition`, which re-exports :func:`plan_grids`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from gridmap._errors import ValidationError
from gridmap.grids import _search
from gridmap.grids.codes import reading_order

if TYPE_CHECKING:
    from gridmap.grids.partition import Plan


def deviation_bound(weights: np.ndarray, targets: np.ndarray) -> float:
    """Smallest largest deviation any plan can reach, bounded below by the heaviest block.

    The grid holding the heaviest block holds at least its weight, so no plan's largest
    relative deviation is below ``heaviest / target − 1`` for the largest target (0 when
    the block fits). A lower bound, not the optimum: the plan found may stay above it.
    """
    if not len(weights) or not len(targets):
        return 0.0
    return float(max(0.0, weights.max() / max(targets.max(), 1e-12) - 1))


def plan_stats(
    graph: _search.BlockGraph, labels: np.ndarray, area: np.ndarray, perimeter: np.ndarray, k: int
) -> tuple[float, np.ndarray]:
    internal = np.zeros(k)
    cut = 0.0
    for v in range(graph.n):
        lv = labels[v]
        for u, c in zip(graph.nbrs[v], graph.lens[v], strict=True):
            if u > v:
                if labels[u] == lv:
                    internal[lv] += c
                else:
                    cut += c
    a = np.bincount(labels, weights=area, minlength=k)
    p = np.bincount(labels, weights=perimeter, minlength=k) - 2 * internal
    return cut, 4 * np.pi * a / np.maximum(p, 1e-12) ** 2


def plan_grids(
    blocks: gpd.GeoDataFrame,
    plan: Plan,
    *,
    weight: str = "households",
    community_code: str | None = None,
    fixed: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """The grids of `plan`: its blocks dissolved, with codes in reading order.

    Fixed grids (the last ``len(fixed)`` of the plan) keep their codes; the others are
    numbered north to south, west to east, skipping numbers the fixed grids use.
    """
    labels = plan.labels.to_numpy()
    geoms = blocks.geometry.to_numpy()
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups = np.split(order, bounds)
    polygons = np.array([shapely.union_all(geoms[g]) for g in groups], dtype=object)
    frame = gpd.GeoDataFrame(
        {
            "grid": np.arange(plan.k),
            weight: plan.weights,
            "target": plan.targets,
            "polsby_popper": plan.polsby_popper,
            "fixed": plan.fixed,
        },
        geometry=polygons,
        crs=blocks.crs,
    )
    if community_code is not None:
        frame.insert(0, "grid_code", _codes(polygons, community_code, list(fixed)))
    return frame


def _codes(polygons: np.ndarray, community_code: str, fixed: list[str]) -> list[str]:
    if len(community_code) != 12 or not community_code.isdigit():
        msg = f"`community_code` must be 12 digits; got {community_code!r}"
        raise ValidationError(msg)
    n_free = len(polygons) - len(fixed)
    taken = {int(c[12:]) for c in fixed}
    free_numbers = [n for n in range(1, 1000) if n not in taken][:n_free]
    if len(free_numbers) < n_free:
        msg = "a community holds at most 999 grids"
        raise ValidationError(msg)
    codes = [""] * len(polygons)
    for rank, pos in enumerate(reading_order(polygons[:n_free])):
        codes[pos] = f"{community_code}{free_numbers[rank]:03d}"
    codes[n_free:] = fixed
    return codes
