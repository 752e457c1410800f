"""Automatic plans of one community, with blocks too coarse for the tolerance divided.

A grid plan built from whole street blocks cannot be more even than its heaviest block
allows: on the bundled sample one block holds more households than a third of a grid's
target, so ±5 % is out of reach although the sample's own grids (drawn by
:mod:`gridmap.grids.rebuild`) are within it. The rebuild reaches it by cutting every
block heavier than a small share of the target between its buildings
(:func:`gridmap.grids.blocks.cut_lines_between_buildings`); this module applies the same
rule to the blocks of existing grids (:func:`gridmap.grids.blocks.grid_blocks`), so the
page's automatic plans can reach what the rebuild reached.

The rule: blocks are *too coarse* for a tolerance when the heaviest one holds more than
``tolerance`` × the target (the measured threshold of ``rebuild.MAX_BLOCK_SHARE``: with
pieces of at most 5 % of the target every sample grid came within ±5 %, with 10 % the
worst was ±5.7 %, with 25 % ±13.6 %). Dividing then cuts each such block into pieces of
at most that many households, or single buildings (a building is never divided).

:func:`plans_for` is what the Grids page runs: the community's blocks, divided when asked
(or, by default, when too coarse), partitioned by
:func:`gridmap.grids.partition.partition_blocks`; its notes state the balance reached with
the blocks actually used and, when the current grids are more even, say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.grids.blocks import block_households, cut_lines_between_buildings
from gridmap.grids.partition import Plan, grids_for_range, partition_blocks
from gridmap.i18n import Message

#: How the page's plans treat heavy blocks: divide them when too coarse, always, never.
DIVIDE_CHOICES = ("auto", "on", "off")


def too_coarse(weights: np.ndarray | pd.Series, *, k: int, tolerance: float) -> bool:
    """Whether the heaviest block exceeds `tolerance` × the target (total / `k`).

    >>> too_coarse(np.array([50.0, 50, 400]), k=2, tolerance=0.05)
    True
    >>> too_coarse(np.full(100, 5.0), k=5, tolerance=0.05)
    False
    """
    if k < 1:
        msg = f"`k` must be at least 1; got {k!r}"
        raise ValidationError(msg)
    if not 0 < tolerance < 1:
        msg = f"`tolerance` must be between 0 and 1; got {tolerance!r}"
        raise ValidationError(msg)
    w = np.asarray(weights, dtype=float)
    if not len(w):
        return False
    return bool(w.max() > tolerance * w.sum() / k)


def divide_heavy_blocks(
    blocks: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    max_households: float,
    column: str = "households",
) -> gpd.GeoDataFrame:
    """`blocks` with every block over `max_households` cut between its buildings.

    Cut lines come from :func:`gridmap.grids.blocks.cut_lines_between_buildings`; each
    heavy block is polygonized with the lines crossing it, so its pieces make up exactly
    the block (their outer edges are the block's, i.e. streets or grid boundaries). The
    pieces keep the block's other columns (its ``grid_code``), get new ``block_id`` values
    after the largest existing one and households counted again from the buildings
    (:func:`gridmap.grids.blocks.block_households`, by representative point, so the total
    is unchanged).

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks in a metric CRS with ``block_id`` and `column` (from
        :func:`gridmap.grids.blocks.grid_blocks`).
    buildings : GeoDataFrame
        Buildings with a `column` of households, any CRS.
    max_households : float
        Heaviest block kept whole (> 0).
    column : str, default "households"

    Returns
    -------
    GeoDataFrame
        The blocks, heavy ones replaced by their pieces, with a boolean ``divided`` column
        (True for pieces), in the blocks' CRS, index 0 … n-1.

    Raises
    ------
    ValidationError
        `max_households` is not positive, or a column is missing.
    """
    if not max_households > 0:
        msg = f"`max_households` must be positive; got {max_households!r}"
        raise ValidationError(msg)
    if "block_id" not in blocks.columns:
        msg = "`blocks` must have a block_id column"
        raise ValidationError(msg)
    out = blocks.reset_index(drop=True).copy()
    out["divided"] = False
    if not len(out) or buildings is None or not len(buildings):
        return out
    cuts = cut_lines_between_buildings(out, buildings, max_households=max_households, column=column)
    if not len(cuts):
        return out
    geoms = out.geometry.to_numpy()
    lines = cuts.geometry.to_numpy()
    bi, li = shapely.STRtree(lines).query(geoms, predicate="intersects")
    rows, pieces = [], []
    for b in np.unique(bi).tolist():
        block = geoms[b]
        noded = shapely.union_all([shapely.boundary(block), *lines[li[bi == b]]])
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
        faces = faces[shapely.area(faces) > 0]
        faces = faces[shapely.within(shapely.point_on_surface(faces), block)]
        if len(faces) < 2:
            continue
        rows.append(b)
        pieces.append(faces)
    if not rows:
        return out
    parents = np.repeat(rows, [len(f) for f in pieces])
    new = out.iloc[parents].copy()
    new = new.set_geometry(np.concatenate(pieces), crs=out.crs)
    start = int(pd.to_numeric(out["block_id"]).max()) + 1
    new["block_id"] = np.arange(start, start + len(new))
    new["divided"] = True
    if "area_m2" in new.columns:
        new["area_m2"] = shapely.area(new.geometry.to_numpy())
    new[column] = block_households(new, buildings, column=column).to_numpy()
    kept = out.drop(index=rows)
    merged = pd.concat([kept, new], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=out.geometry.name, crs=out.crs)


def current_deviation(blocks: gpd.GeoDataFrame, *, weight: str = "households") -> float:
    """Largest relative deviation of today's grids from their mean, from their blocks.

    Counted on the same blocks (and so the same households) as the plans:
    ``max |w_g − mean(w)| / mean(w)`` over the ``grid_code`` groups.
    """
    totals = blocks.groupby(blocks["grid_code"].astype(str))[weight].sum().to_numpy(dtype=float)
    if not len(totals) or totals.mean() <= 0:
        return 0.0
    return float(np.abs(totals / totals.mean() - 1).max())


def plans_for(
    blocks: gpd.GeoDataFrame,
    code: str,
    *,
    k: int | None,
    households: tuple[float, float] | None,
    tolerance: float,
    method: str,
    seeds: Sequence[int],
    buildings: gpd.GeoDataFrame | None = None,
    divide: bool | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> list[Plan]:
    """Alternative plans for the community `code` (12 digits) from its blocks.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks of the current grids (:func:`gridmap.grids.blocks.grid_blocks`), metric CRS.
    code : str
        The community's 12-digit code.
    k, households, tolerance, method, seeds, progress
        As for :func:`gridmap.grids.partition.partition_blocks`.
    buildings : GeoDataFrame, optional
        Buildings with ``households``; without them blocks cannot be divided.
    divide : bool, optional
        Divide blocks over `tolerance` × the target between their buildings
        (:func:`divide_heavy_blocks`). None (default): only when the blocks are too coarse
        (:func:`too_coarse`).

    Returns
    -------
    list of Plan
        Best first, as many as `seeds`: the seeds' plans and one from today's grids (method
        ``"current"``, when `k` is today's number of grids), the least good left out. Each
        plan's notes say how many blocks were divided; a plan outside the
        tolerance says the balance reached with these blocks; a plan less even than today's
        grids (same number of grids) says so (``grids_current_better``), within the
        tolerance or not.

    Raises
    ------
    ValidationError
        `code` is not a community's, its blocks hold no households (plans balance
        them: a workspace whose grids and buildings carry none), or as
        :func:`partition_blocks`.
    """
    if len(code) != 12:
        raise ValidationError(Message("grids_auto_needs_community"))
    mine = blocks[blocks["grid_code"].astype(str).str.startswith(code).to_numpy()]
    mine = mine.reset_index(drop=True)
    if not len(mine):
        msg = f"`blocks` has no block in community {code}"
        raise ValidationError(msg)
    total = float(pd.to_numeric(mine["households"]).sum())
    if not total > 0:
        raise ValidationError(Message("grids_plan_needs_households", code=code))
    n = int(k) if k is not None else grids_for_range(total, households or (300, 500))
    coarse = too_coarse(mine["households"], k=max(n, 1), tolerance=tolerance)
    used = mine
    divided = 0
    can = buildings is not None and "households" in buildings.columns and len(buildings)
    if (divide or (divide is None and coarse)) and can:
        used = divide_heavy_blocks(mine, buildings, max_households=tolerance * total / max(n, 1))
        divided = int(used["divided"].sum())
    plans = partition_blocks(
        used,
        k=k,
        households=households,
        tolerance=tolerance,
        method=method,
        seeds=tuple(seeds),
        community_code=code,
        # Today's grids as one more start: its plan is never less even than they are, so
        # the best plan is at least as even as today whenever the number of grids is.
        start=used["grid_code"].astype(str).to_numpy(),
        progress=progress,
    )[: len(tuple(seeds))]
    today = current_deviation(mine)
    same_k = mine["grid_code"].astype(str).nunique()
    for plan in plans:
        if divided:
            plan.notes.insert(0, Message("grids_blocks_divided", n=divided, blocks=len(used)))
        if plan.k == same_k and today < plan.max_deviation - 1e-9:
            plan.notes.append(
                Message(
                    "grids_current_better",
                    current=f"{today:.1%}",
                    achieved=f"{plan.max_deviation:.1%}",
                )
            )
    return plans
