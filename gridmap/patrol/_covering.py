"""Greedy, local search and bounds for covering problems (private; public in :mod:`.siting`).

Large maximal covering instances (20,000 demand points × 1,000 candidates) spend minutes in
branch and bound mostly to *prove* what a good heuristic already found. So before the MILP:

- **Interchange** (Teitz & Bart 1968, "Heuristic methods for estimating the generalized
  vertex median of a weighted graph", *Operations Research* 16(5)): from the greedy answer,
  swap one open candidate for one closed candidate while that covers more weight (best swap
  first), evaluated for all pairs at once with sparse products.
- **Lagrangian bound** (Galvão & ReVelle 1996, "A Lagrangean heuristic for the maximal
  covering location problem", *EJOR* 88): relaxing ``y_i ≤ Σ_j a_ij x_j`` with multipliers
  ``λ ≥ 0`` gives the upper bound ``Σ_i max(0, w_i - λ_i) + (sum of the k largest
  Σ_i λ_i a_ij)``, minimised by subgradient steps (Held, Wolfe & Crowder 1974). Its best value
  equals the LP relaxation's bound, at a fraction of the LP's time.
- **Reduced-cost fixing**: a candidate whose bound when forced open stays below the best
  answer found cannot be in any better answer: it is left out of the MILP (exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from gridmap._errors import ValidationError
from gridmap.patrol._graph import BoolArray, FloatArray, IntArray


def _check_coverage(coverage: Any) -> sp.csr_matrix:
    if not sp.issparse(coverage) and not isinstance(coverage, np.ndarray):
        msg = "`coverage` must be a (demand × candidate) boolean array or sparse matrix"
        raise ValidationError(msg)
    a = sp.csr_matrix(coverage, dtype=bool)
    a.eliminate_zeros()
    return a.astype(np.float64)


def _check_fixed(fixed: Any, n: int) -> BoolArray:
    if fixed is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(fixed)
    if mask.dtype != bool:
        idx = mask.astype(np.intp)
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
    if mask.shape != (n,):
        msg = f"`fixed` must be a boolean mask of the {n} candidates or their positions"
        raise ValidationError(msg)
    return mask


def covered_weight(a: sp.csr_matrix, w: FloatArray, open_: IntArray) -> float:
    """Weight of the rows of `a` that at least one of the `open_` columns covers."""
    if not len(open_):
        return 0.0
    hit = np.asarray(a[:, np.asarray(open_, dtype=np.intp)].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


def interchange(
    a: sp.csr_matrix, w: FloatArray, chosen: IntArray, *, max_rounds: int = 200
) -> IntArray:
    """Best-improvement swaps from `chosen` (columns of `a`) until none covers more weight."""
    chosen = np.asarray(chosen, dtype=np.intp).copy()
    if not len(chosen) or len(chosen) == a.shape[1]:
        return chosen
    ac = a.tocsc()
    at = a.T.tocsr()
    for _ in range(max_rounds):
        count = np.asarray(ac[:, chosen].sum(axis=1)).ravel()
        gain = at @ (w * (count == 0))  # weight each closed column would add
        gain[chosen] = -np.inf
        once = w * (count == 1)
        best, swap = 1e-9 * max(1.0, float(w.sum())), None
        for pos, j in enumerate(chosen):
            col = ac[:, [j]]
            only_j = once * col.toarray().ravel()  # rows j alone covers
            loss = float(only_j.sum())
            keep = at @ only_j  # of those, what each other column would still cover
            delta = gain + keep - loss
            i = int(np.argmax(delta))
            if delta[i] > best:
                best, swap = float(delta[i]), (pos, i)
        if swap is None:
            break
        chosen[swap[0]] = swap[1]
    return np.sort(chosen)


def lagrangian_bound(
    a: sp.csr_matrix,
    w: FloatArray,
    k: int,
    best: float,
    *,
    iterations: int = 600,
) -> tuple[float, FloatArray]:
    """The smallest Lagrangian upper bound found, and each column's bound when forced open.

    `best` is the best answer known (the step size aims at it). Returns ``(bound, forced)``
    where ``forced[j]`` bounds every answer that opens column ``j``.
    """
    at = a.T.tocsr()
    n = a.shape[1]
    lam = w.copy() * 0.5
    theta, stall = 2.0, 0
    best_ub, best_forced = np.inf, np.full(n, np.inf)
    for _ in range(iterations):
        score = at @ lam
        top = np.argpartition(-score, k - 1)[:k] if k < n else np.arange(n)
        base = float(np.maximum(w - lam, 0.0).sum())
        ub = base + float(score[top].sum())
        if ub < best_ub - 1e-9:
            best_ub, stall = ub, 0
            kth = float(score[top].min())
            best_forced = ub - np.maximum(kth - score, 0.0)  # open j instead of the k-th
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2, 0
        if theta < 1e-4 or best_ub - best <= 1e-9 * max(1.0, best):
            break
        x = np.zeros(n)
        x[top] = 1.0
        g = (a @ x) - (w > lam)  # d(ub)/d(lam)
        norm = float((g * g).sum())  # not BLAS: its threads spin on a busy machine
        if norm == 0:
            break
        lam = np.maximum(lam - theta * (ub - best) / norm * g, 0.0)
    return best_ub, best_forced


def greedy_maximal_covering(coverage: Any, weights: Any, k: int, *, fixed: Any = None) -> IntArray:
    """Greedy MCLP: add, `k` times, the candidate covering the most uncovered weight.

    Ties go to the lowest candidate position. Returns the chosen positions (new ones).
    """
    a = _check_coverage(coverage)
    w = np.asarray(weights, dtype=np.float64).ravel()
    fixed_mask = _check_fixed(fixed, a.shape[1])
    uncovered = w.copy()
    if fixed_mask.any():
        uncovered[np.asarray(a[:, fixed_mask].sum(axis=1)).ravel() > 0] = 0.0
    at = a.T.tocsr()
    chosen: list[int] = []
    available = ~fixed_mask
    for _ in range(k):
        gain = at @ uncovered
        gain[~available] = -1.0
        j = int(np.argmax(gain))
        if gain[j] < 0:
            break
        chosen.append(j)
        available[j] = False
        uncovered[at.indices[at.indptr[j] : at.indptr[j + 1]]] = 0.0
    return np.asarray(chosen, dtype=np.intp)


def greedy_set_covering(coverage: Any, *, fixed: Any = None) -> IntArray:
    """Greedy LSCP (Chvátal 1979): add the candidate covering most uncovered rows until all
    coverable rows are covered."""
    a = _check_coverage(coverage)
    fixed_mask = _check_fixed(fixed, a.shape[1])
    need = (np.diff(a.indptr) > 0).astype(np.float64)
    if fixed_mask.any():
        need[np.asarray(a[:, fixed_mask].sum(axis=1)).ravel() > 0] = 0.0
    at = a.T.tocsr()
    chosen: list[int] = []
    available = ~fixed_mask
    while need.any():
        gain = at @ need
        gain[~available] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        available[j] = False
        need[at.indices[at.indptr[j] : at.indptr[j + 1]]] = 0.0
    return np.asarray(chosen, dtype=np.intp)
