"""Where to add sentinel posts: maximal covering and set covering, solved exactly.

- **Maximal covering** (MCLP; Church & ReVelle 1974, "The maximal covering location
  problem", *Papers of the Regional Science Association* 32): open ``k`` posts among
  candidate places to maximise the (incident-weighted) demand reached within ``T`` minutes,
  optionally keeping the current posts open::

      max Σ_i w_i y_i   s.t.  y_i ≤ Σ_{j ∈ N_i} x_j,   Σ_{j new} x_j = k,   x ∈ {0,1}, 0 ≤ y ≤ 1

  ``y`` may be continuous: with binary ``x`` each ``y_i`` is at its bound ``min(1, Σ x)``
  at an optimum, i.e. 0 or 1 (``relax_y=True``, default; fewer integer variables, faster).
- **Set covering** (LSCP; Toregas, Swain, ReVelle & Bergman 1971, "The location of
  emergency service facilities", *Operations Research* 19(6)): the fewest posts so that
  every key site is reached within its own response class (1, 3 or 5 minutes).

Both are solved with :func:`scipy.optimize.milp` (HiGHS branch and cut); the result carries
the solver's status, objective, dual bound and relative gap, the time taken, and a greedy
answer beside it. Demand rows with the same set of covering candidates are merged (weights
summed) before solving, which shrinks large instances a lot without changing the optimum.

Candidates are street intersections (nodes meeting three or more street segments) or
points the user gives, snapped to the street network.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp

from gridmap._errors import ValidationError
from gridmap.i18n import Message
from gridmap.patrol._covering import (
    _check_coverage,
    _check_fixed,
    greedy_maximal_covering,
    greedy_set_covering,
    interchange,
    lagrangian_bound,
)
from gridmap.patrol._covering import covered_weight as _covered_weight
from gridmap.patrol._graph import BoolArray, FloatArray, IntArray, check_frame, check_positive
from gridmap.patrol.network import (
    FAR_SNAP_M,
    StreetGraph,
    snap_points,
    travel_time_matrix,
)

__all__ = [
    "CoveringResult",
    "candidate_intersections",
    "coverage_matrix",
    "greedy_maximal_covering",
    "greedy_set_covering",
    "maximal_covering",
    "set_covering",
    "site_new_posts",
    "site_posts_for_sites",
]


@dataclass(frozen=True)
class CoveringResult:
    """A solved covering problem.

    Attributes
    ----------
    chosen : numpy.ndarray
        Positions (columns of the coverage matrix) of the open candidates, new ones only.
    objective : float
        Covered weight (MCLP, current posts included) or number of new posts (LSCP).
    baseline : float
        MCLP: weight the current (fixed) posts cover alone; LSCP: 0.
    gain : float
        MCLP: ``objective - baseline``.
    total : float
        MCLP: total demand weight; LSCP: number of sites.
    optimal : bool
        True when the solver proved optimality (within `mip_rel_gap`).
    mip_gap : float
        Relative gap between the objective and the solver's dual bound (0 = proven).
    dual_bound : float
        The solver's bound on the best possible objective.
    seconds : float
        Solver time.
    status : str
        The solver's message.
    greedy : numpy.ndarray
        The greedy answer's candidates.
    greedy_objective : float
        Its objective (same units).
    uncoverable : numpy.ndarray
        LSCP: sites no candidate reaches in time (left out of the model); MCLP: empty.
    notes : tuple of str
    """

    chosen: IntArray
    objective: float
    baseline: float
    gain: float
    total: float
    optimal: bool
    mip_gap: float  # (dual_bound - objective) / objective
    dual_bound: float
    seconds: float
    status: str
    greedy: IntArray
    greedy_objective: float
    uncoverable: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    notes: tuple[str, ...] = ()


# --- matrices ----------------------------------------------------------------------------


def _aggregate(a: sp.csr_matrix, w: FloatArray) -> tuple[sp.csr_matrix, FloatArray]:
    """Merge demand rows with identical candidate sets (weights summed); drop empty rows."""
    keys = [a.indices[a.indptr[i] : a.indptr[i + 1]].tobytes() for i in range(a.shape[0])]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    weights = np.bincount(codes, weights=w, minlength=len(uniques))
    first = np.full(len(uniques), -1, dtype=np.intp)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    merged = a[first]
    keep = (np.diff(merged.indptr) > 0) & (weights > 0)
    return merged[keep], weights[keep]


# --- maximal covering --------------------------------------------------------------------


def maximal_covering(
    coverage: Any,
    weights: Any,
    k: int,
    *,
    fixed: Any = None,
    relax_y: bool = True,
    aggregate: bool = True,
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
    reduce: bool = True,
) -> CoveringResult:
    """Choose `k` new candidates maximising the weight of covered demand (MCLP).

    Parameters
    ----------
    coverage : (n_demand, n_candidates) bool array or sparse matrix
        ``coverage[i, j]``: candidate ``j`` reaches demand ``i`` in time.
    weights : (n_demand,) array
        Non-negative demand weights (incident counts, severity …).
    k : int
        Number of new posts.
    fixed : bool mask or positions, optional
        Candidates that are the current posts: always open, not counted in `k`.
    relax_y : bool
        Coverage variables continuous in [0, 1] (integral at the optimum; faster).
    aggregate : bool
        Merge demand rows with the same covering candidates first (same optimum, smaller
        model); False solves the textbook model as given.
    time_limit : float, optional
        Seconds; the best answer found is returned with its gap.
    mip_rel_gap : float
        Relative gap at which HiGHS stops (proven optimal within it).
    reduce : bool
        Before the MILP: improve greedy by interchange, bound the optimum by Lagrangian
        relaxation, and leave out the candidates that bound proves cannot be in a better
        answer (:mod:`gridmap.patrol._covering`; exact). When the bound already proves the
        answer within `mip_rel_gap` the MILP is skipped. False solves the model as given.

    Returns
    -------
    CoveringResult
        ``mip_gap`` is ``(dual_bound - objective) / objective`` with the tighter of the
        Lagrangian and the solver's bounds; ``seconds`` counts all of it.
    """
    a = _check_coverage(coverage)
    n_dem, n_cand = a.shape
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (n_dem,) or not np.isfinite(w).all() or (w < 0).any():
        msg = f"`weights` must be {n_dem} finite non-negative numbers (one per demand row)"
        raise ValidationError(msg)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        msg = f"`k` must be a non-negative integer; got {k!r}"
        raise ValidationError(msg)
    fixed_mask = _check_fixed(fixed, n_cand)
    free = np.flatnonzero(~fixed_mask)
    if k > len(free):
        msg = f"`k` is {k} but there are only {len(free)} candidates to choose from"
        raise ValidationError(msg)
    total = float(w.sum())
    base_cov = np.asarray(a[:, fixed_mask].sum(axis=1)).ravel() > 0
    baseline = float(w[base_cov].sum())
    greedy = greedy_maximal_covering(a, w, k, fixed=fixed_mask)
    greedy_obj = _covered_weight(a, w, np.r_[np.flatnonzero(fixed_mask), greedy])
    # the model: demand not yet covered, free candidates only
    sub, sw = a[~base_cov][:, free], w[~base_cov]
    if aggregate:
        sub, sw = _aggregate(sub, sw)
    m = sub.shape[0]
    if k == 0 or m == 0:
        chosen = greedy if m == 0 else np.empty(0, dtype=np.intp)
        obj = _covered_weight(a, w, np.r_[np.flatnonzero(fixed_mask), chosen])
        return CoveringResult(chosen, obj, baseline, obj - baseline, total, True, 0.0, obj,
                              0.0, "trivial", greedy, greedy_obj)  # fmt: skip
    notes: list[str] = [f"{a.shape[0] - int(base_cov.sum())} open demand rows merged to {m}"]
    start = time.perf_counter()
    cols = np.arange(len(free))
    best_sub = np.searchsorted(free, greedy)  # greedy in the model's columns
    best_val = _covered_weight(sub, sw, best_sub)
    upper = np.inf  # bound on the model's objective (demand the current posts miss)
    if reduce:
        swapped = interchange(sub, sw, best_sub)
        swapped_val = _covered_weight(sub, sw, swapped)
        if swapped_val > best_val:
            notes.append(f"interchange improved greedy by {swapped_val - best_val:g}")
            best_sub, best_val = swapped, swapped_val
        upper, forced = lagrangian_bound(sub, sw, k, best_val)
        # an answer opening a column whose forced bound is below the best one is worse
        cols = np.union1d(np.flatnonzero(forced >= best_val - 1e-9 * max(best_val, 1)), best_sub)
        notes.append(f"Lagrangian bound kept {len(cols)} of {len(free)} candidates")
    res = None
    if baseline + upper - (baseline + best_val) > mip_rel_gap * max(baseline + best_val, 1e-12):
        model = sub[:, cols]
        rows = np.diff(model.tocsr().indptr) > 0
        model, mw = model[rows], sw[rows]
        nx_, m = len(cols), model.shape[0]
        c = np.concatenate([np.zeros(nx_), -mw])
        # y_i - Σ_j a_ij x_j ≤ 0
        cover = LinearConstraint(sp.hstack([-model, sp.identity(m)], format="csr"), -np.inf, 0)
        count = LinearConstraint(
            sp.csr_matrix(np.concatenate([np.ones(nx_), np.zeros(m)])[None, :]), k, k
        )
        integrality = np.concatenate([np.ones(nx_), np.zeros(m) if relax_y else np.ones(m)])
        options = {"mip_rel_gap": mip_rel_gap, "disp": False}
        if time_limit is not None:
            left = check_positive(time_limit, "time_limit") - (time.perf_counter() - start)
            options["time_limit"] = max(left, 0.1)
        res = milp(c, constraints=[cover, count], integrality=integrality,
                   bounds=Bounds(0, 1), options=options)  # fmt: skip
        if res.x is not None:
            found = cols[np.flatnonzero(res.x[:nx_] > 0.5)]
            found_val = _covered_weight(sub, sw, found)
            if found_val > best_val or not reduce:
                best_sub, best_val = found, found_val
        dual = getattr(res, "mip_dual_bound", None)  # None when HiGHS stopped before a bound
        milp_bound = -float(dual) if dual is not None else np.nan
        if np.isfinite(milp_bound):  # no better answer outside `cols` (when reduced)
            upper = min(upper, max(milp_bound, best_val) if reduce else milp_bound)
    seconds = time.perf_counter() - start
    chosen = free[best_sub]
    obj = _covered_weight(a, w, np.r_[np.flatnonzero(fixed_mask), chosen])
    if greedy_obj > obj:  # a time-limited solve worse than greedy: keep greedy
        chosen, obj = greedy, greedy_obj
        notes.append("the solver's answer was worse than greedy: greedy kept")
    bound = max(baseline + upper, obj) if np.isfinite(upper) else np.nan
    gap = (bound - obj) / obj if obj > 0 and np.isfinite(bound) else np.nan
    if res is None:
        optimal, status = True, "proven within `mip_rel_gap` by the Lagrangian bound"
    else:
        optimal = res.status == 0 or (np.isfinite(gap) and gap <= mip_rel_gap)
        status = str(res.message)
    return CoveringResult(
        chosen=np.sort(chosen),
        objective=obj,
        baseline=baseline,
        gain=obj - baseline,
        total=total,
        optimal=bool(optimal),
        mip_gap=gap,
        dual_bound=bound,
        seconds=seconds,
        status=status,
        greedy=np.sort(greedy),
        greedy_objective=greedy_obj,
        notes=tuple(notes),
    )


# --- set covering ------------------------------------------------------------------------


def set_covering(
    coverage: Any,
    *,
    fixed: Any = None,
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> CoveringResult:
    """The fewest new candidates so that every demand row is covered (LSCP).

    Rows no candidate covers are reported in ``uncoverable`` and left out; rows the
    `fixed` (current) posts cover already are left out too.

    Parameters
    ----------
    coverage : (n_sites, n_candidates) bool array or sparse matrix
        ``coverage[i, j]``: candidate ``j`` reaches site ``i`` within the site's class.
    fixed, time_limit, mip_rel_gap
        As in :func:`maximal_covering`.

    Returns
    -------
    CoveringResult
        ``objective`` is the number of new posts.
    """
    a = _check_coverage(coverage)
    n_sites, n_cand = a.shape
    fixed_mask = _check_fixed(fixed, n_cand)
    free = np.flatnonzero(~fixed_mask)
    reachable = np.diff(a.indptr) > 0
    uncoverable = np.flatnonzero(~reachable)
    done = np.asarray(a[:, fixed_mask].sum(axis=1)).ravel() > 0
    todo = reachable & ~done
    sub = a[todo][:, free]
    sub_w = np.ones(sub.shape[0])
    if sub.shape[0]:
        sub, sub_w = _aggregate(sub, sub_w)
    greedy = greedy_set_covering(a[reachable], fixed=fixed_mask)
    notes = []
    if len(uncoverable):
        notes.append(f"{len(uncoverable)} site(s) no candidate reaches in time")
    if sub.shape[0] == 0:
        return CoveringResult(np.empty(0, dtype=np.intp), 0.0, 0.0, 0.0, float(n_sites), True,
                              0.0, 0.0, 0.0, "trivial", greedy, float(len(greedy)),
                              uncoverable, tuple(notes))  # fmt: skip
    options = {"mip_rel_gap": mip_rel_gap, "disp": False}
    if time_limit is not None:
        options["time_limit"] = check_positive(time_limit, "time_limit")
    start = time.perf_counter()
    res = milp(np.ones(len(free)), constraints=[LinearConstraint(sub, 1.0, np.inf)],
               integrality=np.ones(len(free)), bounds=Bounds(0, 1), options=options)  # fmt: skip
    seconds = time.perf_counter() - start
    if res.x is None:
        chosen, gap, bound, optimal = greedy, np.inf, np.nan, False
    else:
        chosen = free[np.flatnonzero(res.x > 0.5)]
        gap = float(getattr(res, "mip_gap", np.nan) or 0.0)
        bound = float(getattr(res, "mip_dual_bound", np.nan))
        optimal = res.status == 0
    return CoveringResult(
        chosen=np.sort(chosen),
        objective=float(len(chosen)),
        baseline=0.0,
        gain=0.0,
        total=float(n_sites),
        optimal=bool(optimal),
        mip_gap=gap,
        dual_bound=bound,
        seconds=seconds,
        status=str(res.message),
        greedy=np.sort(greedy),
        greedy_objective=float(len(greedy)),
        uncoverable=uncoverable,
        notes=tuple(notes),
    )


# --- from the map --------------------------------------------------------------------------


def candidate_intersections(graph: StreetGraph, *, min_degree: int = 3) -> gpd.GeoDataFrame:
    """Street intersections as candidate post places: nodes meeting ≥ `min_degree` segments.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (``"N<node>"``), ``node``, ``degree``, Point geometry in
        ``graph.crs``.
    """
    seg = graph.segments[graph.in_mode]
    ends = np.concatenate([seg["u"].to_numpy(), seg["v"].to_numpy()])
    degree = np.bincount(ends, minlength=graph.n_nodes)
    nodes = np.flatnonzero(degree >= int(min_degree))
    return gpd.GeoDataFrame(
        {"candidate_id": [f"N{n}" for n in nodes], "node": nodes, "degree": degree[nodes]},
        geometry=shapely.points(graph.node_x[nodes], graph.node_y[nodes]),
        crs=graph.crs,
    )


def coverage_matrix(
    graph: StreetGraph,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    seconds: float | Sequence[float] | FloatArray,
    max_snap: float = FAR_SNAP_M,
    chunk: int = 64,
) -> sp.csr_matrix:
    """Which candidate reaches which demand point in time, along `graph`'s streets.

    Parameters
    ----------
    graph : StreetGraph
    candidates : geopandas.GeoDataFrame
        Points; a ``node`` column (from :func:`candidate_intersections`) is used as is,
        other points are snapped.
    demand : geopandas.GeoDataFrame
        Points (incidents, sites).
    seconds : float or array
        Time limit, one for all or one per demand point (a site's response class × 60).
    chunk : int
        Candidates per Dijkstra batch.

    Returns
    -------
    scipy.sparse.csr_matrix
        Boolean ``(len(demand), len(candidates))``.
    """
    check_frame(candidates, "candidates", ("Point",))
    check_frame(demand, "demand", ("Point",))
    limit = np.broadcast_to(np.asarray(seconds, dtype=np.float64), (len(demand),))
    if len(limit) and (not np.isfinite(limit).all() or (limit <= 0).any()):
        msg = "`seconds` must be positive numbers"
        raise ValidationError(msg)
    origins: Any
    if "node" in candidates.columns:
        origins = candidates["node"].to_numpy(dtype=np.intp)
    else:
        origins = snap_points(graph, candidates, max_distance=max_snap).reset_index(drop=True)
        far = origins["far"].to_numpy(dtype=bool)
        if far.any():  # a post or candidate off the network would be timed from elsewhere
            ids = (
                candidates["candidate_id"].astype(str).to_numpy()
                if "candidate_id" in candidates.columns
                else candidates.index.astype(str).to_numpy()
            )
            bad = ", ".join(
                f"{i} ({d:.0f} m)"
                for i, d in zip(ids[far], origins["distance"].to_numpy()[far], strict=True)
            )
            raise ValidationError(
                Message(
                    "patrol_candidates_far", points=bad, limit=f"{max_snap:.0f}", mode=graph.mode
                )
            )
    targets = snap_points(graph, demand, max_distance=max_snap)
    cutoff = float(limit.max()) if len(limit) else None
    rows, cols = [], []
    n_cand = len(candidates)
    for start in range(0, n_cand, chunk):
        part = (
            origins[start : start + chunk]
            if isinstance(origins, np.ndarray)
            else origins.iloc[start : start + chunk]
        )
        t = travel_time_matrix(graph, part, targets, cutoff=cutoff, chunk=chunk)
        j, i = np.nonzero(t <= limit[None, :])
        rows.append(i)
        cols.append(j + start)
    i = np.concatenate(rows) if rows else np.empty(0, dtype=np.intp)
    j = np.concatenate(cols) if cols else np.empty(0, dtype=np.intp)
    return sp.csr_matrix(
        (np.ones(len(i), dtype=bool), (i, j)), shape=(len(demand), n_cand), dtype=bool
    )


def site_new_posts(
    graph: StreetGraph,
    incidents: gpd.GeoDataFrame,
    *,
    k: int,
    minutes: float = 3.0,
    posts: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    weight: str | None = None,
    time_limit: float | None = 60.0,
) -> tuple[gpd.GeoDataFrame, CoveringResult]:
    """Place `k` new posts (MCLP) to reach the most incident weight within `minutes`.

    The current `posts` (of `graph`'s mode) stay open; candidates default to the street
    intersections. Returns the chosen candidates (with ``greedy`` marking the greedy
    answer's) and the :class:`CoveringResult` (gain over the current posts, gap).
    """
    minutes = check_positive(minutes, "minutes")  # type: ignore[assignment]
    allc, fixed = _candidates_and_current(graph, candidates, posts)
    w = (
        pd.to_numeric(incidents[weight], errors="coerce").fillna(0).to_numpy(float)
        if weight is not None
        else np.ones(len(incidents))
    )
    a = coverage_matrix(graph, allc, incidents, seconds=minutes * 60.0)
    result = maximal_covering(a, w, k, fixed=fixed, time_limit=time_limit)
    out = allc.iloc[result.chosen].copy()
    out["greedy"] = np.isin(result.chosen, result.greedy)
    return out, result


def site_posts_for_sites(
    graph: StreetGraph,
    sites: gpd.GeoDataFrame,
    *,
    posts: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    default_class: float = 5.0,
    time_limit: float | None = 60.0,
) -> tuple[gpd.GeoDataFrame, CoveringResult]:
    """The fewest new posts (LSCP) so every key site is reached within its response class."""
    allc, fixed = _candidates_and_current(graph, candidates, posts, check=False)
    rc = (
        pd.to_numeric(sites["response_class"], errors="coerce").fillna(default_class)
        if "response_class" in sites.columns
        else pd.Series(default_class, index=sites.index)
    ).to_numpy(float)
    a = coverage_matrix(graph, allc, sites, seconds=rc * 60.0)
    result = set_covering(a, fixed=fixed, time_limit=time_limit)
    out = allc.iloc[result.chosen].copy()
    out["greedy"] = np.isin(result.chosen, result.greedy)
    return out, result


def _candidates_and_current(
    graph: StreetGraph,
    candidates: gpd.GeoDataFrame | None,
    posts: gpd.GeoDataFrame | None,
    *,
    check: bool = True,
) -> tuple[gpd.GeoDataFrame, BoolArray]:
    """Candidate sites (intersections by default) followed by the current posts.

    The current posts are candidates too, marked in the returned mask as fixed (kept
    open), so a solver counts what they already cover and proposes only new ones.
    """
    cands = candidate_intersections(graph) if candidates is None else candidates
    if check:
        check_frame(cands, "candidates", ("Point",))
    cands = cands.to_crs(graph.crs).reset_index(drop=True)
    if posts is None or not len(posts):
        return cands, np.zeros(len(cands), bool)
    current = posts.to_crs(graph.crs)
    current = gpd.GeoDataFrame(
        {"candidate_id": current.get("post_id", pd.Series(current.index)).astype(str)},
        geometry=current.geometry.to_numpy(),
        crs=graph.crs,
    )
    allc = pd.concat([cands.drop(columns=["node"], errors="ignore"), current], ignore_index=True)
    fixed = np.r_[np.zeros(len(cands), bool), np.ones(len(current), bool)]
    return allc, fixed
