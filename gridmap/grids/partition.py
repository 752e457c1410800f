"""Automatic grid plans: a community (or street) divided into balanced, compact grids.

Grids are built from street blocks (:mod:`gridmap.grids.blocks`), so every boundary runs
along streets. A plan starts from METIS (weighted multilevel partitioning with contiguous
parts, through pymetis) or from GerryChain's ``recursive_tree_part`` (random spanning-tree
cuts) and is then improved by a local search that moves boundary blocks between
neighbouring grids — first to bring every grid within the household tolerance, then to
shorten the total internal boundary — never splitting a grid (contiguity is checked on the
block graph before each move).

References: Karypis & Kumar, "A fast and high quality multilevel scheme for partitioning
irregular graphs", SIAM J. Sci. Comput. 20 (1998); DeFord, Duchin & Solomon, "Recombination:
a family of Markov chains for redistricting", Harvard Data Science Review 3 (2021);
Polsby & Popper, "The third criterion: compactness", Yale Law & Policy Review 9 (1991).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap._errors import ValidationError
from gridmap.grids import _search
from gridmap.grids._metis import metis_starts
from gridmap.grids._plan_grids import deviation_bound, plan_grids, plan_stats
from gridmap.grids._tree import tree_start
from gridmap.grids.blocks import shared_lengths
from gridmap.i18n import Message

#: Households per grid planners aim for. Provincial 网格化服务管理 guidelines commonly put an
#: urban grid at about 300–500 households (e.g. Zhejiang and Guangdong community grid rules);
#: the range is a default, every function takes its own.
HOUSEHOLDS_PER_GRID: tuple[int, int] = (300, 500)
#: Default balance tolerance: every grid within ±5 % of its target households.
DEFAULT_TOLERANCE = 0.05

Progress = Callable[[float, str], None]


@dataclass
class Plan:
    """One automatic grid plan.

    Attributes
    ----------
    labels : pandas.Series
        The grid (0 … k-1) of each block, indexed like the blocks.
    weights : numpy.ndarray
        Households (or the workload column) per grid.
    targets : numpy.ndarray
        Each grid's target: its connected area's total divided by its number of grids.
    tolerance : float
        Allowed relative deviation from the target.
    max_deviation : float
        Largest relative deviation of a grid from its target (fixed grids excluded).
    within_tolerance : bool
        Whether every grid that is not fixed is within `tolerance`.
    boundary_length : float
        Total internal boundary between grids, m.
    polsby_popper : numpy.ndarray
        4π·area/perimeter² per grid (1 for a disc).
    seed : int
    method : str
        "metis" or "tree", the starting plan.
    fixed : numpy.ndarray
        Whether each grid was kept fixed.
    notes : list of Message
        What the plan could not do (blocks too coarse for the tolerance …).
    min_possible_deviation : float
        A lower bound on `max_deviation` for any plan of these blocks and targets (see
        :func:`_deviation_bound`): when it exceeds `tolerance`, no plan can be within it.
    grids : GeoDataFrame or None
        The grids (dissolved blocks) with ``grid``, ``grid_code`` (when a community code
        was given), the weight column, ``polsby_popper``; in the blocks' CRS.
    """

    labels: pd.Series
    weights: np.ndarray
    targets: np.ndarray
    tolerance: float
    max_deviation: float
    within_tolerance: bool
    boundary_length: float
    polsby_popper: np.ndarray
    seed: int
    method: str
    fixed: np.ndarray
    notes: list[Message] = field(default_factory=list)
    grids: gpd.GeoDataFrame | None = None
    min_possible_deviation: float = 0.0

    @property
    def k(self) -> int:
        """Number of grids."""
        return len(self.weights)

    def summary(self) -> dict[str, float | int | bool | str]:
        """The plan's figures as one flat dict (for tables)."""
        return {
            "method": self.method,
            "seed": self.seed,
            "grids": self.k,
            "max_deviation": self.max_deviation,
            "within_tolerance": self.within_tolerance,
            "boundary_length_m": self.boundary_length,
            "mean_polsby_popper": float(np.mean(self.polsby_popper)),
            "min_polsby_popper": float(np.min(self.polsby_popper)),
        }


def grids_for_range(total: float, households: tuple[float, float]) -> int:
    """How many grids put `total` households within the `households` range, aiming at its middle.

    >>> grids_for_range(1400, (300, 500))
    4
    >>> grids_for_range(250, (300, 500))
    1
    """
    low, high = households
    if not 0 < low <= high:
        msg = f"`households` must be a range (low, high) with 0 < low ≤ high; got {households!r}"
        raise ValidationError(msg)
    middle = (low + high) / 2
    fits = [k for k in range(max(1, int(total // high)), int(total // low) + 2) if k >= 1]
    fits = [k for k in fits if low <= total / k <= high] or [max(1, round(total / middle))]
    return min(fits, key=lambda k: abs(total / k - middle))


def _block_graph(
    blocks: gpd.GeoDataFrame, weight: str, tolerance_m: float
) -> tuple[_search.BlockGraph, np.ndarray, np.ndarray]:
    geoms = blocks.geometry.to_numpy()
    i, j, length = shared_lengths(geoms, tolerance=tolerance_m)
    w = pd.to_numeric(blocks[weight], errors="coerce").fillna(0).to_numpy(dtype=float)
    if (w < 0).any():
        msg = f"`blocks` column {weight!r} must not be negative"
        raise ValidationError(msg)
    return (
        _search.BlockGraph(len(blocks), i, j, length, w),
        shapely.area(geoms),
        shapely.length(geoms),
    )


def _bridge_islands(graph: _search.BlockGraph, geoms: np.ndarray) -> int:
    """Join blocks cut off from the rest (islands, corner-only touches) to the nearest block.

    Adds zero-length edges between the closest blocks of separate components until the
    graph is connected; returns how many bridges were added. A grid may then hold an island
    (it is one piece in the block graph, two on the map), which is unavoidable.
    """
    bridges = 0
    while True:
        pieces = graph.components(np.arange(graph.n))
        if len(pieces) <= 1:
            return bridges
        pieces.sort(key=len)
        island = np.asarray(pieces[0])
        others = np.setdiff1d(np.arange(graph.n), island)
        tree = shapely.STRtree(geoms[others])
        (src, dst), dist = tree.query_nearest(geoms[island], return_distance=True)
        best = int(np.argmin(dist))
        graph.add_edge(int(island[src[best]]), int(others[dst[best]]), 0.0)
        bridges += 1


def _allocate(weights: np.ndarray, k: int) -> np.ndarray:
    """Grids per connected area: proportional to weight, at least one each (largest remainder)."""
    if k < len(weights):
        msg = (
            f"the blocks form {len(weights)} separate areas (islands, areas cut off by fixed"
            f" grids), more than the {k} grids asked for: every area needs a grid of its own"
        )
        raise ValidationError(msg)
    total = weights.sum()
    share = weights / total * k if total > 0 else np.full(len(weights), k / len(weights))
    alloc = np.maximum(1, np.floor(share)).astype(int)
    while alloc.sum() < k:
        alloc[np.argmax(share - alloc)] += 1
    while alloc.sum() > k:
        over = np.flatnonzero(alloc > 1)
        alloc[over[np.argmin((share - alloc)[over])]] -= 1
    return alloc


def partition_blocks(
    blocks: gpd.GeoDataFrame,
    *,
    k: int | None = None,
    households: tuple[float, float] | None = None,
    weight: str = "households",
    tolerance: float = DEFAULT_TOLERANCE,
    fixed: Iterable[str] = (),
    seeds: Sequence[int] = (0,),
    method: str = "metis",
    community_code: str | None = None,
    geometry: bool = True,
    snap: float = 0.0,
    starts: int = 5,
    improve_best: int = 2,
    bridge_islands: bool = True,
    start: Sequence[object] | None = None,
    progress: Progress | None = None,
) -> list[Plan]:
    """Divide blocks into balanced, contiguous, compact grids — one plan per seed.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks of one community or street (metric CRS) with the `weight` column; with
        `fixed`, also ``grid_code`` (from :func:`gridmap.grids.blocks.grid_blocks`).
    k : int, optional
        Number of grids, fixed ones included.
    households : (low, high), optional
        Instead of `k`: as many grids as put the (non-fixed) weight within this range, aiming
        at its middle. Default :data:`HOUSEHOLDS_PER_GRID` when `k` is not given.
    weight : str, default "households"
        Column to balance: households or a workload index.
    tolerance : float, default 0.05
        Every grid within ±`tolerance` of its target (total / number of grids of its area).
    fixed : iterable of str
        Grid codes whose blocks stay as they are.
    seeds : sequence of int, default (0,)
        One alternative plan per seed.
    method : {"metis", "tree"}
        Starting plan: METIS with contiguous parts, or GerryChain's ``recursive_tree_part``.
    community_code : str, optional
        12 digits: the plans' grids get codes in reading order (fixed grids keep theirs).
    geometry : bool, default True
        Dissolve each plan's grids (``Plan.grids``).
    starts : int, default 5
        METIS runs per plan (seeds ``seed·100 + 0 … starts-1``); the tree start runs once.
    improve_best : int, default 2
        How many of the best starts (balanced first, then shortest boundary) the local
        search improves; the plan is the best result.
    bridge_islands : bool, default True
        Join blocks cut off from the rest (islands, blocks touching at a corner only) to
        their nearest block, so they go to a neighbouring grid instead of each becoming a
        grid of its own; the plan notes how many.
    snap : float, default 0
        Blocks whose boundaries lie within this distance (m) count as neighbours (0: they
        must share vertices, as faces of one polygonize do).
    start : sequence, optional
        A grid for each block (e.g. today's ``grid_code``) to start one more plan from,
        method ``"current"``: balanced and shortened by the same local search but never
        less even than `start` (see :func:`_from_start`). Skipped when it has not `k`
        grids, with fixed grids, or when the blocks form more than one area.
    progress : callable(fraction, text), optional
        Called as the plans advance.

    Returns
    -------
    list of Plan
        Best first: plans within tolerance before others, then (with `start`) those at least
        as even as `start`, then shortest internal boundary.
        When blocks are too coarse for the tolerance a plan says so in ``notes`` and holds
        the finest balance the search found.
    """
    if weight not in blocks.columns:
        msg = f"`blocks` must have a {weight!r} column to balance"
        raise ValidationError(msg)
    if method not in ("metis", "tree"):
        msg = f"`method` must be 'metis' or 'tree'; got {method!r}"
        raise ValidationError(msg)
    if not 0 < tolerance < 1:
        msg = f"`tolerance` must be between 0 and 1 (a share of the target); got {tolerance!r}"
        raise ValidationError(msg)
    if not len(blocks):
        msg = "`blocks` is empty"
        raise ValidationError(msg)
    if not seeds:
        msg = "`seeds` must name at least one seed"
        raise ValidationError(msg)
    say = progress or (lambda _f, _t: None)
    fixed = [str(c) for c in fixed]
    graph, area, perimeter = _block_graph(blocks, weight, snap)
    bridges = _bridge_islands(graph, blocks.geometry.to_numpy()) if bridge_islands else 0
    fixed_mask = np.zeros(len(blocks), dtype=bool)
    if fixed:
        if "grid_code" not in blocks.columns:
            msg = "`blocks` need a grid_code column to keep grids fixed"
            raise ValidationError(msg)
        codes = blocks["grid_code"].astype(str).to_numpy()
        missing = sorted(set(fixed) - set(codes))
        if missing:
            msg = f"fixed grids {', '.join(missing)} have no blocks"
            raise ValidationError(msg)
        fixed_mask = np.isin(codes, fixed)
    free = np.flatnonzero(~fixed_mask)
    free_weight = float(graph.weights[free].sum())
    if k is None:
        k_free = grids_for_range(free_weight, households or HOUSEHOLDS_PER_GRID)
    else:
        if k < 1:
            msg = f"`k` must be at least 1; got {k!r}"
            raise ValidationError(msg)
        k_free = k - len(fixed)
        if k_free < 1 and len(free):
            msg = f"`k` ({k}) leaves no grid for the blocks outside the {len(fixed)} fixed grids"
            raise ValidationError(msg)
    pieces = graph.components(free) if len(free) else []
    alloc = _allocate(np.array([graph.weights[p].sum() for p in pieces]), k_free) if pieces else []
    plans = []
    for n_seed, seed in enumerate(seeds):
        say(n_seed / len(seeds), f"plan {n_seed + 1} of {len(seeds)}")
        plans.append(
            _one_plan(
                blocks,
                graph,
                area,
                perimeter,
                pieces,
                alloc,
                fixed,
                fixed_mask,
                tolerance=tolerance,
                seed=int(seed),
                method=method,
                weight=weight,
                community_code=community_code,
                geometry=geometry,
                starts=starts if method == "metis" else 1,
                improve_best=improve_best,
            )
        )
    # How even the start is: plans less even than it rank after those that are not.
    start_dev = np.inf
    if start is not None:
        if len(start) != len(blocks):
            msg = f"`start` must give a grid for each of the {len(blocks)} blocks; got {len(start)}"
            raise ValidationError(msg)
        start_labels = np.asarray(pd.factorize(pd.Series(list(start), dtype=str))[0])
        if not fixed and len(pieces) == 1 and start_labels.max() + 1 == k_free:
            start_dev = _deviation(graph, start_labels, np.full(k_free, free_weight / k_free))
            from_start = _from_start(
                blocks,
                graph,
                area,
                perimeter,
                start_labels,
                k_free,
                tolerance=tolerance,
                weight=weight,
                community_code=community_code,
                geometry=geometry,
            )
            if from_start is not None:
                plans.append(from_start)
    say(1.0, "done")
    if bridges:
        for plan in plans:
            plan.notes.append(Message("grids_islands_bridged", n=bridges))
    plans.sort(
        key=lambda p: (
            not p.within_tolerance,
            p.max_deviation > p.tolerance and p.max_deviation,
            p.max_deviation > start_dev + 1e-9,
            p.boundary_length,
        )
    )
    return plans


def _one_plan(
    blocks: gpd.GeoDataFrame,
    graph: _search.BlockGraph,
    area: np.ndarray,
    perimeter: np.ndarray,
    pieces: list[list[int]],
    alloc: Any,
    fixed: list[str],
    fixed_mask: np.ndarray,
    *,
    tolerance: float,
    seed: int,
    method: str,
    weight: str,
    community_code: str | None,
    geometry: bool,
    starts: int,
    improve_best: int,
) -> Plan:
    seeds = [seed * 100 + s for s in range(starts)]
    starts_labels = [np.full(graph.n, -1, dtype=int) for _ in seeds]
    targets: list[float] = []
    notes: list[Message] = []
    used_method = method
    for piece, k_piece in zip(pieces, alloc, strict=True):
        first = len(targets)
        target = graph.weights[piece].sum() / k_piece
        targets.extend([target] * int(k_piece))
        if k_piece == 1:
            for labels in starts_labels:
                labels[piece] = first
            continue
        found: list[np.ndarray] = []
        if used_method == "tree":
            try:
                found = [
                    tree_start(graph, piece, int(k_piece), tolerance=tolerance, seed=x)
                    for x in seeds
                ]
            except Exception:  # GerryChain gives up on graphs it cannot balance
                used_method = "metis"
                notes.append(Message("grids_tree_failed", tolerance=f"{tolerance:.0%}"))
        if not found:
            found = metis_starts(graph, piece, int(k_piece), tolerance=tolerance, seeds=seeds)
        for labels, start in zip(starts_labels, found, strict=True):
            labels[piece] = first + start
    n_free = len(targets)
    codes = blocks["grid_code"].astype(str).to_numpy() if fixed else None
    for labels in starts_labels:
        for n, code in enumerate(fixed):
            labels[fixed_mask & (codes == code)] = n_free + n
    k = n_free + len(fixed)
    movable = ~fixed_mask
    fixed_w = [graph.weights[fixed_mask & (codes == code)].sum() for code in fixed]
    all_targets = np.array(targets + fixed_w, dtype=float)

    def score(labels: np.ndarray) -> tuple[float, float]:
        totals = np.bincount(labels, weights=graph.weights, minlength=k)[:n_free]
        dev = np.abs(totals - all_targets[:n_free]) / np.maximum(all_targets[:n_free], 1e-12)
        over = float(np.maximum(dev - tolerance, 0).sum())
        return over, graph.cut_length(labels)

    # Improve the most promising starts (balanced first, then shortest boundary).
    starts_labels = [
        _search.fill_empty(graph, _search.make_contiguous(graph, x, movable), n_free, movable)
        for x in starts_labels
    ]
    starts_labels.sort(key=score)
    improved = [
        _search.improve(graph, x, all_targets, tolerance=tolerance, movable=movable)
        for x in starts_labels[:improve_best]
    ]
    labels = min(improved, key=score)
    return _finish(
        blocks,
        graph,
        labels,
        all_targets,
        area,
        perimeter,
        movable,
        n_free=n_free,
        fixed=fixed,
        notes=notes,
        tolerance=tolerance,
        seed=seed,
        method=used_method,
        weight=weight,
        community_code=community_code,
        geometry=geometry,
    )


def _deviation(graph: _search.BlockGraph, labels: np.ndarray, targets: np.ndarray) -> float:
    totals = np.bincount(labels, weights=graph.weights, minlength=len(targets))
    return float(np.max(np.abs(totals - targets) / np.maximum(targets, 1e-12)))


def _from_start(
    blocks: gpd.GeoDataFrame,
    graph: _search.BlockGraph,
    area: np.ndarray,
    perimeter: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    tolerance: float,
    weight: str,
    community_code: str | None,
    geometry: bool,
) -> Plan | None:
    """The plan `labels` (0 … k-1 per block, e.g. today's grids) improved, never less even.

    First balance: the local search aiming at half the start's deviation (within the
    tolerance) takes moves that lower the squared deviations, which with equal targets never
    raise the largest one, and shortens boundaries only within that tighter band. Then it
    shortens boundaries within the deviation reached. Every move keeps grids in one piece.
    None when `labels` does not hold `k` grids.
    """
    if labels.max(initial=-1) + 1 != k:
        return None
    movable = np.ones(graph.n, dtype=bool)
    labels = _search.make_contiguous(graph, labels, movable)
    targets = np.full(k, graph.weights.sum() / k)
    aim = min(tolerance, _deviation(graph, labels, targets))
    labels = _search.improve(graph, labels, targets, tolerance=aim / 2, movable=movable)
    reached = _deviation(graph, labels, targets)
    labels = _search.improve(graph, labels, targets, tolerance=reached, movable=movable)
    return _finish(
        blocks,
        graph,
        labels,
        targets,
        area,
        perimeter,
        movable,
        n_free=k,
        fixed=[],
        notes=[Message("grids_plan_from_current")],
        tolerance=tolerance,
        seed=0,
        method="current",
        weight=weight,
        community_code=community_code,
        geometry=geometry,
    )


def _finish(
    blocks: gpd.GeoDataFrame,
    graph: _search.BlockGraph,
    labels: np.ndarray,
    all_targets: np.ndarray,
    area: np.ndarray,
    perimeter: np.ndarray,
    movable: np.ndarray,
    *,
    n_free: int,
    fixed: list[str],
    notes: list[Message],
    tolerance: float,
    seed: int,
    method: str,
    weight: str,
    community_code: str | None,
    geometry: bool,
) -> Plan:
    """The :class:`Plan` of block `labels`: its figures, notes and (with `geometry`) grids."""
    k = len(all_targets)
    weights = np.bincount(labels, weights=graph.weights, minlength=k)
    dev = np.abs(weights - all_targets) / np.maximum(all_targets, 1e-12)
    free_dev = dev[:n_free]
    max_dev = float(free_dev.max()) if n_free else 0.0
    within = bool(max_dev <= tolerance + 1e-9)
    bound = deviation_bound(graph.weights[movable], all_targets[:n_free])
    if not within:
        heaviest = float(graph.weights[movable].max()) if movable.any() else 0.0
        notes.append(
            Message(
                "grids_blocks_too_coarse",
                tolerance=f"{tolerance:.0%}",
                achieved=f"{max_dev:.1%}",
                largest=f"{heaviest:.0f}",
            )
        )
        if bound > tolerance:
            notes.append(
                Message(
                    "grids_balance_bound",
                    bound=f"{bound:.1%}",
                    largest=f"{heaviest:.0f}",
                    target=f"{all_targets[:n_free].min():.0f}",
                )
            )
    cut, pp = plan_stats(graph, labels, area, perimeter, k)
    fixed_flags = np.arange(k) >= n_free
    plan = Plan(
        labels=pd.Series(labels, index=blocks.index, name="grid"),
        weights=weights,
        targets=all_targets,
        tolerance=tolerance,
        max_deviation=max_dev,
        within_tolerance=within,
        boundary_length=float(cut),
        polsby_popper=pp,
        seed=seed,
        method=method,
        fixed=fixed_flags,
        notes=notes,
        min_possible_deviation=bound,
    )
    if geometry:
        plan.grids = plan_grids(
            blocks, plan, weight=weight, community_code=community_code, fixed=fixed
        )
    return plan
